// Proves the integration harness itself: the services from test/global-setup.ts are real and
// reachable the way the other suites will use them.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Connection } from "@temporalio/client";
import { chromium } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, dropDatabase } from "../scripts/lib/postgres.ts";
import { INDEXED_VALUE_TYPE, PAYGOV_SEARCH_ATTRIBUTES } from "../scripts/lib/temporal-server.ts";

describe("PostgreSQL", () => {
  const adminUrl = inject("postgresAdminUrl");
  const name = `infra_${process.pid}_${Date.now().toString(36)}`;
  let sql: postgres.Sql;

  beforeAll(async () => {
    sql = postgres(await createDatabase(adminUrl, name), { max: 2, onnotice: () => {} });
  });

  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await dropDatabase(adminUrl, name);
    const admin = postgres(adminUrl, { max: 1 });
    try {
      expect(await admin`select 1 from pg_database where datname = ${name}`).toHaveLength(0);
    } finally {
      await admin.end();
    }
  });

  it("serves a database of our own, on loopback, in UTF-8 and UTC", async () => {
    const [row] = await sql`
      select 1 as one, current_database() as db, host(inet_server_addr()) as addr,
             current_setting('server_encoding') as encoding, current_setting('TimeZone') as tz,
             upper('đồng') as upper`;
    expect(row).toEqual({ one: 1, db: name, addr: "127.0.0.1", encoding: "UTF8", tz: "UTC", upper: "ĐỒNG" });
  });

  it("keeps what it writes", async () => {
    await sql`create table t (id bigint primary key, amount bigint not null)`;
    await sql`insert into t values (1, 9007199254740993)`;
    const [row] = await sql`select amount::text as amount from t where id = 1`;
    expect(row?.amount).toBe("9007199254740993");
  });
});

describe("Temporal", () => {
  it("has PayGov's search attributes as Keyword in the namespace", async () => {
    const connection = await Connection.connect({ address: inject("temporalAddress") });
    try {
      const namespace = inject("temporalNamespace");
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      expect(Object.keys(PAYGOV_SEARCH_ATTRIBUTES)).toEqual([
        "PaymentId",
        "AgencyCode",
        "DossierCode",
        "Connector",
        "PaymentStatus",
      ]);
      for (const name of Object.keys(PAYGOV_SEARCH_ATTRIBUTES)) {
        expect(customAttributes?.[name], name).toBe(INDEXED_VALUE_TYPE.Keyword);
      }
    } finally {
      await connection.close();
    }
  });
});

describe("Chromium", () => {
  let server: Server;
  let base: string;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url !== "/") {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html lang="vi"><head><title>PayGov infra</title></head>
        <body><p id="out">no script</p>
        <script>document.getElementById("out").textContent = "Thanh toán " + (6 * 7);</script></body></html>`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (!address || typeof address === "string") throw new Error("no server address");
    base = `http://127.0.0.1:${address.port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it("loads a local page headless and runs its script", async () => {
    // launchPersistentContext because Playwright rejects --user-data-dir in args.
    const userDataDir = await mkdtemp(join(tmpdir(), "paygov-chromium-"));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: inject("chromiumPath"),
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const response = await page.goto(`${base}/`);
      expect(response?.status()).toBe(200);
      expect(await page.title()).toBe("PayGov infra");
      expect(await page.locator("#out").textContent()).toBe("Thanh toán 42");
      expect(hits).toBeGreaterThanOrEqual(1);
    } finally {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    }
  });
});
