import type { ConformanceDriver, DriverContext } from "../sdk/conformance/driver.ts";
import type { CapturedCallback } from "../sdk/simulator-kit.ts";
import { MOMO_CALLBACK_FIELDS, signFields, textOf } from "./protocol.ts";

const sim = async (ctx: DriverContext, path: string, init: { method: string; body?: unknown }) => {
  const response = await fetch(`${ctx.sandboxUrl}/momo/_sim${path}`, {
    method: init.method,
    headers: { "content-type": "application/json" },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (!response.ok) throw new Error(`MoMo simulator ${path}: ${response.status} ${await response.text()}`);
  return response;
};

/** The IPN's JSON body with some values changed and signed again under `secretKey` (with OUR accessKey). */
const resigned = (
  ctx: DriverContext,
  callback: CapturedCallback,
  changes: Record<string, string | number>,
  secretKey: string,
): CapturedCallback => {
  const body: Record<string, unknown> = { ...(JSON.parse(callback.body) as object), ...changes };
  const values = Object.fromEntries(
    MOMO_CALLBACK_FIELDS.map((name) => [name, textOf(body[name]) ?? ""]),
  ) as Record<(typeof MOMO_CALLBACK_FIELDS)[number], string>;
  values.accessKey = ctx.env.MOMO_ACCESS_KEY ?? "";
  body.signature = signFields(MOMO_CALLBACK_FIELDS, values, secretKey);
  return { ...callback, body: JSON.stringify(body) };
};

/** Plays the citizen and the tester against the MoMo simulator, in the kit's own vocabulary. */
export const momoDriver: ConformanceDriver = {
  connector: "momo",
  shape: "checkout",
  env: {
    MOMO_PARTNER_CODE: "MOMOPGT1",
    MOMO_ACCESS_KEY: "conformance-momo-access-key",
    MOMO_SECRET_KEY: "conformance-momo-secret-key-0001",
  },
  // MoMo notifies failures too (§2.4: every resultCode reaches the IPN).
  callsBackOnFailure: true,
  // Opening an attempt is a server call: POST /v2/gateway/api/create answers the payUrl (§2.2).
  initiatesByApi: true,

  async pay(ctx, attempt, outcome) {
    const page = await fetch(attempt.location);
    if (page.status !== 200) throw new Error(`the MoMo simulator refused the payUrl: ${page.status}`);
    const response = await sim(ctx, "/pay", {
      method: "POST",
      body: { reference: attempt.reference, outcome },
    });
    const { returnUrl } = (await response.json()) as { returnUrl: unknown };
    return { returnUrl: typeof returnUrl === "string" ? returnUrl : null };
  },

  async behave(ctx, reference, behaviour) {
    await sim(ctx, "/behaviour", {
      method: "POST",
      body: { ...(reference === null ? {} : { reference }), ...behaviour },
    });
  },

  async reset(ctx) {
    await sim(ctx, "/behaviour", { method: "DELETE" });
  },

  async lastCallback(ctx, reference) {
    const response = await sim(ctx, `/callbacks/${encodeURIComponent(reference)}`, { method: "GET" });
    const captured = (await response.json()) as CapturedCallback;
    // The IPN is a POST from MoMo's servers to the ipnUrl of the create (§2.4): PayGov's, as the kit reaches it.
    return { ...captured, url: `${ctx.apiUrl}/callbacks/momo/ipn` };
  },

  resign(ctx, callback, changes) {
    return resigned(
      ctx,
      callback,
      {
        ...(changes.amount === undefined ? {} : { amount: changes.amount }),
        ...(changes.reference === undefined ? {} : { orderId: changes.reference }),
      },
      ctx.env.MOMO_SECRET_KEY ?? "",
    );
  },

  forge(ctx, callback) {
    return resigned(ctx, callback, {}, "not-the-partner-secret-key");
  },
};
