import { createPublicKey, type JsonWebKey as NodeJwk, verify } from "node:crypto";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect, type Db } from "../db/client.ts";
import { issueReceipt } from "../db/receipts.ts";
import { receiptSeries, receiptYear } from "../domain/receipt.ts";
import { vietnamDateParts } from "../domain/vietnam-time.ts";
import { receiptSignerOf } from "../workers/platform.ts";
import { citizen } from "./support/citizen.ts";
import { testInfra } from "./support/infra.ts";
import { type CreatedPayment, createPayment, paidPayment, waitForStatus } from "./support/payments.ts";
import { type Stack, startStack } from "./support/stack.ts";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ infra: testInfra() });
});
afterAll(async () => {
  await stack?.stop();
});

interface PaymentWithLinks {
  payment_id: string;
  paid_date?: string;
  _links: { next_url?: { href: string }; receipt?: { href: string; method: string } };
}

const paymentOf = async (id: string) =>
  (await (await stack.api(`/v1/payments/${id}`)).json()) as PaymentWithLinks;

/** Runs `task` over `items`, at most `limit` at a time (the machine is shared; the dev server is one). */
const inBatches = async <T, R>(items: ReadonlyArray<T>, limit: number, task: (item: T) => Promise<R>) => {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
};

const text = (html: string, testId: string): string | null => {
  const m = new RegExp(`data-testid="${testId}"[^>]*>([^<]*)<`).exec(html);
  return m ? m[1]!.replace(/&#39;/g, "'").replace(/&amp;/g, "&") : null;
};

const seriesNumbers = async (series: string, year: number) =>
  (
    await stack.sql<{ number: number }[]>`
      select number from receipts where agency_id = 'sandbox' and series = ${series} and year = ${year}
      order by number`
  ).map((r) => r.number);

describe("e-receipts", () => {
  it("links a paid payment to a printable receipt that opens without a key and shows every §6.1 field", async () => {
    const payment = await paidPayment(stack, {
      serviceId: "svc-dang-ky-doanh-nghiep",
      lineIds: ["dkdn-le-phi", "dkdn-cong-bo"],
      extra: { payer: { name: "Trần Thị Bình", id_number: "001190000123" } },
    });
    const resource = await paymentOf(payment.payment_id);
    expect(resource._links.receipt?.method).toBe("GET");
    const href = resource._links.receipt!.href;
    expect(href.startsWith(`${stack.config.publicUrl}/receipts/`)).toBe(true);

    // No Authorization header: the citizen's browser opens it as it is.
    const response = await fetch(href);
    expect(response.status).toBe(200);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("script-src");
    expect(response.headers.get("cache-control")).toContain("no-store");
    const html = await response.text();

    const paidAt = new Date(resource.paid_date!);
    const year = receiptYear(paidAt);
    const series = receiptSeries(year, "AA");
    const [row] = await stack.sql<{ number: number }[]>`
      select number from receipts where payment_id = ${payment.payment_id}`;
    const d = vietnamDateParts(paidAt);

    expect(text(html, "title")).toBe("Biên lai thu phí, lệ phí");
    expect(text(html, "template")).toBe("EBL01");
    expect(text(html, "series")).toBe(series);
    expect(text(html, "number")).toBe(String(row!.number).padStart(7, "0"));
    expect(text(html, "issuer-name")).toBe("Đơn vị thử nghiệm PayGov (sandbox)");
    expect(text(html, "issuer-tax-id")).toBe("0000000000");
    expect(text(html, "payer")).toBe("Trần Thị Bình");
    expect(text(html, "payer-id")).toBe("001190000123");
    expect(text(html, "issue-date")).toBe(`Ngày ${d.dd} tháng ${d.MM} năm ${d.yyyy}`);
    expect([...html.matchAll(/data-testid="item-name">([^<]*)</g)].map((m) => m[1])).toEqual([
      "Lệ phí đăng ký doanh nghiệp",
      "Phí công bố nội dung đăng ký doanh nghiệp",
    ]);
    expect([...html.matchAll(/data-testid="item-kind">([^<]*)</g)].map((m) => m[1]?.trim())).toEqual([
      "Lệ phí",
      "Phí",
    ]);
    expect([...html.matchAll(/data-testid="item-amount">([^<]*)</g)].map((m) => m[1])).toEqual([
      "50.000",
      "100.000",
    ]);
    expect(text(html, "total")).toBe("150.000");
    expect(text(html, "total-words")).toBe("Một trăm năm mươi nghìn đồng");

    const css = await fetch(`${stack.apiUrl}/assets/receipt.css`);
    expect(css.status).toBe(200);
    expect(await css.text()).toContain("@media print");
  });

  it("prints in a real browser: no CSP violation, only the receipt on paper", async () => {
    const payment = await paidPayment(stack);
    const href = (await paymentOf(payment.payment_id))._links.receipt!.href;
    const browser = await chromium.launch({
      executablePath: inject("chromiumPath"),
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
      ],
    });
    try {
      const page = await browser.newPage({ locale: "vi-VN", timezoneId: "Asia/Ho_Chi_Minh" });
      const errors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(e.message));
      const opened = await page.goto(href);
      expect(opened?.status()).toBe(200);
      expect(await page.getByTestId("number").textContent()).toMatch(/^\d{7,8}$/);
      expect(await page.locator(".bar").isVisible()).toBe(true);
      // The stylesheet loaded under the CSP: the receipt's table has its ruled borders.
      expect(
        await page
          .locator("th")
          .first()
          .evaluate((e) => getComputedStyle(e).borderTopStyle),
      ).toBe("solid");
      await page.emulateMedia({ media: "print" });
      expect(await page.locator(".bar").isVisible()).toBe(false);
      expect(await page.locator(".hint").isVisible()).toBe(false);
      expect(await page.getByTestId("receipt").isVisible()).toBe(true);
      const pdf = await page.pdf({ format: "A4" });
      expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it("carries the collecting organisation's digital signature, checkable by anyone, and shows a changed record as such", async () => {
    const payment = await paidPayment(stack, {
      extra: { payer: { name: "Phạm Văn Cường", id_number: "036085001122" } },
    });
    const href = (await paymentOf(payment.payment_id))._links.receipt!.href;
    expect(await (await fetch(href)).text()).toMatch(/data-testid="signature" data-status="valid"/);

    // Outside PayGov: the published key, the signed content, the signature, and node:crypto alone.
    const keys = (await (await fetch(`${stack.apiUrl}/receipts/keys.json`)).json()) as {
      keys: (NodeJwk & { kid: string })[];
    };
    const signed = (await (await fetch(`${href}/signature`)).json()) as {
      status: string;
      signed_content: string;
      signature: { algorithm: string; key_id: string; value: string };
    };
    expect(signed.status).toBe("valid");
    expect(JSON.parse(signed.signed_content)).toMatchObject({
      payment_id: payment.payment_id,
      template_symbol: "EBL01",
      payer: { name: "Phạm Văn Cường", id_number: "036085001122" },
      total: 200_000,
    });
    const jwk = keys.keys.find((k) => k.kid === signed.signature.key_id)!;
    const publicKey = createPublicKey({ key: jwk, format: "jwk" });
    const check = (content: string) =>
      verify(null, Buffer.from(content, "utf8"), publicKey, Buffer.from(signed.signature.value, "base64url"));
    expect(check(signed.signed_content)).toBe(true);
    expect(check(signed.signed_content.replace('"total":200000', '"total":100000'))).toBe(false);

    // Someone changes the amount in the database: the receipt no longer checks, and says so.
    await stack.sql`update receipts set total = total - 100000 where payment_id = ${payment.payment_id}`;
    try {
      const page = await (await fetch(href)).text();
      expect(page).toMatch(/data-testid="signature" data-status="invalid"/);
      expect(page).toContain("KHÔNG hợp lệ");
      expect(((await (await fetch(`${href}/signature`)).json()) as { status: string }).status).toBe(
        "invalid",
      );
    } finally {
      await stack.sql`update receipts set total = total + 100000 where payment_id = ${payment.payment_id}`;
    }
    expect(await (await fetch(href)).text()).toMatch(/data-status="valid"/);
    expect((await fetch(`${stack.apiUrl}/receipts/not-a-token/signature`)).status).toBe(404);
  });

  it("answers 404 to an altered receipt link, and gives no link before the payment is paid", async () => {
    const paid = await paidPayment(stack);
    const href = (await paymentOf(paid.payment_id))._links.receipt!.href;
    const last = href.at(-1) === "A" ? "B" : "A";
    const altered = await fetch(href.slice(0, -1) + last);
    expect(altered.status).toBe(404);
    expect(await altered.text()).toContain("không hợp lệ");
    // Another payment's id under this MAC.
    const other = await createPayment(stack);
    const swapped = await fetch(href.replace(paid.payment_id, other.payment_id));
    expect(swapped.status).toBe(404);
    // The checkout link's token is not a receipt token, although both are MACs of the payment id.
    const checkoutToken = other._links.next_url.href.split("/pay/")[1]!;
    expect((await fetch(`${stack.apiUrl}/receipts/${checkoutToken}`)).status).toBe(404);

    expect((await paymentOf(other.payment_id))._links.receipt).toBeUndefined();
  });

  it("links the receipt from the citizen's result page", async () => {
    const payment = await paidPayment(stack);
    const receipt = new URL((await paymentOf(payment.payment_id))._links.receipt!.href);
    const result = await fetch(`${payment._links.next_url.href}/result`);
    expect(result.status).toBe(200);
    const html = await result.text();
    const link = /<a[^>]*href="([^"]+)"[^>]*data-testid="receipt"[^>]*>([^<]*)</.exec(html);
    expect(link?.[1]).toBe(receipt.pathname);
    expect(link?.[2]).toBe("Xem biên lai điện tử");
    expect((await fetch(new URL(link![1]!, stack.apiUrl))).status).toBe(200);
  });

  it("keeps numbers gap-free: a success that rolls back gives its number back", async () => {
    // Straight at the ledger, so that failures can be placed: 30 transactions at once, every third
    // failing after it took its number, as a success whose transaction breaks after issuing would.
    const sql: Db = connect(stack.config.databaseUrl, { max: 30 });
    try {
      const payments = await inBatches(Array.from({ length: 30 }), 6, () => createPayment(stack));
      const issuedAt = new Date();
      const year = receiptYear(issuedAt);
      const series = receiptSeries(year, "AA");
      const before = await seriesNumbers(series, year);
      const outcomes = await Promise.allSettled(
        payments.map((p, i) =>
          sql.begin(async (tx) => {
            await issueReceipt(tx, p.payment_id, issuedAt, receiptSignerOf(stack.config));
            if (i % 3 === 0) throw new Error("the success's transaction broke after issuing");
          }),
        ),
      );
      expect(outcomes.filter((o) => o.status === "rejected")).toHaveLength(10);
      const after = await seriesNumbers(series, year);
      expect(after).toEqual(Array.from({ length: before.length + 20 }, (_, i) => i + 1));
      const [counter] = await stack.sql<{ last_number: number }[]>`
        select last_number from receipt_counters where agency_id = 'sandbox' and series = ${series} and year = ${year}`;
      expect(counter?.last_number).toBe(after.length);
      // These receipts were issued outside any success; they go, and the counter with them, so the
      // series stays the successes' own for the next test.
      await stack.sql.begin(async (tx) => {
        await tx`delete from receipts where payment_id = any(${payments.map((p) => p.payment_id)}::text[])`;
        await tx`update receipt_counters set last_number = ${before.length}
                 where agency_id = 'sandbox' and series = ${series} and year = ${year}`;
      });
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it("numbers 50 payments that succeed at once 1..n with no gap and no duplicate", {
    timeout: 600_000,
  }, async () => {
    // 50 payments, each with a VNPay attempt open; then the simulator pays all 50 at once, so 50 IPNs
    // reach PayGov together and 50 success transactions compete for the series' counter.
    const payments = await inBatches(Array.from({ length: 50 }), 5, async () => {
      const p: CreatedPayment = await createPayment(stack);
      const chosen = await citizen(stack).choose(p._links.next_url.href, "vnpay");
      expect(chosen.status).toBe(303);
      return { id: p.payment_id, redirect: chosen.location };
    });
    await Promise.all(payments.map((p) => citizen(stack).payAtVnpay(p.redirect, "success")));
    await inBatches(payments, 10, (p) => waitForStatus(stack, p.id, "success", 240_000));

    const rows = await stack.sql<{ payment_id: string; series: string; year: number; number: number }[]>`
      select payment_id, series, year, number from receipts
      where payment_id = any(${payments.map((p) => p.id)}::text[]) order by number`;
    expect(rows).toHaveLength(50);
    // Every receipt of the sandbox's series, the earlier tests' included, is 1..N: nothing skipped.
    const series = new Set(rows.map((r) => `${r.series}/${r.year}`));
    for (const key of series) {
      const [s, y] = key.split("/");
      const all = await seriesNumbers(s!, Number(y));
      expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    }
    // The 50 took 50 consecutive numbers (this file's stack takes no other payment meanwhile).
    const numbers = rows.map((r) => r.number);
    expect(new Set(numbers).size).toBe(50);
    expect(numbers.at(-1)! - numbers[0]!).toBe(49);

    // And each payment's own link shows its own number.
    const numberOf = new Map(rows.map((r) => [r.payment_id, r.number]));
    await inBatches(payments, 10, async (p) => {
      const href = (await paymentOf(p.id))._links.receipt!.href;
      const html = await (await fetch(href)).text();
      expect(text(html, "number")).toBe(String(numberOf.get(p.id)).padStart(7, "0"));
    });
  });
});
