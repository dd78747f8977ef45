import type { TransactionSql } from "postgres";
import type { InquiryRecord } from "../domain/inquiry-record.ts";
import type { Db } from "./client.ts";

const toInquiry = (r: Record<string, unknown>): InquiryRecord => ({
  id: r.id as string,
  paymentId: r.payment_id as string,
  agencyId: r.agency_id as string,
  reason: r.reason as InquiryRecord["reason"],
  note: (r.note as string | null) ?? null,
  status: r.status as InquiryRecord["status"],
  resolution: (r.resolution as string | null) ?? null,
  resolutionNote: (r.resolution_note as string | null) ?? null,
  resolvedBy: (r.resolved_by as string | null) ?? null,
  slaDueAt: r.sla_due_at as Date,
  createdAt: r.created_at as Date,
  resolvedAt: (r.resolved_at as Date | null) ?? null,
});

export const findInquiry = async (sql: Db | TransactionSql, id: string): Promise<InquiryRecord | null> => {
  const [row] = await sql`select * from inquiries where id = ${id}`;
  return row ? toInquiry(row) : null;
};

export const listInquiries = async (
  sql: Db,
  filter: { paymentId?: string; status?: string },
): Promise<InquiryRecord[]> =>
  (
    await sql`select * from inquiries where true
      ${filter.paymentId ? sql`and payment_id = ${filter.paymentId}` : sql``}
      ${filter.status ? sql`and status = ${filter.status}` : sql``}
      order by created_at desc limit 500`
  ).map(toInquiry);
