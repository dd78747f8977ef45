import { describe, expect, it } from "vitest";
import { portalRoutes } from "../app.ts";
import type { ApiDeps } from "../deps.ts";
import { openApiDocument } from "./openapi.ts";

// Route construction touches no dependency: handlers read them only when a request comes.
const routes = portalRoutes({} as ApiDeps).routes.map((r) => ({
  method: r.method.toLowerCase(),
  // Hono's /payments/:id/refunds/:refundId is OpenAPI's /v1/payments/{id}/refunds/{refund_id}.
  path: `/v1${r.path}`.replace(/:[A-Za-z]+/g, "{}"),
}));
const doc = openApiDocument("https://paygov.example");
const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
  Object.keys(operations).map((method) => ({ method, path: path.replace(/\{[a-z_]+\}/g, "{}") })),
);
const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

describe("the OpenAPI document", () => {
  it("describes every route of the portal API, and no route it does not serve", () => {
    expect(routes.length).toBeGreaterThanOrEqual(14);
    expect(documented.map(key).sort()).toEqual(routes.map(key).sort());
  });

  it("gives every request body and response a schema it defines", () => {
    const text = JSON.stringify(doc);
    const refs = [...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const name of new Set(refs)) expect(doc.components.schemas, name).toHaveProperty(name);
  });

  it("takes the request schemas from the validating schemas: limits and enums as the API enforces them", () => {
    const schemas = doc.components.schemas as Record<string, { properties?: Record<string, unknown> }>;
    expect(schemas.CreateInquiryRequest?.properties?.reason).toMatchObject({
      enum: ["paid_not_confirmed", "double_charge", "wrong_amount", "refund_request"],
    });
    expect(JSON.stringify(schemas.RotateWebhookSecretRequest)).toContain("604800");
    expect(Object.keys(schemas.CreateRefundRequest?.properties ?? {}).sort()).toEqual([
      "amount",
      "lines",
      "reason",
      "refund_amount_available",
    ]);
  });
});
