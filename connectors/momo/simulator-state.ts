/**
 * The MoMo simulator's memory: the orders created through its API, what happened to them, the refunds,
 * the requestIds it has answered (MoMo's idempotency, §2.5) and the misbehaviour it was asked for.
 */
import { randomBytes, randomInt } from "node:crypto";
import type { Locale } from "../sdk/contract.ts";
import { BehaviourStore, type CallbackDelivery, type CapturedCallback } from "../sdk/simulator-kit.ts";
import type { MomoResultCode } from "./protocol.ts";

/** How an order ended on the payment page. */
export interface SimPayment {
  readonly resultCode: MomoResultCode;
  /** MoMo's transaction id (numeric text, §2.4). */
  readonly transId: string;
  readonly payType: string;
  readonly at: Date;
}

/** A refund MoMo answered: taken (0) or refused (1081, 1088). Each has its own orderId (§2.6). */
export interface SimRefund {
  readonly orderId: string;
  readonly requestId: string;
  readonly amount: number;
  /** The refund's own transId; null when it was refused. */
  readonly transId: string | null;
  readonly description: string;
  readonly resultCode: MomoResultCode;
  readonly at: Date;
}

/** An order created by POST /v2/gateway/api/create. */
export interface SimOrder {
  readonly orderId: string;
  readonly requestId: string;
  readonly amount: number;
  readonly orderInfo: string;
  readonly extraData: string;
  /** As the create asked; the simulator's IPNs go to the sandbox's own route to PayGov (see simulator.tsx). */
  readonly ipnUrl: string;
  readonly redirectUrl: string;
  readonly lang: Locale;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** The payUrl's secret: whoever holds it can pay, so it is never listed. */
  readonly token: string;
  payment: SimPayment | null;
  readonly refunds: SimRefund[];
  /** The last IPN built for this order, sent or not (the kit's lastCallback). */
  lastCallback: CapturedCallback | null;
  readonly deliveries: CallbackDelivery[];
}

/** An answer MoMo gave to a requestId: repeated as is after a final code, 40 otherwise (§2.5). */
export interface AnsweredRequest {
  /** The request's signature: the same requestId with another request is not a retry. */
  readonly signature: string;
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
  readonly final: boolean;
}

export interface SimStore {
  /** By orderId: MoMo's orderIds are unique per partner (duplicate → 41). */
  readonly orders: Map<string, SimOrder>;
  readonly byToken: Map<string, SimOrder>;
  /** Refund orderIds share the namespace of payment orderIds (§2.6: a new orderId). */
  readonly refundOrderIds: Set<string>;
  readonly answered: Map<string, AnsweredRequest>;
  readonly behaviours: BehaviourStore;
  nextTransId(): string;
  newToken(): string;
}

export const createStore = (): SimStore => {
  // Ten digits like MoMo's transIds, from a random start so that two runs never share one (the
  // reconciliation file's DUPLICATE check).
  let lastTransId = randomInt(2_000_000_000, 9_000_000_000);
  return {
    orders: new Map(),
    byToken: new Map(),
    refundOrderIds: new Set(),
    answered: new Map(),
    behaviours: new BehaviourStore(),
    nextTransId: () => {
      lastTransId += 1;
      return String(lastTransId);
    },
    newToken: () => randomBytes(18).toString("base64url"),
  };
};

/** Whether an orderId was ever used, by a payment or a refund. */
export const orderIdTaken = (store: SimStore, orderId: string): boolean =>
  store.orders.has(orderId) || store.refundOrderIds.has(orderId);

/** The paid order a refund names by its transId. */
export const orderByTransId = (store: SimStore, transId: string): SimOrder | undefined =>
  [...store.orders.values()].find((order) => order.payment?.transId === transId);

/** What the order's state is right now, as query reports it. */
export const orderResultCode = (order: SimOrder, now: Date): MomoResultCode =>
  order.payment?.resultCode ?? (now > order.expiresAt ? 1005 : 1000);

/** VND refunded so far (refused refunds do not count). */
export const refundedSoFar = (order: SimOrder): number =>
  order.refunds
    .filter((refund) => refund.resultCode === 0)
    .reduce((total, refund) => total + refund.amount, 0);
