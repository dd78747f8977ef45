/**
 * The side effects of a daily reconciliation: record the run, fetch the intermediary's file and stage it,
 * match it in SQL, open the inquiries that asking the intermediary can settle, and close the run.
 */
import { Readable } from "node:stream";
import { Effect } from "effect";
import { type ConnectorError, Unavailable } from "../connectors/sdk/errors.ts";
import { findInquiry } from "../db/inquiries.ts";
import type { LedgerContext } from "../db/ledger.ts";
import {
  completeRun,
  findRun,
  insertRun,
  matchRun,
  pendingInquiries,
  type RunTotals,
  type RunTrigger,
  recordRejected,
  setInquiry,
} from "../db/reconciliation.ts";
import { defaultRefOf, importRunFile } from "../db/reconciliation-import.ts";
import { idempotentId } from "../domain/ids.ts";
import type { InquiryWorkflowInput } from "../workflows/inquiry-messages.ts";
import { ConnectorNotEnabled } from "./errors.ts";
import { Connectors, Ledger } from "./services.ts";

/** Opens an inquiry workflow and returns once its inquiry is in the ledger (an existing one is kept). */
export type InquiryStarter = (input: InquiryWorkflowInput) => Promise<void>;

/** How inquiries opened by reconciliation are timed, from the deployment's configuration. */
export interface ReconciliationInquiryTiming {
  readonly slaMs: number;
  readonly pollMs: number;
}

export type ImportResult =
  | { readonly kind: "imported" }
  | { readonly kind: "rejected"; readonly line: number; readonly reason: string }
  | { readonly kind: "same_file"; readonly sameAs: string };

/** The side effects of the reconciliation workflow (implemented below, bound in activities/index.ts). */
export interface ReconciliationActivities {
  beginReconciliation(input: {
    runId: string;
    connector: string;
    businessDate: string;
    trigger: RunTrigger;
    startedAt: string;
  }): Promise<void>;
  /** Fetches the file and stages its D lines; a file that breaks the layout is rejected whole. */
  importReconciliationFile(runId: string): Promise<ImportResult>;
  matchReconciliation(runId: string): Promise<RunTotals>;
  /** Opens a page of the run's pending inquiries; `more` when another page waits. */
  openReconciliationInquiries(runId: string): Promise<{ opened: number; more: boolean }>;
  /** The file could not be had at all (line 0) or was refused. */
  recordReconciliationRejected(runId: string, rejection: { line: number; reason: string }): Promise<void>;
  completeReconciliation(runId: string): Promise<void>;
}

const db = <A>(run: (ledger: LedgerContext) => Promise<A>) =>
  Effect.flatMap(Ledger, (ledger) => Effect.promise(() => run(ledger)));

const loadRun = (runId: string) =>
  Effect.flatMap(
    db((l) => findRun(l.sql, runId)),
    (run) =>
      run === null
        ? Effect.die(new Error(`reconciliation run ${runId} is not in the ledger`))
        : Effect.succeed(run),
  );

export const beginReconciliation = (input: Parameters<ReconciliationActivities["beginReconciliation"]>[0]) =>
  db((l) =>
    insertRun(l.sql, {
      id: input.runId,
      connector: input.connector,
      businessDate: input.businessDate,
      trigger: input.trigger,
      createdAt: new Date(input.startedAt),
    }),
  );

/** The connector's file of the day as bytes: its stream when it has one, else its text. */
const fileOf = (connectorId: string, businessDate: string) =>
  Effect.gen(function* () {
    const live = (yield* Connectors).live.get(connectorId);
    const connector = live?.connector;
    if (!live || !connector?.reconciliationFile)
      return yield* new ConnectorNotEnabled({
        message: `connector ${connectorId} is not enabled on this worker, or has no reconciliation file`,
      });
    // Reading a file changes nothing at the intermediary: a lost answer is simply asked for again.
    const readOnly = <A>(effect: Effect.Effect<A, ConnectorError>) =>
      Effect.catchTag(effect, "OutcomeUnknown", (e) => Effect.fail(new Unavailable({ message: e.message })));
    const source: AsyncIterable<Uint8Array> = connector.reconciliationFileStream
      ? yield* readOnly(connector.reconciliationFileStream(businessDate))
      : Readable.from([Buffer.from(yield* readOnly(connector.reconciliationFile(businessDate)), "utf8")]);
    return { source, refOf: live.definition.reconciliationRef ?? defaultRefOf };
  });

/** Idempotent: a retry after the import committed reports what was recorded, without fetching again. */
export const importReconciliationFile = (runId: string, onProgress?: (lines: number) => void) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    const run = yield* loadRun(runId);
    if (run.rejection !== null) return { kind: "rejected", ...run.rejection } satisfies ImportResult;
    if (run.sameAs !== null) return { kind: "same_file", sameAs: run.sameAs } satisfies ImportResult;
    if (run.importedAt !== null) return { kind: "imported" } satisfies ImportResult;
    const file = yield* fileOf(run.connector, run.businessDate);
    const outcome = yield* Effect.promise(() =>
      importRunFile(ledger.sql, file.source, {
        runId,
        connector: run.connector,
        businessDate: run.businessDate,
        refOf: file.refOf,
        ...(onProgress ? { onProgress } : {}),
      }),
    );
    if (outcome.kind === "rejected") {
      yield* db((l) => recordRejected(l.sql, runId, outcome.rejection, l.now()));
      return { kind: "rejected", ...outcome.rejection } satisfies ImportResult;
    }
    return outcome.kind === "same_file"
      ? ({ kind: "same_file", sameAs: outcome.sameAs } satisfies ImportResult)
      : ({ kind: "imported" } satisfies ImportResult);
  });

export const matchReconciliation = (runId: string) => db((l) => matchRun(l.sql, runId));

/** One inquiry per payment and connector, whatever the day or the run that found it. */
export const reconciliationInquiryId = (connector: string, paymentId: string): string =>
  idempotentId("inquiry", "reconciliation", `${connector}:${paymentId}`);

const INQUIRIES_PER_CALL = 50;

/**
 * Opens the inquiries of a run's STATUS_MISMATCH lines (the file says paid, the ledger does not): each
 * asks the intermediary and reports the success to its payment (workflows/inquiry.ts). Idempotent: an
 * inquiry already opened, by this run or an earlier one, is only linked.
 */
export const openReconciliationInquiries = (
  runId: string,
  startInquiry: InquiryStarter,
  timing: ReconciliationInquiryTiming,
) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    const run = yield* loadRun(runId);
    const pending = yield* db((l) => pendingInquiries(l.sql, runId, INQUIRIES_PER_CALL + 1));
    const page = pending.slice(0, INQUIRIES_PER_CALL);
    for (const d of page) {
      const inquiryId = reconciliationInquiryId(run.connector, d.paymentId);
      const known = yield* db((l) => findInquiry(l.sql, inquiryId));
      if (known === null) {
        yield* Effect.promise(() =>
          startInquiry({
            inquiryId,
            paymentId: d.paymentId,
            agencyId: d.agencyId,
            reason: "paid_not_confirmed",
            note:
              `Đối soát ${run.connector.toUpperCase()} ngày ${run.businessDate}: giao dịch ${d.providerTxnId} ` +
              "thành công tại trung gian nhưng PayGov chưa ghi nhận (reconciliation: paid at the intermediary, not in the ledger)",
            openedAt: ledger.now().toISOString(),
            slaMs: timing.slaMs,
            pollMs: timing.pollMs,
          }),
        );
      }
      yield* db((l) => setInquiry(l.sql, runId, d.seq, inquiryId));
    }
    return { opened: page.length, more: pending.length > page.length };
  });

export const recordReconciliationRejected = (runId: string, rejection: { line: number; reason: string }) =>
  db((l) => recordRejected(l.sql, runId, rejection, l.now()));

export const completeReconciliation = (runId: string) => db((l) => completeRun(l.sql, runId, l.now()));
