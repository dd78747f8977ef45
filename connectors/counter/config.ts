/**
 * COUNTER_* settings (DESIGN "Connector configuration and endpoints"). The chain's two credentials are
 * required; its reconciliation file defaults to the bundled simulator on PAYGOV_SANDBOX_PORT. The chain
 * calls PayGov (shape B, intermediaries.md §0), so there is no payment or API URL to configure.
 */
import { randomBytes } from "node:crypto";
import { Config, Redacted, Schema } from "effect";
import type { CounterPartner } from "./protocol.ts";

/** The chain as PayGov knows it, and where its daily file is. */
export interface CounterConfig {
  /** The chain's id at PayGov: every request names it and every reply echoes it. */
  readonly partnerCode: string;
  /** The shared HMAC-SHA256 key: the chain signs its requests with it, PayGov its replies. */
  readonly secretKey: Redacted.Redacted<string>;
  /** The chain's daily file of collections, fetched as `?date=yyyyMMdd` (§11). */
  readonly reconUrl: URL;
}

const sandboxBase = Config.Port("PAYGOV_SANDBOX_PORT").pipe(
  Config.withDefault(3001),
  Config.map((port) => `http://127.0.0.1:${port}/counter`),
);

// The code goes raw into pipe-joined signed strings (protocol.ts): a pipe or a space in it would make
// two different messages sign alike, so only letters, digits, '_' and '-' are accepted at start.
const PartnerCode = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9_-]{1,32}$/, {
    message: "must be 1 to 32 letters, digits, '_' or '-' (the chain's id at PayGov)",
  }),
);

/** Read from the environment; a missing COUNTER_PARTNER_CODE or COUNTER_SECRET_KEY is a ConfigError naming it. */
export const counterConfig: Config.Config<CounterConfig> = Config.all({
  partnerCode: Config.schema(PartnerCode, "COUNTER_PARTNER_CODE"),
  // Non-empty: an empty key would still produce HMACs, signing everything with a known key.
  secretKey: Config.schema(Schema.Redacted(Schema.NonEmptyString), "COUNTER_SECRET_KEY"),
  reconUrl: sandboxBase.pipe(
    Config.flatMap((base) =>
      Config.URL("COUNTER_RECON_URL").pipe(Config.withDefault(new URL(`${base}/recon`))),
    ),
  ),
});

/** A new partner for the bundled simulator: a code the signed strings accept, and a long key. */
export const counterSandboxCredentials = (): Record<string, string> => ({
  COUNTER_PARTNER_CODE: `CHUOI-${randomBytes(3).toString("hex").toUpperCase()}`,
  COUNTER_SECRET_KEY: randomBytes(32).toString("hex"),
});

/** The credentials the pure protocol functions take, the key unwrapped. */
export const partnerOf = (config: CounterConfig): CounterPartner => ({
  partnerCode: config.partnerCode,
  secret: Redacted.value(config.secretKey),
});
