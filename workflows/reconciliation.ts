import { WorkflowExecutionAlreadyStartedError } from "@temporalio/common";
import { ActivityFailure, condition, executeChild, proxyActivities, setHandler } from "@temporalio/workflow";
import type { ImportResult, ReconciliationActivities } from "../activities/reconciliation.ts";
import { previousVietnamDay } from "../domain/business-day.ts";
import {
  type ReconciliationStatus,
  type ReconciliationWorkflowInput,
  randomRunId,
  reconciliationRecordedUpdate,
  reconciliationStatusQuery,
  reconciliationWorkflowId,
  type ScheduledReconciliationInput,
} from "./reconciliation-messages.ts";
import { ConnectorKey } from "./search-attributes.ts";

// Ledger writes retry until the database is back.
const ledger = proxyActivities<
  Pick<
    ReconciliationActivities,
    "beginReconciliation" | "recordReconciliationRejected" | "completeReconciliation"
  >
>({
  startToCloseTimeout: "1 minute",
  retry: { initialInterval: "1 second", maximumInterval: "1 minute", backoffCoefficient: 2 },
});

// Fetching and staging a file of a million lines takes a while; the import heartbeats as it goes. An
// intermediary that does not serve the file yet is asked again for about an hour and a half.
const file = proxyActivities<Pick<ReconciliationActivities, "importReconciliationFile">>({
  startToCloseTimeout: "1 hour",
  heartbeatTimeout: "2 minutes",
  retry: {
    initialInterval: "30 seconds",
    maximumInterval: "15 minutes",
    backoffCoefficient: 2,
    maximumAttempts: 8,
    nonRetryableErrorTypes: ["InvalidRequest", "Declined", "ConnectorNotEnabled"],
  },
});

// One SQL statement over the whole day; inquiries wait for each inquiry to be recorded.
const matching = proxyActivities<
  Pick<ReconciliationActivities, "matchReconciliation" | "openReconciliationInquiries">
>({
  startToCloseTimeout: "1 hour",
  retry: { initialInterval: "5 seconds", maximumInterval: "5 minutes", backoffCoefficient: 2 },
});

/** The file, staged; or why there is none: refused, or never had (line 0). */
const fetchFile = async (runId: string): Promise<ImportResult> => {
  try {
    return await file.importReconciliationFile(runId);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const rejection = {
      line: 0,
      reason: `the file could not be had: ${error.cause?.message ?? error.message}`,
    };
    await ledger.recordReconciliationRejected(runId, rejection);
    return { kind: "rejected", ...rejection };
  }
};

/**
 * Reconciliation (đối soát) of one intermediary's file of one Vietnam business day: fetch and check the
 * file (rejected whole at its first bad line), stage it, match it against the ledger, open an inquiry for
 * each success the ledger lacks (asking the intermediary settles it), and leave the other discrepancies
 * to operators. A re-run that finds the same file reports the first run's result and writes nothing more.
 */
export async function reconciliationWorkflow(
  input: ReconciliationWorkflowInput,
): Promise<{ runId: string; status: ReconciliationStatus }> {
  const { runId } = input;
  let status: ReconciliationStatus = "running";
  let recorded = false;
  setHandler(reconciliationRecordedUpdate, async () => {
    await condition(() => recorded);
    return { runId };
  });
  setHandler(reconciliationStatusQuery, () => ({ runId, status }));

  await ledger.beginReconciliation({
    runId,
    connector: input.connector,
    businessDate: input.businessDate,
    trigger: input.trigger,
    startedAt: new Date().toISOString(),
  });
  recorded = true;

  const staged = await fetchFile(runId);
  if (staged.kind === "rejected") {
    status = "rejected";
    return { runId, status };
  }
  if (staged.kind === "imported") {
    await matching.matchReconciliation(runId);
    while ((await matching.openReconciliationInquiries(runId)).more) {
      // Another page of inquiries to open.
    }
  }
  await ledger.completeReconciliation(runId);
  status = "completed";
  return { runId, status };
}

/**
 * What each connector's Temporal Schedule starts at the cut-off (GMT+7): the reconciliation of the Vietnam
 * day before, as a child, unless an operator's run of that day is already under way.
 */
export async function scheduledReconciliationWorkflow(input: ScheduledReconciliationInput): Promise<void> {
  const businessDate = previousVietnamDay(new Date());
  try {
    await executeChild(reconciliationWorkflow, {
      workflowId: reconciliationWorkflowId(input.connector, businessDate),
      args: [
        { runId: randomRunId(Math.random), connector: input.connector, businessDate, trigger: "schedule" },
      ],
      typedSearchAttributes: [{ key: ConnectorKey, value: input.connector }],
    });
  } catch (error) {
    // The day is being reconciled already: that run is this one's result.
    if (error instanceof WorkflowExecutionAlreadyStartedError) return;
    throw error;
  }
}
