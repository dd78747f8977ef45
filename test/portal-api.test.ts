import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../api/middleware/auth.ts";
import { upsertAgency } from "../db/agencies.ts";
import { catalogueService, paymentRequestFor } from "../domain/fee-catalogue.ts";
import { paymentWorkflowId } from "../workflows/messages.ts";
import { testInfra } from "./support/infra.ts";
import { type Stack, startStack } from "./support/stack.ts";

let stack: Stack;
let seq = 0;

const valid = (overrides: Record<string, unknown> = {}) => {
  seq += 1;
  return {
    ...paymentRequestFor(catalogueService("svc-lltp"), {
      dossierCode: `000.00.99.H99-261203-A${seq}`,
      returnUrl: "http://localhost:5173/ho-so/1/ket-qua",
      lineIds: ["lltp-phi", "lltp-phieu-them"],
    }),
    ...overrides,
  };
};

const paymentCount = async () => Number((await stack.sql`select count(*) as n from payments`)[0]!.n);

/** Posts a create request and returns status and body, checking that nothing was created. */
const rejected = async (body: unknown, init: { headers?: Record<string, string>; raw?: string } = {}) => {
  const before = await paymentCount();
  const response = await fetch(`${stack.apiUrl}/v1/payments`, {
    method: "POST",
    headers: { authorization: `Bearer ${stack.apiKey}`, "content-type": "application/json", ...init.headers },
    body: init.raw ?? JSON.stringify(body),
  });
  const json = (await response.json()) as { code: string; field?: string; description: string };
  expect(await paymentCount()).toBe(before);
  return { status: response.status, ...json };
};

beforeAll(async () => {
  stack = await startStack({ infra: testInfra() });
});
afterAll(async () => {
  await stack?.stop();
});

describe("POST /v1/payments", () => {
  it("creates a payment with its fee lines, budget codes, links and state", async () => {
    const response = await stack.api("/v1/payments", {
      json: valid({ metadata: { ma_ho_so_noi_bo: "HS-1" } }),
    });
    expect(response.status).toBe(201);
    const p = (await response.json()) as Record<string, any>;
    expect(p.payment_id).toMatch(/^[a-z2-7]{26}$/);
    expect(p.amount).toBe(205_000);
    expect(p.state).toEqual({ status: "created", finished: false });
    expect(p.refund_summary).toEqual({ status: "pending", amount_available: 0, amount_submitted: 0 });
    expect(p.lines).toHaveLength(2);
    // Budget codes the request left out come from the agency's defaults.
    expect(p.lines[0]).toMatchObject({
      kind: "fee",
      amount: 200_000,
      sub_item: "2764",
      treasury: "0011",
      account: "7111",
    });
    expect(p.metadata).toEqual({ ma_ho_so_noi_bo: "HS-1" });
    expect(p._links.next_url.href).toMatch(
      new RegExp(`^${stack.config.publicUrl}/pay/${p.payment_id}\\.[\\w-]{32}$`),
    );
    expect(new Date(p.expires_date).getTime() - new Date(p.created_date).getTime()).toBe(1800 * 1000);
    const read = (await (await stack.api(`/v1/payments/${p.payment_id}`)).json()) as Record<string, unknown>;
    expect(read).toEqual(p);
  });

  it.each([
    ["lines that do not add up to amount", { amount: 205_001 }, 422, "lines_total_mismatch", "lines"],
    ["a zero amount", { amount: 0 }, 422, "invalid_field", "amount"],
    ["a negative amount", { amount: -5000 }, 422, "invalid_field", "amount"],
    ["a fractional amount", { amount: 1000.5 }, 422, "invalid_field", "amount"],
    ["an amount given as text", { amount: "205000" }, 422, "invalid_field", "amount"],
    [
      "a line with a zero amount",
      { lines: [{ kind: "fee", name: "x", amount: 0, sub_item: "2764" }], amount: 0 },
      422,
      "invalid_field",
      "amount",
    ],
    ["no lines", { lines: [] }, 422, "invalid_field", "lines"],
    [
      "a line of an unknown kind",
      { lines: [{ kind: "tax", name: "x", amount: 205_000, sub_item: "2764" }] },
      422,
      "invalid_field",
      "lines.0.kind",
    ],
    [
      "a malformed budget sub-item",
      { lines: [{ kind: "fee", name: "x", amount: 205_000, sub_item: "27" }] },
      422,
      "invalid_field",
      "lines.0.sub_item",
    ],
    [
      "a return_url outside the agency's origins",
      { return_url: "https://evil.example/steal" },
      422,
      "return_url_not_allowed",
      "return_url",
    ],
    ["a return_url that is not a URL", { return_url: "not a url" }, 422, "invalid_field", "return_url"],
    ["an unknown connector", { connector: "bitcoin" }, 422, "connector_unavailable", "connector"],
    ["an expiry shorter than allowed", { expires_in: 1 }, 422, "invalid_field", "expires_in"],
    ["an unknown language", { language: "fr" }, 422, "invalid_field", "language"],
  ])("refuses %s", async (_what, overrides, status, code, field) => {
    const result = await rejected(valid(overrides));
    expect(result).toMatchObject({ status, code, field });
    expect(result.description.length).toBeGreaterThan(10);
  });

  it.each([["reference"], ["description"], ["return_url"], ["lines"], ["payer"], ["amount"]])(
    "refuses a request without %s",
    async (missing) => {
      const body = valid() as Record<string, unknown>;
      delete body[missing];
      expect(await rejected(body)).toMatchObject({ status: 422, code: "missing_field", field: missing });
    },
  );

  it("refuses a payer without a name", async () => {
    expect(await rejected(valid({ payer: { email: "a@b.vn" } }))).toMatchObject({
      status: 422,
      code: "missing_field",
      field: "payer.name",
    });
  });

  it("refuses a body that is not JSON", async () => {
    expect(await rejected(null, { raw: "{amount: 1" })).toMatchObject({
      status: 400,
      code: "malformed_json",
    });
  });

  it("refuses a missing or wrong API key", async () => {
    expect(await rejected(valid(), { headers: { authorization: "" } })).toMatchObject({
      status: 401,
      code: "unauthenticated",
    });
    expect(await rejected(valid(), { headers: { authorization: "Bearer pgv_wrong" } })).toMatchObject({
      status: 401,
      code: "unauthenticated",
    });
  });
});

describe("Idempotency-Key", () => {
  it("replays the original response for the same key and body, and refuses the key with another body", async () => {
    const body = valid();
    const first = await stack.api("/v1/payments", { json: body, idempotencyKey: "ho-so-A-lan-1" });
    expect(first.status).toBe(201);
    const created = (await first.json()) as { payment_id: string };
    const before = await paymentCount();

    // Same body with keys in another order and other whitespace: the same request.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const again = await stack.api("/v1/payments", { json: reordered, idempotencyKey: "ho-so-A-lan-1" });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(((await again.json()) as { payment_id: string }).payment_id).toBe(created.payment_id);

    const other = await rejected(
      { ...body, description: "another" },
      { headers: { "idempotency-key": "ho-so-A-lan-1" } },
    );
    expect(other).toMatchObject({ status: 409, code: "idempotency_key_reused", field: "Idempotency-Key" });
    expect(await paymentCount()).toBe(before);
  });

  it("refuses a malformed key", async () => {
    for (const key of ["has space", "x".repeat(256), "caf\u00e9"]) {
      expect(await rejected(valid(), { headers: { "idempotency-key": key } })).toMatchObject({
        status: 422,
        code: "idempotency_key_invalid",
      });
    }
  });

  it("creates one payment from concurrent requests with the same key", async () => {
    const body = valid();
    const before = await paymentCount();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        stack.api("/v1/payments", { json: body, idempotencyKey: "concurrent-1" }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    // The winner creates; the others see the key in progress (409) or replay it (201).
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(await paymentCount()).toBe(before + 1);
  });
});

describe("reading payments", () => {
  it("keeps each agency's payments to itself", async () => {
    const created = (await (await stack.api("/v1/payments", { json: valid() })).json()) as {
      payment_id: string;
    };
    await upsertAgency(stack.sql, {
      id: "other",
      code: "000.00.00.G12",
      name: "Another agency",
      apiKeyHash: hashApiKey("pgv_other_key"),
      webhookUrl: null,
      webhookSecret: null,
      returnOrigins: [],
      budgetDefaults: {},
    });
    const response = await fetch(`${stack.apiUrl}/v1/payments/${created.payment_id}`, {
      headers: { authorization: "Bearer pgv_other_key" },
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: "payment_not_found" });
    expect((await stack.api(`/v1/payments/nosuchpayment`)).status).toBe(404);
  });

  it("keeps the payer's personal data out of the workflow's history: the ledger has it, Temporal does not", async () => {
    const payer = {
      name: "Lê Thị Hồng Nhung",
      id_number: "079188001234",
      email: "nhung.le@example.vn",
      phone: "0987654321",
    };
    const response = await stack.api("/v1/payments", { json: valid({ payer }) });
    expect(response.status).toBe(201);
    const created = (await response.json()) as { payment_id: string; payer: typeof payer; reference: string };
    expect(created.payer).toEqual(payer);

    const history = await stack.temporal.workflow
      .getHandle(paymentWorkflowId(created.payment_id))
      .fetchHistory();
    // Every payload's bytes as text: what the Temporal server keeps and its UI shows.
    const text = JSON.stringify(history, (key, value) =>
      value instanceof Uint8Array
        ? Buffer.from(value).toString("utf8")
        : key === "data" && typeof value === "string"
          ? Buffer.from(value, "base64").toString("utf8")
          : value,
    );
    expect(text).toContain(created.reference);
    expect(text).toContain("payerSealed");
    for (const clear of [payer.name, payer.id_number, payer.email, payer.phone])
      expect(text).not.toContain(clear);
  });

  it("searches by reference and pages with a cursor", async () => {
    const ref = "000.00.99.H99-261203-SEARCH";
    for (let i = 0; i < 3; i++) await stack.api("/v1/payments", { json: { ...valid(), reference: ref } });
    const page1 = (await (await stack.api(`/v1/payments?reference=${ref}&page_size=2`)).json()) as any;
    expect(page1.count).toBe(2);
    const next = new URL(page1._links.next_page.href);
    const page2 = (await (await stack.api(`${next.pathname}${next.search}`)).json()) as any;
    expect(page2.count).toBe(1);
    const ids = [...page1.results, ...page2.results].map((p: any) => p.payment_id);
    expect(new Set(ids).size).toBe(3);
    expect((await stack.api("/v1/payments?page_size=0")).status).toBe(422);
  });

  it("serves an OpenAPI document generated from the validating schema", async () => {
    const doc = (await (await fetch(`${stack.apiUrl}/v1/openapi.json`)).json()) as any;
    expect(doc.openapi).toBe("3.1.0");
    const schema = doc.components.schemas.CreatePaymentRequest;
    expect(schema.required).toEqual(
      expect.arrayContaining(["amount", "reference", "lines", "payer", "return_url"]),
    );
    expect(schema.properties.amount).toMatchObject({ type: "integer", exclusiveMinimum: 0 });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/v1/payments", "/v1/payments/{id}/events"]),
    );
  });

  it("refuses a checkout link whose secret part was altered", async () => {
    const created = (await (await stack.api("/v1/payments", { json: valid() })).json()) as {
      _links: { next_url: { href: string } };
    };
    const href = created._links.next_url.href;
    const altered = `${href.slice(0, -1)}${href.endsWith("A") ? "B" : "A"}`;
    expect((await fetch(altered)).status).toBe(404);
    expect((await fetch(href)).status).toBe(200);
  });
});
