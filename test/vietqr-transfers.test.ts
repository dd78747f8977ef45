import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vietqrDriver } from "../connectors/vietqr/conformance.ts";
import { decodeVietqr, extractReference, notificationAnswer } from "../connectors/vietqr/protocol.ts";
import { catalogueService, paymentRequestFor } from "../domain/fee-catalogue.ts";
import { vietnamBusinessDate } from "../domain/vietnam-time.ts";
import { citizen } from "./support/citizen.ts";
import { testInfra } from "./support/infra.ts";
import { eventually, type Stack, startStack } from "./support/stack.ts";

// VietQR end to end: PayGov shows the QR, the simulated banking app transfers what the citizen typed
// (exact, short, over, or with a description of their own), the simulated bank notifies PayGov.

let stack: Stack;
let dossier = 0;

interface PaymentView {
  payment_id: string;
  amount: number;
  state: { status: string; finished: boolean; code?: string };
  payment_instructions?: {
    method: string;
    qr_payload: string;
    bank?: string;
    account?: string;
    description: string;
    amount: number;
  };
  _links: { next_url: { href: string } };
}

interface SimTransfer {
  transactionId: string;
  reference: string | null;
  deliveries: { status: number | null; body: string | null }[];
}

const newPayment = async (): Promise<PaymentView> => {
  dossier += 1;
  const body = paymentRequestFor(catalogueService("svc-ho-chieu"), {
    dossierCode: `000.00.99.H99-261204-Q${String(dossier).padStart(3, "0")}`,
    returnUrl: "http://localhost:8080/ho-so/return",
  });
  const response = await stack.api("/v1/payments", { json: body });
  expect(response.status).toBe(201);
  return (await response.json()) as PaymentView;
};

const paymentOf = async (id: string) => (await (await stack.api(`/v1/payments/${id}`)).json()) as PaymentView;

const eventsOf = async (id: string) =>
  (
    (await (await stack.api(`/v1/payments/${id}/events`)).json()) as {
      events: { type: string; data: Record<string, unknown> }[];
    }
  ).events;

const waitFor = (id: string, status: string) =>
  eventually(`payment ${id} to be ${status}`, async () => {
    const payment = await paymentOf(id);
    return payment.state.status === status ? payment : null;
  });

/** The citizen chooses VietQR; PayGov shows the QR on its own result page and to the portal. */
const openQr = async (payment: PaymentView) => {
  const chosen = await citizen(stack).choose(payment._links.next_url.href, "vietqr");
  expect(chosen.status).toBe(303);
  const instructions = (await paymentOf(payment.payment_id)).payment_instructions;
  if (instructions === undefined) throw new Error("a VietQR attempt must give payment_instructions");
  return { resultUrl: new URL(chosen.location, stack.apiUrl).href, instructions };
};

/** The simulated banking app transfers (POST /vietqr/_sim/transfer). */
const transfer = async (body: Record<string, unknown>): Promise<SimTransfer> => {
  const response = await fetch(`${stack.sandboxUrl}/vietqr/_sim/transfer`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { transfer: SimTransfer }).transfer;
};

/**
 * A digest of the ledger's rows (as the conformance harness takes it): equal means nothing written. The
 * stray transfer runs first, while no other payment's workflow (an automatic refund...) is still writing.
 */
const ledgerFingerprint = async () => {
  const rows = await stack.sql`
    select (select count(*) from payment_events) as events,
           (select string_agg(id || ':' || status || ':' || coalesce(provider_txn_id, ''), ',' order by id)
              from payment_attempts) as attempts,
           (select string_agg(id || ':' || status, ',' order by id) from payments) as payments`;
  return createHash("sha256").update(JSON.stringify(rows)).digest("hex");
};

beforeAll(async () => {
  stack = await startStack({ infra: testInfra(), env: { ...vietqrDriver.env } });
});

afterAll(async () => {
  await stack?.stop();
});

describe("a payment by VietQR transfer", () => {
  it("answers a transfer whose description carries no reference as not matched, writes nothing, and lists it in the statement", async () => {
    const payment = await newPayment();
    await openQr(payment);
    const before = await ledgerFingerprint();

    const stray = await transfer({ description: "CHUYEN TIEN LE PHI HO CHIEU", amount: payment.amount });
    expect(stray.reference).toBeNull();
    // One delivery: the bank stops retrying on PayGov's "not matched" answer.
    expect(stray.deliveries).toMatchObject([
      { status: 200, body: notificationAnswer("unknown_reference").body },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await ledgerFingerprint()).toBe(before);
    expect((await paymentOf(payment.payment_id)).state.status).toBe("started");

    // Such money is found in the bank's statement: a D row PayGov never issued a reference for.
    const day = vietnamBusinessDate(new Date()).replaceAll("-", "");
    const statement = await (await fetch(`${stack.sandboxUrl}/vietqr/recon?date=${day}`)).text();
    const row = statement.split("\r\n").find((line) => line.includes(`,${stray.transactionId},`));
    expect(row?.split(",").slice(3, 8)).toEqual([
      "PAYMENT",
      "",
      stray.transactionId,
      "",
      String(payment.amount),
    ]);
  });

  it("succeeds on an exact transfer: the QR, the page and the portal agree, one success is recorded", async () => {
    const payment = await newPayment();
    const { resultUrl, instructions } = await openQr(payment);
    expect(instructions).toMatchObject({
      method: "vietqr",
      bank: "Vietcombank",
      account: vietqrDriver.env.VIETQR_ACCOUNT_NO,
      amount: payment.amount,
    });
    expect(instructions.description).toMatch(/^PAYGOV PG\d{6}[A-Z2-7]{10}$/);
    expect(decodeVietqr(instructions.qr_payload)).toEqual({
      ok: true,
      value: {
        initiation: "dynamic",
        bankBin: vietqrDriver.env.VIETQR_BANK_BIN,
        accountNo: vietqrDriver.env.VIETQR_ACCOUNT_NO,
        service: "QRIBFTTA",
        amount: payment.amount,
        description: instructions.description,
      },
    });
    const page = await (await fetch(resultUrl)).text();
    expect(page).toContain('data-testid="qr"');
    expect(page).toContain(`data-testid="transfer-description">${instructions.description}`);
    // The deadline, and a way back to choose another intermediary while the QR waits.
    expect(page).toContain('data-testid="expires"');
    expect(page).toMatch(/data-testid="other-method"[^>]*>Chọn cách thanh toán khác</);
    expect(page).toContain(`href="${new URL(payment._links.next_url.href).pathname}?lang=vi"`);

    const scanned = await fetch(
      `${stack.sandboxUrl}/vietqr/app?qr=${encodeURIComponent(instructions.qr_payload)}`,
    );
    expect(scanned.status).toBe(200);
    const made = await transfer({ qr: instructions.qr_payload });
    expect(made.deliveries.at(-1)).toMatchObject({ status: 200, body: notificationAnswer("accepted").body });

    const paid = await waitFor(payment.payment_id, "success");
    expect(paid.state.finished).toBe(true);
    expect(paid.payment_instructions).toBeUndefined();
    const succeeded = (await eventsOf(payment.payment_id)).filter((e) => e.type === "payment.succeeded");
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]?.data).toMatchObject({ connector: "vietqr", provider_txn_id: made.transactionId });
    expect(succeeded[0]?.data.received_amount).toBeUndefined();
  });

  it("succeeds on a transfer typed in by hand at the bank's page, from the description PayGov's page shows", async () => {
    const payment = await newPayment();
    const { instructions } = await openQr(payment);
    const typed = (fields: Record<string, string>) =>
      fetch(`${stack.sandboxUrl}/vietqr/manual`, { method: "POST", body: new URLSearchParams(fields) });
    // A form the bank refuses reaches nobody.
    expect((await typed({ amount: "mười nghìn", description: instructions.description })).status).toBe(400);
    expect((await typed({ amount: String(payment.amount), description: "" })).status).toBe(400);
    expect((await paymentOf(payment.payment_id)).state.status).toBe("started");

    // As a citizen types it: the amount with thousands separators, the description in lower case.
    const amount = new Intl.NumberFormat("vi-VN").format(payment.amount);
    const receipt = await typed({ amount, description: instructions.description.toLowerCase() });
    expect(receipt.status).toBe(200);
    expect(await receipt.text()).toContain(instructions.description.toLowerCase());
    const paid = await waitFor(payment.payment_id, "success");
    expect(paid.state.finished).toBe(true);
  });

  it("fails the attempt on a short transfer (attempt_underpaid, the received amount recorded); the citizen may pay again", async () => {
    const payment = await newPayment();
    const { instructions } = await openQr(payment);
    const short = payment.amount - 50_000;
    await transfer({ qr: instructions.qr_payload, amount: short });

    const failed = await waitFor(payment.payment_id, "failed");
    expect(failed.state).toMatchObject({ status: "failed", finished: false, code: "attempt_underpaid" });
    const event = (await eventsOf(payment.payment_id)).find((e) => e.type === "payment.failed");
    expect(event?.data).toMatchObject({ received_amount: short, due_amount: payment.amount });

    const again = await openQr(payment);
    expect(extractReference(again.instructions.description)).not.toBe(
      extractReference(instructions.description),
    );
  });

  it("succeeds on a surplus transfer, with the received amount in payment.succeeded", async () => {
    const payment = await newPayment();
    const { instructions } = await openQr(payment);
    const over = payment.amount + 30_000;
    await transfer({ qr: instructions.qr_payload, amount: over });

    await waitFor(payment.payment_id, "success");
    const succeeded = (await eventsOf(payment.payment_id)).filter((e) => e.type === "payment.succeeded");
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]?.data).toMatchObject({ received_amount: over, due_amount: payment.amount });
  });

  it("records a second transfer to the same QR as a duplicate payment and returns it; its repeat changes nothing", async () => {
    const payment = await newPayment();
    const { instructions } = await openQr(payment);
    await transfer({ qr: instructions.qr_payload });
    await waitFor(payment.payment_id, "success");
    const second = await transfer({ qr: instructions.qr_payload });
    expect(second.deliveries.at(-1)).toMatchObject({
      status: 200,
      body: notificationAnswer("accepted").body,
    });

    const refund = await eventually("the second transfer's refund", async () => {
      const rows =
        await stack.sql`select * from refunds where payment_id = ${payment.payment_id} and status <> 'error'`;
      return rows[0];
    });
    expect(refund).toMatchObject({
      reason: "duplicate_payment",
      amount: payment.amount,
      counts_against_payment: false,
    });
    const events = await eventsOf(payment.payment_id);
    expect(events.filter((e) => e.type === "payment.succeeded")).toHaveLength(1);
    const duplicate = events.find((e) => e.type === "payment.duplicate_success");
    expect(duplicate?.data).toMatchObject({ provider_txn_id: second.transactionId, amount: payment.amount });
    // The kept payment's own money is untouched by the duplicate's refund.
    expect(
      ((await paymentOf(payment.payment_id)) as unknown as { refund_summary: unknown }).refund_summary,
    ).toEqual({
      status: "available",
      amount_available: payment.amount,
      amount_submitted: 0,
    });

    // The bank repeats its notification of the second transfer: nothing more is recorded.
    const resent = await fetch(`${stack.sandboxUrl}/vietqr/_sim/callbacks/${second.transactionId}/resend`, {
      method: "POST",
    });
    const before = (await eventsOf(payment.payment_id)).length;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(resent.status === 200 || resent.status === 404).toBe(true);
    expect((await eventsOf(payment.payment_id)).length).toBe(before);
    expect((await stack.sql`select id from refunds where payment_id = ${payment.payment_id}`).length).toBe(1);
  });
});
