/**
 * The simulated merchant API (merchant-api.ts), POST …/merchant_webapi/api/transaction: querydr (§1.6) and refund
 * (§1.7), checked in the order format → merchant → checksum → RequestId → transaction, every answer
 * signed in its documented pipe order.
 */
import {
  readQueryRequest,
  readRefundRequest,
  signQueryResponse,
  signRefundResponse,
  VNPAY_QUERY_REQUEST_FIELDS,
  VNPAY_QUERY_RESPONSE_CODES,
  VNPAY_REFUND_REQUEST_FIELDS,
  VNPAY_REFUND_RESPONSE_CODES,
  type VnpayQueryResponse,
  type VnpayQueryResponseCode,
  type VnpayQueryResponseFields,
  type VnpayRefundResponse,
  type VnpayRefundResponseCode,
  type VnpayRefundResponseFields,
} from "./merchant-api.ts";
import { parseVnpayAmount, type VnpayMerchant } from "./protocol.ts";
import { orderKey, type SimOrder, type SimRefund, type SimStore } from "./simulator-state.ts";
import { formatVnpayDate, parseVnpayDate } from "./time.ts";

export interface ApiContext {
  readonly store: SimStore;
  readonly merchant: VnpayMerchant;
  readonly now: Date;
  readonly newResponseId: () => string;
  /** Where a refund of this payment ends after 05 → 06: 00 refunded, 09 rejected. */
  readonly refundOutcome: (order: SimOrder) => "00" | "09";
  /**
   * The tester asked for refunds to be refused: answered at once with 95 ("not refundable"), the
   * code VNPay gives a refund it will not make, so the merchant learns it from the answer itself.
   */
  readonly refuseAtOnce: (order: SimOrder) => boolean;
}

type Body = Readonly<Record<string, unknown>>;

const text = (body: Body, name: string): string => {
  const value = body[name];
  return typeof value === "string" ? value : "";
};

const hasAll = (body: Body, names: ReadonlyArray<string>): boolean =>
  names.every((name) => typeof body[name] === "string" && body[name] !== "");

/** RequestIds are at most 32 characters; dates are GMT+7 stamps (§1.6). */
const wellFormed = (body: Body, names: ReadonlyArray<string>): boolean =>
  hasAll(body, names) &&
  text(body, "vnp_RequestId").length <= 32 &&
  parseVnpayDate(text(body, "vnp_TransactionDate")) !== null &&
  parseVnpayDate(text(body, "vnp_CreateDate")) !== null;

const findOrder = (store: SimStore, body: Body): SimOrder | undefined =>
  store.orders.get(orderKey(text(body, "vnp_TxnRef"), text(body, "vnp_TransactionDate")));

/** A RequestId is spent only by a request that passed the checksum: forgeries cannot burn ids. */
const spendRequestId = (store: SimStore, requestId: string): boolean => {
  if (store.requestIds.has(requestId)) return false;
  store.requestIds.add(requestId);
  return true;
};

const emptyRefundFields = (body: Body, command: string): VnpayRefundResponseFields => ({
  vnp_ResponseId: "",
  vnp_Command: command,
  vnp_ResponseCode: "",
  vnp_Message: "",
  vnp_TmnCode: text(body, "vnp_TmnCode"),
  vnp_TxnRef: text(body, "vnp_TxnRef"),
  vnp_Amount: "",
  vnp_BankCode: "",
  vnp_PayDate: "",
  vnp_TransactionNo: "",
  vnp_TransactionType: "",
  vnp_TransactionStatus: "",
  vnp_OrderInfo: "",
});

const emptyQueryFields = (body: Body): VnpayQueryResponseFields => ({
  ...emptyRefundFields(body, "querydr"),
  vnp_PromotionCode: "",
  vnp_PromotionAmount: "",
});

/** The payment's state as querydr reports it; a pending refund moves one step per query (05 → 06 → final). */
const reportOrder = (order: SimOrder, context: ApiContext): Partial<VnpayQueryResponseFields> => {
  const { payment } = order;
  const refund = order.refunds.at(-1);
  const unpaidStatus = context.now > order.expiresAt ? "02" : "01";
  const report = {
    vnp_Amount: String(order.amount * 100),
    vnp_BankCode: payment?.bankCode ?? "",
    vnp_PayDate: payment === null ? "" : formatVnpayDate(payment.payDate),
    vnp_TransactionNo: payment?.transactionNo ?? "0",
    vnp_TransactionType: refund?.transactionType ?? "01",
    vnp_TransactionStatus: refund?.status ?? payment?.transactionStatus ?? unpaidStatus,
    vnp_OrderInfo: order.orderInfo,
  };
  if (refund !== undefined) advanceRefund(refund, context.refundOutcome(order), context.now);
  return report;
};

const advanceRefund = (refund: SimRefund, outcome: "00" | "09", now: Date): void => {
  if (refund.status === "05") refund.status = "06";
  else if (refund.status === "06") {
    refund.status = outcome;
    refund.completedAt = now;
  }
};

const answerQuery = (body: Body, context: ApiContext): VnpayQueryResponse => {
  const reply = (code: VnpayQueryResponseCode, fields: Partial<VnpayQueryResponseFields> = {}) =>
    signQueryResponse(
      {
        ...emptyQueryFields(body),
        vnp_ResponseId: context.newResponseId(),
        vnp_ResponseCode: code,
        vnp_Message: VNPAY_QUERY_RESPONSE_CODES[code],
        ...fields,
      },
      context.merchant.secret,
    );
  if (!wellFormed(body, VNPAY_QUERY_REQUEST_FIELDS)) return reply("03");
  if (text(body, "vnp_TmnCode") !== context.merchant.tmnCode) return reply("02");
  if (!readQueryRequest(body, context.merchant.secret).ok) return reply("97");
  if (!spendRequestId(context.store, text(body, "vnp_RequestId"))) return reply("94");
  const order = findOrder(context.store, body);
  if (order !== undefined) settleRefundsByTime(order, context);
  return order === undefined ? reply("91") : reply("00", reportOrder(order, context));
};

const refundedSoFar = (order: SimOrder): number =>
  order.refunds
    .filter((refund) => refund.status !== "09")
    .reduce((total, refund) => total + refund.amount, 0);

/** VNPay's back office finishes a refund by itself within moments in the sandbox (05 → 06 → final). */
const REFUND_STEP_MS = 300;

const settleRefundsByTime = (order: SimOrder, context: ApiContext): void => {
  for (const refund of order.refunds) {
    const age = context.now.getTime() - refund.createdAt.getTime();
    if (refund.status === "05" && age >= REFUND_STEP_MS) refund.status = "06";
    if (refund.status === "06" && age >= 2 * REFUND_STEP_MS) {
      refund.status = context.refundOutcome(order);
      refund.completedAt = context.now;
    }
  }
};

/** Why a refund cannot be taken, or null when it can. */
const refundRefusal = (order: SimOrder, type: string, amount: number): VnpayRefundResponseCode | null => {
  if (order.payment?.transactionStatus !== "00") return "95";
  if (order.refunds.some((refund) => refund.status === "05" || refund.status === "06")) return "94";
  const available = order.amount - refundedSoFar(order);
  // VNPay's own code for a refund beyond what is left is not public; 03 "bad format" stands in.
  if (amount > available || (type === "02" && amount !== available)) return "03";
  return null;
};

const answerRefund = (body: Body, context: ApiContext): VnpayRefundResponse => {
  const reply = (code: VnpayRefundResponseCode, fields: Partial<VnpayRefundResponseFields> = {}) =>
    signRefundResponse(
      {
        ...emptyRefundFields(body, "refund"),
        vnp_ResponseId: context.newResponseId(),
        vnp_ResponseCode: code,
        vnp_Message: VNPAY_REFUND_RESPONSE_CODES[code].message,
        ...fields,
      },
      context.merchant.secret,
    );
  const type = text(body, "vnp_TransactionType");
  const amount = parseVnpayAmount(text(body, "vnp_Amount"));
  if (
    !wellFormed(body, VNPAY_REFUND_REQUEST_FIELDS) ||
    (type !== "02" && type !== "03") ||
    amount === null ||
    amount === 0
  )
    return reply("03");
  if (text(body, "vnp_TmnCode") !== context.merchant.tmnCode) return reply("02");
  if (!readRefundRequest(body, context.merchant.secret).ok) return reply("97");
  if (!spendRequestId(context.store, text(body, "vnp_RequestId"))) return reply("94");
  const order = findOrder(context.store, body);
  if (order === undefined) return reply("91");
  settleRefundsByTime(order, context);
  const refusal = context.refuseAtOnce(order) ? "95" : refundRefusal(order, type, amount);
  if (refusal !== null) return reply(refusal);

  const refund: SimRefund = {
    requestId: text(body, "vnp_RequestId"),
    transactionType: type,
    amount,
    transactionNo: context.store.nextTransactionNo(),
    createdAt: context.now,
    status: "05",
    completedAt: null,
  };
  order.refunds.push(refund);
  return reply("00", {
    vnp_Amount: String(amount * 100),
    vnp_BankCode: order.payment?.bankCode ?? "",
    vnp_PayDate: formatVnpayDate(context.now),
    vnp_TransactionNo: refund.transactionNo,
    vnp_TransactionType: type,
    vnp_TransactionStatus: refund.status,
    vnp_OrderInfo: order.orderInfo,
  });
};

/** Answers one merchant API call; anything that is not a querydr or refund is a format error (03). */
export const answerMerchantApi = (
  body: unknown,
  context: ApiContext,
): VnpayQueryResponse | VnpayRefundResponse => {
  const record: Body =
    typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Body) : {};
  return text(record, "vnp_Command") === "refund"
    ? answerRefund(record, context)
    : answerQuery(record, context);
};
