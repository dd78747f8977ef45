/**
 * The OnePay simulator's memory: the payments opened on its page, what happened to them, the callbacks
 * it sent, and the fields it reports for them in the return, the IPN and queryDR (§6.2).
 */
import { randomInt } from "node:crypto";
import { vietnamBusinessDate } from "../../domain/vietnam-time.ts";
import type { ReconRow } from "../sdk/recon-file.ts";
import type { CallbackDelivery, CapturedCallback } from "../sdk/simulator-kit.ts";
import { BehaviourStore } from "../sdk/simulator-kit.ts";
import { ONEPAY_PAY_VERSION, ONEPAY_RESPONSE_CODES, type OnepayResponseCode } from "./protocol.ts";

/** What the citizen's bank did, once they chose an outcome on the page. */
export interface SimPayment {
  readonly responseCode: OnepayResponseCode;
  readonly transactionNo: string;
  /** vpc_AdditionData, the paying bank's BIN; none when the citizen cancelled before choosing a bank. */
  readonly bankCode: string;
  readonly paidAt: Date;
}

/** A payment opened on the simulated vpc.op page; one per vpc_MerchTxnRef. */
export interface SimOrder {
  readonly txnRef: string;
  readonly amount: number;
  readonly orderInfo: string;
  readonly locale: "vn" | "en";
  readonly returnUrl: string;
  /** vpc_CallbackURL as sent, kept for inspection: the IPN goes to the sandbox's configured IPN URL. */
  readonly callbackUrl: string | null;
  readonly ticketNo: string;
  /** vpc_SecureHash of the opening request: the same link opened again is recognised, not a reuse. */
  readonly requestHash: string;
  readonly createdAt: Date;
  payment: SimPayment | null;
  /** The last IPN sent (or that would have been sent, when dropped). */
  lastCallback: CapturedCallback | null;
  readonly deliveries: CallbackDelivery[];
}

export interface SimStore {
  readonly orders: Map<string, SimOrder>;
  readonly behaviours: BehaviourStore;
  readonly nextTransactionNo: () => string;
}

export const createStore = (): SimStore => {
  // Random start so two simulator runs do not hand out the same numbers (the file's DUPLICATE check).
  let last = randomInt(1_000_000, 9_000_000);
  return {
    orders: new Map(),
    behaviours: new BehaviourStore(),
    nextTransactionNo: () => {
      last += 1;
      return String(last);
    },
  };
};

/** The BIN the simulated bank reports in vpc_AdditionData (the Appendix vector's). */
export const SIM_BANK_BIN = "970436";

/** Records the outcome the citizen (or a test) chose. */
export const settle = (order: SimOrder, code: OnepayResponseCode, store: SimStore, now: Date): SimPayment => {
  const payment: SimPayment = {
    responseCode: code,
    transactionNo: store.nextTransactionNo(),
    bankCode: code === "99" ? "" : SIM_BANK_BIN,
    paidAt: now,
  };
  order.payment = payment;
  return payment;
};

const withoutEmpty = (fields: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== ""));

/** The return's and the IPN's fields (§6.2), unsigned; `amount` lets a test tamper with it. */
export const callbackFields = (
  order: SimOrder,
  payment: SimPayment,
  merchant: string,
  amount: number = order.amount,
): Record<string, string> =>
  withoutEmpty({
    vpc_AdditionData: payment.bankCode,
    vpc_Amount: String(amount * 100),
    vpc_Command: "pay",
    vpc_CurrencyCode: "VND",
    vpc_Locale: order.locale,
    vpc_MerchTxnRef: order.txnRef,
    vpc_Merchant: merchant,
    vpc_Message: ONEPAY_RESPONSE_CODES[payment.responseCode].text.en,
    vpc_OrderInfo: order.orderInfo,
    vpc_TransactionNo: payment.transactionNo,
    vpc_TxnResponseCode: payment.responseCode,
    vpc_Version: ONEPAY_PAY_VERSION,
  });

/** queryDR's fields for an order (§6.2): the payment's result, or 100 "not yet paid" while it is open [T]. */
export const queryDrFields = (order: SimOrder, merchant: string): Record<string, string> => {
  const base = { vpc_Command: "queryDR", vpc_DRExists: "Y" };
  if (order.payment !== null) return { ...callbackFields(order, order.payment, merchant), ...base };
  return withoutEmpty({
    ...base,
    vpc_Amount: String(order.amount * 100),
    vpc_CurrencyCode: "VND",
    vpc_MerchTxnRef: order.txnRef,
    vpc_Merchant: merchant,
    vpc_Message: ONEPAY_RESPONSE_CODES["100"].text.en,
    vpc_OrderInfo: order.orderInfo,
    vpc_TxnResponseCode: "100",
  });
};

/** The dossier code inside vpc_OrderInfo, in the national form `000.00.00.H01-240815-0001`. */
const dossierCodeOf = (orderInfo: string): string => /[0-9A-Za-z.]+-\d{6}-\d{4}/.exec(orderInfo)?.[0] ?? "";

/** The D rows of one Vietnam day: every payment the simulated banks concluded that day (§11). */
export const reconRows = (store: SimStore, businessDate: string): ReconRow[] => {
  const rows: ReconRow[] = [];
  for (const order of store.orders.values()) {
    const { payment } = order;
    if (payment === null || vietnamBusinessDate(payment.paidAt) !== businessDate) continue;
    rows.push({
      txnType: "PAYMENT",
      merchantRef: order.txnRef,
      providerTxnId: payment.transactionNo,
      originalProviderTxnId: "",
      amount: order.amount,
      fee: 0,
      currency: "VND",
      createdAt: order.createdAt,
      completedAt: payment.paidAt,
      channel: payment.bankCode,
      status: payment.responseCode === "0" ? "SUCCESS" : "FAILED",
      providerStatusCode: payment.responseCode,
      payerMasked: "",
      dossierCode: dossierCodeOf(order.orderInfo),
    });
  }
  return rows.sort((a, b) => a.completedAt.getTime() - b.completedAt.getTime());
};
