import { WorkflowNotFoundError, WorkflowUpdateFailedError } from "@temporalio/client";
import { Schema } from "effect";
import { Hono } from "hono";
import { findPayment } from "../../db/payments.ts";
import { findRefund, listRefunds } from "../../db/refunds.ts";
import { Amount } from "../../domain/create-payment.ts";
import { idempotentId, newPaymentId } from "../../domain/ids.ts";
import { renderRefund } from "../../domain/refund-record.ts";
import { cancelPaymentUpdate, paymentWorkflowId, requestRefundUpdate } from "../../workflows/messages.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import type { IdempotencyVariables } from "../middleware/idempotency.ts";
import { decode, readJson, withTimeout } from "../request-body.ts";

/** The body of POST /v1/payments/:id/refunds (GOV.UK Pay's, with an optional reason and lines). */
export const CreateRefundRequest = Schema.Struct({
  amount: Amount,
  /** The payment's refund_summary.amount_available as the caller last read it. */
  refund_amount_available: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)),
  reason: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(255))),
  /** Which fee lines the refund returns; without it a full refund returns every line, a partial one pro rata. */
  lines: Schema.optionalKey(
    Schema.Array(
      Schema.Struct({
        index: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)),
        amount: Amount,
      }),
    ).check(Schema.isMinLength(1)),
  ),
});

const REFUND_TIMEOUT_MS = 15_000;

/** Refunds and cancellation of a payment. */
export const refundRoutes = (deps: ApiDeps) => {
  const app = new Hono<{ Variables: IdempotencyVariables }>();

  const ownPayment = async (id: string, agencyId: string) => {
    const payment = await findPayment(deps.sql, id, agencyId);
    if (payment === null)
      throw new ApiError("payment_not_found", "No payment with this id belongs to your agency");
    return payment;
  };

  app.post("/payments/:id/refunds", async (c) => {
    const payment = await ownPayment(c.req.param("id"), c.get("agency").id);
    const body = decode(CreateRefundRequest, await readJson(await c.req.text()));
    if (body.lines) {
      const total = body.lines.reduce((sum, l) => sum + l.amount, 0);
      if (total !== body.amount) {
        throw new ApiError(
          "lines_total_mismatch",
          `The lines add up to ${total} VND but amount is ${body.amount} VND`,
          "lines",
        );
      }
      for (const [i, l] of body.lines.entries()) {
        const line = payment.lines[l.index];
        if (!line)
          throw new ApiError("invalid_field", `The payment has no line ${l.index}`, `lines.${i}.index`);
        if (l.amount > line.amount) {
          throw new ApiError(
            "invalid_field",
            `Line ${l.index} is only ${line.amount} VND`,
            `lines.${i}.amount`,
          );
        }
      }
    }
    const key = c.get("idempotencyKey");
    const refundId = key === undefined ? newPaymentId() : idempotentId("refund", c.get("agency").id, key);
    const result = await withTimeout(
      deps.temporal.workflow.getHandle(paymentWorkflowId(payment.id)).executeUpdate(requestRefundUpdate, {
        args: [
          {
            refundId,
            amount: body.amount,
            refundAmountAvailable: body.refund_amount_available,
            reason: body.reason ?? "Refund requested by the agency",
            lines: body.lines ? body.lines.map((l) => ({ ...l })) : null,
            requestedBy: `agency:${c.get("agency").id}`,
          },
        ],
      }),
      REFUND_TIMEOUT_MS,
    ).catch((err: unknown) => {
      // The payment's workflow has ended: its refund window has passed.
      if (err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError) return null;
      throw err;
    });
    if (result === null) {
      throw new ApiError(
        "refund_not_available",
        "This payment can no longer be refunded through its intermediary",
      );
    }
    if (!result.ok) {
      if (result.reason === "available_mismatch") {
        throw new ApiError(
          "refund_amount_available_mismatch",
          `${result.message}: read the payment again`,
          "refund_amount_available",
        );
      }
      if (result.reason === "exceeds_available")
        throw new ApiError("refund_amount_exceeds_available", result.message, "amount");
      throw new ApiError("refund_not_available", result.message);
    }
    const refund = await findRefund(deps.sql, result.refundId);
    if (refund === null) throw new Error(`refund ${result.refundId} accepted but not in the ledger`);
    return c.json(renderRefund(refund, deps.links), 202);
  });

  app.get("/payments/:id/refunds", async (c) => {
    const payment = await ownPayment(c.req.param("id"), c.get("agency").id);
    const refunds = await listRefunds(deps.sql, payment.id);
    return c.json({ refunds: refunds.map((r) => renderRefund(r, deps.links)) });
  });

  app.get("/payments/:id/refunds/:refundId", async (c) => {
    const payment = await ownPayment(c.req.param("id"), c.get("agency").id);
    const refund = await findRefund(deps.sql, c.req.param("refundId"));
    if (refund === null || refund.paymentId !== payment.id) {
      throw new ApiError("refund_not_found", "No refund with this id belongs to this payment");
    }
    return c.json(renderRefund(refund, deps.links));
  });

  app.post("/payments/:id/cancel", async (c) => {
    const payment = await ownPayment(c.req.param("id"), c.get("agency").id);
    if (payment.finished) {
      throw new ApiError("payment_not_cancellable", `A ${payment.status} payment cannot be cancelled`);
    }
    const result = await withTimeout(
      deps.temporal.workflow.getHandle(paymentWorkflowId(payment.id)).executeUpdate(cancelPaymentUpdate),
      REFUND_TIMEOUT_MS,
    );
    if (!result.ok)
      throw new ApiError("payment_not_cancellable", `A ${result.status} payment cannot be cancelled`);
    return c.body(null, 204);
  });

  return app;
};
