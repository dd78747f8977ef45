import { defineQuery, defineUpdate } from "@temporalio/workflow";

export type ReconciliationTrigger = "schedule" | "operator";
export type ReconciliationStatus = "running" | "completed" | "rejected";

/** One reconciliation of one intermediary's file of one Vietnam business day. */
export interface ReconciliationWorkflowInput {
  readonly runId: string;
  readonly connector: string;
  /** yyyy-MM-dd, Vietnam. */
  readonly businessDate: string;
  readonly trigger: ReconciliationTrigger;
}

/** What the connector's Temporal Schedule starts at the cut-off: the day before is worked out then. */
export interface ScheduledReconciliationInput {
  readonly connector: string;
}

/** Resolves once the run is in the ledger (the ops API answers 202 with its id then). */
export const reconciliationRecordedUpdate = defineUpdate<{ runId: string }>("reconciliationRecorded");
export const reconciliationStatusQuery = defineQuery<{ runId: string; status: ReconciliationStatus }>(
  "reconciliationStatus",
);

/**
 * One workflow id per connector and day: an operator's run and the schedule's never run at once for the
 * same file (the second joins the first), and the Temporal UI lists a day's runs under one id.
 */
export const reconciliationWorkflowId = (connector: string, businessDate: string): string =>
  `reconciliation-${connector}-${businessDate}`;

/** The connector's daily schedule, per task queue (deployments sharing a namespace keep theirs apart). */
export const reconciliationScheduleId = (taskQueue: string, connector: string): string =>
  `${taskQueue}-reconciliation-${connector}`;

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** A run id in the shape of PayGov's other ids (26 base32 characters), from the given randomness. */
export const randomRunId = (random: () => number): string =>
  Array.from({ length: 26 }, () => ALPHABET[Math.floor(random() * 32)]).join("");
