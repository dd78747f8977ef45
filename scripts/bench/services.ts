// The servers a bench run needs: a Temporal dev server (or one the user points at) and a throwaway
// PostgreSQL, both on free loopback ports, both stopped at the end.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../lib/ports.ts";
import { startEmbeddedPostgres } from "../lib/postgres.ts";
import { ensureTemporalCli } from "../lib/temporal-cli.ts";
import {
  ensureSearchAttributes,
  PAYGOV_SEARCH_ATTRIBUTES,
  startTemporalDevServer,
  waitUntilServing,
} from "../lib/temporal-server.ts";
import { childPid } from "./proc.ts";

export const NAMESPACE = "default";

export interface Services {
  readonly temporalAddress: string;
  /** How Temporal runs, for the report. */
  readonly temporalDescription: string;
  readonly postgresAdminUrl: string;
  /** How PostgreSQL runs, for the report. */
  readonly postgresDescription: string;
  /** Our children's pids, to read their CPU and memory (null when not ours or not found). */
  readonly temporalPid: number | null;
  readonly postgresPid: number | null;
  stop(): Promise<void>;
}

export const startServices = async (
  options: { temporalAddress: string | null; durable: boolean },
  log: (line: string) => void,
): Promise<Services> => {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    const results = await Promise.allSettled(
      stops
        .splice(0)
        .reverse()
        .map((stop) => stop()),
    );
    for (const r of results) if (r.status === "rejected") log(`stopping a service failed: ${r.reason}`);
  };

  const temporal = async (): Promise<{ address: string; description: string }> => {
    if (options.temporalAddress !== null) {
      const address = options.temporalAddress;
      await waitUntilServing(address, NAMESPACE, { timeoutMs: 10_000 });
      await ensureSearchAttributes(address, NAMESPACE, PAYGOV_SEARCH_ATTRIBUTES);
      return { address, description: `existing server at ${address}` };
    }
    const cli = await ensureTemporalCli();
    const dir = options.durable ? await mkdtemp(join(tmpdir(), "paygov-bench-temporal-")) : null;
    const removeDir = async () => {
      if (dir !== null) await rm(dir, { recursive: true, force: true });
    };
    const dbFile = dir === null ? undefined : join(dir, "temporal.db");
    const port = await freePort();
    const server = await startTemporalDevServer({
      cli,
      port,
      uiPort: null,
      ...(dbFile ? { dbFile } : {}),
      namespace: NAMESPACE,
      searchAttributes: PAYGOV_SEARCH_ATTRIBUTES,
    }).catch(async (error: unknown) => {
      await removeDir();
      throw error;
    });
    stops.push(async () => {
      await server.stop();
      await removeDir();
    });
    return {
      address: server.address,
      description: `dev server (CLI ${cli.split("/").at(-2) ?? "temporal"}), SQLite ${dbFile ? "file in a temp dir" : "in memory"}, headless, ${server.address}`,
    };
  };

  const postgres = async (): Promise<string> => {
    const port = await freePort();
    // Not created here: a mkdtemp dir is mode 700, which the postgres user (when we are root) could not enter.
    const dataDir = join(tmpdir(), `paygov-bench-pg-${process.pid}-${randomBytes(4).toString("hex")}`);
    // persistent = fsync on; the data dir is then ours to remove.
    const server = await startEmbeddedPostgres({ dataDir, port, persistent: options.durable }).catch(
      async (error: unknown) => {
        await rm(dataDir, { recursive: true, force: true });
        throw error;
      },
    );
    stops.push(async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    });
    return server.url;
  };

  const results = await Promise.allSettled([temporal(), postgres()]);
  const failures = results
    .filter((r) => r.status === "rejected")
    .map((r) => (r as PromiseRejectedResult).reason);
  if (failures.length > 0) {
    await stopAll();
    throw failures.length === 1 ? failures[0] : new AggregateError(failures, failures.map(String).join("\n"));
  }
  const [t, p] = results as [
    PromiseFulfilledResult<{ address: string; description: string }>,
    PromiseFulfilledResult<string>,
  ];
  return {
    temporalAddress: t.value.address,
    temporalDescription: t.value.description,
    postgresAdminUrl: p.value,
    postgresDescription: `embedded, ${options.durable ? "fsync on" : "fsync off"}, data in a temp dir`,
    temporalPid: options.temporalAddress === null ? childPid("temporal") : null,
    postgresPid: childPid("postgres"),
    stop: stopAll,
  };
};
