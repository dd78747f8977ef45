import { Effect } from "effect";
import { applyEvent, type Tx } from "../db/ledger.ts";
import { listAttempts } from "../db/payments.ts";
import { listRefunds } from "../db/refunds.ts";
import { queryAttempt } from "./payments.ts";
import { Ledger } from "./services.ts";
import type { AttemptQueryOutcome, InquiryActivities, PaymentFacts } from "./types.ts";

type OpenedInput = Parameters<InquiryActivities["recordInquiryOpened"]>[0];

export const recordInquiryOpened = (i: OpenedInput) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    yield* Effect.promise(() =>
      applyEvent(
        ledger,
        {
          id: i.eventId,
          paymentId: i.paymentId,
          type: "inquiry.opened",
          inquiryId: i.inquiryId,
          data: { inquiry_id: i.inquiryId, reason: i.reason },
        },
        async (tx) => {
          await tx`insert into inquiries (id, payment_id, agency_id, reason, note, status, sla_due_at, created_at)
                   values (${i.inquiryId}, ${i.paymentId}, ${i.agencyId}, ${i.reason}, ${i.note}, 'open',
                           ${i.slaDueAt}, ${i.openedAt})
                   on conflict (id) do nothing`;
        },
      ),
    );
  });

const UNANSWERED: AttemptQueryOutcome = {
  outcome: "unknown",
  providerTxnId: null,
  amount: null,
  providerCode: "",
  paidAt: null,
};

/** The ledger's view of a payment, and (with `ask`) each intermediary's answer for each attempt. */
export const inspectPayment = (paymentId: string, ask: boolean) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    const [payment] = yield* Effect.promise(
      () => ledger.sql`select status, amount from payments where id = ${paymentId}`,
    );
    const attempts = yield* Effect.promise(() => listAttempts(ledger.sql, paymentId));
    const refunds = yield* Effect.promise(() => listRefunds(ledger.sql, paymentId));
    const answers: (AttemptQueryOutcome | null)[] = [];
    for (const attempt of attempts) {
      if (!ask || attempt.status === "error") {
        answers.push(null);
        continue;
      }
      // An intermediary that cannot answer leaves its attempt unknown: the inquiry then needs an operator.
      answers.push(yield* queryAttempt(attempt.id).pipe(Effect.catch(() => Effect.succeed(UNANSWERED))));
    }
    return {
      paymentStatus: String(payment?.status ?? "unknown"),
      amount: Number(payment?.amount ?? 0),
      attempts: attempts.map((a, i) => ({
        attemptId: a.id,
        connector: a.connector,
        reference: a.reference,
        ledgerStatus: a.status,
        amount: a.amount,
        intermediary: answers[i] ?? null,
      })),
      refunds: refunds.map((r) => ({
        refundId: r.id,
        attemptId: r.attemptId,
        amount: r.amount,
        status: r.status,
      })),
    } satisfies PaymentFacts;
  });

const inquiryEvent = (
  inquiryId: string,
  type: string,
  eventId: string,
  data: Record<string, unknown>,
  set: (tx: Tx) => Promise<unknown>,
) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    const [row] = yield* Effect.promise(
      () => ledger.sql`select payment_id from inquiries where id = ${inquiryId}`,
    );
    if (!row) return yield* Effect.die(new Error(`inquiry ${inquiryId} is not in the ledger`));
    yield* Effect.promise(() =>
      applyEvent(
        ledger,
        { id: eventId, paymentId: row.payment_id as string, type, inquiryId, data },
        async (tx) => {
          await set(tx);
        },
      ),
    );
  });

export const recordInquiryEscalated = (inquiryId: string, eventId: string) =>
  inquiryEvent(
    inquiryId,
    "inquiry.escalated",
    eventId,
    { inquiry_id: inquiryId },
    (tx) => tx`update inquiries set status = 'escalated' where id = ${inquiryId} and status = 'open'`,
  );

export const recordInquiryResolved = (
  inquiryId: string,
  r: { resolution: string; note: string; resolvedBy: string },
  eventId: string,
) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    yield* inquiryEvent(
      inquiryId,
      "inquiry.resolved",
      eventId,
      { inquiry_id: inquiryId, resolution: r.resolution },
      (tx) =>
        tx`update inquiries set status = 'resolved', resolution = ${r.resolution}, resolution_note = ${r.note.slice(0, 1000)},
           resolved_by = ${r.resolvedBy}, resolved_at = ${ledger.now()}
         where id = ${inquiryId} and status <> 'resolved'`,
    );
  });
