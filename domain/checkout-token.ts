import { createHmac, timingSafeEqual } from "node:crypto";

// A checkout link is the payment id plus a MAC of it: unguessable without PAYGOV_SECRET_KEY, yet
// recomputable anywhere (the return page needs it), so no token table is needed.
const mac = (secret: string, purpose: string, paymentId: string): string =>
  createHmac("sha256", secret).update(`${purpose}\0${paymentId}`).digest("base64url").slice(0, 32);

/** The secret path segment of a payment's next_url. */
export const checkoutToken = (secret: string, paymentId: string): string =>
  `${paymentId}.${mac(secret, "checkout", paymentId)}`;

/** The payment id a checkout token stands for, or null if it was not made with our secret. */
export const openCheckoutToken = (secret: string, token: string): string | null => {
  const dot = token.indexOf(".");
  if (dot <= 0) return null;
  const paymentId = token.slice(0, dot);
  const expected = Buffer.from(mac(secret, "checkout", paymentId));
  const given = Buffer.from(token.slice(dot + 1));
  return given.length === expected.length && timingSafeEqual(given, expected) ? paymentId : null;
};

/** A per-payment CSRF token for the checkout form (the page is reachable only with the link). */
export const csrfToken = (secret: string, paymentId: string): string => mac(secret, "csrf", paymentId);

/** Constant-time check of a submitted CSRF token. */
export const csrfValid = (secret: string, paymentId: string, submitted: string): boolean => {
  const expected = Buffer.from(csrfToken(secret, paymentId));
  const given = Buffer.from(submitted);
  return given.length === expected.length && timingSafeEqual(given, expected);
};
