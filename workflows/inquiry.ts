import {
  condition,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  sleep,
} from "@temporalio/workflow";
import type { InquiryActivities, PaymentFacts } from "../activities/types.ts";
import {
  type InquiryDecision,
  type InquiryStatus,
  type InquiryWorkflowInput,
  inquiryDecisionSignal,
  inquiryRecordedUpdate,
  inquiryStatusQuery,
} from "./inquiry-messages.ts";
import { callbackSignal, paymentWorkflowId } from "./messages.ts";

const ledger = proxyActivities<Omit<InquiryActivities, "inspectPayment">>({
  startToCloseTimeout: "30 seconds",
  retry: { initialInterval: "1 second", maximumInterval: "1 minute", backoffCoefficient: 2 },
});

const inspector = proxyActivities<Pick<InquiryActivities, "inspectPayment">>({
  startToCloseTimeout: "2 minutes",
  retry: { initialInterval: "2 seconds", maximumInterval: "1 minute", maximumAttempts: 5 },
});

/** Attempts the intermediary says were paid but the ledger does not (a callback that never came). */
const unrecordedSuccesses = (facts: PaymentFacts) =>
  facts.attempts.filter((a) => a.intermediary?.outcome === "succeeded" && a.ledgerStatus !== "succeeded");

const paidAttempts = (facts: PaymentFacts) => facts.attempts.filter((a) => a.ledgerStatus === "succeeded");

/**
 * An inquiry (tra soát) on a payment: compare what the intermediaries say with the ledger, settle it
 * by itself where the facts are clear (a success nobody reported is reported to the payment; a double
 * charge is refunded by the payment's policy), and otherwise wait for an operator's decision, escalating
 * when the SLA runs out.
 */
export async function inquiryWorkflow(input: InquiryWorkflowInput): Promise<{ resolution: string }> {
  let status: InquiryStatus = "open";
  let resolution: string | null = null;
  let recorded = false;
  let decision: InquiryDecision | null = null;
  setHandler(inquiryRecordedUpdate, async () => {
    await condition(() => recorded);
    return { status };
  });
  setHandler(inquiryStatusQuery, () => ({ status, resolution }));
  setHandler(inquiryDecisionSignal, (d) => {
    decision ??= d;
  });
  const payment = getExternalWorkflowHandle(paymentWorkflowId(input.paymentId));

  await ledger.recordInquiryOpened({
    inquiryId: input.inquiryId,
    paymentId: input.paymentId,
    agencyId: input.agencyId,
    reason: input.reason,
    note: input.note,
    openedAt: input.openedAt,
    slaDueAt: new Date(Date.parse(input.openedAt) + input.slaMs).toISOString(),
    eventId: `${input.inquiryId}:opened`,
  });
  recorded = true;

  const resolve = async (outcome: string, note: string, resolvedBy: string) => {
    await ledger.recordInquiryResolved(
      input.inquiryId,
      { resolution: outcome, note, resolvedBy },
      `${input.inquiryId}:resolved`,
    );
    status = "resolved";
    resolution = outcome;
    return { resolution: outcome };
  };

  // Reports what the intermediary says to the payment, then waits until the ledger shows it.
  const reportAndWait = async (facts: PaymentFacts) => {
    const missing = unrecordedSuccesses(facts);
    for (const a of missing) {
      await payment.signal(callbackSignal, {
        connector: a.connector,
        reference: a.reference,
        providerTxnId: a.intermediary?.providerTxnId ?? null,
        amount: a.intermediary?.amount ?? a.amount,
        outcome: "succeeded",
        providerCode: a.intermediary?.providerCode ?? "",
        paidAt: a.intermediary?.paidAt ?? null,
        cancelledByPayer: false,
        channel: "inquiry",
      });
    }
    let now = facts;
    for (let look = 0; look < 30 && unrecordedSuccesses(now).length > 0; look++) {
      await sleep(input.pollMs);
      now = await inspector.inspectPayment(input.paymentId, false);
      // The ledger caught up with what the intermediary said: keep the intermediary's answers.
      now = {
        ...now,
        attempts: now.attempts.map((a, i) => ({
          ...a,
          intermediary: facts.attempts[i]?.intermediary ?? null,
        })),
      };
    }
    return { missing: missing.length, now };
  };

  const facts = await inspector.inspectPayment(input.paymentId, true);
  const { missing, now } = await reportAndWait(facts);

  if (input.reason === "paid_not_confirmed" && now.paymentStatus === "success") {
    return resolve(
      missing > 0 ? "payment_confirmed" : "already_confirmed",
      missing > 0
        ? "The intermediary confirmed the payment; PayGov had not received its callback and has now recorded it"
        : "PayGov had already recorded the payment as paid",
      "paygov",
    );
  }
  if (input.reason === "double_charge" && paidAttempts(now).length >= 2) {
    const duplicates = paidAttempts(now).length - 1;
    const refunding = now.refunds.filter((r) => r.status !== "error").length;
    if (refunding >= duplicates) {
      return resolve(
        "duplicate_refunded",
        "The citizen paid twice; the second payment is being refunded",
        "paygov",
      );
    }
  }

  // The facts do not settle it: an operator decides, within the SLA or escalated after it.
  const decided = await condition(() => decision !== null, input.slaMs);
  if (!decided) {
    await ledger.recordInquiryEscalated(input.inquiryId, `${input.inquiryId}:escalated`);
    status = "escalated";
    await condition(() => decision !== null);
  }
  const d = decision!;
  if (d.decision === "confirm_payment") {
    // The operator has evidence the money arrived (a bank statement): it is reported like a callback.
    const latest = now.attempts[now.attempts.length - 1];
    if (latest && now.paymentStatus !== "success") {
      await payment.signal(callbackSignal, {
        connector: latest.connector,
        reference: latest.reference,
        providerTxnId: latest.intermediary?.providerTxnId ?? null,
        amount: now.amount,
        outcome: "succeeded",
        providerCode: `operator:${d.operator}`,
        paidAt: null,
        cancelledByPayer: false,
        channel: "inquiry",
      });
    }
  }
  const outcome =
    d.decision === "confirm_payment"
      ? "payment_confirmed"
      : d.decision === "refund"
        ? "refunded"
        : "rejected";
  return resolve(outcome, d.refundId ? `${d.note} (refund ${d.refundId})` : d.note, d.operator);
}
