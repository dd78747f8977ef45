import { createHash, createHmac } from "node:crypto";
import { ConfigProvider, Effect, Exit } from "effect";
import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import type { Acknowledgement, Attempt, InboundRequest, Verification } from "../sdk/contract.ts";
import { loadConnectors } from "../sdk/load.ts";
import { MAGIC_AMOUNTS } from "../sdk/simulator-kit.ts";
import type { OnepayConfig } from "./config.ts";
import { onepayDriver } from "./conformance.ts";
import { makeOnepay, onepay } from "./index.ts";
import {
  buildPaymentUrl,
  hmacSha256Upper,
  ipnAcknowledged,
  ipnResponse,
  isOnepayResponseCode,
  ONEPAY_RESPONSE_CODES,
  type OnepayMerchant,
  type OnepayPaymentRequest,
  secureHashData,
  signParams,
  toOnepayAmount,
  toOrderInfo,
  toPaymentParams,
  toQueryString,
  verifyCallbackParams,
  verifyCallbackRequest,
} from "./protocol.ts";
import { buildQueryDrRequest, NOT_FOUND_GRACE_MS, toQueryDecision } from "./query-dr.ts";

// Appendix, "test vectors": the demo key already public in naustudio TEST_CONFIG, hex-decoded.
const HASH_KEY = "A3EFDFABA8653DF2342E8DAC29B51AF0";
const merchant: OnepayMerchant = {
  merchant: "ONEPAY",
  accessCode: "D67342C2",
  hashKey: HASH_KEY,
  user: "op01",
  password: "op123456",
};

const REQUEST_STRING =
  "vpc_AccessCode=D67342C2&vpc_Amount=5000000&vpc_Command=pay&vpc_Currency=VND&vpc_Locale=vn&vpc_MerchTxnRef=HS0001240815&vpc_Merchant=ONEPAY&vpc_OrderInfo=HS0001240815&vpc_ReturnURL=https://example.gov.vn/op/return&vpc_TicketNo=127.0.0.1&vpc_Version=2";
const REQUEST_HASH = "9288BB335EDD3C1E3144A0A173EA968DEB42D3ECDA0A6B02A3B6B8DC16240114";
const RETURN_STRING =
  "vpc_AdditionData=970436&vpc_Amount=5000000&vpc_Command=pay&vpc_CurrencyCode=VND&vpc_Locale=vn&vpc_MerchTxnRef=HS0001240815&vpc_Merchant=ONEPAY&vpc_Message=Approved&vpc_OrderInfo=HS0001240815&vpc_TransactionNo=1625972&vpc_TxnResponseCode=0&vpc_Version=2";
const RETURN_HASH = "AE087AE234D5B664924F564ACDCF5084C16F73B826CC553CAB371BEE7B434296";

const vectorRequest: OnepayPaymentRequest = {
  reference: "HS0001240815",
  amount: 50_000,
  dossierCode: "HS0001240815",
  locale: "vi",
  returnUrl: "https://example.gov.vn/op/return",
  callbackUrl: null,
  clientIp: "127.0.0.1",
};

/** A return as the citizen's browser brings it: the raw pairs URL-encoded into a query string. */
const returnQuery = (raw: string, extra = ""): URLSearchParams =>
  new URLSearchParams(
    `${toQueryString(Object.fromEntries(raw.split("&").map((p) => p.split("="))))}${extra}`,
  );

const get = (query: URLSearchParams | string): InboundRequest => {
  const search = new URLSearchParams(query);
  return {
    method: "GET",
    url: `https://paygov.test/callbacks/onepay/ipn?${search}`,
    query: search,
    headers: {},
    body: "",
  };
};

const returnFields = (): Record<string, string> =>
  Object.fromEntries(RETURN_STRING.split("&").map((pair) => pair.split("=") as [string, string]));

describe("OnePay signature vectors (Appendix)", () => {
  it("signs the pay request over sorted raw values with the hex-decoded key, uppercase", () => {
    const params = toPaymentParams(vectorRequest, merchant);
    if (!params.ok) throw new Error(params.message);
    expect(secureHashData(params.value)).toBe(REQUEST_STRING);
    expect(hmacSha256Upper(HASH_KEY, REQUEST_STRING)).toBe(REQUEST_HASH);
    const url = buildPaymentUrl("https://mtf.onepay.vn/onecomm-pay/vpc.op", vectorRequest, merchant);
    if (!url.ok) throw new Error(url.message);
    const sent = new URL(url.value).searchParams;
    expect(sent.get("vpc_SecureHash")).toBe(REQUEST_HASH);
    expect(sent.get("vpc_SecureHashType")).toBe("SHA256");
    // On the wire the values are URL-encoded; the hash covers them raw.
    expect(url.value).toContain("vpc_ReturnURL=https%3A%2F%2Fexample.gov.vn%2Fop%2Freturn");
  });

  it("is not the HMAC keyed with the key's text, nor lowercase", () => {
    const keyedWithText = createHmac("sha256", HASH_KEY).update(REQUEST_STRING).digest("hex").toUpperCase();
    expect(keyedWithText).not.toBe(REQUEST_HASH);
    expect(hmacSha256Upper(HASH_KEY, REQUEST_STRING)).toMatch(/^[0-9A-F]{64}$/);
  });

  it("verifies the return over every vpc_ field, ignoring vpc_SecureHashType and other parameters", () => {
    expect(hmacSha256Upper(HASH_KEY, RETURN_STRING)).toBe(RETURN_HASH);
    const verification = verifyCallbackRequest(
      get(returnQuery(RETURN_STRING, `&vpc_SecureHashType=SHA256&lang=vi&vpc_SecureHash=${RETURN_HASH}`)),
      merchant,
    );
    expect(verification).toEqual({
      ok: true,
      callback: {
        reference: "HS0001240815",
        providerTxnId: "1625972",
        amount: 50_000,
        outcome: "succeeded",
        providerCode: "0",
        paidAt: null,
        cancelledByPayer: false,
      },
    });
    const lower = returnQuery(RETURN_STRING, `&vpc_SecureHash=${RETURN_HASH.toLowerCase()}`);
    expect(verifyCallbackRequest(get(lower), merchant).ok).toBe(true);
  });

  it("fails when a field is altered or when a whitelist drops vpc_Version, vpc_CurrencyCode or vpc_AdditionData", () => {
    const altered = RETURN_STRING.replace("vpc_Amount=5000000", "vpc_Amount=500000000");
    const reasonOf = (verification: Verification) => (verification.ok ? "ok" : verification.rejection.reason);
    expect(
      reasonOf(verifyCallbackRequest(get(returnQuery(altered, `&vpc_SecureHash=${RETURN_HASH}`)), merchant)),
    ).toBe("signature_invalid");
    for (const dropped of ["vpc_Version", "vpc_CurrencyCode", "vpc_AdditionData"]) {
      const { [dropped]: _gone, ...whitelisted } = returnFields();
      const hashOfWhitelist = hmacSha256Upper(HASH_KEY, secureHashData(whitelisted));
      expect(hashOfWhitelist).not.toBe(RETURN_HASH);
      expect(verifyCallbackParams({ ...returnFields(), vpc_SecureHash: hashOfWhitelist }, merchant).ok).toBe(
        false,
      );
    }
  });

  it("refuses a callback without a signature, or signed with another key", () => {
    const reasonOf = (verification: Verification) => (verification.ok ? "ok" : verification.rejection.reason);
    expect(reasonOf(verifyCallbackRequest(get(returnQuery(RETURN_STRING)), merchant))).toBe(
      "signature_invalid",
    );
    const forged = signParams(returnFields(), "0123456789ABCDEF0123456789ABCDEF");
    expect(reasonOf(verifyCallbackParams(forged, merchant))).toBe("signature_invalid");
  });
});

describe("OnePay pay request", () => {
  it("puts the dossier code in vpc_OrderInfo, ASCII-safe, or the reference when it does not fit 32 characters", () => {
    expect(toOrderInfo("000.00.00.H01-240815-0001", "PG1")).toBe("000.00.00.H01-240815-0001");
    expect(toOrderInfo("Hồ sơ #Đ-12", "PG1")).toBe("Ho so D-12");
    expect(toOrderInfo("000.00.00.H01-240815-0001-BO-SUNG-LAN-2", "PG1")).toBe("PG1");
    expect(toOrderInfo("###", "PG1")).toBe("PG1");
  });

  it("sends amount ×100, the locale, the client IPv4 and the IPN URL", () => {
    const params = toPaymentParams(
      {
        ...vectorRequest,
        amount: 150_000,
        locale: "en",
        clientIp: "::ffff:203.0.113.7",
        callbackUrl: "https://paygov.test/callbacks/onepay/ipn",
      },
      merchant,
    );
    expect(params).toMatchObject({
      ok: true,
      value: {
        vpc_Amount: "15000000",
        vpc_Locale: "en",
        vpc_TicketNo: "203.0.113.7",
        vpc_CallbackURL: "https://paygov.test/callbacks/onepay/ipn",
        vpc_Currency: "VND",
        vpc_Version: "2",
        vpc_Command: "pay",
      },
    });
    // vpc_CallbackURL is a vpc_ field, so it is signed like the others.
    expect(params.ok && secureHashData(params.value)).toContain(
      "vpc_CallbackURL=https://paygov.test/callbacks/onepay/ipn&",
    );
  });

  it("refuses amounts the domestic gateway cannot take and empty fields", () => {
    expect(toOnepayAmount(999_999_999)).toEqual({ ok: true, value: "99999999900" });
    expect(toOnepayAmount(1_000_000_000).ok).toBe(false);
    expect(toOnepayAmount(0).ok).toBe(false);
    expect(toOnepayAmount(1.5).ok).toBe(false);
    expect(toPaymentParams({ ...vectorRequest, clientIp: "" }, merchant).ok).toBe(false);
    expect(toPaymentParams({ ...vectorRequest, reference: "R".repeat(35) }, merchant).ok).toBe(false);
  });
});

describe("OnePay return and IPN mapping", () => {
  const callback = (overrides: Record<string, string>): Verification =>
    verifyCallbackParams(signParams({ ...returnFields(), ...overrides }, HASH_KEY), merchant);

  it("maps the citizen's cancel (99) to failed, cancelled by the payer", () => {
    expect(callback({ vpc_TxnResponseCode: "99", vpc_AdditionData: "" })).toMatchObject({
      ok: true,
      callback: { outcome: "failed", cancelledByPayer: true, providerCode: "99" },
    });
  });

  it("maps declines and the timeout to failed, and 100/300 to pending", () => {
    const outcomeOf = (code: string) => {
      const verification = callback({ vpc_TxnResponseCode: code });
      return verification.ok
        ? `${verification.callback.outcome}:${verification.callback.cancelledByPayer}`
        : "x";
    };
    expect(["1", "7", "21", "25", "253"].map(outcomeOf)).toEqual(Array(5).fill("failed:false"));
    expect(["100", "300"].map(outcomeOf)).toEqual(["pending:false", "pending:false"]);
  });

  it("concludes nothing from a code outside the table, letters included, never casting it", () => {
    expect(callback({ vpc_TxnResponseCode: "42" })).toMatchObject({ callback: { outcome: "pending" } });
    expect(callback({ vpc_TxnResponseCode: "F" })).toMatchObject({
      callback: { outcome: "pending", providerCode: "F" },
    });
    expect(callback({ vpc_TxnResponseCode: "00" })).toMatchObject({ callback: { outcome: "pending" } });
  });

  it("has a decision for every code of the table", () => {
    for (const [code, meaning] of Object.entries(ONEPAY_RESPONSE_CODES)) {
      expect(isOnepayResponseCode(code)).toBe(true);
      expect(meaning.text.vi).not.toBe("");
      expect(["succeeded", "failed", "pending"]).toContain(meaning.outcome);
    }
    expect(isOnepayResponseCode("toString")).toBe(false);
  });

  it("refuses signed callbacks it cannot read", () => {
    const reasons = [
      callback({ vpc_Merchant: "OTHER" }),
      callback({ vpc_Amount: "5000050" }),
      callback({ vpc_Amount: "5e6" }),
      callback({ vpc_MerchTxnRef: "" }),
      callback({ vpc_TxnResponseCode: "" }),
      verifyCallbackRequest(
        get(returnQuery(RETURN_STRING, `&vpc_MerchTxnRef=X&vpc_SecureHash=${RETURN_HASH}`)),
        merchant,
      ),
    ].map((verification) => (verification.ok ? "ok" : verification.rejection.reason));
    expect(reasons).toEqual(["malformed", "malformed", "malformed", "malformed", "malformed", "malformed"]);
  });

  it("reads an IPN POSTed as a form too, and refuses a field sent both ways", () => {
    const body = toQueryString(signParams(returnFields(), HASH_KEY));
    const post = (query: string): InboundRequest => ({
      method: "POST",
      url: `https://paygov.test/callbacks/onepay/ipn?${query}`,
      query: new URLSearchParams(query),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    });
    expect(verifyCallbackRequest(post(""), merchant)).toMatchObject({
      ok: true,
      callback: { amount: 50_000 },
    });
    expect(verifyCallbackRequest(post("vpc_Amount=100"), merchant)).toMatchObject({
      ok: false,
      rejection: { reason: "malformed" },
    });
    expect(
      verifyCallbackRequest({ ...post(""), headers: { "content-type": "text/plain" } }, merchant),
    ).toMatchObject({ ok: false, rejection: { reason: "signature_invalid" } });
  });

  it("answers the IPN in OnePay's words", () => {
    const acks: Acknowledgement[] = [
      "accepted",
      "duplicate",
      "signature_invalid",
      "malformed",
      "unknown_reference",
      "amount_mismatch",
      "error",
    ];
    const answers = acks.map((ack) => ipnResponse(ack));
    expect(
      answers.every((a) => a.status === 200 && a.headers["content-type"]?.startsWith("text/plain")),
    ).toBe(true);
    expect(answers.map((a) => a.body)).toEqual([
      "responsecode=1&desc=confirm-success",
      "responsecode=1&desc=confirm-success",
      "responsecode=0&desc=invalid-signature",
      "responsecode=0&desc=invalid-request",
      "responsecode=0&desc=order-not-found",
      "responsecode=0&desc=amount-mismatch",
      "responsecode=0&desc=confirm-fail",
    ]);
    expect(answers.map((a) => ipnAcknowledged(a.status, a.body))).toEqual([
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

describe("OnePay queryDR", () => {
  const EXPIRES = new Date("2024-08-15T03:45:00Z");
  const context = { merchant, reference: "HS0001240815", expiresAt: EXPIRES, now: EXPIRES };
  const answer = (fields: Record<string, string>) =>
    toQueryString(
      signParams(
        { vpc_Command: "queryDR", vpc_MerchTxnRef: "HS0001240815", vpc_Merchant: "ONEPAY", ...fields },
        HASH_KEY,
      ),
    );
  const decide = (fields: Record<string, string>, now = EXPIRES) =>
    toQueryDecision(answer(fields), { ...context, now });
  const outcomeOf = (fields: Record<string, string>, now = EXPIRES) => {
    const decision = decide(fields, now);
    return decision.kind === "result" ? decision.result.outcome : decision.kind;
  };

  it("builds a signed request with the queryDR user and password, version 1", () => {
    const request = buildQueryDrRequest("HS0001240815", merchant);
    expect(request).toMatchObject({
      vpc_Command: "queryDR",
      vpc_Version: "1",
      vpc_MerchTxnRef: "HS0001240815",
      vpc_Merchant: "ONEPAY",
      vpc_AccessCode: "D67342C2",
      vpc_User: "op01",
      vpc_Password: "op123456",
    });
    const { vpc_SecureHash: hash, ...signed } = request;
    expect(hash).toBe(hmacSha256Upper(HASH_KEY, secureHashData(signed)));
    expect(secureHashData(signed)).toBe(
      "vpc_AccessCode=D67342C2&vpc_Command=queryDR&vpc_MerchTxnRef=HS0001240815&vpc_Merchant=ONEPAY&vpc_Password=op123456&vpc_User=op01&vpc_Version=1",
    );
  });

  it("reads an existing transaction by its response code", () => {
    expect(
      decide({
        vpc_DRExists: "Y",
        vpc_TxnResponseCode: "0",
        vpc_Amount: "5000000",
        vpc_TransactionNo: "1625972",
      }),
    ).toEqual({
      kind: "result",
      result: {
        outcome: "succeeded",
        providerTxnId: "1625972",
        amount: 50_000,
        providerCode: "0",
        paidAt: null,
      },
    });
    expect(outcomeOf({ vpc_DRExists: "Y", vpc_TxnResponseCode: "1", vpc_Amount: "5000000" })).toBe("failed");
    expect(outcomeOf({ vpc_DRExists: "Y", vpc_TxnResponseCode: "99", vpc_Amount: "5000000" })).toBe("failed");
    expect(outcomeOf({ vpc_DRExists: "Y", vpc_TxnResponseCode: "100" })).toBe("pending");
    expect(outcomeOf({ vpc_DRExists: "Y", vpc_TxnResponseCode: "300" })).toBe("pending");
    expect(outcomeOf({ vpc_DRExists: "Y", vpc_TxnResponseCode: "B" })).toBe("unknown");
    expect(outcomeOf({ vpc_DRExists: "Y", vpc_TxnResponseCode: "0", vpc_Amount: "50000.5" })).toBe("unknown");
    expect(outcomeOf({ vpc_DRExists: "maybe" })).toBe("unknown");
  });

  it("treats 'no such transaction' as not yet paid until the attempt expired plus the grace, then as failed", () => {
    expect(outcomeOf({ vpc_DRExists: "N" }, new Date(EXPIRES.getTime() - 60_000))).toBe("pending");
    expect(outcomeOf({ vpc_DRExists: "N" }, new Date(EXPIRES.getTime() + NOT_FOUND_GRACE_MS))).toBe(
      "pending",
    );
    expect(outcomeOf({ vpc_DRExists: "N" }, new Date(EXPIRES.getTime() + NOT_FOUND_GRACE_MS + 1))).toBe(
      "failed",
    );
  });

  it("trusts no answer that is unsigned, badly signed, or about another transaction", () => {
    expect(
      toQueryDecision("vpc_DRExists=N&vpc_TxnResponseCode=7&vpc_Message=Invalid+user+or+password", context),
    ).toEqual({
      kind: "unverifiable",
      message: "queryDR answer is not signed (7: Invalid user or password)",
    });
    const signed = new URLSearchParams(
      answer({ vpc_DRExists: "Y", vpc_TxnResponseCode: "0", vpc_Amount: "5000000" }),
    );
    signed.set("vpc_Amount", "6000000");
    expect(toQueryDecision(signed.toString(), context).kind).toBe("unverifiable");
    expect(decide({ vpc_DRExists: "N", vpc_MerchTxnRef: "HS0002" }).kind).toBe("unverifiable");
    expect(decide({ vpc_DRExists: "N", vpc_Merchant: "OTHER" }).kind).toBe("unverifiable");
    expect(toQueryDecision("<html>gateway error</html>", context).kind).toBe("unverifiable");
  });
});

// ---------------------------------------------------------------------------------------------
// Round trips: the connector against its simulator through app.request, with PayGov's IPN endpoint
// played by a small handler that answers in the connector's words.

const PAYGOV = "http://paygov.test";
const IPN_URL = `${PAYGOV}/callbacks/onepay/ipn`;
const RETURN_URL = `${PAYGOV}/callbacks/onepay/return`;
const CREATED = new Date("2024-08-15T03:30:00Z"); // 10:30 in Hà Nội
const ENV = {
  ONEPAY_MERCHANT: "PAYGOVOP",
  ONEPAY_ACCESS_CODE: "TESTAC01",
  ONEPAY_HASH_KEY: HASH_KEY,
  ONEPAY_USER: "op01",
  ONEPAY_PASSWORD: "op123456",
  PAYGOV_SANDBOX_PORT: "3999",
};

const configFrom = (env: Record<string, string>): OnepayConfig =>
  Effect.runSync(onepay.config.parse(ConfigProvider.fromEnv({ env })));

interface IpnSeen {
  readonly verification: Verification;
  readonly ack: Acknowledgement;
}

const harness = (connectorEnv: Partial<typeof ENV> = {}) => {
  let clock = new Date(CREATED);
  const config = configFrom(ENV);
  const connectorConfig = configFrom({ ...ENV, ...connectorEnv });
  const expected = new Map<string, number>();
  const confirmed = new Set<string>();
  const ipns: IpnSeen[] = [];

  // PayGov's IPN endpoint, reduced to its checks in order: signature, reference, amount, duplicate.
  const paygov = new Hono().all("/callbacks/onepay/ipn", async (c) => {
    const url = new URL(c.req.url);
    const verification = connector.verifyCallback(
      {
        method: c.req.method,
        url: url.href,
        query: url.searchParams,
        headers: Object.fromEntries(c.req.raw.headers.entries()),
        body: c.req.method === "GET" ? "" : await c.req.text(),
      },
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
    return c.body(response.body, response.status as 200, response.headers);
  });

  const route: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    return url.startsWith(PAYGOV) ? paygov.request(url, init) : sandbox.request(url, init);
  };
  const sandbox = new Hono().route(
    "/onepay",
    onepay.simulator!({
      merchant: config,
      ipnUrl: IPN_URL,
      basePath: "/onepay",
      fetch: route,
      now: () => clock,
    }),
  );
  const runtime = { fetch: route, now: () => clock, serverIp: "10.0.0.5", requestTimeoutMs: 10_000 };
  const connector = makeOnepay(connectorConfig, runtime);

  const attempt = (reference: string, amount = 150_000): Attempt => {
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
      locale: "vi",
      ipnUrl: IPN_URL,
      returnUrl: RETURN_URL,
    };
  };

  const open = async (a: Attempt) => {
    const initiation = await Effect.runPromise(connector.initiate(a));
    if (initiation.kind !== "redirect") throw new Error("OnePay redirects");
    const page = await sandbox.request(initiation.url);
    return { url: initiation.url, page, html: await page.text() };
  };

  const sim = (path: string, body?: unknown, method = "POST") =>
    sandbox.request(`/onepay${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    });

  const pay = async (reference: string, outcome: "success" | "failure" | "cancel") => {
    const response = await sim("/_sim/pay", { reference, outcome });
    expect(response.status).toBe(200);
    return ((await response.json()) as { returnUrl: string }).returnUrl;
  };

  const verifyReturn = (returnUrl: string) => {
    const url = new URL(returnUrl);
    return connector.verifyCallback(
      { method: "GET", url: url.href, query: url.searchParams, headers: {}, body: "" },
      "return",
    );
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
    verifyReturn,
    query: (a: Attempt) => Effect.runPromise(connector.query(a)),
    queryExit: (a: Attempt) => Effect.runPromiseExit(connector.query(a)),
    setClock: (next: Date) => {
      clock = next;
    },
  };
};

const tagOf = (exit: Exit.Exit<unknown, { _tag: string }>): string =>
  Exit.isFailure(exit)
    ? (JSON.stringify(exit.cause).match(
        /"_tag":"(Declined|InvalidRequest|Unavailable|OutcomeUnknown)"/,
      )?.[1] ?? "defect")
    : "success";

describe("connector ⇄ simulator", () => {
  it("pays: the Vietnamese page shows the order; the IPN and the return verify as succeeded; queryDR agrees", async () => {
    const h = harness();
    const a = h.attempt("PG240815AAAAAAAAAA");
    const { url, page, html } = await h.open(a);
    expect(url.startsWith("http://127.0.0.1:3999/onepay/onecomm-pay/vpc.op?")).toBe(true);
    expect(page.status).toBe(200);
    expect(html).toContain('lang="vi"');
    expect(html).toMatch(/data-testid="sim-amount">150\.000/);
    expect(html).toContain('data-testid="sim-order-info">000.00.00.H01-240815-0001<');
    expect(html).toContain("Người sử dụng hủy giao dịch");

    const returnUrl = await h.pay(a.reference, "success");
    expect(h.ipns.map((seen) => seen.ack)).toEqual(["accepted"]);
    expect(h.ipns[0]?.verification).toMatchObject({
      ok: true,
      callback: { reference: a.reference, amount: 150_000, outcome: "succeeded", providerCode: "0" },
    });
    expect(returnUrl.startsWith(`${RETURN_URL}?`)).toBe(true);
    expect(h.verifyReturn(returnUrl)).toMatchObject({ ok: true, callback: { outcome: "succeeded" } });
    const queried = await h.query(a);
    expect(queried).toMatchObject({ outcome: "succeeded", amount: 150_000, providerCode: "0" });
    expect(queried.providerTxnId).toMatch(/^\d{7}$/);
  });

  it("declines and cancels from the page's form; the IPN comes for failures too", async () => {
    const h = harness();
    const declined = h.attempt("PG240815DECLINED01");
    const cancelled = h.attempt("PG240815CANCELLED1");
    const choose = async (reference: string, outcome: string) =>
      h.sandbox.request("/onepay/onecomm-pay/vpc.op", {
        method: "POST",
        body: new URLSearchParams({ txnRef: reference, outcome, callback: "normal", delaySeconds: "1" }),
      });
    await h.open(declined);
    await h.open(cancelled);
    const first = await choose(declined.reference, "21");
    expect(first.status).toBe(302);
    expect(first.headers.get("location")?.startsWith(`${RETURN_URL}?`)).toBe(true);
    await choose(cancelled.reference, "99");
    expect(h.ipns.map((seen) => seen.verification)).toMatchObject([
      { ok: true, callback: { outcome: "failed", cancelledByPayer: false, providerCode: "21" } },
      { ok: true, callback: { outcome: "failed", cancelledByPayer: true, providerCode: "99" } },
    ]);
    expect((await choose(cancelled.reference, "0")).status).toBe(409);
    expect((await choose("PG-NEVER-OPENED", "0")).status).toBe(404);
    expect(await h.query(cancelled)).toMatchObject({ outcome: "failed", providerCode: "99" });
  });

  it("catches a re-signed tampered amount by the amount check, and OnePay keeps retrying", async () => {
    const h = harness();
    const a = h.attempt("PG240815TAMPERED01");
    await h.sim("/_sim/behaviour", { reference: a.reference, tamperAmount: true });
    await h.open(a);
    const returnUrl = await h.pay(a.reference, "success");
    expect(h.ipns[0]?.verification).toMatchObject({ ok: true, callback: { amount: 151_000 } });
    expect(h.ipns.map((seen) => seen.ack)).toEqual(Array(4).fill("amount_mismatch"));
    expect(h.verifyReturn(returnUrl)).toMatchObject({ ok: true, callback: { amount: 150_000 } });
  });

  it("rejects an IPN signed with another key (magic amount 10006)", async () => {
    const h = harness();
    const a = h.attempt("PG240815FORGED0001", 10_006);
    await h.open(a);
    await h.pay(a.reference, "success");
    expect(h.ipns.map((seen) => seen.ack)).toEqual(Array(4).fill("signature_invalid"));
    const { transactions } = (await (await h.sim("/_sim/transactions", undefined, "GET")).json()) as {
      transactions: Array<{ txnRef: string; deliveries: Array<{ status: number; body: string }> }>;
    };
    const record = transactions.find((t) => t.txnRef === a.reference);
    expect(record?.deliveries.map((d) => d.body)).toEqual(
      Array(4).fill("responsecode=0&desc=invalid-signature"),
    );
  });

  it("drops the IPN for magic amount 10001 but captures it, and delivers it on resend", async () => {
    const h = harness();
    const a = h.attempt("PG240815DROPPED001", 10_001);
    await h.open(a);
    await h.pay(a.reference, "success");
    expect(h.ipns).toHaveLength(0);
    const captured = (await (await h.sim(`/_sim/callbacks/${a.reference}`, undefined, "GET")).json()) as {
      method: string;
      url: string;
    };
    expect(captured.method).toBe("GET");
    expect(captured.url.startsWith(`${IPN_URL}?`)).toBe(true);
    const resent = (await (await h.sim(`/_sim/callbacks/${a.reference}/resend`)).json()) as {
      deliveries: Array<{ body: string }>;
    };
    expect(resent.deliveries.map((d) => d.body)).toEqual(["responsecode=1&desc=confirm-success"]);
    const again = (await (await h.sim(`/_sim/callbacks/${a.reference}/resend`)).json()) as {
      deliveries: Array<{ body: string }>;
    };
    expect(again.deliveries).toHaveLength(1);
    expect(h.ipns.map((seen) => seen.ack)).toEqual(["accepted", "duplicate"]);
    expect((await h.sim("/_sim/callbacks/PG-UNKNOWN", undefined, "GET")).status).toBe(404);
  });

  it("sends the IPN twice at once, late, or after the browser's return, as told", async () => {
    const h = harness();
    const twice = h.attempt("PG240815DUPLICATE1", 10_002);
    await h.open(twice);
    await h.pay(twice.reference, "success");
    expect(h.ipns.map((seen) => seen.ack).sort()).toEqual(["accepted", "duplicate"]);

    const later = h.attempt("PG240815REORDERED1");
    await h.sim("/_sim/behaviour", { reference: later.reference, callback: "reorder", delayMs: 20 });
    await h.open(later);
    await h.pay(later.reference, "success");
    expect(h.ipns).toHaveLength(2);
    await vi.waitFor(() => expect(h.ipns).toHaveLength(3));
    expect(h.ipns[2]?.ack).toBe("accepted");
  });

  it("pays at once on autoPay and shows 503 when the page is down (magic amount 10009)", async () => {
    const h = harness();
    await h.sim("/_sim/behaviour", { autoPay: "cancel" });
    const a = h.attempt("PG240815AUTOPAY001");
    const { page } = await h.open(a);
    expect(page.status).toBe(302);
    expect(h.ipns[0]?.verification).toMatchObject({ ok: true, callback: { cancelledByPayer: true } });
    await h.sim("/_sim/behaviour", undefined, "DELETE");
    expect(MAGIC_AMOUNTS[10_009]?.behaviour).toEqual({ initiate: "unavailable" });
    const down = await h.open(h.attempt("PG240815PAGEDOWN01", 10_009));
    expect(down.page.status).toBe(503);
    expect(down.html).toContain('data-reason="unavailable"');
  });

  it("answers queryDR: no transaction (pending, then failed after the grace), opened (100), paid (0)", async () => {
    const h = harness();
    const never = h.attempt("PG240815NEVEROPEN1");
    expect(await h.query(never)).toMatchObject({ outcome: "pending", providerCode: "DRExists=N" });
    const a = h.attempt("PG240815QUERIED001");
    await h.open(a);
    expect(await h.query(a)).toMatchObject({ outcome: "pending", providerCode: "100", providerTxnId: null });
    await h.pay(a.reference, "failure");
    expect(await h.query(a)).toMatchObject({ outcome: "failed", providerCode: "1" });
    h.setClock(new Date(never.expiresAt.getTime() + NOT_FOUND_GRACE_MS + 60_000));
    expect(await h.query(never)).toMatchObject({ outcome: "failed", providerCode: "DRExists=N" });
  });

  it("refuses queryDR requests it cannot authenticate, unsigned, which the connector reports as OutcomeUnknown", async () => {
    for (const wrong of [
      { ONEPAY_PASSWORD: "wrong-password" },
      { ONEPAY_ACCESS_CODE: "WRONGAC1" },
      { ONEPAY_HASH_KEY: "00112233445566778899AABBCCDDEEFF" },
    ]) {
      const h = harness(wrong);
      expect(tagOf(await h.queryExit(h.attempt("PG240815WRONGCRED1")))).toBe("OutcomeUnknown");
    }
    const h = harness();
    const raw = await h.sandbox.request("/onepay/onecomm-pay/Vpcdps.op", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: toQueryString({
        ...buildQueryDrRequest("PG1", { ...merchant, merchant: "PAYGOVOP", accessCode: "TESTAC01" }),
        vpc_Password: "x",
      }),
    });
    expect(await raw.text()).toBe(
      "vpc_Command=queryDR&vpc_DRExists=N&vpc_TxnResponseCode=7&vpc_Message=Invalid+user+or+password",
    );
  });

  it("maps transport failures: 503 and refused connections → Unavailable, 4xx → InvalidRequest, timeouts → OutcomeUnknown", async () => {
    const h = harness();
    const a = h.attempt("PG240815TRANSPORT1", 10_007);
    await h.open(a);
    expect(tagOf(await h.queryExit(a))).toBe("Unavailable");

    const answering =
      (response: () => Promise<Response>): typeof fetch =>
      () =>
        response();
    const run = (fetchImpl: typeof fetch) =>
      Effect.runPromiseExit(makeOnepay(h.config, { ...h.runtime, fetch: fetchImpl }).query(a));
    const refused = new TypeError("fetch failed", {
      cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }),
    });
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const reset = new TypeError("fetch failed", {
      cause: Object.assign(new Error("socket"), { code: "ECONNRESET" }),
    });
    expect(tagOf(await run(answering(() => Promise.reject(refused))))).toBe("Unavailable");
    expect(tagOf(await run(answering(() => Promise.reject(timeout))))).toBe("OutcomeUnknown");
    expect(tagOf(await run(answering(() => Promise.reject(reset))))).toBe("OutcomeUnknown");
    expect(tagOf(await run(answering(async () => new Response("no", { status: 401 }))))).toBe(
      "InvalidRequest",
    );
  });

  it("gives up on a queryDR that hangs (magic amount 10008) once the runtime's timeout passes", async () => {
    const h = harness();
    const a = h.attempt("PG240815HANGING001", 10_008);
    await h.open(a);
    // app.request ignores abort signals, so the route is raced against the signal the connector passes.
    const abortable: typeof fetch = (input, init) =>
      new Promise((resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
        h.runtime.fetch(input, init).then(resolve, reject);
      });
    const exit = await Effect.runPromiseExit(
      makeOnepay(h.config, { ...h.runtime, fetch: abortable, requestTimeoutMs: 50 }).query(a),
    );
    expect(tagOf(exit)).toBe("OutcomeUnknown");
  });

  it("serves the day's reconciliation file in the canonical layout to the merchant's API user", async () => {
    const h = harness();
    const paid = h.attempt("PG240815RECON00001", 150_000);
    const declined = h.attempt("PG240815RECON00002", 20_000);
    await h.open(paid);
    await h.open(declined);
    h.setClock(new Date("2024-08-15T03:35:12Z"));
    await h.pay(paid.reference, "success");
    await h.pay(declined.reference, "failure");

    const file = await Effect.runPromise(h.connector.reconciliationFile("2024-08-15"));
    const lines = file.split("\r\n");
    expect(lines.at(-1)).toBe("");
    expect(lines[0]).toBe("H,ONEPAY,PAYGOVOP,2024-08-15,2024-08-15T10:35:12+07:00,1");
    const details = lines.slice(1, -2);
    expect(details.map((line) => line.split(",").length)).toEqual([19, 19]);
    expect(details[0]).toMatch(
      /^D,ONEPAY,PAYGOVOP,PAYMENT,PG240815RECON00001,\d{7},,150000,0,150000,VND,2024-08-15T10:30:00\+07:00,2024-08-15T10:35:12\+07:00,2024-08-15,970436,SUCCESS,0,,000\.00\.00\.H01-240815-0001$/,
    );
    expect(details[1]).toContain(",PG240815RECON00002,");
    expect(details[1]).toContain(",20000,0,20000,VND,");
    expect(details[1]).toContain(",FAILED,1,");
    const digest = createHash("sha256")
      .update(details.map((line) => `${line}\r\n`).join(""))
      .digest("hex");
    expect(lines.at(-2)).toBe(`T,2,170000,0,170000,${digest}`);

    const empty = await Effect.runPromise(h.connector.reconciliationFile("2024-08-16"));
    expect(empty.split("\r\n").at(-2)).toBe(`T,0,0,0,0,${createHash("sha256").update("").digest("hex")}`);
    expect(tagOf(await Effect.runPromiseExit(h.connector.reconciliationFile("15/08/2024")))).toBe(
      "InvalidRequest",
    );
    const stranger = harness({ ONEPAY_PASSWORD: "not-the-password" });
    expect(tagOf(await Effect.runPromiseExit(stranger.connector.reconciliationFile("2024-08-15")))).toBe(
      "InvalidRequest",
    );
    expect((await h.sim("/recon?date=20240815", undefined, "GET")).status).toBe(401);
  });
});

describe("simulated payment page", () => {
  const page = (h: ReturnType<typeof harness>, params: Record<string, string>, key = HASH_KEY) =>
    h.sandbox.request(`/onepay/onecomm-pay/vpc.op?${toQueryString(signParams(params, key))}`);
  const baseParams = (reference: string): Record<string, string> => {
    const params = toPaymentParams(
      { ...vectorRequest, reference, returnUrl: RETURN_URL },
      { merchant: "PAYGOVOP", accessCode: "TESTAC01" },
    );
    if (!params.ok) throw new Error(params.message);
    return params.value;
  };
  const reasonOf = async (response: Response) => {
    const html = await response.text();
    return { status: response.status, reason: /data-reason="([a-zA-Z]+)"/.exec(html)?.[1], html };
  };

  it("refuses what OnePay refuses, with an error page", async () => {
    const h = harness();
    const params = baseParams("PG-PAGE-1");
    const badKey = await reasonOf(await page(h, params, "00112233445566778899AABBCCDDEEFF"));
    expect(badKey).toMatchObject({ status: 400, reason: "invalidSignature" });
    expect(badKey.html).toContain("Sai chữ ký");
    const cases: Array<[Record<string, string>, string]> = [
      [{ vpc_Merchant: "UNKNOWN" }, "unknownMerchant"],
      [{ vpc_AccessCode: "WRONG" }, "invalidAccessCode"],
      [{ vpc_Amount: "12" }, "invalidAmount"],
      [{ vpc_Amount: "0" }, "invalidAmount"],
      [{ vpc_Currency: "USD" }, "malformed"],
      [{ vpc_Locale: "fr" }, "malformed"],
      [{ vpc_ReturnURL: "javascript:alert(1)" }, "malformed"],
      [{ vpc_OrderInfo: "X".repeat(33) }, "malformed"],
      [{ vpc_TicketNo: "" }, "malformed"],
    ];
    for (const [change, reason] of cases) {
      const result = await reasonOf(await page(h, { ...params, ...change }));
      expect({ change, reason: result.reason, status: result.status }).toEqual({
        change,
        reason,
        status: 400,
      });
    }
    const repeated = await h.sandbox.request(
      `/onepay/onecomm-pay/vpc.op?${toQueryString(signParams(params, HASH_KEY))}&vpc_Amount=1`,
    );
    expect((await reasonOf(repeated)).reason).toBe("malformed");
  });

  it("lets the same link reopen but refuses another request reusing the vpc_MerchTxnRef", async () => {
    const h = harness();
    const params = baseParams("PG-PAGE-2");
    expect((await page(h, params)).status).toBe(200);
    expect((await page(h, params)).status).toBe(200);
    expect((await reasonOf(await page(h, { ...params, vpc_Amount: "500000" }))).reason).toBe(
      "duplicateReference",
    );
    await h.pay("PG-PAGE-2", "success");
    expect((await reasonOf(await page(h, params))).reason).toBe("alreadyProcessed");
  });

  it("shows English when vpc_Locale=en", async () => {
    const h = harness();
    const html = await (await page(h, { ...baseParams("PG-PAGE-3"), vpc_Locale: "en" })).text();
    expect(html).toContain('lang="en"');
    expect(html).toContain("Cancelled by the payer");
    expect(html).toMatch(/data-testid="sim-amount">₫50,000/);
  });

  it("answers bad control requests with 4xx, never a crash", async () => {
    const h = harness();
    expect((await h.sim("/_sim/behaviour", { callback: "sometimes" })).status).toBe(400);
    expect((await h.sim("/_sim/behaviour", { colour: "red" })).status).toBe(400);
    expect((await h.sim("/_sim/pay", { reference: "NOPE", outcome: "success" })).status).toBe(404);
    expect((await h.sim("/_sim/pay", { reference: "NOPE", outcome: "0" })).status).toBe(400);
    expect((await h.sim("/recon?date=20240231", undefined, "GET")).status).toBe(401);
  });
});

describe("OnePay configuration", () => {
  const { ONEPAY_HASH_KEY: _key, ...withoutKey } = ENV;

  it("disables the connector with a message naming ONEPAY_HASH_KEY when it is missing, without crashing", () => {
    const exit = Effect.runSyncExit(onepay.config.parse(ConfigProvider.fromEnv({ env: withoutKey })));
    expect(Exit.isFailure(exit)).toBe(true);
    const set = loadConnectors([onepay], withoutKey, {
      fetch,
      now: () => new Date(),
      serverIp: "127.0.0.1",
      requestTimeoutMs: 1000,
    });
    expect(set.live.size).toBe(0);
    expect(set.disabled).toHaveLength(1);
    expect(set.disabled[0]?.id).toBe("onepay");
    expect(set.disabled[0]?.reason).toContain("ONEPAY_HASH_KEY");
  });

  it("refuses a hash key that is not hex, naming the variable", () => {
    const set = loadConnectors(
      [onepay],
      { ...ENV, ONEPAY_HASH_KEY: "not-hex-at-all" },
      {
        fetch,
        now: () => new Date(),
        serverIp: "127.0.0.1",
        requestTimeoutMs: 1000,
      },
    );
    expect(set.disabled[0]?.reason).toContain("ONEPAY_HASH_KEY");
    expect(set.disabled[0]?.reason).toContain("hex");
  });

  it("needs every credential", () => {
    for (const name of ["ONEPAY_MERCHANT", "ONEPAY_ACCESS_CODE", "ONEPAY_USER", "ONEPAY_PASSWORD"] as const) {
      const { [name]: _gone, ...env } = ENV;
      const exit = Effect.runSyncExit(onepay.config.parse(ConfigProvider.fromEnv({ env })));
      expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain(name);
    }
  });

  it("defaults every endpoint to the bundled simulator and offers its origin to the browser", () => {
    const { PAYGOV_SANDBOX_PORT: _port, ...env } = ENV;
    const config = configFrom(env);
    expect(config.paymentUrl.href).toBe("http://127.0.0.1:3001/onepay/onecomm-pay/vpc.op");
    expect(config.apiUrl.href).toBe("http://127.0.0.1:3001/onepay/onecomm-pay/Vpcdps.op");
    expect(config.reconUrl.href).toBe("http://127.0.0.1:3001/onepay/recon");
    expect(onepay.browserOrigins(config)).toEqual(["http://127.0.0.1:3001"]);
    expect(String(config.hashKey)).not.toContain(HASH_KEY);
    expect(String(config.password)).not.toContain("op123456");
    const production = configFrom({
      ...env,
      ONEPAY_PAYMENT_URL: "https://onepay.vn/onecomm-pay/vpc.op",
      ONEPAY_API_URL: "https://onepay.vn/onecomm-pay/Vpcdps.op",
    });
    expect(onepay.browserOrigins(production)).toEqual(["https://onepay.vn"]);
  });

  it("ships a conformance driver whose environment configures the connector", () => {
    expect(configFrom(onepayDriver.env as Record<string, string>).merchant).toBe("PAYGOVOP");
    expect(onepayDriver).toMatchObject({
      connector: "onepay",
      callsBackOnFailure: true,
      initiatesByApi: false,
    });
  });
});
