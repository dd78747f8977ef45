// npm run bench:reconciliation: how long reconciling one day of N transactions (default 1,000,000) takes,
// and how much memory, next to PostgreSQL's own COPY of the same file into a bare table.
//
// Starts a throwaway PostgreSQL (fsync on, data in a temp dir; or uses --database-url's server), seeds a
// ledger of N succeeded payments in bulk SQL, writes the intermediary's file in the canonical layout
// (intermediaries.md §11) with a few injected discrepancies, then runs, each in a fresh child process so
// that its peak RSS is its own:
//   copy       the file's D lines through `COPY bare FROM STDIN (FORMAT csv)` into 19 text columns;
//   reconcile  the engine's import (stream, check, COPY into staging) and match (one SQL statement).
// Exits 1 when the reconciliation does not find exactly the injected discrepancies.
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { csvField } from "../connectors/sdk/recon-file.ts";
import { connect } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { insertRun, matchRun, type RunTotals } from "../db/reconciliation.ts";
import { defaultRefOf, importRunFile } from "../db/reconciliation-import.ts";
import { freePort } from "./lib/ports.ts";
import { createDatabase, startEmbeddedPostgres } from "./lib/postgres.ts";

const USAGE = `usage: npm run bench:reconciliation -- [--rows N] [--database-url URL]
  --rows N              D lines in the file, and succeeded payments in the ledger (default 1000000)
  --database-url URL    a PostgreSQL superuser URL to create the bench database on (default: start a
                        throwaway embedded PostgreSQL with fsync on, as in production)`;

const DAY = "2026-03-16";
const PROVIDER = "VNPAY";
const MERCHANT = "PAYGOVT1";
/** Discrepancies of each kind the file carries; everything else matches. */
const INJECTED = 10;

const t0 = performance.now();
const log = (line: string) =>
  console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`);

// The i-th transaction of the day (1-based), the same in the ledger's SQL and in the file.
const reference = (i: number) => `PGBENCH${String(i).padStart(9, "0")}`;
const txnId = (i: number) => String(1_000_000_000 + i);
const amountOf = (i: number) => 20_000 + (i % 500) * 1_000;
const paidAt = (i: number, rows: number) =>
  new Date(Date.parse(`${DAY}T00:00:00+07:00`) + Math.floor((i * 86_000_000) / rows));
const iso = (d: Date) => `${new Date(d.getTime() + 7 * 3_600_000).toISOString().slice(0, 19)}+07:00`;

/**
 * The file's transactions: the ledger's 1..N, except that the first INJECTED are missing from the file
 * (MISSING_AT_INTERMEDIARY), INJECTED rows name references PayGov never issued (MISSING_AT_PAYGOV),
 * INJECTED carry another amount (AMOUNT_MISMATCH) and INJECTED are repeated (DUPLICATE).
 */
const expectedTotals = (rows: number): RunTotals => ({
  rows,
  matched: rows - 3 * INJECTED,
  missing_at_paygov: INJECTED,
  missing_at_intermediary: INJECTED,
  amount_mismatch: INJECTED,
  status_mismatch: 0,
  duplicate: INJECTED,
});

/** Writes the file line by line; returns where its D lines start and end, for the plain COPY. */
export const writeFile = async (path: string, rows: number): Promise<{ start: number; end: number }> => {
  const digest = createHash("sha256");
  let count = 0;
  let total = 0n;
  let start = 0;
  let end = 0;
  async function* lines() {
    const header = `H,${PROVIDER},${MERCHANT},${DAY},${iso(new Date(Date.parse(`${DAY}T23:59:59+07:00`)))},1\r\n`;
    start = Buffer.byteLength(header);
    end = start;
    yield header;
    let batch = "";
    const detail = (i: number, ref: string, id: string, amount: number) => {
      const at = iso(paidAt(i, rows));
      const line =
        [
          "D",
          PROVIDER,
          MERCHANT,
          "PAYMENT",
          ref,
          id,
          "",
          amount,
          0,
          amount,
          "VND",
          at,
          at,
          DAY,
          "NCB",
          "SUCCESS",
          "00",
          "N*** V** A",
          `000.00.99.H99-260316-${String(i % 10_000).padStart(4, "0")}`,
        ]
          .map(csvField)
          .join(",") + "\r\n";
      digest.update(line);
      count += 1;
      total += BigInt(amount);
      end += Buffer.byteLength(line);
      batch += line;
    };
    const inLedger = rows - 2 * INJECTED;
    for (let i = INJECTED + 1; i <= inLedger + INJECTED; i++) {
      const changed = i <= 2 * INJECTED;
      detail(i, reference(i), txnId(i), changed ? amountOf(i) + 1_000 : amountOf(i));
      if (i <= 3 * INJECTED && !changed) detail(i, reference(i), txnId(i), amountOf(i));
      if (batch.length > 1 << 20) {
        yield batch;
        batch = "";
      }
    }
    for (let k = 1; k <= INJECTED; k++) detail(k, `PGSTRANGER${k}`, `9${txnId(k)}`, 50_000);
    yield batch;
    yield `T,${count},${total},0,${total},${digest.digest("hex")}\r\n`;
  }
  await pipeline(lines, createWriteStream(path));
  return { start, end };
};

/** N succeeded payments of one agency on VNPay, paid through the day, with their lines and attempts. */
export const seedLedger = async (url: string, rows: number) => {
  const sql = connect(url, { max: 1 });
  try {
    await migrate(sql);
    await sql`insert into agencies (id, code, name, api_key_hash, return_origins)
              values ('bench', '000.00.99.H99', 'Bench agency', ${randomBytes(16).toString("hex")}, '{}')`;
    const inLedger = rows - 2 * INJECTED;
    const dayStart = Date.parse(`${DAY}T00:00:00+07:00`);
    // The same arithmetic as the file's: i-th payment, i-th reference, i-th amount and instant.
    await sql`
      insert into payments (id, agency_id, amount, reference, description, return_url, language, payer, status,
        finished, connector, paid_attempt_id, provider_txn_id, created_at, expires_at, succeeded_at, updated_at)
      select 'bench' || i, 'bench', 20000 + (i % 500) * 1000, '000.00.99.H99-260316-' || lpad((i % 10000)::text, 4, '0'),
        'Lệ phí', 'http://localhost/return', 'vi', '{"name":"Nguyen Van A"}', 'success', true, 'vnpay',
        'bench' || i || '-1', (1000000000 + i)::text, t - interval '5 minutes', t + interval '25 minutes', t, t
      from generate_series(1, ${inLedger + INJECTED}::int) i,
           lateral (select to_timestamp((${dayStart} + floor(i::numeric * 86000000 / ${rows}))::double precision / 1000) as t) ts`;
    await sql`
      insert into payment_lines (payment_id, index, kind, name, amount, chapter, sub_item, area, revenue_authority,
        treasury, account)
      select id, 0, 'charge', 'Lệ phí', amount, '999', '2601', '00001', '1054367', '0011', '7111' from payments`;
    await sql`
      insert into payment_attempts (id, payment_id, seq, connector, reference, amount, status, provider_txn_id,
        provider_code, created_at, expires_at, concluded_at)
      select id || '-1', id, 1, 'vnpay', 'PGBENCH' || lpad(substr(id, 6), 9, '0'), amount, 'succeeded', provider_txn_id,
        '00', created_at, expires_at, succeeded_at
      from payments`;
    await sql`analyze`;
  } finally {
    await sql.end({ timeout: 5 });
  }
};

interface ChildReport {
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly phases?: Record<string, number>;
  readonly totals?: RunTotals;
}

/** Runs one measured phase in a fresh process (this script with --child) and reads its report. */
const runChild = (args: string[]): Promise<ChildReport> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`the ${args[1]} phase exited with ${code}`));
      else resolve(JSON.parse(out) as ChildReport);
    });
  });

const peakRssMiB = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

/** --child copy|reconcile: the measured work alone, reported as JSON on stdout. */
const child = async (phase: string, url: string, file: string, start: number, end: number) => {
  const sql = connect(url, { max: 2 });
  try {
    const began = performance.now();
    if (phase === "copy") {
      await sql.unsafe(
        `create table bare (${Array.from({ length: 19 }, (_, i) => `c${i + 1} text`).join(", ")})`,
      );
      const copy = await sql`copy bare from stdin with (format csv)`.writable();
      await pipeline(createReadStream(file, { start, end: end - 1 }), copy);
      process.stdout.write(
        JSON.stringify({
          seconds: (performance.now() - began) / 1000,
          peakRssMiB: peakRssMiB(),
        } satisfies ChildReport),
      );
      return;
    }
    const runId = `bench-${randomBytes(4).toString("hex")}`;
    await insertRun(sql, {
      id: runId,
      connector: "vnpay",
      businessDate: DAY,
      trigger: "operator",
      createdAt: new Date(),
    });
    const imported = await importRunFile(sql, createReadStream(file), {
      runId,
      connector: "vnpay",
      businessDate: DAY,
      refOf: defaultRefOf,
    });
    if (imported.kind !== "imported")
      throw new Error(`the file was not imported: ${JSON.stringify(imported)}`);
    const importSeconds = (performance.now() - began) / 1000;
    const totals = await matchRun(sql, runId);
    const seconds = (performance.now() - began) / 1000;
    process.stdout.write(
      JSON.stringify({
        seconds,
        peakRssMiB: peakRssMiB(),
        phases: { import: importSeconds, match: seconds - importSeconds },
        totals,
      } satisfies ChildReport),
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
};

const main = async () => {
  const { values } = parseArgs({
    options: {
      rows: { type: "string" },
      "database-url": { type: "string" },
      child: { type: "string" },
      url: { type: "string" },
      file: { type: "string" },
      start: { type: "string" },
      end: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.child) {
    await child(values.child, values.url!, values.file!, Number(values.start), Number(values.end));
    return;
  }
  const rows = Number(values.rows ?? 1_000_000);
  if (!Number.isInteger(rows) || rows < 100 * INJECTED)
    throw new Error(`--rows must be an integer >= ${100 * INJECTED}`);

  const stops: (() => Promise<void>)[] = [];
  try {
    let adminUrl = values["database-url"];
    let server = "given by --database-url";
    if (adminUrl === undefined) {
      const dataDir = join(
        tmpdir(),
        `paygov-bench-recon-pg-${process.pid}-${randomBytes(4).toString("hex")}`,
      );
      const pg = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: true });
      stops.push(async () => {
        await pg.stop();
        await rm(dataDir, { recursive: true, force: true });
      });
      adminUrl = pg.url;
      server = "embedded, fsync on";
    }
    const url = await createDatabase(adminUrl, `paygov_bench_recon_${randomBytes(4).toString("hex")}`);
    log(`seeding a ledger of ${rows - INJECTED} succeeded payments…`);
    await seedLedger(url, rows);
    const file = join(tmpdir(), `paygov-bench-recon-${process.pid}.csv`);
    stops.push(() => rm(file, { force: true }));
    log(`writing the file of ${rows} D lines…`);
    const span = await writeFile(file, rows);
    const size = (await stat(file)).size;
    const args = ["--url", url, "--file", file, "--start", String(span.start), "--end", String(span.end)];
    log("COPY of the file into a bare table…");
    const copy = await runChild(["--child", "copy", ...args]);
    log("reconciling (import + match)…");
    const reconcile = await runChild(["--child", "reconcile", ...args]);

    const mib = (n: number) => `${n.toFixed(1)} MiB`;
    const s = (n: number) => `${n.toFixed(2)} s`;
    console.log(`
Reconciliation of ${rows.toLocaleString("en")} D lines (${mib(size / 1048576)} file), PostgreSQL ${server}

| what | time | rows/s | peak RSS of its process |
|---|---|---|---|
| plain COPY of the file into a bare table | ${s(copy.seconds)} | ${Math.round(rows / copy.seconds).toLocaleString("en")} | ${mib(copy.peakRssMiB)} |
| reconcile: import (stream, check, COPY to staging) | ${s(reconcile.phases!.import!)} | ${Math.round(rows / reconcile.phases!.import!).toLocaleString("en")} | |
| reconcile: match against the ledger (SQL) | ${s(reconcile.phases!.match!)} | | |
| reconcile: total | ${s(reconcile.seconds)} | ${Math.round(rows / reconcile.seconds).toLocaleString("en")} | ${mib(reconcile.peakRssMiB)} |

reconcile / COPY: ${(reconcile.seconds / copy.seconds).toFixed(2)}×; totals ${JSON.stringify(reconcile.totals)}`);
    const expected = expectedTotals(rows);
    if (JSON.stringify(reconcile.totals) !== JSON.stringify(expected)) {
      console.error(`expected totals ${JSON.stringify(expected)}`);
      process.exitCode = 1;
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch((e) => log(`cleaning up: ${e}`));
  }
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  });
}
