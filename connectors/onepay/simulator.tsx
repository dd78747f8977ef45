/**
 * A sandbox that plays OnePay's domestic gateway (§6), mounted by the platform under options.basePath
 * ("/onepay"):
 *   GET  /onecomm-pay/vpc.op          the payment page (POST: the outcome chosen on it)
 *   POST /onecomm-pay/Vpcdps.op       queryDR (GET with a query string is taken too)
 *   GET  /recon?date=yyyyMMdd         the day's reconciliation file (§11), for the merchant's API user
 *   /_sim/...                         the shared control API (connectors/sdk/simulator-kit.ts)
 * The IPN is a GET of the return's signed fields to options.ipnUrl (§6.2). Nothing personal is logged.
 */
import { timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { Hono } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import { vietnamDateParts } from "../../domain/vietnam-time.ts";
import type { SimulatorOptions } from "../sdk/contract.ts";
import { writeReconFile } from "../sdk/recon-file.ts";
import {
  type CallbackDelivery,
  type CapturedCallback,
  misbehavingApi,
  parseBehaviour,
  type SimBehaviour,
  sendCallback,
  simulatorControlRoutes,
} from "../sdk/simulator-kit.ts";
import { merchantOf, type OnepayConfig } from "./config.ts";
import {
  ipnAcknowledged,
  isOnepayResponseCode,
  type OnepayResponseCode,
  parseOnepayAmount,
  signParams,
  toQueryString,
  withQuery,
} from "./protocol.ts";
import { openPayment, type PageError, pageError } from "./simulator-checkout.ts";
import { ErrorPage, languageOf, PaymentPage } from "./simulator-pages.tsx";
import { answerQueryDr } from "./simulator-query-dr.ts";
import { callbackFields, createStore, reconRows, type SimOrder, settle } from "./simulator-state.ts";

/** The IPN of a tamperAmount run claims this many đồng more than the order. */
const TAMPER_EXTRA_VND = 1_000;

/** The kit's outcomes in OnePay's codes: approved, bank declined, cancelled by the payer (§6.2). */
const OUTCOME_CODES: Record<"success" | "failure" | "cancel", OnepayResponseCode> = {
  success: "0",
  failure: "1",
  cancel: "99",
};

const FORGED_KEYS = ["0123456789ABCDEF0123456789ABCDEF", "FEDCBA9876543210FEDCBA9876543210"] as const;

/** A key that is not the merchant's. Never a prefix plus zero bytes: HMAC pads keys with zeros. */
const forgedKey = (hashKey: string): string =>
  FORGED_KEYS[0] === hashKey.toUpperCase() ? FORGED_KEYS[1] : FORGED_KEYS[0];

type Status = 200 | 400 | 404 | 409 | 500 | 503;

const html = async (c: Context, page: JSX.Element, status: Status = 200) =>
  c.html(`<!DOCTYPE html>${await page}`, status);

const errorPage = (c: Context, error: PageError, locale: "vn" | "en", status: Status) =>
  html(c, <ErrorPage error={error} language={languageOf(locale)} />, status);

/** ISO-8601 in Vietnam with the explicit offset, for the transactions listing. */
const vietnamIso = (instant: Date): string => {
  const d = vietnamDateParts(instant);
  return `${d.yyyy}-${d.MM}-${d.dd}T${d.HH}:${d.mm}:${d.ss}+07:00`;
};

/** A yyyyMMdd that names a real calendar day, as yyyy-MM-dd; null otherwise. */
const calendarDay = (text: string): string | null => {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (match === null) return null;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
    ? `${match[1]}-${match[2]}-${match[3]}`
    : null;
};

const serialise = (order: SimOrder) => ({
  ...order,
  createdAt: vietnamIso(order.createdAt),
  payment: order.payment === null ? null : { ...order.payment, paidAt: vietnamIso(order.payment.paidAt) },
  deliveries: order.deliveries.map((delivery) => ({ ...delivery, at: vietnamIso(delivery.at) })),
});

/** The OnePay simulator for one merchant (options.merchant), sending IPNs to options.ipnUrl. */
export const onepaySimulator = (options: SimulatorOptions<OnepayConfig>): Hono => {
  const merchant = merchantOf(options.merchant);
  const store = createStore();
  const app = new Hono();
  const pagePath = `${options.basePath}/onecomm-pay/vpc.op`;
  const behaviourOf = (order: SimOrder): SimBehaviour => store.behaviours.for(order.txnRef, order.amount);

  const deliver = (order: SimOrder, callback: CapturedCallback, behaviour: SimBehaviour) =>
    sendCallback(
      options.fetch,
      callback,
      behaviour,
      ipnAcknowledged,
      (delivery) => order.deliveries.push(delivery),
      options.now,
    );

  /** Records the outcome, sends the IPN as told, and returns the browser's signed return URL (§6.2). */
  const complete = async (order: SimOrder, code: OnepayResponseCode, behaviour: SimBehaviour) => {
    const payment = settle(order, code, store, options.now());
    const fields = callbackFields(order, payment, merchant.merchant);
    const ipnFields = behaviour.tamperAmount
      ? callbackFields(order, payment, merchant.merchant, order.amount + TAMPER_EXTRA_VND)
      : fields;
    const ipnKey = behaviour.tamperSignature ? forgedKey(merchant.hashKey) : merchant.hashKey;
    // Captured before sending, so a dropped IPN can still be delivered (or replayed) by a test.
    const callback: CapturedCallback = {
      method: "GET",
      url: withQuery(options.ipnUrl, toQueryString(signParams(ipnFields, ipnKey))),
      headers: {},
      body: "",
    };
    order.lastCallback = callback;
    const sending = deliver(order, callback, behaviour);
    // A late IPN must not hold the citizen's browser: it returns first and the IPN follows on its own.
    if (behaviour.callback !== "delay" && behaviour.callback !== "reorder") await sending;
    return withQuery(order.returnUrl, toQueryString(signParams(fields, merchant.hashKey)));
  };

  app.get("/onecomm-pay/vpc.op", async (c) => {
    const query = new URL(c.req.url).searchParams;
    const locale = query.get("vpc_Locale") === "en" ? "en" : "vn";
    // The page being down is how "creating the payment fails" looks in a redirect protocol.
    const amount = parseOnepayAmount(query.get("vpc_Amount") ?? "");
    const opening = store.behaviours.for(query.get("vpc_MerchTxnRef"), amount ?? undefined).initiate;
    if (opening === "unavailable") return errorPage(c, pageError("unavailable"), locale, 503);
    const hung = await misbehavingApi(c, opening);
    if (hung !== null) return hung;

    const opened = openPayment(query, store, merchant, options.now());
    if (!opened.ok) return errorPage(c, opened.error, opened.locale, 400);
    const { order } = opened;
    const behaviour = behaviourOf(order);
    if (behaviour.autoPay !== null)
      return c.redirect(await complete(order, OUTCOME_CODES[behaviour.autoPay], behaviour), 302);
    return html(c, <PaymentPage order={order} action={pagePath} behaviour={behaviour} />);
  });

  app.post("/onecomm-pay/vpc.op", async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const value = (name: string) => (typeof form[name] === "string" ? form[name] : "");
    const order = store.orders.get(value("txnRef"));
    if (order === undefined) return errorPage(c, pageError("notFound"), "vn", 404);
    if (order.payment !== null) return errorPage(c, pageError("alreadyProcessed"), order.locale, 409);
    const outcome = value("outcome");
    // Testing options the form left out keep what POST /_sim/behaviour set.
    const delaySeconds = value("delaySeconds");
    const choice = parseBehaviour({
      ...(value("callback") === "" ? {} : { callback: value("callback") }),
      ...(delaySeconds === "" ? {} : { delayMs: Math.round(Number(delaySeconds) * 1000) }),
    });
    if (!isOnepayResponseCode(outcome) || !choice.ok)
      return errorPage(c, pageError("invalidOutcome"), order.locale, 400);
    const behaviour = { ...behaviourOf(order), ...choice.behaviour };
    return c.redirect(await complete(order, outcome, behaviour), 302);
  });

  app.on(["GET", "POST"], "/onecomm-pay/Vpcdps.op", async (c) => {
    const pairs: Array<[string, string]> = [...new URL(c.req.url).searchParams];
    if (c.req.method === "POST") pairs.push(...new URLSearchParams(await c.req.text()));
    const txnRef = pairs.find(([name]) => name === "vpc_MerchTxnRef")?.[1] ?? null;
    const order = txnRef === null ? undefined : store.orders.get(txnRef);
    const misbehaving = await misbehavingApi(c, store.behaviours.for(txnRef, order?.amount).api);
    if (misbehaving !== null) return misbehaving;
    return c.text(answerQueryDr(pairs, store, merchant));
  });

  app.get("/recon", (c) => {
    const expected = Buffer.from(
      `Basic ${Buffer.from(`${merchant.user}:${merchant.password}`).toString("base64")}`,
    );
    const given = Buffer.from(c.req.header("authorization") ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return c.text("the merchant's API user and password are required", 401, {
        "www-authenticate": 'Basic realm="onepay-recon"',
      });
    const date = c.req.query("date") ?? "";
    const businessDate = calendarDay(date);
    if (businessDate === null) return c.text("date must be a calendar day as yyyyMMdd", 400);
    const file = writeReconFile({
      provider: "ONEPAY",
      merchantId: merchant.merchant,
      businessDate,
      generatedAt: options.now(),
      rows: reconRows(store, businessDate),
    });
    return c.body(file, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="ONEPAY_${merchant.merchant}_${date}.csv"`,
    });
  });

  app.route(
    "/_sim",
    simulatorControlRoutes({
      behaviours: store.behaviours,
      async pay(reference, outcome) {
        const order = store.orders.get(reference);
        if (order === undefined)
          return { ok: false, status: 404, error: "no payment was opened with this reference" };
        if (order.payment !== null)
          return { ok: false, status: 409, error: "this payment has already been processed" };
        return { ok: true, returnUrl: await complete(order, OUTCOME_CODES[outcome], behaviourOf(order)) };
      },
      transactions: () => [...store.orders.values()].map(serialise),
      lastCallback: (reference) => store.orders.get(reference)?.lastCallback ?? null,
      async resend(reference) {
        const order = store.orders.get(reference);
        if (order?.lastCallback == null) return null;
        const deliveries: CallbackDelivery[] = [];
        await sendCallback(
          options.fetch,
          order.lastCallback,
          { ...behaviourOf(order), callback: "normal" },
          ipnAcknowledged,
          (delivery) => {
            deliveries.push(delivery);
            order.deliveries.push(delivery);
          },
          options.now,
        );
        return deliveries;
      },
    }),
  );

  // A last resort, not a path any request is expected to take: even a bug answers with a page.
  app.onError((_error, c) => errorPage(c, pageError("internal"), "vn", 500));

  return app;
};
