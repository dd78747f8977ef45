/**
 * MOMO_* settings (DESIGN "Connector configuration and endpoints"). The three credentials are required;
 * MOMO_API_URL is the gateway's base (create, query, refund and refund query live under
 * `/v2/gateway/api/`, intermediaries.md §2.1) and defaults, like MOMO_RECON_URL, to the bundled simulator.
 */
import { randomBytes } from "node:crypto";
import { Config, Redacted, Schema } from "effect";
import type { MomoMerchant } from "./protocol.ts";

/** The MoMo partner and the endpoints it talks to. */
export interface MomoConfig {
  readonly partnerCode: string;
  readonly accessKey: Redacted.Redacted<string>;
  readonly secretKey: Redacted.Redacted<string>;
  /** The gateway's base: `https://payment.momo.vn` in production, `https://test-payment.momo.vn` to test. */
  readonly apiUrl: URL;
  /** The daily reconciliation file, fetched as `?date=yyyyMMdd`. */
  readonly reconUrl: URL;
}

const sandboxBase = Config.Port("PAYGOV_SANDBOX_PORT").pipe(
  Config.withDefault(3001),
  Config.map((port) => `http://127.0.0.1:${port}/momo`),
);

const endpoint = (name: string, path: string): Config.Config<URL> =>
  sandboxBase.pipe(Config.flatMap((base) => Config.URL(name).pipe(Config.withDefault(new URL(base + path)))));

// Non-empty: an empty key would still produce HMACs, signing everything with a known key.
const credential = (name: string) => Config.schema(Schema.Redacted(Schema.NonEmptyString), name);

/** Read from the environment; a missing credential is a ConfigError naming its variable. */
export const momoConfig: Config.Config<MomoConfig> = Config.all({
  partnerCode: Config.NonEmptyString("MOMO_PARTNER_CODE"),
  accessKey: credential("MOMO_ACCESS_KEY"),
  secretKey: credential("MOMO_SECRET_KEY"),
  apiUrl: endpoint("MOMO_API_URL", ""),
  reconUrl: endpoint("MOMO_RECON_URL", "/recon"),
});

/** A new partner for the bundled simulator, shaped like MoMo's test credentials. */
export const momoSandboxCredentials = (): Record<string, string> => ({
  MOMO_PARTNER_CODE: `MOMOPG${randomBytes(4).toString("hex").toUpperCase()}`,
  MOMO_ACCESS_KEY: randomBytes(8).toString("hex"),
  MOMO_SECRET_KEY: randomBytes(16).toString("hex"),
});

/** One of the gateway's operations under the configured base, whether or not the base ends in "/". */
export const gatewayUrl = (
  config: MomoConfig,
  operation: "create" | "query" | "refund" | "refund/query",
): URL => new URL(`${config.apiUrl.href.replace(/\/+$/, "")}/v2/gateway/api/${operation}`);

/** The credentials the pure protocol functions take, the keys unwrapped. */
export const merchantOf = (config: MomoConfig): MomoMerchant => ({
  partnerCode: config.partnerCode,
  accessKey: Redacted.value(config.accessKey),
  secretKey: Redacted.value(config.secretKey),
});
