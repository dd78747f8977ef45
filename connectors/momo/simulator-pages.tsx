import type { Locale, LocalizedText } from "../sdk/contract.ts";
import type { SimBehaviour } from "../sdk/simulator-kit.ts";
import { CallbackOptions, formatSimAmount, formatSimTime, SimulatorLayout } from "../sdk/simulator-page.tsx";
import { MOMO_RESULT_CODES, type MomoResultCode } from "./protocol.ts";
import type { SimOrder } from "./simulator-state.ts";

/** The outcomes the tester chooses from: paid, insufficient funds, declined by the user. */
export const PAGE_OUTCOMES = [0, 1001, 1006] as const satisfies ReadonlyArray<MomoResultCode>;

export type PageOutcome = (typeof PAGE_OUTCOMES)[number];

export const isPageOutcome = (value: number): value is PageOutcome =>
  (PAGE_OUTCOMES as ReadonlyArray<number>).includes(value);

const BUTTONS: Record<PageOutcome, LocalizedText> = {
  0: { vi: "Xác nhận thanh toán", en: "Confirm the payment" },
  1001: { vi: "Ví không đủ số dư", en: "Insufficient funds" },
  1006: { vi: "Từ chối thanh toán", en: "Decline the payment" },
};

const TEXT = {
  vi: {
    title: "Cổng thanh toán MoMo (mô phỏng)",
    partner: "Đối tác",
    orderId: "Mã đơn hàng",
    orderInfo: "Nội dung thanh toán",
    amount: "Số tiền",
    expires: "Hết hạn lúc",
    scan: "Mở ứng dụng MoMo hoặc quét mã QR, rồi chọn kết quả giao dịch",
    testing: "Tùy chọn kiểm thử",
    callback: "IPN",
    delay: "Độ trễ IPN (giây)",
    errorTitle: "Không thể thực hiện giao dịch",
    callbacks: {
      normal: "Bình thường",
      duplicate: "Gửi hai lần",
      delay: "Gửi chậm",
      reorder: "Chuyển về trước, IPN sau",
      drop: "Không gửi",
    },
  },
  en: {
    title: "MoMo payment gateway (simulator)",
    partner: "Merchant",
    orderId: "Order ID",
    orderInfo: "Order information",
    amount: "Amount",
    expires: "Expires at",
    scan: "Open the MoMo app or scan the QR code, then choose the outcome",
    testing: "Testing options",
    callback: "IPN",
    delay: "IPN delay (seconds)",
    errorTitle: "The payment cannot proceed",
    callbacks: {
      normal: "Normal",
      duplicate: "Sent twice",
      delay: "Delayed",
      reorder: "Return first, IPN after",
      drop: "Not sent",
    },
  },
} satisfies Record<Locale, { callbacks: Record<SimBehaviour["callback"], string>; [label: string]: unknown }>;

/** Why the page refused: a stable reason for tests, the words for the citizen. */
export const PAGE_ERRORS = {
  notFound: { vi: "Không tìm thấy giao dịch", en: "Payment not found" },
  expired: { vi: "Giao dịch đã hết hạn thanh toán", en: "The payment link has expired" },
  alreadyProcessed: { vi: "Giao dịch đã được xử lý", en: "This payment has already been processed" },
  invalidOutcome: { vi: "Kết quả giao dịch không hợp lệ", en: "Invalid outcome" },
  internal: { vi: "Lỗi hệ thống", en: "System error" },
} satisfies Record<string, LocalizedText>;

export type PageErrorReason = keyof typeof PAGE_ERRORS;

export interface PaymentPageProps {
  readonly order: SimOrder;
  readonly partnerCode: string;
  readonly language: Locale;
  /** Where the chooser posts: the page's own path under the simulator's mount point. */
  readonly action: string;
  /** Pre-selected testing options: what POST /_sim/behaviour set for this orderId. */
  readonly behaviour: SimBehaviour;
}

export const PaymentPage = ({ order, partnerCode, language, action, behaviour }: PaymentPageProps) => {
  const t = TEXT[language];
  return (
    <SimulatorLayout language={language} title={t.title} accent="#a50064">
      <h1>{t.title}</h1>
      <dl>
        <dt>{t.partner}</dt>
        <dd>{partnerCode}</dd>
        <dt>{t.orderId}</dt>
        <dd data-testid="sim-order-id">{order.orderId}</dd>
        <dt>{t.orderInfo}</dt>
        <dd data-testid="sim-order-info">{order.orderInfo}</dd>
        <dt>{t.amount}</dt>
        <dd data-testid="sim-amount">{formatSimAmount(order.amount, language)}</dd>
        <dt>{t.expires}</dt>
        <dd>{formatSimTime(order.expiresAt, language)}</dd>
      </dl>
      <p>{t.scan}</p>
      <form method="post" action={action}>
        <input type="hidden" name="t" value={order.token} />
        <input type="hidden" name="lang" value={language} />
        <CallbackOptions
          legend={t.testing}
          callbackLabel={t.callback}
          delayLabel={t.delay}
          modes={t.callbacks}
          behaviour={behaviour}
        />
        <div class="outcomes">
          {PAGE_OUTCOMES.map((code) => (
            <button
              type="submit"
              name="outcome"
              value={String(code)}
              data-testid={`sim-pay-${code}`}
              title={MOMO_RESULT_CODES[code].text[language]}
            >
              {BUTTONS[code][language]}
            </button>
          ))}
        </div>
      </form>
    </SimulatorLayout>
  );
};

export const ErrorPage = ({ reason, language }: { reason: PageErrorReason; language: Locale }) => (
  <SimulatorLayout language={language} title={TEXT[language].errorTitle} accent="#a50064">
    <h1>{TEXT[language].errorTitle}</h1>
    <p class="error" data-testid="sim-error" data-reason={reason}>
      {PAGE_ERRORS[reason][language]}
    </p>
  </SimulatorLayout>
);
