import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from "@temporalio/workflow";
import type { AttemptConclusion, AttemptQueryOutcome, PaymentActivities } from "../activities/types.ts";
import type { Initiation } from "../connectors/sdk/contract.ts";
import {
  type AttemptView,
  type CallbackReport,
  type ChooseConnector,
  type ChooseConnectorResult,
  type CollectPayment,
  type CollectPaymentResult,
  callbackSignal,
  chooseConnectorUpdate,
  collectPaymentUpdate,
  type PaymentStatus,
  type PaymentView,
  type PaymentWorkflowInput,
  paymentRecordedUpdate,
  statusQuery,
} from "./messages.ts";
import { ConnectorKey, PaymentStatusKey } from "./search-attributes.ts";

// Ledger writes retry until the database is back: a payment's facts must not be dropped.
const ledger = proxyActivities<PaymentActivities>({
  startToCloseTimeout: "30 seconds",
  retry: { initialInterval: "1 second", maximumInterval: "1 minute", backoffCoefficient: 2 },
});

// Calls to an intermediary give up quickly: the citizen is waiting, and a query is asked again later.
const intermediary = proxyActivities<Pick<PaymentActivities, "openAttempt" | "queryAttempt">>({
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
}

interface PendingChoice {
  readonly request: ChooseConnector;
  result?: ChooseConnectorResult;
}

interface PendingCollection {
  readonly request: CollectPayment;
  result?: CollectPaymentResult;
}

/** The life of one payment: created → started → success | failed (retry until expiry) | expired. */
export async function paymentWorkflow(input: PaymentWorkflowInput): Promise<{ status: PaymentStatus }> {
  const { creation, timing } = input;
  const paymentId = creation.paymentId;
  const expiresAt = Date.parse(creation.expiresAt);

  let status: PaymentStatus = "created";
  let recorded = false;
  const attempts: Attempt[] = [];
  const choices: PendingChoice[] = [];
  const collections: PendingCollection[] = [];
  const callbacks: CallbackReport[] = [];
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
  setHandler(chooseConnectorUpdate, async (request) => {
    const choice: PendingChoice = { request };
    choices.push(choice);
    await condition(() => choice.result !== undefined);
    return choice.result!;
  });
  setHandler(collectPaymentUpdate, async (request) => {
    const collection: PendingCollection = { request };
    collections.push(collection);
    await condition(() => collection.result !== undefined);
    return collection.result!;
  });
  setHandler(callbackSignal, (report) => {
    callbacks.push(report);
  });

  const setStatus = (next: PaymentStatus) => {
    status = next;
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

  // Money moved at the intermediary: whatever state the payment is in, the fact is recorded.
  const attemptPaid = async (attempt: Attempt, c: AttemptConclusion) => {
    if (attempt.status === "succeeded") return; // the same success reported twice
    attempt.status = "succeeded";
    if (!finished()) {
      await ledger.recordPaymentSucceeded(c, `${paymentId}:succeeded`);
      setStatus("success");
    } else if (status === "success") {
      await ledger.recordDuplicateSuccess(c, `${attempt.attemptId}:duplicate_success`);
    } else {
      await ledger.recordLateSuccess(c, `${attempt.attemptId}:late_success`);
    }
  };

  const attemptFailed = async (attempt: Attempt, c: AttemptConclusion) => {
    if (attempt.status === "succeeded" || attempt.status === "failed") return;
    attempt.status = "failed";
    const latest = attempt === attempts[attempts.length - 1];
    await ledger.recordAttemptFailed(c, `${attempt.attemptId}:failed`, latest && !finished());
    if (latest && !finished()) setStatus("failed");
  };

  const applyCallback = async (report: CallbackReport) => {
    const attempt = attempts.find(
      (a) => a.connector === report.connector && a.reference === report.reference,
    );
    if (attempt === undefined || report.outcome === "pending") return;
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
      attempts.push({
        attemptId,
        seq,
        connector: request.connector,
        reference: opened.reference,
        providerTxnId: null,
        status: "open",
        initiation: opened.initiation,
        expiresAt: attemptExpiresAt,
        nextQueryAt: now + timing.attemptQueryAfterMs,
      });
      upsertSearchAttributes([{ key: ConnectorKey, value: request.connector }]);
      if (!finished()) setStatus("started");
      return { ok: true, attemptId, initiation: opened.initiation };
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const message = err.cause?.message ?? err.message;
      await ledger.recordAttemptError(attemptId, message);
      attempts.push({
        attemptId,
        seq,
        connector: request.connector,
        reference: "",
        providerTxnId: null,
        status: "error",
        initiation: null,
        expiresAt: attemptExpiresAt,
        nextQueryAt: Number.POSITIVE_INFINITY,
      });
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

  const drainInbox = async () => {
    while (callbacks.length > 0) await applyCallback(callbacks.shift()!);
    while (choices.length > 0 || collections.length > 0) {
      const choice = choices.shift();
      if (choice) choice.result = await choose(choice.request);
      const collection = collections.shift();
      if (collection) collection.result = await collect(collection.request);
      while (callbacks.length > 0) await applyCallback(callbacks.shift()!);
    }
  };

  const openAttempts = () => attempts.filter((a) => a.status === "open" || a.status === "unknown");

  // Before declaring the payment expired, ask every intermediary still holding an attempt.
  const expire = async () => {
    const unknown = new Set<Attempt>();
    for (let round = 0; round < timing.queriesAtExpiry && !finished(); round++) {
      unknown.clear();
      for (const attempt of openAttempts()) {
        const outcome = await applyQuery(attempt, await ask(attempt));
        if (finished()) return;
        if (outcome === "unknown") unknown.add(attempt);
      }
      if (openAttempts().length === 0) break;
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

  await ledger.recordPaymentCreated(creation, `${paymentId}:created`);
  recorded = true;

  while (!finished()) {
    const wakeAt = Math.min(expiresAt, ...openAttempts().map((a) => a.nextQueryAt));
    await condition(
      () => choices.length > 0 || callbacks.length > 0 || collections.length > 0,
      Math.max(1, wakeAt - Date.now()),
    );
    await drainInbox();
    for (const attempt of openAttempts()) {
      if (finished()) break;
      if (attempt.nextQueryAt <= Date.now()) await applyQuery(attempt, await ask(attempt));
    }
    if (!finished() && Date.now() >= expiresAt) await expire();
  }

  // Whatever arrived while the last step ran is still applied: a second success is recorded too.
  await drainInbox();
  await condition(allHandlersFinished);
  return { status };
}
