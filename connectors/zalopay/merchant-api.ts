/**
 * ZaloPay's server APIs after the create order (§3.2, §3.4): /v2/query, /v2/refund and
 * /v2/query_refund, signed with key1 over pipe-joined values, and what their return_code and
 * sub_return_code mean for the connector contract. Pure: no I/O, never throws.
 */
import type { Outcome, QueryResult, RefundResult } from "../sdk/contract.ts";
import {
  type Checked,
  hmacSha256Hex,
  idDigitsOf,
  integerOf,
  isAmount,
  isJsonObject,
  type JsonObject,
  ok,
  refused,
  vietnamYymmdd,
  type ZalopayMerchant,
} from "./protocol.ts";

// ---------------------------------------------------------------------------------------------
// Code tables. Each is a Record over its literal union, so a code added to a union without a
// decision does not compile.

/** return_code of every API answer: 1 success, 2 failure, 3 processing (§3.2, status-codes page [C]). */
export type ZalopayReturnCode = 1 | 2 | 3;

/** What the three return codes say about a payment when /v2/query answers with them (§3.4). */
export const QUERY_OUTCOMES: Record<ZalopayReturnCode, Outcome> = {
  1: "succeeded",
  // "If the return_code is 2 (FAIL), check the sub_return_code" [C]: the request-level codes below
  // are read first; any other 2 is the payment's own failure (declined, cancelled, expired).
  2: "failed",
  3: "pending", // unpaid yet, or being processed (§3.4)
};

/** What the three return codes say about a refund, from /v2/refund or /v2/query_refund (§3.4). */
export const REFUND_OUTCOMES: Record<ZalopayReturnCode, Outcome> = {
  1: "succeeded",
  2: "failed",
  3: "pending", // refunds are asynchronous: ask /v2/query_refund
};

const isReturnCode = (code: number): code is ZalopayReturnCode => code === 1 || code === 2 || code === 3;

/**
 * Codes for a request ZaloPay did not carry out (§3.2 table; status-codes page [C]; -403/-405 from
 * ZaloPay's own SDK spec, zalopay-oss/zalopay-nodejs specs/zlp.yaml [S]). ZaloPay puts them in
 * sub_return_code under return_code 2, and its SDK spec also lists them as return_code values.
 *   invalid: what PayGov sent is wrong (fields, app, mac, a reused id): resending it will not help.
 *   busy: ZaloPay did not act (rate limit, maintenance): the same request may be sent again.
 *   error: ZaloPay failed while handling it: for a create "order initialization failed" [C], for
 *          anything else whether it acted is unknown until it is asked again.
 */
export type ZalopayRequestCode = -68 | -401 | -402 | -403 | -405 | -429 | -500 | -999;

export type RequestVerdict = "invalid" | "busy" | "error";

export const ZALOPAY_REQUEST_CODES: Record<
  ZalopayRequestCode,
  { readonly name: string; readonly verdict: RequestVerdict }
> = {
  [-68]: { name: "DUPLICATE_APP_TRANS_ID", verdict: "invalid" },
  [-401]: { name: "ILLEGAL_DATA_REQUEST", verdict: "invalid" },
  [-402]: { name: "ILLEGAL_APP_OR_SIGNATURE_REQUEST", verdict: "invalid" },
  [-403]: { name: "ILLEGAL_SIGNATURE_REQUEST", verdict: "invalid" },
  [-405]: { name: "ILLEGAL_CLIENT_REQUEST", verdict: "invalid" },
  [-429]: { name: "LIMIT_REQUEST_REACH", verdict: "busy" },
  [-500]: { name: "SYSTEM_ERROR", verdict: "error" },
  [-999]: { name: "SYSTEM_MAINTENANCE", verdict: "busy" },
};

const isRequestCode = (code: number): code is ZalopayRequestCode =>
  Object.hasOwn(ZALOPAY_REQUEST_CODES, code);

/**
 * sub_return_code values a query reports about the payment itself under return_code 2. Each is
 * "failed"; they are named so that the simulator answers with ZaloPay's own numbers.
 */
export type ZalopayPaymentFailureCode = -54 | -329;

export const ZALOPAY_PAYMENT_FAILURES: Record<ZalopayPaymentFailureCode, string> = {
  [-54]: "TIME_INVALID: the order expired unpaid (§3.2 table)",
  [-329]: "the user cancelled the payment (zalopay-nodejs specs/zlp.yaml [S])",
};

// ---------------------------------------------------------------------------------------------
// Answers: {return_code, return_message, sub_return_code, sub_return_message, ...}.

/** The common part of every ZaloPay answer, plus the rest of its fields. */
export interface ZalopayAnswer {
  readonly returnCode: number;
  readonly returnMessage: string;
  readonly subReturnCode: number | null;
  readonly subReturnMessage: string;
  readonly fields: JsonObject;
}

const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** Reads an answer's codes; refused unless it is a JSON object with an integer return_code. */
export const readAnswer = (body: unknown): Checked<ZalopayAnswer> => {
  if (!isJsonObject(body)) return refused("the answer is not a JSON object");
  const returnCode = integerOf(body.return_code);
  if (returnCode === null) return refused("the answer has no return_code");
  return ok({
    returnCode,
    returnMessage: text(body.return_message),
    subReturnCode: integerOf(body.sub_return_code),
    subReturnMessage: text(body.sub_return_message),
    fields: body,
  });
};

/** `return_code/sub_return_code`, the code kept on the attempt for operators. */
export const providerCodeOf = (answer: ZalopayAnswer): string =>
  answer.subReturnCode === null ? String(answer.returnCode) : `${answer.returnCode}/${answer.subReturnCode}`;

/** The request-level code an answer carries, as return_code or as sub_return_code under 2. */
export const requestCodeOf = (answer: ZalopayAnswer): ZalopayRequestCode | null => {
  if (isRequestCode(answer.returnCode)) return answer.returnCode;
  if (answer.returnCode === 2 && answer.subReturnCode !== null && isRequestCode(answer.subReturnCode))
    return answer.subReturnCode;
  return null;
};

const describe = (answer: ZalopayAnswer): string => {
  const message = answer.subReturnMessage || answer.returnMessage;
  return `${providerCodeOf(answer)}${message === "" ? "" : ` ${message}`}`;
};

// ---------------------------------------------------------------------------------------------
// Create order answer (§3.2).

/** What a create answer means for the connector. */
export type CreateDecision =
  | { readonly kind: "created"; readonly orderUrl: string; readonly zpTransToken: string }
  /** Our request is wrong: InvalidRequest, never retried. */
  | { readonly kind: "refused"; readonly providerCode: string; readonly message: string }
  /** ZaloPay would not take this order (a return_code 2 that is not about the request): Declined. */
  | { readonly kind: "declined"; readonly providerCode: string; readonly message: string }
  /** ZaloPay did not create the order: Unavailable, safe to send again with the same app_trans_id. */
  | { readonly kind: "busy"; readonly message: string }
  /** No usable answer: OutcomeUnknown. */
  | { readonly kind: "unverifiable"; readonly message: string };

const isHttpUrl = (value: string): boolean =>
  URL.canParse(value) && ["http:", "https:"].includes(new URL(value).protocol);

export const toCreateDecision = (body: unknown): CreateDecision => {
  const read = readAnswer(body);
  if (!read.ok) return { kind: "unverifiable", message: `create answer: ${read.message}` };
  const answer = read.value;
  const requestCode = requestCodeOf(answer);
  if (requestCode !== null) {
    const { name, verdict } = ZALOPAY_REQUEST_CODES[requestCode];
    const message = `ZaloPay did not create the order: ${name} (${describe(answer)})`;
    // A -500 on create is "order initialization failed" [C]: nothing to pay exists, and a resend of
    // the same app_trans_id that did get through is refused with -68, never charged twice.
    return verdict === "invalid"
      ? { kind: "refused", providerCode: providerCodeOf(answer), message }
      : { kind: "busy", message };
  }
  if (answer.returnCode === 1) {
    const orderUrl = text(answer.fields.order_url);
    if (!isHttpUrl(orderUrl)) return { kind: "unverifiable", message: "create answer: order_url is missing" };
    return { kind: "created", orderUrl, zpTransToken: text(answer.fields.zp_trans_token) };
  }
  if (answer.returnCode === 2)
    return {
      kind: "declined",
      providerCode: providerCodeOf(answer),
      message: `ZaloPay refused the order (${describe(answer)})`,
    };
  return { kind: "unverifiable", message: `create answer: unexpected return_code (${describe(answer)})` };
};

// ---------------------------------------------------------------------------------------------
// Query (§3.4): mac = HMAC(key1, app_id|app_trans_id|key1), key1 itself the last element.

export type ZalopayQueryRequest = {
  readonly app_id: string;
  readonly app_trans_id: string;
  readonly mac: string;
};

export const queryMacData = (appId: string, appTransId: string, key1: string): string =>
  `${appId}|${appTransId}|${key1}`;

export const buildQueryRequest = (appTransId: string, merchant: ZalopayMerchant): ZalopayQueryRequest => {
  const appId = String(merchant.appId);
  return {
    app_id: appId,
    app_trans_id: appTransId,
    mac: hmacSha256Hex(merchant.key1, queryMacData(appId, appTransId, merchant.key1)),
  };
};

/**
 * What a query answer means: a result (possibly `unknown`: ask again), a refusal of our request (the
 * configuration is wrong: asking again will not help), or no usable answer.
 */
export type QueryDecision =
  | { readonly kind: "result"; readonly result: QueryResult }
  | { readonly kind: "refused"; readonly providerCode: string; readonly message: string }
  | { readonly kind: "unverifiable"; readonly message: string };

const queryResult = (
  outcome: Outcome,
  providerCode: string,
  extra: Partial<QueryResult> = {},
): QueryDecision => ({
  kind: "result",
  result: { outcome, providerTxnId: null, amount: null, providerCode, paidAt: null, ...extra },
});

/**
 * Maps a /v2/query answer. ZaloPay does not sign it (it comes over TLS from the API host), so what
 * can be checked is its shape: a success without an amount or a zp_trans_id concludes nothing.
 */
export const toQueryDecision = (body: unknown): QueryDecision => {
  const read = readAnswer(body);
  if (!read.ok) return { kind: "unverifiable", message: `query answer: ${read.message}` };
  const answer = read.value;
  const code = providerCodeOf(answer);
  const requestCode = requestCodeOf(answer);
  if (requestCode !== null) {
    const { name, verdict } = ZALOPAY_REQUEST_CODES[requestCode];
    return verdict === "invalid"
      ? {
          kind: "refused",
          providerCode: code,
          message: `ZaloPay refused the query: ${name} (${describe(answer)})`,
        }
      : queryResult("unknown", code);
  }
  if (!isReturnCode(answer.returnCode)) return queryResult("unknown", code);
  const outcome = QUERY_OUTCOMES[answer.returnCode];
  if (outcome !== "succeeded") return queryResult(outcome, code);
  const amount = integerOf(answer.fields.amount);
  const zpTransId = idDigitsOf(answer.fields.zp_trans_id);
  if (amount === null || !isAmount(amount) || zpTransId === null) return queryResult("unknown", code);
  return queryResult("succeeded", code, { amount, providerTxnId: zpTransId });
};

// ---------------------------------------------------------------------------------------------
// Refund (§3.4): m_refund_id = yymmdd_appid_<unique>; mac = HMAC(key1,
// app_id|zp_trans_id|amount[|refund_fee_amount]|description|timestamp).

const REFUND_UNIQUE = /^[A-Za-z0-9]{1,40}$/;

/**
 * `yymmdd_appid_<unique>`: the Vietnam date the refund was asked for, the app, and PayGov's own refund
 * reference. The same refund always gets the same id, so /v2/query_refund finds it (§3.4).
 */
export const toMRefundId = (requestedAt: Date, appId: number, unique: string): Checked<string> => {
  if (Number.isNaN(requestedAt.getTime())) return refused("the refund's request time is not valid");
  if (!REFUND_UNIQUE.test(unique))
    return refused(`refund reference "${unique}" must be 1 to 40 letters or digits`);
  return ok(`${vietnamYymmdd(requestedAt)}_${appId}_${unique}`);
};

export interface ZalopayRefundInput {
  readonly mRefundId: string;
  readonly zpTransId: string;
  /** Integer VND. */
  readonly amount: number;
  /** Optional fee kept back, in VND; it joins the mac right after amount (§3.4). */
  readonly refundFeeAmount?: number;
  readonly description: string;
  readonly timestamp: Date;
}

export type ZalopayRefundRequest = {
  readonly app_id: string;
  readonly m_refund_id: string;
  readonly zp_trans_id: string;
  readonly amount: string;
  readonly refund_fee_amount?: string;
  readonly timestamp: string;
  readonly description: string;
  readonly mac: string;
};

export const refundMacData = (r: Omit<ZalopayRefundRequest, "mac" | "m_refund_id">): string =>
  [
    r.app_id,
    r.zp_trans_id,
    r.amount,
    ...(r.refund_fee_amount === undefined ? [] : [r.refund_fee_amount]),
    r.description,
    r.timestamp,
  ].join("|");

const MAX_REFUND_DESCRIPTION = 100;

export const buildRefundRequest = (
  input: ZalopayRefundInput,
  merchant: ZalopayMerchant,
): Checked<ZalopayRefundRequest> => {
  if (!isAmount(input.amount))
    return refused(`amount must be a whole number of VND above 0, got ${input.amount}`);
  if (
    input.refundFeeAmount !== undefined &&
    !(Number.isSafeInteger(input.refundFeeAmount) && input.refundFeeAmount >= 0)
  )
    return refused("refund_fee_amount must be a whole number of VND");
  if (idDigitsOf(input.zpTransId) === null)
    return refused("zp_trans_id must be ZaloPay's numeric transaction id");
  if (Number.isNaN(input.timestamp.getTime())) return refused("the timestamp is not a valid instant");
  const fields = {
    app_id: String(merchant.appId),
    zp_trans_id: input.zpTransId,
    amount: String(input.amount),
    ...(input.refundFeeAmount === undefined ? {} : { refund_fee_amount: String(input.refundFeeAmount) }),
    description: input.description.slice(0, MAX_REFUND_DESCRIPTION) || "Hoan tien",
    timestamp: String(input.timestamp.getTime()),
  };
  return ok({
    ...fields,
    m_refund_id: input.mRefundId,
    mac: hmacSha256Hex(merchant.key1, refundMacData(fields)),
  });
};

export type ZalopayQueryRefundRequest = {
  readonly app_id: string;
  readonly m_refund_id: string;
  readonly timestamp: string;
  readonly mac: string;
};

export const queryRefundMacData = (appId: string, mRefundId: string, timestamp: string): string =>
  `${appId}|${mRefundId}|${timestamp}`;

export const buildQueryRefundRequest = (
  mRefundId: string,
  timestamp: Date,
  merchant: ZalopayMerchant,
): ZalopayQueryRefundRequest => {
  const appId = String(merchant.appId);
  const stamp = String(timestamp.getTime());
  return {
    app_id: appId,
    m_refund_id: mRefundId,
    timestamp: stamp,
    mac: hmacSha256Hex(merchant.key1, queryRefundMacData(appId, mRefundId, stamp)),
  };
};

/** What a /v2/refund or /v2/query_refund answer means for the connector. */
export type RefundDecision =
  | { readonly kind: "result"; readonly result: RefundResult }
  /** Our request is wrong (fields, mac, an unknown zp_trans_id or m_refund_id): InvalidRequest. */
  | { readonly kind: "refused"; readonly providerCode: string; readonly message: string }
  /** ZaloPay did not act: Unavailable, the same m_refund_id may be sent again. */
  | { readonly kind: "busy"; readonly message: string }
  | { readonly kind: "unverifiable"; readonly message: string };

/**
 * Maps a refund or refund-query answer. A -500 leaves the refund `unknown` (it may have been taken);
 * /v2/query_refund with the same m_refund_id settles it. Any other return_code 2 is ZaloPay refusing
 * the refund itself.
 */
export const toRefundDecision = (body: unknown, api: "refund" | "query_refund"): RefundDecision => {
  const read = readAnswer(body);
  if (!read.ok) return { kind: "unverifiable", message: `${api} answer: ${read.message}` };
  const answer = read.value;
  const code = providerCodeOf(answer);
  const providerRefundId = idDigitsOf(answer.fields.refund_id);
  const result = (outcome: Outcome): RefundDecision => ({
    kind: "result",
    result: { outcome, providerRefundId, providerCode: code },
  });
  const requestCode = requestCodeOf(answer);
  if (requestCode !== null) {
    const { name, verdict } = ZALOPAY_REQUEST_CODES[requestCode];
    if (verdict === "invalid")
      return {
        kind: "refused",
        providerCode: code,
        message: `ZaloPay refused the ${api}: ${name} (${describe(answer)})`,
      };
    return verdict === "busy"
      ? { kind: "busy", message: `ZaloPay did not take the ${api}: ${name}` }
      : result("unknown");
  }
  return isReturnCode(answer.returnCode) ? result(REFUND_OUTCOMES[answer.returnCode]) : result("unknown");
};
