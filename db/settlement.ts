import type { TransactionSql } from "postgres";
import type { CreditAdvice, DocumentResult, TreasuryDocument } from "../connectors/treasury/protocol.ts";
import type { AdjustmentEntry, LineShare, SettlementEntry, Statement } from "../domain/settlement.ts";
import type { Db } from "./client.ts";

type Sql = Db | TransactionSql;
type Row = Record<string, unknown>;

export type SettlementStatus = "running" | "completed" | "sent" | "confirmed";

/** A settlement run as the ledger holds it. */
export interface SettlementRecord {
  readonly id: string;
  readonly businessDate: string;
  readonly workflowId: string;
  readonly status: SettlementStatus;
  readonly statement: Statement | null;
  readonly total: number | null;
  readonly paymentCount: number | null;
  readonly createdAt: Date;
  readonly completedAt: Date | null;
  readonly sentAt: Date | null;
  readonly confirmedAt: Date | null;
}

/** A treasury payment document of a settlement, with what the treasury said about it. */
export interface TreasuryDocumentRecord {
  readonly id: string;
  readonly settlementId: string;
  readonly seq: number;
  readonly referenceNo: string;
  readonly agencyId: string;
  readonly treasury: string;
  readonly account: string;
  readonly amount: number;
  readonly document: TreasuryDocument;
  readonly status: "prepared" | "accepted" | "confirmed" | "mismatch";
  readonly treasuryReceiptNo: string | null;
  readonly lastRefusal: string | null;
  readonly acceptedAt: Date | null;
  readonly adviceNo: string | null;
  readonly adviceAmount: number | null;
  readonly adviceValueDate: string | null;
  readonly confirmedAt: Date | null;
  /** How an operator settled a credit advice for another amount. */
  readonly resolution: {
    readonly resolution: TreasuryResolution;
    readonly note: string;
    readonly resolvedBy: string;
    readonly resolvedAt: Date;
  } | null;
}

export const TREASURY_RESOLUTIONS = ["corrected_at_treasury", "difference_accepted"] as const;
export type TreasuryResolution = (typeof TREASURY_RESOLUTIONS)[number];

// `date` columns come back as Date at UTC midnight of that calendar date: read them as text instead.
const toSettlement = (r: Row): SettlementRecord => ({
  id: r.id as string,
  businessDate: r.business_date as string,
  workflowId: r.workflow_id as string,
  status: r.status as SettlementStatus,
  statement: (r.statement as Statement | null) ?? null,
  total: (r.total as number | null) ?? null,
  paymentCount: (r.payment_count as number | null) ?? null,
  createdAt: r.created_at as Date,
  completedAt: (r.completed_at as Date | null) ?? null,
  sentAt: (r.sent_at as Date | null) ?? null,
  confirmedAt: (r.confirmed_at as Date | null) ?? null,
});

const toDocument = (r: Row): TreasuryDocumentRecord => ({
  id: r.id as string,
  settlementId: r.settlement_id as string,
  seq: r.seq as number,
  referenceNo: r.reference_no as string,
  agencyId: r.agency_id as string,
  treasury: r.treasury as string,
  account: r.account as string,
  amount: r.amount as number,
  document: r.document as TreasuryDocument,
  status: r.status as TreasuryDocumentRecord["status"],
  treasuryReceiptNo: (r.treasury_receipt_no as string | null) ?? null,
  lastRefusal: (r.last_refusal as string | null) ?? null,
  acceptedAt: (r.accepted_at as Date | null) ?? null,
  adviceNo: (r.advice_no as string | null) ?? null,
  adviceAmount: (r.advice_amount as number | null) ?? null,
  adviceValueDate: (r.advice_value_date as string | null) ?? null,
  confirmedAt: (r.confirmed_at as Date | null) ?? null,
  resolution:
    r.resolution === null || r.resolution === undefined
      ? null
      : {
          resolution: r.resolution as TreasuryResolution,
          note: r.resolution_note as string,
          resolvedBy: r.resolved_by as string,
          resolvedAt: r.resolved_at as Date,
        },
});

const SETTLEMENT_COLUMNS = (sql: Sql) =>
  sql`id, business_date::text as business_date, workflow_id, status, statement, total, payment_count, created_at,
      completed_at, sent_at, confirmed_at`;

/** Records a run as started; a retried write finds the row and changes nothing. */
export const insertSettlement = async (
  sql: Sql,
  s: { id: string; businessDate: string; workflowId: string; createdAt: Date },
): Promise<void> => {
  await sql`insert into settlements (id, business_date, workflow_id, status, created_at)
            values (${s.id}, ${s.businessDate}, ${s.workflowId}, 'running', ${s.createdAt})
            on conflict (id) do nothing`;
};

export const findSettlement = async (sql: Sql, id: string): Promise<SettlementRecord | null> => {
  const [row] = await sql`select ${SETTLEMENT_COLUMNS(sql)} from settlements where id = ${id}`;
  return row ? toSettlement(row) : null;
};

/** Runs, newest first, of one business date or of all. */
export const listSettlements = async (
  sql: Sql,
  filter: { businessDate?: string; limit: number },
): Promise<SettlementRecord[]> =>
  (
    await sql`select ${SETTLEMENT_COLUMNS(sql)} from settlements
              where true ${filter.businessDate ? sql`and business_date = ${filter.businessDate}` : sql``}
              order by business_date desc, created_at desc limit ${filter.limit}`
  ).map(toSettlement);

/** One settlement at a time computes: two runs can never take the same payment or refund. */
export const lockSettlements = async (tx: TransactionSql): Promise<void> => {
  await tx`select pg_advisory_xact_lock(hashtext('paygov.settlement'))`;
};

type EntryRow = Omit<SettlementEntry, "refundId" | "amount">;

const toEntryBase = (r: Row): EntryRow => ({
  paymentId: r.payment_id as string,
  lineIndex: r.line_index as number,
  agency: r.agency as string,
  treasury: r.treasury as string,
  account: r.account as string,
  chapter: r.chapter as string,
  sub_item: r.sub_item as string,
  area: r.area as string,
  revenue_authority: r.revenue_authority as string,
});

/**
 * The fee lines of the payments that succeeded before `until` and that no run has settled: the day's,
 * and any earlier one no run took (a success recorded after its day was settled, a day never run).
 */
export const unsettledPaymentLines = async (tx: TransactionSql, until: Date): Promise<SettlementEntry[]> =>
  (
    await tx`
      select p.id as payment_id, l.index as line_index, l.amount, a.code as agency, l.treasury, l.account,
             l.chapter, l.sub_item, l.area, l.revenue_authority
      from payments p
      join agencies a on a.id = p.agency_id
      join payment_lines l on l.payment_id = p.id
      where p.status = 'success' and p.settled_in is null and p.succeeded_at < ${until}
      order by p.succeeded_at, p.id, l.index`
  ).map((r) => ({ ...toEntryBase(r), refundId: null, amount: r.amount as number }));

/** A refund of the payment's own money that succeeded and whose split over the lines is not decided yet. */
export interface RefundToAllocate {
  readonly id: string;
  readonly paymentId: string;
  readonly amount: number;
  readonly lines: ReadonlyArray<LineShare> | null;
}

/**
 * Succeeded refunds of the payment's own money, of payments settled before or being settled now, whose
 * split is not decided yet; oldest success first. Refunds that do not count against the payment (a
 * duplicate's, a surplus's) return money that was never the agency's revenue: they never appear here.
 */
export const refundsToAllocate = async (
  tx: TransactionSql,
  settling: ReadonlyArray<string>,
): Promise<RefundToAllocate[]> =>
  (
    await tx`
      select r.id, r.payment_id, r.amount, r.lines from refunds r
      where r.status = 'success' and r.counts_against_payment
        and not exists (select 1 from refund_allocations x where x.refund_id = r.id)
        and (r.payment_id = any(${settling as string[]}::text[])
             or exists (select 1 from settlement_entries e where e.payment_id = r.payment_id and e.refund_id is null))
      order by r.concluded_at, r.created_at, r.id`
  ).map((r) => ({
    id: r.id as string,
    paymentId: r.payment_id as string,
    amount: r.amount as number,
    lines: (r.lines as LineShare[] | null) ?? null,
  }));

/** What each line of these payments has left after the refunds already split over it. */
export const linesLeft = async (tx: TransactionSql, paymentIds: ReadonlyArray<string>) => {
  const rows = await tx<{ payment_id: string; index: number; left: number }[]>`
    select l.payment_id, l.index,
           l.amount - coalesce((select sum(x.amount) from refund_allocations x
                                where x.payment_id = l.payment_id and x.line_index = l.index), 0)::bigint as left
    from payment_lines l where l.payment_id = any(${paymentIds as string[]}::text[])
    order by l.payment_id, l.index`;
  const left = new Map<string, LineShare[]>();
  for (const r of rows) {
    const lines = left.get(r.payment_id) ?? [];
    lines.push({ index: r.index, amount: Number(r.left) });
    left.set(r.payment_id, lines);
  }
  return left;
};

export const insertAllocations = async (
  tx: TransactionSql,
  refund: RefundToAllocate,
  shares: ReadonlyArray<LineShare>,
): Promise<void> => {
  if (shares.length === 0) return;
  await tx`insert into refund_allocations ${tx(
    shares.map((s) => ({
      refund_id: refund.id,
      payment_id: refund.paymentId,
      line_index: s.index,
      amount: s.amount,
    })),
  )}`;
};

/** The refunds' shares of the lines of these payments (being settled now), as negative entries. */
export const allocatedEntries = async (
  tx: TransactionSql,
  paymentIds: ReadonlyArray<string>,
): Promise<SettlementEntry[]> =>
  (
    await tx`
      select x.refund_id, x.payment_id, x.line_index, x.amount, a.code as agency, l.treasury, l.account,
             l.chapter, l.sub_item, l.area, l.revenue_authority
      from refund_allocations x
      join refunds r on r.id = x.refund_id
      join payment_lines l on l.payment_id = x.payment_id and l.index = x.line_index
      join payments p on p.id = x.payment_id
      join agencies a on a.id = p.agency_id
      where x.payment_id = any(${paymentIds as string[]}::text[])
      order by r.concluded_at, r.created_at, x.refund_id, x.line_index`
  ).map((r) => ({ ...toEntryBase(r), refundId: r.refund_id as string, amount: -(r.amount as number) }));

/** Refunds' shares of lines an earlier run settled, not yet taken by any run: oldest success first. */
export const waitingAdjustments = async (tx: TransactionSql): Promise<AdjustmentEntry[]> =>
  (
    await tx`
      select x.refund_id, x.payment_id, x.line_index, x.amount, s.settlement_id as settled_in, a.code as agency,
             l.treasury, l.account, l.chapter, l.sub_item, l.area, l.revenue_authority
      from refund_allocations x
      join refunds r on r.id = x.refund_id
      join settlement_entries s on s.payment_id = x.payment_id and s.line_index = x.line_index and s.refund_id is null
      join payment_lines l on l.payment_id = x.payment_id and l.index = x.line_index
      join payments p on p.id = x.payment_id
      join agencies a on a.id = p.agency_id
      where not exists (select 1 from settlement_entries e where e.refund_id = x.refund_id and e.line_index = x.line_index)
      order by r.concluded_at, r.created_at, x.refund_id, x.line_index`
  ).map((r) => ({
    ...toEntryBase(r),
    refundId: r.refund_id as string,
    settledIn: r.settled_in as string,
    amount: -(r.amount as number),
  }));

// Each insert stays well under PostgreSQL's 65 535 parameters.
const CHUNK = 2_000;

/** Records what a run took; the unique indexes refuse anything a run already took. */
export const insertEntries = async (
  tx: TransactionSql,
  settlementId: string,
  entries: ReadonlyArray<SettlementEntry>,
): Promise<void> => {
  for (let i = 0; i < entries.length; i += CHUNK) {
    await tx`insert into settlement_entries ${tx(
      entries.slice(i, i + CHUNK).map((e) => ({
        settlement_id: settlementId,
        payment_id: e.paymentId,
        line_index: e.lineIndex,
        refund_id: e.refundId,
        amount: e.amount,
      })),
    )}`;
  }
};

/** The payer side of the documents: each agency's identity, by agency code. */
export const agencyIdentities = async (tx: TransactionSql, codes: ReadonlyArray<string>) =>
  new Map(
    (
      await tx`select id, code, name, tax_id, dvqhns_code, address from agencies
               where code = any(${codes as string[]}::text[])`
    ).map((r) => [
      r.code as string,
      {
        id: r.id as string,
        code: r.code as string,
        name: r.name as string,
        taxId: (r.tax_id as string | null) ?? null,
        dvqhnsCode: (r.dvqhns_code as string | null) ?? null,
        address: (r.address as string | null) ?? null,
      },
    ]),
  );

export const treasuryNames = async (tx: TransactionSql, codes: ReadonlyArray<string>) =>
  new Map(
    (await tx`select code, name from treasury_offices where code = any(${codes as string[]}::text[])`).map(
      (r) => [r.code as string, r.name as string],
    ),
  );

/** Freezes the statement and moves the run to `completed`, with its documents ready to send. */
export const completeSettlement = async (
  tx: TransactionSql,
  settlementId: string,
  statement: Statement,
  documents: ReadonlyArray<{ agencyId: string; document: TreasuryDocument; seq: number }>,
  now: Date,
): Promise<void> => {
  for (const d of documents) {
    await tx`insert into treasury_documents (id, settlement_id, seq, reference_no, agency_id, treasury, account,
                                             amount, document, status)
             values (${d.document.document_no}, ${settlementId}, ${d.seq}, ${d.document.reference_no}, ${d.agencyId},
                     ${d.document.treasury.code}, ${d.document.account.number}, ${d.document.total},
                     ${tx.json(d.document as never)}, 'prepared')`;
  }
  await tx`update payments set settled_in = ${settlementId}
           where id in (select payment_id from settlement_entries
                        where settlement_id = ${settlementId} and refund_id is null)`;
  await tx`update settlements set status = 'completed', statement = ${tx.json(statement as never)},
             total = ${statement.total}, payment_count = ${statement.payments}, completed_at = ${now}
           where id = ${settlementId}`;
};

export const listDocuments = async (sql: Sql, settlementId: string): Promise<TreasuryDocumentRecord[]> =>
  (
    await sql`select *, advice_value_date::text as advice_value_date from treasury_documents
              where settlement_id = ${settlementId} order by seq`
  ).map(toDocument);

/** Records the treasury's answer to a document: accepted (once), or why it refused it this time. */
export const recordDocumentResult = async (sql: Sql, result: DocumentResult, now: Date): Promise<void> => {
  if (result.status === "accepted") {
    await sql`update treasury_documents set status = 'accepted', treasury_receipt_no = ${result.receipt_no},
                accepted_at = ${now}, last_refusal = null
              where reference_no = ${result.reference_no} and status = 'prepared'`;
  } else {
    await sql`update treasury_documents set last_refusal = ${result.reason.slice(0, 500)}
              where reference_no = ${result.reference_no} and status = 'prepared'`;
  }
};

/** `sent` once the treasury accepted every document of the run. */
export const markSentIfAllAccepted = async (sql: Sql, settlementId: string, now: Date): Promise<boolean> => {
  const updated = await sql`
    update settlements set status = 'sent', sent_at = ${now}
    where id = ${settlementId} and status = 'completed'
      and not exists (select 1 from treasury_documents d where d.settlement_id = ${settlementId} and d.status = 'prepared')
    returning id`;
  return updated.length > 0;
};

/**
 * Records a credit advice against its document: `confirmed` when it credits exactly the document's
 * amount, `mismatch` otherwise (a discrepancy for operators: the run is not confirmed).
 */
export const recordCreditAdvice = async (sql: Sql, advice: CreditAdvice, now: Date): Promise<void> => {
  await sql`update treasury_documents
            set status = case when amount = ${advice.amount} then 'confirmed' else 'mismatch' end,
                advice_no = ${advice.advice_no}, advice_amount = ${advice.amount},
                advice_value_date = ${advice.value_date},
                confirmed_at = case when amount = ${advice.amount} then ${now}::timestamptz end
            where reference_no = ${advice.reference_no} and status = 'accepted'`;
};

/**
 * An operator's resolution of a credit advice for another amount: the document counts as confirmed,
 * the advice's own figures stay as the treasury sent them. False when the document was not waiting
 * for one (matched, resolved already, or unknown).
 */
export const resolveMismatch = async (
  sql: Sql,
  settlementId: string,
  referenceNo: string,
  r: { resolution: TreasuryResolution; note: string; resolvedBy: string; at: Date },
): Promise<boolean> => {
  const updated = await sql`update treasury_documents
    set status = 'confirmed', confirmed_at = ${r.at}, resolution = ${r.resolution}, resolution_note = ${r.note},
        resolved_by = ${r.resolvedBy}, resolved_at = ${r.at}
    where settlement_id = ${settlementId} and reference_no = ${referenceNo} and status = 'mismatch'`;
  return updated.count === 1;
};

/** `confirmed` once every document has a credit advice for its exact amount. */
export const markConfirmedIfAllCredited = async (
  sql: Sql,
  settlementId: string,
  now: Date,
): Promise<boolean> => {
  const updated = await sql`
    update settlements set status = 'confirmed', confirmed_at = ${now}
    where id = ${settlementId} and status = 'sent'
      and not exists (select 1 from treasury_documents d where d.settlement_id = ${settlementId}
                      and d.status <> 'confirmed')
    returning id`;
  return updated.length > 0;
};

/** The payments a run settled, in pages by id. */
export const settledPaymentIds = async (
  sql: Sql,
  settlementId: string,
  after: string | null,
  limit: number,
): Promise<string[]> =>
  (
    await sql<{ payment_id: string }[]>`
      select distinct payment_id from settlement_entries
      where settlement_id = ${settlementId} and refund_id is null
        ${after === null ? sql`` : sql`and payment_id > ${after}`}
      order by payment_id limit ${limit}`
  ).map((r) => r.payment_id);

/** What the treasury documents say about an agency beyond its name: its budget-unit code and address. */
export const setAgencySettlementIdentity = async (
  sql: Sql,
  agencyId: string,
  identity: { dvqhnsCode: string; address: string },
): Promise<void> => {
  await sql`update agencies set dvqhns_code = ${identity.dvqhnsCode}, address = ${identity.address}
            where id = ${agencyId}`;
};
