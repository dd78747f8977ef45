/**
 * TEMPLATE CONNECTOR — simulator.tsx: a sandbox Example Pay, speaking the real protocol.
 *
 * sandbox/server.ts mounts it under /<id> (here /template) on PAYGOV_SANDBOX_PORT, with the merchant's
 * parsed configuration (options.merchant: the simulator knows the same secret as the connector), the
 * URL it sends IPNs to (options.ipnUrl: PayGov's /callbacks/template/ipn as the sandbox reaches it) and
 * the fetch and clock to use. Routes, under that mount point:
 *   GET  /checkout            the payment page (§3); POST /checkout: the outcome the tester chose on it
 *   POST /v1/orders/query     the query API (§6)
 *   POST /v1/refunds          the refund API (§7)
 *   GET  /recon?date=…        the day's reconciliation file (§8), in the canonical layout
 *   /_sim/...                 the shared control API (connectors/sdk/simulator-kit.ts)
 *
 * What every simulator must do (the conformance kit relies on each point):
 *   - speak the protocol exactly, signatures included, and REFUSE what the real intermediary refuses
 *     (a bad signature, an unknown merchant, a reused order id, an expired link): a simulator that
 *     accepts anything proves nothing about the connector;
 *   - keep its own records (orders, payments, refunds), answer queries and refunds from them, and
 *     write its reconciliation file from them;
 *   - misbehave on request with the kit's vocabulary: BehaviourStore (per reference, global, and the
 *     MAGIC_AMOUNTS table: a payment of 10001 VND drops its callback, and so on), sendCallback for
 *     drop/duplicate/delay/reorder and retries until the protocol's "received", misbehavingApi for
 *     503/hang on server APIs, and the refund: "refuse" and tamperAmount/tamperSignature switches;
 *   - capture the server-to-server callback it sends — or would have sent, when told to drop it — so
 *     that GET /_sim/callbacks/:reference returns it and the kit can replay, re-sign or forge it;
 *   - bind nothing itself, download nothing, log nothing personal.
 *
 * WHAT THE AUTHOR MUST REPLACE: the routes and their paths (the intermediary's own), the request
 * validation, what a chosen outcome records and sends, the answers' shapes, and OUTCOME_CODES (the
 * kit's success/failure/cancel in your result codes). Keep the control API wiring at the bottom as is.
 */
import { randomInt } from "node:crypto";
import type { Context } from "hono";
import { Hono } from "hono";
import type { Child } from "hono/jsx";
import type { JSX } from "hono/jsx/jsx-runtime";
import { formatVietnamIso, vietnamBusinessDate } from "../../domain/vietnam-time.ts";
import type { LocalizedText, SimulatorOptions } from "../sdk/contract.ts";
import { type ReconRow, writeReconFile } from "../sdk/recon-file.ts";
import {
  BehaviourStore,
  type CallbackDelivery,
  type CapturedCallback,
  misbehavingApi,
  parseBehaviour,
  type SimBehaviour,
  sendCallback,
  simulatorControlRoutes,
} from "../sdk/simulator-kit.ts";
import { merchantOf, type TemplateConfig } from "./config.ts";
import {
  bodySignatureValid,
  EXAMPLEPAY_API_CODES,
  EXAMPLEPAY_RESULT_CODES,
  type ExamplePayApiCode,
  type ExamplePayIpnBody,
  type ExamplePayResultCode,
  formatExampleTime,
  isIpnAcknowledged,
  MAX_AMOUNT_VND,
  MIN_AMOUNT_VND,
  ORDER_ID,
  parseExampleTime,
  parseJsonObject,
  parseWireAmount,
  querySignatureValid,
  readParams,
  SIGNATURE_HEADER,
  SIGNATURE_PARAM,
  signedJson,
  signQuery,
} from "./protocol.ts";

/** The kit's three outcomes in Example Pay's result codes: paid, insufficient balance, cancelled. */
const OUTCOME_CODES: Record<"success" | "failure" | "cancel", ExamplePayResultCode> = {
  success: "00",
  failure: "06",
  cancel: "09",
};

/** The outcomes the payment page offers a tester: the kit's three and two more failures. */
const PAGE_OUTCOMES: ReadonlyArray<ExamplePayResultCode> = ["00", "05", "06", "07", "09"];

/** A tamperAmount callback claims this many đồng more than the order, validly signed. */
const TAMPER_EXTRA_VND = 1_000;

interface SimPayment {
  readonly resultCode: ExamplePayResultCode;
  /** "" when the payment never reached a bank (a cancel). */
  readonly transactionId: string;
  readonly at: Date;
}

interface SimRefund {
  readonly refundId: string;
  readonly refundTransactionId: string;
  readonly amount: number;
  readonly at: Date;
}

/** An order opened on the simulated checkout page. */
interface SimOrder {
  readonly orderId: string;
  readonly amount: number;
  readonly description: string;
  readonly returnUrl: string;
  readonly locale: "vi" | "en";
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** The opening link's signature: the same link opened again is the same order, not a reuse. */
  readonly linkSignature: string;
  payment: SimPayment | null;
  /** The last IPN sent, or that would have been sent when dropped (GET /_sim/callbacks/:reference). */
  lastIpn: CapturedCallback | null;
  readonly deliveries: CallbackDelivery[];
  readonly refunds: SimRefund[];
}

// ---------------------------------------------------------------------------------------------
// Pages (hono/jsx). Elements a headless browser drives carry data-testid.

const PAGE_ERRORS = {
  malformed: { vi: "Yêu cầu thanh toán không hợp lệ", en: "Invalid payment request" },
  unknownMerchant: { vi: "Mã đơn vị không tồn tại", en: "Unknown merchant" },
  invalidSignature: { vi: "Sai chữ ký", en: "Invalid signature" },
  invalidAmount: { vi: "Số tiền không hợp lệ", en: "Invalid amount" },
  expired: { vi: "Liên kết thanh toán đã hết hạn", en: "The payment link has expired" },
  duplicateOrder: { vi: "Mã đơn hàng đã được sử dụng", en: "This order_id was already used" },
  alreadyProcessed: { vi: "Giao dịch đã được xử lý", en: "This payment has already been processed" },
  notFound: { vi: "Không tìm thấy giao dịch", en: "Payment not found" },
  internal: { vi: "Lỗi hệ thống", en: "System error" },
} satisfies Record<string, LocalizedText>;

type PageError = keyof typeof PAGE_ERRORS;

const TEXT = {
  vi: {
    title: "Example Pay (mô phỏng)",
    order: "Mã đơn hàng",
    description: "Nội dung",
    amount: "Số tiền",
    callback: "Thông báo IPN",
    choose: "Chọn kết quả giao dịch",
    error: "Không thể thực hiện giao dịch",
  },
  en: {
    title: "Example Pay (simulator)",
    order: "Order",
    description: "Description",
    amount: "Amount",
    callback: "IPN",
    choose: "Choose the outcome",
    error: "The payment cannot proceed",
  },
};

const CALLBACK_MODES: Record<SimBehaviour["callback"], LocalizedText> = {
  normal: { vi: "Gửi ngay", en: "Sent at once" },
  drop: { vi: "Không gửi", en: "Not sent" },
  duplicate: { vi: "Gửi hai lần", en: "Sent twice" },
  delay: { vi: "Gửi chậm", en: "Delayed" },
  reorder: { vi: "Chuyển về trước, IPN sau", en: "Return first, IPN after" },
};

const Layout = (props: { language: "vi" | "en"; title: string; children: Child }) => (
  <html lang={props.language}>
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{props.title}</title>
    </head>
    <body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem">
      {props.children}
    </body>
  </html>
);

const formatVnd = (amount: number, language: "vi" | "en") =>
  new Intl.NumberFormat(language === "en" ? "en-US" : "vi-VN", { style: "currency", currency: "VND" }).format(
    amount,
  );

const PaymentPage = (props: { order: SimOrder; action: string; behaviour: SimBehaviour }) => {
  const { order } = props;
  const t = TEXT[order.locale];
  return (
    <Layout language={order.locale} title={t.title}>
      <h1>{t.title}</h1>
      <dl>
        <dt>{t.order}</dt>
        <dd data-testid="sim-order-id">{order.orderId}</dd>
        <dt>{t.description}</dt>
        <dd data-testid="sim-description">{order.description}</dd>
        <dt>{t.amount}</dt>
        <dd data-testid="sim-amount">{formatVnd(order.amount, order.locale)}</dd>
      </dl>
      <form method="post" action={props.action}>
        <input type="hidden" name="order_id" value={order.orderId} />
        <label>
          {t.callback}{" "}
          <select name="callback" data-testid="sim-callback">
            {Object.entries(CALLBACK_MODES).map(([mode, label]) => (
              <option value={mode} selected={mode === props.behaviour.callback}>
                {label[order.locale]}
              </option>
            ))}
          </select>
        </label>
        <p>{t.choose}</p>
        {PAGE_OUTCOMES.map((code) => (
          <button type="submit" name="result_code" value={code} data-testid={`sim-pay-${code}`}>
            {code} · {EXAMPLEPAY_RESULT_CODES[code].text[order.locale]}
          </button>
        ))}
      </form>
    </Layout>
  );
};

const ErrorPage = (props: { reason: PageError; language: "vi" | "en" }) => (
  <Layout language={props.language} title={TEXT[props.language].error}>
    <h1>{TEXT[props.language].error}</h1>
    <p data-testid="sim-error" data-reason={props.reason}>
      {PAGE_ERRORS[props.reason][props.language]}
    </p>
  </Layout>
);

// ---------------------------------------------------------------------------------------------

const CHECKOUT_FIELDS = [
  "version",
  "merchant_id",
  "order_id",
  "amount",
  "currency",
  "description",
  "return_url",
  "expire_time",
  "locale",
  SIGNATURE_PARAM,
] as const;

const isHttpUrl = (text: string): boolean =>
  URL.canParse(text) && ["http:", "https:"].includes(new URL(text).protocol);

const withQuery = (url: string, query: string): string => `${url}${url.includes("?") ? "&" : "?"}${query}`;

const textOf = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

/** The dossier code inside the order description, for the file's dossier_code column (intermediaries.md §11). */
const dossierCodeOf = (description: string): string => /\S+-\d{6}-\S+/.exec(description)?.[0] ?? "";

/** The Example Pay simulator for one merchant (options.merchant), sending IPNs to options.ipnUrl. */
export const templateSimulator = (options: SimulatorOptions<TemplateConfig>): Hono => {
  const merchant = merchantOf(options.merchant);
  const orders = new Map<string, SimOrder>();
  // §7: a refund_id answers its first answer again; kept with what it asked, to refuse a changed repeat.
  const refundAnswers = new Map<
    string,
    { orderId: string; amount: number; answer: Record<string, unknown> }
  >();
  const behaviours = new BehaviourStore();
  // A random start, so that two simulator runs do not hand out the same ids (the file's DUPLICATE check).
  let lastTransactionId = randomInt(10_000_000, 90_000_000);
  const nextTransactionId = () => String(++lastTransactionId);
  const behaviourOf = (order: SimOrder): SimBehaviour => behaviours.for(order.orderId, order.amount);
  const app = new Hono();

  const page = async (c: Context, element: JSX.Element, status: 200 | 400 | 404 | 409 | 500 = 200) =>
    c.html(`<!DOCTYPE html>${await element}`, status);
  const errorPage = (c: Context, reason: PageError, language: "vi" | "en", status: 400 | 404 | 409 | 500) =>
    page(c, <ErrorPage reason={reason} language={language} />, status);

  /** §3: validates the signed link and records the order; the same link again is the same order. */
  const openOrder = (
    query: URLSearchParams,
  ): { ok: true; order: SimOrder } | { ok: false; reason: PageError; status: 400 | 409 } => {
    const fail = (reason: PageError, status: 400 | 409 = 400) => ({ ok: false as const, reason, status });
    const read = readParams(query);
    if (!read.ok) return fail("malformed");
    const p = read.value;
    if (CHECKOUT_FIELDS.some((name) => (p[name] ?? "") === "")) return fail("malformed");
    const field = (name: (typeof CHECKOUT_FIELDS)[number]) => p[name] ?? "";
    if (field("merchant_id") !== merchant.merchantId) return fail("unknownMerchant");
    if (!querySignatureValid(p, merchant.secret)) return fail("invalidSignature");
    const locale = field("locale");
    if (field("version") !== "1" || field("currency") !== "VND" || (locale !== "vi" && locale !== "en"))
      return fail("malformed");
    if (!ORDER_ID.test(field("order_id")) || !isHttpUrl(field("return_url"))) return fail("malformed");
    const amount = parseWireAmount(field("amount"));
    if (amount === null || amount < MIN_AMOUNT_VND || amount > MAX_AMOUNT_VND) return fail("invalidAmount");
    const expiresAt = parseExampleTime(field("expire_time"));
    if (expiresAt === null) return fail("malformed");
    if (expiresAt <= options.now()) return fail("expired");
    const existing = orders.get(field("order_id"));
    if (existing !== undefined) {
      if (existing.linkSignature !== field(SIGNATURE_PARAM)) return fail("duplicateOrder");
      return existing.payment === null ? { ok: true, order: existing } : fail("alreadyProcessed", 409);
    }
    const order: SimOrder = {
      orderId: field("order_id"),
      amount,
      description: field("description"),
      returnUrl: field("return_url"),
      locale,
      createdAt: options.now(),
      expiresAt,
      linkSignature: field(SIGNATURE_PARAM),
      payment: null,
      lastIpn: null,
      deliveries: [],
      refunds: [],
    };
    orders.set(order.orderId, order);
    return { ok: true, order };
  };

  /** Sends an IPN as the behaviour says, retrying until PayGov answers 00/02 (§5); each try recorded. */
  const deliver = (
    order: SimOrder,
    ipn: CapturedCallback,
    behaviour: SimBehaviour,
    log: CallbackDelivery[] = [],
  ) =>
    sendCallback(
      options.fetch,
      ipn,
      behaviour,
      isIpnAcknowledged,
      (delivery) => {
        log.push(delivery);
        order.deliveries.push(delivery);
      },
      options.now,
    );

  /**
   * Records the outcome, sends the IPN as the behaviour says, and returns the browser's signed return
   * URL (§4, §5). Past expire_time the payment expires (10) whatever was chosen, as the real page would.
   */
  const complete = async (order: SimOrder, chosen: ExamplePayResultCode, behaviour: SimBehaviour) => {
    const now = options.now();
    const resultCode = now > order.expiresAt ? "10" : chosen;
    const payment: SimPayment = {
      resultCode,
      transactionId: resultCode === "09" ? "" : nextTransactionId(),
      at: now,
    };
    order.payment = payment;
    const result: ExamplePayIpnBody = {
      merchant_id: merchant.merchantId,
      order_id: order.orderId,
      transaction_id: payment.transactionId,
      amount: order.amount,
      result_code: resultCode,
      paid_time: resultCode === "00" ? formatExampleTime(now) : "",
    };
    const ipnBody = behaviour.tamperAmount ? { ...result, amount: order.amount + TAMPER_EXTRA_VND } : result;
    const signed = signedJson(
      ipnBody,
      behaviour.tamperSignature ? `${merchant.secret}-forged` : merchant.secret,
    );
    // Captured before sending, and even when dropped: the kit delivers it itself (replay, re-sign, forge).
    const ipn: CapturedCallback = {
      method: "POST",
      url: options.ipnUrl,
      headers: signed.headers,
      body: signed.body,
    };
    order.lastIpn = ipn;
    const sent = deliver(order, ipn, behaviour);
    // The browser waits for an IPN sent at once; a delayed or reordered one goes out in the background.
    if (behaviour.callback === "normal" || behaviour.callback === "duplicate") await sent;
    return withQuery(
      order.returnUrl,
      signQuery({ ...result, amount: String(order.amount) }, merchant.secret),
    );
  };

  app.get("/checkout", async (c) => {
    const query = new URL(c.req.url).searchParams;
    const language = query.get("locale") === "en" ? "en" : "vi";
    const opened = openOrder(query);
    if (!opened.ok) return errorPage(c, opened.reason, language, opened.status);
    const { order } = opened;
    const behaviour = behaviourOf(order);
    // Opening the page is where Example Pay creates the order: the kit's `initiate` misbehaviour lives here.
    const down = await misbehavingApi(c, behaviour.initiate);
    if (down !== null) return down;
    if (behaviour.autoPay !== null)
      return c.redirect(await complete(order, OUTCOME_CODES[behaviour.autoPay], behaviour), 302);
    return page(
      c,
      <PaymentPage order={order} action={`${options.basePath}/checkout`} behaviour={behaviour} />,
    );
  });

  app.post("/checkout", async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const value = (name: string) => (typeof form[name] === "string" ? form[name] : "");
    const order = orders.get(value("order_id"));
    if (order === undefined) return errorPage(c, "notFound", "vi", 404);
    if (order.payment !== null) return errorPage(c, "alreadyProcessed", order.locale, 409);
    const chosen = PAGE_OUTCOMES.find((code) => code === value("result_code"));
    // What the form left out keeps what POST /_sim/behaviour (or a magic amount) set.
    const choice = parseBehaviour(value("callback") === "" ? {} : { callback: value("callback") });
    if (chosen === undefined || !choice.ok) return errorPage(c, "malformed", order.locale, 400);
    return c.redirect(await complete(order, chosen, { ...behaviourOf(order), ...choice.behaviour }), 302);
  });

  /** A signed API answer (§2): every answer to this merchant is signed with its secret. */
  const answer = (c: Context, code: ExamplePayApiCode, extra: Record<string, unknown> = {}) => {
    const signed = signedJson(
      { api_code: code, message: EXAMPLEPAY_API_CODES[code], ...extra },
      merchant.secret,
    );
    return c.body(signed.body, 200, signed.headers);
  };

  /**
   * Reads a signed API request: an unreadable body or another merchant gets an unsigned HTTP error (no
   * secret to sign with), a bad signature the signed code 12.
   */
  const readRequest = async (c: Context, body: string) => {
    const fields = parseJsonObject(body);
    if (!fields.ok) return { ok: false as const, response: c.json({ error: fields.message }, 400) };
    if (fields.value.merchant_id !== merchant.merchantId)
      return { ok: false as const, response: c.json({ error: "unknown merchant" }, 401) };
    if (!bodySignatureValid(body, c.req.header(SIGNATURE_HEADER), merchant.secret))
      return { ok: false as const, response: answer(c, "12") };
    return { ok: true as const, fields: fields.value };
  };

  /**
   * The order an API request names and the behaviour that applies to it (its reference's, its magic
   * amount's, or the global one), read before anything else: a server that is down checks nothing.
   */
  const named = (body: string): { order: SimOrder | undefined; behaviour: SimBehaviour } => {
    const fields = parseJsonObject(body);
    const orderId = fields.ok ? textOf(fields.value.order_id) : null;
    const order = orderId === null ? undefined : orders.get(orderId);
    return { order, behaviour: behaviours.for(orderId, order?.amount) };
  };

  app.post("/v1/orders/query", async (c) => {
    const body = await c.req.text();
    const { order, behaviour } = named(body);
    const down = await misbehavingApi(c, behaviour.api);
    if (down !== null) return down;
    const request = await readRequest(c, body);
    if (!request.ok) return request.response;
    const { fields } = request;
    if (textOf(fields.request_id) === null || parseExampleTime(textOf(fields.request_time) ?? "") === null)
      return answer(c, "13");
    if (order === undefined) return answer(c, "11");
    const payment = order.payment;
    // Not paid yet: awaiting the payer (01) while the link works, expired (10) after.
    const resultCode = payment?.resultCode ?? (options.now() > order.expiresAt ? "10" : "01");
    return answer(c, "00", {
      order: {
        order_id: order.orderId,
        transaction_id: payment?.transactionId ?? "",
        amount: order.amount,
        result_code: resultCode,
        paid_time: payment?.resultCode === "00" ? formatExampleTime(payment.at) : "",
      },
    });
  });

  app.post("/v1/refunds", async (c) => {
    const body = await c.req.text();
    const { order, behaviour } = named(body);
    const down = await misbehavingApi(c, behaviour.api);
    if (down !== null) return down;
    const request = await readRequest(c, body);
    if (!request.ok) return request.response;
    const { fields } = request;
    const refundId = textOf(fields.refund_id) ?? "";
    const amount = parseWireAmount(fields.amount);
    if (
      !ORDER_ID.test(refundId) ||
      amount === null ||
      typeof fields.reason !== "string" ||
      parseExampleTime(textOf(fields.request_time) ?? "") === null
    )
      return answer(c, "13");
    const earlier = refundAnswers.get(refundId);
    if (earlier !== undefined) {
      // The same refund again: the first answer, whatever happened since (§7). A changed one is refused.
      if (earlier.orderId !== fields.order_id || earlier.amount !== amount) return answer(c, "13");
      return answer(c, earlier.answer.api_code as ExamplePayApiCode, earlier.answer);
    }
    if (order === undefined) return answer(c, "11");
    const refunded = order.refunds.reduce((sum, r) => sum + r.amount, 0);
    if (order.payment?.resultCode !== "00" || amount > order.amount - refunded) return answer(c, "21");
    const decide = (code: ExamplePayApiCode, extra: Record<string, unknown> = {}) => {
      const first = { api_code: code, ...extra };
      refundAnswers.set(refundId, { orderId: order.orderId, amount, answer: first });
      return answer(c, code, first);
    };
    if (behaviour.refund === "refuse") return decide("22");
    const refund: SimRefund = {
      refundId,
      refundTransactionId: nextTransactionId(),
      amount,
      at: options.now(),
    };
    order.refunds.push(refund);
    return decide("00", {
      refund: { refund_id: refundId, refund_transaction_id: refund.refundTransactionId, amount },
    });
  });

  /** §8: the D rows of one Vietnam day, from the simulator's own records. */
  const reconRows = (businessDate: string): ReconRow[] => {
    const rows: ReconRow[] = [];
    for (const order of orders.values()) {
      const { payment } = order;
      if (payment === null || payment.transactionId === "") continue;
      const common = {
        merchantRef: order.orderId,
        fee: 0,
        currency: "VND",
        createdAt: order.createdAt,
        channel: "EXAMPLEPAY",
        payerMasked: "",
        dossierCode: dossierCodeOf(order.description),
      };
      if (vietnamBusinessDate(payment.at) === businessDate)
        rows.push({
          ...common,
          txnType: "PAYMENT",
          providerTxnId: payment.transactionId,
          originalProviderTxnId: "",
          amount: order.amount,
          completedAt: payment.at,
          status: payment.resultCode === "00" ? "SUCCESS" : "FAILED",
          providerStatusCode: payment.resultCode,
        });
      for (const refund of order.refunds) {
        if (vietnamBusinessDate(refund.at) !== businessDate) continue;
        rows.push({
          ...common,
          txnType: "REFUND",
          providerTxnId: refund.refundTransactionId,
          originalProviderTxnId: payment.transactionId,
          amount: refund.amount,
          completedAt: refund.at,
          status: "SUCCESS",
          providerStatusCode: "00",
        });
      }
    }
    return rows.sort((a, b) => a.completedAt.getTime() - b.completedAt.getTime());
  };

  app.get("/recon", (c) => {
    const read = readParams(new URL(c.req.url).searchParams);
    if (
      !read.ok ||
      read.value.merchant_id !== merchant.merchantId ||
      !querySignatureValid(read.value, merchant.secret)
    )
      return c.text("unknown merchant or invalid signature", 401);
    const date = read.value.date ?? "";
    if (parseExampleTime(`${date}000000`) === null)
      return c.text("date must be a calendar day as yyyyMMdd", 400);
    const businessDate = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
    const file = writeReconFile({
      provider: "TEMPLATE",
      merchantId: merchant.merchantId,
      businessDate,
      generatedAt: options.now(),
      rows: reconRows(businessDate),
    });
    return c.body(file, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="TEMPLATE_${merchant.merchantId}_${date}.csv"`,
    });
  });

  // The shared control API: the same for every simulator, so tests and the kit drive them all alike.
  app.route(
    "/_sim",
    simulatorControlRoutes({
      behaviours,
      async pay(reference, outcome) {
        const order = orders.get(reference);
        if (order === undefined)
          return { ok: false, status: 404, error: "no order was opened with this reference" };
        if (order.payment !== null)
          return { ok: false, status: 409, error: "this order has already been processed" };
        return { ok: true, returnUrl: await complete(order, OUTCOME_CODES[outcome], behaviourOf(order)) };
      },
      transactions: () =>
        [...orders.values()].map((order) => ({
          ...order,
          createdAt: formatVietnamIso(order.createdAt),
          expiresAt: formatVietnamIso(order.expiresAt),
          payment: order.payment && { ...order.payment, at: formatVietnamIso(order.payment.at) },
          refunds: order.refunds.map((refund) => ({ ...refund, at: formatVietnamIso(refund.at) })),
        })),
      lastCallback: (reference) => orders.get(reference)?.lastIpn ?? null,
      async resend(reference) {
        const order = orders.get(reference);
        if (order?.lastIpn == null) return null;
        // Sent now, whatever the behaviour said of the first one: the tester asked for it.
        const log: CallbackDelivery[] = [];
        await deliver(order, order.lastIpn, { ...behaviourOf(order), callback: "normal" }, log);
        return log;
      },
    }),
  );

  // A last resort: even a bug answers with a page, never a stack trace.
  app.onError((_error, c) => errorPage(c, "internal", "vi", 500));

  return app;
};
