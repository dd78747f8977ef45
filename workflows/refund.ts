import { condition, proxyActivities, setHandler, sleep } from "@temporalio/workflow";
import type { RefundActivities, RefundAttemptOutcome } from "../activities/types.ts";
import { type RefundDecision, type RefundWorkflowInput, refundDecisionSignal } from "./messages.ts";

// Sending a refund retries only while the intermediary is unreachable before acting (Unavailable);
// anything else comes back as an outcome, and "unknown" is resolved by asking, never by resending blindly.
const intermediary = proxyActivities<Pick<RefundActivities, "submitRefund" | "refundStatus">>({
  startToCloseTimeout: "1 minute",
  retry: { initialInterval: "2 seconds", maximumInterval: "10 minutes", backoffCoefficient: 2 },
});

const ledger = proxyActivities<Pick<RefundActivities, "recordRefundOutcome">>({
  startToCloseTimeout: "30 seconds",
  retry: { initialInterval: "1 second", maximumInterval: "1 minute", backoffCoefficient: 2 },
});

/** Longest wait between two status checks, however long the intermediary takes. */
const MAX_STATUS_INTERVAL_MS = 6 * 3600 * 1000;

/**
 * One refund, already in the ledger as submitted: sent to the intermediary, followed until the
 * intermediary says it accepted or refused it, and recorded. A refund without a refund API waits for
 * an operator's word (ops API).
 */
export async function refundWorkflow(input: RefundWorkflowInput): Promise<{ status: "success" | "error" }> {
  const { refundId } = input;
  let decision: RefundDecision | null = null;
  setHandler(refundDecisionSignal, (d) => {
    decision ??= d;
  });

  if (input.returnedBy !== undefined) {
    await ledger.recordRefundOutcome(
      refundId,
      { status: "success", providerRefundId: null, providerCode: input.returnedBy },
      `${refundId}:succeeded`,
    );
    return { status: "success" };
  }

  if (input.manual) {
    await condition(() => decision !== null);
    const d = decision!;
    await ledger.recordRefundOutcome(
      refundId,
      { status: d.status, providerRefundId: null, providerCode: `manual:${d.operator}`, note: d.note },
      `${refundId}:${d.status === "success" ? "succeeded" : "failed"}`,
    );
    return { status: d.status };
  }

  let result: RefundAttemptOutcome = await intermediary.submitRefund(refundId);
  let wait = input.timing.statusEveryMs;
  for (let checks = 0; result.outcome === "pending" || result.outcome === "unknown"; checks++) {
    await sleep(wait);
    if (checks >= input.timing.statusChecks) wait = Math.min(wait * 2, MAX_STATUS_INTERVAL_MS);
    result = await intermediary.refundStatus(refundId);
  }
  const status = result.outcome === "succeeded" ? "success" : "error";
  await ledger.recordRefundOutcome(
    refundId,
    { status, providerRefundId: result.providerRefundId, providerCode: result.providerCode },
    `${refundId}:${status === "success" ? "succeeded" : "failed"}`,
  );
  return { status };
}
