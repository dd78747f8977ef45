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
}

export interface AttemptQueryOutcome {
  readonly outcome: Outcome;
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
  readonly source: "ipn" | "return" | "query" | "collection";
  readonly cancelledByPayer: boolean;
  /** What the intermediary says it received, when it differs from what was due (a typed-in transfer). */
  readonly receivedAmount?: number;
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
}
