// Runs `count` jobs, `concurrency` at a time, until they are done or the deadline passes.

/** What one run measured: its end-to-end latency and the time of each step (ms). */
export interface Trace {
  readonly latencyMs: number;
  readonly steps: Readonly<Record<string, number>>;
  /** Counters worth averaging (e.g. status polls). */
  readonly counts?: Readonly<Record<string, number>>;
  /** Workflow id, to inspect its history afterwards. */
  readonly workflowId: string;
}

export type Settled =
  | { readonly ok: true; readonly trace: Trace; readonly endedAt: number }
  | { readonly ok: false; readonly error: string; readonly endedAt: number; readonly cutByDeadline: boolean };

export interface PoolResult {
  readonly settled: ReadonlyArray<Settled>;
  /** Jobs never started because the deadline came first. */
  readonly notStarted: number;
  readonly startedAt: number;
  readonly endedAt: number;
}

export type Job = (index: number, signal: AbortSignal) => Promise<Trace>;

export const runPool = async (
  count: number,
  concurrency: number,
  deadline: number,
  job: Job,
): Promise<PoolResult> => {
  const abort = new AbortController();
  const timer = setTimeout(
    () => abort.abort(new Error("the bench's deadline passed")),
    Math.max(0, deadline - Date.now()),
  );
  const settled: Settled[] = [];
  let next = 0;
  const startedAt = performance.now();
  const lane = async () => {
    while (next < count && !abort.signal.aborted) {
      const index = next++;
      try {
        const trace = await job(index, abort.signal);
        settled.push({ ok: true, trace, endedAt: performance.now() });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        settled.push({
          ok: false,
          error: message,
          endedAt: performance.now(),
          cutByDeadline: abort.signal.aborted,
        });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  } finally {
    clearTimeout(timer);
  }
  return { settled, notStarted: count - next, startedAt, endedAt: performance.now() };
};

/** Rejects when the signal aborts: for calls that take no signal of their own. */
export const abortable = <T>(signal: AbortSignal, promise: Promise<T>): Promise<T> => {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
};
