import { fileURLToPath } from "node:url";
import { Worker } from "@temporalio/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogueService, paymentRequestFor } from "../domain/fee-catalogue.ts";
import { paymentWorkflowId } from "../workflows/messages.ts";
import { citizen } from "./support/citizen.ts";
import { testInfra } from "./support/infra.ts";
import { eventually, type Stack, startStack } from "./support/stack.ts";

let stack: Stack;
const finishedPayments: string[] = [];

beforeAll(async () => {
  stack = await startStack({ infra: testInfra() });
});
afterAll(async () => {
  await stack?.stop();
});

const statusOf = async (id: string) =>
  ((await (await stack.api(`/v1/payments/${id}`)).json()) as { state: { status: string } }).state.status;

describe("durability", () => {
  it("completes a payment whose worker was down when the IPN arrived", async () => {
    const body = paymentRequestFor(catalogueService("svc-giay-phep-xay-dung"), {
      dossierCode: "000.00.99.H99-261203-D001",
      returnUrl: "http://127.0.0.1:8080/return",
    });
    const payment = (await (await stack.api("/v1/payments", { json: body })).json()) as {
      payment_id: string;
      _links: { next_url: { href: string } };
    };
    const chosen = await citizen(stack).choose(payment._links.next_url.href, "vnpay");
    expect(chosen.status).toBe(303);

    await stack.stopWorker();
    const { reference } = await citizen(stack).payAtVnpay(chosen.location, "success");
    // The IPN is acknowledged although no worker runs: the signal is durable in Temporal.
    const delivery = await eventually("the IPN's answer", async () => {
      const sims = (await (await fetch(`${stack.sandboxUrl}/vnpay/_sim/transactions`)).json()) as {
        transactions: { txnRef: string; ipnDeliveries: { rspCode: string | null }[] }[];
      };
      return sims.transactions.find((t) => t.txnRef === reference)?.ipnDeliveries[0];
    });
    expect(delivery.rspCode).toBe("00");
    expect(await statusOf(payment.payment_id)).toBe("started");

    await stack.startWorker();
    await eventually(
      "success after the restart",
      async () => (await statusOf(payment.payment_id)) === "success",
    );
    finishedPayments.push(payment.payment_id);
  });

  it("replays recorded payment histories deterministically with the current workflow code", async () => {
    const histories = [];
    for (const id of finishedPayments) {
      histories.push({
        workflowId: paymentWorkflowId(id),
        history: await stack.temporal.workflow.getHandle(paymentWorkflowId(id)).fetchHistory(),
      });
    }
    expect(histories.length).toBeGreaterThan(0);
    const results = Worker.runReplayHistories(
      { workflowsPath: fileURLToPath(new URL("../workflows/index.ts", import.meta.url)) },
      histories,
    );
    let replayed = 0;
    for await (const result of results) {
      expect(result.error).toBeUndefined();
      replayed++;
    }
    expect(replayed).toBe(histories.length);
  });
});
