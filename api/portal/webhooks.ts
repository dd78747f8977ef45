import { Schema } from "effect";
import { Hono } from "hono";
import type { PgBoss } from "pg-boss";
import type { Db } from "../../db/client.ts";
import { newSecret } from "../../domain/ids.ts";
import { inTransaction, WEBHOOK_QUEUE } from "../../webhooks/queue.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import type { IdempotencyVariables } from "../middleware/idempotency.ts";
import { decode, readJson } from "../request-body.ts";

const STATUSES = new Set(["pending", "delivered", "failed", "dead"]);

const renderDelivery = (r: Record<string, unknown>) => ({
  id: r.id,
  event_id: r.event_id,
  event_type: r.event_type,
  payment_id: r.payment_id,
  url: r.url,
  attempt: r.attempt,
  status: r.status,
  status_code: r.status_code ?? null,
  error: r.error ?? null,
  created_date: (r.created_at as Date).toISOString(),
  next_retry_date: r.next_retry_at ? (r.next_retry_at as Date).toISOString() : null,
});

export const RotateWebhookSecretRequest = Schema.Struct({
  /** How long the old secret keeps signing beside the new one, so the portal can switch without a gap. */
  overlap_seconds: Schema.optionalKey(
    Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: 0, maximum: 7 * 86_400 })),
  ),
});

/** Queues one more try of an event's delivery, now, outside the retry schedule. */
const redeliver = async (sql: Db, boss: PgBoss, delivery: Record<string, unknown>, now: Date) =>
  sql.begin(async (tx) => {
    const [last] = await tx<{ attempt: number }[]>`select max(attempt) as attempt from webhook_deliveries
                                                   where event_id = ${delivery.event_id as string}`;
    const attempt = (last?.attempt ?? 0) + 1;
    const id = `${delivery.event_id}#${attempt}`;
    const [agency] = await tx`select webhook_url from agencies where id = ${delivery.agency_id as string}`;
    const [row] = await tx`
      insert into webhook_deliveries (id, event_id, agency_id, payment_id, event_type, url, attempt, status, created_at)
      values (${id}, ${delivery.event_id as string}, ${delivery.agency_id as string}, ${delivery.payment_id as string},
              ${delivery.event_type as string}, ${agency?.webhook_url ?? delivery.url}, ${attempt}, 'pending', ${now})
      returning *`;
    await boss.send(WEBHOOK_QUEUE, { deliveryId: id }, { db: inTransaction(tx) });
    return row!;
  });

/** The agency's webhook delivery log, manual redelivery, and signing-secret rotation. */
export const webhookRoutes = (deps: ApiDeps) => {
  const app = new Hono<{ Variables: IdempotencyVariables }>();

  app.get("/webhook-deliveries", async (c) => {
    const agencyId = c.get("agency").id;
    const { payment_id, event_type, status } = c.req.query();
    if (status !== undefined && !STATUSES.has(status)) {
      throw new ApiError("invalid_field", "status must be pending, delivered, failed or dead", "status");
    }
    const rows = await deps.sql`
      select * from webhook_deliveries where agency_id = ${agencyId}
        ${payment_id ? deps.sql`and payment_id = ${payment_id}` : deps.sql``}
        ${event_type ? deps.sql`and event_type = ${event_type}` : deps.sql``}
        ${status ? deps.sql`and status = ${status}` : deps.sql``}
      order by created_at desc, attempt desc limit 500`;
    return c.json({ deliveries: rows.map(renderDelivery) });
  });

  app.post("/webhook-deliveries/:id/redeliver", async (c) => {
    const [delivery] = await deps.sql`select * from webhook_deliveries
                                      where id = ${c.req.param("id")} and agency_id = ${c.get("agency").id}`;
    if (!delivery)
      throw new ApiError("delivery_not_found", "No webhook delivery with this id belongs to your agency");
    return c.json(renderDelivery(await redeliver(deps.sql, deps.boss, delivery, deps.now())), 202);
  });

  app.post("/webhook-secret/rotate", async (c) => {
    const body = decode(RotateWebhookSecretRequest, await readJson((await c.req.text()) || "{}"));
    const overlap = body.overlap_seconds ?? 86_400;
    const secret = newSecret(32);
    const until = new Date(deps.now().getTime() + overlap * 1000);
    await deps.sql`update agencies set webhook_secret_previous = webhook_secret, webhook_secret_previous_until = ${until},
                     webhook_secret = ${secret}, updated_at = now()
                   where id = ${c.get("agency").id}`;
    // Shown once: PayGov keeps it only to sign, and never shows it again.
    return c.json({ secret, previous_secret_valid_until: until.toISOString() }, 201);
  });

  return app;
};
