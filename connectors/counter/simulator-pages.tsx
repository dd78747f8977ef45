/**
 * The clerk's screen of the simulated POS, Vietnamese with English beneath. Elements a headless
 * browser drives carry data-testid: sim-code, sim-store, sim-lookup, sim-bill (sim-amount,
 * sim-payer, sim-agency, sim-status inside), sim-confirm, sim-notice (with data-code), sim-reverse-<txn>.
 */
import type { Child } from "hono/jsx";
import type { CounterBill } from "./protocol.ts";
import type { CounterTransaction } from "./simulator-pos.ts";

const STYLE = `
body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
h1 { color: #0a7d3b; font-size: 1.4rem; }
small { color: #555; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1rem; }
dt { font-weight: 600; }
form.inline { display: inline; }
input { padding: .4rem; font-size: 1rem; }
input[name=code] { letter-spacing: .1em; width: 14rem; }
button { padding: .5rem .8rem; cursor: pointer; }
.notice { padding: .6rem .8rem; border-radius: .4rem; margin: 1rem 0; }
.ok { background: #e6f4ea; } .error { background: #fde7e9; color: #8a0013; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
td, th { border-bottom: 1px solid #ddd; padding: .3rem; text-align: left; }
`;

const STATUS_TEXT: Record<CounterBill["status"], string> = {
  PAYABLE: "Chờ thanh toán · Payable",
  PAID: "Đã thanh toán · Paid",
  EXPIRED: "Hết hạn · Expired",
  CANCELLED: "Đã hủy · Cancelled",
};

const TXN_TEXT: Record<CounterTransaction["status"], string> = {
  confirmed: "Đã xác nhận · Confirmed",
  refused: "Bị từ chối · Refused",
  unanswered: "Chưa có trả lời · No answer",
  not_sent: "Chưa gửi · Not sent",
  reversed: "Đã hủy · Reversed",
};

const vnd = (amount: number): string =>
  new Intl.NumberFormat("vi-VN", { style: "currency", currency: "VND" }).format(amount);

const vietnamTime = (instant: Date): string =>
  new Intl.DateTimeFormat("vi-VN", {
    dateStyle: "short",
    timeStyle: "medium",
    timeZone: "Asia/Ho_Chi_Minh",
  }).format(instant);

/** What the last action came to, for the banner. */
export interface Notice {
  readonly tone: "ok" | "error";
  readonly code: string;
  readonly text: string;
  readonly detail?: string;
}

export interface ClerkPageProps {
  readonly basePath: string;
  readonly storeId: string;
  readonly code: string;
  readonly bill: CounterBill | null;
  readonly notice: Notice | null;
  readonly transactions: ReadonlyArray<CounterTransaction>;
}

const Layout = (props: { children: Child }) => (
  <html lang="vi">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>Quầy thu hộ (mô phỏng)</title>
      <style>{STYLE}</style>
    </head>
    <body>{props.children}</body>
  </html>
);

const Bill = ({ bill, basePath, storeId }: { bill: CounterBill; basePath: string; storeId: string }) => (
  <section data-testid="sim-bill">
    <dl>
      <dt>Mã thanh toán · Code</dt>
      <dd>{bill.paymentCode.replace(/(\d{4})(?=\d)/g, "$1 ")}</dd>
      <dt>Cơ quan · Agency</dt>
      <dd data-testid="sim-agency">{bill.agencyName}</dd>
      <dt>Người nộp · Payer</dt>
      <dd data-testid="sim-payer">{bill.payerName}</dd>
      <dt>Nội dung · For</dt>
      <dd>{bill.description}</dd>
      <dt>Số tiền · Amount</dt>
      <dd data-testid="sim-amount">{vnd(bill.amount)}</dd>
      <dt>Hạn thanh toán · Pay by</dt>
      <dd>{vietnamTime(bill.expiresAt)}</dd>
      <dt>Trạng thái · Status</dt>
      <dd data-testid="sim-status" data-status={bill.status}>
        {STATUS_TEXT[bill.status]}
      </dd>
    </dl>
    {bill.status === "PAYABLE" ? (
      <form method="post" action={`${basePath}/pos/confirm`}>
        <input type="hidden" name="code" value={bill.paymentCode} />
        <input type="hidden" name="amount" value={String(bill.amount)} />
        <input type="hidden" name="store" value={storeId} />
        <button type="submit" data-testid="sim-confirm">
          Đã nhận {vnd(bill.amount)} tiền mặt — Xác nhận · Cash received — confirm
        </button>
      </form>
    ) : null}
  </section>
);

/** The POS screen: type a code, see the bill, take the cash; today's collections below. */
export const ClerkPage = (props: ClerkPageProps) => (
  <Layout>
    <h1>
      Quầy thu hộ (mô phỏng)
      <br />
      <small>Counter bill collection (simulator)</small>
    </h1>
    <form method="post" action={`${props.basePath}/pos/lookup`}>
      <label>
        Mã thanh toán · Payment code{" "}
        <input name="code" inputmode="numeric" autocomplete="off" value={props.code} data-testid="sim-code" />
      </label>{" "}
      <label>
        Cửa hàng · Store <input name="store" value={props.storeId} size={8} data-testid="sim-store" />
      </label>{" "}
      <button type="submit" data-testid="sim-lookup">
        Tra cứu · Look up
      </button>
    </form>
    {props.notice === null ? null : (
      <p class={`notice ${props.notice.tone}`} data-testid="sim-notice" data-code={props.notice.code}>
        <strong>
          {props.notice.code} · {props.notice.text}
        </strong>
        {props.notice.detail ? (
          <>
            <br />
            <small>{props.notice.detail}</small>
          </>
        ) : null}
      </p>
    )}
    {props.bill === null ? null : (
      <Bill bill={props.bill} basePath={props.basePath} storeId={props.storeId} />
    )}
    <h2>Giao dịch · Collections</h2>
    <table>
      <thead>
        <tr>
          <th>Giao dịch · Transaction</th>
          <th>Mã · Code</th>
          <th>Số tiền · Amount</th>
          <th>Trạng thái · Status</th>
          <th>Biên nhận · Receipt</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {props.transactions.map((t) => (
          <tr>
            <td>{t.transactionId}</td>
            <td>{t.paymentCode}</td>
            <td>{vnd(t.amount)}</td>
            <td>{TXN_TEXT[t.status]}</td>
            <td>{t.receiptId ?? ""}</td>
            <td>
              {t.status === "confirmed" ? (
                <form class="inline" method="post" action={`${props.basePath}/pos/reverse`}>
                  <input type="hidden" name="code" value={t.paymentCode} />
                  <input type="hidden" name="transactionId" value={t.transactionId} />
                  <input type="hidden" name="store" value={t.storeId} />
                  <button type="submit" data-testid={`sim-reverse-${t.transactionId}`}>
                    Hủy · Reverse
                  </button>
                </form>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </Layout>
);
