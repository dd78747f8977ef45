import { defineQuery, defineSignal, defineUpdate } from "@temporalio/workflow";

/** running → completed (statement computed) → sent (documents accepted) → confirmed (every credit advice in). */
export type SettlementStatus = "running" | "completed" | "sent" | "confirmed";

export interface SettlementWorkflowInput {
  readonly settlementId: string;
  /** The Vietnam business date settled, yyyy-MM-dd. */
  readonly businessDate: string;
  readonly startedAt: string;
  /** Between two requests for the credit advices. */
  readonly pollEveryMs: number;
  /**
   * Set when a run continues as new while telling its payments: the last payment already told. The run
   * itself is then confirmed.
   */
  readonly notifiedUpTo?: string;
}

export interface SettlementView {
  readonly settlementId: string;
  readonly businessDate: string;
  readonly status: SettlementStatus;
}

/** Resolves once the run is in the ledger: the ops API answers 202 with its id. */
export const settlementRecordedUpdate = defineUpdate<SettlementView>("settlementRecorded");
export const settlementStatusQuery = defineQuery<SettlementView>("settlementStatus");
/** An operator resolved a credit advice that did not match: look at the advices again now. */
export const settlementRecheckSignal = defineSignal("settlementRecheck");

/** One settlement workflow per business date at a time: `settlement-<yyyy-MM-dd>`. */
export const settlementWorkflowId = (businessDate: string): string => `settlement-${businessDate}`;

/** The daily schedule's settlement: the Vietnam day before the one it fires on. */
export interface ScheduledSettlementInput {
  readonly pollEveryMs: number;
}

/** The one settlement schedule of a deployment (its task queue names it). */
export const settlementScheduleId = (taskQueue: string): string => `${taskQueue}-settlement`;
