import { fileURLToPath } from "node:url";
import { Client } from "@temporalio/client";
import {
  bundleWorkflowCode,
  NativeConnection,
  Worker,
  type WorkflowBundleWithSourceMap,
} from "@temporalio/worker";
import { Layer, ManagedRuntime } from "effect";
import {
  createActivities,
  createInquiryActivities,
  createReconciliationActivities,
  createRefundActivities,
  createSettlementActivities,
} from "../activities/index.ts";
import { Connectors, Ledger } from "../activities/services.ts";
import type { AppConfig } from "../config/app-config.ts";
import type { ConnectorSet } from "../connectors/sdk/load.ts";
import { treasuryClientFor } from "../connectors/treasury/client.ts";
import { connect } from "../db/client.ts";
import { pgBossOutbox, startBoss } from "../webhooks/queue.ts";
import { linkContext, receiptSignerOf } from "./platform.ts";
import { inquiryStarter } from "./reconciliation.ts";
import { ensureSchedules } from "./schedules.ts";

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundles the workflows once per process (a prebuilt bundle is used when PAYGOV_WORKFLOW_BUNDLE is set). */
const workflowBundle = (): Promise<WorkflowBundleWithSourceMap> => {
  bundle ??= bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL("../workflows/index.ts", import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  return bundle;
};

export interface TemporalWorkerHandle {
  readonly worker: Worker;
  /** Stops polling, lets running tasks finish, closes the database and the connection. */
  stop(): Promise<void>;
}

/** Starts the Temporal worker that runs payment workflows and their activities. */
export const startTemporalWorker = async (
  config: AppConfig,
  connectors: ConnectorSet,
): Promise<TemporalWorkerHandle> => {
  const sql = connect(config.databaseUrl);
  const boss = await startBoss(config.databaseUrl, "sender");
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      Layer.succeed(Ledger, {
        sql,
        outbox: pgBossOutbox(boss),
        links: linkContext(config),
        now: () => new Date(),
        receiptSigner: receiptSignerOf(config),
      }),
      Layer.succeed(Connectors, connectors),
    ),
  );
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  // The worker's own client: the daily schedules, and the inquiries reconciliation opens.
  const client = new Client({ connection, namespace: config.temporal.namespace });
  // Payments must flow even when the schedules cannot be set up: say so loudly, and go on.
  await ensureSchedules(client, config, connectors).catch((err: unknown) =>
    console.error(`PayGov: the daily reconciliation and settlement schedules could not be set up: ${err}`),
  );
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: process.env.PAYGOV_WORKFLOW_BUNDLE
      ? { codePath: process.env.PAYGOV_WORKFLOW_BUNDLE }
      : await workflowBundle(),
    activities: {
      ...createActivities(runtime),
      ...createRefundActivities(runtime),
      ...createInquiryActivities(runtime),
      ...createReconciliationActivities(runtime, inquiryStarter(client, config.temporal.taskQueue), {
        slaMs: config.payments.inquirySlaMs,
        pollMs: Math.min(config.payments.requeryEveryMs, 5000),
      }),
      ...createSettlementActivities(runtime, treasuryClientFor(config.treasury)),
    },
    shutdownGraceTime: "10 seconds",
  });
  const running = worker.run();
  return {
    worker,
    async stop() {
      if (worker.getState() === "RUNNING") worker.shutdown();
      await running.catch((err) => console.error(`Temporal worker stopped with an error: ${err}`));
      await runtime.dispose();
      await boss.stop({ graceful: true, timeout: 5000 });
      await sql.end({ timeout: 5 });
      await connection.close();
    },
  };
};
