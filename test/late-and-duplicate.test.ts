import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onepayDriver } from "../connectors/onepay/conformance.ts";
import type { DriverContext } from "../connectors/sdk/conformance/driver.ts";
import type { Initiation } from "../connectors/sdk/contract.ts";
import { citizen, vnpayBehaviour } from "./support/citizen.ts";
import { testInfra } from "./support/infra.ts";
import { createPayment, eventsOf, paymentOf, waitForStatus } from "./support/payments.ts";
import { eventually, type Stack, startStack } from "./support/stack.ts";
import { startWebhookReceiver } from "./support/webhook-receiver.ts";

let stack: Stack;
const ctx = (): DriverContext => ({ apiUrl: stack.apiUrl, sandboxUrl: stack.sandboxUrl, env: stack.env });
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startStack({
    infra: testInfra(),
    webhookUrl: receiver.url,
    env: { ...onepayDriver.env, PAYGOV_REFUND_STATUS_EVERY: "1" },
  });
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

/** The citizen chooses an intermediary on the checkout page; the attempt as the driver needs it. */
const openAt = async (
  payment: { payment_id: string; _links: { next_url: { href: string } } },
  connector: string,
) => {
  const chosen = await citizen(stack).choose(payment._links.next_url.href, connector);
  expect(chosen.status).toBe(303);
  const [row] = await stack.sql<{ reference: string; amount: number; initiation: Initiation }[]>`
    select reference, amount, initiation from payment_attempts where payment_id = ${payment.payment_id}
    order by seq desc limit 1`;
  return {
    location: chosen.location,
    reference: row!.reference,
    amount: row!.amount,
    initiation: row!.initiation,
  };
};

/** The IPN the simulator held back for a reference, as VNPay would send it. */
const heldIpn = async (reference: string) => {
  const captured = (await (await fetch(`${stack.sandboxUrl}/vnpay/_sim/callbacks/${reference}`)).json()) as {
    url: string;
  };
  return captured.url;
};

const webhooksFor = (paymentId: string) =>
  receiver.received.filter((w) => (w.json.resource.payment_id ?? "") === paymentId).map((w) => w.json.type);

const setPolicy = (late: "accept" | "refund") =>
  stack.sql`update agencies set late_success_policy = ${late} where id = 'sandbox'`;

/** A payment paid at VNPay whose IPN and queries are held back until it has expired. */
const paidButExpired = async () => {
  const payment = await createPayment(stack, { extra: { expires_in: 6 } });
  const chosen = await citizen(stack).choose(payment._links.next_url.href, "vnpay");
  const reference = new URL(chosen.location).searchParams.get("vnp_TxnRef")!;
  await vnpayBehaviour(stack, { reference, callback: "drop", api: "unavailable" });
  await citizen(stack).payAtVnpay(chosen.location, "success");
  await waitForStatus(stack, payment.payment_id, "expired", 40_000);
  await vnpayBehaviour(stack, { reference, api: "normal" });
  return { payment, reference };
};

describe("late and duplicate successes", () => {
  it("records a late IPN after expiry and, by the default policy, accepts it", async () => {
    await setPolicy("accept");
    const { payment, reference } = await paidButExpired();
    const answer = (await (await fetch(await heldIpn(reference))).json()) as { RspCode: string };
    expect(answer.RspCode).toBe("00");
    await waitForStatus(stack, payment.payment_id, "success");
    const types = (await eventsOf(stack, payment.payment_id)).map((e) => e.type);
    expect(types).toEqual([
      "payment.created",
      "payment.started",
      "payment.expired",
      "payment.late_success",
      "payment.succeeded",
    ]);
    await eventually("late webhooks", async () => {
      const seen = webhooksFor(payment.payment_id);
      return seen.includes("payment.late_success") && seen.includes("payment.succeeded");
    });
  });

  it("records a late IPN after expiry and refunds it when the agency's policy says so", async () => {
    await setPolicy("refund");
    const { payment, reference } = await paidButExpired();
    expect(((await (await fetch(await heldIpn(reference))).json()) as { RspCode: string }).RspCode).toBe(
      "00",
    );
    const refund = await eventually("the late payment's refund", async () => {
      const rows =
        await stack.sql`select * from refunds where payment_id = ${payment.payment_id} and status = 'success'`;
      return rows[0];
    });
    expect(refund).toMatchObject({ reason: "late_payment", amount: 200_000, counts_against_payment: false });
    expect((await paymentOf(stack, payment.payment_id)).state.status).toBe("expired");
    await eventually("late and refund webhooks", async () => {
      const seen = webhooksFor(payment.payment_id);
      return seen.includes("payment.late_success") && seen.includes("refund.succeeded");
    });
    await setPolicy("accept");
  });

  it("records a payment attempted at VNPay and paid at OnePay once, with both attempts in its events", async () => {
    const payment = await createPayment(stack);
    const first = await citizen(stack).choose(payment._links.next_url.href, "vnpay");
    expect(first.status).toBe(303);
    const second = await openAt(payment, "onepay");
    await onepayDriver.pay(ctx(), second, "success");
    await waitForStatus(stack, payment.payment_id, "success");
    const events = await eventsOf(stack, payment.payment_id);
    const started = events.filter((e) => e.type === "payment.started").map((e) => e.data.connector);
    expect(started).toEqual(["vnpay", "onepay"]);
    expect(events.filter((e) => e.type === "payment.succeeded")).toHaveLength(1);
    expect(events.find((e) => e.type === "payment.succeeded")?.data.connector).toBe("onepay");
  });

  it("refunds a double payment (paid at VNPay and at OnePay) automatically and tells the portal", async () => {
    const payment = await createPayment(stack);
    const first = await citizen(stack).choose(payment._links.next_url.href, "vnpay");
    const firstRef = new URL(first.location).searchParams.get("vnp_TxnRef")!;
    await vnpayBehaviour(stack, { reference: firstRef, callback: "drop" });
    // The citizen pays at VNPay (its IPN is late), then, unsure, pays again at OnePay.
    await citizen(stack).payAtVnpay(first.location, "success");
    const second = await openAt(payment, "onepay");
    await onepayDriver.pay(ctx(), second, "success");
    await waitForStatus(stack, payment.payment_id, "success");

    // Now VNPay's success arrives: it is a duplicate, refunded by the default policy.
    expect(((await (await fetch(await heldIpn(firstRef))).json()) as { RspCode: string }).RspCode).toBe("00");
    const refund = await eventually("the duplicate's refund", async () => {
      const rows =
        await stack.sql`select * from refunds where payment_id = ${payment.payment_id} and status = 'success'`;
      return rows[0];
    });
    expect(refund).toMatchObject({
      reason: "duplicate_payment",
      amount: 200_000,
      counts_against_payment: false,
    });
    // The kept payment's own money is untouched.
    expect((await paymentOf(stack, payment.payment_id)).refund_summary).toEqual({
      status: "available",
      amount_available: 200_000,
      amount_submitted: 0,
    });
    const types = (await eventsOf(stack, payment.payment_id)).map((e) => e.type);
    expect(types.filter((t) => t === "payment.succeeded")).toHaveLength(1);
    expect(types).toEqual(
      expect.arrayContaining(["payment.duplicate_success", "refund.submitted", "refund.succeeded"]),
    );
    await eventually("duplicate and refund webhooks", async () => {
      const seen = webhooksFor(payment.payment_id);
      return seen.includes("payment.duplicate_success") && seen.includes("refund.succeeded");
    });
  });
});
