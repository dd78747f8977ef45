import { defineQuery, defineSignal, defineUpdate } from "@temporalio/workflow";
import type { Initiation } from "../connectors/sdk/contract.ts";
import type { FeeLine } from "../domain/create-payment.ts";

/** Payment statuses, as portals read them in `state.status`. */
export type PaymentStatus = "created" | "started" | "success" | "failed" | "expired" | "cancelled" | "error";

/** Everything the ledger records when a payment is created (the workflow's only copy of the request). */
export interface PaymentCreation {
  readonly paymentId: string;
  readonly agencyId: string;
  readonly amount: number;
  readonly reference: string;
  readonly description: string;
  readonly procedureCode: string | null;
  readonly returnUrl: string;
  readonly language: "vi" | "en";
  /**
   * The payer ({name, id_number?, email?, phone?}) sealed (domain/sealed-payload.ts): personal data stays
   * out of the workflow's history and the Temporal UI, and is opened only to be written to the ledger.
   */
  readonly payerSealed: string;
  readonly metadata: Record<string, string | number | boolean> | null;
  readonly lines: ReadonlyArray<FeeLine>;
  readonly preselectedConnector: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** Timings of the wait for callbacks; short in tests, minutes in production. */
export interface PaymentTiming {
  /** Wait this long for a callback before asking the intermediary. */
  readonly attemptQueryAfterMs: number;
  /** Between two queries that got no final answer. */
  readonly requeryEveryMs: number;
  /** Queries made at expiry before an attempt is left as unknown for reconciliation. */
  readonly queriesAtExpiry: number;
  /** After expiry or cancellation, how long a late success is still taken (then reconciliation finds it). */
  readonly lateWindowMs: number;
  /** After success, how long refunds go through the intermediary (later ones go through the treasury). */
  readonly refundWindowMs: number;
  /** Between two status checks of a refund the intermediary has not finished. */
  readonly refundStatusEveryMs: number;
}

export interface PaymentWorkflowInput {
  readonly creation: PaymentCreation;
  readonly agencyCode: string;
  readonly timing: PaymentTiming;
}

/** An attempt as the workflow tracks it. */
export interface AttemptView {
  readonly attemptId: string;
  readonly seq: number;
  readonly connector: string;
  readonly reference: string;
  readonly status: "open" | "succeeded" | "failed" | "expired" | "unknown" | "error";
  readonly initiation: Initiation | null;
  readonly expiresAt: string;
}

/** What the status query returns. */
export interface PaymentView {
  readonly paymentId: string;
  readonly status: PaymentStatus;
  readonly finished: boolean;
  readonly recorded: boolean;
  readonly attempts: ReadonlyArray<AttemptView>;
}

export interface ChooseConnector {
  readonly connector: string;
  readonly clientIp: string;
  readonly locale: "vi" | "en";
}

export type ChooseConnectorResult =
  | { readonly ok: true; readonly attemptId: string; readonly initiation: Initiation }
  | {
      readonly ok: false;
      readonly reason: "finished" | "initiate_failed";
      readonly message: string;
    };

/** A verified callback, reported by the HTTP edge once the connector has checked its signature. */
export interface CallbackReport {
  readonly connector: string;
  readonly reference: string;
  readonly providerTxnId: string | null;
  readonly amount: number;
  readonly outcome: "succeeded" | "failed" | "pending";
  readonly providerCode: string;
  readonly paidAt: string | null;
  readonly cancelledByPayer: boolean;
  readonly channel: "ipn" | "return" | "inquiry";
}

/** A counter (or bank app) collected the payment with its code: "thu hộ". */
export interface CollectPayment {
  readonly connector: string;
  /** The chain's transaction id: collecting is idempotent on it. */
  readonly providerTxnId: string;
  readonly amount: number;
  readonly paidAt: string;
}

export type CollectPaymentResult =
  | { readonly ok: true; readonly duplicate: boolean; readonly attemptId: string }
  | {
      readonly ok: false;
      readonly reason: "finished" | "already_paid" | "amount_mismatch" | "open_failed";
      readonly message: string;
    };

/** A portal (or PayGov itself) asks for money back. */
export interface RequestRefund {
  readonly refundId: string;
  readonly amount: number;
  /** What the caller read as available: a different value now means someone else refunded (412). */
  readonly refundAmountAvailable: number;
  readonly reason: string;
  readonly lines: ReadonlyArray<{ readonly index: number; readonly amount: number }> | null;
  readonly requestedBy: string;
  /**
   * The intermediary has already given the money back (a counter's reversal before its cut-off): the
   * refund is recorded as done at once, with this as its provider code.
   */
  readonly returnedBy?: string;
}

export type RequestRefundResult =
  | { readonly ok: true; readonly refundId: string }
  | {
      readonly ok: false;
      readonly reason: "not_available" | "available_mismatch" | "exceeds_available";
      readonly available: number;
      readonly message: string;
    };

export type CancelResult = { readonly ok: true } | { readonly ok: false; readonly status: PaymentStatus };

/** Facts an operator or an inquiry established, reported to the payment as a callback would be. */
export type InquiryReport = CallbackReport;

/** Resolves once the payment's creation is in the ledger; returns its view. */
export const paymentRecordedUpdate = defineUpdate<PaymentView>("paymentRecorded");
/** The citizen chose an intermediary: open (or reopen) an attempt there. */
export const chooseConnectorUpdate = defineUpdate<ChooseConnectorResult, [ChooseConnector]>(
  "chooseConnector",
);
/** A counter collected the payment: record it once, answer only when it is in the ledger. */
export const collectPaymentUpdate = defineUpdate<CollectPaymentResult, [CollectPayment]>("collectPayment");
/** The portal asks for a refund; answered once the refund is in the ledger (or refused). */
export const requestRefundUpdate = defineUpdate<RequestRefundResult, [RequestRefund]>("requestRefund");
/** The portal cancels the payment while it is not finished. */
export const cancelPaymentUpdate = defineUpdate<CancelResult, []>("cancelPayment");
/** An intermediary reported an outcome (durable as soon as the server accepts it). */
export const callbackSignal = defineSignal<[CallbackReport]>("callback");
/** The payment's status as the workflow knows it this instant. */
export const statusQuery = defineQuery<PaymentView>("status");
/**
 * The treasury confirmed the settlement that took this payment (its credit advices are in): a
 * succeeded payment's workflow ends only after this, and its refund window.
 */
export const paymentSettledSignal = defineSignal<[{ readonly settlementId: string }]>("paymentSettled");

/** A refund workflow's input: the refund is already in the ledger as submitted. */
export interface RefundWorkflowInput {
  readonly refundId: string;
  readonly paymentId: string;
  /** The intermediary has no refund API: an operator completes the refund (ops API). */
  readonly manual: boolean;
  /** Set when the intermediary already returned the money: the refund is recorded done at once. */
  readonly returnedBy?: string;
  readonly timing: { readonly statusEveryMs: number; readonly statusChecks: number };
}

/** An operator's word on a manual refund (ops API). */
export interface RefundDecision {
  readonly status: "success" | "error";
  readonly note: string;
  readonly operator: string;
}
export const refundDecisionSignal = defineSignal<[RefundDecision]>("refundDecision");

/** Workflow ids are `payment-<payment id>`. */
export const paymentWorkflowId = (paymentId: string): string => `payment-${paymentId}`;

/** Refund workflows are `refund-<refund id>`, children of their payment's workflow. */
export const refundWorkflowId = (refundId: string): string => `refund-${refundId}`;
