import { createHash } from "node:crypto";
import { ConfigProvider, Effect, Exit } from "effect";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import type {
  Acknowledgement,
  Attempt,
  BillView,
  CollectionReply,
  CollectionRequest,
  InboundRequest,
} from "../sdk/contract.ts";
import { counterDriver } from "./conformance.ts";
import { counter, makeCounter } from "./index.ts";
import {
  buildCounterRequest,
  type CounterPartner,
  counterReply,
  hmacSha256Hex,
  MAX_CLOCK_SKEW_MS,
  REFUSAL_CODES,
  RESULT_CODES,
  type RefusalReason,
  readCounterReply,
  readCounterRequest,
  reconSigningString,
  replySigningString,
  requestSigningString,
  signReply,
  toReplyFields,
} from "./protocol.ts";
import { agentUrlOf } from "./simulator.tsx";
import { formatCounterTime, parseCounterTime } from "./time.ts";

// Test vectors computed for this file with Python's hmac/hashlib under a made-up key (README of the
// reference: vectors check that both ends agree, they are not the chain's).
const KEY = "FAKECOUNTERKEYFORTESTVECTORS0001";
const PARTNER: CounterPartner = { partnerCode: "CHUOI01", secret: KEY };
const CODE = "4539148803436467"; // Luhn-valid
const MISTYPED = "4539148803436468"; // one digit off: fails the check digit
const NOW = new Date("2024-12-04T03:30:00Z"); // 10:30:00 in Hà Nội

const CONFIRM_STRING =
  "CONFIRM|CHUOI01|CF2412041030001|20241204103000|4539148803436467|200000|CT241204-000123|CH0001|20241204102955";
const CONFIRM_SIGNATURE = "c5a195826a41af68b80e208144c38284a019c671e39eba86c7d8af6752a7fef3";
const CONFIRM_SIGNATURE_201000 = "c72b2b3e383e51a5aa0cbd50bc7a7d6b670ca21bb0199b60c5a12060973cfe52";
const BILL_STRING =
  "LOOKUP|CHUOI01|LK2412041029001|20241204102901|00|Thành công|4539148803436467|200000|N***** V** A*|PAYABLE|Sở Tư pháp tỉnh Hà Giang|20241205235959|Lệ phí cấp phiếu lý lịch tư pháp||||";
const BILL_SIGNATURE = "4ce7470fb8798dfd8027fd3cf73b61d9130abf2ce22e74346cfa0948e7d26af2";
const REVERSE_STRING =
  "REVERSE|CHUOI01|RV2412041031001|20241204103101|05|Đã quá thời hạn hủy giao dịch thu hộ|4539148803436467|||||||CT241204-000123|||PayGov does not accept reversals of collected payments";
const REVERSE_SIGNATURE = "af097518644e684898294661c847f1bfe68ee578ecd96e99cb4d0f4b1dc924cf";
const RECON_SIGNATURE = "32d2432aa49db46a6c17e3512d2592b23462fbc338347994874fa8e81f8c8073";

const confirmInput = {
  operation: "CONFIRM",
  requestId: "CF2412041030001",
  requestTime: NOW,
  paymentCode: CODE,
  amount: 200_000,
  transactionId: "CT241204-000123",
  storeId: "CH0001",
  paidAt: new Date("2024-12-04T03:29:55Z"),
} as const;

const inbound = (path: string, body: unknown, method = "POST"): InboundRequest => {
  const url = `http://paygov.test/agents/counter/${path}`;
  return {
    method,
    url,
    query: new URL(url).searchParams,
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
};

const signed = (fields: Record<string, unknown>, secret = KEY) => ({
  ...fields,
  signature: hmacSha256Hex(secret, requestSigningString(fields)),
});

const lookupFields = (overrides: Record<string, unknown> = {}) => ({
  operation: "LOOKUP",
  partnerCode: "CHUOI01",
  requestId: "LK2412041029001",
  requestTime: "20241204103000",
  paymentCode: CODE,
  ...overrides,
});

const read = (path: string, body: unknown, now = NOW, method = "POST") =>
  readCounterRequest(inbound(path, body, method), PARTNER, now);

const rejection = (result: ReturnType<typeof read>) => (result.ok ? null : result.rejection);

describe("counter signature vectors", () => {
  it("signs a CONFIRM over the fixed field order, raw values, pipe-joined", () => {
    const body = buildCounterRequest(confirmInput, "CHUOI01", KEY);
    expect(requestSigningString(body)).toBe(CONFIRM_STRING);
    expect(body.signature).toBe(CONFIRM_SIGNATURE);
    expect(hmacSha256Hex(KEY, CONFIRM_STRING.replace("|200000|", "|201000|"))).toBe(CONFIRM_SIGNATURE_201000);
  });

  it("signs a bill reply over UTF-8 raw text, absent fields empty", () => {
    const fields = {
      operation: "LOOKUP",
      partnerCode: "CHUOI01",
      requestId: "LK2412041029001",
      responseTime: "20241204102901",
      resultCode: "00",
      message: "Thành công",
      paymentCode: CODE,
      amount: 200_000,
      payerName: "N***** V** A*",
      billStatus: "PAYABLE",
      agencyName: "Sở Tư pháp tỉnh Hà Giang",
      expireTime: "20241205235959",
      description: "Lệ phí cấp phiếu lý lịch tư pháp",
    };
    expect(replySigningString(fields)).toBe(BILL_STRING);
    expect(signReply(fields, KEY).signature).toBe(BILL_SIGNATURE);
  });

  it("signs today's refusal of a reversal, word for word", () => {
    const request: CollectionRequest & { echo: unknown } = {
      kind: "reverse",
      paymentCode: CODE,
      providerTxnId: "CT241204-000123",
      echo: { operation: "REVERSE", requestId: "RV2412041031001", storeId: "CH0001" },
    };
    const reply = counterReply(
      request,
      {
        kind: "refused",
        reason: "too_late",
        message: "PayGov does not accept reversals of collected payments",
      },
      PARTNER,
      new Date("2024-12-04T03:31:01Z"),
    );
    expect(reply.status).toBe(200);
    const body = JSON.parse(reply.body);
    expect(replySigningString(body)).toBe(REVERSE_STRING);
    expect(body.signature).toBe(REVERSE_SIGNATURE);
    expect(body).toMatchObject({ resultCode: "05", message: "Đã quá thời hạn hủy giao dịch thu hộ" });
  });

  it("signs the reconciliation file's request", () => {
    expect(hmacSha256Hex(KEY, reconSigningString("CHUOI01", "20241204"))).toBe(RECON_SIGNATURE);
  });
});

describe("reading the chain's requests", () => {
  it("reads a look-up, a confirm and a reverse, keeping the echo for the reply", () => {
    const lookup = read("lookup", signed(lookupFields()));
    expect(lookup).toEqual({
      ok: true,
      request: {
        kind: "lookup",
        paymentCode: CODE,
        echo: { operation: "LOOKUP", requestId: "LK2412041029001", storeId: null },
      },
    });
    expect(read("confirm", buildCounterRequest(confirmInput, "CHUOI01", KEY))).toEqual({
      ok: true,
      request: {
        kind: "confirm",
        paymentCode: CODE,
        providerTxnId: "CT241204-000123",
        amount: 200_000,
        paidAt: new Date("2024-12-04T03:29:55Z"),
        echo: { operation: "CONFIRM", requestId: "CF2412041030001", storeId: "CH0001" },
      },
    });
    const reverse = buildCounterRequest(
      {
        operation: "REVERSE",
        requestId: "RV1",
        requestTime: NOW,
        paymentCode: CODE,
        transactionId: "CT241204-000123",
        storeId: "CH0001",
      },
      "CHUOI01",
      KEY,
    );
    expect(read("reverse", reverse)).toMatchObject({
      ok: true,
      request: { kind: "reverse", paymentCode: CODE, providerTxnId: "CT241204-000123" },
    });
  });

  it("refuses a mistyped code by its Luhn digit, and a code that is not 16 digits", () => {
    expect(rejection(read("lookup", signed(lookupFields({ paymentCode: MISTYPED }))))).toEqual({
      reason: "malformed",
      message: "paymentCode fails its check digit: the code was mistyped",
    });
    expect(rejection(read("lookup", signed(lookupFields({ paymentCode: "4539 1488 0343 6467" }))))).toEqual({
      reason: "malformed",
      message: "paymentCode must be 16 digits",
    });
  });

  it("refuses a missing or wrong signature before reading any field", () => {
    expect(rejection(read("lookup", lookupFields()))?.reason).toBe("signature_invalid");
    expect(rejection(read("lookup", signed(lookupFields(), "another key")))?.reason).toBe(
      "signature_invalid",
    );
    const tampered = { ...buildCounterRequest(confirmInput, "CHUOI01", KEY), amount: 201_000 };
    expect(rejection(read("confirm", tampered))).toEqual({
      reason: "signature_invalid",
      message: "signature does not match",
    });
    // Even a mistyped code is not trusted before its signature: forged requests learn nothing.
    expect(rejection(read("lookup", signed(lookupFields({ paymentCode: MISTYPED }), "x")))?.reason).toBe(
      "signature_invalid",
    );
  });

  it("refuses a request older or newer than the replay window", () => {
    const body = signed(lookupFields());
    expect(read("lookup", body, new Date(NOW.getTime() + MAX_CLOCK_SKEW_MS)).ok).toBe(true);
    expect(rejection(read("lookup", body, new Date(NOW.getTime() + MAX_CLOCK_SKEW_MS + 1000)))).toEqual({
      reason: "malformed",
      message: "requestTime is more than 5 minutes from PayGov's clock (a replay, or a wrong clock)",
    });
    expect(rejection(read("lookup", body, new Date(NOW.getTime() - MAX_CLOCK_SKEW_MS - 1000)))?.reason).toBe(
      "malformed",
    );
  });

  it("refuses what it cannot read, each with its reason", () => {
    const cases: [string, unknown, string][] = [
      ["lookup", "not json", "the body must be a JSON object"],
      ["lookup", "[1]", "the body must be a JSON object"],
      ["status", signed(lookupFields()), "the path must end in /lookup, /confirm or /reverse"],
      ["confirm", signed(lookupFields()), "operation must be CONFIRM on this path"],
      ["lookup", signed(lookupFields({ partnerCode: "OTHER" })), "partnerCode is not this chain"],
      [
        "lookup",
        signed(lookupFields({ requestId: "a|b" })),
        "requestId must be 1 to 50 letters, digits, '_' or '-'",
      ],
      [
        "lookup",
        signed(lookupFields({ requestTime: "20241304103000" })),
        "requestTime must be yyyyMMddHHmmss (GMT+7)",
      ],
      ["lookup", signed(lookupFields({ amount: 1000 })), "amount has no place in LOOKUP"],
    ];
    for (const [path, body, message] of cases)
      expect(rejection(read(path, body))).toEqual({ reason: "malformed", message });
    expect(rejection(read("lookup", signed(lookupFields()), NOW, "GET"))?.message).toBe("use POST, not GET");

    const confirm = (changes: Record<string, unknown>) => {
      const { signature: _s, ...fields } = buildCounterRequest(confirmInput, "CHUOI01", KEY);
      return signed({ ...fields, ...changes });
    };
    expect(rejection(read("confirm", confirm({ amount: 200_000.5 })))?.message).toBe(
      "amount must be a positive whole number of VND",
    );
    expect(rejection(read("confirm", confirm({ amount: "200000" })))?.message).toBe(
      "amount must be a positive whole number of VND",
    );
    expect(rejection(read("confirm", confirm({ transactionId: "" })))?.message).toContain("transactionId");
    expect(rejection(read("confirm", confirm({ storeId: "a store" })))?.message).toContain("storeId");
    expect(rejection(read("confirm", confirm({ paidTime: "20241204110000" })))?.message).toBe(
      "paidTime is in the future",
    );
  });
});

const BILL: BillView = {
  paymentCode: CODE,
  amount: 200_000,
  payerMasked: "N***** V** A*",
  agencyName: "Sở Tư pháp tỉnh Hà Giang",
  description: "Lệ phí cấp phiếu lý lịch tư pháp",
  expiresAt: new Date("2024-12-05T16:59:59Z"),
  status: "payable",
};

describe("PayGov's replies, as the chain verifies them", () => {
  const lookupRequest = () => {
    const r = read("lookup", signed(lookupFields()));
    if (!r.ok) throw new Error(r.rejection.message);
    return r.request;
  };
  const sent: { operation: "LOOKUP"; requestId: string } = {
    operation: "LOOKUP",
    requestId: "LK2412041029001",
  };

  it("words every refusal with its own code and Vietnamese text, and the chain reads it back", () => {
    const expected: Record<RefusalReason, [string, string]> = {
      unknown_code: ["01", "Mã thanh toán không tồn tại"],
      not_payable: ["02", "Hóa đơn đã hết hạn hoặc đã bị hủy, không thu tiền"],
      amount_mismatch: ["03", "Số tiền không khớp với hóa đơn"],
      already_paid: ["04", "Hóa đơn đã được thanh toán"],
      too_late: ["05", "Đã quá thời hạn hủy giao dịch thu hộ"],
      unknown_transaction: ["06", "Không tìm thấy giao dịch"],
      signature_invalid: ["07", "Chữ ký không hợp lệ"],
      malformed: ["08", "Yêu cầu không hợp lệ"],
      error: ["99", "Lỗi hệ thống, vui lòng thử lại"],
    };
    expect(Object.keys(REFUSAL_CODES).sort()).toEqual(Object.keys(expected).sort());
    for (const [reason, [code, text]] of Object.entries(expected) as [RefusalReason, [string, string]][]) {
      expect(REFUSAL_CODES[reason]).toBe(code);
      const reply = counterReply(
        lookupRequest(),
        { kind: "refused", reason, message: `why: ${reason}` },
        PARTNER,
        NOW,
      );
      const answer = readCounterReply(reply.body, PARTNER, sent);
      expect(answer).toEqual({
        ok: true,
        value: { kind: "refused", resultCode: code, message: text, detail: `why: ${reason}` },
      });
    }
    expect(new Set(Object.values(REFUSAL_CODES)).size).toBe(Object.keys(REFUSAL_CODES).length);
    expect(RESULT_CODES["00"].vi).toBe("Thành công");
  });

  it("reads a bill, a confirmation and a reversal", () => {
    const bill = readCounterReply(
      counterReply(lookupRequest(), { kind: "bill", bill: BILL }, PARTNER, NOW).body,
      PARTNER,
      sent,
    );
    expect(bill).toEqual({
      ok: true,
      value: {
        kind: "bill",
        bill: {
          paymentCode: CODE,
          amount: 200_000,
          payerName: "N***** V** A*",
          status: "PAYABLE",
          agencyName: "Sở Tư pháp tỉnh Hà Giang",
          description: "Lệ phí cấp phiếu lý lịch tư pháp",
          expiresAt: new Date("2024-12-05T16:59:59Z"),
        },
      },
    });
    const body = JSON.parse(counterReply(lookupRequest(), { kind: "bill", bill: BILL }, PARTNER, NOW).body);
    expect(body.expireTime).toBe("20241205235959");

    const confirm = read("confirm", buildCounterRequest(confirmInput, "CHUOI01", KEY));
    if (!confirm.ok) throw new Error("confirm");
    const confirmed = counterReply(
      confirm.request,
      { kind: "confirmed", duplicate: true, receiptId: "pay1-1" },
      PARTNER,
      NOW,
    );
    expect(
      readCounterReply(confirmed.body, PARTNER, { operation: "CONFIRM", requestId: "CF2412041030001" }),
    ).toEqual({
      ok: true,
      value: {
        kind: "confirmed",
        paymentCode: CODE,
        amount: 200_000,
        transactionId: "CT241204-000123",
        receiptId: "pay1-1",
        duplicate: true,
      },
    });
    const reversal: CollectionRequest & { echo: unknown } = {
      kind: "reverse",
      paymentCode: CODE,
      providerTxnId: "CT1",
      echo: { operation: "REVERSE", requestId: "RV9", storeId: "CH0001" },
    };
    const reversed = counterReply(reversal, { kind: "reversed", duplicate: false }, PARTNER, NOW);
    expect(readCounterReply(reversed.body, PARTNER, { operation: "REVERSE", requestId: "RV9" })).toEqual({
      ok: true,
      value: { kind: "reversed", paymentCode: CODE, transactionId: "CT1", duplicate: false },
    });
  });

  it("echoes nothing when the request could not be read; the chain accepts that only for 07/08", () => {
    const reply = counterReply(null, { kind: "refused", reason: "malformed", message: "bad" }, PARTNER, NOW);
    const body = JSON.parse(reply.body);
    expect(body).toMatchObject({ operation: "", requestId: "", resultCode: "08" });
    expect(body.paymentCode).toBeUndefined();
    expect(readCounterReply(reply.body, PARTNER, sent).ok).toBe(true);
    const fields = toReplyFields(null, { kind: "refused", reason: "error", message: "x" }, "CHUOI01", NOW);
    expect(readCounterReply(JSON.stringify(signReply(fields, KEY)), PARTNER, sent)).toEqual({
      ok: false,
      message: "only 07 and 08 may come without an echo",
    });
  });

  it("refuses a reply that is forged, altered, for another request, or carries fields out of place", () => {
    const good = JSON.parse(counterReply(lookupRequest(), { kind: "bill", bill: BILL }, PARTNER, NOW).body);
    const check = (body: unknown, who = PARTNER, to = sent) =>
      readCounterReply(JSON.stringify(body), who, to);
    expect(check(good).ok).toBe(true);
    expect(check(good, { ...PARTNER, secret: "other" })).toEqual({
      ok: false,
      message: "the reply's signature does not verify",
    });
    expect(check({ ...good, amount: 1000 }).ok).toBe(false);
    expect(check(good, PARTNER, { operation: "LOOKUP", requestId: "LK-other" })).toEqual({
      ok: false,
      message: "the reply answers another request",
    });
    // A pipe moved from the description into transactionId signs alike; the field check catches it.
    const { signature: _s, ...fields } = good;
    expect(replySigningString({ ...fields, description: "a|b" })).toBe(
      replySigningString({ ...fields, description: "a", transactionId: "b", detail: "|" }),
    );
    expect(check(signReply({ ...fields, description: "a", transactionId: "b", detail: "|" }, KEY))).toEqual({
      ok: false,
      message: "transactionId has no place in this reply",
    });
  });
});

describe("counter dates are GMT+7 whatever the server's zone", () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
  });

  it("formats and parses in Asia/Ho_Chi_Minh under America/New_York", () => {
    process.env.TZ = "America/New_York";
    expect(NOW.getHours()).toBe(22);
    expect(formatCounterTime(NOW)).toBe("20241204103000");
    expect(formatCounterTime(new Date("2024-12-31T17:00:00Z"))).toBe("20250101000000");
    expect(parseCounterTime("20241204103000")).toEqual(NOW);
    expect(parseCounterTime("20240230120000")).toBeNull();
    expect(parseCounterTime("2024120410300")).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// The connector, and the connector ⇄ simulator round trip through a PayGov reduced to its agent API.

const SANDBOX_ENV = { COUNTER_PARTNER_CODE: "CHUOI01", COUNTER_SECRET_KEY: KEY, PAYGOV_SANDBOX_PORT: "3999" };
const configFrom = (env: Record<string, string>) =>
  Effect.runSync(counter.config.parse(ConfigProvider.fromEnv({ env })));
const PAYGOV = "http://paygov.test";

const attemptWith = (paymentCode: string): Attempt => ({
  paymentId: "pay1",
  attemptId: "pay1-1",
  reference: "PG241204ABCDEFGHIJ",
  amount: 200_000,
  orderInfo: "Le phi 000.00.00.H01-241204-0001",
  dossierCode: "000.00.00.H01-241204-0001",
  paymentCode,
  createdAt: NOW,
  expiresAt: new Date(NOW.getTime() + 15 * 60_000),
  clientIp: "203.0.113.7",
  locale: "vi",
  ipnUrl: `${PAYGOV}/callbacks/counter/ipn`,
  returnUrl: `${PAYGOV}/callbacks/counter/return`,
});

interface FakeBill {
  amount: number;
  status: BillView["status"];
  paidBy: string | null;
}

const harness = (options: { simulatorKey?: string } = {}) => {
  let clock = new Date(NOW);
  const config = configFrom(SANDBOX_ENV);
  const simulatorConfig =
    options.simulatorKey === undefined
      ? config
      : configFrom({ ...SANDBOX_ENV, COUNTER_SECRET_KEY: options.simulatorKey });
  const bills = new Map<string, FakeBill>([[CODE, { amount: 200_000, status: "payable", paidBy: null }]]);
  let databaseReads = 0;
  const replies: unknown[] = [];

  // PayGov's agent API (api/agents/routes.ts) reduced to its decisions, over an in-memory ledger.
  const answer = (request: CollectionRequest): CollectionReply => {
    databaseReads += 1;
    const bill = bills.get(request.paymentCode);
    if (bill === undefined)
      return { kind: "refused", reason: "unknown_code", message: "No payment has this code" };
    if (request.kind === "lookup")
      return {
        kind: "bill",
        bill: { ...BILL, paymentCode: request.paymentCode, amount: bill.amount, status: bill.status },
      };
    if (request.kind === "reverse")
      return {
        kind: "refused",
        reason: "too_late",
        message: "PayGov does not accept reversals of collected payments",
      };
    if (bill.paidBy === request.providerTxnId)
      return { kind: "confirmed", duplicate: true, receiptId: "pay1-1" };
    if (bill.status === "paid")
      return { kind: "refused", reason: "already_paid", message: "The payment is already paid" };
    if (bill.status !== "payable")
      return { kind: "refused", reason: "not_payable", message: `The payment is ${bill.status}` };
    if (request.amount !== bill.amount)
      return {
        kind: "refused",
        reason: "amount_mismatch",
        message: `${bill.amount} VND is due, not ${request.amount}`,
      };
    bill.status = "paid";
    bill.paidBy = request.providerTxnId;
    return { kind: "confirmed", duplicate: false, receiptId: "pay1-1" };
  };

  const paygov = new Hono().all("/agents/counter/*", async (c) => {
    const url = new URL(c.req.url);
    const protocol = connector.collection;
    const request = await protocol.readRequest({
      method: c.req.method,
      url: url.href,
      query: url.searchParams,
      headers: Object.fromEntries(c.req.raw.headers.entries()),
      body: await c.req.text(),
    });
    const response = request.ok
      ? protocol.reply(request.request, answer(request.request))
      : protocol.reply(null, {
          kind: "refused",
          reason: request.rejection.reason,
          message: request.rejection.message,
        });
    replies.push(JSON.parse(response.body));
    return c.body(response.body, response.status as 200, response.headers);
  });

  const route: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    return url.startsWith(PAYGOV) ? paygov.request(url, init) : sandbox.request(url, init);
  };
  const sandbox = new Hono().route(
    "/counter",
    counter.simulator!({
      merchant: simulatorConfig,
      ipnUrl: `${PAYGOV}/callbacks/counter/ipn`,
      basePath: "/counter",
      fetch: route,
      now: () => clock,
    }),
  );
  const connector = makeCounter(config, {
    fetch: route,
    now: () => clock,
    serverIp: "10.0.0.5",
    requestTimeoutMs: 2_000,
  });

  const sim = async (path: string, body?: unknown, method = "POST") => {
    const response = await sandbox.request(`/counter${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the tests read the simulator's JSON field by field and expect() each
    return { status: response.status, json: (await response.json()) as Record<string, any> };
  };

  return {
    config,
    connector,
    sandbox,
    bills,
    replies,
    sim,
    databaseReads: () => databaseReads,
    setClock: (next: Date) => {
      clock = next;
    },
  };
};

describe("the counter connector", () => {
  it("gives the citizen the payment code to carry, and refuses an attempt without one", async () => {
    const { connector } = harness();
    expect(await Effect.runPromise(connector.initiate(attemptWith(CODE)))).toEqual({
      kind: "payment_code",
      code: CODE,
      where: {
        vi: "Tại các cửa hàng tiện lợi của chuỗi: đọc mã thanh toán cho thu ngân và trả tiền mặt",
        en: "At the chain's convenience stores: give the payment code to the cashier and pay in cash",
      },
    });
    const exit = await Effect.runPromiseExit(connector.initiate(attemptWith("")));
    expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("InvalidRequest");
  });

  it("never accepts a callback: the chain has none, and every acknowledgement is a signed 404 refusal", () => {
    const { connector } = harness();
    const verification = connector.verifyCallback(inbound("ipn", signed(lookupFields())), "ipn");
    expect(verification.ok).toBe(false);
    for (const ack of ["accepted", "duplicate", "error", "malformed"] satisfies Acknowledgement[]) {
      const response = connector.acknowledge(ack);
      expect(response.status).toBe(404);
      expect(readCounterReply(response.body, PARTNER, { operation: "LOOKUP", requestId: "x" })).toMatchObject(
        {
          ok: true,
          value: { kind: "refused", resultCode: "08" },
        },
      );
    }
  });

  it("declares the collection shape", () => {
    expect(counter.capabilities).toEqual({
      redirect: false,
      qr: false,
      billLookup: true,
      query: false,
      refund: false,
      refundStatus: false,
      reconciliationFile: true,
    });
    expect(counterDriver.shape).toBe("collection");
    expect(counterDriver.collection).toBeDefined();
  });
});

describe("counter configuration", () => {
  it("fails with a ConfigError naming each missing credential", () => {
    for (const [missing, env] of [
      ["COUNTER_SECRET_KEY", { COUNTER_PARTNER_CODE: "CHUOI01" }],
      ["COUNTER_PARTNER_CODE", { COUNTER_SECRET_KEY: KEY }],
    ] as const) {
      const exit = Effect.runSyncExit(counter.config.parse(ConfigProvider.fromEnv({ env })));
      expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain(missing);
    }
    const pipe = Effect.runSyncExit(
      counter.config.parse(ConfigProvider.fromEnv({ env: { ...SANDBOX_ENV, COUNTER_PARTNER_CODE: "A|B" } })),
    );
    expect(Exit.isFailure(pipe)).toBe(true);
  });

  it("defaults the reconciliation file to the bundled simulator", () => {
    expect(configFrom({ COUNTER_PARTNER_CODE: "CHUOI01", COUNTER_SECRET_KEY: KEY }).reconUrl.href).toBe(
      "http://127.0.0.1:3001/counter/recon",
    );
    expect(
      configFrom({ ...SANDBOX_ENV, COUNTER_RECON_URL: "https://chain.example/doisoat" }).reconUrl.href,
    ).toBe("https://chain.example/doisoat");
  });

  it("finds PayGov's agent API from the IPN URL the sandbox gives", () => {
    expect(agentUrlOf("http://127.0.0.1:8080/callbacks/counter/ipn", "/counter")).toBe(
      "http://127.0.0.1:8080/agents/counter",
    );
    expect(agentUrlOf("https://pay.gov.example/base/callbacks/counter/ipn", "/counter")).toBe(
      "https://pay.gov.example/base/agents/counter",
    );
  });
});

describe("connector ⇄ simulator", () => {
  it("looks a bill up, confirms it once, recognises the repeat and refuses another transaction", async () => {
    const h = harness();
    const lookup = await h.sim("/_sim/lookup", { paymentCode: CODE });
    expect(lookup.status).toBe(200);
    expect(lookup.json.answer).toMatchObject({
      kind: "bill",
      bill: { amount: 200_000, payerName: "N***** V** A*", status: "PAYABLE", agencyName: BILL.agencyName },
    });
    const first = await h.sim("/_sim/confirm", { paymentCode: CODE, amount: 200_000, transactionId: "CT-1" });
    expect(first.json.answer).toMatchObject({ kind: "confirmed", duplicate: false, receiptId: "pay1-1" });
    const again = await h.sim("/_sim/confirm", { paymentCode: CODE, amount: 200_000, transactionId: "CT-1" });
    expect(again.json.answer).toMatchObject({ kind: "confirmed", duplicate: true });
    const other = await h.sim("/_sim/confirm", { paymentCode: CODE, amount: 200_000, transactionId: "CT-2" });
    expect(other.json.answer).toMatchObject({
      kind: "refused",
      resultCode: "04",
      message: "Hóa đơn đã được thanh toán",
    });
    const after = await h.sim("/_sim/lookup", { paymentCode: CODE });
    expect(after.json.answer.bill.status).toBe("PAID");
  });

  it("answers a mistyped code as malformed without reading the ledger", async () => {
    const h = harness();
    const result = await h.sim("/_sim/lookup", { paymentCode: MISTYPED });
    expect(result.json.answer).toEqual({
      kind: "refused",
      resultCode: "08",
      message: "Yêu cầu không hợp lệ",
      detail: "paymentCode fails its check digit: the code was mistyped",
    });
    expect(h.databaseReads()).toBe(0);
  });

  it("refuses a wrong amount, an unknown code, an expired bill, and today's reversals", async () => {
    const h = harness();
    const wrong = await h.sim("/_sim/confirm", { paymentCode: CODE, amount: 100_000, transactionId: "CT-3" });
    expect(wrong.json.answer).toMatchObject({ resultCode: "03", detail: "200000 VND is due, not 100000" });
    const unknown = await h.sim("/_sim/lookup", { paymentCode: "4111111111111111" });
    expect(unknown.json.answer).toMatchObject({ resultCode: "01", message: "Mã thanh toán không tồn tại" });
    h.bills.set("4111111111111111", { amount: 5_000, status: "expired", paidBy: null });
    const expired = await h.sim("/_sim/confirm", { paymentCode: "4111111111111111", amount: 5_000 });
    expect(expired.json.answer).toMatchObject({ resultCode: "02" });
    await h.sim("/_sim/confirm", { paymentCode: CODE, amount: 200_000, transactionId: "CT-4" });
    const reversed = await h.sim("/_sim/reverse", { paymentCode: CODE, transactionId: "CT-4" });
    expect(reversed.json.answer).toEqual({
      kind: "refused",
      resultCode: "05",
      message: "Đã quá thời hạn hủy giao dịch thu hộ",
      detail: "PayGov does not accept reversals of collected payments",
    });
    expect(reversed.json.transaction.status).toBe("confirmed");
  });

  it("signs with a wrong key when told (07), and sends a confirm twice at once on duplicate", async () => {
    const h = harness();
    await h.sim("/_sim/behaviour", { reference: CODE, tamperSignature: true });
    const forged = await h.sim("/_sim/confirm", { paymentCode: CODE, amount: 200_000 });
    expect(forged.json.answer).toMatchObject({ resultCode: "07", detail: "signature does not match" });
    expect(h.bills.get(CODE)?.status).toBe("payable");
    await h.sim("/_sim/behaviour", { reference: CODE, tamperSignature: false, callback: "duplicate" });
    const twice = await h.sim("/_sim/confirm", { paymentCode: CODE, amount: 200_000, transactionId: "CT-5" });
    const answers = (twice.json.replies as { answer: { duplicate: boolean } }[]).map(
      (r) => r.answer.duplicate,
    );
    expect(answers.sort()).toEqual([false, true]);
    const captured = await h.sim(`/_sim/callbacks/${CODE}`, undefined, "GET");
    expect(captured.json.url).toBe(`${PAYGOV}/agents/counter/confirm`);
    expect(JSON.parse(captured.json.body)).toMatchObject({ operation: "CONFIRM", transactionId: "CT-5" });
  });

  it("claims another amount on tamperAmount, and 502s when PayGov's replies do not verify", async () => {
    const h = harness();
    await h.sim("/_sim/behaviour", { reference: CODE, tamperAmount: true });
    const more = await h.sim("/_sim/confirm", { paymentCode: CODE, amount: 200_000 });
    expect(more.json.answer).toMatchObject({ resultCode: "03" });

    // A chain holding another key: PayGov refuses it (07), and the chain cannot believe that answer either.
    const strangers = harness({ simulatorKey: "the chain's own idea of the key" });
    const unverified = await strangers.sim("/_sim/lookup", { paymentCode: CODE });
    expect(unverified.status).toBe(502);
    expect(unverified.json.error).toBe("the reply's signature does not verify");
    expect(strangers.replies).toMatchObject([{ resultCode: "07" }]);
  });

  it("pays through /_sim/pay with a chosen transaction id, and walks away on failure", async () => {
    const h = harness();
    const walked = await h.sim("/_sim/pay", { reference: CODE, outcome: "cancel" });
    expect(walked.status).toBe(200);
    expect(h.bills.get(CODE)?.status).toBe("payable");
    const paid = await h.sim("/_sim/pay", { reference: CODE, transactionId: "CT-PAY" });
    expect(paid.json.answer).toMatchObject({ kind: "confirmed", transactionId: "CT-PAY" });
    const again = await h.sim("/_sim/pay", { reference: CODE });
    expect(again.status).toBe(409);
    expect(await h.sim("/_sim/pay", { reference: CODE, outcome: "maybe" })).toMatchObject({ status: 400 });
  });

  it("serves the day's collections in the canonical layout to its partner only, through the connector", async () => {
    const h = harness();
    await h.sim("/_sim/lookup", { paymentCode: CODE });
    await h.sim("/_sim/confirm", {
      paymentCode: CODE,
      amount: 200_000,
      transactionId: "CT-6",
      storeId: "CH0042",
    });
    const file = await Effect.runPromise(h.connector.reconciliationFile("2024-12-04"));
    const lines = file.split("\r\n");
    expect(lines[0]).toBe("H,COUNTER,CHUOI01,2024-12-04,2024-12-04T10:30:00+07:00,1");
    const details = lines.filter((l) => l.startsWith("D,"));
    expect(details).toEqual([
      "D,COUNTER,CHUOI01,PAYMENT,4539148803436467,CT-6,,200000,0,200000,VND,2024-12-04T10:30:00+07:00,2024-12-04T10:30:00+07:00,2024-12-04,CH0042,SUCCESS,00,N***** V** A*,",
    ]);
    expect(details[0]?.split(",")).toHaveLength(19);
    const digest = createHash("sha256").update(`${details[0]}\r\n`).digest("hex");
    expect(lines.at(-2)).toBe(`T,1,200000,0,200000,${digest}`);
    expect(await Effect.runPromise(h.connector.reconciliationFile("2024-12-05"))).toContain("T,0,0,0,0,");

    const unsigned = await h.sandbox.request("/counter/recon?date=20241204");
    expect(unsigned.status).toBe(401);
    const exit = await Effect.runPromiseExit(h.connector.reconciliationFile("04/12/2024"));
    expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("InvalidRequest");
    await h.sim("/_sim/behaviour", { api: "unavailable" });
    const down = await Effect.runPromiseExit(h.connector.reconciliationFile("2024-12-04"));
    expect(Exit.isFailure(down) && JSON.stringify(down.cause)).toContain("Unavailable");
  });

  it("plays the clerk's screen: type a code, see the bill, take the cash", async () => {
    const h = harness();
    const form = (path: string, fields: Record<string, string>) =>
      h.sandbox.request(`/counter${path}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(fields).toString(),
      });
    expect((await h.sandbox.request("/counter")).status).toBe(200);
    const bill = await (await form("/pos/lookup", { code: "4539 1488 0343 6467", store: "CH0007" })).text();
    expect(bill).toContain('data-testid="sim-bill"');
    expect(bill).toContain("N***** V** A*");
    expect(bill).toContain('data-status="PAYABLE"');
    const receipt = await (
      await form("/pos/confirm", { code: CODE, amount: "200000", store: "CH0007" })
    ).text();
    expect(receipt).toMatch(/data-code="00"/);
    expect(receipt).toContain("pay1-1");
    const mistyped = await (await form("/pos/lookup", { code: MISTYPED })).text();
    expect(mistyped).toContain('data-code="08"');
  });

  it("answers bad control requests with 4xx, never a crash", async () => {
    const h = harness();
    expect((await h.sim("/_sim/lookup", {})).status).toBe(400);
    expect((await h.sim("/_sim/confirm", { paymentCode: CODE, amount: -5 })).status).toBe(400);
    expect((await h.sim("/_sim/reverse", { paymentCode: CODE })).status).toBe(400);
    expect((await h.sim("/_sim/behaviour", { callback: "sideways" })).status).toBe(400);
    expect((await h.sim("/_sim/callbacks/0000000000000000", undefined, "GET")).status).toBe(404);
    expect((await h.sandbox.request("/counter/recon?date=20241332")).status).toBe(400);
  });
});
