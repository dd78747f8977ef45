/**
 * The ZaloPay simulator's memory: the orders apps created, what happened to each, the callbacks it
 * sent and the refunds it took, and the misbehaviour it was asked for (through the kit's store).
 */
import { randomInt } from "node:crypto";
import { BehaviourStore, type CallbackDelivery, type CapturedCallback } from "../sdk/simulator-kit.ts";
import { vietnamYymmdd } from "./protocol.ts";

/** What the tester chose on the order page. */
export type SimOutcome = "success" | "failure" | "cancel";

/** How the order ended at ZaloPay. */
export interface SimPayment {
  readonly outcome: SimOutcome;
  /** Only a success has a ZaloPay transaction (the callback's and the file's zp_trans_id). */
  readonly zpTransId: string | null;
  readonly serverTime: Date;
  /** The payment method id and bank code the redirect reports (§3.4); empty when none was chosen. */
  readonly pmcid: string;
  readonly bankCode: string;
  /** The redirect's status and the query's sub_return_code for this outcome. */
  readonly status: number;
}

export type SimRefundState = "processing" | "succeeded" | "failed";

export interface SimRefund {
  readonly mRefundId: string;
  /** ZaloPay's own refund id (refund_id in the answer). */
  readonly refundId: string;
  readonly amount: number;
  readonly description: string;
  readonly createdAt: Date;
  /** Where the refund ends: fixed when it is taken, from the behaviour then in force. */
  readonly ending: "succeeded" | "failed";
  state: SimRefundState;
  /** /v2/query_refund calls so far: a refund reaches its end on the second. */
  queries: number;
  completedAt: Date | null;
}

/** An order an app created with /v2/create. */
export interface SimOrder {
  readonly appTransId: string;
  /** app_trans_id without its `yymmdd_` prefix: the app's own reference, as the control API names orders. */
  readonly orderCode: string;
  readonly appTime: Date;
  readonly appUser: string;
  readonly amount: number;
  readonly description: string;
  /** embed_data and item exactly as the app sent them: the callback echoes them (§3.3). */
  readonly embedData: string;
  readonly item: string;
  /** embed_data.redirecturl, where the browser goes back; null when the app gave none. */
  readonly redirectUrl: string | null;
  /** callback_url as the app sent it (recorded; the sandbox calls back to its registered URL). */
  readonly callbackUrl: string;
  readonly zpTransToken: string;
  readonly orderToken: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  payment: SimPayment | null;
  /** The last callback sent (or held back by a "drop"), for lastCallback and resend. */
  callback: CapturedCallback | null;
  readonly deliveries: CallbackDelivery[];
  readonly refunds: SimRefund[];
}

export interface SimStore {
  readonly orders: Map<string, SimOrder>;
  readonly byToken: Map<string, SimOrder>;
  readonly refunds: Map<string, { readonly order: SimOrder; readonly refund: SimRefund }>;
  readonly behaviours: BehaviourStore;
  /** `yymmdd` + 9 digits, ZaloPay's shape (§3.3 example 240815000000389). */
  readonly nextZpTransId: (now: Date) => string;
  readonly nextRefundId: (now: Date) => string;
}

export const createStore = (): SimStore => {
  // Random starts so two simulator runs do not hand out the same ids (the file's DUPLICATE check).
  let lastTrans = randomInt(1, 400_000_000);
  let lastRefund = randomInt(500_000_000, 900_000_000);
  return {
    orders: new Map(),
    byToken: new Map(),
    refunds: new Map(),
    behaviours: new BehaviourStore(),
    nextZpTransId: (now) => {
      lastTrans += 1;
      return `${vietnamYymmdd(now)}${String(lastTrans).padStart(9, "0")}`;
    },
    nextRefundId: (now) => {
      lastRefund += 1;
      return `${vietnamYymmdd(now)}${String(lastRefund).padStart(9, "0")}`;
    },
  };
};

/** The order code inside an app_trans_id (`yymmdd_<code>`), or the whole id for any other shape. */
export const orderCodeOf = (appTransId: string): string =>
  /^\d{6}_(.+)$/s.exec(appTransId)?.[1] ?? appTransId;

/** The most recent order a control call names, by app_trans_id or by the app's order code. */
export const findOrder = (store: SimStore, reference: string): SimOrder | undefined =>
  store.orders.get(reference) ??
  [...store.orders.values()].findLast((order) => order.orderCode === reference);

/** The order a ZaloPay transaction belongs to. */
export const orderOfTransaction = (store: SimStore, zpTransId: string): SimOrder | undefined =>
  [...store.orders.values()].find((order) => order.payment?.zpTransId === zpTransId);

/** Money already refunded or on its way back. */
export const refundedSoFar = (order: SimOrder): number =>
  order.refunds.filter((r) => r.ending === "succeeded").reduce((total, r) => total + r.amount, 0);
