import type { ConformanceDriver, DriverContext } from "../sdk/conformance/driver.ts";
import type { CapturedCallback } from "../sdk/simulator-kit.ts";
import { readNotification, SIGNATURE_HEADER, signBody, writeNotification } from "./protocol.ts";

const sim = async (ctx: DriverContext, path: string, init: RequestInit = {}) => {
  const response = await fetch(`${ctx.sandboxUrl}/vietqr${path}`, init);
  if (!response.ok) throw new Error(`VietQR simulator ${path}: ${response.status} ${await response.text()}`);
  return response;
};

const postJson = (ctx: DriverContext, path: string, body: unknown) =>
  sim(ctx, path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const signed = (callback: CapturedCallback, body: string, secret: string): CapturedCallback => ({
  ...callback,
  headers: { ...callback.headers, [SIGNATURE_HEADER]: signBody(body, secret) },
  body,
});

/**
 * Plays the citizen and the tester against the VietQR simulator. The citizen's side is a banking app:
 * scan the QR (GET /app?qr=…), then transfer, be refused by their own bank, or cancel. Only a transfer
 * reaches the collection account, so only a transfer is ever notified: failure and cancel send nothing.
 */
export const vietqrDriver: ConformanceDriver = {
  connector: "vietqr",
  shape: "checkout",
  env: {
    VIETQR_BANK_BIN: "970436",
    VIETQR_ACCOUNT_NO: "0011004455667",
    VIETQR_ACCOUNT_NAME: "PAYGOV SANDBOX THU PHI LE PHI",
    VIETQR_NOTIFY_SECRET: "conformance-vietqr-notify-secret-0001",
  },
  // A refused or abandoned transfer never reaches the collection account: the bank has nothing to say.
  callsBackOnFailure: false,
  // The QR is built by PayGov itself: opening an attempt calls nobody.
  initiatesByApi: false,

  async pay(ctx, attempt, outcome) {
    if (attempt.initiation.kind !== "qr") throw new Error("a VietQR attempt shows a QR");
    await sim(ctx, `/app?qr=${encodeURIComponent(attempt.initiation.payload)}`);
    await postJson(ctx, "/_sim/pay", { reference: attempt.reference, outcome });
    // A banking app never sends the citizen's browser back to PayGov.
    return { returnUrl: null };
  },

  async behave(ctx, reference, behaviour) {
    await postJson(ctx, "/_sim/behaviour", { ...(reference === null ? {} : { reference }), ...behaviour });
  },

  async reset(ctx) {
    await sim(ctx, "/_sim/behaviour", { method: "DELETE" });
  },

  async lastCallback(ctx, reference) {
    const captured = (await (
      await sim(ctx, `/_sim/callbacks/${encodeURIComponent(reference)}`)
    ).json()) as CapturedCallback;
    // Sent from the test process: to the API as the tests reach it.
    return { ...captured, url: `${ctx.apiUrl}/callbacks/vietqr/ipn` };
  },

  resign(ctx, callback, changes) {
    const read = readNotification(JSON.parse(callback.body));
    if (!read.ok) throw new Error(`the captured notification does not read: ${read.message}`);
    const body = writeNotification({
      ...read.value,
      ...(changes.amount === undefined ? {} : { amount: changes.amount }),
      ...(changes.reference === undefined ? {} : { content: `PAYGOV ${changes.reference}` }),
    });
    return signed(callback, body, ctx.env.VIETQR_NOTIFY_SECRET ?? "");
  },

  forge(_ctx, callback) {
    return signed(callback, callback.body, "not-the-bank-notify-secret");
  },
};
