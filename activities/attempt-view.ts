import type { Attempt } from "../connectors/sdk/contract.ts";
import { asciiOrderInfo } from "../domain/order-info.ts";
import type { AttemptRecord, PaymentRecord } from "../domain/payment-record.ts";

/** The attempt as a connector sees it. */
export const attemptFor = (
  payment: PaymentRecord,
  attempt: AttemptRecord,
  publicUrl: string,
  extra: { clientIp: string; locale: "vi" | "en" },
): Attempt => ({
  paymentId: payment.id,
  attemptId: attempt.id,
  reference: attempt.reference,
  amount: attempt.amount,
  orderInfo: asciiOrderInfo(payment.reference),
  dossierCode: payment.reference,
  paymentCode: payment.paymentCode ?? "",
  createdAt: attempt.createdAt,
  expiresAt: attempt.expiresAt,
  clientIp: extra.clientIp,
  locale: extra.locale,
  ipnUrl: `${publicUrl}/callbacks/${attempt.connector}/ipn`,
  returnUrl: `${publicUrl}/callbacks/${attempt.connector}/return`,
});
