/**
 * The simulator's memory: the payments opened on its page, what happened to them, the RequestIds it
 * has seen, and the misbehaviour it was asked for (the shared kit's BehaviourStore, magic amounts
 * included).
 */
import { randomInt } from "node:crypto";
import {
  BehaviourStore,
  type CallbackDelivery,
  type CapturedCallback,
  type SimBehaviour,
} from "../sdk/simulator-kit.ts";
import type { VnpayResponseCode, VnpayTransactionStatus } from "./protocol.ts";

export interface SimPayment {
  readonly responseCode: VnpayResponseCode;
  readonly transactionStatus: VnpayTransactionStatus;
  /** "0" when the payment never reached a bank (a cancel), as VNPay sends it (§1.4). */
  readonly transactionNo: string;
  readonly bankCode: string;
  readonly bankTranNo: string;
  readonly cardType: string;
  readonly payDate: Date;
}

export interface SimRefund {
  readonly requestId: string;
  readonly transactionType: "02" | "03";
  readonly amount: number;
  readonly transactionNo: string;
  readonly createdAt: Date;
  status: "05" | "06" | "00" | "09";
  completedAt: Date | null;
}

/** A payment opened on the simulated vpcpay.html page. */
export interface SimOrder {
  readonly txnRef: string;
  readonly amount: number;
  readonly orderInfo: string;
  /** vnp_CreateDate as sent: querydr and refund name the payment by it. */
  readonly createDate: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly returnUrl: string;
  readonly locale: "vn" | "en";
  /** vnp_SecureHash of the opening request: the same link opened again is recognised, not a reuse. */
  readonly requestHash: string;
  payment: SimPayment | null;
  /** The last IPN sent (or that would have been, when dropped): GET /_sim/callbacks/:reference. */
  lastIpn: CapturedCallback | null;
  readonly refunds: SimRefund[];
  readonly ipnDeliveries: CallbackDelivery[];
}

/** TxnRef must be unique per terminal within a Vietnam day (§1.2): the day of its vnp_CreateDate. */
export const orderKey = (txnRef: string, createDate: string): string => `${txnRef}@${createDate.slice(0, 8)}`;

export interface SimStore {
  readonly orders: Map<string, SimOrder>;
  readonly requestIds: Set<string>;
  /** Per TxnRef, with the order's amount for the magic amounts. */
  readonly behaviours: BehaviourStore;
  readonly nextTransactionNo: () => string;
}

export const createStore = (): SimStore => {
  // Random start so two simulator runs do not hand out the same numbers (the file's DUPLICATE check).
  let lastTransactionNo = randomInt(10_000_000, 90_000_000);
  return {
    orders: new Map(),
    requestIds: new Set(),
    behaviours: new BehaviourStore(),
    nextTransactionNo: () => {
      lastTransactionNo += 1;
      return String(lastTransactionNo);
    },
  };
};

/** The most recently opened payment with this TxnRef. */
export const latestOrder = (store: SimStore, txnRef: string): SimOrder | undefined =>
  [...store.orders.values()].findLast((order) => order.txnRef === txnRef);

/** What applies to a payment: the global behaviour, its amount's if magic, then its TxnRef's own. */
export const behaviourOf = (store: SimStore, order: SimOrder): SimBehaviour =>
  store.behaviours.for(order.txnRef, order.amount);
