/**
 * A sandbox that plays MoMo's AIO payment gateway v2 (§2), mounted by the platform under
 * options.basePath ("/momo"), so that MOMO_API_URL = http://127.0.0.1:3001/momo reaches it:
 *   POST /v2/gateway/api/create, /query, /refund, /refund/query   the gateway API (simulator-api.ts)
 *   GET  /v2/gateway/pay?t=…[&lang=en]   the payment page at the payUrl (POST: the outcome chosen on it)
 *   GET  /recon?date=yyyyMMdd            the day's reconciliation file (§11)
 *   /_sim/…                              the conformance kit's control API (simulator-kit.ts)
 * Every bad request gets MoMo's own resultCode or an error page; nothing personal is logged.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import { vietnamBusinessDate } from "../../domain/vietnam-time.ts";
import type { Locale, SimulatorOptions } from "../sdk/contract.ts";
import { type ReconRow, writeReconFile } from "../sdk/recon-file.ts";
import {
  type CallbackDelivery,
  DEFAULT_SIM_BEHAVIOUR,
  misbehavingApi,
  parseBehaviour,
  type SimBehaviour,
  type SimulatorControl,
  sendCallback,
  simulatorControlRoutes,
} from "../sdk/simulator-kit.ts";
import { type MomoConfig, merchantOf } from "./config.ts";
import {
  isIpnReceived,
  MOMO_CALLBACK_FIELDS,
  type MomoResultCode,
  momoMessage,
  parseAmount,
  parseMomoJson,
  parseTransId,
  type SignedFields,
  signFields,
  textOf,
} from "./protocol.ts";
import {
  type ApiAnswer,
  answerCreate,
  answerQuery,
  answerRefund,
  answerRefundQuery,
} from "./simulator-api.ts";
import {
  ErrorPage,
  isPageOutcome,
  type PageErrorReason,
  type PageOutcome,
  PaymentPage,
} from "./simulator-pages.tsx";
import {
  createStore,
  orderByTransId,
  type SimOrder,
  type SimPayment,
  type SimStore,
} from "./simulator-state.ts";

/**
 * How long a created order stays payable. MoMo publishes no lifetime for a captureWallet payUrl [U];
 * longer than PayGov's own attempt lifetime (15 minutes), so PayGov's expiry is what a test sees.
 */
export const ORDER_LIFETIME_MS = 100 * 60 * 1000;
/** The IPN of a tamperAmount run claims this many đồng more than the order. */
const TAMPER_EXTRA_VND = 1_000;
/** The kit's outcomes as the page's resultCodes: paid, insufficient funds, declined by the user. */
const OUTCOME_CODES: Record<"success" | "failure" | "cancel", PageOutcome> = {
  success: 0,
  failure: 1001,
  cancel: 1006,
};

type CallbackValues = Omit<SignedFields<typeof MOMO_CALLBACK_FIELDS>, "accessKey">;

/** The IPN's and the redirect's fields (§2.4), unsigned. */
const callbackValues = (order: SimOrder, payment: SimPayment, partnerCode: string): CallbackValues => ({
  amount: String(order.amount),
  extraData: order.extraData,
  message: momoMessage(payment.resultCode, order.lang),
  orderId: order.orderId,
  orderInfo: order.orderInfo,
  orderType: "momo_wallet",
  partnerCode,
  payType: payment.payType,
  requestId: order.requestId,
  responseTime: String(payment.at.getTime()),
  resultCode: String(payment.resultCode),
  transId: payment.transId,
});

/** The IPN's JSON body: MoMo sends amount, transId, resultCode and responseTime as numbers. */
const ipnBody = (values: CallbackValues, signature: string): string =>
  JSON.stringify({
    partnerCode: values.partnerCode,
    orderId: values.orderId,
    requestId: values.requestId,
    amount: Number(values.amount),
    orderInfo: values.orderInfo,
    orderType: values.orderType,
    transId: Number(values.transId),
    resultCode: Number(values.resultCode),
    message: values.message,
    payType: values.payType,
    responseTime: Number(values.responseTime),
    extraData: values.extraData,
    signature,
  });

/** The dossier code at the end of PayGov's order info ("Thanh toan ho so 000.00.99.H99-261203-K1"). */
const dossierCodeOf = (orderInfo: string): string => /(\S+-\d{6}-\S+)\s*$/.exec(orderInfo)?.[1] ?? "";

/** yyyyMMdd as yyyy-MM-dd when it names a calendar day; null otherwise. */
const calendarDay = (text: string): string | null => {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
    ? `${match[1]}-${match[2]}-${match[3]}`
    : null;
};

/** The D rows of one Vietnam day: payments that ended, and refunds MoMo took (each under its own orderId). */
const reconRows = (store: SimStore, businessDate: string): ReconRow[] => {
  const rows: ReconRow[] = [];
  for (const order of store.orders.values()) {
    const { payment } = order;
    if (payment === null) continue;
    const common = {
      fee: 0,
      currency: "VND",
      channel: payment.payType,
      payerMasked: "",
      dossierCode: dossierCodeOf(order.orderInfo),
    };
    if (vietnamBusinessDate(payment.at) === businessDate)
      rows.push({
        ...common,
        txnType: "PAYMENT",
        merchantRef: order.orderId,
        providerTxnId: payment.transId,
        originalProviderTxnId: "",
        amount: order.amount,
        createdAt: order.createdAt,
        completedAt: payment.at,
        status: payment.resultCode === 0 ? "SUCCESS" : "FAILED",
        providerStatusCode: String(payment.resultCode),
      });
    for (const refund of order.refunds) {
      if (refund.transId === null || vietnamBusinessDate(refund.at) !== businessDate) continue;
      rows.push({
        ...common,
        txnType: "REFUND",
        merchantRef: refund.orderId,
        providerTxnId: refund.transId,
        originalProviderTxnId: payment.transId,
        amount: refund.amount,
        createdAt: refund.at,
        completedAt: refund.at,
        status: "SUCCESS",
        providerStatusCode: String(refund.resultCode),
      });
    }
  }
  return rows.sort((a, b) => a.completedAt.getTime() - b.completedAt.getTime());
};

const serialise = (order: SimOrder) => ({
  orderId: order.orderId,
  requestId: order.requestId,
  amount: order.amount,
  orderInfo: order.orderInfo,
  ipnUrl: order.ipnUrl,
  redirectUrl: order.redirectUrl,
  lang: order.lang,
  createdAt: order.createdAt.toISOString(),
  expiresAt: order.expiresAt.toISOString(),
  payment: order.payment === null ? null : { ...order.payment, at: order.payment.at.toISOString() },
  refunds: order.refunds.map((refund) => ({ ...refund, at: refund.at.toISOString() })),
  deliveries: order.deliveries.map((delivery) => ({ ...delivery, at: delivery.at.toISOString() })),
});

const html = async (c: Context, page: JSX.Element, status: 200 | 400 | 404 | 409 | 500 = 200) =>
  c.html(`<!DOCTYPE html>${await page}`, status);

const errorPage = (c: Context, reason: PageErrorReason, language: Locale, status: 400 | 404 | 409 | 500) =>
  html(c, <ErrorPage reason={reason} language={language} />, status);

/** The MoMo simulator for one partner (options.merchant). */
export const momoSimulator = (options: SimulatorOptions<MomoConfig>): Hono => {
  const merchant = merchantOf(options.merchant);
  const store = createStore();
  const app = new Hono();
  const payPath = `${options.basePath}/v2/gateway/pay`;

  const apiContext = (c: Context) => ({
    store,
    merchant,
    now: options.now(),
    // MoMo's payUrl is on the host the merchant called (§2.1): the same here.
    baseUrl: `${new URL(c.req.url).origin}${options.basePath}`,
    orderLifetimeMs: ORDER_LIFETIME_MS,
  });

  const jsonBody = async (c: Context): Promise<Readonly<Record<string, unknown>> | null> => {
    const parsed = parseMomoJson(await c.req.text().catch(() => ""));
    return parsed.ok ? parsed.value : null;
  };

  const reply = (c: Context, answer: ApiAnswer) => c.json(answer.body, answer.status);

  const behaviourOf = (order: SimOrder | undefined): SimBehaviour =>
    order === undefined ? store.behaviours.for(null) : store.behaviours.for(order.orderId, order.amount);

  /**
   * Records the outcome, builds the IPN (signed, or tampered as told) and sends it to PayGov, and
   * returns the browser's signed redirect (§2.4). The IPN goes to the sandbox's own route to PayGov
   * (options.ipnUrl: PAYGOV_INTERNAL_URL, reachable from the sandbox's container) rather than to the
   * create's ipnUrl (PAYGOV_PUBLIC_URL): both name the same /callbacks/momo/ipn.
   */
  const complete = async (
    order: SimOrder,
    chosen: MomoResultCode,
    behaviour: SimBehaviour,
  ): Promise<string> => {
    const now = options.now();
    // Past its lifetime MoMo's page no longer takes the payment, whatever the citizen chose (§2.5 1005).
    const payment: SimPayment = {
      resultCode: now > order.expiresAt ? 1005 : chosen,
      transId: store.nextTransId(),
      payType: "qr",
      at: now,
    };
    order.payment = payment;
    const values = callbackValues(order, payment, merchant.partnerCode);
    const sign = (fields: CallbackValues, secretKey: string) =>
      signFields(MOMO_CALLBACK_FIELDS, { ...fields, accessKey: merchant.accessKey }, secretKey);
    const ipnValues = behaviour.tamperAmount
      ? { ...values, amount: String(order.amount + TAMPER_EXTRA_VND) }
      : values;
    const ipnSecret = behaviour.tamperSignature ? `${merchant.secretKey}-forged` : merchant.secretKey;
    const callback = {
      method: "POST" as const,
      url: options.ipnUrl,
      headers: { "content-type": "application/json; charset=UTF-8" },
      body: ipnBody(ipnValues, sign(ipnValues, ipnSecret)),
    };
    order.lastCallback = callback;
    const send = () =>
      sendCallback(
        options.fetch,
        callback,
        behaviour,
        isIpnReceived,
        (delivery) => order.deliveries.push(delivery),
        options.now,
      );
    // A delayed IPN, or one that must come after the browser's return, goes out in the background.
    if (behaviour.callback === "delay" || behaviour.callback === "reorder") void send();
    else await send();
    const query = new URLSearchParams({ ...values, signature: sign(values, merchant.secretKey) });
    return `${order.redirectUrl}${order.redirectUrl.includes("?") ? "&" : "?"}${query}`;
  };

  app.post("/v2/gateway/api/create", async (c) => {
    const body = await jsonBody(c);
    const orderId = body === null ? null : textOf(body.orderId);
    const amount = body === null ? null : parseAmount(textOf(body.amount));
    const misbehaving = await misbehavingApi(c, store.behaviours.for(orderId, amount ?? undefined).initiate);
    return misbehaving ?? reply(c, answerCreate(body, apiContext(c)));
  });

  app.post("/v2/gateway/api/query", async (c) => {
    const body = await jsonBody(c);
    const order = store.orders.get((body === null ? null : textOf(body.orderId)) ?? "");
    return (await misbehavingApi(c, behaviourOf(order).api)) ?? reply(c, answerQuery(body, apiContext(c)));
  });

  app.post("/v2/gateway/api/refund", async (c) => {
    const body = await jsonBody(c);
    const transId = body === null ? null : parseTransId(textOf(body.transId));
    const order = transId === null ? undefined : orderByTransId(store, transId);
    return (
      (await misbehavingApi(c, behaviourOf(order).api)) ??
      reply(
        c,
        answerRefund(body, apiContext(c), (paid) => behaviourOf(paid).refund === "refuse"),
      )
    );
  });

  app.post("/v2/gateway/api/refund/query", async (c) => {
    const body = await jsonBody(c);
    const order = store.orders.get((body === null ? null : textOf(body.orderId)) ?? "");
    return (
      (await misbehavingApi(c, behaviourOf(order).api)) ?? reply(c, answerRefundQuery(body, apiContext(c)))
    );
  });

  app.get("/v2/gateway/pay", async (c) => {
    const asked = c.req.query("lang");
    const order = store.byToken.get(c.req.query("t") ?? "");
    if (order === undefined) return errorPage(c, "notFound", asked === "en" ? "en" : "vi", 404);
    const language: Locale = (asked ?? order.lang) === "en" ? "en" : "vi";
    if (order.payment !== null) return errorPage(c, "alreadyProcessed", language, 409);
    if (options.now() > order.expiresAt) return errorPage(c, "expired", language, 400);
    const behaviour = behaviourOf(order);
    if (behaviour.autoPay !== null)
      return c.redirect(await complete(order, OUTCOME_CODES[behaviour.autoPay], behaviour), 302);
    return html(
      c,
      <PaymentPage
        order={order}
        partnerCode={merchant.partnerCode}
        language={language}
        action={payPath}
        behaviour={behaviour}
      />,
    );
  });

  app.post("/v2/gateway/pay", async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const value = (name: string): string => (typeof form[name] === "string" ? form[name] : "");
    const order = store.byToken.get(value("t"));
    const language: Locale = (value("lang") || order?.lang) === "en" ? "en" : "vi";
    if (order === undefined) return errorPage(c, "notFound", language, 404);
    if (order.payment !== null) return errorPage(c, "alreadyProcessed", language, 409);
    const outcome = /^\d{1,4}$/.test(value("outcome")) ? Number(value("outcome")) : Number.NaN;
    const delay = value("delaySeconds");
    // Testing options the form left out keep what POST /_sim/behaviour set.
    const patch = parseBehaviour({
      ...(value("callback") === "" ? {} : { callback: value("callback") }),
      ...(delay === "" ? {} : { delayMs: Math.round(Number(delay) * 1000) }),
    });
    if (!isPageOutcome(outcome) || !patch.ok) return errorPage(c, "invalidOutcome", language, 400);
    const behaviour = { ...behaviourOf(order), ...patch.behaviour };
    return c.redirect(await complete(order, outcome, behaviour), 302);
  });

  app.get("/recon", (c) => {
    const date = c.req.query("date") ?? "";
    const businessDate = calendarDay(date);
    if (businessDate === null) return c.text("date must be a calendar day as yyyyMMdd", 400);
    const file = writeReconFile({
      provider: "MOMO",
      merchantId: merchant.partnerCode,
      businessDate,
      generatedAt: options.now(),
      rows: reconRows(store, businessDate),
    });
    return c.body(file, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="MOMO_${merchant.partnerCode}_${date}.csv"`,
    });
  });

  const control: SimulatorControl = {
    behaviours: store.behaviours,
    async pay(reference, outcome) {
      const order = store.orders.get(reference);
      if (order === undefined)
        return { ok: false, status: 404, error: "no order was created with this orderId" };
      if (order.payment !== null)
        return { ok: false, status: 409, error: "this order has already been paid or failed" };
      return { ok: true, returnUrl: await complete(order, OUTCOME_CODES[outcome], behaviourOf(order)) };
    },
    transactions: () => [...store.orders.values()].map(serialise),
    lastCallback: (reference) => store.orders.get(reference)?.lastCallback ?? null,
    async resend(reference) {
      const order = store.orders.get(reference);
      if (order === undefined || order.lastCallback === null) return null;
      const callback = order.lastCallback;
      const deliveries: CallbackDelivery[] = [];
      await sendCallback(
        options.fetch,
        callback,
        DEFAULT_SIM_BEHAVIOUR,
        isIpnReceived,
        (delivery) => {
          deliveries.push(delivery);
          order.deliveries.push(delivery);
        },
        options.now,
      );
      return deliveries;
    },
  };
  app.route("/_sim", simulatorControlRoutes(control));

  // A last resort, not a path any request is expected to take: even a bug answers with a page.
  app.onError((_error, c) => errorPage(c, "internal", "vi", 500));

  return app;
};
