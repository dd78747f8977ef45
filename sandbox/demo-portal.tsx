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

/**
 * A stand-in for a public-service portal, for `make dev`: it receives PayGov's webhooks (checking
 * their signatures as a real portal must) and is where the citizen lands after paying.
 */
export const demoPortal = (options: { webhookSecret: () => string | null; now: () => Date }) => {
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

  app.get("/return", (c) =>
    c.html(
      <html lang="vi">
        <head>
          <meta charset="utf-8" />
          <title>Cổng dịch vụ công thử nghiệm</title>
        </head>
        <body>
          <h1>Cổng dịch vụ công thử nghiệm</h1>
          <p>
            Bạn đã quay lại cổng dịch vụ công. Cổng đọc kết quả thanh toán từ PayGov qua API (không từ đường
            dẫn này). / You are back on the portal; it reads the outcome from PayGov's API, never from this
            URL.
          </p>
          <p>
            <a href="/demo-portal/">Webhook đã nhận</a>
          </p>
        </body>
      </html>,
    ),
  );

  return app;
};
