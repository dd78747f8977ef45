import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  ChildWorkflowFailure,
  condition,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from "@temporalio/workflow";
import type { AttemptConclusion, AttemptQueryOutcome, PaymentActivities } from "../activities/types.ts";
import type { Initiation } from "../connectors/sdk/contract.ts";
import {
  type AttemptView,
  type CallbackReport,
  type CancelResult,
  type ChooseConnector,
  type ChooseConnectorResult,
  type CollectPayment,
  type CollectPaymentResult,
  callbackSignal,
  cancelPaymentUpdate,
  chooseConnectorUpdate,
  collectPaymentUpdate,
  type PaymentStatus,
  type PaymentView,
  type PaymentWorkflowInput,
  paymentRecordedUpdate,
  paymentSettledSignal,
  type RequestRefund,
  type RequestRefundResult,
  refundWorkflowId,
  requestRefundUpdate,
  statusQuery,
} from "./messages.ts";
import { refundWorkflow } from "./refund.ts";
import { ConnectorKey, PaymentStatusKey } from "./search-attributes.ts";

// Ledger writes retry until the database is back: a payment's facts must not be dropped.
const ledger = proxyActivities<PaymentActivities>({
  startToCloseTimeout: "30 seconds",
  retry: {
    initialInterval: "1 second",
    maximumInterval: "1 minute",
    backoffCoefficient: 2,
    nonRetryableErrorTypes: ["RefundNotAvailable", "PaymentNotFound", "AttemptNotFound"],
  },
});

// Calls to an intermediary give up quickly: the citizen is waiting, and a query is asked again later.
const intermediary = proxyActivities<
  Pick<PaymentActivities, "openAttempt" | "queryAttempt" | "cancelAttempt">
>({
  startToCloseTimeout: "30 seconds",
  retry: {
    initialInterval: "1 second",
    maximumAttempts: 3,
    nonRetryableErrorTypes: ["Declined", "InvalidRequest", "OutcomeUnknown"],
  },
});

/** How long one attempt stays payable at the intermediary (VNPay's demos use 15 minutes). */
const ATTEMPT_LIFETIME_MS = 15 * 60 * 1000;

interface Attempt {
  attemptId: string;
  seq: number;
  connector: string;
  reference: string;
  providerTxnId: string | null;
  status: AttemptView["status"];
  initiation: Initiation | null;
  expiresAt: number;
  nextQueryAt: number;
  /** The intermediary has a query API; without one only its callback (or nothing) tells. */
  queryable: boolean;
  /** Other transactions that paid this attempt again after it succeeded. */
  extraTransactions: Set<string>;
}

/** A request from the edge (an Update), answered once the main loop has carried it out. */
type Command =
  | { kind: "choose"; request: ChooseConnector; result?: ChooseConnectorResult }
  | { kind: "collect"; request: CollectPayment; result?: CollectPaymentResult }
  | { kind: "refund"; request: RequestRefund; result?: RequestRefundResult }
  | { kind: "cancel"; result?: CancelResult };

/** Queues a command for the main loop and waits for its result. */
const queued = async <C extends Command>(
  commands: Command[],
  command: C,
): Promise<NonNullable<C["result"]>> => {
  commands.push(command);
  await condition(() => command.result !== undefined);
  return command.result as NonNullable<C["result"]>;
};

type Of<K extends Command["kind"]> = Extract<Command, { kind: K }>;

/**
 * The life of one payment. Collecting: created → started → success | failed (retry until expiry) |
 * expired | cancelled. Afterwards the workflow stays for the refund window (success) or the late
 * window (expired, cancelled): refunds run as its child workflows, and a late or second success is
 * recorded and settled by the agency's policy.
 */
export async function paymentWorkflow(input: PaymentWorkflowInput): Promise<{ status: PaymentStatus }> {
  const { creation, timing } = input;
  const paymentId = creation.paymentId;
  const expiresAt = Date.parse(creation.expiresAt);

  let status: PaymentStatus = "created";
  let recorded = false;
  let paidAttempt: Attempt | null = null;
  let finishedAt = 0;
  /** Money of the payment's own already on its way back (submitted or done refunds). */
  let refunded = 0;
  const attempts: Attempt[] = [];
  const commands: Command[] = [];
  const callbacks: CallbackReport[] = [];
  const refundsRunning = new Map<string, { amount: number; counts: boolean }>();
  const refundsDone: { refundId: string; attemptId: string; status: "success" | "error" }[] = [];
  const finished = () =>
    status === "success" || status === "expired" || status === "cancelled" || status === "error";

  const view = (): PaymentView => ({
    paymentId,
    status,
    finished: finished(),
    recorded,
    attempts: attempts.map((a) => ({
      attemptId: a.attemptId,
      seq: a.seq,
      connector: a.connector,
      reference: a.reference,
      status: a.status,
      initiation: a.initiation,
      expiresAt: new Date(a.expiresAt).toISOString(),
    })),
  });

  setHandler(statusQuery, view);
  setHandler(paymentRecordedUpdate, async () => {
    await condition(() => recorded);
    return view();
  });
  setHandler(chooseConnectorUpdate, (request) => queued<Of<"choose">>(commands, { kind: "choose", request }));
  setHandler(collectPaymentUpdate, (request) =>
    queued<Of<"collect">>(commands, { kind: "collect", request }),
  );
  setHandler(requestRefundUpdate, (request) => queued<Of<"refund">>(commands, { kind: "refund", request }));
  setHandler(cancelPaymentUpdate, () => queued<Of<"cancel">>(commands, { kind: "cancel" }));
  setHandler(callbackSignal, (report) => {
    callbacks.push(report);
  });
  // The settlement that took the payment is confirmed by the treasury (workflows/settlement.ts).
  let settled = false;
  setHandler(paymentSettledSignal, () => {
    settled = true;
  });

  const setStatus = (next: PaymentStatus) => {
    status = next;
    if (finished() && finishedAt === 0) finishedAt = Date.now();
    upsertSearchAttributes([{ key: PaymentStatusKey, value: next }]);
  };

  const conclusion = (
    attempt: Attempt,
    facts: {
      providerTxnId: string | null;
      providerCode: string;
      paidAt: string | null;
      cancelledByPayer?: boolean;
    },
    source: AttemptConclusion["source"],
  ): AttemptConclusion => ({
    attemptId: attempt.attemptId,
    providerTxnId: facts.providerTxnId,
    providerCode: facts.providerCode,
    paidAt: facts.paidAt,
    source,
    cancelledByPayer: facts.cancelledByPayer ?? false,
  });

  // ── Refunds ───────────────────────────────────────────────────────────────────────────────────

  /** Refunds recorded but waiting for the previous one of the same attempt to finish. */
  const refundQueues = new Map<string, { refundId: string; manual: boolean; returnedBy?: string }[]>();

  // One refund at a time per attempt at the intermediary: several protocols (VNPay's 94) refuse a
  // second refund while one is in progress, and report only the latest when asked.
  const launchRefund = async (attemptId: string, refundId: string, manual: boolean, returnedBy?: string) => {
    const child = await startChild(refundWorkflow, {
      workflowId: refundWorkflowId(refundId),
      args: [
        {
          refundId,
          paymentId,
          manual,
          ...(returnedBy !== undefined ? { returnedBy } : {}),
          timing: { statusEveryMs: timing.refundStatusEveryMs, statusChecks: 6 },
        },
      ],
      // A refund in flight finishes even if its payment's workflow is ever terminated by an operator.
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    child.result().then(
      (r) => refundsDone.push({ refundId, attemptId, status: r.status }),
      (err) => {
        if (!(err instanceof ChildWorkflowFailure)) throw err;
        refundsDone.push({ refundId, attemptId, status: "error" });
      },
    );
  };

  /** Records a refund and starts its child workflow; PayGov's own refunds come through here too. */
  const startRefund = async (
    refundId: string,
    attempt: Attempt,
    amount: number,
    reason: string,
    counts: boolean,
    lines: RequestRefund["lines"],
    requestedBy: string,
    returnedBy?: string,
  ) => {
    const { manual } = await ledger.recordRefundSubmitted({
      refundId,
      paymentId,
      attemptId: attempt.attemptId,
      amount,
      reason,
      countsAgainstPayment: counts,
      lines,
      requestedBy,
      eventId: `${refundId}:submitted`,
    });
    if (counts) refunded += amount;
    refundsRunning.set(refundId, { amount, counts });
    const queue = refundQueues.get(attempt.attemptId);
    const entry = { refundId, manual, ...(returnedBy !== undefined ? { returnedBy } : {}) };
    if (queue) queue.push(entry);
    else {
      refundQueues.set(attempt.attemptId, []);
      await launchRefund(attempt.attemptId, refundId, manual, returnedBy);
    }
  };

  /** A refund PayGov makes by itself (a duplicate, a late or short or surplus transfer). */
  const automaticRefund = async (attempt: Attempt, amount: number, reason: string, transaction?: string) => {
    if (amount <= 0) return;
    const id =
      transaction === undefined
        ? `${attempt.attemptId}-${reason}`
        : `${attempt.attemptId}-${reason}-${transaction}`;
    await startRefund(id, attempt, amount, reason, false, null, "paygov");
  };

  /**
   * Money that reached an attempt already paid, under another transaction of the intermediary (a
   * citizen transferring to the same VietQR twice): a payment like any duplicate, recorded and returned.
   */
  const attemptPaidAgain = async (attempt: Attempt, c: AttemptConclusion, amount: number) => {
    const transaction = c.providerTxnId!;
    if (attempt.extraTransactions.has(transaction)) return;
    attempt.extraTransactions.add(transaction);
    await ledger.recordDuplicateSuccess(
      { ...c, receivedAmount: amount },
      `${attempt.attemptId}:duplicate_success:${transaction}`,
    );
    const policies = await ledger.agencyPolicies(paymentId);
    if (policies.duplicateSuccess === "refund")
      await automaticRefund(attempt, amount, "duplicate_payment", transaction);
  };

  const requestRefund = async (request: RequestRefund): Promise<RequestRefundResult> => {
    const available = status === "success" ? creation.amount - refunded : 0;
    if (status !== "success" || paidAttempt === null) {
      return {
        ok: false,
        reason: "not_available",
        available,
        message: `A ${status} payment cannot be refunded`,
      };
    }
    if (request.refundAmountAvailable !== available) {
      return {
        ok: false,
        reason: "available_mismatch",
        available,
        message: `refund_amount_available is ${available}, not ${request.refundAmountAvailable}`,
      };
    }
    if (request.amount > available) {
      return {
        ok: false,
        reason: "exceeds_available",
        available,
        message: `Only ${available} VND can be refunded`,
      };
    }
    try {
      await startRefund(
        request.refundId,
        paidAttempt,
        request.amount,
        request.reason,
        true,
        request.lines,
        request.requestedBy,
        request.returnedBy,
      );
    } catch (err) {
      // The ledger's own check (under a lock) disagreed: answer with what the ledger says.
      if (
        err instanceof ActivityFailure &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type === "RefundNotAvailable"
      ) {
        return { ok: false, reason: "available_mismatch", available, message: err.cause.message };
      }
      throw err;
    }
    return { ok: true, refundId: request.refundId };
  };

  const settleRefunds = async () => {
    for (const done of refundsDone.splice(0)) {
      const running = refundsRunning.get(done.refundId);
      refundsRunning.delete(done.refundId);
      // A refused refund gives the money back to what can be refunded.
      if (running?.counts && done.status === "error") refunded -= running.amount;
      const next = refundQueues.get(done.attemptId)?.shift();
      if (next) await launchRefund(done.attemptId, next.refundId, next.manual, next.returnedBy);
      else refundQueues.delete(done.attemptId);
    }
  };

  // ── Attempts and their outcomes ───────────────────────────────────────────────────────────────

  // Money moved at the intermediary: whatever state the payment is in, the fact is recorded.
  const attemptPaid = async (attempt: Attempt, c: AttemptConclusion) => {
    if (attempt.status === "succeeded") return; // the same success reported twice
    attempt.status = "succeeded";
    const surplus = (c.receivedAmount ?? creation.amount) - creation.amount;
    if (!finished()) {
      await ledger.recordPaymentSucceeded(c, `${paymentId}:succeeded`);
      paidAttempt = attempt;
      setStatus("success");
      await automaticRefund(attempt, surplus, "overpayment");
      return;
    }
    const received = c.receivedAmount ?? creation.amount;
    if (status === "success") {
      await ledger.recordDuplicateSuccess(c, `${attempt.attemptId}:duplicate_success`);
      const policies = await ledger.agencyPolicies(paymentId);
      if (policies.duplicateSuccess === "refund")
        await automaticRefund(attempt, received, "duplicate_payment");
      return;
    }
    await ledger.recordLateSuccess(c, `${attempt.attemptId}:late_success`);
    const policies = await ledger.agencyPolicies(paymentId);
    // A payment the agency cancelled stays cancelled; an expired one may be accepted late by policy.
    if (status === "expired" && policies.lateSuccess === "accept") {
      await ledger.recordPaymentSucceeded(c, `${paymentId}:succeeded`);
      paidAttempt = attempt;
      setStatus("success");
      await automaticRefund(attempt, surplus, "overpayment");
    } else {
      await automaticRefund(attempt, received, "late_payment");
    }
  };

  const attemptFailed = async (attempt: Attempt, c: AttemptConclusion) => {
    if (attempt.status === "succeeded" || attempt.status === "failed") return;
    attempt.status = "failed";
    const latest = attempt === attempts[attempts.length - 1];
    await ledger.recordAttemptFailed(c, `${attempt.attemptId}:failed`, latest && !finished());
    if (latest && !finished()) setStatus("failed");
    // A short transfer did reach PayGov's account: it goes back.
    if (c.receivedAmount !== undefined) await automaticRefund(attempt, c.receivedAmount, "underpayment");
  };

  const applyCallback = async (report: CallbackReport) => {
    const attempt = attempts.find(
      (a) => a.connector === report.connector && a.reference === report.reference,
    );
    if (attempt === undefined || report.outcome === "pending") return;
    const anotherTransaction =
      attempt.status === "succeeded" &&
      report.outcome === "succeeded" &&
      report.providerTxnId !== null &&
      attempt.providerTxnId !== null &&
      report.providerTxnId !== attempt.providerTxnId;
    if (anotherTransaction)
      return attemptPaidAgain(attempt, conclusion(attempt, report, report.channel), report.amount);
    if (report.providerTxnId !== null) attempt.providerTxnId = report.providerTxnId;
    const c = conclusion(attempt, report, report.channel);
    if (report.outcome !== "succeeded") return attemptFailed(attempt, c);
    // A transfer the payer typed in may be short or over (intermediaries that declare payerSetsAmount).
    if (report.amount < creation.amount) {
      return attemptFailed(attempt, {
        ...c,
        receivedAmount: report.amount,
        providerCode: `underpaid:${report.providerCode}`,
      });
    }
    await attemptPaid(attempt, report.amount > creation.amount ? { ...c, receivedAmount: report.amount } : c);
  };

  const applyQuery = async (attempt: Attempt, result: AttemptQueryOutcome) => {
    const c = conclusion(attempt, result, "query");
    if (result.outcome === "succeeded") await attemptPaid(attempt, c);
    else if (result.outcome === "failed") await attemptFailed(attempt, c);
    else attempt.nextQueryAt = Date.now() + timing.requeryEveryMs;
    return result.outcome;
  };

  const ask = async (attempt: Attempt): Promise<AttemptQueryOutcome> => {
    try {
      return await intermediary.queryAttempt(attempt.attemptId);
    } catch (err) {
      // An intermediary that cannot answer leaves the outcome unknown: ask again, never guess.
      if (err instanceof ActivityFailure) {
        return { outcome: "unknown", providerTxnId: null, amount: null, providerCode: "", paidAt: null };
      }
      throw err;
    }
  };

  const choose = async (request: ChooseConnector): Promise<ChooseConnectorResult> => {
    if (finished()) return { ok: false, reason: "finished", message: `The payment is ${status}` };
    const now = Date.now();
    // The citizen comes back to an attempt still open at the same intermediary: same reference.
    const reusable = [...attempts]
      .reverse()
      .find((a) => a.connector === request.connector && a.status === "open" && a.expiresAt - now > 60_000);
    if (reusable?.initiation)
      return { ok: true, attemptId: reusable.attemptId, initiation: reusable.initiation };

    const seq = attempts.length + 1;
    const attemptId = `${paymentId}-${seq}`;
    const attemptExpiresAt = Math.min(expiresAt, now + ATTEMPT_LIFETIME_MS);
    const attempt: Attempt = {
      attemptId,
      seq,
      connector: request.connector,
      reference: "",
      providerTxnId: null,
      status: "error",
      initiation: null,
      expiresAt: attemptExpiresAt,
      nextQueryAt: Number.POSITIVE_INFINITY,
      queryable: false,
      extraTransactions: new Set(),
    };
    attempts.push(attempt);
    try {
      const opened = await intermediary.openAttempt({
        paymentId,
        seq,
        connector: request.connector,
        clientIp: request.clientIp,
        locale: request.locale,
        expiresAt: new Date(attemptExpiresAt).toISOString(),
        eventId: `${attemptId}:started`,
      });
      Object.assign(attempt, {
        reference: opened.reference,
        status: "open",
        initiation: opened.initiation,
        expiresAt: Date.parse(opened.expiresAt),
        queryable: opened.queryable,
        // An intermediary that cannot be asked is never asked: its callback is the only word.
        nextQueryAt: opened.queryable ? now + timing.attemptQueryAfterMs : Number.POSITIVE_INFINITY,
      });
      upsertSearchAttributes([{ key: ConnectorKey, value: request.connector }]);
      if (!finished()) setStatus("started");
      return { ok: true, attemptId, initiation: opened.initiation };
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const message = err.cause?.message ?? err.message;
      await ledger.recordAttemptError(attemptId, message);
      return { ok: false, reason: "initiate_failed", message };
    }
  };

  // A counter took the money against the payment code: open an attempt there and record it paid.
  const collect = async (request: CollectPayment): Promise<CollectPaymentResult> => {
    const same = attempts.find(
      (a) => a.connector === request.connector && a.providerTxnId === request.providerTxnId,
    );
    if (same?.status === "succeeded") return { ok: true, duplicate: true, attemptId: same.attemptId };
    if (status === "success")
      return { ok: false, reason: "already_paid", message: "The payment is already paid" };
    if (finished()) return { ok: false, reason: "finished", message: `The payment is ${status}` };
    if (request.amount !== creation.amount) {
      return {
        ok: false,
        reason: "amount_mismatch",
        message: `${creation.amount} VND is due, not ${request.amount}`,
      };
    }
    const opened = await choose({
      connector: request.connector,
      clientIp: "0.0.0.0",
      locale: creation.language,
    });
    if (!opened.ok) return { ok: false, reason: "open_failed", message: opened.message };
    const attempt = attempts.find((a) => a.attemptId === opened.attemptId)!;
    attempt.providerTxnId = request.providerTxnId;
    await attemptPaid(attempt, {
      attemptId: attempt.attemptId,
      providerTxnId: request.providerTxnId,
      providerCode: "collected",
      paidAt: request.paidAt,
      source: "collection",
      cancelledByPayer: false,
    });
    return { ok: true, duplicate: false, attemptId: attempt.attemptId };
  };

  const openAttempts = () => attempts.filter((a) => a.status === "open" || a.status === "unknown");

  // The portal withdraws the payment; attempts still open are closed where their protocol allows.
  const cancel = async (): Promise<CancelResult> => {
    if (finished()) return { ok: false, status };
    const open = openAttempts();
    for (const attempt of open) await intermediary.cancelAttempt(attempt.attemptId).catch(() => undefined);
    await ledger.recordPaymentCancelled(
      paymentId,
      open.map((a) => a.attemptId),
      `${paymentId}:cancelled`,
    );
    for (const attempt of open) attempt.status = "expired";
    setStatus("cancelled");
    return { ok: true };
  };

  const perform = async (command: Command) => {
    switch (command.kind) {
      case "choose":
        command.result = await choose(command.request);
        return;
      case "collect":
        command.result = await collect(command.request);
        return;
      case "refund":
        command.result = await requestRefund(command.request);
        return;
      case "cancel":
        command.result = await cancel();
        return;
    }
  };

  // Callbacks first (facts already true at the intermediary), then requests in arrival order.
  const drainInbox = async () => {
    await settleRefunds();
    while (callbacks.length > 0) await applyCallback(callbacks.shift()!);
    while (commands.length > 0) {
      await perform(commands.shift()!);
      while (callbacks.length > 0) await applyCallback(callbacks.shift()!);
    }
    await settleRefunds();
  };
  const inboxWaiting = () => commands.length > 0 || callbacks.length > 0 || refundsDone.length > 0;

  // Before declaring the payment expired, ask every intermediary still holding an attempt.
  const expire = async () => {
    const unknown = new Set<Attempt>();
    for (let round = 0; round < timing.queriesAtExpiry && !finished(); round++) {
      unknown.clear();
      for (const attempt of openAttempts().filter((a) => a.queryable)) {
        const outcome = await applyQuery(attempt, await ask(attempt));
        if (finished()) return;
        if (outcome === "unknown") unknown.add(attempt);
      }
      if (openAttempts().filter((a) => a.queryable).length === 0) break;
      if (round + 1 < timing.queriesAtExpiry) {
        await condition(() => callbacks.length > 0, timing.requeryEveryMs);
        while (callbacks.length > 0) await applyCallback(callbacks.shift()!);
      }
    }
    if (finished()) return;
    const leftOpen = openAttempts().map((a) => {
      // An attempt whose intermediary never answered stays unknown for reconciliation to settle.
      a.status = unknown.has(a) ? "unknown" : "expired";
      return { attemptId: a.attemptId, status: a.status as "expired" | "unknown" };
    });
    await ledger.recordPaymentExpired(paymentId, leftOpen, `${paymentId}:expired`);
    setStatus("expired");
  };

  // ── The payment's life ────────────────────────────────────────────────────────────────────────

  await ledger.recordPaymentCreated(creation, `${paymentId}:created`);
  recorded = true;

  while (!finished()) {
    const wakeAt = Math.min(expiresAt, ...openAttempts().map((a) => a.nextQueryAt));
    await condition(inboxWaiting, Math.max(1, wakeAt - Date.now()));
    await drainInbox();
    for (const attempt of openAttempts()) {
      if (finished()) break;
      if (attempt.nextQueryAt <= Date.now()) await applyQuery(attempt, await ask(attempt));
    }
    if (!finished() && Date.now() >= expiresAt) await expire();
  }

  // After: refunds while the refund window lasts, late or second successes while they can come. Past
  // the window the workflow still waits for refunds in flight and, when paid, for its settlement.
  const until = () => finishedAt + (status === "success" ? timing.refundWindowMs : timing.lateWindowMs);
  const lingering = () => refundsRunning.size > 0 || (status === "success" && !settled);
  while (Date.now() < until() || lingering() || inboxWaiting()) {
    await drainInbox();
    if (Date.now() >= until() && !lingering()) break;
    const left = until() - Date.now();
    // Past the window there is no timer to wait for: only the inbox or the end of lingering wakes it.
    if (left > 0) await condition(inboxWaiting, left);
    else await condition(() => inboxWaiting() || !lingering());
  }
  await drainInbox();
  await condition(allHandlersFinished);
  return { status };
}
