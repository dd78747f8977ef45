// The citizen's side in a real headless Chromium (Debian's, through playwright-core): the checkout
// page, the VNPay simulator's page, the return through /callbacks/vnpay/return, PayGov's result page
// and the way back to the portal — clicking what a citizen clicks, in Vietnamese and in English, with
// the strict CSP enforced by the browser and watched for violations.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { catalogueService, paymentRequestFor } from "../domain/fee-catalogue.ts";
import { testInfra } from "./support/infra.ts";
import { type Stack, startStack } from "./support/stack.ts";

/** What the portal gets back from POST /v1/payments, as far as this suite reads it. */
interface CreatedPayment {
  readonly payment_id: string;
  readonly amount: number;
  readonly expires_date: string;
  readonly _links: { next_url: { href: string } };
}

/** What one browser context saw while the citizen clicked through. */
interface Seen {
  /** console.error lines and uncaught page errors. */
  readonly errors: string[];
  /** securitypolicyviolation events, reported from every document the context opened. */
  readonly violations: string[];
  /** Every main-frame navigation request, redirects included: "GET http://…". */
  readonly navigations: string[];
  /** The Content-Security-Policy of every PayGov page (200, HTML) that was shown. */
  readonly paygovPages: { url: string; csp: string | null }[];
  readonly pending: Promise<unknown>[];
}

// From the seed fee schedule: a lệ phí of 50.000 ₫ with a phí of 100.000 ₫, and one lệ phí of 200.000 ₫.
const BUSINESS = catalogueService("svc-dang-ky-doanh-nghiep");
const BUSINESS_LINES = ["dkdn-le-phi", "dkdn-cong-bo"];
const PASSPORT = catalogueService("svc-ho-chieu");
const AGENCY = "Đơn vị thử nghiệm PayGov (sandbox)";
const BRAND_RED = "rgb(179, 18, 27)";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

let stack: Stack;
let browser: Browser;
let portal: { server: Server; url: string; hits: string[] };
let screenshots: { dir: string; keep: boolean };
let dossier = 0;
const contexts: BrowserContext[] = [];

/** Intl puts no-break spaces in "150.000 ₫" and "VND 200,000"; a reader sees plain spaces. */
const plain = (text: string | null): string => (text ?? "").replace(/[\u00a0\u202f]/g, " ").trim();

/** A tiny public-service portal on 127.0.0.1: the return_url the citizen is sent back to. */
const startPortal = async () => {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? "");
    if (!req.url?.startsWith("/ho-so/")) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(
      `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Cổng dịch vụ công (thử nghiệm)</title>` +
        `<link rel="icon" href="data:,"></head><body><h1 data-testid="portal">Hồ sơ của bạn</h1></body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
};

/** POST /v1/payments as the sandbox portal, for some lines of a service, returning to our portal. */
const createPayment = async (
  service: ReturnType<typeof catalogueService>,
  lineIds: ReadonlyArray<string>,
  extra: Record<string, unknown> = {},
) => {
  dossier += 1;
  const dossierCode = `000.00.99.H99-261203-${String(9000 + dossier)}`;
  const returnUrl = `${portal.url}/ho-so/${dossierCode}/thanh-toan`;
  const body = { ...paymentRequestFor(service, { dossierCode, returnUrl, lineIds }), ...extra };
  const response = await stack.api("/v1/payments", { json: body });
  expect(response.status).toBe(201);
  const payment = (await response.json()) as CreatedPayment;
  return { payment, dossierCode, returnUrl, lines: service.lines.filter((l) => lineIds.includes(l.lineId)) };
};

const paymentState = async (id: string) =>
  ((await (await stack.api(`/v1/payments/${id}`)).json()) as { state: { status: string; finished: boolean } })
    .state;

const eventTypes = async (id: string) =>
  (
    (await (await stack.api(`/v1/payments/${id}/events`)).json()) as { events: { type: string }[] }
  ).events.map((e) => e.type);

/** A fresh browser context (the citizen's own profile) with its page and everything it will see. */
const newCitizen = async (): Promise<{ page: Page; seen: Seen }> => {
  const context = await browser.newContext({
    locale: "vi-VN",
    timezoneId: "Asia/Ho_Chi_Minh",
    viewport: { width: 1280, height: 900 },
  });
  contexts.push(context);
  const seen: Seen = { errors: [], violations: [], navigations: [], paygovPages: [], pending: [] };
  // Reported through a CDP binding, so the page's own CSP (no scripts at all) cannot silence it.
  await context.exposeBinding("__paygovCspViolation", (_source, violation: string) => {
    seen.violations.push(violation);
  });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const report = (window as unknown as { __paygovCspViolation(v: string): Promise<void> })
        .__paygovCspViolation;
      void report(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} on ${e.documentURI}`);
    });
  });
  // The simulator stands in for VNPay's own site, whose favicon is none of PayGov's business; without
  // this its 404 would be logged as a console error. PayGov's pages name their icon themselves.
  await context.route(`${stack.sandboxUrl}/favicon.ico`, (route) => route.fulfill({ status: 204 }));
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error")
      seen.errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => seen.errors.push(`pageerror: ${error.message}`));
  page.on("request", (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
      seen.navigations.push(`${request.method()} ${request.url()}`);
    }
  });
  page.on("response", (response) => {
    const request = response.request();
    if (
      !request.isNavigationRequest() ||
      !response.url().startsWith(stack.apiUrl) ||
      response.status() !== 200
    )
      return;
    seen.pending.push(
      response
        .headerValue("content-security-policy")
        .then((csp) => seen.paygovPages.push({ url: response.url(), csp })),
    );
  });
  return { page, seen };
};

/** The directives of a CSP header, each with its sources. */
const directives = (csp: string): Map<string, string[]> =>
  new Map(
    csp
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0] !== "")
      .map(([name, ...sources]) => [name!, sources]),
  );

/** PayGov's pages: no script can run, no inline style, forms post only to PayGov and the intermediary. */
const expectStrictCsp = (csp: string | null) => {
  expect(csp, "Content-Security-Policy header").toBeTruthy();
  const d = directives(csp!);
  expect(d.get("default-src")).toEqual(["'none'"]);
  expect(d.has("script-src") ? d.get("script-src") : ["'none'"]).toEqual(["'none'"]);
  expect(d.get("style-src")).toEqual(["'self'"]);
  expect(d.get("form-action")).toEqual(["'self'", new URL(stack.sandboxUrl).origin]);
  expect(d.get("frame-ancestors")).toEqual(["'none'"]);
  expect(d.get("base-uri")).toEqual(["'none'"]);
  expect(csp).not.toMatch(/unsafe-|'strict-dynamic'|nonce-|sha256-|\*/);
};

/** Nothing went wrong in the browser, and every PayGov page carried the strict CSP. */
const expectClean = async (seen: Seen, minimumPaygovPages: number) => {
  await Promise.all(seen.pending);
  expect(seen.errors).toEqual([]);
  expect(seen.violations).toEqual([]);
  expect(seen.paygovPages.length).toBeGreaterThanOrEqual(minimumPaygovPages);
  for (const shown of seen.paygovPages) expectStrictCsp(shown.csp);
};

/** A PayGov page as served: standards mode, no scripts, no inline styles, its one stylesheet applied. */
const expectPaygovPage = async (page: Page) => {
  expect(await page.evaluate(() => document.compatMode)).toBe("CSS1Compat");
  expect(await page.locator("script, style, [style]").count()).toBe(0);
  expect(await page.locator("header").evaluate((el) => getComputedStyle(el).backgroundColor)).toBe(BRAND_RED);
};

const screenshot = async (page: Page, name: string) => {
  const path = join(screenshots.dir, `${name}.png`);
  const png = await page.screenshot({ path, fullPage: true });
  expect(png.byteLength).toBeGreaterThan(10_000);
};

/** "HH:mm" and the date of an instant on Vietnam's clock (UTC+7, no daylight saving). */
const vietnamClock = (iso: string) => {
  const t = new Date(new Date(iso).getTime() + 7 * 3600_000);
  const two = (n: number) => String(n).padStart(2, "0");
  return {
    time: `${two(t.getUTCHours())}:${two(t.getUTCMinutes())}`,
    day: t.getUTCDate(),
    month: t.getUTCMonth() + 1,
    year: t.getUTCFullYear(),
    monthName: t.toLocaleString("en-GB", { month: "short", timeZone: "UTC" }),
  };
};

/** The result page once the ledger has an outcome (it refreshes itself every 3 s while processing). */
const settledResult = async (page: Page) => {
  const result = page.locator(
    '[data-testid="result"]:not([data-status="started"]):not([data-status="created"])',
  );
  await result.waitFor({ timeout: 60_000 });
  return result;
};

beforeAll(async () => {
  const keep = process.env.PAYGOV_SCREENSHOT_DIR;
  screenshots = keep
    ? { dir: keep, keep: true }
    : { dir: await mkdtemp(join(tmpdir(), "paygov-screens-")), keep: false };
  await mkdir(screenshots.dir, { recursive: true });
  portal = await startPortal();
  [stack, browser] = await Promise.all([
    startStack({ infra: testInfra() }),
    chromium.launch({ executablePath: inject("chromiumPath"), headless: true, args: CHROMIUM_ARGS }),
  ]);
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await new Promise((resolve) => portal?.server.close(resolve));
  if (screenshots && !screenshots.keep) await rm(screenshots.dir, { recursive: true, force: true });
});

describe("a citizen in a real browser", () => {
  it("pays a dossier's fees through VNPay in Vietnamese and is sent back to the portal", async () => {
    const { payment, dossierCode, returnUrl, lines } = await createPayment(BUSINESS, BUSINESS_LINES);
    expect(payment.amount).toBe(150_000);
    const { page, seen } = await newCitizen();

    // The checkout page.
    const opened = await page.goto(payment._links.next_url.href);
    expect(opened?.status()).toBe(200);
    expect(await page.locator("html").getAttribute("lang")).toBe("vi");
    expect(await page.title()).toBe("Thanh toán phí, lệ phí dịch vụ công · PayGov");
    expect(plain(await page.locator("h1").textContent())).toBe("Thanh toán phí, lệ phí dịch vụ công");
    expect(plain(await page.getByTestId("agency").textContent())).toBe(AGENCY);
    expect(plain(await page.getByTestId("dossier").textContent())).toBe(dossierCode);
    const rows = page.locator("table tbody tr");
    expect(await rows.count()).toBe(2);
    expect(plain(await rows.nth(0).textContent())).toContain(lines[0]!.name);
    expect(plain(await rows.nth(0).locator(".amount").textContent())).toBe("50.000 ₫");
    expect(plain(await rows.nth(0).locator("small").textContent())).toMatch(/^Lệ phí · tiểu mục \d{4}$/);
    expect(plain(await rows.nth(1).textContent())).toContain(lines[1]!.name);
    expect(plain(await rows.nth(1).locator(".amount").textContent())).toBe("100.000 ₫");
    expect(plain(await rows.nth(1).locator("small").textContent())).toMatch(/^Phí · tiểu mục \d{4}$/);
    expect(plain(await page.getByTestId("total").textContent())).toBe("150.000 ₫");
    const due = vietnamClock(payment.expires_date);
    expect(plain(await page.getByTestId("expires").textContent())).toMatch(
      new RegExp(`^${due.time} ngày 0?${due.day}/0?${due.month}/${due.year} \\(GMT\\+7\\)$`),
    );
    expect(await page.getByTestId("notice").count()).toBe(0);
    expect(plain(await page.getByTestId("choose-vnpay").textContent())).toContain("Thanh toán qua VNPAY");
    await expectPaygovPage(page);
    await screenshot(page, "checkout-vi");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "checkout-vi-mobile");
    await page.setViewportSize({ width: 1280, height: 900 });

    // The VNPay simulator's page.
    await page.getByTestId("choose-vnpay").click();
    await page.waitForURL(`${stack.sandboxUrl}/vnpay/paymentv2/vpcpay.html?**`);
    const atVnpay = new URL(page.url());
    expect(atVnpay.searchParams.get("vnp_Amount")).toBe("15000000");
    expect(atVnpay.searchParams.get("vnp_Locale")).toBe("vn");
    expect(await page.locator("html").getAttribute("lang")).toBe("vi");
    expect(plain(await page.getByTestId("sim-amount").textContent())).toBe("150.000 ₫");
    expect(plain(await page.getByTestId("sim-txnref").textContent())).toBe(
      atVnpay.searchParams.get("vnp_TxnRef"),
    );
    expect(plain(await page.getByTestId("sim-order-info").textContent())).toContain(dossierCode);
    expect((await paymentState(payment.payment_id)).status).toBe("started");

    // Pays; VNPay sends the browser back through PayGov's return callback to the result page.
    await page.getByTestId("sim-pay-00").click();
    await page.waitForURL(`${stack.apiUrl}/pay/*/result**`);
    const result = await settledResult(page);
    expect(await result.getAttribute("data-status")).toBe("success");
    const back = seen.navigations.findIndex((n) =>
      n.startsWith(`GET ${stack.apiUrl}/callbacks/vnpay/return?`),
    );
    expect(back, seen.navigations.join("\n")).toBeGreaterThan(0);
    const returned = new URL(seen.navigations[back]!.slice(4));
    expect(returned.searchParams.get("vnp_ResponseCode")).toBe("00");
    expect(returned.searchParams.get("vnp_SecureHash")).toMatch(/^[0-9a-f]{128}$/);
    expect(seen.navigations[back + 1]).toMatch(new RegExp(`^GET ${stack.apiUrl}/pay/[^/]+/result`));

    expect(await page.locator("html").getAttribute("lang")).toBe("vi");
    expect(plain(await result.locator("h1").textContent())).toBe("Thanh toán thành công");
    expect(plain(await result.getByTestId("total").textContent())).toBe("150.000 ₫");
    expect(plain(await result.textContent())).toContain(dossierCode);
    expect(plain(await result.textContent())).toContain("Thanh toán qua");
    expect(await page.getByTestId("try-again").count()).toBe(0);
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    await expectPaygovPage(page);
    await screenshot(page, "result-success-vi");

    // Back to the portal, at exactly the return_url: the outcome is never in it.
    await page.getByRole("link", { name: "Quay lại cổng dịch vụ công" }).click();
    await page.waitForURL(returnUrl);
    expect(page.url()).toBe(returnUrl);
    expect(plain(await page.getByTestId("portal").textContent())).toBe("Hồ sơ của bạn");
    expect(portal.hits).toContain(new URL(returnUrl).pathname);

    expect(await paymentState(payment.payment_id)).toMatchObject({ status: "success", finished: true });
    expect(await eventTypes(payment.payment_id)).toEqual([
      "payment.created",
      "payment.started",
      "payment.succeeded",
    ]);
    await expectClean(seen, 2);
  });

  it("shows the checkout page in English with ?lang=en, amounts as VND 200,000, and switches back", async () => {
    const { payment, dossierCode, lines } = await createPayment(PASSPORT, ["hc-cap-moi"]);
    const { page, seen } = await newCitizen();
    const url = new URL(payment._links.next_url.href);
    url.searchParams.set("lang", "en");

    expect((await page.goto(url.href))?.status()).toBe(200);
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    expect(await page.title()).toBe("Pay public-service fees and charges · PayGov");
    expect(plain(await page.locator("header").textContent())).toContain("PayGov public-service payments");
    expect(plain(await page.locator("dl").textContent())).toContain("Collecting agency");
    expect(plain(await page.getByTestId("agency").textContent())).toBe(AGENCY);
    expect(plain(await page.getByTestId("dossier").textContent())).toBe(dossierCode);
    expect(plain(await page.locator("table tbody tr").textContent())).toContain(lines[0]!.name);
    expect(plain(await page.locator("table tbody .amount").textContent())).toBe("VND 200,000");
    expect(plain(await page.getByTestId("total").textContent())).toBe("VND 200,000");
    expect(plain(await page.locator("tfoot").textContent())).toContain("Total");
    const due = vietnamClock(payment.expires_date);
    expect(plain(await page.getByTestId("expires").textContent())).toBe(
      `${due.day} ${due.monthName} ${due.year}, ${due.time} (GMT+7)`,
    );
    expect(plain(await page.getByTestId("choose-vnpay").textContent())).toContain("Pay with VNPAY");
    expect(plain(await page.locator("main").textContent())).not.toMatch(/Thanh toán|Tổng số tiền|₫/);
    await expectPaygovPage(page);
    await screenshot(page, "checkout-en");

    // The language link leads to the same payment in Vietnamese.
    await page.getByRole("link", { name: "Tiếng Việt" }).click();
    await page.waitForURL(/[?&]lang=vi\b/);
    expect(await page.locator("html").getAttribute("lang")).toBe("vi");
    expect(plain(await page.getByTestId("total").textContent())).toBe("200.000 ₫");

    // Nothing was chosen: the payment is untouched.
    expect((await paymentState(payment.payment_id)).status).toBe("created");

    // Chosen from the English page, VNPay is asked for its English page too.
    await page.goto(url.href);
    await page.getByTestId("choose-vnpay").click();
    await page.waitForURL(`${stack.sandboxUrl}/vnpay/paymentv2/vpcpay.html?**`);
    expect(new URL(page.url()).searchParams.get("vnp_Locale")).toBe("en");
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    expect(plain(await page.getByTestId("sim-amount").textContent())).toBe("₫200,000");
    await expectClean(seen, 3);
  });

  it("cancels at VNPay, sees the try-again state on the result page and the notice on the checkout page", async () => {
    const { payment, dossierCode, returnUrl } = await createPayment(PASSPORT, ["hc-cap-moi"]);
    const { page, seen } = await newCitizen();

    await page.goto(payment._links.next_url.href);
    await page.getByTestId("choose-vnpay").click();
    await page.waitForURL(`${stack.sandboxUrl}/vnpay/paymentv2/vpcpay.html?**`);
    const firstRef = new URL(page.url()).searchParams.get("vnp_TxnRef");
    await page.getByTestId("sim-pay-24").click();
    await page.waitForURL(`${stack.apiUrl}/pay/*/result**`);
    const result = await settledResult(page);
    expect(await result.getAttribute("data-status")).toBe("failed");
    expect(seen.navigations.some((n) => n.startsWith(`GET ${stack.apiUrl}/callbacks/vnpay/return?`))).toBe(
      true,
    );
    expect(plain(await result.locator("h1").textContent())).toBe("Giao dịch chưa thành công");
    expect(plain(await result.locator("p").first().textContent())).toBe(
      "Bạn đã huỷ giao dịch tại trung gian thanh toán, chưa có khoản tiền nào được ghi nhận. " +
        "Bạn có thể thử lại trước hạn thanh toán.",
    );
    const due = vietnamClock(payment.expires_date);
    expect(plain(await result.getByTestId("expires").textContent())).toContain(due.time);
    expect(plain(await result.textContent())).toContain(dossierCode);
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
    const back = page.getByTestId("back-to-portal");
    expect(await back.getAttribute("href")).toBe(returnUrl);
    expect(plain(await back.textContent())).toBe("Quay lại cổng dịch vụ công");
    await expectPaygovPage(page);
    await screenshot(page, "result-failed-vi");
    expect(await paymentState(payment.payment_id)).toMatchObject({
      status: "failed",
      finished: false,
      code: "attempt_cancelled",
    });

    // "Thử lại" leads back to the checkout page, which says what happened.
    await page.getByTestId("try-again").click();
    await page.waitForURL((u) => /^\/pay\/[^/]+$/.test(u.pathname));
    const notice = page.getByTestId("notice");
    expect(await notice.getAttribute("role")).toBe("alert");
    expect(plain(await notice.textContent())).toBe(
      "Bạn đã huỷ giao dịch tại trung gian thanh toán. Bạn có thể thử lại hoặc chọn trung gian khác.",
    );
    expect(plain(await page.getByTestId("choose-vnpay").textContent())).toContain("Thanh toán qua VNPAY");
    await screenshot(page, "checkout-after-cancel-vi");

    // And the citizen can indeed try again: a fresh VNPay reference.
    await page.getByTestId("choose-vnpay").click();
    await page.waitForURL(`${stack.sandboxUrl}/vnpay/paymentv2/vpcpay.html?**`);
    const secondRef = new URL(page.url()).searchParams.get("vnp_TxnRef");
    expect(secondRef).toBeTruthy();
    expect(secondRef).not.toBe(firstRef);

    expect(await eventTypes(payment.payment_id)).toEqual([
      "payment.created",
      "payment.started",
      "payment.failed",
      "payment.started",
    ]);
    await expectClean(seen, 3);
  });

  it("serves a CSP under which inline scripts and styles cannot run, and would see a violation", async () => {
    const { payment } = await createPayment(PASSPORT, ["hc-cap-moi"]);
    const { page, seen } = await newCitizen();
    const opened = await page.goto(payment._links.next_url.href);
    const headers = await opened!.allHeaders();
    const csp = headers["content-security-policy"] ?? null;
    expectStrictCsp(csp);
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("no-referrer");
    expect(headers["cache-control"]).toBe("no-store");

    // The watchers are live: the same policy on a page of PayGov's origin that tries inline code.
    const probe = `${stack.apiUrl}/__csp-probe`;
    await page.route(probe, (route) =>
      route.fulfill({
        status: 200,
        headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": csp! },
        body:
          `<!doctype html><html><head><title>probe</title><style>p{color:red}</style></head>` +
          `<body><p style="color:red">x</p><script>document.title = "ran"</script></body></html>`,
      }),
    );
    await page.goto(probe);
    expect(await page.title()).toBe("probe");
    await expect.poll(() => seen.violations.length).toBeGreaterThanOrEqual(3);
    expect(seen.violations.join("\n")).toMatch(/script-src-elem/);
    expect(seen.violations.join("\n")).toMatch(/style-src-elem/);
    expect(seen.violations.join("\n")).toMatch(/style-src-attr/);
    expect(seen.errors.some((e) => e.includes("Content Security Policy"))).toBe(true);
  });
});
