/**
 * RFC 4180 records of a UTF-8 byte stream, each with its text exactly as received (its CRLF included),
 * in constant memory: Papa Parse's parser cuts the decoded text into records and unquotes their fields,
 * and only the text of the record in progress is kept. A file's checksum is over what was received,
 * not over parsed values, so the reader needs both.
 */
import Papa from "papaparse";

/** One record of the file: its number (1 for the first), its values, and its text as received. */
export interface CsvRecord {
  readonly number: number;
  readonly fields: ReadonlyArray<string>;
  /** Ends with CRLF unless it is the last record and the file does not. */
  readonly raw: string;
}

/** The file is not RFC 4180 CSV at this record (an unclosed quote, a record too long...). */
export class CsvSyntaxError extends Error {
  readonly record: number;
  constructor(record: number, message: string) {
    super(message);
    this.record = record;
  }
}

/**
 * RFC 4180 §2 for a record that holds a double quote: every field is either unquoted without any quote,
 * or wholly quoted with inner quotes doubled. Papa Parse is lenient (it takes `a"b` as a value); the
 * canonical layout is not.
 */
const QUOTED_RECORD = /^(?:"(?:[^"]|"")*"|[^",]*)(?:,(?:"(?:[^"]|"")*"|[^",]*))*$/;

interface Step {
  readonly fields: string[];
  readonly end: number;
  readonly error: string | null;
}

/**
 * Reads `source` as CRLF-delimited CSV. A field holding a bare CR or LF is returned as it is (the caller
 * decides whether line breaks may appear in fields); bytes that are not UTF-8 arrive as U+FFFD. Quoting
 * faults and a record longer than `maxRecordChars` end the iteration with a CsvSyntaxError.
 */
export async function* csvRecords(
  source: AsyncIterable<Uint8Array>,
  options: { readonly maxRecordChars: number },
): AsyncGenerator<CsvRecord> {
  // Not fatal: a bad byte becomes U+FFFD on its own line, which the caller can name.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const steps: Step[] = [];
  const parser = new Papa.Parser({
    delimiter: ",",
    newline: "\r\n",
    quoteChar: '"',
    // The bare parser hands each step its one row wrapped in an array (the high-level API unwraps it).
    step: (result: Papa.ParseStepResult<unknown>) => {
      const [fields] = result.data as string[][];
      steps.push({ fields: fields ?? [], end: result.meta.cursor, error: result.errors[0]?.message ?? null });
    },
  });
  let pending = "";
  let number = 0;

  /** Cuts the complete records out of `pending` (all of it at the end of the stream). */
  function* cut(final: boolean): Generator<CsvRecord> {
    steps.length = 0;
    parser.parse(pending, 0, !final);
    let from = 0;
    for (const step of steps) {
      number += 1;
      const raw = pending.slice(from, step.end);
      from = step.end;
      if (step.error !== null) throw new CsvSyntaxError(number, step.error);
      if (raw.includes('"') && !QUOTED_RECORD.test(raw.endsWith("\r\n") ? raw.slice(0, -2) : raw))
        throw new CsvSyntaxError(
          number,
          "a double quote where RFC 4180 allows none: quote the whole field and double the quotes inside",
        );
      yield { number, fields: step.fields, raw };
    }
    pending = pending.slice(from);
    if (pending.length > options.maxRecordChars)
      throw new CsvSyntaxError(
        number + 1,
        `the line is longer than ${options.maxRecordChars} characters (do its lines end with CRLF?)`,
      );
  }

  for await (const chunk of source) {
    pending += decoder.decode(chunk, { stream: true });
    yield* cut(false);
  }
  pending += decoder.decode();
  if (pending !== "") yield* cut(true);
}
