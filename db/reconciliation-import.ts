/**
 * Loads an intermediary's file into staging: read and checked line by line (domain/recon-file-reader),
 * each D line written to PostgreSQL's COPY as it comes, all in one transaction that commits only once
 * the T line has checked out. A file rejected anywhere leaves nothing behind.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReconciliationRef } from "../connectors/sdk/contract.ts";
import {
  type ReconDetail,
  type ReconRejection,
  type ReconSummary,
  readReconFile,
} from "../domain/recon-file-reader.ts";
import type { Db } from "./client.ts";
import { completedRunWithFile, recordSameFile } from "./reconciliation.ts";

export interface ImportTarget {
  readonly runId: string;
  readonly connector: string;
  readonly businessDate: string;
  /** The connector's reading of merchant_ref (ConnectorDefinition.reconciliationRef). */
  readonly refOf: (merchantRef: string) => ReconciliationRef | null;
  /** Called every few thousand lines: a long import tells Temporal it is alive. */
  readonly onProgress?: (lines: number) => void;
}

export type ImportOutcome =
  | { readonly kind: "imported"; readonly rows: number; readonly sha256: string }
  | { readonly kind: "rejected"; readonly rejection: ReconRejection }
  /** The same D lines as a run already completed: nothing was staged, that run's result stands. */
  | { readonly kind: "same_file"; readonly sameAs: string };

/** Without a mapping, merchant_ref is our attempt's reference; empty names nothing of ours. */
export const defaultRefOf = (merchantRef: string): ReconciliationRef | null =>
  merchantRef === "" ? null : { attemptReference: merchantRef };

/** COPY's text format: tab-separated, backslash escapes, \N for null. */
const copyField = (value: string | number | null): string =>
  value === null
    ? "\\N"
    : String(value).replace(/[\\\t\n\r]/g, (c) =>
        c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
      );

const copyLine = (runId: string, d: ReconDetail, ref: ReconciliationRef | null): string =>
  [
    runId,
    d.line,
    d.txnType,
    d.merchantRef,
    d.providerTxnId,
    d.originalProviderTxnId === "" ? null : d.originalProviderTxnId,
    d.amount,
    d.fee,
    d.status,
    ref !== null && "attemptReference" in ref ? ref.attemptReference : null,
    ref !== null && "paymentCode" in ref ? ref.paymentCode : null,
    d.raw,
  ]
    .map(copyField)
    .join("\t") + "\n";

/** Thrown inside the transaction to undo the COPY. */
class Discard {
  readonly outcome: ImportOutcome;
  constructor(outcome: ImportOutcome) {
    this.outcome = outcome;
  }
}

const BATCH = 2000;

/**
 * Streams `source` (the file's bytes) into reconciliation_lines for the run, and records its header and
 * digest on the run. Memory stays constant: lines go to COPY in batches as they are read.
 */
export const importRunFile = async (
  sql: Db,
  source: AsyncIterable<Uint8Array>,
  target: ImportTarget,
): Promise<ImportOutcome> => {
  try {
    return await sql.begin(async (tx) => {
      // Set by the reader's last step: the T line checked out, or the first offending line.
      const verdict: {
        end:
          | { kind: "complete"; summary: ReconSummary }
          | { kind: "rejected"; rejection: ReconRejection }
          | null;
      } = { end: null };
      const expected = { provider: target.connector.toUpperCase(), businessDate: target.businessDate };
      async function* copyText() {
        let batch = "";
        let lines = 0;
        for await (const step of readReconFile(source, expected)) {
          if (step.kind !== "detail") {
            verdict.end = step;
            break;
          }
          batch += copyLine(target.runId, step.detail, target.refOf(step.detail.merchantRef));
          lines += 1;
          if (lines % BATCH === 0) {
            yield batch;
            batch = "";
            if (lines % (BATCH * 10) === 0) target.onProgress?.(lines);
          }
        }
        if (batch !== "") yield batch;
      }
      const copy = await tx`copy reconciliation_lines (run_id, line, txn_type, merchant_ref, provider_txn_id,
                              original_provider_txn_id, amount,
                              fee, status, attempt_reference, payment_code, raw) from stdin`.writable();
      await pipeline(Readable.from(copyText()), copy);
      const ended = verdict.end;
      if (ended === null) throw new Error("the reconciliation file reader stopped without a verdict");
      if (ended.kind === "rejected") throw new Discard({ kind: "rejected", rejection: ended.rejection });
      const { summary } = ended;
      // One day's runs are serialised (one workflow per connector and day), so this look is not racing.
      const sameAs = await completedRunWithFile(tx, { id: target.runId, ...target }, summary.sha256);
      if (sameAs !== null) throw new Discard({ kind: "same_file", sameAs });
      await tx`update reconciliation_runs set merchant_id = ${summary.header.merchantId}, file_sha256 = ${summary.sha256},
                 rows = ${summary.rows}, imported_at = now()
               where id = ${target.runId}`;
      return { kind: "imported", rows: summary.rows, sha256: summary.sha256 } as const;
    });
  } catch (error) {
    if (!(error instanceof Discard)) throw error;
    if (error.outcome.kind === "same_file") await recordSameFile(sql, target.runId, error.outcome.sameAs);
    return error.outcome;
  }
};
