/**
 * VNPay's merchant API (…/merchant_webapi/api/transaction): querydr (§1.6) and refund (§1.7) as JSON
 * bodies signed over pipe-joined values in a fixed order, and the mapping of their answers onto the
 * connector contract. Pure: no I/O, never throws.
 */
import { createHash } from "node:crypto";
import type { Outcome, QueryResult, RefundResult } from "../sdk/contract.ts";
import {
  type Checked,
  hashesMatch,
  hmacSha512Hex,
  isTransactionStatus,
  normaliseOrderInfo,
  parseVnpayAmount,
  providerTxnId,
  toVnpayAmount,
  VNPAY_VERSION,
  type VnpayMerchant,
  type VnpayTransactionStatus,
} from "./protocol.ts";
import { formatVnpayDate, parseVnpayDate } from "./time.ts";

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const refused = <T>(message: string): Checked<T> => ({ ok: false, message });

// ---------------------------------------------------------------------------------------------
// Code tables. Each is a Record over its literal union, so a new code needs a decision to compile.

/**
 * What a querydr answer's status says about the payment. VNPay accepts a refund only of a successful
 * payment (§1.7, code 95), so every refund state proves the payment itself succeeded.
 */
const QUERY_OUTCOMES: Record<VnpayTransactionStatus, Outcome> = {
  "00": "succeeded",
  "01": "pending",
  "02": "failed",
  "04": "failed",
  "05": "succeeded",
  "06": "succeeded",
  "07": "pending", // debited but held as suspected fraud: neither paid nor failed until VNPay decides
  "09": "succeeded", // refund rejected: the payment stands
};

/** vnp_ResponseCode of a querydr answer (§1.6). */
export type VnpayQueryResponseCode = "00" | "02" | "03" | "91" | "94" | "97" | "99";

export const VNPAY_QUERY_RESPONSE_CODES: Record<VnpayQueryResponseCode, string> = {
  "00": "QueryDR Success",
  "02": "Invalid merchant",
  "03": "Invalid data format",
  "91": "Transaction not found",
  "94": "Duplicate request",
  "97": "Invalid checksum",
  "99": "Unknown error",
};

/** vnp_ResponseCode of a refund answer (§1.7). */
export type VnpayRefundResponseCode = "00" | "02" | "03" | "91" | "94" | "95" | "97" | "99";

/**
 * What a refund answer says about our refund:
 * - accepted: VNPay took it; the bank moves the money later, and querydr follows it (05 → 06 → 00 | 09);
 * - rejected: VNPay will not refund this transaction (the refund failed for good);
 * - invalid: VNPay could not accept our message (merchant, format, checksum): our configuration is wrong;
 * - held: VNPay already holds a refund request for this payment, ours when we are retrying (see below);
 * - unknown: VNPay may or may not have acted; querydr tells.
 */
export type RefundVerdict = "accepted" | "rejected" | "invalid" | "held" | "unknown";

export const VNPAY_REFUND_RESPONSE_CODES: Record<
  VnpayRefundResponseCode,
  { readonly message: string; readonly verdict: RefundVerdict }
> = {
  "00": { message: "Refund Success", verdict: "accepted" },
  "02": { message: "Invalid merchant", verdict: "invalid" },
  "03": { message: "Invalid data format", verdict: "invalid" },
  // PayGov refunds only attempts VNPay reported paid, so "not found" is VNPay's final word on them.
  "91": { message: "Original transaction not found", verdict: "rejected" },
  // Also VNPay's answer to a repeated vnp_RequestId: our retry of a refund it already took (§1.6, §1.7).
  "94": { message: "A refund is already pending for this transaction", verdict: "held" },
  "95": { message: "Original transaction not successful", verdict: "rejected" },
  "97": { message: "Invalid checksum", verdict: "invalid" },
  "99": { message: "Unknown error", verdict: "unknown" },
};

// ---------------------------------------------------------------------------------------------
// The bodies and their pipe-joined signing strings (§1.6, §1.7).

export const VNPAY_QUERY_REQUEST_FIELDS = [
  "vnp_RequestId",
  "vnp_Version",
  "vnp_Command",
  "vnp_TmnCode",
  "vnp_TxnRef",
  "vnp_TransactionDate",
  "vnp_CreateDate",
  "vnp_IpAddr",
  "vnp_OrderInfo",
] as const;

export const VNPAY_REFUND_REQUEST_FIELDS = [
  "vnp_RequestId",
  "vnp_Version",
  "vnp_Command",
  "vnp_TmnCode",
  "vnp_TransactionType",
  "vnp_TxnRef",
  "vnp_Amount",
  "vnp_TransactionNo",
  "vnp_TransactionDate",
  "vnp_CreateBy",
  "vnp_CreateDate",
  "vnp_IpAddr",
  "vnp_OrderInfo",
] as const;

export const VNPAY_REFUND_RESPONSE_FIELDS = [
  "vnp_ResponseId",
  "vnp_Command",
  "vnp_ResponseCode",
  "vnp_Message",
  "vnp_TmnCode",
  "vnp_TxnRef",
  "vnp_Amount",
  "vnp_BankCode",
  "vnp_PayDate",
  "vnp_TransactionNo",
  "vnp_TransactionType",
  "vnp_TransactionStatus",
  "vnp_OrderInfo",
] as const;

export const VNPAY_QUERY_RESPONSE_FIELDS = [
  ...VNPAY_REFUND_RESPONSE_FIELDS,
  "vnp_PromotionCode",
  "vnp_PromotionAmount",
] as const;

type Fields<Order extends ReadonlyArray<string>> = Record<Order[number], string>;

export type VnpayQueryRequestFields = Fields<typeof VNPAY_QUERY_REQUEST_FIELDS>;
export type VnpayRefundRequestFields = Fields<typeof VNPAY_REFUND_REQUEST_FIELDS>;
export type VnpayQueryResponseFields = Fields<typeof VNPAY_QUERY_RESPONSE_FIELDS>;
export type VnpayRefundResponseFields = Fields<typeof VNPAY_REFUND_RESPONSE_FIELDS>;

/** The querydr body; vnp_TransactionNo is optional and, like names and encoding, outside the hash. */
export type VnpayQueryRequest = VnpayQueryRequestFields & {
  vnp_TransactionNo?: string;
  vnp_SecureHash: string;
};
export type VnpayRefundRequest = VnpayRefundRequestFields & { vnp_SecureHash: string };
export type VnpayQueryResponse = VnpayQueryResponseFields & { vnp_SecureHash: string };
export type VnpayRefundResponse = VnpayRefundResponseFields & { vnp_SecureHash: string };

/** Values in the documented order, joined by '|': no names, no URL-encoding, "" for a missing one. */
const pipeData = <Order extends ReadonlyArray<string>>(order: Order, values: Fields<Order>): string =>
  order.map((name: Order[number]) => values[name]).join("|");

export const queryRequestHashData = (r: VnpayQueryRequestFields): string =>
  pipeData(VNPAY_QUERY_REQUEST_FIELDS, r);
export const refundRequestHashData = (r: VnpayRefundRequestFields): string =>
  pipeData(VNPAY_REFUND_REQUEST_FIELDS, r);
export const queryResponseHashData = (r: VnpayQueryResponseFields): string =>
  pipeData(VNPAY_QUERY_RESPONSE_FIELDS, r);
export const refundResponseHashData = (r: VnpayRefundResponseFields): string =>
  pipeData(VNPAY_REFUND_RESPONSE_FIELDS, r);

export interface VnpayQueryInput {
  /** Unique per request within a day, at most 32 characters (§1.6). */
  readonly requestId: string;
  readonly reference: string;
  /** The original payment's vnp_CreateDate instant. */
  readonly transactionDate: Date;
  readonly createdAt: Date;
  readonly ipAddr: string;
  readonly orderInfo: string;
  readonly transactionNo?: string;
}

/** A signed querydr body. */
export const buildQueryRequest = (input: VnpayQueryInput, merchant: VnpayMerchant): VnpayQueryRequest => {
  const fields: VnpayQueryRequestFields = {
    vnp_RequestId: input.requestId,
    vnp_Version: VNPAY_VERSION,
    vnp_Command: "querydr",
    vnp_TmnCode: merchant.tmnCode,
    vnp_TxnRef: input.reference,
    vnp_TransactionDate: formatVnpayDate(input.transactionDate),
    vnp_CreateDate: formatVnpayDate(input.createdAt),
    vnp_IpAddr: input.ipAddr,
    vnp_OrderInfo: normaliseOrderInfo(input.orderInfo),
  };
  const transactionNo = input.transactionNo === undefined ? {} : { vnp_TransactionNo: input.transactionNo };
  return {
    ...fields,
    ...transactionNo,
    vnp_SecureHash: hmacSha512Hex(merchant.secret, queryRequestHashData(fields)),
  };
};

export interface VnpayRefundInput {
  readonly requestId: string;
  /** "full" is VNPay's transaction type 02, "partial" 03. */
  readonly kind: "full" | "partial";
  readonly reference: string;
  /** Integer VND to give back. */
  readonly amount: number;
  /** VNPay's number for the original payment; null when unknown (sent as "0", §1.7). */
  readonly transactionNo: string | null;
  readonly transactionDate: Date;
  /** The operator who asked for the refund. */
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly ipAddr: string;
  readonly orderInfo: string;
}

/** A signed refund body. */
export const buildRefundRequest = (
  input: VnpayRefundInput,
  merchant: VnpayMerchant,
): Checked<VnpayRefundRequest> => {
  const amount = toVnpayAmount(input.amount);
  if (!amount.ok) return amount;
  const fields: VnpayRefundRequestFields = {
    vnp_RequestId: input.requestId,
    vnp_Version: VNPAY_VERSION,
    vnp_Command: "refund",
    vnp_TmnCode: merchant.tmnCode,
    vnp_TransactionType: input.kind === "full" ? "02" : "03",
    vnp_TxnRef: input.reference,
    vnp_Amount: amount.value,
    vnp_TransactionNo: input.transactionNo ?? "0",
    vnp_TransactionDate: formatVnpayDate(input.transactionDate),
    vnp_CreateBy: input.createdBy,
    vnp_CreateDate: formatVnpayDate(input.createdAt),
    vnp_IpAddr: input.ipAddr,
    // VNPay requires vnp_OrderInfo; a reason made only of symbols would normalise to nothing.
    vnp_OrderInfo: normaliseOrderInfo(input.orderInfo) || `Hoan tien ${input.reference}`,
  };
  return ok({ ...fields, vnp_SecureHash: hmacSha512Hex(merchant.secret, refundRequestHashData(fields)) });
};

/** Signs a querydr answer (the simulator's side). */
export const signQueryResponse = (fields: VnpayQueryResponseFields, secret: string): VnpayQueryResponse => ({
  ...fields,
  vnp_SecureHash: hmacSha512Hex(secret, queryResponseHashData(fields)),
});

/** Signs a refund answer (the simulator's side). */
export const signRefundResponse = (
  fields: VnpayRefundResponseFields,
  secret: string,
): VnpayRefundResponse => ({
  ...fields,
  vnp_SecureHash: hmacSha512Hex(secret, refundResponseHashData(fields)),
});

/**
 * The named fields of a JSON body whose pipe hash checks out. VNPay sends text; a number is taken
 * as its decimal text and an absent field as "", which is what the hash covers on VNPay's side.
 */
export const readSignedFields = <Order extends ReadonlyArray<string>>(
  body: unknown,
  order: Order,
  secret: string,
): Checked<Fields<Order>> => {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return refused("the body is not a JSON object");
  const record = body as Record<string, unknown>;
  const fields: Record<string, string> = {};
  for (const name of order) {
    const value = record[name];
    if (value === undefined || value === null) fields[name] = "";
    else if (typeof value === "string") fields[name] = value;
    else if (typeof value === "number" && Number.isFinite(value)) fields[name] = String(value);
    else return refused(`${name} is not text`);
  }
  const hash = typeof record.vnp_SecureHash === "string" ? record.vnp_SecureHash : "";
  const expected = hmacSha512Hex(secret, pipeData(order, fields as Fields<Order>));
  return hashesMatch(expected, hash) ? ok(fields as Fields<Order>) : refused("vnp_SecureHash does not match");
};

export const readQueryRequest = (body: unknown, secret: string): Checked<VnpayQueryRequestFields> =>
  readSignedFields(body, VNPAY_QUERY_REQUEST_FIELDS, secret);
export const readRefundRequest = (body: unknown, secret: string): Checked<VnpayRefundRequestFields> =>
  readSignedFields(body, VNPAY_REFUND_REQUEST_FIELDS, secret);
export const readQueryResponse = (body: unknown, secret: string): Checked<VnpayQueryResponseFields> =>
  readSignedFields(body, VNPAY_QUERY_RESPONSE_FIELDS, secret);
export const readRefundResponse = (body: unknown, secret: string): Checked<VnpayRefundResponseFields> =>
  readSignedFields(body, VNPAY_REFUND_RESPONSE_FIELDS, secret);

/**
 * What a querydr answer means for the connector: a result (possibly `unknown`: ask again), a refusal
 * of our request (our configuration is wrong: retrying will not help), or an answer that cannot be
 * trusted (bad signature, or about another transaction).
 */
export type QueryDecision =
  | { readonly kind: "result"; readonly result: QueryResult }
  | { readonly kind: "refused"; readonly providerCode: VnpayQueryResponseCode; readonly message: string }
  | { readonly kind: "unverifiable"; readonly message: string };

export interface QueryContext {
  readonly merchant: VnpayMerchant;
  readonly reference: string;
  /** When the attempt's vnp_ExpireDate passes. */
  readonly expiresAt: Date;
  readonly now: Date;
}

/**
 * How long after vnp_ExpireDate a "not found" still only means "not yet". VNPay's page refuses the
 * link once it has expired by VNPay's clock (§1.8), so this only has to cover the two clocks' skew.
 */
export const NOT_FOUND_GRACE_MS = 5 * 60 * 1000;

const unknownResult = (providerCode: string): QueryDecision => ({
  kind: "result",
  result: { outcome: "unknown", providerTxnId: null, amount: null, providerCode, paidAt: null },
});

const refusal = (code: VnpayQueryResponseCode): QueryDecision => ({
  kind: "refused",
  providerCode: code,
  message: `VNPay refused the querydr request: ${VNPAY_QUERY_RESPONSE_CODES[code]} (${code})`,
});

const foundResult = (r: VnpayQueryResponseFields, context: QueryContext): QueryDecision => {
  if (r.vnp_TxnRef !== context.reference || r.vnp_TmnCode !== context.merchant.tmnCode)
    return { kind: "unverifiable", message: "the querydr answer is about another transaction" };
  const status = r.vnp_TransactionStatus;
  if (!isTransactionStatus(status)) return unknownResult(status);
  // Types 02/03 describe a refund of this payment, and only a paid transaction can be refunded (§1.7).
  const refund = r.vnp_TransactionType === "02" || r.vnp_TransactionType === "03";
  const outcome = refund ? "succeeded" : QUERY_OUTCOMES[status];
  const amount = parseVnpayAmount(r.vnp_Amount);
  if (outcome === "succeeded" && amount === null) return unknownResult(status);
  return {
    kind: "result",
    result: {
      outcome,
      providerTxnId: providerTxnId(r.vnp_TransactionNo),
      amount,
      providerCode: status,
      paidAt: outcome === "succeeded" ? parseVnpayDate(r.vnp_PayDate) : null,
    },
  };
};

/**
 * 91 "not found": VNPay never saw the TxnRef, so the citizen never reached its page. While the link
 * can still be opened that means "not yet" (pending); once vnp_ExpireDate is past (plus clock skew)
 * VNPay will refuse the link, so nothing can ever be paid under it (failed).
 */
const notFoundResult = (r: VnpayQueryResponseFields, context: QueryContext): QueryDecision => {
  if (r.vnp_TxnRef !== "" && r.vnp_TxnRef !== context.reference)
    return { kind: "unverifiable", message: "the querydr answer is about another transaction" };
  const expired = context.now.getTime() > context.expiresAt.getTime() + NOT_FOUND_GRACE_MS;
  return {
    kind: "result",
    result: {
      outcome: expired ? "failed" : "pending",
      providerTxnId: null,
      amount: null,
      providerCode: "91",
      paidAt: null,
    },
  };
};

const QUERY_DECISIONS: Record<
  VnpayQueryResponseCode,
  (r: VnpayQueryResponseFields, context: QueryContext) => QueryDecision
> = {
  "00": foundResult,
  "02": () => refusal("02"),
  "03": () => refusal("03"),
  "91": notFoundResult,
  "94": () => unknownResult("94"), // our RequestId collided: the next query carries a fresh one
  "97": () => refusal("97"), // VNPay rejects our checksum: the hash secret is misconfigured
  "99": () => unknownResult("99"),
};

const isQueryResponseCode = (code: string): code is VnpayQueryResponseCode =>
  Object.hasOwn(QUERY_DECISIONS, code);

/** Verifies a querydr answer's signature and maps it onto the contract's QueryResult. */
export const toQueryDecision = (body: unknown, context: QueryContext): QueryDecision => {
  const read = readQueryResponse(body, context.merchant.secret);
  if (!read.ok) return { kind: "unverifiable", message: `querydr answer: ${read.message}` };
  const code = read.value.vnp_ResponseCode;
  return isQueryResponseCode(code) ? QUERY_DECISIONS[code](read.value, context) : unknownResult(code);
};

/**
 * vnp_RequestId of a refund, derived from PayGov's refund reference alone, so that every retry of one
 * refund carries the same id. VNPay answers a repeated RequestId with 94 (§1.6) and a second refund
 * while one is pending with 94 too (§1.7): a retry after OutcomeUnknown can find our first request
 * held, never open a second refund. A reference that is not already a valid id (at most 32 letters
 * and digits) becomes the first 32 hex digits of its SHA-256, still the same for every retry.
 */
export const refundRequestId = (reference: string): string =>
  /^[A-Za-z0-9]{1,32}$/.test(reference)
    ? reference
    : createHash("sha256").update(reference, "utf8").digest("hex").slice(0, 32);

/**
 * What a refund or refund-status answer means for the connector: a result, a refusal of our message
 * (configuration: retrying will not help), or an answer that cannot be trusted.
 */
export type RefundDecision =
  | { readonly kind: "result"; readonly result: RefundResult }
  | { readonly kind: "refused"; readonly providerCode: string; readonly message: string }
  | { readonly kind: "unverifiable"; readonly message: string };

const refundResult = (
  outcome: Outcome,
  providerCode: string,
  providerRefundId: string | null = null,
): RefundDecision => ({ kind: "result", result: { outcome, providerRefundId, providerCode } });

const isRefundResponseCode = (code: string): code is VnpayRefundResponseCode =>
  Object.hasOwn(VNPAY_REFUND_RESPONSE_CODES, code);

/**
 * Verifies a refund answer's signature (over its own values, §1.7) and maps its code. Acceptance (00)
 * is `succeeded`: PayGov's refund `success` means the intermediary accepted it, and the bank then moves
 * the money on its own schedule (DESIGN.md, Refunds); a later rejection by the bank is a
 * reconciliation discrepancy. 94 is `pending`: when we retry, it is our own first request that VNPay holds.
 */
export const toRefundDecision = (
  body: unknown,
  merchant: VnpayMerchant,
  reference: string,
): RefundDecision => {
  const read = readRefundResponse(body, merchant.secret);
  if (!read.ok) return { kind: "unverifiable", message: `refund answer: ${read.message}` };
  const r = read.value;
  if (r.vnp_TxnRef !== "" && r.vnp_TxnRef !== reference)
    return { kind: "unverifiable", message: "the refund answer is about another transaction" };
  const code = r.vnp_ResponseCode;
  if (!isRefundResponseCode(code)) return refundResult("unknown", code);
  const { verdict, message } = VNPAY_REFUND_RESPONSE_CODES[code];
  switch (verdict) {
    case "accepted":
      return refundResult("succeeded", code, providerTxnId(r.vnp_TransactionNo));
    case "held":
      return refundResult("pending", code);
    case "rejected":
      return refundResult("failed", code);
    case "unknown":
      return refundResult("unknown", code);
    case "invalid":
      return {
        kind: "refused",
        providerCode: code,
        message: `VNPay refused the refund: ${message} (${code})`,
      };
  }
};

/** The state of a refund as querydr reports it: 05 VNPay processing, 06 sent to the bank, 00 done, 09 rejected (§1.7). */
export type VnpayRefundState = "pending" | "succeeded" | "failed";

const REFUND_STATES: Record<VnpayTransactionStatus, VnpayRefundState> = {
  "00": "succeeded",
  "01": "pending",
  "02": "failed",
  "04": "failed",
  "05": "pending",
  "06": "pending",
  "07": "pending",
  "09": "failed",
};

/** The refund state a verified querydr answer carries; null when it does not describe a refund. */
export const refundStateFromQuery = (r: VnpayQueryResponseFields): VnpayRefundState | null =>
  r.vnp_ResponseCode === "00" &&
  (r.vnp_TransactionType === "02" || r.vnp_TransactionType === "03") &&
  isTransactionStatus(r.vnp_TransactionStatus)
    ? REFUND_STATES[r.vnp_TransactionStatus]
    : null;

/**
 * A refund's progress from a querydr answer (§1.6: the transaction's TransactionType turns 02/03 and its
 * status moves 05 → 06 → 00, or 09). An answer that shows no refund is `unknown`, never `failed`: the
 * request may still be on its way, and a refund declared failed could be asked for again. querydr names
 * the payment's latest refund and not which request it came from ([U]), so one refund of an attempt
 * should be in flight at a time.
 */
export const toRefundStatusDecision = (
  body: unknown,
  merchant: VnpayMerchant,
  reference: string,
): RefundDecision => {
  const read = readQueryResponse(body, merchant.secret);
  if (!read.ok) return { kind: "unverifiable", message: `querydr answer: ${read.message}` };
  const r = read.value;
  if (r.vnp_TxnRef !== "" && r.vnp_TxnRef !== reference)
    return { kind: "unverifiable", message: "the querydr answer is about another transaction" };
  const code = r.vnp_ResponseCode;
  switch (code) {
    case "00":
      if (r.vnp_TxnRef !== reference || r.vnp_TmnCode !== merchant.tmnCode)
        return { kind: "unverifiable", message: "the querydr answer is about another transaction" };
      return refundResult(refundStateFromQuery(r) ?? "unknown", r.vnp_TransactionStatus);
    // The paid payment is unknown under this TxnRef and date, or our message is refused: retrying the
    // same query cannot help, someone has to look.
    case "02":
    case "03":
    case "91":
    case "97":
      return {
        kind: "refused",
        providerCode: code,
        message: `VNPay refused the querydr request: ${VNPAY_QUERY_RESPONSE_CODES[code]} (${code})`,
      };
    default:
      return refundResult("unknown", code);
  }
};
