import { createHash } from "node:crypto";
import { createMiddleware } from "hono/factory";
import type { Db } from "../../db/client.ts";
import { ApiError } from "../errors.ts";
import type { AuthVariables } from "./auth.ts";

/** GOV.UK Pay's window: the same key and body within 24 hours replays the first response. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;
/** A request still "in progress" after this long died with its process; a retry may take it over. */
const ABANDONED_AFTER_MS = 60_000;
const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

export type IdempotencyVariables = AuthVariables & { idempotencyKey: string | undefined };

// Key order and whitespace do not make a different request: hash the canonical form of JSON bodies.
const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
};

const requestHash = (method: string, path: string, body: string): string => {
  let normalised = body;
  try {
    normalised = JSON.stringify(canonical(JSON.parse(body)));
  } catch {
    // not JSON: the raw bytes are the request
  }
  return createHash("sha256").update(`${method}\n${path}\n${normalised}`).digest("hex");
};

/**
 * Idempotency-Key on POSTs: the first request with a key runs and its response is kept; the same key
 * with the same body replays it; with another body it is refused (409). Server errors are not kept,
 * so the client's retry runs again.
 */
export const idempotency = (sql: Db) =>
  createMiddleware<{ Variables: IdempotencyVariables }>(async (c, next) => {
    const key = c.req.header("idempotency-key");
    c.set("idempotencyKey", undefined);
    if (c.req.method !== "POST" || key === undefined) return next();
    if (!KEY_FORMAT.test(key)) {
      throw new ApiError(
        "idempotency_key_invalid",
        "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces",
        "Idempotency-Key",
      );
    }
    const agencyId = c.get("agency").id;
    const hash = requestHash(c.req.method, c.req.path, await c.req.text());
    const now = new Date();

    const claimed = await sql.begin(async (tx) => {
      // Expired keys are forgotten, so a key reused after 24 hours starts afresh.
      await tx`delete from idempotency_keys where agency_id = ${agencyId} and key = ${key}
               and created_at < ${new Date(now.getTime() - IDEMPOTENCY_WINDOW_MS)}`;
      const inserted = await tx`
        insert into idempotency_keys (agency_id, key, request_hash, method, path, state, created_at, locked_at)
        values (${agencyId}, ${key}, ${hash}, ${c.req.method}, ${c.req.path}, 'in_progress', ${now}, ${now})
        on conflict do nothing
        returning key`;
      if (inserted.length > 0) return { kind: "claimed" as const };
      const [row] =
        await tx`select * from idempotency_keys where agency_id = ${agencyId} and key = ${key} for update`;
      if (!row) return { kind: "claimed" as const };
      if (row.request_hash !== hash) return { kind: "conflict" as const };
      if (row.state === "completed") {
        return { kind: "replay" as const, status: row.response_status as number, body: row.response_body };
      }
      if (now.getTime() - (row.locked_at as Date).getTime() < ABANDONED_AFTER_MS)
        return { kind: "busy" as const };
      await tx`update idempotency_keys set locked_at = ${now} where agency_id = ${agencyId} and key = ${key}`;
      return { kind: "claimed" as const };
    });

    if (claimed.kind === "conflict") {
      throw new ApiError(
        "idempotency_key_reused",
        "This Idempotency-Key was already used with a different request",
        "Idempotency-Key",
      );
    }
    if (claimed.kind === "busy") {
      throw new ApiError(
        "idempotency_request_in_progress",
        "A request with this Idempotency-Key is still being processed; retry shortly",
        "Idempotency-Key",
      );
    }
    if (claimed.kind === "replay") {
      c.header("Idempotent-Replayed", "true");
      return c.json(claimed.body, claimed.status as 200);
    }

    c.set("idempotencyKey", key);
    let kept = false;
    try {
      await next();
      const status = c.res.status;
      if (status < 500) {
        const body = await c.res
          .clone()
          .json()
          .catch(() => null);
        await sql`update idempotency_keys set state = 'completed', response_status = ${status},
                    response_body = ${sql.json(body as never)}
                  where agency_id = ${agencyId} and key = ${key}`;
        kept = true;
      }
    } finally {
      if (!kept) await sql`delete from idempotency_keys where agency_id = ${agencyId} and key = ${key}`;
    }
  });
