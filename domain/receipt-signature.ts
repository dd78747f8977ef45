/**
 * The collecting organisation's digital signature on an e-receipt (Decree 254/2026 Art. 23(2)(g)):
 * Ed25519 over the receipt's content in one canonical spelling, made when the receipt is issued and
 * checked every time it is shown. The key is PAYGOV_RECEIPT_SIGNING_KEY (a PKCS#8 PEM the organisation
 * holds) or, when unset, one derived from PAYGOV_SECRET_KEY, so a deployment signs from its first
 * receipt and keeps one key across restarts. The public keys are published (receiptKeySet) so that a
 * tax office or a portal can check a receipt without asking PayGov.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import type { ReceiptRecord } from "./receipt.ts";

/** What the signature covers: every mandatory field of the receipt, and the payment it is for. */
export type SignedReceiptContent = Pick<
  ReceiptRecord,
  | "paymentId"
  | "templateSymbol"
  | "series"
  | "number"
  | "issuedAt"
  | "issuerName"
  | "issuerTaxId"
  | "payer"
  | "items"
  | "total"
>;

/** The one spelling signed: fixed key order, ISO time, integers as digits. */
export const canonicalReceipt = (r: SignedReceiptContent): string =>
  JSON.stringify({
    payment_id: r.paymentId,
    template_symbol: r.templateSymbol,
    series: r.series,
    number: r.number,
    issued_at: r.issuedAt.toISOString(),
    issuer_name: r.issuerName,
    issuer_tax_id: r.issuerTaxId,
    payer: { name: r.payer.name, id_number: r.payer.id_number ?? null },
    items: r.items.map((i) => ({ name: i.name, kind: i.kind, amount: i.amount })),
    total: r.total,
  });

export interface ReceiptSignature {
  readonly algorithm: "Ed25519";
  /** The first 16 hex digits of the SHA-256 of the public key (SPKI DER). */
  readonly keyId: string;
  /** base64url */
  readonly value: string;
}

export interface ReceiptSigner {
  readonly keyId: string;
  sign(content: SignedReceiptContent): ReceiptSignature;
  /** True only for a signature by this key over exactly this content. */
  verify(content: SignedReceiptContent, signature: ReceiptSignature): boolean;
  /** The public key as a JWK set, for anyone to check receipts with. */
  keySet(): { keys: Record<string, unknown>[] };
}

// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): a fixed prefix, then the 32 bytes.
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

const derivedKey = (secretKey: string): KeyObject =>
  createPrivateKey({
    key: Buffer.concat([
      ED25519_PKCS8_PREFIX,
      Buffer.from(hkdfSync("sha256", secretKey, "paygov", "receipt signing key v1", 32)),
    ]),
    format: "der",
    type: "pkcs8",
  });

const keyIdOf = (publicKey: KeyObject): string =>
  createHash("sha256")
    .update(publicKey.export({ format: "der", type: "spki" }))
    .digest("hex")
    .slice(0, 16);

/** The signer of a deployment: its own key (PEM), or one derived from its secret key. */
export const receiptSigner = (options: {
  secretKey: string;
  signingKeyPem?: string | null;
}): ReceiptSigner => {
  const privateKey = options.signingKeyPem
    ? createPrivateKey(options.signingKeyPem)
    : derivedKey(options.secretKey);
  if (privateKey.asymmetricKeyType !== "ed25519")
    throw new Error(`PAYGOV_RECEIPT_SIGNING_KEY must be an Ed25519 key, not ${privateKey.asymmetricKeyType}`);
  const publicKey = createPublicKey(privateKey);
  const keyId = keyIdOf(publicKey);
  return {
    keyId,
    sign: (content) => ({
      algorithm: "Ed25519",
      keyId,
      value: sign(null, Buffer.from(canonicalReceipt(content), "utf8"), privateKey).toString("base64url"),
    }),
    verify: (content, signature) =>
      signature.algorithm === "Ed25519" &&
      signature.keyId === keyId &&
      verify(
        null,
        Buffer.from(canonicalReceipt(content), "utf8"),
        publicKey,
        Buffer.from(signature.value, "base64url"),
      ),
    keySet: () => ({
      keys: [{ ...publicKey.export({ format: "jwk" }), kid: keyId, use: "sig", alg: "EdDSA" }],
    }),
  };
};
