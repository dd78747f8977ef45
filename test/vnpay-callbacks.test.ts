import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signQuery } from "../connectors/vnpay/protocol.ts";
import { catalogueService, paymentRequestFor } from "../domain/fee-catalogue.ts";
import { citizen, vnpayBehaviour } from "./support/citizen.ts";
import { testInfra } from "./support/infra.ts";
import { eventually, type Stack, startStack } from "./support/stack.ts";

let stack: Stack;
let n = 0;

beforeAll(async () => {
  stack = await startStack({ infra: testInfra() });
});
afterAll(async () => {
  await stack?.stop();
});

/** A started VNPay attempt paid at the simulator whose IPN was held back: we deliver it ourselves. */
const paidWithHeldIpn = async (outcome: "success" | "failure" = "success") => {
  n += 1;
  const body = paymentRequestFor(catalogueService("svc-lltp"), {
    dossierCode: `000.00.99.H99-261203-C${n}`,
    returnUrl: "http://127.0.0.1:9/return",
  });
  const payment = (await (await stack.api("/v1/payments", { json: body })).json()) as {
    payment_id: string;
    _links: { next_url: { href: string } };
  };
  const chosen = await citizen(stack).choose(payment._links.next_url.href, "vnpay");
  const reference = new URL(chosen.location).searchParams.get("vnp_TxnRef")!;
  await vnpayBehaviour(stack, { reference, callback: "drop" });
  const { returnUrl } = await citizen(stack).payAtVnpay(chosen.location, outcome);
  // The IPN carries the same signed parameter set as the browser return (intermediaries.md §1.4).
  const signed = new URL(returnUrl).searchParams;
  return { paymentId: payment.payment_id, reference, signed, returnUrl };
};

const ipn = async (params: URLSearchParams | string) => {
  const response = await fetch(`${stack.apiUrl}/callbacks/vnpay/ipn?${params.toString()}`);
  expect(response.status).toBe(200);
  return (await response.json()) as { RspCode: string; Message: string };
};

/** Re-signs VNPay parameters with the merchant's real secret after changing some of them. */
const resigned = (signed: URLSearchParams, changes: Record<string, string>) => {
  const params: Record<string, string> = {};
  for (const [k, v] of signed) if (k !== "vnp_SecureHash" && k !== "vnp_SecureHashType") params[k] = v;
  return signQuery({ ...params, ...changes }, stack.env.VNPAY_HASH_SECRET!);
};

const ledgerCounts = async () => {
  const [row] = await stack.sql`select (select count(*) from payment_events) as events,
                                       (select count(*) from payment_attempts where status <> 'open') as concluded`;
  return { events: Number(row!.events), concluded: Number(row!.concluded) };
};

const statusOf = async (id: string) =>
  ((await (await stack.api(`/v1/payments/${id}`)).json()) as { state: { status: string } }).state.status;

const succeededEvents = async (id: string) =>
  (await stack.sql`select id from payment_events where payment_id = ${id} and type = 'payment.succeeded'`)
    .length;

describe("VNPay IPN at /callbacks/vnpay/ipn", () => {
  it("answers 97 to a bad signature and writes nothing", async () => {
    const { signed, paymentId } = await paidWithHeldIpn();
    const before = await ledgerCounts();
    const forged = new URLSearchParams(signed);
    forged.set("vnp_SecureHash", "0".repeat(128));
    expect((await ipn(forged)).RspCode).toBe("97");
    const tampered = new URLSearchParams(signed);
    tampered.set("vnp_Amount", "100"); // changed after signing
    expect((await ipn(tampered)).RspCode).toBe("97");
    expect(await ledgerCounts()).toEqual(before);
    expect(await statusOf(paymentId)).toBe("started");
  });

  it("answers 04 to a signed IPN with another amount, and writes nothing", async () => {
    const { signed, paymentId } = await paidWithHeldIpn();
    const before = await ledgerCounts();
    expect((await ipn(resigned(signed, { vnp_Amount: "100000" }))).RspCode).toBe("04");
    expect(await ledgerCounts()).toEqual(before);
    expect(await statusOf(paymentId)).toBe("started");
  });

  it("answers 01 to a signed IPN for a reference PayGov never issued", async () => {
    const { signed } = await paidWithHeldIpn();
    const before = await ledgerCounts();
    expect((await ipn(resigned(signed, { vnp_TxnRef: "PG261203NOSUCHREF" }))).RspCode).toBe("01");
    expect(await ledgerCounts()).toEqual(before);
  });

  it("confirms the first IPN with 00, answers 02 to the same IPN again, and records one success", async () => {
    const { signed, paymentId } = await paidWithHeldIpn();
    expect((await ipn(signed)).RspCode).toBe("00");
    await eventually("success", async () => (await statusOf(paymentId)) === "success");
    expect((await ipn(signed)).RspCode).toBe("02");
    expect(await succeededEvents(paymentId)).toBe(1);
  });

  it("records one failure for a declined payment and answers 02 to its repeat", async () => {
    const { signed, paymentId } = await paidWithHeldIpn("failure");
    expect((await ipn(signed)).RspCode).toBe("00");
    await eventually("failed", async () => (await statusOf(paymentId)) === "failed");
    expect((await ipn(signed)).RspCode).toBe("02");
    const failed =
      await stack.sql`select id from payment_events where payment_id = ${paymentId} and type = 'payment.failed'`;
    expect(failed).toHaveLength(1);
  });

  it("reaches the same outcome whether the IPN comes before or after the browser return", async () => {
    // IPN first, then the citizen's browser returns.
    const a = await paidWithHeldIpn();
    expect((await ipn(a.signed)).RspCode).toBe("00");
    const returnA = await fetch(a.returnUrl.replace(/^.*\/callbacks/, `${stack.apiUrl}/callbacks`), {
      redirect: "manual",
    });
    expect(returnA.status).toBe(303);
    await eventually("a success", async () => (await statusOf(a.paymentId)) === "success");

    // The browser returns first, then the IPN arrives.
    const b = await paidWithHeldIpn();
    const returnB = await fetch(b.returnUrl.replace(/^.*\/callbacks/, `${stack.apiUrl}/callbacks`), {
      redirect: "manual",
    });
    expect(returnB.status).toBe(303);
    expect(returnB.headers.get("location")).toMatch(/^\/pay\/[^/]+\/result\?lang=vi$/);
    await eventually("b success", async () => (await statusOf(b.paymentId)) === "success");
    expect(["00", "02"]).toContain((await ipn(b.signed)).RspCode);

    expect(await succeededEvents(a.paymentId)).toBe(1);
    expect(await succeededEvents(b.paymentId)).toBe(1);
    const result = await fetch(`${stack.apiUrl}${returnB.headers.get("location")}`);
    expect(await result.text()).toContain('data-status="success"');
  });

  it("shows a forged browser return nothing from its query string", async () => {
    const { returnUrl, paymentId } = await paidWithHeldIpn();
    const forged = new URL(returnUrl.replace(/^.*\/callbacks/, `${stack.apiUrl}/callbacks`));
    forged.searchParams.set("vnp_SecureHash", "f".repeat(128));
    const response = await fetch(forged, { redirect: "manual" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/pay/unverified-return");
    expect(await statusOf(paymentId)).toBe("started");
  });
});
