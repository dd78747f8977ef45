import type { Context } from "hono";
import type { InboundRequest, OutboundResponse } from "../../connectors/sdk/contract.ts";

/** An intermediary's request as connectors read it: the body kept byte for byte for signatures. */
export const inbound = async (c: Context): Promise<InboundRequest> => {
  const url = new URL(c.req.url);
  return {
    method: c.req.method,
    url: c.req.url,
    query: url.searchParams,
    headers: Object.fromEntries(c.req.raw.headers.entries()),
    body: c.req.method === "GET" || c.req.method === "HEAD" ? "" : await c.req.text(),
  };
};

/** Sends a protocol answer exactly as the connector worded it. */
export const send = (c: Context, response: OutboundResponse) => {
  for (const [name, value] of Object.entries(response.headers)) c.header(name, value);
  return response.body === ""
    ? c.body(null, response.status as 204)
    : c.body(response.body, response.status as 200);
};
