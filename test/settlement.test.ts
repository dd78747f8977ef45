import { fileURLToPath } from "node:url";
import { Worker } from "@temporalio/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { previousVietnamDay } from "../domain/business-day.ts";
import { paymentWorkflowId } from "../workflows/messages.ts";
import { settlementScheduleId, settlementWorkflowId } from "../workflows/settlement-messages.ts";
import { testInfra } from "./support/infra.ts";
import { paidPayment } from "./support/payments.ts";
import { eventually, type Stack, startStack } from "./support/stack.ts";

/** Seconds a paid payment's workflow stays for refunds: short, so that settlement is what holds it. */
const REFUND_WINDOW_S = 30;

let stack: Stack;
/** Payments whose workflows ended after their settlement, for the replay check. */
const settledPayments: string[] = [];

beforeAll(async () => {
  stack = await startStack({
    infra: testInfra(),
    env: {
      PAYGOV_REFUND_STATUS_EVERY: "1",
      PAYGOV_REFUND_WINDOW: String(REFUND_WINDOW_S),
      PAYGOV_TREASURY_POLL_EVERY: "1",
    },
  });
  // The treasury credits a document a moment after accepting it.
  await fetch(`${stack.sandboxUrl}/treasury/_sim/behaviour`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ advice_delay_ms: 300 }),
  });
});
afterAll(async () => {
  await stack?.stop();
});

interface Line {
  chapter: string;
  sub_item: string;
  area: string;
  revenue_authority: string;
  amount: number;
}
interface Settlement {
  settlement_id: string;
  business_date: string;
  status: string;
  statement: {
    beneficiaries: { treasury: string; account: string; agency: string; lines: Line[]; total: number }[];
    total: number;
    payments: number;
    adjustments: {
      refund_id: string;
      payment_id: string;
      settled_in: string;
      treasury: string;
      lines: Line[];
      total: number;
    }[];
  };
  documents: {
    document_no: string;
    reference_no: string;
    treasury: string;
    amount: number;
    status: string;
    credit_advice: { advice_no: string; amount: number; value_date: string } | null;
    resolution?: { resolution: string; note: string; resolved_by: string; resolved_date: string };
  }[];
}

const today = () => new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh" }).format(new Date());

/** Starts a run for the date and waits until the treasury has confirmed it and its workflow has ended. */
const settle = async (businessDate: string): Promise<Settlement> => {
  const started = await stack.ops("/v1/ops/settlements", { json: { business_date: businessDate } });
  expect(started.status).toBe(202);
  const { settlement_id } = (await started.json()) as { settlement_id: string };
  const confirmed = await eventually(
    `settlement ${settlement_id} to be confirmed`,
    async () => {
      const s = (await (await stack.ops(`/v1/ops/settlements/${settlement_id}`)).json()) as Settlement;
      return s.status === "confirmed" ? s : null;
    },
    60_000,
  );
  await stack.temporal.workflow.getHandle(settlementWorkflowId(businessDate)).result();
  return confirmed;
};

const refund = async (paymentId: string, body: Record<string, unknown>) => {
  const response = await stack.api(`/v1/payments/${paymentId}/refunds`, { json: body });
  expect(response.status).toBe(202);
  const { refund_id } = (await response.json()) as { refund_id: string };
  await eventually(`refund ${refund_id} to succeed`, async () => {
    const r = (await (await stack.api(`/v1/payments/${paymentId}/refunds/${refund_id}`)).json()) as {
      status: string;
    };
    return r.status === "success";
  });
  return refund_id;
};

const workflowStatus = async (paymentId: string) =>
  (await stack.temporal.workflow.getHandle(paymentWorkflowId(paymentId)).describe()).status.name;

type Key = string;
const keyOf = (b: { treasury: string; account: string; agency: string }, l: Omit<Line, "amount">): Key =>
  [b.agency, b.treasury, b.account, l.chapter, l.sub_item, l.area, l.revenue_authority].join("|");

/** The ledger's lines of a payment, with its agency's code: what the expected totals are made from. */
const ledgerLines = async (paymentId: string) =>
  stack.sql<
    {
      index: number;
      amount: number;
      agency: string;
      treasury: string;
      account: string;
      chapter: string;
      sub_item: string;
      area: string;
      revenue_authority: string;
    }[]
  >`select l.index, l.amount, a.code as agency, l.treasury, l.account, l.chapter, l.sub_item, l.area,
           l.revenue_authority
    from payment_lines l join payments p on p.id = l.payment_id join agencies a on a.id = p.agency_id
    where l.payment_id = ${paymentId} order by l.index`;

/** DESIGN's rule, written again here: pro rata rounded down, the remainder on the largest line. */
const proRata = (lines: { index: number; amount: number }[], amount: number) => {
  const whole = lines.reduce((t, l) => t + l.amount, 0);
  const shares = lines.map((l) => Math.floor((amount * l.amount) / whole));
  const largest = lines.reduce((best, l, i) => (l.amount > lines[best]!.amount ? i : best), 0);
  shares[largest]! += amount - shares.reduce((t, s) => t + s, 0);
  return shares;
};

describe("settlement with the State Treasury", () => {
  it("settles a day's payments by budget code, nets refunds, carries a later refund to the next statement, and ends the payments' workflows once confirmed", async () => {
    const date = today();
    const expected = new Map<Key, number>();
    const add = (key: Key, amount: number) => expected.set(key, (expected.get(key) ?? 0) + amount);

    // A (two sub-items), B (two lines, one code), C (one line): paid at the VNPay simulator.
    const [a, b, c] = await Promise.all([
      paidPayment(stack, { serviceId: "svc-dang-ky-doanh-nghiep", lineIds: ["dkdn-le-phi", "dkdn-cong-bo"] }),
      paidPayment(stack, { serviceId: "svc-lltp", lineIds: ["lltp-phi", "lltp-phieu-them"] }),
      paidPayment(stack),
    ]);
    const linesOf = new Map<string, Awaited<ReturnType<typeof ledgerLines>>>();
    for (const p of [a, b, c]) {
      linesOf.set(p.payment_id, await ledgerLines(p.payment_id));
      for (const l of linesOf.get(p.payment_id)!) add(keyOf(l, l), l.amount);
    }

    // B's second line is refunded before the first run: the run takes B less it.
    await refund(b.payment_id, {
      amount: 5_000,
      refund_amount_available: 205_000,
      lines: [{ index: 1, amount: 5_000 }],
    });
    const bLine1 = linesOf.get(b.payment_id)![1]!;
    add(keyOf(bLine1, bLine1), -5_000);

    // The day before takes none of today's payments.
    const dayBefore = new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    expect((await settle(dayBefore)).statement).toEqual({
      beneficiaries: [],
      total: 0,
      payments: 0,
      adjustments: [],
    });

    const first = await settle(date);
    const sandbox = { treasury: "0011", account: "7111", agency: "000.00.99.H99" };
    const code = (sub_item: string) => ({
      chapter: "999",
      sub_item,
      area: "00001",
      revenue_authority: "1054367",
    });
    expect(first.statement).toEqual({
      beneficiaries: [
        {
          ...sandbox,
          lines: [
            { ...code("2266"), amount: 100_000 },
            { ...code("2752"), amount: 200_000 },
            { ...code("2764"), amount: 200_000 },
            { ...code("2861"), amount: 50_000 },
          ],
          total: 550_000,
        },
      ],
      total: 550_000,
      payments: 3,
      adjustments: [],
    });
    expect(first.documents).toEqual([
      expect.objectContaining({
        treasury: "0011",
        amount: 550_000,
        status: "confirmed",
        credit_advice: expect.objectContaining({ amount: 550_000, value_date: date }),
      }),
    ]);

    // After the first run: A is refunded in part (shared pro rata over its two lines); D and E are paid,
    // D with a line for another treasury office.
    await refund(a.payment_id, { amount: 10_001, refund_amount_available: 150_000 });
    const aLines = linesOf.get(a.payment_id)!;
    for (const [i, share] of proRata(aLines, 10_001).entries()) add(keyOf(aLines[i]!, aLines[i]!), -share);
    const [d, e] = await Promise.all([
      paidPayment(stack, {
        serviceId: "svc-nhan-hieu",
        extra: {
          amount: 300_000,
          lines: [
            { kind: "charge", name: "Lệ phí nộp đơn", amount: 150_000, sub_item: "2808" },
            { kind: "fee", name: "Phí công bố đơn", amount: 120_000, sub_item: "2504" },
            {
              kind: "charge",
              name: "Lệ phí (KBNN khác)",
              amount: 30_000,
              sub_item: "2752",
              treasury: "1769",
            },
          ],
        },
      }),
      paidPayment(stack),
    ]);
    for (const p of [d, e]) {
      linesOf.set(p.payment_id, await ledgerLines(p.payment_id));
      for (const l of linesOf.get(p.payment_id)!) add(keyOf(l, l), l.amount);
    }

    // Past their refund window, unsettled D and E still wait; settled A, B and C have ended.
    const [paid] = await stack.sql<{ last: Date }[]>`
      select max(succeeded_at) as last from payments where id in (${d.payment_id}, ${e.payment_id})`;
    const windowOver = paid!.last.getTime() + (REFUND_WINDOW_S + 2) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, windowOver - Date.now())));
    expect(await workflowStatus(d.payment_id)).toBe("RUNNING");
    expect(await workflowStatus(e.payment_id)).toBe("RUNNING");
    for (const p of [a, b, c]) {
      await eventually(`payment ${p.payment_id}'s workflow to end`, async () =>
        (await workflowStatus(p.payment_id)) === "COMPLETED" ? true : null,
      );
    }

    const second = await settle(date);
    expect(second.statement.payments).toBe(2);
    expect(second.statement.adjustments).toEqual([
      {
        refund_id: expect.any(String),
        payment_id: a.payment_id,
        settled_in: first.settlement_id,
        ...sandbox,
        lines: [
          { ...code("2266"), amount: -6_668 },
          { ...code("2861"), amount: -3_333 },
        ],
        total: -10_001,
      },
    ]);
    expect(second.statement.beneficiaries.map((x) => [x.treasury, x.total])).toEqual([
      ["0011", 459_999],
      ["1769", 30_000],
    ]);
    expect(second.statement.total).toBe(489_999);
    expect(second.documents.map((x) => [x.treasury, x.amount, x.status, x.credit_advice?.amount])).toEqual([
      ["0011", 459_999, "confirmed", 459_999],
      ["1769", 30_000, "confirmed", 30_000],
    ]);
    for (const p of [d, e]) {
      await eventually(`payment ${p.payment_id}'s workflow to end after its settlement`, async () =>
        (await workflowStatus(p.payment_id)) === "COMPLETED" ? true : null,
      );
    }

    settledPayments.push(a.payment_id, d.payment_id);

    // A re-run of the date finds nothing left to settle.
    const third = await settle(date);
    expect(third.statement).toEqual({ beneficiaries: [], total: 0, payments: 0, adjustments: [] });
    expect(third.documents).toEqual([]);

    // Over all runs, per beneficiary and budget code: ledger successes less refunds, to the đồng.
    const settled = new Map<Key, number>();
    for (const run of [first, second, third]) {
      for (const x of run.statement.beneficiaries) {
        for (const l of x.lines) settled.set(keyOf(x, l), (settled.get(keyOf(x, l)) ?? 0) + l.amount);
      }
    }
    expect(settled).toEqual(new Map([...expected].filter(([, amount]) => amount !== 0)));

    // The treasury simulator received every document, signed, and credited each in full.
    const atTreasury = (await (await fetch(`${stack.sandboxUrl}/treasury/_sim/documents`)).json()) as {
      documents: {
        document: {
          reference_no: string;
          total: number;
          total_in_words: string;
          payer: { name: string; dvqhns_code: string | null };
        };
        advice: { amount: number } | null;
      }[];
    };
    const sent = [...first.documents, ...second.documents];
    expect(atTreasury.documents.map((x) => x.document.reference_no).sort()).toEqual(
      sent.map((x) => x.reference_no).sort(),
    );
    for (const x of atTreasury.documents) expect(x.advice?.amount).toBe(x.document.total);
    const slip = atTreasury.documents.find((x) => x.document.total === 459_999)!.document;
    expect(slip.total_in_words).toBe("Bốn trăm năm mươi chín nghìn chín trăm chín mươi chín đồng");
    expect(slip.payer).toMatchObject({ name: "Đơn vị thử nghiệm PayGov (sandbox)", dvqhns_code: "1099999" });

    // statement.csv: one row per beneficiary and code, the adjustments shown inside the amounts.
    const csv = await stack.ops(`/v1/ops/settlements/${second.settlement_id}/statement.csv`);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const rows = (await csv.text()).split("\r\n").filter((r) => r !== "");
    expect(rows[0]).toBe(
      "business_date,settlement_id,document_no,reference_no,agency,treasury,account,chapter,sub_item,area,revenue_authority,amount,of_which_adjustments",
    );
    const records = rows.slice(1).map((r) => r.split(","));
    expect(records).toHaveLength(6);
    expect(records.reduce((t, r) => t + Number(r[11]), 0)).toBe(489_999);
    expect(records.find((r) => r[8] === "2861")?.slice(11)).toEqual(["-3333", "-3333"]);
    expect(records.find((r) => r[5] === "1769")?.slice(8)).toEqual([
      "2752",
      "00001",
      "1054367",
      "30000",
      "0",
    ]);
  });

  it("shows a run on the printable ops page behind the operations key, and in the list", async () => {
    const list = (await (await stack.ops("/v1/ops/settlements")).json()) as { settlements: Settlement[] };
    const run = list.settlements.find((s) => s.statement.total === 489_999);
    expect(run).toBeDefined();
    const ofToday = (await (await stack.ops(`/v1/ops/settlements?business_date=${today()}`)).json()) as {
      settlements: Settlement[];
    };
    expect(ofToday.settlements.map((s) => s.business_date)).toEqual([today(), today(), today()]);
    const none = (await (await stack.ops("/v1/ops/settlements?business_date=2020-01-01")).json()) as {
      settlements: Settlement[];
    };
    expect(none.settlements).toEqual([]);

    expect((await fetch(`${stack.apiUrl}/ops/settlements/${run!.settlement_id}`)).status).toBe(401);
    const basic = `Basic ${Buffer.from(`ops:${stack.opsKey}`).toString("base64")}`;
    const page = await fetch(`${stack.apiUrl}/ops/settlements/${run!.settlement_id}`, {
      headers: { authorization: basic },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await page.text();
    expect(html).toContain("GIẤY NỘP TIỀN VÀO NGÂN SÁCH NHÀ NƯỚC");
    expect(html).toContain("Mẫu số C1-02/NS");
    expect(html).toContain(run!.documents[0]!.reference_no);
    expect(html).toContain("Bốn trăm năm mươi chín nghìn chín trăm chín mươi chín đồng");
    expect(html).toContain("459.999");
    expect(html).toContain(run!.documents[0]!.credit_advice!.advice_no);
    // The page's CSV link works from the browser as it is: HTTP Basic, no bearer key.
    const csvHref = `/ops/settlements/${run!.settlement_id}/statement.csv`;
    expect(html).toContain(`href="${csvHref}"`);
    const csv = await fetch(`${stack.apiUrl}${csvHref}`, { headers: { authorization: basic } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(await csv.text()).toBe(
      await (await stack.ops(`/v1/ops/settlements/${run!.settlement_id}/statement.csv`)).text(),
    );
    expect((await fetch(`${stack.apiUrl}${csvHref}`)).status).toBe(401);

    const index = await fetch(`${stack.apiUrl}/ops/settlements`, { headers: { authorization: basic } });
    expect(await index.text()).toContain(`/ops/settlements/${run!.settlement_id}`);

    // A portal's key opens none of it.
    const asAgency = await stack.api("/v1/ops/settlements");
    expect(asAgency.status).toBe(403);
  });

  it("replays the settlement runs' and the settled payments' histories with the current workflow code", async () => {
    const histories = [];
    for await (const run of stack.temporal.workflow.list({
      query: `WorkflowId = "${settlementWorkflowId(today())}" AND TaskQueue = "${stack.config.temporal.taskQueue}"`,
    })) {
      const handle = stack.temporal.workflow.getHandle(run.workflowId, run.runId);
      histories.push({ workflowId: run.workflowId, history: await handle.fetchHistory() });
    }
    expect(histories.length).toBe(3);
    for (const id of settledPayments) {
      const handle = stack.temporal.workflow.getHandle(paymentWorkflowId(id));
      histories.push({ workflowId: handle.workflowId, history: await handle.fetchHistory() });
    }
    const results = Worker.runReplayHistories(
      { workflowsPath: fileURLToPath(new URL("../workflows/index.ts", import.meta.url)) },
      histories,
    );
    let replayed = 0;
    for await (const result of results) {
      expect(result.error).toBeUndefined();
      replayed++;
    }
    expect(replayed).toBe(5);
  });

  it("refuses a malformed or future business date and an unknown settlement", async () => {
    const bad = await stack.ops("/v1/ops/settlements", { json: { business_date: "2026-02-30" } });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ code: "invalid_field", field: "business_date" });
    const future = await stack.ops("/v1/ops/settlements", { json: { business_date: "2999-01-01" } });
    expect(future.status).toBe(422);
    const missing = await stack.ops("/v1/ops/settlements/nope");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "settlement_not_found" });
  });

  it("has a daily schedule at the cut-off in Vietnam's zone that settles the day before", async () => {
    const handle = stack.temporal.schedule.getHandle(settlementScheduleId(stack.config.temporal.taskQueue));
    const schedule = await handle.describe();
    expect(schedule.spec.timezone).toBe("Asia/Ho_Chi_Minh");
    expect(schedule.spec.calendars?.[0]).toMatchObject({
      hour: [{ start: 3, end: 3 }],
      minute: [{ start: 0, end: 0 }],
    });
    expect(schedule.action).toMatchObject({
      type: "startWorkflow",
      workflowType: "scheduledSettlementWorkflow",
    });

    const yesterday = previousVietnamDay(new Date());
    const runsOf = async () =>
      (
        (await (await stack.ops(`/v1/ops/settlements?business_date=${yesterday}`)).json()) as {
          settlements: { settlement_id: string; status: string }[];
        }
      ).settlements;
    const before = new Set((await runsOf()).map((r) => r.settlement_id));
    await handle.trigger();
    // A new run of the day before, started by the schedule, confirmed by the treasury.
    const run = await eventually("the scheduled settlement", async () =>
      (await runsOf()).find((r) => !before.has(r.settlement_id) && r.status === "confirmed"),
    );
    expect(run.status).toBe("confirmed");
    const parent = (await stack.temporal.workflow.getHandle(settlementWorkflowId(yesterday)).describe())
      .parentExecution;
    expect(parent?.workflowId).toMatch(/^settlement-scheduled/);
  });
  it("holds a run whose credit advice credits another amount until an operator records how it was sorted out", async () => {
    const treasury = (behaviour: unknown) =>
      fetch(`${stack.sandboxUrl}/treasury/_sim/behaviour`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(behaviour),
      });
    const get = async (id: string) =>
      (await (await stack.ops(`/v1/ops/settlements/${id}`)).json()) as Settlement;
    // The treasury credits 1,000 đồng less than each document it accepts.
    await treasury({ advice_amount_delta: -1_000 });
    try {
      const payment = await paidPayment(stack);
      const started = await stack.ops("/v1/ops/settlements", { json: { business_date: today() } });
      expect(started.status).toBe(202);
      const { settlement_id } = (await started.json()) as { settlement_id: string };
      const held = await eventually("the credit advice for another amount", async () => {
        const run = await get(settlement_id);
        return run.documents.some((d) => d.status === "mismatch") ? run : null;
      });
      expect(held.status).toBe("sent");
      expect(held.documents).toHaveLength(1);
      const document = held.documents[0]!;
      expect(document.credit_advice?.amount).toBe(document.amount - 1_000);
      // The run, and the payment it settles, wait.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect((await get(settlement_id)).status).toBe("sent");
      expect(await workflowStatus(payment.payment_id)).toBe("RUNNING");

      const resolve = (reference: string, json: unknown, id = settlement_id) =>
        stack.ops(`/v1/ops/settlements/${id}/documents/${reference}/resolution`, { json });
      const answer = async (response: Response) => ({
        status: response.status,
        ...((await response.json()) as object),
      });
      const valid = {
        resolution: "corrected_at_treasury",
        note: "KBNN credited the missing 1.000 đ on a second advice",
        operator: "hoa.tt",
      };
      expect(
        await answer(await resolve(document.reference_no, { ...valid, resolution: "ignore" })),
      ).toMatchObject({
        status: 422,
        field: "resolution",
      });
      expect(
        await answer(await resolve(document.reference_no, { ...valid, operator: undefined })),
      ).toMatchObject({
        status: 422,
        code: "missing_field",
        field: "operator",
      });
      expect(await answer(await resolve("NO-SUCH-REF", valid))).toMatchObject({
        status: 404,
        code: "treasury_document_not_found",
      });
      expect(await answer(await resolve(document.reference_no, valid, "nope"))).toMatchObject({
        status: 404,
        code: "settlement_not_found",
      });
      // A document whose credit advice matched needs nothing.
      const runs = (
        (await (await stack.ops(`/v1/ops/settlements?business_date=${today()}`)).json()) as {
          settlements: Settlement[];
        }
      ).settlements;
      const matched = runs
        .flatMap((r) => r.documents.map((d) => ({ r, d })))
        .find((x) => x.d.status === "confirmed")!;
      expect(
        await answer(await resolve(matched.d.reference_no, valid, matched.r.settlement_id)),
      ).toMatchObject({
        status: 409,
        code: "treasury_document_not_mismatched",
      });
      expect((await get(settlement_id)).documents[0]!.status).toBe("mismatch");

      const resolved = await resolve(document.reference_no, valid);
      expect(resolved.status).toBe(200);
      const after = ((await resolved.json()) as Settlement).documents[0]!;
      expect(after).toMatchObject({
        status: "confirmed",
        credit_advice: { amount: document.amount - 1_000 },
        resolution: { resolution: "corrected_at_treasury", note: valid.note, resolved_by: "hoa.tt" },
      });
      expect(await answer(await resolve(document.reference_no, valid))).toMatchObject({
        status: 409,
        code: "treasury_document_not_mismatched",
      });

      // The run is confirmed, and the payment it settles may end.
      await eventually("the run to be confirmed", async () =>
        (await get(settlement_id)).status === "confirmed" ? true : null,
      );
      await stack.temporal.workflow.getHandle(settlementWorkflowId(today())).result();
      await eventually(
        "the payment's workflow to end after its settlement",
        async () => ((await workflowStatus(payment.payment_id)) === "COMPLETED" ? true : null),
        60_000,
      );
      const page = await fetch(`${stack.apiUrl}/ops/settlements/${settlement_id}`, {
        headers: { authorization: `Basic ${Buffer.from(`ops:${stack.opsKey}`).toString("base64")}` },
      });
      expect(await page.text()).toContain("Kho bạc đã điều chỉnh");
    } finally {
      await treasury({ advice_amount_delta: 0 });
    }
  });
});
