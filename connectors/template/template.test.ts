/**
 * TEMPLATE CONNECTOR — template.test.ts: the unit tests every connector ships beside its code.
 *
 * Four layers, each of which a new connector needs (docs/adding-a-connector.md, "Tests"):
 *   1. signature VECTORS: strings and signatures computed OUTSIDE this code base. Use the vectors in the
 *      intermediary's document when it has them; otherwise compute them with another language's standard
 *      library, as here (Python 3, shown above each constant), and say so. A vector computed by the code
 *      under test proves nothing.
 *   2. the pure MAPPING: every code of every table, every refusal, time zones, amounts.
 *   3. ROUND TRIPS: the connector against its own simulator through app.request(), with PayGov's IPN
 *      endpoint played by a small handler — no ports, no database, milliseconds per test.
 *   4. CONFIGURATION: a missing credential disables the connector with a message naming the variable;
 *      endpoints default to the bundled simulator.
 * The platform-level behaviour (Temporal, PostgreSQL, the checkout page) is the conformance kit's job,
 * in test/conformance.test.ts. WHAT THE AUTHOR MUST REPLACE: every vector and expectation, with your
 * protocol's; keep the layers.
 */
import { ConfigProvider, Effect, Exit } from "effect";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { Acknowledgement, Attempt, Connector, RefundRequest, Verification } from "../sdk/contract.ts";
import { loadConnectors } from "../sdk/load.ts";
import type { TemplateConfig } from "./config.ts";
import { makeTemplate, template } from "./index.ts";
import {
  buildCheckoutUrl,
  buildQueryRequest,
  buildRefundRequest,
  canonicalQuery,
  EXAMPLEPAY_RESULT_CODES,
  formatExampleTime,
  hmacSha256Hex,
  ipnAnswer,
  isIpnAcknowledged,
  NOT_FOUND_GRACE_MS,
  parseExampleTime,
  parseWireAmount,
  percentEncode,
  reconQuery,
  SIGNATURE_HEADER,
  toCheckoutParams,
  toQueryDecision,
  toRefundDecision,
  toWireAmount,
  verifyIpn,
  verifyReturn,
} from "./protocol.ts";

// Made-up credentials for the vectors.
const SECRET = "FAKESECRETFORTEMPLATEVECTORS0001";
const MERCHANT_ID = "EXMTEST1";
const merchant = { merchantId: MERCHANT_ID, secret: SECRET };
const REFERENCE = "PG240815ABCDEFGHIJ";
const EXPIRES = new Date("2024-08-15T03:45:00Z"); // 10:45:00 in Hà Nội

// The vectors, computed with Python 3 (hmac, hashlib, urllib.parse.quote):
//   canon = lambda p: "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(p.items()))
//   sign  = lambda data: hmac.new(SECRET.encode(), data.encode(), hashlib.sha256).hexdigest()
const CHECKOUT_CANONICAL =
  "amount=150000&currency=VND&description=Thanh%20toan%20ho%20so%20000.00.00.H01-240815-0001&expire_time=20240815104500&locale=vi&merchant_id=EXMTEST1&order_id=PG240815ABCDEFGHIJ&return_url=https%3A%2F%2Fpaygov.example%2Fcallbacks%2Ftemplate%2Freturn&version=1";
const CHECKOUT_SIGNATURE = "77d4fb2c50c4a2e3ce1f0ddbd2762a16ffb652d96122462e662d032417fd1c29";
// sign(IPN_BODY): the body's exact bytes.
const IPN_BODY =
  '{"merchant_id":"EXMTEST1","order_id":"PG240815ABCDEFGHIJ","transaction_id":"14512345","amount":150000,"result_code":"00","paid_time":"20240815103512"}';
const IPN_SIGNATURE = "9f0b243ffdadc24000210ee42064463e1e1aa524555a53d15aa27c2500bb5e9a";
// The same body claiming 151000 VND, and sign() of it: a valid signature over another amount.
const TAMPERED_IPN_BODY = IPN_BODY.replace('"amount":150000', '"amount":151000');
const TAMPERED_IPN_SIGNATURE = "bd6391670402818dcca32f54bbcf321173af51fb92cbffa4668967a78c8e0d17";
const RETURN_CANONICAL =
  "amount=150000&merchant_id=EXMTEST1&order_id=PG240815ABCDEFGHIJ&paid_time=20240815103512&result_code=00&transaction_id=14512345";
const RETURN_SIGNATURE = "e7347673528d1b4cbca887b7262e4a441f45768a89044d6125adeec906cb0ecc";
const QUERY_BODY =
  '{"merchant_id":"EXMTEST1","order_id":"PG240815ABCDEFGHIJ","request_id":"0123456789abcdef0123456789abcdef","request_time":"20240815110000"}';
const QUERY_SIGNATURE = "6e069a7dc4fa3a830a88fa370d35439210d4fc8b2b0d495e46f292ee16cc1a12";
const REFUND_BODY =
  '{"merchant_id":"EXMTEST1","refund_id":"RF240815KLMNOPQRST","order_id":"PG240815ABCDEFGHIJ","amount":75000,"reason":"Hoan phi ho so","request_time":"20240815120000"}';
const REFUND_SIGNATURE = "fef20af320ab465e019d0cba28ed71a345abe3fcaecc2d648e82666fbc629701";
const RECON_QUERY =
  "date=20240815&merchant_id=EXMTEST1&signature=f942a2cafa382cb5fd248457ca814878dbe490e3b22a43a04dab032761b3597c";

const checkout = {
  merchantId: MERCHANT_ID,
  reference: REFERENCE,
  amount: 150_000,
  description: "Thanh toan ho so 000.00.00.H01-240815-0001",
  returnUrl: "https://paygov.example/callbacks/template/return",
  expiresAt: EXPIRES,
  locale: "vi",
} as const;

const ipnRequest = (body: string, signature: string | undefined, method = "POST") => ({
  method,
  headers: signature === undefined ? {} : ({ [SIGNATURE_HEADER]: signature } as Record<string, string>),
  body,
});

describe("Example Pay signature vectors (computed with Python)", () => {
  it("signs the checkout over its canonical query, and sends exactly the signed bytes", () => {
    const params = toCheckoutParams(checkout);
    if (!params.ok) throw new Error(params.message);
    expect(canonicalQuery(params.value)).toBe(CHECKOUT_CANONICAL);
    expect(hmacSha256Hex(SECRET, CHECKOUT_CANONICAL)).toBe(CHECKOUT_SIGNATURE);
    const url = buildCheckoutUrl("http://127.0.0.1:3001/template/checkout", checkout, SECRET);
    expect(url).toEqual({
      ok: true,
      value: `http://127.0.0.1:3001/template/checkout?${CHECKOUT_CANONICAL}&signature=${CHECKOUT_SIGNATURE}`,
    });
  });

  it("percent-encodes as RFC 3986 (Python's quote): %20 for spaces, !'()* encoded, ~ kept, UTF-8 bytes", () => {
    expect(percentEncode("Lệ phí (hồ sơ) *A~B!'")).toBe(
      "L%E1%BB%87%20ph%C3%AD%20%28h%E1%BB%93%20s%C6%A1%29%20%2AA~B%21%27",
    );
    // A lone surrogate would make encodeURIComponent throw; protocol.ts never throws.
    expect(percentEncode("a\uD800b")).toBe("a%EF%BF%BDb");
  });

  it("verifies the IPN over the body's exact bytes", () => {
    expect(verifyIpn(ipnRequest(IPN_BODY, IPN_SIGNATURE), merchant)).toEqual({
      ok: true,
      callback: {
        reference: REFERENCE,
        providerTxnId: "14512345",
        amount: 150_000,
        outcome: "succeeded",
        providerCode: "00",
        paidAt: new Date("2024-08-15T03:35:12Z"),
        cancelledByPayer: false,
      },
    });
    // Upper-case hex is the same signature.
    expect(verifyIpn(ipnRequest(IPN_BODY, IPN_SIGNATURE.toUpperCase()), merchant).ok).toBe(true);
    // The same JSON with other whitespace is other bytes: refused, whatever it means.
    expect(verifyIpn(ipnRequest(IPN_BODY.replace(",", ", "), IPN_SIGNATURE), merchant)).toMatchObject({
      ok: false,
      rejection: { reason: "signature_invalid" },
    });
  });

  it("refuses an altered amount under the old signature, and reports a validly signed other amount as is", () => {
    expect(verifyIpn(ipnRequest(TAMPERED_IPN_BODY, IPN_SIGNATURE), merchant)).toMatchObject({
      ok: false,
      rejection: { reason: "signature_invalid" },
    });
    // Signed with the real key, it verifies: only PayGov's comparison with its ledger catches it.
    expect(verifyIpn(ipnRequest(TAMPERED_IPN_BODY, TAMPERED_IPN_SIGNATURE), merchant)).toMatchObject({
      ok: true,
      callback: { amount: 151_000 },
    });
  });

  it("verifies the browser return over its canonical query", () => {
    expect(hmacSha256Hex(SECRET, RETURN_CANONICAL)).toBe(RETURN_SIGNATURE);
    const query = new URLSearchParams(`${RETURN_CANONICAL}&signature=${RETURN_SIGNATURE}`);
    expect(verifyReturn(query, merchant)).toMatchObject({ ok: true, callback: { amount: 150_000 } });
    // The parameters in another order: the same values, so the same signature.
    const reordered = new URLSearchParams(
      `signature=${RETURN_SIGNATURE}&${RETURN_CANONICAL.split("&").reverse().join("&")}`,
    );
    expect(verifyReturn(reordered, merchant).ok).toBe(true);
  });

  it("signs the query, refund and file requests as the vectors say", () => {
    const query = buildQueryRequest(
      {
        reference: REFERENCE,
        requestId: "0123456789abcdef0123456789abcdef",
        requestedAt: new Date("2024-08-15T04:00:00Z"),
      },
      merchant,
    );
    expect(query).toEqual({
      body: QUERY_BODY,
      headers: { "content-type": "application/json", [SIGNATURE_HEADER]: QUERY_SIGNATURE },
    });
    const refund = buildRefundRequest(
      {
        refundId: "RF240815KLMNOPQRST",
        reference: REFERENCE,
        amount: 75_000,
        reason: "Hoàn phí hồ sơ",
        requestedAt: new Date("2024-08-15T05:00:00Z"),
      },
      merchant,
    );
    expect(refund).toEqual({
      ok: true,
      value: {
        body: REFUND_BODY,
        headers: { "content-type": "application/json", [SIGNATURE_HEADER]: REFUND_SIGNATURE },
      },
    });
    expect(reconQuery("20240815", merchant)).toBe(RECON_QUERY);
  });
});

describe("Example Pay time and amounts (§11, §12)", () => {
  it("writes Vietnam time whatever the instant's UTC date", () => {
    // 17:30 UTC is 00:30 the next day in Hà Nội.
    expect(formatExampleTime(new Date("2024-08-15T17:30:00Z"))).toBe("20240816003000");
    expect(parseExampleTime("20240816003000")).toEqual(new Date("2024-08-15T17:30:00Z"));
  });

  it("reads only real calendar seconds", () => {
    for (const bad of [
      "20240230120000",
      "20241301000000",
      "2024081510300",
      "2024-08-15",
      "20240815246000",
      "",
    ])
      expect(parseExampleTime(bad)).toBeNull();
  });

  it("sends whole VND within the limits and reads only positive integers", () => {
    expect(toWireAmount(150_000)).toEqual({ ok: true, value: "150000" });
    for (const bad of [999, 500_000_001, 1500.5, Number.NaN, -1_000])
      expect(toWireAmount(bad).ok).toBe(false);
    expect(parseWireAmount("150000")).toBe(150_000);
    expect(parseWireAmount(150_000)).toBe(150_000);
    for (const bad of ["0150000", "1.5", "-1", "", "1e5", 1.5, null, "99999999999999999"])
      expect(parseWireAmount(bad)).toBeNull();
  });
});

/** An IPN for `fields` (merged over the vector's), signed with the vector's secret. */
const signedIpn = (fields: Record<string, unknown>) => {
  const body = JSON.stringify({ ...JSON.parse(IPN_BODY), ...fields });
  return ipnRequest(body, hmacSha256Hex(SECRET, body));
};

describe("Example Pay callback mapping (§4, §5, §9)", () => {
  it("maps every result code of the table, cancels without a transaction", () => {
    for (const [code, meaning] of Object.entries(EXAMPLEPAY_RESULT_CODES)) {
      const verification = verifyIpn(
        signedIpn({ result_code: code, paid_time: code === "00" ? "20240815103512" : "" }),
        merchant,
      );
      expect(verification).toMatchObject({
        ok: true,
        callback: {
          outcome: meaning.outcome,
          providerCode: code,
          cancelledByPayer: meaning.cancelledByPayer,
        },
      });
    }
    expect(
      verifyIpn(signedIpn({ result_code: "09", transaction_id: "", paid_time: "" }), merchant),
    ).toMatchObject({
      ok: true,
      callback: { outcome: "failed", providerTxnId: null, paidAt: null, cancelledByPayer: true },
    });
  });

  it("refuses what it cannot read, with the right reason", () => {
    const cases: Array<[ReturnType<typeof ipnRequest>, "malformed" | "signature_invalid"]> = [
      [signedIpn({ result_code: "42" }), "malformed"],
      [signedIpn({ merchant_id: "SOMEONE" }), "malformed"],
      [signedIpn({ amount: "150000.5" }), "malformed"],
      [signedIpn({ order_id: "" }), "malformed"],
      [ipnRequest("not json", hmacSha256Hex(SECRET, "not json")), "malformed"],
      [ipnRequest(IPN_BODY, IPN_SIGNATURE, "GET"), "malformed"],
      [ipnRequest(IPN_BODY, undefined), "signature_invalid"],
      [ipnRequest(IPN_BODY, "zz"), "signature_invalid"],
      [ipnRequest(IPN_BODY, hmacSha256Hex("another secret", IPN_BODY)), "signature_invalid"],
    ];
    for (const [request, reason] of cases)
      expect(verifyIpn(request, merchant)).toMatchObject({ ok: false, rejection: { reason } });
    const twice = new URLSearchParams(`${RETURN_CANONICAL}&amount=1&signature=${RETURN_SIGNATURE}`);
    expect(verifyReturn(twice, merchant)).toMatchObject({ ok: false, rejection: { reason: "malformed" } });
    expect(verifyReturn(new URLSearchParams(RETURN_CANONICAL), merchant)).toMatchObject({
      ok: false,
      rejection: { reason: "signature_invalid" },
    });
  });

  it("answers the IPN so that Example Pay stops re-sending only on accepted and duplicate", () => {
    const acks: Acknowledgement[] = [
      "accepted",
      "duplicate",
      "signature_invalid",
      "malformed",
      "unknown_reference",
      "amount_mismatch",
      "error",
    ];
    const stops = acks.filter((ack) => {
      const answer = ipnAnswer(ack);
      return isIpnAcknowledged(answer.status, answer.body);
    });
    expect(stops).toEqual(["accepted", "duplicate"]);
    expect(ipnAnswer("accepted")).toEqual({
      status: 200,
      headers: { "content-type": "application/json; charset=utf-8" },
      body: '{"code":"00","message":"Received"}',
    });
  });
});

describe("Example Pay query and refund mapping (§6, §7, §10)", () => {
  const context = { reference: REFERENCE, expiresAt: EXPIRES, now: new Date("2024-08-15T03:40:00Z") };
  const paid = {
    order_id: REFERENCE,
    transaction_id: "14512345",
    amount: 150_000,
    result_code: "00",
    paid_time: "20240815103512",
  };

  it("reads a paid order, an unknown result code and another order", () => {
    expect(toQueryDecision({ api_code: "00", order: paid }, context)).toEqual({
      kind: "result",
      result: {
        outcome: "succeeded",
        providerTxnId: "14512345",
        amount: 150_000,
        providerCode: "00",
        paidAt: new Date("2024-08-15T03:35:12Z"),
      },
    });
    expect(toQueryDecision({ api_code: "00", order: { ...paid, result_code: "42" } }, context)).toMatchObject(
      {
        kind: "result",
        result: { outcome: "unknown", providerCode: "42" },
      },
    );
    expect(toQueryDecision({ api_code: "00", order: { ...paid, order_id: "PGOTHER" } }, context).kind).toBe(
      "unverifiable",
    );
    expect(toQueryDecision({ api_code: "00", order: { ...paid, amount: "x" } }, context)).toMatchObject({
      result: { outcome: "unknown" },
    });
  });

  it('reads "not found" as pending while the link may still be opened, failed after it expired', () => {
    expect(toQueryDecision({ api_code: "11" }, context)).toMatchObject({ result: { outcome: "pending" } });
    const later = { ...context, now: new Date(EXPIRES.getTime() + NOT_FOUND_GRACE_MS + 1000) };
    expect(toQueryDecision({ api_code: "11" }, later)).toMatchObject({ result: { outcome: "failed" } });
  });

  it("turns API codes into the decisions that drive retries", () => {
    expect(toQueryDecision({ api_code: "12" }, context)).toMatchObject({
      kind: "invalid",
      providerCode: "12",
    });
    expect(toQueryDecision({ api_code: "99" }, context).kind).toBe("unavailable");
    expect(toQueryDecision({ api_code: "77" }, context).kind).toBe("unverifiable");
    expect(toQueryDecision({}, context).kind).toBe("unverifiable");
    const refund = { refund_id: "RF1", refund_transaction_id: "99000001", amount: 75_000 };
    expect(toRefundDecision({ api_code: "00", refund }, "RF1")).toEqual({
      kind: "result",
      result: { outcome: "succeeded", providerRefundId: "99000001", providerCode: "00" },
    });
    expect(toRefundDecision({ api_code: "00", refund }, "RF2").kind).toBe("unverifiable");
    for (const code of ["11", "21", "22"])
      expect(toRefundDecision({ api_code: code }, "RF1").kind).toBe("declined");
    expect(toRefundDecision({ api_code: "13" }, "RF1").kind).toBe("invalid");
    expect(toRefundDecision({ api_code: "99" }, "RF1").kind).toBe("unavailable");
  });
});

// ---------------------------------------------------------------------------------------------
// Round trips: the connector against its simulator through app.request, PayGov's IPN endpoint played by
// a handler that checks reference, amount and repeats the way api/callbacks/routes.ts does.

const PAYGOV = "http://paygov.test";
const IPN_URL = `${PAYGOV}/callbacks/template/ipn`;
const CREATED = new Date("2024-08-15T03:30:00Z");

const configFrom = (env: Record<string, string>): TemplateConfig =>
  Effect.runSync(template.config.parse(ConfigProvider.fromEnv({ env })));

const harness = (options: { connectorSecret?: string; requestTimeoutMs?: number } = {}) => {
  let clock = new Date(CREATED);
  const env = { TEMPLATE_MERCHANT_ID: MERCHANT_ID, TEMPLATE_SECRET: SECRET, PAYGOV_SANDBOX_PORT: "3999" };
  const config = configFrom(env);
  const connectorConfig = configFrom({ ...env, TEMPLATE_SECRET: options.connectorSecret ?? SECRET });
  const expected = new Map<string, number>();
  const confirmed = new Set<string>();
  const ipns: Array<{ verification: Verification; ack: Acknowledgement }> = [];

  const paygov = new Hono().post("/callbacks/template/ipn", async (c) => {
    const verification = connector.verifyCallback(
      {
        method: c.req.method,
        url: c.req.url,
        query: new URL(c.req.url).searchParams,
        headers: Object.fromEntries(c.req.raw.headers.entries()),
        body: await c.req.text(),
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
    const answer = connector.acknowledge(ack);
    return c.body(answer.body, answer.status as 200, answer.headers);
  });

  // Like fetch, it gives up when the request's signal aborts (the connector's timeout), even though
  // app.request itself never would.
  const route: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const target = url.startsWith(PAYGOV) ? paygov : sandbox;
    const signal = init?.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      Promise.resolve(target.request(url, init)).then(resolve, reject);
    });
  };
  const sandbox = new Hono().route(
    "/template",
    template.simulator!({
      merchant: config,
      ipnUrl: IPN_URL,
      basePath: "/template",
      fetch: route,
      now: () => clock,
    }),
  );
  const runtime = {
    fetch: route,
    now: () => clock,
    serverIp: "10.0.0.5",
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
  };
  const connector = makeTemplate(connectorConfig, runtime);

  let attempts = 0;
  const attempt = (amount = 150_000): Attempt => {
    attempts += 1;
    const reference = `PG240815TEST${String(attempts).padStart(6, "0")}`;
    expected.set(reference, amount);
    return {
      paymentId: "pay_1",
      attemptId: `att_${attempts}`,
      reference,
      amount,
      orderInfo: "Thanh toan ho so 000.00.00.H01-240815-0001",
      dossierCode: "000.00.00.H01-240815-0001",
      paymentCode: "4539148803436467",
      createdAt: clock,
      expiresAt: new Date(clock.getTime() + 15 * 60_000),
      clientIp: "203.0.113.7",
      locale: "vi",
      ipnUrl: IPN_URL,
      returnUrl: `${PAYGOV}/callbacks/template/return`,
    };
  };

  const open = async (a: Attempt) => {
    const initiation = await Effect.runPromise(connector.initiate(a));
    if (initiation.kind !== "redirect") throw new Error("Example Pay redirects");
    const page = await sandbox.request(initiation.url);
    return { url: initiation.url, status: page.status, html: await page.text() };
  };

  const sim = (path: string, body?: unknown) =>
    sandbox.request(`/template/_sim${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  const pay = async (reference: string, outcome: "success" | "failure" | "cancel") => {
    const response = await sim("/pay", { reference, outcome });
    expect(response.status).toBe(200);
    return ((await response.json()) as { returnUrl: string }).returnUrl;
  };

  const refundOf = (a: Attempt, amount: number, reference: string): RefundRequest => ({
    refundId: `rf_${reference}`,
    reference,
    attempt: a,
    providerTxnId: null,
    paidAt: null,
    amount,
    full: amount === a.amount,
    reason: "Hoàn phí hồ sơ",
    requestedAt: clock,
    requestedBy: "portal",
  });

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
    refundOf,
    run: <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromiseExit(effect),
    setClock: (next: Date) => {
      clock = next;
    },
  };
};

const returned = (h: ReturnType<typeof harness>, returnUrl: string) =>
  h.connector.verifyCallback(
    { method: "GET", url: returnUrl, query: new URL(returnUrl).searchParams, headers: {}, body: "" },
    "return",
  );

/** The tag of a failed Exit, or "success". */
const tagOf = (exit: Exit.Exit<unknown, { readonly _tag: string }>): string =>
  Exit.isSuccess(exit)
    ? "success"
    : (exit.cause.reasons.find((r) => r._tag === "Fail")?.error._tag ?? "defect");

describe("connector ⇄ simulator", () => {
  it("pays: the page shows the order, the IPN and the return verify, the query finds the payment", async () => {
    const h = harness();
    const a = h.attempt();
    const { status, html } = await h.open(a);
    expect(status).toBe(200);
    expect(html).toContain(`data-testid="sim-order-id">${a.reference}<`);
    const returnUrl = await h.pay(a.reference, "success");
    expect(h.ipns).toHaveLength(1);
    expect(h.ipns[0]).toMatchObject({
      ack: "accepted",
      verification: { ok: true, callback: { reference: a.reference, amount: 150_000, outcome: "succeeded" } },
    });
    expect(returnUrl.startsWith(`${PAYGOV}/callbacks/template/return?`)).toBe(true);
    expect(returned(h, returnUrl)).toMatchObject({ ok: true, callback: { outcome: "succeeded" } });
    const query = await Effect.runPromise(h.connector.query(a));
    expect(query).toMatchObject({
      outcome: "succeeded",
      amount: 150_000,
      providerCode: "00",
      paidAt: CREATED,
    });
    expect(query.providerTxnId).toMatch(/^\d{8}$/);
  });

  it("reports failures and cancels in the IPN and the query", async () => {
    const h = harness();
    const failed = h.attempt();
    await h.open(failed);
    await h.pay(failed.reference, "failure");
    const cancelled = h.attempt();
    await h.open(cancelled);
    await h.pay(cancelled.reference, "cancel");
    expect(h.ipns.map((i) => i.verification)).toMatchObject([
      { ok: true, callback: { outcome: "failed", providerCode: "06", cancelledByPayer: false } },
      {
        ok: true,
        callback: { outcome: "failed", providerCode: "09", cancelledByPayer: true, providerTxnId: null },
      },
    ]);
    expect(await Effect.runPromise(h.connector.query(cancelled))).toMatchObject({
      outcome: "failed",
      cancelledByPayer: true,
    });
  });

  it("answers a query before the page is opened (pending), while it is open (pending), and after expiry (failed)", async () => {
    const h = harness();
    const a = h.attempt();
    expect(await Effect.runPromise(h.connector.query(a))).toMatchObject({
      outcome: "pending",
      providerCode: "11",
    });
    await h.open(a);
    expect(await Effect.runPromise(h.connector.query(a))).toMatchObject({
      outcome: "pending",
      providerCode: "01",
    });
    h.setClock(new Date(a.expiresAt.getTime() + 1000));
    expect(await Effect.runPromise(h.connector.query(a))).toMatchObject({
      outcome: "failed",
      providerCode: "10",
    });
    const never = h.attempt();
    h.setClock(new Date(never.expiresAt.getTime() + NOT_FOUND_GRACE_MS + 1000));
    expect(await Effect.runPromise(h.connector.query(never))).toMatchObject({
      outcome: "failed",
      providerCode: "11",
    });
  });

  it("misbehaves as the kit says: magic 10001 drops the IPN but captures it; tampering is caught", async () => {
    const h = harness();
    const dropped = h.attempt(10_001);
    await h.open(dropped);
    await h.pay(dropped.reference, "success");
    expect(h.ipns).toHaveLength(0);
    const captured = (await (await h.sim(`/callbacks/${dropped.reference}`)).json()) as { body: string };
    expect(JSON.parse(captured.body)).toMatchObject({ order_id: dropped.reference, amount: 10_001 });

    // A refused IPN is sent again (4 tries in the kit); the duplicate is recognised as a repeat.
    for (const [behaviour, acks] of [
      [{ tamperAmount: true }, ["amount_mismatch", "amount_mismatch", "amount_mismatch", "amount_mismatch"]],
      [
        { tamperSignature: true },
        ["signature_invalid", "signature_invalid", "signature_invalid", "signature_invalid"],
      ],
      [{ callback: "duplicate" }, ["accepted", "duplicate"]],
    ] as const) {
      const a = h.attempt();
      await h.open(a);
      await h.sim("/behaviour", { reference: a.reference, ...behaviour });
      const before = h.ipns.length;
      await h.pay(a.reference, "success");
      expect(
        h.ipns
          .slice(before)
          .map((i) => i.ack)
          .sort(),
      ).toEqual([...acks]);
    }
  });

  it("refuses links it must refuse: another signature, a reused order id, an expired link", async () => {
    const h = harness();
    const a = h.attempt();
    const { url } = await h.open(a);
    // The same link again is the same order.
    expect((await h.sandbox.request(url)).status).toBe(200);
    const forged = url.replace(/signature=[0-9a-f]+/, `signature=${"0".repeat(64)}`);
    expect(await (await h.sandbox.request(forged)).text()).toContain('data-reason="invalidSignature"');
    const reused = await Effect.runPromise(h.connector.initiate({ ...a, amount: 200_000 }));
    if (reused.kind !== "redirect") throw new Error("Example Pay redirects");
    expect(await (await h.sandbox.request(reused.url)).text()).toContain('data-reason="duplicateOrder"');
    const late = h.attempt();
    h.setClock(new Date(late.expiresAt.getTime() + 1));
    const expired = await h.open(late);
    expect(expired.html).toContain('data-reason="expired"');
  });

  it("refunds in part, answers a repeated refund_id with the first answer, refuses what is not there", async () => {
    const h = harness();
    const a = h.attempt();
    await h.open(a);
    await h.pay(a.reference, "success");
    const first = await Effect.runPromise(h.connector.refund(h.refundOf(a, 100_000, "RF240815AAAAAAAAAA")));
    expect(first).toMatchObject({ outcome: "succeeded", providerCode: "00" });
    const again = await Effect.runPromise(h.connector.refund(h.refundOf(a, 100_000, "RF240815AAAAAAAAAA")));
    expect(again).toEqual(first);
    // 50,000 VND remain: asking 60,000 more is refused for good (21 → Declined).
    const over = await h.run(h.connector.refund(h.refundOf(a, 60_000, "RF240815BBBBBBBBBB")));
    expect(tagOf(over)).toBe("Declined");
    await h.sim("/behaviour", { reference: a.reference, refund: "refuse" });
    const refused = await h.run(h.connector.refund(h.refundOf(a, 10_000, "RF240815CCCCCCCCCC")));
    expect(tagOf(refused)).toBe("Declined");
    expect(JSON.stringify(refused)).toContain('"providerCode":"22"');
    // More than the payment is never sent at all.
    const tooMuch = await h.run(h.connector.refund(h.refundOf(a, 150_001, "RF240815DDDDDDDDDD")));
    expect(tagOf(tooMuch)).toBe("InvalidRequest");
  });

  it("maps transport failures onto the error kinds: 503, a refused connection, a timeout, a wrong secret", async () => {
    const h = harness({ requestTimeoutMs: 200 });
    const a = h.attempt();
    await h.open(a);
    await h.sim("/behaviour", { reference: a.reference, api: "unavailable" });
    expect(tagOf(await h.run(h.connector.query(a)))).toBe("Unavailable");
    await h.sim("/behaviour", { reference: a.reference, api: "hang" });
    expect(tagOf(await h.run(h.connector.query(a)))).toBe("OutcomeUnknown");
    await h.sim("/behaviour", { reference: a.reference, api: "normal" });

    const refused = new TypeError("fetch failed", {
      cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }),
    });
    const unreachable = makeTemplate(h.config, { ...h.runtime, fetch: () => Promise.reject(refused) });
    expect(tagOf(await h.run(unreachable.query(a)))).toBe("Unavailable");

    // Example Pay answers 12, signed with the real secret: our wrong secret cannot verify it — loud, not quiet.
    const misconfigured = harness({ connectorSecret: "not-the-real-secret" });
    const b = misconfigured.attempt();
    expect(tagOf(await misconfigured.run(misconfigured.connector.query(b)))).toBe("OutcomeUnknown");
  });

  it("serves the day's reconciliation file in the canonical layout, with the payment and its refund", async () => {
    const h = harness();
    const a = h.attempt();
    await h.open(a);
    await h.pay(a.reference, "success");
    await Effect.runPromise(h.connector.refund(h.refundOf(a, 50_000, "RF240815EEEEEEEEEE")));
    const file = await Effect.runPromise(h.connector.reconciliationFile("2024-08-15"));
    const lines = file.split("\r\n");
    expect(lines[0]).toBe("H,TEMPLATE,EXMTEST1,2024-08-15,2024-08-15T10:30:00+07:00,1");
    expect(lines[1]).toMatch(
      new RegExp(`^D,TEMPLATE,EXMTEST1,PAYMENT,${a.reference},\\d+,,150000,0,150000,VND,`),
    );
    expect(lines[2]).toMatch(
      new RegExp(`^D,TEMPLATE,EXMTEST1,REFUND,${a.reference},\\d+,\\d+,50000,0,50000,VND,`),
    );
    expect(lines[1]).toContain(",2024-08-15,EXAMPLEPAY,SUCCESS,00,,000.00.00.H01-240815-0001");
    expect(lines[3]).toMatch(/^T,2,200000,0,200000,[0-9a-f]{64}$/);
    expect(lines[4]).toBe("");
    expect(tagOf(await h.run(h.connector.reconciliationFile("15/08/2024")))).toBe("InvalidRequest");
    // Unsigned, the simulator refuses it (401 → InvalidRequest): the file is the merchant's alone.
    expect((await h.sandbox.request("/template/recon?date=20240815&merchant_id=EXMTEST1")).status).toBe(401);
  });
});

describe("Example Pay configuration", () => {
  const runtime = { fetch, now: () => new Date(), serverIp: "127.0.0.1", requestTimeoutMs: 1000 };

  it("is disabled, with a message naming the variable, when a credential is missing or empty", () => {
    for (const env of [
      { TEMPLATE_MERCHANT_ID: MERCHANT_ID },
      { TEMPLATE_MERCHANT_ID: MERCHANT_ID, TEMPLATE_SECRET: "" },
    ]) {
      const set = loadConnectors([template], env, runtime);
      expect(set.live.has("template")).toBe(false);
      expect(set.disabled).toHaveLength(1);
      expect(set.disabled[0]?.reason).toContain("TEMPLATE_SECRET");
    }
    const noMerchant = loadConnectors([template], { TEMPLATE_SECRET: SECRET }, runtime);
    expect(noMerchant.disabled[0]?.reason).toContain("TEMPLATE_MERCHANT_ID");
  });

  // The same checks connectors/sandbox-credentials.test.ts makes of every registered connector.
  it("generates sandbox credentials that configure it alone, fresh each time, each one required", () => {
    const all = template.sandboxCredentials!();
    expect([...loadConnectors([template], all, runtime).live.keys()]).toEqual(["template"]);
    expect(Object.keys(all)).toEqual(["TEMPLATE_MERCHANT_ID", "TEMPLATE_SECRET"]);
    expect(template.sandboxCredentials!()).not.toEqual(all);
    for (const name of Object.keys(all)) {
      const { [name]: _, ...rest } = all;
      expect(loadConnectors([template], rest, runtime).disabled[0]?.reason).toContain(name);
    }
  });

  it("declares exactly the methods it implements (the flags decide which conformance scenarios run)", () => {
    const connector: Connector = makeTemplate(
      configFrom({ TEMPLATE_MERCHANT_ID: MERCHANT_ID, TEMPLATE_SECRET: SECRET }),
      runtime,
    );
    const { capabilities } = template;
    expect({
      query: capabilities.query,
      refund: capabilities.refund,
      refundStatus: capabilities.refundStatus,
      reconciliationFile: capabilities.reconciliationFile,
      billLookup: capabilities.billLookup,
    }).toEqual({
      query: connector.query !== undefined,
      refund: connector.refund !== undefined,
      refundStatus: connector.refundStatus !== undefined,
      reconciliationFile: connector.reconciliationFile !== undefined,
      billLookup: connector.collection !== undefined,
    });
  });

  it("defaults every endpoint to the bundled simulator and keeps the secret out of logs", () => {
    const config = configFrom({ TEMPLATE_MERCHANT_ID: MERCHANT_ID, TEMPLATE_SECRET: SECRET });
    expect(config.paymentUrl.href).toBe("http://127.0.0.1:3001/template/checkout");
    expect(config.apiUrl.href).toBe("http://127.0.0.1:3001/template");
    expect(config.reconUrl.href).toBe("http://127.0.0.1:3001/template/recon");
    expect(
      configFrom({ TEMPLATE_MERCHANT_ID: MERCHANT_ID, TEMPLATE_SECRET: SECRET, PAYGOV_SANDBOX_PORT: "4100" })
        .paymentUrl.origin,
    ).toBe("http://127.0.0.1:4100");
    expect(template.browserOrigins(config)).toEqual(["http://127.0.0.1:3001"]);
    expect(`${String(config.secret)} ${JSON.stringify(config)}`).not.toContain(SECRET);
  });
});
