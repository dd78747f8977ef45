import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONNECTORS } from "../connectors/index.ts";
import { momoDriver } from "../connectors/momo/conformance.ts";
import type { DriverContext } from "../connectors/sdk/conformance/driver.ts";
import { templateDriver } from "../connectors/template/conformance.ts";
import { template } from "../connectors/template/index.ts";
import { catalogueService, paymentRequestFor } from "../domain/fee-catalogue.ts";
import { loadConnectorSet, processConnectorRuntime } from "../workers/platform.ts";
import { ConnectorKey } from "../workflows/search-attributes.ts";
import { citizen } from "./support/citizen.ts";
import { testInfra } from "./support/infra.ts";
import { createPayment, eventsOf, waitForStatus } from "./support/payments.ts";
import { eventually, type Stack, startStack } from "./support/stack.ts";

// The connector registry as the platform sees it: a definition added with one line is offered, paid
// through and searchable; a definition whose configuration is incomplete is left out, by name, without
// stopping PayGov. The template (connectors/template) stands in for a new connector: it is registered
// here exactly as a new one is in connectors/index.ts, by appending it to the list.

describe("a connector registered with one line ([...CONNECTORS, template])", () => {
  let stack: Stack;
  let ctx: DriverContext;

  beforeAll(async () => {
    stack = await startStack({
      infra: testInfra(),
      env: { ...templateDriver.env },
      connectors: [...CONNECTORS, template],
    });
    ctx = { apiUrl: stack.apiUrl, sandboxUrl: stack.sandboxUrl, env: stack.env };
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("is offered on the checkout page, takes a citizen's payment end to end, and tags the workflow", async () => {
    expect(stack.connectors.live.has("template")).toBe(true);
    const payment = await createPayment(stack);
    const page = await citizen(stack).checkoutPage(payment._links.next_url.href);
    expect(page.status).toBe(200);
    expect(page.html).toContain('data-testid="choose-template"');
    expect(page.html).toContain("Example Pay");

    const chosen = await citizen(stack).choose(payment._links.next_url.href, "template");
    expect(chosen.status).toBe(303);
    expect(chosen.location.startsWith(`${stack.sandboxUrl}/template/checkout?`)).toBe(true);
    const reference = new URL(chosen.location).searchParams.get("order_id") ?? "";
    expect(reference).toMatch(/^PG\d{6}[A-Z2-7]{10}$/);

    // The citizen pays at Example Pay (the template's own conformance driver plays them).
    const { returnUrl } = await templateDriver.pay(
      ctx,
      {
        location: chosen.location,
        reference,
        amount: payment.amount,
        initiation: { kind: "redirect", url: chosen.location },
      },
      "success",
    );
    await waitForStatus(stack, payment.payment_id, "success");
    const back = await fetch(returnUrl ?? "", { redirect: "manual" });
    expect(back.status).toBe(303);
    expect(back.headers.get("location")).toMatch(/\/pay\/[^/]+\/result/);

    const events = await eventsOf(stack, payment.payment_id);
    expect(events.find((e) => e.type === "payment.started")?.data.connector).toBe("template");
    expect(events.filter((e) => e.type === "payment.succeeded")).toMatchObject([
      { data: { connector: "template", source: "ipn" } },
    ]);

    // Operations find it in Temporal by the Connector search attribute: on the workflow itself...
    const workflowId = `payment-${payment.payment_id}`;
    const description = await stack.temporal.workflow.getHandle(workflowId).describe();
    expect(description.typedSearchAttributes.get(ConnectorKey)).toBe("template");
    // ...and through visibility, which is eventually consistent (and shared by every suite's stacks,
    // hence the PaymentId too).
    const found = await eventually("the workflow in a Connector=template visibility query", async () => {
      const ids: string[] = [];
      for await (const execution of stack.temporal.workflow.list({
        query: `Connector = "template" AND PaymentId = "${payment.payment_id}"`,
      }))
        ids.push(execution.workflowId);
      return ids.length > 0 ? ids : null;
    });
    expect(found).toEqual([workflowId]);
  });
});

describe("a connector missing a credential", () => {
  let stack: Stack;
  // MoMo's partner code and access key are set, its secret key is empty (the loader treats "" as
  // unset); the template has its merchant id but no TEMPLATE_SECRET at all.
  const env = {
    MOMO_PARTNER_CODE: momoDriver.env.MOMO_PARTNER_CODE,
    MOMO_ACCESS_KEY: momoDriver.env.MOMO_ACCESS_KEY,
    MOMO_SECRET_KEY: "",
    TEMPLATE_MERCHANT_ID: templateDriver.env.TEMPLATE_MERCHANT_ID,
  };

  beforeAll(async () => {
    stack = await startStack({ infra: testInfra(), env, connectors: [...CONNECTORS, template] });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("is disabled with a message naming the missing variable, and only that one", () => {
    const reasons = new Map(stack.connectors.disabled.map((d) => [d.id, d.reason]));
    expect(reasons.get("momo")).toContain("MOMO_SECRET_KEY");
    expect(reasons.get("momo")).not.toMatch(/MOMO_PARTNER_CODE|MOMO_ACCESS_KEY/);
    expect(reasons.get("template")).toContain("TEMPLATE_SECRET");
    expect(reasons.get("template")).not.toContain("TEMPLATE_MERCHANT_ID");
    expect(stack.connectors.live.has("momo")).toBe(false);
    expect(stack.connectors.live.has("template")).toBe(false);

    // What an operator reads on stderr at start-up names the variable too.
    const lines: string[] = [];
    loadConnectorSet(stack.env, processConnectorRuntime(stack.env), (line) => lines.push(line), [
      ...CONNECTORS,
      template,
    ]);
    expect(lines.find((l) => l.includes('"momo"'))).toContain("MOMO_SECRET_KEY");
    expect(lines.find((l) => l.includes('"template"'))).toContain("TEMPLATE_SECRET");

    // The secret is the only thing missing: with it, both load.
    const complete = loadConnectorSet(
      { ...stack.env, MOMO_SECRET_KEY: momoDriver.env.MOMO_SECRET_KEY, TEMPLATE_SECRET: "a-secret" },
      processConnectorRuntime(stack.env),
      () => {},
      [...CONNECTORS, template],
    );
    expect(complete.live.has("momo") && complete.live.has("template")).toBe(true);
  });

  it("leaves PayGov running: payments are taken, the checkout page offers only the live ones", async () => {
    expect(stack.connectors.live.has("vnpay")).toBe(true);
    const payment = await createPayment(stack);
    const page = await citizen(stack).checkoutPage(payment._links.next_url.href);
    expect(page.status).toBe(200);
    expect(page.html).toContain('data-testid="choose-vnpay"');
    expect(page.html).not.toContain('data-testid="choose-momo"');
    expect(page.html).not.toContain('data-testid="choose-template"');
    // Choosing it anyway (a stale page, a hand-made form) opens nothing: the page again, with a notice.
    const chosen = await citizen(stack).choose(payment._links.next_url.href, "template");
    expect(chosen.status).toBe(503);
  });

  it("refuses a payment that names it with 422 connector_unavailable", async () => {
    for (const connector of ["momo", "template"]) {
      const request = paymentRequestFor(catalogueService("svc-ho-chieu"), {
        dossierCode: `000.00.99.H99-261204-R${connector}`,
        returnUrl: "http://localhost:8080/ho-so/return",
      });
      const response = await stack.api("/v1/payments", { json: { ...request, connector } });
      expect(response.status).toBe(422);
      const body = (await response.json()) as { code: string; field: string; description: string };
      expect(body).toMatchObject({ code: "connector_unavailable", field: "connector" });
      expect(body.description).toContain(connector);
    }
  });
});
