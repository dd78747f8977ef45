import { Effect, Exit } from "effect";
import { describe, expect, it } from "vitest";
import type { StatementBeneficiary } from "../../domain/settlement.ts";
import { makeTreasuryClient } from "./client.ts";
import {
  documentProblem,
  REQUEST_SIGNATURE_HEADER,
  referenceNoFor,
  signTreasuryBody,
  type TreasuryDocument,
  treasuryDocumentFor,
  verifyTreasuryBody,
} from "./protocol.ts";
import { treasurySimulator } from "./simulator.tsx";

const SECRET = "treasury-test-secret";

const beneficiary: StatementBeneficiary = {
  treasury: "0011",
  account: "7111",
  agency: "000.00.99.H99",
  lines: [
    { chapter: "999", sub_item: "2752", area: "00001", revenue_authority: "1054367", amount: 400_000 },
    { chapter: "999", sub_item: "2764", area: "00001", revenue_authority: "1054367", amount: -5_000 },
  ],
  total: 395_000,
};

const documentNo = (seq: number) => `s1-${seq}`;
const doc = (seq = 1, over: Partial<StatementBeneficiary> = {}): TreasuryDocument =>
  treasuryDocumentFor({
    settlementId: "abcdefghijklmnopqrstuvwxyz",
    businessDate: "2026-12-04",
    documentNo: documentNo(seq),
    referenceNo: referenceNoFor("2026-12-04", "abcdefghijklmnopqrstuvwxyz", seq),
    createdAt: "2026-12-04T17:00:00+07:00",
    beneficiary: { ...beneficiary, ...over },
    agency: {
      code: "000.00.99.H99",
      name: "Đơn vị thử nghiệm",
      taxId: "0000000000",
      dvqhnsCode: "1099999",
      address: "Hà Nội",
    },
    treasuryName: "Văn phòng Kho bạc Nhà nước Hà Nội",
  });

/** A simulator and a client that talk through app.fetch, on a clock the test moves. */
const harness = (clientSecret = SECRET) => {
  let clock = Date.parse("2026-12-04T10:00:00Z");
  const now = () => new Date(clock);
  const sim = treasurySimulator({ secret: SECRET, now });
  const fetch = ((input: string | URL | Request, init?: RequestInit) =>
    sim.fetch(new Request(input, init))) as typeof globalThis.fetch;
  const client = makeTreasuryClient(
    { url: "http://treasury.test", secret: clientSecret, timeoutMs: 5_000 },
    { fetch, now },
  );
  const control = (path: string, body?: unknown) =>
    sim.fetch(
      new Request(`http://treasury.test${path}`, {
        method: body === undefined ? "GET" : "POST",
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
      }),
    );
  const advance = (ms: number) => {
    clock += ms;
  };
  return { client, control, fetch, advance };
};

describe("treasury protocol", () => {
  it("makes a C1-02/NS with the agency as payer, the account kind, and the total in words", () => {
    const d = doc();
    expect(d).toMatchObject({
      form: "C1-02/NS",
      reference_no: "QT20261204ABCDEFGHIJ001",
      method: "transfer",
      payer: { name: "Đơn vị thử nghiệm", tax_id: "0000000000", dvqhns_code: "1099999" },
      treasury: { code: "0011" },
      account: { number: "7111", kind: "thu_nsnn" },
      total: 395_000,
      total_in_words: "Ba trăm chín mươi lăm nghìn đồng",
    });
    expect(d.lines.map((l) => [l.no, l.sub_item, l.amount])).toEqual([
      [1, "2752", 400_000],
      [2, "2764", -5_000],
    ]);
    expect(d.lines[1]!.content).toMatch(/^Điều chỉnh giảm/);
    expect(documentProblem(d)).toBeNull();
    expect(documentProblem({ ...d, total: 1 })).toMatch(/add up/);
    expect(documentProblem({ ...d, total_in_words: "Một đồng" })).toMatch(/words/);
  });

  it("verifies its own signatures and refuses a changed body, another secret or a stale timestamp", () => {
    const header = signTreasuryBody(SECRET, "{}", 1_000);
    expect(verifyTreasuryBody(SECRET, header, "{}", 1_010)).toBe(true);
    expect(verifyTreasuryBody(SECRET, header, "{ }", 1_010)).toBe(false);
    expect(verifyTreasuryBody("other", header, "{}", 1_010)).toBe(false);
    expect(verifyTreasuryBody(SECRET, header, "{}", 1_000 + 301)).toBe(false);
  });
});

describe("treasury client and simulator", () => {
  it("accepts a document, answers the same for it again, and credits it after the delay", async () => {
    const { client, advance } = harness();
    const [first] = await Effect.runPromise(client.submitDocuments([doc()]));
    expect(first).toMatchObject({ reference_no: doc().reference_no, status: "accepted" });
    const [again] = await Effect.runPromise(client.submitDocuments([doc()]));
    expect(again).toEqual(first);

    expect(await Effect.runPromise(client.creditAdvices([doc().reference_no]))).toEqual([]);
    advance(1_500);
    const [advice] = await Effect.runPromise(client.creditAdvices([doc().reference_no, "QTUNKNOWN0000"]));
    expect(advice).toMatchObject({
      reference_no: doc().reference_no,
      document_no: "s1-1",
      amount: 395_000,
      treasury: "0011",
      account: "7111",
      value_date: "2026-12-04",
    });
    expect(advice!.advice_no).toMatch(/^GBC20261204\d{6}$/);
  });

  it("refuses another document under a used reference, and a document that does not add up", async () => {
    const { client } = harness();
    await Effect.runPromise(client.submitDocuments([doc()]));
    const changed = { ...doc(), total: 1, total_in_words: "Một đồng" };
    const broken = { ...doc(2), total: 1, total_in_words: "Một đồng" };
    const results = await Effect.runPromise(client.submitDocuments([changed, broken]));
    expect(results.map((r) => r.status)).toEqual(["refused", "refused"]);
    expect(results[0]).toMatchObject({ reason: "reference_no already used" });
    expect(results[1]).toMatchObject({ reason: expect.stringMatching(/add up/) });
  });

  it("credits another amount when told to (a discrepancy for PayGov to catch)", async () => {
    const { client, control, advance } = harness();
    await control("/_sim/behaviour", { advice_amount_delta: -1_000, advice_delay_ms: 0 });
    await Effect.runPromise(client.submitDocuments([doc()]));
    advance(1);
    const [advice] = await Effect.runPromise(client.creditAdvices([doc().reference_no]));
    expect(advice!.amount).toBe(394_000);
  });

  it("refuses a request signed with another secret; the client reports the treasury unavailable", async () => {
    const { client } = harness("not-the-secret");
    const exit = await Effect.runPromiseExit(client.submitDocuments([doc()]));
    expect(Exit.isFailure(exit)).toBe(true);
    expect(JSON.stringify(exit)).toContain("HTTP 401");
  });

  it("does not trust an answer that is not signed by the treasury", async () => {
    const { fetch } = harness();
    const forged = ((input: string | URL | Request, init?: RequestInit) =>
      fetch(input, init).then(
        async (r) =>
          new Response(await r.text(), { status: r.status, headers: { "content-type": "application/json" } }),
      )) as typeof globalThis.fetch;
    const client = makeTreasuryClient(
      { url: "http://treasury.test", secret: SECRET, timeoutMs: 5_000 },
      { fetch: forged, now: () => new Date(Date.parse("2026-12-04T10:00:00Z")) },
    );
    const exit = await Effect.runPromiseExit(client.creditAdvices(["QT1"]));
    expect(JSON.stringify(exit)).toContain("not signed");
  });

  it("waits without a secret instead of sending unsigned", async () => {
    const client = makeTreasuryClient({ url: "http://treasury.test", secret: null, timeoutMs: 5_000 });
    const exit = await Effect.runPromiseExit(client.creditAdvices([]));
    expect(JSON.stringify(exit)).toContain("PAYGOV_TREASURY_SECRET");
  });

  it("answers 401 to a request without a signature", async () => {
    const { fetch } = harness();
    const response = await fetch("http://treasury.test/documents", {
      method: "POST",
      body: JSON.stringify({ documents: [doc()] }),
      headers: { [REQUEST_SIGNATURE_HEADER]: "t=1,v1=00" },
    });
    expect(response.status).toBe(401);
  });
});
