import type { SimBehaviour } from "../sdk/simulator-kit.ts";
import { CallbackOptions, formatSimAmount, formatSimTime, SimulatorLayout } from "../sdk/simulator-page.tsx";
import type { SimOrder, SimOutcome } from "./simulator-state.ts";

export type Language = "vi" | "en";

export const languageOf = (value: string | undefined): Language => (value === "en" ? "en" : "vi");

type CallbackMode = SimBehaviour["callback"];

const TEXT = {
  vi: {
    title: "Cổng thanh toán ZaloPay (mô phỏng)",
    appTransId: "Mã giao dịch",
    description: "Nội dung",
    amount: "Số tiền",
    expires: "Hết hạn lúc",
    choose: "Chọn kết quả thanh toán",
    testing: "Tùy chọn kiểm thử",
    callback: "Callback (chỉ khi thành công)",
    delay: "Độ trễ callback (giây)",
    other: "English",
    errorTitle: "Không thể thanh toán đơn hàng",
    resultTitle: "Kết quả thanh toán",
    outcomes: { success: "Thanh toán thành công", failure: "Thanh toán thất bại", cancel: "Hủy thanh toán" },
    callbackModes: {
      normal: "Bình thường",
      drop: "Không gửi",
      duplicate: "Gửi hai lần",
      delay: "Gửi chậm",
      reorder: "Chuyển về trước, callback sau",
    },
  },
  en: {
    title: "ZaloPay payment gateway (simulator)",
    appTransId: "Transaction id",
    description: "Description",
    amount: "Amount",
    expires: "Expires at",
    choose: "Choose the outcome",
    testing: "Testing options",
    callback: "Callback (on success only)",
    delay: "Callback delay (seconds)",
    other: "Tiếng Việt",
    errorTitle: "The order cannot be paid",
    resultTitle: "Payment result",
    outcomes: { success: "Pay successfully", failure: "Payment fails", cancel: "Cancel the payment" },
    callbackModes: {
      normal: "Normal",
      drop: "Not sent",
      duplicate: "Sent twice",
      delay: "Delayed",
      reorder: "Return first, callback after",
    },
  },
} satisfies Record<
  Language,
  {
    outcomes: Record<SimOutcome, string>;
    callbackModes: Record<CallbackMode, string>;
    [label: string]: unknown;
  }
>;

/** Why the page refused to show an order: a stable reason for tests, the words for the citizen. */
export const PAGE_ERRORS = {
  notFound: { vi: "Không tìm thấy đơn hàng", en: "Order not found" },
  expired: { vi: "Đơn hàng đã hết hạn thanh toán", en: "The order has expired" },
  alreadyProcessed: { vi: "Đơn hàng đã được xử lý", en: "This order has already been processed" },
  invalidChoice: { vi: "Lựa chọn không hợp lệ", en: "Invalid choice" },
  internal: { vi: "Lỗi hệ thống", en: "System error" },
} satisfies Record<string, Record<Language, string>>;

export type PageErrorReason = keyof typeof PAGE_ERRORS;

export interface OrderPageProps {
  readonly order: SimOrder;
  /** Where the chooser posts: the page's own path under the simulator's mount point. */
  readonly action: string;
  /** The order token the page was opened with, posted back. */
  readonly token: string;
  /** Pre-selected testing options: what POST /_sim/behaviour set for this order. */
  readonly behaviour: SimBehaviour;
  readonly language: Language;
  /** This page in the other language. */
  readonly otherLanguageHref: string;
}

export const OrderPage = ({
  order,
  action,
  token,
  behaviour,
  language,
  otherLanguageHref,
}: OrderPageProps) => {
  const t = TEXT[language];
  return (
    <SimulatorLayout language={language} title={t.title} accent="#0068ff">
      <h1>{t.title}</h1>
      <p>
        <a href={otherLanguageHref} data-testid="sim-language">
          {t.other}
        </a>
      </p>
      <dl>
        <dt>{t.appTransId}</dt>
        <dd data-testid="sim-apptransid">{order.appTransId}</dd>
        <dt>{t.description}</dt>
        <dd data-testid="sim-description">{order.description}</dd>
        <dt>{t.amount}</dt>
        <dd data-testid="sim-amount">{formatSimAmount(order.amount, language)}</dd>
        <dt>{t.expires}</dt>
        <dd>{formatSimTime(order.expiresAt, language)}</dd>
      </dl>
      <form method="post" action={action}>
        <input type="hidden" name="order" value={token} />
        <input type="hidden" name="lang" value={language} />
        <CallbackOptions
          legend={t.testing}
          callbackLabel={t.callback}
          delayLabel={t.delay}
          modes={t.callbackModes}
          behaviour={behaviour}
        />
        <fieldset>
          <legend>{t.choose}</legend>
          <div class="outcomes">
            {(Object.keys(t.outcomes) as SimOutcome[]).map((outcome) => (
              <button type="submit" name="outcome" value={outcome} data-testid={`sim-pay-${outcome}`}>
                {t.outcomes[outcome]}
              </button>
            ))}
          </div>
        </fieldset>
      </form>
    </SimulatorLayout>
  );
};

export const ErrorPage = ({ reason, language }: { reason: PageErrorReason; language: Language }) => (
  <SimulatorLayout language={language} title={TEXT[language].errorTitle} accent="#0068ff">
    <h1>{TEXT[language].errorTitle}</h1>
    <p class="error" data-testid="sim-error" data-reason={reason}>
      {PAGE_ERRORS[reason][language]}
    </p>
  </SimulatorLayout>
);

/** Shown when the app gave no redirecturl: ZaloPay then keeps the payer on its own result page. */
export const ResultPage = ({ outcome, language }: { outcome: SimOutcome; language: Language }) => (
  <SimulatorLayout language={language} title={TEXT[language].resultTitle} accent="#0068ff">
    <h1>{TEXT[language].resultTitle}</h1>
    <p data-testid="sim-result" data-outcome={outcome}>
      {TEXT[language].outcomes[outcome]}
    </p>
  </SimulatorLayout>
);
