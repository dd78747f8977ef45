/**
 * The simulated payment page's rules: which requests it refuses (§1.8), and what a chosen outcome
 * records and sends back (§1.4).
 */
import type { LocalizedText } from "../sdk/contract.ts";
import {
  readVnpayParams,
  secureHashValid,
  type VnpayMerchant,
  type VnpayParams,
  type VnpayResponseCode,
  type VnpayTransactionStatus,
} from "./protocol.ts";
import { orderKey, type SimOrder, type SimPayment, type SimStore } from "./simulator-state.ts";
import { formatVnpayDate, parseVnpayDate } from "./time.ts";

/** Why the page refused a request: a stable reason for tests, the words for the citizen. */
export interface PageError {
  readonly reason: string;
  readonly text: LocalizedText;
}

export type OpenResult =
  | { readonly ok: true; readonly order: SimOrder }
  | { readonly ok: false; readonly error: PageError; readonly locale: "vn" | "en" };

const REQUIRED = [
  "vnp_Version",
  "vnp_Command",
  "vnp_TmnCode",
  "vnp_Amount",
  "vnp_CreateDate",
  "vnp_ExpireDate",
  "vnp_CurrCode",
  "vnp_IpAddr",
  "vnp_Locale",
  "vnp_OrderInfo",
  "vnp_OrderType",
  "vnp_ReturnUrl",
  "vnp_TxnRef",
  "vnp_SecureHash",
] as const;

/**
 * Only "Sai chữ ký" is VNPay's own wording (§1.5); VNPay's other error-page texts and codes are not
 * public, so these are the simulator's.
 */
export const PAGE_ERRORS = {
  malformed: { vi: "Yêu cầu thanh toán không hợp lệ", en: "Invalid payment request" },
  unknownTerminal: { vi: "Mã website (vnp_TmnCode) không tồn tại", en: "Unknown terminal (vnp_TmnCode)" },
  invalidSignature: { vi: "Sai chữ ký", en: "Invalid signature" },
  invalidAmount: { vi: "Số tiền không hợp lệ", en: "Invalid amount" },
  invalidCreateDate: { vi: "Thời gian tạo giao dịch không hợp lệ", en: "Invalid vnp_CreateDate" },
  expired: { vi: "Giao dịch đã quá thời gian chờ thanh toán", en: "The payment link has expired" },
  duplicateReference: { vi: "Mã giao dịch đã tồn tại trong ngày", en: "vnp_TxnRef already used today" },
  alreadyProcessed: { vi: "Giao dịch đã được xử lý", en: "This payment has already been processed" },
  notFound: { vi: "Không tìm thấy giao dịch", en: "Payment not found" },
  invalidOutcome: { vi: "Kết quả giao dịch không hợp lệ", en: "Invalid outcome" },
  internal: { vi: "Lỗi hệ thống", en: "System error" },
} satisfies Record<string, LocalizedText>;

export type PageErrorReason = keyof typeof PAGE_ERRORS;

export const pageError = (reason: PageErrorReason, detail?: string): PageError => {
  const text = PAGE_ERRORS[reason];
  return {
    reason,
    text: detail === undefined ? text : { vi: `${text.vi}: ${detail}`, en: `${text.en}: ${detail}` },
  };
};

const isHttpUrl = (text: string): boolean =>
  URL.canParse(text) && ["http:", "https:"].includes(new URL(text).protocol);

/**
 * Validates GET vpcpay.html as §1.8 asks, and records the payment. The same signed link opened again
 * while unpaid shows the page again; any other request reusing the TxnRef that day is refused.
 */
export const openPayment = (
  query: URLSearchParams,
  store: SimStore,
  merchant: VnpayMerchant,
  now: Date,
): OpenResult => {
  const read = readVnpayParams(query);
  const locale = query.get("vnp_Locale") === "en" ? "en" : "vn";
  const fail = (reason: PageErrorReason, detail?: string): OpenResult => ({
    ok: false,
    error: pageError(reason, detail),
    locale,
  });
  if (!read.ok) return fail("malformed", read.message);
  const p = read.value;
  const missing = REQUIRED.find((name) => (p[name] ?? "") === "");
  if (missing !== undefined) return fail("malformed", `${missing} is missing`);
  const field = (name: (typeof REQUIRED)[number]): string => p[name] ?? "";

  if (field("vnp_TmnCode") !== merchant.tmnCode) return fail("unknownTerminal");
  if (!secureHashValid(p, merchant.secret)) return fail("invalidSignature");
  if (field("vnp_Version") !== "2.1.0" || field("vnp_Command") !== "pay" || field("vnp_CurrCode") !== "VND")
    return fail("malformed", "vnp_Version 2.1.0, vnp_Command pay and vnp_CurrCode VND are expected");
  if (field("vnp_Locale") !== "vn" && field("vnp_Locale") !== "en")
    return fail("malformed", "vnp_Locale must be vn or en");
  // At least 3 digits (§1.8, [U]) and a whole number of đồng once divided by 100.
  const amountText = field("vnp_Amount");
  if (!/^\d{3,12}$/.test(amountText) || Number(amountText) % 100 !== 0 || Number(amountText) === 0)
    return fail("invalidAmount");
  const createdAt = parseVnpayDate(field("vnp_CreateDate"));
  if (createdAt === null) return fail("invalidCreateDate");
  const expiresAt = parseVnpayDate(field("vnp_ExpireDate"));
  if (expiresAt === null) return fail("malformed", "vnp_ExpireDate is not yyyyMMddHHmmss");
  if (expiresAt <= now) return fail("expired");
  if (!isHttpUrl(field("vnp_ReturnUrl"))) return fail("malformed", "vnp_ReturnUrl is not an http(s) URL");

  const key = orderKey(field("vnp_TxnRef"), field("vnp_CreateDate"));
  const requestHash = field("vnp_SecureHash").toLowerCase();
  const existing = store.orders.get(key);
  if (existing !== undefined) {
    if (existing.requestHash !== requestHash) return fail("duplicateReference");
    return existing.payment === null ? { ok: true, order: existing } : fail("alreadyProcessed");
  }
  const order: SimOrder = {
    txnRef: field("vnp_TxnRef"),
    amount: Number(amountText) / 100,
    orderInfo: field("vnp_OrderInfo"),
    createDate: field("vnp_CreateDate"),
    createdAt,
    expiresAt,
    returnUrl: field("vnp_ReturnUrl"),
    locale,
    requestHash,
    payment: null,
    lastIpn: null,
    refunds: [],
    ipnDeliveries: [],
  };
  store.orders.set(key, order);
  return { ok: true, order };
};

const transactionStatusOf = (code: VnpayResponseCode): VnpayTransactionStatus =>
  code === "00" ? "00" : code === "07" ? "07" : "02";

/**
 * Records the outcome the citizen (or a test) chose. Past vnp_ExpireDate VNPay answers 11 whatever
 * was chosen (§1.8). 07 keeps VNPay's own status 07 "suspected fraud" (§1.5); other failures are 02.
 */
export const settle = (
  order: SimOrder,
  chosen: VnpayResponseCode,
  store: SimStore,
  now: Date,
): SimPayment => {
  const responseCode = now > order.expiresAt ? "11" : chosen;
  const transactionNo = responseCode === "24" ? "0" : store.nextTransactionNo();
  const payment: SimPayment = {
    responseCode,
    transactionStatus: transactionStatusOf(responseCode),
    transactionNo,
    bankCode: "NCB",
    bankTranNo: responseCode === "00" ? `VNP${transactionNo}` : "",
    cardType: "ATM",
    payDate: now,
  };
  order.payment = payment;
  return payment;
};

/** The return's and the IPN's parameter set (§1.4), unsigned; `amount` lets a test tamper with it. */
export const callbackParams = (
  order: SimOrder,
  payment: SimPayment,
  tmnCode: string,
  amount: number = order.amount,
): VnpayParams => ({
  vnp_Amount: String(amount * 100),
  vnp_BankCode: payment.bankCode,
  vnp_BankTranNo: payment.bankTranNo,
  vnp_CardType: payment.cardType,
  vnp_OrderInfo: order.orderInfo,
  vnp_PayDate: formatVnpayDate(payment.payDate),
  vnp_ResponseCode: payment.responseCode,
  vnp_TmnCode: tmnCode,
  vnp_TransactionNo: payment.transactionNo,
  vnp_TransactionStatus: payment.transactionStatus,
  vnp_TxnRef: order.txnRef,
});

/** Appends a query string to a URL that may already carry one. */
export const withQuery = (url: string, query: string): string =>
  `${url}${url.includes("?") ? "&" : "?"}${query}`;
