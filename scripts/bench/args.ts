// Command-line options of `npm run bench`.
import { parseArgs } from "node:util";

export interface BenchOptions {
  /** Measured payments (and as many floor workflows). */
  readonly payments: number;
  /** Payments (and floor workflows) in flight at once. */
  readonly concurrency: number;
  /** Unmeasured runs before each phase, so cold caches and JIT do not land in the figures. */
  readonly warmup: number;
  /** host:port of a Temporal server to reuse; null = start our own dev server. */
  readonly temporalAddress: string | null;
  /**
   * false (default): the dev server's SQLite in memory and PostgreSQL with fsync off, as the tests run.
   * true: the dev server on a SQLite file and PostgreSQL with fsync on, both in temp dirs: every commit
   * reaches the disk, as in production.
   */
  readonly durable: boolean;
  /** The whole run stops at this deadline and reports what finished. */
  readonly deadlineMs: number;
}

export const USAGE = `usage: tsx scripts/bench.ts [options]
  --payments N             measured payments, and as many floor workflows (default 40)
  --concurrency C          in flight at once (default 8)
  --warmup W               unmeasured runs before each phase (default: C)
  --temporal-address H:P   reuse this Temporal server instead of starting a dev server
  --durable                our dev server on a SQLite file and PostgreSQL with fsync on (default: SQLite in
                           memory and fsync off, as the tests run)
  --deadline S             stop after S seconds in all and report what finished (default 300)`;

const positiveInt = (name: string, raw: string | undefined, fallback: number, min = 1): number => {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
};

/** Reads argv (without node and the script); throws with a message for the user on a bad option. */
export const readOptions = (argv: ReadonlyArray<string>): BenchOptions | "help" => {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      payments: { type: "string" },
      concurrency: { type: "string" },
      warmup: { type: "string" },
      "temporal-address": { type: "string" },
      durable: { type: "boolean" },
      deadline: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return "help";
  const concurrency = positiveInt("concurrency", values.concurrency, 8);
  const address = values["temporal-address"] ?? null;
  if (address !== null && !/^[^:\s]+:\d+$/.test(address))
    throw new Error(`--temporal-address must be host:port`);
  return {
    payments: positiveInt("payments", values.payments, 40),
    concurrency,
    warmup: positiveInt("warmup", values.warmup, concurrency, 0),
    temporalAddress: address,
    durable: values.durable ?? false,
    deadlineMs: positiveInt("deadline", values.deadline, 300) * 1000,
  };
};
