import { WorkflowNotFoundError } from "@temporalio/client";
import { Hono } from "hono";
import type { Acknowledgement, InboundRequest, VerifiedCallback } from "../../connectors/sdk/contract.ts";
import type { LiveConnector } from "../../connectors/sdk/load.ts";
import { findAttemptByReference, findPayment } from "../../db/payments.ts";
import { checkoutToken } from "../../domain/checkout-token.ts";
import type { AttemptRecord } from "../../domain/payment-record.ts";
import { callbackSignal, paymentWorkflowId } from "../../workflows/messages.ts";
import type { ApiDeps } from "../deps.ts";
import { inbound, send } from "./wire.ts";

// A callback repeats a fact already recorded when the attempt has concluded the same way; a success
// for an attempt that ended otherwise (expired, failed) is news and must reach the workflow.
const alreadyRecorded = (attempt: AttemptRecord, callback: VerifiedCallback): boolean =>
  (attempt.status === "succeeded" && !anotherTransaction(attempt, callback)) ||
  (callback.outcome === "failed" && ["failed", "expired", "error"].includes(attempt.status));

// A success under another transaction of the intermediary than the one that paid the attempt is a
// second payment (a QR transferred to twice): news, never a duplicate of the first.
const anotherTransaction = (attempt: AttemptRecord, callback: VerifiedCallback): boolean =>
  callback.outcome === "succeeded" &&
  callback.providerTxnId !== null &&
  attempt.providerTxnId !== null &&
  callback.providerTxnId !== attempt.providerTxnId;

/**
 * Checks a callback and reports it to the payment's workflow. The order of checks is VNPay's:
 * signature, then reference, then amount, then "already recorded"; nothing is written for a callback
 * that fails any of them.
 */
const verifyAndReport = async (
  deps: ApiDeps,
  live: LiveConnector,
  request: InboundRequest,
  channel: "ipn" | "return",
): Promise<{ ack: Acknowledgement; attempt: AttemptRecord | null }> => {
  const verification = live.connector.verifyCallback(request, channel);
  if (!verification.ok) return { ack: verification.rejection.reason, attempt: null };
  const callback = verification.callback;
  const attempt = await findAttemptByReference(deps.sql, live.definition.id, callback.reference);
  if (attempt === null) return { ack: "unknown_reference", attempt: null };
  // A typed-in transfer that is short or over is a fact to record (and settle by refund), not forgery.
  if (callback.amount !== attempt.amount && !live.definition.payerSetsAmount)
    return { ack: "amount_mismatch", attempt };
  if (callback.outcome === "pending") return { ack: "accepted", attempt };
  if (alreadyRecorded(attempt, callback)) return { ack: "duplicate", attempt };
  try {
    // Durable once the server accepts the signal: only then is the intermediary told "received".
    await deps.temporal.workflow.getHandle(paymentWorkflowId(attempt.paymentId)).signal(callbackSignal, {
      connector: live.definition.id,
      reference: callback.reference,
      providerTxnId: callback.providerTxnId,
      amount: callback.amount,
      outcome: callback.outcome,
      providerCode: callback.providerCode,
      paidAt: callback.paidAt?.toISOString() ?? null,
      cancelledByPayer: callback.cancelledByPayer,
      channel,
    });
    return { ack: "accepted", attempt };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { ack: "error", attempt };
    throw err;
  }
};

/** /callbacks/:connector/ipn (server to server) and /callbacks/:connector/return (the citizen's browser). */
export const callbackRoutes = (deps: ApiDeps) => {
  const app = new Hono();

  app.all("/:connector/ipn", async (c) => {
    const live = deps.connectors.live.get(c.req.param("connector"));
    if (!live) return c.json({ code: "not_found", description: "No such intermediary" }, 404);
    try {
      const { ack } = await verifyAndReport(deps, live, await inbound(c), "ipn");
      return send(c, live.connector.acknowledge(ack));
    } catch (err) {
      console.error(
        `IPN from ${live.definition.id} could not be recorded: ${err instanceof Error ? err.message : err}`,
      );
      return send(c, live.connector.acknowledge("error"));
    }
  });

  app.all("/:connector/return", async (c) => {
    const live = deps.connectors.live.get(c.req.param("connector"));
    if (!live) return c.notFound();
    const request = await inbound(c);
    const { attempt } = await verifyAndReport(deps, live, request, "return").catch(() => ({ attempt: null }));
    // The return page shows what PayGov knows, never what the query string claims.
    if (attempt === null) return c.redirect("/pay/unverified-return", 303);
    const payment = await findPayment(deps.sql, attempt.paymentId);
    if (payment === null) return c.redirect("/pay/unverified-return", 303);
    const token = checkoutToken(deps.links.secretKey, payment.id);
    return c.redirect(`/pay/${token}/result?lang=${attempt.locale}`, 303);
  });

  return app;
};
