import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: { id: string; type: string; created_date: string; resource: Record<string, unknown> };
  readonly answeredWith: number;
}

/** A portal's webhook endpoint on 127.0.0.1, recording every request; it can fail the first N on purpose. */
export const startWebhookReceiver = async (options: { failFirst?: number } = {}) => {
  const received: ReceivedWebhook[] = [];
  let failuresLeft = options.failFirst ?? 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const status = failuresLeft > 0 ? 500 : 204;
      if (failuresLeft > 0) failuresLeft--;
      let json: ReceivedWebhook["json"];
      try {
        json = JSON.parse(body);
      } catch {
        json = { id: "", type: "", created_date: "", resource: {} };
      }
      received.push({ headers: req.headers, body, json, answeredWith: status });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    received,
    failNext(n: number) {
      failuresLeft = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
