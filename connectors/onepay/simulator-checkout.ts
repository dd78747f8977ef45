/**
 * The simulated vpc.op page's rules: which pay requests it refuses and what it records for the others
 * (§6.1). OnePay's own error-page texts are not public, so these are the simulator's.
 */
import type { LocalizedText } from "../sdk/contract.ts";
import {
  MERCH_TXN_REF_MAX,
  ONEPAY_PAY_VERSION,
  type OnepayMerchant,
  ORDER_INFO_MAX,
  parseOnepayAmount,
  readOnepayParams,
  secureHashValid,
} from "./protocol.ts";
import type { SimOrder, SimStore } from "./simulator-state.ts";

/** Why the page refused a request: a stable reason for tests, the words for the citizen. */
export interface PageError {
  readonly reason: string;
  readonly text: LocalizedText;
}

export const PAGE_ERRORS = {
  malformed: { vi: "Yêu cầu thanh toán không hợp lệ", en: "Invalid payment request" },
  unknownMerchant: { vi: "Mã đơn vị không tồn tại", en: "Merchant does not exist" },
  invalidAccessCode: { vi: "Không đúng access code", en: "Invalid access code" },
  invalidSignature: { vi: "Sai chữ ký (vpc_SecureHash)", en: "Invalid signature (vpc_SecureHash)" },
  invalidAmount: { vi: "Số tiền không hợp lệ", en: "Invalid amount" },
  duplicateReference: {
    vi: "Mã giao dịch (vpc_MerchTxnRef) đã tồn tại",
    en: "vpc_MerchTxnRef has already been used",
  },
  alreadyProcessed: { vi: "Giao dịch đã được xử lý", en: "This payment has already been processed" },
  notFound: { vi: "Không tìm thấy giao dịch", en: "Payment not found" },
  invalidOutcome: { vi: "Kết quả giao dịch không hợp lệ", en: "Invalid outcome" },
  unavailable: { vi: "Hệ thống đang bảo trì", en: "The gateway is unavailable" },
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

export type OpenResult =
  | { readonly ok: true; readonly order: SimOrder }
  | { readonly ok: false; readonly error: PageError; readonly locale: "vn" | "en" };

const REQUIRED = [
  "vpc_Version",
  "vpc_Command",
  "vpc_AccessCode",
  "vpc_Merchant",
  "vpc_MerchTxnRef",
  "vpc_OrderInfo",
  "vpc_Amount",
  "vpc_Currency",
  "vpc_Locale",
  "vpc_ReturnURL",
  "vpc_TicketNo",
  "vpc_SecureHash",
] as const;

const isHttpUrl = (text: string): boolean =>
  URL.canParse(text) && ["http:", "https:"].includes(new URL(text).protocol);

/**
 * Validates GET vpc.op and records the payment. The same signed link opened again while unpaid shows
 * the page again; any other request reusing the vpc_MerchTxnRef is refused (§12.1).
 */
export const openPayment = (
  query: URLSearchParams,
  store: SimStore,
  merchant: OnepayMerchant,
  now: Date,
): OpenResult => {
  const locale = query.get("vpc_Locale") === "en" ? "en" : "vn";
  const fail = (reason: PageErrorReason, detail?: string): OpenResult => ({
    ok: false,
    error: pageError(reason, detail),
    locale,
  });
  const read = readOnepayParams(query);
  if (!read.ok) return fail("malformed", read.message);
  const p = read.value;
  const missing = REQUIRED.find((name) => (p[name] ?? "") === "");
  if (missing !== undefined) return fail("malformed", `${missing} is missing`);
  const field = (name: (typeof REQUIRED)[number]): string => p[name] ?? "";

  if (field("vpc_Merchant") !== merchant.merchant) return fail("unknownMerchant");
  if (field("vpc_AccessCode") !== merchant.accessCode) return fail("invalidAccessCode");
  if (!secureHashValid(p, merchant.hashKey)) return fail("invalidSignature");
  if (
    field("vpc_Version") !== ONEPAY_PAY_VERSION ||
    field("vpc_Command") !== "pay" ||
    field("vpc_Currency") !== "VND"
  )
    return fail("malformed", "vpc_Version 2, vpc_Command pay and vpc_Currency VND are expected");
  if (field("vpc_Locale") !== "vn" && field("vpc_Locale") !== "en")
    return fail("malformed", "vpc_Locale must be vn or en");
  const amount = parseOnepayAmount(field("vpc_Amount"));
  if (amount === null || amount === 0) return fail("invalidAmount");
  if (!isHttpUrl(field("vpc_ReturnURL"))) return fail("malformed", "vpc_ReturnURL is not an http(s) URL");
  if (field("vpc_MerchTxnRef").length > MERCH_TXN_REF_MAX)
    return fail("malformed", `vpc_MerchTxnRef is longer than ${MERCH_TXN_REF_MAX} characters`);
  if (field("vpc_OrderInfo").length > ORDER_INFO_MAX)
    return fail("malformed", `vpc_OrderInfo is longer than ${ORDER_INFO_MAX} characters`);

  const txnRef = field("vpc_MerchTxnRef");
  const requestHash = field("vpc_SecureHash").toUpperCase();
  const existing = store.orders.get(txnRef);
  if (existing !== undefined) {
    if (existing.requestHash !== requestHash) return fail("duplicateReference");
    return existing.payment === null ? { ok: true, order: existing } : fail("alreadyProcessed");
  }
  const order: SimOrder = {
    txnRef,
    amount,
    orderInfo: field("vpc_OrderInfo"),
    locale,
    returnUrl: field("vpc_ReturnURL"),
    callbackUrl: p.vpc_CallbackURL ?? null,
    ticketNo: field("vpc_TicketNo"),
    requestHash,
    createdAt: now,
    payment: null,
    lastCallback: null,
    deliveries: [],
  };
  store.orders.set(txnRef, order);
  return { ok: true, order };
};
