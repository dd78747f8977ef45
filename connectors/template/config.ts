/**
 * TEMPLATE CONNECTOR — config.ts: the TEMPLATE_* settings, read with Effect's Config.
 *
 * The rules every connector follows (DESIGN "Connector configuration and endpoints"):
 *   - variables are named with the connector's id in capitals, then the intermediary's OWN term for the
 *     thing, exactly as its document spells it (VNPAY_TMN_CODE, MOMO_PARTNER_CODE, ZALOPAY_KEY1), so an
 *     operator can match a variable to the credential sheet the intermediary sent them;
 *   - credentials are required, with no default: a missing (or empty: the loader treats "" as unset) one
 *     makes loadConnectors disable this connector with a message naming the variable, and PayGov still
 *     starts without it;
 *   - every URL the connector calls is a variable too, defaulting to the bundled simulator on
 *     PAYGOV_SANDBOX_PORT, so the simulator, the intermediary's sandbox and production differ only by
 *     configuration;
 *   - secrets are Redacted, so that no log, error or `console.log(config)` ever prints them.
 *
 * WHAT THE AUTHOR MUST REPLACE: the variable names (TEMPLATE_ → YOURID_, and the intermediary's own
 * terms), the endpoints and their paths under the simulator, ExamplePayMerchant's fields, and the
 * sandbox credentials `make dev` generates. Add a row
 * per variable to DESIGN.md's table and README.md's configuration table.
 */
import { randomBytes } from "node:crypto";
import { Config, Redacted, Schema } from "effect";
import type { ExamplePayMerchant } from "./protocol.ts";

/** The Example Pay merchant and the endpoints it talks to. */
export interface TemplateConfig {
  readonly merchantId: string;
  readonly secret: Redacted.Redacted<string>;
  /** The browser's checkout page (§3), `…/checkout`. */
  readonly paymentUrl: URL;
  /** The server API's base (§6, §7): `/v1/orders/query` and `/v1/refunds` live under it. */
  readonly apiUrl: URL;
  /** The daily reconciliation file (§8), fetched as `?date=yyyyMMdd&merchant_id=…&signature=…`. */
  readonly reconUrl: URL;
}

/** Where sandbox/server.ts mounts this connector's simulator: /<id> on PAYGOV_SANDBOX_PORT. */
const sandboxBase = Config.Port("PAYGOV_SANDBOX_PORT").pipe(
  Config.withDefault(3001),
  Config.map((port) => `http://127.0.0.1:${port}/template`),
);

const endpoint = (name: string, path: string): Config.Config<URL> =>
  sandboxBase.pipe(Config.flatMap((base) => Config.URL(name).pipe(Config.withDefault(new URL(base + path)))));

/** Read from the environment; a missing TEMPLATE_MERCHANT_ID or TEMPLATE_SECRET is a ConfigError naming it. */
export const templateConfig: Config.Config<TemplateConfig> = Config.all({
  merchantId: Config.NonEmptyString("TEMPLATE_MERCHANT_ID"),
  // Non-empty: an empty key still produces HMACs, and would sign everything with a key anyone knows.
  secret: Config.schema(Schema.Redacted(Schema.NonEmptyString), "TEMPLATE_SECRET"),
  paymentUrl: endpoint("TEMPLATE_PAYMENT_URL", "/checkout"),
  apiUrl: endpoint("TEMPLATE_API_URL", ""),
  reconUrl: endpoint("TEMPLATE_RECON_URL", "/recon"),
});

/**
 * Fresh, valid values for every credential the configuration requires, for the bundled simulator:
 * `make dev` (scripts/dev.ts) fills each unset variable from here, so every registered connector
 * starts in the sandbox with nothing configured. REPLACE with values shaped like the intermediary's
 * own (VNPay's 8-character terminal code, ZaloPay's numeric app_id): a simulator that refuses a
 * malformed merchant id would otherwise refuse these.
 */
export const templateSandboxCredentials = (): Record<string, string> => ({
  TEMPLATE_MERCHANT_ID: `EXM${randomBytes(3).toString("hex").toUpperCase()}`,
  TEMPLATE_SECRET: randomBytes(24).toString("base64url"),
});

/** One of the API's operations under the configured base, whether or not the base ends in "/". */
export const apiEndpoint = (config: TemplateConfig, path: "/v1/orders/query" | "/v1/refunds"): URL =>
  new URL(`${config.apiUrl.href.replace(/\/+$/, "")}${path}`);

/** The credentials the pure protocol functions take, the secret unwrapped only here. */
export const merchantOf = (config: TemplateConfig): ExamplePayMerchant => ({
  merchantId: config.merchantId,
  secret: Redacted.value(config.secret),
});
