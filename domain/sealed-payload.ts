/**
 * Personal data that must travel through Temporal (a payment's payer, from the API to the activity that
 * writes the ledger) travels sealed: AES-256-GCM under a key derived from PAYGOV_SECRET_KEY. Workflow
 * histories are kept by the Temporal server and shown in its UI to every operator; the citizen's name,
 * ID number, e-mail and phone belong in the ledger only, where access is PayGov's to control.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

const keyOf = (secretKey: string): Buffer =>
  Buffer.from(hkdfSync("sha256", secretKey, "paygov", "workflow payload seal v1", 32));

/** `v1.<iv>.<ciphertext and tag>` in base64url: opaque in a workflow's history. */
export const seal = (value: unknown, secretKey: string): string => {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", keyOf(secretKey), iv);
  const body = Buffer.concat([
    cipher.update(JSON.stringify(value), "utf8"),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return `${VERSION}.${iv.toString("base64url")}.${body.toString("base64url")}`;
};

/** The sealed value; throws when it was sealed under another key or altered. */
export const unseal = <T>(sealed: string, secretKey: string): T => {
  const [version, iv, body] = sealed.split(".");
  if (version !== VERSION || iv === undefined || body === undefined)
    throw new Error("not a sealed payload of this version");
  const bytes = Buffer.from(body, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", keyOf(secretKey), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  const plain = Buffer.concat([
    decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)),
    decipher.final(),
  ]);
  return JSON.parse(plain.toString("utf8")) as T;
};
