import type { PgBoss } from "pg-boss";
import type { Db } from "../db/client.ts";
import { SIGNATURE_HEADER, signWebhook } from "../domain/webhook-signature.ts";
import { inTransaction, WEBHOOK_QUEUE } from "./queue.ts";

/** GOV.UK Pay's schedule: after a failed try, wait 1 min, 5 min, 1 h, 1 day, 2 days; then give up. */
export const DEFAULT_RETRY_SCHEDULE_MS = [60_000, 300_000, 3_600_000, 86_400_000, 172_800_000];

export interface DeliveryContext {
  readonly sql: Db;
  readonly boss: PgBoss;
  readonly fetch: typeof globalThis.fetch;
  readonly now: () => Date;
  readonly retryScheduleMs: ReadonlyArray<number>;
  readonly timeoutMs: number;
}

/** The JSON body portals receive; identical on every try, so its event id deduplicates. */
export const webhookBody = (event: {
  id: string;
  type: string;
  created_at: Date;
  resource: unknown;
}): string =>
  JSON.stringify({
    id: event.id,
    type: event.type,
    // payment.*, refund.*, inquiry.*: what `resource` is.
    resource_type: event.type.split(".")[0],
    created_date: event.created_at.toISOString(),
    resource: event.resource,
  });

const secretsOf = (agency: Record<string, unknown>, now: Date): string[] => {
  const current = (agency.webhook_secret as string | null) ?? "";
  const previous = agency.webhook_secret_previous as string | null;
  const until = agency.webhook_secret_previous_until as Date | null;
  return previous && until && until > now ? [current, previous] : [current];
};

/**
 * Makes one try of one delivery: POST the signed event; on anything but 2xx, record why and queue the
 * next try by the schedule, or mark the delivery dead when the schedule is spent.
 */
export const deliverWebhook = async (ctx: DeliveryContext, deliveryId: string): Promise<void> => {
  const [delivery] = await ctx.sql`
    select d.*, e.type, e.created_at as event_created_at, e.resource, a.webhook_secret,
           a.webhook_secret_previous, a.webhook_secret_previous_until
    from webhook_deliveries d
    join payment_events e on e.id = d.event_id
    join agencies a on a.id = d.agency_id
    where d.id = ${deliveryId}`;
  // Already tried (a job redelivered after a crash): the outcome is on record, do not send twice.
  if (delivery?.status !== "pending") return;

  const body = webhookBody({
    id: delivery.event_id,
    type: delivery.type,
    created_at: delivery.event_created_at,
    resource: delivery.resource,
  });
  const timestamp = Math.floor(ctx.now().getTime() / 1000);
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const response = await ctx.fetch(delivery.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "PayGov-Webhooks/1",
        [SIGNATURE_HEADER]: signWebhook(secretsOf(delivery, ctx.now()), body, timestamp),
      },
      body,
      signal: AbortSignal.timeout(ctx.timeoutMs),
      redirect: "manual",
    });
    statusCode = response.status;
    await response.body?.cancel();
    if (response.status < 200 || response.status > 299) error = `HTTP ${response.status}`;
  } catch (err) {
    error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }

  if (error === null) {
    await ctx.sql`update webhook_deliveries set status = 'delivered', status_code = ${statusCode}
                  where id = ${deliveryId}`;
    return;
  }
  const attempt = delivery.attempt as number;
  const delay = ctx.retryScheduleMs[attempt - 1];
  if (delay === undefined) {
    await ctx.sql`update webhook_deliveries set status = 'dead', status_code = ${statusCode}, error = ${error}
                  where id = ${deliveryId}`;
    return;
  }
  const nextId = `${delivery.event_id}#${attempt + 1}`;
  const nextAt = new Date(ctx.now().getTime() + delay);
  await ctx.sql.begin(async (tx) => {
    await tx`update webhook_deliveries set status = 'failed', status_code = ${statusCode}, error = ${error},
               next_retry_at = ${nextAt}
             where id = ${deliveryId}`;
    const inserted = await tx`
      insert into webhook_deliveries (id, event_id, agency_id, payment_id, event_type, url, attempt, status, created_at)
      values (${nextId}, ${delivery.event_id}, ${delivery.agency_id}, ${delivery.payment_id}, ${delivery.event_type},
              ${delivery.url}, ${attempt + 1}, 'pending', ${nextAt})
      on conflict (event_id, attempt) do nothing
      returning id`;
    if (inserted.length > 0) {
      await ctx.boss.send(
        WEBHOOK_QUEUE,
        { deliveryId: nextId },
        { startAfter: nextAt, db: inTransaction(tx) },
      );
    }
  });
};
