import { randomBytes } from "node:crypto";
import { Client, Connection } from "@temporalio/client";
import { type ApiHandle, startApi } from "../../api/server.ts";
import { type AppConfig, loadAppConfigOrExit } from "../../config/app-config.ts";
import type { AnyConnectorDefinition } from "../../connectors/sdk/contract.ts";
import type { ConnectorSet } from "../../connectors/sdk/load.ts";
import { connect, type Db } from "../../db/client.ts";
import { migrate } from "../../db/migrate.ts";
import { startSandbox } from "../../sandbox/server.ts";
import { freePort } from "../../scripts/lib/ports.ts";
import { createDatabase, databaseUrl } from "../../scripts/lib/postgres.ts";
import type { HttpServerHandle } from "../../workers/http.ts";
import { type JobWorkerHandle, startJobWorker } from "../../workers/job-worker.ts";
import { loadConnectorSet } from "../../workers/platform.ts";
import { quietTemporalLogs } from "../../workers/run.ts";
import { registerSandboxAgency } from "../../workers/sandbox-agency.ts";
import { startTemporalWorker, type TemporalWorkerHandle } from "../../workers/temporal-worker.ts";

/** Where the shared servers are: vitest's global setup provides them, the CLIs start their own. */
export interface Infra {
  readonly temporalAddress: string;
  readonly temporalNamespace: string;
  readonly postgresAdminUrl: string;
}

export interface StackOptions {
  readonly infra: Infra;
  /** Extra or overriding environment variables (connector credentials, timings). */
  readonly env?: Record<string, string | undefined>;
  readonly webhookUrl?: string;
  /** Every connector to register (default CONNECTORS): `[...CONNECTORS, template]` adds one in a line. */
  readonly connectors?: ReadonlyArray<AnyConnectorDefinition>;
}

/** A whole PayGov against the suite's real Temporal and PostgreSQL: its own database and task queue. */
export interface Stack {
  readonly apiUrl: string;
  readonly sandboxUrl: string;
  readonly apiKey: string;
  readonly opsKey: string;
  readonly webhookSecret: string;
  readonly config: AppConfig;
  readonly env: Record<string, string | undefined>;
  readonly sql: Db;
  readonly temporal: Client;
  readonly connectors: ConnectorSet;
  /** Calls the portal API with the sandbox agency's key. */
  api(path: string, init?: RequestInit & { json?: unknown; idempotencyKey?: string }): Promise<Response>;
  /** Calls the ops API with the operations key. */
  ops(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

/** Short timings so that waiting for callbacks, queries and expiry takes seconds, not minutes. */
export const FAST_TIMINGS = {
  PAYGOV_MIN_EXPIRES_IN: "5",
  PAYGOV_ATTEMPT_QUERY_AFTER: "3",
  PAYGOV_REQUERY_EVERY: "1",
  PAYGOV_WEBHOOK_RETRY_SCHEDULE: "1s,1s,1s,1s,1s",
};

// Temporal's own INFO lines drown the test report; warnings still show. Installed once per test process.
let quiet = false;

export const startStack = async (options: StackOptions): Promise<Stack> => {
  if (!quiet) {
    quiet = true;
    quietTemporalLogs();
  }
  const name = `paygov_${randomBytes(6).toString("hex")}`;
  await createDatabase(options.infra.postgresAdminUrl, name);
  const [port, sandboxPort] = [await freePort(), await freePort()];
  const apiKey = `pgv_test_${randomBytes(16).toString("hex")}`;
  const opsKey = `pgv_ops_${randomBytes(16).toString("hex")}`;
  const webhookSecret = randomBytes(24).toString("base64url");
  const env: Record<string, string | undefined> = {
    DATABASE_URL: databaseUrl(options.infra.postgresAdminUrl, name),
    TEMPORAL_ADDRESS: options.infra.temporalAddress,
    TEMPORAL_NAMESPACE: options.infra.temporalNamespace,
    PAYGOV_TASK_QUEUE: `paygov-${name}`,
    PORT: String(port),
    PAYGOV_SANDBOX_PORT: String(sandboxPort),
    PAYGOV_PUBLIC_URL: `http://127.0.0.1:${port}`,
    PAYGOV_SECRET_KEY: randomBytes(32).toString("base64url"),
    PAYGOV_SANDBOX_API_KEY: apiKey,
    PAYGOV_OPS_API_KEY: opsKey,
    PAYGOV_SANDBOX_WEBHOOK_URL: options.webhookUrl,
    PAYGOV_SANDBOX_WEBHOOK_SECRET: webhookSecret,
    VNPAY_TMN_CODE: "PAYGOVT1",
    VNPAY_HASH_SECRET: randomBytes(24).toString("hex"),
    PAYGOV_TREASURY_SECRET: randomBytes(24).toString("hex"),
    ...FAST_TIMINGS,
    ...options.env,
  };
  const config = loadAppConfigOrExit(env);
  const sql = connect(config.databaseUrl, { max: 4 });
  await migrate(sql);
  await registerSandboxAgency(sql, config);
  const connectors = loadConnectorSet(env, undefined, () => {}, options.connectors);

  const sandbox: HttpServerHandle = await startSandbox(connectors, {
    port: sandboxPort,
    paygovUrl: config.publicUrl,
    webhookSecret: () => webhookSecret,
    portalApiKey: () => apiKey,
    treasurySecret: env.PAYGOV_TREASURY_SECRET ?? null,
  });
  let worker: TemporalWorkerHandle | null = await startTemporalWorker(config, connectors);
  const jobs: JobWorkerHandle = await startJobWorker(config);
  const api: ApiHandle = await startApi(config, connectors);
  const connection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });

  return {
    apiUrl: api.url,
    sandboxUrl: sandbox.url,
    apiKey,
    opsKey,
    webhookSecret,
    config,
    env,
    sql,
    temporal,
    connectors,
    api(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${apiKey}`);
      if (init.json !== undefined) headers.set("content-type", "application/json");
      if (init.idempotencyKey !== undefined) headers.set("idempotency-key", init.idempotencyKey);
      return fetch(`${api.url}${path}`, {
        ...init,
        headers,
        ...(init.json !== undefined
          ? { body: JSON.stringify(init.json), method: init.method ?? "POST" }
          : {}),
      });
    },
    ops(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${opsKey}`);
      if (init.json !== undefined) headers.set("content-type", "application/json");
      return fetch(`${api.url}${path}`, {
        ...init,
        headers,
        ...(init.json !== undefined
          ? { body: JSON.stringify(init.json), method: init.method ?? "POST" }
          : {}),
      });
    },
    async stopWorker() {
      await worker?.stop();
      worker = null;
    },
    async startWorker() {
      worker ??= await startTemporalWorker(config, connectors);
    },
    async stop() {
      await api.close();
      await worker?.stop();
      await jobs.stop();
      await sandbox.close();
      await connection.close();
      await sql.end({ timeout: 5 });
    },
  };
};

/** Polls until `check` returns a value, or fails after `timeoutMs` with the last value seen. */
export const eventually = async <T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await check();
    if (last !== undefined && last !== null && last !== false) return last as T;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
};
