/**
 * TEMPLATE CONNECTOR — protocol.ts: the wire rules of "Example Pay", pure.
 *
 * Example Pay is FICTIONAL. It exists so that this folder is a complete, working connector you can copy
 * (docs/adding-a-connector.md walks through it). Its protocol is small but shaped like the real ones in
 * shared/reference/intermediaries.md: a signed redirect, a signed server-to-server notification (IPN),
 * a signed browser return, a query API, a refund API and a daily reconciliation file.
 *
 * WHAT THE AUTHOR MUST REPLACE in this file: everything below that describes Example Pay — field names,
 * the signing recipe, code tables, answers — with what your intermediary's specification says. Keep:
 *   - the three promises of a protocol.ts: no I/O (no fetch, no database, and no clock: every instant
 *     comes in as an argument), never throws (a failure is a value: Checked, Verification, Decision),
 *     and every code the intermediary can send sits in a Record over a literal union, so that adding a
 *     code without deciding what it means is a compile error;
 *   - the split: this file decides, index.ts only moves bytes (transport) and turns decisions into the
 *     contract's Effects and errors;
 *   - the § references: cite your intermediary's document the same way, so a reviewer can check you.
 *
 * Example Pay's specification, in one screen (the § numbers below point here):
 *   §1 Credentials: a merchant_id and one shared secret (HMAC-SHA256 key, used as UTF-8 bytes).
 *   §2 Signing: query strings are signed over their canonical form (parameters sorted by name, RFC 3986
 *      percent-encoding, `signature` left out); JSON bodies (IPN, API requests and answers) are signed
 *      over their exact bytes, the signature travelling in the header X-Example-Signature. Lowercase hex.
 *   §3 Checkout: the browser is sent to PAYMENT_URL?<signed parameters>; nothing is called beforehand.
 *   §4 Browser return: Example Pay redirects to return_url?<signed result parameters> (signed like §3;
 *      PayGov verifies it as it does the IPN, which stays the notification Example Pay guarantees).
 *   §5 IPN: POST application/json to the URL the merchant registered in Example Pay's portal, for every
 *      final result (success and failure alike). Example Pay re-sends until it gets HTTP 200 with code
 *      "00" (received) or "02" (already received).
 *   §6 Query: POST API_URL/v1/orders/query, signed JSON in and out.
 *   §7 Refund: POST API_URL/v1/refunds, idempotent on refund_id: the same refund_id answers the first
 *      answer again. Example Pay has no refund-status call (sending it again IS the status call).
 *   §8 Reconciliation file: GET RECON_URL?date=yyyyMMdd&merchant_id=…&signature=… in PayGov's
 *      canonical layout (DESIGN "Ops API and the reconciliation file").
 *   §9 Result codes (a payment's outcome) and §10 API codes (an API call's outcome).
 *   §11 Time: every timestamp is yyyyMMddHHmmss in Vietnam time (GMT+7), whatever the server's zone.
 *   §12 Amounts: integer VND on the wire, from 1,000 to 500,000,000 per payment.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { asciiText } from "../../domain/order-info.ts";
import { formatVietnamCompact, parseVietnamCompact } from "../../domain/vietnam-time.ts";
import type {
  Acknowledgement,
  Locale,
  LocalizedText,
  OutboundResponse,
  Outcome,
  QueryResult,
  RefundResult,
  Verification,
} from "../sdk/contract.ts";

/** A pure step's answer: the value, or why it could not be produced (never an exception). */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const refused = <T>(message: string): Checked<T> => ({ ok: false, message });

/**
 * §1. The credentials as the pure functions need them, the secret already unwrapped from its Redacted.
 * REPLACE: with your intermediary's set (VNPay: tmnCode + hashSecret; MoMo: partnerCode + accessKey +
 * secretKey; ZaloPay: app_id + key1 for requests + key2 for callbacks).
 */
export interface ExamplePayMerchant {
  readonly merchantId: string;
  readonly secret: string;
}

// ---------------------------------------------------------------------------------------------
// §9, §10. Code tables. REPLACE every row with your intermediary's own table, copied from its document
// (with the document's wording in a comment when you translate it). Each table is a Record over a
// literal union: a code added to the union without a row does not compile, and that is the point.

/** §9. A payment's result code, in callbacks and in query answers. */
export type ExamplePayResultCode = "00" | "01" | "02" | "05" | "06" | "07" | "09" | "10" | "96" | "99";

interface ResultMeaning {
  /** `pending` means "not concluded yet": PayGov waits and queries again. Never guess a conclusion. */
  readonly outcome: Exclude<Outcome, "unknown">;
  readonly cancelledByPayer: boolean;
  readonly text: LocalizedText;
}

export const EXAMPLEPAY_RESULT_CODES: Record<ExamplePayResultCode, ResultMeaning> = {
  "00": {
    outcome: "succeeded",
    cancelledByPayer: false,
    text: { vi: "Thanh toán thành công", en: "Paid" },
  },
  // The citizen opened the page and has not finished: only a query answers this.
  "01": {
    outcome: "pending",
    cancelledByPayer: false,
    text: { vi: "Đang chờ khách hàng thanh toán", en: "Awaiting the payer" },
  },
  "02": {
    outcome: "pending",
    cancelledByPayer: false,
    text: { vi: "Đang chờ ngân hàng xác nhận", en: "Awaiting the bank's confirmation" },
  },
  "05": {
    outcome: "failed",
    cancelledByPayer: false,
    text: { vi: "Ngân hàng từ chối giao dịch", en: "Declined by the bank" },
  },
  "06": {
    outcome: "failed",
    cancelledByPayer: false,
    text: { vi: "Tài khoản không đủ số dư", en: "Insufficient balance" },
  },
  "07": {
    outcome: "failed",
    cancelledByPayer: false,
    text: { vi: "Thẻ hoặc tài khoản bị khóa", en: "Card or account locked" },
  },
  "09": {
    outcome: "failed",
    cancelledByPayer: true,
    text: { vi: "Khách hàng hủy giao dịch", en: "Cancelled by the payer" },
  },
  "10": {
    outcome: "failed",
    cancelledByPayer: false,
    text: { vi: "Hết thời gian thanh toán", en: "The payment link expired" },
  },
  // Money may have left the payer's account; Example Pay concludes later. A real protocol's "suspected
  // fraud" code belongs here too (VNPay's 07): it is not a success until the intermediary says so.
  "96": {
    outcome: "pending",
    cancelledByPayer: false,
    text: { vi: "Giao dịch đang được kiểm tra", en: "Held for review" },
  },
  "99": {
    outcome: "pending",
    cancelledByPayer: false,
    text: { vi: "Lỗi hệ thống Example Pay", en: "Example Pay system error" },
  },
};

export const isResultCode = (code: string): code is ExamplePayResultCode =>
  Object.hasOwn(EXAMPLEPAY_RESULT_CODES, code);

/** §10. An API call's code (query, refund). */
export type ExamplePayApiCode = "00" | "11" | "12" | "13" | "21" | "22" | "99";

export const EXAMPLEPAY_API_CODES: Record<ExamplePayApiCode, string> = {
  "00": "Success",
  "11": "Order not found",
  "12": "Invalid signature",
  "13": "Invalid request",
  "21": "Refund not allowed: the order is not paid, or the amount exceeds what remains refundable",
  "22": "Refund refused by the issuing bank",
  "99": "Temporary error: nothing was done, try again",
};

export const isApiCode = (code: string): code is ExamplePayApiCode =>
  Object.hasOwn(EXAMPLEPAY_API_CODES, code);

/**
 * What an API code means for PayGov, per operation. These verdicts are the heart of a connector's
 * reliability: each one becomes a ConnectorError kind in index.ts, and activities/run.ts RETRYABLE
 * decides from the kind whether Temporal retries. Get "declined" (final: never retried) and
 * "unavailable" (nothing was done: retried) right from your intermediary's document; when it does not
 * say whether a code means "nothing was done", treat the call's outcome as unknown, never as a refusal.
 */
type Verdict = "ok" | "not_found" | "invalid" | "declined" | "unavailable";

const QUERY_VERDICTS: Record<ExamplePayApiCode, Verdict> = {
  "00": "ok",
  "11": "not_found",
  "12": "invalid", // our signature is wrong: the secret is misconfigured
  "13": "invalid",
  // Refund codes never answer a query: Example Pay misread our request.
  "21": "invalid",
  "22": "invalid",
  "99": "unavailable",
};

const REFUND_VERDICTS: Record<ExamplePayApiCode, Exclude<Verdict, "not_found">> = {
  "00": "ok",
  // PayGov refunds only attempts Example Pay reported paid, so "not found" is its final word.
  "11": "declined",
  "12": "invalid",
  "13": "invalid",
  "21": "declined",
  "22": "declined",
  "99": "unavailable", // §10: nothing was done, so sending the same refund_id again is safe
};

/**
 * A pure reading of an API answer, in the contract's terms. index.ts maps each kind onto one
 * ConnectorError (declined → Declined, invalid → InvalidRequest, unavailable → Unavailable,
 * unverifiable → OutcomeUnknown) and nothing else: no protocol knowledge leaks into the transport.
 */
export type Decision<A> =
  | { readonly kind: "result"; readonly result: A }
  | { readonly kind: "declined"; readonly providerCode: string; readonly message: string }
  | { readonly kind: "invalid"; readonly providerCode: string; readonly message: string }
  | { readonly kind: "unavailable"; readonly message: string }
  /** The answer cannot be trusted or read (bad signature, another order): no usable answer came back. */
  | { readonly kind: "unverifiable"; readonly message: string };

// ---------------------------------------------------------------------------------------------
// §2. Signing. REPLACE with your intermediary's recipe, byte for byte. This is where integrations fail:
// which fields, in which order, encoded how (VNPay: '+' for spaces, MoMo: raw values in a fixed order,
// OnePay: a hex-decoded key), which hash, hex case. Test it on the vectors in the intermediary's
// document (or, when it has none, vectors computed outside TypeScript: see template.test.ts).

export const SIGNATURE_PARAM = "signature";
/** Lowercase: the platform hands connectors header names as fetch's Headers gives them. */
export const SIGNATURE_HEADER = "x-example-signature";

/**
 * RFC 3986 percent-encoding of the UTF-8 bytes: only A-Z a-z 0-9 - . _ ~ stay, a space is %20, hex is
 * uppercase. encodeURIComponent leaves !'()* alone, so those are encoded by hand; a lone surrogate
 * becomes U+FFFD first (encodeURIComponent would throw).
 */
export const percentEncode = (text: string): string =>
  encodeURIComponent(text.toWellFormed()).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

// Ordinal (UTF-16 code unit) order: a locale-aware sort would place '_' differently on another machine.
const byName = ([a]: readonly [string, string], [b]: readonly [string, string]): number =>
  a < b ? -1 : a > b ? 1 : 0;

/** §2. The bytes Example Pay signs for a query string: name=value pairs, sorted, encoded, `signature` out. */
export const canonicalQuery = (params: Readonly<Record<string, string>>): string =>
  Object.entries(params)
    .filter(([name]) => name !== SIGNATURE_PARAM)
    .sort(byName)
    .map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`)
    .join("&");

/** HMAC-SHA256 of UTF-8 text under the merchant's secret, lowercase hex. */
export const hmacSha256Hex = (secret: string, data: string): string =>
  createHmac("sha256", secret).update(data, "utf8").digest("hex");

/** The query string to send: exactly the signed bytes, then `&signature=` (what is sent is what is signed). */
export const signQuery = (params: Readonly<Record<string, string>>, secret: string): string => {
  const data = canonicalQuery(params);
  return `${data}&${SIGNATURE_PARAM}=${hmacSha256Hex(secret, data)}`;
};

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * Constant-time comparison of two HMAC-SHA256 hex strings. Never compare signatures with `===`: the time
 * it takes leaks how many leading characters matched. Both are checked to be 64 hex digits first
 * (timingSafeEqual throws on buffers of different lengths, and protocol.ts never throws).
 */
export const signaturesMatch = (expectedHex: string, receivedHex: string): boolean =>
  HEX_SHA256.test(expectedHex) &&
  HEX_SHA256.test(receivedHex) &&
  timingSafeEqual(Buffer.from(expectedHex, "hex"), Buffer.from(receivedHex, "hex"));

/** Whether `signature` signs the other parameters (§2). */
export const querySignatureValid = (params: Readonly<Record<string, string>>, secret: string): boolean =>
  signaturesMatch(hmacSha256Hex(secret, canonicalQuery(params)), params[SIGNATURE_PARAM] ?? "");

/**
 * §2. A JSON body is signed over its exact bytes: the receiver verifies what arrived, before parsing, so
 * no two JSON encoders ever have to agree. (The platform gives connectors the body as UTF-8 text; a
 * protocol that signs other bytes would need the raw buffer, which the contract does not carry yet.)
 */
export const bodySignatureValid = (body: string, signature: string | undefined, secret: string): boolean =>
  signaturesMatch(hmacSha256Hex(secret, body), signature ?? "");

/** A signed JSON request or answer: the body's bytes and the headers that go with them. */
export interface SignedJson {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Serialises once and signs those very bytes (§2). */
export const signedJson = (value: unknown, secret: string): SignedJson => {
  const body = JSON.stringify(value);
  return {
    body,
    headers: { "content-type": "application/json", [SIGNATURE_HEADER]: hmacSha256Hex(secret, body) },
  };
};

/** A query's parameters by name; a repeated name is refused, since either copy could be the signed one. */
export const readParams = (query: URLSearchParams): Checked<Record<string, string>> => {
  const params: Record<string, string> = {};
  for (const [name, value] of query) {
    if (Object.hasOwn(params, name)) return refused(`${name} appears more than once`);
    params[name] = value;
  }
  return ok(params);
};

// ---------------------------------------------------------------------------------------------
// §11 time and §12 amounts. REPLACE the formats; keep the rule: Vietnam time on the wire whatever the
// server's TZ, integer VND inside PayGov, any ×100 (VNPay, OnePay, NAPAS) done here and only here.

/**
 * `yyyyMMddHHmmss` on Vietnam's clock, written and read by domain/vietnam-time.ts: the zone is fixed
 * whatever the server's, and reading refuses an impossible date (30 February). Use its helpers rather
 * than writing your own; name them for your protocol's field so the code reads like its documentation.
 */
export const formatExampleTime = formatVietnamCompact;
export const parseExampleTime = parseVietnamCompact;

export const MIN_AMOUNT_VND = 1_000;
export const MAX_AMOUNT_VND = 500_000_000;

/** §12. The wire amount of a payment: integer VND as digits. */
export const toWireAmount = (amount: number): Checked<string> =>
  Number.isSafeInteger(amount) && amount >= MIN_AMOUNT_VND && amount <= MAX_AMOUNT_VND
    ? ok(String(amount))
    : refused(
        `amount must be a whole number of VND from ${MIN_AMOUNT_VND} to ${MAX_AMOUNT_VND}, got ${amount}`,
      );

/** VND from a wire amount (digits in a query, a JSON integer in a body); null unless a positive integer. */
export const parseWireAmount = (value: unknown): number | null => {
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string" || !/^[1-9]\d{0,14}$/.test(text)) return null;
  const amount = Number(text);
  return Number.isSafeInteger(amount) ? amount : null;
};

/** Example Pay's order_id alphabet and length (§3). REPLACE with yours: PayGov's references fit most. */
export const ORDER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Our reference from the intermediary's order id. Example Pay echoes our reference unchanged, so this is
 * the identity. REPLACE when your protocol transforms it (ZaloPay's app_trans_id is `yymmdd_<ours>`):
 * VerifiedCallback.reference must be OUR reference, because PayGov looks the attempt up by it.
 */
export const referenceOf = (orderId: string): string => orderId;

// ---------------------------------------------------------------------------------------------
// §3. Checkout: the signed payment URL.

export const EXAMPLEPAY_VERSION = "1";

/** One attempt, as Example Pay's checkout needs it. */
export interface ExamplePayCheckout {
  readonly merchantId: string;
  /** order_id: the attempt's reference, fresh for every attempt and never reused (intermediaries.md §12.1). */
  readonly reference: string;
  /** Integer VND. */
  readonly amount: number;
  readonly description: string;
  readonly returnUrl: string;
  readonly expiresAt: Date;
  readonly locale: Locale;
}

const isHttpUrl = (text: string): boolean =>
  URL.canParse(text) && ["http:", "https:"].includes(new URL(text).protocol);

/**
 * The checkout's parameters, unsigned. REPLACE the field names and the validation with your document's
 * required fields and limits: refusing here (InvalidRequest, never retried) beats a confusing error page
 * at the intermediary that the citizen has to read.
 */
export const toCheckoutParams = (checkout: ExamplePayCheckout): Checked<Record<string, string>> => {
  const amount = toWireAmount(checkout.amount);
  if (!amount.ok) return amount;
  if (!ORDER_ID.test(checkout.reference)) return refused("the reference is not a valid order_id");
  if (checkout.merchantId === "") return refused("merchant_id must not be empty");
  if (!isHttpUrl(checkout.returnUrl)) return refused("return_url must be an http(s) URL");
  if (Number.isNaN(checkout.expiresAt.getTime())) return refused("expiresAt must be a valid instant");
  // Intermediaries mangle non-ASCII text in different ways (intermediaries.md §12.7): keep it plain.
  const description = asciiText(checkout.description).slice(0, 255) || checkout.reference;
  return ok({
    version: EXAMPLEPAY_VERSION,
    merchant_id: checkout.merchantId,
    order_id: checkout.reference,
    amount: amount.value,
    currency: "VND",
    description,
    return_url: checkout.returnUrl,
    expire_time: formatExampleTime(checkout.expiresAt),
    locale: checkout.locale,
  });
};

/** The signed URL the citizen's browser is sent to (the Initiation's `url`). */
export const buildCheckoutUrl = (
  paymentUrl: string,
  checkout: ExamplePayCheckout,
  secret: string,
): Checked<string> => {
  const params = toCheckoutParams(checkout);
  if (!params.ok) return params;
  return ok(`${paymentUrl}${paymentUrl.includes("?") ? "&" : "?"}${signQuery(params.value, secret)}`);
};

// ---------------------------------------------------------------------------------------------
// §4, §5. The browser return and the IPN carry the same fields; only the envelope differs.

/** The result fields of a return or IPN. `paid_time` is "" unless paid; `transaction_id` "" on a cancel. */
export const CALLBACK_FIELDS = [
  "merchant_id",
  "order_id",
  "transaction_id",
  "amount",
  "result_code",
  "paid_time",
] as const;

export type ExamplePayCallbackField = (typeof CALLBACK_FIELDS)[number];

/** The IPN's JSON body (§5): the same fields, `amount` a JSON integer. */
export interface ExamplePayIpnBody {
  readonly merchant_id: string;
  readonly order_id: string;
  readonly transaction_id: string;
  readonly amount: number;
  readonly result_code: string;
  readonly paid_time: string;
}

const malformed = (message: string): Verification => ({
  ok: false,
  rejection: { reason: "malformed", message },
});
const forged = (message: string): Verification => ({
  ok: false,
  rejection: { reason: "signature_invalid", message },
});

const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

/**
 * The fields of a callback whose signature has been checked, mapped onto the contract. Order of checks:
 * whose it is, which order, how much, what happened. PayGov then compares reference and amount with
 * its ledger (api/callbacks/routes.ts): this function only says what the callback claims, truthfully.
 */
export const toVerifiedCallback = (
  fields: Readonly<Record<string, unknown>>,
  merchant: ExamplePayMerchant,
): Verification => {
  if (fields.merchant_id !== merchant.merchantId) return malformed("merchant_id is not this merchant");
  const orderId = text(fields.order_id) ?? "";
  if (!ORDER_ID.test(orderId)) return malformed("order_id is missing or not an order id");
  const amount = parseWireAmount(fields.amount);
  if (amount === null) return malformed("amount is not a whole number of VND");
  const code = text(fields.result_code) ?? "";
  // An unknown code is refused, not guessed: PayGov answers "malformed", Example Pay re-sends it and
  // somebody looks; meanwhile the query (which reports an unknown code as `unknown`) keeps asking.
  if (!isResultCode(code)) return malformed(`unknown result_code "${code}"`);
  const meaning = EXAMPLEPAY_RESULT_CODES[code];
  const transactionId = text(fields.transaction_id) ?? "";
  return {
    ok: true,
    callback: {
      reference: referenceOf(orderId),
      providerTxnId: transactionId === "" ? null : transactionId,
      amount,
      outcome: meaning.outcome,
      providerCode: code,
      paidAt: meaning.outcome === "succeeded" ? parseExampleTime(text(fields.paid_time) ?? "") : null,
      cancelledByPayer: meaning.cancelledByPayer,
    },
  };
};

/** §4. The browser return: signature first, then the fields. */
export const verifyReturn = (query: URLSearchParams, merchant: ExamplePayMerchant): Verification => {
  const read = readParams(query);
  if (!read.ok) return malformed(read.message);
  if (read.value[SIGNATURE_PARAM] === undefined) return forged("signature is missing");
  if (!querySignatureValid(read.value, merchant.secret)) return forged("signature does not match");
  return toVerifiedCallback(read.value, merchant);
};

/**
 * §5. The IPN: a POST whose X-Example-Signature signs the body's bytes. The signature is checked before
 * the body is even parsed: nothing an unauthenticated sender wrote is read.
 */
export const verifyIpn = (
  request: {
    readonly method: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string;
  },
  merchant: ExamplePayMerchant,
): Verification => {
  if (request.method !== "POST") return malformed("the IPN is a POST");
  const signature = request.headers[SIGNATURE_HEADER];
  if (signature === undefined) return forged(`${SIGNATURE_HEADER} is missing`);
  if (!bodySignatureValid(request.body, signature, merchant.secret))
    return forged("signature does not match");
  const fields = parseJsonObject(request.body);
  if (!fields.ok) return malformed(fields.message);
  return toVerifiedCallback(fields.value, merchant);
};

/** A JSON object, or why the text is not one. */
export const parseJsonObject = (body: string): Checked<Record<string, unknown>> => {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? ok(value as Record<string, unknown>)
      : refused("the body is not a JSON object");
  } catch {
    return refused("the body is not JSON");
  }
};

/**
 * §5. PayGov's answer to an IPN, for each Acknowledgement. REPLACE with your protocol's words. Decide
 * with the document in hand which answers make the intermediary stop re-sending: "accepted" and
 * "duplicate" must; a refusal must not (so that a callback PayGov could not record comes again).
 */
const IPN_ANSWERS: Record<
  Acknowledgement,
  { readonly status: number; readonly code: string; readonly message: string }
> = {
  accepted: { status: 200, code: "00", message: "Received" },
  duplicate: { status: 200, code: "02", message: "Already received" },
  unknown_reference: { status: 404, code: "01", message: "Order not found" },
  amount_mismatch: { status: 400, code: "04", message: "Invalid amount" },
  signature_invalid: { status: 400, code: "97", message: "Invalid signature" },
  malformed: { status: 400, code: "98", message: "Invalid request" },
  error: { status: 500, code: "99", message: "Temporary error, send again" },
};

export const ipnAnswer = (ack: Acknowledgement): OutboundResponse => {
  const answer = IPN_ANSWERS[ack];
  return {
    status: answer.status,
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify({ code: answer.code, message: answer.message }),
  };
};

/** §5, Example Pay's side: it stops re-sending on HTTP 200 with code 00 or 02 (the simulator uses this). */
export const isIpnAcknowledged = (status: number, body: string): boolean => {
  const parsed = parseJsonObject(body);
  return status === 200 && parsed.ok && (parsed.value.code === "00" || parsed.value.code === "02");
};

// ---------------------------------------------------------------------------------------------
// §6. Query.

export interface ExamplePayQueryInput {
  readonly reference: string;
  /** Unique per request: Example Pay logs it, and support asks for it. */
  readonly requestId: string;
  readonly requestedAt: Date;
}

export const buildQueryRequest = (input: ExamplePayQueryInput, merchant: ExamplePayMerchant): SignedJson =>
  signedJson(
    {
      merchant_id: merchant.merchantId,
      order_id: input.reference,
      request_id: input.requestId,
      request_time: formatExampleTime(input.requestedAt),
    },
    merchant.secret,
  );

/**
 * An API answer's body, once its signature is checked (§2): Example Pay signs every answer to a known
 * merchant. An answer that does not verify is "unverifiable": a wrong secret or a tampering proxy must be
 * loud (OutcomeUnknown), never read as a quiet result.
 */
export const readSignedAnswer = (
  body: string,
  signature: string | null,
  secret: string,
): Checked<Record<string, unknown>> => {
  if (!bodySignatureValid(body, signature ?? undefined, secret))
    return refused("Example Pay's answer is not signed with this merchant's secret");
  return parseJsonObject(body);
};

/** What a query needs to read its answer. */
export interface QueryContext {
  readonly reference: string;
  /** When the attempt's payment link stops working (expire_time). */
  readonly expiresAt: Date;
  readonly now: Date;
}

/**
 * How long after expire_time an "order not found" still only means "not yet": the two clocks' skew.
 * Before that, the citizen may still open the link; after it, Example Pay refuses the link (§3), so
 * nothing can ever be paid under this reference and the attempt has failed.
 */
export const NOT_FOUND_GRACE_MS = 5 * 60 * 1000;

const unknownResult = (providerCode: string): QueryResult => ({
  outcome: "unknown",
  providerTxnId: null,
  amount: null,
  providerCode,
  paidAt: null,
});

/** The API code of an answer, or the decision to give when it has none we know. */
const apiCodeOf = (answer: Readonly<Record<string, unknown>>): ExamplePayApiCode | null => {
  const code = text(answer.api_code) ?? "";
  return isApiCode(code) ? code : null;
};

/** A verdict other than "ok" as a Decision (the same for every operation). */
const otherVerdict = <A>(
  verdict: Exclude<Verdict, "ok" | "not_found">,
  code: ExamplePayApiCode,
  what: string,
): Decision<A> => {
  const message = `Example Pay ${what}: ${EXAMPLEPAY_API_CODES[code]} (${code})`;
  switch (verdict) {
    case "invalid":
      return { kind: "invalid", providerCode: code, message };
    case "declined":
      return { kind: "declined", providerCode: code, message };
    case "unavailable":
      return { kind: "unavailable", message };
  }
};

/** §6. The query's answer as the contract's QueryResult, or why there is none. */
export const toQueryDecision = (
  answer: Readonly<Record<string, unknown>>,
  context: QueryContext,
): Decision<QueryResult> => {
  const code = apiCodeOf(answer);
  if (code === null) return { kind: "unverifiable", message: "the query answer has no known api_code" };
  const verdict = QUERY_VERDICTS[code];
  if (verdict === "not_found") {
    const expired = context.now.getTime() > context.expiresAt.getTime() + NOT_FOUND_GRACE_MS;
    return {
      kind: "result",
      result: {
        outcome: expired ? "failed" : "pending",
        providerTxnId: null,
        amount: null,
        providerCode: code,
        paidAt: null,
      },
    };
  }
  if (verdict !== "ok") return otherVerdict(verdict, code, "refused the query");
  const order = answer.order;
  if (typeof order !== "object" || order === null)
    return { kind: "unverifiable", message: "the query answer has no order" };
  const fields = order as Record<string, unknown>;
  if (fields.order_id !== context.reference)
    return { kind: "unverifiable", message: "the query answer is about another order" };
  const resultCode = text(fields.result_code) ?? "";
  // A code the table does not know is "unknown": ask again later, and let ops see the code.
  if (!isResultCode(resultCode)) return { kind: "result", result: unknownResult(resultCode) };
  const meaning = EXAMPLEPAY_RESULT_CODES[resultCode];
  const amount = parseWireAmount(fields.amount);
  if (meaning.outcome === "succeeded" && amount === null)
    return { kind: "result", result: unknownResult(resultCode) };
  const transactionId = text(fields.transaction_id) ?? "";
  return {
    kind: "result",
    result: {
      outcome: meaning.outcome,
      ...(meaning.cancelledByPayer ? { cancelledByPayer: true } : {}),
      providerTxnId: transactionId === "" ? null : transactionId,
      amount,
      providerCode: resultCode,
      paidAt: meaning.outcome === "succeeded" ? parseExampleTime(text(fields.paid_time) ?? "") : null,
    },
  };
};

// ---------------------------------------------------------------------------------------------
// §7. Refund.

export interface ExamplePayRefundInput {
  /** refund_id: PayGov's fresh reference for this refund, the same on every retry (idempotency). */
  readonly refundId: string;
  /** The paid order: our attempt's reference. */
  readonly reference: string;
  readonly amount: number;
  readonly reason: string;
  readonly requestedAt: Date;
}

export const buildRefundRequest = (
  input: ExamplePayRefundInput,
  merchant: ExamplePayMerchant,
): Checked<SignedJson> => {
  if (!Number.isSafeInteger(input.amount) || input.amount < 1 || input.amount > MAX_AMOUNT_VND)
    return refused(`a refund must be a whole number of VND from 1 to ${MAX_AMOUNT_VND}, got ${input.amount}`);
  if (!ORDER_ID.test(input.refundId)) return refused("the refund reference is not a valid refund_id");
  return ok(
    signedJson(
      {
        merchant_id: merchant.merchantId,
        refund_id: input.refundId,
        order_id: input.reference,
        amount: input.amount,
        reason: asciiText(input.reason).slice(0, 255) || "Refund",
        request_time: formatExampleTime(input.requestedAt),
      },
      merchant.secret,
    ),
  );
};

/**
 * §7. The refund's answer. Example Pay's refund is synchronous: 00 means accepted (the bank then moves
 * the money on its own schedule, like VNPay's), so the outcome is `succeeded`. REPLACE: a protocol that
 * answers "received, processing" maps that to `pending` and implements refundStatus (capability flag).
 */
export const toRefundDecision = (
  answer: Readonly<Record<string, unknown>>,
  refundId: string,
): Decision<RefundResult> => {
  const code = apiCodeOf(answer);
  if (code === null) return { kind: "unverifiable", message: "the refund answer has no known api_code" };
  const verdict = REFUND_VERDICTS[code];
  if (verdict !== "ok") return otherVerdict(verdict, code, "refused the refund");
  const refund = answer.refund;
  const fields = typeof refund === "object" && refund !== null ? (refund as Record<string, unknown>) : {};
  if (fields.refund_id !== refundId)
    return { kind: "unverifiable", message: "the refund answer is about another refund" };
  const providerRefundId = text(fields.refund_transaction_id);
  return { kind: "result", result: { outcome: "succeeded", providerRefundId, providerCode: code } };
};

// ---------------------------------------------------------------------------------------------
// §8. Reconciliation file. The file itself is in PayGov's canonical layout (connectors/sdk/recon-file.ts
// writes it in the simulator); only the request is Example Pay's.

/** The signed query of a file request for a Vietnam date given as yyyyMMdd. */
export const reconQuery = (date: string, merchant: ExamplePayMerchant): string =>
  signQuery({ merchant_id: merchant.merchantId, date }, merchant.secret);
