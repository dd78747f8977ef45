// The entry the Temporal worker bundles: every workflow type PayGov runs.

export { inquiryWorkflow } from "./inquiry.ts";
export { paymentWorkflow } from "./payment.ts";
export { reconciliationWorkflow, scheduledReconciliationWorkflow } from "./reconciliation.ts";
export { refundWorkflow } from "./refund.ts";
export { scheduledSettlementWorkflow, settlementWorkflow } from "./settlement.ts";
