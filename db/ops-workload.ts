/**
 * What waits for PayGov's operators, counted in one statement for the overview page: inquiries, manual
 * refunds, reconciliation discrepancies, settlement runs and treasury documents.
 */
import type { Db } from "./client.ts";

export interface OpsWorkload {
  readonly inquiriesOpen: number;
  readonly inquiriesEscalated: number;
  /** Refunds at intermediaries without a refund API, waiting for an operator to record them done. */
  readonly manualRefundsWaiting: number;
  readonly discrepanciesAwaitingOperator: number;
  /** Reconciliation runs of the last 7 days whose file was refused, with no completed run of that day since. */
  readonly rejectedRunsUnredone: number;
  readonly settlementsUnconfirmed: number;
  /** Treasury documents credited for another amount, not yet resolved. */
  readonly treasuryMismatches: number;
}

export const opsWorkload = async (sql: Db): Promise<OpsWorkload> => {
  const [row] = await sql`select
    (select count(*) from inquiries where status = 'open')::int as inquiries_open,
    (select count(*) from inquiries where status = 'escalated')::int as inquiries_escalated,
    (select count(*) from refunds where manual and status = 'submitted')::int as manual_refunds,
    (select count(*) from reconciliation_discrepancies
      where inquiry_id is null and not needs_inquiry and resolution is null)::int as discrepancies,
    (select count(*) from reconciliation_runs r
      where r.status = 'rejected' and r.created_at > now() - interval '7 days'
        and not exists (select 1 from reconciliation_runs later
          where later.connector = r.connector and later.business_date = r.business_date
            and later.status = 'completed' and later.created_at > r.created_at))::int as rejected_runs,
    (select count(*) from settlements where status <> 'confirmed')::int as settlements,
    (select count(*) from treasury_documents where status = 'mismatch')::int as mismatches`;
  return {
    inquiriesOpen: row!.inquiries_open as number,
    inquiriesEscalated: row!.inquiries_escalated as number,
    manualRefundsWaiting: row!.manual_refunds as number,
    discrepanciesAwaitingOperator: row!.discrepancies as number,
    rejectedRunsUnredone: row!.rejected_runs as number,
    settlementsUnconfirmed: row!.settlements as number,
    treasuryMismatches: row!.mismatches as number,
  };
};
