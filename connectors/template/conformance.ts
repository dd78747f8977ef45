/**
 * TEMPLATE CONNECTOR — conformance.ts: how the conformance kit plays the citizen and the tester against
 * this connector's simulator. The scenarios (connectors/sdk/conformance/scenarios.ts) are the same for
 * every connector; a driver only knows how to do each move in its protocol's terms.
 *
 * Run it: `npm run conformance -- <id>` (a table) or, inside vitest,
 * `vitest run --project integration test/conformance.test.ts -t "conformance: <id>"`. Register a real
 * connector's driver with one line in connectors/conformance.ts (CONFORMANCE_DRIVERS). This template's
 * driver is listed in test/conformance.test.ts only, since Example Pay is not registered.
 *
 * WHAT THE AUTHOR MUST REPLACE: the id in the URLs, the sandbox credentials in `env`, the two flags
 * (they decide which scenarios apply: state them from the intermediary's document, never to skip a
 * scenario that fails), how the citizen pays, and how a captured callback is re-signed or forged. The
 * control API calls (/_sim/...) stay as they are: every simulator mounts the same one.
 */
import type { ConformanceDriver, DriverContext } from "../sdk/conformance/driver.ts";
import type { CapturedCallback } from "../sdk/simulator-kit.ts";
import { signedJson } from "./protocol.ts";

/** The simulator's shared control API (connectors/sdk/simulator-kit.ts), under /template/_sim. */
const sim = async (
  ctx: DriverContext,
  path: string,
  body?: unknown,
  method = body === undefined ? "GET" : "POST",
) => {
  const response = await fetch(`${ctx.sandboxUrl}/template/_sim${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok)
    throw new Error(`Example Pay simulator ${path}: ${response.status} ${await response.text()}`);
  return response;
};

/** The IPN's body with some fields changed, signed again (§2, §5) under `secret`. */
const resigned = (
  callback: CapturedCallback,
  changes: Record<string, unknown>,
  secret: string,
): CapturedCallback => {
  const body = { ...(JSON.parse(callback.body) as Record<string, unknown>), ...changes };
  const signed = signedJson(body, secret);
  return { ...callback, headers: { ...callback.headers, ...signed.headers }, body: signed.body };
};

export const templateDriver: ConformanceDriver = {
  connector: "template",
  shape: "checkout",
  // The sandbox credentials PayGov and the simulator share (the simulator receives PayGov's parsed config).
  env: { TEMPLATE_MERCHANT_ID: "EXMPGT01", TEMPLATE_SECRET: "conformance-template-secret-0001" },
  // §5: Example Pay notifies every final result, failures and cancels included.
  callsBackOnFailure: true,
  // §3: the attempt is a signed URL; nothing reaches Example Pay until the browser opens it.
  initiatesByApi: false,

  async pay(ctx, attempt, outcome) {
    // Opening the page is what creates the order at Example Pay, as the citizen's browser would.
    const page = await fetch(attempt.location);
    if (page.status !== 200)
      throw new Error(`the Example Pay simulator refused the checkout link: ${page.status}`);
    const response = await sim(ctx, "/pay", { reference: attempt.reference, outcome });
    const { returnUrl } = (await response.json()) as { returnUrl?: unknown };
    return { returnUrl: typeof returnUrl === "string" ? returnUrl : null };
  },

  async behave(ctx, reference, behaviour) {
    await sim(ctx, "/behaviour", { ...behaviour, reference });
  },

  async reset(ctx) {
    await sim(ctx, "/behaviour", undefined, "DELETE");
  },

  async lastCallback(ctx, reference) {
    const captured = (await (
      await sim(ctx, `/callbacks/${encodeURIComponent(reference)}`)
    ).json()) as CapturedCallback;
    // The simulator posts to PayGov as the sandbox reaches it; the kit delivers to the API under test.
    return { ...captured, url: `${ctx.apiUrl}/callbacks/template/ipn` };
  },

  resign(ctx, callback, changes) {
    return resigned(
      callback,
      {
        ...(changes.amount === undefined ? {} : { amount: changes.amount }),
        ...(changes.reference === undefined ? {} : { order_id: changes.reference }),
      },
      ctx.env.TEMPLATE_SECRET ?? "",
    );
  },

  forge(_ctx, callback) {
    return resigned(callback, {}, "not-the-merchant-secret");
  },
};
