import { Context, Data, Effect } from "effect";
import type { TreasuryClient } from "../connectors/treasury/client.ts";
import { referenceNoFor, treasuryDocumentFor } from "../connectors/treasury/protocol.ts";
import * as settlements from "../db/settlement.ts";
import {
  allocateRefund,
  businessDayBounds,
  composeSettlement,
  type LineShare,
} from "../domain/settlement.ts";
import { formatVietnamIso } from "../domain/vietnam-time.ts";
import { Ledger } from "./services.ts";

/** The State Treasury's interface (connectors/treasury/), lent to the settlement activities. */
export class Treasury extends Context.Service<Treasury, TreasuryClient>()("paygov/Treasury") {}

/** The treasury refused a document, or left it unanswered: recorded on the document, and tried again. */
export class TreasuryRefused extends Data.TaggedError("TreasuryRefused")<{ readonly message: string }> {}

/** What computing a run settled. */
export interface ComputedSettlement {
  readonly payments: number;
  readonly documents: number;
  readonly total: number;
  /** Adjustments left for a later run (their beneficiary had nothing in this one). */
  readonly deferred: number;
}

/** The side effects of a settlement run, called by the settlement workflow. */
export interface SettlementActivities {
  recordSettlementStarted(input: {
    settlementId: string;
    businessDate: string;
    workflowId: string;
    startedAt: string;
  }): Promise<void>;
  /**
   * Takes every succeeded payment of the run's business date (or before it) that no run settled, less
   * the refunds that succeeded by now, and the adjustments waiting from earlier runs; freezes the
   * statement and prepares one treasury document per beneficiary. Idempotent: a retry finds the run
   * computed.
   */
  computeSettlement(settlementId: string): Promise<ComputedSettlement>;
  /** Sends the prepared documents until the treasury has accepted every one. */
  sendTreasuryDocuments(settlementId: string): Promise<{ sent: number }>;
  /** Asks the treasury for the credit advices of the accepted documents and records them. */
  collectCreditAdvices(settlementId: string): Promise<{ pending: number; mismatched: number }>;
  /** The payments the run settled, a page at a time, by id. */
  settledPayments(settlementId: string, after: string | null, limit: number): Promise<string[]>;
}

export const recordSettlementStarted = (
  input: Parameters<SettlementActivities["recordSettlementStarted"]>[0],
) =>
  Effect.flatMap(Ledger, (ledger) =>
    Effect.promise(() =>
      settlements.insertSettlement(ledger.sql, {
        id: input.settlementId,
        businessDate: input.businessDate,
        workflowId: input.workflowId,
        createdAt: new Date(input.startedAt),
      }),
    ),
  );

const subtract = (left: ReadonlyArray<LineShare>, taken: ReadonlyArray<LineShare>): LineShare[] =>
  left.map((l) => ({
    index: l.index,
    amount: l.amount - (taken.find((t) => t.index === l.index)?.amount ?? 0),
  }));

export const computeSettlement = (settlementId: string) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    return yield* Effect.promise(() =>
      ledger.sql.begin(async (tx): Promise<ComputedSettlement> => {
        await settlements.lockSettlements(tx);
        const run = await settlements.findSettlement(tx, settlementId);
        if (run === null) throw new Error(`settlement ${settlementId} is not in the ledger`);
        if (run.status !== "running") {
          // A retried activity: the run was computed by the try that timed out.
          const documents = await settlements.listDocuments(tx, settlementId);
          return {
            payments: run.paymentCount ?? 0,
            documents: documents.length,
            total: run.total ?? 0,
            deferred: 0,
          };
        }
        const lines = await settlements.unsettledPaymentLines(tx, businessDayBounds(run.businessDate).to);
        const settling = [...new Set(lines.map((l) => l.paymentId))];

        // Each newly succeeded refund is split over its payment's lines once, in the order they succeeded.
        const refunds = await settlements.refundsToAllocate(tx, settling);
        const left = await settlements.linesLeft(tx, [...new Set(refunds.map((r) => r.paymentId))]);
        for (const refund of refunds) {
          const lineLeft = left.get(refund.paymentId) ?? [];
          const shares = allocateRefund(lineLeft, refund);
          left.set(refund.paymentId, subtract(lineLeft, shares));
          await settlements.insertAllocations(tx, refund, shares);
        }

        const day = [...lines, ...(await settlements.allocatedEntries(tx, settling))];
        const composed = composeSettlement(day, await settlements.waitingAdjustments(tx));
        await settlements.insertEntries(tx, settlementId, composed.entries);

        const { beneficiaries } = composed.statement;
        const agencies = await settlements.agencyIdentities(tx, [
          ...new Set(beneficiaries.map((b) => b.agency)),
        ]);
        const names = await settlements.treasuryNames(tx, [...new Set(beneficiaries.map((b) => b.treasury))]);
        const createdAt = formatVietnamIso(ledger.now());
        const documents = beneficiaries.map((beneficiary, i) => {
          const agency = agencies.get(beneficiary.agency);
          if (!agency) throw new Error(`agency ${beneficiary.agency} vanished during its settlement`);
          const seq = i + 1;
          return {
            seq,
            agencyId: agency.id,
            document: treasuryDocumentFor({
              settlementId,
              businessDate: run.businessDate,
              documentNo: `${settlementId}-${seq}`,
              referenceNo: referenceNoFor(run.businessDate, settlementId, seq),
              createdAt,
              beneficiary,
              agency,
              treasuryName: names.get(beneficiary.treasury) ?? null,
            }),
          };
        });
        await settlements.completeSettlement(tx, settlementId, composed.statement, documents, ledger.now());
        return {
          payments: composed.statement.payments,
          documents: documents.length,
          total: composed.statement.total,
          deferred: composed.deferred,
        };
      }),
    );
  });

export const sendTreasuryDocuments = (settlementId: string) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    const treasury = yield* Treasury;
    const prepared = (yield* Effect.promise(() =>
      settlements.listDocuments(ledger.sql, settlementId),
    )).filter((d) => d.status === "prepared");
    if (prepared.length > 0) {
      const results = yield* treasury.submitDocuments(prepared.map((d) => d.document));
      for (const result of results) {
        yield* Effect.promise(() => settlements.recordDocumentResult(ledger.sql, result, ledger.now()));
      }
    }
    yield* Effect.promise(() => settlements.markSentIfAllAccepted(ledger.sql, settlementId, ledger.now()));
    const waiting = (yield* Effect.promise(() => settlements.listDocuments(ledger.sql, settlementId))).filter(
      (d) => d.status === "prepared",
    );
    if (waiting.length > 0) {
      return yield* new TreasuryRefused({
        message: waiting
          .map((d) => `${d.referenceNo}: ${d.lastRefusal ?? "no answer from the treasury"}`)
          .join("; "),
      });
    }
    return { sent: prepared.length };
  });

export const collectCreditAdvices = (settlementId: string) =>
  Effect.gen(function* () {
    const ledger = yield* Ledger;
    const treasury = yield* Treasury;
    const accepted = (yield* Effect.promise(() =>
      settlements.listDocuments(ledger.sql, settlementId),
    )).filter((d) => d.status === "accepted");
    if (accepted.length > 0) {
      const advices = yield* treasury.creditAdvices(accepted.map((d) => d.referenceNo));
      for (const advice of advices) {
        yield* Effect.promise(() => settlements.recordCreditAdvice(ledger.sql, advice, ledger.now()));
      }
    }
    yield* Effect.promise(() =>
      settlements.markConfirmedIfAllCredited(ledger.sql, settlementId, ledger.now()),
    );
    const documents = yield* Effect.promise(() => settlements.listDocuments(ledger.sql, settlementId));
    return {
      pending: documents.filter((d) => d.status === "accepted" || d.status === "prepared").length,
      mismatched: documents.filter((d) => d.status === "mismatch").length,
    };
  });

export const settledPayments = (settlementId: string, after: string | null, limit: number) =>
  Effect.flatMap(Ledger, (ledger) =>
    Effect.promise(() => settlements.settledPaymentIds(ledger.sql, settlementId, after, limit)),
  );
