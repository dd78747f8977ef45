import { WorkflowUpdateFailedError } from "@temporalio/client";
import type { Context } from "hono";
import { Hono } from "hono";
import type { BillView, CollectionReply, CollectionRequest } from "../../connectors/sdk/contract.ts";
import { findAgency } from "../../db/agencies.ts";
import { findPaymentByCode } from "../../db/payments.ts";
import { findRefund } from "../../db/refunds.ts";
import { idempotentId } from "../../domain/ids.ts";
import { maskName } from "../../domain/mask.ts";
import type { PaymentRecord } from "../../domain/payment-record.ts";
import { vietnamBusinessDate } from "../../domain/vietnam-time.ts";
import { collectPaymentUpdate, paymentWorkflowId, requestRefundUpdate } from "../../workflows/messages.ts";
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

  /**
   * A chain hands the cash back and reverses its collection: allowed on the collection's own Vietnam
   * business day (the chain's cut-off) and before the day is settled to the treasury. It is recorded as
   * a refund of the whole payment that the chain has already paid out.
   */
  const reverse = async (
    connector: string,
    payment: PaymentRecord,
    providerTxnId: string,
  ): Promise<CollectionReply> => {
    const [collected] = await deps.sql<{ concluded_at: Date | null; settled: boolean }[]>`
      select a.concluded_at, p.settled_in is not null as settled
      from payment_attempts a join payments p on p.id = a.payment_id
      where a.payment_id = ${payment.id} and a.connector = ${connector} and a.provider_txn_id = ${providerTxnId}
        and a.status = 'succeeded'`;
    if (!collected)
      return {
        kind: "refused",
        reason: "unknown_transaction",
        message: "No collection of this code has this transaction id",
      };
    const reversalId = idempotentId("reversal", payment.id, providerTxnId);
    if ((await findRefund(deps.sql, reversalId)) !== null) return { kind: "reversed", duplicate: true };
    const now = deps.now();
    if (
      collected.settled ||
      vietnamBusinessDate(collected.concluded_at ?? now) !== vietnamBusinessDate(now)
    ) {
      return {
        kind: "refused",
        reason: "too_late",
        message: "The collection's day has ended; ask the agency for a refund",
      };
    }
    const available = payment.amount - payment.refundedAmount;
    if (available !== payment.amount) {
      return {
        kind: "refused",
        reason: "too_late",
        message: "Part of the payment has already been refunded",
      };
    }
    const result = await deps.temporal.workflow
      .getHandle(paymentWorkflowId(payment.id))
      .executeUpdate(requestRefundUpdate, {
        args: [
          {
            refundId: reversalId,
            amount: payment.amount,
            refundAmountAvailable: available,
            reason: "counter_reversal",
            lines: null,
            requestedBy: `collector:${connector}`,
            returnedBy: `reversed:${providerTxnId}`,
          },
        ],
      });
    if (!result.ok) return { kind: "refused", reason: "too_late", message: result.message };
    return { kind: "reversed", duplicate: false };
  };

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
    if (request.kind === "reverse") return reverse(connector, payment, request.providerTxnId);
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
