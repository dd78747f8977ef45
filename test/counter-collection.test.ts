import { createHash } from "node:crypto";
import { Effect } from "effect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { counterDriver } from "../connectors/counter/conformance.ts";
import type { CounterAnswer } from "../connectors/counter/protocol.ts";
import { catalogueService, paymentRequestFor } from "../domain/fee-catalogue.ts";
import { maskName } from "../domain/mask.ts";
import { formatPaymentCode } from "../domain/payment-code.ts";
import { vietnamBusinessDate } from "../domain/vietnam-time.ts";
import { citizen } from "./support/citizen.ts";
import { testInfra } from "./support/infra.ts";
import { eventually, type Stack, startStack } from "./support/stack.ts";

// Bill collection at a store counter, end to end: the counter simulator plays the clerk's POS and calls
// PayGov's agent API over real HTTP, signed; PayGov answers through the payment workflow on the real
// Temporal and PostgreSQL; the portal reads the outcome from its API.

let stack: Stack;
let dossier = 0;
const PAYER = "Nguyễn Văn An";

interface SimCall {
  readonly answer: CounterAnswer | null;
  readonly replies: ReadonlyArray<{ readonly answer: CounterAnswer | null; readonly error: string | null }>;
  readonly transaction?: { readonly status: string; readonly transactionId: string } | null;
}

/** Asks the simulated POS to do something; it returns PayGov's answer once its signature verified. */
const counter = async (path: string, body: unknown): Promise<SimCall> => {
  const response = await fetch(`${stack.sandboxUrl}/counter/_sim/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status, `the simulator's ${path}`).toBe(200);
  return (await response.json()) as SimCall;
};

const newPayment = async (extra: Record<string, unknown> = {}) => {
  dossier += 1;
  const body = {
    ...paymentRequestFor(catalogueService("svc-lltp"), {
      dossierCode: `000.00.99.H99-261203-C${String(dossier).padStart(3, "0")}`,
      returnUrl: "http://localhost:8080/ho-so/return",
      payerName: PAYER,
    }),
    ...extra,
  };
  const response = await stack.api("/v1/payments", { json: body });
  expect(response.status).toBe(201);
  const payment = (await response.json()) as {
    payment_id: string;
    amount: number;
    description: string;
    expires_date: string;
    _links: { next_url: { href: string } };
  };
  // The code a citizen carries; a portal shows it once the counter is chosen (payment_instructions).
  const [row] = await stack.sql<{ payment_code: string }[]>`
    select payment_code from payments where id = ${payment.payment_id}`;
  return { ...payment, code: row!.payment_code };
};

const paymentOf = async (id: string) =>
  (await (await stack.api(`/v1/payments/${id}`)).json()) as {
    state: { status: string; finished: boolean };
    refund_summary: { status: string; amount_available: number; amount_submitted: number };
    connector?: string;
    provider_id?: string;
    payment_instructions?: { method: string; payment_code: string; amount: number };
  };

const eventsOf = async (id: string) =>
  (
    (await (await stack.api(`/v1/payments/${id}/events`)).json()) as {
      events: { type: string; data: Record<string, unknown> }[];
    }
  ).events;

const ledgerFingerprint = async () => {
  const rows = await stack.sql`
    select (select count(*) from payment_events) as events,
           (select string_agg(id || ':' || status || ':' || coalesce(provider_txn_id, ''), ',' order by id)
              from payment_attempts) as attempts,
           (select string_agg(id || ':' || status, ',' order by id) from payments) as payments`;
  return createHash("sha256").update(JSON.stringify(rows)).digest("hex");
};

let transactions = 0;
/** A fresh transaction id of the chain's. */
const transactionId = () => {
  transactions += 1;
  return `CT${Date.now()}${transactions}`;
};

beforeAll(async () => {
  stack = await startStack({ infra: testInfra(), env: { ...counterDriver.env } });
  expect(stack.connectors.live.has("counter")).toBe(true);
});

afterAll(async () => {
  await stack?.stop();
});

describe("paying a payment code at a store counter", () => {
  it("looks a payable bill up: masked name, amount, agency, expiry", async () => {
    const payment = await newPayment();
    const { answer } = await counter("lookup", { paymentCode: payment.code });
    expect(answer?.kind).toBe("bill");
    if (answer?.kind !== "bill") return;
    expect(answer.bill).toMatchObject({
      paymentCode: payment.code,
      amount: payment.amount,
      payerName: maskName(PAYER),
      status: "PAYABLE",
      agencyName: "Đơn vị thử nghiệm PayGov (sandbox)",
      description: payment.description,
    });
    expect(answer.bill.payerName).not.toContain("guyễn");
    // The wire carries whole seconds in GMT+7; the instant is the payment's expiry.
    expect(new Date(answer.bill.expiresAt).getTime()).toBe(
      Math.floor(Date.parse(payment.expires_date) / 1000) * 1000,
    );
  });

  it("confirms the cash: the portal sees success, started then succeeded from the collection", async () => {
    const payment = await newPayment();
    const id = transactionId();
    const { answer } = await counter("confirm", {
      paymentCode: payment.code,
      transactionId: id,
      amount: payment.amount,
    });
    expect(answer).toMatchObject({
      kind: "confirmed",
      duplicate: false,
      transactionId: id,
      amount: payment.amount,
    });
    const resource = await paymentOf(payment.payment_id);
    expect(resource.state).toEqual({ status: "success", finished: true });
    expect(resource).toMatchObject({ connector: "counter", provider_id: id });
    const events = await eventsOf(payment.payment_id);
    expect(events.map((e) => e.type)).toEqual(["payment.created", "payment.started", "payment.succeeded"]);
    expect(events[2]?.data).toMatchObject({
      source: "collection",
      connector: "counter",
      provider_txn_id: id,
    });
    if (answer?.kind === "confirmed") expect(answer.receiptId).toBe(events[2]?.data.attempt_id);

    // The same confirmation again (a POS retrying after a lost answer): a repeat, nothing new written.
    const before = await ledgerFingerprint();
    const again = await counter("confirm", {
      paymentCode: payment.code,
      transactionId: id,
      amount: payment.amount,
    });
    expect(again.answer).toMatchObject({ kind: "confirmed", duplicate: true, transactionId: id });
    expect(await ledgerFingerprint()).toBe(before);

    // Another transaction for the same code: the bill is already paid.
    const other = await counter("confirm", {
      paymentCode: payment.code,
      transactionId: transactionId(),
      amount: payment.amount,
    });
    expect(other.answer).toEqual({
      kind: "refused",
      resultCode: "04",
      message: "Hóa đơn đã được thanh toán",
      detail: "The payment is already paid",
    });
    const succeeded = (await eventsOf(payment.payment_id)).filter((e) => e.type === "payment.succeeded");
    expect(succeeded).toHaveLength(1);
    const after = await counter("lookup", { paymentCode: payment.code });
    expect(after.answer?.kind === "bill" && after.answer.bill.status).toBe("PAID");
  });

  it("records one success when the chain sends the same confirmation twice at once", async () => {
    const payment = await newPayment();
    await counter("behaviour", { reference: payment.code, callback: "duplicate" });
    const call = await counter("confirm", { paymentCode: payment.code, amount: payment.amount });
    const answers = call.replies.map((r) => r.answer);
    expect(answers).toHaveLength(2);
    expect(answers.map((a) => a?.kind === "confirmed" && a.duplicate).sort()).toEqual([false, true]);
    await eventually(
      "the success",
      async () => (await paymentOf(payment.payment_id)).state.status === "success",
    );
    const succeeded = (await eventsOf(payment.payment_id)).filter((e) => e.type === "payment.succeeded");
    expect(succeeded).toHaveLength(1);
  });

  it("refuses a forged signature and writes nothing", async () => {
    const payment = await newPayment();
    await counter("behaviour", { reference: payment.code, tamperSignature: true });
    const before = await ledgerFingerprint();
    const { answer } = await counter("confirm", { paymentCode: payment.code, amount: payment.amount });
    expect(answer).toEqual({
      kind: "refused",
      resultCode: "07",
      message: "Chữ ký không hợp lệ",
      detail: "signature does not match",
    });
    expect(await ledgerFingerprint()).toBe(before);
    expect((await paymentOf(payment.payment_id)).state.status).toBe("created");
  });

  it("answers a code with a bad check digit as malformed", async () => {
    const payment = await newPayment();
    const last = Number(payment.code.at(-1));
    const mistyped = `${payment.code.slice(0, 15)}${(last + 1) % 10}`;
    const { answer } = await counter("lookup", { paymentCode: mistyped });
    expect(answer).toEqual({
      kind: "refused",
      resultCode: "08",
      message: "Yêu cầu không hợp lệ",
      detail: "paymentCode fails its check digit: the code was mistyped",
    });
  });

  it("refuses a wrong amount, and keeps the bill payable", async () => {
    const payment = await newPayment();
    const { answer } = await counter("confirm", { paymentCode: payment.code, amount: payment.amount - 1000 });
    expect(answer).toMatchObject({
      kind: "refused",
      resultCode: "03",
      message: "Số tiền không khớp với hóa đơn",
      detail: `${payment.amount} VND is due, not ${payment.amount - 1000}`,
    });
    const bill = await counter("lookup", { paymentCode: payment.code });
    expect(bill.answer?.kind === "bill" && bill.answer.bill.status).toBe("PAYABLE");
  });

  it("does not let an expired payment be paid", async () => {
    const payment = await newPayment({ expires_in: 6 });
    await eventually(
      "expired",
      async () => (await paymentOf(payment.payment_id)).state.status === "expired",
      40_000,
    );
    const bill = await counter("lookup", { paymentCode: payment.code });
    expect(bill.answer?.kind === "bill" && bill.answer.bill.status).toBe("EXPIRED");
    const { answer } = await counter("confirm", { paymentCode: payment.code, amount: payment.amount });
    expect(answer).toMatchObject({
      kind: "refused",
      resultCode: "02",
      message: "Hóa đơn đã hết hạn hoặc đã bị hủy, không thu tiền",
    });
    expect((await eventsOf(payment.payment_id)).map((e) => e.type)).toEqual([
      "payment.created",
      "payment.expired",
    ]);
  });

  it("reverses a collection on its day as a refund the chain has paid out, once, and refuses unknown ones", async () => {
    const payment = await newPayment();
    const id = transactionId();
    await counter("confirm", { paymentCode: payment.code, transactionId: id, amount: payment.amount });
    const stranger = await counter("reverse", { paymentCode: payment.code, transactionId: `${id}X` });
    expect(stranger.answer).toMatchObject({ kind: "refused", resultCode: "06" });

    const call = await counter("reverse", { paymentCode: payment.code, transactionId: id });
    expect(call.answer).toMatchObject({ kind: "reversed", duplicate: false });
    const again = await counter("reverse", { paymentCode: payment.code, transactionId: id });
    expect(again.answer).toMatchObject({ kind: "reversed", duplicate: true });

    // The payment stays paid (its money came and went back); the reversal is a refund, done at once.
    const refunds = await eventually("the reversal's refund", async () => {
      const rows = await stack.sql`select * from refunds where payment_id = ${payment.payment_id}`;
      return rows.length === 1 && rows[0]?.status === "success" ? rows : null;
    });
    expect(refunds[0]).toMatchObject({
      reason: "counter_reversal",
      amount: payment.amount,
      counts_against_payment: true,
    });
    const after = await paymentOf(payment.payment_id);
    expect(after.state.status).toBe("success");
    expect(after.refund_summary).toMatchObject({ status: "full", amount_available: 0 });
    const types = (await eventsOf(payment.payment_id)).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(["payment.succeeded", "refund.submitted", "refund.succeeded"]),
    );

    // The chain's daily file lists the collection and its reversal (numbered by the chain, naming the
    // collection it returns): reconciliation matches both.
    const started = await stack.ops("/v1/ops/reconciliations", {
      json: { connector: "counter", business_date: vietnamBusinessDate(new Date()) },
    });
    expect(started.status).toBe(202);
    const { run_id } = (await started.json()) as { run_id: string };
    await eventually("the counter's reconciliation", async () => {
      const run = (await (await stack.ops(`/v1/ops/reconciliations/${run_id}`)).json()) as { status: string };
      return run.status === "completed" ? run : null;
    });
    const csv = await (await stack.ops(`/v1/ops/reconciliations/${run_id}/result.csv`)).text();
    const ours = csv.split("\r\n").filter((l) => l.includes(`,${id},`) || l.includes(`,${id}-R,`));
    expect(ours).toEqual([
      expect.stringMatching(new RegExp(`^D,COUNTER,[^,]+,PAYMENT,\\d+,${id},,.*,MATCHED$`)),
      expect.stringMatching(new RegExp(`^D,COUNTER,[^,]+,REVERSAL,\\d+,${id}-R,${id},.*,MATCHED$`)),
    ]);
    const discrepancies = (await (
      await stack.ops(`/v1/ops/reconciliations/${run_id}/discrepancies`)
    ).json()) as { discrepancies: { payment_id?: string }[] };
    expect(discrepancies.discrepancies.filter((d) => d.payment_id === payment.payment_id)).toEqual([]);
  });

  it("shows the code on PayGov's page when the citizen chooses the counter, and the chain's file lists the collection", async () => {
    const payment = await newPayment();
    const chosen = await citizen(stack).choose(payment._links.next_url.href, "counter");
    expect(chosen.status).toBe(303);
    const resource = await paymentOf(payment.payment_id);
    expect(resource.payment_instructions).toMatchObject({
      method: "counter",
      payment_code: payment.code,
      amount: payment.amount,
    });
    const page = await (await fetch(new URL(chosen.location, stack.apiUrl))).text();
    expect(page).toContain(formatPaymentCode(payment.code));

    const id = transactionId();
    const paid = await counter("pay", { reference: payment.code, transactionId: id });
    expect(paid.answer).toMatchObject({ kind: "confirmed", transactionId: id });
    const events = await eventsOf(payment.payment_id);
    // The collection lands on the attempt the citizen opened: one started, one succeeded.
    expect(events.map((e) => e.type)).toEqual(["payment.created", "payment.started", "payment.succeeded"]);

    const live = stack.connectors.live.get("counter")!;
    const file = await Effect.runPromise(live.connector.reconciliationFile!(vietnamBusinessDate(new Date())));
    expect(file).toContain(`,PAYMENT,${payment.code},${id},,${payment.amount},0,${payment.amount},VND,`);
  });
});
