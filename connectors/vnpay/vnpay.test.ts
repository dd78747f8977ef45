import { createHash } from "node:crypto";
import { ConfigProvider, Effect, Exit } from "effect";
import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Acknowledgement, Attempt, RefundRequest, Verification } from "../sdk/contract.ts";
import { csvField, writeReconFile } from "../sdk/recon-file.ts";
import { MAGIC_AMOUNTS } from "../sdk/simulator-kit.ts";
import type { VnpayConfig } from "./config.ts";
import { makeVnpay, vnpay } from "./index.ts";
import {
  buildQueryRequest,
  buildRefundRequest,
  queryRequestHashData,
  queryResponseHashData,
  readQueryResponse,
  refundRequestHashData,
  refundRequestId,
  refundStateFromQuery,
  signQueryResponse,
  signRefundResponse,
  toQueryDecision,
  toRefundDecision,
  toRefundStatusDecision,
  type VnpayQueryResponseFields,
  type VnpayRefundRequestFields,
  type VnpayRefundResponseFields,
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

  it("follows a refund through querydr: 05/06 pending, 00 succeeded, 09 failed; no refund is unknown", () => {
    const statusOf = (fields: Partial<VnpayQueryResponseFields>) => {
      const decision = toRefundStatusDecision(answer(fields), merchant, "HS0001240815");
      return decision.kind === "result"
        ? `${decision.result.outcome}:${decision.result.providerCode}`
        : decision.kind;
    };
    const refund = (status: string) => ({ vnp_TransactionType: "03", vnp_TransactionStatus: status });
    expect(["05", "06", "00", "09"].map((status) => statusOf(refund(status)))).toEqual([
      "pending:05",
      "pending:06",
      "succeeded:00",
      "failed:09",
    ]);
    expect(statusOf({ vnp_TransactionType: "02", vnp_TransactionStatus: "00" })).toBe("succeeded:00");
    // The payment itself, no refund recorded: the request may still be on its way.
    expect(statusOf({ vnp_TransactionType: "01", vnp_TransactionStatus: "00" })).toBe("unknown:00");
    expect(statusOf({ ...refund("00"), vnp_ResponseCode: "94" })).toBe("unknown:94");
    expect(statusOf({ ...refund("00"), vnp_ResponseCode: "91" })).toBe("refused");
    expect(statusOf({ ...refund("00"), vnp_ResponseCode: "97" })).toBe("refused");
    expect(statusOf({ ...refund("00"), vnp_TxnRef: "HS0002" })).toBe("unverifiable");
    expect(
      toRefundStatusDecision({ ...answer(refund("00")), vnp_Amount: "1" }, merchant, "HS0001240815").kind,
    ).toBe("unverifiable");
  });
});

describe("VNPay refund mapping (§1.7)", () => {
  const answer = (fields: Partial<VnpayRefundResponseFields>) =>
    signRefundResponse(
      {
        vnp_ResponseId: "R1",
        vnp_Command: "refund",
        vnp_ResponseCode: "00",
        vnp_Message: "",
        vnp_TmnCode: TMN,
        vnp_TxnRef: "HS0001240815",
        vnp_Amount: "1000000",
        vnp_BankCode: "NCB",
        vnp_PayDate: "20240816090000",
        vnp_TransactionNo: "14600001",
        vnp_TransactionType: "02",
        vnp_TransactionStatus: "05",
        vnp_OrderInfo: "Hoan tien HS0001240815",
        ...fields,
      },
      SECRET,
    );
  const decide = (fields: Partial<VnpayRefundResponseFields>) =>
    toRefundDecision(answer(fields), merchant, "HS0001240815");

  it("succeeds when VNPay accepts the refund, is pending while it already holds it, failed when it will not refund", () => {
    // 00 is VNPay's acceptance (DESIGN "Refunds"): the bank then moves the money on its own schedule.
    expect(decide({})).toEqual({
      kind: "result",
      result: { outcome: "succeeded", providerRefundId: "14600001", providerCode: "00" },
    });
    const outcomes = ["94", "95", "91", "99", "42"].map((code) => {
      const decision = decide({ vnp_ResponseCode: code, vnp_TransactionNo: "" });
      return decision.kind === "result"
        ? [code, decision.result.outcome, decision.result.providerRefundId]
        : code;
    });
    expect(outcomes).toEqual([
      ["94", "pending", null],
      ["95", "failed", null],
      ["91", "failed", null],
      ["99", "unknown", null],
      ["42", "unknown", null],
    ]);
  });

  it("refuses on 02/03/97 and trusts no answer it cannot verify", () => {
    for (const code of ["02", "03", "97"])
      expect(decide({ vnp_ResponseCode: code })).toMatchObject({ kind: "refused", providerCode: code });
    expect(toRefundDecision({ ...answer({}), vnp_Amount: "1" }, merchant, "HS0001240815").kind).toBe(
      "unverifiable",
    );
    expect(decide({ vnp_TxnRef: "HS0002" }).kind).toBe("unverifiable");
    expect(toRefundDecision("<html>", merchant, "HS0001240815").kind).toBe("unverifiable");
  });

  it("derives one RequestId per refund reference, the same on every retry", () => {
    expect(refundRequestId("RFM4X2K9QZ")).toBe("RFM4X2K9QZ");
    const hashed = refundRequestId("rf-2024-08-16/0001 (retry-safe)");
    expect(hashed).toMatch(/^[0-9a-f]{32}$/);
    expect(refundRequestId("rf-2024-08-16/0001 (retry-safe)")).toBe(hashed);
    expect(refundRequestId("R".repeat(33))).toMatch(/^[0-9a-f]{32}$/);
    expect(refundRequestId("R".repeat(32))).toBe("R".repeat(32));
  });

  it("sends the Appendix refund vector from refund(), and 03 for a partial refund", async () => {
    const sent: Array<Record<string, string>> = [];
    const transport: typeof fetch = async (_url, init) => {
      const body = JSON.parse(String(init?.body)) as Record<string, string>;
      sent.push(body);
      return Response.json(
        answer({
          vnp_TxnRef: body.vnp_TxnRef ?? "",
          vnp_Amount: body.vnp_Amount ?? "",
          vnp_TransactionType: body.vnp_TransactionType ?? "",
        }),
      );
    };
    const connector = makeVnpay(configFrom({ VNPAY_TMN_CODE: TMN, VNPAY_HASH_SECRET: SECRET }), {
      fetch: transport,
      now: () => new Date("2024-08-16T02:00:00Z"),
      serverIp: "10.0.0.5",
      requestTimeoutMs: 10_000,
    });
    const request: RefundRequest = {
      refundId: "rf_1",
      reference: "REF20240816090000",
      attempt: {
        paymentId: "pay_1",
        attemptId: "att_1",
        reference: "HS0001240815",
        amount: 10_000,
        orderInfo: ORDER_INFO,
        dossierCode: "000.00.00.H01-240815-0001",
        paymentCode: "4539148803436467",
        createdAt: CREATED,
        expiresAt: EXPIRES,
        clientIp: "127.0.0.1",
        locale: "vi",
        ipnUrl: "https://example.gov.vn/ipn",
        returnUrl: "https://example.gov.vn/return",
      },
      providerTxnId: "14512345",
      paidAt: new Date("2024-08-15T03:35:12Z"),
      amount: 10_000,
      full: true,
      reason: "Hoan tien HS0001240815",
      requestedAt: new Date("2024-08-16T02:00:00Z"),
      requestedBy: "admin",
    };
    expect(await Effect.runPromise(connector.refund(request))).toEqual({
      outcome: "succeeded",
      providerRefundId: "14600001",
      providerCode: "00",
    });
    const [full] = sent as [VnpayRefundRequestFields & { vnp_SecureHash: string }];
    expect(refundRequestHashData(full)).toBe(
      "REF20240816090000|2.1.0|refund|TESTTMN1|02|HS0001240815|1000000|14512345|20240815103000|admin|20240816090000|10.0.0.5|Hoan tien HS0001240815",
    );
    expect(full.vnp_SecureHash).toBe(
      "33120a7bb5f7139f77fca47752bf319ebc7a51e6b2350fd32f9d209c31a3f4ef25c06696e7393887452ffa8c795234767a0dc394686acbda3bb76bf0a4182925",
    );

    await Effect.runPromise(
      connector.refund({
        ...request,
        reference: "REF2",
        amount: 4_000,
        full: false,
        providerTxnId: null,
        reason: "Hoàn một phần lệ phí!",
      }),
    );
    expect(sent[1]).toMatchObject({
      vnp_RequestId: "REF2",
      vnp_TransactionType: "03",
      vnp_TxnRef: "HS0001240815",
      vnp_Amount: "400000",
      vnp_TransactionNo: "0",
      vnp_TransactionDate: "20240815103000",
      vnp_CreateBy: "admin",
      vnp_OrderInfo: "Hoan mot phan le phi",
    });

    const tooMuch = await Effect.runPromiseExit(connector.refund({ ...request, amount: 10_001 }));
    expect(JSON.stringify(tooMuch)).toContain('"_tag":"InvalidRequest"');
    expect(sent).toHaveLength(2);
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
      paymentCode: "4539148803436467",
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

  const pay = async (reference: string, outcome: "success" | "failure" | "cancel") => {
    const response = await sim("/_sim/pay", { reference, outcome });
    expect(response.status).toBe(200);
    return ((await response.json()) as { returnUrl: string }).returnUrl;
  };

  const query = (a: Attempt) => Effect.runPromise(connector.query(a));
  const queryExit = (a: Attempt) => Effect.runPromiseExit(connector.query(a));

  /** A connector of the same merchant over another transport (lost answers, and the like). */
  const connectorOver = (transport: typeof fetch) =>
    makeVnpay(connectorConfig, {
      fetch: transport,
      now: () => clock,
      serverIp: "10.0.0.5",
      requestTimeoutMs: 10_000,
    });

  /** A refund of a paid attempt, as PayGov's refund workflow would ask for it. */
  const refundOf = async (a: Attempt, overrides: Partial<RefundRequest> = {}): Promise<RefundRequest> => {
    const paid = await query(a);
    return {
      refundId: `rf_${a.reference}`,
      reference: `RF${a.reference.replaceAll("-", "")}`,
      attempt: a,
      providerTxnId: paid.providerTxnId,
      paidAt: paid.paidAt,
      amount: a.amount,
      full: true,
      reason: "Hoàn phí hồ sơ",
      requestedAt: clock,
      requestedBy: "ops",
      ...overrides,
    };
  };

  const transactions = async () =>
    (
      (await (await sim("/_sim/transactions", undefined, "GET")).json()) as {
        transactions: Array<{
          txnRef: string;
          refunds: Array<{ requestId: string; transactionType: string; amount: number; status: string }>;
          ipnDeliveries: Array<{ status: number | null; rspCode: string | null }>;
        }>;
      }
    ).transactions;

  return {
    config,
    connector,
    connectorOver,
    route,
    refundOf,
    transactions,
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

    const returnUrl = await h.pay(a.reference, "success");
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
        callback: "normal",
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

    // The page's own testing options, in the kit's words: 07 (VNPay's alone) with the IPN held back.
    const b = h.attempt("HS0001-A2B");
    await h.open(b);
    const held = await h.sandbox.request("/vnpay/paymentv2/vpcpay.html", {
      method: "POST",
      body: new URLSearchParams({ txnRef: b.reference, createDate, outcome: "07", callback: "drop" }),
    });
    expect(held.status).toBe(302);
    expect(h.ipns).toHaveLength(1);
    const captured = await h.sim(`/_sim/callbacks/${b.reference}`, undefined, "GET");
    expect(
      new URL(((await captured.json()) as { url: string }).url).searchParams.get("vnp_ResponseCode"),
    ).toBe("07");
  });

  it("catches a tampered, re-signed amount by the amount check, and VNPay keeps retrying", async () => {
    const h = harness();
    const a = h.attempt("HS0001-A3");
    await h.sim("/_sim/behaviour", { reference: a.reference, tamperAmount: true });
    await h.open(a);
    const returnUrl = await h.pay(a.reference, "success");
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
    await h.pay(a.reference, "success");
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
    await h.pay(a.reference, "success");
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

  it("takes a refund of a paid transaction (00) and moves it 05 → 06 → 00 over time, as querydr sees", async () => {
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
    expect(await send("RF-1")).toMatchObject({
      kind: "result",
      result: { outcome: "failed", providerCode: "95" },
    });
    await h.pay(a.reference, "success");
    // Accepted: VNPay took the refund (DESIGN "Refunds"), taken at CREATED by the harness's clock.
    expect(await send("RF-2")).toMatchObject({
      kind: "result",
      result: { outcome: "succeeded", providerCode: "00" },
    });

    const states: Array<string | null> = [];
    // At once, then past one step (300 ms), then past two (600 ms).
    for (const [requestId, afterMs] of [
      ["Q-1", 0],
      ["Q-2", 300],
      ["Q-3", 600],
    ] as const) {
      h.setClock(new Date(CREATED.getTime() + afterMs));
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
    await h.pay(paid.reference, "success");
    await h.pay(declined.reference, "failure");

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

describe("VNPay refunds ⇄ simulator", () => {
  type Harness = ReturnType<typeof harness>;

  /** The refund's progress over `times` refundStatus calls (one querydr each). */
  const follow = async (h: Harness, request: RefundRequest, times = 3) => {
    const seen: string[] = [];
    for (let i = 0; i < times; i += 1) {
      const result = await Effect.runPromise(h.connector.refundStatus(request));
      seen.push(`${result.outcome}:${result.providerCode}`);
    }
    return seen;
  };

  const refundsOf = async (h: Harness, reference: string) =>
    (await h.transactions()).find((t) => t.txnRef === reference)?.refunds ?? [];

  const paid = async (h: Harness, reference: string, amount = 150_000) => {
    const a = h.attempt(reference, amount);
    await h.open(a);
    await h.pay(a.reference, "success");
    return a;
  };

  it("refunds part of a payment (03): accepted (00), then 05 → 06 → 00 over time as querydr sees it; a full refund is 02", async () => {
    const h = harness();
    const a = await paid(h, "HS0002-F1");
    /** refundStatus (one querydr) once the clock reads CREATED + ms. */
    const statusAt = async (request: RefundRequest, ms: number) => {
      h.setClock(new Date(CREATED.getTime() + ms));
      const result = await Effect.runPromise(h.connector.refundStatus(request));
      return `${result.outcome}:${result.providerCode}`;
    };
    // Taken at CREATED: VNPay accepts it (DESIGN "Refunds"), the bank moves the money later.
    const request = await h.refundOf(a, { amount: 50_000, full: false });
    const first = await Effect.runPromise(h.connector.refund(request));
    expect(first).toMatchObject({ outcome: "succeeded", providerCode: "00" });
    expect(first.providerRefundId).toMatch(/^\d{8}$/);
    const seen: string[] = [];
    for (const ms of [0, 300, 600]) seen.push(await statusAt(request, ms));
    expect(seen).toEqual(["pending:05", "pending:06", "succeeded:00"]);

    // Taken at CREATED + 600 ms and asked about only once more than 600 ms later: time alone settled it.
    const rest = await h.refundOf(a, { reference: "RFHS0002F1REST", amount: 100_000, full: true });
    const second = await Effect.runPromise(h.connector.refund(rest));
    expect(second).toMatchObject({ outcome: "succeeded", providerCode: "00" });
    expect(second.providerRefundId).toMatch(/^\d{8}$/);
    expect(second.providerRefundId).not.toBe(first.providerRefundId);
    expect(await statusAt(rest, 1_200)).toBe("succeeded:00");
    expect(await refundsOf(h, a.reference)).toMatchObject([
      { requestId: request.reference, transactionType: "03", amount: 50_000, status: "00" },
      { requestId: "RFHS0002F1REST", transactionType: "02", amount: 100_000, status: "00" },
    ]);
  });

  it("never refunds twice: a retry after a lost answer finds the first request held (94)", async () => {
    const h = harness();
    const a = await paid(h, "HS0002-R1");
    const request = await h.refundOf(a, { amount: 60_000, full: false });
    // The first request reaches VNPay, which takes it, but its answer never comes back.
    const lossy = h.connectorOver(async (input, init) => {
      await h.route(input, init);
      throw new DOMException("The operation was aborted due to timeout", "TimeoutError");
    });
    expect(JSON.stringify(await Effect.runPromiseExit(lossy.refund(request)))).toContain(
      '"_tag":"OutcomeUnknown"',
    );
    expect(await Effect.runPromise(h.connector.refund(request))).toEqual({
      outcome: "pending",
      providerRefundId: null,
      providerCode: "94",
    });
    expect(await follow(h, request)).toEqual(["pending:05", "pending:06", "succeeded:00"]);
    // Retried again once it is done: still the same RequestId, still not a second refund.
    expect(await Effect.runPromise(h.connector.refund(request))).toMatchObject({
      outcome: "pending",
      providerCode: "94",
    });
    expect(await follow(h, request, 1)).toEqual(["succeeded:00"]);
    expect(await refundsOf(h, a.reference)).toMatchObject([{ requestId: request.reference, amount: 60_000 }]);
    expect(await refundsOf(h, a.reference)).toHaveLength(1);
  });

  it("fails with 95 for a transaction that was not paid, and records no refund", async () => {
    const h = harness();
    const unpaid = h.attempt("HS0002-U1");
    await h.open(unpaid);
    const declined = h.attempt("HS0002-U2");
    await h.open(declined);
    await h.pay(declined.reference, "failure");
    for (const a of [unpaid, declined]) {
      const result = await Effect.runPromise(h.connector.refund(await h.refundOf(a)));
      expect(result).toEqual({ outcome: "failed", providerRefundId: null, providerCode: "95" });
      expect(await refundsOf(h, a.reference)).toEqual([]);
    }
  });

  it("fails with 95 at once when VNPay refuses the refund (refund: refuse), and records no refund", async () => {
    const h = harness();
    const a = await paid(h, "HS0002-J1");
    await h.sim("/_sim/behaviour", { reference: a.reference, refund: "refuse" });
    const request = await h.refundOf(a);
    expect(await Effect.runPromise(h.connector.refund(request))).toEqual({
      outcome: "failed",
      providerRefundId: null,
      providerCode: "95",
    });
    expect(await refundsOf(h, a.reference)).toEqual([]);
    // The payment itself stands.
    expect(await h.query(a)).toMatchObject({ outcome: "succeeded" });
  });

  it("maps failures: 503 → Unavailable, an answer under another secret → OutcomeUnknown", async () => {
    const h = harness();
    const a = await paid(h, "HS0002-T1");
    const request = await h.refundOf(a);
    await h.sim("/_sim/behaviour", { reference: a.reference, api: "unavailable" });
    expect(JSON.stringify(await Effect.runPromiseExit(h.connector.refund(request)))).toContain(
      '"_tag":"Unavailable"',
    );
    expect(JSON.stringify(await Effect.runPromiseExit(h.connector.refundStatus(request)))).toContain(
      '"_tag":"Unavailable"',
    );
    // The simulator refuses the checksum (97) and signs that answer with the real secret, which the
    // misconfigured connector cannot verify: no usable answer came back.
    const other = harness({ connectorSecret: "a-different-secret" });
    const b = other.attempt("HS0002-T2");
    await other.open(b);
    const exit = await Effect.runPromiseExit(other.connector.refund({ ...request, attempt: b }));
    expect(JSON.stringify(exit)).toContain('"_tag":"OutcomeUnknown"');
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
    await h.sim("/_sim/behaviour", { autoPay: "success", callback: "delay", delayMs: 30 });
    const a = h.attempt("HS-AUTO-1");
    const { page } = await h.open(a);
    expect(page.status).toBe(302);
    expect(h.ipns).toHaveLength(0);
    await vi.waitFor(() => expect(h.ipns).toHaveLength(1));
    expect(h.ipns[0]?.ack).toBe("accepted");

    const resend = await h.sim(`/_sim/callbacks/${a.reference}/resend`);
    expect(await resend.json()).toMatchObject({
      deliveries: [
        { status: 200, body: JSON.stringify({ RspCode: "02", Message: "Order already confirmed" }) },
      ],
    });

    await h.sim("/_sim/behaviour", undefined, "DELETE");
    await h.sim("/_sim/behaviour", { callback: "duplicate" });
    const b = h.attempt("HS-DUP-1");
    await h.open(b);
    await h.pay(b.reference, "success");
    expect(
      h.ipns
        .slice(2)
        .map((seen) => seen.ack)
        .sort(),
    ).toEqual(["accepted", "duplicate"]);
  });

  it("misbehaves on a magic amount without any control call: 10001 drops the IPN, 10011 refuses refunds", async () => {
    expect(MAGIC_AMOUNTS[10_001]?.behaviour).toEqual({ callback: "drop" });
    expect(MAGIC_AMOUNTS[10_011]?.behaviour).toEqual({ refund: "refuse" });
    const h = harness();
    // An ordinary amount, for contrast: the IPN comes.
    const plain = h.attempt("HS-MAGIC-0", 10_000);
    expect((await h.open(plain)).html).toContain('<option value="normal" selected="">');
    await h.pay(plain.reference, "success");
    expect(h.ipns).toHaveLength(1);

    const dropped = h.attempt("HS-MAGIC-1", 10_001);
    expect((await h.open(dropped)).html).toContain('<option value="drop" selected="">');
    await h.pay(dropped.reference, "success");
    expect(h.ipns).toHaveLength(1);
    // The IPN it would have sent is captured, and is genuine when delivered by hand.
    const captured = (await (
      await h.sim(`/_sim/callbacks/${dropped.reference}`, undefined, "GET")
    ).json()) as {
      method: string;
      url: string;
      headers: Record<string, string>;
      body: string;
    };
    expect(captured).toMatchObject({ method: "GET", headers: {}, body: "" });
    expect(captured.url.startsWith(`${IPN_URL}?`)).toBe(true);
    expect(new URL(captured.url).searchParams.get("vnp_TxnRef")).toBe(dropped.reference);
    expect((await h.sim(`/_sim/callbacks/${dropped.reference}/resend`)).status).toBe(200);
    expect(h.ipns.at(-1)).toMatchObject({ ack: "accepted", verification: { callback: { amount: 10_001 } } });

    const refused = h.attempt("HS-MAGIC-11", 10_011);
    await h.open(refused);
    await h.pay(refused.reference, "success");
    const request = await h.refundOf(refused);
    expect(await Effect.runPromise(h.connector.refund(request))).toEqual({
      outcome: "failed",
      providerRefundId: null,
      providerCode: "95",
    });
    expect((await h.transactions()).find((t) => t.txnRef === refused.reference)?.refunds).toEqual([]);
    // The ordinary amount, for contrast: its refund is accepted.
    expect(await Effect.runPromise(h.connector.refund(await h.refundOf(plain)))).toMatchObject({
      outcome: "succeeded",
      providerCode: "00",
    });

    // A control call still wins over the magic amount for its own reference.
    const overridden = h.attempt("HS-MAGIC-1B", 10_001);
    await h.sim("/_sim/behaviour", { reference: overridden.reference, callback: "normal" });
    await h.open(overridden);
    await h.pay(overridden.reference, "success");
    expect(h.ipns.at(-1)).toMatchObject({
      ack: "accepted",
      verification: { callback: { reference: overridden.reference } },
    });
  });

  it("answers bad control requests with 4xx, never a crash", async () => {
    const h = harness();
    expect((await h.sim("/_sim/behaviour", { callback: "sometimes" })).status).toBe(400);
    expect((await h.sim("/_sim/behaviour", { colour: "red" })).status).toBe(400);
    expect((await h.sim("/_sim/pay", { reference: "NOPE", outcome: "success" })).status).toBe(404);
    expect((await h.sim("/_sim/pay", { reference: "NOPE", outcome: "00" })).status).toBe(400);
    expect((await h.sim("/_sim/callbacks/NOPE", undefined, "GET")).status).toBe(404);
    expect((await h.sim("/_sim/callbacks/NOPE/resend")).status).toBe(404);
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
