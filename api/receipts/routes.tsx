import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { findReceipt } from "../../db/receipts.ts";
import { openReceiptToken, receiptContent } from "../../domain/receipt.ts";
import type { ApiDeps } from "../deps.ts";
import { ReceiptNotFoundPage, ReceiptPage } from "./page.tsx";

const STYLES = readFileSync(new URL("./receipt.css", import.meta.url), "utf8");

/**
 * The e-receipt page, /receipts/:token: opened without a key (the citizen follows it from the return
 * page, the portal from `_links.receipt`), so the token, a MAC under PAYGOV_SECRET_KEY, is the secret.
 */
export const receiptRoutes = (deps: ApiDeps) => {
  const app = new Hono();

  // Strict CSP like the checkout pages, stricter still: a receipt has no form and goes nowhere.
  app.use("/receipts/*", async (c, next) => {
    await next();
    c.header(
      "Content-Security-Policy",
      "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'none'; " +
        "frame-ancestors 'none'; base-uri 'none'",
    );
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    // It carries the payer's name and ID number: no shared cache keeps it, no search engine lists it.
    c.header("Cache-Control", "private, no-store");
    c.header("X-Robots-Tag", "noindex");
  });

  app.get("/assets/receipt.css", (c) => {
    c.header("Content-Type", "text/css; charset=utf-8");
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(STYLES);
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
      />,
    );
  });

  return app;
};
