import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGNATURE_HEADER, verifyWebhookSignature } from "../domain/webhook-signature.ts";
import { testInfra } from "./support/infra.ts";
import { createPayment } from "./support/payments.ts";
import { eventually, type Stack, startStack } from "./support/stack.ts";
import { startWebhookReceiver } from "./support/webhook-receiver.ts";

let stack: Stack;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startStack({
    infra: testInfra(),
    webhookUrl: receiver.url,
    env: { PAYGOV_WEBHOOK_RETRY_SCHEDULE: "1s,1s,1s,1s" },
  });
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

type Delivery = { id: string; event_id: string; attempt: number; status: string; status_code: number | null };

const deliveries = async (query: string) =>
  ((await (await stack.api(`/v1/webhook-deliveries?${query}`)).json()) as { deliveries: Delivery[] })
    .deliveries;

describe("portal webhooks", () => {
  it("delivers an event after three failed tries, with the same event id, and logs every try", async () => {
    receiver.failNext(3);
    const payment = await createPayment(stack);
    const created = await eventually("the created event delivered", async () =>
      receiver.received.find(
        (w) =>
          w.json.type === "payment.created" &&
          w.json.resource.payment_id === payment.payment_id &&
          w.answeredWith === 204,
      ),
    );
    const tries = receiver.received.filter((w) => w.json.id === created.json.id);
    expect(tries.map((t) => t.answeredWith)).toEqual([500, 500, 500, 204]);
    expect(new Set(tries.map((t) => t.body)).size).toBe(1);

    const log = await eventually("the delivery log", async () => {
      const rows = (await deliveries(`payment_id=${payment.payment_id}&event_type=payment.created`)).sort(
        (a, b) => a.attempt - b.attempt,
      );
      return rows.length === 4 && rows[3]?.status === "delivered" ? rows : null;
    });
    expect(log.map((d) => [d.attempt, d.status, d.status_code])).toEqual([
      [1, "failed", 500],
      [2, "failed", 500],
      [3, "failed", 500],
      [4, "delivered", 204],
    ]);
    expect(new Set(log.map((d) => d.event_id))).toEqual(new Set([created.json.id]));
    const failed = await deliveries(`payment_id=${payment.payment_id}&status=failed`);
    expect(failed).toHaveLength(3);
    expect((await stack.api("/v1/webhook-deliveries?status=lost")).status).toBe(422);
  });

  it("marks a delivery dead when the schedule is spent, and redelivers it by hand", async () => {
    receiver.failNext(5);
    const payment = await createPayment(stack);
    const dead = await eventually("a dead delivery", async () => {
      const rows = await deliveries(`payment_id=${payment.payment_id}&status=dead`);
      return rows[0];
    });
    expect(dead.attempt).toBe(5);
    const again = await stack.api(`/v1/webhook-deliveries/${encodeURIComponent(dead.id)}/redeliver`, {
      method: "POST",
    });
    expect(again.status).toBe(202);
    await eventually("the manual redelivery", async () => {
      const rows = await deliveries(`payment_id=${payment.payment_id}&status=delivered`);
      return rows.find((d) => d.event_id === dead.event_id);
    });
  });

  it("rotates the signing secret with an overlap in which both secrets sign", async () => {
    const rotated = await stack.api("/v1/webhook-secret/rotate", { json: { overlap_seconds: 600 } });
    expect(rotated.status).toBe(201);
    const { secret } = (await rotated.json()) as { secret: string };
    const payment = await createPayment(stack);
    const webhook = await eventually("a webhook after rotation", async () =>
      receiver.received.find(
        (w) => w.json.resource.payment_id === payment.payment_id && w.answeredWith === 204,
      ),
    );
    const header = String(webhook.headers[SIGNATURE_HEADER.toLowerCase()]);
    const now = Math.floor(Date.now() / 1000);
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verifyWebhookSignature([secret], header, webhook.body, now)).toBe(true);
    expect(verifyWebhookSignature([stack.webhookSecret], header, webhook.body, now)).toBe(true);
    expect(verifyWebhookSignature([stack.webhookSecret], header, webhook.body, now + 3600)).toBe(false);
  });
});
