import { createHash, randomBytes } from "node:crypto";
import { vietnamDateParts } from "./vietnam-time.ts";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

const base32 = (bytes: Uint8Array, length: number): string => {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
};

/** A new payment id: 26 random base32 characters, like GOV.UK Pay's. */
export const newPaymentId = (): string => base32(randomBytes(17), 26);

/**
 * The payment id an Idempotency-Key stands for: the same agency and key always name the same
 * payment, so a retried request can never create a second one (the id becomes the workflow id).
 */
export const idempotentPaymentId = (agencyId: string, key: string): string =>
  idempotentId("payment", agencyId, key);

/** The id an Idempotency-Key stands for, for any kind of resource an agency creates. */
export const idempotentId = (kind: string, agencyId: string, key: string): string =>
  base32(createHash("sha256").update(`${kind}\0${agencyId}\0${key}`).digest(), 26);

/** A fresh reference for one attempt at an intermediary: PG + Vietnam date + 10 random characters. */
export const newAttemptReference = (now: Date): string => {
  const d = vietnamDateParts(now);
  return `PG${d.yy}${d.MM}${d.dd}${base32(randomBytes(7), 10).toUpperCase()}`;
};

/** Attempt ids are the payment id and the attempt's number, so a retried write finds its row. */
export const attemptId = (paymentId: string, seq: number): string => `${paymentId}-${seq}`;

/** A random secret of the given byte length, URL-safe. */
export const newSecret = (bytes = 32): string => randomBytes(bytes).toString("base64url");
