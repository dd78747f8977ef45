import type { ConformanceDriver, DriverContext } from "../sdk/conformance/driver.ts";
import type { CapturedCallback } from "../sdk/simulator-kit.ts";
import { readOnepayParams, signParams, toQueryString } from "./protocol.ts";

const sim = async (ctx: DriverContext, path: string, init?: RequestInit) => {
  const response = await fetch(`${ctx.sandboxUrl}/onepay/_sim${path}`, init);
  if (!response.ok) throw new Error(`OnePay simulator ${path}: ${response.status} ${await response.text()}`);
  return response;
};

const postJson = (ctx: DriverContext, path: string, body: unknown) =>
  sim(ctx, path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** The signed fields of a captured IPN, without the hash. */
const fieldsOf = (callback: CapturedCallback): Record<string, string> => {
  const read = readOnepayParams(new URL(callback.url).searchParams);
  if (!read.ok) throw new Error(`the captured OnePay IPN is malformed: ${read.message}`);
  const { vpc_SecureHash: _hash, ...fields } = read.value;
  return fields;
};

const withFields = (callback: CapturedCallback, fields: Record<string, string>): CapturedCallback => ({
  ...callback,
  url: `${callback.url.split("?")[0]}?${toQueryString(fields)}`,
});

/** Plays the citizen and the tester against the OnePay simulator. */
export const onepayDriver: ConformanceDriver = {
  connector: "onepay",
  shape: "checkout",
  env: {
    ONEPAY_MERCHANT: "PAYGOVOP",
    ONEPAY_ACCESS_CODE: "C0NF0P01",
    ONEPAY_HASH_KEY: "6F6E6570617920636F6E666F726D616E6365206B6579",
    ONEPAY_USER: "paygov-conformance",
    ONEPAY_PASSWORD: "conformance-onepay-password",
  },
  // OnePay sends the IPN for declines and cancels too (§6.2).
  callsBackOnFailure: true,
  // The attempt is a signed URL; nothing reaches OnePay until the browser opens it.
  initiatesByApi: false,

  async pay(ctx, attempt, outcome) {
    // Opening the page is what records the payment at OnePay, as the citizen's browser would.
    const page = await fetch(attempt.location);
    if (page.status !== 200) throw new Error(`the OnePay simulator refused the payment page: ${page.status}`);
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
    return { ...captured, url: `${ctx.apiUrl}/callbacks/onepay/ipn${query}` };
  },

  resign(ctx, callback, changes) {
    const fields = fieldsOf(callback);
    if (changes.amount !== undefined) fields.vpc_Amount = String(changes.amount * 100);
    if (changes.reference !== undefined) fields.vpc_MerchTxnRef = changes.reference;
    return withFields(callback, signParams(fields, ctx.env.ONEPAY_HASH_KEY ?? ""));
  },

  forge(_ctx, callback) {
    return withFields(callback, signParams(fieldsOf(callback), "0123456789ABCDEF0123456789ABCDEF"));
  },
};
