/**
 * A sandbox that plays VNPay (§1.8), mounted by the platform under options.basePath ("/vnpay"):
 *   GET  /paymentv2/vpcpay.html            the payment page (POST: the outcome chosen on it)
 *   POST /merchant_webapi/api/transaction  querydr and refund
 *   GET  /recon?date=yyyyMMdd              the day's reconciliation file (§11)
 *   /_sim/...                              the shared control API (connectors/sdk/simulator-kit.ts)
 * The IPN is a GET of the return's signed parameters to options.ipnUrl (§1.4). Every bad request gets
 * an error page or VNPay's own error code; nothing personal is logged.
 */
import { randomUUID } from "node:crypto";
import type { Context } from "hono";
import { Hono } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import { formatVietnamIso, vietnamBusinessDate } from "../../domain/vietnam-time.ts";
import type { SimulatorOptions } from "../sdk/contract.ts";
import { type ReconRow, writeReconFile } from "../sdk/recon-file.ts";
import {
  type CallbackDelivery,
  type CapturedCallback,
  misbehavingApi,
  parseBehaviour,
  type SimBehaviour,
  sendCallback,
  simulatorControlRoutes,
} from "../sdk/simulator-kit.ts";
import type { VnpayConfig } from "./config.ts";
import { merchantOf } from "./config.ts";
import { isVnpayResponseCode, signQuery, type VnpayResponseCode } from "./protocol.ts";
import {
  callbackParams,
  openPayment,
  type PageError,
  pageError,
  settle,
  withQuery,
} from "./simulator-checkout.ts";
import { answerMerchantApi } from "./simulator-merchant-api.ts";
import { ErrorPage, languageOf, PaymentPage } from "./simulator-pages.tsx";
import {
  behaviourOf,
  createStore,
  latestOrder,
  orderKey,
  type SimOrder,
  type SimStore,
} from "./simulator-state.ts";
import { parseVnpayDate } from "./time.ts";

/** The kit's outcomes in VNPay's codes: paid, insufficient balance, cancelled by the payer (§1.5). */
const OUTCOME_CODES: Record<"success" | "failure" | "cancel", VnpayResponseCode> = {
  success: "00",
  failure: "51",
  cancel: "24",
};

/** The IPN of a tamperAmount run claims this many đồng more than the order. */
const TAMPER_EXTRA_VND = 1_000;

/** The RspCode of PayGov's answer to an IPN, or null when it is not VNPay's JSON (§1.4). */
const rspCodeOf = (body: string | null): string | null => {
  try {
    const rspCode = (JSON.parse(body ?? "") as { RspCode?: unknown } | null)?.RspCode;
    return typeof rspCode === "string" ? rspCode : null;
  } catch {
    return null;
  }
};

/** VNPay stops re-sending an IPN on RspCode 00 or 02 only (§1.4). */
const ipnAcknowledged = (status: number, body: string): boolean =>
  status === 200 && ["00", "02"].includes(rspCodeOf(body) ?? "");

const html = async (c: Context, page: JSX.Element, status: 200 | 400 | 404 | 409 | 500 = 200) =>
  c.html(`<!DOCTYPE html>${await page}`, status);

const errorPage = (c: Context, error: PageError, locale: "vn" | "en", status: 400 | 404 | 409 | 500) =>
  html(c, <ErrorPage error={error} language={languageOf(locale)} />, status);

/** A JSON body, or undefined when there is none to read. */
const jsonBody = async (c: Context): Promise<unknown> => {
  try {
    return await c.req.json();
  } catch {
    return undefined;
  }
};

const field = (body: unknown, name: string): string | null => {
  const value =
    typeof body === "object" && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === "string" && value !== "" ? value : null;
};

/** The dossier code inside vnp_OrderInfo, in the national form `000.00.00.H01-240815-0001`. */
const dossierCodeOf = (orderInfo: string): string => /[0-9A-Za-z.]+-\d{6}-\d{4}/.exec(orderInfo)?.[0] ?? "";

/** The D rows of one Vietnam day: payments that reached a bank, and refunds that reached an end. */
const reconRows = (store: SimStore, businessDate: string): ReconRow[] => {
  const rows: ReconRow[] = [];
  for (const order of store.orders.values()) {
    const { payment } = order;
    if (payment === null || payment.transactionNo === "0") continue;
    const common = {
      merchantRef: order.txnRef,
      fee: 0,
      currency: "VND",
      createdAt: order.createdAt,
      channel: payment.bankCode,
      payerMasked: "",
      dossierCode: dossierCodeOf(order.orderInfo),
    };
    if (vietnamBusinessDate(payment.payDate) === businessDate)
      rows.push({
        ...common,
        txnType: "PAYMENT",
        providerTxnId: payment.transactionNo,
        originalProviderTxnId: "",
        amount: order.amount,
        completedAt: payment.payDate,
        status: payment.transactionStatus === "00" ? "SUCCESS" : "FAILED",
        providerStatusCode: payment.responseCode,
      });
    for (const refund of order.refunds) {
      if (refund.completedAt === null || vietnamBusinessDate(refund.completedAt) !== businessDate) continue;
      rows.push({
        ...common,
        txnType: "REFUND",
        providerTxnId: refund.transactionNo,
        originalProviderTxnId: payment.transactionNo,
        amount: refund.amount,
        completedAt: refund.completedAt,
        status: refund.status === "00" ? "SUCCESS" : "FAILED",
        providerStatusCode: refund.status,
      });
    }
  }
  return rows.sort((a, b) => a.completedAt.getTime() - b.completedAt.getTime());
};

const serialise = (order: SimOrder) => ({
  ...order,
  createdAt: formatVietnamIso(order.createdAt),
  expiresAt: formatVietnamIso(order.expiresAt),
  payment:
    order.payment === null ? null : { ...order.payment, payDate: formatVietnamIso(order.payment.payDate) },
  refunds: order.refunds.map((refund) => ({
    ...refund,
    createdAt: formatVietnamIso(refund.createdAt),
    completedAt: refund.completedAt === null ? null : formatVietnamIso(refund.completedAt),
  })),
  // The kit's delivery record, plus the RspCode PayGov answered with, VNPay's own reading of it.
  ipnDeliveries: order.ipnDeliveries.map((delivery) => ({
    ...delivery,
    at: formatVietnamIso(delivery.at),
    rspCode: rspCodeOf(delivery.body),
  })),
});

/** The VNPay simulator for one merchant (options.merchant), sending IPNs to options.ipnUrl. */
export const vnpaySimulator = (options: SimulatorOptions<VnpayConfig>): Hono => {
  const merchant = merchantOf(options.merchant);
  const store = createStore();
  const app = new Hono();
  const pagePath = `${options.basePath}/paymentv2/vpcpay.html`;

  /** Sends an IPN as the behaviour says, retrying until PayGov answers 00/02; every try is recorded. */
  const deliver = (
    order: SimOrder,
    ipn: CapturedCallback,
    behaviour: SimBehaviour,
    deliveries: CallbackDelivery[] = [],
  ): Promise<void> =>
    sendCallback(
      options.fetch,
      ipn,
      behaviour,
      ipnAcknowledged,
      (delivery) => {
        deliveries.push(delivery);
        order.ipnDeliveries.push(delivery);
      },
      options.now,
    );

  /**
   * Records the outcome, sends the IPN as told, and returns the signed return URL (§1.4). The browser
   * is sent back once the IPN is answered, unless the IPN is delayed or comes after the return.
   */
  const complete = async (
    order: SimOrder,
    chosen: VnpayResponseCode,
    behaviour: SimBehaviour,
  ): Promise<string> => {
    const payment = settle(order, chosen, store, options.now());
    const params = callbackParams(order, payment, merchant.tmnCode);
    const ipnParams = behaviour.tamperAmount
      ? callbackParams(order, payment, merchant.tmnCode, order.amount + TAMPER_EXTRA_VND)
      : params;
    const ipnSecret = behaviour.tamperSignature ? `${merchant.secret}-forged` : merchant.secret;
    // Captured even when it is dropped: a test can deliver it itself (GET /_sim/callbacks/:reference).
    const ipn: CapturedCallback = {
      method: "GET",
      url: withQuery(options.ipnUrl, signQuery(ipnParams, ipnSecret)),
      headers: {},
      body: "",
    };
    order.lastIpn = ipn;
    const sent = deliver(order, ipn, behaviour);
    if (behaviour.callback === "normal" || behaviour.callback === "duplicate") await sent;
    return withQuery(order.returnUrl, signQuery(params, merchant.secret));
  };

  app.get("/paymentv2/vpcpay.html", async (c) => {
    const opened = openPayment(new URL(c.req.url).searchParams, store, merchant, options.now());
    if (!opened.ok) return errorPage(c, opened.error, opened.locale, 400);
    const { order } = opened;
    const behaviour = behaviourOf(store, order);
    // Opening this page is where VNPay creates the payment: the kit's `initiate` misbehaviour lives here.
    const down = await misbehavingApi(c, behaviour.initiate);
    if (down !== null) return down;
    if (behaviour.autoPay !== null)
      return c.redirect(await complete(order, OUTCOME_CODES[behaviour.autoPay], behaviour), 302);
    return html(c, <PaymentPage order={order} action={pagePath} behaviour={behaviour} />);
  });

  app.post("/paymentv2/vpcpay.html", async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const value = (name: string) => (typeof form[name] === "string" ? form[name] : "");
    const order = store.orders.get(orderKey(value("txnRef"), value("createDate")));
    if (order === undefined) return errorPage(c, pageError("notFound"), "vn", 404);
    if (order.payment !== null) return errorPage(c, pageError("alreadyProcessed"), order.locale, 409);
    const outcome = value("outcome");
    // Testing options the form left out keep what POST /_sim/behaviour (or a magic amount) set.
    const delaySeconds = value("delaySeconds");
    const choice = parseBehaviour({
      ...(value("callback") === "" ? {} : { callback: value("callback") }),
      ...(delaySeconds === "" ? {} : { delayMs: Math.round(Number(delaySeconds) * 1000) }),
    });
    if (!isVnpayResponseCode(outcome) || !choice.ok)
      return errorPage(c, pageError("invalidOutcome"), order.locale, 400);
    const behaviour = { ...behaviourOf(store, order), ...choice.behaviour };
    return c.redirect(await complete(order, outcome, behaviour), 302);
  });

  app.post("/merchant_webapi/api/transaction", async (c) => {
    const body = await jsonBody(c);
    const txnRef = field(body, "vnp_TxnRef");
    const order = txnRef === null ? undefined : latestOrder(store, txnRef);
    const down = await misbehavingApi(c, store.behaviours.for(txnRef, order?.amount).api);
    if (down !== null) return down;
    return c.json(
      answerMerchantApi(body, {
        store,
        merchant,
        now: options.now(),
        newResponseId: () => randomUUID().replaceAll("-", ""),
        // A refund the bank later rejects is accepted (00) first and ends 09 (§1.7).
        refundOutcome: (refunded) => (behaviourOf(store, refunded).refund === "refuse" ? "09" : "00"),
        refuseAtOnce: (refunded) => behaviourOf(store, refunded).refund === "refuse",
      }),
    );
  });

  app.get("/recon", (c) => {
    const date = c.req.query("date") ?? "";
    if (parseVnpayDate(`${date}000000`) === null)
      return c.text("date must be a calendar day as yyyyMMdd", 400);
    const businessDate = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
    const file = writeReconFile({
      provider: "VNPAY",
      merchantId: merchant.tmnCode,
      businessDate,
      generatedAt: options.now(),
      rows: reconRows(store, businessDate),
    });
    return c.body(file, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="VNPAY_${merchant.tmnCode}_${date}.csv"`,
    });
  });

  app.route(
    "/_sim",
    simulatorControlRoutes({
      behaviours: store.behaviours,
      async pay(reference, outcome) {
        const order = latestOrder(store, reference);
        if (order === undefined)
          return { ok: false, status: 404, error: "no payment was opened with this reference" };
        if (order.payment !== null)
          return { ok: false, status: 409, error: "this payment has already been processed" };
        const behaviour = behaviourOf(store, order);
        return { ok: true, returnUrl: await complete(order, OUTCOME_CODES[outcome], behaviour) };
      },
      transactions: () => [...store.orders.values()].map(serialise),
      lastCallback: (reference) => latestOrder(store, reference)?.lastIpn ?? null,
      async resend(reference) {
        const order = latestOrder(store, reference);
        if (order?.lastIpn == null) return null;
        // Sent now, whatever the behaviour said of the first one: the tester asked for it.
        const deliveries: CallbackDelivery[] = [];
        await deliver(order, order.lastIpn, { ...behaviourOf(store, order), callback: "normal" }, deliveries);
        return deliveries;
      },
    }),
  );

  // A last resort, not a path any request is expected to take: even a bug answers with a page.
  app.onError((_error, c) => errorPage(c, pageError("internal"), "vn", 500));

  return app;
};
