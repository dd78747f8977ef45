import { createMiddleware } from "hono/factory";

/**
 * Headers of a page that only shows: no script runs, no form posts, no frame embeds it, nothing is
 * cached for another user and no search engine lists it (operator pages, e-receipts).
 */
export const readOnlyPageHeaders = createMiddleware(async (c, next) => {
  await next();
  c.header(
    "Content-Security-Policy",
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'none'; " +
      "frame-ancestors 'none'; base-uri 'none'",
  );
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
  c.header("Cache-Control", "private, no-store");
  c.header("X-Robots-Tag", "noindex");
});
