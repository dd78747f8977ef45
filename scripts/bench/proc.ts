// What the bench's child processes (Temporal dev server, PostgreSQL) cost, read from /proc (Linux).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

interface Stat {
  readonly pid: number;
  readonly comm: string;
  readonly ppid: number;
  /** utime + stime of the process itself, in ticks. */
  readonly cpu: number;
  /** cutime + cstime: children it waited for (Postgres backends that already exited). */
  readonly childCpu: number;
}

let ticks: number | undefined;
const ticksPerSecond = (): number => {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
};

const readStat = (pid: number): Stat | null => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm is in parentheses and may hold spaces: the fields after it are split on the last ")".
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
    const field = (n: number) => Number(fields[n - 3]);
    return { pid, comm, ppid: field(4), cpu: field(14) + field(15), childCpu: field(16) + field(17) };
  } catch {
    return null;
  }
};

const allStats = (): Stat[] => {
  try {
    return readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name))
      .flatMap((name) => readStat(Number(name)) ?? []);
  } catch {
    return [];
  }
};

/** A child process of ours, found by its command name (null when there is none, or no /proc). */
export const childPid = (comm: string): number | null =>
  allStats().find((s) => s.ppid === process.pid && s.comm === comm)?.pid ?? null;

/** CPU seconds used so far by a process and all its descendants, living or reaped. */
export const treeCpuSeconds = (root: number | null): number => {
  if (root === null) return Number.NaN;
  const stats = allStats();
  const byParent = new Map<number, Stat[]>();
  for (const s of stats) byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), s]);
  const rootStat = stats.find((s) => s.pid === root);
  if (rootStat === undefined) return Number.NaN;
  let total = 0;
  const visit = (s: Stat) => {
    total += s.cpu + s.childCpu;
    for (const child of byParent.get(s.pid) ?? []) visit(child);
  };
  visit(rootStat);
  return total / ticksPerSecond();
};

/** A process's peak resident set (VmHWM) in MiB, or NaN. */
export const peakRssMiB = (pid: number | null): number => {
  if (pid === null) return Number.NaN;
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? Number.NaN : Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
};

/** This process's CPU seconds so far (all threads: the API, workers, the Temporal core runtime). */
export const selfCpuSeconds = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};
