import type { Initiation, Outcome } from "../connectors/sdk/contract.ts";
import type { PaymentCreation } from "../workflows/messages.ts";

export interface OpenAttemptInput {
  readonly paymentId: string;
  readonly seq: number;
  readonly connector: string;
  readonly clientIp: string;
  readonly locale: "vi" | "en";
  /** The attempt's own deadline at the intermediary: never past the payment's expiry. */
  readonly expiresAt: string;
  readonly eventId: string;
}

export interface OpenedAttempt {
  readonly attemptId: string;
  readonly reference: string;
  readonly initiation: Initiation;
  /** When the attempt stops being payable: a redirect's own deadline, a QR's or a code's the payment's. */
  readonly expiresAt: string;
  /** Whether the intermediary can be asked about it; otherwise only its callback (or nothing) tells. */
  readonly queryable: boolean;
}

export interface AttemptQueryOutcome {
  readonly outcome: Outcome;
  readonly cancelledByPayer?: boolean;
  readonly providerTxnId: string | null;
  readonly amount: number | null;
  readonly providerCode: string;
  readonly paidAt: string | null;
}

/** Facts about how an attempt ended, as a callback or a query established them. */
export interface AttemptConclusion {
  readonly attemptId: string;
  readonly providerTxnId: string | null;
  readonly providerCode: string;
  readonly paidAt: string | null;
  readonly source: "ipn" | "return" | "query" | "collection" | "inquiry";
  readonly cancelledByPayer: boolean;
  /** What the intermediary says it received, when it differs from what was due (a typed-in transfer). */
  readonly receivedAmount?: number;
}

export interface RefundSubmission {
  readonly refundId: string;
  readonly paymentId: string;
  /** The paid attempt whose money goes back. */
  readonly attemptId: string;
  readonly amount: number;
  readonly reason: string;
  /** False when the refund returns money that is not the payment's (a duplicate, a surplus). */
  readonly countsAgainstPayment: boolean;
  readonly lines: ReadonlyArray<{ readonly index: number; readonly amount: number }> | null;
  readonly requestedBy: string;
  readonly eventId: string;
}

export interface RefundAttemptOutcome {
  readonly outcome: Outcome;
  readonly providerRefundId: string | null;
  readonly providerCode: string;
}

/** Which way an agency wants surprises settled. */
export interface AgencyPolicies {
  readonly lateSuccess: "accept" | "refund";
  readonly duplicateSuccess: "refund" | "keep";
}

/** The side effects of refunds, called by the refund workflow. */
export interface RefundActivities {
  /** Sends the refund to the intermediary; an answer that never came is `unknown`, never a guess. */
  submitRefund(refundId: string): Promise<RefundAttemptOutcome>;
  refundStatus(refundId: string): Promise<RefundAttemptOutcome>;
  recordRefundOutcome(
    refundId: string,
    outcome: {
      status: "success" | "error";
      providerRefundId: string | null;
      providerCode: string;
      note?: string;
    },
    eventId: string,
  ): Promise<void>;
}

/** The side effects of a payment's life, as the workflow calls them (implemented in activities/). */
export interface PaymentActivities {
  recordPaymentCreated(creation: PaymentCreation, eventId: string): Promise<void>;
  openAttempt(input: OpenAttemptInput): Promise<OpenedAttempt>;
  /** Marks an attempt that could not be opened at the intermediary. */
  recordAttemptError(attemptId: string, message: string): Promise<void>;
  queryAttempt(attemptId: string): Promise<AttemptQueryOutcome>;
  /** The latest attempt failed: the payment becomes `failed` but the citizen may try again. */
  recordAttemptFailed(c: AttemptConclusion, eventId: string, latest: boolean): Promise<void>;
  recordPaymentSucceeded(c: AttemptConclusion, eventId: string): Promise<void>;
  /** No attempt was paid by the deadline; open attempts end as `expired` or `unknown`. */
  recordPaymentExpired(
    paymentId: string,
    attempts: ReadonlyArray<{ attemptId: string; status: "expired" | "unknown" }>,
    eventId: string,
  ): Promise<void>;
  /** A second attempt was paid after the payment already succeeded: recorded, never lost. */
  recordDuplicateSuccess(c: AttemptConclusion, eventId: string): Promise<void>;
  /** An attempt was paid after the payment expired or was cancelled: recorded, never lost. */
  recordLateSuccess(c: AttemptConclusion, eventId: string): Promise<void>;
  /**
   * Puts a refund in the ledger as submitted, checking under a lock that the payment still has the
   * amount available; returns whether an operator must complete it (no refund API).
   */
  recordRefundSubmitted(submission: RefundSubmission): Promise<{ manual: boolean }>;
  /** Closes an open attempt at the intermediary where the protocol allows it (best effort). */
  cancelAttempt(attemptId: string): Promise<void>;
  recordPaymentCancelled(
    paymentId: string,
    attemptIds: ReadonlyArray<string>,
    eventId: string,
  ): Promise<void>;
  agencyPolicies(paymentId: string): Promise<AgencyPolicies>;
}

/** What the ledger and the intermediaries say about a payment, for an inquiry to compare. */
export interface PaymentFacts {
  readonly paymentStatus: string;
  readonly amount: number;
  readonly attempts: ReadonlyArray<{
    readonly attemptId: string;
    readonly connector: string;
    readonly reference: string;
    readonly ledgerStatus: string;
    readonly amount: number;
    /** The intermediary's answer now, or null when it has no query API. */
    readonly intermediary: AttemptQueryOutcome | null;
  }>;
  readonly refunds: ReadonlyArray<{
    readonly refundId: string;
    readonly attemptId: string;
    readonly amount: number;
    readonly status: string;
  }>;
}

/** The side effects of an inquiry (tra soát). */
export interface InquiryActivities {
  recordInquiryOpened(input: {
    inquiryId: string;
    paymentId: string;
    agencyId: string;
    reason: string;
    note: string | null;
    openedAt: string;
    slaDueAt: string;
    eventId: string;
  }): Promise<void>;
  /** Reads the ledger and, with `ask`, queries every attempt's intermediary. */
  inspectPayment(paymentId: string, ask: boolean): Promise<PaymentFacts>;
  recordInquiryEscalated(inquiryId: string, eventId: string): Promise<void>;
  recordInquiryResolved(
    inquiryId: string,
    resolution: { resolution: string; note: string; resolvedBy: string },
    eventId: string,
  ): Promise<void>;
}
