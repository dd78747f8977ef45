import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type ReconRow, writeReconFile } from "../connectors/sdk/recon-file.ts";
import { isCalendarDate, previousVietnamDay, vietnamDay } from "./business-day.ts";
import { type ReconStep, readReconFile } from "./recon-file-reader.ts";

const DAY = "2024-08-15";
const at = (time: string) => new Date(`${DAY}T${time}+07:00`);

const row = (n: number, changes: Partial<ReconRow> = {}): ReconRow => ({
  txnType: "PAYMENT",
  merchantRef: `PG240815REF${n}`,
  providerTxnId: `1400000${n}`,
  originalProviderTxnId: "",
  amount: 150_000 + n,
  fee: 1_100,
  currency: "VND",
  createdAt: at("09:00:00"),
  completedAt: at("09:01:00"),
  channel: "NCB",
  status: "SUCCESS",
  providerStatusCode: "00",
  payerMasked: "N*** V** A*",
  dossierCode: `000.00.00.H01-240815-000${n}`,
  ...changes,
});

const file = (rows: ReconRow[] = [row(1), row(2), row(3)]) =>
  writeReconFile({
    provider: "VNPAY",
    merchantId: "PAYGOVT1",
    businessDate: DAY,
    generatedAt: at("23:59:59"),
    rows,
  });

/** The file's bytes in chunks of `size`, as a network would cut them. */
async function* chunks(text: string | Buffer, size = 1 << 16) {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const read = async (text: string | Buffer, size?: number): Promise<ReconStep[]> => {
  const steps: ReconStep[] = [];
  for await (const step of readReconFile(chunks(text, size), { provider: "VNPAY", businessDate: DAY }))
    steps.push(step);
  return steps;
};

const rejection = async (text: string | Buffer) => {
  const steps = await read(text);
  const last = steps.at(-1)!;
  expect(last.kind).toBe("rejected");
  return last.kind === "rejected" ? last.rejection : null;
};

const lines = (text: string) => text.split("\r\n").slice(0, -1);
const join = (ls: string[]) => ls.map((l) => `${l}\r\n`).join("");

/** Replaces line `n` (1-based) and recomputes nothing: the file is now wrong there or later. */
const withLine = (text: string, n: number, replace: (line: string) => string) => {
  const ls = lines(text);
  ls[n - 1] = replace(ls[n - 1]!);
  return join(ls);
};

/** Field `i` of a comma-separated line without quotes. */
const setField = (line: string, i: number, value: string) => {
  const f = line.split(",");
  f[i] = value;
  return f.join(",");
};

describe("the reconciliation file reader", () => {
  it("reads every D line of a canonical file, then the summary with the D lines' digest", async () => {
    const text = file();
    const steps = await read(text);
    expect(steps.map((s) => s.kind)).toEqual(["detail", "detail", "detail", "complete"]);
    const first = steps[0]!.kind === "detail" ? steps[0]!.detail : null;
    expect(first).toMatchObject({
      line: 2,
      txnType: "PAYMENT",
      merchantRef: "PG240815REF1",
      providerTxnId: "14000001",
      amount: 150_001,
      fee: 1_100,
      status: "SUCCESS",
      raw: lines(text)[1],
    });
    const digest = createHash("sha256")
      .update(
        lines(text)
          .slice(1, 4)
          .map((l) => `${l}\r\n`)
          .join(""),
      )
      .digest("hex");
    expect(steps[3]).toEqual({
      kind: "complete",
      summary: {
        header: {
          provider: "VNPAY",
          merchantId: "PAYGOVT1",
          businessDate: DAY,
          generatedAt: "2024-08-15T23:59:59+07:00",
        },
        rows: 3,
        sha256: digest,
      },
    });
  });

  it("gives the same answer whatever the chunks, a multi-byte character or a CRLF cut in two included", async () => {
    const text = file([row(1, { payerMasked: 'Nguyễn, "Văn" A' }), row(2)]);
    expect(await read(text, 3)).toEqual(await read(text));
    const quoted = (await read(text, 1))[0]!;
    expect(quoted.kind === "detail" && quoted.detail.raw).toContain('"Nguyễn, ""Văn"" A"');
  });

  it("accepts a day without transactions", async () => {
    expect((await read(file([]))).map((s) => s.kind)).toEqual(["complete"]);
  });

  it("rejects a bad header on line 1", async () => {
    const text = file();
    expect(await rejection(withLine(text, 1, (l) => setField(l, 1, "MOMO")))).toEqual({
      line: 1,
      reason: 'the H line names provider "MOMO", not VNPAY',
    });
    expect((await rejection(withLine(text, 1, (l) => setField(l, 3, "2024-08-16"))))?.line).toBe(1);
    expect((await rejection(withLine(text, 1, (l) => setField(l, 5, "2"))))?.reason).toMatch(/version/);
    expect(
      (await rejection(withLine(text, 1, (l) => setField(l, 4, "2024-08-15 23:59:59"))))?.reason,
    ).toMatch(/generated_at/);
    expect((await rejection(withLine(text, 1, (l) => `X${l.slice(1)}`)))?.reason).toMatch(/H line/);
    expect((await rejection(withLine(text, 1, (l) => `${l},extra`)))?.reason).toMatch(/7 fields/);
    expect(await rejection(`\uFEFF${text}`)).toMatchObject({
      line: 1,
      reason: expect.stringMatching(/byte-order mark/),
    });
    expect(await rejection("")).toEqual({ line: 1, reason: "the file is empty" });
  });

  it("rejects a non-integer, negative or inconsistent amount on its line", async () => {
    const text = file();
    expect(await rejection(withLine(text, 3, (l) => setField(l, 7, "150002.5")))).toEqual({
      line: 3,
      reason: 'amount_vnd "150002.5" is not a whole number of đồng',
    });
    expect((await rejection(withLine(text, 2, (l) => setField(l, 7, "-5"))))?.line).toBe(2);
    expect((await rejection(withLine(text, 2, (l) => setField(l, 8, "1e3"))))?.reason).toMatch(/fee_vnd/);
    expect((await rejection(withLine(text, 4, (l) => setField(l, 9, "1"))))?.reason).toMatch(
      /net_vnd 1 is not/,
    );
  });

  it("rejects a D line dated outside the file's day", async () => {
    expect(await rejection(withLine(file(), 4, (l) => setField(l, 13, "2024-08-16")))).toEqual({
      line: 4,
      reason: 'business_date "2024-08-16" is not the file\'s day 2024-08-15',
    });
  });

  it("rejects each broken D field on its own line", async () => {
    const text = file();
    const cases: [number, string, RegExp][] = [
      [1, "ONEPAY", /provider/],
      [2, "OTHER", /merchant_id/],
      [3, "CHARGEBACK", /txn_type/],
      [5, "", /provider_txn_id/],
      [10, "USD", /currency/],
      [11, "2024-08-15T09:00:00Z", /created_at/],
      [12, "2024-02-30T09:00:00+07:00", /completed_at/],
      [15, "PENDING", /status/],
    ];
    for (const [field, value, reason] of cases) {
      expect(await rejection(withLine(text, 3, (l) => setField(l, field, value)))).toEqual({
        line: 3,
        reason: expect.stringMatching(reason),
      });
    }
    expect(await rejection(withLine(text, 3, (l) => `${l},x`))).toEqual({
      line: 3,
      reason: "the D line has 20 fields, not 19",
    });
    expect((await rejection(withLine(text, 3, (l) => `Q${l.slice(1)}`)))?.reason).toMatch(/D or T/);
  });

  it("rejects a trailer whose count, totals or checksum do not match, on the T line", async () => {
    const text = file();
    expect(await rejection(withLine(text, 5, (l) => setField(l, 1, "4")))).toEqual({
      line: 5,
      reason: "the T line counts 4 D lines; the file has 3",
    });
    expect((await rejection(withLine(text, 5, (l) => setField(l, 2, "1"))))?.reason).toMatch(/amount total/);
    expect((await rejection(withLine(text, 5, (l) => setField(l, 3, "1"))))?.reason).toMatch(/fee total/);
    expect(await rejection(withLine(text, 5, (l) => setField(l, 5, "0".repeat(64))))).toEqual({
      line: 5,
      reason: "the T line's checksum is not the SHA-256 of the D lines",
    });
    expect((await rejection(withLine(text, 5, (l) => setField(l, 5, "AB".repeat(32)))))?.reason).toMatch(
      /lowercase/,
    );
    // A D line changed after the trailer was computed: the sums hold, the checksum does not.
    const tampered = withLine(text, 3, (l) => setField(l, 17, "T*** B"));
    expect(await rejection(tampered)).toMatchObject({ line: 5, reason: expect.stringMatching(/checksum/) });
  });

  it("rejects a file without trailer, and anything after the trailer", async () => {
    const text = file();
    expect(await rejection(join(lines(text).slice(0, 4)))).toEqual({
      line: 5,
      reason: "the file ends without a T line",
    });
    expect(await rejection(`${text}\r\n`)).toEqual({ line: 6, reason: "a line follows the T line" });
    expect(await rejection(`${text}${lines(text)[1]}\r\n`)).toMatchObject({ line: 6 });
  });

  it("rejects line ends that are not CRLF, naming the first line they break", async () => {
    const text = file();
    expect(await rejection(text.replaceAll("\r\n", "\n"))).toMatchObject({ line: 1 });
    const ls = lines(text);
    const lfAfterLine3 = `${ls.slice(0, 3).join("\r\n")}\n${ls.slice(3).join("\r\n")}\r\n`;
    expect(await rejection(lfAfterLine3)).toMatchObject({ line: 3, reason: expect.stringMatching(/CRLF/) });
    expect(await rejection(text.slice(0, -2))).toEqual({
      line: 5,
      reason: "the line does not end with CRLF",
    });
  });

  it("rejects broken quoting and bytes that are not UTF-8", async () => {
    const text = file();
    expect(await rejection(withLine(text, 2, (l) => setField(l, 17, 'N"guyen')))).toMatchObject({ line: 2 });
    expect(await rejection(withLine(text, 4, (l) => setField(l, 18, '"open')))).toMatchObject({ line: 4 });
    const bytes = Buffer.from(text, "utf8");
    bytes[bytes.indexOf(Buffer.from("PG240815REF2")) + 2] = 0xff;
    expect(await rejection(bytes)).toEqual({ line: 3, reason: "the line is not valid UTF-8" });
  });

  it("knows a calendar day, and the Vietnam day before a cut-off", () => {
    expect(isCalendarDate("2024-02-29")).toBe(true);
    expect(isCalendarDate("2023-02-29")).toBe(false);
    expect(isCalendarDate("2024-8-15")).toBe(false);
    // 02:00 in Hà Nội on 16 August is 19:00 UTC on the 15th: the cut-off reconciles the 15th.
    expect(previousVietnamDay(new Date("2024-08-15T19:00:00Z"))).toBe("2024-08-15");
    expect(vietnamDay(new Date("2024-08-15T16:59:59Z"))).toBe("2024-08-15");
    expect(vietnamDay(new Date("2024-08-15T17:00:00Z"))).toBe("2024-08-16");
    expect(previousVietnamDay(new Date("2025-01-01T01:00:00+07:00"))).toBe("2024-12-31");
  });
});
