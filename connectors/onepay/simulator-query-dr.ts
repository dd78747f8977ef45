/**
 * The simulated queryDR endpoint (…/onecomm-pay/Vpcdps.op, §6.2), checked in the order command →
 * merchant → access code → user and password → signature → transaction. A request it cannot
 * authenticate gets an unsigned refusal (OnePay's own refusal format is not public [U]); every answer
 * about a transaction is signed.
 */
import { type OnepayMerchant, readOnepayParams, secureHashValid, toQueryString } from "./protocol.ts";
import { signQueryDrResponse } from "./query-dr.ts";
import { queryDrFields, type SimStore } from "./simulator-state.ts";

/** An unsigned refusal: vpc_DRExists=N with the reason, which nobody can mistake for a verified answer. */
const refusal = (code: string, message: string): string =>
  toQueryString({
    vpc_Command: "queryDR",
    vpc_DRExists: "N",
    vpc_TxnResponseCode: code,
    vpc_Message: message,
  });

/** Answers one queryDR request (its fields, from the form body or the query string) as a form-encoded body. */
export const answerQueryDr = (
  pairs: Iterable<readonly [string, string]>,
  store: SimStore,
  merchant: OnepayMerchant,
): string => {
  const read = readOnepayParams(pairs);
  if (!read.ok) return refusal("7", read.message);
  const p = read.value;
  if (p.vpc_Command !== "queryDR") return refusal("7", "vpc_Command must be queryDR");
  if (p.vpc_Merchant !== merchant.merchant) return refusal("3", "Merchant does not exist");
  if (p.vpc_AccessCode !== merchant.accessCode) return refusal("4", "Invalid access code");
  if (p.vpc_User !== merchant.user || p.vpc_Password !== merchant.password)
    return refusal("7", "Invalid user or password");
  if (!secureHashValid(p, merchant.hashKey)) return refusal("7", "Invalid secure hash");
  const txnRef = p.vpc_MerchTxnRef ?? "";
  if (txnRef === "") return refusal("7", "vpc_MerchTxnRef is missing");
  const order = store.orders.get(txnRef);
  const fields =
    order === undefined
      ? {
          vpc_Command: "queryDR",
          vpc_DRExists: "N",
          vpc_MerchTxnRef: txnRef,
          vpc_Merchant: merchant.merchant,
        }
      : queryDrFields(order, merchant.merchant);
  return toQueryString(signQueryDrResponse(fields, merchant.hashKey));
};
