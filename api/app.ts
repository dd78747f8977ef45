import { Option, Redacted } from "effect";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { agentRoutes } from "./agents/routes.ts";
import { callbackRoutes } from "./callbacks/routes.ts";
import { checkoutRoutes } from "./checkout/routes.tsx";
import type { ApiDeps } from "./deps.ts";
import { ApiError } from "./errors.ts";
import { agencyAuth, opsAuth } from "./middleware/auth.ts";
import { idempotency } from "./middleware/idempotency.ts";
import { opsInquiryRoutes } from "./ops/inquiries.ts";
import { opsOverviewPage } from "./ops/overview-page.tsx";
import { opsReconciliationPages } from "./ops/reconciliation-pages.tsx";
import { opsReconciliationRoutes } from "./ops/reconciliations.ts";
import { opsRefundRoutes } from "./ops/refunds.ts";
import { opsSettlementPages } from "./ops/settlement-pages.tsx";
import { opsSettlementRoutes } from "./ops/settlements.ts";
import { inquiryRoutes } from "./portal/inquiries.ts";
import { openApiDocument } from "./portal/openapi.ts";
import { paymentRoutes } from "./portal/payments.ts";
import { refundRoutes } from "./portal/refunds.ts";
import { webhookRoutes } from "./portal/webhooks.ts";
import { receiptRoutes } from "./receipts/routes.tsx";

/** The whole HTTP edge: portal API, citizen pages, intermediaries' callbacks. */
/** The portal API under /v1, without its middleware: what the OpenAPI document describes, route by route. */
export const portalRoutes = (deps: ApiDeps) =>
  new Hono()
    .route("/", paymentRoutes(deps))
    .route("/", refundRoutes(deps))
    .route("/", webhookRoutes(deps))
    .route("/", inquiryRoutes(deps));

export const createApp = (deps: ApiDeps) => {
  const app = new Hono();

  // One table turns every failure into the API's error shape; unexpected ones are logged without bodies.
  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(err.toJSON(), err.status);
    if (err instanceof HTTPException) return err.getResponse();
    console.error(
      `Unhandled error on ${c.req.method} ${c.req.path}: ${err instanceof Error ? err.stack : err}`,
    );
    return c.json({ code: "internal_error", description: "PayGov could not process the request" }, 500);
  });
  app.notFound((c) =>
    c.json({ code: "not_found", description: `No route ${c.req.method} ${c.req.path}` }, 404),
  );

  app.get("/healthz", async (c) => {
    await deps.sql`select 1`;
    return c.json({ status: "ok" });
  });
  app.get("/v1/openapi.json", (c) => c.json(openApiDocument(deps.config.publicUrl)));

  const opsKey = Option.match(deps.config.opsApiKey, { onNone: () => null, onSome: Redacted.value });
  // Operations first: /v1/ops is never an agency's route, whatever the key.
  const ops = new Hono();
  ops.use("*", opsAuth(deps.sql, opsKey));
  ops.route("/", opsRefundRoutes(deps));
  ops.route("/", opsInquiryRoutes(deps));
  ops.route("/", opsSettlementRoutes(deps));
  ops.route("/", opsReconciliationRoutes(deps));
  app.route("/v1/ops", ops);
  app.route("/ops", opsOverviewPage(deps));
  app.route("/ops", opsSettlementPages(deps));
  app.route("/ops", opsReconciliationPages(deps));

  const portal = new Hono();
  portal.use("*", agencyAuth(deps.sql, opsKey), idempotency(deps.sql));
  portal.route("/", portalRoutes(deps));
  app.route("/v1", portal);

  app.route("/callbacks", callbackRoutes(deps));
  app.route("/agents", agentRoutes(deps));
  // Before the checkout pages, whose catch-all middleware would otherwise set their CSP on receipts.
  app.route("/", receiptRoutes(deps));
  app.route("/", checkoutRoutes(deps));
  return app;
};
