import { readFileSync } from "node:fs";
import { getConnInfo } from "@hono/node-server/conninfo";
import { WorkflowUpdateFailedError } from "@temporalio/client";
import type { Context } from "hono";
import { Hono } from "hono";
import type { Locale, LocalizedText } from "../../connectors/sdk/contract.ts";
import { findAgency } from "../../db/agencies.ts";
import { findPayment, listAttempts } from "../../db/payments.ts";
import { csrfToken, csrfValid, openCheckoutToken } from "../../domain/checkout-token.ts";
import type { PaymentRecord } from "../../domain/payment-record.ts";
import { receiptPath } from "../../domain/receipt.ts";
import { chooseConnectorUpdate, paymentWorkflowId } from "../../workflows/messages.ts";
import type { ApiDeps } from "../deps.ts";
import { MESSAGES, pageLocale } from "./messages.ts";
import { CheckoutPage, MessagePage, ResultPage } from "./pages.tsx";

const STYLES = readFileSync(new URL("./styles.css", import.meta.url), "utf8");

type Notice = "latest_failed" | "latest_cancelled" | "initiate_failed" | null;

/** The citizen's pages: /pay/:token (choose), /pay/:token/attempts (go), /pay/:token/result (outcome). */
export const checkoutRoutes = (deps: ApiDeps) => {
  const app = new Hono();
  const secret = deps.links.secretKey;

  // Strict CSP: no scripts at all; forms may post only here; the browser may be sent on to an intermediary.
  const origins = [...deps.connectors.live.values()].flatMap((l) =>
    l.definition.browserOrigins(l.config as never),
  );
  app.use("*", async (c, next) => {
    await next();
    c.header(
      "Content-Security-Policy",
      `default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' ${origins.join(" ")}; ` +
        "frame-ancestors 'none'; base-uri 'none'",
    );
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("Cache-Control", "no-store");
  });

  const notFound = (c: Context, locale: Locale = "vi") =>
    c.html(
      <MessagePage
        locale={locale}
        message={MESSAGES[locale].notFound}
        otherLanguageHref={`?lang=${locale === "vi" ? "en" : "vi"}`}
      />,
      404,
    );

  const load = async (token: string): Promise<PaymentRecord | null> => {
    const paymentId = openCheckoutToken(secret, token);
    return paymentId === null ? null : findPayment(deps.sql, paymentId);
  };

  const agencyName = async (p: PaymentRecord) => (await findAgency(deps.sql, p.agencyId))?.name ?? "";

  const renderCheckout = async (
    c: Context,
    payment: PaymentRecord,
    token: string,
    locale: Locale,
    notice: Notice,
    status: 200 | 503 = 200,
  ) => {
    const attempts = await listAttempts(deps.sql, payment.id);
    const latest = attempts[attempts.length - 1];
    const stateNotice: Notice =
      payment.status === "failed"
        ? payment.stateCode === "attempt_cancelled"
          ? "latest_cancelled"
          : "latest_failed"
        : null;
    return c.html(
      <CheckoutPage
        payment={payment}
        agencyName={await agencyName(payment)}
        locale={locale}
        token={token}
        csrf={csrfToken(secret, payment.id)}
        connectors={[...deps.connectors.live.values()].map((l) => ({
          id: l.definition.id,
          display: l.definition.display,
        }))}
        openAttemptConnector={latest?.status === "open" ? latest.connector : null}
        notice={notice ?? stateNotice}
      />,
      status,
    );
  };

  // Asks the workflow for an attempt at the chosen intermediary and sends the citizen there.
  const choose = async (
    c: Context,
    payment: PaymentRecord,
    token: string,
    connector: string,
    locale: Locale,
  ) => {
    if (!deps.connectors.live.has(connector))
      return renderCheckout(c, payment, token, locale, "initiate_failed", 503);
    const result = await deps.temporal.workflow
      .getHandle(paymentWorkflowId(payment.id))
      .executeUpdate(chooseConnectorUpdate, {
        args: [{ connector, clientIp: clientIp(c), locale }],
      })
      .catch((err: unknown) => {
        if (err instanceof WorkflowUpdateFailedError) return null;
        throw err;
      });
    if (result === null || !result.ok) {
      if (result && result.reason === "finished")
        return c.redirect(`/pay/${token}/result?lang=${locale}`, 303);
      return renderCheckout(c, payment, token, locale, "initiate_failed", 503);
    }
    if (result.initiation.kind === "redirect") return c.redirect(result.initiation.url, 303);
    return c.redirect(`/pay/${token}/result?lang=${locale}`, 303);
  };

  app.get("/assets/paygov.css", (c) => {
    c.header("Content-Type", "text/css; charset=utf-8");
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(STYLES);
  });

  app.get("/pay/unverified-return", (c) => {
    const locale = pageLocale(c.req.query("lang"), "vi");
    return c.html(
      <MessagePage
        locale={locale}
        message={MESSAGES[locale].unverified}
        otherLanguageHref={`?lang=${locale === "vi" ? "en" : "vi"}`}
      />,
      400,
    );
  });

  app.get("/pay/:token", async (c) => {
    const token = c.req.param("token");
    const payment = await load(token);
    if (payment === null) return notFound(c, pageLocale(c.req.query("lang"), "vi"));
    const locale = pageLocale(c.req.query("lang"), payment.language);
    if (payment.finished) return c.redirect(`/pay/${token}/result?lang=${locale}`, 303);
    // next_url?connector=<id>, or a connector the portal preselected: straight to the intermediary.
    const direct =
      c.req.query("connector") ?? (payment.status === "created" ? payment.preselectedConnector : null);
    if (direct) return choose(c, payment, token, direct, locale);
    return renderCheckout(c, payment, token, locale, null);
  });

  app.post("/pay/:token/attempts", async (c) => {
    const token = c.req.param("token");
    const payment = await load(token);
    if (payment === null) return notFound(c);
    const form = await c.req.parseBody();
    const locale = pageLocale(typeof form.lang === "string" ? form.lang : undefined, payment.language);
    if (typeof form.csrf !== "string" || !csrfValid(secret, payment.id, form.csrf))
      return notFound(c, locale);
    if (payment.finished) return c.redirect(`/pay/${token}/result?lang=${locale}`, 303);
    return choose(c, payment, token, typeof form.connector === "string" ? form.connector : "", locale);
  });

  // The latest attempt's code, read through its connector's table (absent: a plain "not completed").
  const declineReason = async (paymentId: string): Promise<LocalizedText | null> => {
    const latest = (await listAttempts(deps.sql, paymentId)).at(-1);
    if (!latest?.providerCode) return null;
    const describe = deps.connectors.live.get(latest.connector)?.definition.describeCode;
    return describe?.(latest.providerCode) ?? null;
  };

  app.get("/pay/:token/result", async (c) => {
    const token = c.req.param("token");
    const payment = await load(token);
    if (payment === null) return notFound(c, pageLocale(c.req.query("lang"), "vi"));
    const locale = pageLocale(c.req.query("lang"), payment.language);
    const connector = payment.connector ? deps.connectors.live.get(payment.connector) : undefined;
    return c.html(
      <ResultPage
        payment={payment}
        agencyName={await agencyName(payment)}
        locale={locale}
        token={token}
        connectorName={connector?.definition.display.name[locale] ?? payment.connector}
        receiptHref={payment.status === "success" ? receiptPath(secret, payment.id) : null}
        declineReason={payment.status === "failed" ? await declineReason(payment.id) : null}
      />,
    );
  });

  return app;
};

// The citizen's address, for intermediaries that require it (vnp_IpAddr); behind a proxy, its header.
const clientIp = (c: Context): string => {
  const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
  if (forwarded) return forwarded;
  try {
    return getConnInfo(c).remote.address?.replace(/^::ffff:/, "") ?? "127.0.0.1";
  } catch {
    return "127.0.0.1"; // not served by node (app.request in tests)
  }
};
