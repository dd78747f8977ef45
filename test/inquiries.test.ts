import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { citizen, vnpayBehaviour } from "./support/citizen.ts";
import { testInfra } from "./support/infra.ts";
import { createPayment, eventsOf, paidPayment, paymentOf, waitForStatus } from "./support/payments.ts";
import { eventually, type Stack, startStack } from "./support/stack.ts";
import { startWebhookReceiver } from "./support/webhook-receiver.ts";

let stack: Stack;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startStack({
    infra: testInfra(),
    webhookUrl: receiver.url,
    // The workflow would find a lost IPN by itself after this long: the inquiry must be faster.
    env: { PAYGOV_ATTEMPT_QUERY_AFTER: "600", PAYGOV_INQUIRY_SLA: "3", PAYGOV_REFUND_STATUS_EVERY: "1" },
  });
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

type Inquiry = { inquiry_id: string; status: string; resolution?: string; resolved_by?: string };

const open = async (paymentId: string, reason: string, note?: string) => {
  const response = await stack.api(`/v1/payments/${paymentId}/inquiries`, {
    json: { reason, ...(note ? { note } : {}) },
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Inquiry;
};

const inquiry = async (paymentId: string, id: string) =>
  (await (await stack.api(`/v1/payments/${paymentId}/inquiries/${id}`)).json()) as Inquiry;

describe("inquiries (tra soát)", () => {
  it("resolves by itself an inquiry on a payment whose IPN was dropped: the intermediary says it was paid", async () => {
    const payment = await createPayment(stack);
    const chosen = await citizen(stack).choose(payment._links.next_url.href, "vnpay");
    const reference = new URL(chosen.location).searchParams.get("vnp_TxnRef")!;
    await vnpayBehaviour(stack, { reference, callback: "drop" });
    await citizen(stack).payAtVnpay(chosen.location, "success");
    expect((await paymentOf(stack, payment.payment_id)).state.status).toBe("started");

    const opened = await open(
      payment.payment_id,
      "paid_not_confirmed",
      "Người dân đã bị trừ tiền nhưng hồ sơ chưa cập nhật",
    );
    expect(opened.status).toBe("open");
    const resolved = await eventually("the inquiry to resolve", async () => {
      const i = await inquiry(payment.payment_id, opened.inquiry_id);
      return i.status === "resolved" ? i : null;
    });
    expect(resolved).toMatchObject({ resolution: "payment_confirmed", resolved_by: "paygov" });
    await waitForStatus(stack, payment.payment_id, "success");
    const types = (await eventsOf(stack, payment.payment_id)).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(["inquiry.opened", "payment.succeeded", "inquiry.resolved"]),
    );
    await eventually("the resolution webhook", async () =>
      receiver.received.find(
        (w) => w.json.type === "inquiry.resolved" && w.json.resource.inquiry_id === opened.inquiry_id,
      ),
    );
  });

  it("waits for an operator when the facts cannot settle it, escalates after its SLA, then takes the decision", async () => {
    const payment = await paidPayment(stack);
    const opened = await open(payment.payment_id, "refund_request", "Hồ sơ bị từ chối, đề nghị hoàn phí");
    const escalated = await eventually("escalation", async () => {
      const i = await inquiry(payment.payment_id, opened.inquiry_id);
      return i.status === "escalated" ? i : null;
    });
    expect(escalated.status).toBe("escalated");
    const queue = (await (await stack.ops("/v1/ops/inquiries?status=escalated")).json()) as {
      inquiries: Inquiry[];
    };
    expect(queue.inquiries.map((i) => i.inquiry_id)).toContain(opened.inquiry_id);

    const decided = await stack.ops(`/v1/ops/inquiries/${opened.inquiry_id}/decision`, {
      json: { decision: "refund", note: "Hồ sơ bị từ chối theo quyết định số 12", operator: "tran.b" },
    });
    // The answer waits for the ledger to show the decision: the operator sees what they did.
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({ status: "resolved", resolution: "refunded" });
    const resolved = await inquiry(payment.payment_id, opened.inquiry_id);
    expect(resolved).toMatchObject({ status: "resolved", resolution: "refunded", resolved_by: "operator" });
    const summary = await eventually("the refund", async () => {
      const s = (await paymentOf(stack, payment.payment_id)).refund_summary;
      return s.status === "full" ? s : null;
    });
    expect(summary.amount_submitted).toBe(200_000);
    const types = (await eventsOf(stack, payment.payment_id)).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(["inquiry.opened", "inquiry.escalated", "refund.submitted", "inquiry.resolved"]),
    );
  });

  it("refuses a bad reason, and keeps /v1/ops closed to an agency's key and the agency's API closed to the ops key", async () => {
    const payment = await createPayment(stack);
    const bad = await stack.api(`/v1/payments/${payment.payment_id}/inquiries`, {
      json: { reason: "angry" },
    });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ code: "invalid_field", field: "reason" });
    const asAgency = await fetch(`${stack.apiUrl}/v1/ops/inquiries`, {
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    expect(asAgency.status).toBe(403);
    const asOps = await fetch(`${stack.apiUrl}/v1/payments/${payment.payment_id}`, {
      headers: { authorization: `Bearer ${stack.opsKey}` },
    });
    expect(asOps.status).toBe(403);
    expect((await fetch(`${stack.apiUrl}/v1/ops/inquiries`)).status).toBe(401);
  });
});
