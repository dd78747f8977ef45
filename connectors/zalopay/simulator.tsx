/**
 * A sandbox that plays ZaloPay (§3), mounted by the platform under options.basePath ("/zalopay"):
 *   POST /v2/create, /v2/query, /v2/refund, /v2/query_refund   the server APIs (key1 macs)
 *   GET  /openinapp?order=…[&lang=en]                         the order page (POST: the tester's choice)
 *   GET  /recon?date=yyyyMMdd                                  the day's reconciliation file (§11)
 *   /_sim/…                                                    the kit's control API
 * On success only it POSTs the key2-signed callback {data, mac, type} (§3.3); every outcome sends the
 * browser back to embed_data.redirecturl with its key2 checksum (§3.4). Nothing personal is logged.
 */
import { randomBytes } from "node:crypto";
import type { Context } from "hono";
import { Hono } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import { vietnamDateParts } from "../../domain/vietnam-time.ts";
import type { SimulatorOptions } from "../sdk/contract.ts";
import { type ReconRow, writeReconFile } from "../sdk/recon-file.ts";
import {
  type CallbackDelivery,
  type CapturedCallback,
  DEFAULT_SIM_BEHAVIOUR,
  misbehavingApi,
  parseBehaviour,
  type SimBehaviour,
  type SimulatorControl,
  sendCallback,
  simulatorControlRoutes,
} from "../sdk/simulator-kit.ts";
import type { ZalopayConfig } from "./config.ts";
import { merchantOf } from "./config.ts";
import {
  callbackAnswerFinal,
  isJsonObject,
  parseJson,
  signCallbackBody,
  signRedirectQuery,
  type ZalopayCallbackData,
} from "./protocol.ts";
import {
  type ApiContext,
  answerCreate,
  answerQuery,
  answerQueryRefund,
  answerRefund,
  CANCELLED_CODE,
  type Fields,
  SIM_DECLINED_CODE,
} from "./simulator-api.ts";
import {
  ErrorPage,
  type Language,
  languageOf,
  OrderPage,
  type PageErrorReason,
  ResultPage,
} from "./simulator-pages.tsx";
import {
  createStore,
  findOrder,
  orderCodeOf,
  type SimOrder,
  type SimOutcome,
  type SimPayment,
  type SimStore,
} from "./simulator-state.ts";

/** A tamperAmount callback claims this many đồng more than the order. */
const TAMPER_EXTRA_VND = 1_000;
/** ZaloPay's payment channel 38 is the ZaloPay wallet (§3.3 example; the Appendix redirect vector). */
const WALLET_CHANNEL = 38;
const WALLET_BANK_CODE = "zalopayapp";
/** merchant_user_id is ZaloPay's opaque id of the payer (§3.3); the simulator has one payer. */
const SIM_PAYER_ID = "zlp-sandbox-payer";

const OUTCOMES: ReadonlyArray<SimOutcome> = ["success", "failure", "cancel"];
const isOutcome = (value: string): value is SimOutcome => (OUTCOMES as ReadonlyArray<string>).includes(value);

const html = async (c: Context, page: JSX.Element, status: 200 | 400 | 404 | 409 | 500 = 200) =>
  c.html(`<!DOCTYPE html>${await page}`, status);

const errorPage = (c: Context, reason: PageErrorReason, language: Language, status: 400 | 404 | 409 | 500) =>
  html(c, <ErrorPage reason={reason} language={language} />, status);

/** A request's fields as text: JSON numbers as their decimal text, form fields as sent (§3.1). */
const readFields = async (c: Context): Promise<Fields> => {
  const fields: Record<string, string> = {};
  if ((c.req.header("content-type") ?? "").includes("application/json")) {
    const parsed = parseJson(await c.req.text().catch(() => ""));
    if (!parsed.ok || !isJsonObject(parsed.value)) return fields;
    for (const [name, value] of Object.entries(parsed.value)) {
      if (typeof value === "string") fields[name] = value;
      else if (typeof value === "number" && Number.isFinite(value)) fields[name] = String(value);
    }
    return fields;
  }
  const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  for (const [name, value] of Object.entries(form)) if (typeof value === "string") fields[name] = value;
  return fields;
};

const withQuery = (url: string, query: string): string => `${url}${url.includes("?") ? "&" : "?"}${query}`;

/** ISO-8601 with +07:00, as the control API shows times. */
const vietnamIso = (instant: Date): string => {
  const d = vietnamDateParts(instant);
  return `${d.yyyy}-${d.MM}-${d.dd}T${d.HH}:${d.mm}:${d.ss}+07:00`;
};

/** The business date `yyyy-MM-dd` of `?date=yyyyMMdd`, or null unless it is a calendar day. */
const businessDateOf = (date: string): string | null => {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(date);
  if (match === null) return null;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  const instant = new Date(Date.UTC(year, month - 1, day));
  return instant.getUTCMonth() === month - 1 && instant.getUTCDate() === day
    ? `${match[1]}-${match[2]}-${match[3]}`
    : null;
};

/** The dossier code PayGov puts at the end of the description ("Thanh toan ho so <code>"). */
const dossierCodeOf = (description: string): string => /ho so (\S+)$/i.exec(description)?.[1] ?? "";

const vietnamDay = (instant: Date): string => {
  const d = vietnamDateParts(instant);
  return `${d.yyyy}-${d.MM}-${d.dd}`;
};

/** The D rows of one Vietnam day: payments ZaloPay took, and refunds that reached their end. */
const reconRows = (store: SimStore, businessDate: string): ReconRow[] => {
  const rows: ReconRow[] = [];
  for (const order of store.orders.values()) {
    const { payment } = order;
    if (payment?.outcome !== "success" || payment.zpTransId === null) continue;
    const common = {
      // merchant_ref is app_trans_id, what ZaloPay knows the order by (§11 table).
      merchantRef: order.appTransId,
      fee: 0,
      currency: "VND",
      createdAt: order.appTime,
      channel: payment.bankCode,
      payerMasked: "",
      dossierCode: dossierCodeOf(order.description),
    };
    if (vietnamDay(payment.serverTime) === businessDate)
      rows.push({
        ...common,
        txnType: "PAYMENT",
        providerTxnId: payment.zpTransId,
        originalProviderTxnId: "",
        amount: order.amount,
        completedAt: payment.serverTime,
        status: "SUCCESS",
        providerStatusCode: "1",
      });
    for (const refund of order.refunds) {
      if (refund.completedAt === null || vietnamDay(refund.completedAt) !== businessDate) continue;
      rows.push({
        ...common,
        txnType: "REFUND",
        providerTxnId: refund.refundId,
        originalProviderTxnId: payment.zpTransId,
        amount: refund.amount,
        createdAt: refund.createdAt,
        completedAt: refund.completedAt,
        status: refund.state === "succeeded" ? "SUCCESS" : "FAILED",
        providerStatusCode: refund.state === "succeeded" ? "1" : "2",
      });
    }
  }
  return rows.sort((a, b) => a.completedAt.getTime() - b.completedAt.getTime());
};

const serialise = (order: SimOrder) => ({
  ...order,
  appTime: vietnamIso(order.appTime),
  createdAt: vietnamIso(order.createdAt),
  expiresAt: vietnamIso(order.expiresAt),
  payment:
    order.payment === null ? null : { ...order.payment, serverTime: vietnamIso(order.payment.serverTime) },
  deliveries: order.deliveries.map((delivery) => ({ ...delivery, at: vietnamIso(delivery.at) })),
  refunds: order.refunds.map((refund) => ({
    ...refund,
    createdAt: vietnamIso(refund.createdAt),
    completedAt: refund.completedAt === null ? null : vietnamIso(refund.completedAt),
  })),
});

/** The ZaloPay simulator for one app (options.merchant), calling back to options.ipnUrl. */
export const zalopaySimulator = (options: SimulatorOptions<ZalopayConfig>): Hono => {
  const merchant = merchantOf(options.merchant);
  const store = createStore();
  const app = new Hono();
  const pagePath = `${options.basePath}/openinapp`;

  const behaviourOf = (order: SimOrder): SimBehaviour => store.behaviours.for(order.orderCode, order.amount);

  // order_url carries base64url({zptranstoken, appid}), the shape of ZaloPay's own openinapp links.
  const encodeOrder = (token: string): string =>
    Buffer.from(JSON.stringify({ zptranstoken: token, appid: merchant.appId })).toString("base64url");
  const orderOfParam = (param: string): SimOrder | undefined => {
    const decoded = parseJson(Buffer.from(param, "base64url").toString("utf8"));
    const token = decoded.ok && isJsonObject(decoded.value) ? decoded.value.zptranstoken : undefined;
    return typeof token === "string" ? store.byToken.get(token) : undefined;
  };

  const apiContext = (c: Context): ApiContext => ({
    store,
    merchant,
    now: options.now(),
    // The page is served from the host the app reached the API on (the sandbox has one origin).
    orderUrl: (token) => `${new URL(c.req.url).origin}${pagePath}?order=${encodeOrder(token)}`,
    newToken: () => randomBytes(18).toString("base64url"),
    refundRefused: (order) => behaviourOf(order).refund === "refuse",
  });

  /**
   * The callback of a successful payment (§3.3). The sandbox stands for the app registered with
   * ZaloPay, whose callback URL is PayGov's as the sandbox reaches it (options.ipnUrl); the order's
   * callback_url is recorded and checked, not dialled, since PAYGOV_PUBLIC_URL may not be reachable here.
   */
  const callbackOf = (order: SimOrder, payment: SimPayment, behaviour: SimBehaviour): CapturedCallback => {
    const data: ZalopayCallbackData = {
      app_id: merchant.appId,
      app_trans_id: order.appTransId,
      app_time: order.appTime.getTime(),
      app_user: order.appUser,
      amount: behaviour.tamperAmount ? order.amount + TAMPER_EXTRA_VND : order.amount,
      embed_data: order.embedData,
      item: order.item,
      zp_trans_id: Number(payment.zpTransId),
      server_time: payment.serverTime.getTime(),
      channel: WALLET_CHANNEL,
      merchant_user_id: SIM_PAYER_ID,
      user_fee_amount: 0,
      discount_amount: 0,
    };
    const key2 = behaviour.tamperSignature ? `${merchant.key2}-forged` : merchant.key2;
    return {
      method: "POST",
      url: options.ipnUrl,
      headers: { "content-type": "application/json" },
      body: signCallbackBody(JSON.stringify(data), key2),
    };
  };

  const deliver = (
    order: SimOrder,
    callback: CapturedCallback,
    behaviour: SimBehaviour,
    log?: CallbackDelivery[],
  ) =>
    sendCallback(
      options.fetch,
      callback,
      behaviour,
      // ZaloPay calls back again only on return_code 0 or no readable answer, up to 3 times (§3.3 [S]).
      callbackAnswerFinal,
      (delivery) => {
        order.deliveries.push(delivery);
        log?.push(delivery);
      },
      options.now,
    );

  /** Records the outcome, calls back on success only, and returns the browser's way back (§3.4). */
  const complete = async (
    order: SimOrder,
    outcome: SimOutcome,
    behaviour: SimBehaviour,
  ): Promise<string | null> => {
    const now = options.now();
    const chosenMethod = outcome !== "cancel";
    const payment: SimPayment = {
      outcome,
      zpTransId: outcome === "success" ? store.nextZpTransId(now) : null,
      serverTime: now,
      pmcid: chosenMethod ? String(WALLET_CHANNEL) : "",
      bankCode: chosenMethod ? WALLET_BANK_CODE : "",
      status: outcome === "success" ? 1 : outcome === "cancel" ? CANCELLED_CODE : SIM_DECLINED_CODE,
    };
    order.payment = payment;
    // ZaloPay never calls back for a failure or a cancel (§3.3): the app finds those by query.
    if (outcome === "success") {
      const callback = callbackOf(order, payment, behaviour);
      order.callback = callback;
      const sending = deliver(order, callback, behaviour);
      // "delay" and "reorder" call back later while the browser goes back at once.
      if (behaviour.callback !== "delay" && behaviour.callback !== "reorder") await sending;
    }
    if (order.redirectUrl === null) return null;
    const query = signRedirectQuery(
      {
        appid: String(merchant.appId),
        apptransid: order.appTransId,
        pmcid: payment.pmcid,
        bankcode: payment.bankCode,
        amount: String(order.amount),
        discountamount: "0",
        status: String(payment.status),
      },
      merchant.key2,
    );
    return withQuery(order.redirectUrl, query);
  };

  const finish = async (
    c: Context,
    order: SimOrder,
    outcome: SimOutcome,
    behaviour: SimBehaviour,
    language: Language,
  ) => {
    const back = await complete(order, outcome, behaviour);
    return back === null
      ? html(c, <ResultPage outcome={outcome} language={language} />)
      : c.redirect(back, 302);
  };

  /** Why the order cannot be paid now, or null. */
  const unpayable = (order: SimOrder | undefined): PageErrorReason | null => {
    if (order === undefined) return "notFound";
    if (order.payment !== null) return "alreadyProcessed";
    return options.now() > order.expiresAt ? "expired" : null;
  };
  const PAGE_STATUS = {
    notFound: 404,
    alreadyProcessed: 409,
    expired: 400,
    invalidChoice: 400,
    internal: 500,
  } as const;

  app.post("/v2/create", async (c) => {
    const fields = await readFields(c);
    const amount = Number(fields.amount);
    const behaviour = store.behaviours.for(
      orderCodeOf(fields.app_trans_id ?? ""),
      Number.isSafeInteger(amount) ? amount : undefined,
    );
    const misbehaved = await misbehavingApi(c, behaviour.initiate);
    return misbehaved ?? c.json(answerCreate(fields, apiContext(c)));
  });

  app.post("/v2/query", async (c) => {
    const fields = await readFields(c);
    const order = store.orders.get(fields.app_trans_id ?? "");
    const misbehaved = await misbehavingApi(c, (order ? behaviourOf(order) : store.behaviours.for(null)).api);
    return misbehaved ?? c.json(answerQuery(fields, apiContext(c)));
  });

  app.post("/v2/refund", async (c) => {
    const fields = await readFields(c);
    const order = [...store.orders.values()].find((o) => o.payment?.zpTransId === fields.zp_trans_id);
    const misbehaved = await misbehavingApi(c, (order ? behaviourOf(order) : store.behaviours.for(null)).api);
    return misbehaved ?? c.json(answerRefund(fields, apiContext(c)));
  });

  app.post("/v2/query_refund", async (c) => {
    const fields = await readFields(c);
    const order = store.refunds.get(fields.m_refund_id ?? "")?.order;
    const misbehaved = await misbehavingApi(c, (order ? behaviourOf(order) : store.behaviours.for(null)).api);
    return misbehaved ?? c.json(answerQueryRefund(fields, apiContext(c)));
  });

  app.get("/openinapp", async (c) => {
    const language = languageOf(c.req.query("lang"));
    const param = c.req.query("order") ?? "";
    const order = orderOfParam(param);
    const reason = unpayable(order);
    if (reason !== null || order === undefined)
      return errorPage(c, reason ?? "notFound", language, PAGE_STATUS[reason ?? "notFound"]);
    const behaviour = behaviourOf(order);
    if (behaviour.autoPay !== null) return finish(c, order, behaviour.autoPay, behaviour, language);
    const other = new URLSearchParams({ order: param, lang: language === "vi" ? "en" : "vi" });
    return html(
      c,
      <OrderPage
        order={order}
        action={pagePath}
        token={param}
        behaviour={behaviour}
        language={language}
        otherLanguageHref={`${pagePath}?${other}`}
      />,
    );
  });

  app.post("/openinapp", async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const value = (name: string): string => (typeof form[name] === "string" ? form[name] : "");
    const language = languageOf(value("lang"));
    const order = orderOfParam(value("order"));
    const reason = unpayable(order);
    if (reason !== null || order === undefined)
      return errorPage(c, reason ?? "notFound", language, PAGE_STATUS[reason ?? "notFound"]);
    const outcome = value("outcome");
    // Testing options the form left out keep what POST /_sim/behaviour set.
    const delaySeconds = value("delaySeconds");
    const patch = parseBehaviour({
      ...(value("callback") === "" ? {} : { callback: value("callback") }),
      ...(delaySeconds === "" ? {} : { delayMs: Math.round(Number(delaySeconds) * 1000) }),
    });
    if (!isOutcome(outcome) || !patch.ok) return errorPage(c, "invalidChoice", language, 400);
    return finish(c, order, outcome, { ...behaviourOf(order), ...patch.behaviour }, language);
  });

  app.get("/recon", (c) => {
    const date = c.req.query("date") ?? "";
    const businessDate = businessDateOf(date);
    if (businessDate === null) return c.text("date must be a calendar day as yyyyMMdd", 400);
    const file = writeReconFile({
      provider: "ZALOPAY",
      merchantId: String(merchant.appId),
      businessDate,
      generatedAt: options.now(),
      rows: reconRows(store, businessDate),
    });
    return c.body(file, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="ZALOPAY_${merchant.appId}_${date}.csv"`,
    });
  });

  const control: SimulatorControl = {
    behaviours: store.behaviours,
    async pay(reference, outcome) {
      const order = findOrder(store, reference);
      if (order === undefined)
        return { ok: false, status: 404, error: "no order was created with this reference" };
      const reason = unpayable(order);
      if (reason !== null) return { ok: false, status: 409, error: `the order cannot be paid: ${reason}` };
      return { ok: true, returnUrl: await complete(order, outcome, behaviourOf(order)) };
    },
    transactions: () => [...store.orders.values()].map(serialise),
    lastCallback: (reference) => findOrder(store, reference)?.callback ?? null,
    async resend(reference) {
      const order = findOrder(store, reference);
      if (order === undefined || order.callback === null) return null;
      const deliveries: CallbackDelivery[] = [];
      await deliver(order, order.callback, DEFAULT_SIM_BEHAVIOUR, deliveries);
      return deliveries;
    },
  };
  app.route("/_sim", simulatorControlRoutes(control));

  // A last resort, not a path any request is expected to take: even a bug answers in the protocol's words.
  app.onError((_error, c) =>
    new URL(c.req.url).pathname.includes("/v2/")
      ? c.json(
          {
            return_code: 2,
            return_message: "Giao dịch thất bại",
            sub_return_code: -500,
            sub_return_message: "SYSTEM_ERROR",
          },
          500,
        )
      : errorPage(c, "internal", "vi", 500),
  );

  return app;
};
