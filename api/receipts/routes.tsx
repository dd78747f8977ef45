import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { findReceipt } from "../../db/receipts.ts";
import { openReceiptToken, receiptContent, signatureStatus, signedContentOf } from "../../domain/receipt.ts";
import { canonicalReceipt } from "../../domain/receipt-signature.ts";
import type { ApiDeps } from "../deps.ts";
import { readOnlyPageHeaders } from "../middleware/read-only-page.ts";
import { ReceiptNotFoundPage, ReceiptPage } from "./page.tsx";

const STYLES = readFileSync(new URL("./receipt.css", import.meta.url), "utf8");

/**
 * The e-receipt page, /receipts/:token: opened without a key (the citizen follows it from the return
 * page, the portal from `_links.receipt`), so the token, a MAC under PAYGOV_SECRET_KEY, is the secret.
 */
export const receiptRoutes = (deps: ApiDeps) => {
  const app = new Hono();

  // A receipt has no form and goes nowhere; it carries the payer's name and ID number, so no shared
  // cache keeps it and no search engine lists it.
  app.use("/receipts/*", readOnlyPageHeaders);

  app.get("/assets/receipt.css", (c) => {
    c.header("Content-Type", "text/css; charset=utf-8");
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(STYLES);
  });

  // The public key receipts are signed with, for anyone to check them (JWK set).
  app.get("/receipts/keys.json", (c) => c.json(deps.receiptSigner.keySet()));

  // What was signed, and the signature, for a check outside PayGov.
  app.get("/receipts/:token/signature", async (c) => {
    const paymentId = openReceiptToken(deps.links.secretKey, c.req.param("token"));
    const receipt = paymentId === null ? null : await findReceipt(deps.sql, paymentId);
    if (receipt === null) return c.json({ code: "not_found", description: "No such receipt" }, 404);
    return c.json({
      payment_id: receipt.paymentId,
      status: signatureStatus(receipt, deps.receiptSigner),
      signed_content: canonicalReceipt(signedContentOf(receipt)),
      signature:
        receipt.signature === null
          ? null
          : {
              algorithm: receipt.signature.algorithm,
              key_id: receipt.signature.keyId,
              value: receipt.signature.value,
            },
      keys_url: `${deps.links.publicUrl}/receipts/keys.json`,
    });
  });

  app.get("/receipts/:token", async (c) => {
    const paymentId = openReceiptToken(deps.links.secretKey, c.req.param("token"));
    const receipt = paymentId === null ? null : await findReceipt(deps.sql, paymentId);
    if (receipt === null) return c.html(<ReceiptNotFoundPage />, 404);
    const connector = receipt.connector ? deps.connectors.live.get(receipt.connector) : undefined;
    return c.html(
      <ReceiptPage
        receipt={receiptContent(receipt)}
        paymentId={receipt.paymentId}
        connectorName={connector?.definition.display.name.vi ?? receipt.connector}
        signature={{
          status: signatureStatus(receipt, deps.receiptSigner),
          keyId: receipt.signature?.keyId ?? null,
          href: `/receipts/${c.req.param("token")}/signature`,
        }}
      />,
    );
  });

  return app;
};
