import type { ConformanceDriver, DriverContext, PayOutcome } from "../sdk/conformance/driver.ts";
import type { CapturedCallback, SimBehaviour } from "../sdk/simulator-kit.ts";
import { signQuery } from "./protocol.ts";

const OUTCOME_CODE: Record<PayOutcome, string> = { success: "00", failure: "51", cancel: "24" };

const post = async (ctx: DriverContext, path: string, body: unknown) => {
  const response = await fetch(`${ctx.sandboxUrl}/vnpay${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`VNPay simulator ${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Record<string, unknown>>;
};

// The VNPay simulator predates the kit's vocabulary; this maps one onto the other.
const toVnpay = (b: Partial<SimBehaviour>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  if (b.callback === "reorder") Object.assign(out, { order: "return_first", ipn: "delay" });
  else if (b.callback !== undefined) out.ipn = b.callback;
  if (b.delayMs !== undefined) out.delayMs = b.delayMs;
  if (b.tamperAmount !== undefined) out.tamperAmount = b.tamperAmount;
  if (b.tamperSignature !== undefined) out.tamperSignature = b.tamperSignature;
  if (b.api === "hang") Object.assign(out, { api: "slow", delayMs: 120_000 });
  else if (b.api !== undefined) out.api = b.api;
  if (b.refund !== undefined) out.refundOutcome = b.refund === "accept" ? "00" : "09";
  if (b.autoPay !== undefined) out.autoPay = b.autoPay === null ? null : OUTCOME_CODE[b.autoPay];
  return out;
};

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
  callsBackOnFailure: true,
  initiatesByApi: false,

  async pay(ctx, attempt, outcome) {
    const page = await fetch(attempt.location);
    if (page.status !== 200) throw new Error(`the VNPay simulator refused the payment page: ${page.status}`);
    const { returnUrl } = await post(ctx, "/_sim/pay", {
      reference: attempt.reference,
      outcome: OUTCOME_CODE[outcome],
    });
    return { returnUrl: typeof returnUrl === "string" ? returnUrl : null };
  },

  async behave(ctx, reference, behaviour) {
    await post(ctx, "/_sim/behaviour", {
      ...(reference === null ? {} : { reference }),
      ...toVnpay(behaviour),
    });
  },

  async reset(ctx) {
    await fetch(`${ctx.sandboxUrl}/vnpay/_sim/behaviour`, { method: "DELETE" });
  },

  async lastCallback(ctx, reference) {
    const { transactions } = (await (await fetch(`${ctx.sandboxUrl}/vnpay/_sim/transactions`)).json()) as {
      transactions: { txnRef: string; lastIpn: string | null }[];
    };
    const order = transactions.findLast((t) => t.txnRef === reference);
    if (!order?.lastIpn) throw new Error(`the VNPay simulator sent no IPN for ${reference}`);
    // The IPN is a GET from VNPay's servers to the registered IPN URL (intermediaries.md §1.4).
    return {
      method: "GET",
      url: `${ctx.apiUrl}/callbacks/vnpay/ipn?${order.lastIpn}`,
      headers: {},
      body: "",
    };
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
