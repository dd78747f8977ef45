/**
 * The simulated gateway API under /v2/gateway/api/: create (§2.2), query, refund (§2.6) and the refund
 * query (§2.1 [T]). Every request is checked in the order format → partner → signature → requestId →
 * the operation, and answered the way MoMo answers: a JSON body with resultCode and message (in the
 * request's lang), HTTP 400 for a request MoMo cannot take as such, 200 otherwise.
 */
import type { Locale } from "../sdk/contract.ts";
import { type MomoRefundLine, querySignedValues, refundSignedValues } from "./gateway-api.ts";
import {
  checkAmount,
  createSignedValues,
  isHttpUrl,
  isIpnUrl,
  isMomoOrderId,
  isMomoRequestId,
  MOMO_CREATE_FIELDS,
  MOMO_QUERY_FIELDS,
  MOMO_REFUND_FIELDS,
  MOMO_RESULT_CODES,
  type MomoMerchant,
  type MomoResultCode,
  maskedRawSignature,
  momoMessage,
  parseAmount,
  parseTransId,
  type SignedFields,
  signaturesMatch,
  signFields,
  textOf,
} from "./protocol.ts";
import {
  orderByTransId,
  orderIdTaken,
  orderResultCode,
  refundedSoFar,
  type SimOrder,
  type SimRefund,
  type SimStore,
} from "./simulator-state.ts";

export interface ApiContext {
  readonly store: SimStore;
  readonly merchant: MomoMerchant;
  readonly now: Date;
  /** Absolute URL of the simulator's mount point, for payUrls ("http://127.0.0.1:3001/momo"). */
  readonly baseUrl: string;
  /** How long a created order stays payable. */
  readonly orderLifetimeMs: number;
}

export interface ApiAnswer {
  readonly status: 200 | 400;
  readonly body: Readonly<Record<string, unknown>>;
}

type Body = Readonly<Record<string, unknown>>;

type Operation = "create" | "query" | "refund" | "refundQuery";

/** The fields each operation requires, as text (MoMo's numbers are read as the digits sent). */
const REQUIRED: Record<Operation, ReadonlyArray<string>> = {
  create: [
    "partnerCode",
    "requestId",
    "amount",
    "orderId",
    "orderInfo",
    "redirectUrl",
    "ipnUrl",
    "requestType",
    "extraData",
    "signature",
  ],
  query: ["partnerCode", "requestId", "orderId", "signature"],
  refund: ["partnerCode", "orderId", "requestId", "amount", "transId", "description", "signature"],
  refundQuery: ["partnerCode", "requestId", "orderId", "signature"],
};

/** Fields whose empty value is legitimate (§2.2: extraData ""). */
const MAY_BE_EMPTY = new Set(["extraData", "description"]);

const text = (body: Body, name: string): string => textOf(body[name]) ?? "";

const langOf = (body: Body): Locale => (text(body, "lang") === "en" ? "en" : "vi");

/** 21/22/20/13/11... are answered with HTTP 400: MoMo could not take the request as such [U]. */
const statusOf = (resultCode: MomoResultCode): 200 | 400 =>
  MOMO_RESULT_CODES[resultCode].kind === "rejected_request" ? 400 : 200;

/** MoMo's answer envelope: the request's identifiers echoed, the code, its message, the time. */
const answer = (
  body: Body,
  context: ApiContext,
  resultCode: MomoResultCode,
  extra: Record<string, unknown> = {},
  message = momoMessage(resultCode, langOf(body)),
): ApiAnswer => ({
  status: statusOf(resultCode),
  body: {
    partnerCode: text(body, "partnerCode"),
    orderId: text(body, "orderId"),
    requestId: text(body, "requestId"),
    ...extra,
    resultCode,
    message,
    responseTime: context.now.getTime(),
  },
});

/** 20 naming the offending fields in subErrors, as MoMo does. */
const badFormat = (body: Body, context: ApiContext, fields: ReadonlyArray<string>, why: string): ApiAnswer =>
  answer(body, context, 20, { subErrors: fields.map((field) => ({ field, message: why })) });

const SIGNED: Record<Operation, (body: Body, accessKey: string) => SignedFields<ReadonlyArray<string>>> = {
  create: (body, accessKey) =>
    createSignedValues(
      {
        partnerCode: text(body, "partnerCode"),
        requestId: text(body, "requestId"),
        amount: Number(text(body, "amount")),
        orderId: text(body, "orderId"),
        orderInfo: text(body, "orderInfo"),
        redirectUrl: text(body, "redirectUrl"),
        ipnUrl: text(body, "ipnUrl"),
        requestType: text(body, "requestType") as "captureWallet",
        extraData: text(body, "extraData"),
      },
      accessKey,
    ),
  query: (body, accessKey) =>
    querySignedValues(
      {
        partnerCode: text(body, "partnerCode"),
        requestId: text(body, "requestId"),
        orderId: text(body, "orderId"),
      },
      accessKey,
    ),
  refund: (body, accessKey) =>
    refundSignedValues(
      {
        partnerCode: text(body, "partnerCode"),
        orderId: text(body, "orderId"),
        requestId: text(body, "requestId"),
        description: text(body, "description"),
        amount: text(body, "amount"),
        transId: text(body, "transId"),
      },
      accessKey,
    ),
  refundQuery: (body, accessKey) =>
    querySignedValues(
      {
        partnerCode: text(body, "partnerCode"),
        requestId: text(body, "requestId"),
        orderId: text(body, "orderId"),
      },
      accessKey,
    ),
};

const FIELD_ORDER: Record<Operation, ReadonlyArray<string>> = {
  create: MOMO_CREATE_FIELDS,
  query: MOMO_QUERY_FIELDS,
  refund: MOMO_REFUND_FIELDS,
  refundQuery: MOMO_QUERY_FIELDS,
};

/**
 * The checks every operation shares, then the operation itself. A request refused before its
 * signature is checked never spends its requestId: a forgery cannot burn a merchant's ids.
 */
const handle = (
  operation: Operation,
  body: Body | null,
  context: ApiContext,
  run: (body: Body) => ApiAnswer,
): ApiAnswer => {
  if (body === null) return badFormat({}, context, ["body"], "the body must be a JSON object");
  const missing = REQUIRED[operation].filter(
    (name) => textOf(body[name]) === null || (text(body, name) === "" && !MAY_BE_EMPTY.has(name)),
  );
  if (missing.length > 0) return badFormat(body, context, missing, "required");
  const lang = textOf(body.lang);
  if (lang !== null && lang !== "vi" && lang !== "en")
    return badFormat(body, context, ["lang"], "must be vi or en");
  if (!isMomoRequestId(text(body, "requestId")))
    return badFormat(body, context, ["requestId"], "at most 50 printable characters");
  if (!isMomoOrderId(text(body, "orderId")))
    return badFormat(body, context, ["orderId"], "must match ^[0-9a-zA-Z]([-_.]*[0-9a-zA-Z]+)*$");
  if (text(body, "partnerCode") !== context.merchant.partnerCode) return answer(body, context, 13);

  const order = FIELD_ORDER[operation];
  const values = SIGNED[operation](body, context.merchant.accessKey);
  const signature = text(body, "signature");
  if (!signaturesMatch(signFields(order, values, context.merchant.secretKey), signature))
    return answer(
      body,
      context,
      20,
      { subErrors: [{ field: "signature", message: "signature does not match" }] },
      // MoMo echoes its own raw string, accessKey masked, to diff against the merchant's (§2.3).
      `${momoMessage(20, langOf(body))} Wrong signature; raw data: ${maskedRawSignature(order, values)}`,
    );

  const requestId = text(body, "requestId");
  const previous = context.store.answered.get(requestId);
  if (previous !== undefined)
    return previous.final && previous.signature === signature.toLowerCase()
      ? { status: previous.status as 200 | 400, body: previous.body }
      : answer(body, context, 40);
  const result = run(body);
  const resultCode = result.body.resultCode as MomoResultCode;
  context.store.answered.set(requestId, {
    signature: signature.toLowerCase(),
    status: result.status,
    body: result.body,
    final: MOMO_RESULT_CODES[resultCode].final,
  });
  return result;
};

const createOrder = (body: Body, context: ApiContext): ApiAnswer => {
  const amountText = text(body, "amount");
  const amount = parseAmount(amountText);
  if (amount === null) return answer(body, context, 21);
  if (!checkAmount(amount).ok) return answer(body, context, 22);
  if (text(body, "requestType") !== "captureWallet")
    return badFormat(body, context, ["requestType"], "the simulator offers captureWallet only");
  if (!isIpnUrl(text(body, "ipnUrl")))
    return badFormat(body, context, ["ipnUrl"], "an http(s) URL without query string, spaces or unicode");
  if (!isHttpUrl(text(body, "redirectUrl")))
    return badFormat(body, context, ["redirectUrl"], "an http(s) URL");
  const orderId = text(body, "orderId");
  if (orderIdTaken(context.store, orderId)) return answer(body, context, 41);

  const order: SimOrder = {
    orderId,
    requestId: text(body, "requestId"),
    amount,
    orderInfo: text(body, "orderInfo"),
    extraData: text(body, "extraData"),
    ipnUrl: text(body, "ipnUrl"),
    redirectUrl: text(body, "redirectUrl"),
    lang: langOf(body),
    createdAt: context.now,
    expiresAt: new Date(context.now.getTime() + context.orderLifetimeMs),
    token: context.store.newToken(),
    payment: null,
    refunds: [],
    lastCallback: null,
    deliveries: [],
  };
  context.store.orders.set(orderId, order);
  context.store.byToken.set(order.token, order);
  const payUrl = `${context.baseUrl}/v2/gateway/pay?t=${order.token}`;
  return answer(body, context, 0, {
    amount,
    payUrl,
    // What MoMo's app would open, and the content of the QR code on the page.
    deeplink: `momo://app?action=payWithApp&t=${order.token}`,
    qrCodeUrl: `momo://app?action=payWithQR&t=${order.token}`,
  });
};

const refundLine = (refund: SimRefund): MomoRefundLine => ({
  orderId: refund.orderId,
  amount: refund.amount,
  resultCode: refund.resultCode,
  transId: refund.transId === null ? 0 : Number(refund.transId),
  createdTime: refund.at.getTime(),
});

const queryOrder = (body: Body, context: ApiContext): ApiAnswer => {
  const order = context.store.orders.get(text(body, "orderId"));
  if (order === undefined) return answer(body, context, 42);
  const { payment } = order;
  return answer(body, context, orderResultCode(order, context.now), {
    extraData: order.extraData,
    amount: order.amount,
    transId: payment === null ? 0 : Number(payment.transId),
    payType: payment?.payType ?? "",
    lastUpdated: (payment?.at ?? order.createdAt).getTime(),
    refundTrans: order.refunds.map(refundLine),
  });
};

/** Where a refund ends: refused by the tester, not a paid order (1088), more than is left (1081), or taken. */
const refundOutcome = (order: SimOrder, amount: number, refuse: boolean): MomoResultCode => {
  if (refuse || order.payment?.resultCode !== 0) return 1088;
  if (amount > order.amount - refundedSoFar(order)) return 1081;
  return 0;
};

const refundOrder = (body: Body, context: ApiContext, refuse: (order: SimOrder) => boolean): ApiAnswer => {
  const amount = parseAmount(text(body, "amount"));
  if (amount === null) return answer(body, context, 21);
  if (!checkAmount(amount).ok) return answer(body, context, 22);
  const orderId = text(body, "orderId");
  if (orderIdTaken(context.store, orderId)) return answer(body, context, 41);
  const transId = parseTransId(text(body, "transId"));
  const order = transId === null ? undefined : orderByTransId(context.store, transId);
  // MoMo's code for an unknown transId is not public; 42 "invalid or unknown" stands in [U].
  if (order === undefined) return answer(body, context, 42);

  const resultCode = refundOutcome(order, amount, refuse(order));
  const refund: SimRefund = {
    orderId,
    requestId: text(body, "requestId"),
    amount,
    transId: resultCode === 0 ? context.store.nextTransId() : null,
    description: text(body, "description"),
    resultCode,
    at: context.now,
  };
  order.refunds.push(refund);
  context.store.refundOrderIds.add(orderId);
  return answer(body, context, resultCode, {
    amount,
    transId: refund.transId === null ? 0 : Number(refund.transId),
  });
};

const queryRefunds = (body: Body, context: ApiContext): ApiAnswer => {
  const order = context.store.orders.get(text(body, "orderId"));
  if (order === undefined) return answer(body, context, 42);
  return answer(body, context, 0, { refundTrans: order.refunds.map(refundLine) });
};

/** POST /v2/gateway/api/create */
export const answerCreate = (body: Body | null, context: ApiContext): ApiAnswer =>
  handle("create", body, context, (b) => createOrder(b, context));

/** POST /v2/gateway/api/query */
export const answerQuery = (body: Body | null, context: ApiContext): ApiAnswer =>
  handle("query", body, context, (b) => queryOrder(b, context));

/** POST /v2/gateway/api/refund; `refuse` says whether the tester told the simulator to refuse it. */
export const answerRefund = (
  body: Body | null,
  context: ApiContext,
  refuse: (order: SimOrder) => boolean,
): ApiAnswer => handle("refund", body, context, (b) => refundOrder(b, context, refuse));

/** POST /v2/gateway/api/refund/query: the refunds of a payment, by the payment's orderId [T/U]. */
export const answerRefundQuery = (body: Body | null, context: ApiContext): ApiAnswer =>
  handle("refundQuery", body, context, (b) => queryRefunds(b, context));
