/**
 * VietQR over NAPAS 247, both halves: the QR a citizen's banking app scans (EMVCo Merchant-Presented
 * Mode as NAPAS profiles it for inter-bank transfers, "Technical Specifications on NAPAS QR Switching"
 * v1.5.2, part IV) and the notification the collection account's bank POSTs to PayGov when money
 * arrives. Pure: no I/O, no clock of its own, never throws.
 *
 * The notification is PayGov's own design ([U]: NAPAS publishes none; each bank offers its own
 * "biến động số dư" webhook to businesses): a JSON body signed with HMAC-SHA256 under
 * VIETQR_NOTIFY_SECRET, the signature in X-Signature, and `notifiedAt` inside the signed body so a
 * replay older than five minutes is refused.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { parseVietnamIso, parseVietnamWallClock, vietnamDateParts } from "../../domain/vietnam-time.ts";
import type { Acknowledgement, InboundRequest, OutboundResponse, Verification } from "../sdk/contract.ts";

/** A pure step's answer: the value, or why it could not be produced. */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const refused = <T>(message: string): Checked<T> => ({ ok: false, message });

/** The collection account and the secret its bank signs notifications with. */
export interface VietqrMerchant {
  readonly bankBin: string;
  readonly accountNo: string;
  readonly accountName: string;
  readonly secret: string;
}

// ---------------------------------------------------------------------------------------------
// EMVCo data objects: a 2-digit ID, a 2-digit length, then that many characters (NAPAS §5.1).

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR) over UTF-8, 4 uppercase hex. */
export const crc16 = (text: string): string => {
  let crc = 0xffff;
  for (const byte of Buffer.from(text, "utf8")) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, "0");
};

/** One data object; the caller has checked that the value has 1 to 99 characters. */
const tlv = (id: string, value: string): string => `${id}${String(value.length).padStart(2, "0")}${value}`;

/** The data objects of one level (the root, or a template's value) in order; an ID may appear once. */
export const readDataObjects = (text: string): Checked<ReadonlyMap<string, string>> => {
  const objects = new Map<string, string>();
  let at = 0;
  while (at < text.length) {
    const head = text.slice(at, at + 4);
    if (!/^\d{4}$/.test(head))
      return refused(`at character ${at}: expected a 2-digit ID and a 2-digit length`);
    const id = head.slice(0, 2);
    const length = Number(head.slice(2));
    const value = text.slice(at + 4, at + 4 + length);
    if (length === 0 || value.length !== length) return refused(`data object ${id} has a wrong length`);
    if (objects.has(id)) return refused(`data object ${id} appears twice`);
    objects.set(id, value);
    at += 4 + length;
  }
  return ok(objects);
};

// ---------------------------------------------------------------------------------------------
// The VietQR payload (NAPAS §5.2; EMVCo MPM §3, §4.7 for the CRC).

/** NAPAS's application identifier, tag 38-00: the QR is routed by NAPAS. */
export const NAPAS_GUID = "A000000727";
/** Tag 38-02: inter-bank fund transfer 24/7 to an account (QRIBFTTC would be to a card). */
export const SERVICE_TO_ACCOUNT = "QRIBFTTA";
/** ISO 4217 numeric code of the đồng, tag 53. */
const VND = "704";
/** EMVCo tag 54 holds at most 13 characters. */
const MAX_AMOUNT_DIGITS = 13;
/** EMVCo tag 62-08 ("purpose of transaction") holds at most 25 characters; VietQR.io's addInfo says the same. */
export const MAX_DESCRIPTION_LENGTH = 25;

/** The transfer a VietQR asks for. `amount` and `description` are absent from a static QR. */
export interface VietqrTransfer {
  /** Tag 01: "11" static (the payer types the amount, reusable) or "12" dynamic (one payment). */
  readonly initiation: "static" | "dynamic";
  readonly bankBin: string;
  readonly accountNo: string;
  readonly service: "QRIBFTTA" | "QRIBFTTC";
  /** Integer VND, tag 54. */
  readonly amount: number | null;
  /** Tag 62-08, what the transfer's description (nội dung chuyển khoản) is pre-filled with. */
  readonly description: string | null;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The payload string of a VietQR, in NAPAS's order: 00 01 38 53 54 58 62 63. Merchant name and city
 * (59, 60) are left out as in every NAPAS IBFT example: the payer's bank looks the account holder up.
 */
export const encodeVietqr = (transfer: VietqrTransfer): Checked<string> => {
  if (!/^\d{6}$/.test(transfer.bankBin)) return refused("the bank BIN must be 6 digits");
  if (!/^[0-9A-Za-z]{1,19}$/.test(transfer.accountNo))
    return refused("the account number must be 1 to 19 letters or digits");
  if (transfer.initiation === "dynamic" && transfer.amount === null)
    return refused("a dynamic VietQR carries its amount");
  if (transfer.amount !== null) {
    if (!Number.isSafeInteger(transfer.amount) || transfer.amount <= 0)
      return refused(`the amount must be a whole number of VND from 1, got ${transfer.amount}`);
    if (String(transfer.amount).length > MAX_AMOUNT_DIGITS)
      return refused(`the amount has more than ${MAX_AMOUNT_DIGITS} digits`);
  }
  const description = transfer.description;
  if (
    description !== null &&
    (description === "" || description.length > MAX_DESCRIPTION_LENGTH || !PRINTABLE_ASCII.test(description))
  )
    return refused(`the description must be 1 to ${MAX_DESCRIPTION_LENGTH} printable ASCII characters`);

  const beneficiary = tlv("00", transfer.bankBin) + tlv("01", transfer.accountNo);
  const merchantAccount = tlv("00", NAPAS_GUID) + tlv("01", beneficiary) + tlv("02", transfer.service);
  const body =
    tlv("00", "01") +
    tlv("01", transfer.initiation === "dynamic" ? "12" : "11") +
    tlv("38", merchantAccount) +
    tlv("53", VND) +
    (transfer.amount === null ? "" : tlv("54", String(transfer.amount))) +
    tlv("58", "VN") +
    (description === null ? "" : tlv("62", tlv("08", description))) +
    "6304";
  return ok(body + crc16(body));
};

/** Reads a VietQR payload, refusing anything a NAPAS member's app would refuse, the CRC first. */
export const decodeVietqr = (payload: string): Checked<VietqrTransfer> => {
  const root = readDataObjects(payload);
  if (!root.ok) return root;
  const ids = [...root.value.keys()];
  if (ids[0] !== "00" || root.value.get("00") !== "01")
    return refused("the payload format indicator (00) must come first and be 01");
  if (ids.at(-1) !== "63" || !/^[0-9A-Fa-f]{4}$/.test(root.value.get("63") ?? ""))
    return refused("the CRC (63) must be the last data object, 4 hex digits");
  // The CRC covers everything before its own four digits, its ID and length "6304" included.
  if (crc16(payload.slice(0, -4)) !== payload.slice(-4).toUpperCase())
    return refused("the CRC does not match the payload");

  const method = root.value.get("01");
  if (method !== "11" && method !== "12") return refused("the point of initiation (01) must be 11 or 12");
  const template = root.value.get("38");
  if (template === undefined) return refused("there is no NAPAS merchant account information (38)");
  const account = readDataObjects(template);
  if (!account.ok) return refused(`in 38: ${account.message}`);
  if (account.value.get("00") !== NAPAS_GUID) return refused(`38-00 must be NAPAS's GUID ${NAPAS_GUID}`);
  const service = account.value.get("02");
  if (service !== "QRIBFTTA" && service !== "QRIBFTTC")
    return refused("38-02 must name a transfer service (QRIBFTTA or QRIBFTTC)");
  const beneficiary = readDataObjects(account.value.get("01") ?? "");
  if (!beneficiary.ok) return refused(`in 38-01: ${beneficiary.message}`);
  const bankBin = beneficiary.value.get("00") ?? "";
  const accountNo = beneficiary.value.get("01") ?? "";
  if (!/^\d{6}$/.test(bankBin)) return refused("38-01-00 must be a 6-digit bank BIN");
  if (!/^[0-9A-Za-z]{1,19}$/.test(accountNo)) return refused("38-01-01 must be an account or card number");
  if (root.value.get("53") !== VND) return refused("the currency (53) must be 704, the đồng");
  if (root.value.get("58") !== "VN") return refused("the country (58) must be VN");

  const amountText = root.value.get("54");
  // The đồng has no minor unit: NAPAS QRs carry whole numbers.
  if (amountText !== undefined && !/^[1-9]\d{0,12}$/.test(amountText))
    return refused("the amount (54) must be a whole number of VND");
  if (method === "12" && amountText === undefined)
    return refused("a dynamic QR (01=12) must carry its amount");
  let description: string | null = null;
  const additional = root.value.get("62");
  if (additional !== undefined) {
    const data = readDataObjects(additional);
    if (!data.ok) return refused(`in 62: ${data.message}`);
    description = data.value.get("08") ?? null;
  }
  return ok({
    initiation: method === "12" ? "dynamic" : "static",
    bankBin,
    accountNo,
    service,
    amount: amountText === undefined ? null : Number(amountText),
    description,
  });
};

// ---------------------------------------------------------------------------------------------
// The transfer description: how a transfer is matched back to its attempt.

/** Our attempt references: PG, the Vietnam date yymmdd, 10 characters of base32 (domain/ids.ts). */
const REFERENCE = /PG\d{6}[A-Z2-7]{10}/;
const DESCRIPTION_PREFIX = "PAYGOV";

/**
 * "PAYGOV PG261204ABCDEFGHIJ": 25 characters, exactly what tag 62-08 holds. Letters, digits and one
 * space, so that no bank's normalisation (upper-casing, dropping punctuation and diacritics) changes it.
 */
export const transferDescription = (reference: string): Checked<string> =>
  new RegExp(`^${REFERENCE.source}$`).test(reference)
    ? ok(`${DESCRIPTION_PREFIX} ${reference}`)
    : refused(`"${reference}" is not a PayGov attempt reference`);

/**
 * Our reference inside a transfer's description as the bank reports it. Banks upper-case it, drop
 * punctuation, and add their own text before and after ("MBVCB.3278.PAYGOV PG….CT tu 0123 …"); the
 * payer may have typed it. Looked for as it is first, then with everything but letters and digits
 * removed, so that "pg-261204 abcde fghij" is found too. Null when there is none.
 */
export const extractReference = (content: string): string | null => {
  const upper = content.toUpperCase();
  return REFERENCE.exec(upper)?.[0] ?? REFERENCE.exec(upper.replace(/[^0-9A-Z]/g, ""))?.[0] ?? null;
};

/**
 * NAPAS 247 moves at most 500,000,000 VND in one transfer (NAPAS at VietQR's launch, June 2021 [U]
 * whether it has been raised since): a larger QR would be refused by every payer's bank.
 */
export const MAX_TRANSFER_VND = 500_000_000;

/** The QR PayGov shows for one attempt: dynamic, this amount, this description, to the collection account. */
export const attemptQr = (
  merchant: Pick<VietqrMerchant, "bankBin" | "accountNo">,
  reference: string,
  amount: number,
): Checked<{ readonly payload: string; readonly description: string }> => {
  if (amount > MAX_TRANSFER_VND)
    return refused(`NAPAS 247 carries at most ${MAX_TRANSFER_VND} VND in one transfer, not ${amount}`);
  const description = transferDescription(reference);
  if (!description.ok) return description;
  const payload = encodeVietqr({
    initiation: "dynamic",
    bankBin: merchant.bankBin,
    accountNo: merchant.accountNo,
    service: SERVICE_TO_ACCOUNT,
    amount,
    description: description.value,
  });
  return payload.ok ? ok({ payload: payload.value, description: description.value }) : payload;
};

// ---------------------------------------------------------------------------------------------
// Vietnam time on the wire: Asia/Ho_Chi_Minh is UTC+7 all year (no daylight saving since 1975).

/** `yyyy-MM-dd HH:mm:ss` in GMT+7, as banks print a transaction's time. */
export const formatBankTime = (instant: Date): string => {
  const d = vietnamDateParts(instant);
  return `${d.yyyy}-${d.MM}-${d.dd} ${d.HH}:${d.mm}:${d.ss}`;
};

/** Reads `yyyy-MM-dd HH:mm:ss` GMT+7; null unless it names a real calendar second. */
export const parseBankTime = (text: string): Date | null =>
  parseVietnamWallClock(text, /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/, formatBankTime);

export { parseVietnamIso };

// ---------------------------------------------------------------------------------------------
// The bank's notification: POST <PAYGOV_PUBLIC_URL>/callbacks/vietqr/ipn.

/** What the bank says about one movement on the collection account. Amounts are integer VND. */
export interface VietqrNotification {
  /** The bank's id of the movement: unique, PayGov's idempotency key (provider_txn_id). */
  readonly transactionId: string;
  /** When the account was credited, `yyyy-MM-dd HH:mm:ss` GMT+7. */
  readonly transactionTime: string;
  readonly accountNumber: string;
  /** "in" for money received; "out" for money leaving (a refund made at the bank). */
  readonly transferType: "in" | "out";
  readonly amount: number;
  readonly currency: "VND";
  /** The transfer's description as it reached the account, after the banks' normalisation. */
  readonly content: string;
  /** The NAPAS 247 trace the payer's receipt shows: what an inquiry (tra soát) quotes. */
  readonly referenceNumber: string;
  /** The payer's bank (NAPAS BIN), empty when the bank does not say. */
  readonly counterBankBin: string;
  /** When this notification was signed, `yyyy-MM-ddTHH:mm:ss+07:00`: older than five minutes is a replay. */
  readonly notifiedAt: string;
}

/** The header that carries the lowercase hex HMAC-SHA256 of the raw body. */
export const SIGNATURE_HEADER = "X-Signature";
/** Notifications signed longer ago (or further ahead, for a fast clock) than this are refused. */
export const REPLAY_WINDOW_MS = 5 * 60 * 1000;

/** The body the bank sends, its fields always in this order. */
export const writeNotification = (n: VietqrNotification): string =>
  JSON.stringify({
    transactionId: n.transactionId,
    transactionTime: n.transactionTime,
    accountNumber: n.accountNumber,
    transferType: n.transferType,
    amount: n.amount,
    currency: n.currency,
    content: n.content,
    referenceNumber: n.referenceNumber,
    counterBankBin: n.counterBankBin,
    notifiedAt: n.notifiedAt,
  });

/** HMAC-SHA256 of the raw body's UTF-8 bytes under the secret, lowercase hex. */
export const signBody = (body: string, secret: string): string =>
  createHmac("sha256", secret).update(body, "utf8").digest("hex");

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** Constant-time comparison of two HMAC-SHA256 hex strings, ignoring hex case. */
export const signaturesMatch = (expectedHex: string, receivedHex: string): boolean =>
  HEX_SHA256.test(expectedHex) &&
  HEX_SHA256.test(receivedHex) &&
  timingSafeEqual(Buffer.from(expectedHex, "hex"), Buffer.from(receivedHex, "hex"));

const header = (headers: Readonly<Record<string, string>>, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
};

const text = (o: Record<string, unknown>, name: string): string | null =>
  typeof o[name] === "string" ? (o[name] as string) : null;

/** The fields of a notification body; extra fields are ignored, since banks add their own. */
export const readNotification = (body: unknown): Checked<VietqrNotification> => {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return refused("the body is not a JSON object");
  const o = body as Record<string, unknown>;
  const strings = {
    transactionId: text(o, "transactionId"),
    transactionTime: text(o, "transactionTime"),
    accountNumber: text(o, "accountNumber"),
    content: text(o, "content"),
    referenceNumber: text(o, "referenceNumber"),
    counterBankBin: text(o, "counterBankBin") ?? "",
    notifiedAt: text(o, "notifiedAt"),
  };
  for (const [name, value] of Object.entries(strings))
    if (value === null) return refused(`${name} is missing`);
  if (strings.transactionId === "") return refused("transactionId is empty");
  if (o.transferType !== "in" && o.transferType !== "out")
    return refused('transferType must be "in" or "out"');
  if (o.currency !== "VND") return refused("currency must be VND");
  const amount = o.amount;
  if (typeof amount !== "number" || !Number.isSafeInteger(amount) || amount <= 0)
    return refused("amount must be a whole positive number of VND");
  return ok({
    ...(strings as Record<keyof typeof strings, string>),
    transferType: o.transferType,
    amount,
    currency: "VND",
  });
};

const rejected = (reason: "signature_invalid" | "malformed", message: string): Verification => ({
  ok: false,
  rejection: { reason, message },
});

/**
 * Verifies a notification (the signature over the raw bytes first, then its age, then its fields) and
 * maps it onto the contract. A credit whose description carries no reference of ours verifies with
 * reference "" — no attempt has it, so PayGov answers unknown_reference and writes nothing; the
 * money then shows in the daily statement as a transfer PayGov never issued (MISSING_AT_PAYGOV).
 */
export const verifyNotification = (
  request: Pick<InboundRequest, "headers" | "body">,
  merchant: VietqrMerchant,
  now: Date,
): Verification => {
  const signature = header(request.headers, SIGNATURE_HEADER);
  if (signature === undefined) return rejected("signature_invalid", `${SIGNATURE_HEADER} is missing`);
  if (!signaturesMatch(signBody(request.body, merchant.secret), signature))
    return rejected("signature_invalid", `${SIGNATURE_HEADER} does not match the body`);

  let json: unknown;
  try {
    json = JSON.parse(request.body);
  } catch {
    return rejected("malformed", "the body is not JSON");
  }
  const read = readNotification(json);
  if (!read.ok) return rejected("malformed", read.message);
  const n = read.value;
  const notifiedAt = parseVietnamIso(n.notifiedAt);
  if (notifiedAt === null) return rejected("malformed", "notifiedAt is not yyyy-MM-ddTHH:mm:ss+07:00");
  // A genuine signature on an old body is a replay: the bank signs every delivery afresh.
  if (Math.abs(now.getTime() - notifiedAt.getTime()) > REPLAY_WINDOW_MS)
    return rejected(
      "signature_invalid",
      "notifiedAt is more than five minutes away: a replay, or a clock adrift",
    );
  if (n.accountNumber !== merchant.accountNo)
    return rejected("malformed", "accountNumber is not the collection account");
  const paidAt = parseBankTime(n.transactionTime);
  if (paidAt === null) return rejected("malformed", "transactionTime is not yyyy-MM-dd HH:mm:ss");

  return {
    ok: true,
    callback: {
      reference: extractReference(n.content) ?? "",
      providerTxnId: n.transactionId,
      amount: n.amount,
      // Money leaving the account concludes no payment: acknowledged, nothing recorded.
      outcome: n.transferType === "in" ? "succeeded" : "pending",
      providerCode: n.transferType === "in" ? "credited" : "debited",
      paidAt: n.transferType === "in" ? paidAt : null,
      cancelledByPayer: false,
    },
  };
};

// ---------------------------------------------------------------------------------------------
// PayGov's answer to the bank. The bank retries anything but HTTP 200; a 200 says "stop", so it is
// given for every notification that retrying cannot change (accepted, repeated, or not ours).

const ANSWERS: Record<Acknowledgement, { readonly status: 200 | 400 | 401 | 500; readonly body: object }> = {
  accepted: { status: 200, body: { status: "ok" } },
  duplicate: { status: 200, body: { status: "ok" } },
  unknown_reference: {
    status: 200,
    body: { status: "not_matched", message: "no PayGov payment carries this description" },
  },
  // Never given while the definition says payerSetsAmount (a different amount is recorded, not refused).
  amount_mismatch: { status: 200, body: { status: "not_matched", message: "the amount is not the one due" } },
  signature_invalid: { status: 401, body: { status: "error", message: "invalid signature" } },
  malformed: { status: 400, body: { status: "error", message: "malformed notification" } },
  error: { status: 500, body: { status: "error", message: "not recorded, try again" } },
};

/** The notification's answer: JSON, HTTP 200 when the bank must stop retrying. */
export const notificationAnswer = (ack: Acknowledgement): OutboundResponse => ({
  status: ANSWERS[ack].status,
  headers: { "content-type": "application/json; charset=utf-8" },
  body: JSON.stringify(ANSWERS[ack].body),
});

/** What the bank reads in PayGov's answer: stop retrying (ok or not_matched), or try again. */
export const answerStopsRetries = (status: number, body: string): boolean => {
  if (status !== 200) return false;
  try {
    const parsed = JSON.parse(body) as { status?: unknown };
    return parsed.status === "ok" || parsed.status === "not_matched";
  } catch {
    return false;
  }
};
