/**
 * ZALOPAY_* settings (DESIGN "Connector configuration and endpoints"). The three credentials are
 * required; the API base and the reconciliation file default to the bundled simulator.
 */
import { randomBytes, randomInt } from "node:crypto";
import { Config, Redacted, Schema } from "effect";
import type { ZalopayMerchant } from "./protocol.ts";

/** The ZaloPay app and the endpoints it talks to. */
export interface ZalopayConfig {
  /** app_id: an int on the wire (§3.2). */
  readonly appId: number;
  /** key1 signs what PayGov sends: create, query, refund, query_refund (§3.1). */
  readonly key1: Redacted.Redacted<string>;
  /** key2 verifies what ZaloPay sends: the callback and the redirect checksum (§3.1). */
  readonly key2: Redacted.Redacted<string>;
  /** The API base: PayGov calls `/v2/create`, `/v2/query`, `/v2/refund`, `/v2/query_refund` under it. */
  readonly apiUrl: URL;
  /** The daily reconciliation file, fetched as `?date=yyyyMMdd`. */
  readonly reconUrl: URL;
}

const sandboxBase = Config.Port("PAYGOV_SANDBOX_PORT").pipe(
  Config.withDefault(3001),
  Config.map((port) => `http://127.0.0.1:${port}/zalopay`),
);

const endpoint = (name: string, path: string): Config.Config<URL> =>
  sandboxBase.pipe(Config.flatMap((base) => Config.URL(name).pipe(Config.withDefault(new URL(base + path)))));

// Non-empty: an empty key would still produce HMACs, signing everything with a key anyone knows.
const key = (name: string) => Config.schema(Schema.Redacted(Schema.NonEmptyString), name);

/** Read from the environment; a missing ZALOPAY_APP_ID, ZALOPAY_KEY1 or ZALOPAY_KEY2 is a ConfigError naming it. */
export const zalopayConfig: Config.Config<ZalopayConfig> = Config.all({
  // app_id is a positive int32 in ZaloPay's own API description (§3.2, "app_id | int").
  appId: Config.schema(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 2_147_483_647 })),
    "ZALOPAY_APP_ID",
  ),
  key1: key("ZALOPAY_KEY1"),
  key2: key("ZALOPAY_KEY2"),
  apiUrl: endpoint("ZALOPAY_API_URL", ""),
  reconUrl: endpoint("ZALOPAY_RECON_URL", "/recon"),
});

/** A new app for the bundled simulator: a numeric app_id and two 32-character keys. */
export const zalopaySandboxCredentials = (): Record<string, string> => ({
  ZALOPAY_APP_ID: String(randomInt(10_000, 100_000)),
  ZALOPAY_KEY1: randomBytes(16).toString("hex"),
  ZALOPAY_KEY2: randomBytes(16).toString("hex"),
});

/** The credentials the pure protocol functions take, the keys unwrapped. */
export const merchantOf = (config: ZalopayConfig): ZalopayMerchant => ({
  appId: config.appId,
  key1: Redacted.value(config.key1),
  key2: Redacted.value(config.key2),
});

/** `${ZALOPAY_API_URL}/v2/...`, whether or not the base was written with a trailing slash. */
export const apiEndpoint = (config: ZalopayConfig, path: `/v2/${string}`): URL =>
  new URL(`${config.apiUrl.href.replace(/\/+$/, "")}${path}`);
