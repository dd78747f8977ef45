import type { ConformanceDriver, DriverContext } from "../sdk/conformance/driver.ts";
import type { CapturedCallback } from "../sdk/simulator-kit.ts";
import { signQuery } from "./protocol.ts";

/** The simulator's shared control API (connectors/sdk/simulator-kit.ts), under /vnpay/_sim. */
const sim = async (ctx: DriverContext, path: string, init?: RequestInit) => {
  const response = await fetch(`${ctx.sandboxUrl}/vnpay/_sim${path}`, init);
  if (!response.ok) throw new Error(`VNPay simulator ${path}: ${response.status} ${await response.text()}`);
  return response;
};

const postJson = (ctx: DriverContext, path: string, body: unknown) =>
  sim(ctx, path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** The signed vnp_* parameters of a captured IPN, without the hash fields (§1.3). */
const paramsOf = (callback: CapturedCallback): Record<string, string> => {
  const params: Record<string, string> = {};
  for (const [k, v] of new URL(callback.url).searchParams) {
    if (k !== "vnp_SecureHash" && k !== "vnp_SecureHashType") params[k] = v;
  }
  return params;
};

const withQuery = (callback: CapturedCallback, query: string): CapturedCallback => ({
  ...callback,
  url: `${callback.url.split("?")[0]}?${query}`,
});

/** Plays the citizen and the tester against the VNPay simulator. */
export const vnpayDriver: ConformanceDriver = {
  connector: "vnpay",
  shape: "checkout",
  env: { VNPAY_TMN_CODE: "PAYGOVT1", VNPAY_HASH_SECRET: "conformance-vnpay-hash-secret-0001" },
  // VNPay sends the IPN for declines and cancels too (§1.4).
  callsBackOnFailure: true,
  // The attempt is a signed URL; nothing reaches VNPay until the browser opens it.
  initiatesByApi: false,

  async pay(ctx, attempt, outcome) {
    // Opening the page is what records the payment at VNPay, as the citizen's browser would.
    const page = await fetch(attempt.location);
    if (page.status !== 200) throw new Error(`the VNPay simulator refused the payment page: ${page.status}`);
    const { returnUrl } = (await (
      await postJson(ctx, "/pay", { reference: attempt.reference, outcome })
    ).json()) as { returnUrl?: unknown };
    return { returnUrl: typeof returnUrl === "string" ? returnUrl : null };
  },

  async behave(ctx, reference, behaviour) {
    await postJson(ctx, "/behaviour", { ...behaviour, reference });
  },

  async reset(ctx) {
    await sim(ctx, "/behaviour", { method: "DELETE" });
  },

  async lastCallback(ctx, reference) {
    const captured = (await (
      await sim(ctx, `/callbacks/${encodeURIComponent(reference)}`)
    ).json()) as CapturedCallback;
    // The simulator sends to the sandbox's view of PayGov; the test delivers to the API it runs.
    const query = new URL(captured.url).search;
    return { ...captured, url: `${ctx.apiUrl}/callbacks/vnpay/ipn${query}` };
  },

  resign(ctx, callback, changes) {
    const params = paramsOf(callback);
    if (changes.amount !== undefined) params.vnp_Amount = String(changes.amount * 100);
    if (changes.reference !== undefined) params.vnp_TxnRef = changes.reference;
    return withQuery(callback, signQuery(params, ctx.env.VNPAY_HASH_SECRET ?? ""));
  },

  forge(_ctx, callback) {
    return withQuery(callback, signQuery(paramsOf(callback), "not-the-merchant-secret"));
  },
};
