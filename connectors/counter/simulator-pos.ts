/**
 * The chain's POS as the simulator plays it: it signs each request (or, when told, signs it wrongly or
 * claims another amount), sends it to PayGov's agent API, and believes a reply only once its signature
 * and echo verify (protocol.ts readCounterReply). It keeps the chain's own records: what each store
 * collected and what PayGov answered, from which /recon writes the day's file.
 */
import { randomBytes } from "node:crypto";
import { vietnamDateParts } from "../../domain/vietnam-time.ts";
import {
  type BehaviourStore,
  type CallbackDelivery,
  type CapturedCallback,
  type SimBehaviour,
  sendCallback,
} from "../sdk/simulator-kit.ts";
import {
  buildCounterRequest,
  type CounterAnswer,
  type CounterOperation,
  type CounterPartner,
  type CounterRequestInput,
  readCounterReply,
} from "./protocol.ts";

/** The confirm of a tamperAmount run claims this many đồng more than the bill. */
export const TAMPER_EXTRA_VND = 1_000;
const LOOKUP_TIMEOUT_MS = 15_000;

/** One reply as the chain saw it: verified and read, or why not. */
export interface SeenReply {
  readonly at: Date;
  readonly status: number | null;
  readonly answer: CounterAnswer | null;
  readonly error: string | null;
}

/** A request the POS sent (or, told to drop it, would have sent), and every reply it got. */
export interface PosCall {
  readonly operation: CounterOperation;
  readonly requestId: string;
  readonly request: CapturedCallback;
  readonly sent: boolean;
  readonly replies: ReadonlyArray<SeenReply>;
}

/** A collection as the chain records it. */
export interface CounterTransaction {
  readonly transactionId: string;
  readonly paymentCode: string;
  readonly storeId: string;
  /** What the store took, integer VND (a tamperAmount run still records the bill's amount). */
  readonly amount: number;
  readonly paidAt: Date;
  readonly payerName: string;
  /** confirmed by PayGov (00), refused, sent without a usable answer, never sent, or reversed. */
  status: "confirmed" | "refused" | "unanswered" | "not_sent" | "reversed";
  resultCode: string | null;
  receiptId: string | null;
  confirmedAt: Date | null;
  reversedAt: Date | null;
  readonly deliveries: CallbackDelivery[];
}

export interface PosOptions {
  readonly partner: CounterPartner;
  /** PayGov's agent API for this chain: <PayGov>/agents/<id>. */
  readonly agentUrl: string;
  readonly fetch: typeof globalThis.fetch;
  readonly now: () => Date;
  readonly behaviours: BehaviourStore;
}

/** A fresh id: the prefix, the Vietnam date and time, and random hex (two runs never collide). */
const freshId = (prefix: string, now: Date, bytes: number): string => {
  const d = vietnamDateParts(now);
  return `${prefix}${d.yy}${d.MM}${d.dd}${d.HH}${d.mm}${d.ss}${randomBytes(bytes).toString("hex").toUpperCase()}`;
};

/** The chain's transaction id for a new collection. */
export const newTransactionId = (now: Date): string => freshId("CT", now, 4);

const PATHS: Record<CounterOperation, string> = { LOOKUP: "lookup", CONFIRM: "confirm", REVERSE: "reverse" };

/** The simulated POS of one chain. */
export const makePos = (options: PosOptions) => {
  const transactions = new Map<string, CounterTransaction>();
  const lastCalls = new Map<string, PosCall>();
  /** Masked names learnt from look-ups, for the file's payer_masked column. */
  const payerNames = new Map<string, string>();

  const request = (input: CounterRequestInput, behaviour: SimBehaviour): CapturedCallback => {
    // tamperSignature: the chain signs with a key that is not the shared one; PayGov must answer 07.
    const secret = behaviour.tamperSignature ? `${options.partner.secret}-forged` : options.partner.secret;
    return {
      method: "POST",
      url: `${options.agentUrl}/${PATHS[input.operation]}`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(buildCounterRequest(input, options.partner.partnerCode, secret)),
    };
  };

  const seen = (delivery: CallbackDelivery, operation: CounterOperation, requestId: string): SeenReply => {
    if (delivery.body === null)
      return { at: delivery.at, status: delivery.status, answer: null, error: "no answer" };
    const read = readCounterReply(delivery.body, options.partner, { operation, requestId });
    return read.ok
      ? { at: delivery.at, status: delivery.status, answer: read.value, error: null }
      : { at: delivery.at, status: delivery.status, answer: null, error: read.message };
  };

  /** A reply the chain takes as final: verified, and not "system error, try again" (99). */
  const final = (operation: CounterOperation, requestId: string) => (_status: number, body: string) => {
    const read = readCounterReply(body, options.partner, { operation, requestId });
    return read.ok && !(read.value.kind === "refused" && read.value.resultCode === "99");
  };

  /** Sends a state-changing request the way the behaviour says (drop, duplicate, delay), with retries. */
  const deliver = async (
    operation: CounterOperation,
    requestId: string,
    captured: CapturedCallback,
    behaviour: SimBehaviour,
    deliveries: CallbackDelivery[],
  ): Promise<PosCall> => {
    const before = deliveries.length;
    // A counter has no browser to return first: "reorder" can only mean the confirmation comes late.
    const effective: SimBehaviour =
      behaviour.callback === "reorder" ? { ...behaviour, callback: "delay" } : behaviour;
    await sendCallback(
      options.fetch,
      captured,
      effective,
      final(operation, requestId),
      (delivery) => deliveries.push(delivery),
      options.now,
    );
    return {
      operation,
      requestId,
      request: captured,
      sent: behaviour.callback !== "drop",
      replies: deliveries.slice(before).map((d) => seen(d, operation, requestId)),
    };
  };

  /** The clerk types a code: one LOOKUP, one answer (the clerk asks again if none comes). */
  const lookup = async (paymentCode: string): Promise<PosCall> => {
    const behaviour = options.behaviours.for(paymentCode);
    const requestId = freshId("LK", options.now(), 6);
    const captured = request(
      { operation: "LOOKUP", requestId, requestTime: options.now(), paymentCode },
      behaviour,
    );
    let delivery: CallbackDelivery;
    try {
      const response = await options.fetch(captured.url, {
        method: "POST",
        headers: captured.headers,
        body: captured.body,
        signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS),
      });
      delivery = { at: options.now(), status: response.status, body: await response.text() };
    } catch {
      delivery = { at: options.now(), status: null, body: null };
    }
    const reply = seen(delivery, "LOOKUP", requestId);
    if (reply.answer?.kind === "bill") payerNames.set(paymentCode, reply.answer.bill.payerName);
    return { operation: "LOOKUP", requestId, request: captured, sent: true, replies: [reply] };
  };

  const apply = (txn: CounterTransaction, call: PosCall) => {
    for (const reply of call.replies) {
      const answer = reply.answer;
      if (answer?.kind === "confirmed" && txn.status !== "reversed") {
        txn.status = "confirmed";
        txn.receiptId = answer.receiptId;
        txn.resultCode = "00";
        txn.confirmedAt ??= reply.at;
      } else if (answer?.kind === "reversed") {
        txn.status = "reversed";
        txn.reversedAt ??= reply.at;
      } else if (answer?.kind === "refused" && call.operation === "CONFIRM" && txn.status !== "confirmed") {
        txn.status = "refused";
        txn.resultCode = answer.resultCode;
      }
    }
    if (call.operation === "CONFIRM" && txn.status === "not_sent" && call.sent) txn.status = "unanswered";
  };

  /** The clerk took the cash: CONFIRM it at PayGov, idempotent on the transaction id. */
  const confirm = async (input: {
    paymentCode: string;
    amount: number;
    transactionId?: string;
    storeId: string;
  }): Promise<{ transaction: CounterTransaction; call: PosCall }> => {
    const behaviour = options.behaviours.for(input.paymentCode, input.amount);
    const transactionId = input.transactionId ?? newTransactionId(options.now());
    const existing = transactions.get(transactionId);
    const txn: CounterTransaction = existing ?? {
      transactionId,
      paymentCode: input.paymentCode,
      storeId: input.storeId,
      amount: input.amount,
      paidAt: options.now(),
      payerName: payerNames.get(input.paymentCode) ?? "",
      status: "not_sent",
      resultCode: null,
      receiptId: null,
      confirmedAt: null,
      reversedAt: null,
      deliveries: [],
    };
    transactions.set(transactionId, txn);
    const requestId = freshId("CF", options.now(), 6);
    const captured = request(
      {
        operation: "CONFIRM",
        requestId,
        requestTime: options.now(),
        paymentCode: txn.paymentCode,
        amount: behaviour.tamperAmount ? txn.amount + TAMPER_EXTRA_VND : txn.amount,
        transactionId,
        storeId: txn.storeId,
        paidAt: txn.paidAt,
      },
      behaviour,
    );
    const call = await deliver("CONFIRM", requestId, captured, behaviour, txn.deliveries);
    lastCalls.set(txn.paymentCode, call);
    apply(txn, call);
    return { transaction: txn, call };
  };

  /** The store undoes a collection (the customer changed their mind before leaving). */
  const reverse = async (input: {
    paymentCode: string;
    transactionId: string;
    storeId: string;
  }): Promise<{ transaction: CounterTransaction | null; call: PosCall }> => {
    const txn = transactions.get(input.transactionId) ?? null;
    const behaviour = options.behaviours.for(input.paymentCode, txn?.amount);
    const requestId = freshId("RV", options.now(), 6);
    const captured = request(
      {
        operation: "REVERSE",
        requestId,
        requestTime: options.now(),
        paymentCode: input.paymentCode,
        transactionId: input.transactionId,
        storeId: txn?.storeId ?? input.storeId,
      },
      behaviour,
    );
    const call = await deliver("REVERSE", requestId, captured, behaviour, txn?.deliveries ?? []);
    lastCalls.set(input.paymentCode, call);
    if (txn !== null) apply(txn, call);
    return { transaction: txn, call };
  };

  /** Sends the last CONFIRM or REVERSE for a code again, once, as is (a POS retrying after a lost answer). */
  const resend = async (paymentCode: string): Promise<CallbackDelivery[] | null> => {
    const last = lastCalls.get(paymentCode);
    if (last === undefined) return null;
    const txnId = (JSON.parse(last.request.body) as { transactionId?: string }).transactionId;
    const txn = txnId === undefined ? undefined : transactions.get(txnId);
    const deliveries: CallbackDelivery[] = [];
    const call = await deliver(
      last.operation,
      last.requestId,
      last.request,
      { ...options.behaviours.for(null), callback: "normal", delayMs: 0 },
      deliveries,
    );
    txn?.deliveries.push(...deliveries);
    if (txn !== undefined) apply(txn, call);
    return deliveries;
  };

  return {
    lookup,
    confirm,
    reverse,
    resend,
    transactions: () => [...transactions.values()],
    lastCall: (paymentCode: string): PosCall | null => lastCalls.get(paymentCode) ?? null,
  };
};

export type Pos = ReturnType<typeof makePos>;
