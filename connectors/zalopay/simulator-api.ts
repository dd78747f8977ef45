/**
 * The simulated ZaloPay server APIs: /v2/create, /v2/query, /v2/refund and /v2/query_refund, checked
 * in the order fields → app → mac (key1) → content, and answered with ZaloPay's codes (§3.2, §3.4).
 * Where ZaloPay's own code for a case is not public the simulator says so in sub_return_message.
 */
import {
  queryMacData,
  queryRefundMacData,
  refundMacData,
  ZALOPAY_REQUEST_CODES,
  type ZalopayPaymentFailureCode,
  type ZalopayRequestCode,
} from "./merchant-api.ts";
import {
  createMacData,
  hmacSha256Hex,
  isJsonObject,
  MAX_APP_TRANS_ID_LENGTH,
  MAX_EXPIRE_SECONDS,
  MIN_EXPIRE_SECONDS,
  macsMatch,
  parseJson,
  vietnamYymmdd,
  type ZalopayMerchant,
} from "./protocol.ts";
import {
  orderCodeOf,
  orderOfTransaction,
  refundedSoFar,
  type SimOrder,
  type SimRefund,
  type SimStore,
} from "./simulator-state.ts";

/** A request's fields as text, whether it came form-encoded or as JSON. */
export type Fields = Readonly<Record<string, string>>;

export interface ApiContext {
  readonly store: SimStore;
  readonly merchant: ZalopayMerchant;
  readonly now: Date;
  /** The order page's absolute URL for an order token. */
  readonly orderUrl: (token: string) => string;
  readonly newToken: () => string;
  /** Whether a refund of this order is to be refused (the kit's `refund` behaviour). */
  readonly refundRefused: (order: SimOrder) => boolean;
}

/** How far app_time may be from ZaloPay's clock (§3.2: "not more than 15 minutes"). */
export const APP_TIME_WINDOW_MS = 15 * 60 * 1000;
/** An order without expire_duration_seconds stays payable about 15 minutes (§3.2 [C/U]). */
export const DEFAULT_ORDER_LIFETIME_MS = 15 * 60 * 1000;

/**
 * sub_return_code of a declined payment. ZaloPay's own decline codes are not in §3; the simulator's
 * stand-in is a negative number outside every documented table, so it reads as "failed" (§3.4).
 */
export const SIM_DECLINED_CODE = -2;
/** ZaloPay's own codes for an order that expired unpaid and for a payer who cancelled. */
export const EXPIRED_CODE: ZalopayPaymentFailureCode = -54;
export const CANCELLED_CODE: ZalopayPaymentFailureCode = -329;

type Answer = Record<string, unknown>;

const MESSAGES = { 1: "Giao dịch thành công", 2: "Giao dịch thất bại", 3: "Giao dịch đang xử lý" } as const;

const answer = (
  returnCode: 1 | 2 | 3,
  subReturnCode: number,
  subMessage: string,
  extra: Answer = {},
): Answer => ({
  return_code: returnCode,
  return_message: MESSAGES[returnCode],
  sub_return_code: subReturnCode,
  sub_return_message: subMessage,
  ...extra,
});

/** A refusal of the request itself: return_code 2 with the request-level sub code. */
const requestRefusal = (code: ZalopayRequestCode, detail: string): Answer =>
  answer(2, code, `${ZALOPAY_REQUEST_CODES[code].name}: ${detail}`);

const isInteger = (text: string | undefined): boolean => text !== undefined && /^-?\d{1,15}$/.test(text);
const isHttpUrl = (text: string): boolean =>
  URL.canParse(text) && ["http:", "https:"].includes(new URL(text).protocol);

const missing = (fields: Fields, names: ReadonlyArray<string>): string | undefined =>
  names.find((name) => fields[name] === undefined || (name !== "bank_code" && fields[name] === ""));

/** The app and key1 check every API starts with; null when both are right. */
const authenticate = (fields: Fields, context: ApiContext, macData: string): Answer | null => {
  if (fields.app_id !== String(context.merchant.appId)) return requestRefusal(-402, "app_id không hợp lệ");
  if (!macsMatch(hmacSha256Hex(context.merchant.key1, macData), fields.mac ?? ""))
    return requestRefusal(-402, "mac không hợp lệ");
  return null;
};

const CREATE_REQUIRED = [
  "app_id",
  "app_user",
  "app_trans_id",
  "app_time",
  "amount",
  "item",
  "embed_data",
  "description",
  "mac",
] as const;

/** Why a create order's content is refused (-401), or null. */
const createContentError = (fields: Fields, now: Date): string | null => {
  const appTransId = fields.app_trans_id ?? "";
  if (!isInteger(fields.app_time)) return "app_time phải là số mili giây";
  const appTime = new Date(Number(fields.app_time));
  if (Math.abs(now.getTime() - appTime.getTime()) > APP_TIME_WINDOW_MS) return "app_time lệch quá 15 phút";
  // The prefix is checked against app_time's Vietnam date, so an order made at 23:59:59 stays valid.
  if (appTransId.length > MAX_APP_TRANS_ID_LENGTH || !appTransId.startsWith(`${vietnamYymmdd(appTime)}_`))
    return "app_trans_id phải bắt đầu bằng yymmdd_ (giờ Việt Nam) và dài tối đa 40 ký tự";
  if (!isInteger(fields.amount) || Number(fields.amount) <= 0) return "amount không hợp lệ";
  const embed = parseJson(fields.embed_data ?? "");
  if (!embed.ok || !isJsonObject(embed.value)) return "embed_data phải là một đối tượng JSON";
  const redirect = embed.value.redirecturl;
  if (redirect !== undefined && (typeof redirect !== "string" || !isHttpUrl(redirect)))
    return "embed_data.redirecturl không hợp lệ";
  const item = parseJson(fields.item ?? "");
  if (!item.ok || !Array.isArray(item.value)) return "item phải là một mảng JSON";
  const expire = fields.expire_duration_seconds;
  if (
    expire !== undefined &&
    (!isInteger(expire) || Number(expire) < MIN_EXPIRE_SECONDS || Number(expire) > MAX_EXPIRE_SECONDS)
  )
    return "expire_duration_seconds phải từ 300 đến 2592000";
  if ((fields.description ?? "").length > 256) return "description dài tối đa 256 ký tự";
  if ((fields.app_user ?? "").length > 50) return "app_user dài tối đa 50 ký tự";
  if (fields.callback_url !== undefined && fields.callback_url !== "" && !isHttpUrl(fields.callback_url))
    return "callback_url không hợp lệ";
  return null;
};

/** POST /v2/create: the order, or ZaloPay's refusal. */
export const answerCreate = (fields: Fields, context: ApiContext): Answer => {
  const absent = missing(fields, CREATE_REQUIRED);
  if (absent !== undefined) return requestRefusal(-401, `thiếu ${absent}`);
  const macFields = {
    app_id: fields.app_id ?? "",
    app_trans_id: fields.app_trans_id ?? "",
    app_user: fields.app_user ?? "",
    amount: fields.amount ?? "",
    app_time: fields.app_time ?? "",
    embed_data: fields.embed_data ?? "",
    item: fields.item ?? "",
  };
  const denied = authenticate(fields, context, createMacData(macFields));
  if (denied !== null) return denied;
  const content = createContentError(fields, context.now);
  if (content !== null) return requestRefusal(-401, content);
  if (context.store.orders.has(macFields.app_trans_id)) return requestRefusal(-68, "app_trans_id đã tồn tại");

  const appTime = new Date(Number(macFields.app_time));
  const lifetime =
    fields.expire_duration_seconds === undefined
      ? DEFAULT_ORDER_LIFETIME_MS
      : Number(fields.expire_duration_seconds) * 1000;
  const embed = parseJson(macFields.embed_data);
  const redirect = embed.ok && isJsonObject(embed.value) ? embed.value.redirecturl : undefined;
  const order: SimOrder = {
    appTransId: macFields.app_trans_id,
    orderCode: orderCodeOf(macFields.app_trans_id),
    appTime,
    appUser: macFields.app_user,
    amount: Number(macFields.amount),
    description: fields.description ?? "",
    embedData: macFields.embed_data,
    item: macFields.item,
    redirectUrl: typeof redirect === "string" ? redirect : null,
    callbackUrl: fields.callback_url ?? "",
    zpTransToken: context.newToken(),
    orderToken: context.newToken(),
    createdAt: context.now,
    expiresAt: new Date(appTime.getTime() + lifetime),
    payment: null,
    callback: null,
    deliveries: [],
    refunds: [],
  };
  context.store.orders.set(order.appTransId, order);
  context.store.byToken.set(order.zpTransToken, order);
  return answer(1, 1, MESSAGES[1], {
    zp_trans_token: order.zpTransToken,
    order_url: context.orderUrl(order.zpTransToken),
    order_token: order.orderToken,
  });
};

/** The query's view of an order (§3.4): 1 paid, 2 failed/cancelled/expired, 3 not paid yet. */
export const orderStatus = (order: SimOrder, now: Date): Answer => {
  const { payment } = order;
  const common = { is_processing: false, amount: order.amount, discount_amount: 0 };
  if (payment === null)
    return now > order.expiresAt
      ? answer(2, EXPIRED_CODE, "Giao dịch hết hạn", { ...common, zp_trans_id: 0 })
      : answer(3, 3, "Đơn hàng chưa thanh toán", { ...common, zp_trans_id: 0 });
  if (payment.outcome === "success")
    return answer(1, 1, MESSAGES[1], { ...common, zp_trans_id: Number(payment.zpTransId) });
  return answer(
    2,
    payment.status,
    payment.outcome === "cancel" ? "Người dùng hủy giao dịch" : "Giao dịch bị từ chối (mô phỏng)",
    { ...common, zp_trans_id: 0 },
  );
};

/** POST /v2/query. */
export const answerQuery = (fields: Fields, context: ApiContext): Answer => {
  const absent = missing(fields, ["app_id", "app_trans_id", "mac"]);
  if (absent !== undefined) return requestRefusal(-401, `thiếu ${absent}`);
  const denied = authenticate(
    fields,
    context,
    queryMacData(fields.app_id ?? "", fields.app_trans_id ?? "", context.merchant.key1),
  );
  if (denied !== null) return denied;
  const order = context.store.orders.get(fields.app_trans_id ?? "");
  // ZaloPay's answer for an app_trans_id it never saw is not public: the simulator calls it bad data.
  if (order === undefined) return requestRefusal(-401, "app_trans_id không tồn tại (mô phỏng)");
  return orderStatus(order, context.now);
};

const REFUND_REQUIRED = ["app_id", "m_refund_id", "zp_trans_id", "amount", "timestamp", "description", "mac"];

const refundAnswer = (refund: SimRefund): Answer => {
  const extra = { refund_id: Number(refund.refundId) };
  if (refund.state === "processing") return answer(3, 3, "Đang hoàn tiền", extra);
  return refund.state === "succeeded"
    ? answer(1, 1, "Hoàn tiền thành công", extra)
    : answer(2, SIM_DECLINED_CODE, "Hoàn tiền bị từ chối (mô phỏng)", extra);
};

/** POST /v2/refund: refunds are asynchronous, so an accepted one is "processing" (3) at first (§3.4). */
export const answerRefund = (fields: Fields, context: ApiContext): Answer => {
  const absent = missing(fields, REFUND_REQUIRED);
  if (absent !== undefined) return requestRefusal(-401, `thiếu ${absent}`);
  const denied = authenticate(
    fields,
    context,
    refundMacData({
      app_id: fields.app_id ?? "",
      zp_trans_id: fields.zp_trans_id ?? "",
      amount: fields.amount ?? "",
      ...(fields.refund_fee_amount === undefined ? {} : { refund_fee_amount: fields.refund_fee_amount }),
      description: fields.description ?? "",
      timestamp: fields.timestamp ?? "",
    }),
  );
  if (denied !== null) return denied;
  const mRefundId = fields.m_refund_id ?? "";
  const amount = Number(fields.amount);
  const expectedPrefix = new RegExp(`^\\d{6}_${context.merchant.appId}_.+$`);
  if (!expectedPrefix.test(mRefundId))
    return requestRefusal(-401, "m_refund_id phải có dạng yymmdd_appid_xxx");
  if (!isInteger(fields.amount) || amount <= 0 || !isInteger(fields.timestamp))
    return requestRefusal(-401, "amount hoặc timestamp không hợp lệ");

  const known = context.store.refunds.get(mRefundId);
  if (known !== undefined) {
    // The same refund sent again is answered with its state; another one under the same id is refused.
    const same = known.order.payment?.zpTransId === fields.zp_trans_id && known.refund.amount === amount;
    return same ? refundAnswer(known.refund) : requestRefusal(-401, "m_refund_id đã được dùng");
  }
  const order = orderOfTransaction(context.store, fields.zp_trans_id ?? "");
  if (order === undefined || order.payment?.outcome !== "success")
    return requestRefusal(-401, "zp_trans_id không tồn tại hoặc chưa thanh toán (mô phỏng)");
  if (amount > order.amount - refundedSoFar(order))
    return requestRefusal(-401, "số tiền hoàn vượt quá số tiền còn lại (mô phỏng)");

  const refund: SimRefund = {
    mRefundId,
    refundId: context.store.nextRefundId(context.now),
    amount,
    description: fields.description ?? "",
    createdAt: context.now,
    ending: context.refundRefused(order) ? "failed" : "succeeded",
    state: "processing",
    queries: 0,
    completedAt: null,
  };
  order.refunds.push(refund);
  context.store.refunds.set(mRefundId, { order, refund });
  return refundAnswer(refund);
};

/** POST /v2/query_refund: the first query still sees "processing", the second the refund's end. */
export const answerQueryRefund = (fields: Fields, context: ApiContext): Answer => {
  const absent = missing(fields, ["app_id", "m_refund_id", "timestamp", "mac"]);
  if (absent !== undefined) return requestRefusal(-401, `thiếu ${absent}`);
  const denied = authenticate(
    fields,
    context,
    queryRefundMacData(fields.app_id ?? "", fields.m_refund_id ?? "", fields.timestamp ?? ""),
  );
  if (denied !== null) return denied;
  const known = context.store.refunds.get(fields.m_refund_id ?? "");
  if (known === undefined) return requestRefusal(-401, "m_refund_id không tồn tại (mô phỏng)");
  const { refund } = known;
  if (refund.state === "processing") {
    refund.queries += 1;
    if (refund.queries >= 2) {
      refund.state = refund.ending;
      refund.completedAt = context.now;
    }
  }
  return refundAnswer(refund);
};
