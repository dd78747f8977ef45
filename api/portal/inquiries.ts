import { WithStartWorkflowOperation } from "@temporalio/client";
import { Schema } from "effect";
import { Hono } from "hono";
import { findInquiry, listInquiries } from "../../db/inquiries.ts";
import { findPayment } from "../../db/payments.ts";
import { idempotentId, newPaymentId } from "../../domain/ids.ts";
import { renderInquiry } from "../../domain/inquiry-record.ts";
import type { inquiryWorkflow } from "../../workflows/inquiry.ts";
import { inquiryRecordedUpdate, inquiryWorkflowId } from "../../workflows/inquiry-messages.ts";
import { PaymentIdKey } from "../../workflows/search-attributes.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import type { IdempotencyVariables } from "../middleware/idempotency.ts";
import { decode, readJson, withTimeout } from "../request-body.ts";

/** The body of POST /v1/payments/:id/inquiries. */
export const CreateInquiryRequest = Schema.Struct({
  reason: Schema.Literals(["paid_not_confirmed", "double_charge", "wrong_amount", "refund_request"]),
  note: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(1000))),
});

/** Inquiries (tra soát) a portal opens on one of its payments. */
export const inquiryRoutes = (deps: ApiDeps) => {
  const app = new Hono<{ Variables: IdempotencyVariables }>();

  const ownPayment = async (id: string, agencyId: string) => {
    const payment = await findPayment(deps.sql, id, agencyId);
    if (payment === null)
      throw new ApiError("payment_not_found", "No payment with this id belongs to your agency");
    return payment;
  };

  app.post("/payments/:id/inquiries", async (c) => {
    const agency = c.get("agency");
    const payment = await ownPayment(c.req.param("id"), agency.id);
    const body = decode(CreateInquiryRequest, await readJson(await c.req.text()));
    const key = c.get("idempotencyKey");
    const inquiryId = key === undefined ? newPaymentId() : idempotentId("inquiry", agency.id, key);
    const start = new WithStartWorkflowOperation<typeof inquiryWorkflow>("inquiryWorkflow", {
      workflowId: inquiryWorkflowId(inquiryId),
      taskQueue: deps.config.temporal.taskQueue,
      workflowIdConflictPolicy: "USE_EXISTING",
      args: [
        {
          inquiryId,
          paymentId: payment.id,
          agencyId: agency.id,
          reason: body.reason,
          note: body.note ?? null,
          openedAt: deps.now().toISOString(),
          slaMs: deps.config.payments.inquirySlaMs,
          pollMs: Math.min(deps.config.payments.requeryEveryMs, 5000),
        },
      ],
      typedSearchAttributes: [{ key: PaymentIdKey, value: payment.id }],
    });
    await withTimeout(
      deps.temporal.workflow.executeUpdateWithStart(inquiryRecordedUpdate, { startWorkflowOperation: start }),
      15_000,
    );
    const inquiry = await findInquiry(deps.sql, inquiryId);
    if (inquiry === null) throw new Error(`inquiry ${inquiryId} recorded by its workflow but not found`);
    return c.json(renderInquiry(inquiry, deps.links), 201);
  });

  app.get("/payments/:id/inquiries", async (c) => {
    const payment = await ownPayment(c.req.param("id"), c.get("agency").id);
    const inquiries = await listInquiries(deps.sql, { paymentId: payment.id });
    return c.json({ inquiries: inquiries.map((i) => renderInquiry(i, deps.links)) });
  });

  app.get("/payments/:id/inquiries/:inquiryId", async (c) => {
    const payment = await ownPayment(c.req.param("id"), c.get("agency").id);
    const inquiry = await findInquiry(deps.sql, c.req.param("inquiryId"));
    if (inquiry === null || inquiry.paymentId !== payment.id) {
      throw new ApiError("inquiry_not_found", "No inquiry with this id belongs to this payment");
    }
    return c.json(renderInquiry(inquiry, deps.links));
  });

  return app;
};
