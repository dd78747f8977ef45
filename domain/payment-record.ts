import type { Initiation } from "../connectors/sdk/contract.ts";
import type { PaymentStatus } from "../workflows/messages.ts";
import type { FeeLine } from "./create-payment.ts";

/** A payment as the ledger's projection holds it. */
export interface PaymentRecord {
  readonly id: string;
  readonly agencyId: string;
  readonly amount: number;
  readonly reference: string;
  readonly description: string;
  readonly procedureCode: string | null;
  readonly returnUrl: string;
  readonly language: "vi" | "en";
  readonly payer: { name: string; id_number?: string; email?: string; phone?: string };
  readonly metadata: Record<string, string | number | boolean> | null;
  readonly preselectedConnector: string | null;
  readonly status: PaymentStatus;
  readonly finished: boolean;
  readonly stateCode: string | null;
  readonly stateMessage: string | null;
  readonly connector: string | null;
  readonly providerTxnId: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly succeededAt: Date | null;
  /** The 16-digit code a citizen can pay with at a counter or in a banking app. */
  readonly paymentCode: string | null;
  readonly lines: ReadonlyArray<FeeLine>;
  /** Refunds of the payment's own money, submitted or done (not a duplicate's or a surplus's). */
  readonly refundedAmount: number;
  /** The latest attempt still open at an intermediary, if any. */
  readonly openAttempt: {
    readonly connector: string;
    readonly initiation: Initiation;
    readonly expiresAt: Date;
  } | null;
}

/** An attempt at an intermediary, as the ledger holds it. */
export interface AttemptRecord {
  readonly id: string;
  readonly paymentId: string;
  readonly seq: number;
  readonly connector: string;
  readonly reference: string;
  readonly amount: number;
  readonly status: "open" | "succeeded" | "failed" | "expired" | "unknown" | "error";
  readonly providerTxnId: string | null;
  readonly providerCode: string | null;
  readonly locale: "vi" | "en";
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** The state block portals read: status, whether it is final, and why it failed. */
export interface PaymentState {
  readonly status: PaymentStatus;
  readonly finished: boolean;
  readonly code?: string;
  readonly message?: string;
}

export const paymentState = (
  p: Pick<PaymentRecord, "status" | "finished" | "stateCode" | "stateMessage">,
): PaymentState => ({
  status: p.status,
  finished: p.finished,
  ...(p.stateCode ? { code: p.stateCode } : {}),
  ...(p.stateMessage ? { message: p.stateMessage } : {}),
});

/** Stable codes of `state.code`, with the sentence portals see in `state.message`. */
export const STATE_CODES = {
  attempt_declined: "The intermediary declined the latest attempt; the citizen may try again",
  attempt_cancelled: "The citizen cancelled the latest attempt at the intermediary; they may try again",
  attempt_underpaid:
    "The citizen transferred less than is due; the transfer is returned and they may pay again",
  expired: "The payment expired before it was paid",
  cancelled: "The payment was cancelled",
  provider_error: "The intermediary could not take the payment",
} as const;
export type StateCode = keyof typeof STATE_CODES;
