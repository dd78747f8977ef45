/**
 * The reconciliation ledger: runs, the staged D lines of their files, and what did not match. The
 * matching itself is one SQL statement over the staged lines and the ledger (matchRun), so a file of
 * a million lines is matched where the data is, not row by row in the worker.
 */
import type { TransactionSql } from "postgres";
import type { MatchStatus, ResultLine } from "../domain/recon-result-file.ts";
import type { Db } from "./client.ts";

export type RunStatus = "running" | "completed" | "rejected";
export type RunTrigger = "schedule" | "operator";

/** The counts of one run; `rows` is the file's D lines, the other six classify them (and the ledger). */
export interface RunTotals {
  readonly rows: number;
  readonly matched: number;
  readonly missing_at_paygov: number;
  readonly missing_at_intermediary: number;
  readonly amount_mismatch: number;
  readonly status_mismatch: number;
  readonly duplicate: number;
}

export interface RunRecord {
  readonly id: string;
  readonly connector: string;
  readonly businessDate: string;
  readonly trigger: RunTrigger;
  readonly status: RunStatus;
  readonly merchantId: string | null;
  readonly fileSha256: string | null;
  readonly importedAt: Date | null;
  readonly sameAs: string | null;
  readonly matchedAt: Date | null;
  readonly totals: RunTotals | null;
  readonly rejection: { readonly line: number; readonly reason: string } | null;
  /** Discrepancies not yet resolved, by an inquiry or by an operator. */
  readonly open: { readonly inquiry: number; readonly operator: number };
  readonly createdAt: Date;
  readonly completedAt: Date | null;
}

export interface DiscrepancyRecord {
  readonly seq: number;
  readonly line: number | null;
  readonly kind: Exclude<MatchStatus, "MATCHED">;
  readonly txnType: string;
  readonly merchantRef: string;
  readonly providerTxnId: string;
  readonly statusIntermediary: string | null;
  readonly statusPaygov: string | null;
  readonly paymentId: string | null;
  readonly amountPaygov: number | null;
  readonly amountIntermediary: number | null;
  readonly inquiryId: string | null;
  readonly state: DiscrepancyState;
  /** The inquiry's outcome, or the operator's resolution, once there is one. */
  readonly resolution: string | null;
  readonly resolutionNote: string | null;
  readonly resolvedBy: string | null;
  readonly resolvedAt: Date | null;
}

/**
 * Where a discrepancy stands: an inquiry asks the intermediary (inquiry_open), an operator must look at
 * it (awaiting_operator), or one of them has settled it (resolved).
 */
export type DiscrepancyState = "inquiry_open" | "awaiting_operator" | "resolved";
export const DISCREPANCY_STATES: readonly DiscrepancyState[] = [
  "inquiry_open",
  "awaiting_operator",
  "resolved",
];

/** What an operator may record on a discrepancy no inquiry settles. */
export const OPERATOR_RESOLUTIONS = [
  "intermediary_corrected",
  "settled_outside",
  "refunded_to_payer",
  "written_off",
] as const;
export type OperatorResolution = (typeof OPERATOR_RESOLUTIONS)[number];

type Row = Record<string, unknown>;
type Sql = Db | TransactionSql;

const RUN_COLUMNS = (sql: Sql) =>
  sql`id, connector, to_char(business_date, 'YYYY-MM-DD') as business_date, trigger, status, merchant_id,
      file_sha256, imported_at, same_as, matched_at, rows, matched, missing_at_paygov, missing_at_intermediary,
      amount_mismatch, status_mismatch, duplicate, rejection_line, rejection_reason, created_at, completed_at,
      (select json_build_object('inquiry', count(*) filter (where ${STATE(sql)} = 'inquiry_open'),
                                'operator', count(*) filter (where ${STATE(sql)} = 'awaiting_operator'))
         from reconciliation_discrepancies d left join inquiries i on i.id = d.inquiry_id
        where d.run_id = coalesce(reconciliation_runs.same_as, reconciliation_runs.id)) as open`;

const STATE = (sql: Sql) =>
  sql`case when d.resolution is not null or i.status = 'resolved' then 'resolved'
           when d.needs_inquiry or d.inquiry_id is not null then 'inquiry_open'
           else 'awaiting_operator' end`;

const toRun = (r: Row): RunRecord => ({
  id: r.id as string,
  connector: r.connector as string,
  businessDate: r.business_date as string,
  trigger: r.trigger as RunTrigger,
  status: r.status as RunStatus,
  merchantId: (r.merchant_id as string | null) ?? null,
  fileSha256: (r.file_sha256 as string | null) ?? null,
  importedAt: (r.imported_at as Date | null) ?? null,
  sameAs: (r.same_as as string | null) ?? null,
  matchedAt: (r.matched_at as Date | null) ?? null,
  totals:
    r.matched === null
      ? null
      : {
          rows: r.rows as number,
          matched: r.matched as number,
          missing_at_paygov: r.missing_at_paygov as number,
          missing_at_intermediary: r.missing_at_intermediary as number,
          amount_mismatch: r.amount_mismatch as number,
          status_mismatch: r.status_mismatch as number,
          duplicate: r.duplicate as number,
        },
  rejection:
    r.rejection_line === null
      ? null
      : { line: r.rejection_line as number, reason: r.rejection_reason as string },
  open: r.open as RunRecord["open"],
  createdAt: r.created_at as Date,
  completedAt: (r.completed_at as Date | null) ?? null,
});

/** Records a run as running; a retried call finds the row it wrote. */
export const insertRun = async (
  sql: Sql,
  run: { id: string; connector: string; businessDate: string; trigger: RunTrigger; createdAt: Date },
): Promise<void> => {
  await sql`insert into reconciliation_runs (id, connector, business_date, trigger, status, created_at)
            values (${run.id}, ${run.connector}, ${run.businessDate}, ${run.trigger}, 'running', ${run.createdAt})
            on conflict (id) do nothing`;
};

export const findRun = async (sql: Sql, id: string): Promise<RunRecord | null> => {
  const [row] = await sql`select ${RUN_COLUMNS(sql)} from reconciliation_runs where id = ${id}`;
  return row ? toRun(row) : null;
};

/** Runs newest first, optionally of one connector and/or one day. */
export const listRuns = async (
  sql: Sql,
  filter: { connector?: string; businessDate?: string; limit?: number },
): Promise<RunRecord[]> =>
  (
    await sql`select ${RUN_COLUMNS(sql)} from reconciliation_runs where true
      ${filter.connector ? sql`and connector = ${filter.connector}` : sql``}
      ${filter.businessDate ? sql`and business_date = ${filter.businessDate}` : sql``}
      order by created_at desc, id desc limit ${filter.limit ?? 200}`
  ).map(toRun);

/** The run refused its file: nothing of it stays (the import rolled back), only the reason. */
export const recordRejected = async (
  sql: Sql,
  id: string,
  rejection: { line: number; reason: string },
  at: Date,
): Promise<void> => {
  await sql`update reconciliation_runs
            set status = 'rejected', rejection_line = ${rejection.line}, rejection_reason = ${rejection.reason.slice(0, 1000)},
                completed_at = ${at}
            where id = ${id} and status = 'running'`;
};

/** The file is imported and matched (or found to be one already matched): the run is complete. */
export const completeRun = async (sql: Sql, id: string, at: Date): Promise<void> => {
  await sql`update reconciliation_runs set status = 'completed', completed_at = ${at}
            where id = ${id} and status = 'running'`;
};

/**
 * The earlier run of the same day whose file had these D lines: matching it again would find the same
 * (with discrepancies since resolved showing as matched), so the re-run reports that run's result.
 */
export const completedRunWithFile = async (
  sql: Sql,
  run: { id: string; connector: string; businessDate: string },
  sha256: string,
): Promise<string | null> => {
  const [row] = await sql`select id from reconciliation_runs
    where connector = ${run.connector} and business_date = ${run.businessDate} and file_sha256 = ${sha256}
      and status = 'completed' and same_as is null and id <> ${run.id}
    order by created_at limit 1`;
  return (row?.id as string | undefined) ?? null;
};

/** A re-run that fetched the same file takes the earlier run's header, digest and totals. */
export const recordSameFile = async (sql: Sql, id: string, sameAs: string): Promise<void> => {
  await sql`update reconciliation_runs r
            set same_as = e.id, merchant_id = e.merchant_id, file_sha256 = e.file_sha256, imported_at = now(),
                matched_at = now(), rows = e.rows, matched = e.matched, missing_at_paygov = e.missing_at_paygov,
                missing_at_intermediary = e.missing_at_intermediary, amount_mismatch = e.amount_mismatch,
                status_mismatch = e.status_mismatch, duplicate = e.duplicate
            from reconciliation_runs e
            where r.id = ${id} and e.id = ${sameAs} and r.imported_at is null`;
};

/**
 * Matches a run's staged D lines against the ledger, in one transaction, once (a retry returns the
 * totals already recorded):
 *
 * - a line names an attempt of this connector by its reference (the connector's reading of
 *   merchant_ref), else by the payment's code, else by provider_txn_id; a REFUND or REVERSAL line names
 *   a refund by its reference or provider_refund_id, else a refund of that amount of the attempt its
 *   original_provider_txn_id names (a counter's reversal, a refund made in the intermediary's portal);
 * - every line after the first with the same provider_txn_id is DUPLICATE;
 * - nothing named: MISSING_AT_PAYGOV; another amount: AMOUNT_MISMATCH; SUCCESS (or REFUNDED) on one
 *   side only: STATUS_MISMATCH; otherwise MATCHED;
 * - a success, or a refund done, of this connector on that Vietnam day that no line names is
 *   MISSING_AT_INTERMEDIARY.
 *
 * A SUCCESS the ledger lacks is marked for an inquiry: asking the intermediary settles it.
 */
export const matchRun = async (sql: Db, runId: string): Promise<RunTotals> =>
  sql.begin(async (tx) => {
    const [run] = await tx`select connector, to_char(business_date, 'YYYY-MM-DD') as day, rows, matched_at
                           from reconciliation_runs where id = ${runId} for update`;
    if (!run) throw new Error(`reconciliation run ${runId} is not in the ledger`);
    if (run.matched_at !== null) return (await findRun(tx, runId))!.totals!;
    const connector = run.connector as string;
    const day = run.day as string;
    // PayGov successes after the file's last line (its T line is line rows + 2).
    const afterTrailer = (run.rows as number) + 2;
    // One pass over a million lines: hash joins and sorts in memory rather than in temp files.
    await tx`set local work_mem = '64MB'`;
    const counts = await tx<{ kind: string; n: number }[]>`
      with lines as (
        select l.line, l.txn_type, l.merchant_ref, l.provider_txn_id, l.amount, l.status, l.attempt_reference,
               l.payment_code, l.original_provider_txn_id, row_number() over (partition by l.provider_txn_id order by l.line) as occurrence
        from reconciliation_lines l where l.run_id = ${runId}
      ),
      attempts as not materialized (
        select id, payment_id, reference, provider_txn_id, status, coalesce(received_amount, amount) as amount
        from payment_attempts where connector = ${connector}
      ),
      by_reference as (
        select l.*, a.id as attempt_id, a.payment_id, a.status as status_paygov, a.amount as amount_paygov
        from lines l left join attempts a on l.txn_type = 'PAYMENT' and a.reference = l.attempt_reference
      ),
      -- The few lines their reference does not name: by payment code, then by transaction id; refunds.
      by_fallback as (
        select u.line, coalesce(by_code.id, by_txn.id) as attempt_id, by_refund.id as refund_id,
          coalesce(by_code.payment_id, by_txn.payment_id, by_refund.payment_id) as payment_id,
          coalesce(by_code.status, by_txn.status, by_refund.status) as status_paygov,
          coalesce(by_code.amount, by_txn.amount, by_refund.amount) as amount_paygov
        from by_reference u
        left join lateral (
          select a.* from payments p join attempts a on a.payment_id = p.id
          where u.txn_type = 'PAYMENT' and p.payment_code = u.payment_code
          order by a.provider_txn_id = u.provider_txn_id desc nulls last, a.status = 'succeeded' desc, a.id desc
          limit 1
        ) by_code on true
        left join lateral (
          select a.* from attempts a
          where u.txn_type = 'PAYMENT' and by_code.id is null and a.provider_txn_id = u.provider_txn_id
          order by a.id limit 1
        ) by_txn on true
        left join lateral (
          select r.id, r.payment_id, r.status, r.amount from refunds r join attempts a on a.id = r.attempt_id
          where u.txn_type <> 'PAYMENT'
            and (r.reference = u.attempt_reference or r.provider_refund_id = u.provider_txn_id
                 or (a.provider_txn_id = u.original_provider_txn_id and r.amount = u.amount))
          order by r.reference = u.attempt_reference desc, r.provider_refund_id = u.provider_txn_id desc nulls last,
                   r.id
          limit 1
        ) by_refund on true
        where u.attempt_id is null
      ),
      resolved as (
        select r.line, r.occurrence, r.txn_type, r.merchant_ref, r.provider_txn_id, r.amount, r.status,
          coalesce(r.attempt_id, f.attempt_id) as attempt_id, f.refund_id,
          coalesce(r.payment_id, f.payment_id) as payment_id,
          coalesce(r.status_paygov, f.status_paygov) as status_paygov,
          coalesce(r.amount_paygov, f.amount_paygov) as amount_paygov
        from by_reference r left join by_fallback f on f.line = r.line
      ),
      kinds as (
        select r.*,
          case
            when r.occurrence > 1 then 'DUPLICATE'
            when r.attempt_id is null and r.refund_id is null then 'MISSING_AT_PAYGOV'
            when r.amount_paygov <> r.amount then 'AMOUNT_MISMATCH'
            when (r.status <> 'FAILED') <> (r.status_paygov in ('succeeded', 'success')) then 'STATUS_MISMATCH'
            else 'MATCHED'
          end as kind
        from resolved r
      ),
      day_successes as (
        select a.id, a.payment_id, a.reference, a.provider_txn_id, coalesce(a.received_amount, a.amount) as amount
        from payments p join payment_attempts a on a.id = p.paid_attempt_id
        where p.succeeded_at >= (${day}::date)::timestamp at time zone 'Asia/Ho_Chi_Minh'
          and p.succeeded_at < (${day}::date + 1)::timestamp at time zone 'Asia/Ho_Chi_Minh'
          and a.connector = ${connector} and a.status = 'succeeded'
        union all
        -- Duplicate and late successes (never the payment's paid attempt): recorded when concluded.
        select a.id, a.payment_id, a.reference, a.provider_txn_id, coalesce(a.received_amount, a.amount)
        from payment_attempts a join payments p on p.id = a.payment_id
        where a.connector = ${connector} and a.status = 'succeeded' and p.paid_attempt_id is distinct from a.id
          and a.concluded_at >= (${day}::date)::timestamp at time zone 'Asia/Ho_Chi_Minh'
          and a.concluded_at < (${day}::date + 1)::timestamp at time zone 'Asia/Ho_Chi_Minh'
      ),
      day_refunds as (
        select r.id, r.payment_id, r.reference, r.provider_refund_id, r.amount, r.reason, a.id as attempt_id
        from refunds r join payment_attempts a on a.id = r.attempt_id
        where a.connector = ${connector} and r.status = 'success'
          and r.concluded_at >= (${day}::date)::timestamp at time zone 'Asia/Ho_Chi_Minh'
          and r.concluded_at < (${day}::date + 1)::timestamp at time zone 'Asia/Ho_Chi_Minh'
      ),
      missing_unnumbered as (
        select 'PAYMENT' as txn_type, s.id as attempt_id, null::text as refund_id, s.payment_id, s.reference,
               s.provider_txn_id, s.amount, 'succeeded' as status_paygov
        from day_successes s
        where not exists (select 1 from kinds k where k.attempt_id = s.id and k.kind <> 'DUPLICATE')
        union all
        select case when r.reason = 'counter_reversal' then 'REVERSAL' else 'REFUND' end, r.attempt_id, r.id,
               r.payment_id, r.reference, r.provider_refund_id, r.amount, 'success'
        from day_refunds r
        where not exists (select 1 from kinds k where k.refund_id = r.id and k.kind <> 'DUPLICATE')
      ),
      missing as (
        select m.*, row_number() over (order by m.txn_type, coalesce(m.refund_id, m.attempt_id)) as n
        from missing_unnumbered m
      ),
      listed as (
        insert into reconciliation_discrepancies (run_id, seq, line, kind, txn_type, merchant_ref, provider_txn_id,
          status_intermediary, status_paygov, payment_id, attempt_id, refund_id, amount_paygov, amount_intermediary,
          needs_inquiry)
        select ${runId}, line, line, kind, txn_type, merchant_ref, provider_txn_id, status, status_paygov,
               payment_id, attempt_id, refund_id, amount_paygov, amount,
               kind = 'STATUS_MISMATCH' and txn_type = 'PAYMENT' and status <> 'FAILED'
        from kinds where kind <> 'MATCHED'
      ),
      listed_missing as (
        insert into reconciliation_discrepancies (run_id, seq, line, kind, txn_type, merchant_ref, provider_txn_id,
          status_paygov, payment_id, attempt_id, refund_id, amount_paygov)
        select ${runId}, ${afterTrailer} + n, null, 'MISSING_AT_INTERMEDIARY', txn_type, reference,
               coalesce(provider_txn_id, ''), status_paygov, payment_id, attempt_id, refund_id, amount
        from missing
      )
      select kind, count(*)::int as n from kinds group by kind
      union all
      select 'MISSING_AT_INTERMEDIARY', count(*)::int from missing`;
    const n = (kind: string) => counts.find((c) => c.kind === kind)?.n ?? 0;
    const totals: RunTotals = {
      rows: run.rows as number,
      matched: n("MATCHED"),
      missing_at_paygov: n("MISSING_AT_PAYGOV"),
      missing_at_intermediary: n("MISSING_AT_INTERMEDIARY"),
      amount_mismatch: n("AMOUNT_MISMATCH"),
      status_mismatch: n("STATUS_MISMATCH"),
      duplicate: n("DUPLICATE"),
    };
    await tx`update reconciliation_runs set matched_at = now(), matched = ${totals.matched},
               missing_at_paygov = ${totals.missing_at_paygov}, missing_at_intermediary = ${totals.missing_at_intermediary},
               amount_mismatch = ${totals.amount_mismatch}, status_mismatch = ${totals.status_mismatch},
               duplicate = ${totals.duplicate}
             where id = ${runId}`;
    return totals;
  });

/** The run whose staged lines and discrepancies a run reports: itself, or the run it repeats. */
const baseOf = (run: RunRecord) => run.sameAs ?? run.id;

const DISCREPANCY_COLUMNS = (sql: Sql) =>
  sql`d.seq, d.line, d.kind, d.txn_type, d.merchant_ref, d.provider_txn_id, d.status_intermediary, d.status_paygov,
      d.payment_id, d.amount_paygov, d.amount_intermediary, d.inquiry_id, ${STATE(sql)} as state,
      coalesce(d.resolution, i.resolution) as resolution, coalesce(d.resolution_note, i.resolution_note) as note,
      coalesce(d.resolved_by, i.resolved_by) as resolved_by, coalesce(d.resolved_at, i.resolved_at) as resolved_at`;

const toDiscrepancy = (r: Row): DiscrepancyRecord => ({
  seq: r.seq as number,
  line: (r.line as number | null) ?? null,
  kind: r.kind as DiscrepancyRecord["kind"],
  txnType: r.txn_type as string,
  merchantRef: r.merchant_ref as string,
  providerTxnId: r.provider_txn_id as string,
  statusIntermediary: (r.status_intermediary as string | null) ?? null,
  statusPaygov: (r.status_paygov as string | null) ?? null,
  paymentId: (r.payment_id as string | null) ?? null,
  amountPaygov: (r.amount_paygov as number | null) ?? null,
  amountIntermediary: (r.amount_intermediary as number | null) ?? null,
  inquiryId: (r.inquiry_id as string | null) ?? null,
  state: r.state as DiscrepancyState,
  resolution: (r.resolution as string | null) ?? null,
  resolutionNote: (r.note as string | null) ?? null,
  resolvedBy: (r.resolved_by as string | null) ?? null,
  resolvedAt: (r.resolved_at as Date | null) ?? null,
});

/**
 * What did not match, in file order from `afterSeq`, each with where it stands and how it was resolved.
 * Read in pages: a bad file day can have thousands.
 */
export const listDiscrepancies = async (
  sql: Sql,
  run: RunRecord,
  filter: { kind?: string; state?: DiscrepancyState; afterSeq?: number; limit?: number } = {},
): Promise<DiscrepancyRecord[]> =>
  (
    await sql`select * from (select ${DISCREPANCY_COLUMNS(sql)} from reconciliation_discrepancies d
      left join inquiries i on i.id = d.inquiry_id
      where d.run_id = ${baseOf(run)} and d.seq > ${filter.afterSeq ?? -1}
      ${filter.kind ? sql`and d.kind = ${filter.kind}` : sql``}) found
      ${filter.state ? sql`where state = ${filter.state}` : sql``}
      order by seq limit ${filter.limit ?? 100_000}`
  ).map(toDiscrepancy);

export const findDiscrepancy = async (
  sql: Sql,
  run: RunRecord,
  seq: number,
): Promise<DiscrepancyRecord | null> => {
  const [row] = await sql`select ${DISCREPANCY_COLUMNS(sql)} from reconciliation_discrepancies d
    left join inquiries i on i.id = d.inquiry_id where d.run_id = ${baseOf(run)} and d.seq = ${seq}`;
  return row ? toDiscrepancy(row) : null;
};

/**
 * Records an operator's resolution of a discrepancy awaiting one; false when it was not awaiting one
 * (resolved meanwhile, or settled by an inquiry). The condition in the update makes two operators'
 * concurrent resolutions keep exactly one.
 */
export const resolveDiscrepancy = async (
  sql: Sql,
  run: RunRecord,
  seq: number,
  resolution: { resolution: OperatorResolution; note: string; resolvedBy: string; at: Date },
): Promise<boolean> => {
  const updated = await sql`update reconciliation_discrepancies
    set resolution = ${resolution.resolution}, resolution_note = ${resolution.note},
        resolved_by = ${resolution.resolvedBy}, resolved_at = ${resolution.at}
    where run_id = ${baseOf(run)} and seq = ${seq}
      and resolution is null and inquiry_id is null and not needs_inquiry`;
  return updated.count === 1;
};

/** Discrepancies of a run still waiting for their inquiry, with what opening one needs. */
export const pendingInquiries = async (
  sql: Sql,
  runId: string,
  limit: number,
): Promise<{ seq: number; paymentId: string; agencyId: string; providerTxnId: string }[]> =>
  (
    await sql`select d.seq, d.payment_id, p.agency_id, d.provider_txn_id
      from reconciliation_discrepancies d join payments p on p.id = d.payment_id
      where d.run_id = ${runId} and d.needs_inquiry and d.inquiry_id is null
      order by d.seq limit ${limit}`
  ).map((r) => ({
    seq: r.seq as number,
    paymentId: r.payment_id as string,
    agencyId: r.agency_id as string,
    providerTxnId: r.provider_txn_id as string,
  }));

export const setInquiry = async (sql: Sql, runId: string, seq: number, inquiryId: string): Promise<void> => {
  await sql`update reconciliation_discrepancies set inquiry_id = ${inquiryId} where run_id = ${runId} and seq = ${seq}`;
};

/**
 * The result file's D lines, in order, read with a cursor: the file's own lines with their status,
 * then the successes it lacks.
 */
export async function* resultLines(sql: Db, run: RunRecord): AsyncGenerator<ResultLine> {
  const base = baseOf(run);
  const received = sql`
    select l.raw, l.amount, l.fee, coalesce(d.kind, 'MATCHED') as kind
    from reconciliation_lines l left join reconciliation_discrepancies d on d.run_id = l.run_id and d.seq = l.line
    where l.run_id = ${base} order by l.line`.cursor(2000);
  for await (const rows of received) {
    for (const r of rows)
      yield {
        kind: "received",
        raw: r.raw as string,
        amount: r.amount as number,
        fee: r.fee as number,
        status: r.kind as MatchStatus,
      };
  }
  const missing = await sql`
    select d.txn_type, d.merchant_ref, d.provider_txn_id, d.amount_paygov,
           coalesce(rf.created_at, a.created_at) as created_at, coalesce(rf.provider_code, a.provider_code) as provider_code,
           coalesce(rf.concluded_at, case when p.paid_attempt_id = a.id then p.succeeded_at end, a.concluded_at)
             as succeeded_at,
           case when rf.id is not null then coalesce(a.provider_txn_id, '') else '' end as original_provider_txn_id,
           p.reference as dossier_code
    from reconciliation_discrepancies d
    join payment_attempts a on a.id = d.attempt_id join payments p on p.id = d.payment_id
    left join refunds rf on rf.id = d.refund_id
    where d.run_id = ${base} and d.kind = 'MISSING_AT_INTERMEDIARY' order by d.seq`;
  for (const r of missing)
    yield {
      kind: "missing",
      txnType: r.txn_type as "PAYMENT" | "REFUND" | "REVERSAL",
      originalProviderTxnId: r.original_provider_txn_id as string,
      reference: r.merchant_ref as string,
      providerTxnId: r.provider_txn_id as string,
      amount: r.amount_paygov as number,
      createdAt: r.created_at as Date,
      succeededAt: r.succeeded_at as Date,
      providerCode: (r.provider_code as string | null) ?? "",
      dossierCode: r.dossier_code as string,
    };
}
