/**
 * VNPAY_* settings (DESIGN "Connector configuration and endpoints"). Credentials are required;
 * every endpoint defaults to the bundled simulator on PAYGOV_SANDBOX_PORT.
 */
import { randomBytes } from "node:crypto";
import { Config, Redacted, Schema } from "effect";
import type { VnpayMerchant } from "./protocol.ts";

/** The VNPay terminal and the endpoints it talks to. */
export interface VnpayConfig {
  readonly tmnCode: string;
  readonly hashSecret: Redacted.Redacted<string>;
  /** The browser's payment page, `…/paymentv2/vpcpay.html`. */
  readonly paymentUrl: URL;
  /** querydr and refund, `…/merchant_webapi/api/transaction`. */
  readonly apiUrl: URL;
  /** The daily reconciliation file, fetched as `?date=yyyyMMdd`. */
  readonly reconUrl: URL;
}

const sandboxBase = Config.Port("PAYGOV_SANDBOX_PORT").pipe(
  Config.withDefault(3001),
  Config.map((port) => `http://127.0.0.1:${port}/vnpay`),
);

const endpoint = (name: string, path: string): Config.Config<URL> =>
  sandboxBase.pipe(Config.flatMap((base) => Config.URL(name).pipe(Config.withDefault(new URL(base + path)))));

/** Read from the environment; a missing VNPAY_TMN_CODE or VNPAY_HASH_SECRET is a ConfigError naming it. */
export const vnpayConfig: Config.Config<VnpayConfig> = Config.all({
  tmnCode: Config.NonEmptyString("VNPAY_TMN_CODE"),
  // Non-empty: an empty key would still produce HMACs, signing everything with a known key.
  hashSecret: Config.schema(Schema.Redacted(Schema.NonEmptyString), "VNPAY_HASH_SECRET"),
  paymentUrl: endpoint("VNPAY_PAYMENT_URL", "/paymentv2/vpcpay.html"),
  apiUrl: endpoint("VNPAY_API_URL", "/merchant_webapi/api/transaction"),
  reconUrl: endpoint("VNPAY_RECON_URL", "/recon"),
});

/** A new terminal for the bundled simulator: an 8-character code and a 32-character secret, as VNPay issues them. */
export const vnpaySandboxCredentials = (): Record<string, string> => ({
  VNPAY_TMN_CODE: `PG${randomBytes(3).toString("hex").toUpperCase()}`,
  VNPAY_HASH_SECRET: randomBytes(16).toString("hex").toUpperCase(),
});

/** The credentials the pure protocol functions take, the secret unwrapped. */
export const merchantOf = (config: VnpayConfig): VnpayMerchant => ({
  tmnCode: config.tmnCode,
  secret: Redacted.value(config.hashSecret),
});
