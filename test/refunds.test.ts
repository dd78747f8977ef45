import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vietqrDriver } from "../connectors/vietqr/conformance.ts";
import { citizen } from "./support/citizen.ts";
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
    env: { PAYGOV_REFUND_STATUS_EVERY: "1", ...vietqrDriver.env },
  });
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

const refund = (id: string, body: Record<string, unknown>, idempotencyKey?: string) =>
  stack.api(`/v1/payments/${id}/refunds`, { json: body, ...(idempotencyKey ? { idempotencyKey } : {}) });

const refundRows = async (paymentId: string) =>
  stack.sql<{ amount: number; status: string; counts_against_payment: boolean }[]>`
    select amount, status, counts_against_payment from refunds where payment_id = ${paymentId}`;

// A small seeded generator: the property test is repeatable, and a failure names its seed.
const random = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};

describe("refunds", () => {
  it("returns a VietQR transfer by a manual refund that an operator completes, once", async () => {
    const payment = await createPayment(stack);
    await citizen(stack).choose(payment._links.next_url.href, "vietqr");
    const { payment_instructions } = (await (
      await stack.api(`/v1/payments/${payment.payment_id}`)
    ).json()) as {
      payment_instructions: { qr_payload: string };
    };
    const transfer = await fetch(`${stack.sandboxUrl}/vietqr/_sim/transfer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ qr: payment_instructions.qr_payload }),
    });
    expect(transfer.status).toBe(200);
    await waitForStatus(stack, payment.payment_id, "success");

    const response = await refund(payment.payment_id, {
      amount: payment.amount,
      refund_amount_available: payment.amount,
      reason: "Hồ sơ bị từ chối",
    });
    expect(response.status).toBe(202);
    const created = (await response.json()) as { refund_id: string };
    expect(created).toMatchObject({ status: "submitted", manual: true, amount: payment.amount });
    const queue = (await (await stack.ops("/v1/ops/refunds?status=submitted&manual=true")).json()) as {
      refunds: { refund_id: string }[];
    };
    expect(queue.refunds.map((r) => r.refund_id)).toContain(created.refund_id);

    const complete = (body: unknown) =>
      stack.ops(`/v1/ops/refunds/${created.refund_id}/complete`, { json: body });
    const done = { status: "success", note: "UNC số 1204 ngày 04/12/2026", operator: "mai.pt" };
    expect(await (await complete({ ...done, status: "maybe" })).json()).toMatchObject({
      code: "invalid_field",
      field: "status",
    });
    expect(await (await complete({ status: "success", note: "x" })).json()).toMatchObject({
      code: "missing_field",
      field: "operator",
    });
    expect((await stack.ops("/v1/ops/refunds/nosuchrefund/complete", { json: done })).status).toBe(404);

    const completed = await complete(done);
    expect(completed.status).toBe(200);
    expect(await completed.json()).toMatchObject({
      refund_id: created.refund_id,
      status: "success",
      manual: true,
    });
    const again = await complete(done);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: "refund_not_available" });
    expect((await paymentOf(stack, payment.payment_id)).refund_summary).toMatchObject({ status: "full" });
    const types = (await eventsOf(stack, payment.payment_id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["refund.submitted", "refund.succeeded"]));
    await eventually("the refund's webhook", async () =>
      receiver.received.some(
        (w) => w.json.type === "refund.succeeded" && w.json.resource.refund_id === created.refund_id,
      ),
    );
  });

  it("does not let an operator complete by hand a refund its intermediary carries out", async () => {
    const payment = await paidPayment(stack);
    const response = await refund(payment.payment_id, {
      amount: 10_000,
      refund_amount_available: payment.amount,
    });
    expect(response.status).toBe(202);
    const { refund_id } = (await response.json()) as { refund_id: string };
    const attempt = await stack.ops(`/v1/ops/refunds/${refund_id}/complete`, {
      json: { status: "success", note: "by hand", operator: "mai.pt" },
    });
    expect(attempt.status).toBe(409);
    expect(await attempt.json()).toMatchObject({ code: "refund_not_available" });
  });

  it("refunds part of a paid payment through VNPay and reports it", async () => {
    const payment = await paidPayment(stack, {
      serviceId: "svc-lltp",
      lineIds: ["lltp-phi", "lltp-phieu-them"],
    });
    const before = await paymentOf(stack, payment.payment_id);
    expect(before.refund_summary).toEqual({
      status: "available",
      amount_available: 205_000,
      amount_submitted: 0,
    });

    const response = await refund(payment.payment_id, {
      amount: 5_000,
      refund_amount_available: 205_000,
      reason: "Phiếu thứ 3 không cần",
    });
    expect(response.status).toBe(202);
    const created = (await response.json()) as { refund_id: string; status: string; amount: number };
    expect(created).toMatchObject({ status: "submitted", amount: 5_000 });

    const after = await paymentOf(stack, payment.payment_id);
    // A submitted refund counts against what is available at once.
    expect(after.refund_summary).toEqual({
      status: "available",
      amount_available: 200_000,
      amount_submitted: 5_000,
    });

    const done = await eventually("the refund to succeed", async () => {
      const r = (await (
        await stack.api(`/v1/payments/${payment.payment_id}/refunds/${created.refund_id}`)
      ).json()) as {
        status: string;
      };
      return r.status === "success" ? r : null;
    });
    expect(done.status).toBe("success");
    const list = (await (await stack.api(`/v1/payments/${payment.payment_id}/refunds`)).json()) as {
      refunds: unknown[];
    };
    expect(list.refunds).toHaveLength(1);
    const types = (await eventsOf(stack, payment.payment_id)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["refund.submitted", "refund.succeeded"]));
    const webhook = await eventually("the refund webhook", async () =>
      receiver.received.find(
        (w) => w.json.type === "refund.succeeded" && w.json.resource.refund_id === created.refund_id,
      ),
    );
    expect(webhook.json.resource).toMatchObject({
      payment_id: payment.payment_id,
      amount: 5_000,
      status: "success",
    });
  });

  it("accepts exactly one of 20 concurrent refunds carrying the same refund_amount_available", async () => {
    const payment = await paidPayment(stack);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        refund(payment.payment_id, { amount: 10_000, refund_amount_available: 200_000 }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(19);
    const bodies = await Promise.all(responses.filter((r) => r.status === 412).map((r) => r.json()));
    expect(bodies.every((b) => (b as { code: string }).code === "refund_amount_available_mismatch")).toBe(
      true,
    );
    expect((await refundRows(payment.payment_id)).map((r) => r.amount)).toEqual([10_000]);
  });

  it("never refunds more than was paid, however requests interleave (property test)", async () => {
    for (const seed of [7, 42, 1984]) {
      const next = random(seed);
      const payment = await paidPayment(stack, { serviceId: "svc-lltp", lineIds: ["lltp-phi"] });
      for (let round = 0; round < 3; round++) {
        const summary = (await paymentOf(stack, payment.payment_id)).refund_summary;
        // Some callers read the summary now, some use a stale or a made-up value; amounts vary.
        await Promise.all(
          Array.from({ length: 6 }, () => {
            const stale = next() < 0.4;
            const available = stale
              ? summary.amount_available + Math.floor(next() * 3) * 1000
              : summary.amount_available;
            const amount = 1000 * (1 + Math.floor(next() * 120));
            return refund(payment.payment_id, { amount, refund_amount_available: available });
          }),
        );
      }
      const rows = await refundRows(payment.payment_id);
      const refunded = rows.filter((r) => r.status !== "error").reduce((sum, r) => sum + r.amount, 0);
      expect(refunded, `seed ${seed}`).toBeLessThanOrEqual(200_000);
      const summary = (await paymentOf(stack, payment.payment_id)).refund_summary;
      expect(summary.amount_available + summary.amount_submitted, `seed ${seed}`).toBe(200_000);
      expect(summary.amount_submitted, `seed ${seed}`).toBe(refunded);
    }
  });

  it("refuses refunds of unpaid, failed and cancelled payments, of more than is available, and stale ones; nothing changes", async () => {
    const unpaid = await createPayment(stack);
    const failed = await createPayment(stack);
    const failedAttempt = await citizen(stack).choose(failed._links.next_url.href, "vnpay");
    await citizen(stack).payAtVnpay(failedAttempt.location, "failure");
    await waitForStatus(stack, failed.payment_id, "failed");
    const cancelled = await createPayment(stack);
    expect((await stack.api(`/v1/payments/${cancelled.payment_id}/cancel`, { method: "POST" })).status).toBe(
      204,
    );
    const paid = await paidPayment(stack);
    const count = async () => Number((await stack.sql`select count(*) as n from refunds`)[0]!.n);
    const before = await count();

    for (const p of [unpaid, failed, cancelled]) {
      const r = await refund(p.payment_id, { amount: 1000, refund_amount_available: 0 });
      expect(r.status).toBe(409);
      expect(await r.json()).toMatchObject({ code: "refund_not_available" });
    }
    const tooMuch = await refund(paid.payment_id, { amount: 200_001, refund_amount_available: 200_000 });
    expect(tooMuch.status).toBe(422);
    expect(await tooMuch.json()).toMatchObject({ code: "refund_amount_exceeds_available", field: "amount" });
    const stale = await refund(paid.payment_id, { amount: 1000, refund_amount_available: 150_000 });
    expect(stale.status).toBe(412);
    expect(await stale.json()).toMatchObject({ code: "refund_amount_available_mismatch" });
    const zero = await refund(paid.payment_id, { amount: 0, refund_amount_available: 200_000 });
    expect(zero.status).toBe(422);
    expect(await count()).toBe(before);
    expect((await paymentOf(stack, paid.payment_id)).refund_summary.amount_available).toBe(200_000);
  });

  it("replays a refund request with the same Idempotency-Key instead of refunding twice", async () => {
    const payment = await paidPayment(stack);
    const first = await refund(
      payment.payment_id,
      { amount: 2_000, refund_amount_available: 200_000 },
      "rf-once",
    );
    const again = await refund(
      payment.payment_id,
      { amount: 2_000, refund_amount_available: 200_000 },
      "rf-once",
    );
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(((await again.json()) as { refund_id: string }).refund_id).toBe(
      ((await first.json()) as { refund_id: string }).refund_id,
    );
    expect(await refundRows(payment.payment_id)).toHaveLength(1);
  });
});

describe("cancellation", () => {
  it("cancels a started payment, closes it to the citizen, and refuses to cancel twice", async () => {
    const payment = await createPayment(stack);
    await citizen(stack).choose(payment._links.next_url.href, "vnpay");
    expect((await stack.api(`/v1/payments/${payment.payment_id}/cancel`, { method: "POST" })).status).toBe(
      204,
    );
    const state = (await paymentOf(stack, payment.payment_id)).state;
    expect(state).toMatchObject({ status: "cancelled", finished: true, code: "cancelled" });
    const again = await stack.api(`/v1/payments/${payment.payment_id}/cancel`, { method: "POST" });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: "payment_not_cancellable" });
    const page = await fetch(payment._links.next_url.href, { redirect: "manual" });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toMatch(/\/result/);
    expect((await eventsOf(stack, payment.payment_id)).map((e) => e.type)).toContain("payment.cancelled");
  });
});
