// Finds or builds the Temporal CLI (which embeds the dev server) that dev and tests run.
//
// Why build from source: the only registries reachable from our machines and CI are npm, the Go
// module proxy and Debian; the CLI's release archives are not among them, but its module is.
// Why a per-user cache outside the repo: the build costs ~3-4 minutes and ~2 GB of RAM, so every
// clone (and CI's fresh clone on the same machine) reuses one binary.
import { execFile } from "node:child_process";
import {
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  symlink,
} from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { findExecutable, spawnTied } from "./processes.ts";

const run = promisify(execFile);

export const TEMPORAL_CLI_VERSION = "1.5.1";
const MODULE = "github.com/temporalio/cli";

/** The repository root (this file is scripts/lib/temporal-cli.ts). */
const repoRoot = resolve(import.meta.dirname, "..", "..");

/** `${XDG_CACHE_HOME:-$HOME/.cache}/paygov/tools/temporal-1.5.1/temporal` */
export function temporalCliCachePath(): string {
  const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(cacheHome, "paygov", "tools", `temporal-${TEMPORAL_CLI_VERSION}`, "temporal");
}

const log = (message: string) => console.error(`[temporal-cli] ${message}`);

/**
 * The path of a Temporal CLI v1.5.1 binary: `temporal` on PATH when it reports 1.5.1, else the
 * per-user cache, else a fresh build into that cache. Also links it as .tools/bin/temporal.
 */
export async function ensureTemporalCli(): Promise<string> {
  const cached = temporalCliCachePath();
  let fallback: string | undefined;

  const onPath = findExecutable("temporal");
  if (onPath) {
    const real = await realpath(onPath);
    const version = await versionOf(real);
    if (real === cached || version?.includes(TEMPORAL_CLI_VERSION)) return linkTool(real);
    // Builds made with a plain `go install` report 0.0.0-DEV, so a mismatch is not an error:
    // we prefer the pinned build, and keep this one for when we cannot build.
    log(
      `${onPath} reports "${version ?? "no version"}", not ${TEMPORAL_CLI_VERSION}; preferring the pinned build`,
    );
    fallback = real;
  }

  if (await runs(cached)) return linkTool(cached);

  if (!findExecutable("go")) {
    if (fallback) {
      log(`Go is not installed, so using ${fallback} instead of building ${TEMPORAL_CLI_VERSION}`);
      return linkTool(fallback);
    }
    throw new Error(
      `The Temporal CLI ${TEMPORAL_CLI_VERSION} is not in ${cached} and cannot be built: the \`go\` command is ` +
        `missing. Install Go 1.21 or newer (the CLI's go.mod asks for 1.25; an older go >= 1.21 fetches that ` +
        `toolchain itself through the Go module proxy; Debian 12's golang-go, 1.19, is too old), or put a ` +
        `temporal ${TEMPORAL_CLI_VERSION} binary on PATH, then run again.`,
    );
  }
  await buildOnce(cached);
  return linkTool(cached);
}

async function versionOf(binary: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(binary, ["--version"], { timeout: 15_000 });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/** Exists and starts: guards against a cache entry that is not a working binary. */
async function runs(binary: string): Promise<boolean> {
  return (await versionOf(binary)) !== undefined;
}

/**
 * Builds under a lock file, so two runs started together build once: the loser waits for the
 * winner's binary. A lock whose owner died (Ctrl-C, OOM) is taken over.
 */
async function buildOnce(target: string): Promise<void> {
  const dir = dirname(target);
  await mkdir(dir, { recursive: true });
  const lockPath = join(dir, ".build.lock");
  let waitingSince: number | undefined;
  for (;;) {
    try {
      const lock = await open(lockPath, "wx");
      await lock.writeFile(String(process.pid));
      await lock.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
    if (!pidAlive(owner)) {
      // The owner is gone without cleaning up (or is mid-write; then the next round sees it).
      if (Number.isInteger(owner)) await rm(lockPath, { force: true });
      await sleep(200);
      continue;
    }
    if (waitingSince === undefined) {
      waitingSince = Date.now();
      log(`another process (pid ${owner}) is building the Temporal CLI; waiting for it…`);
    }
    if (Date.now() - waitingSince > 30 * 60_000)
      throw new Error(`gave up waiting for the build lock ${lockPath}`);
    await sleep(2_000);
  }
  try {
    if (await runs(target)) return; // built by the process we waited for
    await build(target);
  } finally {
    await rm(lockPath, { force: true });
  }
}

async function build(target: string): Promise<void> {
  const dir = dirname(target);
  // Leftovers of interrupted builds: safe to remove, we hold the lock.
  for (const name of await readdir(dir)) {
    if (name.startsWith(".gobin-")) await rm(join(dir, name), { recursive: true, force: true });
  }
  // GOBIN inside the cache dir, then rename: same filesystem, so the binary appears whole or
  // not at all, even if this build is interrupted.
  const gobin = await mkdtemp(join(dir, ".gobin-"));
  const started = Date.now();
  log(
    `building Temporal CLI ${TEMPORAL_CLI_VERSION} from source with \`go install\` (one time per machine: ` +
      `~3-4 minutes, ~2 GB of RAM) into ${dir}`,
  );
  const args = [
    "install",
    "-v", // one line per compiled package: our progress counter
    "-trimpath",
    // Stamp the version like the release builds do; a plain `go install` reports 0.0.0-DEV.
    `-ldflags=-s -w -X ${MODULE}/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
    `${MODULE}/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
  ];
  // CGO off: the dev server's SQLite is pure Go, so no C compiler is needed (release builds too).
  // Tied to us: an orphaned build would hold ~2 GB of RAM for minutes for nobody.
  const child = spawnTied("go", args, { env: { ...process.env, GOBIN: gobin, CGO_ENABLED: "0" } });
  let packages = 0;
  const tail: string[] = [];
  const onLine = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line.trim()) continue;
      packages++;
      tail.push(line);
      if (tail.length > 30) tail.shift();
    }
  };
  child.stdout?.on("data", onLine);
  child.stderr?.on("data", onLine);
  const progress = setInterval(() => {
    log(`still building… ${Math.round((Date.now() - started) / 1000)} s, ${packages} packages so far`);
  }, 15_000);
  try {
    const code = await new Promise<number | null>((resolvePromise, reject) => {
      child.once("error", reject);
      child.once("close", resolvePromise);
    });
    if (code !== 0) {
      throw new Error(
        `go install ${MODULE}@v${TEMPORAL_CLI_VERSION} failed (exit ${code}):\n${tail.join("\n")}`,
      );
    }
    await rename(join(gobin, "temporal"), target);
    log(`built in ${Math.round((Date.now() - started) / 1000)} s: ${target}`);
  } finally {
    clearInterval(progress);
    await rm(gobin, { recursive: true, force: true });
  }
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // alive, owned by someone else
  }
}

/**
 * Links the binary as .tools/bin/temporal (gitignored), so a developer can put .tools/bin on
 * PATH and run the same CLI by hand. Replaced atomically; failure is only a warning.
 */
async function linkTool(binary: string): Promise<string> {
  const link = join(repoRoot, ".tools", "bin", "temporal");
  try {
    if ((await readlink(link).catch(() => undefined)) === binary) return binary;
    await mkdir(dirname(link), { recursive: true });
    const temporary = `${link}.${process.pid}.tmp`;
    await rm(temporary, { force: true });
    await symlink(binary, temporary);
    await rename(temporary, link);
  } catch (error) {
    log(`could not link ${link}: ${(error as Error).message}`);
  }
  return binary;
}
