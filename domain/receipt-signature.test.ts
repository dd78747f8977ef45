import { createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalReceipt, receiptSigner, type SignedReceiptContent } from "./receipt-signature.ts";

const content: SignedReceiptContent = {
  paymentId: "p1",
  templateSymbol: "EBL01",
  series: "26TAA",
  number: 42,
  issuedAt: new Date("2026-12-04T03:15:00Z"),
  issuerName: "Sở Tư pháp tỉnh Hà Tĩnh",
  issuerTaxId: "3000123456",
  payer: { name: "Trần Thị Bình", id_number: "001190000123" },
  items: [{ name: "Phí cung cấp thông tin lý lịch tư pháp", kind: "fee", amount: 200_000 }],
  total: 200_000,
};
const SECRET = "s".repeat(64);

describe("e-receipt signatures", () => {
  it("signs and verifies; the same secret gives the same key across restarts, another secret another", () => {
    const signer = receiptSigner({ secretKey: SECRET });
    const signature = signer.sign(content);
    expect(signature).toMatchObject({ algorithm: "Ed25519", keyId: signer.keyId });
    expect(signer.verify(content, signature)).toBe(true);
    expect(receiptSigner({ secretKey: SECRET }).keyId).toBe(signer.keyId);
    expect(receiptSigner({ secretKey: "t".repeat(64) }).keyId).not.toBe(signer.keyId);
  });

  it("refuses a receipt changed in any field after signing", () => {
    const signer = receiptSigner({ secretKey: SECRET });
    const signature = signer.sign(content);
    const changed: SignedReceiptContent[] = [
      { ...content, total: 200_001 },
      { ...content, number: 43 },
      { ...content, payer: { name: "Trần Thị Bình" } },
      { ...content, items: [{ ...content.items[0]!, amount: 100_000 }] },
      { ...content, issuedAt: new Date("2026-12-04T03:15:01Z") },
    ];
    for (const c of changed) expect(signer.verify(c, signature)).toBe(false);
    expect(signer.verify(content, { ...signature, keyId: "0".repeat(16) })).toBe(false);
  });

  it("is checkable by anyone from the published key and the canonical content", () => {
    const signer = receiptSigner({ secretKey: SECRET });
    const signature = signer.sign(content);
    const [jwk] = signer.keySet().keys;
    expect(jwk).toMatchObject({ kty: "OKP", crv: "Ed25519", kid: signer.keyId });
    const publicKey = createPublicKey({ key: jwk as never, format: "jwk" });
    const ok = verify(
      null,
      Buffer.from(canonicalReceipt(content), "utf8"),
      publicKey,
      Buffer.from(signature.value, "base64url"),
    );
    expect(ok).toBe(true);
  });

  it("takes the organisation's own Ed25519 key, and refuses any other kind", () => {
    const own = generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const signer = receiptSigner({ secretKey: SECRET, signingKeyPem: own });
    expect(signer.keyId).not.toBe(receiptSigner({ secretKey: SECRET }).keyId);
    expect(signer.verify(content, signer.sign(content))).toBe(true);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ format: "pem", type: "pkcs8" })
      .toString();
    expect(() => receiptSigner({ secretKey: SECRET, signingKeyPem: rsa })).toThrow("must be an Ed25519 key");
  });
});
