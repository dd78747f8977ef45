import { createHash } from "node:crypto";
import { createMiddleware } from "hono/factory";
import { type Agency, findAgencyByKeyHash } from "../../db/agencies.ts";
import type { Db } from "../../db/client.ts";
import { ApiError } from "../errors.ts";

/** Keys are high-entropy random strings, so a plain SHA-256 is enough to store them safely. */
export const hashApiKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

export type AuthVariables = { agency: Agency };

/** Bearer API key per agency; the key is looked up by its hash, never stored or logged in clear. */
export const agencyAuth = (sql: Db) =>
  createMiddleware<{ Variables: AuthVariables }>(async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ApiError("unauthenticated", "Send your API key as: Authorization: Bearer <key>");
    const agency = await findAgencyByKeyHash(sql, hashApiKey(match[1]!));
    if (agency === null) throw new ApiError("unauthenticated", "The API key is not valid");
    c.set("agency", agency);
    await next();
  });
