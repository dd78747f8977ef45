/**
 * The simulated vpcpay.html pages, Vietnamese unless vnp_Locale=en. Elements a headless browser
 * drives carry data-testid: sim-amount, sim-order-info, sim-txnref, sim-callback (the kit's callback
 * modes), sim-delay, sim-pay-<code> (one button per outcome), sim-error (with data-reason).
 */
import type { Child } from "hono/jsx";
import type { SimBehaviour } from "../sdk/simulator-kit.ts";
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

const STYLE = `
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
h1 { color: #005baa; font-size: 1.4rem; }
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
    <Layout language={language} title={t.title}>
      <h1>{t.title}</h1>
      <dl>
        <dt>{t.reference}</dt>
        <dd data-testid="sim-txnref">{order.txnRef}</dd>
        <dt>{t.orderInfo}</dt>
        <dd data-testid="sim-order-info">{order.orderInfo}</dd>
        <dt>{t.amount}</dt>
        <dd data-testid="sim-amount">{formatAmount(order.amount, language)}</dd>
        <dt>{t.expires}</dt>
        <dd>{formatTime(order.expiresAt, language)}</dd>
      </dl>
      <form method="post" action={action}>
        <input type="hidden" name="txnRef" value={order.txnRef} />
        <input type="hidden" name="createDate" value={order.createDate} />
        <fieldset>
          <legend>{t.testing}</legend>
          <label>
            {t.ipn}{" "}
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
            {PAGE_OUTCOMES.map((code) => (
              <button type="submit" name="outcome" value={code} data-testid={`sim-pay-${code}`}>
                {code} · {VNPAY_RESPONSE_CODES[code][language]}
              </button>
            ))}
          </div>
        </fieldset>
      </form>
    </Layout>
  );
};

export const ErrorPage = ({ error, language }: { error: PageError; language: Language }) => (
  <Layout language={language} title={TEXT[language].errorTitle}>
    <h1>{TEXT[language].errorTitle}</h1>
    <p class="error" data-testid="sim-error" data-reason={error.reason}>
      {error.text[language]}
    </p>
  </Layout>
);
