import { createHash } from "node:crypto";
import { Effect } from "effect";
import { CONNECTORS } from "../../connectors/index.ts";
import type {
  ConformanceDriver,
  DriverContext,
  OpenedAttempt,
} from "../../connectors/sdk/conformance/driver.ts";
import type { Harness } from "../../connectors/sdk/conformance/scenarios.ts";
import type { Initiation } from "../../connectors/sdk/contract.ts";
import { template } from "../../connectors/template/index.ts";
import { findAttempt, findPayment } from "../../db/payments.ts";
import { catalogueService, paymentRequestFor } from "../../domain/fee-catalogue.ts";
import { asciiOrderInfo } from "../../domain/order-info.ts";
import { citizen } from "./citizen.ts";
import { eventually, type Infra, type Stack, startStack } from "./stack.ts";

let dossiers = 0;

/** Timings for the kit: short waits for callbacks, quick re-queries, and connector timeouts of 2 s. */
export const CONFORMANCE_ENV = {
  PAYGOV_ATTEMPT_QUERY_AFTER: "2",
  PAYGOV_REQUERY_EVERY: "1",
  PAYGOV_CONNECTOR_TIMEOUT: "2",
};

/** A PayGov stack configured for one connector, and the scenario harness over it. */
export const startConformance = async (infra: Infra, driver: ConformanceDriver) => {
  // The template (connectors/template) is no real intermediary, so it is not in CONNECTORS: its run
  // registers it for this stack alone, the one line a new connector's own test would write.
  const connectors = driver.connector === template.id ? [...CONNECTORS, template] : CONNECTORS;
  const stack = await startStack({ infra, env: { ...driver.env, ...CONFORMANCE_ENV }, connectors });
  const live = stack.connectors.live.get(driver.connector);
  if (!live) {
    await stack.stop();
    throw new Error(`connector ${driver.connector} is not enabled with its conformance environment`);
  }
  const harness = makeHarness(stack, driver, live);
  return { stack, harness };
};

const makeHarness = (stack: Stack, driver: ConformanceDriver, live: Harness["live"]): Harness => {
  const ctx: DriverContext = { apiUrl: stack.apiUrl, sandboxUrl: stack.sandboxUrl, env: stack.env };
  const status = async (id: string) =>
    (
      (await (await stack.api(`/v1/payments/${id}`)).json()) as {
        state: { status: string; finished: boolean; code?: string };
      }
    ).state;
  return {
    ctx,
    driver,
    live,
    async createPayment(options = {}) {
      dossiers += 1;
      const body = paymentRequestFor(catalogueService("svc-dang-ky-doanh-nghiep"), {
        dossierCode: `000.00.99.H99-261203-K${dossiers}`,
        returnUrl: "http://127.0.0.1:9/ho-so",
        lineIds: ["dkdn-le-phi"],
      });
      const amount = options.amount ?? body.amount;
      const request = { ...body, amount, lines: body.lines.map((l) => ({ ...l, amount })) };
      const response = await stack.api("/v1/payments", { json: request });
      if (response.status !== 201)
        throw new Error(`create failed: ${response.status} ${await response.text()}`);
      const p = (await response.json()) as {
        payment_id: string;
        amount: number;
        _links: { next_url: { href: string } };
      };
      return { id: p.payment_id, nextUrl: p._links.next_url.href, amount: p.amount };
    },
    async choose(payment) {
      const chosen = await citizen(stack).choose(payment.nextUrl, driver.connector);
      if (chosen.status !== 303) return null;
      const [row] = await stack.sql<
        { reference: string; amount: number; initiation: Initiation | null; status: string }[]
      >`
        select reference, amount, initiation, status from payment_attempts
        where payment_id = ${payment.id} order by seq desc limit 1`;
      if (row?.status !== "open" || row.initiation === null) return null;
      const location = new URL(chosen.location, stack.apiUrl).toString();
      return {
        location,
        reference: row.reference,
        amount: row.amount,
        initiation: row.initiation,
      } satisfies OpenedAttempt;
    },
    status,
    async waitForStatus(id, wanted, timeoutMs = 20_000) {
      await eventually(
        `payment ${id} to be ${wanted}`,
        async () => (await status(id)).status === wanted,
        timeoutMs,
      );
    },
    async events(id) {
      return (
        (await (await stack.api(`/v1/payments/${id}/events`)).json()) as {
          events: { type: string; data: Record<string, unknown> }[];
        }
      ).events;
    },
    async deliver(callback) {
      const response = await fetch(callback.url, {
        method: callback.method,
        headers: callback.headers,
        ...(callback.method === "POST" ? { body: callback.body } : {}),
      });
      return { status: response.status, body: await response.text() };
    },
    async ledgerFingerprint() {
      const rows = await stack.sql`
        select (select count(*) from payment_events) as events,
               (select string_agg(id || ':' || status || ':' || coalesce(provider_txn_id, ''), ',' order by id)
                  from payment_attempts) as attempts,
               (select string_agg(id || ':' || status, ',' order by id) from payments) as payments`;
      return createHash("sha256").update(JSON.stringify(rows)).digest("hex");
    },
    async refundRequest(paymentId, amount) {
      const payment = await findPayment(stack.sql, paymentId);
      const [row] = await stack.sql<{ id: string }[]>`
        select id from payment_attempts where payment_id = ${paymentId} and status = 'succeeded' order by seq desc limit 1`;
      const attempt = row ? await findAttempt(stack.sql, row.id) : null;
      if (!payment || !attempt) throw new Error(`payment ${paymentId} has no paid attempt`);
      const now = new Date();
      return {
        refundId: `rf-${paymentId}-${now.getTime()}`,
        reference: `RF${now.getTime().toString(36).toUpperCase()}`,
        attempt: {
          paymentId,
          attemptId: attempt.id,
          reference: attempt.reference,
          amount: attempt.amount,
          orderInfo: asciiOrderInfo(payment.reference),
          dossierCode: payment.reference,
          paymentCode: payment.paymentCode ?? "",
          createdAt: attempt.createdAt,
          expiresAt: attempt.expiresAt,
          clientIp: "127.0.0.1",
          locale: payment.language,
          ipnUrl: `${stack.config.publicUrl}/callbacks/${attempt.connector}/ipn`,
          returnUrl: `${stack.config.publicUrl}/callbacks/${attempt.connector}/return`,
        },
        providerTxnId: attempt.providerTxnId,
        paidAt: payment.succeededAt,
        amount,
        full: amount === attempt.amount,
        reason: "Hoan phi ho so",
        requestedAt: now,
        requestedBy: "paygov",
      };
    },
    run: (effect) => Effect.runPromise(effect),
    pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
};
