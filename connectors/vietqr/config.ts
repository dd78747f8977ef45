/**
 * VIETQR_* settings (DESIGN "Connector configuration and endpoints"). The collection account and the
 * notification secret are required; there is no API to call (the bank notifies PayGov), so the only
 * endpoint is the daily statement, which defaults to the bundled simulator on PAYGOV_SANDBOX_PORT.
 */
import { randomBytes, randomInt } from "node:crypto";
import { Config, Redacted, Schema } from "effect";
import { NAPAS_BINS } from "./banks.ts";
import type { VietqrMerchant } from "./protocol.ts";

/** The collection account citizens transfer to, the notification secret, and the statement's URL. */
export interface VietqrConfig {
  /** The account's bank as NAPAS numbers it (6 digits, 970436 for Vietcombank): tag 38-01-00 of the QR. */
  readonly bankBin: string;
  /** The account number: tag 38-01-01 of the QR. */
  readonly accountNo: string;
  /** The account holder's name as the bank registered it (shown next to the QR, never encoded in it). */
  readonly accountName: string;
  /** Signs the bank's notifications (HMAC-SHA256 over the raw body). */
  readonly notifySecret: Redacted.Redacted<string>;
  /** The bank's daily statement of incoming transfers, fetched as `?date=yyyyMMdd`. */
  readonly reconUrl: URL;
}

const sandboxBase = Config.Port("PAYGOV_SANDBOX_PORT").pipe(
  Config.withDefault(3001),
  Config.map((port) => `http://127.0.0.1:${port}/vietqr`),
);

const endpoint = (name: string, path: string): Config.Config<URL> =>
  sandboxBase.pipe(Config.flatMap((base) => Config.URL(name).pipe(Config.withDefault(new URL(base + path)))));

const matching = (pattern: RegExp, message: string) =>
  Schema.String.check(Schema.isPattern(pattern, { message }));

// NAPAS bank identification numbers are 6 digits (97xxxx for most banks, 4xxxxx/5xxxxx for a few).
const BankBin = matching(/^\d{6}$/, "must be the bank's 6-digit NAPAS BIN, e.g. 970436");
// Tag 38-01-01 carries at most 19 characters; VietQR account numbers are letters and digits.
const AccountNo = matching(/^[0-9A-Za-z]{6,19}$/, "must be the account number: 6 to 19 letters or digits");
// A key anyone could guess would let anyone announce transfers that never happened.
const Secret = matching(/^.{16,}$/s, "must be at least 16 characters (it signs the bank's notifications)");

/** Read from the environment; a missing or malformed setting is a ConfigError naming its variable. */
export const vietqrConfig: Config.Config<VietqrConfig> = Config.all({
  bankBin: Config.schema(BankBin, "VIETQR_BANK_BIN"),
  accountNo: Config.schema(AccountNo, "VIETQR_ACCOUNT_NO"),
  accountName: Config.NonEmptyString("VIETQR_ACCOUNT_NAME"),
  notifySecret: Config.schema(Schema.Redacted(Secret), "VIETQR_NOTIFY_SECRET"),
  reconUrl: endpoint("VIETQR_RECON_URL", "/recon"),
});

/** A new collection account for the bundled simulator: at a NAPAS member bank, 13 digits, a long secret. */
export const vietqrSandboxCredentials = (): Record<string, string> => ({
  VIETQR_BANK_BIN: NAPAS_BINS[randomInt(NAPAS_BINS.length)] ?? "970436",
  VIETQR_ACCOUNT_NO: Array.from({ length: 13 }, () => randomInt(10)).join(""),
  VIETQR_ACCOUNT_NAME: "PAYGOV SANDBOX THU PHI LE PHI",
  VIETQR_NOTIFY_SECRET: randomBytes(32).toString("hex"),
});

/** The account and secret as the pure protocol functions take them, the secret unwrapped. */
export const merchantOf = (config: VietqrConfig): VietqrMerchant => ({
  bankBin: config.bankBin,
  accountNo: config.accountNo,
  accountName: config.accountName,
  secret: Redacted.value(config.notifySecret),
});
