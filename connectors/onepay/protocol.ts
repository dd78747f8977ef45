/**
 * OnePay's domestic VPC gateway (onecomm-pay) in the browser and the IPN: the vpc_SecureHash
 * signature, the pay request, the response-code table, and the mapping of return/IPN onto the
 * connector contract. queryDR is in query-dr.ts. Pure: no I/O, never throws.
 * § points into shared/reference/intermediaries.md.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { asciiText } from "../../domain/order-info.ts";
import type {
  Acknowledgement,
  InboundRequest,
  Locale,
  LocalizedText,
  OutboundResponse,
  Outcome,
  Verification,
} from "../sdk/contract.ts";

/** vpc_Version of the pay command (§6.1). */
export const ONEPAY_PAY_VERSION = "2";

/** A pure step's answer: the value, or why it could not be produced. */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const refused = <T>(message: string): Checked<T> => ({ ok: false, message });

/** The merchant's credentials as the pure functions need them (the secrets already unwrapped). */
export interface OnepayMerchant {
  readonly merchant: string;
  readonly accessCode: string;
  /** Hex text; the HMAC key is the bytes it decodes to (§6.1). */
  readonly hashKey: string;
  /** queryDR only (§6.2). */
  readonly user: string;
  readonly password: string;
}

// ---------------------------------------------------------------------------------------------
// vpc_TxnResponseCode (§6.2). A Record over the literal union, so a code added without a decision is a
// compile error. Codes are text: international ones are letters, so nothing here casts them to int.

/** The domestic codes of §6.2, the individual 12–25 meanings from the [T] table, and queryDR's 100/300 [T]. */
export type OnepayResponseCode =
  | "0"
  | "1"
  | "3"
  | "4"
  | "5"
  | "6"
  | "7"
  | "8"
  | "9"
  | "10"
  | "11"
  | "12"
  | "13"
  | "21"
  | "22"
  | "23"
  | "24"
  | "25"
  | "99"
  | "100"
  | "253"
  | "300";

export interface OnepayCodeMeaning {
  readonly text: LocalizedText;
  /** What the code says about the payment. 100 and 300 conclude nothing: queryDR is asked again. */
  readonly outcome: Exclude<Outcome, "unknown">;
}

const failed = (vi: string, en: string): OnepayCodeMeaning => ({ text: { vi, en }, outcome: "failed" });

export const ONEPAY_RESPONSE_CODES: Record<OnepayResponseCode, OnepayCodeMeaning> = {
  "0": { text: { vi: "Giao dịch thành công", en: "Approved" }, outcome: "succeeded" },
  "1": failed("Ngân hàng từ chối giao dịch", "Bank declined"),
  "3": failed("Mã đơn vị không tồn tại", "Merchant does not exist"),
  "4": failed("Không đúng access code", "Invalid access code"),
  "5": failed("Số tiền không hợp lệ", "Invalid amount"),
  "6": failed("Mã tiền tệ không tồn tại", "Invalid currency"),
  "7": failed("Lỗi không xác định", "Unspecified failure"),
  "8": failed("Số thẻ không đúng", "Invalid card number"),
  "9": failed("Tên chủ thẻ không đúng", "Invalid card name"),
  "10": failed("Thẻ hết hạn hoặc bị khóa", "Expired or locked card"),
  "11": failed("Thẻ chưa đăng ký thanh toán trực tuyến", "Card not registered for online payment"),
  "12": failed("Ngày phát hành hoặc hết hạn không đúng", "Invalid card date"),
  "13": failed("Vượt quá hạn mức thanh toán", "Payment limit exceeded"),
  "21": failed("Số dư không đủ để thanh toán", "Insufficient funds"),
  "22": failed("Thông tin tài khoản không đúng", "Invalid account"),
  "23": failed("Tài khoản bị khóa", "Account locked"),
  "24": failed("Thông tin thẻ không đúng", "Invalid card information"),
  "25": failed("OTP không đúng", "Wrong OTP"),
  "99": failed("Người sử dụng hủy giao dịch", "Cancelled by the payer"),
  "100": {
    text: { vi: "Giao dịch đang tiến hành hoặc chưa thanh toán", en: "In progress or not yet paid" },
    outcome: "pending",
  },
  "253": failed("Quá thời gian thanh toán", "Payment timed out"),
  "300": { text: { vi: "Giao dịch đang chờ xử lý", en: "Pending" }, outcome: "pending" },
};

export const isOnepayResponseCode = (code: string): code is OnepayResponseCode =>
  Object.hasOwn(ONEPAY_RESPONSE_CODES, code);

/** The citizen pressed "cancel" on OnePay's page (§6.2). */
export const CANCELLED_BY_PAYER: OnepayResponseCode = "99";

// ---------------------------------------------------------------------------------------------
// The IPN answer (§6.2): plain text. OnePay stops re-sending on responsecode=1. Only confirm-success and
// confirm-fail are reported [U]; the other desc words name the reason for whoever reads OnePay's logs.

const IPN_ANSWERS: Record<Acknowledgement, string> = {
  accepted: "responsecode=1&desc=confirm-success",
  duplicate: "responsecode=1&desc=confirm-success",
  signature_invalid: "responsecode=0&desc=invalid-signature",
  malformed: "responsecode=0&desc=invalid-request",
  unknown_reference: "responsecode=0&desc=order-not-found",
  amount_mismatch: "responsecode=0&desc=amount-mismatch",
  error: "responsecode=0&desc=confirm-fail",
};

/** PayGov's answer to an IPN, HTTP 200 with a text body. */
export const ipnResponse = (ack: Acknowledgement): OutboundResponse => ({
  status: 200,
  headers: { "content-type": "text/plain; charset=utf-8" },
  body: IPN_ANSWERS[ack],
});

/** Whether an IPN answer tells OnePay to stop re-sending (the simulator's side). */
export const ipnAcknowledged = (status: number, body: string): boolean =>
  status === 200 && new URLSearchParams(body.trim()).get("responsecode") === "1";

// ---------------------------------------------------------------------------------------------
// vpc_SecureHash (§6.1): HMAC-SHA256 keyed with the hex-decoded hash key, over every non-empty vpc_* and
// user_* field but the hash fields, sorted by name, joined `name=value&…` with raw (unencoded) values.

/** Fields by name, decoded. */
export type OnepayParams = Readonly<Record<string, string>>;

const UNSIGNED = new Set(["vpc_SecureHash", "vpc_SecureHashType"]);

const isSignedName = (name: string): boolean =>
  (name.startsWith("vpc_") || name.startsWith("user_")) && !UNSIGNED.has(name);

// Ordinal (code unit) order: vpc_MerchTxnRef sorts before vpc_Merchant ('T' < 'a'), as the vectors show.
const byName = ([a]: readonly [string, string], [b]: readonly [string, string]): number =>
  a < b ? -1 : a > b ? 1 : 0;

/** The string OnePay hashes. */
export const secureHashData = (params: OnepayParams): string =>
  Object.entries(params)
    .filter(([name, value]) => isSignedName(name) && value !== "")
    .sort(byName)
    .map(([name, value]) => `${name}=${value}`)
    .join("&");

/** Uppercase hex HMAC-SHA256 of the UTF-8 text under the key the hex text decodes to. */
export const hmacSha256Upper = (hexKey: string, data: string): string =>
  createHmac("sha256", Buffer.from(hexKey, "hex")).update(data, "utf8").digest("hex").toUpperCase();

/** The parameters with vpc_SecureHash added. */
export const signParams = (params: OnepayParams, hexKey: string): Record<string, string> => ({
  ...params,
  vpc_SecureHash: hmacSha256Upper(hexKey, secureHashData(params)),
});

const HEX_SHA256 = /^[0-9A-Fa-f]{64}$/;

/** Constant-time comparison of two HMAC-SHA256 hex strings, ignoring hex case. */
export const hashesMatch = (expectedHex: string, receivedHex: string): boolean =>
  HEX_SHA256.test(expectedHex) &&
  HEX_SHA256.test(receivedHex) &&
  timingSafeEqual(Buffer.from(expectedHex, "hex"), Buffer.from(receivedHex, "hex"));

/** Whether vpc_SecureHash signs every other vpc_ and user_ field under the key (§6.2: all of them). */
export const secureHashValid = (params: OnepayParams, hexKey: string): boolean =>
  hashesMatch(hmacSha256Upper(hexKey, secureHashData(params)), params.vpc_SecureHash ?? "");

/** The vpc_ and user_ fields; a repeated name is refused, since either copy could be the signed one. */
export const readOnepayParams = (
  pairs: Iterable<readonly [string, string]>,
): Checked<Record<string, string>> => {
  const params: Record<string, string> = {};
  for (const [name, value] of pairs) {
    if (!name.startsWith("vpc_") && !name.startsWith("user_")) continue;
    if (Object.hasOwn(params, name)) return refused(`${name} appears more than once`);
    params[name] = value;
  }
  return ok(params);
};

/** A signed parameter set as a query string (application/x-www-form-urlencoded). */
export const toQueryString = (params: OnepayParams): string => new URLSearchParams(params).toString();

/** Appends a query string to a URL that may already carry one. */
export const withQuery = (url: string, query: string): string =>
  `${url}${url.includes("?") ? "&" : "?"}${query}`;

// ---------------------------------------------------------------------------------------------
// Amounts: integer VND inside PayGov, ×100 on the wire (§6.1, §12.2).

/** The domestic gateway takes at most 9 digits of VND, one fewer than the international one [T]. */
export const MAX_AMOUNT_VND = 999_999_999;

export const toOnepayAmount = (amount: number): Checked<string> =>
  Number.isSafeInteger(amount) && amount > 0 && amount <= MAX_AMOUNT_VND
    ? ok(String(amount * 100))
    : refused(`amount must be a whole number of VND from 1 to ${MAX_AMOUNT_VND}, got ${amount}`);

/** VND from vpc_Amount; null unless it is plain digits and a whole number of đồng. */
export const parseOnepayAmount = (text: string): number | null => {
  if (!/^\d{1,15}$/.test(text)) return null;
  const hundredths = Number(text);
  return hundredths % 100 === 0 ? hundredths / 100 : null;
};

// ---------------------------------------------------------------------------------------------
// The pay request (§6.1).

/** vpc_OrderInfo holds at most 32 characters on the domestic gateway [T]. */
export const ORDER_INFO_MAX = 32;
/** vpc_MerchTxnRef holds at most 34 characters [T]. */
export const MERCH_TXN_REF_MAX = 34;

/**
 * vpc_OrderInfo: the dossier code, ASCII-safe (§12.7: reconciliation joins on it). A code that strips to
 * nothing or is too long for the field gives way to our reference, which still identifies the attempt.
 */
export const toOrderInfo = (dossierCode: string, reference: string): string => {
  const code = asciiText(dossierCode);
  return code !== "" && code.length <= ORDER_INFO_MAX ? code : reference;
};

/** One payment attempt, as OnePay's pay command needs it. */
export interface OnepayPaymentRequest {
  /** vpc_MerchTxnRef: the attempt's reference, never reused (§12.1). */
  readonly reference: string;
  /** Integer VND. */
  readonly amount: number;
  readonly dossierCode: string;
  readonly locale: Locale;
  readonly returnUrl: string;
  /** vpc_CallbackURL: the IPN URL for this payment, or null to rely on the one registered with OnePay. */
  readonly callbackUrl: string | null;
  /** vpc_TicketNo: the citizen's IP address. */
  readonly clientIp: string;
}

/** The pay command's parameters, unsigned. */
export const toPaymentParams = (
  request: OnepayPaymentRequest,
  merchant: Pick<OnepayMerchant, "merchant" | "accessCode">,
): Checked<Record<string, string>> => {
  const amount = toOnepayAmount(request.amount);
  if (!amount.ok) return amount;
  // Node reports IPv4 peers of a dual-stack socket as ::ffff:a.b.c.d; OnePay expects the IPv4 form.
  const ticketNo = request.clientIp.replace(/^::ffff:/i, "");
  for (const [field, value] of [
    ["merchant", merchant.merchant],
    ["accessCode", merchant.accessCode],
    ["reference", request.reference],
    ["returnUrl", request.returnUrl],
    ["clientIp", ticketNo],
  ] as const) {
    if (value === "") return refused(`${field} must not be empty`);
  }
  if (request.reference.length > MERCH_TXN_REF_MAX)
    return refused(`the reference must be at most ${MERCH_TXN_REF_MAX} characters`);
  return ok({
    vpc_Version: ONEPAY_PAY_VERSION,
    vpc_Command: "pay",
    vpc_AccessCode: merchant.accessCode,
    vpc_Merchant: merchant.merchant,
    vpc_MerchTxnRef: request.reference,
    vpc_OrderInfo: toOrderInfo(request.dossierCode, request.reference),
    vpc_Amount: amount.value,
    vpc_Currency: "VND",
    vpc_Locale: request.locale === "en" ? "en" : "vn",
    vpc_ReturnURL: request.returnUrl,
    vpc_TicketNo: ticketNo,
    ...(request.callbackUrl === null ? {} : { vpc_CallbackURL: request.callbackUrl }),
  });
};

/** The signed vpc.op URL the citizen's browser is sent to. */
export const buildPaymentUrl = (
  paymentUrl: string,
  request: OnepayPaymentRequest,
  merchant: OnepayMerchant,
): Checked<string> => {
  const params = toPaymentParams(request, merchant);
  if (!params.ok) return params;
  // §6.1 sends vpc_SecureHashType=SHA256 alongside the hash; like the hash itself it is not hashed.
  const signed = { ...signParams(params.value, merchant.hashKey), vpc_SecureHashType: "SHA256" };
  return ok(withQuery(paymentUrl, toQueryString(signed)));
};

// ---------------------------------------------------------------------------------------------
// Return and IPN (§6.2).

const malformed = (message: string): Verification => ({
  ok: false,
  rejection: { reason: "malformed", message },
});

const signatureInvalid = (message: string): Verification => ({
  ok: false,
  rejection: { reason: "signature_invalid", message },
});

/** OnePay's transaction number; empty or "0" means none. */
export const providerTxnId = (transactionNo: string | undefined): string | null =>
  transactionNo === undefined || transactionNo === "" || transactionNo === "0" ? null : transactionNo;

const isFormBody = (request: InboundRequest): boolean =>
  request.method !== "GET" &&
  request.body !== "" &&
  (request.headers["content-type"] ?? "").toLowerCase().includes("application/x-www-form-urlencoded");

/**
 * The fields of a return or IPN. The return is a GET; the IPN's method is not documented (§6.2 [U]), so a
 * form-encoded POST body is read too, and a name in both places is refused like any repeated name.
 */
export const callbackParams = (request: InboundRequest): Checked<Record<string, string>> => {
  const pairs: Array<readonly [string, string]> = [...request.query];
  if (isFormBody(request)) pairs.push(...new URLSearchParams(request.body));
  return readOnepayParams(pairs);
};

/** Verifies a return's or IPN's fields (signature first, then fields) and maps them onto the contract. */
export const verifyCallbackParams = (params: OnepayParams, merchant: OnepayMerchant): Verification => {
  if ((params.vpc_SecureHash ?? "") === "") return signatureInvalid("vpc_SecureHash is missing");
  if (!secureHashValid(params, merchant.hashKey)) return signatureInvalid("vpc_SecureHash does not match");

  if (params.vpc_Merchant !== merchant.merchant) return malformed("vpc_Merchant is not this merchant");
  const reference = params.vpc_MerchTxnRef ?? "";
  if (reference === "") return malformed("vpc_MerchTxnRef is missing");
  const amount = parseOnepayAmount(params.vpc_Amount ?? "");
  if (amount === null) return malformed("vpc_Amount is not a whole number of VND ×100");
  const code = params.vpc_TxnResponseCode ?? "";
  if (code === "") return malformed("vpc_TxnResponseCode is missing");

  // A code outside the table is signed but unexplained: it concludes nothing, and queryDR settles it.
  const outcome = isOnepayResponseCode(code) ? ONEPAY_RESPONSE_CODES[code].outcome : "pending";
  return {
    ok: true,
    callback: {
      reference,
      providerTxnId: providerTxnId(params.vpc_TransactionNo),
      amount,
      outcome,
      providerCode: code,
      // §6.2 lists no payment time among the returned fields; PayGov records when it learnt of it.
      paidAt: null,
      cancelledByPayer: code === CANCELLED_BY_PAYER,
    },
  };
};

/** Reads and verifies a return or IPN request. */
export const verifyCallbackRequest = (request: InboundRequest, merchant: OnepayMerchant): Verification => {
  const params = callbackParams(request);
  return params.ok ? verifyCallbackParams(params.value, merchant) : malformed(params.message);
};
