// The PayGov side: the whole platform in this process (api, worker, jobs, sandbox), and one payment as a
// portal and a citizen make it, over real HTTP, with the VNPay simulator paying at once.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "../../db/client.ts";
import { catalogueService, paymentRequestFor } from "../../domain/fee-catalogue.ts";
import { type RunningPlatform, startPlatform } from "../../workers/run.ts";
import { paymentWorkflowId } from "../../workflows/messages.ts";
import { freePort } from "../lib/ports.ts";
import { createDatabase } from "../lib/postgres.ts";
import type { Job, Trace } from "./pool.ts";
import { NAMESPACE } from "./services.ts";

/** Between two GET /v1/payments/:id while waiting for success: short, so it adds little to the latency. */
const POLL_INTERVAL_MS = 20;
/** One payment gives up after this long (the bench's deadline may come sooner). */
const PAYMENT_TIMEOUT_MS = 60_000;

export interface PaygovUnderTest {
  readonly platform: RunningPlatform;
  readonly apiUrl: string;
  readonly sandboxUrl: string;
  readonly apiKey: string;
  readonly taskQueue: string;
  readonly databaseUrl: string;
}

/** Starts api, worker, jobs and sandbox on a fresh database, and tells the VNPay simulator to pay at once. */
export const startPaygov = async (
  temporalAddress: string,
  postgresAdminUrl: string,
): Promise<PaygovUnderTest> => {
  const suffix = randomBytes(4).toString("hex");
  const databaseUrl = await createDatabase(postgresAdminUrl, `paygov_bench_${suffix}`);
  const [port, sandboxPort] = [await freePort(), await freePort()];
  const apiKey = `pgv_bench_${randomBytes(16).toString("hex")}`;
  const taskQueue = `paygov-bench-${suffix}`;
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: NAMESPACE,
    PAYGOV_TASK_QUEUE: taskQueue,
    PORT: String(port),
    PAYGOV_SANDBOX_PORT: String(sandboxPort),
    PAYGOV_PUBLIC_URL: `http://127.0.0.1:${port}`,
    PAYGOV_SECRET_KEY: randomBytes(32).toString("base64url"),
    PAYGOV_SANDBOX_API_KEY: apiKey,
    // The sandbox's demo portal receives the webhooks, as a real portal would (signed, checked).
    PAYGOV_SANDBOX_WEBHOOK_URL: `http://127.0.0.1:${sandboxPort}/demo-portal/webhooks`,
    PAYGOV_SANDBOX_WEBHOOK_SECRET: randomBytes(24).toString("base64url"),
    VNPAY_TMN_CODE: "PAYGOVB1",
    VNPAY_HASH_SECRET: randomBytes(24).toString("hex"),
  };
  const platform = await startPlatform(["api", "worker", "jobs", "sandbox"], env);
  if (platform.apiUrl === null || platform.sandboxUrl === null) {
    await platform.stop();
    throw new Error("the platform started without its api or sandbox");
  }
  const behaviour = await fetch(`${platform.sandboxUrl}/vnpay/_sim/behaviour`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ autoPay: "success" }),
  });
  if (!behaviour.ok) {
    await platform.stop();
    throw new Error(`the VNPay simulator refused autoPay: ${behaviour.status} ${await behaviour.text()}`);
  }
  return {
    platform,
    apiUrl: platform.apiUrl,
    sandboxUrl: platform.sandboxUrl,
    apiKey,
    taskQueue,
    databaseUrl,
  };
};

/** Webhook deliveries by status right now (warm-up included): were the portal's webhooks keeping up? */
export const webhookStatuses = async (paygov: PaygovUnderTest): Promise<Record<string, number>> => {
  const sql = connect(paygov.databaseUrl, { max: 1 });
  try {
    const rows = await sql<{ status: string; n: number }[]>`
      select status, count(*)::int as n from webhook_deliveries group by status order by status`;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  } finally {
    await sql.end({ timeout: 5 });
  }
};

interface PaymentResource {
  payment_id: string;
  state: { status: string; finished: boolean };
  _links: { next_url?: { href: string } };
}

/** A GET the browser makes, not following redirects: returns the Location it was sent to. */
const redirectFrom = async (
  url: string,
  expected: number,
  what: string,
  signal: AbortSignal,
): Promise<string> => {
  const response = await fetch(url, { redirect: "manual", signal });
  const body = await response.text();
  const location = response.headers.get("location");
  if (response.status !== expected || location === null) {
    throw new Error(
      `${what}: expected ${expected} with a Location, got ${response.status} ${body.slice(0, 200)}`,
    );
  }
  return new URL(location, url).toString();
};

/** One payment, from the portal's POST to the portal seeing `success`. */
export const paygovPayment = (paygov: PaygovUnderTest, runId: string): Job => {
  const service = catalogueService("svc-ho-chieu");
  const auth = { authorization: `Bearer ${paygov.apiKey}` };
  return async (index, phaseSignal) => {
    const signal = AbortSignal.any([phaseSignal, AbortSignal.timeout(PAYMENT_TIMEOUT_MS)]);
    const steps: Record<string, number> = {};
    let mark = performance.now();
    const t0 = mark;
    const step = (name: string) => {
      const now = performance.now();
      steps[name] = now - mark;
      mark = now;
    };

    // The portal creates the payment (its Idempotency-Key makes a retry safe, as the API asks portals to do).
    const body = paymentRequestFor(service, {
      dossierCode: `000.00.99.H99-261203-${runId}${String(index).padStart(4, "0")}`,
      returnUrl: `${paygov.sandboxUrl}/demo-portal/return`,
    });
    const created = await fetch(`${paygov.apiUrl}/v1/payments`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json", "idempotency-key": `bench-${runId}-${index}` },
      body: JSON.stringify(body),
      signal,
    });
    if (created.status !== 201)
      throw new Error(`POST /v1/payments: ${created.status} ${(await created.text()).slice(0, 200)}`);
    const payment = (await created.json()) as PaymentResource;
    const nextUrl = payment._links.next_url?.href;
    if (nextUrl === undefined) throw new Error(`payment ${payment.payment_id} came back without next_url`);
    step("create");

    // The citizen chooses VNPay (straight from next_url), pays on the simulator, comes back to PayGov.
    const simulatorUrl = await redirectFrom(`${nextUrl}?connector=vnpay`, 303, "choosing VNPay", signal);
    step("choose");
    const returnUrl = await redirectFrom(
      simulatorUrl,
      302,
      "paying on the VNPay simulator (autoPay)",
      signal,
    );
    step("pay+ipn");
    const resultUrl = await redirectFrom(returnUrl, 303, "the return to PayGov", signal);
    step("return");
    const page = await fetch(resultUrl, { signal });
    await page.text();
    if (page.status !== 200) throw new Error(`the result page answered ${page.status}`);
    step("result page");

    // The portal polls until it sees the outcome.
    let polls = 0;
    for (;;) {
      polls += 1;
      const response = await fetch(`${paygov.apiUrl}/v1/payments/${payment.payment_id}`, {
        headers: auth,
        signal,
      });
      if (!response.ok) throw new Error(`GET /v1/payments/${payment.payment_id}: ${response.status}`);
      const { state } = (await response.json()) as PaymentResource;
      if (state.status === "success") break;
      if (state.finished) throw new Error(`payment ${payment.payment_id} ended ${state.status}, not success`);
      await sleep(POLL_INTERVAL_MS, undefined, { signal });
    }
    step("until success seen");
    const trace: Trace = {
      latencyMs: performance.now() - t0,
      steps,
      counts: { "status polls": polls },
      workflowId: paymentWorkflowId(payment.payment_id),
    };
    return trace;
  };
};
