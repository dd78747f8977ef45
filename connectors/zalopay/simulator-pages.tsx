/**
 * The simulated ZaloPay order page, Vietnamese unless ?lang=en. Elements a headless browser drives
 * carry data-testid: sim-amount, sim-description, sim-apptransid, sim-callback, sim-delay,
 * sim-pay-success, sim-pay-failure, sim-pay-cancel, sim-language, sim-error (with data-reason),
 * sim-result (with data-outcome).
 */
import type { Child } from "hono/jsx";
import type { SimBehaviour } from "../sdk/simulator-kit.ts";
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

const STYLE = `
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
h1 { color: #0068ff; font-size: 1.4rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1rem; }
dt { font-weight: 600; }
fieldset { margin: 1rem 0; }
.outcomes { display: flex; flex-wrap: wrap; gap: .5rem; }
button { padding: .5rem .8rem; cursor: pointer; }
.error { color: #b00020; }
`;

const Layout = (props: { language: Language; title: string; children: Child }) => (
  <html lang={props.language}>
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{props.title}</title>
      <style>{STYLE}</style>
    </head>
    <body>{props.children}</body>
  </html>
);

const formatAmount = (amount: number, language: Language): string =>
  new Intl.NumberFormat(language === "en" ? "en-US" : "vi-VN", { style: "currency", currency: "VND" }).format(
    amount,
  );

const formatTime = (instant: Date, language: Language): string =>
  new Intl.DateTimeFormat(language === "en" ? "en-GB" : "vi-VN", {
    dateStyle: "short",
    timeStyle: "medium",
    timeZone: "Asia/Ho_Chi_Minh",
  }).format(instant);

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
    <Layout language={language} title={t.title}>
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
        <dd data-testid="sim-amount">{formatAmount(order.amount, language)}</dd>
        <dt>{t.expires}</dt>
        <dd>{formatTime(order.expiresAt, language)}</dd>
      </dl>
      <form method="post" action={action}>
        <input type="hidden" name="order" value={token} />
        <input type="hidden" name="lang" value={language} />
        <fieldset>
          <legend>{t.testing}</legend>
          <label>
            {t.callback}{" "}
            <select name="callback" data-testid="sim-callback">
              {Object.entries(t.callbackModes).map(([mode, label]) => (
                <option value={mode} selected={mode === behaviour.callback}>
                  {label}
                </option>
              ))}
            </select>
          </label>{" "}
          <label>
            {t.delay}{" "}
            <input
              type="number"
              name="delaySeconds"
              min="0"
              max="600"
              value={String(behaviour.delayMs / 1000)}
              data-testid="sim-delay"
            />
          </label>
        </fieldset>
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
    </Layout>
  );
};

export const ErrorPage = ({ reason, language }: { reason: PageErrorReason; language: Language }) => (
  <Layout language={language} title={TEXT[language].errorTitle}>
    <h1>{TEXT[language].errorTitle}</h1>
    <p class="error" data-testid="sim-error" data-reason={reason}>
      {PAGE_ERRORS[reason][language]}
    </p>
  </Layout>
);

/** Shown when the app gave no redirecturl: ZaloPay then keeps the payer on its own result page. */
export const ResultPage = ({ outcome, language }: { outcome: SimOutcome; language: Language }) => (
  <Layout language={language} title={TEXT[language].resultTitle}>
    <h1>{TEXT[language].resultTitle}</h1>
    <p data-testid="sim-result" data-outcome={outcome}>
      {TEXT[language].outcomes[outcome]}
    </p>
  </Layout>
);
