import { fileURLToPath } from "node:url";
import { DefaultLogger, Runtime } from "@temporalio/worker";
import { Option, Redacted } from "effect";
import { startApi } from "../api/server.ts";
import { type AppConfig, loadAppConfigOrExit } from "../config/app-config.ts";
import { connect } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { newSecret } from "../domain/ids.ts";
import { startSandbox } from "../sandbox/server.ts";
import { startJobWorker } from "./job-worker.ts";
import { loadConnectorSet } from "./platform.ts";
import { registerSandboxAgency } from "./sandbox-agency.ts";
import { startTemporalWorker } from "./temporal-worker.ts";

/** The processes PayGov is made of; `all` runs them together (local development). */
export const ROLES = ["api", "worker", "jobs", "sandbox"] as const;
export type Role = (typeof ROLES)[number];

export interface RunningPlatform {
  readonly config: AppConfig;
  readonly apiUrl: string | null;
  readonly sandboxUrl: string | null;
  /** The sandbox agency's key when this process generated it (so it can be printed). */
  readonly generated: { sandboxApiKey?: string; sandboxWebhookSecret?: string; opsApiKey?: string };
  stop(): Promise<void>;
}

/**
 * Starts the given roles in this process from an environment. Keys the operator did not set are
 * generated here and reported back, never logged.
 */
export const startPlatform = async (
  roles: ReadonlyArray<Role>,
  env: Record<string, string | undefined>,
): Promise<RunningPlatform> => {
  const generated: RunningPlatform["generated"] = {};
  const effectiveEnv = { ...env };
  if (roles.includes("api") && !effectiveEnv.PAYGOV_SANDBOX_API_KEY) {
    generated.sandboxApiKey = effectiveEnv.PAYGOV_SANDBOX_API_KEY = `pgv_sandbox_${newSecret(24)}`;
  }
  if (roles.includes("api") && !effectiveEnv.PAYGOV_OPS_API_KEY) {
    generated.opsApiKey = effectiveEnv.PAYGOV_OPS_API_KEY = `pgv_ops_${newSecret(24)}`;
  }
  if (roles.includes("api") && !effectiveEnv.PAYGOV_SANDBOX_WEBHOOK_SECRET) {
    generated.sandboxWebhookSecret = effectiveEnv.PAYGOV_SANDBOX_WEBHOOK_SECRET = newSecret(32);
  }
  const config = loadAppConfigOrExit(effectiveEnv);
  const connectors = loadConnectorSet(effectiveEnv);
  const stops: (() => Promise<void>)[] = [];

  const sql = connect(config.databaseUrl, { max: 2 });
  try {
    await migrate(sql);
    if (roles.includes("api")) await registerSandboxAgency(sql, config);
  } finally {
    await sql.end({ timeout: 5 });
  }

  let sandboxUrl: string | null = null;
  let apiUrl: string | null = null;
  try {
    if (roles.includes("sandbox")) {
      const sandbox = await startSandbox(connectors, {
        port: config.sandbox.port,
        hostname: config.listenHost,
        paygovUrl: config.internalUrl,
        webhookSecret: () =>
          Option.match(config.sandbox.webhookSecret, { onNone: () => null, onSome: Redacted.value }),
        portalApiKey: () =>
          Option.match(config.sandbox.apiKey, { onNone: () => null, onSome: Redacted.value }),
        treasurySecret: Option.match(config.treasury.secret, { onNone: () => null, onSome: Redacted.value }),
      });
      stops.push(sandbox.close);
      sandboxUrl = sandbox.url;
    }
    if (roles.includes("worker")) stops.push((await startTemporalWorker(config, connectors)).stop);
    if (roles.includes("jobs")) stops.push((await startJobWorker(config)).stop);
    if (roles.includes("api")) {
      const api = await startApi(config, connectors, config.port, config.listenHost);
      stops.push(api.close);
      apiUrl = api.url;
    }
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    throw err;
  }
  return {
    config,
    apiUrl,
    sandboxUrl,
    generated,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch((err) => console.error(`stopping: ${err}`));
    },
  };
};

/** Quiet Temporal's own logging to warnings: PayGov logs what operators need. */
export const quietTemporalLogs = () => {
  Runtime.install({ logger: new DefaultLogger("WARN") });
};

const main = async () => {
  const arg = process.argv[2] ?? "";
  const roles: Role[] =
    arg === "all" ? [...ROLES] : arg.split(",").filter((r): r is Role => ROLES.includes(r as Role));
  if (roles.length === 0) {
    console.error(`usage: workers/run.ts <${ROLES.join("|")}|all>[,...]`);
    process.exit(64);
  }
  quietTemporalLogs();
  const platform = await startPlatform(roles, process.env);
  if (platform.generated.sandboxApiKey) {
    console.log(
      `Sandbox agency API key (generated, set PAYGOV_SANDBOX_API_KEY to keep it): ${platform.generated.sandboxApiKey}`,
    );
  }
  if (platform.generated.opsApiKey) {
    console.log(
      `Operations API key (generated, set PAYGOV_OPS_API_KEY to keep it): ${platform.generated.opsApiKey}`,
    );
  }
  if (platform.generated.sandboxWebhookSecret) {
    console.log(`Sandbox webhook signing secret (generated): ${platform.generated.sandboxWebhookSecret}`);
  }
  console.log(`PayGov ${roles.join(", ")} running${platform.apiUrl ? ` at ${platform.apiUrl}` : ""}`);
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      platform.stop().then(() => process.exit(0));
    });
  }
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
