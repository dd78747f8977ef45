import { createHash, timingSafeEqual } from "node:crypto";
import { createMiddleware } from "hono/factory";
import { type Agency, findAgencyByKeyHash } from "../../db/agencies.ts";
import type { Db } from "../../db/client.ts";
import { ApiError } from "../errors.ts";

/** Keys are high-entropy random strings, so a plain SHA-256 is enough to store them safely. */
export const hashApiKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

export type AuthVariables = { agency: Agency };

const sameKey = (given: string, expected: string): boolean => {
  const a = Buffer.from(hashApiKey(given));
  const b = Buffer.from(hashApiKey(expected));
  return timingSafeEqual(a, b);
};

/** The operations key, for /v1/ops alone; an agency's key there is refused with 403. */
export const opsAuth = (sql: Db, opsKey: string | null) =>
  createMiddleware(async (c, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
    if (!match)
      throw new ApiError("unauthenticated", "Send the operations key as: Authorization: Bearer <key>");
    if (opsKey !== null && sameKey(match[1]!, opsKey)) return next();
    if ((await findAgencyByKeyHash(sql, hashApiKey(match[1]!))) !== null) {
      throw new ApiError("forbidden", "An agency's key does not open /v1/ops");
    }
    throw new ApiError("unauthenticated", "The operations key is not valid");
  });

/** Bearer API key per agency; the key is looked up by its hash, never stored or logged in clear. */
export const agencyAuth = (sql: Db, opsKey: string | null) =>
  createMiddleware<{ Variables: AuthVariables }>(async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ApiError("unauthenticated", "Send your API key as: Authorization: Bearer <key>");
    const agency = await findAgencyByKeyHash(sql, hashApiKey(match[1]!));
    if (agency === null) {
      if (opsKey !== null && sameKey(match[1]!, opsKey)) {
        throw new ApiError("forbidden", "The operations key opens /v1/ops only");
      }
      throw new ApiError("unauthenticated", "The API key is not valid");
    }
    c.set("agency", agency);
    await next();
  });
