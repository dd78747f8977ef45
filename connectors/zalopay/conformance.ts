import type { ConformanceDriver, DriverContext } from "../sdk/conformance/driver.ts";
import type { CapturedCallback } from "../sdk/simulator-kit.ts";
import { signCallbackBody } from "./protocol.ts";

const sim = async (ctx: DriverContext, path: string, init: RequestInit = {}) => {
  const response = await fetch(`${ctx.sandboxUrl}/zalopay/_sim${path}`, init);
  if (!response.ok) throw new Error(`ZaloPay simulator ${path}: ${response.status} ${await response.text()}`);
  return response;
};

const postJson = (ctx: DriverContext, path: string, body: unknown) =>
  sim(ctx, path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** The callback's {data, mac, type} and its decoded data, in ZaloPay's field order. */
const partsOf = (callback: CapturedCallback) => {
  const body = JSON.parse(callback.body) as { data: string; mac: string; type: number };
  return { body, data: JSON.parse(body.data) as Record<string, unknown> };
};

/** Plays the citizen and the tester against the ZaloPay simulator. */
export const zalopayDriver: ConformanceDriver = {
  connector: "zalopay",
  shape: "checkout",
  env: {
    ZALOPAY_APP_ID: "99001",
    ZALOPAY_KEY1: "conformance-zalopay-key1-0001",
    ZALOPAY_KEY2: "conformance-zalopay-key2-0001",
  },
  // ZaloPay calls back only when it has taken the money (§3.3): failures and cancels come by query.
  callsBackOnFailure: false,
  // The order is created by POST /v2/create before the citizen is sent anywhere (§3.2).
  initiatesByApi: true,

  async pay(ctx, attempt, outcome) {
    const page = await fetch(attempt.location, { redirect: "manual" });
    if (page.status !== 200) throw new Error(`the ZaloPay simulator refused the order page: ${page.status}`);
    const response = await postJson(ctx, "/pay", { reference: attempt.reference, outcome });
    const { returnUrl } = (await response.json()) as { returnUrl: unknown };
    return { returnUrl: typeof returnUrl === "string" ? returnUrl : null };
  },

  async behave(ctx, reference, behaviour) {
    await postJson(ctx, "/behaviour", { ...(reference === null ? {} : { reference }), ...behaviour });
  },

  async reset(ctx) {
    await sim(ctx, "/behaviour", { method: "DELETE" });
  },

  async lastCallback(ctx, reference) {
    const response = await sim(ctx, `/callbacks/${encodeURIComponent(reference)}`);
    const captured = (await response.json()) as CapturedCallback;
    // Delivered to PayGov's API as the harness reaches it, whatever URL the sandbox was given.
    return { ...captured, url: `${ctx.apiUrl}/callbacks/zalopay/ipn` };
  },

  resign(ctx, callback, changes) {
    const { data } = partsOf(callback);
    if (changes.amount !== undefined) data.amount = changes.amount;
    if (changes.reference !== undefined) {
      const prefix = String(data.app_trans_id).slice(0, 6);
      data.app_trans_id = `${prefix}_${changes.reference}`;
    }
    // The driver plays ZaloPay here, so it may serialise data afresh; PayGov must not.
    return { ...callback, body: signCallbackBody(JSON.stringify(data), ctx.env.ZALOPAY_KEY2 ?? "") };
  },

  forge(_ctx, callback) {
    const { body } = partsOf(callback);
    return { ...callback, body: signCallbackBody(body.data, "not-the-merchant-key2") };
  },
};
