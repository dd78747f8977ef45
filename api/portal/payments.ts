import { WithStartWorkflowOperation } from "@temporalio/client";
import { Hono } from "hono";
import { listPayments } from "../../db/payment-search.ts";
import { findPayment, listEvents } from "../../db/payments.ts";
import { CreatePaymentRequest, completeLines, resolveExpiresIn } from "../../domain/create-payment.ts";
import { idempotentPaymentId, newPaymentId } from "../../domain/ids.ts";
import { originAllowed } from "../../domain/origins.ts";
import { renderPayment } from "../../domain/payment-resource.ts";
import { seal } from "../../domain/sealed-payload.ts";
import type { PaymentCreation, PaymentWorkflowInput } from "../../workflows/messages.ts";
import { paymentRecordedUpdate, paymentWorkflowId } from "../../workflows/messages.ts";
import type { paymentWorkflow } from "../../workflows/payment.ts";
import {
  AgencyCodeKey,
  ConnectorKey,
  DossierCodeKey,
  PaymentIdKey,
  PaymentStatusKey,
} from "../../workflows/search-attributes.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import type { IdempotencyVariables } from "../middleware/idempotency.ts";
import { decode, readJson, withTimeout } from "../request-body.ts";

/** How long a create request waits for the workflow to record the payment before answering 503. */
const CREATE_TIMEOUT_MS = 15_000;

/** The portal API's payment resources: create, read, list, events. */
export const paymentRoutes = (deps: ApiDeps) => {
  const app = new Hono<{ Variables: IdempotencyVariables }>();

  app.post("/payments", async (c) => {
    const agency = c.get("agency");
    const request = decode(CreatePaymentRequest, await readJson(await c.req.text()));

    let returnUrl: URL;
    try {
      returnUrl = new URL(request.return_url);
    } catch {
      throw new ApiError("invalid_field", "Invalid return_url: not an absolute URL", "return_url");
    }
    if (!originAllowed(returnUrl, agency.returnOrigins)) {
      throw new ApiError(
        "return_url_not_allowed",
        `return_url must use one of the agency's registered origins`,
        "return_url",
      );
    }
    if (request.connector !== undefined && !deps.connectors.live.has(request.connector)) {
      throw new ApiError(
        "connector_unavailable",
        `No enabled intermediary is called "${request.connector}"`,
        "connector",
      );
    }
    const lines = completeLines(request, agency.budgetDefaults);
    if (!lines.ok)
      throw new ApiError(lines.violation.code, lines.violation.description, lines.violation.field);
    const expiry = resolveExpiresIn(request.expires_in, {
      min: deps.config.payments.minExpiresInSeconds,
      fallback: deps.config.payments.defaultExpiresInSeconds,
    });
    if (!expiry.ok)
      throw new ApiError(expiry.violation.code, expiry.violation.description, expiry.violation.field);

    const key = c.get("idempotencyKey");
    const paymentId = key === undefined ? newPaymentId() : idempotentPaymentId(agency.id, key);
    const now = deps.now();
    const creation: PaymentCreation = {
      paymentId,
      agencyId: agency.id,
      amount: request.amount,
      reference: request.reference,
      description: request.description,
      procedureCode: request.procedure_code ?? null,
      returnUrl: returnUrl.toString(),
      language: request.language ?? "vi",
      payerSealed: seal(request.payer, deps.links.secretKey),
      metadata: request.metadata ? { ...request.metadata } : null,
      lines: lines.lines,
      preselectedConnector: request.connector ?? null,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + expiry.seconds * 1000).toISOString(),
    };
    const input: PaymentWorkflowInput = { creation, agencyCode: agency.code, timing: deps.timing };
    const start = new WithStartWorkflowOperation<typeof paymentWorkflow>("paymentWorkflow", {
      workflowId: paymentWorkflowId(paymentId),
      taskQueue: deps.config.temporal.taskQueue,
      args: [input],
      // The same id (from the same Idempotency-Key) joins the running workflow instead of starting twice.
      workflowIdConflictPolicy: "USE_EXISTING",
      typedSearchAttributes: [
        { key: PaymentIdKey, value: paymentId },
        { key: AgencyCodeKey, value: agency.code },
        { key: DossierCodeKey, value: request.reference },
        { key: PaymentStatusKey, value: "created" },
        ...(request.connector ? [{ key: ConnectorKey, value: request.connector }] : []),
      ],
    });
    await withTimeout(
      deps.temporal.workflow.executeUpdateWithStart(paymentRecordedUpdate, { startWorkflowOperation: start }),
      CREATE_TIMEOUT_MS,
    );
    const payment = await findPayment(deps.sql, paymentId, agency.id);
    if (payment === null) throw new Error(`payment ${paymentId} recorded by its workflow but not found`);
    return c.json(renderPayment(payment, deps.links), 201);
  });

  app.get("/payments/:id", async (c) => {
    const payment = await findPayment(deps.sql, c.req.param("id"), c.get("agency").id);
    if (payment === null)
      throw new ApiError("payment_not_found", "No payment with this id belongs to your agency");
    return c.json(renderPayment(payment, deps.links));
  });

  app.get("/payments/:id/events", async (c) => {
    const payment = await findPayment(deps.sql, c.req.param("id"), c.get("agency").id);
    if (payment === null)
      throw new ApiError("payment_not_found", "No payment with this id belongs to your agency");
    const events = await listEvents(deps.sql, payment.id);
    return c.json({
      events: events.map((e) => ({
        id: e.id,
        type: e.type,
        created_date: e.createdAt.toISOString(),
        state: e.state,
        data: e.data,
      })),
    });
  });

  app.get("/payments", async (c) => {
    const page = await listPayments(deps.sql, c.get("agency").id, c.req.query());
    if (!page.ok) throw new ApiError("invalid_field", page.error.description, page.error.field);
    return c.json({
      count: page.payments.length,
      results: page.payments.map((p) => renderPayment(p, deps.links)),
      _links: {
        self: { href: `${deps.config.publicUrl}${c.req.path}`, method: "GET" },
        ...(page.nextCursor
          ? { next_page: { href: `${deps.config.publicUrl}/v1/payments?${page.nextQuery}`, method: "GET" } }
          : {}),
      },
    });
  });

  return app;
};
