import { WorkflowExecutionAlreadyStartedError } from "@temporalio/common";
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from "@temporalio/workflow";
import type { SettlementActivities } from "../activities/settlement.ts";
import { previousVietnamDay } from "../domain/business-day.ts";
import { paymentSettledSignal, paymentWorkflowId } from "./messages.ts";
import {
  type ScheduledSettlementInput,
  type SettlementStatus,
  type SettlementView,
  type SettlementWorkflowInput,
  settlementRecheckSignal,
  settlementRecordedUpdate,
  settlementStatusQuery,
  settlementWorkflowId,
} from "./settlement-messages.ts";

// Ledger work retries until the database is back.
const ledger = proxyActivities<
  Pick<SettlementActivities, "recordSettlementStarted" | "computeSettlement" | "settledPayments">
>({
  startToCloseTimeout: "5 minutes",
  retry: { initialInterval: "1 second", maximumInterval: "1 minute", backoffCoefficient: 2 },
});

// The treasury may be away for hours: keep trying, less and less often. Every failure is visible on
// the activity in the Temporal UI, and a refusal on the document in the ops page.
const treasury = proxyActivities<
  Pick<SettlementActivities, "sendTreasuryDocuments" | "collectCreditAdvices">
>({
  startToCloseTimeout: "1 minute",
  retry: { initialInterval: "5 seconds", maximumInterval: "30 minutes", backoffCoefficient: 2 },
});

/** Longest wait between two requests for the credit advices while one of them does not match. */
const MAX_POLL_MS = 6 * 3600 * 1000;
/** Payments told per page: each is one signal to another workflow. */
const PAGE = 200;

/**
 * One settlement run (quyết toán) of a business date: compute the statement of every succeeded payment
 * no run has settled, less its refunds, with the adjustments for refunds of payments settled before;
 * send the treasury its payment documents; wait for the credit advices; then tell each payment's
 * workflow that its settlement is confirmed (it may then end).
 */
export async function settlementWorkflow(input: SettlementWorkflowInput): Promise<SettlementView> {
  const { settlementId, businessDate } = input;
  const continued = input.notifiedUpTo !== undefined;
  let status: SettlementStatus = continued ? "confirmed" : "running";
  let recorded = continued;
  const view = (): SettlementView => ({ settlementId, businessDate, status });
  setHandler(settlementStatusQuery, view);
  setHandler(settlementRecordedUpdate, async () => {
    await condition(() => recorded);
    return view();
  });

  if (!continued) {
    await ledger.recordSettlementStarted({
      settlementId,
      businessDate,
      workflowId: workflowInfo().workflowId,
      startedAt: input.startedAt,
    });
    recorded = true;

    await ledger.computeSettlement(settlementId);
    status = "completed";

    await treasury.sendTreasuryDocuments(settlementId);
    status = "sent";

    // Poll rather than wait for a callback: nothing to expose to the treasury, and no lost call can
    // leave a run waiting forever. A credit advice that does not match is operators' work: keep looking,
    // less often, until they sort it out with the treasury and record how (which wakes the run).
    let wait = input.pollEveryMs;
    let recheck = false;
    setHandler(settlementRecheckSignal, () => {
      recheck = true;
    });
    for (;;) {
      const advices = await treasury.collectCreditAdvices(settlementId);
      if (advices.pending === 0 && advices.mismatched === 0) break;
      await condition(() => recheck, wait);
      recheck = false;
      if (advices.mismatched > 0) wait = Math.min(wait * 2, MAX_POLL_MS);
    }
    status = "confirmed";
  }

  // Tell each settled payment; one that has already ended (an operator terminated it) is skipped.
  let after = input.notifiedUpTo ?? null;
  for (;;) {
    const page = await ledger.settledPayments(settlementId, after, PAGE);
    if (page.length === 0) break;
    await Promise.all(
      page.map((paymentId) =>
        getExternalWorkflowHandle(paymentWorkflowId(paymentId))
          .signal(paymentSettledSignal, { settlementId })
          .catch(() => undefined),
      ),
    );
    after = page[page.length - 1]!;
    // A day of many payments would outgrow one history: carry on in a fresh run of the same workflow.
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof settlementWorkflow>({ ...input, notifiedUpTo: after });
    }
  }
  await condition(allHandlersFinished);
  return view();
}

/**
 * What the daily schedule starts at PAYGOV_SETTLEMENT_CUTOFF: the settlement of the Vietnam day before,
 * as a child, so the run keeps its usual id (`settlement-<date>`) and an operator's run of that day is joined.
 */
export async function scheduledSettlementWorkflow(input: ScheduledSettlementInput): Promise<void> {
  const businessDate = previousVietnamDay(new Date());
  try {
    await executeChild(settlementWorkflow, {
      workflowId: settlementWorkflowId(businessDate),
      args: [
        {
          settlementId: uuid4().replaceAll("-", ""),
          businessDate,
          startedAt: new Date().toISOString(),
          pollEveryMs: input.pollEveryMs,
        },
      ],
    });
  } catch (error) {
    // The day is being settled already (an operator started it): that run is this one's result.
    if (error instanceof WorkflowExecutionAlreadyStartedError) return;
    throw error;
  }
}
