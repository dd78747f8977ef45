/**
 * The simulated banking app's pages, Vietnamese first and English second on every label. Elements a
 * headless browser drives carry data-testid: sim-qr-input, sim-bank, sim-account, sim-account-name,
 * sim-due-amount, sim-amount, sim-description, sim-callback, sim-delay, sim-tamper-amount,
 * sim-tamper-signature, sim-pay-success|failure|cancel, sim-receipt (data-outcome), sim-transaction-id,
 * sim-answer, sim-error (data-reason).
 */
import type { Child } from "hono/jsx";
import type { SimBehaviour } from "../sdk/simulator-kit.ts";
import { CallbackOptions } from "../sdk/simulator-page.tsx";
import type { VietqrTransfer } from "./protocol.ts";

/** One incoming transfer as the pages list it. */
export interface TransferView {
  readonly transactionId: string;
  readonly at: string;
  readonly amount: number;
  readonly content: string;
  /** PayGov's last answer to the notification, e.g. `200 {"status":"ok"}`; null before any. */
  readonly answer: string | null;
}

const STYLE = `
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
h1 { color: #00558f; font-size: 1.4rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1rem; }
dt { font-weight: 600; }
fieldset { margin: 1rem 0; }
label { display: block; margin: .3rem 0; }
textarea, input[type=text] { width: 100%; box-sizing: border-box; font-family: monospace; }
.outcomes { display: flex; flex-wrap: wrap; gap: .5rem; }
button { padding: .5rem .8rem; cursor: pointer; }
.error { color: #b00020; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
td, th { border-bottom: 1px solid #ddd; padding: .3rem; text-align: left; }
`;

const TITLE = "Ứng dụng ngân hàng — VietQR (mô phỏng) / Banking app — VietQR (simulator)";

const Layout = (props: { title: string; children: Child }) => (
  <html lang="vi">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{props.title}</title>
      <style>{STYLE}</style>
    </head>
    <body>{props.children}</body>
  </html>
);

const vnd = (amount: number): string =>
  new Intl.NumberFormat("vi-VN", { style: "currency", currency: "VND" }).format(amount);

/** Paste a VietQR payload (what a camera would read) and see the account's latest incoming transfers. */
export const HomePage = (props: { basePath: string; transfers: ReadonlyArray<TransferView> }) => (
  <Layout title={TITLE}>
    <h1>{TITLE}</h1>
    <form method="get" action={`${props.basePath}/app`}>
      <label>
        Dán nội dung mã VietQR / Paste the VietQR payload
        <textarea name="qr" rows={4} required data-testid="sim-qr-input" />
      </label>
      <button type="submit">Quét / Scan</button>
    </form>
    <h2>Chuyển khoản thủ công / A transfer typed in by hand</h2>
    <p>
      Như người nộp gõ tay số tài khoản: nhập đúng nội dung chuyển khoản trên trang thanh toán của PayGov. /
      As a citizen typing the account in: enter the transfer description PayGov's payment page shows.
    </p>
    <form method="post" action={`${props.basePath}/manual`}>
      <label>
        Số tiền (đồng) / Amount (VND)
        <input name="amount" inputmode="numeric" required data-testid="sim-manual-amount" />
      </label>
      <label>
        Nội dung chuyển khoản / Transfer description
        <input name="description" required maxlength={210} data-testid="sim-manual-description" />
      </label>
      <button type="submit" data-testid="sim-manual-transfer">
        Chuyển tiền / Transfer
      </button>
    </form>
    <h2>Tiền vào tài khoản thu / Money into the collection account</h2>
    <table>
      <thead>
        <tr>
          <th>Thời gian / Time</th>
          <th>Số tiền / Amount</th>
          <th>Nội dung / Description</th>
          <th>Mã GD / Transaction</th>
          <th>PayGov</th>
        </tr>
      </thead>
      <tbody>
        {props.transfers.map((t) => (
          <tr>
            <td>{t.at}</td>
            <td>{vnd(t.amount)}</td>
            <td>{t.content}</td>
            <td>{t.transactionId}</td>
            <td>{t.answer ?? "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </Layout>
);

// No "reorder": a bank transfer has no browser return for the notification to come before or after.
const NOTIFICATION_MODES: Partial<Record<SimBehaviour["callback"], string>> = {
  normal: "Gửi ngay / At once",
  duplicate: "Gửi hai lần / Twice",
  delay: "Gửi chậm / Late",
  drop: "Không gửi / Never",
};

/** The decoded QR, as the app shows it before the citizen confirms: amount and description editable. */
export const TransferPage = (props: {
  basePath: string;
  payload: string;
  transfer: VietqrTransfer;
  bank: string;
  accountName: string;
  behaviour: SimBehaviour;
}) => {
  const t = props.transfer;
  return (
    <Layout title={TITLE}>
      <h1>{TITLE}</h1>
      <dl>
        <dt>Ngân hàng / Bank</dt>
        <dd data-testid="sim-bank">
          {props.bank} ({t.bankBin})
        </dd>
        <dt>Số tài khoản / Account</dt>
        <dd data-testid="sim-account">{t.accountNo}</dd>
        <dt>Chủ tài khoản / Holder</dt>
        <dd data-testid="sim-account-name">{props.accountName}</dd>
        <dt>Số tiền trên mã / Amount in the QR</dt>
        <dd data-testid="sim-due-amount">{t.amount === null ? "—" : vnd(t.amount)}</dd>
      </dl>
      <form method="post" action={`${props.basePath}/app`}>
        <input type="hidden" name="qr" value={props.payload} />
        <label>
          Số tiền chuyển (VND) / Amount to transfer
          <input
            type="number"
            name="amount"
            min="1"
            step="1"
            required
            value={t.amount === null ? "" : String(t.amount)}
            data-testid="sim-amount"
          />
        </label>
        <label>
          Nội dung chuyển khoản / Description
          <input
            type="text"
            name="description"
            maxlength={210}
            value={t.description ?? ""}
            data-testid="sim-description"
          />
        </label>
        <CallbackOptions
          legend="Tùy chọn kiểm thử / Testing options"
          callbackLabel="Thông báo cho PayGov / Notification to PayGov"
          delayLabel="Độ trễ (giây) / Delay (seconds)"
          modes={NOTIFICATION_MODES}
          behaviour={props.behaviour}
        >
          <label>
            <input
              type="checkbox"
              name="tamperAmount"
              value="1"
              checked={props.behaviour.tamperAmount}
              data-testid="sim-tamper-amount"
            />{" "}
            Báo sai số tiền (ký đúng) / Report another amount (validly signed)
          </label>
          <label>
            <input
              type="checkbox"
              name="tamperSignature"
              value="1"
              checked={props.behaviour.tamperSignature}
              data-testid="sim-tamper-signature"
            />{" "}
            Ký sai khóa / Sign with a wrong key
          </label>
        </CallbackOptions>
        <div class="outcomes">
          <button type="submit" name="outcome" value="success" data-testid="sim-pay-success">
            Chuyển tiền / Transfer
          </button>
          <button type="submit" name="outcome" value="failure" data-testid="sim-pay-failure">
            Ngân hàng từ chối (không đủ số dư) / Refused (insufficient balance)
          </button>
          <button type="submit" name="outcome" value="cancel" data-testid="sim-pay-cancel">
            Hủy / Cancel
          </button>
        </div>
      </form>
    </Layout>
  );
};

const OUTCOME_TEXT = {
  success: "Chuyển tiền thành công / Transfer done",
  failure: "Ngân hàng từ chối giao dịch: không có tiền nào được chuyển / Refused: no money moved",
  cancel: "Đã hủy: không có tiền nào được chuyển / Cancelled: no money moved",
} as const;

/** After the citizen pressed a button: the transfer made, or that none was. */
export const ReceiptPage = (props: {
  basePath: string;
  outcome: keyof typeof OUTCOME_TEXT;
  transfer: TransferView | null;
}) => (
  <Layout title={TITLE}>
    <h1>{TITLE}</h1>
    <p data-testid="sim-receipt" data-outcome={props.outcome}>
      {OUTCOME_TEXT[props.outcome]}
    </p>
    {props.transfer ? (
      <dl>
        <dt>Mã giao dịch / Transaction</dt>
        <dd data-testid="sim-transaction-id">{props.transfer.transactionId}</dd>
        <dt>Số tiền / Amount</dt>
        <dd>{vnd(props.transfer.amount)}</dd>
        <dt>Nội dung / Description</dt>
        <dd>{props.transfer.content}</dd>
        <dt>PayGov trả lời / PayGov answered</dt>
        <dd data-testid="sim-answer">{props.transfer.answer ?? "—"}</dd>
      </dl>
    ) : null}
    <p>
      <a href={props.basePath}>Trang đầu / Home</a>
    </p>
  </Layout>
);

/** Why the app cannot go on (a bad QR, another bank's account...). */
export const ErrorPage = (props: { reason: string; message: string }) => (
  <Layout title={TITLE}>
    <h1>Không thể chuyển tiền / The transfer cannot proceed</h1>
    <p class="error" data-testid="sim-error" data-reason={props.reason}>
      {props.message}
    </p>
  </Layout>
);
