// Port helpers for the dev and test launchers. Everything binds and probes 127.0.0.1 only:
// nothing PayGov starts locally should be reachable from another machine.
import { createConnection, createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export const LOOPBACK = "127.0.0.1";

/**
 * A port that was free a moment ago. The kernel picks it (listen on :0), so two callers never
 * get the same one at once; a tiny race remains until the real server binds it, which is why
 * servers get the port just before they start, never long before.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() =>
        port ? resolve(port) : reject(new Error("could not read the port of a free socket")),
      );
    });
  });
}

/**
 * Throws if something already accepts connections on the port. Servers check this before they
 * start, because a readiness probe would otherwise happily talk to the squatter (say, an old
 * dev server) while ours fails to bind.
 */
export async function assertPortFree(port: number, what: string, host = LOOPBACK): Promise<void> {
  const taken = await tryConnect(host, port).then(
    () => true,
    () => false,
  );
  if (taken)
    throw new Error(`cannot start ${what}: ${host}:${port} is already in use (ss -ltnp | grep :${port})`);
}

export interface WaitOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 100 ms). */
  intervalMs?: number;
  /** Checked between attempts: lets a caller stop early, e.g. when the server process died. */
  abort?: () => Error | undefined;
}

/** Resolves once something accepts TCP connections on host:port; throws at the deadline. */
export async function waitForPort(port: number, host = LOOPBACK, opts: WaitOptions = {}): Promise<void> {
  await poll(`${host}:${port} to accept connections`, { intervalMs: 50, ...opts }, () =>
    tryConnect(host, port),
  );
}

/**
 * Resolves with the first response whose status passes `ok` (default: any status below 500,
 * since a 404 still proves the server is up); throws at the deadline with the last error.
 */
export async function waitForHttp(
  url: string,
  opts: WaitOptions & { ok?: (status: number) => boolean } = {},
): Promise<Response> {
  const ok = opts.ok ?? ((status: number) => status < 500);
  return poll(`${url} to answer`, opts, async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000), redirect: "manual" });
    if (!ok(response.status)) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    return response;
  });
}

/** Retries `attempt` until it resolves, the deadline passes, or `abort` reports a reason to stop. */
export async function poll<T>(what: string, opts: WaitOptions, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    const aborted = opts.abort?.();
    if (aborted) throw aborted;
    try {
      return await attempt();
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(
        `timed out after ${opts.timeoutMs ?? 30_000} ms waiting for ${what} (last error: ${reason})`,
      );
    }
    await sleep(opts.intervalMs ?? 100);
  }
}

/** One TCP connection attempt: resolves if something accepts, rejects otherwise. */
export function tryConnect(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(2_000, () => socket.destroy(new Error("connect timed out")));
    socket.once("connect", () => {
      // destroy, not end: a half-closed socket lingers until the peer closes its side.
      socket.destroy();
      resolve();
    });
    socket.once("error", reject);
  });
}
