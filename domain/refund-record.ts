import type { LinkContext } from "./payment-resource.ts";

/** A refund as the ledger holds it. */
export interface RefundRecord {
  readonly id: string;
  readonly paymentId: string;
  readonly attemptId: string;
  readonly amount: number;
  readonly reason: string;
  readonly countsAgainstPayment: boolean;
  readonly manual: boolean;
  readonly status: "submitted" | "success" | "error";
  readonly reference: string;
  readonly providerRefundId: string | null;
  readonly providerCode: string | null;
  readonly lines: ReadonlyArray<{ readonly index: number; readonly amount: number }> | null;
  readonly requestedBy: string;
  readonly createdAt: Date;
  readonly concludedAt: Date | null;
}

/** Reasons PayGov gives to refunds it makes by itself. */
export const AUTOMATIC_REFUND_REASONS = {
  duplicate_payment: "the payment was paid twice; the second payment is returned",
  late_payment: "the payment was paid after it had expired or been cancelled",
  overpayment: "the transfer was more than the amount due; the surplus is returned",
  underpayment: "the transfer was less than the amount due; it is returned",
} as const;

/** The refund resource of the portal API, in responses and webhooks. */
export const renderRefund = (r: RefundRecord, ctx: LinkContext) => ({
  refund_id: r.id,
  payment_id: r.paymentId,
  amount: r.amount,
  reason: r.reason,
  status: r.status,
  created_date: r.createdAt.toISOString(),
  ...(r.concludedAt ? { concluded_date: r.concludedAt.toISOString() } : {}),
  ...(r.lines ? { lines: r.lines.map((l) => ({ ...l })) } : {}),
  ...(r.manual ? { manual: true } : {}),
  ...(r.countsAgainstPayment ? {} : { counts_against_payment: false }),
  _links: {
    self: { href: `${ctx.publicUrl}/v1/payments/${r.paymentId}/refunds/${r.id}`, method: "GET" },
    payment: { href: `${ctx.publicUrl}/v1/payments/${r.paymentId}`, method: "GET" },
  },
});
export type RefundResource = ReturnType<typeof renderRefund>;
