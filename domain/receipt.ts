import { createHmac, timingSafeEqual } from "node:crypto";
import type { ReceiptSignature, ReceiptSigner, SignedReceiptContent } from "./receipt-signature.ts";
import { vietnamDateParts } from "./vietnam-time.ts";
import { amountInVietnameseWords } from "./vnd-words.ts";

// E-receipts (biên lai điện tử) as Decree 254/2026/NĐ-CP Art. 23 and Circular 91/2026/TT-BTC set
// them (reference/paygov-domain.md §6.1): what a receipt says, and how its symbols are made.

/** Template symbol (ký hiệu mẫu số) of an e-receipt without a printed face value (Circular 91/2026). */
export const RECEIPT_TEMPLATE = "EBL01";

/** The letters a series may use after "T" (Circular 91/2026): the Vietnamese alphabet without F, I, J, O, W, Z. */
export const SERIES_ALPHABET = "ABCDEGHKLMNPQRSTUVXY";

/** Receipt numbers have at most 8 digits (Decree 254/2026 Art. 23(2)(c)). */
export const MAX_RECEIPT_NUMBER = 99_999_999;

/** Whether an agency's registered series letters are two letters of the series alphabet. */
export const isSeriesLetters = (letters: string): boolean =>
  letters.length === 2 && [...letters].every((l) => SERIES_ALPHABET.includes(l));

/** The series (ký hiệu) of a year's receipts: 2-digit year + "T" (registered with the tax authority) + 2 letters. */
export const receiptSeries = (year: number, letters: string): string => {
  if (!isSeriesLetters(letters)) {
    throw new RangeError(`receipt series letters must be 2 of ${SERIES_ALPHABET}, not "${letters}"`);
  }
  if (!Number.isInteger(year) || year < 2000 || year > 9999) throw new RangeError(`no receipt year ${year}`);
  return `${String(year % 100).padStart(2, "0")}T${letters}`;
};

/**
 * The year a receipt is numbered in: numbers restart at 1 on 1 January, on Vietnam's calendar (a
 * payment at 23:30 UTC on 31 December is already the new year in Hà Nội).
 */
export const receiptYear = (issuedAt: Date): number => Number(vietnamDateParts(issuedAt).yyyy);

/**
 * A receipt number as printed: zero-padded to 7 digits (0000001), the width receipts have used since
 * Circular 303/2016 and that tax offices' registers expect; the 8th digit the decree allows appears
 * only from 10,000,000 on, so a number never exceeds 8 digits and every number has one spelling.
 */
export const formatReceiptNumber = (n: number): string => {
  if (!Number.isInteger(n) || n < 1 || n > MAX_RECEIPT_NUMBER) {
    throw new RangeError(`a receipt number is 1..${MAX_RECEIPT_NUMBER}, not ${n}`);
  }
  return String(n).padStart(7, "0");
};

/** One line of a receipt: a fee (phí) or a charge (lệ phí) and its amount. */
export interface ReceiptItem {
  readonly name: string;
  readonly kind: "fee" | "charge";
  readonly amount: number;
}

/** A receipt as the ledger keeps it: a snapshot taken when the payment succeeded, never rewritten. */
export interface ReceiptRecord {
  readonly paymentId: string;
  readonly templateSymbol: string;
  readonly series: string;
  readonly number: number;
  readonly issuedAt: Date;
  /** The collecting organisation (đơn vị thu) as registered when the receipt was issued. */
  readonly issuerName: string;
  readonly issuerTaxId: string | null;
  readonly payer: { readonly name: string; readonly id_number?: string };
  readonly items: ReadonlyArray<ReceiptItem>;
  readonly total: number;
  /** What the payment was for, to find it again: dossier code, procedure, description. */
  readonly reference: string;
  readonly procedureCode: string | null;
  readonly description: string;
  readonly connector: string | null;
  readonly providerTxnId: string | null;
  /** The organisation's digital signature, made at issue; null on receipts issued before signing began. */
  readonly signature: ReceiptSignature | null;
}

/** The receipt's name (Art. 23(2)(a)), after what it collects: phí, lệ phí, or both. */
export const receiptTitle = (items: ReadonlyArray<Pick<ReceiptItem, "kind">>) => {
  const fees = items.some((i) => i.kind === "fee");
  const charges = items.some((i) => i.kind === "charge");
  return fees && charges
    ? { vi: "Biên lai thu phí, lệ phí", en: "Receipt for fees and charges" }
    : fees
      ? { vi: "Biên lai thu phí", en: "Receipt for fees" }
      : { vi: "Biên lai thu lệ phí", en: "Receipt for charges" };
};

/** Everything a receipt shows, worked out once so the page only lays it out. */
export const receiptContent = (r: ReceiptRecord) => {
  const d = vietnamDateParts(r.issuedAt);
  return {
    title: receiptTitle(r.items),
    templateSymbol: r.templateSymbol,
    series: r.series,
    number: formatReceiptNumber(r.number),
    issuer: { name: r.issuerName, taxId: r.issuerTaxId },
    payer: r.payer,
    items: r.items.map((i) => ({
      ...i,
      kindName: i.kind === "fee" ? { vi: "Phí", en: "Fee" } : { vi: "Lệ phí", en: "Charge" },
    })),
    total: r.total,
    totalInWords: amountInVietnameseWords(r.total),
    /** "Ngày 04 tháng 12 năm 2026", the way official documents date themselves. */
    issueDate: { vi: `Ngày ${d.dd} tháng ${d.MM} năm ${d.yyyy}`, time: `${d.HH}:${d.mm} (GMT+7)` },
    issueDateIso: `${d.yyyy}-${d.MM}-${d.dd}`,
    reference: r.reference,
    procedureCode: r.procedureCode,
    description: r.description,
    connector: r.connector,
    providerTxnId: r.providerTxnId,
  };
};
export type ReceiptContent = ReturnType<typeof receiptContent>;

// The receipt link is the payment id plus a MAC of it under PAYGOV_SECRET_KEY, like the checkout
// link but under its own purpose, so that neither link opens the other's page.
const mac = (secret: string, paymentId: string): string =>
  createHmac("sha256", secret).update(`receipt\0${paymentId}`).digest("base64url").slice(0, 32);

/** The secret path segment of a payment's receipt page. */
export const receiptToken = (secret: string, paymentId: string): string =>
  `${paymentId}.${mac(secret, paymentId)}`;

/** The payment id a receipt token stands for, or null if it was not made with our secret. */
export const openReceiptToken = (secret: string, token: string): string | null => {
  const dot = token.indexOf(".");
  if (dot <= 0) return null;
  const paymentId = token.slice(0, dot);
  const expected = Buffer.from(mac(secret, paymentId));
  const given = Buffer.from(token.slice(dot + 1));
  return given.length === expected.length && timingSafeEqual(given, expected) ? paymentId : null;
};

/** The path of a payment's receipt page; the page opens without a key, so the path is the secret. */
export const receiptPath = (secret: string, paymentId: string): string =>
  `/receipts/${receiptToken(secret, paymentId)}`;

/** What the receipt's signature covers, from the ledger's record of it. */
export const signedContentOf = (r: ReceiptRecord): SignedReceiptContent => ({
  paymentId: r.paymentId,
  templateSymbol: r.templateSymbol,
  series: r.series,
  number: r.number,
  issuedAt: r.issuedAt,
  issuerName: r.issuerName,
  issuerTaxId: r.issuerTaxId,
  payer: r.payer,
  items: r.items,
  total: r.total,
});

/**
 * Where a receipt's signature stands when it is shown: valid; invalid (the record no longer says what
 * was signed); made with another key than this deployment's (checkable against that key only); or
 * absent (issued before signing began).
 */
export type SignatureStatus = "valid" | "invalid" | "other_key" | "unsigned";

export const signatureStatus = (r: ReceiptRecord, signer: ReceiptSigner): SignatureStatus =>
  r.signature === null
    ? "unsigned"
    : r.signature.keyId !== signer.keyId
      ? "other_key"
      : signer.verify(signedContentOf(r), r.signature)
        ? "valid"
        : "invalid";
