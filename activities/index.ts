import { Context } from "@temporalio/activity";
import { Effect, type ManagedRuntime } from "effect";
import type { TreasuryClient } from "../connectors/treasury/client.ts";
import * as inquiries from "./inquiries.ts";
import * as payments from "./payments.ts";
import * as reconciliation from "./reconciliation.ts";
import * as refunds from "./refunds.ts";
import { makeRunner } from "./run.ts";
import type { ActivityServices } from "./services.ts";
import * as settlement from "./settlement.ts";
import type { InquiryActivities, PaymentActivities, RefundActivities } from "./types.ts";

// Activities receive Temporal's cancellation signal so a cancelled activity stops its HTTP calls too.
const cancellation = (): AbortSignal | undefined => {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
};

/** The activities the payment workflow calls, bound to one worker's runtime. */
export const createActivities = (
  runtime: ManagedRuntime.ManagedRuntime<ActivityServices, never>,
): PaymentActivities => {
  const run = makeRunner(runtime);
  return {
    recordPaymentCreated: (creation, eventId) => run(payments.recordPaymentCreated(creation, eventId)),
    openAttempt: (input) => run(payments.openAttempt(input), cancellation()),
    recordAttemptError: (attemptId, message) => run(payments.recordAttemptError(attemptId, message)),
    queryAttempt: (attemptId) => run(payments.queryAttempt(attemptId), cancellation()),
    recordAttemptFailed: (c, eventId, latest) => run(payments.recordAttemptFailed(c, eventId, latest)),
    recordPaymentSucceeded: (c, eventId) => run(payments.recordPaymentSucceeded(c, eventId)),
    recordPaymentExpired: (paymentId, attempts, eventId) =>
      run(payments.recordPaymentExpired(paymentId, attempts, eventId)),
    recordDuplicateSuccess: (c, eventId) => run(payments.recordDuplicateSuccess(c, eventId)),
    recordLateSuccess: (c, eventId) => run(payments.recordLateSuccess(c, eventId)),
    recordRefundSubmitted: (submission) => run(refunds.recordRefundSubmitted(submission)),
    cancelAttempt: (attemptId) => run(payments.cancelAttempt(attemptId), cancellation()),
    recordPaymentCancelled: (paymentId, attemptIds, eventId) =>
      run(payments.recordPaymentCancelled(paymentId, attemptIds, eventId)),
    agencyPolicies: (paymentId) => run(payments.agencyPolicies(paymentId)),
  };
};

/** The activities the refund workflow calls. */
export const createRefundActivities = (
  runtime: ManagedRuntime.ManagedRuntime<ActivityServices, never>,
): RefundActivities => {
  const run = makeRunner(runtime);
  return {
    submitRefund: (refundId) => run(refunds.submitRefund(refundId), cancellation()),
    refundStatus: (refundId) => run(refunds.refundStatus(refundId), cancellation()),
    recordRefundOutcome: (refundId, outcome, eventId) =>
      run(refunds.recordRefundOutcome(refundId, outcome, eventId)),
  };
};

/** The activities the inquiry workflow calls. */
export const createInquiryActivities = (
  runtime: ManagedRuntime.ManagedRuntime<ActivityServices, never>,
): InquiryActivities => {
  const run = makeRunner(runtime);
  return {
    recordInquiryOpened: (input) => run(inquiries.recordInquiryOpened(input)),
    inspectPayment: (paymentId, ask) => run(inquiries.inspectPayment(paymentId, ask), cancellation()),
    recordInquiryEscalated: (inquiryId, eventId) => run(inquiries.recordInquiryEscalated(inquiryId, eventId)),
    recordInquiryResolved: (inquiryId, resolution, eventId) =>
      run(inquiries.recordInquiryResolved(inquiryId, resolution, eventId)),
  };
};

/** The activities the settlement workflow calls, with the State Treasury's client. */
export const createSettlementActivities = (
  runtime: ManagedRuntime.ManagedRuntime<ActivityServices, never>,
  treasury: TreasuryClient,
): settlement.SettlementActivities => {
  const run = makeRunner(runtime);
  const withTreasury = Effect.provideService(settlement.Treasury, treasury);
  return {
    recordSettlementStarted: (input) => run(settlement.recordSettlementStarted(input)),
    computeSettlement: (settlementId) => run(settlement.computeSettlement(settlementId)),
    sendTreasuryDocuments: (settlementId) =>
      run(withTreasury(settlement.sendTreasuryDocuments(settlementId)), cancellation()),
    collectCreditAdvices: (settlementId) =>
      run(withTreasury(settlement.collectCreditAdvices(settlementId)), cancellation()),
    settledPayments: (settlementId, after, limit) =>
      run(settlement.settledPayments(settlementId, after, limit)),
  };
};

/** The activities the reconciliation workflow calls; inquiries it opens go through `startInquiry`. */
export const createReconciliationActivities = (
  runtime: ManagedRuntime.ManagedRuntime<ActivityServices, never>,
  startInquiry: reconciliation.InquiryStarter,
  timing: reconciliation.ReconciliationInquiryTiming,
): reconciliation.ReconciliationActivities => {
  const run = makeRunner(runtime);
  // A long import tells Temporal it is alive (its heartbeat timeout), every few thousand lines.
  const heartbeat = (lines: number) => {
    try {
      Context.current().heartbeat(lines);
    } catch {
      // Outside an activity (a direct call): nobody to tell.
    }
  };
  return {
    beginReconciliation: (input) => run(reconciliation.beginReconciliation(input)),
    importReconciliationFile: (runId) =>
      run(reconciliation.importReconciliationFile(runId, heartbeat), cancellation()),
    matchReconciliation: (runId) => run(reconciliation.matchReconciliation(runId)),
    openReconciliationInquiries: (runId) =>
      run(reconciliation.openReconciliationInquiries(runId, startInquiry, timing)),
    recordReconciliationRejected: (runId, rejection) =>
      run(reconciliation.recordReconciliationRejected(runId, rejection)),
    completeReconciliation: (runId) => run(reconciliation.completeReconciliation(runId)),
  };
};
