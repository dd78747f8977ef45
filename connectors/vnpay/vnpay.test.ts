import { createHash } from "node:crypto";
import { ConfigProvider, Effect, Exit } from "effect";
import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Acknowledgement, Attempt, Verification } from "../sdk/contract.ts";
import type { VnpayConfig } from "./config.ts";
import { makeVnpay, vnpay } from "./index.ts";
import {
  buildQueryRequest,
  buildRefundRequest,
  queryRequestHashData,
  queryResponseHashData,
  readQueryResponse,
  refundRequestHashData,
  refundStateFromQuery,
  signQueryResponse,
  toQueryDecision,
  toRefundDecision,
  type VnpayQueryResponseFields,
} from "./merchant-api.ts";
import {
  formEncode,
  hmacSha512Hex,
  ipnResponse,
  normaliseOrderInfo,
  secureHashData,
  signQuery,
  toPaymentParams,
  verifyCallbackQuery,
} from "./protocol.ts";
import { csvField, writeReconFile } from "./recon-file.ts";
import { formatVnpayDate, parseVnpayDate } from "./time.ts";

// Appendix, "test vectors": made-up key and the values they were computed from.
const SECRET = "FAKESECRETFORTESTVECTORS00000000";
const TMN = "TESTTMN1";
const merchant = { tmnCode: TMN, secret: SECRET };
const ORDER_INFO = "Thanh toan le phi ho so 000.00.00.H01-240815-0001";
const CREATED = new Date("2024-08-15T03:30:00Z"); // 10:30:00 in Hà Nội
const EXPIRES = new Date("2024-08-15T03:45:00Z");

const CREATE_STRING =
  "vnp_Amount=1000000&vnp_Command=pay&vnp_CreateDate=20240815103000&vnp_CurrCode=VND&vnp_ExpireDate=20240815104500&vnp_IpAddr=127.0.0.1&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+le+phi+ho+so+000.00.00.H01-240815-0001&vnp_OrderType=other&vnp_ReturnUrl=https%3A%2F%2Fexample.gov.vn%2Freturn&vnp_TmnCode=TESTTMN1&vnp_TxnRef=HS0001240815&vnp_Version=2.1.0";
const CREATE_HASH =
  "b8472b1a19f4b525388de542a663a324ae2cdaafaed1dc1421ecef4daf050e212787ec3175acc128d59d3d18dd1bae387d61367f3d29573e5a687eca3892c7e2";
const CREATE_HASH_WITH_PERCENT_20 =
  "906855cd4c540e4b8e7d0ad12fb0298922f104db1d725f94ff6b15100c105e58fc8c67bea6f7f7a877c5eb3fbb465500d335870f72582602474f9db48da8eb86";
const CREATE_HASH_WITH_DIACRITICS =
  "ea0cc3e058378fc87d995069ac13c4214695a39154584b97b8bb459f489522474f203601f0b578ac0d17b5417125a3092589cefcd393097437b8da8e5561c9d2";
const IPN_STRING =
  "vnp_Amount=1000000&vnp_BankCode=NCB&vnp_BankTranNo=VNP14512345&vnp_CardType=ATM&vnp_OrderInfo=Thanh+toan+le+phi+ho+so+000.00.00.H01-240815-0001&vnp_PayDate=20240815103512&vnp_ResponseCode=00&vnp_TmnCode=TESTTMN1&vnp_TransactionNo=14512345&vnp_TransactionStatus=00&vnp_TxnRef=HS0001240815";
const IPN_HASH =
  "fb63d567a3a404d6ab973872e61d285e5471c0b586665a69012a3afb92471d97dbf7e6f0dd5098e99b8b8bd44ecd48fa525ebbafaa543b5954c63a23bf48265a";
const TAMPERED_IPN_HASH =
  "253e690d7f7a33e88d58260a7064abd91e814e019b533ef357616e423f5ef0b6eeb3c3c07490ab2d156cbb7a6d858ba237ed36d677629e0d36f73a4fd972223e";

const paymentRequest = {
  tmnCode: TMN,
  reference: "HS0001240815",
  amount: 10_000,
  orderInfo: ORDER_INFO,
  createdAt: CREATED,
  expiresAt: EXPIRES,
  locale: "vi",
  returnUrl: "https://example.gov.vn/return",
  ipAddr: "127.0.0.1",
} as const;

const paramsOf = (query: string): Record<string, string> => Object.fromEntries(new URLSearchParams(query));

describe("VNPay signature vectors (Appendix)", () => {
  it("signs the create request over the form-encoded, sorted query", () => {
    const params = toPaymentParams(paymentRequest);
    if (!params.ok) throw new Error(params.message);
    expect(secureHashData(params.value)).toBe(CREATE_STRING);
    expect(signQuery(params.value, SECRET)).toBe(`${CREATE_STRING}&vnp_SecureHash=${CREATE_HASH}`);
  });

  it("gets another hash when spaces are encoded as %20 (the classic wrong encoder)", () => {
    const wrong = CREATE_STRING.replaceAll("+", "%20");
    expect(hmacSha512Hex(SECRET, wrong)).toBe(CREATE_HASH_WITH_PERCENT_20);
    expect(CREATE_HASH_WITH_PERCENT_20).not.toBe(CREATE_HASH);
  });

  it("encodes diacritics as uppercase UTF-8 bytes", () => {
    const params = toPaymentParams(paymentRequest);
    if (!params.ok) throw new Error(params.message);
    const withDiacritics = { ...params.value, vnp_OrderInfo: "Lệ phí hồ sơ".normalize("NFC") };
    expect(secureHashData(withDiacritics)).toContain("vnp_OrderInfo=L%E1%BB%87+ph%C3%AD+h%E1%BB%93+s%C6%A1&");
    expect(hmacSha512Hex(SECRET, secureHashData(withDiacritics))).toBe(CREATE_HASH_WITH_DIACRITICS);
  });

  it("verifies the IPN and ignores vnp_SecureHashType", () => {
    const query = new URLSearchParams(
      `${IPN_STRING}&vnp_SecureHashType=HmacSHA512&vnp_SecureHash=${IPN_HASH}`,
    );
    const verification = verifyCallbackQuery(query, merchant);
    expect(verification).toEqual({
      ok: true,
      callback: {
        reference: "HS0001240815",
        providerTxnId: "14512345",
        amount: 10_000,
        outcome: "succeeded",
        providerCode: "00",
        paidAt: new Date("2024-08-15T03:35:12Z"),
        cancelledByPayer: false,
      },
    });
    const upper = new URLSearchParams(`${IPN_STRING}&vnp_SecureHash=${IPN_HASH.toUpperCase()}`);
    expect(verifyCallbackQuery(upper, merchant).ok).toBe(true);
  });

  it("rejects the IPN whose amount was altered", () => {
    const tampered = IPN_STRING.replace("vnp_Amount=1000000", "vnp_Amount=10000");
    expect(hmacSha512Hex(SECRET, tampered)).toBe(TAMPERED_IPN_HASH);
    const verification = verifyCallbackQuery(
      new URLSearchParams(`${tampered}&vnp_SecureHash=${IPN_HASH}`),
      merchant,
    );
    expect(verification).toMatchObject({ ok: false, rejection: { reason: "signature_invalid" } });
  });

  it("signs the querydr request with the pipe order", () => {
    const request = buildQueryRequest(
      {
        requestId: "REQ20240815104501",
        reference: "HS0001240815",
        transactionDate: CREATED,
        createdAt: new Date("2024-08-15T03:45:01Z"),
        ipAddr: "10.0.0.5",
        orderInfo: "Truy van giao dich HS0001240815",
      },
      merchant,
    );
    expect(queryRequestHashData(request)).toBe(
      "REQ20240815104501|2.1.0|querydr|TESTTMN1|HS0001240815|20240815103000|20240815104501|10.0.0.5|Truy van giao dich HS0001240815",
    );
    expect(request.vnp_SecureHash).toBe(
      "5218a8ed1e92b039fb744c99f200bcdade676480a28f856dc6af93d469095a6930fb05ad6ad57bbe51039bd9f39a1ba331220526612b0e223ed4edc08009c3ca",
    );
  });

  it("verifies the querydr response with its own pipe order and maps it", () => {
    const fields: VnpayQueryResponseFields = {
      vnp_ResponseId: "RESP0001",
      vnp_Command: "querydr",
      vnp_ResponseCode: "00",
      vnp_Message: "QueryDR Success",
      vnp_TmnCode: TMN,
      vnp_TxnRef: "HS0001240815",
      vnp_Amount: "1000000",
      vnp_BankCode: "NCB",
      vnp_PayDate: "20240815103512",
      vnp_TransactionNo: "14512345",
      vnp_TransactionType: "01",
      vnp_TransactionStatus: "00",
      vnp_OrderInfo: ORDER_INFO,
      vnp_PromotionCode: "",
      vnp_PromotionAmount: "",
    };
    expect(queryResponseHashData(fields)).toBe(
      "RESP0001|querydr|00|QueryDR Success|TESTTMN1|HS0001240815|1000000|NCB|20240815103512|14512345|01|00|Thanh toan le phi ho so 000.00.00.H01-240815-0001||",
    );
    const signed = signQueryResponse(fields, SECRET);
    expect(signed.vnp_SecureHash).toBe(
      "071b2c8962e5b31c119c9761023d4aafbd24a2986df0192919bf558f89b272ee919831ae7b763d67a53e2df0edac2cbae2a419bf617195d7471c30607d734e33",
    );
    const context = { merchant, reference: "HS0001240815", expiresAt: EXPIRES, now: EXPIRES };
    expect(toQueryDecision(signed, context)).toEqual({
      kind: "result",
      result: {
        outcome: "succeeded",
        providerTxnId: "14512345",
        amount: 10_000,
        providerCode: "00",
        paidAt: new Date("2024-08-15T03:35:12Z"),
      },
    });
    expect(toQueryDecision({ ...signed, vnp_Amount: "2000000" }, context).kind).toBe("unverifiable");
    expect(toQueryDecision(signed, { ...context, reference: "HS0002" }).kind).toBe("unverifiable");
  });

  it("signs the refund request with the pipe order", () => {
    const request = buildRefundRequest(
      {
        requestId: "REF20240816090000",
        kind: "full",
        reference: "HS0001240815",
        amount: 10_000,
        transactionNo: "14512345",
        transactionDate: CREATED,
        createdBy: "admin",
        createdAt: new Date("2024-08-16T02:00:00Z"),
        ipAddr: "10.0.0.5",
        orderInfo: "Hoan tien HS0001240815",
      },
      merchant,
    );
    if (!request.ok) throw new Error(request.message);
    expect(refundRequestHashData(request.value)).toBe(
      "REF20240816090000|2.1.0|refund|TESTTMN1|02|HS0001240815|1000000|14512345|20240815103000|admin|20240816090000|10.0.0.5|Hoan tien HS0001240815",
    );
    expect(request.value.vnp_SecureHash).toBe(
      "33120a7bb5f7139f77fca47752bf319ebc7a51e6b2350fd32f9d209c31a3f4ef25c06696e7393887452ffa8c795234767a0dc394686acbda3bb76bf0a4182925",
    );
  });
});

describe("VNPay encoding and text", () => {
  it("matches PHP urlencode, not URLSearchParams, on the characters they disagree on", () => {
    expect(formEncode("a-b_c.d e")).toBe("a-b_c.d+e");
    expect(formEncode("~*!'()")).toBe("%7E%2A%21%27%28%29");
    expect(new URLSearchParams({ x: "~*" }).toString()).toBe("x=%7E*");
    expect(formEncode("\uD800")).toBe("%EF%BF%BD");
  });

  it("normalises order info to ASCII letters, digits and . , : _ -", () => {
    expect(normaliseOrderInfo("Lệ phí hồ sơ")).toBe("Le phi ho so");
    expect(normaliseOrderInfo("Đặng Văn Đức – hồ sơ #12 (nộp lại)")).toBe("Dang Van Duc ho so 12 nop lai");
    expect(normaliseOrderInfo("HS 000.00.00.H01-240815-0001: lệ_phí")).toBe(
      "HS 000.00.00.H01-240815-0001: le_phi",
    );
  });
});

describe("VNPay dates are GMT+7 whatever the server's zone", () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
  });

  it("formats and parses in Asia/Ho_Chi_Minh under America/New_York", () => {
    process.env.TZ = "America/New_York";
    // The zone really changed: local New York time of this instant is 23:30 the day before.
    expect(CREATED.getHours()).toBe(23);
    expect(formatVnpayDate(CREATED)).toBe("20240815103000");
    expect(formatVnpayDate(new Date("2024-12-31T17:00:00Z"))).toBe("20250101000000");
    expect(parseVnpayDate("20240815103512")).toEqual(new Date("2024-08-15T03:35:12Z"));
    expect(parseVnpayDate("20240230120000")).toBeNull();
    expect(parseVnpayDate("2024081510351")).toBeNull();
    const params = toPaymentParams(paymentRequest);
    expect(params.ok && params.value.vnp_CreateDate).toBe("20240815103000");
    expect(params.ok && params.value.vnp_ExpireDate).toBe("20240815104500");
  });
});

describe("VNPay callback mapping", () => {
  const callback = (overrides: Record<string, string>): Verification => {
    const params = { ...paramsOf(IPN_STRING), ...overrides };
    return verifyCallbackQuery(new URLSearchParams(signQuery(params, SECRET)), merchant);
  };

  it("maps a cancel (24) to failed, cancelled by the payer, without a transaction number", () => {
    expect(
      callback({ vnp_ResponseCode: "24", vnp_TransactionStatus: "02", vnp_TransactionNo: "0" }),
    ).toMatchObject({
      ok: true,
      callback: { outcome: "failed", cancelledByPayer: true, providerTxnId: null, paidAt: null },
    });
  });

  it("concludes nothing when the codes disagree or VNPay holds the payment (07)", () => {
    expect(callback({ vnp_ResponseCode: "00", vnp_TransactionStatus: "02" })).toMatchObject({
      callback: { outcome: "pending" },
    });
    expect(callback({ vnp_ResponseCode: "51", vnp_TransactionStatus: "00" })).toMatchObject({
      callback: { outcome: "pending" },
    });
    expect(callback({ vnp_ResponseCode: "07", vnp_TransactionStatus: "07" })).toMatchObject({
      callback: { outcome: "pending", providerCode: "07" },
    });
    expect(callback({ vnp_ResponseCode: "51", vnp_TransactionStatus: "02" })).toMatchObject({
      callback: { outcome: "failed", cancelledByPayer: false },
    });
  });

  it("refuses signed callbacks it cannot read", () => {
    const reasons = [
      callback({ vnp_Amount: "1000050" }),
      callback({ vnp_Amount: "1e6" }),
      callback({ vnp_TransactionStatus: "42" }),
      callback({ vnp_TmnCode: "OTHERTMN" }),
      verifyCallbackQuery(
        new URLSearchParams(`${IPN_STRING}&vnp_TxnRef=X&vnp_SecureHash=${IPN_HASH}`),
        merchant,
      ),
    ].map((verification) => (verification.ok ? "ok" : verification.rejection.reason));
    expect(reasons).toEqual(["malformed", "malformed", "malformed", "malformed", "malformed"]);
  });

  it("refuses a callback without a signature, or with a forged one", () => {
    expect(verifyCallbackQuery(new URLSearchParams(IPN_STRING), merchant)).toMatchObject({
      ok: false,
      rejection: { reason: "signature_invalid" },
    });
    const forged = new URLSearchParams(signQuery(paramsOf(IPN_STRING), "not-the-secret"));
    expect(verifyCallbackQuery(forged, merchant)).toMatchObject({
      ok: false,
      rejection: { reason: "signature_invalid" },
    });
  });

  it("answers the IPN in VNPay's words", () => {
    const answers = (
      [
        "accepted",
        "duplicate",
        "unknown_reference",
        "amount_mismatch",
        "signature_invalid",
        "malformed",
        "error",
      ] as const
    ).map((ack) => {
      const response = ipnResponse(ack);
      expect(response.status).toBe(200);
      return JSON.parse(response.body);
    });
    expect(answers).toEqual([
      { RspCode: "00", Message: "Confirm Success" },
      { RspCode: "02", Message: "Order already confirmed" },
      { RspCode: "01", Message: "Order not found" },
      { RspCode: "04", Message: "Invalid amount" },
      { RspCode: "97", Message: "Invalid signature" },
      { RspCode: "99", Message: "Invalid request" },
      { RspCode: "99", Message: "Unknown error" },
    ]);
  });
});

describe("VNPay querydr mapping", () => {
  const answer = (fields: Partial<VnpayQueryResponseFields>) =>
    signQueryResponse(
      {
        vnp_ResponseId: "R1",
        vnp_Command: "querydr",
        vnp_ResponseCode: "00",
        vnp_Message: "",
        vnp_TmnCode: TMN,
        vnp_TxnRef: "HS0001240815",
        vnp_Amount: "1000000",
        vnp_BankCode: "",
        vnp_PayDate: "",
        vnp_TransactionNo: "0",
        vnp_TransactionType: "01",
        vnp_TransactionStatus: "01",
        vnp_OrderInfo: "",
        vnp_PromotionCode: "",
        vnp_PromotionAmount: "",
        ...fields,
      },
      SECRET,
    );
  const context = { merchant, reference: "HS0001240815", expiresAt: EXPIRES, now: CREATED };
  const outcomeOf = (fields: Partial<VnpayQueryResponseFields>, now = CREATED) => {
    const decision = toQueryDecision(answer(fields), { ...context, now });
    return decision.kind === "result" ? decision.result.outcome : decision.kind;
  };

  it("reads the transaction status", () => {
    expect(outcomeOf({ vnp_TransactionStatus: "01" })).toBe("pending");
    expect(outcomeOf({ vnp_TransactionStatus: "02" })).toBe("failed");
    expect(outcomeOf({ vnp_TransactionStatus: "07" })).toBe("pending");
    expect(outcomeOf({ vnp_TransactionStatus: "06", vnp_TransactionType: "02" })).toBe("succeeded");
    expect(outcomeOf({ vnp_TransactionStatus: "33" })).toBe("unknown");
  });

  it("treats 91 as not yet paid until the link has expired, then as failed", () => {
    expect(outcomeOf({ vnp_ResponseCode: "91" })).toBe("pending");
    expect(outcomeOf({ vnp_ResponseCode: "91" }, new Date(EXPIRES.getTime() + 60_000))).toBe("pending");
    expect(outcomeOf({ vnp_ResponseCode: "91" }, new Date(EXPIRES.getTime() + 6 * 60_000))).toBe("failed");
  });

  it("refuses on 02/03/97, asks again on 94/99 and unknown codes", () => {
    expect(outcomeOf({ vnp_ResponseCode: "97" })).toBe("refused");
    expect(outcomeOf({ vnp_ResponseCode: "02" })).toBe("refused");
    expect(outcomeOf({ vnp_ResponseCode: "94" })).toBe("unknown");
    expect(outcomeOf({ vnp_ResponseCode: "99" })).toBe("unknown");
    expect(outcomeOf({ vnp_ResponseCode: "42" })).toBe("unknown");
    expect(toQueryDecision("not json", context).kind).toBe("unverifiable");
  });
});

describe("reconciliation file layout (§11)", () => {
  it("writes net = amount − fee, sums every column, and quotes inside D lines", () => {
    const row = {
      txnType: "PAYMENT",
      merchantRef: "HS-1",
      providerTxnId: "1001",
      originalProviderTxnId: "",
      amount: 10_000,
      fee: 110,
      currency: "VND",
      createdAt: CREATED,
      completedAt: EXPIRES,
      channel: "NCB",
      status: "SUCCESS",
      providerStatusCode: "00",
      payerMasked: "",
      dossierCode: 'HS "A", 1',
    } as const;
    const file = writeReconFile({
      provider: "VNPAY",
      merchantId: TMN,
      businessDate: "2024-08-15",
      generatedAt: EXPIRES,
      rows: [row, { ...row, providerTxnId: "1002", amount: 5_000, fee: 55, dossierCode: "" }],
    });
    const [header, first, second, trailer, end] = file.split("\r\n");
    expect(header).toBe("H,VNPAY,TESTTMN1,2024-08-15,2024-08-15T10:45:00+07:00,1");
    expect(first).toBe(
      'D,VNPAY,TESTTMN1,PAYMENT,HS-1,1001,,10000,110,9890,VND,2024-08-15T10:30:00+07:00,2024-08-15T10:45:00+07:00,2024-08-15,NCB,SUCCESS,00,,"HS ""A"", 1"',
    );
    expect(second).toContain(",5000,55,4945,");
    const digest = createHash("sha256").update(`${first}\r\n${second}\r\n`).digest("hex");
    expect(trailer).toBe(`T,2,15000,165,14835,${digest}`);
    expect(end).toBe("");
  });
});

describe("reconciliation CSV quoting (RFC 4180)", () => {
  it("quotes only fields that need it and doubles inner quotes", () => {
    expect(csvField("plain text")).toBe("plain text");
    expect(csvField(1500)).toBe("1500");
    expect(csvField('a,b "c"')).toBe('"a,b ""c"""');
    expect(csvField("line\r\nbreak")).toBe('"line\r\nbreak"');
  });
});

// ---------------------------------------------------------------------------------------------
// Round trips: the connector against its simulator through app.request, with PayGov's IPN endpoint
// played by a small handler that answers in the connector's words.

const PAYGOV = "http://paygov.test";
const IPN_URL = `${PAYGOV}/callbacks/vnpay/ipn`;
const RETURN_URL = `${PAYGOV}/callbacks/vnpay/return`;

const configFrom = (env: Record<string, string>) =>
  Effect.runSync(vnpay.config.parse(ConfigProvider.fromEnv({ env })));

interface IpnSeen {
  readonly verification: Verification;
  readonly ack: Acknowledgement;
}

const harness = (options: { connectorSecret?: string } = {}) => {
  let clock = new Date(CREATED);
  const config = configFrom({ VNPAY_TMN_CODE: TMN, VNPAY_HASH_SECRET: SECRET, PAYGOV_SANDBOX_PORT: "3999" });
  const connectorConfig: VnpayConfig =
    options.connectorSecret === undefined
      ? config
      : configFrom({
          VNPAY_TMN_CODE: TMN,
          VNPAY_HASH_SECRET: options.connectorSecret,
          PAYGOV_SANDBOX_PORT: "3999",
        });
  const expected = new Map<string, number>();
  const confirmed = new Set<string>();
  const ipns: IpnSeen[] = [];

  // PayGov's IPN endpoint, reduced to the checks of §1.4 in the demo's order.
  const paygov = new Hono().get("/callbacks/vnpay/ipn", (c) => {
    const url = new URL(c.req.url);
    const verification = connector.verifyCallback(
      { method: "GET", url: url.href, query: url.searchParams, headers: {}, body: "" },
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
    "/vnpay",
    vnpay.simulator!({
      merchant: config,
      ipnUrl: IPN_URL,
      basePath: "/vnpay",
      fetch: route,
      now: () => clock,
    }),
  );
  const connector = makeVnpay(connectorConfig, {
    fetch: route,
    now: () => clock,
    serverIp: "10.0.0.5",
    requestTimeoutMs: 10_000,
  });

  const attempt = (reference: string, amount = 150_000): Attempt => {
    expected.set(reference, amount);
    return {
      paymentId: "pay_1",
      attemptId: `att_${reference}`,
      reference,
      amount,
      orderInfo: "Lệ phí hồ sơ 000.00.00.H01-240815-0001",
      dossierCode: "000.00.00.H01-240815-0001",
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
    if (initiation.kind !== "redirect") throw new Error("VNPay redirects");
    const page = await sandbox.request(initiation.url);
    return { url: initiation.url, page, html: await page.text() };
  };

  const sim = (path: string, body?: unknown, method = "POST") =>
    sandbox.request(`/vnpay${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    });

  const pay = async (reference: string, outcome: string) => {
    const response = await sim("/_sim/pay", { reference, outcome });
    expect(response.status).toBe(200);
    return ((await response.json()) as { returnUrl: string }).returnUrl;
  };

  const query = (a: Attempt) => Effect.runPromise(connector.query(a));
  const queryExit = (a: Attempt) => Effect.runPromiseExit(connector.query(a));

  return {
    config,
    connector,
    sandbox,
    ipns,
    attempt,
    open,
    sim,
    pay,
    query,
    queryExit,
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

describe("connector ⇄ simulator", () => {
  it("pays 00: the page shows the order, the IPN verifies as succeeded for the right amount", async () => {
    const h = harness();
    const a = h.attempt("HS0001-A1");
    const { url, page, html } = await h.open(a);
    expect(url.startsWith("http://127.0.0.1:3999/vnpay/paymentv2/vpcpay.html?")).toBe(true);
    expect(page.status).toBe(200);
    expect(html).toMatch(/data-testid="sim-amount">150\.000/);
    expect(html).toContain('data-testid="sim-pay-00"');
    expect(html).toContain("Le phi ho so 000.00.00.H01-240815-0001");

    const returnUrl = await h.pay(a.reference, "00");
    expect(h.ipns).toHaveLength(1);
    const [ipn] = h.ipns;
    expect(ipn?.ack).toBe("accepted");
    expect(ipn?.verification).toMatchObject({
      ok: true,
      callback: { reference: a.reference, amount: 150_000, outcome: "succeeded", cancelledByPayer: false },
    });
    expect(returnUrl.startsWith(`${RETURN_URL}?`)).toBe(true);
    const back = returnVerification(h, returnUrl);
    expect(back).toMatchObject({ ok: true, callback: { outcome: "succeeded", amount: 150_000 } });
    expect(back.ok && ipn?.verification.ok && back.callback.providerTxnId).toBe(
      ipn?.verification.ok && ipn.verification.callback.providerTxnId,
    );
  });

  it("pays 24 through the page's form: failed and cancelled by the payer", async () => {
    const h = harness();
    const a = h.attempt("HS0001-A2");
    const { html } = await h.open(a);
    const createDate = /name="createDate" value="(\d{14})"/.exec(html)?.[1] ?? "";
    const response = await h.sandbox.request("/vnpay/paymentv2/vpcpay.html", {
      method: "POST",
      body: new URLSearchParams({
        txnRef: a.reference,
        createDate,
        outcome: "24",
        ipn: "normal",
        order: "ipn_first",
      }),
    });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")?.startsWith(`${RETURN_URL}?`)).toBe(true);
    expect(h.ipns.map((seen) => seen.verification)).toMatchObject([
      {
        ok: true,
        callback: { outcome: "failed", cancelledByPayer: true, providerTxnId: null, providerCode: "24" },
      },
    ]);
  });

  it("catches a tampered, re-signed amount by the amount check, and VNPay keeps retrying", async () => {
    const h = harness();
    const a = h.attempt("HS0001-A3");
    await h.sim("/_sim/behaviour", { reference: a.reference, tamperAmount: true });
    await h.open(a);
    const returnUrl = await h.pay(a.reference, "00");
    expect(h.ipns[0]?.verification).toMatchObject({ ok: true, callback: { amount: 151_000 } });
    expect(h.ipns.map((seen) => seen.ack)).toEqual([
      "amount_mismatch",
      "amount_mismatch",
      "amount_mismatch",
      "amount_mismatch",
    ]);
    // The browser's return still carries the true amount.
    expect(returnVerification(h, returnUrl)).toMatchObject({ ok: true, callback: { amount: 150_000 } });
  });

  it("rejects an IPN signed with the wrong secret (97)", async () => {
    const h = harness();
    const a = h.attempt("HS0001-A4");
    await h.sim("/_sim/behaviour", { reference: a.reference, tamperSignature: true });
    await h.open(a);
    await h.pay(a.reference, "00");
    expect(h.ipns[0]).toMatchObject({ ack: "signature_invalid", verification: { ok: false } });
    const transactions = (await (await h.sim("/_sim/transactions", undefined, "GET")).json()) as {
      transactions: Array<{ txnRef: string; ipnDeliveries: Array<{ rspCode: string }> }>;
    };
    const record = transactions.transactions.find((t) => t.txnRef === a.reference);
    expect(record?.ipnDeliveries.map((d) => d.rspCode)).toEqual(["97", "97", "97", "97"]);
  });

  it("answers querydr: pending before paying, succeeded after; 91 turns failed once the link expired", async () => {
    const h = harness();
    const a = h.attempt("HS0001-A5");
    await h.open(a);
    expect(await h.query(a)).toMatchObject({ outcome: "pending", providerCode: "01", providerTxnId: null });
    await h.pay(a.reference, "00");
    const paid = await h.query(a);
    expect(paid).toMatchObject({ outcome: "succeeded", amount: 150_000, providerCode: "00" });
    expect(paid.providerTxnId).toMatch(/^\d{8}$/);

    const never = h.attempt("HS0001-NEVER");
    expect(await h.query(never)).toMatchObject({ outcome: "pending", providerCode: "91" });
    h.setClock(new Date(never.expiresAt.getTime() + 10 * 60_000));
    expect(await h.query(never)).toMatchObject({ outcome: "failed", providerCode: "91" });
  });

  it("refuses a repeated querydr RequestId with 94", async () => {
    const h = harness();
    const a = h.attempt("HS0001-A6");
    await h.open(a);
    const body = buildQueryRequest(
      {
        requestId: "REQ-DUPLICATE-1",
        reference: a.reference,
        transactionDate: a.createdAt,
        createdAt: a.createdAt,
        ipAddr: "10.0.0.5",
        orderInfo: "Truy van",
      },
      merchant,
    );
    const post = async (payload: unknown) => {
      const response = await h.sim("/merchant_webapi/api/transaction", payload);
      const answer = readQueryResponse(await response.json(), SECRET);
      if (!answer.ok) throw new Error(answer.message);
      return answer.value.vnp_ResponseCode;
    };
    expect(await post(body)).toBe("00");
    expect(await post(body)).toBe("94");
    expect(await post({ ...body, vnp_RequestId: "REQ-2", vnp_SecureHash: "00".repeat(64) })).toBe("97");
    expect(await post({ ...body, vnp_RequestId: "REQ-3", vnp_TmnCode: "OTHERTMN" })).toBe("02");
  });

  it("reports OutcomeUnknown when the querydr answer does not verify under our secret", async () => {
    const h = harness({ connectorSecret: "a-different-secret" });
    const exit = await h.queryExit(h.attempt("HS0001-A7"));
    expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("OutcomeUnknown");
  });

  it("maps transport failures: 503 → Unavailable, refused connection → Unavailable, timeout → OutcomeUnknown", async () => {
    const h = harness();
    const a = h.attempt("HS0001-A8");
    await h.sim("/_sim/behaviour", { api: "unavailable" });
    expect(JSON.stringify(await h.queryExit(a))).toContain("Unavailable");

    const failing =
      (error: unknown): typeof fetch =>
      () =>
        Promise.reject(error);
    const refused = new TypeError("fetch failed", {
      cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }),
    });
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const run = (error: unknown) =>
      Effect.runPromiseExit(
        makeVnpay(h.config, {
          fetch: failing(error),
          now: () => CREATED,
          serverIp: "10.0.0.5",
          requestTimeoutMs: 10_000,
        }).query(a),
      );
    expect(JSON.stringify(await run(refused))).toContain('"_tag":"Unavailable"');
    expect(JSON.stringify(await run(timeout))).toContain('"_tag":"OutcomeUnknown"');
  });

  it("takes a refund of a paid transaction and moves it 05 → 06 → 00 over later queries", async () => {
    const h = harness();
    const a = h.attempt("HS0001-A9");
    await h.open(a);
    const refundOf = (requestId: string) =>
      buildRefundRequest(
        {
          requestId,
          kind: "full",
          reference: a.reference,
          amount: a.amount,
          transactionNo: null,
          transactionDate: a.createdAt,
          createdBy: "ops",
          createdAt: a.createdAt,
          ipAddr: "10.0.0.5",
          orderInfo: "Hoan tien",
        },
        merchant,
      );
    const send = async (requestId: string) => {
      const request = refundOf(requestId);
      if (!request.ok) throw new Error(request.message);
      const response = await h.sim("/merchant_webapi/api/transaction", request.value);
      return toRefundDecision(await response.json(), merchant, a.reference);
    };
    expect(await send("RF-1")).toMatchObject({ kind: "answer", verdict: "refused", providerCode: "95" });
    await h.pay(a.reference, "00");
    expect(await send("RF-2")).toMatchObject({ kind: "answer", verdict: "accepted", providerCode: "00" });

    const states: Array<string | null> = [];
    for (const requestId of ["Q-1", "Q-2", "Q-3"]) {
      const request = buildQueryRequest(
        {
          requestId,
          reference: a.reference,
          transactionDate: a.createdAt,
          createdAt: a.createdAt,
          ipAddr: "10.0.0.5",
          orderInfo: "q",
        },
        merchant,
      );
      const answer = readQueryResponse(
        await (await h.sim("/merchant_webapi/api/transaction", request)).json(),
        SECRET,
      );
      states.push(
        answer.ok ? `${answer.value.vnp_TransactionStatus}:${refundStateFromQuery(answer.value)}` : null,
      );
    }
    expect(states).toEqual(["05:pending", "06:pending", "00:succeeded"]);
    expect(await h.query(a)).toMatchObject({ outcome: "succeeded", amount: 150_000 });
  });

  it("serves the day's reconciliation file in the canonical layout", async () => {
    const h = harness();
    const paid = h.attempt("HS0001-R1", 150_000);
    const declined = h.attempt("HS0001-R2", 20_000);
    await h.open(paid);
    await h.open(declined);
    h.setClock(new Date("2024-08-15T03:35:12Z"));
    await h.pay(paid.reference, "00");
    await h.pay(declined.reference, "51");

    const file = await Effect.runPromise(h.connector.reconciliationFile("2024-08-15"));
    const lines = file.split("\r\n");
    expect(lines.at(-1)).toBe("");
    expect(lines[0]).toBe(`H,VNPAY,${TMN},2024-08-15,2024-08-15T10:35:12+07:00,1`);
    const details = lines.slice(1, -2);
    expect(details).toHaveLength(2);
    expect(details.map((line) => line.split(",").length)).toEqual([19, 19]);
    expect(details[0]).toMatch(
      /^D,VNPAY,TESTTMN1,PAYMENT,HS0001-R1,\d{8},,150000,0,150000,VND,2024-08-15T10:30:00\+07:00,2024-08-15T10:35:12\+07:00,2024-08-15,NCB,SUCCESS,00,,000\.00\.00\.H01-240815-0001$/,
    );
    expect(details[1]).toContain(",HS0001-R2,");
    expect(details[1]).toContain(",20000,0,20000,VND,");
    expect(details[1]).toContain(",FAILED,51,");
    const digest = createHash("sha256")
      .update(details.map((line) => `${line}\r\n`).join(""))
      .digest("hex");
    expect(lines.at(-2)).toBe(`T,2,170000,0,170000,${digest}`);

    const empty = await Effect.runPromise(h.connector.reconciliationFile("2024-08-16"));
    expect(empty.split("\r\n").at(-2)).toBe(`T,0,0,0,0,${createHash("sha256").update("").digest("hex")}`);
    expect((await h.sim("/recon?date=20240231", undefined, "GET")).status).toBe(400);
  });
});

describe("simulated payment page", () => {
  const signedUrl = (params: Record<string, string>) =>
    `/vnpay/paymentv2/vpcpay.html?${signQuery(params, SECRET)}`;

  const baseParams = (reference: string) => {
    const params = toPaymentParams({ ...paymentRequest, reference, returnUrl: RETURN_URL });
    if (!params.ok) throw new Error(params.message);
    return params.value;
  };

  const reasonOf = async (response: Response) => {
    const html = await response.text();
    return { status: response.status, reason: /data-reason="([a-zA-Z]+)"/.exec(html)?.[1], html };
  };

  it("refuses what VNPay refuses (§1.8)", async () => {
    const h = harness();
    const params = baseParams("HS-PAGE-1");
    const tampered = `${signedUrl(params)}`.replace("vnp_Amount=1000000", "vnp_Amount=2000000");
    const badSignature = await reasonOf(await h.sandbox.request(tampered));
    expect(badSignature).toMatchObject({ status: 400, reason: "invalidSignature" });
    expect(badSignature.html).toContain("Sai chữ ký");

    const cases: Array<[Record<string, string>, string]> = [
      [{ vnp_TmnCode: "UNKNOWN1" }, "unknownTerminal"],
      [{ vnp_Amount: "12" }, "invalidAmount"],
      [{ vnp_Amount: "1000050" }, "invalidAmount"],
      [{ vnp_CreateDate: "20241332103000" }, "invalidCreateDate"],
      [{ vnp_ExpireDate: "20240815102959" }, "expired"],
    ];
    for (const [change, reason] of cases) {
      const result = await reasonOf(await h.sandbox.request(signedUrl({ ...params, ...change })));
      expect({ change, reason: result.reason, status: result.status }).toEqual({
        change,
        reason,
        status: 400,
      });
    }
  });

  it("lets the same link reopen but refuses another request reusing the TxnRef that day", async () => {
    const h = harness();
    const params = baseParams("HS-PAGE-2");
    expect((await h.sandbox.request(signedUrl(params))).status).toBe(200);
    expect((await h.sandbox.request(signedUrl(params))).status).toBe(200);
    const reused = await reasonOf(await h.sandbox.request(signedUrl({ ...params, vnp_Amount: "500000" })));
    expect(reused.reason).toBe("duplicateReference");
    const nextDay = { ...params, vnp_CreateDate: "20240816090000", vnp_ExpireDate: "20240816091500" };
    expect((await h.sandbox.request(signedUrl(nextDay))).status).toBe(200);
  });

  it("shows English when vnp_Locale=en", async () => {
    const h = harness();
    const html = await (
      await h.sandbox.request(signedUrl({ ...baseParams("HS-PAGE-3"), vnp_Locale: "en" }))
    ).text();
    expect(html).toContain('lang="en"');
    expect(html).toContain("Cancelled by the payer");
    expect(html).toMatch(/data-testid="sim-amount">₫10,000/);
  });

  it("pays at once on autoPay and can delay or duplicate the IPN", async () => {
    const h = harness();
    await h.sim("/_sim/behaviour", { autoPay: "00", ipn: "delay", delayMs: 30 });
    const a = h.attempt("HS-AUTO-1");
    const { page } = await h.open(a);
    expect(page.status).toBe(302);
    expect(h.ipns).toHaveLength(0);
    await vi.waitFor(() => expect(h.ipns).toHaveLength(1));
    expect(h.ipns[0]?.ack).toBe("accepted");

    const resend = await h.sim("/_sim/ipn/resend", { reference: a.reference });
    expect(await resend.json()).toEqual({ reference: a.reference, rspCode: "02" });

    await h.sim("/_sim/behaviour", undefined, "DELETE");
    await h.sim("/_sim/behaviour", { ipn: "duplicate" });
    const b = h.attempt("HS-DUP-1");
    await h.open(b);
    await h.pay(b.reference, "00");
    expect(
      h.ipns
        .slice(2)
        .map((seen) => seen.ack)
        .sort(),
    ).toEqual(["accepted", "duplicate"]);
  });

  it("answers bad control requests with 4xx, never a crash", async () => {
    const h = harness();
    expect((await h.sim("/_sim/behaviour", { ipn: "sometimes" })).status).toBe(400);
    expect((await h.sim("/_sim/behaviour", { colour: "red" })).status).toBe(400);
    expect((await h.sim("/_sim/pay", { reference: "NOPE", outcome: "00" })).status).toBe(404);
    expect((await h.sim("/_sim/pay", { reference: "NOPE", outcome: "42" })).status).toBe(400);
    const garbage = await h.sandbox.request("/vnpay/merchant_webapi/api/transaction", {
      method: "POST",
      body: "{",
    });
    const answer = readQueryResponse(await garbage.json(), SECRET);
    expect(answer.ok && answer.value.vnp_ResponseCode).toBe("03");
    expect((await h.sandbox.request("/vnpay/paymentv2/vpcpay.html?vnp_TxnRef=1&vnp_TxnRef=2")).status).toBe(
      400,
    );
  });
});

describe("VNPay configuration", () => {
  it("fails with a ConfigError naming VNPAY_HASH_SECRET when the secret is missing", () => {
    const exit = Effect.runSyncExit(
      vnpay.config.parse(ConfigProvider.fromEnv({ env: { VNPAY_TMN_CODE: TMN } })),
    );
    expect(Exit.isFailure(exit)).toBe(true);
    const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined;
    expect(error?._tag).toBe("Fail");
    const failure = error?._tag === "Fail" ? error.error : undefined;
    expect(failure?._tag).toBe("ConfigError");
    expect(failure?.message).toContain("VNPAY_HASH_SECRET");
  });

  it("defaults every endpoint to the bundled simulator and offers its origin to the browser", () => {
    const config = configFrom({ VNPAY_TMN_CODE: TMN, VNPAY_HASH_SECRET: SECRET });
    expect(config.paymentUrl.href).toBe("http://127.0.0.1:3001/vnpay/paymentv2/vpcpay.html");
    expect(config.apiUrl.href).toBe("http://127.0.0.1:3001/vnpay/merchant_webapi/api/transaction");
    expect(config.reconUrl.href).toBe("http://127.0.0.1:3001/vnpay/recon");
    expect(vnpay.browserOrigins(config)).toEqual(["http://127.0.0.1:3001"]);
    expect(String(config.hashSecret)).not.toContain(SECRET);
  });
});
