import { Hono } from "hono";
import { SIGNATURE_HEADER, verifyWebhookSignature } from "../domain/webhook-signature.ts";

interface Received {
  readonly at: Date;
  readonly verified: boolean;
  readonly body: {
    id?: string;
    type?: string;
    resource?: { payment_id?: string; reference?: string; state?: { status?: string } };
  };
}

interface PortalPayment {
  readonly reference: string;
  readonly amount: number;
  readonly state: { readonly status: string };
  readonly _links?: { readonly receipt?: { readonly href: string } };
}

const STATUS_TEXT: Record<string, string> = {
  success: "Đã nộp phí, lệ phí thành công / Paid",
  started: "Đang chờ kết quả thanh toán / Awaiting the payment's outcome",
  created: "Chưa thanh toán / Not paid yet",
  failed: "Thanh toán chưa thành công / Not completed",
  expired: "Đã hết hạn thanh toán / Expired",
  cancelled: "Đã huỷ / Cancelled",
  error: "Lỗi / Error",
};

const RETURN_CSS = `
body { font-family: system-ui, sans-serif; background: #f4f6f8; margin: 0; color: #1b1f24; }
main { max-width: 560px; margin: 40px auto; background: #fff; padding: 24px 28px; border-radius: 8px;
  box-shadow: 0 1px 3px rgba(0,0,0,.12); }
h1 { font-size: 1.3rem; color: #b3121b; }
.status { font-size: 1.2rem; font-weight: 700; }
.status.success { color: #1a7f37; }
.note { color: #57606a; font-size: .85rem; }
`;

/**
 * A stand-in for a public-service portal, for `make dev`: it receives PayGov's webhooks (checking
 * their signatures as a real portal must) and is where the citizen lands after paying.
 */
export const demoPortal = (options: {
  webhookSecret: () => string | null;
  now: () => Date;
  /** Where it reads PayGov's portal API, with the sandbox agency's key (absent: the page only says so). */
  paygov?: { url: string; apiKey: () => string | null; fetch: typeof globalThis.fetch };
}) => {
  const app = new Hono();
  const received: Received[] = [];

  app.post("/webhooks", async (c) => {
    const body = await c.req.text();
    const secret = options.webhookSecret();
    const verified =
      secret !== null &&
      verifyWebhookSignature(
        [secret],
        c.req.header(SIGNATURE_HEADER) ?? "",
        body,
        Math.floor(options.now().getTime() / 1000),
      );
    let parsed: Received["body"] = {};
    try {
      parsed = JSON.parse(body);
    } catch {
      // kept as empty: the page shows it as unreadable
    }
    received.unshift({ at: options.now(), verified, body: parsed });
    received.length = Math.min(received.length, 200);
    return verified ? c.body(null, 204) : c.json({ error: "bad signature" }, 400);
  });

  app.get("/", (c) =>
    c.html(
      <html lang="vi">
        <head>
          <meta charset="utf-8" />
          <title>Cổng dịch vụ công thử nghiệm</title>
        </head>
        <body>
          <h1>Cổng dịch vụ công thử nghiệm (demo portal)</h1>
          <p>Webhook PayGov đã nhận / Webhooks received from PayGov:</p>
          <table>
            <thead>
              <tr>
                <th>Thời gian</th>
                <th>Sự kiện</th>
                <th>Thanh toán</th>
                <th>Hồ sơ</th>
                <th>Trạng thái</th>
                <th>Chữ ký</th>
              </tr>
            </thead>
            <tbody>
              {received.map((r) => (
                <tr>
                  <td>{r.at.toISOString()}</td>
                  <td>{r.body.type ?? "?"}</td>
                  <td>{r.body.resource?.payment_id ?? ""}</td>
                  <td>{r.body.resource?.reference ?? ""}</td>
                  <td>{r.body.resource?.state?.status ?? ""}</td>
                  <td>{r.verified ? "hợp lệ" : "KHÔNG hợp lệ"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </body>
      </html>,
    ),
  );

  // Where the citizen lands after paying. Like a real portal it knows its own dossier code (in the
  // return_url it gave) and asks PayGov's API for the outcome: never the URL, which anyone can forge.
  app.get("/return", async (c) => {
    const dossier = c.req.query("ho_so") ?? null;
    const payment = dossier === null ? null : await latestPayment(dossier);
    return c.html(
      <html lang="vi">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>Cổng dịch vụ công thử nghiệm</title>
          <style>{RETURN_CSS}</style>
        </head>
        <body>
          <main>
            <h1>Cổng dịch vụ công thử nghiệm</h1>
            {payment === null ? (
              <p>
                Bạn đã quay lại cổng dịch vụ công. Cổng đọc kết quả thanh toán từ PayGov qua API (không từ
                đường dẫn này). / You are back on the portal; it reads the outcome from PayGov's API, never
                from this URL.
              </p>
            ) : (
              <section data-testid="portal-outcome" data-status={payment.state.status}>
                <p>
                  Hồ sơ / Dossier <strong>{payment.reference}</strong>
                </p>
                <p class={`status ${payment.state.status}`}>
                  {STATUS_TEXT[payment.state.status] ?? payment.state.status}
                </p>
                <p>Số tiền / Amount: {new Intl.NumberFormat("vi-VN").format(payment.amount)} ₫</p>
                {payment._links?.receipt ? (
                  <p>
                    <a href={payment._links.receipt.href}>Biên lai điện tử / E-receipt</a>
                  </p>
                ) : null}
                <p class="note">Theo API của PayGov / As PayGov's API reports it</p>
              </section>
            )}
            <p>
              <a href="/demo-portal/">Webhook đã nhận / Webhooks received</a>
            </p>
          </main>
        </body>
      </html>,
    );
  });

  /** The dossier's newest payment, as the portal API shows it; null when PayGov cannot be asked. */
  const latestPayment = async (dossier: string): Promise<PortalPayment | null> => {
    const key = options.paygov?.apiKey() ?? null;
    if (!options.paygov || key === null) return null;
    const url = `${options.paygov.url}/v1/payments?reference=${encodeURIComponent(dossier)}&page_size=1`;
    try {
      const response = await options.paygov.fetch(url, { headers: { authorization: `Bearer ${key}` } });
      if (!response.ok) return null;
      return ((await response.json()) as { results: PortalPayment[] }).results[0] ?? null;
    } catch {
      return null;
    }
  };

  return app;
};
