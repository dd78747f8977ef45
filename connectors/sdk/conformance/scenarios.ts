import type { Effect } from "effect";
import type { Acknowledgement, RefundRequest, RefundResult } from "../contract.ts";
import type { ConnectorError } from "../errors.ts";
import type { LiveConnector } from "../load.ts";
import type { CapturedCallback } from "../simulator-kit.ts";
import type { ConformanceDriver, DriverContext, OpenedAttempt } from "./driver.ts";

/** What the scenarios may do against a running PayGov: the portal's and the tester's moves. */
export interface Harness {
  readonly ctx: DriverContext;
  readonly driver: ConformanceDriver;
  readonly live: LiveConnector;
  /** A new payment from the seed fee schedule (a magic amount when given). */
  createPayment(options?: { amount?: number }): Promise<{ id: string; nextUrl: string; amount: number }>;
  /** The citizen chooses this connector on the checkout page; null when PayGov could not open the attempt. */
  choose(payment: { id: string; nextUrl: string }): Promise<OpenedAttempt | null>;
  status(paymentId: string): Promise<{ status: string; finished: boolean; code?: string }>;
  waitForStatus(paymentId: string, status: string, timeoutMs?: number): Promise<void>;
  events(paymentId: string): Promise<ReadonlyArray<{ type: string; data: Record<string, unknown> }>>;
  /** Sends a callback to PayGov exactly as the intermediary would. */
  deliver(callback: CapturedCallback): Promise<{ status: number; body: string }>;
  /** A digest of the ledger's rows: equal before and after proves nothing was written. */
  ledgerFingerprint(): Promise<string>;
  /** The paid attempt's facts, to build a refund request. */
  refundRequest(paymentId: string, amount: number): Promise<RefundRequest>;
  run<A>(effect: Effect.Effect<A, ConnectorError>): Promise<A>;
  /** Waits without doing anything (for "nothing happens" checks). */
  pause(ms: number): Promise<void>;
}

/** A failed expectation, with what was seen. */
export class ScenarioFailure extends Error {}

export const check = (condition: boolean, message: string): void => {
  if (!condition) throw new ScenarioFailure(message);
};

const ackOf = (h: Harness, ack: Acknowledgement) => h.live.connector.acknowledge(ack);

/** PayGov answered with the protocol's own words for this acknowledgement. */
const answeredWith = (h: Harness, got: { status: number; body: string }, ack: Acknowledgement) => {
  const want = ackOf(h, ack);
  check(
    got.status === want.status && got.body === want.body,
    `expected the "${ack}" answer (${want.status} ${want.body}), got ${got.status} ${got.body}`,
  );
};

const succeededEvents = async (h: Harness, paymentId: string) =>
  (await h.events(paymentId)).filter((e) => e.type === "payment.succeeded");

/** The first event of a type, waiting for it: PayGov's own follow-ups (a refund) come just after a status. */
const eventOf = async (h: Harness, paymentId: string, type: string, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await h.events(paymentId)).find((e) => e.type === type);
    if (found || Date.now() > deadline) return found;
    await h.pause(100);
  }
};

/** Opens an attempt and checks PayGov could. */
const opened = async (h: Harness, payment: { id: string; nextUrl: string }): Promise<OpenedAttempt> => {
  const attempt = await h.choose(payment);
  check(attempt !== null, "PayGov could not open an attempt at the intermediary");
  return attempt!;
};

/** Pays with the callback held back, so that the test delivers it (genuine, replayed, forged). */
const paidWithHeldCallback = async (h: Harness) => {
  const payment = await h.createPayment();
  const attempt = await opened(h, payment);
  await h.driver.behave(h.ctx, attempt.reference, { callback: "drop" });
  await h.driver.pay(h.ctx, attempt, "success");
  const callback = await h.driver.lastCallback(h.ctx, attempt.reference);
  return { payment, attempt, callback };
};

/** Expects a rejected callback to get its protocol's answer and leave the ledger untouched. */
const rejected = async (h: Harness, callback: CapturedCallback, ack: Acknowledgement, paymentId: string) => {
  const before = await h.ledgerFingerprint();
  answeredWith(h, await h.deliver(callback), ack);
  check((await h.ledgerFingerprint()) === before, `a "${ack}" callback wrote to the ledger`);
  check((await h.status(paymentId)).status === "started", "a rejected callback changed the payment");
};

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** null when it applies; otherwise why not (shown in the table). */
  readonly skip: (h: Pick<Harness, "driver" | "live">) => string | null;
  readonly run: (h: Harness) => Promise<void>;
}

const checkoutOnly = (h: Pick<Harness, "driver">) =>
  h.driver.shape === "checkout" ? null : "collection shape";

// A failure PayGov can learn of: from a callback, or by asking. A bank transfer that is refused or
// abandoned never reaches the account, and nothing tells anyone: the attempt simply expires.
const failureObservable = (h: Pick<Harness, "driver" | "live">) =>
  checkoutOnly(h) ??
  (h.driver.callsBackOnFailure || h.live.definition.capabilities.query
    ? null
    : "the intermediary reports no failure and has no query API");

const payerSetsAmount = (h: Pick<Harness, "driver" | "live">) =>
  checkoutOnly(h) ?? (h.live.definition.payerSetsAmount ? null : "the intermediary fixes the amount");

/** The scenario list, the same for every connector. */
export const SCENARIOS: ReadonlyArray<Scenario> = [
  {
    id: "success",
    title: "the citizen pays; PayGov records one success",
    skip: checkoutOnly,
    async run(h) {
      const payment = await h.createPayment();
      const attempt = await opened(h, payment);
      await h.driver.pay(h.ctx, attempt, "success");
      await h.waitForStatus(payment.id, "success");
      check((await succeededEvents(h, payment.id)).length === 1, "expected exactly one payment.succeeded");
    },
  },
  {
    id: "failure",
    title: "the intermediary declines; the citizen may try again",
    skip: failureObservable,
    async run(h) {
      const payment = await h.createPayment();
      const attempt = await opened(h, payment);
      await h.driver.pay(h.ctx, attempt, "failure");
      await h.waitForStatus(payment.id, "failed");
      const state = await h.status(payment.id);
      check(!state.finished, "a failed attempt must leave the payment open until expiry");
      const again = await opened(h, payment);
      check(again.reference !== attempt.reference, "a new attempt must get a fresh reference");
    },
  },
  {
    id: "cancel",
    title: "the citizen cancels at the intermediary",
    skip: failureObservable,
    async run(h) {
      const payment = await h.createPayment();
      const attempt = await opened(h, payment);
      await h.driver.pay(h.ctx, attempt, "cancel");
      await h.waitForStatus(payment.id, "failed");
      check(!(await h.status(payment.id)).finished, "a cancelled attempt must leave the payment open");
    },
  },
  {
    id: "duplicate-callback",
    title: "the callback comes twice; one success is recorded",
    skip: checkoutOnly,
    async run(h) {
      const payment = await h.createPayment();
      const attempt = await opened(h, payment);
      await h.driver.behave(h.ctx, attempt.reference, { callback: "duplicate" });
      await h.driver.pay(h.ctx, attempt, "success");
      await h.waitForStatus(payment.id, "success");
      await h.pause(300);
      check((await succeededEvents(h, payment.id)).length === 1, "expected exactly one payment.succeeded");
    },
  },
  {
    id: "return-before-callback",
    title: "the browser returns before the callback; same outcome",
    skip: (h) => checkoutOnly(h) ?? (h.live.definition.capabilities.redirect ? null : "no browser return"),
    async run(h) {
      const payment = await h.createPayment();
      const attempt = await opened(h, payment);
      await h.driver.behave(h.ctx, attempt.reference, { callback: "reorder", delayMs: 800 });
      const { returnUrl } = await h.driver.pay(h.ctx, attempt, "success");
      check(returnUrl !== null, "a redirect protocol must send the browser back");
      const back = await fetch(returnUrl!, { redirect: "manual" });
      check(
        back.status === 303 && /\/pay\/[^/]+\/result/.test(back.headers.get("location") ?? ""),
        "the return must lead to PayGov's result page",
      );
      await h.waitForStatus(payment.id, "success");
      await h.pause(1500); // the callback arrives after the return
      check((await succeededEvents(h, payment.id)).length === 1, "expected exactly one payment.succeeded");
    },
  },
  {
    id: "callback-after-success",
    title: "a replayed genuine callback gets the duplicate answer; nothing is written",
    skip: checkoutOnly,
    async run(h) {
      const { payment, callback } = await paidWithHeldCallback(h);
      const first = await h.deliver(callback);
      answeredWith(h, first, "accepted");
      await h.waitForStatus(payment.id, "success");
      await h.pause(200);
      const before = await h.ledgerFingerprint();
      answeredWith(h, await h.deliver(callback), "duplicate");
      check((await h.ledgerFingerprint()) === before, "a replayed callback wrote to the ledger");
    },
  },
  {
    id: "lost-callback",
    title: "the callback never comes; PayGov queries and finds the payment",
    skip: (h) => checkoutOnly(h) ?? (h.live.definition.capabilities.query ? null : "no query API"),
    async run(h) {
      const payment = await h.createPayment();
      const attempt = await opened(h, payment);
      await h.driver.behave(h.ctx, attempt.reference, { callback: "drop" });
      await h.driver.pay(h.ctx, attempt, "success");
      await h.waitForStatus(payment.id, "success", 30_000);
      const succeeded = await succeededEvents(h, payment.id);
      check(succeeded[0]?.data.source === "query", "the success must come from a query");
    },
  },
  {
    id: "tampered-amount",
    title: "a validly signed callback with another amount is refused; nothing is written",
    skip: (h) =>
      checkoutOnly(h) ??
      (h.live.definition.payerSetsAmount
        ? "the payer sets the amount: another amount is recorded, not refused"
        : null),
    async run(h) {
      const { payment, attempt, callback } = await paidWithHeldCallback(h);
      await rejected(
        h,
        h.driver.resign(h.ctx, callback, { amount: attempt.amount + 1000 }),
        "amount_mismatch",
        payment.id,
      );
    },
  },
  {
    id: "bad-signature",
    title: "a forged callback is refused; nothing is written",
    skip: checkoutOnly,
    async run(h) {
      const { payment, callback } = await paidWithHeldCallback(h);
      await rejected(h, h.driver.forge(h.ctx, callback), "signature_invalid", payment.id);
    },
  },
  {
    id: "unknown-reference",
    title: "a signed callback for a reference PayGov never issued is refused",
    skip: checkoutOnly,
    async run(h) {
      const { payment, callback } = await paidWithHeldCallback(h);
      const stranger = h.driver.resign(h.ctx, callback, {
        reference: `PG000000${Date.now().toString(36).toUpperCase()}`,
      });
      await rejected(h, stranger, "unknown_reference", payment.id);
    },
  },
  {
    id: "initiate-unavailable",
    title: "creating the payment at the intermediary fails (5xx); the citizen can try again",
    skip: (h) => checkoutOnly(h) ?? (h.driver.initiatesByApi ? null : "opening an attempt calls no server"),
    async run(h) {
      const payment = await h.createPayment();
      await h.driver.behave(h.ctx, null, { initiate: "unavailable" });
      try {
        check((await h.choose(payment)) === null, "an attempt opened although the intermediary answered 503");
      } finally {
        await h.driver.behave(h.ctx, null, { initiate: "normal" });
      }
      const attempt = await opened(h, payment);
      await h.driver.pay(h.ctx, attempt, "success");
      await h.waitForStatus(payment.id, "success");
    },
  },
  {
    id: "initiate-timeout",
    title: "creating the payment at the intermediary hangs; PayGov gives up without charging twice",
    skip: (h) => checkoutOnly(h) ?? (h.driver.initiatesByApi ? null : "opening an attempt calls no server"),
    async run(h) {
      const payment = await h.createPayment();
      await h.driver.behave(h.ctx, null, { initiate: "hang" });
      try {
        check(
          (await h.choose(payment)) === null,
          "an attempt opened although the intermediary never answered",
        );
      } finally {
        await h.driver.behave(h.ctx, null, { initiate: "normal" });
      }
      check(
        (await h.status(payment.id)).status === "created",
        "a payment whose attempt never opened must stay created",
      );
    },
  },
  {
    id: "query-unavailable",
    title: "queries fail (5xx) while the callback is lost; PayGov keeps asking and finds the payment",
    skip: (h) => checkoutOnly(h) ?? (h.live.definition.capabilities.query ? null : "no query API"),
    async run(h) {
      const payment = await h.createPayment();
      const attempt = await opened(h, payment);
      await h.driver.behave(h.ctx, attempt.reference, { callback: "drop", api: "unavailable" });
      await h.driver.pay(h.ctx, attempt, "success");
      await h.pause(5000);
      check((await h.status(payment.id)).status === "started", "no answer must not conclude the attempt");
      await h.driver.behave(h.ctx, attempt.reference, { api: "normal" });
      await h.waitForStatus(payment.id, "success", 30_000);
    },
  },
  {
    id: "query-timeout",
    title: "queries hang while the callback is lost; PayGov times out, keeps asking and finds the payment",
    skip: (h) => checkoutOnly(h) ?? (h.live.definition.capabilities.query ? null : "no query API"),
    async run(h) {
      const payment = await h.createPayment();
      const attempt = await opened(h, payment);
      await h.driver.behave(h.ctx, attempt.reference, { callback: "drop", api: "hang" });
      await h.driver.pay(h.ctx, attempt, "success");
      await h.pause(5000);
      check(
        (await h.status(payment.id)).status === "started",
        "a hanging query must not conclude the attempt",
      );
      await h.driver.behave(h.ctx, attempt.reference, { api: "normal" });
      await h.waitForStatus(payment.id, "success", 40_000);
    },
  },
  {
    id: "short-transfer",
    title: "a transfer short of the amount due is recorded as a failed attempt and returned",
    skip: payerSetsAmount,
    async run(h) {
      const { payment, attempt, callback } = await paidWithHeldCallback(h);
      answeredWith(
        h,
        await h.deliver(h.driver.resign(h.ctx, callback, { amount: attempt.amount - 1000 })),
        "accepted",
      );
      await h.waitForStatus(payment.id, "failed");
      check(
        (await h.status(payment.id)).code === "attempt_underpaid",
        "a short transfer must say attempt_underpaid",
      );
      const failed = (await h.events(payment.id)).find((e) => e.type === "payment.failed");
      check(
        failed?.data.received_amount === attempt.amount - 1000,
        "the event must carry the amount received",
      );
      check(
        (await eventOf(h, payment.id, "refund.submitted")) !== undefined,
        "the short transfer must be returned",
      );
    },
  },
  {
    id: "surplus-transfer",
    title: "a transfer above the amount due pays the payment and the surplus is returned",
    skip: payerSetsAmount,
    async run(h) {
      const { payment, attempt, callback } = await paidWithHeldCallback(h);
      answeredWith(
        h,
        await h.deliver(h.driver.resign(h.ctx, callback, { amount: attempt.amount + 5000 })),
        "accepted",
      );
      await h.waitForStatus(payment.id, "success");
      const succeeded = (await succeededEvents(h, payment.id))[0];
      check(
        succeeded?.data.received_amount === attempt.amount + 5000,
        "the event must carry the amount received",
      );
      const refund = await eventOf(h, payment.id, "refund.submitted");
      check(refund?.data.amount === 5000, "the surplus of 5000 VND must be returned");
    },
  },
  {
    id: "refund",
    title: "a paid attempt is refunded in part at the intermediary",
    skip: (h) => checkoutOnly(h) ?? (h.live.connector.refund ? null : "no refund API"),
    async run(h) {
      const payment = await h.createPayment();
      const attempt = await opened(h, payment);
      await h.driver.pay(h.ctx, attempt, "success");
      await h.waitForStatus(payment.id, "success");
      const request = await h.refundRequest(payment.id, Math.floor(attempt.amount / 2));
      let result: RefundResult = await h.run(h.live.connector.refund!(request));
      for (let i = 0; i < 10 && result.outcome === "pending" && h.live.connector.refundStatus; i++) {
        await h.pause(300);
        result = await h.run(h.live.connector.refundStatus(request));
      }
      check(
        result.outcome === "succeeded",
        `expected the refund to succeed, got ${result.outcome} (${result.providerCode})`,
      );
    },
  },
  {
    id: "refund-refused",
    title: "the intermediary refuses a refund; PayGov is told so",
    skip: (h) => checkoutOnly(h) ?? (h.live.connector.refund ? null : "no refund API"),
    async run(h) {
      const payment = await h.createPayment();
      const attempt = await opened(h, payment);
      await h.driver.pay(h.ctx, attempt, "success");
      await h.waitForStatus(payment.id, "success");
      await h.driver.behave(h.ctx, attempt.reference, { refund: "refuse" });
      const request = await h.refundRequest(payment.id, attempt.amount);
      const outcome = await h
        .run(h.live.connector.refund!(request))
        .then(async (first) => {
          let result = first;
          for (let i = 0; i < 10 && result.outcome === "pending" && h.live.connector.refundStatus; i++) {
            await h.pause(300);
            result = await h.run(h.live.connector.refundStatus(request));
          }
          return result.outcome;
        })
        .catch((err: { _tag?: string }) => (err?._tag === "Declined" ? "failed" : `error ${err?._tag}`));
      check(outcome === "failed", `expected the refund to be refused, got ${outcome}`);
    },
  },
  {
    id: "collection",
    title: "a counter looks the bill up, confirms it once, and a repeat is recognised",
    skip: (h) => (h.driver.collection ? null : "checkout shape"),
    async run(h) {
      const payment = await h.createPayment();
      const code = await h.choose(payment);
      check(code !== null && code.initiation.kind === "payment_code", "the payment must have a payment code");
      const paymentCode = code!.initiation.kind === "payment_code" ? code!.initiation.code : "";
      const collection = h.driver.collection!;
      const bill = await collection.lookup(h.ctx, paymentCode);
      check(
        bill.found && bill.payable && bill.amount === payment.amount,
        `unexpected bill ${JSON.stringify(bill)}`,
      );
      const transactionId = `CT${Date.now()}`;
      const first = await collection.confirm(h.ctx, paymentCode, transactionId, payment.amount);
      check(first.accepted && !first.duplicate, "the first confirmation must be accepted");
      await h.waitForStatus(payment.id, "success");
      const repeat = await collection.confirm(h.ctx, paymentCode, transactionId, payment.amount);
      check(
        repeat.accepted && repeat.duplicate,
        "the same confirmation again must be recognised as a repeat",
      );
      const other = await collection.confirm(h.ctx, paymentCode, `${transactionId}X`, payment.amount);
      check(!other.accepted, "a second payment of a paid bill must be refused");
      check((await succeededEvents(h, payment.id)).length === 1, "expected exactly one payment.succeeded");
      const after = await collection.lookup(h.ctx, paymentCode);
      check(after.found && !after.payable, "a paid bill must no longer be payable");
    },
  },
];
