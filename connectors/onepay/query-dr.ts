/**
 * OnePay's queryDR (§6.2): "what became of this vpc_MerchTxnRef?", asked with the queryDR user and
 * password and signed like every vpc_* message; the answer is a signed form-encoded body carrying
 * vpc_DRExists (Y/N) and, when the transaction exists, its vpc_TxnResponseCode. Pure: no I/O, never throws.
 */
import type { QueryResult } from "../sdk/contract.ts";
import {
  isOnepayResponseCode,
  ONEPAY_RESPONSE_CODES,
  type OnepayMerchant,
  type OnepayParams,
  parseOnepayAmount,
  providerTxnId,
  readOnepayParams,
  secureHashValid,
  signParams,
} from "./protocol.ts";

/** vpc_Version of queryDR: 1, not the pay command's 2 [T]. */
export const ONEPAY_QUERY_VERSION = "1";

/** The signed queryDR request, sent as a form-encoded POST body to ONEPAY_API_URL. */
export const buildQueryDrRequest = (reference: string, merchant: OnepayMerchant): Record<string, string> =>
  signParams(
    {
      vpc_Command: "queryDR",
      vpc_Version: ONEPAY_QUERY_VERSION,
      vpc_Merchant: merchant.merchant,
      vpc_AccessCode: merchant.accessCode,
      vpc_MerchTxnRef: reference,
      vpc_User: merchant.user,
      vpc_Password: merchant.password,
    },
    merchant.hashKey,
  );

/** Signs a queryDR answer (the simulator's side). */
export const signQueryDrResponse = (fields: OnepayParams, hexKey: string): Record<string, string> =>
  signParams(fields, hexKey);

/**
 * What a queryDR answer means for the connector: a result (possibly `unknown`: ask again), or an answer
 * that cannot be trusted (unsigned, badly signed, or about another transaction).
 */
export type QueryDecision =
  | { readonly kind: "result"; readonly result: QueryResult }
  | { readonly kind: "unverifiable"; readonly message: string };

export interface QueryContext {
  readonly merchant: OnepayMerchant;
  readonly reference: string;
  /** When PayGov stops waiting for this attempt. */
  readonly expiresAt: Date;
  readonly now: Date;
}

/**
 * How long after the attempt's expiry "no such transaction" still only means "not yet". Unlike VNPay's
 * vnp_ExpireDate, the pay request carries no expiry (§6.1), so OnePay cannot refuse a late link; its
 * page session times out on its own (code 253) after a time that is not public [U]. One attempt
 * lifetime (15 minutes) covers a citizen who opened the page just before the attempt expired.
 */
export const NOT_FOUND_GRACE_MS = 15 * 60 * 1000;

const result = (fields: QueryResult): QueryDecision => ({ kind: "result", result: fields });

const unknownResult = (providerCode: string): QueryDecision =>
  result({ outcome: "unknown", providerTxnId: null, amount: null, providerCode, paidAt: null });

const describe = (params: OnepayParams): string => {
  const code = params.vpc_TxnResponseCode ?? "";
  const message = params.vpc_Message ?? "";
  return code === "" && message === "" ? "" : ` (${[code, message].filter((t) => t !== "").join(": ")})`;
};

/** vpc_DRExists=Y: the transaction's own response code decides; an unexplained code decides nothing. */
const existing = (params: OnepayParams): QueryDecision => {
  const code = params.vpc_TxnResponseCode ?? "";
  if (!isOnepayResponseCode(code)) return unknownResult(code);
  const { outcome } = ONEPAY_RESPONSE_CODES[code];
  const amount = parseOnepayAmount(params.vpc_Amount ?? "");
  if (outcome === "succeeded" && amount === null) return unknownResult(code);
  return result({
    outcome,
    providerTxnId: providerTxnId(params.vpc_TransactionNo),
    amount,
    providerCode: code,
    // §6.2 gives no payment time in queryDR either; PayGov records when it learnt of the payment.
    paidAt: null,
  });
};

/**
 * vpc_DRExists=N: OnePay has no transaction under this reference, so the citizen has not paid it. While
 * the attempt is open (plus the grace) that means "not yet" (pending); after it, failed.
 */
const missing = (context: QueryContext): QueryDecision => {
  const expired = context.now.getTime() > context.expiresAt.getTime() + NOT_FOUND_GRACE_MS;
  return result({
    outcome: expired ? "failed" : "pending",
    providerTxnId: null,
    amount: null,
    providerCode: "DRExists=N",
    paidAt: null,
  });
};

/** Verifies a queryDR answer (the response body as text) and maps it onto the contract's QueryResult. */
export const toQueryDecision = (body: string, context: QueryContext): QueryDecision => {
  const read = readOnepayParams(new URLSearchParams(body.trim()));
  if (!read.ok) return { kind: "unverifiable", message: `queryDR answer: ${read.message}` };
  const params = read.value;
  // Refusals of our request (wrong user, password or access code) come back unsigned [U]: never a
  // result, since a wrong password must not read as "not paid" and turn failed after the grace.
  if ((params.vpc_SecureHash ?? "") === "")
    return { kind: "unverifiable", message: `queryDR answer is not signed${describe(params)}` };
  if (!secureHashValid(params, context.merchant.hashKey))
    return { kind: "unverifiable", message: "queryDR answer: vpc_SecureHash does not match" };
  if (params.vpc_Merchant !== context.merchant.merchant || params.vpc_MerchTxnRef !== context.reference)
    return { kind: "unverifiable", message: "the queryDR answer is about another transaction" };
  switch (params.vpc_DRExists) {
    case "Y":
      return existing(params);
    case "N":
      return missing(context);
    default:
      return unknownResult(`DRExists=${params.vpc_DRExists ?? ""}`);
  }
};
