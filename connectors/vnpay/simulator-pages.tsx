/**
 * The simulated vpcpay.html pages, Vietnamese unless vnp_Locale=en. Elements a headless browser
 * drives carry data-testid: sim-amount, sim-order-info, sim-txnref, sim-ipn, sim-delay, sim-order,
 * sim-pay-<code> (one button per outcome), sim-error (with data-reason).
 */
import type { Child } from "hono/jsx";
import { VNPAY_RESPONSE_CODES, type VnpayResponseCode } from "./protocol.ts";
import type { PageError } from "./simulator-checkout.ts";
import type { Behaviour, CallbackOrder, IpnMode, SimOrder } from "./simulator-state.ts";

type Language = "vi" | "en";

/** vnp_Locale says "vn"; every PayGov page says "vi". */
export const languageOf = (locale: "vn" | "en"): Language => (locale === "en" ? "en" : "vi");

/** The outcomes §1.8 asks the chooser to offer. */
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
    order: "Thứ tự",
    errorTitle: "Không thể thực hiện giao dịch",
    ipnModes: { normal: "Bình thường", duplicate: "Gửi hai lần", delay: "Gửi chậm", drop: "Không gửi" },
    orders: { ipn_first: "IPN trước, rồi chuyển về", return_first: "Chuyển về trước, IPN sau" },
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
    order: "Order",
    errorTitle: "The payment cannot proceed",
    ipnModes: { normal: "Normal", duplicate: "Sent twice", delay: "Delayed", drop: "Not sent" },
    orders: { ipn_first: "IPN first, then return", return_first: "Return first, IPN after" },
  },
} satisfies Record<
  Language,
  { ipnModes: Record<IpnMode, string>; orders: Record<CallbackOrder, string>; [label: string]: unknown }
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
  /** Pre-selected testing options: what POST /_sim/behaviour set for this TxnRef. */
  readonly behaviour: Behaviour;
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
            <select name="ipn" data-testid="sim-ipn">
              {Object.entries(t.ipnModes).map(([mode, label]) => (
                <option value={mode} selected={mode === behaviour.ipn}>
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
          </label>{" "}
          <label>
            {t.order}{" "}
            <select name="order" data-testid="sim-order">
              {Object.entries(t.orders).map(([value, label]) => (
                <option value={value} selected={value === behaviour.order}>
                  {label}
                </option>
              ))}
            </select>
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
