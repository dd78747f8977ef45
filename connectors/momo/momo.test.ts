import { createHash } from "node:crypto";
import { Cause, ConfigProvider, Effect, Exit } from "effect";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type {
  Acknowledgement,
  Attempt,
  InboundRequest,
  RefundRequest,
  Verification,
} from "../sdk/contract.ts";
import type { ConnectorError } from "../sdk/errors.ts";
import { loadConnectors } from "../sdk/load.ts";
import { gatewayUrl, type MomoConfig } from "./config.ts";
import {
  buildQueryRequest,
  buildRefundRequest,
  querySignedValues,
  refundSignedValues,
  toQueryDecision,
  toRefundDecision,
  toRefundStatusDecision,
} from "./gateway-api.ts";
import { makeMomo, momo } from "./index.ts";
import {
  buildCreateRequest,
  callbackOutcome,
  createSignedValues,
  ipnResponse,
  isMomoOrderId,
  MOMO_CALLBACK_FIELDS,
  MOMO_CREATE_FIELDS,
  MOMO_QUERY_FIELDS,
  MOMO_REFUND_FIELDS,
  MOMO_RESULT_CODES,
  parseMomoJson,
  rawSignature,
  signFields,
  toCreateDecision,
  verifyCallback,
} from "./protocol.ts";

// Appendix, "test vectors": made-up keys and the values they were computed from.
const SECRET = "FAKEMOMOSECRETKEY000000000000000";
const ACCESS = "FAKEACCESSKEY";
const PARTNER = "MOMOTEST0001";
const merchant = { partnerCode: PARTNER, accessKey: ACCESS, secretKey: SECRET };

const CREATE_STRING =
  "accessKey=FAKEACCESSKEY&amount=50000&extraData=&ipnUrl=https://example.gov.vn/momo/ipn&orderId=HS0001240815&orderInfo=Le phi ho so&partnerCode=MOMOTEST0001&redirectUrl=https://example.gov.vn/momo/return&requestId=HS0001240815-r1&requestType=captureWallet";
const CREATE_SIGNATURE = "9209b9826dd272fc42c3148dd18ba58668b536bdfd3c96214a94730973c5011a";
const IPN_STRING =
  "accessKey=FAKEACCESSKEY&amount=50000&extraData=&message=Successful.&orderId=HS0001240815&orderInfo=Le phi ho so&orderType=momo_wallet&partnerCode=MOMOTEST0001&payType=qr&requestId=HS0001240815-r1&responseTime=1723693200000&resultCode=0&transId=4088878653";
const IPN_SIGNATURE = "c7c783bee2e63fa7cd44ffb1b6ddee84160b37f178ffc970673d1d333ac05a92";
const QUERY_STRING =
  "accessKey=FAKEACCESSKEY&orderId=HS0001240815&partnerCode=MOMOTEST0001&requestId=HS0001240815-q1";
const QUERY_SIGNATURE = "3780096e2680beeaef382ffc8a2c7781696755fb1a794bdd8a1a4fc2a10d412e";
const REFUND_STRING =
  "accessKey=FAKEACCESSKEY&amount=50000&description=Hoan phi&orderId=HS0001240815-RF1&partnerCode=MOMOTEST0001&requestId=HS0001240815-rf1&transId=4088878653";
const REFUND_SIGNATURE = "a0592d76e70d909c0c2556d48d969b24face9d86d486f3148abe1ba8d12d4afe";

/** The vector's IPN as MoMo POSTs it: numbers as JSON numbers, no accessKey. */
const VECTOR_IPN = {
  partnerCode: PARTNER,
  orderId: "HS0001240815",
  requestId: "HS0001240815-r1",
  amount: 50000,
  orderInfo: "Le phi ho so",
  orderType: "momo_wallet",
  transId: 4088878653,
  resultCode: 0,
  message: "Successful.",
  payType: "qr",
  responseTime: 1723693200000,
  extraData: "",
  signature: IPN_SIGNATURE,
};

const ipnRequest = (body: string, method = "POST"): InboundRequest => ({
  method,
  url: "https://paygov.example.gov.vn/callbacks/momo/ipn",
  query: new URLSearchParams(),
  headers: { "content-type": "application/json" },
  body,
});

/** A callback signed with our keys (or another secret), the values given as MoMo would send them. */
const signedIpn = (changes: Record<string, unknown>, secretKey = SECRET): string => {
  const body: Record<string, unknown> = { ...VECTOR_IPN, ...changes };
  const values = Object.fromEntries(MOMO_CALLBACK_FIELDS.map((name) => [name, String(body[name] ?? "")]));
  body.signature = signFields(
    MOMO_CALLBACK_FIELDS,
    { ...values, accessKey: ACCESS } as Record<(typeof MOMO_CALLBACK_FIELDS)[number], string>,
    secretKey,
  );
  return JSON.stringify(body);
};

describe("MoMo signature vectors (Appendix)", () => {
  it("signs the captureWallet create over the alphabetical raw string", () => {
    const request = buildCreateRequest(
      {
        orderId: "HS0001240815",
        requestId: "HS0001240815-r1",
        amount: 50_000,
        orderInfo: "Le phi ho so",
        ipnUrl: "https://example.gov.vn/momo/ipn",
        redirectUrl: "https://example.gov.vn/momo/return",
        lang: "vi",
      },
      merchant,
    );
    if (!request.ok) throw new Error(request.message);
    expect(rawSignature(MOMO_CREATE_FIELDS, createSignedValues(request.value, ACCESS))).toBe(CREATE_STRING);
    expect(request.value).toEqual({
      partnerCode: PARTNER,
      requestId: "HS0001240815-r1",
      amount: 50_000,
      orderId: "HS0001240815",
      orderInfo: "Le phi ho so",
      redirectUrl: "https://example.gov.vn/momo/return",
      ipnUrl: "https://example.gov.vn/momo/ipn",
      requestType: "captureWallet",
      extraData: "",
      lang: "vi",
      signature: CREATE_SIGNATURE,
    });
  });

  it("verifies the IPN with OUR accessKey inserted, and maps it", () => {
    const values = Object.fromEntries(
      MOMO_CALLBACK_FIELDS.map((name) => [name, name === "accessKey" ? ACCESS : String(VECTOR_IPN[name])]),
    ) as Record<(typeof MOMO_CALLBACK_FIELDS)[number], string>;
    expect(rawSignature(MOMO_CALLBACK_FIELDS, values)).toBe(IPN_STRING);
    expect(verifyCallback(ipnRequest(JSON.stringify(VECTOR_IPN)), "ipn", merchant)).toEqual({
      ok: true,
      callback: {
        reference: "HS0001240815",
        providerTxnId: "4088878653",
        amount: 50_000,
        outcome: "succeeded",
        providerCode: "0",
        paidAt: new Date(1723693200000),
        cancelledByPayer: false,
      },
    });
    // Another accessKey makes another raw string: the signature no longer matches.
    expect(
      verifyCallback(ipnRequest(JSON.stringify(VECTOR_IPN)), "ipn", { ...merchant, accessKey: "OTHER" }),
    ).toMatchObject({ ok: false, rejection: { reason: "signature_invalid" } });
  });

  it("rejects the IPN whose amount was altered after signing", () => {
    const altered = JSON.stringify({ ...VECTOR_IPN, amount: 5000 });
    expect(verifyCallback(ipnRequest(altered), "ipn", merchant)).toMatchObject({
      ok: false,
      rejection: { reason: "signature_invalid" },
    });
  });

  it("signs the query and the refund", () => {
    const query = buildQueryRequest(
      { orderId: "HS0001240815", requestId: "HS0001240815-q1", lang: "vi" },
      merchant,
    );
    expect(rawSignature(MOMO_QUERY_FIELDS, querySignedValues(query, ACCESS))).toBe(QUERY_STRING);
    expect(query.signature).toBe(QUERY_SIGNATURE);

    const refund = buildRefundRequest(
      {
        orderId: "HS0001240815-RF1",
        requestId: "HS0001240815-rf1",
        amount: 50_000,
        transId: "4088878653",
        description: "Hoan phi",
        lang: "vi",
      },
      merchant,
    );
    if (!refund.ok) throw new Error(refund.message);
    expect(rawSignature(MOMO_REFUND_FIELDS, refundSignedValues(refund.value, ACCESS))).toBe(REFUND_STRING);
    expect(refund.value).toMatchObject({ transId: 4088878653, amount: 50_000, signature: REFUND_SIGNATURE });
  });

  it("lists every message's fields alphabetically, accessKey included", () => {
    for (const fields of [MOMO_CREATE_FIELDS, MOMO_CALLBACK_FIELDS, MOMO_QUERY_FIELDS, MOMO_REFUND_FIELDS]) {
      expect([...fields]).toEqual([...fields].sort());
      expect(fields[0]).toBe("accessKey");
    }
  });
});

describe("MoMo create request", () => {
  const input = {
    orderId: "PG240815ABCDEFGHIJ",
    requestId: "PG240815ABCDEFGHIJ",
    amount: 150_000,
    orderInfo: "Lệ phí hồ sơ 000.00.00.H01-240815-0001 & phí=1",
    ipnUrl: "https://paygov.example.gov.vn/callbacks/momo/ipn",
    redirectUrl: "https://paygov.example.gov.vn/callbacks/momo/return",
    lang: "en" as const,
  };

  it("keeps orderInfo ASCII-safe (no '&' or '=' in the raw string) and passes lang", () => {
    const request = buildCreateRequest(input, merchant);
    expect(request).toMatchObject({
      ok: true,
      value: { orderInfo: "Le phi ho so 000.00.00.H01-240815-0001 phi 1", lang: "en", extraData: "" },
    });
  });

  it("refuses what MoMo would refuse", () => {
    expect(buildCreateRequest({ ...input, amount: 999 }, merchant).ok).toBe(false);
    expect(buildCreateRequest({ ...input, amount: 50_000_001 }, merchant).ok).toBe(false);
    expect(buildCreateRequest({ ...input, amount: 1000.5 }, merchant).ok).toBe(false);
    expect(buildCreateRequest({ ...input, ipnUrl: `${input.ipnUrl}?x=1` }, merchant).ok).toBe(false);
    expect(buildCreateRequest({ ...input, orderId: "PG-" }, merchant).ok).toBe(false);
    expect(buildCreateRequest({ ...input, requestId: "x".repeat(51) }, merchant).ok).toBe(false);
  });

  it("applies MoMo's orderId pattern, fast even on a long near-miss", () => {
    expect(isMomoOrderId("PG240815ABCDEFGHIJ")).toBe(true);
    expect(isMomoOrderId("HS0001240815-RF1")).toBe(true);
    expect(isMomoOrderId("a.b_c-d")).toBe(true);
    expect(isMomoOrderId("-a")).toBe(false);
    expect(isMomoOrderId("a-")).toBe(false);
    expect(isMomoOrderId("a b")).toBe(false);
    expect(isMomoOrderId("x".repeat(64))).toBe(false);
    const started = performance.now();
    expect(isMomoOrderId(`${"a".repeat(62)}!`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it("reads the create answer: payUrl, or what to do instead", () => {
    const expected = { orderId: "X1", partnerCode: PARTNER };
    expect(
      toCreateDecision({ resultCode: "0", orderId: "X1", payUrl: "https://pay.example/x" }, expected),
    ).toEqual({
      kind: "redirect",
      payUrl: "https://pay.example/x",
    });
    expect(toCreateDecision({ resultCode: "0", orderId: "X1" }, expected).kind).toBe("unknown");
    expect(toCreateDecision({ resultCode: "0", orderId: "X2", payUrl: "https://p/x" }, expected).kind).toBe(
      "unknown",
    );
    const kinds = (code: number) =>
      toCreateDecision({ resultCode: String(code), message: "m" }, expected).kind;
    expect([40, 41, 43, 1000, 7000].map(kinds)).toEqual([
      "recover",
      "recover",
      "recover",
      "recover",
      "recover",
    ]);
    expect([98, 1001, 4001].map(kinds)).toEqual(["declined", "declined", "declined"]);
    expect([11, 13, 20, 21, 22, 42].map(kinds)).toEqual(Array(6).fill("invalid"));
    expect(kinds(10)).toBe("unavailable");
    expect(kinds(99)).toBe("unknown");
    expect(kinds(123456)).toBe("unknown");
  });
});

describe("MoMo resultCode table (§2.5)", () => {
  it("maps callbacks: 0 and 9000 paid, 1000/7000/7002/8000 pending, 1006 and other finals failed", () => {
    expect(callbackOutcome(0)).toBe("succeeded");
    expect(callbackOutcome(9000)).toBe("succeeded");
    expect([1000, 7000, 7002, 8000].map(callbackOutcome)).toEqual(Array(4).fill("pending"));
    expect(
      [98, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1017, 1026, 4001, 4002, 4100].map(callbackOutcome),
    ).toEqual(Array(13).fill("failed"));
    // Codes that say nothing about a payment (and codes outside the table) conclude nothing.
    expect([10, 20, 40, 41, 42, 43, 99, 1080, 123].map(callbackOutcome)).toEqual(Array(9).fill("pending"));
  });

  it("marks the codes §2.5 calls final, and words every code in both languages", () => {
    const finals = Object.entries(MOMO_RESULT_CODES)
      .filter(([, info]) => info.final)
      .map(([code]) => Number(code));
    expect(finals).toContain(0);
    expect(finals).toContain(1006);
    expect(finals).not.toContain(1000);
    expect(finals).not.toContain(9000);
    expect(finals).not.toContain(41);
    for (const info of Object.values(MOMO_RESULT_CODES)) {
      expect(info.text.vi).not.toBe("");
      expect(info.text.en).not.toBe("");
    }
    expect(Object.keys(MOMO_RESULT_CODES)).toHaveLength(37);
  });
});

describe("MoMo callbacks", () => {
  it("maps a user decline (1006) to failed and cancelled by the payer", () => {
    const verification = verifyCallback(
      ipnRequest(signedIpn({ resultCode: 1006, message: "x" })),
      "ipn",
      merchant,
    );
    expect(verification).toMatchObject({
      ok: true,
      callback: { outcome: "failed", cancelledByPayer: true, providerCode: "1006", paidAt: null },
    });
  });

  it("keeps a transId past 2^53 exactly as signed", () => {
    const body = signedIpn({ transId: "1234567890123456789" }).replace(
      '"transId":"1234567890123456789"',
      '"transId":1234567890123456789',
    );
    expect(body).toContain('"transId":1234567890123456789,');
    expect(verifyCallback(ipnRequest(body), "ipn", merchant)).toMatchObject({
      ok: true,
      callback: { providerTxnId: "1234567890123456789" },
    });
  });

  it("refuses what it cannot trust or read", () => {
    const reason = (request: InboundRequest) => {
      const v = verifyCallback(request, "ipn", merchant);
      return v.ok ? "ok" : v.rejection.reason;
    };
    expect(reason(ipnRequest("not json"))).toBe("malformed");
    expect(reason(ipnRequest("[1,2]"))).toBe("malformed");
    expect(reason(ipnRequest(JSON.stringify(VECTOR_IPN), "GET"))).toBe("malformed");
    expect(reason(ipnRequest(JSON.stringify({ ...VECTOR_IPN, signature: undefined })))).toBe(
      "signature_invalid",
    );
    expect(reason(ipnRequest(signedIpn({}, "another-secret")))).toBe("signature_invalid");
    // Validly signed with our keys, but about another partner: MoMo's page says cross-check it (§2.4).
    expect(reason(ipnRequest(signedIpn({ partnerCode: "SOMEONEELSE" })))).toBe("malformed");
    expect(reason(ipnRequest(signedIpn({ amount: "12.5" })))).toBe("malformed");
    expect(reason(ipnRequest(signedIpn({ resultCode: "zero" })))).toBe("malformed");
    expect(reason(ipnRequest(signedIpn({ orderId: "" })))).toBe("malformed");
    expect(
      reason(ipnRequest(JSON.stringify({ ...JSON.parse(signedIpn({})), extra: { nested: true } }))),
    ).toBe("malformed");
  });

  it("verifies the browser redirect the same way, from the query", () => {
    const values = JSON.parse(signedIpn({})) as Record<string, unknown>;
    const query = new URLSearchParams(Object.entries(values).map(([k, v]) => [k, String(v)]));
    const request = { ...ipnRequest("", "GET"), query };
    expect(verifyCallback(request, "return", merchant)).toMatchObject({
      ok: true,
      callback: { reference: "HS0001240815", amount: 50_000 },
    });
    query.append("amount", "1");
    expect(verifyCallback({ ...request, query }, "return", merchant)).toMatchObject({
      ok: false,
      rejection: { reason: "malformed" },
    });
  });

  it("answers 204 for accepted and duplicate, 400 for refusals, 500 for PayGov's errors", () => {
    const answers = (["accepted", "duplicate"] as const).map(ipnResponse);
    expect(answers).toEqual([
      { status: 204, headers: {}, body: "" },
      { status: 204, headers: {}, body: "" },
    ]);
    for (const ack of ["signature_invalid", "malformed", "unknown_reference", "amount_mismatch"] as const) {
      const answer = ipnResponse(ack);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ reason: ack });
    }
    expect(ipnResponse("error").status).toBe(500);
  });
});

describe("MoMo query and refund answers", () => {
  const context = {
    merchant,
    orderId: "ORD1",
    expiresAt: new Date("2024-08-15T03:45:00Z"),
    now: new Date("2024-08-15T03:40:00Z"),
  };

  it("reads the payment's state, and 42 as not yet until the attempt has expired", () => {
    const paid = {
      partnerCode: PARTNER,
      orderId: "ORD1",
      resultCode: "0",
      amount: "150000",
      transId: "77",
      lastUpdated: "1723693200000",
    };
    expect(toQueryDecision(paid, context)).toEqual({
      kind: "result",
      result: {
        outcome: "succeeded",
        providerTxnId: "77",
        amount: 150_000,
        providerCode: "0",
        paidAt: new Date(1723693200000),
      },
    });
    expect(toQueryDecision({ ...paid, amount: "" }, context)).toMatchObject({
      result: { outcome: "unknown" },
    });
    expect(toQueryDecision({ ...paid, resultCode: "1000", transId: "0" }, context)).toMatchObject({
      result: { outcome: "pending", providerTxnId: null },
    });
    expect(toQueryDecision({ ...paid, resultCode: "1005" }, context)).toMatchObject({
      result: { outcome: "failed" },
    });
    expect(toQueryDecision({ resultCode: "42" }, context)).toMatchObject({ result: { outcome: "pending" } });
    const later = { ...context, now: new Date("2024-08-15T04:00:00Z") };
    expect(toQueryDecision({ resultCode: "42" }, later)).toMatchObject({ result: { outcome: "failed" } });
    expect(toQueryDecision({ resultCode: "10" }, context).kind).toBe("unavailable");
    expect(toQueryDecision({ resultCode: "13" }, context).kind).toBe("invalid");
    expect(toQueryDecision({ resultCode: "99" }, context)).toMatchObject({ result: { outcome: "unknown" } });
    expect(toQueryDecision({ resultCode: "5555" }, context)).toMatchObject({
      result: { outcome: "unknown" },
    });
    expect(toQueryDecision({ ...paid, orderId: "ORD2" }, context).kind).toBe("unverifiable");
    expect(toQueryDecision({ ...paid, partnerCode: "OTHER" }, context).kind).toBe("unverifiable");
    expect(toQueryDecision({}, context).kind).toBe("unverifiable");
  });

  it("maps refund codes: 0 taken, 1080/1081/1088 refused, 7000 pending, 40/41/43 recover through the refund query", () => {
    const outcome = (resultCode: number) => {
      const d = toRefundDecision(
        { resultCode: String(resultCode), orderId: "RF1", transId: "88" },
        merchant,
        "RF1",
      );
      return d.kind === "result" ? d.result.outcome : d.kind;
    };
    expect(outcome(0)).toBe("succeeded");
    expect([1080, 1081, 1088].map(outcome)).toEqual(["failed", "failed", "failed"]);
    expect(outcome(7000)).toBe("pending");
    expect([40, 41, 43].map(outcome)).toEqual(["recover", "recover", "recover"]);
    expect(outcome(42)).toBe("invalid");
    expect(outcome(10)).toBe("unavailable");
    expect(outcome(99)).toBe("unknown");
    expect(toRefundDecision({ resultCode: "0", transId: "88" }, merchant, "RF1")).toMatchObject({
      result: { providerRefundId: "88" },
    });
  });

  it("finds a refund in the refund query's refundTrans by its own orderId", () => {
    const body = {
      partnerCode: PARTNER,
      orderId: "ORD1",
      resultCode: 0,
      refundTrans: [
        { orderId: "RF1", amount: 5000, resultCode: 0, transId: 91, createdTime: 1 },
        { orderId: "RF2", amount: 5000, resultCode: 1081, transId: 0, createdTime: 2 },
      ],
    };
    const status = (refundOrderId: string) =>
      toRefundStatusDecision(body, { merchant, paymentOrderId: "ORD1", refundOrderId });
    expect(status("RF1")).toMatchObject({
      kind: "result",
      result: { outcome: "succeeded", providerRefundId: "91" },
    });
    expect(status("RF2")).toMatchObject({
      kind: "result",
      result: { outcome: "failed", providerCode: "1081" },
    });
    expect(status("RF3")).toEqual({ kind: "unlisted" });
    expect(
      toRefundStatusDecision({ resultCode: 42 }, { merchant, paymentOrderId: "ORD1", refundOrderId: "RF1" })
        .kind,
    ).toBe("invalid");
  });
});

// ---------------------------------------------------------------------------------------------
// The connector against its simulator, through app.request().

const PAYGOV = "https://paygov.example.gov.vn";
const IPN_URL = `${PAYGOV}/callbacks/momo/ipn`;
const RETURN_URL = `${PAYGOV}/callbacks/momo/return`;
const CREATED = new Date("2024-08-15T03:30:00Z"); // 10:30:00 in Hà Nội
const ENV = {
  MOMO_PARTNER_CODE: PARTNER,
  MOMO_ACCESS_KEY: ACCESS,
  MOMO_SECRET_KEY: SECRET,
  PAYGOV_SANDBOX_PORT: "3999",
};

const configFrom = (env: Record<string, string>): MomoConfig =>
  Effect.runSync(momo.config.parse(ConfigProvider.fromEnv({ env })));

/** The typed failure of a connector call (a defect or a success fails the test). */
const failureOf = async <A>(effect: Effect.Effect<A, ConnectorError>): Promise<ConnectorError> => {
  const exit = await Effect.runPromiseExit(effect);
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`);
  const found = Cause.findErrorOption(exit.cause);
  if (found._tag !== "Some") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`);
  return found.value;
};

interface IpnSeen {
  readonly verification: Verification;
  readonly ack: Acknowledgement;
}

const harness = (options: { connectorEnv?: Record<string, string>; timeoutMs?: number } = {}) => {
  let clock = new Date(CREATED);
  const config = configFrom(ENV);
  const expected = new Map<string, number>();
  const confirmed = new Set<string>();
  const ipns: IpnSeen[] = [];

  // PayGov's IPN endpoint, reduced to the route's checks (api/callbacks/routes.ts) in its order.
  const paygov = new Hono().post("/callbacks/momo/ipn", async (c) => {
    const url = new URL(c.req.url);
    const verification = connector.verifyCallback(
      { method: "POST", url: url.href, query: url.searchParams, headers: {}, body: await c.req.text() },
      "ipn",
    );
    const ack: Acknowledgement = !verification.ok
      ? verification.rejection.reason
      : !expected.has(verification.callback.reference)
        ? "unknown_reference"
        : expected.get(verification.callback.reference) !== verification.callback.amount
          ? "amount_mismatch"
          : confirmed.has(verification.callback.reference)
            ? "duplicate"
            : "accepted";
    if (ack === "accepted" && verification.ok) confirmed.add(verification.callback.reference);
    ipns.push({ verification, ack });
    const response = connector.acknowledge(ack);
    return response.body === ""
      ? c.body(null, response.status as 204)
      : c.body(response.body, response.status as 400, response.headers);
  });

  // Routes every fetch to PayGov or the sandbox, honouring the caller's abort signal like fetch does.
  const route: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const target = url.startsWith(PAYGOV) ? paygov : sandbox;
    return new Promise<Response>((resolve, reject) => {
      const signal = init?.signal;
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      Promise.resolve(target.request(url, init)).then(resolve, reject);
    });
  };
  const sandbox = new Hono().route(
    "/momo",
    momo.simulator!({ merchant: config, ipnUrl: IPN_URL, basePath: "/momo", fetch: route, now: () => clock }),
  );
  const runtime = {
    fetch: route,
    now: () => clock,
    serverIp: "10.0.0.5",
    requestTimeoutMs: options.timeoutMs ?? 10_000,
  };
  const connector = makeMomo(configFrom({ ...ENV, ...options.connectorEnv }), runtime);

  const attempt = (reference: string, amount = 150_000, locale: "vi" | "en" = "vi"): Attempt => {
    expected.set(reference, amount);
    return {
      paymentId: "pay_1",
      attemptId: `att_${reference}`,
      reference,
      amount,
      orderInfo: "Thanh toan ho so 000.00.00.H01-240815-0001",
      dossierCode: "000.00.00.H01-240815-0001",
      paymentCode: "9704000000000018",
      createdAt: clock,
      expiresAt: new Date(clock.getTime() + 15 * 60_000),
      clientIp: "203.0.113.7",
      locale,
      ipnUrl: IPN_URL,
      returnUrl: RETURN_URL,
    };
  };

  const open = async (a: Attempt) => {
    const initiation = await Effect.runPromise(connector.initiate(a));
    if (initiation.kind !== "redirect") throw new Error("MoMo redirects");
    const page = await sandbox.request(initiation.url);
    return { url: initiation.url, page, html: await page.text() };
  };

  const sim = (path: string, body?: unknown, method = "POST") =>
    sandbox.request(`/momo${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    });

  const pay = async (reference: string, outcome: "success" | "failure" | "cancel") => {
    const response = await sim("/_sim/pay", { reference, outcome });
    expect(response.status).toBe(200);
    return ((await response.json()) as { returnUrl: string }).returnUrl;
  };

  /** What the simulator's gateway API answers a raw body. */
  const api = async (operation: string, body: unknown) => {
    const response = await sim(`/v2/gateway/api/${operation}`, body);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  const transactions = async () =>
    (
      (await (await sim("/_sim/transactions", undefined, "GET")).json()) as {
        transactions: Array<{
          orderId: string;
          deliveries: Array<{ status: number | null }>;
          refunds: Array<{ orderId: string; resultCode: number }>;
        }>;
      }
    ).transactions;

  const refundRequest = (
    a: Attempt,
    transId: string | null,
    amount: number,
    reference: string,
  ): RefundRequest => ({
    refundId: `rf-${reference}`,
    reference,
    attempt: a,
    providerTxnId: transId,
    paidAt: clock,
    amount,
    full: amount === a.amount,
    reason: "Hoàn phí hồ sơ",
    requestedAt: clock,
    requestedBy: "paygov",
  });

  const paidTransId = () => {
    const last = ipns.at(-1)?.verification;
    if (!last?.ok || last.callback.providerTxnId === null) throw new Error("no verified IPN with a transId");
    return last.callback.providerTxnId;
  };

  return {
    config,
    connector,
    runtime,
    sandbox,
    ipns,
    attempt,
    open,
    sim,
    pay,
    api,
    transactions,
    refundRequest,
    paidTransId,
    setClock: (next: Date) => {
      clock = next;
    },
  };
};

const returnVerification = (h: ReturnType<typeof harness>, returnUrl: string) => {
  const url = new URL(returnUrl);
  return h.connector.verifyCallback(
    { method: "GET", url: url.href, query: url.searchParams, headers: {}, body: "" },
    "return",
  );
};

describe("connector ⇄ simulator: paying", () => {
  it("creates at MoMo, shows the Vietnamese page at the payUrl, sends a verified IPN and a signed redirect", async () => {
    const h = harness();
    const a = h.attempt("PG240815PAY0000001");
    const { url, page, html } = await h.open(a);
    expect(url.startsWith("http://127.0.0.1:3999/momo/v2/gateway/pay?t=")).toBe(true);
    expect(page.status).toBe(200);
    expect(html).toContain('lang="vi"');
    expect(html).toContain("Cổng thanh toán MoMo");
    expect(html).toMatch(/data-testid="sim-amount">150\.000/);
    for (const code of [0, 1001, 1006]) expect(html).toContain(`data-testid="sim-pay-${code}"`);

    const returnUrl = await h.pay(a.reference, "success");
    expect(h.ipns.map((seen) => seen.ack)).toEqual(["accepted"]);
    expect(h.ipns[0]?.verification).toMatchObject({
      ok: true,
      callback: { reference: a.reference, amount: 150_000, outcome: "succeeded", providerCode: "0" },
    });
    expect(returnUrl.startsWith(`${RETURN_URL}?`)).toBe(true);
    const back = returnVerification(h, returnUrl);
    expect(back).toMatchObject({ ok: true, callback: { outcome: "succeeded", amount: 150_000 } });
    expect(back.ok && back.callback.providerTxnId).toBe(h.paidTransId());
    // The page is gone once the order is paid.
    expect((await h.sandbox.request(url)).status).toBe(409);
  });

  it("shows English for lang=en, and declines (1006) through the page's form: failed, cancelled by the payer", async () => {
    const h = harness();
    const a = h.attempt("PG240815PAY0000002", 150_000, "en");
    const { url, html } = await h.open(a);
    expect(html).toContain('lang="en"');
    expect(html).toContain("MoMo payment gateway");
    const vi = await (await h.sandbox.request(`${url}&lang=vi`)).text();
    expect(vi).toContain("Cổng thanh toán MoMo");
    const token = new URL(url).searchParams.get("t") ?? "";
    const response = await h.sandbox.request("/momo/v2/gateway/pay", {
      method: "POST",
      body: new URLSearchParams({ t: token, outcome: "1006", callback: "normal" }),
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")?.startsWith(`${RETURN_URL}?`)).toBe(true);
    expect(h.ipns.map((seen) => seen.verification)).toMatchObject([
      { ok: true, callback: { outcome: "failed", cancelledByPayer: true, providerCode: "1006" } },
    ]);
    const message = new URL(response.headers.get("location") ?? "").searchParams.get("message");
    expect(message).toBe(MOMO_RESULT_CODES[1006].text.en);
  });

  it("reports insufficient funds (1001) as failed, not cancelled", async () => {
    const h = harness();
    const a = h.attempt("PG240815PAY0000003");
    await h.open(a);
    await h.pay(a.reference, "failure");
    expect(h.ipns[0]?.verification).toMatchObject({
      ok: true,
      callback: { outcome: "failed", cancelledByPayer: false, providerCode: "1001" },
    });
  });

  it("catches a tampered, re-signed amount by the amount check; MoMo keeps trying on HTTP 400", async () => {
    const h = harness();
    const a = h.attempt("PG240815PAY0000004");
    await h.sim("/_sim/behaviour", { reference: a.reference, tamperAmount: true });
    await h.open(a);
    const returnUrl = await h.pay(a.reference, "success");
    expect(h.ipns[0]?.verification).toMatchObject({ ok: true, callback: { amount: 151_000 } });
    expect(h.ipns.map((seen) => seen.ack)).toEqual(Array(4).fill("amount_mismatch"));
    const [order] = await h.transactions();
    expect(order?.deliveries.map((d) => d.status)).toEqual([400, 400, 400, 400]);
    // The browser's redirect still carries the true amount.
    expect(returnVerification(h, returnUrl)).toMatchObject({ ok: true, callback: { amount: 150_000 } });
  });

  it("refuses an IPN signed with the wrong key", async () => {
    const h = harness();
    const a = h.attempt("PG240815PAY0000005", 10_006); // the magic amount: "signs with a wrong key"
    await h.open(a);
    await h.pay(a.reference, "success");
    expect(h.ipns[0]).toMatchObject({ ack: "signature_invalid", verification: { ok: false } });
  });

  it("sends the IPN twice on `duplicate`; the second is answered 204 too", async () => {
    const h = harness();
    const a = h.attempt("PG240815PAY0000006");
    await h.sim("/_sim/behaviour", { reference: a.reference, callback: "duplicate" });
    await h.open(a);
    await h.pay(a.reference, "success");
    expect(h.ipns.map((seen) => seen.ack).sort()).toEqual(["accepted", "duplicate"]);
    const [order] = await h.transactions();
    expect(order?.deliveries.map((d) => d.status)).toEqual([204, 204]);
  });

  it("keeps a dropped IPN for the kit, and sends it on resend", async () => {
    const h = harness();
    const a = h.attempt("PG240815PAY0000007");
    await h.sim("/_sim/behaviour", { reference: a.reference, callback: "drop" });
    await h.open(a);
    await h.pay(a.reference, "success");
    expect(h.ipns).toHaveLength(0);
    const captured = (await (await h.sim(`/_sim/callbacks/${a.reference}`, undefined, "GET")).json()) as {
      method: string;
      url: string;
      body: string;
    };
    expect(captured).toMatchObject({ method: "POST", url: IPN_URL });
    expect(parseMomoJson(captured.body)).toMatchObject({
      ok: true,
      value: { orderId: a.reference, resultCode: "0" },
    });
    const resent = (await (await h.sim(`/_sim/callbacks/${a.reference}/resend`)).json()) as {
      deliveries: Array<{ status: number }>;
    };
    expect(resent.deliveries.map((d) => d.status)).toEqual([204]);
    expect(h.ipns.map((seen) => seen.ack)).toEqual(["accepted"]);
  });

  it("pays at once on autoPay, and refuses to pay twice", async () => {
    const h = harness();
    const a = h.attempt("PG240815PAY0000008");
    await h.sim("/_sim/behaviour", { reference: a.reference, autoPay: "cancel" });
    const { page } = await h.open(a);
    expect(page.status).toBe(302);
    expect(h.ipns[0]?.verification).toMatchObject({ ok: true, callback: { cancelledByPayer: true } });
    expect((await h.sim("/_sim/pay", { reference: a.reference, outcome: "success" })).status).toBe(409);
    expect((await h.sim("/_sim/pay", { reference: "PG000NEVERCREATED", outcome: "success" })).status).toBe(
      404,
    );
  });
});

describe("connector ⇄ simulator: create", () => {
  it("replays MoMo's first answer to a retried create (same requestId): the same payUrl, no 41", async () => {
    const h = harness();
    const a = h.attempt("PG240815CRE0000001");
    const first = await Effect.runPromise(h.connector.initiate(a));
    const again = await Effect.runPromise(h.connector.initiate(a));
    expect(again).toEqual(first);
  });

  it("asks the query when MoMo already holds the orderId (41, then 40): unknown while open, Declined once closed", async () => {
    const h = harness();
    const a = h.attempt("PG240815CRE0000002");
    const elsewhere = buildCreateRequest(
      {
        orderId: a.reference,
        requestId: "an-earlier-try",
        amount: a.amount,
        orderInfo: a.orderInfo,
        ipnUrl: IPN_URL,
        redirectUrl: RETURN_URL,
        lang: "vi",
      },
      merchant,
    );
    if (!elsewhere.ok) throw new Error(elsewhere.message);
    expect((await h.api("create", elsewhere.value)).body.resultCode).toBe(0);

    const open = await failureOf(h.connector.initiate(a));
    expect(open._tag).toBe("OutcomeUnknown");
    expect(open.message).toContain("(41:");
    expect(open.message).toContain("pending (1000)");

    await h.pay(a.reference, "failure");
    const closed = await failureOf(h.connector.initiate(a));
    expect(closed).toMatchObject({ _tag: "Declined", providerCode: "1001" });
  });

  it("turns MoMo's refusals into typed errors: bad signature 20 (with MoMo's echo), unknown partner 13", async () => {
    const wrongKey = harness({ connectorEnv: { MOMO_SECRET_KEY: "not-the-secret" } });
    const bad = await failureOf(wrongKey.connector.initiate(wrongKey.attempt("PG240815CRE0000003")));
    expect(bad).toMatchObject({ _tag: "InvalidRequest", providerCode: "20" });
    expect(bad.message).toContain("raw data: accessKey=********&amount=150000&extraData=&ipnUrl=");
    expect(bad.message).not.toContain(ACCESS);

    const stranger = harness({ connectorEnv: { MOMO_PARTNER_CODE: "MOMOSTRANGER" } });
    expect(
      await failureOf(stranger.connector.initiate(stranger.attempt("PG240815CRE0000004"))),
    ).toMatchObject({
      _tag: "InvalidRequest",
      providerCode: "13",
    });
  });

  it("refuses locally what MoMo cannot take, without calling it", async () => {
    const h = harness();
    expect(await failureOf(h.connector.initiate(h.attempt("PG240815CRE0000005", 500)))).toMatchObject({
      _tag: "InvalidRequest",
    });
    expect(await h.transactions()).toEqual([]);
  });

  it("maps transport failures: 503 → Unavailable, hang → OutcomeUnknown, refused connection → Unavailable", async () => {
    const h = harness({ timeoutMs: 50 });
    expect(await failureOf(h.connector.initiate(h.attempt("PG240815CRE0000006", 10_009)))).toMatchObject({
      _tag: "Unavailable",
    });
    await h.sim("/_sim/behaviour", { initiate: "hang" });
    expect(await failureOf(h.connector.initiate(h.attempt("PG240815CRE0000007")))).toMatchObject({
      _tag: "OutcomeUnknown",
    });
    await h.sim("/_sim/behaviour", undefined, "DELETE");

    const refused = new TypeError("fetch failed", {
      cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }),
    });
    const offline = makeMomo(h.config, { ...h.runtime, fetch: () => Promise.reject(refused) });
    expect(await failureOf(offline.initiate(h.attempt("PG240815CRE0000008")))).toMatchObject({
      _tag: "Unavailable",
    });
    const reset = makeMomo(h.config, {
      ...h.runtime,
      fetch: () => Promise.reject(new TypeError("socket hang up")),
    });
    expect(await failureOf(reset.initiate(h.attempt("PG240815CRE0000009")))).toMatchObject({
      _tag: "OutcomeUnknown",
    });
    const proxy = makeMomo(h.config, {
      ...h.runtime,
      fetch: () => Promise.resolve(new Response("<html>Bad Request</html>", { status: 400 })),
    });
    expect(await failureOf(proxy.initiate(h.attempt("PG240815CRE0000010")))).toMatchObject({
      _tag: "InvalidRequest",
    });
  });

  it("answers the gateway API's format errors with 20 and its subErrors, and never spends a requestId on them", async () => {
    const h = harness();
    expect(await h.api("create", "not an object")).toMatchObject({ status: 400, body: { resultCode: 20 } });
    const missing = await h.api("create", { partnerCode: PARTNER, requestId: "r1" });
    expect(missing.status).toBe(400);
    expect(missing.body.subErrors).toContainEqual({ field: "amount", message: "required" });
    const request = buildCreateRequest(
      {
        orderId: "PG240815CRE0000011",
        requestId: "r-format",
        amount: 20_000,
        orderInfo: "x",
        ipnUrl: IPN_URL,
        redirectUrl: RETURN_URL,
        lang: "en",
      },
      merchant,
    );
    if (!request.ok) throw new Error(request.message);
    const forged = await h.api("create", { ...request.value, signature: "0".repeat(64) });
    expect(forged.body).toMatchObject({ resultCode: 20, subErrors: [{ field: "signature" }] });
    // The forgery spent nothing: the genuine request with the same requestId goes through.
    expect((await h.api("create", request.value)).body).toMatchObject({
      resultCode: 0,
      message: "Successful.",
    });
    // A different request reusing that requestId is not a retry: 40.
    const other = buildCreateRequest(
      {
        orderId: "PG240815CRE0000012",
        requestId: "r-format",
        amount: 20_000,
        orderInfo: "x",
        ipnUrl: IPN_URL,
        redirectUrl: RETURN_URL,
        lang: "en",
      },
      merchant,
    );
    if (!other.ok) throw new Error(other.message);
    expect((await h.api("create", other.value)).body.resultCode).toBe(40);
  });
});

describe("connector ⇄ simulator: query, refund, reconciliation", () => {
  it("queries with a fresh requestId each time: pending before paying, succeeded after", async () => {
    const h = harness();
    const a = h.attempt("PG240815QRY0000001");
    await h.open(a);
    expect(await Effect.runPromise(h.connector.query(a))).toMatchObject({
      outcome: "pending",
      providerCode: "1000",
    });
    expect(await Effect.runPromise(h.connector.query(a))).toMatchObject({
      outcome: "pending",
      providerCode: "1000",
    });
    await h.pay(a.reference, "success");
    expect(await Effect.runPromise(h.connector.query(a))).toEqual({
      outcome: "succeeded",
      providerTxnId: h.paidTransId(),
      amount: 150_000,
      providerCode: "0",
      paidAt: CREATED,
    });
    // Never paid: once MoMo's page has expired, the order reports 1005.
    const late = h.attempt("PG240815QRY0000002");
    await h.open(late);
    h.setClock(new Date(CREATED.getTime() + 101 * 60_000));
    expect(await Effect.runPromise(h.connector.query(late))).toMatchObject({
      outcome: "failed",
      providerCode: "1005",
    });
  });

  it("replays a query's answer for a repeated requestId after a final code, 40 after a pending one (§2.5)", async () => {
    const h = harness();
    const a = h.attempt("PG240815QRY0000003");
    await h.open(a);
    const pendingQuery = buildQueryRequest(
      { orderId: a.reference, requestId: "q-pending", lang: "vi" },
      merchant,
    );
    expect((await h.api("query", pendingQuery)).body.resultCode).toBe(1000);
    expect((await h.api("query", pendingQuery)).body.resultCode).toBe(40);
    await h.pay(a.reference, "success");
    const paidQuery = buildQueryRequest({ orderId: a.reference, requestId: "q-paid", lang: "vi" }, merchant);
    const first = await h.api("query", paidQuery);
    h.setClock(new Date(CREATED.getTime() + 60_000));
    expect(await h.api("query", paidQuery)).toEqual(first);
    expect((await h.api("query", { ...paidQuery, orderId: "PGUNKNOWN" })).body.resultCode).toBe(20);
    const unknown = buildQueryRequest({ orderId: "PGUNKNOWN", requestId: "q-unknown", lang: "vi" }, merchant);
    expect((await h.api("query", unknown)).body.resultCode).toBe(42);
  });

  it("maps query transport failures: 503 → Unavailable, hang → OutcomeUnknown", async () => {
    const h = harness({ timeoutMs: 50 });
    const a = h.attempt("PG240815QRY0000004");
    await h.open(a);
    await h.sim("/_sim/behaviour", { reference: a.reference, api: "unavailable" });
    expect(await failureOf(h.connector.query(a))).toMatchObject({ _tag: "Unavailable" });
    await h.sim("/_sim/behaviour", { reference: a.reference, api: "hang" });
    expect(await failureOf(h.connector.query(a))).toMatchObject({ _tag: "OutcomeUnknown" });
  });

  it("refunds in part under a fresh orderId, replays a retried refund, refuses too much, and reports status", async () => {
    const h = harness();
    const a = h.attempt("PG240815RFD0000001");
    await h.open(a);
    await h.pay(a.reference, "success");
    const transId = h.paidTransId();

    const first = h.refundRequest(a, transId, 50_000, "RF240815A1");
    const taken = await Effect.runPromise(h.connector.refund(first));
    expect(taken).toMatchObject({ outcome: "succeeded", providerCode: "0" });
    expect(taken.providerRefundId).toMatch(/^\d{10}$/);
    expect(await Effect.runPromise(h.connector.refund(first))).toEqual(taken);
    expect(await Effect.runPromise(h.connector.refundStatus(first))).toEqual(taken);

    const tooMuch = h.refundRequest(a, transId, 120_000, "RF240815A2");
    expect(await Effect.runPromise(h.connector.refund(tooMuch))).toMatchObject({
      outcome: "failed",
      providerCode: "1081",
    });
    expect(await Effect.runPromise(h.connector.refundStatus(tooMuch))).toMatchObject({
      outcome: "failed",
      providerCode: "1081",
    });
    // A refund under the payment's own orderId (and so its create's requestId) repeats what MoMo has seen
    // (40/41): PayGov asks the refund query, which does not list it.
    const sameOrderId = h.refundRequest(a, transId, 10_000, a.reference);
    expect(await Effect.runPromise(h.connector.refund(sameOrderId))).toMatchObject({ outcome: "unknown" });
    // Asked about a refund it never received, MoMo lists nothing: PayGov sends it, once.
    const never = h.refundRequest(a, transId, 10_000, "RF240815A3");
    const sent = await Effect.runPromise(h.connector.refundStatus(never));
    expect(sent).toMatchObject({ outcome: "succeeded", providerCode: "0" });
    expect(await Effect.runPromise(h.connector.refundStatus(never))).toEqual(sent);
    expect(await failureOf(h.connector.refund(h.refundRequest(a, null, 10_000, "RF240815A4")))).toMatchObject(
      {
        _tag: "InvalidRequest",
      },
    );
    expect(
      await failureOf(h.connector.refund(h.refundRequest(a, "999", 10_000, "RF240815A5"))),
    ).toMatchObject({
      _tag: "InvalidRequest",
      providerCode: "42",
    });
  });

  it("finds a refund whose answer was lost through the refund query, and never refunds twice", async () => {
    const h = harness();
    const a = h.attempt("PG240815RFD0000004");
    await h.open(a);
    await h.pay(a.reference, "success");
    // MoMo takes the refund, but its answer never reaches PayGov (a reset after the request was read).
    const lossy = makeMomo(h.config, {
      ...h.runtime,
      fetch: async (input, init) => {
        const response = await h.runtime.fetch(input, init);
        if (String(input).endsWith("/v2/gateway/api/refund")) throw new TypeError("socket hang up");
        return response;
      },
    });
    const request = h.refundRequest(a, h.paidTransId(), 60_000, "RF240815D1");
    expect(await failureOf(lossy.refund(request))).toMatchObject({ _tag: "OutcomeUnknown" });
    const found = await Effect.runPromise(h.connector.refundStatus(request));
    expect(found).toMatchObject({ outcome: "succeeded", providerCode: "0" });
    expect(await Effect.runPromise(h.connector.refund(request))).toEqual(found);
    const order = (await h.transactions()).find((t) => t.orderId === a.reference);
    expect(order?.refunds).toMatchObject([{ orderId: "RF240815D1", resultCode: 0 }]);
  });

  it("refuses refunds when told to, and of unpaid orders (1088)", async () => {
    const h = harness();
    const a = h.attempt("PG240815RFD0000002");
    await h.open(a);
    await h.pay(a.reference, "success");
    await h.sim("/_sim/behaviour", { reference: a.reference, refund: "refuse" });
    expect(
      await Effect.runPromise(h.connector.refund(h.refundRequest(a, h.paidTransId(), 150_000, "RF240815B1"))),
    ).toMatchObject({ outcome: "failed", providerCode: "1088" });

    const b = h.attempt("PG240815RFD0000003");
    await h.open(b);
    await h.pay(b.reference, "failure");
    expect(
      await Effect.runPromise(h.connector.refund(h.refundRequest(b, h.paidTransId(), 150_000, "RF240815B2"))),
    ).toMatchObject({ outcome: "failed", providerCode: "1088" });
  });

  it("serves the day's reconciliation file in the canonical layout, payments and refunds", async () => {
    const h = harness();
    const a = h.attempt("PG240815REC0000001");
    await h.open(a);
    await h.pay(a.reference, "success");
    const transId = h.paidTransId();
    await Effect.runPromise(h.connector.refund(h.refundRequest(a, transId, 40_000, "RF240815C1")));
    const b = h.attempt("PG240815REC0000002");
    await h.open(b);
    await h.pay(b.reference, "cancel");

    const file = await Effect.runPromise(h.connector.reconciliationFile("2024-08-15"));
    const lines = file.split("\r\n");
    expect(lines.at(-1)).toBe("");
    const [header, ...rest] = lines.slice(0, -1);
    const trailer = rest.pop();
    expect(header).toMatch(/^H,MOMO,MOMOTEST0001,2024-08-15,2024-08-15T10:30:00\+07:00,1$/);
    expect(rest.map((line) => line.split(",").length)).toEqual([19, 19, 19]);
    const [payment, refund, declined] = rest.map((line) => line.split(","));
    expect(payment?.slice(0, 10)).toEqual([
      "D",
      "MOMO",
      PARTNER,
      "PAYMENT",
      a.reference,
      transId,
      "",
      "150000",
      "0",
      "150000",
    ]);
    expect(payment?.slice(13)).toEqual(["2024-08-15", "qr", "SUCCESS", "0", "", "000.00.00.H01-240815-0001"]);
    expect(refund?.slice(3, 8)).toEqual(["REFUND", "RF240815C1", refund?.[5], transId, "40000"]);
    expect(declined?.slice(15, 17)).toEqual(["FAILED", "1006"]);
    const digest = createHash("sha256")
      .update(rest.map((line) => `${line}\r\n`).join(""))
      .digest("hex");
    expect(trailer).toBe(`T,3,340000,0,340000,${digest}`);

    const empty = await Effect.runPromise(h.connector.reconciliationFile("2024-08-16"));
    expect(empty.split("\r\n").at(-2)).toBe(`T,0,0,0,0,${createHash("sha256").update("").digest("hex")}`);
    expect((await h.sim("/recon?date=20240231", undefined, "GET")).status).toBe(400);
    expect(await failureOf(h.connector.reconciliationFile("15/08/2024"))).toMatchObject({
      _tag: "InvalidRequest",
    });
  });

  it("answers bad control requests with 4xx, never a crash", async () => {
    const h = harness();
    expect((await h.sim("/_sim/behaviour", { callback: "sometimes" })).status).toBe(400);
    expect((await h.sim("/_sim/pay", { reference: "x", outcome: "maybe" })).status).toBe(400);
    expect((await h.sim("/_sim/callbacks/none", undefined, "GET")).status).toBe(404);
    expect((await h.sandbox.request("/momo/v2/gateway/pay?t=nope")).status).toBe(404);
    const a = h.attempt("PG240815CTL0000001");
    const { url } = await h.open(a);
    const token = new URL(url).searchParams.get("t") ?? "";
    const bad = await h.sandbox.request("/momo/v2/gateway/pay", {
      method: "POST",
      body: new URLSearchParams({ t: token, outcome: "7000" }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('data-reason="invalidOutcome"');
  });
});

describe("MoMo configuration", () => {
  it("disables the connector with a message naming MOMO_SECRET_KEY when it is missing", () => {
    const { MOMO_SECRET_KEY: _omitted, ...withoutSecret } = ENV;
    const set = loadConnectors([momo], withoutSecret, {
      fetch: globalThis.fetch,
      now: () => new Date(),
      serverIp: "127.0.0.1",
      requestTimeoutMs: 1000,
    });
    expect(set.live.has("momo")).toBe(false);
    expect(set.disabled).toHaveLength(1);
    expect(set.disabled[0]?.id).toBe("momo");
    expect(set.disabled[0]?.reason).toContain("MOMO_SECRET_KEY");
    expect(set.disabled[0]?.reason).not.toContain(SECRET);
  });

  it("defaults the gateway and the file to the bundled simulator, and keeps the keys redacted", () => {
    const config = configFrom({
      MOMO_PARTNER_CODE: PARTNER,
      MOMO_ACCESS_KEY: ACCESS,
      MOMO_SECRET_KEY: SECRET,
    });
    expect(gatewayUrl(config, "create").href).toBe("http://127.0.0.1:3001/momo/v2/gateway/api/create");
    expect(gatewayUrl(config, "refund/query").href).toBe(
      "http://127.0.0.1:3001/momo/v2/gateway/api/refund/query",
    );
    expect(config.reconUrl.href).toBe("http://127.0.0.1:3001/momo/recon");
    expect(momo.browserOrigins(config)).toEqual(["http://127.0.0.1:3001"]);
    expect(String(config.secretKey)).not.toContain(SECRET);
    expect(String(config.accessKey)).not.toContain(ACCESS);

    const production = configFrom({
      MOMO_PARTNER_CODE: PARTNER,
      MOMO_ACCESS_KEY: ACCESS,
      MOMO_SECRET_KEY: SECRET,
      MOMO_API_URL: "https://payment.momo.vn/",
    });
    expect(gatewayUrl(production, "query").href).toBe("https://payment.momo.vn/v2/gateway/api/query");
    expect(momo.browserOrigins(production)).toEqual(["https://payment.momo.vn"]);
  });

  it("declares every operation it implements", () => {
    const h = harness();
    expect(momo.capabilities).toMatchObject({
      redirect: true,
      query: true,
      refund: true,
      refundStatus: true,
      reconciliationFile: true,
    });
    expect(typeof h.connector.refundStatus).toBe("function");
  });
});
