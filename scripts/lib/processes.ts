// A tiny supervisor for the dev and test launchers: child processes that die with us, and one
// ordered shutdown on Ctrl-C, SIGTERM or a crash.
//
// Why the children get their own process group (detached): Ctrl-C in a terminal signals the
// whole foreground group at once, so Postgres and Temporal would stop at the same moment as the
// API and the workers that still need them to finish cleanly. In their own group they only hear
// from us, and onShutdown() stops them in reverse order of start.
// Why setpriv --pdeathsig: an exit hook cannot run when we are SIGKILLed (or OOM-killed), and an
// orphaned Postgres keeps its port and data dir locked. The kernel's parent-death signal
// (PR_SET_PDEATHSIG, set by util-linux's setpriv right before exec) covers that case.
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { once } from "node:events";
import { accessSync, constants, createWriteStream, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

type Hook = () => unknown;

const hooks: { name: string; fn: Hook }[] = [];
let installed = false;
let shuttingDown: Promise<never> | undefined;

/**
 * Registers `fn` to run once at shutdown; hooks run one by one in reverse order of
 * registration (last started, first stopped). Returns a function that unregisters it, for
 * resources stopped earlier by hand. The first call installs the signal and crash handlers, so
 * merely importing this module changes nothing (vitest, for one, keeps its own handlers).
 */
export function onShutdown(fn: Hook, name = fn.name || "hook"): () => void {
  install();
  const entry = { name, fn };
  hooks.push(entry);
  return () => {
    const index = hooks.indexOf(entry);
    if (index >= 0) hooks.splice(index, 1);
  };
}

/**
 * Runs every hook (once, even if called again) and exits. The exit code is `exitCode`, or 1 when
 * a hook failed; a hook that hangs is abandoned after `timeoutMs` in total.
 */
export function shutdown(exitCode = 0, timeoutMs = 30_000): Promise<never> {
  shuttingDown ??= (async () => {
    let code = exitCode;
    const watchdog = setTimeout(() => {
      console.error(`[shutdown] still not done after ${timeoutMs} ms, exiting anyway`);
      process.exit(code || 1);
    }, timeoutMs);
    watchdog.unref();
    for (const { name, fn } of hooks.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        console.error(`[shutdown] ${name} failed:`, error);
        code ||= 1;
      }
    }
    process.exit(code);
  })();
  return shuttingDown;
}

function install(): void {
  if (installed) return;
  installed = true;
  const signals = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
  for (const [signal, code] of Object.entries(signals)) {
    process.on(signal, () => {
      // A second Ctrl-C means "now": skip whatever is still stopping.
      if (shuttingDown) process.exit(code);
      console.error(`\n[shutdown] ${signal}: stopping ${hooks.length} service(s)…`);
      void shutdown(code);
    });
  }
  const crash = (error: unknown) => {
    console.error("[shutdown] uncaught error:", error);
    void shutdown(1);
  };
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
}

/** The absolute path of an executable found on PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const setpriv = process.platform === "linux" ? findExecutable("setpriv") : undefined;
const tied = new Map<ChildProcess, NodeJS.Signals>();
let exitHookInstalled = false;

/**
 * spawn() for long-running services that must not outlive us: the child gets `deathSignal`
 * when this process exits normally (exit hook) or is killed outright (parent-death signal via
 * setpriv, when available), and runs in its own process group (see the top of this file).
 * `uid`/`gid` still work: Node switches user first, then setpriv only sets the death signal.
 */
export function spawnTied(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { deathSignal?: NodeJS.Signals } = {},
): ChildProcess {
  const { deathSignal = "SIGTERM", ...spawnOptions } = options;
  const [file, argv] = setpriv
    ? [setpriv, ["--pdeathsig", deathSignal.replace(/^SIG/, ""), "--", command, ...args]]
    : [command, [...args]];
  const child = spawn(file, argv, { stdio: ["ignore", "pipe", "pipe"], ...spawnOptions, detached: true });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Only synchronous work is possible here: send the signal and let the child stop on its own.
    process.on("exit", () => {
      for (const [running, signal] of tied) signalChild(running, signal);
    });
  }
  tied.set(child, deathSignal);
  child.once("exit", () => tied.delete(child));
  child.once("error", () => tied.delete(child));
  return child;
}

/** Whether the child is still running (no exit seen yet). */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.pid !== undefined;
}

/** Resolves when the child has exited (at once if it already has). */
export async function exited(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return;
  await once(child, "exit");
}

/**
 * Stops a child politely, then firmly: `signal`, up to `timeoutMs` for it to exit, then SIGKILL.
 * Safe to call twice or on a child that is already gone.
 */
export async function stopChild(
  child: ChildProcess,
  opts: { signal?: NodeJS.Signals; timeoutMs?: number } = {},
): Promise<void> {
  if (!isRunning(child)) return;
  const gone = exited(child);
  signalChild(child, opts.signal ?? "SIGTERM");
  const timedOut = Symbol("timeout");
  const ac = new AbortController();
  const result = await Promise.race([gone, sleep(opts.timeoutMs ?? 10_000, timedOut, { signal: ac.signal })]);
  ac.abort();
  if (result === timedOut && isRunning(child)) {
    signalChild(child, "SIGKILL");
    await gone;
  }
}

function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    // The pid is setpriv's, which exec'd the real program: same process, so this reaches it.
    child.kill(signal);
  } catch {
    // already gone
  }
}

/**
 * Keeps the last `maxLines` lines a child wrote on stdout and stderr, for error messages, and
 * copies everything to `logFile` when given. Reading the pipes also matters on its own: a child
 * blocks once an unread pipe buffer fills up.
 */
export function captureOutput(
  child: ChildProcess,
  opts: { logFile?: string | undefined; maxLines?: number } = {},
): { tail(): string } {
  const maxLines = opts.maxLines ?? 40;
  const lines: string[] = [];
  let partial = "";
  const file = opts.logFile ? createWriteStream(opts.logFile, { flags: "a" }) : undefined;
  file?.on("error", () => {}); // a log file we cannot write must not crash the launcher
  const onData = (chunk: Buffer) => {
    file?.write(chunk);
    const parts = (partial + chunk.toString("utf8")).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
    if (lines.length > maxLines) lines.splice(0, lines.length - maxLines);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  child.once("close", () => file?.end());
  return { tail: () => [...lines, partial].filter(Boolean).join("\n") };
}
