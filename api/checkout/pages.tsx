import { renderSVG } from "uqr";
import type { Display, Locale, LocalizedText } from "../../connectors/sdk/contract.ts";
import { formatPaymentCode } from "../../domain/payment-code.ts";
import type { PaymentRecord } from "../../domain/payment-record.ts";
import { paymentInstructions } from "../../domain/payment-resource.ts";
import { formatVietnamDateTime, formatVnd } from "../../domain/vnd.ts";
import { Layout } from "./layout.tsx";
import { MESSAGES } from "./messages.ts";

export interface ConnectorChoice {
  readonly id: string;
  readonly display: Display;
}

const logo = (svg: string) => `data:image/svg+xml;base64,${Buffer.from(svg, "utf8").toString("base64")}`;

const PaymentSummary = (props: { payment: PaymentRecord; agencyName: string; locale: Locale }) => {
  const m = MESSAGES[props.locale];
  const p = props.payment;
  return (
    <section class="card" aria-labelledby="summary">
      <h1 id="summary">{m.title}</h1>
      <dl>
        <dt>{m.agency}</dt>
        <dd data-testid="agency">{props.agencyName}</dd>
        <dt>{m.dossier}</dt>
        <dd data-testid="dossier">{p.reference}</dd>
        {p.procedureCode ? (
          <>
            <dt>{m.procedure}</dt>
            <dd>{p.procedureCode}</dd>
          </>
        ) : null}
        <dt>{m.content}</dt>
        <dd>{p.description}</dd>
        <dt>{m.expires}</dt>
        <dd data-testid="expires">{formatVietnamDateTime(p.expiresAt, props.locale)}</dd>
      </dl>
      <h2 class="spaced">{m.lines}</h2>
      <table>
        <tbody>
          {p.lines.map((line) => (
            <tr>
              <td>
                {line.name}
                <br />
                <small>{`${m.kind[line.kind]} · ${m.subItem} ${line.sub_item}`}</small>
              </td>
              <td class="amount">{formatVnd(line.amount, props.locale)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td>{m.total}</td>
            <td class="amount" data-testid="total">
              {formatVnd(p.amount, props.locale)}
            </td>
          </tr>
        </tfoot>
      </table>
    </section>
  );
};

/** The checkout page: what is being paid, and the intermediaries to pay with. */
export const CheckoutPage = (props: {
  payment: PaymentRecord;
  agencyName: string;
  locale: Locale;
  token: string;
  csrf: string;
  connectors: ReadonlyArray<ConnectorChoice>;
  openAttemptConnector: string | null;
  notice: "latest_failed" | "latest_cancelled" | "initiate_failed" | null;
}) => {
  const m = MESSAGES[props.locale];
  const other = props.locale === "vi" ? "en" : "vi";
  const notices = {
    latest_failed: m.latestFailed,
    latest_cancelled: m.latestCancelled,
    initiate_failed: m.initiateFailed,
  };
  const ordered = [...props.connectors].sort(
    (a, b) => Number(b.id === props.openAttemptConnector) - Number(a.id === props.openAttemptConnector),
  );
  return (
    <Layout locale={props.locale} title={m.title} otherLanguageHref={`/pay/${props.token}?lang=${other}`}>
      {props.notice ? (
        <p class="notice warn" role="alert" data-testid="notice">
          {notices[props.notice]}
        </p>
      ) : null}
      <PaymentSummary payment={props.payment} agencyName={props.agencyName} locale={props.locale} />
      <section class="card" aria-labelledby="choose">
        <h2 id="choose">{m.choose}</h2>
        {ordered.length === 0 ? <p>{m.noConnectors}</p> : null}
        <div class="connectors">
          {ordered.map((c) => (
            <form class="connector" method="post" action={`/pay/${props.token}/attempts`}>
              <input type="hidden" name="csrf" value={props.csrf} />
              <input type="hidden" name="connector" value={c.id} />
              <input type="hidden" name="lang" value={props.locale} />
              <button type="submit" data-testid={`choose-${c.id}`}>
                <img src={logo(c.display.logoSvg)} alt="" />
                <span>
                  <strong>
                    {c.id === props.openAttemptConnector ? m.continueOpen : m.pay}{" "}
                    {c.display.name[props.locale]}
                  </strong>
                  <small>{c.display.description[props.locale]}</small>
                </span>
              </button>
            </form>
          ))}
        </div>
      </section>
    </Layout>
  );
};

/** What the citizen carries to pay: a QR to scan or a code to give at a counter. */
const Instructions = (props: {
  instructions: NonNullable<ReturnType<typeof paymentInstructions>>;
  locale: Locale;
}) => {
  const m = MESSAGES[props.locale].instructions;
  const i = props.instructions;
  const where = "where" in i ? (i.where as LocalizedText | undefined) : undefined;
  return (
    <div class="instructions" data-testid="instructions">
      {"qr_payload" in i ? (
        <img
          class="qr"
          data-testid="qr"
          alt={m.qrAlt}
          src={`data:image/svg+xml;base64,${Buffer.from(renderSVG(i.qr_payload), "utf8").toString("base64")}`}
        />
      ) : null}
      <dl>
        {"payment_code" in i ? (
          <>
            <dt>{m.code}</dt>
            <dd class="code" data-testid="payment-code">
              {formatPaymentCode(i.payment_code)}
            </dd>
          </>
        ) : null}
        {"bank" in i && i.bank ? (
          <>
            <dt>{m.bank}</dt>
            <dd>{i.bank}</dd>
          </>
        ) : null}
        {"account_name" in i && i.account_name ? (
          <>
            <dt>{m.accountName}</dt>
            <dd>{i.account_name}</dd>
          </>
        ) : null}
        {"account" in i && i.account ? (
          <>
            <dt>{m.account}</dt>
            <dd data-testid="account">{i.account}</dd>
          </>
        ) : null}
        {"qr_payload" in i ? (
          <>
            <dt>{m.description}</dt>
            <dd data-testid="transfer-description">{i.description}</dd>
          </>
        ) : null}
        <dt>{m.amount}</dt>
        <dd>{formatVnd(i.amount, props.locale)}</dd>
      </dl>
      {where ? <p data-testid="where">{where[props.locale]}</p> : null}
    </div>
  );
};

/** The outcome page, from the ledger: never from what the intermediary's redirect claimed. */
export const ResultPage = (props: {
  payment: PaymentRecord;
  agencyName: string;
  locale: Locale;
  token: string;
  connectorName: string | null;
  /** The e-receipt page of a succeeded payment. */
  receiptHref: string | null;
  /** Why the intermediary declined the latest attempt, from its code table. */
  declineReason: LocalizedText | null;
}) => {
  const m = MESSAGES[props.locale];
  const r = m.result;
  const p = props.payment;
  const other = props.locale === "vi" ? "en" : "vi";
  const processing = p.status === "started" || p.status === "created";
  const instructions = processing ? paymentInstructions(p) : null;
  const carry = MESSAGES[props.locale].instructions;
  const [heading, body] = instructions
    ? "qr_payload" in instructions
      ? [carry.qrTitle, carry.qrBody]
      : [carry.codeTitle, carry.codeBody]
    : processing
      ? [r.processing, r.processingBody]
      : p.status === "success"
        ? [r.success, r.successBody]
        : p.status === "failed"
          ? [r.failed, p.stateCode === "attempt_cancelled" ? r.cancelledByPayerBody : r.failedBody]
          : p.status === "expired"
            ? [r.expired, r.expiredBody]
            : p.status === "cancelled"
              ? [r.cancelled, r.cancelledBody]
              : [r.error, r.errorBody];
  return (
    <Layout
      locale={props.locale}
      title={heading}
      otherLanguageHref={`/pay/${props.token}/result?lang=${other}`}
      {...(processing ? { refreshSeconds: instructions ? 5 : 3 } : {})}
    >
      <section
        class={`card status-${processing ? "processing" : p.status}`}
        data-testid="result"
        data-status={p.status}
      >
        <h1>{heading}</h1>
        <p>{body}</p>
        {p.status === "failed" && p.stateCode === "attempt_declined" && props.declineReason ? (
          <p class="reason" data-testid="decline-reason">
            {r.reason}: {props.declineReason[props.locale]}
          </p>
        ) : null}
        {instructions ? <Instructions instructions={instructions} locale={props.locale} /> : null}
        <dl>
          <dt>{m.agency}</dt>
          <dd>{props.agencyName}</dd>
          <dt>{m.dossier}</dt>
          <dd>{p.reference}</dd>
          <dt>{m.total}</dt>
          <dd data-testid="total">{formatVnd(p.amount, props.locale)}</dd>
          {p.status === "failed" || instructions ? (
            <>
              <dt>{m.expires}</dt>
              <dd data-testid="expires">{formatVietnamDateTime(p.expiresAt, props.locale)}</dd>
            </>
          ) : null}
          {p.status === "success" && props.connectorName ? (
            <>
              <dt>{r.via}</dt>
              <dd>{props.connectorName}</dd>
            </>
          ) : null}
          {p.status === "success" && p.providerTxnId ? (
            <>
              <dt>{r.transaction}</dt>
              <dd>{p.providerTxnId}</dd>
            </>
          ) : null}
          {p.succeededAt ? (
            <>
              <dt>{r.paidAt}</dt>
              <dd>{formatVietnamDateTime(p.succeededAt, props.locale)}</dd>
            </>
          ) : null}
        </dl>
        <div class="actions">
          {p.status === "success" && props.receiptHref ? (
            <a class="button secondary" href={props.receiptHref} data-testid="receipt">
              {r.receipt}
            </a>
          ) : null}
          {p.status === "failed" ? (
            <a class="button" href={`/pay/${props.token}?lang=${props.locale}`} data-testid="try-again">
              {r.tryAgain}
            </a>
          ) : null}
          {instructions ? (
            <a
              class="button secondary"
              href={`/pay/${props.token}?lang=${props.locale}`}
              data-testid="other-method"
            >
              {r.otherMethod}
            </a>
          ) : null}
          <a
            class={p.status === "failed" ? "button secondary" : "button"}
            href={p.returnUrl}
            data-testid="back-to-portal"
          >
            {r.back}
          </a>
        </div>
      </section>
    </Layout>
  );
};

/** A page that says only what went wrong with the link or the return. */
export const MessagePage = (props: { locale: Locale; message: string; otherLanguageHref: string }) => (
  <Layout
    locale={props.locale}
    title={MESSAGES[props.locale].platform}
    otherLanguageHref={props.otherLanguageHref}
  >
    <section class="card">
      <p data-testid="message">{props.message}</p>
    </section>
  </Layout>
);
