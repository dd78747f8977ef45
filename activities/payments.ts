import { Effect } from "effect";
import type { Db } from "../db/client.ts";
import { applyEvent, type Tx } from "../db/ledger.ts";
import { findAttempt, findPayment, insertPayment, type Payer } from "../db/payments.ts";
import { issueReceipt } from "../db/receipts.ts";
import { newAttemptReference } from "../domain/ids.ts";
import type { AttemptRecord } from "../domain/payment-record.ts";
import { STATE_CODES } from "../domain/payment-record.ts";
import { unseal } from "../domain/sealed-payload.ts";
import type { PaymentCreation } from "../workflows/messages.ts";
import { attemptFor } from "./attempt-view.ts";
import { AttemptNotFound, ConnectorNotEnabled, PaymentNotFound } from "./errors.ts";
import { Connectors, Ledger } from "./services.ts";
import type {
  AgencyPolicies,
  AttemptConclusion,
  AttemptQueryOutcome,
  OpenAttemptInput,
  OpenedAttempt,
} from "./types.ts";

const db = <A>(run: (sql: Db) => Promise<A>) =>
  Effect.flatMap(Ledger, (ledger) => Effect.promise(() => run(ledger.sql)));

const write = (
  event: { id: string; paymentId: string; type: string; data?: Record<string, unknown> },
  effect: (tx: Tx) => Promise<void>,
) => Effect.flatMap(Ledger, (ledger) => Effect.promise(() => applyEvent(ledger, event, effect)));

const loadPayment = (id: string) =>
  Effect.flatMap(
    db((sql) => findPayment(sql, id)),
    (p) =>
      p === null
        ? Effect.fail(new PaymentNotFound({ message: `payment ${id} is not in the ledger` }))
        : Effect.succeed(p),
  );

const loadAttempt = (id: string) =>
  Effect.flatMap(
    db((sql) => findAttempt(sql, id)),
    (a) =>
      a === null
        ? Effect.fail(new AttemptNotFound({ message: `attempt ${id} is not in the ledger` }))
        : Effect.succeed(a),
  );

const liveConnector = (id: string) =>
  Effect.flatMap(Connectors, (set) => {
    const live = set.live.get(id);
    return live
      ? Effect.succeed(live.connector)
      : Effect.fail(new ConnectorNotEnabled({ message: `connector ${id} is not enabled on this worker` }));
  });

export const recordPaymentCreated = (creation: PaymentCreation, eventId: string) =>
  Effect.flatMap(Ledger, (ledger) => {
    // Opened here, written at once: the clear payer never goes back into the workflow.
    const payer = unseal<Payer>(creation.payerSealed, ledger.links.secretKey);
    return write({ id: eventId, paymentId: creation.paymentId, type: "payment.created" }, async (tx) => {
      await insertPayment(tx, creation, payer);
    });
  }).pipe(Effect.asVoid);

/** Creates the attempt (once), asks the connector where the citizen goes, records `payment.started`. */
export const openAttempt = (input: OpenAttemptInput) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    const payment = yield* loadPayment(input.paymentId);
    const connector = yield* liveConnector(input.connector);
    const id = `${input.paymentId}-${input.seq}`;
    // A retried activity finds the row it created before and keeps its reference.
    const attempt = yield* db(async (sql) => {
      await sql`
        insert into payment_attempts (id, payment_id, seq, connector, reference, amount, status, locale, created_at, expires_at)
        values (${id}, ${payment.id}, ${input.seq}, ${input.connector}, ${newAttemptReference(ledger.now())},
                ${payment.amount}, 'open', ${input.locale}, ${ledger.now()}, ${input.expiresAt})
        on conflict (id) do nothing`;
      return findAttempt(sql, id);
    });
    if (attempt === null) return yield* Effect.die(new Error(`attempt ${id} missing after insert`));
    const initiation = yield* connector.initiate(
      attemptFor(payment, attempt, ledger.links.publicUrl, {
        clientIp: input.clientIp,
        locale: input.locale,
      }),
    );
    // A redirect is payable until its own deadline; a QR or a counter code until the payment expires.
    const expiresAt = initiation.kind === "redirect" ? new Date(input.expiresAt) : payment.expiresAt;
    yield* write(
      {
        id: input.eventId,
        paymentId: payment.id,
        type: "payment.started",
        data: { attempt_id: id, connector: input.connector },
      },
      async (tx) => {
        await tx`update payment_attempts set initiation = ${tx.json(initiation as never)}, expires_at = ${expiresAt}
                 where id = ${id}`;
        await tx`update payments set status = 'started', connector = ${input.connector}, state_code = null,
                   state_message = null
                 where id = ${payment.id} and not finished`;
      },
    );
    return {
      attemptId: id,
      reference: attempt.reference,
      initiation,
      expiresAt: expiresAt.toISOString(),
      queryable: connector.query !== undefined,
    } satisfies OpenedAttempt;
  });

export const recordAttemptError = (attemptId: string, message: string) =>
  db(async (sql) => {
    await sql`update payment_attempts set status = 'error', provider_code = ${message.slice(0, 200)},
                concluded_at = now()
              where id = ${attemptId} and status = 'open'`;
  });

/** Asks the intermediary what became of an attempt; an amount that differs is never taken as paid. */
export const queryAttempt = (attemptId: string) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    const attempt = yield* loadAttempt(attemptId);
    const payment = yield* loadPayment(attempt.paymentId);
    const connector = yield* liveConnector(attempt.connector);
    if (!connector.query) {
      return {
        outcome: "unknown",
        providerTxnId: null,
        amount: null,
        providerCode: "",
        paidAt: null,
      } as AttemptQueryOutcome;
    }
    const result = yield* connector.query(
      attemptFor(payment, attempt, ledger.links.publicUrl, {
        clientIp: "127.0.0.1",
        locale: payment.language,
      }),
    );
    const amountDiffers =
      result.outcome === "succeeded" && result.amount !== null && result.amount !== attempt.amount;
    return {
      outcome: amountDiffers ? "unknown" : result.outcome,
      ...(result.cancelledByPayer ? { cancelledByPayer: true } : {}),
      providerTxnId: result.providerTxnId,
      amount: result.amount,
      providerCode: amountDiffers ? `amount_mismatch:${result.providerCode}` : result.providerCode,
      paidAt: result.paidAt?.toISOString() ?? null,
    } satisfies AttemptQueryOutcome;
  });

const concludeAttempt = (tx: Tx, c: AttemptConclusion, status: "succeeded" | "failed", now: Date) =>
  tx`update payment_attempts set status = ${status}, provider_txn_id = coalesce(${c.providerTxnId}, provider_txn_id),
       provider_code = ${c.providerCode}, concluded_at = ${now},
       received_amount = coalesce(${c.receivedAmount ?? null}::bigint, received_amount)
     where id = ${c.attemptId}`;

const conclusionData = (c: AttemptConclusion, attempt: AttemptRecord) => ({
  attempt_id: c.attemptId,
  connector: attempt.connector,
  provider_txn_id: c.providerTxnId,
  provider_code: c.providerCode,
  source: c.source,
  ...(c.paidAt ? { paid_date: c.paidAt } : {}),
  ...(c.cancelledByPayer ? { cancelled_by_payer: true } : {}),
  ...(c.receivedAmount !== undefined
    ? { received_amount: c.receivedAmount, due_amount: attempt.amount }
    : {}),
});

export const recordAttemptFailed = (c: AttemptConclusion, eventId: string, latest: boolean) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    const attempt = yield* loadAttempt(c.attemptId);
    if (!latest) {
      // An older attempt failing changes nothing for the portal: the citizen is elsewhere by now.
      yield* db(async (sql) => {
        await sql.begin((tx) => concludeAttempt(tx, c, "failed", ledger.now()));
      });
      return;
    }
    const code =
      c.receivedAmount !== undefined
        ? "attempt_underpaid"
        : c.cancelledByPayer
          ? "attempt_cancelled"
          : "attempt_declined";
    yield* write(
      { id: eventId, paymentId: attempt.paymentId, type: "payment.failed", data: conclusionData(c, attempt) },
      async (tx) => {
        await concludeAttempt(tx, c, "failed", ledger.now());
        await tx`update payments set status = 'failed', state_code = ${code}, state_message = ${STATE_CODES[code]}
               where id = ${attempt.paymentId} and not finished`;
      },
    );
  });

export const recordPaymentSucceeded = (c: AttemptConclusion, eventId: string) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    const attempt = yield* loadAttempt(c.attemptId);
    const paidAt = c.paidAt ?? ledger.now().toISOString();
    yield* write(
      {
        id: eventId,
        paymentId: attempt.paymentId,
        type: "payment.succeeded",
        data: conclusionData(c, attempt),
      },
      async (tx) => {
        await concludeAttempt(tx, c, "succeeded", ledger.now());
        await tx`update payments set status = 'success', finished = true, state_code = null, state_message = null,
                   connector = ${attempt.connector}, paid_attempt_id = ${attempt.id},
                   provider_txn_id = ${c.providerTxnId}, succeeded_at = ${paidAt}
                 where id = ${attempt.paymentId}`;
        // In the same transaction: a success never exists without its e-receipt, and a receipt number is
        // taken only by a success that commits (numbers stay gap-free).
        await issueReceipt(tx, attempt.paymentId, new Date(paidAt), ledger.receiptSigner);
      },
    );
  });

export const recordPaymentExpired = (
  paymentId: string,
  attempts: ReadonlyArray<{ attemptId: string; status: "expired" | "unknown" }>,
  eventId: string,
) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    yield* write(
      {
        id: eventId,
        paymentId,
        type: "payment.expired",
        data: { attempts: attempts.map((a) => ({ attempt_id: a.attemptId, status: a.status })) },
      },
      async (tx) => {
        for (const a of attempts) {
          await tx`update payment_attempts set status = ${a.status}, concluded_at = ${ledger.now()}
                   where id = ${a.attemptId} and status in ('open', 'unknown')`;
        }
        await tx`update payments set status = 'expired', finished = true, state_code = 'expired',
                   state_message = ${STATE_CODES.expired}
                 where id = ${paymentId} and not finished`;
      },
    );
  });

const recordExtraSuccess =
  (type: "payment.duplicate_success" | "payment.late_success") => (c: AttemptConclusion, eventId: string) =>
    Effect.gen(function* () {
      const ledger = yield* Ledger;
      const attempt = yield* loadAttempt(c.attemptId);
      yield* write(
        {
          id: eventId,
          paymentId: attempt.paymentId,
          type,
          data: { ...conclusionData(c, attempt), amount: c.receivedAmount ?? attempt.amount },
        },
        async (tx) => {
          if (attempt.status !== "succeeded") {
            await concludeAttempt(tx, c, "succeeded", ledger.now());
            return;
          }
          // A second payment on an attempt already paid (the same QR transferred to twice): the attempt
          // keeps its first transaction; what it received grows, so the surplus can be returned.
          await tx`update payment_attempts
                   set received_amount = coalesce(received_amount, amount) + ${c.receivedAmount ?? attempt.amount}
                   where id = ${attempt.id}`;
        },
      );
    });

/** A second attempt of an already paid payment was paid too (the citizen paid twice). */
export const recordDuplicateSuccess = recordExtraSuccess("payment.duplicate_success");
/** An attempt was paid after its payment expired or was cancelled. */
export const recordLateSuccess = recordExtraSuccess("payment.late_success");

/** Closes an open attempt at the intermediary where the protocol has a way (best effort: a late success is still recorded). */
export const cancelAttempt = (attemptId: string) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    const set = yield* Connectors;
    const attempt = yield* loadAttempt(attemptId);
    const connector = set.live.get(attempt.connector)?.connector;
    if (!connector?.cancel) return;
    const payment = yield* loadPayment(attempt.paymentId);
    yield* connector
      .cancel(
        attemptFor(payment, attempt, ledger.links.publicUrl, {
          clientIp: "127.0.0.1",
          locale: payment.language,
        }),
      )
      .pipe(Effect.catch((e) => Effect.logWarning(`could not close attempt ${attemptId}: ${e._tag}`)));
  });

export const recordPaymentCancelled = (
  paymentId: string,
  attemptIds: ReadonlyArray<string>,
  eventId: string,
) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    yield* write(
      {
        id: eventId,
        paymentId,
        type: "payment.cancelled",
        data: { attempts: attemptIds.map((a) => ({ attempt_id: a })) },
      },
      async (tx) => {
        await tx`update payment_attempts set status = 'expired', concluded_at = ${ledger.now()}
                 where id = any(${attemptIds as string[]}::text[]) and status in ('open', 'unknown')`;
        await tx`update payments set status = 'cancelled', finished = true, state_code = 'cancelled',
                   state_message = ${STATE_CODES.cancelled}
                 where id = ${paymentId} and not finished`;
      },
    );
  });

/** The agency's policies for late and duplicate successes, read when the surprise happens. */
export const agencyPolicies = (paymentId: string) =>
  db(async (sql) => {
    const [row] = await sql`select a.late_success_policy, a.duplicate_success_policy
                            from payments p join agencies a on a.id = p.agency_id where p.id = ${paymentId}`;
    return {
      lateSuccess: (row?.late_success_policy ?? "accept") as AgencyPolicies["lateSuccess"],
      duplicateSuccess: (row?.duplicate_success_policy ?? "refund") as AgencyPolicies["duplicateSuccess"],
    };
  });
