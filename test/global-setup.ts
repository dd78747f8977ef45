// vitest globalSetup of the "integration" project: runs once in vitest's main process, starts
// the real services the suites need, hands their addresses to the tests via provide()/inject(),
// and stops them at teardown.
//
// - Temporal: a fresh in-memory dev server, headless, on a free port, with PayGov's search
//   attributes. TEMPORAL_ADDRESS reuses a running server instead (faster edit-test loops).
// - PostgreSQL: always our own throwaway cluster in a temp dir, never DATABASE_URL, so tests
//   can never touch dev data; each test file creates its own database with createDatabase().
// - Chromium: Debian's, for page tests through playwright-core.
import { randomBytes } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { ensureChromium } from "../scripts/lib/chromium.ts";
import { freePort } from "../scripts/lib/ports.ts";
import { startEmbeddedPostgres } from "../scripts/lib/postgres.ts";
import { ensureTemporalCli } from "../scripts/lib/temporal-cli.ts";
import {
  ensureSearchAttributes,
  PAYGOV_SEARCH_ATTRIBUTES,
  startTemporalDevServer,
  waitUntilServing,
} from "../scripts/lib/temporal-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** host:port of the Temporal front end. */
    temporalAddress: string;
    /** The namespace that has PayGov's search attributes. */
    temporalNamespace: string;
    /** Superuser URL to database "postgres"; create a database per test file from it. */
    postgresAdminUrl: string;
    /** Chromium binary for playwright-core's executablePath. */
    chromiumPath: string;
  }
}

const log = (message: string) => console.log(`[global-setup] ${message}`);

/** Runs `fn`, logging how long it took. */
async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  log(`${what} in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  return result;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const namespace = process.env.TEMPORAL_NAMESPACE || "default";
  const stops: (() => Promise<void>)[] = [];

  const temporal = async (): Promise<string> => {
    const external = process.env.TEMPORAL_ADDRESS;
    if (external) {
      return timed(`reusing Temporal at ${external} (TEMPORAL_ADDRESS)`, async () => {
        await waitUntilServing(external, namespace, { timeoutMs: 10_000 });
        await ensureSearchAttributes(external, namespace, PAYGOV_SEARCH_ATTRIBUTES);
        return external;
      });
    }
    const cli = await timed("Temporal CLI found", ensureTemporalCli);
    const port = await freePort();
    const server = await timed(`Temporal dev server started on port ${port}`, () =>
      startTemporalDevServer({
        cli,
        port,
        uiPort: null,
        namespace,
        searchAttributes: PAYGOV_SEARCH_ATTRIBUTES,
      }),
    );
    stops.push(server.stop);
    return server.address;
  };

  const postgres = async (): Promise<string> => {
    await removeLeftoverDataDirs();
    const port = await freePort();
    // Not created here: a mkdtemp dir is mode 700, which the postgres user could not enter.
    const dataDir = join(tmpdir(), `${DATA_DIR_PREFIX}${process.pid}-${randomBytes(4).toString("hex")}`);
    const server = await timed(`PostgreSQL initialised and started on port ${port}`, () =>
      startEmbeddedPostgres({ dataDir, port, persistent: false }),
    );
    stops.push(server.stop);
    return server.url;
  };

  const teardown = async () => {
    await timed("services stopped", async () => {
      const results = await Promise.allSettled(stops.splice(0).map((stop) => stop()));
      const failures = results.filter((r) => r.status === "rejected").map((r) => r.reason);
      if (failures.length > 0) throw new AggregateError(failures, "stopping test services failed");
    });
  };

  // Independent, so in parallel; if one fails, stop whatever the others started, since vitest
  // only calls teardown when setup succeeds.
  const results = await Promise.allSettled([temporal(), postgres(), timed("Chromium found", ensureChromium)]);
  const failures = results.filter((r) => r.status === "rejected").map((r) => r.reason as Error);
  if (failures.length > 0) {
    await teardown().catch(() => {});
    throw failures.length === 1
      ? failures[0]
      : new AggregateError(failures, failures.map((e) => e.message).join("\n"));
  }
  const [temporalAddress, postgresAdminUrl, chromiumPath] = results.map(
    (r) => (r as PromiseFulfilledResult<string>).value,
  );

  project.provide("temporalAddress", temporalAddress!);
  project.provide("temporalNamespace", namespace);
  project.provide("postgresAdminUrl", postgresAdminUrl!);
  project.provide("chromiumPath", chromiumPath!);
  log(`ready in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  return teardown;
}

const DATA_DIR_PREFIX = "paygov-test-pg-";

/**
 * On Ctrl-C vitest exits without calling globalSetup teardowns; our services still stop (exit
 * hook and parent-death signal, see scripts/lib/processes.ts) but their temp data dirs stay.
 * So each run removes those of runs whose vitest process is gone.
 */
async function removeLeftoverDataDirs(): Promise<void> {
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    const pid = Number(
      name.startsWith(DATA_DIR_PREFIX) ? name.slice(DATA_DIR_PREFIX.length).split("-")[0] : NaN,
    );
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ESRCH") {
        await rm(join(tmpdir(), name), { recursive: true, force: true });
      }
    }
  }
}
