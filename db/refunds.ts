import type { TransactionSql } from "postgres";
import type { RefundRecord } from "../domain/refund-record.ts";
import type { Db } from "./client.ts";

type Row = Record<string, unknown>;

const toRefund = (r: Row): RefundRecord => ({
  id: r.id as string,
  paymentId: r.payment_id as string,
  attemptId: r.attempt_id as string,
  amount: r.amount as number,
  reason: r.reason as string,
  countsAgainstPayment: r.counts_against_payment as boolean,
  manual: r.manual as boolean,
  status: r.status as RefundRecord["status"],
  reference: r.reference as string,
  providerRefundId: (r.provider_refund_id as string | null) ?? null,
  providerCode: (r.provider_code as string | null) ?? null,
  lines: (r.lines as RefundRecord["lines"]) ?? null,
  requestedBy: r.requested_by as string,
  createdAt: r.created_at as Date,
  concludedAt: (r.concluded_at as Date | null) ?? null,
});

export const findRefund = async (sql: Db | TransactionSql, id: string): Promise<RefundRecord | null> => {
  const [row] = await sql`select * from refunds where id = ${id}`;
  return row ? toRefund(row) : null;
};

export const listRefunds = async (sql: Db, paymentId: string): Promise<RefundRecord[]> =>
  (await sql`select * from refunds where payment_id = ${paymentId} order by created_at, id`).map(toRefund);

/** Money of the payment already on its way back: submitted or succeeded refunds that count against it. */
export const refundedAmounts = async (
  sql: Db | TransactionSql,
  ids: ReadonlyArray<string>,
): Promise<Map<string, number>> => {
  const rows = await sql<{ payment_id: string; total: number }[]>`
    select payment_id, coalesce(sum(amount), 0)::bigint as total from refunds
    where payment_id = any(${ids as string[]}::text[]) and counts_against_payment and status <> 'error'
    group by payment_id`;
  return new Map(rows.map((r) => [r.payment_id, Number(r.total)]));
};
