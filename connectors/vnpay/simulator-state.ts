/**
 * The simulator's memory: the payments opened on its page, what happened to them, the RequestIds it
 * has seen, and the misbehaviour it was asked for (DESIGN: simulators "can be told to misbehave").
 */
import { randomInt } from "node:crypto";
import {
  type Checked,
  isVnpayResponseCode,
  type VnpayResponseCode,
  type VnpayTransactionStatus,
} from "./protocol.ts";

/** How the IPN goes out: as is, twice at the same moment, after `delayMs`, or never. */
export type IpnMode = "normal" | "duplicate" | "delay" | "drop";
/** ipn_first: the browser is redirected once the IPN is answered; return_first: at once. */
export type CallbackOrder = "ipn_first" | "return_first";
/** How the merchant API answers: as is, HTTP 503, or after `delayMs`. */
export type ApiMode = "normal" | "unavailable" | "slow";

/** Misbehaviour on request, globally or for one TxnRef (POST /_sim/behaviour). */
export interface Behaviour {
  readonly ipn: IpnMode;
  readonly delayMs: number;
  readonly order: CallbackOrder;
  /** Opening vpcpay.html pays at once with this outcome and redirects (headless runs, benchmarks). */
  readonly autoPay: VnpayResponseCode | null;
  /** The IPN carries another amount, correctly re-signed: only the amount check can catch it. */
  readonly tamperAmount: boolean;
  /** The IPN is signed with the wrong secret. */
  readonly tamperSignature: boolean;
  readonly api: ApiMode;
  /** Where a refund ends after 05 → 06: 00 refunded, 09 rejected. */
  readonly refundOutcome: "00" | "09";
}

export const DEFAULT_BEHAVIOUR: Behaviour = {
  ipn: "normal",
  delayMs: 1000,
  order: "ipn_first",
  autoPay: null,
  tamperAmount: false,
  tamperSignature: false,
  api: "normal",
  refundOutcome: "00",
};

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

export interface IpnDelivery {
  readonly at: Date;
  /** The merchant's RspCode, or null when it did not answer with one. */
  readonly rspCode: string | null;
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
  /** The last IPN query sent, for POST /_sim/ipn/resend. */
  lastIpn: string | null;
  readonly refunds: SimRefund[];
  readonly ipnDeliveries: IpnDelivery[];
}

/** TxnRef must be unique per terminal within a Vietnam day (§1.2): the day of its vnp_CreateDate. */
export const orderKey = (txnRef: string, createDate: string): string => `${txnRef}@${createDate.slice(0, 8)}`;

export interface SimStore {
  readonly orders: Map<string, SimOrder>;
  readonly requestIds: Set<string>;
  behaviour: Partial<Behaviour>;
  readonly behaviourByReference: Map<string, Partial<Behaviour>>;
  readonly nextTransactionNo: () => string;
}

export const createStore = (): SimStore => {
  // Random start so two simulator runs do not hand out the same numbers (the file's DUPLICATE check).
  let lastTransactionNo = randomInt(10_000_000, 90_000_000);
  return {
    orders: new Map(),
    requestIds: new Set(),
    behaviour: {},
    behaviourByReference: new Map(),
    nextTransactionNo: () => {
      lastTransactionNo += 1;
      return String(lastTransactionNo);
    },
  };
};

/** The most recently opened payment with this TxnRef. */
export const latestOrder = (store: SimStore, txnRef: string): SimOrder | undefined =>
  [...store.orders.values()].findLast((order) => order.txnRef === txnRef);

export const behaviourFor = (store: SimStore, reference: string | null): Behaviour => ({
  ...DEFAULT_BEHAVIOUR,
  ...store.behaviour,
  ...(reference === null ? {} : store.behaviourByReference.get(reference)),
});

export const resetBehaviour = (store: SimStore): void => {
  store.behaviour = {};
  store.behaviourByReference.clear();
};

const IPN_MODES: ReadonlyArray<IpnMode> = ["normal", "duplicate", "delay", "drop"];
const ORDERS: ReadonlyArray<CallbackOrder> = ["ipn_first", "return_first"];
const API_MODES: ReadonlyArray<ApiMode> = ["normal", "unavailable", "slow"];
const REFUND_OUTCOMES: ReadonlyArray<"00" | "09"> = ["00", "09"];

/** At most ten minutes: a longer delay is a mistake in a test, not a scenario. */
const MAX_DELAY_MS = 600_000;

const oneOf =
  <T extends string>(allowed: ReadonlyArray<T>) =>
  (value: unknown): value is T =>
    typeof value === "string" && (allowed as ReadonlyArray<string>).includes(value);

const isBoolean = (value: unknown): value is boolean => typeof value === "boolean";
const isDelay = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_DELAY_MS;
const isAutoPay = (value: unknown): value is VnpayResponseCode | null =>
  value === null || (typeof value === "string" && isVnpayResponseCode(value));

const FIELD_CHECKS: Record<keyof Behaviour, (value: unknown) => boolean> = {
  ipn: oneOf(IPN_MODES),
  delayMs: isDelay,
  order: oneOf(ORDERS),
  autoPay: isAutoPay,
  tamperAmount: isBoolean,
  tamperSignature: isBoolean,
  api: oneOf(API_MODES),
  refundOutcome: oneOf(REFUND_OUTCOMES),
};

export interface BehaviourRequest {
  readonly reference: string | null;
  readonly patch: Partial<Behaviour>;
}

/** Reads a POST /_sim/behaviour body: `{reference?, ...some Behaviour fields}`. */
export const parseBehaviourRequest = (body: unknown): Checked<BehaviourRequest> => {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { ok: false, message: "the body must be a JSON object" };
  const { reference = null, ...fields } = body as Record<string, unknown>;
  if (reference !== null && (typeof reference !== "string" || reference === ""))
    return { ok: false, message: "reference must be a non-empty string" };
  const patch: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    const check = Object.hasOwn(FIELD_CHECKS, name) ? FIELD_CHECKS[name as keyof Behaviour] : undefined;
    if (check === undefined) return { ok: false, message: `unknown field ${name}` };
    if (!check(value)) return { ok: false, message: `invalid value for ${name}` };
    patch[name] = value;
  }
  return { ok: true, value: { reference, patch: patch as Partial<Behaviour> } };
};
