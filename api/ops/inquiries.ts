import { WorkflowNotFoundError } from "@temporalio/client";
import { Schema } from "effect";
import { Hono } from "hono";
import { findInquiry, listInquiries } from "../../db/inquiries.ts";
import { findPayment } from "../../db/payments.ts";
import { Amount } from "../../domain/create-payment.ts";
import { newPaymentId } from "../../domain/ids.ts";
import { renderInquiry } from "../../domain/inquiry-record.ts";
import { refundSummary } from "../../domain/payment-resource.ts";
import { inquiryDecisionSignal, inquiryWorkflowId } from "../../workflows/inquiry-messages.ts";
import { paymentWorkflowId, requestRefundUpdate } from "../../workflows/messages.ts";
import { awaitLedger } from "../await-ledger.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { decode, readJson, withTimeout } from "../request-body.ts";

const Decision = Schema.Struct({
  decision: Schema.Literals(["confirm_payment", "refund", "reject"]),
  note: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(1000)),
  operator: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100)),
  /** With "refund": how much to return (default: all that is still available). */
  amount: Schema.optionalKey(Amount),
});

/** Operators' side of inquiries: the queue of open and escalated ones, and their decisions. */
export const opsInquiryRoutes = (deps: ApiDeps) => {
  const app = new Hono();

  app.get("/inquiries", async (c) => {
    const status = c.req.query("status");
    if (status !== undefined && !["open", "escalated", "resolved"].includes(status)) {
      throw new ApiError("invalid_field", "status must be open, escalated or resolved", "status");
    }
    const inquiries = await listInquiries(deps.sql, status ? { status } : {});
    return c.json({ inquiries: inquiries.map((i) => renderInquiry(i, deps.links)) });
  });

  app.post("/inquiries/:id/decision", async (c) => {
    const inquiry = await findInquiry(deps.sql, c.req.param("id"));
    if (inquiry === null) throw new ApiError("inquiry_not_found", "No inquiry with this id");
    if (inquiry.status === "resolved")
      throw new ApiError("inquiry_resolved", "The inquiry is already resolved");
    const body = decode(Decision, await readJson(await c.req.text()));
    let refundId: string | undefined;
    if (body.decision === "refund") {
      // The refund is an ordinary refund of the payment, with the inquiry as its reason.
      const payment = await findPayment(deps.sql, inquiry.paymentId);
      if (payment === null) throw new ApiError("payment_not_found", "The inquiry's payment is gone");
      const available = refundSummary(payment).amount_available;
      const result = await withTimeout(
        deps.temporal.workflow.getHandle(paymentWorkflowId(payment.id)).executeUpdate(requestRefundUpdate, {
          args: [
            {
              refundId: newPaymentId(),
              amount: body.amount ?? available,
              refundAmountAvailable: available,
              reason: `Inquiry ${inquiry.id}: ${body.note}`.slice(0, 255),
              lines: null,
              requestedBy: `operator:${body.operator}`,
            },
          ],
        }),
        15_000,
      );
      if (!result.ok) throw new ApiError("refund_not_available", result.message);
      refundId = result.refundId;
    }
    await deps.temporal.workflow
      .getHandle(inquiryWorkflowId(inquiry.id))
      .signal(inquiryDecisionSignal, {
        decision: body.decision,
        note: body.note,
        operator: body.operator,
        ...(refundId ? { refundId } : {}),
      })
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError)
          throw new ApiError("inquiry_resolved", "The inquiry has concluded");
        throw err;
      });
    const after = await awaitLedger(
      () => findInquiry(deps.sql, inquiry.id),
      (i) => i?.status === "resolved",
    );
    return c.json(
      { ...renderInquiry(after.value ?? inquiry, deps.links), ...(refundId ? { refund_id: refundId } : {}) },
      after.done ? 200 : 202,
    );
  });

  return app;
};
