import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";

export interface HttpServerHandle {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves a fetch handler on 127.0.0.1 (only: PayGov never listens beyond loopback by default). */
export const serveHttp = (
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>,
  port: number,
  hostname = "127.0.0.1",
): Promise<HttpServerHandle> =>
  new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname }, (info: AddressInfo) => {
      resolve({
        url: `http://${hostname}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once("error", reject);
  });
