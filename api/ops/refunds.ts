import { WorkflowNotFoundError } from "@temporalio/client";
import { Schema } from "effect";
import { Hono } from "hono";
import { findRefund } from "../../db/refunds.ts";
import { renderRefund } from "../../domain/refund-record.ts";
import { refundDecisionSignal, refundWorkflowId } from "../../workflows/messages.ts";
import { awaitLedger } from "../await-ledger.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { decode, readJson } from "../request-body.ts";

const Completion = Schema.Struct({
  status: Schema.Literals(["success", "error"]),
  note: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(500)),
  operator: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100)),
});

/**
 * Manual refunds: for an intermediary without a refund API (a bank transfer, a counter), the agency's
 * accountant returns the money and an operator records the outcome here.
 */
export const opsRefundRoutes = (deps: ApiDeps) => {
  const app = new Hono();

  app.get("/refunds", async (c) => {
    const status = c.req.query("status");
    if (status !== undefined && !["submitted", "success", "error"].includes(status)) {
      throw new ApiError("invalid_field", "status must be submitted, success or error", "status");
    }
    const manual = c.req.query("manual");
    const rows = await deps.sql<{ id: string }[]>`
      select id from refunds where true
        ${status ? deps.sql`and status = ${status}` : deps.sql``}
        ${manual === "true" ? deps.sql`and manual` : deps.sql``}
      order by created_at desc limit 500`;
    const refunds = [];
    for (const row of rows) {
      const refund = await findRefund(deps.sql, row.id);
      if (refund) refunds.push(renderRefund(refund, deps.links));
    }
    return c.json({ refunds });
  });

  app.post("/refunds/:id/complete", async (c) => {
    const refund = await findRefund(deps.sql, c.req.param("id"));
    if (refund === null) throw new ApiError("refund_not_found", "No refund with this id");
    if (!refund.manual)
      throw new ApiError(
        "refund_not_available",
        "This refund is followed with its intermediary, not by hand",
      );
    if (refund.status !== "submitted")
      throw new ApiError("refund_not_available", `The refund is already ${refund.status}`);
    const body = decode(Completion, await readJson(await c.req.text()));
    await deps.temporal.workflow
      .getHandle(refundWorkflowId(refund.id))
      .signal(refundDecisionSignal, { status: body.status, note: body.note, operator: body.operator })
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError)
          throw new ApiError("refund_not_available", "The refund has concluded");
        throw err;
      });
    const after = await awaitLedger(
      () => findRefund(deps.sql, refund.id),
      (r) => r?.status !== "submitted",
    );
    return c.json(renderRefund(after.value ?? refund, deps.links), after.done ? 200 : 202);
  });

  return app;
};
