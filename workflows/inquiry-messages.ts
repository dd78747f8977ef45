import { defineQuery, defineSignal, defineUpdate } from "@temporalio/workflow";

export type InquiryReason = "paid_not_confirmed" | "double_charge" | "wrong_amount" | "refund_request";
export type InquiryStatus = "open" | "escalated" | "resolved";

export interface InquiryWorkflowInput {
  readonly inquiryId: string;
  readonly paymentId: string;
  readonly agencyId: string;
  readonly reason: InquiryReason;
  readonly note: string | null;
  readonly openedAt: string;
  /** How long the inquiry waits for an operator before it is escalated. */
  readonly slaMs: number;
  /** Between two looks at the ledger while a reported fact is being recorded. */
  readonly pollMs: number;
}

/** An operator's decision on an inquiry the facts could not settle (ops API). */
export interface InquiryDecision {
  readonly decision: "confirm_payment" | "refund" | "reject";
  readonly note: string;
  readonly operator: string;
  /** Set by the ops API when the decision refunded money. */
  readonly refundId?: string;
}

export const inquiryRecordedUpdate = defineUpdate<{ status: InquiryStatus }>("inquiryRecorded");
export const inquiryDecisionSignal = defineSignal<[InquiryDecision]>("inquiryDecision");
export const inquiryStatusQuery = defineQuery<{ status: InquiryStatus; resolution: string | null }>(
  "inquiryStatus",
);

/** Inquiry workflows are `inquiry-<inquiry id>`. */
export const inquiryWorkflowId = (inquiryId: string): string => `inquiry-${inquiryId}`;
