import type { SimBehaviour } from "../sdk/simulator-kit.ts";
import { CallbackOptions, formatSimAmount, formatSimTime, SimulatorLayout } from "../sdk/simulator-page.tsx";
import { VNPAY_RESPONSE_CODES, type VnpayResponseCode } from "./protocol.ts";
import type { PageError } from "./simulator-checkout.ts";
import type { SimOrder } from "./simulator-state.ts";

type Language = "vi" | "en";

/** vnp_Locale says "vn"; every PayGov page says "vi". */
export const languageOf = (locale: "vn" | "en"): Language => (locale === "en" ? "en" : "vi");

/** The outcomes §1.8 asks the chooser to offer: more than the kit's three (11, 07 and 99 are VNPay's own). */
export const PAGE_OUTCOMES: ReadonlyArray<VnpayResponseCode> = ["00", "24", "51", "11", "07", "99"];

const TEXT = {
  vi: {
    title: "Cổng thanh toán VNPAY (mô phỏng)",
    reference: "Mã giao dịch",
    orderInfo: "Nội dung thanh toán",
    amount: "Số tiền",
    expires: "Hết hạn lúc",
    choose: "Chọn kết quả giao dịch",
    testing: "Tùy chọn kiểm thử",
    ipn: "IPN",
    delay: "Độ trễ IPN (giây)",
    errorTitle: "Không thể thực hiện giao dịch",
    callbackModes: {
      normal: "Gửi ngay, rồi chuyển về",
      drop: "Không gửi",
      duplicate: "Gửi hai lần cùng lúc",
      delay: "Gửi chậm",
      reorder: "Chuyển về trước, IPN sau",
    },
  },
  en: {
    title: "VNPAY payment gateway (simulator)",
    reference: "Transaction reference",
    orderInfo: "Order information",
    amount: "Amount",
    expires: "Expires at",
    choose: "Choose the outcome",
    testing: "Testing options",
    ipn: "IPN",
    delay: "IPN delay (seconds)",
    errorTitle: "The payment cannot proceed",
    callbackModes: {
      normal: "Sent at once, then return",
      drop: "Not sent",
      duplicate: "Sent twice at once",
      delay: "Delayed",
      reorder: "Return first, IPN after",
    },
  },
} satisfies Record<
  Language,
  { callbackModes: Record<SimBehaviour["callback"], string>; [label: string]: unknown }
>;

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
    <SimulatorLayout language={language} title={t.title} accent="#005baa">
      <h1>{t.title}</h1>
      <dl>
        <dt>{t.reference}</dt>
        <dd data-testid="sim-txnref">{order.txnRef}</dd>
        <dt>{t.orderInfo}</dt>
        <dd data-testid="sim-order-info">{order.orderInfo}</dd>
        <dt>{t.amount}</dt>
        <dd data-testid="sim-amount">{formatSimAmount(order.amount, language)}</dd>
        <dt>{t.expires}</dt>
        <dd>{formatSimTime(order.expiresAt, language)}</dd>
      </dl>
      <form method="post" action={action}>
        <input type="hidden" name="txnRef" value={order.txnRef} />
        <input type="hidden" name="createDate" value={order.createDate} />
        <CallbackOptions
          legend={t.testing}
          callbackLabel={t.ipn}
          delayLabel={t.delay}
          modes={t.callbackModes}
          behaviour={behaviour}
        />
        <fieldset>
          <legend>{t.choose}</legend>
          <div class="outcomes">
            {PAGE_OUTCOMES.map((code) => (
              <button type="submit" name="outcome" value={code} data-testid={`sim-pay-${code}`}>
                {code} · {VNPAY_RESPONSE_CODES[code][language]}
              </button>
            ))}
          </div>
        </fieldset>
      </form>
    </SimulatorLayout>
  );
};

export const ErrorPage = ({ error, language }: { error: PageError; language: Language }) => (
  <SimulatorLayout language={language} title={TEXT[language].errorTitle} accent="#005baa">
    <h1>{TEXT[language].errorTitle}</h1>
    <p class="error" data-testid="sim-error" data-reason={error.reason}>
      {error.text[language]}
    </p>
  </SimulatorLayout>
);
