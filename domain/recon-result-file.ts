/**
 * PayGov's result file for one reconciliation, in the layout of the file it answers (intermediaries.md
 * §11): the same H line, every D line as received with its match status appended, a D line for each
 * PayGov success the file lacks, and a T line counting and summing them with the SHA-256 of those D
 * lines. Written as a stream, so a file of a million lines never sits in memory.
 */
import { createHash } from "node:crypto";
import { csvField } from "../connectors/sdk/recon-file.ts";
import { formatVietnamIso } from "./vietnam-time.ts";

/** How a D line matched the ledger; the result file's 20th column. */
export type MatchStatus =
  | "MATCHED"
  | "MISSING_AT_PAYGOV"
  | "MISSING_AT_INTERMEDIARY"
  | "AMOUNT_MISMATCH"
  | "STATUS_MISMATCH"
  | "DUPLICATE";

export interface ResultHeader {
  readonly provider: string;
  readonly merchantId: string;
  readonly businessDate: string;
  readonly generatedAt: Date;
}

/** A D line of the result: the intermediary's own line, or one PayGov writes for a success it lacks. */
export type ResultLine =
  | {
      readonly kind: "received";
      readonly raw: string;
      readonly amount: number;
      readonly fee: number;
      readonly status: MatchStatus;
    }
  | {
      readonly kind: "missing";
      readonly txnType: "PAYMENT" | "REFUND" | "REVERSAL";
      readonly reference: string;
      readonly providerTxnId: string;
      /** The payment a missing refund returns. */
      readonly originalProviderTxnId: string;
      readonly amount: number;
      readonly createdAt: Date;
      readonly succeededAt: Date;
      readonly providerCode: string;
      readonly dossierCode: string;
    };

const CRLF = "\r\n";
const line = (fields: ReadonlyArray<string | number>) => fields.map(csvField).join(",") + CRLF;

/** The text of the result file, chunk by chunk: the H line, the D lines in order, then the T line. */
export async function* writeReconResult(
  header: ResultHeader,
  lines: AsyncIterable<ResultLine>,
): AsyncGenerator<string> {
  yield line([
    "H",
    header.provider,
    header.merchantId,
    header.businessDate,
    formatVietnamIso(header.generatedAt),
    1,
  ]);
  const digest = createHash("sha256");
  let count = 0;
  let amount = 0n;
  let fee = 0n;
  let batch = "";
  for await (const l of lines) {
    const text =
      l.kind === "received"
        ? `${l.raw},${l.status}${CRLF}`
        : line([
            "D",
            header.provider,
            header.merchantId,
            l.txnType,
            l.reference,
            l.providerTxnId,
            l.originalProviderTxnId,
            l.amount,
            0,
            l.amount,
            "VND",
            formatVietnamIso(l.createdAt),
            formatVietnamIso(l.succeededAt),
            header.businessDate,
            "",
            "SUCCESS",
            l.providerCode,
            "",
            l.dossierCode,
            "MISSING_AT_INTERMEDIARY",
          ]);
    digest.update(text, "utf8");
    count += 1;
    amount += BigInt(l.amount);
    fee += BigInt(l.kind === "received" ? l.fee : 0);
    // Handed on in pieces of about 64 KiB, not line by line.
    batch += text;
    if (batch.length >= 65_536) {
      yield batch;
      batch = "";
    }
  }
  yield batch + line(["T", count, String(amount), String(fee), String(amount - fee), digest.digest("hex")]);
}
