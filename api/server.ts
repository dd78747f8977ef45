import { Client, Connection } from "@temporalio/client";
import type { AppConfig } from "../config/app-config.ts";
import type { ConnectorSet } from "../connectors/sdk/load.ts";
import { connect } from "../db/client.ts";
import { startBoss } from "../webhooks/queue.ts";
import { type HttpServerHandle, serveHttp } from "../workers/http.ts";
import { linkContext, receiptSignerOf } from "../workers/platform.ts";
import { createApp } from "./app.ts";
import { paymentTiming } from "./deps.ts";

export interface ApiHandle extends HttpServerHandle {
  readonly temporal: Client;
}

/**
 * Starts the HTTP API on 127.0.0.1:PORT (0 picks a free port, for tests); `hostname` widens that
 * where a container must be reached from outside itself (PAYGOV_LISTEN_HOST, workers/run.ts).
 */
export const startApi = async (
  config: AppConfig,
  connectors: ConnectorSet,
  port = config.port,
  hostname?: string,
): Promise<ApiHandle> => {
  const sql = connect(config.databaseUrl);
  const connection = await Connection.connect({ address: config.temporal.address });
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const boss = await startBoss(config.databaseUrl, "sender");
  const app = createApp({
    config,
    sql,
    temporal,
    connectors,
    links: linkContext(config),
    timing: paymentTiming(config),
    boss,
    now: () => new Date(),
    receiptSigner: receiptSignerOf(config),
  });
  const server = await serveHttp(app.fetch, port, hostname);
  return {
    ...server,
    temporal,
    async close() {
      await server.close();
      await connection.close();
      await boss.stop({ graceful: true, timeout: 5000 });
      await sql.end({ timeout: 5 });
    },
  };
};
