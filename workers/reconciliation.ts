/**
 * The Temporal worker's part in daily reconciliation: the schedule of each connector that has a
 * reconciliation file (created with the others in workers/schedules.ts), and the way reconciliation
 * opens inquiries.
 */
import {
  type Client,
  type ScheduleOptions,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
} from "@temporalio/client";
import type { InquiryStarter } from "../activities/reconciliation.ts";
import type { AppConfig } from "../config/app-config.ts";
import type { ConnectorSet } from "../connectors/sdk/load.ts";
import { VIETNAM_TIME_ZONE } from "../domain/vietnam-time.ts";
import type { inquiryWorkflow } from "../workflows/inquiry.ts";
import { inquiryRecordedUpdate, inquiryWorkflowId } from "../workflows/inquiry-messages.ts";
import type { scheduledReconciliationWorkflow } from "../workflows/reconciliation.ts";
import { reconciliationScheduleId } from "../workflows/reconciliation-messages.ts";
import { ConnectorKey, PaymentIdKey } from "../workflows/search-attributes.ts";

/** The connectors of this deployment that serve a daily file. */
export const reconcilableConnectors = (connectors: ConnectorSet): string[] =>
  [...connectors.live.values()]
    .filter((l) => l.definition.capabilities.reconciliationFile && l.connector.reconciliationFile)
    .map((l) => l.definition.id);

/** The schedule that reconciles one connector's previous Vietnam day at PAYGOV_RECONCILIATION_CUTOFF. */
export const reconciliationSchedule = (config: AppConfig, connector: string): ScheduleOptions => {
  const { hour, minute } = config.reconciliation.cutoff;
  return {
    scheduleId: reconciliationScheduleId(config.temporal.taskQueue, connector),
    spec: {
      calendars: [{ hour, minute, comment: `đối soát ${connector}: the Vietnam day before, at the cut-off` }],
      timezone: VIETNAM_TIME_ZONE,
    },
    action: {
      type: "startWorkflow",
      workflowType: "scheduledReconciliationWorkflow",
      workflowId: `reconciliation-${connector}-scheduled`,
      taskQueue: config.temporal.taskQueue,
      args: [{ connector }] satisfies Parameters<typeof scheduledReconciliationWorkflow>,
      typedSearchAttributes: [{ key: ConnectorKey, value: connector }],
    },
    policies: {
      // A worker down at the cut-off still reconciles when it is back the same morning; later, an operator does.
      catchupWindow: "12 hours",
      overlap: "SKIP",
    },
  };
};

/**
 * Opens an inquiry as the portal API does (api/portal/inquiries.ts): update-with-start, returning once
 * the inquiry is in the ledger; an inquiry workflow already under way is joined, one already finished
 * is left as it is.
 */
export const inquiryStarter =
  (client: Client, taskQueue: string): InquiryStarter =>
  async (input) => {
    const start = new WithStartWorkflowOperation<typeof inquiryWorkflow>("inquiryWorkflow", {
      workflowId: inquiryWorkflowId(input.inquiryId),
      taskQueue,
      workflowIdConflictPolicy: "USE_EXISTING",
      workflowIdReusePolicy: "REJECT_DUPLICATE",
      args: [input],
      typedSearchAttributes: [{ key: PaymentIdKey, value: input.paymentId }],
    });
    try {
      await client.workflow.executeUpdateWithStart(inquiryRecordedUpdate, { startWorkflowOperation: start });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  };
