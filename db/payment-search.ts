import type { PaymentRecord } from "../domain/payment-record.ts";
import type { Db } from "./client.ts";
import { findPayments } from "./payments.ts";

const STATUSES = new Set(["created", "started", "success", "failed", "expired", "cancelled", "error"]);
const MAX_PAGE = 500;

export type SearchResult =
  | { ok: true; payments: PaymentRecord[]; nextCursor: string | null; nextQuery: string }
  | { ok: false; error: { field: string; description: string } };

const encodeCursor = (p: PaymentRecord) =>
  Buffer.from(`${p.createdAt.toISOString()}|${p.id}`, "utf8").toString("base64url");

const decodeCursor = (cursor: string): { at: Date; id: string } | null => {
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const date = new Date(at ?? "");
  return id && !Number.isNaN(date.getTime()) ? { at: date, id } : null;
};

const date = (raw: string | undefined) => (raw === undefined ? undefined : new Date(raw));

/**
 * An agency's payments, newest first, filtered by reference, state and creation dates, in pages
 * of `page_size` (at most 500) with an opaque cursor that stays stable while new payments arrive.
 */
export const listPayments = async (
  sql: Db,
  agencyId: string,
  query: Record<string, string | undefined>,
): Promise<SearchResult> => {
  const pageSize = query.page_size === undefined ? 100 : Number(query.page_size);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE) {
    return { ok: false, error: { field: "page_size", description: `page_size must be 1 to ${MAX_PAGE}` } };
  }
  if (query.state !== undefined && !STATUSES.has(query.state)) {
    return { ok: false, error: { field: "state", description: `Unknown state "${query.state}"` } };
  }
  const from = date(query.from_date);
  const to = date(query.to_date);
  for (const [field, d] of [
    ["from_date", from],
    ["to_date", to],
  ] as const) {
    if (d !== undefined && Number.isNaN(d.getTime())) {
      return { ok: false, error: { field, description: `${field} must be an ISO-8601 date-time` } };
    }
  }
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (cursor === null)
    return { ok: false, error: { field: "cursor", description: "The cursor is not valid" } };

  const rows = await sql<{ id: string }[]>`
    select id from payments
    where agency_id = ${agencyId}
      ${query.reference !== undefined ? sql`and reference = ${query.reference}` : sql``}
      ${query.state !== undefined ? sql`and status = ${query.state}` : sql``}
      ${from !== undefined ? sql`and created_at >= ${from}` : sql``}
      ${to !== undefined ? sql`and created_at < ${to}` : sql``}
      ${cursor !== undefined ? sql`and (created_at, id) < (${cursor.at}, ${cursor.id})` : sql``}
    order by created_at desc, id desc
    limit ${pageSize + 1}`;
  const payments = await findPayments(
    sql,
    rows.slice(0, pageSize).map((r) => r.id),
  );
  const last = payments[payments.length - 1];
  const nextCursor = rows.length > pageSize && last ? encodeCursor(last) : null;
  const params = new URLSearchParams(
    Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== "cursor"),
  );
  if (nextCursor) params.set("cursor", nextCursor);
  return { ok: true, payments, nextCursor, nextQuery: params.toString() };
};
