import type { TransactionSql } from "postgres";
import { renderInquiry } from "../domain/inquiry-record.ts";
import { type PaymentState, paymentState } from "../domain/payment-record.ts";
import { type LinkContext, renderPayment } from "../domain/payment-resource.ts";
import type { ReceiptSigner } from "../domain/receipt-signature.ts";
import { renderRefund } from "../domain/refund-record.ts";
import type { Db } from "./client.ts";
import { findInquiry } from "./inquiries.ts";
import { findPayment } from "./payments.ts";
import { findRefund } from "./refunds.ts";

export type Tx = TransactionSql;

/** Puts a job on the delivery queue inside the caller's transaction (the transactional outbox). */
export interface Outbox {
  enqueueWebhook(tx: Tx, job: { deliveryId: string }): Promise<void>;
}

/** Dependencies of every ledger write. */
export interface LedgerContext {
  readonly sql: Db;
  readonly outbox: Outbox;
  readonly links: LinkContext;
  readonly now: () => Date;
  /** Signs each e-receipt as the success that issues it is recorded. */
  readonly receiptSigner: ReceiptSigner;
}

export interface NewEvent {
  /** Deterministic: the same fact always carries the same id, so a retried write inserts nothing. */
  readonly id: string;
  readonly paymentId: string;
  readonly type: string;
  readonly data?: Record<string, unknown>;
  /** Refund and inquiry events carry their own resource in webhooks, not the payment. */
  readonly refundId?: string;
  readonly inquiryId?: string;
}

/** The resource an event is about, as it stands inside the event's transaction: portals get it in the webhook. */
const renderSubject = async (
  tx: Tx,
  event: NewEvent,
  ctx: LedgerContext,
  payment: () => unknown,
): Promise<unknown> => {
  if (event.refundId) {
    const refund = await findRefund(tx, event.refundId);
    if (refund) return renderRefund(refund, ctx.links);
  }
  if (event.inquiryId) {
    const inquiry = await findInquiry(tx, event.inquiryId);
    if (inquiry) return renderInquiry(inquiry, ctx.links);
  }
  return payment();
};

/**
 * Appends an event and applies its effect on the projection, exactly once: if the event id is already
 * in the log, nothing happens and false is returned. The resulting payment is snapshotted into the
 * event and, when the agency has a webhook URL, a delivery is queued in the same transaction.
 */
export const applyEvent = (
  ctx: LedgerContext,
  event: NewEvent,
  effect: (tx: Tx) => Promise<void>,
): Promise<boolean> =>
  ctx.sql.begin(async (tx) => {
    const now = ctx.now();
    const inserted = await tx`
      insert into payment_events (id, payment_id, type, created_at, state, data, refund_id, inquiry_id)
      values (${event.id}, ${event.paymentId}, ${event.type}, ${now}, '{}', ${tx.json((event.data ?? {}) as never)},
              ${event.refundId ?? null}, ${event.inquiryId ?? null})
      on conflict (id) do nothing
      returning id`;
    if (inserted.length === 0) return false;
    await effect(tx);
    await tx`update payments set updated_at = ${now}, version = version + 1 where id = ${event.paymentId}`;
    const payment = await findPayment(tx as unknown as Db, event.paymentId);
    if (payment === null) throw new Error(`payment ${event.paymentId} vanished inside its own transaction`);
    const state: PaymentState = paymentState(payment);
    const resource = await renderSubject(tx, event, ctx, () => renderPayment(payment, ctx.links));
    await tx`update payment_events set state = ${tx.json(state as never)}, resource = ${tx.json(resource as never)}
             where id = ${event.id}`;
    const [agency] = await tx`select webhook_url from agencies where id = ${payment.agencyId}`;
    if (agency?.webhook_url) {
      const deliveryId = `${event.id}#1`;
      await tx`insert into webhook_deliveries (id, event_id, agency_id, payment_id, event_type, url, attempt, status, created_at)
               values (${deliveryId}, ${event.id}, ${payment.agencyId}, ${payment.id}, ${event.type},
                       ${agency.webhook_url}, 1, 'pending', ${now})`;
      await ctx.outbox.enqueueWebhook(tx, { deliveryId });
    }
    return true;
  });
