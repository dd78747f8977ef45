// Starts the Temporal dev server (`temporal server start-dev`) for dev and tests, and makes sure
// PayGov's search attributes exist in its namespace.
import { mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { Connection } from "@temporalio/client";
import { assertPortFree, LOOPBACK, poll, tryConnect } from "./ports.ts";
import { captureOutput, exited, isRunning, spawnTied, stopChild } from "./processes.ts";

/** Search attribute types, spelled as the CLI's --search-attribute flag spells them. */
export type SearchAttributeKind = "Text" | "Keyword" | "Int" | "Double" | "Bool" | "Datetime" | "KeywordList";

/**
 * What operations staff search payments by in the Temporal UI (DESIGN.md: "searchable by
 * payment id, agency, dossier, connector, status"). Keyword = exact match; no personal data.
 */
export const PAYGOV_SEARCH_ATTRIBUTES = {
  PaymentId: "Keyword",
  AgencyCode: "Keyword",
  DossierCode: "Keyword",
  Connector: "Keyword",
  PaymentStatus: "Keyword",
} as const satisfies Record<string, SearchAttributeKind>;

/**
 * temporal.api.enums.v1.IndexedValueType, the numbers the operator API speaks (listed here so
 * we need not import @temporalio/proto, which is not a direct dependency).
 */
export const INDEXED_VALUE_TYPE: Record<SearchAttributeKind, number> = {
  Text: 1,
  Keyword: 2,
  Int: 3,
  Double: 4,
  Bool: 5,
  Datetime: 6,
  KeywordList: 7,
};

export interface TemporalDevServerOptions {
  /** The CLI binary, from ensureTemporalCli(). */
  cli: string;
  /** Front-end gRPC port, bound on 127.0.0.1. */
  port: number;
  /** Web UI port; null = headless (no UI); omitted = the CLI's default, port + 1000. */
  uiPort?: number | null;
  /** Persistent SQLite file (dev keeps workflows across restarts); omitted = in memory. */
  dbFile?: string;
  namespace: string;
  searchAttributes: Record<string, SearchAttributeKind>;
  /** Where the server's output goes as well (it is always kept for error messages). */
  logFile?: string;
  /** How long to wait for the server to answer (default 60 s). */
  startTimeoutMs?: number;
}

export interface TemporalDevServer {
  /** host:port for Connection.connect / NativeConnection.connect. */
  address: string;
  uiUrl: string | null;
  /** SIGTERM, then SIGKILL after 10 s. Idempotent. */
  stop(): Promise<void>;
}

export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const address = `${LOOPBACK}:${opts.port}`;
  const args = ["server", "start-dev", "--ip", LOOPBACK, "--port", String(opts.port), "--log-level", "warn"];
  // --ui-ip defaults to --ip, so the UI is loopback-only as well. The HTTP API and metrics
  // ports are picked at random by the CLI, also on --ip.
  if (opts.uiPort === null) args.push("--headless");
  else if (opts.uiPort !== undefined) args.push("--ui-port", String(opts.uiPort));
  if (opts.dbFile) {
    // The CLI refuses a db file whose folder does not exist.
    const dbFile = resolve(opts.dbFile);
    await mkdir(dirname(dbFile), { recursive: true });
    args.push("--db-filename", dbFile);
  }
  // "default" is always created; naming it again is harmless but noisy.
  if (opts.namespace !== "default") args.push("--namespace", opts.namespace);
  // Only takes effect when the namespace is created (a fresh db, or a namespace new to it);
  // ensureSearchAttributes() below covers attributes added after the db file was made.
  for (const [name, kind] of Object.entries(opts.searchAttributes))
    args.push("--search-attribute", `${name}=${kind}`);

  await assertPortFree(opts.port, "the Temporal dev server");
  const child = spawnTied(opts.cli, args, { deathSignal: "SIGTERM" });
  const output = captureOutput(child, { logFile: opts.logFile });
  const stop = () => stopChild(child, { signal: "SIGTERM", timeoutMs: 10_000 });
  try {
    await waitUntilServing(address, opts.namespace, {
      timeoutMs: opts.startTimeoutMs ?? 60_000,
      abort: () => {
        if (isRunning(child)) return undefined;
        const how = child.signalCode ?? `code ${child.exitCode}`;
        return new Error(`temporal server start-dev exited (${how}) before it was ready`);
      },
    });
    await ensureSearchAttributes(address, opts.namespace, opts.searchAttributes);
  } catch (error) {
    await stop();
    await exited(child);
    throw new Error(
      `Temporal dev server on ${address} did not start: ${(error as Error).message}\n` +
        `command: ${opts.cli} ${args.join(" ")}\n--- last output ---\n${output.tail() || "(none)"}`,
      { cause: error },
    );
  }
  const uiUrl = opts.uiPort === null ? null : `http://${LOOPBACK}:${opts.uiPort ?? opts.port + 1000}`;
  return { address, uiUrl, stop };
}

/** Waits until the front end answers DescribeNamespace for `namespace`, which proves it is serving. */
export async function waitUntilServing(
  address: string,
  namespace: string,
  opts: { timeoutMs?: number; abort?: () => Error | undefined } = {},
): Promise<void> {
  const [host = LOOPBACK, port = "7233"] = address.split(":");
  await poll(
    `Temporal at ${address} to serve namespace ${namespace}`,
    { intervalMs: 50, ...opts },
    async () => {
      // A plain TCP probe first: gRPC's channel, once refused, backs off a full second before
      // retrying, which would add ~1 s to every start.
      await tryConnect(host, Number(port));
      await withConnection(address, 2_000, (connection) =>
        connection.withDeadline(Date.now() + 2_000, () =>
          connection.workflowService.describeNamespace({ namespace }),
        ),
      );
    },
  );
}

/**
 * Connection.connect() leaks its channel when the first call fails (it never closes the
 * connection it created), and such channels keep reconnecting in the background. So: lazy,
 * connect, and close in every case.
 */
async function withConnection<T>(
  address: string,
  connectTimeout: number,
  fn: (connection: Connection) => Promise<T>,
): Promise<T> {
  const connection = Connection.lazy({ address, connectTimeout });
  try {
    await connection.ensureConnected();
    return await fn(connection);
  } finally {
    await connection.close();
  }
}

/**
 * Registers the search attributes the namespace lacks. Needed because start-dev's
 * --search-attribute is ignored for a namespace that already exists in a SQLite file (checked
 * with CLI 1.5.1), and for servers we did not start (TEMPORAL_ADDRESS). Registering an existing
 * attribute with the same type succeeds; with another type it fails, and we say which.
 */
export async function ensureSearchAttributes(
  address: string,
  namespace: string,
  wanted: Record<string, SearchAttributeKind>,
): Promise<void> {
  await withConnection(address, 5_000, async (connection) => {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing: Record<string, number> = {};
    for (const [name, kind] of Object.entries(wanted)) {
      const have = customAttributes?.[name];
      if (have === undefined || have === null) missing[name] = INDEXED_VALUE_TYPE[kind];
      else if (have !== INDEXED_VALUE_TYPE[kind]) {
        throw new Error(
          `search attribute ${name} exists in namespace ${namespace} with type #${have}, but PayGov needs ${kind}`,
        );
      }
    }
    if (Object.keys(missing).length > 0) {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
    }
  });
}
