import type { SimBehaviour } from "../sdk/simulator-kit.ts";
import { CallbackOptions, formatSimAmount, SimulatorLayout } from "../sdk/simulator-page.tsx";
import { ONEPAY_RESPONSE_CODES, type OnepayResponseCode } from "./protocol.ts";
import type { PageError } from "./simulator-checkout.ts";
import type { SimOrder } from "./simulator-state.ts";

type Language = "vi" | "en";

/** vpc_Locale says "vn"; every PayGov page says "vi". */
export const languageOf = (locale: "vn" | "en"): Language => (locale === "en" ? "en" : "vi");

/** Success, the common declines, the session timeout and the citizen's cancel (§6.2). */
export const PAGE_OUTCOMES: ReadonlyArray<OnepayResponseCode> = ["0", "1", "21", "25", "253", "99"];

type CallbackMode = SimBehaviour["callback"];

const TEXT = {
  vi: {
    title: "Cổng thanh toán OnePay (mô phỏng)",
    reference: "Mã giao dịch",
    orderInfo: "Nội dung thanh toán",
    amount: "Số tiền",
    choose: "Chọn kết quả giao dịch",
    testing: "Tùy chọn kiểm thử",
    callback: "IPN",
    delay: "Độ trễ IPN (giây)",
    errorTitle: "Không thể thực hiện giao dịch",
    modes: {
      normal: "Bình thường",
      duplicate: "Gửi hai lần",
      delay: "Gửi chậm",
      reorder: "Chuyển về trước, IPN sau",
      drop: "Không gửi",
    },
  },
  en: {
    title: "OnePay payment gateway (simulator)",
    reference: "Transaction reference",
    orderInfo: "Order information",
    amount: "Amount",
    choose: "Choose the outcome",
    testing: "Testing options",
    callback: "IPN",
    delay: "IPN delay (seconds)",
    errorTitle: "The payment cannot proceed",
    modes: {
      normal: "Normal",
      duplicate: "Sent twice",
      delay: "Delayed",
      reorder: "Return first, IPN after",
      drop: "Not sent",
    },
  },
} satisfies Record<Language, { modes: Record<CallbackMode, string>; [label: string]: unknown }>;

export interface PaymentPageProps {
  readonly order: SimOrder;
  /** Where the chooser posts: the page's own path under the simulator's mount point. */
  readonly action: string;
  /** Pre-selected testing options: what POST /_sim/behaviour (or a magic amount) set for this payment. */
  readonly behaviour: SimBehaviour;
}

export const PaymentPage = ({ order, action, behaviour }: PaymentPageProps) => {
  const language = languageOf(order.locale);
  const t = TEXT[language];
  return (
    <SimulatorLayout language={language} title={t.title} accent="#0a4da2">
      <h1>{t.title}</h1>
      <dl>
        <dt>{t.reference}</dt>
        <dd data-testid="sim-txnref">{order.txnRef}</dd>
        <dt>{t.orderInfo}</dt>
        <dd data-testid="sim-order-info">{order.orderInfo}</dd>
        <dt>{t.amount}</dt>
        <dd data-testid="sim-amount">{formatSimAmount(order.amount, language)}</dd>
      </dl>
      <form method="post" action={action}>
        <input type="hidden" name="txnRef" value={order.txnRef} />
        <CallbackOptions
          legend={t.testing}
          callbackLabel={t.callback}
          delayLabel={t.delay}
          modes={t.modes}
          behaviour={behaviour}
        />
        <fieldset>
          <legend>{t.choose}</legend>
          <div class="outcomes">
            {PAGE_OUTCOMES.map((code) => (
              <button type="submit" name="outcome" value={code} data-testid={`sim-pay-${code}`}>
                {code} · {ONEPAY_RESPONSE_CODES[code].text[language]}
              </button>
            ))}
          </div>
        </fieldset>
      </form>
    </SimulatorLayout>
  );
};

export const ErrorPage = ({ error, language }: { error: PageError; language: Language }) => (
  <SimulatorLayout language={language} title={TEXT[language].errorTitle} accent="#0a4da2">
    <h1>{TEXT[language].errorTitle}</h1>
    <p class="error" data-testid="sim-error" data-reason={error.reason}>
      {error.text[language]}
    </p>
  </SimulatorLayout>
);
