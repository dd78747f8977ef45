import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogueService, paymentRequestFor } from "../domain/fee-catalogue.ts";
import { SIGNATURE_HEADER, verifyWebhookSignature } from "../domain/webhook-signature.ts";
import { citizen, vnpayBehaviour } from "./support/citizen.ts";
import { testInfra } from "./support/infra.ts";
import { eventually, type Stack, startStack } from "./support/stack.ts";
import { startWebhookReceiver } from "./support/webhook-receiver.ts";

let stack: Stack;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let dossier = 0;

const newPayment = async (serviceId = "svc-ho-chieu", extra: Record<string, unknown> = {}) => {
  dossier += 1;
  const body = {
    ...paymentRequestFor(catalogueService(serviceId), {
      dossierCode: `000.00.99.H99-261203-${String(dossier).padStart(4, "0")}`,
      returnUrl: "http://localhost:8080/ho-so/return",
    }),
    ...extra,
  };
  const response = await stack.api("/v1/payments", { json: body });
  expect(response.status).toBe(201);
  return (await response.json()) as {
    payment_id: string;
    amount: number;
    state: { status: string; finished: boolean };
    _links: { next_url: { href: string } };
  };
};

const statusOf = async (id: string) =>
  ((await (await stack.api(`/v1/payments/${id}`)).json()) as { state: { status: string; finished: boolean } })
    .state;

const eventsOf = async (id: string) =>
  (
    (await (await stack.api(`/v1/payments/${id}/events`)).json()) as {
      events: { id: string; type: string }[];
    }
  ).events;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startStack({ infra: testInfra(), webhookUrl: receiver.url });
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

describe("a portal's payment through VNPay", () => {
  it("goes end to end: checkout lists VNPay, the citizen pays, the IPN lands, the portal gets a signed webhook", async () => {
    const payment = await newPayment();
    expect(payment.state).toEqual({ status: "created", finished: false });
    expect(payment.amount).toBe(200_000);

    const page = await citizen(stack).checkoutPage(payment._links.next_url.href);
    expect(page.status).toBe(200);
    expect(page.html).toContain("VNPAY");
    expect(page.html).toContain("200.000");
    expect(page.html).toContain("Lệ phí cấp mới hộ chiếu");

    const chosen = await citizen(stack).choose(payment._links.next_url.href, "vnpay");
    expect(chosen.status).toBe(303);
    expect(chosen.location).toContain(`${stack.sandboxUrl}/vnpay/paymentv2/vpcpay.html?`);
    expect(new URL(chosen.location).searchParams.get("vnp_Amount")).toBe("20000000");
    expect((await statusOf(payment.payment_id)).status).toBe("started");

    await citizen(stack).payAtVnpay(chosen.location, "success");
    const state = await eventually("success", async () => {
      const s = await statusOf(payment.payment_id);
      return s.status === "success" ? s : null;
    });
    expect(state.finished).toBe(true);

    const webhook = await eventually("the succeeded webhook", async () =>
      receiver.received.find(
        (w) => w.json.type === "payment.succeeded" && w.json.resource.payment_id === payment.payment_id,
      ),
    );
    const header = String(webhook.headers[SIGNATURE_HEADER.toLowerCase()]);
    expect(
      verifyWebhookSignature([stack.webhookSecret], header, webhook.body, Math.floor(Date.now() / 1000)),
    ).toBe(true);
    expect(
      verifyWebhookSignature(["another-secret"], header, webhook.body, Math.floor(Date.now() / 1000)),
    ).toBe(false);
    expect((webhook.json.resource.state as { status: string }).status).toBe("success");

    const types = (await eventsOf(payment.payment_id)).map((e) => e.type);
    expect(types).toEqual(["payment.created", "payment.started", "payment.succeeded"]);
  });

  it("lets the citizen try again after a failed attempt, and records the second attempt's success", async () => {
    const payment = await newPayment("svc-lltp");
    const first = await citizen(stack).choose(payment._links.next_url.href, "vnpay");
    await citizen(stack).payAtVnpay(first.location, "failure");
    await eventually("failed", async () => (await statusOf(payment.payment_id)).status === "failed");
    expect(await statusOf(payment.payment_id)).toMatchObject({ status: "failed", finished: false });

    const page = await citizen(stack).checkoutPage(payment._links.next_url.href);
    expect(page.html).toContain('data-testid="notice"');
    // The result page says why, from VNPay's code table (51), so the citizen knows to use another account.
    const result = `${payment._links.next_url.href}/result`;
    expect(await (await fetch(result)).text()).toContain("Lý do: Tài khoản không đủ số dư");
    expect(await (await fetch(`${result}?lang=en`)).text()).toContain("Reason: Insufficient balance");

    const second = await citizen(stack).choose(payment._links.next_url.href, "vnpay");
    const firstRef = new URL(first.location).searchParams.get("vnp_TxnRef");
    const secondRef = new URL(second.location).searchParams.get("vnp_TxnRef");
    expect(secondRef).not.toBe(firstRef);
    await citizen(stack).payAtVnpay(second.location, "success");
    await eventually("success", async () => (await statusOf(payment.payment_id)).status === "success");
    const types = (await eventsOf(payment.payment_id)).map((e) => e.type);
    expect(types).toEqual([
      "payment.created",
      "payment.started",
      "payment.failed",
      "payment.started",
      "payment.succeeded",
    ]);
  });

  it("re-queries a payment whose IPN never came, and finds it paid", async () => {
    const payment = await newPayment();
    const chosen = await citizen(stack).choose(payment._links.next_url.href, "vnpay");
    const reference = new URL(chosen.location).searchParams.get("vnp_TxnRef")!;
    await vnpayBehaviour(stack, { reference, callback: "drop" });
    await citizen(stack).payAtVnpay(chosen.location, "success");
    const state = await eventually("success found by querydr", async () => {
      const s = await statusOf(payment.payment_id);
      return s.status === "success" ? s : null;
    });
    expect(state.finished).toBe(true);
    const succeeded = (await eventsOf(payment.payment_id)).find((e) => e.type === "payment.succeeded") as
      | { data: { source: string } }
      | undefined;
    expect(succeeded?.data.source).toBe("query");
  });

  it("expires a payment that was never paid, after asking the intermediary", async () => {
    const payment = await newPayment("svc-ho-chieu", { expires_in: 6 });
    await citizen(stack).choose(payment._links.next_url.href, "vnpay");
    const state = await eventually(
      "expired",
      async () => {
        const s = await statusOf(payment.payment_id);
        return s.status === "expired" ? s : null;
      },
      40_000,
    );
    expect(state).toMatchObject({ status: "expired", finished: true });
    const types = (await eventsOf(payment.payment_id)).map((e) => e.type);
    expect(types).toEqual(["payment.created", "payment.started", "payment.expired"]);
  });
});

describe("the sandbox's demo portal", () => {
  it("shows the outcome it reads from PayGov's API when the citizen comes back, never from the URL", async () => {
    const dossierCode = "000.00.99.H99-261204-DEMO1";
    const returnPage = `${stack.sandboxUrl}/demo-portal/return?ho_so=${dossierCode}`;
    const payment = await newPayment("svc-ho-chieu", { reference: dossierCode, return_url: returnPage });
    const before = await (await fetch(returnPage)).text();
    expect(before).toContain('data-status="created"');

    const chosen = await citizen(stack).choose(payment._links.next_url.href, "vnpay");
    await citizen(stack).payAtVnpay(chosen.location, "success");
    await eventually("success", async () => (await statusOf(payment.payment_id)).status === "success");
    const after = await (await fetch(returnPage)).text();
    expect(after).toContain('data-status="success"');
    expect(after).toContain("Đã nộp phí, lệ phí thành công");
    expect(after).toMatch(/href="[^"]*\/receipts\/[^"]+"/);

    // A dossier PayGov does not know shows no outcome at all.
    const forged = await (
      await fetch(`${stack.sandboxUrl}/demo-portal/return?ho_so=FORGED&status=success`)
    ).text();
    expect(forged).not.toContain('data-testid="portal-outcome"');
  });
});
