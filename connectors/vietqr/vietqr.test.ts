import { createHash } from "node:crypto";
import { ConfigProvider, Effect, Exit } from "effect";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { Acknowledgement, Attempt, Verification } from "../sdk/contract.ts";
import { bankName } from "./banks.ts";
import type { VietqrConfig } from "./config.ts";
import { vietqrDriver } from "./conformance.ts";
import { makeVietqr, vietqr } from "./index.ts";
import {
  attemptQr,
  crc16,
  decodeVietqr,
  encodeVietqr,
  extractReference,
  formatBankTime,
  notificationAnswer,
  parseBankTime,
  parseVietnamIso,
  signBody,
  transferDescription,
  type VietqrNotification,
  verifyNotification,
  writeNotification,
} from "./protocol.ts";

// VietQR.io's own example (its /v2/generate documentation, "Ung Ho Quy Vac Xin"): an independent vector.
const VIETQRIO_PAYLOAD =
  "00020101021238560010A0000007270126000697041501121133666688880208QRIBFTTA53037045405790005802VN62220818Ung Ho Quy Vac Xin63043ACF";
// Built by hand, data object by data object, the CRC from Python's binascii.crc_hqx(payload, 0xFFFF):
// 000201 010212 38|57[0010A000000727 01|27[0006970436 0113 0011004455667] 0208QRIBFTTA] 5303704
// 5406200000 5802VN 62|29[0825 PAYGOV PG261204ABCDEFGHIJ] 6304 9132
const OUR_PAYLOAD =
  "00020101021238570010A00000072701270006970436011300110044556670208QRIBFTTA530370454062000005802VN62290825PAYGOV PG261204ABCDEFGHIJ63049132";
const REFERENCE = "PG261204ABCDEFGHIJ";

const SECRET = "FAKEVIETQRNOTIFYSECRET0000000000";
const merchant = {
  bankBin: "970436",
  accountNo: "0011004455667",
  accountName: "PAYGOV SANDBOX THU PHI",
  secret: SECRET,
};
const ENV = {
  VIETQR_BANK_BIN: merchant.bankBin,
  VIETQR_ACCOUNT_NO: merchant.accountNo,
  VIETQR_ACCOUNT_NAME: merchant.accountName,
  VIETQR_NOTIFY_SECRET: SECRET,
};

// 10:15:31 in Hà Nội; the body's HMAC under SECRET is from Python's hmac module.
const NOTIFIED = new Date("2026-12-04T03:15:31Z");
const NOTIFICATION: VietqrNotification = {
  transactionId: "FT26120412345678",
  transactionTime: "2026-12-04 10:15:30",
  accountNumber: merchant.accountNo,
  transferType: "in",
  amount: 200_000,
  currency: "VND",
  content: `PAYGOV ${REFERENCE}`,
  referenceNumber: "000086419753",
  counterBankBin: "970422",
  notifiedAt: "2026-12-04T10:15:31+07:00",
};
const NOTIFICATION_BODY =
  '{"transactionId":"FT26120412345678","transactionTime":"2026-12-04 10:15:30","accountNumber":"0011004455667","transferType":"in","amount":200000,"currency":"VND","content":"PAYGOV PG261204ABCDEFGHIJ","referenceNumber":"000086419753","counterBankBin":"970422","notifiedAt":"2026-12-04T10:15:31+07:00"}';
const NOTIFICATION_SIGNATURE = "3b50c91c03fedf9a75512c7e9458765e621e3cd3ddb3860dc5dcd336235b7c7e";

const verify = (body: string, signature: string | null, now = NOTIFIED): Verification =>
  verifyNotification(
    { headers: signature === null ? {} : { "x-signature": signature }, body },
    merchant,
    now,
  );

const signedBody = (changes: Partial<VietqrNotification>) => {
  const body = writeNotification({ ...NOTIFICATION, ...changes });
  return { body, signature: signBody(body, SECRET) };
};

describe("EMVCo CRC-16/CCITT-FALSE", () => {
  it("gives the catalogue's check value and the published VietQR vectors' CRCs", () => {
    expect(crc16("123456789")).toBe("29B1");
    expect(crc16(VIETQRIO_PAYLOAD.slice(0, -4))).toBe("3ACF");
    expect(crc16(OUR_PAYLOAD.slice(0, -4))).toBe("9132");
  });
});

describe("VietQR payload", () => {
  it("encodes VietQR.io's published example byte for byte", () => {
    expect(
      encodeVietqr({
        initiation: "dynamic",
        bankBin: "970415",
        accountNo: "113366668888",
        service: "QRIBFTTA",
        amount: 79_000,
        description: "Ung Ho Quy Vac Xin",
      }),
    ).toEqual({ ok: true, value: VIETQRIO_PAYLOAD });
  });

  it("builds the attempt's QR: dynamic, its amount, PAYGOV + reference in 62-08, 25 characters", () => {
    expect(attemptQr(merchant, REFERENCE, 200_000)).toEqual({
      ok: true,
      value: { payload: OUR_PAYLOAD, description: "PAYGOV PG261204ABCDEFGHIJ" },
    });
    expect(transferDescription(REFERENCE)).toEqual({ ok: true, value: "PAYGOV PG261204ABCDEFGHIJ" });
    expect(transferDescription("HS0001240815").ok).toBe(false);
    expect(attemptQr(merchant, REFERENCE, 500_000_001).ok).toBe(false);
  });

  it("decodes what it encodes, and both published vectors", () => {
    expect(decodeVietqr(OUR_PAYLOAD)).toEqual({
      ok: true,
      value: {
        initiation: "dynamic",
        bankBin: "970436",
        accountNo: "0011004455667",
        service: "QRIBFTTA",
        amount: 200_000,
        description: "PAYGOV PG261204ABCDEFGHIJ",
      },
    });
    expect(decodeVietqr(VIETQRIO_PAYLOAD)).toMatchObject({
      ok: true,
      value: { bankBin: "970415", accountNo: "113366668888", amount: 79_000 },
    });
    const staticQr = encodeVietqr({
      initiation: "static",
      bankBin: "970418",
      accountNo: "12010000123456",
      service: "QRIBFTTA",
      amount: null,
      description: null,
    });
    // By hand: 38|58[0010A000000727 01|28[0006970418 0114 12010000123456] 0208QRIBFTTA], no 54 nor 62,
    // CRC from binascii.crc_hqx.
    expect(staticQr).toEqual({
      ok: true,
      value:
        "00020101021138580010A00000072701280006970418011412010000123456" +
        "0208QRIBFTTA53037045802VN6304D434",
    });
    expect(decodeVietqr(staticQr.ok ? staticQr.value : "")).toMatchObject({
      ok: true,
      value: { initiation: "static", amount: null, description: null },
    });
    for (const transfer of [
      { amount: 1, description: "A" },
      { amount: 9_999_999_999_999, description: "x".repeat(25) },
      { amount: 10_001, description: null },
    ]) {
      const round = {
        initiation: "dynamic" as const,
        bankBin: "970422",
        accountNo: "ABC123",
        service: "QRIBFTTA" as const,
        ...transfer,
      };
      const payload = encodeVietqr(round);
      expect(payload.ok && decodeVietqr(payload.value)).toEqual({ ok: true, value: round });
    }
  });

  it("refuses a payload whose CRC does not match, or that a NAPAS app would not read", () => {
    const bad = (payload: string) => decodeVietqr(payload).ok;
    expect(bad(OUR_PAYLOAD.replace("200000", "100000"))).toBe(false);
    expect(bad(`${OUR_PAYLOAD.slice(0, -4)}9133`)).toBe(false);
    expect(decodeVietqr(`${OUR_PAYLOAD.slice(0, -4)}${"9132".toLowerCase()}`).ok).toBe(true);
    const resealed = (body: string) => `${body}6304${crc16(`${body}6304`)}`;
    const body = OUR_PAYLOAD.slice(0, -8);
    expect(bad(resealed(body))).toBe(true);
    expect(bad(resealed(body.replace("A000000727", "A000000728")))).toBe(false);
    expect(bad(resealed(body.replace("QRIBFTTA", "QRPUSHXX")))).toBe(false);
    expect(bad(resealed(body.replace("5303704", "5303840")))).toBe(false);
    expect(bad(resealed(body.replace("5802VN", "5802KH")))).toBe(false);
    expect(bad(resealed(body.replace("5406200000", "540520000.5")))).toBe(false);
    expect(bad(resealed(body.replace("5406200000", "")))).toBe(false); // dynamic without an amount
    expect(bad(resealed(body.replace("000201", "000202")))).toBe(false);
    expect(bad(resealed(`${body}5406200000`))).toBe(false); // 54 twice
    expect(bad(resealed(body.slice(0, -3)))).toBe(false); // 62 runs past its length
    expect(bad(`${body}6304`)).toBe(false);
    expect(bad("")).toBe(false);
  });

  it("refuses to encode what does not fit the data objects", () => {
    const base = {
      initiation: "dynamic" as const,
      bankBin: "970436",
      accountNo: "0011004455667",
      service: "QRIBFTTA" as const,
      amount: 1000,
      description: "OK",
    };
    for (const change of [
      { bankBin: "97043" },
      { accountNo: "0011-0044" },
      { accountNo: "1".repeat(20) },
      { amount: 0 },
      { amount: 1.5 },
      { amount: 10_000_000_000_000 },
      { amount: null },
      { description: "x".repeat(26) },
      { description: "Lệ phí" },
      { description: "" },
    ])
      expect(encodeVietqr({ ...base, ...change }).ok).toBe(false);
  });
});

describe("finding our reference in a transfer's description", () => {
  it("finds it however the banks dressed it", () => {
    for (const content of [
      "PAYGOV PG261204ABCDEFGHIJ",
      "paygov pg261204abcdefghij",
      "MBVCB.3278421.PAYGOV PG261204ABCDEFGHIJ.CT tu 0123456789 NGUYEN VAN A toi 0011004455667",
      "PAYGOVPG261204ABCDEFGHIJ",
      "PAYGOV-PG261204-ABCDE FGHIJ",
      "PG261204ABCDEFGHIJ chuyen tien",
      "IBFT PG261204ABCDEFGHIJXYZ",
    ])
      expect(extractReference(content), content).toBe(REFERENCE);
  });

  it("finds nothing when there is no reference we could have issued", () => {
    for (const content of [
      "",
      "CHUYEN TIEN LE PHI HO SO",
      "PAYGOV PG261204ABCDEFGHI",
      "PAYGOV PG26120ABCDEFGHIJ",
      "PG000000M4X9ZK2Q", // what the conformance kit's stranger looks like: 0, 1, 8, 9 are not base32
      "PAYGOV PG261204ABCDEFGH1J",
    ])
      expect(extractReference(content), content).toBeNull();
  });
});

describe("Vietnam time on the wire", () => {
  it("formats and parses GMT+7 whatever the process's zone", () => {
    const instant = new Date("2026-12-31T17:30:00Z");
    expect(formatBankTime(instant)).toBe("2027-01-01 00:30:00");
    expect(parseBankTime("2027-01-01 00:30:00")).toEqual(instant);
    expect(parseBankTime("2026-02-30 10:00:00")).toBeNull();
    expect(parseVietnamIso("2027-01-01T00:30:00+07:00")).toEqual(instant);
    expect(parseVietnamIso("2026-12-31T17:30:00Z")).toBeNull();
  });
});

describe("the bank's notification", () => {
  it("signs the raw body with HMAC-SHA256 (independent vector) and verifies it as a success", () => {
    expect(writeNotification(NOTIFICATION)).toBe(NOTIFICATION_BODY);
    expect(signBody(NOTIFICATION_BODY, SECRET)).toBe(NOTIFICATION_SIGNATURE);
    expect(verify(NOTIFICATION_BODY, NOTIFICATION_SIGNATURE)).toEqual({
      ok: true,
      callback: {
        reference: REFERENCE,
        providerTxnId: "FT26120412345678",
        amount: 200_000,
        outcome: "succeeded",
        providerCode: "credited",
        paidAt: new Date("2026-12-04T03:15:30Z"),
        cancelledByPayer: false,
      },
    });
    expect(verify(NOTIFICATION_BODY, NOTIFICATION_SIGNATURE.toUpperCase()).ok).toBe(true);
  });

  it("refuses a missing, forged or stale signature as signature_invalid", () => {
    const reason = (v: Verification) => (v.ok ? "ok" : v.rejection.reason);
    expect(reason(verify(NOTIFICATION_BODY, null))).toBe("signature_invalid");
    expect(reason(verify(NOTIFICATION_BODY, signBody(NOTIFICATION_BODY, "another-secret-0000")))).toBe(
      "signature_invalid",
    );
    expect(reason(verify(NOTIFICATION_BODY.replace("200000", "2000000"), NOTIFICATION_SIGNATURE))).toBe(
      "signature_invalid",
    );
    expect(reason(verify(NOTIFICATION_BODY, "zz"))).toBe("signature_invalid");
    // Five minutes either way is the window; a genuine body replayed later is refused.
    expect(
      reason(verify(NOTIFICATION_BODY, NOTIFICATION_SIGNATURE, new Date(NOTIFIED.getTime() + 300_000))),
    ).toBe("ok");
    expect(
      reason(verify(NOTIFICATION_BODY, NOTIFICATION_SIGNATURE, new Date(NOTIFIED.getTime() + 300_001))),
    ).toBe("signature_invalid");
    expect(
      reason(verify(NOTIFICATION_BODY, NOTIFICATION_SIGNATURE, new Date(NOTIFIED.getTime() - 300_001))),
    ).toBe("signature_invalid");
  });

  it("refuses validly signed notifications it cannot read, or for another account, as malformed", () => {
    const malformed = (body: string) => {
      const v = verify(body, signBody(body, SECRET));
      return !v.ok && v.rejection.reason === "malformed";
    };
    expect(malformed("not json")).toBe(true);
    expect(malformed("[]")).toBe(true);
    for (const change of [
      { accountNumber: "9999999999" },
      { amount: 0 },
      { amount: 1000.5 },
      { currency: "USD" },
      { transferType: "credit" },
      { transactionId: "" },
      { transactionTime: "04/12/2026 10:15" },
      { notifiedAt: "2026-12-04T03:15:31Z" },
    ])
      expect(malformed(signedBody(change as Partial<VietqrNotification>).body), JSON.stringify(change)).toBe(
        true,
      );
    const { content: _, ...withoutContent } = NOTIFICATION;
    expect(malformed(JSON.stringify(withoutContent))).toBe(true);
  });

  it("verifies a stray transfer with an empty reference (PayGov then answers unknown_reference)", () => {
    const { body, signature } = signedBody({ content: "CHUYEN TIEN LE PHI HO SO" });
    expect(verify(body, signature)).toMatchObject({
      ok: true,
      callback: { reference: "", outcome: "succeeded" },
    });
  });

  it("concludes nothing about money leaving the account", () => {
    const { body, signature } = signedBody({ transferType: "out" });
    expect(verify(body, signature)).toMatchObject({
      ok: true,
      callback: { outcome: "pending", providerCode: "debited", paidAt: null },
    });
  });

  it("answers in JSON: 200 to stop the bank's retries, 401/400/500 to have them", () => {
    const answers = Object.fromEntries(
      (
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
        const response = notificationAnswer(ack);
        expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
        return [ack, [response.status, JSON.parse(response.body).status]];
      }),
    );
    expect(answers).toEqual({
      accepted: [200, "ok"],
      duplicate: [200, "ok"],
      unknown_reference: [200, "not_matched"],
      amount_mismatch: [200, "not_matched"],
      signature_invalid: [401, "error"],
      malformed: [400, "error"],
      error: [500, "error"],
    });
    expect(notificationAnswer("accepted").body).toBe('{"status":"ok"}');
  });
});

// ---------------------------------------------------------------------------------------------
// The connector and its simulator, wired through app.request(): the simulator's notifications reach
// a stand-in for PayGov's callbacks route that verifies them with the connector itself.

const PAYGOV = "http://127.0.0.1:3000";
const IPN_URL = `${PAYGOV}/callbacks/vietqr/ipn`;

const configFrom = (env: Record<string, string>): VietqrConfig =>
  Effect.runSync(vietqr.config.parse(ConfigProvider.fromEnv({ env })));

interface NotificationSeen {
  readonly verification: Verification;
  readonly ack: Acknowledgement;
}

const harness = () => {
  let clock = new Date("2026-12-04T03:15:30Z");
  const config = configFrom(ENV);
  const issued = new Set<string>();
  const seen: NotificationSeen[] = [];

  // The callbacks route in miniature: verify, look the reference up, answer in VietQR's words.
  const paygov = new Hono().post("/callbacks/vietqr/ipn", async (c) => {
    const verification = connector.verifyCallback(
      {
        method: "POST",
        url: c.req.url,
        query: new URLSearchParams(),
        headers: Object.fromEntries(c.req.raw.headers.entries()),
        body: await c.req.text(),
      },
      "ipn",
    );
    const ack: Acknowledgement = !verification.ok
      ? verification.rejection.reason
      : issued.has(verification.callback.reference)
        ? "accepted"
        : "unknown_reference";
    seen.push({ verification, ack });
    const response = connector.acknowledge(ack);
    return c.body(response.body, response.status as 200, response.headers);
  });

  const route: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    return url.startsWith(PAYGOV) ? paygov.request(url, init) : sandbox.request(url, init);
  };
  const sandbox = new Hono().route(
    "/vietqr",
    vietqr.simulator!({
      merchant: config,
      ipnUrl: IPN_URL,
      basePath: "/vietqr",
      fetch: route,
      now: () => clock,
    }),
  );
  const connector = makeVietqr(config, {
    fetch: route,
    now: () => clock,
    serverIp: "10.0.0.5",
    requestTimeoutMs: 10_000,
  });

  const attempt = (reference: string, amount = 200_000): Attempt => {
    issued.add(reference);
    return {
      paymentId: "pay_1",
      attemptId: `att_${reference}`,
      reference,
      amount,
      orderInfo: "Thanh toan ho so 000.00.00.H01-261204-0001",
      dossierCode: "000.00.00.H01-261204-0001",
      paymentCode: "4539148803436467",
      createdAt: clock,
      expiresAt: new Date(clock.getTime() + 15 * 60_000),
      clientIp: "203.0.113.7",
      locale: "vi",
      ipnUrl: IPN_URL,
      returnUrl: `${PAYGOV}/callbacks/vietqr/return`,
    };
  };

  const open = async (a: Attempt) => {
    const initiation = await Effect.runPromise(connector.initiate(a));
    if (initiation.kind !== "qr") throw new Error("VietQR shows a QR");
    return initiation;
  };

  const sim = (path: string, body?: unknown, method = "POST") =>
    sandbox.request(`/vietqr${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    });

  const scan = (payload: string) => sandbox.request(`/vietqr/app?qr=${encodeURIComponent(payload)}`);

  const later = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };

  return { config, connector, sandbox, seen, attempt, open, sim, scan, later };
};

describe("connector ⇄ simulator", () => {
  it("shows the QR, the bank's name, the account and the description", async () => {
    const h = harness();
    expect(await h.open(h.attempt(REFERENCE))).toEqual({
      kind: "qr",
      payload: OUR_PAYLOAD,
      bank: "Vietcombank",
      account: "0011004455667",
      accountName: "PAYGOV SANDBOX THU PHI",
      description: "PAYGOV PG261204ABCDEFGHIJ",
    });
    expect(bankName("970436")).toBe("Vietcombank");
    expect(bankName("999999")).toBe("BIN 999999");
    const exit = await Effect.runPromiseExit(h.connector.initiate(h.attempt("NOT-OURS")));
    expect(JSON.stringify(exit)).toContain("InvalidRequest");
  });

  it("scans the QR (CRC checked), pays it, and the notification verifies as the transfer", async () => {
    const h = harness();
    const { payload } = await h.open(h.attempt(REFERENCE));
    const page = await h.scan(payload);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-testid="sim-bank">Vietcombank (970436)');
    expect(html).toContain('data-testid="sim-account">0011004455667');
    expect(html).toContain('data-testid="sim-account-name">PAYGOV SANDBOX THU PHI');
    expect(html).toMatch(/data-testid="sim-due-amount">200\.000/);
    expect(html).toContain('value="PAYGOV PG261204ABCDEFGHIJ"');

    const paid = await h.sim("/_sim/pay", { reference: REFERENCE, outcome: "success" });
    expect(await paid.json()).toEqual({ returnUrl: null });
    expect(h.seen).toHaveLength(1);
    expect(h.seen[0]).toMatchObject({
      ack: "accepted",
      verification: {
        ok: true,
        callback: { reference: REFERENCE, amount: 200_000, outcome: "succeeded", providerCode: "credited" },
      },
    });
    expect((await h.sim("/_sim/pay", { reference: REFERENCE, outcome: "success" })).status).toBe(409);

    const captured = (await (await h.sim(`/_sim/callbacks/${REFERENCE}`, undefined, "GET")).json()) as {
      method: string;
      url: string;
      headers: Record<string, string>;
    };
    expect(captured).toMatchObject({ method: "POST", url: IPN_URL });
    expect(captured.headers["X-Signature"]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a QR whose CRC is wrong, or that names another account", async () => {
    const h = harness();
    const { payload } = await h.open(h.attempt(REFERENCE));
    const broken = await h.scan(payload.replace("200000", "100000"));
    expect(broken.status).toBe(400);
    expect(await broken.text()).toContain('data-reason="invalid_qr"');
    const elsewhere = encodeVietqr({
      initiation: "dynamic",
      bankBin: "970415",
      accountNo: "113366668888",
      service: "QRIBFTTA",
      amount: 79_000,
      description: "PAYGOV PG261204ABCDEFGHIJ",
    });
    const other = await h.scan(elsewhere.ok ? elsewhere.value : "");
    expect(await other.text()).toContain('data-reason="other_account"');
    expect((await h.sim("/_sim/pay", { reference: "PG261204AAAAAAAAAA", outcome: "success" })).status).toBe(
      404,
    );
  });

  it("transfers short and over through the page's form and /_sim/transfer: the notification says what moved", async () => {
    const h = harness();
    const { payload } = await h.open(h.attempt(REFERENCE));
    const form = await h.sandbox.request("/vietqr/app", {
      method: "POST",
      body: new URLSearchParams({
        qr: payload,
        amount: "150000",
        description: "PAYGOV PG261204ABCDEFGHIJ",
        outcome: "success",
        callback: "normal",
        delaySeconds: "1",
      }),
    });
    expect(form.status).toBe(200);
    const receipt = await form.text();
    expect(receipt).toContain('data-outcome="success"');
    expect(receipt).toContain('data-testid="sim-answer">200 {&quot;status&quot;:&quot;ok&quot;}');
    const over = await h.sim("/_sim/transfer", { qr: payload, amount: 250_000 });
    expect(over.status).toBe(200);
    expect(await over.json()).toMatchObject({
      transfer: { amount: 250_000, dueAmount: 200_000, reference: REFERENCE },
    });
    expect(h.seen.map((s) => s.verification.ok && s.verification.callback.amount)).toEqual([
      150_000, 250_000,
    ]);
    const byReference = await h.sim("/_sim/transfer", { reference: REFERENCE });
    expect(await byReference.json()).toMatchObject({ transfer: { amount: 200_000 } });
  });

  it("sends nothing when the citizen's bank refuses or the citizen cancels", async () => {
    const h = harness();
    const { payload } = await h.open(h.attempt(REFERENCE));
    await h.scan(payload);
    for (const outcome of ["failure", "cancel"]) {
      expect((await h.sim("/_sim/pay", { reference: REFERENCE, outcome })).status).toBe(200);
    }
    expect(h.seen).toHaveLength(0);
    const { transactions } = (await (await h.sim("/_sim/transactions", undefined, "GET")).json()) as {
      transactions: { outcome?: string }[];
    };
    expect(transactions.map((t) => t.outcome)).toEqual(["failure", "cancel"]);
  });

  it("answers a stray transfer with not_matched, and the bank stops retrying", async () => {
    const h = harness();
    const response = await h.sim("/_sim/transfer", {
      description: "CHUYEN TIEN LE PHI HO SO",
      amount: 200_000,
    });
    const { transfer } = (await response.json()) as {
      transfer: { transactionId: string; reference: string | null; deliveries: { status: number }[] };
    };
    expect(transfer.reference).toBeNull();
    expect(transfer.deliveries).toHaveLength(1);
    expect(h.seen).toMatchObject([
      { ack: "unknown_reference", verification: { ok: true, callback: { reference: "" } } },
    ]);
    expect(connectorAnswer(h, 0)).toEqual({
      status: 200,
      body: '{"status":"not_matched","message":"no PayGov payment carries this description"}',
    });
    // The kit's control API finds a stray transfer by the bank's transaction id.
    expect((await h.sim(`/_sim/callbacks/${transfer.transactionId}`, undefined, "GET")).status).toBe(200);
  });

  it("misbehaves on request: wrong key (the bank retries), tampered amount, dropped then resent", async () => {
    const h = harness();
    const { payload } = await h.open(h.attempt(REFERENCE));
    await h.scan(payload);
    await h.sim("/_sim/behaviour", { reference: REFERENCE, tamperSignature: true });
    await h.sim("/_sim/transfer", { reference: REFERENCE });
    expect(h.seen.map((s) => s.ack)).toEqual(Array(4).fill("signature_invalid"));

    await h.sim("/_sim/behaviour", { reference: REFERENCE, tamperSignature: false, tamperAmount: true });
    await h.sim("/_sim/transfer", { reference: REFERENCE });
    expect(h.seen.at(-1)).toMatchObject({
      ack: "accepted",
      verification: { ok: true, callback: { amount: 201_000 } },
    });

    await h.sim("/_sim/behaviour", { reference: REFERENCE, tamperAmount: false, callback: "drop" });
    await h.sim("/_sim/transfer", { reference: REFERENCE });
    expect(h.seen).toHaveLength(5);
    const captured = (await (await h.sim(`/_sim/callbacks/${REFERENCE}`, undefined, "GET")).json()) as {
      headers: Record<string, string>;
      body: string;
    };
    // Ten minutes on, the captured bytes are a replay; the bank's own redelivery is signed anew.
    h.later(10 * 60_000);
    expect(
      h.connector.verifyCallback(
        {
          method: "POST",
          url: IPN_URL,
          query: new URLSearchParams(),
          headers: captured.headers,
          body: captured.body,
        },
        "ipn",
      ),
    ).toMatchObject({ ok: false, rejection: { reason: "signature_invalid" } });
    const resent = await h.sim(`/_sim/callbacks/${REFERENCE}/resend`);
    expect(await resent.json()).toMatchObject({ deliveries: [{ status: 200, body: '{"status":"ok"}' }] });
    expect(h.seen).toHaveLength(6);
    const again = (await (await h.sim(`/_sim/callbacks/${REFERENCE}`, undefined, "GET")).json()) as {
      body: string;
    };
    expect(JSON.parse(again.body)).toMatchObject({
      notifiedAt: "2026-12-04T10:25:30+07:00",
      amount: 200_000,
    });
  });

  it("takes magic amounts from the QR: 10006 signs with a wrong key, 10001 drops", async () => {
    const h = harness();
    const wrongKey = await h.open(h.attempt("PG261204MAGICAAAAA", 10_006));
    await h.sim("/_sim/transfer", { qr: wrongKey.payload, amount: 10_006 });
    expect(h.seen.every((s) => s.ack === "signature_invalid")).toBe(true);
    const before = h.seen.length;
    const dropped = await h.open(h.attempt("PG261204MAGICBBBBB", 10_001));
    await h.sim("/_sim/transfer", { qr: dropped.payload });
    expect(h.seen).toHaveLength(before);
  });

  it("pays at once on autoPay when the QR is scanned", async () => {
    const h = harness();
    await h.sim("/_sim/behaviour", { autoPay: "success" });
    const { payload } = await h.open(h.attempt(REFERENCE));
    const page = await h.scan(payload);
    expect(await page.text()).toContain('data-outcome="success"');
    expect(h.seen.map((s) => s.ack)).toEqual(["accepted"]);
  });

  it("serves the day's statement in the canonical layout, stray transfers included", async () => {
    const h = harness();
    const { payload } = await h.open(h.attempt(REFERENCE));
    await h.sim("/_sim/transfer", { qr: payload });
    await h.sim("/_sim/transfer", { description: 'CHUYEN TIEN, "LE PHI"', amount: 50_000 });
    const file = await Effect.runPromise(h.connector.reconciliationFile("2026-12-04"));
    const lines = file.split("\r\n");
    expect(lines[0]).toMatch(/^H,VIETQR,0011004455667,2026-12-04,2026-12-04T10:15:30\+07:00,1$/);
    const details = lines.slice(1, 3);
    expect(details[0]).toMatch(
      /^D,VIETQR,0011004455667,PAYMENT,PG261204ABCDEFGHIJ,FT261204\d+,,200000,0,200000,VND,2026-12-04T10:15:30\+07:00,2026-12-04T10:15:30\+07:00,2026-12-04,970422,SUCCESS,C,,$/,
    );
    expect(details[1]).toMatch(/^D,VIETQR,0011004455667,PAYMENT,,FT261204\d+,,50000,0,50000,/);
    const digest = createHash("sha256")
      .update(details.map((l) => `${l}\r\n`).join(""))
      .digest("hex");
    expect(lines[3]).toBe(`T,2,250000,0,250000,${digest}`);
    expect(lines[4]).toBe("");
    const empty = await Effect.runPromise(h.connector.reconciliationFile("2026-12-05"));
    expect(empty.split("\r\n")[1]).toBe(`T,0,0,0,0,${createHash("sha256").update("").digest("hex")}`);
    expect((await h.sandbox.request("/vietqr/recon?date=20260230")).status).toBe(400);
    const exit = await Effect.runPromiseExit(h.connector.reconciliationFile("04/12/2026"));
    expect(JSON.stringify(exit)).toContain("InvalidRequest");
  });

  it("reports Unavailable when the statement answers 503", async () => {
    const h = harness();
    await h.sim("/_sim/behaviour", { api: "unavailable" });
    const exit = await Effect.runPromiseExit(h.connector.reconciliationFile("2026-12-04"));
    expect(JSON.stringify(exit)).toContain("Unavailable");
  });

  it("answers bad control requests with 4xx, never a crash", async () => {
    const h = harness();
    expect((await h.sim("/_sim/transfer", {})).status).toBe(400);
    expect((await h.sim("/_sim/transfer", { description: "X" })).status).toBe(400);
    expect((await h.sim("/_sim/transfer", { description: "X", amount: -5 })).status).toBe(400);
    expect((await h.sim("/_sim/transfer", { qr: "000201" })).status).toBe(400);
    expect((await h.sim("/_sim/transfer", { reference: REFERENCE })).status).toBe(404);
    expect((await h.sim("/_sim/behaviour", { callback: "sometimes" })).status).toBe(400);
    expect(
      (await h.sandbox.request("/vietqr/app", { method: "POST", body: new URLSearchParams({}) })).status,
    ).toBe(400);
    expect((await h.sandbox.request("/vietqr")).status).toBe(200);
  });

  it("has no browser return: a request on that channel is refused", () => {
    const h = harness();
    const v = h.connector.verifyCallback(
      {
        method: "GET",
        url: `${PAYGOV}/callbacks/vietqr/return`,
        query: new URLSearchParams(),
        headers: {},
        body: "",
      },
      "return",
    );
    expect(v).toMatchObject({ ok: false, rejection: { reason: "malformed" } });
  });
});

/** What the connector answered the n-th notification. */
const connectorAnswer = (h: ReturnType<typeof harness>, n: number) => {
  const response = h.connector.acknowledge(h.seen[n]!.ack);
  return { status: response.status, body: response.body };
};

describe("the conformance driver's forgeries", () => {
  it("re-signs a changed notification with the real secret, and forges with another", () => {
    const ctx = {
      apiUrl: PAYGOV,
      sandboxUrl: "http://127.0.0.1:3001",
      env: { VIETQR_NOTIFY_SECRET: SECRET },
    };
    const callback = {
      method: "POST" as const,
      url: IPN_URL,
      headers: { "content-type": "application/json", "X-Signature": NOTIFICATION_SIGNATURE },
      body: NOTIFICATION_BODY,
    };
    const resigned = vietqrDriver.resign(ctx, callback, { amount: 201_000, reference: "PG261204ZZZZZZZZZZ" });
    expect(verify(resigned.body, resigned.headers["X-Signature"] ?? "")).toMatchObject({
      ok: true,
      callback: { amount: 201_000, reference: "PG261204ZZZZZZZZZZ" },
    });
    const forged = vietqrDriver.forge(ctx, callback);
    expect(forged.body).toBe(NOTIFICATION_BODY);
    expect(verify(forged.body, forged.headers["X-Signature"] ?? "").ok).toBe(false);
  });
});

describe("VietQR configuration", () => {
  const failureOf = (env: Record<string, string>) => {
    const exit = Effect.runSyncExit(vietqr.config.parse(ConfigProvider.fromEnv({ env })));
    expect(Exit.isFailure(exit)).toBe(true);
    const reason = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined;
    const error = reason?._tag === "Fail" ? reason.error : undefined;
    expect(error?._tag).toBe("ConfigError");
    return error?.message ?? "";
  };

  it("fails with a ConfigError naming VIETQR_NOTIFY_SECRET when it is missing or short", () => {
    const { VIETQR_NOTIFY_SECRET: _, ...withoutSecret } = ENV;
    expect(failureOf(withoutSecret)).toContain("VIETQR_NOTIFY_SECRET");
    expect(failureOf({ ...ENV, VIETQR_NOTIFY_SECRET: "short" })).toContain("VIETQR_NOTIFY_SECRET");
  });

  it("names a malformed bank BIN or account number", () => {
    expect(failureOf({ ...ENV, VIETQR_BANK_BIN: "VCB" })).toContain("VIETQR_BANK_BIN");
    expect(failureOf({ ...ENV, VIETQR_ACCOUNT_NO: "0011-0044-556" })).toContain("VIETQR_ACCOUNT_NO");
    const { VIETQR_ACCOUNT_NAME: _, ...withoutName } = ENV;
    expect(failureOf(withoutName)).toContain("VIETQR_ACCOUNT_NAME");
  });

  it("defaults the statement to the bundled simulator, sends no browser anywhere, and hides the secret", () => {
    const config = configFrom(ENV);
    expect(config.reconUrl.href).toBe("http://127.0.0.1:3001/vietqr/recon");
    expect(configFrom({ ...ENV, PAYGOV_SANDBOX_PORT: "4100" }).reconUrl.href).toBe(
      "http://127.0.0.1:4100/vietqr/recon",
    );
    expect(vietqr.browserOrigins(config)).toEqual([]);
    expect(String(config.notifySecret)).not.toContain(SECRET);
    expect(vietqr.payerSetsAmount).toBe(true);
    expect(vietqr.capabilities).toMatchObject({ qr: true, redirect: false, query: false, refund: false });
  });
});
