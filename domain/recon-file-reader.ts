/**
 * Reads and checks an intermediary's reconciliation file in the canonical layout (DESIGN "Ops API and
 * the reconciliation file", intermediaries.md §11), streaming: UTF-8 without BOM, RFC 4180, CRLF after
 * every line; line 1 `H,<PROVIDER>,<merchant_id>,<yyyy-MM-dd>,<generated_at +07:00>,1`; D lines of 19
 * columns whose business_date is the file's day; last line `T,<count>,<Σ amount>,<Σ fee>,<Σ net>,
 * <sha256 of the D lines' bytes>`. The first line that breaks any of this rejects the whole file.
 */
import { createHash } from "node:crypto";
import { isCalendarDate } from "./business-day.ts";
import { CsvSyntaxError, csvRecords } from "./csv-records.ts";

/** One D line, checked. Amounts are integer VND. */
export interface ReconDetail {
  readonly line: number;
  readonly txnType: "PAYMENT" | "REFUND" | "REVERSAL";
  readonly merchantRef: string;
  readonly providerTxnId: string;
  readonly originalProviderTxnId: string;
  readonly amount: number;
  readonly fee: number;
  readonly completedAt: string;
  readonly status: "SUCCESS" | "FAILED" | "REFUNDED";
  readonly providerStatusCode: string;
  readonly dossierCode: string;
  /** The line as received, without its CRLF. */
  readonly raw: string;
}

/** What the H line says. */
export interface ReconHeader {
  readonly provider: string;
  readonly merchantId: string;
  readonly businessDate: string;
  readonly generatedAt: string;
}

/** Why the file was refused: its first offending line (1 is the H line) and what is wrong there. */
export interface ReconRejection {
  readonly line: number;
  readonly reason: string;
}

/** The file as a whole once its T line has checked out. */
export interface ReconSummary {
  readonly header: ReconHeader;
  readonly rows: number;
  /** The trailer's digest: the same D lines, the same file. */
  readonly sha256: string;
}

export type ReconStep =
  | { readonly kind: "detail"; readonly detail: ReconDetail }
  | { readonly kind: "rejected"; readonly rejection: ReconRejection }
  | { readonly kind: "complete"; readonly summary: ReconSummary };

export interface ReconFileExpectation {
  /** The connector id in capitals, as the H line and every D line must name it. */
  readonly provider: string;
  /** yyyy-MM-dd: the Vietnam day asked for. */
  readonly businessDate: string;
}

const TXN_TYPES = new Set(["PAYMENT", "REFUND", "REVERSAL"]);
const STATUSES = new Set(["SUCCESS", "FAILED", "REFUNDED"]);
/** Integer VND, no sign, no separators, no leading zeros; 15 digits keep every sum exact in a double. */
const VND = /^(0|[1-9]\d{0,14})$/;
const SIGNED_VND = /^(0|-?[1-9]\d{0,14})$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const VIETNAM_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?\+07:00$/;
const DETAIL_COLUMNS = 19;

/** The days already checked: a file's timestamps fall on a handful of days, checked once each. */
const knownDays = new Map<string, boolean>();
const isKnownCalendarDate = (day: string): boolean => {
  let valid = knownDays.get(day);
  if (valid === undefined) {
    valid = isCalendarDate(day);
    if (knownDays.size > 10_000) knownDays.clear();
    knownDays.set(day, valid);
  }
  return valid;
};

/** ISO-8601 with the explicit +07:00 offset, naming a real instant (no 24:00, no 30 February). */
const isVietnamIso = (text: string): boolean => {
  const m = VIETNAM_ISO.exec(text);
  return (
    m !== null &&
    Number(m[4]) < 24 &&
    Number(m[5]) < 60 &&
    Number(m[6]) < 60 &&
    isKnownCalendarDate(text.slice(0, 10))
  );
};

/** Why a line's text is not a proper line of the layout, if it is not. */
const lineFault = (raw: string, number: number): string | null => {
  if (number === 1 && raw.startsWith("\uFEFF"))
    return "the file starts with a byte-order mark: it must be UTF-8 without BOM";
  if (!raw.endsWith("\r\n")) return "the line does not end with CRLF";
  // The decoder turned every byte that is not UTF-8 into U+FFFD, which no field of the layout holds.
  if (raw.includes("\uFFFD")) return "the line is not valid UTF-8";
  return null;
};

/**
 * The checks of one file, fed its records in order: a pure state machine, so each rule is tested on
 * small inputs and the streaming stays in readReconFile.
 */
export const reconFileChecker = (expected: ReconFileExpectation) => {
  let header: ReconHeader | null = null;
  let trailerSeen = false;
  let rows = 0;
  let amount = 0n;
  let fee = 0n;
  const digest = createHash("sha256");

  const reject = (line: number, reason: string): ReconStep => ({
    kind: "rejected",
    rejection: { line, reason },
  });

  const readHeader = (line: number, f: ReadonlyArray<string>): ReconStep | null => {
    if (f[0] !== "H") return reject(line, "line 1 must be the H line");
    if (f.length !== 6) return reject(line, `the H line has ${f.length} fields, not 6`);
    if (f[1] !== expected.provider)
      return reject(line, `the H line names provider "${f[1]}", not ${expected.provider}`);
    if (f[2] === "") return reject(line, "the H line has no merchant_id");
    if (f[3] !== expected.businessDate)
      return reject(line, `the H line's business date "${f[3]}" is not ${expected.businessDate}`);
    if (!isVietnamIso(f[4]!)) return reject(line, `generated_at "${f[4]}" is not ISO-8601 with +07:00`);
    if (f[5] !== "1") return reject(line, `layout version "${f[5]}" is not 1`);
    header = { provider: f[1]!, merchantId: f[2]!, businessDate: f[3]!, generatedAt: f[4]! };
    return null;
  };

  const readDetail = (line: number, f: ReadonlyArray<string>, raw: string, h: ReconHeader): ReconStep => {
    if (f.length !== DETAIL_COLUMNS)
      return reject(line, `the D line has ${f.length} fields, not ${DETAIL_COLUMNS}`);
    const [, provider, merchantId, txnType, merchantRef, providerTxnId, original] = f as string[];
    const [amountText, feeText, netText, currency, createdAt, completedAt, businessDate] = f.slice(7, 14);
    const [, status, providerStatusCode, , dossierCode] = f.slice(14) as string[];
    if (provider !== h.provider)
      return reject(line, `provider "${provider}" is not the H line's ${h.provider}`);
    if (merchantId !== h.merchantId)
      return reject(line, `merchant_id "${merchantId}" is not the H line's ${h.merchantId}`);
    if (!TXN_TYPES.has(txnType!))
      return reject(line, `txn_type "${txnType}" is not PAYMENT, REFUND or REVERSAL`);
    if (providerTxnId === "") return reject(line, "provider_txn_id is empty");
    if (!VND.test(amountText!))
      return reject(line, `amount_vnd "${amountText}" is not a whole number of đồng`);
    if (!VND.test(feeText!)) return reject(line, `fee_vnd "${feeText}" is not a whole number of đồng`);
    if (!SIGNED_VND.test(netText!)) return reject(line, `net_vnd "${netText}" is not a whole number of đồng`);
    // Below 10^15 a double is exact, so the difference needs no BigInt.
    if (Number(netText) !== Number(amountText) - Number(feeText))
      return reject(line, `net_vnd ${netText} is not amount_vnd ${amountText} less fee_vnd ${feeText}`);
    if (currency !== "VND") return reject(line, `currency "${currency}" is not VND`);
    if (!isVietnamIso(createdAt!))
      return reject(line, `created_at "${createdAt}" is not ISO-8601 with +07:00`);
    if (!isVietnamIso(completedAt!))
      return reject(line, `completed_at "${completedAt}" is not ISO-8601 with +07:00`);
    if (businessDate !== h.businessDate)
      return reject(line, `business_date "${businessDate}" is not the file's day ${h.businessDate}`);
    if (!STATUSES.has(status!)) return reject(line, `status "${status}" is not SUCCESS, FAILED or REFUNDED`);
    rows += 1;
    amount += BigInt(amountText!);
    fee += BigInt(feeText!);
    return {
      kind: "detail",
      detail: {
        line,
        txnType: txnType as ReconDetail["txnType"],
        merchantRef: merchantRef!,
        providerTxnId: providerTxnId!,
        originalProviderTxnId: original!,
        amount: Number(amountText),
        fee: Number(feeText),
        completedAt: completedAt!,
        status: status as ReconDetail["status"],
        providerStatusCode: providerStatusCode!,
        dossierCode: dossierCode!,
        raw,
      },
    };
  };

  const readTrailer = (line: number, f: ReadonlyArray<string>, h: ReconHeader): ReconStep => {
    trailerSeen = true;
    if (f.length !== 6) return reject(line, `the T line has ${f.length} fields, not 6`);
    if (f[1] !== String(rows)) return reject(line, `the T line counts ${f[1]} D lines; the file has ${rows}`);
    if (f[2] !== String(amount)) return reject(line, `the T line's amount total ${f[2]} is not ${amount}`);
    if (f[3] !== String(fee)) return reject(line, `the T line's fee total ${f[3]} is not ${fee}`);
    if (f[4] !== String(amount - fee))
      return reject(line, `the T line's net total ${f[4]} is not ${amount - fee}`);
    const sha256 = digest.digest("hex");
    if (!SHA256_HEX.test(f[5]!)) return reject(line, "the T line's checksum is not lowercase hex SHA-256");
    if (f[5] !== sha256) return reject(line, "the T line's checksum is not the SHA-256 of the D lines");
    return { kind: "complete", summary: { header: h, rows, sha256 } };
  };

  return {
    /** The step for one record; after a rejection or the T line, nothing more is read. */
    record(line: number, fields: ReadonlyArray<string>, raw: string): ReconStep | null {
      if (trailerSeen) return reject(line, "a line follows the T line");
      const fault = lineFault(raw, line);
      if (fault !== null) return reject(line, fault);
      // Its own CRLF aside, a line holds no CR or LF (not even quoted: no field of the layout has one).
      if (raw.indexOf("\r") !== raw.length - 2 || raw.indexOf("\n") !== raw.length - 1)
        return reject(
          line,
          "a line break inside the line: every line must end with CRLF, and fields hold none",
        );
      if (header === null) return readHeader(line, fields);
      if (fields[0] === "D") {
        // The trailer's checksum covers the D lines exactly as received, CRLF included.
        digest.update(raw, "utf8");
        return readDetail(line, fields, raw.slice(0, -2), header);
      }
      if (fields[0] === "T") return readTrailer(line, fields, header);
      return reject(line, `a line must start with D or T, not "${fields[0]}"`);
    },
    /** Where the file ended: without a T line (or any line at all) it is incomplete. */
    end(lines: number): ReconStep {
      if (lines === 0) return reject(1, "the file is empty");
      return reject(lines + 1, "the file ends without a T line");
    },
  };
};

/**
 * Reads a whole file from a byte stream: every D line in order, then `complete`, or `rejected` at the
 * first offending line (after which nothing more is read). Memory stays constant whatever the size.
 */
export async function* readReconFile(
  source: AsyncIterable<Uint8Array>,
  expected: ReconFileExpectation,
  options: { readonly maxLineChars?: number } = {},
): AsyncGenerator<ReconStep> {
  const checker = reconFileChecker(expected);
  let lines = 0;
  // The T line completes the file only if nothing follows it.
  let complete: ReconStep | null = null;
  try {
    for await (const record of csvRecords(source, { maxRecordChars: options.maxLineChars ?? 65_536 })) {
      lines = record.number;
      const step = checker.record(record.number, record.fields, record.raw);
      if (step === null) continue;
      if (step.kind === "complete") {
        complete = step;
        continue;
      }
      yield step;
      if (step.kind === "rejected") return;
    }
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    yield { kind: "rejected", rejection: { line: error.record, reason: error.message } };
    return;
  }
  yield complete ?? checker.end(lines);
}
