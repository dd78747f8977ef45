// npm run bench: N payments end to end (portal API, checkout, VNPay simulator paying at once, IPN, return,
// the portal polling until success) next to a bare Temporal workflow of the same shape (start with an
// update, one update, one signal, as many no-op activities) on the same server, in the same process.
//
// Starts its own Temporal dev server and PostgreSQL on free loopback ports (or reuses a Temporal server
// with --temporal-address), stops them at the end, and stops early at a global deadline, reporting what
// finished. Exits 1 when any payment or floor workflow did not reach its end. See scripts/bench/args.ts.
import { randomBytes } from "node:crypto";
import { Client, Connection } from "@temporalio/client";
import { quietTemporalLogs } from "../workers/run.ts";
import { type BenchOptions, readOptions, USAGE } from "./bench/args.ts";
import { floorRun, startFloor } from "./bench/floor.ts";
import { HISTORY_KINDS, type HistoryKind, historyShape } from "./bench/history.ts";
import { paygovPayment, startPaygov, webhookStatuses } from "./bench/paygov.ts";
import { type Job, type PoolResult, runPool, type Settled } from "./bench/pool.ts";
import { peakRssMiB, selfCpuSeconds, treeCpuSeconds } from "./bench/proc.ts";
import { NAMESPACE, type Services, startServices } from "./bench/services.ts";
import { fmt, type Summary, summarize, table } from "./bench/stats.ts";
import { onShutdown } from "./lib/processes.ts";

/** Kept back from the deadline to stop the platform and the servers and print the report. */
const SHUTDOWN_RESERVE_MS = 25_000;
/** How many histories to read per phase to describe the work Temporal did. */
const HISTORY_SAMPLE = 50;
/** Used only when no PayGov history could be read: recordPaymentCreated, openAttempt, recordPaymentSucceeded. */
const PAYGOV_ACTIVITIES_BY_READING = 3;

const t0 = performance.now();
const log = (line: string) =>
  console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`);

interface PhaseResult {
  readonly name: string;
  readonly warmup: PoolResult | null;
  readonly measured: PoolResult;
  /** CPU seconds spent during the measured runs. */
  readonly cpu: { readonly self: number; readonly temporal: number; readonly postgres: number };
  readonly history: { sampled: number; mean: Partial<Record<HistoryKind, number>> };
}

type Succeeded = Extract<Settled, { ok: true }>;
const succeeded = (pool: PoolResult | null): Succeeded[] =>
  pool?.settled.filter((s): s is Succeeded => s.ok) ?? [];
const failedCount = (pool: PoolResult | null, planned: number) =>
  pool ? planned - succeeded(pool).length : 0;

/** Warm-up then measured runs of one job, within `deadline` (epoch ms). */
const runPhase = async (
  name: string,
  options: BenchOptions,
  services: Services,
  deadline: number,
  makeJob: (runId: string) => Job,
  inspector: Client,
): Promise<PhaseResult> => {
  let warmup: PoolResult | null = null;
  if (options.warmup > 0) {
    log(`${name}: ${options.warmup} warm-up run(s)…`);
    warmup = await runPool(
      options.warmup,
      options.concurrency,
      deadline,
      makeJob(`w${randomBytes(2).toString("hex")}`),
    );
  }
  log(`${name}: ${options.payments} measured run(s), ${options.concurrency} at a time…`);
  const before = {
    self: selfCpuSeconds(),
    temporal: treeCpuSeconds(services.temporalPid),
    postgres: treeCpuSeconds(services.postgresPid),
  };
  const measured = await runPool(
    options.payments,
    options.concurrency,
    deadline,
    makeJob(randomBytes(3).toString("hex")),
  );
  const cpu = {
    self: selfCpuSeconds() - before.self,
    temporal: treeCpuSeconds(services.temporalPid) - before.temporal,
    postgres: treeCpuSeconds(services.postgresPid) - before.postgres,
  };
  const ok = succeeded(measured);
  log(
    `${name}: ${ok.length}/${options.payments} done in ${((measured.endedAt - measured.startedAt) / 1000).toFixed(1)} s`,
  );
  const ids = ok.slice(0, HISTORY_SAMPLE).map((s) => s.trace.workflowId);
  const history = await historyShape(inspector, ids);
  return { name, warmup, measured, cpu, history };
};

/** A phase's deadline: an equal share of what is left before the global deadline. */
const phaseDeadline = (globalDeadline: number, phasesLeft: number): number =>
  Date.now() + Math.max(0, (globalDeadline - SHUTDOWN_RESERVE_MS - Date.now()) / phasesLeft);

interface Figures {
  readonly ok: number;
  readonly throughput: number;
  readonly latency: Summary;
  readonly cpuMsPerRun: { self: number; temporal: number; postgres: number };
  readonly steps: ReadonlyArray<[string, Summary]>;
  readonly counts: ReadonlyArray<[string, number]>;
}

const figures = (phase: PhaseResult): Figures => {
  const ok = succeeded(phase.measured);
  const lastEnd = Math.max(phase.measured.startedAt, ...ok.map((s) => s.endedAt));
  const seconds = (lastEnd - phase.measured.startedAt) / 1000;
  const stepNames = [...new Set(ok.flatMap((s) => Object.keys(s.trace.steps)))];
  const countNames = [...new Set(ok.flatMap((s) => Object.keys(s.trace.counts ?? {})))];
  const perRun = (cpuSeconds: number) => (ok.length > 0 ? (cpuSeconds * 1000) / ok.length : Number.NaN);
  return {
    ok: ok.length,
    throughput: ok.length > 0 && seconds > 0 ? ok.length / seconds : Number.NaN,
    latency: summarize(ok.map((s) => s.trace.latencyMs)),
    cpuMsPerRun: {
      self: perRun(phase.cpu.self),
      temporal: perRun(phase.cpu.temporal),
      postgres: perRun(phase.cpu.postgres),
    },
    steps: stepNames.map((n) => [n, summarize(ok.map((s) => s.trace.steps[n] ?? 0))]),
    counts: countNames.map((n) => [
      n,
      ok.reduce((sum, s) => sum + (s.trace.counts?.[n] ?? 0), 0) / ok.length,
    ]),
  };
};

const failureLines = (phase: PhaseResult, planned: number): string[] => {
  const lines: string[] = [];
  const failed = phase.measured.settled.filter((s) => !s.ok);
  const notStarted = phase.measured.notStarted;
  const missing = failedCount(phase.measured, planned);
  if (missing === 0) return lines;
  const cut = failed.filter((s) => !s.ok && s.cutByDeadline).length;
  lines.push(
    `${phase.name}: ${missing} of ${planned} did not reach the end (${failed.length - cut} failed, ${cut} cut by the deadline, ${notStarted} never started)`,
  );
  const messages = new Map<string, number>();
  for (const s of failed) if (!s.ok) messages.set(s.error, (messages.get(s.error) ?? 0) + 1);
  for (const [message, count] of [...messages].slice(0, 5)) lines.push(`  ${count} × ${message}`);
  return lines;
};

const ratio = (a: number, b: number, digits = 2) => fmt(a / b, digits);

const report = (
  options: BenchOptions,
  services: Services,
  phases: { paygov: PhaseResult | null; floor: PhaseResult | null },
  floorActivities: { count: number; source: string },
  webhooks: Record<string, number> | null,
  memory: { self: number; temporal: number },
): string => {
  const p = phases.paygov ? figures(phases.paygov) : null;
  const f = phases.floor ? figures(phases.floor) : null;
  const na = "n/a";
  const cell = (x: Figures | null, pick: (x: Figures) => number, digits = 0) =>
    x ? fmt(pick(x), digits) : na;
  const both = (pick: (x: Figures) => number, digits = 0, ratioDigits = 2) => [
    cell(p, pick, digits),
    cell(f, pick, digits),
    p && f ? ratio(pick(p), pick(f), ratioDigits) : na,
  ];
  const hist = (kind: HistoryKind) => {
    const get = (ph: PhaseResult | null) =>
      ph && ph.history.sampled > 0 ? fmt(ph.history.mean[kind] ?? 0, 1) : na;
    return [`  ${kind}`, get(phases.paygov), get(phases.floor), ""];
  };
  const rows: string[][] = [
    ["", "PayGov", "floor", "PayGov/floor"],
    ["reached the end", p ? `${p.ok}/${options.payments}` : na, f ? `${f.ok}/${options.payments}` : na, ""],
    ["throughput (runs/s)", ...both((x) => x.throughput, 2)],
    ["latency p50 (ms)", ...both((x) => x.latency.p50)],
    ["latency p95 (ms)", ...both((x) => x.latency.p95)],
    ["latency p99 (ms)", ...both((x) => x.latency.p99)],
    ["latency max (ms)", ...both((x) => x.latency.max)],
    ["CPU per run (ms): this process", ...both((x) => x.cpuMsPerRun.self, 1)],
    ["CPU per run (ms): Temporal server", ...both((x) => x.cpuMsPerRun.temporal, 1)],
    // The floor does not use PostgreSQL: no ratio.
    ["CPU per run (ms): PostgreSQL", ...both((x) => x.cpuMsPerRun.postgres, 1).slice(0, 2), ""],
    [
      "history per workflow: sampled",
      phases.paygov ? String(phases.paygov.history.sampled) : na,
      phases.floor ? String(phases.floor.history.sampled) : na,
      "",
    ],
    ...HISTORY_KINDS.map(hist),
  ];
  const stepLines = (name: string, x: Figures | null) =>
    x === null
      ? []
      : [
          `${name} steps, mean / p50 / p95 ms: ` +
            x.steps.map(([n, s]) => `${n} ${fmt(s.mean)}/${fmt(s.p50)}/${fmt(s.p95)}`).join(", ") +
            (x.counts.length > 0
              ? `; per run: ${x.counts.map(([n, v]) => `${fmt(v, 1)} ${n}`).join(", ")}`
              : ""),
        ];
  return [
    "",
    `PayGov bench: ${options.payments} payments, concurrency ${options.concurrency}, warm-up ${options.warmup} per side (not measured)`,
    `Temporal: ${services.temporalDescription}; PostgreSQL: ${services.postgresDescription}`,
    `Floor: benchFloorWorkflow with ${floorActivities.count} no-op activities (${floorActivities.source})`,
    `Latency: PayGov = POST /v1/payments sent → GET /v1/payments/:id shows success; floor = update-with-start sent → result seen`,
    "",
    table(rows),
    "",
    ...stepLines("PayGov", p),
    ...stepLines("floor", f),
    ...(webhooks === null
      ? []
      : [
          `PayGov webhooks to the demo portal when the phase ended (warm-up included): ` +
            (Object.entries(webhooks)
              .map(([status, n]) => `${n} ${status}`)
              .join(", ") || "none"),
        ]),
    `peak RSS: this process ${fmt(memory.self)} MiB` +
      (Number.isFinite(memory.temporal) ? `, Temporal dev server ${fmt(memory.temporal)} MiB` : ""),
    "",
  ].join("\n");
};

const main = async (): Promise<number> => {
  let options: BenchOptions;
  try {
    const read = readOptions(process.argv.slice(2));
    if (read === "help") {
      console.log(USAGE);
      return 0;
    }
    options = read;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 64;
  }
  const globalDeadline = Date.now() + options.deadlineMs;
  // Should stopping hang past the deadline, leave anyway: our children die with us (spawnTied).
  setTimeout(() => {
    console.error(`[bench] still running ${SHUTDOWN_RESERVE_MS / 1000} s past the deadline; exiting`);
    process.exit(2);
  }, options.deadlineMs + SHUTDOWN_RESERVE_MS).unref();
  quietTemporalLogs();

  log("starting Temporal and PostgreSQL…");
  const services = await startServices(options, log);
  // Ctrl-C or a crash still stops the servers and removes their temp dirs.
  const forgetServices = onShutdown(() => services.stop(), "bench services");
  log(`Temporal: ${services.temporalDescription}; PostgreSQL up`);
  const connection = await Connection.connect({ address: services.temporalAddress });
  const inspector = new Client({ connection, namespace: NAMESPACE });
  const phases: { paygov: PhaseResult | null; floor: PhaseResult | null } = { paygov: null, floor: null };
  let floorActivities = PAYGOV_ACTIVITIES_BY_READING;
  let floorSource = "read from workflows/payment.ts: no PayGov history could be read";
  let temporalPeak = Number.NaN;
  let webhooks: Record<string, number> | null = null;
  /** Errors that stopped a phase; the report still shows what the other phase measured. */
  const errors: string[] = [];
  const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
  try {
    try {
      log("starting PayGov (api, worker, jobs, sandbox) and bundling its workflows…");
      const paygov = await startPaygov(services.temporalAddress, services.postgresAdminUrl);
      try {
        phases.paygov = await runPhase(
          "PayGov",
          options,
          services,
          phaseDeadline(globalDeadline, 2),
          (runId) => paygovPayment(paygov, runId),
          inspector,
        );
        webhooks = await webhookStatuses(paygov).catch((error: unknown) => {
          log(`could not read the webhook deliveries: ${message(error)}`);
          return null;
        });
      } finally {
        log("stopping PayGov…");
        await paygov.platform.stop();
      }
    } catch (error) {
      errors.push(`PayGov phase stopped: ${message(error)}`);
      log(errors.at(-1)!);
    }
    const observed = phases.paygov?.history.mean.activities;
    if (observed !== undefined) {
      floorActivities = Math.max(2, Math.round(observed));
      floorSource = `as many as a PayGov payment's history shows: ${fmt(observed, 1)}`;
    }

    if (Date.now() < globalDeadline - SHUTDOWN_RESERVE_MS) {
      try {
        log(`starting the floor (${floorActivities} no-op activities) and bundling it…`);
        const floor = await startFloor(services.temporalAddress);
        try {
          phases.floor = await runPhase(
            "floor",
            options,
            services,
            phaseDeadline(globalDeadline, 1),
            (runId) => floorRun(floor, runId, floorActivities),
            inspector,
          );
        } finally {
          await floor.stop();
        }
      } catch (error) {
        errors.push(`floor phase stopped: ${message(error)}`);
        log(errors.at(-1)!);
      }
    } else log("no time left for the floor");
  } finally {
    temporalPeak = peakRssMiB(services.temporalPid);
    await connection.close().catch(() => {});
    log("stopping the servers we started…");
    forgetServices();
    await services.stop();
  }

  const selfPeak = process.resourceUsage().maxRSS / 1024;
  console.log(
    report(options, services, phases, { count: floorActivities, source: floorSource }, webhooks, {
      self: selfPeak,
      temporal: temporalPeak,
    }),
  );
  const problems = [
    ...errors,
    ...(phases.paygov ? failureLines(phases.paygov, options.payments) : [`PayGov: no payment ran`]),
    ...(phases.floor ? failureLines(phases.floor, options.payments) : [`floor: did not run`]),
  ];
  for (const phase of [phases.paygov, phases.floor]) {
    const warm = phase?.warmup;
    if (phase && warm && failedCount(warm, options.warmup) > 0)
      problems.push(
        `${phase.name} warm-up: ${failedCount(warm, options.warmup)} of ${options.warmup} did not reach the end`,
      );
  }
  if (problems.length > 0) {
    console.log(`FAILED:\n${problems.join("\n")}`);
    return 1;
  }
  return 0;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[bench] ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    process.exit(1);
  },
);
