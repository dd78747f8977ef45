/**
 * VNPay API 2.1.0 in the browser and the IPN: the form encoding and query-string signature, the pay
 * request, and the mapping of return/IPN codes onto the connector contract. querydr and refund are in
 * merchant-api.ts. Pure: no I/O, never throws. § points into shared/reference/intermediaries.md.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type {
  Acknowledgement,
  Locale,
  LocalizedText,
  OutboundResponse,
  Outcome,
  Verification,
} from "../sdk/contract.ts";
import { formatVnpayDate, parseVnpayDate } from "./time.ts";

export const VNPAY_VERSION = "2.1.0";

/** A pure step's answer: the value, or why it could not be produced. */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const refused = <T>(message: string): Checked<T> => ({ ok: false, message });

/** The terminal's credentials as the pure functions need them (the secret already unwrapped). */
export interface VnpayMerchant {
  readonly tmnCode: string;
  readonly secret: string;
}

// ---------------------------------------------------------------------------------------------
// Code tables (§1.5). Each is a Record over its literal union, so a code added to a union without a
// decision is a compile error.

/** vnp_ResponseCode on the payment return and IPN (§1.5). */
export type VnpayResponseCode =
  | "00"
  | "07"
  | "09"
  | "10"
  | "11"
  | "12"
  | "13"
  | "24"
  | "51"
  | "65"
  | "75"
  | "79"
  | "99";

export const VNPAY_RESPONSE_CODES: Record<VnpayResponseCode, LocalizedText> = {
  "00": { vi: "Giao dịch thành công", en: "Successful" },
  "07": {
    vi: "Trừ tiền thành công, giao dịch bị nghi ngờ gian lận",
    en: "Debited, but flagged as suspected fraud",
  },
  "09": {
    vi: "Thẻ/Tài khoản chưa đăng ký Internet Banking",
    en: "Card or account not registered for Internet Banking",
  },
  "10": {
    vi: "Xác thực thông tin thẻ/tài khoản sai quá 3 lần",
    en: "Authentication failed more than 3 times",
  },
  "11": { vi: "Đã hết hạn chờ thanh toán", en: "Payment wait time expired" },
  "12": { vi: "Thẻ/Tài khoản bị khóa", en: "Card or account locked" },
  "13": { vi: "Nhập sai mật khẩu xác thực giao dịch (OTP)", en: "Wrong OTP" },
  "24": { vi: "Khách hàng hủy giao dịch", en: "Cancelled by the payer" },
  "51": { vi: "Tài khoản không đủ số dư", en: "Insufficient balance" },
  "65": { vi: "Tài khoản vượt quá hạn mức giao dịch trong ngày", en: "Daily limit exceeded" },
  "75": { vi: "Ngân hàng thanh toán đang bảo trì", en: "Paying bank under maintenance" },
  "79": {
    vi: "Nhập sai mật khẩu thanh toán quá số lần quy định",
    en: "Payment password wrong too many times",
  },
  "99": { vi: "Lỗi khác", en: "Other error" },
};

export const isVnpayResponseCode = (code: string): code is VnpayResponseCode =>
  Object.hasOwn(VNPAY_RESPONSE_CODES, code);

/** vnp_TransactionStatus, in callbacks and querydr answers (§1.5). */
export type VnpayTransactionStatus = "00" | "01" | "02" | "04" | "05" | "06" | "07" | "09";

/**
 * What a callback's status says, before the cross-check with vnp_ResponseCode. Refund states (05/06/09)
 * never belong in a payment callback and 07 means "debited, held for review": none of them is a
 * conclusion, so they stay pending and the workflow re-queries.
 */
const CALLBACK_OUTCOMES: Record<VnpayTransactionStatus, Exclude<Outcome, "unknown">> = {
  "00": "succeeded",
  "01": "pending",
  "02": "failed",
  "04": "failed", // reversed: the bank debited but VNPay failed it, and the bank gives the money back
  "05": "pending",
  "06": "pending",
  "07": "pending",
  "09": "pending",
};

export const isTransactionStatus = (code: string): code is VnpayTransactionStatus =>
  Object.hasOwn(CALLBACK_OUTCOMES, code);

/** RspCode of PayGov's answer to an IPN (§1.4). */
export type VnpayIpnRspCode = "00" | "01" | "02" | "04" | "97" | "99";

/**
 * VNPay stops re-sending on 00 and 02 only (§1.4). A malformed IPN (signed, but its fields cannot be
 * read) answers 99: confirming it would be a lie, and 01/04/97 would misstate what is wrong.
 */
const IPN_ANSWERS: Record<Acknowledgement, { readonly RspCode: VnpayIpnRspCode; readonly Message: string }> =
  {
    accepted: { RspCode: "00", Message: "Confirm Success" },
    duplicate: { RspCode: "02", Message: "Order already confirmed" },
    unknown_reference: { RspCode: "01", Message: "Order not found" },
    amount_mismatch: { RspCode: "04", Message: "Invalid amount" },
    signature_invalid: { RspCode: "97", Message: "Invalid signature" },
    malformed: { RspCode: "99", Message: "Invalid request" },
    error: { RspCode: "99", Message: "Unknown error" },
  };

/** The IPN answer: JSON {RspCode, Message}, always HTTP 200 (§1.4). */
export const ipnResponse = (ack: Acknowledgement): OutboundResponse => ({
  status: 200,
  headers: { "content-type": "application/json; charset=utf-8" },
  body: JSON.stringify(IPN_ANSWERS[ack]),
});

// ---------------------------------------------------------------------------------------------
// The query-string signature (§1.3).

const utf8 = new TextEncoder();

const isUnreserved = (byte: number): boolean =>
  (byte >= 0x30 && byte <= 0x39) || // 0-9
  (byte >= 0x41 && byte <= 0x5a) || // A-Z
  (byte >= 0x61 && byte <= 0x7a) || // a-z
  byte === 0x2d || // -
  byte === 0x5f || // _
  byte === 0x2e; // .

/**
 * application/x-www-form-urlencoded over UTF-8, byte for byte what PHP `urlencode` (VNPay's reference
 * demo) produces: space → '+', only A-Za-z0-9 - _ . kept, uppercase %XX. Unlike URLSearchParams it
 * also escapes '*' and '~' (§1.3, encoder table). Lone surrogates become U+FFFD instead of throwing.
 */
export const formEncode = (text: string): string => {
  let encoded = "";
  for (const byte of utf8.encode(text)) {
    if (isUnreserved(byte)) encoded += String.fromCharCode(byte);
    else if (byte === 0x20) encoded += "+";
    else encoded += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return encoded;
};

/** Query parameters by name, decoded. */
export type VnpayParams = Readonly<Record<string, string>>;

const UNSIGNED = new Set(["vnp_SecureHash", "vnp_SecureHashType"]);

// Ordinal (code unit) order, as the official .NET demo insists: a culture-aware sort misplaces '_'.
const byName = ([a]: readonly [string, string], [b]: readonly [string, string]): number =>
  a < b ? -1 : a > b ? 1 : 0;

/** The string VNPay hashes: vnp_* pairs minus the hash fields and empty values, sorted, form-encoded. */
export const secureHashData = (params: VnpayParams): string =>
  Object.entries(params)
    .filter(([name, value]) => name.startsWith("vnp_") && !UNSIGNED.has(name) && value !== "")
    .sort(byName)
    .map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`)
    .join("&");

/** HMAC-SHA512 of the UTF-8 text under the terminal's hash secret, lowercase hex. */
export const hmacSha512Hex = (secret: string, data: string): string =>
  createHmac("sha512", secret).update(data, "utf8").digest("hex");

/** The query string to send: exactly the hashed bytes, then `&vnp_SecureHash=` (§1.3 step 7). */
export const signQuery = (params: VnpayParams, secret: string): string => {
  const data = secureHashData(params);
  return `${data}&vnp_SecureHash=${hmacSha512Hex(secret, data)}`;
};

const HEX_SHA512 = /^[0-9a-fA-F]{128}$/;

/** Constant-time comparison of two HMAC-SHA512 hex strings, ignoring hex case. */
export const hashesMatch = (expectedHex: string, receivedHex: string): boolean =>
  HEX_SHA512.test(expectedHex) &&
  HEX_SHA512.test(receivedHex) &&
  timingSafeEqual(Buffer.from(expectedHex, "hex"), Buffer.from(receivedHex, "hex"));

/** The vnp_* parameters of a query; a repeated name is refused, since either copy could be the signed one. */
export const readVnpayParams = (query: URLSearchParams): Checked<Record<string, string>> => {
  const params: Record<string, string> = {};
  for (const [name, value] of query) {
    if (!name.startsWith("vnp_")) continue;
    if (Object.hasOwn(params, name)) return refused(`${name} appears more than once`);
    params[name] = value;
  }
  return ok(params);
};

/** Whether vnp_SecureHash signs the other parameters under the secret (§1.3, "Verifying"). */
export const secureHashValid = (params: VnpayParams, secret: string): boolean =>
  hashesMatch(hmacSha512Hex(secret, secureHashData(params)), params.vnp_SecureHash ?? "");

// ---------------------------------------------------------------------------------------------
// Amounts: integer VND inside PayGov, ×100 on the wire (§1.2, §12.2).

/** vnp_Amount has at most 12 digits once multiplied by 100 (§1.2). */
const MAX_AMOUNT_VND = 9_999_999_999;

export const toVnpayAmount = (amount: number): Checked<string> =>
  Number.isSafeInteger(amount) && amount > 0 && amount <= MAX_AMOUNT_VND
    ? ok(String(amount * 100))
    : refused(`amount must be a whole number of VND from 1 to ${MAX_AMOUNT_VND}, got ${amount}`);

/** VND from vnp_Amount; null unless it is plain digits and a whole number of đồng. */
export const parseVnpayAmount = (text: string): number | null => {
  if (!/^\d{1,15}$/.test(text)) return null;
  const hundredths = Number(text);
  return hundredths % 100 === 0 ? hundredths / 100 : null;
};

// ---------------------------------------------------------------------------------------------
// The payment request (§1.2).

/**
 * vnp_OrderInfo reduced to [A-Za-z0-9 .,:_-]: diacritics stripped (đ/Đ have no decomposition, so
 * by hand), everything else a space, spaces collapsed. Every encoder then agrees on it (§1.3).
 */
export const normaliseOrderInfo = (text: string): string =>
  text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .replace(/[^A-Za-z0-9 .,:_-]/g, " ")
    .replace(/ {2,}/g, " ")
    .trim();

/** One payment attempt, as VNPay's pay command needs it. */
export interface VnpayPaymentRequest {
  readonly tmnCode: string;
  /** vnp_TxnRef: the attempt's reference, never reused (§1.2, §12.1). */
  readonly reference: string;
  /** Integer VND. */
  readonly amount: number;
  readonly orderInfo: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly locale: Locale;
  readonly returnUrl: string;
  readonly ipAddr: string;
}

const isValidDate = (date: Date): boolean => !Number.isNaN(date.getTime());

/** The pay command's parameters, unsigned. */
export const toPaymentParams = (request: VnpayPaymentRequest): Checked<Record<string, string>> => {
  const amount = toVnpayAmount(request.amount);
  if (!amount.ok) return amount;
  if (!isValidDate(request.createdAt) || !isValidDate(request.expiresAt))
    return refused("createdAt and expiresAt must be valid instants");
  if (request.expiresAt <= request.createdAt) return refused("expiresAt must be after createdAt");
  for (const [field, value] of [
    ["tmnCode", request.tmnCode],
    ["reference", request.reference],
    ["returnUrl", request.returnUrl],
    ["ipAddr", request.ipAddr],
  ] as const) {
    if (value === "") return refused(`${field} must not be empty`);
  }
  // An empty value would be dropped from the hash and the URL, and VNPay requires vnp_OrderInfo.
  const orderInfo = normaliseOrderInfo(request.orderInfo) || request.reference;
  return ok({
    vnp_Version: VNPAY_VERSION,
    vnp_Command: "pay",
    vnp_TmnCode: request.tmnCode,
    vnp_Amount: amount.value,
    vnp_CreateDate: formatVnpayDate(request.createdAt),
    vnp_ExpireDate: formatVnpayDate(request.expiresAt),
    vnp_CurrCode: "VND",
    vnp_IpAddr: request.ipAddr,
    vnp_Locale: request.locale === "en" ? "en" : "vn",
    vnp_OrderInfo: orderInfo,
    vnp_OrderType: "other",
    vnp_ReturnUrl: request.returnUrl,
    vnp_TxnRef: request.reference,
  });
};

/** The signed vpcpay.html URL the citizen's browser is sent to. */
export const buildPaymentUrl = (
  paymentUrl: string,
  request: VnpayPaymentRequest,
  secret: string,
): Checked<string> => {
  const params = toPaymentParams(request);
  if (!params.ok) return params;
  return ok(`${paymentUrl}${paymentUrl.includes("?") ? "&" : "?"}${signQuery(params.value, secret)}`);
};

// ---------------------------------------------------------------------------------------------
// Return and IPN (§1.4).

const malformed = (message: string): Verification => ({
  ok: false,
  rejection: { reason: "malformed", message },
});

/** A TransactionNo of "0" is VNPay's "none" (a cancelled payment never reached a bank, §1.4). */
export const providerTxnId = (transactionNo: string | undefined): string | null =>
  transactionNo === undefined || transactionNo === "" || transactionNo === "0" ? null : transactionNo;

/**
 * Success needs vnp_ResponseCode 00 AND vnp_TransactionStatus 00 (the conservative rule, §1.4). When
 * the two codes contradict each other the callback concludes nothing (pending) and querydr settles it.
 */
const callbackOutcome = (
  status: VnpayTransactionStatus,
  responseCode: string,
): Exclude<Outcome, "unknown"> => {
  const byStatus = CALLBACK_OUTCOMES[status];
  if (byStatus === "succeeded" && responseCode !== "00") return "pending";
  if (byStatus === "failed" && responseCode === "00") return "pending";
  return byStatus;
};

/** Verifies a return or IPN query (signature first, then fields) and maps it onto the contract. */
export const verifyCallbackQuery = (query: URLSearchParams, merchant: VnpayMerchant): Verification => {
  const read = readVnpayParams(query);
  if (!read.ok) return malformed(read.message);
  const params = read.value;
  if (params.vnp_SecureHash === undefined)
    return { ok: false, rejection: { reason: "signature_invalid", message: "vnp_SecureHash is missing" } };
  if (!secureHashValid(params, merchant.secret))
    return {
      ok: false,
      rejection: { reason: "signature_invalid", message: "vnp_SecureHash does not match" },
    };

  if (params.vnp_TmnCode !== merchant.tmnCode) return malformed("vnp_TmnCode is not this terminal");
  const reference = params.vnp_TxnRef ?? "";
  if (reference === "") return malformed("vnp_TxnRef is missing");
  const amount = parseVnpayAmount(params.vnp_Amount ?? "");
  if (amount === null) return malformed("vnp_Amount is not a whole number of VND ×100");
  const responseCode = params.vnp_ResponseCode ?? "";
  if (responseCode === "") return malformed("vnp_ResponseCode is missing");
  const status = params.vnp_TransactionStatus ?? "";
  if (!isTransactionStatus(status)) return malformed(`unknown vnp_TransactionStatus "${status}"`);

  const outcome = callbackOutcome(status, responseCode);
  return {
    ok: true,
    callback: {
      reference,
      providerTxnId: providerTxnId(params.vnp_TransactionNo),
      amount,
      outcome,
      providerCode: responseCode,
      paidAt: outcome === "succeeded" ? parseVnpayDate(params.vnp_PayDate ?? "") : null,
      cancelledByPayer: responseCode === "24",
    },
  };
};
