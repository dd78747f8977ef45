/**
 * Writes the canonical reconciliation file (DESIGN "Ops API and the reconciliation file",
 * intermediaries.md §11): UTF-8 without BOM, RFC 4180 quoting, CRLF after every line, an H line, one
 * D line of 19 columns per transaction, and a T line with the count, the sums and the D lines' SHA-256.
 * Every simulator that serves a daily file writes it here.
 */
import { createHash } from "node:crypto";
import { formatVietnamIso } from "../../domain/vietnam-time.ts";

/** One D row: a payment, refund or reversal the intermediary recorded. Amounts are integer VND. */
export interface ReconRow {
  readonly txnType: "PAYMENT" | "REFUND" | "REVERSAL";
  readonly merchantRef: string;
  readonly providerTxnId: string;
  readonly originalProviderTxnId: string;
  readonly amount: number;
  readonly fee: number;
  readonly currency: string;
  readonly createdAt: Date;
  readonly completedAt: Date;
  readonly channel: string;
  readonly status: "SUCCESS" | "FAILED" | "REFUNDED";
  readonly providerStatusCode: string;
  readonly payerMasked: string;
  readonly dossierCode: string;
}

export interface ReconFile {
  /** The connector id in capitals, e.g. VNPAY. */
  readonly provider: string;
  readonly merchantId: string;
  /** yyyy-MM-dd, the Vietnam day every row belongs to. */
  readonly businessDate: string;
  readonly generatedAt: Date;
  readonly rows: ReadonlyArray<ReconRow>;
}

const CRLF = "\r\n";

/**
 * RFC 4180 §2.6–2.7: a field holding a comma, a double quote, CR or LF is enclosed in double quotes,
 * and each double quote inside it is doubled. No CSV library is installed, hence this helper.
 */
export const csvField = (value: string | number): string => {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

const csvLine = (fields: ReadonlyArray<string | number>): string => fields.map(csvField).join(",");

const detailLine = (file: ReconFile, row: ReconRow): string =>
  csvLine([
    "D",
    file.provider,
    file.merchantId,
    row.txnType,
    row.merchantRef,
    row.providerTxnId,
    row.originalProviderTxnId,
    row.amount,
    row.fee,
    row.amount - row.fee,
    row.currency,
    formatVietnamIso(row.createdAt),
    formatVietnamIso(row.completedAt),
    file.businessDate,
    row.channel,
    row.status,
    row.providerStatusCode,
    row.payerMasked,
    row.dossierCode,
  ]);

const sum = (values: ReadonlyArray<number>): number => values.reduce((total, value) => total + value, 0);

/** The whole file as text; every line, the last included, ends with CRLF. */
export const writeReconFile = (file: ReconFile): string => {
  const header = csvLine([
    "H",
    file.provider,
    file.merchantId,
    file.businessDate,
    formatVietnamIso(file.generatedAt),
    1,
  ]);
  const details = file.rows.map((row) => detailLine(file, row) + CRLF).join("");
  const amount = sum(file.rows.map((row) => row.amount));
  const fee = sum(file.rows.map((row) => row.fee));
  const digest = createHash("sha256").update(details, "utf8").digest("hex");
  const trailer = csvLine(["T", file.rows.length, amount, fee, amount - fee, digest]);
  return header + CRLF + details + trailer + CRLF;
};
