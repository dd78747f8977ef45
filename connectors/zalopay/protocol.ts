/**
 * ZaloPay Payment Gateway API v2 on the wire (intermediaries.md §3): the HMAC-SHA256 macs (key1
 * signs what PayGov sends, key2 verifies what ZaloPay sends), app_trans_id, the create order, the
 * server-to-server callback, the browser redirect and PayGov's answers to the callback. Query and
 * refund are in merchant-api.ts. Pure: no I/O, never throws.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { vietnamDateParts } from "../../domain/vietnam-time.ts";
import type { Acknowledgement, OutboundResponse, Verification } from "../sdk/contract.ts";

/** A pure step's answer: the value, or why it could not be produced. */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

export const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
export const refused = <T>(message: string): Checked<T> => ({ ok: false, message });

/** The app's credentials as the pure functions need them (the keys already unwrapped). */
export interface ZalopayMerchant {
  readonly appId: number;
  /** Signs requests PayGov sends (§3.1). */
  readonly key1: string;
  /** Verifies what ZaloPay sends: callback mac and redirect checksum (§3.1). */
  readonly key2: string;
}

// ---------------------------------------------------------------------------------------------
// HMAC-SHA256, lowercase hex (§3.2, §12.4).

export const hmacSha256Hex = (key: string, data: string): string =>
  createHmac("sha256", key).update(data, "utf8").digest("hex");

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** Constant-time comparison of two HMAC-SHA256 hex strings, ignoring hex case. */
export const macsMatch = (expectedHex: string, receivedHex: string): boolean =>
  HEX_SHA256.test(expectedHex) &&
  HEX_SHA256.test(receivedHex) &&
  timingSafeEqual(Buffer.from(expectedHex, "hex"), Buffer.from(receivedHex, "hex"));

// ---------------------------------------------------------------------------------------------
// JSON with ZaloPay's 15-digit ids. zp_trans_id and refund_id are JSON numbers (§3.3); read through
// the reviver's source text (V8's JSON.parse source access) an integer past 2^53 keeps its digits as
// a string instead of silently losing the last ones.

interface ReviverContext {
  readonly source?: string;
}

const losslessReviver = (_key: string, value: unknown, context?: ReviverContext): unknown =>
  typeof value === "number" &&
  !Number.isSafeInteger(value) &&
  context?.source !== undefined &&
  /^-?\d+$/.test(context.source)
    ? context.source
    : value;

/** Parses JSON text without ever throwing; unsafe integers come back as their digits. */
export const parseJson = (text: string): Checked<unknown> => {
  try {
    return ok(JSON.parse(text, losslessReviver as (key: string, value: unknown) => unknown));
  } catch {
    return refused("not JSON");
  }
};

export type JsonObject = Readonly<Record<string, unknown>>;

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A whole number sent as a JSON number or as decimal text (form-encoded answers carry text). */
export const integerOf = (value: unknown): number | null => {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : null;
  if (typeof value === "string" && /^-?\d{1,15}$/.test(value)) return Number(value);
  return null;
};

/** A ZaloPay id (zp_trans_id, refund_id) as its exact digits; null unless it is a positive integer. */
export const idDigitsOf = (value: unknown): string | null => {
  const text = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value;
  return typeof text === "string" && /^[1-9]\d{0,29}$/.test(text) ? text : null;
};

// ---------------------------------------------------------------------------------------------
// app_trans_id (§3.2): `yymmdd` of the GMT+7 date, then our reference. ZaloPay reconciles by Vietnam
// date, which is why the prefix must be the Vietnam day whatever the server's zone (§11).

export const MAX_APP_TRANS_ID_LENGTH = 40;

/** `yymmdd` of the instant's Vietnam calendar date. */
export const vietnamYymmdd = (instant: Date): string => {
  const d = vietnamDateParts(instant);
  return `${d.yy}${d.MM}${d.dd}`;
};

const REFERENCE = /^[A-Za-z0-9-]{1,33}$/;

/** `yymmdd_<reference>`, the attempt's Vietnam date first; refused past ZaloPay's 40 characters. */
export const toAppTransId = (reference: string, attemptCreatedAt: Date): Checked<string> => {
  if (Number.isNaN(attemptCreatedAt.getTime())) return refused("the attempt's creation time is not valid");
  if (!REFERENCE.test(reference))
    return refused(`reference "${reference}" must be 1 to 33 letters, digits or '-'`);
  return ok(`${vietnamYymmdd(attemptCreatedAt)}_${reference}`);
};

const APP_TRANS_ID = /^\d{6}_([A-Za-z0-9-]{1,33})$/;

/** Our reference inside an app_trans_id PayGov made; null for any other shape. */
export const referenceOf = (appTransId: string): string | null => APP_TRANS_ID.exec(appTransId)?.[1] ?? null;

// ---------------------------------------------------------------------------------------------
// Create order (§3.2).

/** "User identifier, or the app name" (§3.2): PayGov sends no personal data, so the app's own name. */
export const APP_USER = "PayGov";
/** item is a JSON array serialised as a string; PayGov has no basket (§3.2). */
export const ITEM_NONE = "[]";
/** ZaloPay's bounds for expire_duration_seconds (§3.2). */
export const MIN_EXPIRE_SECONDS = 300;
export const MAX_EXPIRE_SECONDS = 2_592_000;
const MAX_DESCRIPTION = 256;

/** The fields the create mac covers, in its order (§3.2). */
export const CREATE_MAC_FIELDS = [
  "app_id",
  "app_trans_id",
  "app_user",
  "amount",
  "app_time",
  "embed_data",
  "item",
] as const;

export type ZalopayCreateMacFields = Record<(typeof CREATE_MAC_FIELDS)[number], string>;

/**
 * The create order as it is POSTed, every value text (form-encoded, as ZaloPay's own samples send
 * it). embed_data and item are the exact strings the mac covers: never rebuilt after signing.
 */
export type ZalopayCreateRequest = ZalopayCreateMacFields & {
  readonly expire_duration_seconds: string;
  readonly description: string;
  readonly bank_code: string;
  readonly callback_url: string;
  readonly mac: string;
};

/** `app_id|app_trans_id|app_user|amount|app_time|embed_data|item` (§3.2). */
export const createMacData = (fields: ZalopayCreateMacFields): string =>
  CREATE_MAC_FIELDS.map((name) => fields[name]).join("|");

/** embed_data: a JSON object serialised once, carrying where ZaloPay sends the browser back (§3.2). */
export const embedDataFor = (redirectUrl: string): string => JSON.stringify({ redirecturl: redirectUrl });

/** One payment attempt, as ZaloPay's create order needs it. */
export interface ZalopayOrderInput {
  readonly reference: string;
  /** Integer VND, sent as is (§3.2: not ×100). */
  readonly amount: number;
  readonly description: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** embed_data.redirecturl: PayGov's /callbacks/zalopay/return. */
  readonly redirectUrl: string;
  /** callback_url: PayGov's /callbacks/zalopay/ipn. */
  readonly callbackUrl: string;
}

export const isAmount = (amount: number): boolean => Number.isSafeInteger(amount) && amount > 0;

const isHttpUrl = (text: string): boolean =>
  URL.canParse(text) && ["http:", "https:"].includes(new URL(text).protocol);

/** The signed create order. app_time is the attempt's creation: its yymmdd is app_trans_id's prefix. */
export const buildCreateRequest = (
  input: ZalopayOrderInput,
  merchant: ZalopayMerchant,
): Checked<ZalopayCreateRequest> => {
  if (!isAmount(input.amount))
    return refused(`amount must be a whole number of VND above 0, got ${input.amount}`);
  const appTransId = toAppTransId(input.reference, input.createdAt);
  if (!appTransId.ok) return appTransId;
  if (Number.isNaN(input.expiresAt.getTime()) || input.expiresAt <= input.createdAt)
    return refused("expiresAt must be a valid instant after createdAt");
  if (!isHttpUrl(input.redirectUrl) || !isHttpUrl(input.callbackUrl))
    return refused("the redirect and callback URLs must be http(s) URLs");
  // ZaloPay keeps an order payable for expire_duration_seconds within [300, 2592000] (§3.2); an attempt
  // shorter than 5 minutes is still sent as 300 and a payment after PayGov's expiry is a late success.
  const lifetime = Math.floor((input.expiresAt.getTime() - input.createdAt.getTime()) / 1000);
  const expireSeconds = Math.min(MAX_EXPIRE_SECONDS, Math.max(MIN_EXPIRE_SECONDS, lifetime));
  const fields: ZalopayCreateMacFields = {
    app_id: String(merchant.appId),
    app_trans_id: appTransId.value,
    app_user: APP_USER,
    amount: String(input.amount),
    app_time: String(input.createdAt.getTime()),
    embed_data: embedDataFor(input.redirectUrl),
    item: ITEM_NONE,
  };
  return ok({
    ...fields,
    expire_duration_seconds: String(expireSeconds),
    description: input.description.slice(0, MAX_DESCRIPTION) || input.reference,
    // Empty: ZaloPay's gateway page offers every method the app has (§3.2).
    bank_code: "",
    callback_url: input.callbackUrl,
    mac: hmacSha256Hex(merchant.key1, createMacData(fields)),
  });
};

// ---------------------------------------------------------------------------------------------
// The callback (§3.3): POST JSON {data, mac, type}; mac = HMAC(key2, data) over the data string
// exactly as received. It comes for successful payments only.

/** The decoded `data` of an order callback, in the order ZaloPay serialises it (§3.3). */
export interface ZalopayCallbackData {
  readonly app_id: number;
  readonly app_trans_id: string;
  readonly app_time: number;
  readonly app_user: string;
  readonly amount: number;
  readonly embed_data: string;
  readonly item: string;
  readonly zp_trans_id: number;
  readonly server_time: number;
  readonly channel: number;
  readonly merchant_user_id: string;
  readonly user_fee_amount: number;
  readonly discount_amount: number;
}

/** type=1 is an order callback; 2 is an agreement (tokenisation), which PayGov never creates (§3.3). */
export const CALLBACK_TYPE_ORDER = 1;

/** The callback body ZaloPay POSTs, data signed with key2 (the simulator's side and the tests'). */
export const signCallbackBody = (data: string, key2: string): string =>
  JSON.stringify({ data, mac: hmacSha256Hex(key2, data), type: CALLBACK_TYPE_ORDER });

const malformed = (message: string): Verification => ({
  ok: false,
  rejection: { reason: "malformed", message },
});
const badMac = (message: string): Verification => ({
  ok: false,
  rejection: { reason: "signature_invalid", message },
});

/**
 * Verifies a callback body: the mac over the `data` string as it arrived (never re-serialised),
 * then data's fields. ZaloPay calls back only when it has taken the money, so a verified callback
 * is always a success (§3.3).
 */
export const verifyCallbackBody = (body: string, merchant: ZalopayMerchant): Verification => {
  const parsed = parseJson(body);
  if (!parsed.ok || !isJsonObject(parsed.value)) return malformed("the body is not a JSON object");
  const { data, mac, type } = parsed.value;
  if (typeof data !== "string") return malformed("data is not a JSON string");
  if (typeof mac !== "string" || mac === "") return badMac("mac is missing");
  if (!macsMatch(hmacSha256Hex(merchant.key2, data), mac))
    return badMac("mac does not match data under key2");

  if (integerOf(type) !== CALLBACK_TYPE_ORDER)
    return malformed(`type ${String(type)} is not an order callback`);
  const decoded = parseJson(data);
  if (!decoded.ok || !isJsonObject(decoded.value)) return malformed("data is not a JSON object");
  const d = decoded.value;
  if (integerOf(d.app_id) !== merchant.appId) return malformed("app_id is not this app");
  const reference = typeof d.app_trans_id === "string" ? referenceOf(d.app_trans_id) : null;
  if (reference === null) return malformed("app_trans_id is not yymmdd_<PayGov reference>");
  const amount = integerOf(d.amount);
  if (amount === null || !isAmount(amount)) return malformed("amount is not a whole number of VND");
  const zpTransId = idDigitsOf(d.zp_trans_id);
  if (zpTransId === null) return malformed("zp_trans_id is missing");
  const serverTime = integerOf(d.server_time);
  return {
    ok: true,
    callback: {
      reference,
      providerTxnId: zpTransId,
      amount,
      outcome: "succeeded",
      providerCode: "1",
      paidAt: serverTime === null || serverTime <= 0 ? null : new Date(serverTime),
      cancelledByPayer: false,
    },
  };
};

// ---------------------------------------------------------------------------------------------
// The browser redirect (§3.4): GET embed_data.redirecturl with a key2 checksum. Display only.

/** The redirect's fields the checksum covers, in its order (§3.4). */
export const REDIRECT_FIELDS = [
  "appid",
  "apptransid",
  "pmcid",
  "bankcode",
  "amount",
  "discountamount",
  "status",
] as const;

export type ZalopayRedirectFields = Record<(typeof REDIRECT_FIELDS)[number], string>;

/** `appid|apptransid|pmcid|bankcode|amount|discountamount|status` (§3.4). */
export const redirectChecksumData = (fields: ZalopayRedirectFields): string =>
  REDIRECT_FIELDS.map((name) => fields[name]).join("|");

/** The redirect's query string, checksum last (the simulator's side). */
export const signRedirectQuery = (fields: ZalopayRedirectFields, key2: string): string => {
  const query = new URLSearchParams(fields);
  query.set("checksum", hmacSha256Hex(key2, redirectChecksumData(fields)));
  return query.toString();
};

/**
 * Verifies the redirect's checksum and reads it. The outcome is always `pending`: the redirect is
 * display only (§3.4, §12.5), so the return page shows what PayGov learnt from the callback or a
 * query and the status parameter, failure included, concludes nothing.
 */
export const verifyRedirectQuery = (query: URLSearchParams, merchant: ZalopayMerchant): Verification => {
  const fields: Record<string, string> = {};
  for (const name of [...REDIRECT_FIELDS, "checksum"]) {
    const values = query.getAll(name);
    // A repeated name is refused, since either copy could be the signed one.
    if (values.length > 1) return malformed(`${name} appears more than once`);
    fields[name] = values[0] ?? "";
  }
  if (fields.checksum === "") return badMac("checksum is missing");
  const signed = fields as ZalopayRedirectFields;
  if (!macsMatch(hmacSha256Hex(merchant.key2, redirectChecksumData(signed)), fields.checksum ?? ""))
    return badMac("checksum does not match under key2");
  if (integerOf(signed.appid) !== merchant.appId) return malformed("appid is not this app");
  const reference = referenceOf(signed.apptransid);
  if (reference === null) return malformed("apptransid is not yymmdd_<PayGov reference>");
  const amount = integerOf(signed.amount);
  if (amount === null || !isAmount(amount)) return malformed("amount is not a whole number of VND");
  if (integerOf(signed.status) === null) return malformed("status is not a number");
  return {
    ok: true,
    callback: {
      reference,
      providerTxnId: null,
      amount,
      outcome: "pending",
      providerCode: signed.status,
      paidAt: null,
      cancelledByPayer: false,
    },
  };
};

// ---------------------------------------------------------------------------------------------
// PayGov's answer to the callback (§3.3): JSON {return_code, return_message}, HTTP 200.

/** return_code in PayGov's answer: 1 received, 0 "call back again", -1 refused. */
export type ZalopayCallbackReturnCode = 1 | 0 | -1;

/**
 * What each acknowledgement answers. 1 for accepted and for duplicate: both mean "recorded, stop"
 * and 1 is the only "received" code of certain meaning (2's is [U], §3.3). Our own transient error
 * answers 0, the sample's "ZaloPay calls back again, up to 3 times" [S]. Every refusal answers -1,
 * the sample's mac-invalid convention (DESIGN: "ZaloPay return_code -1 for a bad mac"), because the
 * same signed bytes would be refused again: a reference PayGov never issued, an amount that is not
 * the order's, or data that cannot be read are permanent, and ops see them through reconciliation.
 */
export const CALLBACK_ANSWERS: Record<
  Acknowledgement,
  { readonly return_code: ZalopayCallbackReturnCode; readonly return_message: string }
> = {
  accepted: { return_code: 1, return_message: "success" },
  duplicate: { return_code: 1, return_message: "success" },
  signature_invalid: { return_code: -1, return_message: "mac not equal" },
  malformed: { return_code: -1, return_message: "invalid callback data" },
  unknown_reference: { return_code: -1, return_message: "order not found" },
  amount_mismatch: { return_code: -1, return_message: "amount mismatch" },
  error: { return_code: 0, return_message: "temporary error, call back again" },
};

/** The answer to a callback, always HTTP 200 with the JSON body ZaloPay reads (§3.3). */
export const callbackResponse = (ack: Acknowledgement): OutboundResponse => ({
  status: 200,
  headers: { "content-type": "application/json; charset=utf-8" },
  body: JSON.stringify(CALLBACK_ANSWERS[ack]),
});

/**
 * Whether ZaloPay stops calling back on this answer: any readable return_code but 0. Only 0 is
 * documented as "call back again" (§3.3 [S]); a transport failure or an unreadable answer is retried too.
 */
export const callbackAnswerFinal = (status: number, body: string): boolean => {
  if (status < 200 || status > 299) return false;
  const parsed = parseJson(body);
  if (!parsed.ok || !isJsonObject(parsed.value)) return false;
  const code = integerOf(parsed.value.return_code);
  return code !== null && code !== 0;
};
