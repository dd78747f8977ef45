import { WorkflowUpdateFailedError } from "@temporalio/client";
import type { Context } from "hono";
import { Hono } from "hono";
import type { BillView, CollectionReply, CollectionRequest } from "../../connectors/sdk/contract.ts";
import { findAgency } from "../../db/agencies.ts";
import { findPaymentByCode } from "../../db/payments.ts";
import { maskName } from "../../domain/mask.ts";
import type { PaymentRecord } from "../../domain/payment-record.ts";
import { collectPaymentUpdate, paymentWorkflowId } from "../../workflows/messages.ts";
import { inbound, send } from "../callbacks/wire.ts";
import type { ApiDeps } from "../deps.ts";

const billStatus = (p: PaymentRecord, now: Date): BillView["status"] => {
  if (p.status === "success") return "paid";
  if (p.status === "cancelled") return "cancelled";
  if (p.finished || p.expiresAt <= now) return "expired";
  return "payable";
};

/**
 * The agent API of bill collection ("thu hộ"): a store chain or bank app looks a payment code up,
 * confirms the cash it took, or reverses it. Each chain speaks its own signed protocol
 * (connector.collection); PayGov's answer is the same for all.
 */
export const agentRoutes = (deps: ApiDeps) => {
  const app = new Hono();

  const answer = async (connector: string, request: CollectionRequest): Promise<CollectionReply> => {
    const payment = await findPaymentByCode(deps.sql, request.paymentCode);
    if (payment === null)
      return { kind: "refused", reason: "unknown_code", message: "No payment has this code" };
    if (request.kind === "lookup") {
      const agency = await findAgency(deps.sql, payment.agencyId);
      return {
        kind: "bill",
        bill: {
          paymentCode: request.paymentCode,
          amount: payment.amount,
          payerMasked: maskName(payment.payer.name),
          agencyName: agency?.name ?? "",
          description: payment.description,
          expiresAt: payment.expiresAt,
          status: billStatus(payment, deps.now()),
        },
      };
    }
    if (request.kind === "reverse") {
      // Reversals are settled as refunds; until a payment can be refunded PayGov cannot undo a collection.
      return {
        kind: "refused",
        reason: "too_late",
        message: "PayGov does not accept reversals of collected payments",
      };
    }
    const result = await deps.temporal.workflow
      .getHandle(paymentWorkflowId(payment.id))
      .executeUpdate(collectPaymentUpdate, {
        args: [
          {
            connector,
            providerTxnId: request.providerTxnId,
            amount: request.amount,
            paidAt: request.paidAt.toISOString(),
          },
        ],
      })
      .catch((err: unknown) => {
        if (err instanceof WorkflowUpdateFailedError) return null;
        throw err;
      });
    if (result === null)
      return { kind: "refused", reason: "error", message: "The payment could not take the collection" };
    if (result.ok) return { kind: "confirmed", duplicate: result.duplicate, receiptId: result.attemptId };
    const reason =
      result.reason === "open_failed"
        ? "error"
        : result.reason === "finished"
          ? "not_payable"
          : result.reason;
    return { kind: "refused", reason, message: result.message };
  };

  app.all("/:connector/*", async (c: Context) => {
    const live = deps.connectors.live.get(c.req.param("connector") ?? "");
    const protocol = live?.connector.collection;
    if (!live || !protocol)
      return c.json({ code: "not_found", description: "No collection partner by this name" }, 404);
    const read = protocol.readRequest(await inbound(c));
    if (!read.ok) {
      return send(
        c,
        protocol.reply(null, {
          kind: "refused",
          reason: read.rejection.reason,
          message: read.rejection.message,
        }),
      );
    }
    try {
      return send(c, protocol.reply(read.request, await answer(live.definition.id, read.request)));
    } catch (err) {
      console.error(
        `agent request from ${live.definition.id} failed: ${err instanceof Error ? err.message : err}`,
      );
      return send(
        c,
        protocol.reply(read.request, { kind: "refused", reason: "error", message: "Try again later" }),
      );
    }
  });

  return app;
};
