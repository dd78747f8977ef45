/**
 * A sandbox that plays VNPay (§1.8), mounted by the platform under options.basePath ("/vnpay"):
 *   GET  /paymentv2/vpcpay.html            the payment page (POST: the outcome chosen on it)
 *   POST /merchant_webapi/api/transaction  querydr and refund
 *   GET  /recon?date=yyyyMMdd              the day's reconciliation file (§11)
 *   POST /_sim/behaviour, DELETE /_sim/behaviour, POST /_sim/pay, GET /_sim/transactions,
 *   POST /_sim/ipn/resend                  the test-control API
 * Every bad request gets an error page or VNPay's own error code; nothing personal is logged.
 */
import { randomUUID } from "node:crypto";
import type { Context } from "hono";
import { Hono } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { SimulatorOptions } from "../sdk/contract.ts";
import type { VnpayConfig } from "./config.ts";
import { merchantOf } from "./config.ts";
import { isVnpayResponseCode, signQuery, type VnpayResponseCode } from "./protocol.ts";
import { type ReconRow, writeReconFile } from "./recon-file.ts";
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
  type Behaviour,
  behaviourFor,
  createStore,
  latestOrder,
  orderKey,
  parseBehaviourRequest,
  resetBehaviour,
  type SimOrder,
  type SimStore,
} from "./simulator-state.ts";
import { formatVietnamIso, parseVnpayDate, vietnamBusinessDate } from "./time.ts";

/** VNPay re-sends on any answer but 00/02 (§1.4); its real schedule is not public, so: 3 more tries. */
const IPN_RETRIES = 3;
const IPN_BACKOFF_MS = 100;
const IPN_TIMEOUT_MS = 10_000;
/** The IPN of a tamperAmount run claims this many đồng more than the order. */
const TAMPER_EXTRA_VND = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
  ipnDeliveries: order.ipnDeliveries.map((delivery) => ({ ...delivery, at: formatVietnamIso(delivery.at) })),
});

/** The VNPay simulator for one merchant (options.merchant), sending IPNs to options.ipnUrl. */
export const vnpaySimulator = (options: SimulatorOptions<VnpayConfig>): Hono => {
  const merchant = merchantOf(options.merchant);
  const store = createStore();
  const app = new Hono();
  const pagePath = `${options.basePath}/paymentv2/vpcpay.html`;

  /** One IPN GET; the merchant's RspCode, or null for no usable answer. */
  const sendIpn = async (query: string): Promise<string | null> => {
    try {
      const response = await options.fetch(withQuery(options.ipnUrl, query), {
        signal: AbortSignal.timeout(IPN_TIMEOUT_MS),
      });
      return field(await response.json(), "RspCode");
    } catch {
      return null;
    }
  };

  /** Sends until the merchant acknowledges (00/02) or the retries run out; returns the last RspCode. */
  const deliverIpn = async (order: SimOrder, query: string): Promise<string | null> => {
    let rspCode: string | null = null;
    for (let attempt = 0; attempt <= IPN_RETRIES; attempt += 1) {
      if (attempt > 0) await sleep(IPN_BACKOFF_MS * 2 ** (attempt - 1));
      rspCode = await sendIpn(query);
      order.ipnDeliveries.push({ at: options.now(), rspCode });
      if (rspCode === "00" || rspCode === "02") break;
    }
    return rspCode;
  };

  const dispatchIpn = async (order: SimOrder, query: string, behaviour: Behaviour): Promise<void> => {
    if (behaviour.ipn === "drop") return;
    const send = async () => {
      await (behaviour.ipn === "duplicate"
        ? Promise.all([deliverIpn(order, query), deliverIpn(order, query)])
        : deliverIpn(order, query));
    };
    if (behaviour.ipn === "delay") setTimeout(send, behaviour.delayMs);
    else if (behaviour.order === "return_first") setTimeout(send, 0);
    else await send();
  };

  /** Records the outcome, sends the IPN as told, and returns the signed return URL (§1.4). */
  const complete = async (
    order: SimOrder,
    chosen: VnpayResponseCode,
    behaviour: Behaviour,
  ): Promise<string> => {
    const payment = settle(order, chosen, store, options.now());
    const params = callbackParams(order, payment, merchant.tmnCode);
    const ipnParams = behaviour.tamperAmount
      ? callbackParams(order, payment, merchant.tmnCode, order.amount + TAMPER_EXTRA_VND)
      : params;
    const ipnSecret = behaviour.tamperSignature ? `${merchant.secret}-forged` : merchant.secret;
    order.lastIpn = signQuery(ipnParams, ipnSecret);
    await dispatchIpn(order, order.lastIpn, behaviour);
    return withQuery(order.returnUrl, signQuery(params, merchant.secret));
  };

  app.get("/paymentv2/vpcpay.html", async (c) => {
    const opened = openPayment(new URL(c.req.url).searchParams, store, merchant, options.now());
    if (!opened.ok) return errorPage(c, opened.error, opened.locale, 400);
    const { order } = opened;
    const behaviour = behaviourFor(store, order.txnRef);
    if (behaviour.autoPay !== null)
      return c.redirect(await complete(order, behaviour.autoPay, behaviour), 302);
    return html(c, <PaymentPage order={order} action={pagePath} behaviour={behaviour} />);
  });

  app.post("/paymentv2/vpcpay.html", async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const value = (name: string) => (typeof form[name] === "string" ? form[name] : "");
    const order = store.orders.get(orderKey(value("txnRef"), value("createDate")));
    if (order === undefined) return errorPage(c, pageError("notFound"), "vn", 404);
    if (order.payment !== null) return errorPage(c, pageError("alreadyProcessed"), order.locale, 409);
    const outcome = value("outcome");
    // Testing options the form left out keep what POST /_sim/behaviour set.
    const delaySeconds = value("delaySeconds");
    const choice = parseBehaviourRequest({
      ...(value("ipn") === "" ? {} : { ipn: value("ipn") }),
      ...(value("order") === "" ? {} : { order: value("order") }),
      ...(delaySeconds === "" ? {} : { delayMs: Math.round(Number(delaySeconds) * 1000) }),
    });
    if (!isVnpayResponseCode(outcome) || !choice.ok)
      return errorPage(c, pageError("invalidOutcome"), order.locale, 400);
    const behaviour = { ...behaviourFor(store, order.txnRef), ...choice.value.patch };
    return c.redirect(await complete(order, outcome, behaviour), 302);
  });

  app.post("/merchant_webapi/api/transaction", async (c) => {
    const body = await jsonBody(c);
    const behaviour = behaviourFor(store, field(body, "vnp_TxnRef"));
    if (behaviour.api === "unavailable") return c.json({ error: "Service Unavailable" }, 503);
    if (behaviour.api === "slow") await sleep(behaviour.delayMs);
    return c.json(
      answerMerchantApi(body, {
        store,
        merchant,
        now: options.now(),
        newResponseId: () => randomUUID().replaceAll("-", ""),
        refundOutcome: (txnRef) => behaviourFor(store, txnRef).refundOutcome,
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

  app.post("/_sim/behaviour", async (c) => {
    const parsed = parseBehaviourRequest(await jsonBody(c));
    if (!parsed.ok) return c.json({ error: parsed.message }, 400);
    const { reference, patch } = parsed.value;
    if (reference === null) store.behaviour = { ...store.behaviour, ...patch };
    else
      store.behaviourByReference.set(reference, { ...store.behaviourByReference.get(reference), ...patch });
    return c.json({ reference, behaviour: behaviourFor(store, reference) });
  });

  app.delete("/_sim/behaviour", (c) => {
    resetBehaviour(store);
    return c.body(null, 204);
  });

  app.post("/_sim/pay", async (c) => {
    const body = await jsonBody(c);
    const reference = field(body, "reference");
    const outcome = field(body, "outcome") ?? "";
    if (reference === null || !isVnpayResponseCode(outcome))
      return c.json({ error: "reference and a known vnp_ResponseCode outcome are required" }, 400);
    const order = latestOrder(store, reference);
    if (order === undefined) return c.json({ error: "no payment was opened with this reference" }, 404);
    if (order.payment !== null) return c.json({ error: "this payment has already been processed" }, 409);
    return c.json({ returnUrl: await complete(order, outcome, behaviourFor(store, reference)) });
  });

  app.get("/_sim/transactions", (c) => c.json({ transactions: [...store.orders.values()].map(serialise) }));

  app.post("/_sim/ipn/resend", async (c) => {
    const reference = field(await jsonBody(c), "reference");
    const order = reference === null ? undefined : latestOrder(store, reference);
    if (order === undefined || order.lastIpn === null)
      return c.json({ error: "no IPN was sent for this reference" }, 404);
    return c.json({ reference, rspCode: await deliverIpn(order, order.lastIpn) });
  });

  // A last resort, not a path any request is expected to take: even a bug answers with a page.
  app.onError((_error, c) => errorPage(c, pageError("internal"), "vn", 500));

  return app;
};
