// The entry the Temporal worker bundles: every workflow type PayGov runs.
export { paymentWorkflow } from "./payment.ts";
