import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Worker } from "@temporalio/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { momoDriver } from "../connectors/momo/conformance.ts";
import { onepayDriver } from "../connectors/onepay/conformance.ts";
import { type ReconRow, writeReconFile } from "../connectors/sdk/recon-file.ts";
import { previousVietnamDay, vietnamDay } from "../domain/business-day.ts";
import { reconciliationScheduleId, reconciliationWorkflowId } from "../workflows/reconciliation-messages.ts";
import { citizen, vnpayBehaviour } from "./support/citizen.ts";
import { testInfra } from "./support/infra.ts";
import { createPayment, paymentOf, waitForStatus } from "./support/payments.ts";
import { eventually, type Stack, startStack } from "./support/stack.ts";

// A seeded day: 10,000 payments over VNPay, MoMo and OnePay, put in the ledger in bulk SQL (the dev
// server runs ~15 workflows a second) and in the intermediaries' files, which a local server plays
// (<ID>_RECON_URL: the engine sees only the file). Three VNPay payments run for real through the
// workflow with their IPN dropped: the file says paid, the ledger does not.

const PAYMENTS = 10_000;
const CONNECTORS = ["vnpay", "momo", "onepay"] as const;
type Connector = (typeof CONNECTORS)[number];
const TODAY = vietnamDay(new Date());
const MERCHANT: Record<Connector, string> = {
  vnpay: "PAYGOVT1",
  momo: momoDriver.env.MOMO_PARTNER_CODE!,
  onepay: onepayDriver.env.ONEPAY_MERCHANT!,
};

/** The intermediaries' file server: one text per connector and yyyyMMdd, 404 for any other. */
const startFileServer = async () => {
  const files = new Map<string, string>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const file = files.get(`${url.pathname.slice(1)}:${url.searchParams.get("date")}`);
    res.statusCode = file === undefined ? 404 : 200;
    res.setHeader("content-type", "text/csv; charset=utf-8");
    res.end(file ?? "no file for this day");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    serve: (connector: Connector, day: string, text: string) =>
      files.set(`${connector}:${day.replaceAll("-", "")}`, text),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

let stack: Stack;
let fileServer: Awaited<ReturnType<typeof startFileServer>>;

interface Seeded {
  readonly i: number;
  readonly connector: Connector;
  readonly paymentId: string;
  readonly reference: string;
  readonly txnId: string;
  readonly amount: number;
  readonly paidAt: Date;
}

const seeded: Seeded[] = [];
const dropped: { paymentId: string; reference: string; txnId: string; amount: number }[] = [];
const changed = { connector: "momo" as Connector, seed: null as Seeded | null };
const duplicated = { connector: "vnpay" as Connector, seed: null as Seeded | null };
const left_out = { connector: "onepay" as Connector, seed: null as Seeded | null };
const stranger = { connector: "onepay" as Connector, reference: "PGNOBODYKNOWS1", txnId: "990000001" };

const rowOf = (s: { reference: string; txnId: string; amount: number; paidAt: Date }): ReconRow => ({
  txnType: "PAYMENT",
  merchantRef: s.reference,
  providerTxnId: s.txnId,
  originalProviderTxnId: "",
  amount: s.amount,
  fee: 0,
  currency: "VND",
  createdAt: new Date(s.paidAt.getTime() - 60_000),
  completedAt: s.paidAt,
  channel: "NCB",
  status: "SUCCESS",
  providerStatusCode: "00",
  payerMasked: "N*** V** A",
  dossierCode: "000.00.99.H99-261204-0001",
});

const fileOf = (connector: Connector, day: string, rows: ReconRow[]) =>
  writeReconFile({
    provider: connector.toUpperCase(),
    merchantId: MERCHANT[connector],
    businessDate: day,
    generatedAt: new Date(),
    rows,
  });

/** 10,000 succeeded payments of the sandbox agency, paid through today, with their lines and attempts. */
const seedLedger = async () => {
  const dayStart = Date.parse(`${TODAY}T00:00:00+07:00`);
  await stack.sql`
    insert into payments (id, agency_id, amount, reference, description, return_url, language, payer, status,
      finished, connector, paid_attempt_id, provider_txn_id, created_at, expires_at, succeeded_at, updated_at)
    select 'seed' || i, 'sandbox', 20000 + (i % 50) * 1000, '000.00.99.H99-261204-' || lpad(i::text, 5, '0'),
      'Lệ phí', 'http://localhost/return', 'vi', '{"name":"Nguyen Van A"}', 'success', true,
      (array['vnpay', 'momo', 'onepay'])[1 + i % 3], 'seed' || i || '-1', 'S' || (700000000 + i), t, t, t, t
    from generate_series(1, ${PAYMENTS}::int) i,
         lateral (select to_timestamp((${dayStart}::bigint + i * 5000)::double precision / 1000) as t) ts`;
  await stack.sql`
    insert into payment_lines (payment_id, index, kind, name, amount, chapter, sub_item, area, revenue_authority,
      treasury, account)
    select id, 0, 'charge', 'Lệ phí', amount, '999', '2601', '00001', '1054367', '0011', '7111'
    from payments where id like 'seed%'`;
  await stack.sql`
    insert into payment_attempts (id, payment_id, seq, connector, reference, amount, status, provider_txn_id,
      provider_code, created_at, expires_at, concluded_at)
    select id || '-1', id, 1, connector, 'PGSEED' || substr(id, 5), amount, 'succeeded', provider_txn_id, '00',
      created_at, expires_at, succeeded_at
    from payments where id like 'seed%'`;
  for (let i = 1; i <= PAYMENTS; i++) {
    seeded.push({
      i,
      connector: CONNECTORS[i % 3]!,
      paymentId: `seed${i}`,
      reference: `PGSEED${i}`,
      txnId: `S${700_000_000 + i}`,
      amount: 20_000 + (i % 50) * 1_000,
      paidAt: new Date(dayStart + i * 5_000),
    });
  }
};

const REFUNDED = 5_000;
const refunded = {
  listed: null as unknown as Seeded,
  unlisted: null as unknown as Seeded,
  manual: null as unknown as Seeded,
};

/** A refund of part of a seeded payment, done now (manual: completed by an operator at the intermediary). */
const seedRefund = async (id: string, s: Seeded, providerRefundId: string | null, manual: boolean) => {
  await stack.sql`
    insert into refunds (id, payment_id, attempt_id, amount, reason, counts_against_payment, manual, status,
      reference, provider_refund_id, provider_code, requested_by, created_at, concluded_at)
    values (${id}, ${s.paymentId}, ${`${s.paymentId}-1`}, ${REFUNDED}, 'dossier rejected', true, ${manual},
      'success', ${`PGRF${id.toUpperCase()}`}, ${providerRefundId}, ${manual ? "manual:lan.nt" : "0"}, 'portal',
      now(), now())`;
};

/** A VNPay payment paid at the simulator whose IPN never reaches PayGov: it stays `started`. */
const paidWithoutIpn = async () => {
  const payment = await createPayment(stack);
  const chosen = await citizen(stack).choose(payment._links.next_url.href, "vnpay");
  const reference = new URL(chosen.location).searchParams.get("vnp_TxnRef")!;
  await vnpayBehaviour(stack, { reference, callback: "drop" });
  await citizen(stack).payAtVnpay(chosen.location, "success");
  return { paymentId: payment.payment_id, reference };
};

/** The simulator's own D rows for these references, from its file of today (it knows them as paid). */
const simulatorRows = async (references: string[]): Promise<ReconRow[]> => {
  const text = await (
    await fetch(`${stack.sandboxUrl}/vnpay/recon?date=${TODAY.replaceAll("-", "")}`)
  ).text();
  return text
    .split("\r\n")
    .map((line) => line.split(","))
    .filter((f) => f[0] === "D" && references.includes(f[4]!))
    .map((f) => ({
      txnType: "PAYMENT",
      merchantRef: f[4]!,
      providerTxnId: f[5]!,
      originalProviderTxnId: "",
      amount: Number(f[7]),
      fee: Number(f[8]),
      currency: "VND",
      createdAt: new Date(f[11]!),
      completedAt: new Date(f[12]!),
      channel: f[14]!,
      status: f[15] as ReconRow["status"],
      providerStatusCode: f[16]!,
      payerMasked: f[17]!,
      dossierCode: f[18]!,
    }));
};

beforeAll(async () => {
  fileServer = await startFileServer();
  stack = await startStack({
    infra: testInfra(),
    env: {
      ...momoDriver.env,
      ...onepayDriver.env,
      VNPAY_RECON_URL: `${fileServer.url}/vnpay`,
      MOMO_RECON_URL: `${fileServer.url}/momo`,
      ONEPAY_RECON_URL: `${fileServer.url}/onepay`,
      // The workflow would find a dropped IPN by itself after this long: reconciliation must be first.
      PAYGOV_ATTEMPT_QUERY_AFTER: "600",
    },
  });
  await seedLedger();
  for (let k = 0; k < 3; k++) dropped.push({ ...(await paidWithoutIpn()), txnId: "", amount: 0 });
  const simRows = await simulatorRows(dropped.map((d) => d.reference));
  expect(simRows).toHaveLength(3);
  for (const d of dropped) {
    const row = simRows.find((r) => r.merchantRef === d.reference)!;
    d.txnId = row.providerTxnId;
    d.amount = row.amount;
  }

  const of = (c: Connector) => seeded.filter((s) => s.connector === c);
  changed.seed = of("momo")[100]!;
  duplicated.seed = of("vnpay")[200]!;
  left_out.seed = of("onepay")[300]!;
  // Refunds done today: one MoMo numbered and listed, one MoMo the file lacks, and one made by an
  // operator in OnePay's portal, which the file names only by the payment it returns.
  refunded.listed = of("momo")[10]!;
  refunded.unlisted = of("momo")[11]!;
  refunded.manual = of("onepay")[12]!;
  await seedRefund("seedrf1", refunded.listed, "MR900001", false);
  await seedRefund("seedrf2", refunded.unlisted, "MR900002", false);
  await seedRefund("seedrf3", refunded.manual, null, true);
  const refundRow = (s: Seeded, merchantRef: string, providerTxnId: string): ReconRow => ({
    ...rowOf({ reference: merchantRef, txnId: providerTxnId, amount: REFUNDED, paidAt: new Date() }),
    txnType: "REFUND",
    originalProviderTxnId: s.txnId,
  });
  const vnpayRows = of("vnpay").flatMap((s) => (s === duplicated.seed ? [rowOf(s), rowOf(s)] : [rowOf(s)]));
  fileServer.serve("vnpay", TODAY, fileOf("vnpay", TODAY, [...vnpayRows, ...simRows]));
  fileServer.serve(
    "momo",
    TODAY,
    fileOf("momo", TODAY, [
      ...of("momo").map((s) => (s === changed.seed ? rowOf({ ...s, amount: s.amount + 1_000 }) : rowOf(s))),
      refundRow(refunded.listed, "PGRFSEEDRF1", "MR900001"),
    ]),
  );
  fileServer.serve(
    "onepay",
    TODAY,
    fileOf("onepay", TODAY, [
      ...of("onepay")
        .filter((s) => s !== left_out.seed)
        .map(rowOf),
      rowOf({ reference: stranger.reference, txnId: stranger.txnId, amount: 75_000, paidAt: new Date() }),
      refundRow(refunded.manual, "OPRF-77", "OP77000001"),
    ]),
  );
});

afterAll(async () => {
  await stack?.stop();
  await fileServer?.close();
});

type Totals = Record<
  | "rows"
  | "matched"
  | "missing_at_paygov"
  | "missing_at_intermediary"
  | "amount_mismatch"
  | "status_mismatch"
  | "duplicate",
  number
>;
interface Run {
  run_id: string;
  connector: string;
  business_date: string;
  status: string;
  trigger: string;
  totals: Totals;
  rejection?: { line: number; reason: string };
  open_discrepancies?: { inquiry: number; awaiting_operator: number };
  same_file_as?: string;
}
interface Discrepancy {
  seq: number;
  kind: string;
  state: string;
  line?: number;
  merchant_ref: string;
  provider_txn_id: string;
  payment_id?: string;
  amount_paygov?: number;
  amount_intermediary?: number;
  inquiry_id?: string;
  resolution?: string;
  resolution_note?: string;
  resolved_by?: string;
  resolved_date?: string;
}

const start = async (connector: string, businessDate: string): Promise<string> => {
  const response = await stack.ops("/v1/ops/reconciliations", {
    json: { connector, business_date: businessDate },
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { run_id: string }).run_id;
};

const run = async (id: string) => (await (await stack.ops(`/v1/ops/reconciliations/${id}`)).json()) as Run;

const finished = (id: string, timeoutMs = 90_000) =>
  eventually(
    `reconciliation ${id} to finish`,
    async () => {
      const r = await run(id);
      return r.status === "running" ? null : r;
    },
    timeoutMs,
  );

const discrepancies = async (id: string) =>
  (
    (await (await stack.ops(`/v1/ops/reconciliations/${id}/discrepancies`)).json()) as {
      discrepancies: Discrepancy[];
    }
  ).discrepancies;

const count = async (table: string) =>
  Number((await stack.sql.unsafe(`select count(*)::int as n from ${table}`))[0]!.n);

const runs: Partial<Record<Connector, string>> = {};
let firstVnpayExecution = "";

describe("daily reconciliation (đối soát)", () => {
  it("reports exactly the injected discrepancies of a seeded day of 10,000 payments over three intermediaries", async () => {
    for (const c of CONNECTORS) runs[c] = await start(c, TODAY);
    const [vnpay, momo, onepay] = await Promise.all(CONNECTORS.map((c) => finished(runs[c]!)));
    // Its Temporal run, whose history is replayed below (a re-run of the day is a new run of the same id).
    firstVnpayExecution = (
      await stack.temporal.workflow.getHandle(reconciliationWorkflowId("vnpay", TODAY)).describe()
    ).runId;
    const n = (c: Connector) => seeded.filter((s) => s.connector === c).length;

    expect(vnpay).toMatchObject({
      connector: "vnpay",
      business_date: TODAY,
      status: "completed",
      trigger: "operator",
    });
    expect(vnpay!.totals).toEqual({
      rows: n("vnpay") + 1 + 3,
      matched: n("vnpay"),
      missing_at_paygov: 0,
      missing_at_intermediary: 0,
      amount_mismatch: 0,
      status_mismatch: 3,
      duplicate: 1,
    });
    expect(momo!.totals).toEqual({
      rows: n("momo") + 1,
      matched: n("momo"),
      missing_at_paygov: 0,
      missing_at_intermediary: 1,
      amount_mismatch: 1,
      status_mismatch: 0,
      duplicate: 0,
    });
    expect(onepay!.totals).toEqual({
      rows: n("onepay") + 1,
      matched: n("onepay"),
      missing_at_paygov: 1,
      missing_at_intermediary: 1,
      amount_mismatch: 0,
      status_mismatch: 0,
      duplicate: 0,
    });

    const atVnpay = await discrepancies(runs.vnpay!);
    expect(atVnpay.map((d) => d.kind).sort()).toEqual([
      "DUPLICATE",
      "STATUS_MISMATCH",
      "STATUS_MISMATCH",
      "STATUS_MISMATCH",
    ]);
    expect(atVnpay.find((d) => d.kind === "DUPLICATE")).toMatchObject({
      merchant_ref: duplicated.seed!.reference,
      provider_txn_id: duplicated.seed!.txnId,
      payment_id: duplicated.seed!.paymentId,
    });
    const mismatches = atVnpay.filter((d) => d.kind === "STATUS_MISMATCH");
    expect(mismatches.map((d) => d.payment_id).sort()).toEqual(dropped.map((d) => d.paymentId).sort());
    for (const d of mismatches) {
      const payment = dropped.find((p) => p.paymentId === d.payment_id)!;
      expect(d).toMatchObject({ merchant_ref: payment.reference, provider_txn_id: payment.txnId });
      expect(d.amount_paygov).toBe(d.amount_intermediary);
      // An inquiry asks VNPay: paid_not_confirmed, opened by reconciliation itself.
      expect(d.inquiry_id).toMatch(/^[a-z2-7]{26}$/);
    }

    expect(await discrepancies(runs.momo!)).toEqual([
      expect.objectContaining({
        kind: "AMOUNT_MISMATCH",
        merchant_ref: changed.seed!.reference,
        payment_id: changed.seed!.paymentId,
        amount_paygov: changed.seed!.amount,
        amount_intermediary: changed.seed!.amount + 1_000,
      }),
      // A refund PayGov did today that MoMo's file lacks.
      expect.objectContaining({
        kind: "MISSING_AT_INTERMEDIARY",
        txn_type: "REFUND",
        merchant_ref: "PGRFSEEDRF2",
        provider_txn_id: "MR900002",
        payment_id: refunded.unlisted.paymentId,
        amount_paygov: REFUNDED,
        state: "awaiting_operator",
      }),
    ]);
    const atOnepay = await discrepancies(runs.onepay!);
    expect(atOnepay).toEqual([
      expect.objectContaining({
        kind: "MISSING_AT_PAYGOV",
        merchant_ref: stranger.reference,
        provider_txn_id: stranger.txnId,
      }),
      expect.objectContaining({
        kind: "MISSING_AT_INTERMEDIARY",
        merchant_ref: left_out.seed!.reference,
        payment_id: left_out.seed!.paymentId,
      }),
    ]);
    // A query cannot settle these: they wait for an operator, without an inquiry.
    expect(
      atOnepay.every(
        (d) => d.inquiry_id === undefined && d.resolution === undefined && d.state === "awaiting_operator",
      ),
    ).toBe(true);
    expect(onepay!.open_discrepancies).toEqual({ inquiry: 0, awaiting_operator: 2 });
    expect(atOnepay[0]!.payment_id).toBeUndefined();
  });

  it("resolves the dropped IPNs by itself: the inquiries ask VNPay, and the payments succeed", async () => {
    for (const d of dropped) await waitForStatus(stack, d.paymentId, "success", 60_000);
    const resolved = await eventually("the inquiries to resolve", async () => {
      const list = (await discrepancies(runs.vnpay!)).filter((d) => d.kind === "STATUS_MISMATCH");
      return list.every((d) => d.resolution !== undefined) ? list : null;
    });
    expect(resolved.map((d) => d.resolution)).toEqual([
      "payment_confirmed",
      "payment_confirmed",
      "payment_confirmed",
    ]);
    const inquiries = await stack.sql`select reason, status, resolved_by from inquiries`;
    expect(inquiries).toHaveLength(3);
    expect(inquiries.every((i) => i.reason === "paid_not_confirmed" && i.resolved_by === "paygov")).toBe(
      true,
    );
    expect((await paymentOf(stack, dropped[0]!.paymentId)).state.status).toBe("success");
  });

  it("re-running the day with the same file reports the same kinds, with their resolution, and writes nothing twice", async () => {
    const before = {
      lines: await count("reconciliation_lines"),
      discrepancies: await count("reconciliation_discrepancies"),
      inquiries: await count("inquiries"),
      events: await count("payment_events"),
    };
    const first = await discrepancies(runs.vnpay!);
    const again = await start("vnpay", TODAY);
    expect(again).not.toBe(runs.vnpay);
    const rerun = await finished(again);
    expect(rerun).toMatchObject({ status: "completed", same_file_as: runs.vnpay });
    expect(rerun.totals).toEqual((await run(runs.vnpay!)).totals);
    const second = await discrepancies(again);
    expect(second).toEqual(first);
    expect(second.filter((d) => d.kind === "STATUS_MISMATCH").map((d) => d.resolution)).toEqual([
      "payment_confirmed",
      "payment_confirmed",
      "payment_confirmed",
    ]);
    expect({
      lines: await count("reconciliation_lines"),
      discrepancies: await count("reconciliation_discrepancies"),
      inquiries: await count("inquiries"),
      events: await count("payment_events"),
    }).toEqual(before);
    const listed = (await (
      await stack.ops(`/v1/ops/reconciliations?connector=vnpay&business_date=${TODAY}`)
    ).json()) as {
      runs: Run[];
    };
    expect(listed.runs.map((r) => r.run_id)).toEqual([again, runs.vnpay]);
  });

  it("writes the result file back in the same layout, each line with its match status", async () => {
    const response = await stack.ops(`/v1/ops/reconciliations/${runs.onepay}/result.csv`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    const text = await response.text();
    expect(text.endsWith("\r\n")).toBe(true);
    const lines = text.split("\r\n").slice(0, -1);
    expect(lines[0]).toMatch(new RegExp(`^H,ONEPAY,${MERCHANT.onepay},${TODAY},[0-9T:-]+\\+07:00,1$`));
    const details = lines.slice(1, -1);
    const n = seeded.filter((s) => s.connector === "onepay").length;
    expect(details).toHaveLength(n + 2);
    expect(details.every((l) => l.split(",").length === 20)).toBe(true);
    const statuses = details.map((l) => l.split(",")[19]);
    // The operator's refund in OnePay's portal is found through the payment it returns.
    expect(statuses.filter((s) => s === "MATCHED")).toHaveLength(n);
    expect(details.find((l) => l.includes("OP77000001"))).toMatch(/,REFUND,OPRF-77,OP77000001,.*,MATCHED$/);
    expect(details.find((l) => l.includes(stranger.txnId))).toMatch(/,MISSING_AT_PAYGOV$/);
    expect(details.at(-1)).toMatch(
      new RegExp(
        `^D,ONEPAY,${MERCHANT.onepay},PAYMENT,${left_out.seed!.reference},.*,MISSING_AT_INTERMEDIARY$`,
      ),
    );
    const amounts = details.map((l) => Number(l.split(",")[7]));
    const total = amounts.reduce((a, b) => a + b, 0);
    const digest = createHash("sha256")
      .update(details.map((l) => `${l}\r\n`).join(""))
      .digest("hex");
    expect(lines.at(-1)).toBe(`T,${n + 2},${total},0,${total},${digest}`);

    // A refund the intermediary's file lacks is written back as the REFUND line it should have had.
    const momo = (await (await stack.ops(`/v1/ops/reconciliations/${runs.momo}/result.csv`)).text()).split(
      "\r\n",
    );
    expect(momo.at(-3)).toMatch(
      new RegExp(
        `^D,MOMO,${MERCHANT.momo},REFUND,PGRFSEEDRF2,MR900002,${refunded.unlisted.txnId},${REFUNDED},0,${REFUNDED},VND,.*,MISSING_AT_INTERMEDIARY$`,
      ),
    );
  });

  const MALFORMED: ReadonlyArray<{
    what: string;
    day: number;
    make: (rows: ReconRow[]) => string;
    line: (n: number) => number;
    reason: RegExp;
  }> = [
    {
      what: "a bad header",
      day: 1,
      make: (rows) => fileOf("vnpay", previousVietnamDay(new Date()), rows).replace(/^H,VNPAY,/, "H,MOMO,"),
      line: () => 1,
      reason: /provider "MOMO"/,
    },
    {
      what: "a wrong trailer checksum",
      day: 2,
      make: (rows) =>
        fileOf("vnpay", dayBefore(2), rows).replace(/,[0-9a-f]{64}\r\n$/, `,${"0".repeat(64)}\r\n`),
      line: (n) => n + 2,
      reason: /checksum/,
    },
    {
      what: "a wrong trailer count",
      day: 3,
      make: (rows) =>
        fileOf("vnpay", dayBefore(3), rows).replace(/\r\nT,(\d+),/, (_, c) => `\r\nT,${Number(c) + 1},`),
      line: (n) => n + 2,
      reason: /counts 6 D lines; the file has 5/,
    },
    {
      what: "a non-integer amount",
      day: 4,
      make: (rows) => fileOf("vnpay", dayBefore(4), rows).replace(/(PGBAD3,T3,,)(\d+)/, "$1$2.50"),
      line: () => 4,
      reason: /amount_vnd "\d+\.50" is not a whole number/,
    },
    {
      what: "a date outside the day",
      day: 5,
      make: (rows) =>
        fileOf("vnpay", dayBefore(5), rows).replace(
          new RegExp(`(PGBAD4,.*),${dayBefore(5)},`),
          `$1,${dayBefore(6)},`,
        ),
      line: () => 5,
      reason: /business_date .* is not the file's day/,
    },
  ];

  it.each(MALFORMED)("rejects a file with $what whole, naming the line, and imports nothing", async (m) => {
    const day = dayBefore(m.day);
    const rows = [1, 2, 3, 4, 5].map((k) =>
      rowOf({
        reference: `PGBAD${k}`,
        txnId: `T${k}`,
        amount: 10_000 * k,
        paidAt: new Date(`${day}T10:0${k}:00+07:00`),
      }),
    );
    fileServer.serve("vnpay", day, m.make(rows));
    const id = await start("vnpay", day);
    const rejected = await finished(id);
    expect(rejected.status).toBe("rejected");
    expect(rejected.rejection).toEqual({
      line: m.line(rows.length),
      reason: expect.stringMatching(m.reason),
    });
    expect(rejected.totals.rows).toBe(0);
    expect(await stack.sql`select 1 from reconciliation_lines where run_id = ${id}`).toHaveLength(0);
    expect(await discrepancies(id)).toEqual([]);
    expect((await stack.ops(`/v1/ops/reconciliations/${id}/result.csv`)).status).toBe(409);
  });

  it("runs as Temporal workflows, and each connector has a schedule at the cut-off in Vietnam's zone", async () => {
    const described = await stack.temporal.workflow
      .getHandle(reconciliationWorkflowId("momo", TODAY))
      .describe();
    expect(described.status.name).toBe("COMPLETED");
    expect(described.type).toBe("reconciliationWorkflow");
    expect(described.typedSearchAttributes.getAll().find((p) => p.key.name === "Connector")?.value).toBe(
      "momo",
    );

    const handle = stack.temporal.schedule.getHandle(
      reconciliationScheduleId(stack.config.temporal.taskQueue, "momo"),
    );
    const schedule = await handle.describe();
    expect(schedule.spec.timezone).toBe("Asia/Ho_Chi_Minh");
    expect(schedule.spec.calendars?.[0]).toMatchObject({
      hour: [{ start: 2, end: 2 }],
      minute: [{ start: 0, end: 0 }],
    });
    expect(schedule.action).toMatchObject({
      type: "startWorkflow",
      workflowType: "scheduledReconciliationWorkflow",
    });

    // Fired now, it reconciles the Vietnam day before.
    const yesterday = previousVietnamDay(new Date());
    fileServer.serve("momo", yesterday, fileOf("momo", yesterday, []));
    await handle.trigger();
    const scheduled = await eventually("the scheduled run", async () => {
      const listed = (await (
        await stack.ops(`/v1/ops/reconciliations?connector=momo&business_date=${yesterday}`)
      ).json()) as {
        runs: Run[];
      };
      return listed.runs.find((r) => r.status === "completed");
    });
    expect(scheduled).toMatchObject({
      trigger: "schedule",
      totals: { rows: 0, matched: 0, missing_at_intermediary: 0 },
    });

    // The recorded histories (a completed run with inquiries, a rejected file, the schedule's trigger)
    // replay deterministically with the current workflow code.
    const execution = async (workflowId: string, runId?: string) => ({
      workflowId,
      history: await stack.temporal.workflow.getHandle(workflowId, runId).fetchHistory(),
    });
    const parent = (
      await stack.temporal.workflow.getHandle(reconciliationWorkflowId("momo", yesterday)).describe()
    ).parentExecution;
    expect(parent?.workflowId).toMatch(/^reconciliation-momo-scheduled/);
    const histories = [
      await execution(reconciliationWorkflowId("vnpay", TODAY), firstVnpayExecution),
      await execution(reconciliationWorkflowId("vnpay", TODAY)),
      await execution(reconciliationWorkflowId("vnpay", dayBefore(2))),
      await execution(reconciliationWorkflowId("momo", yesterday)),
      await execution(parent!.workflowId!, parent!.runId ?? undefined),
    ];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: fileURLToPath(new URL("../workflows/index.ts", import.meta.url)) },
      histories,
    )) {
      expect(result.error).toBeUndefined();
      replayed++;
    }
    expect(replayed).toBe(histories.length);
  });

  it("shows runs, totals and discrepancies on the ops page, behind the operations key, with the CSV", async () => {
    const page = (path: string, key: string | null = stack.opsKey) =>
      fetch(`${stack.apiUrl}${path}`, {
        headers:
          key === null ? {} : { authorization: `Basic ${Buffer.from(`ops:${key}`).toString("base64")}` },
      });
    const anonymous = await page("/ops/reconciliations", null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic /);
    expect((await page("/ops/reconciliations", stack.apiKey)).status).toBe(401);

    const list = await page("/ops/reconciliations");
    expect(list.status).toBe(200);
    expect(list.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await list.text();
    expect(html).toContain("Đối soát với trung gian thanh toán");
    expect(html).toContain(`/ops/reconciliations/${runs.vnpay}`);
    expect(html).toContain("Tệp bị từ chối");

    const detail = await (await page(`/ops/reconciliations/${runs.vnpay}`)).text();
    expect(detail).toContain("Lệch trạng thái");
    expect(detail).toContain("Trùng lặp");
    expect(detail).toContain("Đã xác nhận thanh toán");
    expect(detail).toContain(`/ops/reconciliations/${runs.vnpay}/result.csv`);
    const onepay = await (await page(`/ops/reconciliations/${runs.onepay}`)).text();
    expect(onepay).toContain("Chờ cán bộ vận hành xử lý");

    const csv = await page(`/ops/reconciliations/${runs.momo}/result.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-disposition")).toMatch(/attachment; filename="MOMO_.*_result\.csv"/);
    expect(await csv.text()).toContain(",AMOUNT_MISMATCH\r\n");
  });

  it("lets an operator resolve what no inquiry can, once, with a note and their name", async () => {
    const base = `/v1/ops/reconciliations/${runs.onepay}/discrepancies`;
    const resolve = (seq: number | string, json: unknown) => stack.ops(`${base}/${seq}/resolution`, { json });
    const listed = async (query: string) =>
      (await (await stack.ops(`${base}${query}`)).json()) as {
        count: number;
        discrepancies: Discrepancy[];
        _links?: { next_page: { href: string } };
      };

    // Two wait, read a page at a time.
    const waiting = await listed("?state=awaiting_operator");
    expect(waiting.discrepancies.map((d) => d.kind)).toEqual([
      "MISSING_AT_PAYGOV",
      "MISSING_AT_INTERMEDIARY",
    ]);
    const first = await listed("?state=awaiting_operator&page_size=1");
    expect(first.discrepancies).toEqual([waiting.discrepancies[0]]);
    const next = new URL(first._links!.next_page.href);
    const second = await listed(next.search);
    expect(second.discrepancies).toEqual([waiting.discrepancies[1]]);
    expect(second._links).toBeUndefined();
    const [stray, lacking] = waiting.discrepancies as [Discrepancy, Discrepancy];

    // Bad input: its code and field, and nothing recorded.
    const refused = async (response: Response) => ({
      status: response.status,
      ...((await response.json()) as object),
    });
    const valid = {
      resolution: "intermediary_corrected",
      note: "OnePay: the line is another merchant",
      operator: "lan.nt",
    };
    expect(await refused(await resolve(stray.seq, { ...valid, resolution: "ignored" }))).toMatchObject({
      status: 422,
      field: "resolution",
    });
    expect(await refused(await resolve(stray.seq, { ...valid, note: "" }))).toMatchObject({
      status: 422,
      field: "note",
    });
    expect(await refused(await resolve(stray.seq, { resolution: "written_off", note: "x" }))).toMatchObject({
      status: 422,
      code: "missing_field",
      field: "operator",
    });
    expect(await refused(await resolve(99_999_999, valid))).toMatchObject({
      status: 404,
      code: "discrepancy_not_found",
    });
    expect((await resolve("first", valid)).status).toBe(404);
    expect((await listed("?state=maybe")) as unknown).toMatchObject({
      code: "invalid_field",
      field: "state",
    });
    expect((await stack.ops(`${base}?page_size=0`)).status).toBe(422);
    expect((await listed("?state=awaiting_operator")).count).toBe(2);

    // An inquiry settles the lost IPNs: an operator decides the inquiry, not the discrepancy.
    const lost = (await discrepancies(runs.vnpay!)).find((d) => d.kind === "STATUS_MISMATCH")!;
    const viaInquiry = await stack.ops(
      `/v1/ops/reconciliations/${runs.vnpay}/discrepancies/${lost.seq}/resolution`,
      {
        json: valid,
      },
    );
    expect(await refused(viaInquiry)).toMatchObject({
      status: 409,
      code: "discrepancy_not_awaiting_operator",
    });

    const done = await resolve(stray.seq, valid);
    expect(done.status).toBe(200);
    const resolved = (await done.json()) as Discrepancy;
    expect(resolved).toMatchObject({
      seq: stray.seq,
      kind: "MISSING_AT_PAYGOV",
      state: "resolved",
      resolution: "intermediary_corrected",
      resolution_note: valid.note,
      resolved_by: "lan.nt",
    });
    expect(Date.parse(resolved.resolved_date!)).toBeGreaterThan(Date.now() - 60_000);
    expect(await refused(await resolve(stray.seq, { ...valid, resolution: "written_off" }))).toMatchObject({
      status: 409,
      code: "discrepancy_not_awaiting_operator",
    });
    expect(await (await stack.ops(`${base}/${stray.seq}`)).json()).toEqual(resolved);

    // Two operators at once: exactly one resolution stands.
    const both = await Promise.all([
      resolve(lacking.seq, {
        resolution: "settled_outside",
        note: "paid by bank statement",
        operator: "an.pv",
      }),
      resolve(lacking.seq, { resolution: "written_off", note: "too small to chase", operator: "binh.lt" }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const kept = (await both.find((r) => r.status === 200)!.json()) as Discrepancy;
    expect(await (await stack.ops(`${base}/${lacking.seq}`)).json()).toEqual(kept);

    expect((await run(runs.onepay!)).open_discrepancies).toEqual({ inquiry: 0, awaiting_operator: 0 });
    expect((await listed("?state=awaiting_operator")).count).toBe(0);
    const page = await fetch(`${stack.apiUrl}/ops/reconciliations/${runs.onepay}`, {
      headers: { authorization: `Basic ${Buffer.from(`ops:${stack.opsKey}`).toString("base64")}` },
    });
    const html = await page.text();
    expect(html).toContain("Trung gian đã điều chỉnh");
    expect(html).toContain("lan.nt: OnePay: the line is another merchant");
    expect(html).not.toContain("Chờ cán bộ vận hành xử lý");
  });

  it("counts what waits for operators on the overview page, with the discrepancies the runs report", async () => {
    const anonymous = await fetch(`${stack.apiUrl}/ops`);
    expect(anonymous.status).toBe(401);
    const page = await fetch(`${stack.apiUrl}/ops`, {
      headers: { authorization: `Basic ${Buffer.from(`ops:${stack.opsKey}`).toString("base64")}` },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("form-action 'none'");
    const html = await page.text();
    const listed = (await (await stack.ops("/v1/ops/reconciliations")).json()) as { runs: Run[] };
    const awaiting = listed.runs
      .filter((r) => r.same_file_as === undefined)
      .reduce((sum, r) => sum + (r.open_discrepancies?.awaiting_operator ?? 0), 0);
    // MoMo's changed amount and missing refund, VNPay's duplicate line: the operator settled OnePay's two.
    expect(awaiting).toBe(3);
    const row =
      /<tr data-testid="workload-item"><td class="num[^"]*">(\d+)<\/td><td>Chênh lệch đối soát chờ xử lý/.exec(
        html,
      );
    expect(row?.[1]).toBe(String(awaiting));
    expect(html.match(/data-testid="workload-item"/g)).toHaveLength(7);
    expect(html).toContain('href="/ops/reconciliations"');
  });

  it("refuses what it cannot reconcile, and keeps /v1/ops to the operations key", async () => {
    const post = (json: unknown) => stack.ops("/v1/ops/reconciliations", { json });
    expect(await (await post({ connector: "zalopay", business_date: TODAY })).json()).toMatchObject({
      code: "connector_unavailable",
      field: "connector",
    });
    expect(await (await post({ connector: "vnpay", business_date: "2026-02-30" })).json()).toMatchObject({
      code: "invalid_field",
      field: "business_date",
    });
    const tomorrow = vietnamDay(new Date(Date.now() + 86_400_000));
    expect((await post({ connector: "vnpay", business_date: tomorrow })).status).toBe(422);
    expect((await post({ connector: "vnpay" })).status).toBe(422);
    expect((await stack.ops("/v1/ops/reconciliations/nosuchrun")).status).toBe(404);
    const asAgency = await fetch(`${stack.apiUrl}/v1/ops/reconciliations`, {
      headers: { authorization: `Bearer ${stack.apiKey}` },
    });
    expect(asAgency.status).toBe(403);
  });
});

/** The Vietnam day `n` days before today. */
function dayBefore(n: number): string {
  return vietnamDay(new Date(Date.now() - n * 86_400_000));
}
