import { createHmac, timingSafeEqual } from "node:crypto";

/** The header portals verify: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export const SIGNATURE_HEADER = "PayGov-Signature";

const hmac = (secret: string, timestamp: number, body: string) =>
  createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");

/**
 * Signs a webhook body; the timestamp inside the MAC lets receivers refuse stale replays. During a
 * secret rotation both secrets sign (one v1 each), so a portal can switch to the new one at any time.
 */
export const signWebhook = (
  secrets: string | ReadonlyArray<string>,
  body: string,
  timestamp: number,
): string =>
  [
    `t=${timestamp}`,
    ...(typeof secrets === "string" ? [secrets] : secrets).map((s) => `v1=${hmac(s, timestamp, body)}`),
  ].join(",");

/**
 * Checks a signature header the way a portal should: recompute in constant time, and refuse
 * timestamps further than `toleranceSeconds` from now. Several v1 values (secret rotation) are allowed.
 */
export const verifyWebhookSignature = (
  secrets: ReadonlyArray<string>,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean => {
  const parts = header.split(",").map((p) => p.trim().split("="));
  const t = Number(parts.find(([k]) => k === "t")?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const given = parts.filter(([k]) => k === "v1").map(([, v]) => Buffer.from(v ?? "", "utf8"));
  return secrets.some((secret) => {
    const expected = Buffer.from(hmac(secret, t, body), "utf8");
    return given.some((g) => g.length === expected.length && timingSafeEqual(g, expected));
  });
};
