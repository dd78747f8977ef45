import { createHash } from "node:crypto";
import { ConfigProvider, Effect, Exit } from "effect";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { Acknowledgement, Attempt, RefundRequest, Verification } from "../sdk/contract.ts";
import { loadConnectors } from "../sdk/load.ts";
import type { ZalopayConfig } from "./config.ts";
import { makeZalopay, zalopay } from "./index.ts";
import {
  buildQueryRefundRequest,
  buildQueryRequest,
  buildRefundRequest,
  queryRefundMacData,
  refundMacData,
  toCreateDecision,
  toMRefundId,
  toQueryDecision,
  toRefundDecision,
} from "./merchant-api.ts";
import {
  buildCreateRequest,
  CALLBACK_ANSWERS,
  callbackAnswerFinal,
  callbackResponse,
  createMacData,
  hmacSha256Hex,
  redirectChecksumData,
  referenceOf,
  signCallbackBody,
  signRedirectQuery,
  toAppTransId,
  verifyCallbackBody,
  verifyRedirectQuery,
} from "./protocol.ts";

// Appendix, "test vectors": ZaloPay's made-up keys and app, and the values they were computed from.
const KEY1 = "FAKEZALOKEY1";
const KEY2 = "FAKEZALOKEY2";
const APP_ID = 2553;
const merchant = { appId: APP_ID, key1: KEY1, key2: KEY2 };
const APP_TIME = new Date(1723693200000); // 2024-08-15 10:40:00 in Hà Nội
const RETURN = "https://example.gov.vn/zp/return";

const CREATE_STRING = `2553|240815_HS0001|user01|50000|1723693200000|{"redirecturl":"${RETURN}"}|[]`;
const CREATE_MAC = "18a7cabdcfa525a60bc5ac9b36f09fc82b8312703cc276a062feea0818c1d0a6";
const CALLBACK_DATA =
  '{"app_id":2553,"app_trans_id":"240815_HS0001","app_time":1723693200000,"app_user":"user01","amount":50000,' +
  '"embed_data":"{\\"redirecturl\\":\\"https://example.gov.vn/zp/return\\"}","item":"[]","zp_trans_id":240815000000389,' +
  '"server_time":1723693260000,"channel":38,"merchant_user_id":"abc","user_fee_amount":0,"discount_amount":0}';
const CALLBACK_MAC = "2ffae4f2ae8e5e9d68a5534812d7951fcf53cfb8547b9c2a91b2734f8ce710c5";
const QUERY_MAC = "070f51abbca302acfd6f007f94912bf3396fd8f788d98953e9c0328f05b3881e";
const REDIRECT_STRING = "2553|240815_HS0001|38|zalopayapp|50000|0|1";
const REDIRECT_CHECKSUM = "39d12097713e3e59e6b97281d783ee9ddc6003448760c03e6dc58fe9718c0a91";
const REFUND_STRING = "2553|240815000000389|50000|Hoan phi|1723779600000";
const REFUND_MAC = "9b263909a3ab6bb6290651a07352cdb908fddcd3055ece60d426607ca53c1bb6";

const REDIRECT_FIELDS = {
  appid: "2553",
  apptransid: "240815_HS0001",
  pmcid: "38",
  bankcode: "zalopayapp",
  amount: "50000",
  discountamount: "0",
  status: "1",
};

const callbackBody = (data: string, mac: string) => JSON.stringify({ data, mac, type: 1 });

describe("ZaloPay mac vectors (Appendix)", () => {
  it("signs the create order with key1 over app_id|app_trans_id|app_user|amount|app_time|embed_data|item", () => {
    const fields = {
      app_id: "2553",
      app_trans_id: "240815_HS0001",
      app_user: "user01",
      amount: "50000",
      app_time: "1723693200000",
      embed_data: `{"redirecturl":"${RETURN}"}`,
      item: "[]",
    };
    expect(createMacData(fields)).toBe(CREATE_STRING);
    expect(hmacSha256Hex(KEY1, CREATE_STRING)).toBe(CREATE_MAC);

    const built = buildCreateRequest(
      {
        reference: "HS0001",
        amount: 50_000,
        description: "Thanh toan ho so 000.00.00.H01-240815-0001",
        createdAt: APP_TIME,
        expiresAt: new Date(APP_TIME.getTime() + 15 * 60_000),
        redirectUrl: RETURN,
        callbackUrl: "https://example.gov.vn/zp/ipn",
      },
      merchant,
    );
    if (!built.ok) throw new Error(built.message);
    // The same fields as the vector but for app_user, which PayGov fills with its own name.
    expect(built.value).toMatchObject({
      ...fields,
      app_user: "PayGov",
      expire_duration_seconds: "900",
      bank_code: "",
    });
    expect(built.value.mac).toBe(hmacSha256Hex(KEY1, createMacData({ ...fields, app_user: "PayGov" })));
  });

  it("verifies the callback with key2 over the data string exactly as received", () => {
    expect(hmacSha256Hex(KEY2, CALLBACK_DATA)).toBe(CALLBACK_MAC);
    expect(signCallbackBody(CALLBACK_DATA, KEY2)).toBe(callbackBody(CALLBACK_DATA, CALLBACK_MAC));
    expect(verifyCallbackBody(callbackBody(CALLBACK_DATA, CALLBACK_MAC), merchant)).toEqual({
      ok: true,
      callback: {
        reference: "HS0001",
        providerTxnId: "240815000000389",
        amount: 50_000,
        outcome: "succeeded",
        providerCode: "1",
        paidAt: new Date(1723693260000),
        cancelledByPayer: false,
      },
    });
    expect(verifyCallbackBody(callbackBody(CALLBACK_DATA, CALLBACK_MAC.toUpperCase()), merchant).ok).toBe(
      true,
    );
  });

  it("never re-serialises data: other spacing keeps its own mac, the vector's mac no longer fits", () => {
    const spaced = JSON.stringify(JSON.parse(CALLBACK_DATA), null, 1);
    expect(verifyCallbackBody(callbackBody(spaced, CALLBACK_MAC), merchant)).toMatchObject({
      ok: false,
      rejection: { reason: "signature_invalid" },
    });
    expect(verifyCallbackBody(callbackBody(spaced, hmacSha256Hex(KEY2, spaced)), merchant)).toMatchObject({
      ok: true,
      callback: { reference: "HS0001", amount: 50_000 },
    });
  });

  it("signs the query with key1 itself as the last element", () => {
    expect(buildQueryRequest("240815_HS0001", merchant)).toEqual({
      app_id: "2553",
      app_trans_id: "240815_HS0001",
      mac: QUERY_MAC,
    });
  });

  it("checks the redirect with key2 and treats it as display only", () => {
    expect(redirectChecksumData(REDIRECT_FIELDS)).toBe(REDIRECT_STRING);
    const query = new URLSearchParams(signRedirectQuery(REDIRECT_FIELDS, KEY2));
    expect(query.get("checksum")).toBe(REDIRECT_CHECKSUM);
    expect(verifyRedirectQuery(query, merchant)).toEqual({
      ok: true,
      callback: {
        reference: "HS0001",
        providerTxnId: null,
        amount: 50_000,
        outcome: "pending",
        providerCode: "1",
        paidAt: null,
        cancelledByPayer: false,
      },
    });
  });

  it("signs the refund with key1 over app_id|zp_trans_id|amount|description|timestamp", () => {
    const built = buildRefundRequest(
      {
        mRefundId: "240816_2553_RF1",
        zpTransId: "240815000000389",
        amount: 50_000,
        description: "Hoan phi",
        timestamp: new Date(1723779600000),
      },
      merchant,
    );
    if (!built.ok) throw new Error(built.message);
    expect(refundMacData(built.value)).toBe(REFUND_STRING);
    expect(built.value.mac).toBe(REFUND_MAC);
    const withFee = buildRefundRequest(
      {
        mRefundId: "240816_2553_RF1",
        zpTransId: "240815000000389",
        amount: 50_000,
        refundFeeAmount: 1_000,
        description: "Hoan phi",
        timestamp: new Date(1723779600000),
      },
      merchant,
    );
    if (!withFee.ok) throw new Error(withFee.message);
    expect(refundMacData(withFee.value)).toBe("2553|240815000000389|50000|1000|Hoan phi|1723779600000");
  });

  it("signs the refund query over app_id|m_refund_id|timestamp", () => {
    const request = buildQueryRefundRequest("240816_2553_RF1", new Date(1723779600000), merchant);
    expect(queryRefundMacData(request.app_id, request.m_refund_id, request.timestamp)).toBe(
      "2553|240816_2553_RF1|1723779600000",
    );
    expect(request.mac).toBe(hmacSha256Hex(KEY1, "2553|240816_2553_RF1|1723779600000"));
  });
});

describe("ZaloPay identifiers are dated in GMT+7", () => {
  it("prefixes app_trans_id with the attempt's Vietnam date and maps it back to our reference", () => {
    // 17:30 UTC is already the next day in Hà Nội, whatever zone the server runs in.
    expect(toAppTransId("PG240816ABCDEFGHIJ", new Date("2024-08-15T17:30:00Z"))).toEqual({
      ok: true,
      value: "240816_PG240816ABCDEFGHIJ",
    });
    expect(toAppTransId("PG1", new Date("2024-08-15T16:59:59Z"))).toEqual({ ok: true, value: "240815_PG1" });
    expect(toAppTransId("x".repeat(34), APP_TIME).ok).toBe(false);
    expect(toAppTransId("PG 1", APP_TIME).ok).toBe(false);
    expect(referenceOf("240816_PG240816ABCDEFGHIJ")).toBe("PG240816ABCDEFGHIJ");
    expect(referenceOf("PG240816ABCDEFGHIJ")).toBeNull();
    expect(referenceOf("2408_PG1")).toBeNull();
  });

  it("builds m_refund_id as yymmdd_appid_<refund reference> (§3.4)", () => {
    expect(toMRefundId(new Date("2024-08-15T17:30:00Z"), APP_ID, "RFK2J9")).toEqual({
      ok: true,
      value: "240816_2553_RFK2J9",
    });
    expect(toMRefundId(APP_TIME, APP_ID, "RF-1").ok).toBe(false);
  });
});

describe("ZaloPay callback answers and verification", () => {
  it("answers 1 for accepted and duplicate, 0 for our own error, -1 for every refusal", () => {
    const answers = Object.fromEntries(
      (Object.keys(CALLBACK_ANSWERS) as Acknowledgement[]).map((ack) => [ack, callbackResponse(ack)]),
    );
    expect(answers.accepted).toEqual({
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8" },
      body: '{"return_code":1,"return_message":"success"}',
    });
    expect(answers.duplicate?.body).toBe(answers.accepted?.body);
    expect(JSON.parse(answers.error?.body ?? "")).toMatchObject({ return_code: 0 });
    for (const ack of ["signature_invalid", "malformed", "unknown_reference", "amount_mismatch"] as const)
      expect(JSON.parse(answers[ack]?.body ?? "")).toMatchObject({ return_code: -1 });
    expect(JSON.parse(answers.signature_invalid?.body ?? "")).toEqual({
      return_code: -1,
      return_message: "mac not equal",
    });
  });

  it("stops ZaloPay's retries on every readable answer but 0", () => {
    expect(callbackAnswerFinal(200, callbackResponse("accepted").body)).toBe(true);
    expect(callbackAnswerFinal(200, callbackResponse("amount_mismatch").body)).toBe(true);
    expect(callbackAnswerFinal(200, callbackResponse("error").body)).toBe(false);
    expect(callbackAnswerFinal(500, callbackResponse("accepted").body)).toBe(false);
    expect(callbackAnswerFinal(200, "<html>")).toBe(false);
  });

  it("refuses what it cannot verify or read, and keeps zp_trans_id's digits past 2^53", () => {
    const reject = (body: string) => {
      const v = verifyCallbackBody(body, merchant);
      return v.ok ? "ok" : v.rejection.reason;
    };
    expect(reject("not json")).toBe("malformed");
    expect(reject(JSON.stringify({ mac: CALLBACK_MAC, type: 1 }))).toBe("malformed");
    expect(reject(JSON.stringify({ data: CALLBACK_DATA, type: 1 }))).toBe("signature_invalid");
    expect(reject(callbackBody(CALLBACK_DATA, hmacSha256Hex("another key", CALLBACK_DATA)))).toBe(
      "signature_invalid",
    );
    const signed = (data: string, type = 1) => JSON.stringify({ data, mac: hmacSha256Hex(KEY2, data), type });
    expect(reject(signed(CALLBACK_DATA, 2))).toBe("malformed");
    expect(reject(signed(CALLBACK_DATA.replace('"app_id":2553', '"app_id":9999')))).toBe("malformed");
    expect(reject(signed(CALLBACK_DATA.replace("240815_HS0001", "HS0001")))).toBe("malformed");
    expect(reject(signed(CALLBACK_DATA.replace('"amount":50000', '"amount":500.5')))).toBe("malformed");
    expect(reject(signed("[1,2]"))).toBe("malformed");

    const huge = CALLBACK_DATA.replace("240815000000389", "9007199254740993");
    const verified = verifyCallbackBody(signed(huge), merchant);
    expect(verified.ok && verified.callback.providerTxnId).toBe("9007199254740993");
  });

  it("refuses a redirect whose checksum or fields do not hold", () => {
    const signedQuery = (fields: typeof REDIRECT_FIELDS) =>
      new URLSearchParams(signRedirectQuery(fields, KEY2));
    const reason = (v: Verification) => (v.ok ? "ok" : v.rejection.reason);
    const tampered = signedQuery(REDIRECT_FIELDS);
    tampered.set("status", "-49");
    expect(reason(verifyRedirectQuery(tampered, merchant))).toBe("signature_invalid");
    expect(reason(verifyRedirectQuery(new URLSearchParams(REDIRECT_FIELDS), merchant))).toBe(
      "signature_invalid",
    );
    const repeated = signedQuery(REDIRECT_FIELDS);
    repeated.append("amount", "1");
    expect(reason(verifyRedirectQuery(repeated, merchant))).toBe("malformed");
    expect(reason(verifyRedirectQuery(signedQuery({ ...REDIRECT_FIELDS, appid: "1" }), merchant))).toBe(
      "malformed",
    );
    // A failure's redirect verifies too, and still concludes nothing.
    expect(
      verifyRedirectQuery(
        signedQuery({ ...REDIRECT_FIELDS, status: "-329", pmcid: "", bankcode: "" }),
        merchant,
      ),
    ).toMatchObject({ ok: true, callback: { outcome: "pending", providerCode: "-329" } });
  });
});

describe("ZaloPay answer mapping", () => {
  const q = (body: unknown) => toQueryDecision(body);
  const outcomeOf = (body: unknown) => {
    const d = q(body);
    return d.kind === "result" ? d.result.outcome : d.kind;
  };

  it("maps a query's return_code and sub_return_code", () => {
    expect(q({ return_code: 1, sub_return_code: 1, amount: 50000, zp_trans_id: 240815000000389 })).toEqual({
      kind: "result",
      result: {
        outcome: "succeeded",
        providerTxnId: "240815000000389",
        amount: 50_000,
        providerCode: "1/1",
        paidAt: null,
      },
    });
    expect(outcomeOf({ return_code: 1, amount: 50000 })).toBe("unknown"); // no zp_trans_id: nothing proven
    expect(outcomeOf({ return_code: 3, sub_return_code: 3, is_processing: true })).toBe("pending");
    expect(outcomeOf({ return_code: 2, sub_return_code: -54 })).toBe("failed");
    expect(outcomeOf({ return_code: 2, sub_return_code: -329 })).toBe("failed");
    expect(outcomeOf({ return_code: 2, sub_return_code: -2 })).toBe("failed");
    expect(outcomeOf({ return_code: 2 })).toBe("failed");
    expect(outcomeOf({ return_code: 2, sub_return_code: -401 })).toBe("refused");
    expect(outcomeOf({ return_code: 2, sub_return_code: -402 })).toBe("refused");
    expect(outcomeOf({ return_code: -403 })).toBe("refused");
    expect(outcomeOf({ return_code: 2, sub_return_code: -429 })).toBe("unknown");
    expect(outcomeOf({ return_code: 2, sub_return_code: -500 })).toBe("unknown");
    expect(outcomeOf({ return_code: -999 })).toBe("unknown");
    expect(outcomeOf({ return_code: 406 })).toBe("unknown");
    expect(outcomeOf({ return_message: "?" })).toBe("unverifiable");
    expect(outcomeOf("oops")).toBe("unverifiable");
  });

  it("maps a create answer", () => {
    expect(
      toCreateDecision({ return_code: 1, order_url: "https://qcgateway.zalopay.vn/openinapp?order=x" }),
    ).toMatchObject({
      kind: "created",
      orderUrl: "https://qcgateway.zalopay.vn/openinapp?order=x",
    });
    expect(toCreateDecision({ return_code: 1 }).kind).toBe("unverifiable");
    expect(toCreateDecision({ return_code: 2, sub_return_code: -68 })).toMatchObject({
      kind: "refused",
      providerCode: "2/-68",
    });
    expect(toCreateDecision({ return_code: 2, sub_return_code: -402 }).kind).toBe("refused");
    expect(toCreateDecision({ return_code: 2, sub_return_code: -500 }).kind).toBe("busy");
    expect(toCreateDecision({ return_code: 2, sub_return_code: -999 }).kind).toBe("busy");
    expect(toCreateDecision({ return_code: 2, sub_return_code: -33 }).kind).toBe("declined");
    expect(toCreateDecision({ return_code: 7 }).kind).toBe("unverifiable");
  });

  it("maps refund and refund-query answers", () => {
    const r = (body: unknown) => {
      const d = toRefundDecision(body, "refund");
      return d.kind === "result" ? d.result : d.kind;
    };
    expect(r({ return_code: 3, sub_return_code: 3, refund_id: 240816500000001 })).toEqual({
      outcome: "pending",
      providerRefundId: "240816500000001",
      providerCode: "3/3",
    });
    expect(r({ return_code: 1, sub_return_code: 1 })).toMatchObject({
      outcome: "succeeded",
      providerRefundId: null,
    });
    expect(r({ return_code: 2, sub_return_code: -2 })).toMatchObject({ outcome: "failed" });
    expect(r({ return_code: 2, sub_return_code: -500 })).toMatchObject({ outcome: "unknown" });
    expect(r({ return_code: 2, sub_return_code: -401 })).toBe("refused");
    expect(r({ return_code: 2, sub_return_code: -429 })).toBe("busy");
    expect(r(null)).toBe("unverifiable");
  });
});

// ---------------------------------------------------------------------------------------------
// Round trips: the connector against its simulator through app.request, with PayGov's callback
// endpoint played by a small handler that answers in the connector's words.

const PAYGOV = "http://paygov.test";
const IPN_URL = `${PAYGOV}/callbacks/zalopay/ipn`;
const RETURN_URL = `${PAYGOV}/callbacks/zalopay/return`;
const START = new Date("2024-08-15T03:40:00Z");

const configFrom = (env: Record<string, string>): ZalopayConfig =>
  Effect.runSync(zalopay.config.parse(ConfigProvider.fromEnv({ env })));

const ENV = { ZALOPAY_APP_ID: "2553", ZALOPAY_KEY1: KEY1, ZALOPAY_KEY2: KEY2, PAYGOV_SANDBOX_PORT: "3999" };

interface CallbackSeen {
  readonly verification: Verification;
  readonly ack: Acknowledgement;
}

/** Honours the abort signal the connector passes, as a real fetch does (app.request ignores it). */
const abortable =
  (handle: (url: string, init?: RequestInit) => Response | Promise<Response>): typeof fetch =>
  (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const signal = init?.signal;
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      Promise.resolve(handle(url, init)).then(resolve, reject);
    });
  };

const harness = (options: { connectorEnv?: Record<string, string>; requestTimeoutMs?: number } = {}) => {
  let clock = new Date(START);
  const config = configFrom(ENV);
  const connectorConfig = configFrom({ ...ENV, ...options.connectorEnv });
  const expected = new Map<string, number>();
  const confirmed = new Set<string>();
  const failing = new Set<string>();
  const callbacks: CallbackSeen[] = [];

  // PayGov's callback endpoint, reduced to its checks: signature, reference, amount, already recorded.
  const paygov = new Hono().post("/callbacks/zalopay/ipn", async (c) => {
    const verification = connector.verifyCallback(
      { method: "POST", url: c.req.url, query: new URLSearchParams(), headers: {}, body: await c.req.text() },
      "ipn",
    );
    const reference = verification.ok ? verification.callback.reference : "";
    const ack: Acknowledgement = !verification.ok
      ? verification.rejection.reason
      : failing.has(reference)
        ? "error"
        : !expected.has(reference)
          ? "unknown_reference"
          : expected.get(reference) !== verification.callback.amount
            ? "amount_mismatch"
            : confirmed.has(reference)
              ? "duplicate"
              : "accepted";
    if (ack === "accepted") confirmed.add(reference);
    callbacks.push({ verification, ack });
    const response = connector.acknowledge(ack);
    return c.body(response.body, response.status as 200, response.headers);
  });

  const route = abortable((url, init) =>
    url.startsWith(PAYGOV) ? paygov.request(url, init) : sandbox.request(url, init),
  );
  const sandbox = new Hono().route(
    "/zalopay",
    zalopay.simulator!({
      merchant: config,
      ipnUrl: IPN_URL,
      basePath: "/zalopay",
      fetch: route,
      now: () => clock,
    }),
  );
  const connector = makeZalopay(connectorConfig, {
    fetch: route,
    now: () => clock,
    serverIp: "10.0.0.5",
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
  });

  let seq = 0;
  const attempt = (amount = 150_000, createdAt = clock): Attempt => {
    seq += 1;
    const reference = `PG240815TEST${String(seq).padStart(6, "0")}`;
    expected.set(reference, amount);
    return {
      paymentId: "pay_1",
      attemptId: `pay_1-${seq}`,
      reference,
      amount,
      orderInfo: "Thanh toan ho so 000.00.00.H01-240815-0001",
      dossierCode: "000.00.00.H01-240815-0001",
      paymentCode: "4539148803436467",
      createdAt,
      expiresAt: new Date(createdAt.getTime() + 15 * 60_000),
      clientIp: "203.0.113.7",
      locale: "vi",
      ipnUrl: IPN_URL,
      returnUrl: RETURN_URL,
    };
  };

  const open = async (a: Attempt) => {
    const initiation = await Effect.runPromise(connector.initiate(a));
    if (initiation.kind !== "redirect") throw new Error("ZaloPay redirects");
    return initiation.url;
  };

  const sim = (path: string, body?: unknown, method = "POST") =>
    sandbox.request(`/zalopay/_sim${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    });

  const pay = async (reference: string, outcome: "success" | "failure" | "cancel") => {
    const response = await sim("/pay", { reference, outcome });
    expect(response.status).toBe(200);
    return ((await response.json()) as { returnUrl: string }).returnUrl;
  };

  const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect);
  const exit = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromiseExit(effect);

  return {
    config,
    connector,
    sandbox,
    callbacks,
    failing,
    attempt,
    open,
    sim,
    pay,
    run,
    exit,
    setClock: (next: Date) => {
      clock = next;
    },
  };
};

type Harness = ReturnType<typeof harness>;

const tagOf = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "success";
  const reason = exit.cause.reasons[0];
  return reason?._tag === "Fail" ? ((reason.error as { _tag?: string })._tag ?? "?") : String(reason?._tag);
};

const returnVerification = (h: Harness, returnUrl: string) => {
  const url = new URL(returnUrl);
  return h.connector.verifyCallback(
    { method: "GET", url: url.href, query: url.searchParams, headers: {}, body: "" },
    "return",
  );
};

const refundRequest = (
  a: Attempt,
  providerTxnId: string | null,
  amount: number,
  reference: string,
): RefundRequest => ({
  refundId: `rf-${reference}`,
  reference,
  attempt: a,
  providerTxnId,
  paidAt: null,
  amount,
  full: amount === a.amount,
  reason: "Hoan phi ho so",
  requestedAt: START,
  requestedBy: "paygov",
});

/** The simulator's app credentials, as the pure functions take them. */
const merchantOfHarness = (h: Harness) => ({
  appId: h.config.appId,
  key1: KEY1,
  key2: KEY2,
});

describe("connector ⇄ simulator", () => {
  it("pays: the order page in Vietnamese, the callback accepted, the redirect display only, the query succeeded", async () => {
    const h = harness();
    const a = h.attempt();
    const url = await h.open(a);
    expect(url.startsWith("http://127.0.0.1:3999/zalopay/openinapp?order=")).toBe(true);
    const page = await h.sandbox.request(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('lang="vi"');
    expect(html).toContain("Cổng thanh toán ZaloPay");
    expect(html).toMatch(/data-testid="sim-amount">150\.000/);
    expect(html).toContain(`data-testid="sim-apptransid">240815_${a.reference}<`);
    expect(html).toContain('data-testid="sim-pay-cancel"');

    const returnUrl = await h.pay(a.reference, "success");
    expect(h.callbacks).toHaveLength(1);
    const [callback] = h.callbacks;
    expect(callback?.ack).toBe("accepted");
    expect(callback?.verification).toMatchObject({
      ok: true,
      callback: { reference: a.reference, amount: 150_000, outcome: "succeeded" },
    });
    expect(returnUrl.startsWith(`${RETURN_URL}?`)).toBe(true);
    expect(returnVerification(h, returnUrl)).toMatchObject({
      ok: true,
      callback: { reference: a.reference, outcome: "pending", amount: 150_000, providerCode: "1" },
    });
    const result = await h.run(h.connector.query(a));
    expect(result).toMatchObject({ outcome: "succeeded", amount: 150_000, providerCode: "1/1" });
    expect(result.providerTxnId).toBe(
      callback?.verification.ok ? callback.verification.callback.providerTxnId : "",
    );
    expect(result.providerTxnId).toMatch(/^240815\d{9}$/);
  });

  it("never calls back for a failure or a cancel; the query finds both, the redirect verifies", async () => {
    const h = harness();
    const failed = h.attempt();
    const cancelled = h.attempt();
    await h.open(failed);
    await h.open(cancelled);
    const failedReturn = await h.pay(failed.reference, "failure");
    const cancelledReturn = await h.pay(cancelled.reference, "cancel");
    expect(h.callbacks).toHaveLength(0);
    expect((await h.sim(`/callbacks/${failed.reference}`, undefined, "GET")).status).toBe(404);
    expect(await h.run(h.connector.query(failed))).toMatchObject({ outcome: "failed", providerCode: "2/-2" });
    expect(await h.run(h.connector.query(cancelled))).toMatchObject({
      outcome: "failed",
      providerCode: "2/-329",
    });
    expect(returnVerification(h, failedReturn)).toMatchObject({
      ok: true,
      callback: { outcome: "pending", providerCode: "-2" },
    });
    expect(new URL(cancelledReturn).searchParams.get("pmcid")).toBe("");
    expect(returnVerification(h, cancelledReturn)).toMatchObject({
      ok: true,
      callback: { outcome: "pending", providerCode: "-329" },
    });
  });

  it("pays through the page's form in English, holding the callback back yet capturing it", async () => {
    const h = harness();
    const a = h.attempt();
    const url = await h.open(a);
    const page = await (await h.sandbox.request(`${url}&lang=en`)).text();
    expect(page).toContain('lang="en"');
    expect(page).toContain("ZaloPay payment gateway (simulator)");
    expect(page).toContain("lang=vi");
    const order = new URL(url).searchParams.get("order") ?? "";
    const posted = await h.sandbox.request("/zalopay/openinapp", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        order,
        lang: "en",
        callback: "drop",
        delaySeconds: "1",
        outcome: "success",
      }).toString(),
    });
    expect(posted.status).toBe(302);
    expect(posted.headers.get("location")?.startsWith(`${RETURN_URL}?`)).toBe(true);
    expect(h.callbacks).toHaveLength(0);
    const captured = await h.sim(`/callbacks/${a.reference}`, undefined, "GET");
    expect(captured.status).toBe(200);
    const { body, url: target } = (await captured.json()) as { body: string; url: string };
    expect(target).toBe(IPN_URL);
    expect(verifyCallbackBody(body, merchantOfHarness(h))).toMatchObject({ ok: true });
    // The same order cannot be paid twice.
    expect((await h.sandbox.request(url)).status).toBe(409);
    expect((await h.sim("/pay", { reference: a.reference, outcome: "success" })).status).toBe(409);
  });

  it("catches a re-signed other amount by the amount check and a wrong key by the mac; ZaloPay stops on -1", async () => {
    const h = harness();
    const tampered = h.attempt(10_005); // magic amount: the callback claims 1,000 đồng more
    await h.open(tampered);
    await h.pay(tampered.reference, "success");
    expect(h.callbacks.map((c) => c.ack)).toEqual(["amount_mismatch"]);

    const forged = h.attempt(10_006); // magic amount: signed with a wrong key2
    await h.open(forged);
    await h.pay(forged.reference, "success");
    expect(h.callbacks.map((c) => c.ack)).toEqual(["amount_mismatch", "signature_invalid"]);
  });

  it("is called back again, up to 3 more times, while PayGov answers 0 for its own error", async () => {
    const h = harness();
    const a = h.attempt();
    h.failing.add(a.reference);
    await h.open(a);
    await h.pay(a.reference, "success");
    expect(h.callbacks.map((c) => c.ack)).toEqual(["error", "error", "error", "error"]);
    h.failing.delete(a.reference);
    const resent = await h.sim(`/callbacks/${a.reference}/resend`);
    expect(((await resent.json()) as { deliveries: unknown[] }).deliveries).toHaveLength(1);
    expect(h.callbacks.at(-1)?.ack).toBe("accepted");
  });

  it("sends the callback twice on 'duplicate': accepted, then the duplicate answer, both return_code 1", async () => {
    const h = harness();
    const a = h.attempt(10_002);
    await h.open(a);
    await h.pay(a.reference, "success");
    expect(h.callbacks.map((c) => c.ack).sort()).toEqual(["accepted", "duplicate"]);
  });

  it("pays at once on autoPay, and drops the callback on magic amount 10001", async () => {
    const h = harness();
    const a = h.attempt(10_001);
    const url = await h.open(a);
    await h.sim("/behaviour", { reference: a.reference, autoPay: "success" });
    const opened = await h.sandbox.request(url);
    expect(opened.status).toBe(302);
    expect(h.callbacks).toHaveLength(0);
    expect((await h.sim(`/callbacks/${a.reference}`, undefined, "GET")).status).toBe(200);
    expect((await h.run(h.connector.query(a))).outcome).toBe("succeeded");
  });

  it("answers the query: pending before paying, failed (-54) once the order expired unpaid", async () => {
    const h = harness();
    const a = h.attempt();
    await h.open(a);
    expect(await h.run(h.connector.query(a))).toMatchObject({ outcome: "pending", providerCode: "3/3" });
    h.setClock(new Date(START.getTime() + 16 * 60_000));
    expect(await h.run(h.connector.query(a))).toMatchObject({ outcome: "failed", providerCode: "2/-54" });
    expect((await h.sim("/pay", { reference: a.reference, outcome: "success" })).status).toBe(409);
  });

  it("maps create refusals: wrong key1 → InvalidRequest, reused app_trans_id → InvalidRequest, stale app_time", async () => {
    const wrongKey = harness({ connectorEnv: { ZALOPAY_KEY1: "not-the-key1" } });
    const refusedExit = await wrongKey.exit(wrongKey.connector.initiate(wrongKey.attempt()));
    expect(tagOf(refusedExit)).toBe("InvalidRequest");
    expect(JSON.stringify(refusedExit)).toContain("2/-402");

    const h = harness();
    const a = h.attempt();
    await h.open(a);
    const again = await h.exit(h.connector.initiate(a));
    expect(tagOf(again)).toBe("InvalidRequest");
    expect(JSON.stringify(again)).toContain("2/-68");

    const stale = h.attempt(150_000, new Date(START.getTime() - 20 * 60_000));
    expect(JSON.stringify(await h.exit(h.connector.initiate(stale)))).toContain("2/-401");
  });

  it("maps create transport: 503 → Unavailable, no answer → OutcomeUnknown", async () => {
    const h = harness({ requestTimeoutMs: 50 });
    expect(tagOf(await h.exit(h.connector.initiate(h.attempt(10_009))))).toBe("Unavailable");
    expect(tagOf(await h.exit(h.connector.initiate(h.attempt(10_010))))).toBe("OutcomeUnknown");
  });

  it("maps query transport: 503 → Unavailable, refused connection → Unavailable, timeout → OutcomeUnknown", async () => {
    const h = harness();
    const a = h.attempt();
    await h.open(a);
    await h.sim("/behaviour", { reference: a.reference, api: "unavailable" });
    expect(tagOf(await h.exit(h.connector.query(a)))).toBe("Unavailable");

    const failing =
      (error: unknown): typeof fetch =>
      () =>
        Promise.reject(error);
    const refused = new TypeError("fetch failed", {
      cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }),
    });
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const answering =
      (status: number, body: string): typeof fetch =>
      async () =>
        new Response(body, { status });
    const queryWith = (fetchImpl: typeof fetch) =>
      h.exit(
        makeZalopay(h.config, {
          fetch: fetchImpl,
          now: () => START,
          serverIp: "10.0.0.5",
          requestTimeoutMs: 10_000,
        }).query(a),
      );
    expect(tagOf(await queryWith(failing(refused)))).toBe("Unavailable");
    expect(tagOf(await queryWith(failing(timeout)))).toBe("OutcomeUnknown");
    expect(tagOf(await queryWith(answering(200, "<html>")))).toBe("OutcomeUnknown");
    expect(tagOf(await queryWith(answering(400, "{}")))).toBe("InvalidRequest");
    expect(tagOf(await queryWith(answering(200, '{"return_code":2,"sub_return_code":-402}')))).toBe(
      "InvalidRequest",
    );
  });

  it("refunds in part asynchronously: processing, then succeeded; the same refund again is recognised", async () => {
    const h = harness();
    const a = h.attempt();
    await h.open(a);
    await h.pay(a.reference, "success");
    const paid = await h.run(h.connector.query(a));
    const request = refundRequest(a, paid.providerTxnId, 50_000, "RF1");
    const first = await h.run(h.connector.refund(request));
    expect(first).toMatchObject({ outcome: "pending", providerCode: "3/3" });
    expect(first.providerRefundId).toMatch(/^240815\d{9}$/);
    expect(await h.run(h.connector.refundStatus(request))).toMatchObject({ outcome: "pending" });
    expect(await h.run(h.connector.refundStatus(request))).toMatchObject({
      outcome: "succeeded",
      providerCode: "1/1",
    });
    expect(await h.run(h.connector.refund(request))).toMatchObject({ outcome: "succeeded" });

    const tooMuch = refundRequest(a, paid.providerTxnId, 100_001, "RF2");
    expect(tagOf(await h.exit(h.connector.refund(tooMuch)))).toBe("InvalidRequest");
    expect(tagOf(await h.exit(h.connector.refund(refundRequest(a, null, 1_000, "RF3"))))).toBe(
      "InvalidRequest",
    );
    expect(
      tagOf(await h.exit(h.connector.refundStatus(refundRequest(a, paid.providerTxnId, 1, "RF9")))),
    ).toBe("InvalidRequest");
  });

  it("reports a refund ZaloPay refuses as failed, through query_refund", async () => {
    const h = harness();
    const a = h.attempt(10_011); // magic amount: refunds are refused
    await h.open(a);
    await h.pay(a.reference, "success");
    const paid = await h.run(h.connector.query(a));
    const request = refundRequest(a, paid.providerTxnId, a.amount, "RF1");
    expect((await h.run(h.connector.refund(request))).outcome).toBe("pending");
    await h.run(h.connector.refundStatus(request));
    expect(await h.run(h.connector.refundStatus(request))).toMatchObject({
      outcome: "failed",
      providerCode: "2/-2",
    });
  });

  it("serves the reconciliation file by Vietnam business date in the canonical layout", async () => {
    const h = harness();
    // 17:35 UTC on 15 August is 00:35 on 16 August in Hà Nội.
    h.setClock(new Date("2024-08-15T17:35:00Z"));
    const a = h.attempt();
    await h.open(a);
    await h.pay(a.reference, "success");
    const paid = await h.run(h.connector.query(a));
    const request = {
      ...refundRequest(a, paid.providerTxnId, 40_000, "RF1"),
      requestedAt: new Date("2024-08-15T17:36:00Z"),
    };
    await h.run(h.connector.refund(request));
    await h.run(h.connector.refundStatus(request));
    await h.run(h.connector.refundStatus(request));

    const file = await h.run(h.connector.reconciliationFile("2024-08-16"));
    const lines = file.split("\r\n");
    expect(lines[0]).toMatch(/^H,ZALOPAY,2553,2024-08-16,2024-08-16T00:3\d:00\+07:00,1$/);
    const details = lines.filter((line) => line.startsWith("D,"));
    expect(details).toHaveLength(2);
    expect(details.map((line) => line.split(",").length)).toEqual([19, 19]);
    const [payment, refund] = details.map((line) => line.split(","));
    expect(payment?.slice(3, 8)).toEqual([
      "PAYMENT",
      `240816_${a.reference}`,
      paid.providerTxnId,
      "",
      "150000",
    ]);
    expect(payment?.[13]).toBe("2024-08-16");
    expect(payment?.[15]).toBe("SUCCESS");
    expect(payment?.[18]).toBe("000.00.00.H01-240815-0001");
    expect(refund?.slice(3, 8)).toEqual([
      "REFUND",
      `240816_${a.reference}`,
      refund?.[5],
      paid.providerTxnId,
      "40000",
    ]);
    const digest = createHash("sha256")
      .update(details.map((line) => `${line}\r\n`).join(""))
      .digest("hex");
    expect(lines.at(-2)).toBe(`T,2,190000,0,190000,${digest}`);
    expect(lines.at(-1)).toBe("");

    const before = await h.run(h.connector.reconciliationFile("2024-08-15"));
    expect(before.split("\r\n").filter((line) => line.startsWith("D,"))).toHaveLength(0);
    expect((await h.sandbox.request("/zalopay/recon?date=20240230")).status).toBe(400);
    expect(tagOf(await h.exit(h.connector.reconciliationFile("16/08/2024")))).toBe("InvalidRequest");
  });
});

describe("simulated ZaloPay server and pages", () => {
  const form = (fields: Record<string, string>) => ({
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });

  it("accepts a JSON create order and refuses what ZaloPay refuses", async () => {
    const h = harness();
    const built = buildCreateRequest(
      {
        reference: "PGJSON1",
        amount: 50_000,
        description: "Thanh toan ho so X",
        createdAt: START,
        expiresAt: new Date(START.getTime() + 600_000),
        redirectUrl: RETURN_URL,
        callbackUrl: IPN_URL,
      },
      merchant,
    );
    if (!built.ok) throw new Error(built.message);
    const json = await h.sandbox.request("/zalopay/v2/create", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        ...built.value,
        app_id: APP_ID,
        amount: 50_000,
        app_time: START.getTime(),
        expire_duration_seconds: 600,
      }),
    });
    expect(await json.json()).toMatchObject({ return_code: 1, sub_return_code: 1 });

    const create = async (fields: Record<string, string>) =>
      (await (await h.sandbox.request("/zalopay/v2/create", form(fields))).json()) as {
        sub_return_code: number;
      };
    const fresh = { ...built.value, app_trans_id: "240815_PGJSON2" };
    const resign = (f: Record<string, string>): Record<string, string> => ({
      ...f,
      mac: hmacSha256Hex(KEY1, createMacData(f as Parameters<typeof createMacData>[0])),
    });
    expect((await create({ ...fresh, mac: built.value.mac })).sub_return_code).toBe(-402);
    expect((await create(resign({ ...fresh, app_trans_id: "240814_PGJSON2" }))).sub_return_code).toBe(-401);
    expect((await create(resign({ ...fresh, embed_data: "not json" }))).sub_return_code).toBe(-401);
    expect((await create(resign({ ...fresh, item: "{}" }))).sub_return_code).toBe(-401);
    expect((await create(resign({ ...fresh, expire_duration_seconds: "60" }))).sub_return_code).toBe(-401);
    const { description: _dropped, ...withoutDescription } = resign(fresh);
    expect((await create(withoutDescription)).sub_return_code).toBe(-401);
    expect((await create(resign({ ...fresh, app_id: "1" }))).sub_return_code).toBe(-402);
    expect((await create(resign(fresh))).sub_return_code).toBe(1);
    expect((await create(resign(fresh))).sub_return_code).toBe(-68);
  });

  it("refuses unknown orders and a bad choice on the page, and bad control requests with 4xx", async () => {
    const h = harness();
    const missing = await h.sandbox.request("/zalopay/openinapp?order=bm9uZQ");
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('data-reason="notFound"');
    const a = h.attempt();
    const url = await h.open(a);
    const order = new URL(url).searchParams.get("order") ?? "";
    const bad = await h.sandbox.request("/zalopay/openinapp", form({ order, outcome: "maybe" }));
    expect(bad.status).toBe(400);
    const badMode = await h.sandbox.request(
      "/zalopay/openinapp",
      form({ order, outcome: "success", callback: "loud" }),
    );
    expect(badMode.status).toBe(400);
    expect((await h.sim("/behaviour", { callback: "sometimes" })).status).toBe(400);
    expect((await h.sim("/pay", { reference: "PG-NONE", outcome: "success" })).status).toBe(404);
    expect((await h.sim("/pay", { reference: a.reference, outcome: "later" })).status).toBe(400);
    const query = await h.sandbox.request(
      "/zalopay/v2/query",
      form({ ...buildQueryRequest("240815_PG-NONE", merchant) }),
    );
    expect(await query.json()).toMatchObject({ return_code: 2, sub_return_code: -401 });
    const transactions = (await (await h.sim("/transactions", undefined, "GET")).json()) as {
      transactions: { appTransId: string; expiresAt: string }[];
    };
    expect(transactions.transactions[0]).toMatchObject({
      appTransId: `240815_${a.reference}`,
      expiresAt: "2024-08-15T10:55:00+07:00",
    });
  });

  it("shows its own result page when the app gave no redirecturl", async () => {
    const h = harness();
    const fields = {
      app_id: "2553",
      app_trans_id: "240815_PGNOREDIRECT",
      app_user: "demo",
      amount: "20000",
      app_time: String(START.getTime()),
      embed_data: "{}",
      item: "[]",
    };
    const created = (await (
      await h.sandbox.request(
        "/zalopay/v2/create",
        form({
          ...fields,
          description: "demo",
          bank_code: "",
          mac: hmacSha256Hex(KEY1, createMacData(fields)),
        }),
      )
    ).json()) as { order_url: string };
    const order = new URL(created.order_url).searchParams.get("order") ?? "";
    const page = await h.sandbox.request("/zalopay/openinapp", form({ order, outcome: "failure" }));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-outcome="failure"');
  });
});

describe("ZaloPay configuration", () => {
  const runtime = { fetch, now: () => START, serverIp: "127.0.0.1", requestTimeoutMs: 1_000 };

  it("is disabled with a message naming ZALOPAY_KEY2 when key2 is missing", () => {
    const set = loadConnectors([zalopay], { ZALOPAY_APP_ID: "2553", ZALOPAY_KEY1: KEY1 }, runtime);
    expect(set.live.size).toBe(0);
    expect(set.disabled).toHaveLength(1);
    expect(set.disabled[0]?.id).toBe("zalopay");
    expect(set.disabled[0]?.reason).toContain("ZALOPAY_KEY2");
    const badApp = loadConnectors(
      [zalopay],
      { ZALOPAY_APP_ID: "abc", ZALOPAY_KEY1: KEY1, ZALOPAY_KEY2: KEY2 },
      runtime,
    );
    expect(badApp.disabled[0]?.reason).toContain("ZALOPAY_APP_ID");
    expect(
      loadConnectors(
        [zalopay],
        { ZALOPAY_APP_ID: "2553", ZALOPAY_KEY1: KEY1, ZALOPAY_KEY2: KEY2 },
        runtime,
      ).live.has("zalopay"),
    ).toBe(true);
  });

  it("defaults the API base and the file to the bundled simulator, and never shows the keys", () => {
    const config = configFrom({ ZALOPAY_APP_ID: "2553", ZALOPAY_KEY1: KEY1, ZALOPAY_KEY2: KEY2 });
    expect(config.apiUrl.href).toBe("http://127.0.0.1:3001/zalopay");
    expect(config.reconUrl.href).toBe("http://127.0.0.1:3001/zalopay/recon");
    expect(zalopay.browserOrigins(config)).toEqual(["http://127.0.0.1:3001"]);
    expect(`${String(config.key1)} ${JSON.stringify(config)}`).not.toContain(KEY1);
    const real = configFrom({
      ZALOPAY_APP_ID: "2553",
      ZALOPAY_KEY1: KEY1,
      ZALOPAY_KEY2: KEY2,
      ZALOPAY_API_URL: "https://sb-openapi.zalopay.vn",
    });
    expect(zalopay.browserOrigins(real)).toContain("https://qcgateway.zalopay.vn");
  });
});
