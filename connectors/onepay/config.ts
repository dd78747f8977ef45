/**
 * ONEPAY_* settings (DESIGN "Connector configuration and endpoints"). Credentials are required;
 * every endpoint defaults to the bundled simulator on PAYGOV_SANDBOX_PORT.
 */
import { randomBytes } from "node:crypto";
import { Config, Redacted, Schema } from "effect";
import type { OnepayMerchant } from "./protocol.ts";

/** The OnePay merchant, its queryDR user, and the endpoints it talks to. */
export interface OnepayConfig {
  readonly merchant: string;
  readonly accessCode: string;
  /** The hash key as OnePay issues it: hex text, decoded to bytes before use (§6.1). */
  readonly hashKey: Redacted.Redacted<string>;
  /** The queryDR user and password (§6.2), separate from the hash key. */
  readonly user: string;
  readonly password: Redacted.Redacted<string>;
  /** The browser's payment page, `…/onecomm-pay/vpc.op`. */
  readonly paymentUrl: URL;
  /** queryDR, `…/onecomm-pay/Vpcdps.op`. */
  readonly apiUrl: URL;
  /** The daily reconciliation file, fetched as `?date=yyyyMMdd`. */
  readonly reconUrl: URL;
}

const sandboxBase = Config.Port("PAYGOV_SANDBOX_PORT").pipe(
  Config.withDefault(3001),
  Config.map((port) => `http://127.0.0.1:${port}/onepay`),
);

const endpoint = (name: string, path: string): Config.Config<URL> =>
  sandboxBase.pipe(Config.flatMap((base) => Config.URL(name).pipe(Config.withDefault(new URL(base + path)))));

// Whole bytes of hex only: Buffer.from(text, "hex") silently stops at the first bad character, which
// would sign everything with a shorter (or empty) key instead of failing at start.
const HexKey = Schema.String.check(
  Schema.isPattern(/^(?:[0-9A-Fa-f]{2})+$/, {
    message: "must be OnePay's hash key as hex text (an even number of 0-9 A-F characters)",
  }),
);

/** Read from the environment; a missing or malformed credential is a ConfigError naming it. */
export const onepayConfig: Config.Config<OnepayConfig> = Config.all({
  merchant: Config.NonEmptyString("ONEPAY_MERCHANT"),
  accessCode: Config.NonEmptyString("ONEPAY_ACCESS_CODE"),
  hashKey: Config.schema(Schema.Redacted(HexKey), "ONEPAY_HASH_KEY"),
  user: Config.NonEmptyString("ONEPAY_USER"),
  password: Config.schema(Schema.Redacted(Schema.NonEmptyString), "ONEPAY_PASSWORD"),
  paymentUrl: endpoint("ONEPAY_PAYMENT_URL", "/onecomm-pay/vpc.op"),
  apiUrl: endpoint("ONEPAY_API_URL", "/onecomm-pay/Vpcdps.op"),
  reconUrl: endpoint("ONEPAY_RECON_URL", "/recon"),
});

/** A new merchant for the bundled simulator; the hash key is hex text, as OnePay issues it. */
export const onepaySandboxCredentials = (): Record<string, string> => ({
  ONEPAY_MERCHANT: `PAYGOV${randomBytes(2).toString("hex").toUpperCase()}`,
  ONEPAY_ACCESS_CODE: randomBytes(4).toString("hex").toUpperCase(),
  ONEPAY_HASH_KEY: randomBytes(16).toString("hex").toUpperCase(),
  ONEPAY_USER: `paygov-${randomBytes(3).toString("hex")}`,
  ONEPAY_PASSWORD: randomBytes(16).toString("hex"),
});

/** The credentials the pure protocol functions take, the secrets unwrapped. */
export const merchantOf = (config: OnepayConfig): OnepayMerchant => ({
  merchant: config.merchant,
  accessCode: config.accessCode,
  hashKey: Redacted.value(config.hashKey),
  user: config.user,
  password: Redacted.value(config.password),
});
