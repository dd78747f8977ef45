import { timingSafeEqual } from "node:crypto";
import { createMiddleware } from "hono/factory";
import { hashApiKey } from "../middleware/auth.ts";

const same = (given: string, expected: string): boolean =>
  timingSafeEqual(Buffer.from(hashApiKey(given)), Buffer.from(hashApiKey(expected)));

/** The key a request carries: `Bearer <key>`, or HTTP Basic with the key as the password. */
const presentedKey = (header: string): string | null => {
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : decoded.slice(colon + 1);
};

/**
 * The operations key for the ops pages (/ops/...). A browser cannot send a bearer key when it opens a
 * link, but it asks for HTTP Basic credentials by itself: any user name, the operations key as the
 * password. The pages only read, so there is nothing for a forged request to change.
 */
export const opsPageAuth = (opsKey: string | null) =>
  createMiddleware(async (c, next) => {
    const key = presentedKey(c.req.header("authorization") ?? "");
    if (opsKey !== null && key !== null && same(key, opsKey)) return next();
    c.header("WWW-Authenticate", 'Basic realm="PayGov operations", charset="UTF-8"');
    c.header("Cache-Control", "no-store");
    return c.text(
      "Cần khoá vận hành (PAYGOV_OPS_API_KEY) làm mật khẩu. The operations key is required as the password.",
      401,
    );
  });
