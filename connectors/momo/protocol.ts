/**
 * MoMo's AIO payment gateway v2: the fixed-order HMAC-SHA256 signatures, the resultCode table, the
 * captureWallet create request and its answer, the IPN and the browser redirect, and PayGov's answer to
 * an IPN. Query and refund are in gateway-api.ts. Pure: no I/O, never throws. § points into
 * shared/reference/intermediaries.md.
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

/** A pure step's answer: the value, or why it could not be produced. */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

export const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
export const refused = <T>(message: string): Checked<T> => ({ ok: false, message });

/** The partner's credentials as the pure functions need them (the keys already unwrapped). */
export interface MomoMerchant {
  readonly partnerCode: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

// ---------------------------------------------------------------------------------------------
// Signatures (§2.3): HMAC-SHA256(secretKey, raw) in lowercase hex, where raw is `name=value` pairs of
// a fixed, alphabetical field list joined by '&', values raw (no URL-encoding), empty values kept, and
// accessKey always present — the receiver inserts its own when the message does not carry it.

export const MOMO_CREATE_FIELDS = [
  "accessKey",
  "amount",
  "extraData",
  "ipnUrl",
  "orderId",
  "orderInfo",
  "partnerCode",
  "redirectUrl",
  "requestId",
  "requestType",
] as const;

/** The IPN (POST JSON) and the redirect (GET query) carry the same signed fields (§2.4). */
export const MOMO_CALLBACK_FIELDS = [
  "accessKey",
  "amount",
  "extraData",
  "message",
  "orderId",
  "orderInfo",
  "orderType",
  "partnerCode",
  "payType",
  "requestId",
  "responseTime",
  "resultCode",
  "transId",
] as const;

/** The query request; the refund query signs the same list (§2.1 [T]). */
export const MOMO_QUERY_FIELDS = ["accessKey", "orderId", "partnerCode", "requestId"] as const;

export const MOMO_REFUND_FIELDS = [
  "accessKey",
  "amount",
  "description",
  "orderId",
  "partnerCode",
  "requestId",
  "transId",
] as const;

export type SignedFields<Order extends ReadonlyArray<string>> = Record<Order[number], string>;

/** The string MoMo signs: every field of the list, in its order, as `name=value`, joined by '&'. */
export const rawSignature = <Order extends ReadonlyArray<string>>(
  order: Order,
  values: SignedFields<Order>,
): string => order.map((name: Order[number]) => `${name}=${values[name]}`).join("&");

export const hmacSha256Hex = (secret: string, data: string): string =>
  createHmac("sha256", secret).update(data, "utf8").digest("hex");

/** The `signature` of a message: HMAC-SHA256 of its raw string under the secret key. */
export const signFields = <Order extends ReadonlyArray<string>>(
  order: Order,
  values: SignedFields<Order>,
  secretKey: string,
): string => hmacSha256Hex(secretKey, rawSignature(order, values));

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** Constant-time comparison of two HMAC-SHA256 hex strings, ignoring hex case. */
export const signaturesMatch = (expectedHex: string, receivedHex: string): boolean =>
  HEX_SHA256.test(expectedHex) &&
  HEX_SHA256.test(receivedHex) &&
  timingSafeEqual(Buffer.from(expectedHex, "hex"), Buffer.from(receivedHex, "hex"));

/**
 * MoMo's raw string with the accessKey hidden, as MoMo echoes it when it refuses a signature (§2.3):
 * enough to diff against one's own string without leaking the key into logs.
 */
export const maskedRawSignature = <Order extends ReadonlyArray<string>>(
  order: Order,
  values: SignedFields<Order>,
): string => rawSignature(order, { ...values, accessKey: "********" });

// ---------------------------------------------------------------------------------------------
// resultCode (§2.5). A Record over the literal union: a code added to the union without a decision
// does not compile.

export type MomoResultCode =
  | 0
  | 9000
  | 1000
  | 7000
  | 7002
  | 8000
  | 10
  | 11
  | 12
  | 13
  | 20
  | 21
  | 22
  | 40
  | 41
  | 42
  | 43
  | 45
  | 47
  | 98
  | 99
  | 1001
  | 1002
  | 1003
  | 1004
  | 1005
  | 1006
  | 1007
  | 1017
  | 1026
  | 1080
  | 1081
  | 1088
  | 2019
  | 4001
  | 4002
  | 4100;

/**
 * What a code means for PayGov:
 * - paid: the money moved (9000 "authorized" counts: PayGov never asks for two-step capture);
 * - waiting: the payment is still open at MoMo;
 * - declined: the payment ended unpaid;
 * - refund_refused: a refund was not made;
 * - maintenance: MoMo is down for now, trying again later is safe;
 * - rejected_request: MoMo refused PayGov's request as such (configuration, format, signature);
 * - duplicate_request / duplicate_order / in_progress: the request repeats an earlier one;
 * - unknown_order: MoMo does not know the orderId (or transId);
 * - unknown: MoMo itself does not say what happened.
 */
export type MomoResultKind =
  | "paid"
  | "waiting"
  | "declined"
  | "refund_refused"
  | "maintenance"
  | "rejected_request"
  | "duplicate_request"
  | "duplicate_order"
  | "unknown_order"
  | "in_progress"
  | "unknown";

export interface MomoResultInfo {
  readonly kind: MomoResultKind;
  /**
   * §2.5's "Final?" column: a repeat of the same requestId after a final code gets the same answer,
   * after any other code 40. The column is blank for the request errors 10–47: not final here [U].
   */
  readonly final: boolean;
  readonly text: LocalizedText;
}

const code = (kind: MomoResultKind, final: boolean, vi: string, en: string): MomoResultInfo => ({
  kind,
  final,
  text: { vi, en },
});

/** Every resultCode of §2.5. The wording is PayGov's (MoMo's own texts are not public), but for 0. */
export const MOMO_RESULT_CODES: Record<MomoResultCode, MomoResultInfo> = {
  0: code("paid", true, "Thành công.", "Successful."),
  9000: code(
    "paid",
    false,
    "Giao dịch đã được cấp quyền (authorization) thành công.",
    "Transaction authorized successfully.",
  ),
  1000: code(
    "waiting",
    false,
    "Giao dịch đã được khởi tạo, chờ người dùng xác nhận thanh toán.",
    "Transaction initiated, waiting for the user to confirm.",
  ),
  7000: code("waiting", false, "Giao dịch đang được xử lý.", "Transaction is being processed."),
  7002: code(
    "waiting",
    false,
    "Giao dịch đang được nhà cung cấp phương thức thanh toán xử lý.",
    "Transaction is being processed by the payment instrument's provider.",
  ),
  8000: code(
    "waiting",
    false,
    "Giao dịch đang chờ người dùng xác nhận lại.",
    "Waiting for the user to confirm the payment again.",
  ),
  10: code("maintenance", false, "Hệ thống đang được bảo trì.", "The system is under maintenance."),
  11: code("rejected_request", false, "Truy cập bị từ chối.", "Access denied."),
  12: code(
    "rejected_request",
    false,
    "Phiên bản API không được hỗ trợ cho yêu cầu này.",
    "Unsupported API version for this request.",
  ),
  13: code("rejected_request", false, "Xác thực doanh nghiệp thất bại.", "Merchant authentication failed."),
  20: code("rejected_request", false, "Yêu cầu sai định dạng.", "Bad format request."),
  21: code("rejected_request", false, "Số tiền giao dịch không hợp lệ.", "Invalid transaction amount."),
  22: code(
    "rejected_request",
    false,
    "Số tiền giao dịch nằm ngoài phạm vi cho phép.",
    "Transaction amount out of range.",
  ),
  40: code("duplicate_request", false, "RequestId bị trùng.", "Duplicated requestId."),
  41: code("duplicate_order", false, "OrderId bị trùng.", "Duplicated orderId."),
  42: code(
    "unknown_order",
    false,
    "OrderId không hợp lệ hoặc không tìm thấy.",
    "Invalid or unknown orderId.",
  ),
  43: code(
    "in_progress",
    false,
    "Một giao dịch tương tự đang được xử lý.",
    "A similar transaction is being processed.",
  ),
  45: code("rejected_request", false, "ItemId bị trùng.", "Duplicated itemId."),
  47: code("rejected_request", false, "Thông tin không áp dụng được.", "Inapplicable information."),
  98: code("declined", true, "Không tạo được mã QR.", "The QR code could not be generated."),
  99: code("unknown", true, "Lỗi không xác định.", "Unknown error."),
  1001: code("declined", true, "Tài khoản không đủ số dư để thanh toán.", "Insufficient funds."),
  1002: code("declined", true, "Giao dịch bị nhà phát hành từ chối.", "Rejected by the issuer."),
  1003: code(
    "declined",
    true,
    "Giao dịch bị hủy sau khi đã được cấp quyền.",
    "Cancelled after authorization.",
  ),
  1004: code(
    "declined",
    true,
    "Số tiền vượt hạn mức thanh toán trong ngày hoặc trong tháng.",
    "Over the daily or monthly limit.",
  ),
  1005: code(
    "declined",
    true,
    "Đường dẫn hoặc mã QR đã hết hạn.",
    "The payment link or QR code has expired.",
  ),
  1006: code("declined", true, "Người dùng đã từ chối thanh toán.", "The user declined the payment."),
  1007: code(
    "declined",
    true,
    "Tài khoản không hoạt động hoặc không tồn tại.",
    "Account inactive or nonexistent.",
  ),
  1017: code("declined", true, "Giao dịch bị hủy bởi đối tác.", "Cancelled by the merchant."),
  1026: code(
    "declined",
    true,
    "Giao dịch bị hạn chế theo thể lệ chương trình khuyến mãi.",
    "Restricted by a promotion's rules.",
  ),
  1080: code(
    "refund_refused",
    true,
    "Hoàn tiền thất bại trong quá trình xử lý, vui lòng thử lại sau.",
    "Refund failed during processing; try again later.",
  ),
  1081: code(
    "refund_refused",
    true,
    "Hoàn tiền bị từ chối: giao dịch đã được hoàn hoặc số tiền vượt quá số có thể hoàn.",
    "Refund rejected: already refunded, or the amount exceeds what can be refunded.",
  ),
  1088: code("refund_refused", true, "Giao dịch không đủ điều kiện hoàn tiền.", "Not eligible for refund."),
  2019: code("rejected_request", true, "orderGroupId không hợp lệ.", "Invalid orderGroupId."),
  4001: code("declined", true, "Tài khoản đang bị hạn chế.", "Account restricted."),
  4002: code("declined", true, "Tài khoản chưa được xác thực với C06.", "Account not verified by C06."),
  4100: code("declined", true, "Người dùng đăng nhập thất bại.", "User login failed."),
};

export const isMomoResultCode = (value: number): value is MomoResultCode =>
  Object.hasOwn(MOMO_RESULT_CODES, value);

/** MoMo's `message` for a code, in the request's `lang`. */
export const momoMessage = (resultCode: MomoResultCode, lang: Locale): string =>
  MOMO_RESULT_CODES[resultCode].text[lang];

/** A resultCode as sent (a JSON number, or its decimal text in a redirect query); null when it is none. */
export const parseResultCode = (text: string | null): number | null =>
  text !== null && /^-?\d{1,9}$/.test(text) ? Number(text) : null;

/** The user declined on MoMo's page (1006): PayGov's "cancelled by the payer". */
export const DECLINED_BY_USER: MomoResultCode = 1006;

/**
 * What a callback's code says about the payment. Only paid, waiting and declined describe a payment;
 * any other code (or one not in the table) concludes nothing, so the attempt stays open and the query
 * settles it (§12.5). 99 is "final" to MoMo but does not say whether money moved: PayGov never guesses.
 */
const CALLBACK_OUTCOMES: Record<MomoResultKind, Exclude<Outcome, "unknown">> = {
  paid: "succeeded",
  waiting: "pending",
  declined: "failed",
  refund_refused: "pending",
  maintenance: "pending",
  rejected_request: "pending",
  duplicate_request: "pending",
  duplicate_order: "pending",
  unknown_order: "pending",
  in_progress: "pending",
  unknown: "pending",
};

export const callbackOutcome = (resultCode: number): Exclude<Outcome, "unknown"> =>
  isMomoResultCode(resultCode) ? CALLBACK_OUTCOMES[MOMO_RESULT_CODES[resultCode].kind] : "pending";

// ---------------------------------------------------------------------------------------------
// Reading MoMo's JSON.

/**
 * Parses a JSON object keeping every number as the exact text MoMo wrote: signatures are computed over
 * that text, and a transId past 2^53 would otherwise lose digits (JSON.parse source text access).
 */
export const parseMomoJson = (text: string): Checked<Record<string, unknown>> => {
  try {
    const value: unknown = JSON.parse(text, (_key: string, raw: unknown, context?: { source?: string }) =>
      typeof raw === "number" && typeof context?.source === "string" ? context.source : raw,
    );
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? ok(value as Record<string, unknown>)
      : refused("the body is not a JSON object");
  } catch {
    return refused("the body is not JSON");
  }
};

/** A JSON value as the text MoMo signs: strings as they are, numbers as written; null for anything else. */
export const textOf = (value: unknown): string | null => {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
};

/** Whole, positive VND in the range of safe integers; null for anything else (a fraction, "1e3", ""). */
export const parseAmount = (text: string | null): number | null => {
  if (text === null || !/^\d{1,15}$/.test(text)) return null;
  const amount = Number(text);
  return amount > 0 ? amount : null;
};

/** MoMo's transId (numeric, §2.4); "0" or nothing means there is no MoMo transaction. */
export const parseTransId = (text: string | null): string | null =>
  text !== null && /^\d{1,19}$/.test(text) && !/^0+$/.test(text) ? text : null;

/** An epoch-milliseconds stamp (responseTime, lastUpdated: no zone, §12.3) as an instant. */
export const parseEpochMs = (text: string | null): Date | null => {
  if (text === null || !/^\d{1,15}$/.test(text)) return null;
  const instant = new Date(Number(text));
  return Number.isNaN(instant.getTime()) ? null : instant;
};

// ---------------------------------------------------------------------------------------------
// IPN and redirect (§2.4).

/** MoMo's fields of a callback as text, from the JSON body (IPN) or the query (redirect). */
const callbackFields = (
  request: InboundRequest,
  channel: "ipn" | "return",
): Checked<Record<string, string>> => {
  const fields: Record<string, string> = {};
  if (channel === "ipn") {
    if (request.method !== "POST") return refused("MoMo's IPN is a POST with a JSON body (§2.4)");
    const body = parseMomoJson(request.body);
    if (!body.ok) return body;
    for (const [name, value] of Object.entries(body.value)) {
      const text = textOf(value);
      if (text !== null) fields[name] = text;
      else if (value !== null) return refused(`${name} is neither text nor a number`);
    }
    return ok(fields);
  }
  for (const [name, value] of request.query) {
    // Either copy of a repeated name could be the signed one.
    if (Object.hasOwn(fields, name)) return refused(`${name} appears more than once`);
    fields[name] = value;
  }
  return ok(fields);
};

/** The signed fields of a callback, with OUR accessKey inserted (the callback never carries it, §2.3). */
export const callbackSignedValues = (
  fields: Readonly<Record<string, string>>,
  accessKey: string,
): SignedFields<typeof MOMO_CALLBACK_FIELDS> => {
  const values = {} as Record<(typeof MOMO_CALLBACK_FIELDS)[number], string>;
  for (const name of MOMO_CALLBACK_FIELDS) values[name] = fields[name] ?? "";
  values.accessKey = accessKey;
  return values;
};

const malformed = (message: string): Verification => ({
  ok: false,
  rejection: { reason: "malformed", message },
});

/**
 * Verifies an IPN (POST JSON) or a redirect (GET query) — signature first, under our own accessKey —
 * then cross-checks partnerCode and reads the fields (§2.4). orderId is our attempt reference as is.
 */
export const verifyCallback = (
  request: InboundRequest,
  channel: "ipn" | "return",
  merchant: MomoMerchant,
): Verification => {
  const read = callbackFields(request, channel);
  if (!read.ok) return malformed(read.message);
  const fields = read.value;
  const signature = fields.signature;
  if (signature === undefined || signature === "")
    return { ok: false, rejection: { reason: "signature_invalid", message: "signature is missing" } };
  const expected = signFields(
    MOMO_CALLBACK_FIELDS,
    callbackSignedValues(fields, merchant.accessKey),
    merchant.secretKey,
  );
  if (!signaturesMatch(expected, signature))
    return { ok: false, rejection: { reason: "signature_invalid", message: "signature does not match" } };

  if (fields.partnerCode !== merchant.partnerCode) return malformed("partnerCode is not this partner");
  const reference = fields.orderId ?? "";
  if (reference === "") return malformed("orderId is missing");
  const amount = parseAmount(fields.amount ?? null);
  if (amount === null) return malformed("amount is not a whole number of VND");
  const resultCode = parseResultCode(fields.resultCode ?? null);
  if (resultCode === null) return malformed("resultCode is not a number");

  const outcome = callbackOutcome(resultCode);
  return {
    ok: true,
    callback: {
      reference,
      providerTxnId: parseTransId(fields.transId ?? null),
      amount,
      outcome,
      providerCode: String(resultCode),
      paidAt: outcome === "succeeded" ? parseEpochMs(fields.responseTime ?? null) : null,
      cancelledByPayer: resultCode === DECLINED_BY_USER,
    },
  };
};

const NO_CONTENT: OutboundResponse = { status: 204, headers: {}, body: "" };

const refusal = (status: 400 | 500, reason: Acknowledgement, message: string): OutboundResponse => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8" },
  body: JSON.stringify({ reason, message }),
});

/**
 * PayGov's answer to an IPN. MoMo's own convention for "received" is HTTP 204 No Content within 15 s
 * (§2.4): a duplicate is received too, so it gets 204 as well and MoMo stops. A callback PayGov refuses
 * gets HTTP 400 (DESIGN "Reliability rules": "MoMo HTTP 400"), with a small JSON body saying why for
 * whoever reads MoMo's delivery log; a failure on PayGov's side gets 500, so that MoMo (if it retries at
 * all: its policy is unpublished) tries again later. MoMo never refunds on the strength of this answer.
 */
const IPN_ANSWERS: Record<Acknowledgement, OutboundResponse> = {
  accepted: NO_CONTENT,
  duplicate: NO_CONTENT,
  signature_invalid: refusal(400, "signature_invalid", "The signature does not match."),
  malformed: refusal(400, "malformed", "The notification cannot be read."),
  unknown_reference: refusal(400, "unknown_reference", "No such orderId."),
  amount_mismatch: refusal(400, "amount_mismatch", "The amount is not the order's."),
  error: refusal(500, "error", "The notification could not be recorded; send it again later."),
};

export const ipnResponse = (ack: Acknowledgement): OutboundResponse => IPN_ANSWERS[ack];

/** The simulator's test for "received": MoMo's 204 and nothing else (§2.4). */
export const isIpnReceived = (status: number): boolean => status === 204;

// ---------------------------------------------------------------------------------------------
// Create, captureWallet (§2.2).

/** Wallet payments: 1,000 to 50,000,000 VND (§2.2; card methods differ, PayGov sends wallet only). */
export const MIN_AMOUNT = 1_000;
export const MAX_AMOUNT = 50_000_000;

/**
 * §2.2's orderId rule `^[0-9a-zA-Z]([-_.]*[0-9a-zA-Z]+)*$`, rewritten without nested quantifiers (the
 * original backtracks exponentially on a long near-miss): it starts and ends with a letter or digit and
 * has only letters, digits, '-', '_' and '.' between. The same set of strings.
 */
const ORDER_ID = /^[0-9a-zA-Z](?:[-_.0-9a-zA-Z]*[0-9a-zA-Z])?$/;

/** orderId: MoMo's pattern, under 64 bytes (§2.2). PayGov's references (PG + yymmdd + 10) fit it. */
export const isMomoOrderId = (orderId: string): boolean => orderId.length < 64 && ORDER_ID.test(orderId);

/** requestId: at most 50 characters (§2.2). */
export const isMomoRequestId = (requestId: string): boolean =>
  requestId.length > 0 && requestId.length <= 50 && /^[\x21-\x7e]+$/.test(requestId);

/** ipnUrl must be a plain http(s) path: no query string, fragment, spaces or unicode (§2.2 [C via T]). */
export const isIpnUrl = (text: string): boolean => {
  if (!/^[\x21-\x7e]+$/.test(text) || !URL.canParse(text)) return false;
  const url = new URL(text);
  return (
    ["http:", "https:"].includes(url.protocol) && url.search === "" && url.hash === "" && !text.includes("?")
  );
};

export const isHttpUrl = (text: string): boolean =>
  URL.canParse(text) && ["http:", "https:"].includes(new URL(text).protocol);

/** A whole number of VND in MoMo's wallet range; the text as MoMo reads it, or why not. */
export const checkAmount = (amount: number, what = "amount"): Checked<number> =>
  Number.isSafeInteger(amount) && amount >= MIN_AMOUNT && amount <= MAX_AMOUNT
    ? ok(amount)
    : refused(`${what} must be a whole number of VND from ${MIN_AMOUNT} to ${MAX_AMOUNT}, got ${amount}`);

/**
 * Text MoMo signs raw (orderInfo, description): reduced to [A-Za-z0-9 .,:_-] so no '&' or '=' makes the
 * raw string ambiguous and no encoder disagrees (§2.3 consequences, §12.7); the fallback when nothing is left.
 */
export const safeText = (text: string, fallback: string): string => asciiText(text).slice(0, 255) || fallback;

/** One payment attempt, as MoMo's create needs it. */
export interface MomoCreateInput {
  /** Our attempt reference: fresh per attempt, never reused (§12.1). */
  readonly orderId: string;
  /** The idempotency key of this create (§2.2): the same for a retry of the same create. */
  readonly requestId: string;
  /** Integer VND, sent as is (not ×100). */
  readonly amount: number;
  readonly orderInfo: string;
  readonly ipnUrl: string;
  readonly redirectUrl: string;
  readonly lang: Locale;
}

/** The create body (§2.2); accessKey is signed but, as the documented field list says, not sent. */
export interface MomoCreateRequest {
  readonly partnerCode: string;
  readonly requestId: string;
  readonly amount: number;
  readonly orderId: string;
  readonly orderInfo: string;
  readonly redirectUrl: string;
  readonly ipnUrl: string;
  readonly requestType: "captureWallet";
  readonly extraData: string;
  readonly lang: Locale;
  readonly signature: string;
}

/** The create fields MoMo signs, from a create body. */
export const createSignedValues = (
  request: Omit<MomoCreateRequest, "signature" | "lang">,
  accessKey: string,
): SignedFields<typeof MOMO_CREATE_FIELDS> => ({
  accessKey,
  amount: String(request.amount),
  extraData: request.extraData,
  ipnUrl: request.ipnUrl,
  orderId: request.orderId,
  orderInfo: request.orderInfo,
  partnerCode: request.partnerCode,
  redirectUrl: request.redirectUrl,
  requestId: request.requestId,
  requestType: request.requestType,
});

/** The signed captureWallet create body, or why PayGov cannot send it. */
export const buildCreateRequest = (
  input: MomoCreateInput,
  merchant: MomoMerchant,
): Checked<MomoCreateRequest> => {
  const amount = checkAmount(input.amount);
  if (!amount.ok) return amount;
  if (!isMomoOrderId(input.orderId)) return refused(`orderId "${input.orderId}" breaks MoMo's pattern`);
  if (!isMomoRequestId(input.requestId)) return refused("requestId must be 1 to 50 printable characters");
  if (!isIpnUrl(input.ipnUrl)) return refused("ipnUrl must be an http(s) URL without a query string");
  if (!isHttpUrl(input.redirectUrl)) return refused("redirectUrl must be an http(s) URL");
  const unsigned = {
    partnerCode: merchant.partnerCode,
    requestId: input.requestId,
    amount: amount.value,
    orderId: input.orderId,
    orderInfo: safeText(input.orderInfo, input.orderId),
    redirectUrl: input.redirectUrl,
    ipnUrl: input.ipnUrl,
    requestType: "captureWallet" as const,
    // Nothing to echo back: PayGov finds everything by orderId.
    extraData: "",
  };
  return ok({
    ...unsigned,
    lang: input.lang,
    signature: signFields(
      MOMO_CREATE_FIELDS,
      createSignedValues(unsigned, merchant.accessKey),
      merchant.secretKey,
    ),
  });
};

/** What MoMo's answer to a create means for the connector. */
export type CreateDecision =
  | { readonly kind: "redirect"; readonly payUrl: string }
  /** The order may already exist at MoMo (a retried create): the query says what became of it. */
  | { readonly kind: "recover"; readonly providerCode: string; readonly message: string }
  | { readonly kind: "declined"; readonly providerCode: string; readonly message: string }
  | { readonly kind: "invalid"; readonly providerCode: string; readonly message: string }
  | { readonly kind: "unavailable"; readonly message: string }
  | { readonly kind: "unknown"; readonly message: string };

/** The `message` MoMo sent (it echoes its raw string on a bad signature, §2.3), for the error's text. */
export const answerMessage = (body: Readonly<Record<string, unknown>>): string => textOf(body.message) ?? "";

/**
 * How a create answer's resultCode decides (§2.5). 0 gives the payUrl. A repeat of an earlier create
 * (40, 41, 43) or a code that says the order is already under way asks the query instead of failing.
 */
const CREATE_DECISIONS: Record<MomoResultKind, Exclude<CreateDecision["kind"], "redirect">> = {
  paid: "recover",
  waiting: "recover",
  duplicate_request: "recover",
  duplicate_order: "recover",
  in_progress: "recover",
  declined: "declined",
  maintenance: "unavailable",
  rejected_request: "invalid",
  unknown_order: "invalid",
  refund_refused: "invalid",
  unknown: "unknown",
};

/** Reads MoMo's answer to a create: the payUrl, or what to do instead. The answer is unsigned [U]. */
export const toCreateDecision = (
  body: Readonly<Record<string, unknown>>,
  expected: { readonly orderId: string; readonly partnerCode: string },
): CreateDecision => {
  const resultCode = parseResultCode(textOf(body.resultCode));
  if (resultCode === null) return { kind: "unknown", message: "MoMo's create answer has no resultCode" };
  const about = (name: "orderId" | "partnerCode") => textOf(body[name]);
  if (about("orderId") !== null && about("orderId") !== expected.orderId)
    return { kind: "unknown", message: "MoMo's create answer is about another orderId" };
  if (about("partnerCode") !== null && about("partnerCode") !== expected.partnerCode)
    return { kind: "unknown", message: "MoMo's create answer is about another partner" };
  const providerCode = String(resultCode);
  const message = `MoMo answered ${providerCode} to create: ${answerMessage(body)}`;
  if (resultCode === 0) {
    const payUrl = textOf(body.payUrl);
    return payUrl !== null && isHttpUrl(payUrl)
      ? { kind: "redirect", payUrl }
      : { kind: "unknown", message: "MoMo accepted the order but sent no payUrl" };
  }
  if (!isMomoResultCode(resultCode)) return { kind: "unknown", message };
  const kind = CREATE_DECISIONS[MOMO_RESULT_CODES[resultCode].kind];
  return kind === "unavailable" || kind === "unknown" ? { kind, message } : { kind, providerCode, message };
};
