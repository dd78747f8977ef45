/**
 * The store-counter chain's bill-collection ("thu hộ") protocol, shape B of intermediaries.md §0: the
 * chain's POS calls PayGov to look a payment code up, confirm the cash it took, or reverse it. The
 * counter-to-intermediary wire of Payoo is not public (§4.3 [U]), so this is PayGov's own biller API,
 * designed after the canonical contract of §4.4 (AppotaPay's bill API, MoMo's collection API). Pure: no
 * I/O, never throws. § points into shared/reference/intermediaries.md.
 *
 * Requests: POST <PayGov>/agents/<id>/lookup | /confirm | /reverse, a JSON object:
 *
 *   field          LOOKUP  CONFIRM  REVERSE  format
 *   operation        ✓        ✓        ✓     LOOKUP | CONFIRM | REVERSE (must match the path)
 *   partnerCode      ✓        ✓        ✓     COUNTER_PARTNER_CODE
 *   requestId        ✓        ✓        ✓     [A-Za-z0-9_-]{1,50}, fresh for every request
 *   requestTime      ✓        ✓        ✓     yyyyMMddHHmmss GMT+7, within 5 minutes of PayGov's clock
 *   paymentCode      ✓        ✓        ✓     16 digits, the last a Luhn check digit
 *   amount           –        ✓        –     JSON integer, VND (never ×100, §12.2)
 *   transactionId    –        ✓        ✓     the chain's transaction id, [A-Za-z0-9_.-]{1,50}
 *   storeId          –        ✓        ✓     the store that took the cash, [A-Za-z0-9_-]{1,20}
 *   paidTime         –        ✓        –     yyyyMMddHHmmss GMT+7, when the cash was taken
 *   signature        ✓        ✓        ✓     lowercase hex HMAC-SHA256
 *
 * Replies: HTTP 200, a JSON object with the fields of REPLY_FIELDS that apply (see toReplyFields) and a
 * signature. resultCode 00 is success; every refusal has its own code (RESULT_CODES).
 *
 * Signature (both directions; §4.4 asks for HMAC-SHA256, §12.4 for raw values): the values of the fixed
 * field list (REQUEST_FIELDS or REPLY_FIELDS), in that order, raw (no URL or JSON encoding; integers in
 * base 10; booleans as true/false; an absent field as the empty string), joined with "|", UTF-8, HMAC-
 * SHA256 under COUNTER_SECRET_KEY, lowercase hex. Raw values are ambiguous where a value holds a "|",
 * so every fixed-format field is checked after the signature and no two free-text fields are adjacent:
 * a pipe moved across a field boundary always lands in a field that then fails its format check.
 *
 * Replays: a signed request older (or newer) than 5 minutes is refused. Within the window a replay is
 * harmless: a look-up changes nothing, and confirming and reversing are idempotent on transactionId.
 * A reply echoes operation, partnerCode and requestId, so the chain can tell it belongs to its request.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { isPaymentCode } from "../../domain/payment-code.ts";
import type {
  BillView,
  CallbackRejection,
  CollectionReply,
  CollectionRequest,
  InboundRequest,
  LocalizedText,
  OutboundResponse,
} from "../sdk/contract.ts";
import { formatCounterTime, parseCounterTime } from "./time.ts";

/** A pure step's answer: the value, or why it could not be produced. */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const refused = <T>(message: string): Checked<T> => ({ ok: false, message });

/** The chain's credentials as the pure functions need them (the key already unwrapped). */
export interface CounterPartner {
  readonly partnerCode: string;
  readonly secret: string;
}

/** How far a request's requestTime may be from PayGov's clock, either way [U: our choice, §4.4 "timestamp"]. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// Operations, result codes and bill statuses. Each table is a Record over its union, so a case added
// to the contract without a decision here is a compile error.

export type CounterOperation = "LOOKUP" | "CONFIRM" | "REVERSE";

/** The wire operation of each contract request, and the last segment of its path. */
export const OPERATIONS: Record<CollectionRequest["kind"], CounterOperation> = {
  lookup: "LOOKUP",
  confirm: "CONFIRM",
  reverse: "REVERSE",
};

const KIND_OF: Record<CounterOperation, CollectionRequest["kind"]> = {
  LOOKUP: "lookup",
  CONFIRM: "confirm",
  REVERSE: "reverse",
};

const isOperation = (value: unknown): value is CounterOperation =>
  typeof value === "string" && Object.hasOwn(KIND_OF, value);

/** Why PayGov refuses a request, in the contract's words. */
export type RefusalReason = Extract<CollectionReply, { kind: "refused" }>["reason"];

export type CounterResultCode = "00" | "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "99";

/**
 * The chain's code for each refusal. Distinct codes for wrong amount, already paid and expired or
 * cancelled, as §4.4 requires (AppotaPay's 117/118/115+120 are the model; expired and cancelled share
 * one code because the clerk's action is the same: do not take the cash).
 */
export const REFUSAL_CODES: Record<RefusalReason, CounterResultCode> = {
  unknown_code: "01",
  not_payable: "02",
  amount_mismatch: "03",
  already_paid: "04",
  too_late: "05",
  unknown_transaction: "06",
  signature_invalid: "07",
  malformed: "08",
  error: "99",
};

/** What each code means; `message` carries the Vietnamese text, the clerk's language. */
export const RESULT_CODES: Record<CounterResultCode, LocalizedText> = {
  "00": { vi: "Thành công", en: "Success" },
  "01": { vi: "Mã thanh toán không tồn tại", en: "No bill has this payment code" },
  "02": {
    vi: "Hóa đơn đã hết hạn hoặc đã bị hủy, không thu tiền",
    en: "The bill has expired or was cancelled: take no cash",
  },
  "03": { vi: "Số tiền không khớp với hóa đơn", en: "The amount differs from the bill" },
  "04": { vi: "Hóa đơn đã được thanh toán", en: "The bill is already paid" },
  "05": {
    vi: "Đã quá thời hạn hủy giao dịch thu hộ",
    en: "Too late to reverse this collection",
  },
  "06": { vi: "Không tìm thấy giao dịch", en: "No such transaction" },
  "07": { vi: "Chữ ký không hợp lệ", en: "Invalid signature" },
  "08": { vi: "Yêu cầu không hợp lệ", en: "Invalid request" },
  "99": { vi: "Lỗi hệ thống, vui lòng thử lại", en: "System error, try again" },
};

const isResultCode = (value: unknown): value is CounterResultCode =>
  typeof value === "string" && Object.hasOwn(RESULT_CODES, value);

export type CounterBillStatus = "PAYABLE" | "PAID" | "EXPIRED" | "CANCELLED";

/** billStatus of a look-up: §4.4's statuses minus NOT_FOUND, which is result code 01. */
export const BILL_STATUSES: Record<BillView["status"], CounterBillStatus> = {
  payable: "PAYABLE",
  paid: "PAID",
  expired: "EXPIRED",
  cancelled: "CANCELLED",
};

const isBillStatus = (value: unknown): value is CounterBillStatus =>
  typeof value === "string" && (Object.values(BILL_STATUSES) as string[]).includes(value);

// ---------------------------------------------------------------------------------------------
// Signing.

/** The request fields in signing order. */
export const REQUEST_FIELDS = [
  "operation",
  "partnerCode",
  "requestId",
  "requestTime",
  "paymentCode",
  "amount",
  "transactionId",
  "storeId",
  "paidTime",
] as const;

/**
 * The reply fields in signing order. Free text (message, payerName, agencyName, description, detail)
 * always sits between fixed-format fields; see the header on why.
 */
export const REPLY_FIELDS = [
  "operation",
  "partnerCode",
  "requestId",
  "responseTime",
  "resultCode",
  "message",
  "paymentCode",
  "amount",
  "payerName",
  "billStatus",
  "agencyName",
  "expireTime",
  "description",
  "transactionId",
  "receiptId",
  "duplicate",
  "detail",
] as const;

type Fields = Readonly<Record<string, unknown>>;

/** A value as it goes into the signed string. Objects and arrays never pass the format checks that follow. */
const rawValue = (value: unknown): string => {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
};

/** The pipe-joined string a request's signature covers. */
export const requestSigningString = (fields: Fields): string =>
  REQUEST_FIELDS.map((name) => rawValue(fields[name])).join("|");

/** The pipe-joined string a reply's signature covers. */
export const replySigningString = (fields: Fields): string =>
  REPLY_FIELDS.map((name) => rawValue(fields[name])).join("|");

/** HMAC-SHA256 of the UTF-8 text under the shared key, lowercase hex. */
export const hmacSha256Hex = (secret: string, data: string): string =>
  createHmac("sha256", secret).update(data, "utf8").digest("hex");

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** Constant-time comparison of two HMAC-SHA256 hex strings, ignoring hex case. */
export const signaturesMatch = (expectedHex: string, receivedHex: unknown): boolean =>
  typeof receivedHex === "string" &&
  HEX_SHA256.test(expectedHex) &&
  HEX_SHA256.test(receivedHex) &&
  timingSafeEqual(Buffer.from(expectedHex, "hex"), Buffer.from(receivedHex, "hex"));

/** The string a reconciliation-file request signs: GET …/recon?date=&partnerCode=&signature=. */
export const reconSigningString = (partnerCode: string, yyyyMMdd: string): string =>
  `RECON|${partnerCode}|${yyyyMMdd}`;

// ---------------------------------------------------------------------------------------------
// Field formats.

const REQUEST_ID = /^[A-Za-z0-9_-]{1,50}$/;
const TRANSACTION_ID = /^[A-Za-z0-9_.-]{1,50}$/;
const STORE_ID = /^[A-Za-z0-9_-]{1,20}$/;
const RECEIPT_ID = /^[A-Za-z0-9_.-]{1,100}$/;

/** Integer VND, positive. */
export const isVndAmount = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0;

const absent = (value: unknown): boolean => value === undefined || value === null || value === "";

// ---------------------------------------------------------------------------------------------
// The chain's request, as the chain builds it (the simulator) and as PayGov reads it (readRequest).

/** A request's fields before signing. Integer VND; times are instants, formatted GMT+7 here. */
export type CounterRequestInput =
  | {
      readonly operation: "LOOKUP";
      readonly requestId: string;
      readonly requestTime: Date;
      readonly paymentCode: string;
    }
  | {
      readonly operation: "CONFIRM";
      readonly requestId: string;
      readonly requestTime: Date;
      readonly paymentCode: string;
      readonly amount: number;
      readonly transactionId: string;
      readonly storeId: string;
      readonly paidAt: Date;
    }
  | {
      readonly operation: "REVERSE";
      readonly requestId: string;
      readonly requestTime: Date;
      readonly paymentCode: string;
      readonly transactionId: string;
      readonly storeId: string;
    };

/** The JSON body of a request, signed with `secret` (the chain's side of the wire). */
export const buildCounterRequest = (
  input: CounterRequestInput,
  partnerCode: string,
  secret: string,
): Record<string, string | number> => {
  const fields: Record<string, string | number> = {
    operation: input.operation,
    partnerCode,
    requestId: input.requestId,
    requestTime: formatCounterTime(input.requestTime),
    paymentCode: input.paymentCode,
  };
  if (input.operation === "CONFIRM") {
    fields.amount = input.amount;
    fields.transactionId = input.transactionId;
    fields.storeId = input.storeId;
    fields.paidTime = formatCounterTime(input.paidAt);
  } else if (input.operation === "REVERSE") {
    fields.transactionId = input.transactionId;
    fields.storeId = input.storeId;
  }
  return { ...fields, signature: hmacSha256Hex(secret, requestSigningString(fields)) };
};

/** What PayGov keeps of a request to word its reply: the echo the chain matches replies against. */
export interface CounterEcho {
  readonly operation: CounterOperation;
  readonly requestId: string;
  readonly storeId: string | null;
}

/**
 * A contract request that also carries its echo. The agent API hands readRequest's object back to
 * reply() unchanged, which is how the reply can echo requestId (the contract has no field for it).
 */
export type CounterCollectionRequest = CollectionRequest & { readonly echo: CounterEcho };

type ReadResult =
  | { readonly ok: true; readonly request: CounterCollectionRequest }
  | { readonly ok: false; readonly rejection: CallbackRejection };

const malformed = (message: string): ReadResult => ({
  ok: false,
  rejection: { reason: "malformed", message },
});
const badSignature = (message: string): ReadResult => ({
  ok: false,
  rejection: { reason: "signature_invalid", message },
});

/** The operation a path names: its last segment, lookup | confirm | reverse. */
const operationOfPath = (url: string): CounterOperation | null => {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    return null;
  }
  const last = pathname.replace(/\/+$/, "").split("/").at(-1) ?? "";
  return Object.hasOwn(KIND_OF, last.toUpperCase()) && last === last.toLowerCase()
    ? (last.toUpperCase() as CounterOperation)
    : null;
};

const parseObject = (text: string): Record<string, unknown> | null => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
};

/** Fields an operation must not carry: a signed value PayGov would ignore is a request it misread. */
const UNUSED: Record<CounterOperation, ReadonlyArray<(typeof REQUEST_FIELDS)[number]>> = {
  LOOKUP: ["amount", "transactionId", "storeId", "paidTime"],
  CONFIRM: [],
  REVERSE: ["amount", "paidTime"],
};

/**
 * Reads one request from the chain: the shape, then the signature (before trusting any value), then
 * every field. A mistyped payment code fails its Luhn digit here, so it is answered without a database
 * look-up. `now` is PayGov's clock, for the replay window.
 */
export const readCounterRequest = (
  request: InboundRequest,
  partner: CounterPartner,
  now: Date,
): ReadResult => {
  if (request.method !== "POST") return malformed(`use POST, not ${request.method}`);
  const pathOperation = operationOfPath(request.url);
  if (pathOperation === null) return malformed("the path must end in /lookup, /confirm or /reverse");
  const body = parseObject(request.body);
  if (body === null) return malformed("the body must be a JSON object");
  if (body.signature === undefined) return badSignature("signature is missing");
  if (!signaturesMatch(hmacSha256Hex(partner.secret, requestSigningString(body)), body.signature))
    return badSignature("signature does not match");

  if (!isOperation(body.operation) || body.operation !== pathOperation)
    return malformed(`operation must be ${pathOperation} on this path`);
  const operation = body.operation;
  if (body.partnerCode !== partner.partnerCode) return malformed("partnerCode is not this chain");
  if (typeof body.requestId !== "string" || !REQUEST_ID.test(body.requestId))
    return malformed("requestId must be 1 to 50 letters, digits, '_' or '-'");
  const requestId = body.requestId;
  const requestTime = typeof body.requestTime === "string" ? parseCounterTime(body.requestTime) : null;
  if (requestTime === null) return malformed("requestTime must be yyyyMMddHHmmss (GMT+7)");
  if (Math.abs(now.getTime() - requestTime.getTime()) > MAX_CLOCK_SKEW_MS)
    return malformed("requestTime is more than 5 minutes from PayGov's clock (a replay, or a wrong clock)");
  if (typeof body.paymentCode !== "string" || !/^\d{16}$/.test(body.paymentCode))
    return malformed("paymentCode must be 16 digits");
  if (!isPaymentCode(body.paymentCode))
    return malformed("paymentCode fails its check digit: the code was mistyped");
  const paymentCode = body.paymentCode;
  for (const name of UNUSED[operation]) {
    if (!absent(body[name])) return malformed(`${name} has no place in ${operation}`);
  }
  if (operation === "LOOKUP")
    return {
      ok: true,
      request: { kind: "lookup", paymentCode, echo: { operation, requestId, storeId: null } },
    };

  if (typeof body.transactionId !== "string" || !TRANSACTION_ID.test(body.transactionId))
    return malformed("transactionId must be 1 to 50 letters, digits, '_', '.' or '-'");
  if (typeof body.storeId !== "string" || !STORE_ID.test(body.storeId))
    return malformed("storeId must be 1 to 20 letters, digits, '_' or '-'");
  const echo = { operation, requestId, storeId: body.storeId };
  if (operation === "REVERSE")
    return {
      ok: true,
      request: { kind: "reverse", paymentCode, providerTxnId: body.transactionId, echo },
    };

  if (!isVndAmount(body.amount)) return malformed("amount must be a positive whole number of VND");
  const paidAt = typeof body.paidTime === "string" ? parseCounterTime(body.paidTime) : null;
  if (paidAt === null) return malformed("paidTime must be yyyyMMddHHmmss (GMT+7)");
  if (paidAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) return malformed("paidTime is in the future");
  return {
    ok: true,
    request: {
      kind: "confirm",
      paymentCode,
      providerTxnId: body.transactionId,
      amount: body.amount,
      paidAt,
      echo,
    },
  };
};

// ---------------------------------------------------------------------------------------------
// PayGov's reply.

/** A reply's fields before signing; absent ones are left out of the JSON and empty in the signed string. */
export type CounterReplyFields = Partial<Record<(typeof REPLY_FIELDS)[number], string | number | boolean>>;

const echoOf = (request: CollectionRequest | null): CounterEcho | null =>
  request !== null && "echo" in request ? (request as CounterCollectionRequest).echo : null;

/**
 * The reply's fields for a request (null when it could not be read: nothing is echoed then, and the
 * code is 07 or 08) and PayGov's answer.
 */
export const toReplyFields = (
  request: CollectionRequest | null,
  reply: CollectionReply,
  partnerCode: string,
  now: Date,
): CounterReplyFields => {
  const echo = echoOf(request);
  const resultCode = reply.kind === "refused" ? REFUSAL_CODES[reply.reason] : "00";
  const fields: CounterReplyFields = {
    operation: request === null ? "" : OPERATIONS[request.kind],
    partnerCode,
    requestId: echo?.requestId ?? "",
    responseTime: formatCounterTime(now),
    resultCode,
    message: RESULT_CODES[resultCode].vi,
    ...(request === null ? {} : { paymentCode: request.paymentCode }),
  };
  const transactionId = request !== null && request.kind !== "lookup" ? request.providerTxnId : undefined;
  switch (reply.kind) {
    case "bill":
      return {
        ...fields,
        paymentCode: reply.bill.paymentCode,
        amount: reply.bill.amount,
        payerName: reply.bill.payerMasked,
        billStatus: BILL_STATUSES[reply.bill.status],
        agencyName: reply.bill.agencyName,
        expireTime: formatCounterTime(reply.bill.expiresAt),
        description: reply.bill.description,
      };
    case "confirmed":
      return {
        ...fields,
        ...(request?.kind === "confirm" ? { amount: request.amount } : {}),
        ...(transactionId === undefined ? {} : { transactionId }),
        receiptId: reply.receiptId,
        duplicate: reply.duplicate,
      };
    case "reversed":
      return {
        ...fields,
        ...(transactionId === undefined ? {} : { transactionId }),
        duplicate: reply.duplicate,
      };
    case "refused":
      return { ...fields, ...(transactionId === undefined ? {} : { transactionId }), detail: reply.message };
  }
};

/** Signs reply fields; the JSON keeps REPLY_FIELDS' order, then the signature. */
export const signReply = (fields: CounterReplyFields, secret: string): Record<string, unknown> => {
  const body: Record<string, unknown> = {};
  for (const name of REPLY_FIELDS)
    if (fields[name] !== undefined && fields[name] !== "") body[name] = fields[name];
  // Echo fields stay in the JSON even when empty: the chain reads "no echo" from them, not from absence.
  for (const name of ["operation", "requestId"] as const) body[name] = fields[name] ?? "";
  return { ...body, signature: hmacSha256Hex(secret, replySigningString(fields)) };
};

/** The HTTP answer to the chain: always 200 with a signed JSON body; resultCode says what happened. */
export const counterReply = (
  request: CollectionRequest | null,
  reply: CollectionReply,
  partner: CounterPartner,
  now: Date,
  status = 200,
): OutboundResponse => ({
  status,
  headers: { "content-type": "application/json; charset=utf-8" },
  body: JSON.stringify(signReply(toReplyFields(request, reply, partner.partnerCode, now), partner.secret)),
});

// ---------------------------------------------------------------------------------------------
// The chain's reading of PayGov's reply (the simulator; a real chain does the same).

/** A bill as the counter's screen shows it. */
export interface CounterBill {
  readonly paymentCode: string;
  readonly amount: number;
  readonly payerName: string;
  readonly status: CounterBillStatus;
  readonly agencyName: string;
  readonly description: string;
  readonly expiresAt: Date;
}

/** PayGov's reply once its signature and echo are verified. */
export type CounterAnswer =
  | { readonly kind: "bill"; readonly bill: CounterBill }
  | {
      readonly kind: "confirmed";
      readonly paymentCode: string;
      readonly amount: number;
      readonly transactionId: string;
      readonly receiptId: string;
      readonly duplicate: boolean;
    }
  | {
      readonly kind: "reversed";
      readonly paymentCode: string;
      readonly transactionId: string;
      readonly duplicate: boolean;
    }
  | {
      readonly kind: "refused";
      readonly resultCode: Exclude<CounterResultCode, "00">;
      readonly message: string;
      readonly detail: string;
    };

const str = (value: unknown): string | null => (typeof value === "string" ? value : null);

/** Only these fields may appear in a reply of each kind: anything else is a reply the chain misreads. */
const ALLOWED: Record<CounterAnswer["kind"], ReadonlySet<string>> = {
  bill: new Set([
    "paymentCode",
    "amount",
    "payerName",
    "billStatus",
    "agencyName",
    "expireTime",
    "description",
  ]),
  confirmed: new Set(["paymentCode", "amount", "transactionId", "receiptId", "duplicate"]),
  reversed: new Set(["paymentCode", "transactionId", "duplicate"]),
  refused: new Set(["paymentCode", "transactionId", "detail"]),
};
const ALWAYS = new Set([
  "operation",
  "partnerCode",
  "requestId",
  "responseTime",
  "resultCode",
  "message",
  "signature",
]);

/**
 * Verifies and reads PayGov's reply to a request the chain sent (`sent`: its operation and requestId).
 * A reply without an echo is accepted only as a refusal of a request PayGov could not read (07/08).
 */
export const readCounterReply = (
  raw: string,
  partner: CounterPartner,
  sent: { readonly operation: CounterOperation; readonly requestId: string },
): Checked<CounterAnswer> => {
  const body = parseObject(raw);
  if (body === null) return refused("the reply is not a JSON object");
  if (!signaturesMatch(hmacSha256Hex(partner.secret, replySigningString(body)), body.signature))
    return refused("the reply's signature does not verify");
  if (body.partnerCode !== partner.partnerCode) return refused("the reply names another partner");
  if (!isResultCode(body.resultCode)) return refused(`unknown resultCode ${JSON.stringify(body.resultCode)}`);
  const resultCode = body.resultCode;
  if (body.message !== RESULT_CODES[resultCode].vi) return refused("the reply's message is not its code's");
  if (typeof body.responseTime !== "string" || parseCounterTime(body.responseTime) === null)
    return refused("responseTime must be yyyyMMddHHmmss (GMT+7)");
  const unechoed = body.operation === "" && body.requestId === "";
  if (unechoed) {
    if (resultCode !== "07" && resultCode !== "08") return refused("only 07 and 08 may come without an echo");
  } else if (body.operation !== sent.operation || body.requestId !== sent.requestId) {
    return refused("the reply answers another request");
  }
  const kind: CounterAnswer["kind"] =
    resultCode !== "00"
      ? "refused"
      : sent.operation === "LOOKUP"
        ? "bill"
        : sent.operation === "CONFIRM"
          ? "confirmed"
          : "reversed";
  for (const name of Object.keys(body)) {
    if (!ALWAYS.has(name) && !ALLOWED[kind].has(name)) return refused(`${name} has no place in this reply`);
  }
  const paymentCode = str(body.paymentCode) ?? "";
  if (!unechoed && !isPaymentCode(paymentCode)) return refused("paymentCode must be a valid payment code");
  const transactionId = str(body.transactionId);
  if (transactionId !== null && !TRANSACTION_ID.test(transactionId))
    return refused("transactionId is malformed");

  switch (kind) {
    case "refused":
      return ok({
        kind,
        resultCode: resultCode as Exclude<CounterResultCode, "00">,
        message: body.message as string,
        detail: str(body.detail) ?? "",
      });
    case "bill": {
      const expiresAt = parseCounterTime(str(body.expireTime) ?? "");
      if (!isVndAmount(body.amount)) return refused("amount must be a positive whole number of VND");
      if (!isBillStatus(body.billStatus)) return refused("billStatus is not a known status");
      if (expiresAt === null) return refused("expireTime must be yyyyMMddHHmmss (GMT+7)");
      return ok({
        kind,
        bill: {
          paymentCode,
          amount: body.amount,
          payerName: str(body.payerName) ?? "",
          status: body.billStatus,
          agencyName: str(body.agencyName) ?? "",
          description: str(body.description) ?? "",
          expiresAt,
        },
      });
    }
    case "confirmed": {
      if (!isVndAmount(body.amount)) return refused("amount must be a positive whole number of VND");
      if (transactionId === null) return refused("transactionId is missing");
      if (typeof body.receiptId !== "string" || !RECEIPT_ID.test(body.receiptId))
        return refused("receiptId is malformed");
      if (typeof body.duplicate !== "boolean") return refused("duplicate must be true or false");
      return ok({
        kind,
        paymentCode,
        amount: body.amount,
        transactionId,
        receiptId: body.receiptId,
        duplicate: body.duplicate,
      });
    }
    case "reversed": {
      if (transactionId === null) return refused("transactionId is missing");
      if (typeof body.duplicate !== "boolean") return refused("duplicate must be true or false");
      return ok({ kind, paymentCode, transactionId, duplicate: body.duplicate });
    }
  }
};
