import { Effect } from "effect";
import type { RefundRequest } from "../connectors/sdk/contract.ts";
import type { ConnectorError } from "../connectors/sdk/errors.ts";
import { applyEvent } from "../db/ledger.ts";
import { findAttempt, findPayment } from "../db/payments.ts";
import { findRefund } from "../db/refunds.ts";
import { newAttemptReference } from "../domain/ids.ts";
import { asciiText } from "../domain/order-info.ts";
import { attemptFor } from "./attempt-view.ts";
import { AttemptNotFound, ConnectorNotEnabled, PaymentNotFound, RefundNotAvailable } from "./errors.ts";
import { Connectors, Ledger } from "./services.ts";
import type { RefundAttemptOutcome, RefundSubmission } from "./types.ts";

class GuardFailed extends Error {}

/**
 * Puts a refund in the ledger as submitted. Under a lock on the payment row it checks that the money
 * is still there to return, so that however refund requests interleave, the total never exceeds what
 * was paid; a failed check writes nothing.
 */
export const recordRefundSubmitted = (s: RefundSubmission) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    const set = yield* Connectors;
    const attempt = yield* Effect.flatMap(
      Effect.promise(() => findAttempt(ledger.sql, s.attemptId)),
      (a) =>
        a
          ? Effect.succeed(a)
          : Effect.fail(new AttemptNotFound({ message: `attempt ${s.attemptId} is not in the ledger` })),
    );
    const live = set.live.get(attempt.connector);
    // An intermediary without a refund API: the agency's accountant returns the money, an operator records it.
    const manual = !live?.connector.refund;
    const reference = `RF${newAttemptReference(ledger.now()).slice(2)}`;
    return yield* Effect.tryPromise({
      try: () =>
        applyEvent(
          ledger,
          {
            id: s.eventId,
            paymentId: s.paymentId,
            type: "refund.submitted",
            refundId: s.refundId,
            data: { refund_id: s.refundId, amount: s.amount, reason: s.reason },
          },
          async (tx) => {
            const [payment] =
              await tx`select amount, status from payments where id = ${s.paymentId} for update`;
            const [{ returned } = { returned: 0 }] = await tx<{ returned: number }[]>`
              select coalesce(sum(amount), 0)::bigint as returned from refunds
              where payment_id = ${s.paymentId} and status <> 'error' and counts_against_payment = ${s.countsAgainstPayment}
                and (counts_against_payment or attempt_id = ${s.attemptId})`;
            // The payment's own money is capped by its amount; money that is not the payment's (a duplicate,
            // a surplus, a short transfer) by what the attempt received, less what the payment kept of it.
            const [kept] = await tx`select coalesce(received_amount, amount) as received,
                                      (select paid_attempt_id from payments where id = ${s.paymentId}) = id as paid
                                    from payment_attempts where id = ${s.attemptId}`;
            const ceiling = s.countsAgainstPayment
              ? Number(payment?.amount ?? 0)
              : Number(kept?.received ?? 0) - (kept?.paid ? Number(payment?.amount ?? 0) : 0);
            if (s.countsAgainstPayment && payment?.status !== "success")
              throw new GuardFailed("the payment is not paid");
            if (Number(returned) + s.amount > ceiling)
              throw new GuardFailed("more than was paid would be returned");
            await tx`
              insert into refunds (id, payment_id, attempt_id, amount, reason, counts_against_payment, manual, status,
                reference, lines, requested_by, created_at)
              values (${s.refundId}, ${s.paymentId}, ${s.attemptId}, ${s.amount}, ${s.reason}, ${s.countsAgainstPayment},
                ${manual}, 'submitted', ${reference}, ${s.lines === null ? null : tx.json(s.lines as never)},
                ${s.requestedBy}, ${ledger.now()})
              on conflict (id) do nothing`;
          },
        ),
      catch: (err) =>
        err instanceof GuardFailed ? new RefundNotAvailable({ message: err.message }) : (err as never),
    }).pipe(Effect.as({ manual }));
  });

/** The connector's refund request for a refund in the ledger. */
const refundRequestFor = (refundId: string) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    const set = yield* Connectors;
    const refund = yield* Effect.promise(() => findRefund(ledger.sql, refundId));
    if (refund === null) return yield* Effect.die(new Error(`refund ${refundId} is not in the ledger`));
    const attempt = yield* Effect.promise(() => findAttempt(ledger.sql, refund.attemptId));
    const payment = yield* Effect.promise(() => findPayment(ledger.sql, refund.paymentId));
    if (attempt === null)
      return yield* Effect.fail(new AttemptNotFound({ message: `attempt ${refund.attemptId} missing` }));
    if (payment === null)
      return yield* Effect.fail(new PaymentNotFound({ message: `payment ${refund.paymentId} missing` }));
    const live = set.live.get(attempt.connector);
    if (!live)
      return yield* Effect.fail(
        new ConnectorNotEnabled({ message: `connector ${attempt.connector} is not enabled` }),
      );
    const request: RefundRequest = {
      refundId: refund.id,
      reference: refund.reference,
      attempt: attemptFor(payment, attempt, ledger.links.publicUrl, {
        clientIp: "127.0.0.1",
        locale: payment.language,
      }),
      providerTxnId: attempt.providerTxnId,
      paidAt: payment.succeededAt,
      amount: refund.amount,
      full: refund.amount === attempt.amount,
      reason: asciiText(refund.reason).slice(0, 200) || "Hoan tien",
      requestedAt: refund.createdAt,
      requestedBy: refund.requestedBy === "paygov" ? "paygov" : "portal",
    };
    return { request, connector: live.connector };
  });

// A refused refund is an answer; no answer at all is `unknown` (the workflow asks again, never guesses).
const toOutcome = (
  effect: Effect.Effect<
    { outcome: RefundAttemptOutcome["outcome"]; providerRefundId: string | null; providerCode: string },
    ConnectorError
  >,
) =>
  effect.pipe(
    Effect.catchTags({
      Declined: (e) =>
        Effect.succeed({
          outcome: "failed" as const,
          providerRefundId: null,
          providerCode: e.providerCode ?? e.message,
        }),
      InvalidRequest: (e) =>
        Effect.succeed({
          outcome: "failed" as const,
          providerRefundId: null,
          providerCode: e.providerCode ?? e.message,
        }),
      OutcomeUnknown: (e) =>
        Effect.succeed({ outcome: "unknown" as const, providerRefundId: null, providerCode: e.message }),
    }),
  );

/** Sends the refund to the intermediary. Unavailable fails the activity (Temporal retries it). */
export const submitRefund = (refundId: string) =>
  Effect.gen(function* () {
    const { request, connector } = yield* refundRequestFor(refundId);
    if (!connector.refund)
      return {
        outcome: "unknown",
        providerRefundId: null,
        providerCode: "no refund API",
      } as RefundAttemptOutcome;
    return (yield* toOutcome(connector.refund(request))) satisfies RefundAttemptOutcome;
  });

/** Asks the intermediary where a refund stands; without a status API, asking again is sending again. */
export const refundStatus = (refundId: string) =>
  Effect.gen(function* () {
    const { request, connector } = yield* refundRequestFor(refundId);
    const ask = connector.refundStatus ?? connector.refund;
    if (!ask)
      return {
        outcome: "unknown",
        providerRefundId: null,
        providerCode: "no refund API",
      } as RefundAttemptOutcome;
    return (yield* toOutcome(ask(request))) satisfies RefundAttemptOutcome;
  });

export const recordRefundOutcome = (
  refundId: string,
  outcome: {
    status: "success" | "error";
    providerRefundId: string | null;
    providerCode: string;
    note?: string;
  },
  eventId: string,
) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    const refund = yield* Effect.promise(() => findRefund(ledger.sql, refundId));
    if (refund === null) return yield* Effect.die(new Error(`refund ${refundId} is not in the ledger`));
    yield* Effect.promise(() =>
      applyEvent(
        ledger,
        {
          id: eventId,
          paymentId: refund.paymentId,
          type: outcome.status === "success" ? "refund.succeeded" : "refund.failed",
          refundId,
          data: {
            refund_id: refundId,
            amount: refund.amount,
            provider_code: outcome.providerCode,
            ...(outcome.note ? { note: outcome.note } : {}),
          },
        },
        async (tx) => {
          await tx`update refunds set status = ${outcome.status}, provider_refund_id = ${outcome.providerRefundId},
                     provider_code = ${outcome.providerCode.slice(0, 200)}, concluded_at = ${ledger.now()}
                   where id = ${refundId} and status = 'submitted'`;
        },
      ),
    );
  });
