import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { ReceiptContent, SignatureStatus } from "../../domain/receipt.ts";

// Decree 254/2026 Art. 23(2)(h): Vietnamese, with a foreign language allowed in brackets or on the line
// below, never larger than the Vietnamese. So the page has one language, both on it.
const Label = (props: { vi: string; en: string }) => (
  <>
    {props.vi} <span class="en">({props.en})</span>
  </>
);

const figures = new Intl.NumberFormat("vi-VN");

// PayGov's brand-red square, as on the checkout pages: without an icon browsers ask for /favicon.ico.
const ICON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#b3121b"/></svg>',
)}`;

const Shell = (props: { title: string; children: Child }) => (
  <>
    {raw("<!DOCTYPE html>")}
    <html lang="vi">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <meta name="robots" content="noindex" />
        <title>{`${props.title} · PayGov`}</title>
        <link rel="icon" href={ICON} type="image/svg+xml" />
        <link rel="stylesheet" href="/assets/receipt.css" />
      </head>
      <body>
        <div class="bar">Cổng thanh toán dịch vụ công PayGov</div>
        {props.children}
      </body>
    </html>
  </>
);

const SIGNATURE_TEXT: Record<SignatureStatus, { vi: string; en: string }> = {
  valid: { vi: "Hợp lệ", en: "valid" },
  invalid: { vi: "KHÔNG hợp lệ: nội dung đã bị thay đổi sau khi ký", en: "NOT valid: changed after signing" },
  other_key: { vi: "Ký bằng khóa khác của đơn vị", en: "signed with another key of the organisation" },
  unsigned: { vi: "Chưa ký (lập trước khi áp dụng chữ ký số)", en: "unsigned (issued before signing began)" },
};

/** The printable e-receipt: every field of Decree 254/2026 Art. 23(2) that PayGov holds. */
export const ReceiptPage = (props: {
  receipt: ReceiptContent;
  paymentId: string;
  connectorName: string | null;
  signature: { status: SignatureStatus; keyId: string | null; href: string };
}) => {
  const r = props.receipt;
  return (
    <Shell title={`${r.title.vi} ${r.series} ${r.number}`}>
      <p class="hint">
        Dùng chức năng In của trình duyệt (Ctrl+P) để in hoặc lưu biên lai thành PDF.{" "}
        <span class="en">(Use your browser's Print command to print this receipt or save it as a PDF.)</span>
      </p>
      <article class="receipt" data-testid="receipt">
        <div class="top">
          <div>
            <p>
              <Label vi="Đơn vị thu" en="Collecting organisation" />:{" "}
              <strong data-testid="issuer-name">{r.issuer.name}</strong>
            </p>
            <p>
              <Label vi="Mã số thuế" en="Tax ID" />:{" "}
              <strong data-testid="issuer-tax-id">{r.issuer.taxId ?? ""}</strong>
            </p>
          </div>
          <div class="symbols">
            <p>
              <Label vi="Ký hiệu mẫu số" en="Template" />:{" "}
              <strong data-testid="template">{r.templateSymbol}</strong>
            </p>
            <p>
              <Label vi="Ký hiệu" en="Series" />: <strong data-testid="series">{r.series}</strong>
            </p>
            <p>
              <Label vi="Số" en="No." />: <strong data-testid="number">{r.number}</strong>
            </p>
          </div>
        </div>

        <h1 data-testid="title">{r.title.vi}</h1>
        <p class="en">({r.title.en})</p>
        <p class="date" data-testid="issue-date" data-date={r.issueDateIso}>
          {r.issueDate.vi}
        </p>

        <dl>
          <dt>
            <Label vi="Người nộp" en="Payer" />
          </dt>
          <dd data-testid="payer">{r.payer.name}</dd>
          {r.payer.id_number ? (
            <>
              <dt>
                <Label vi="Số định danh" en="ID number" />
              </dt>
              <dd data-testid="payer-id">{r.payer.id_number}</dd>
            </>
          ) : null}
          <dt>
            <Label vi="Mã hồ sơ" en="Dossier code" />
          </dt>
          <dd data-testid="dossier">{r.reference}</dd>
          {r.procedureCode ? (
            <>
              <dt>
                <Label vi="Mã thủ tục" en="Procedure code" />
              </dt>
              <dd>{r.procedureCode}</dd>
            </>
          ) : null}
          <dt>
            <Label vi="Nội dung" en="Description" />
          </dt>
          <dd>{r.description}</dd>
          {props.connectorName ? (
            <>
              <dt>
                <Label vi="Hình thức thanh toán" en="Paid with" />
              </dt>
              <dd>{`Thanh toán trực tuyến qua ${props.connectorName}`}</dd>
            </>
          ) : null}
          {r.providerTxnId ? (
            <>
              <dt>
                <Label vi="Mã giao dịch" en="Transaction" />
              </dt>
              <dd>{r.providerTxnId}</dd>
            </>
          ) : null}
        </dl>

        <table>
          <thead>
            <tr>
              <th class="num">
                STT <span class="en">(No.)</span>
              </th>
              <th>
                Tên khoản thu <span class="en">(Item)</span>
              </th>
              <th>
                Loại <span class="en">(Kind)</span>
              </th>
              <th class="amount">
                Số tiền (đồng) <span class="en">(Amount, VND)</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {r.items.map((item, i) => (
              <tr data-testid="item">
                <td class="num">{String(i + 1)}</td>
                <td data-testid="item-name">{item.name}</td>
                <td data-testid="item-kind">
                  <Label vi={item.kindName.vi} en={item.kindName.en} />
                </td>
                <td class="amount" data-testid="item-amount">
                  {figures.format(item.amount)}
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <td colspan={3}>
                <Label vi="Tổng cộng" en="Total" />
              </td>
              <td class="amount" data-testid="total">
                {figures.format(r.total)}
              </td>
            </tr>
          </tfoot>
        </table>

        <p class="words">
          <Label vi="Số tiền bằng chữ" en="Amount in words" />:{" "}
          <strong data-testid="total-words">{r.totalInWords}</strong>
        </p>

        <section
          class={`signature ${props.signature.status}`}
          data-testid="signature"
          data-status={props.signature.status}
        >
          <p>
            <Label vi="Chữ ký số của đơn vị thu" en="Digital signature of the collecting organisation" />:{" "}
            <strong>
              <Label {...SIGNATURE_TEXT[props.signature.status]} />
            </strong>
          </p>
          {props.signature.keyId ? (
            <p>
              {`Ký bởi ${r.issuer.name} · Ed25519 · mã khóa ${props.signature.keyId}`}{" "}
              <span class="en">
                (<a href={props.signature.href}>nội dung đã ký / signed content</a>,{" "}
                <a href="/receipts/keys.json">khóa công khai / public key</a>)
              </span>
            </p>
          ) : null}
        </section>

        <p class="note">
          {`Biên lai điện tử lập trên PayGov lúc ${r.issueDate.time}, ${r.issueDate.vi.toLowerCase()}, khi khoản thanh toán được ghi nhận. Mã thanh toán: ${props.paymentId}.`}{" "}
          <span class="en">{`(Electronic receipt issued on PayGov when the payment was recorded. Payment ID: ${props.paymentId}.)`}</span>
        </p>
      </article>
    </Shell>
  );
};

/** The answer to a receipt link that is not one of ours, or altered. */
export const ReceiptNotFoundPage = () => (
  <Shell title="Không tìm thấy biên lai">
    <article class="receipt">
      <p data-testid="message">
        Đường dẫn biên lai không hợp lệ hoặc đã bị thay đổi.{" "}
        <span class="en">(This receipt link is not valid or has been altered.)</span>
      </p>
    </article>
  </Shell>
);
