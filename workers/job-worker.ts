import type { AppConfig } from "../config/app-config.ts";
import { connect } from "../db/client.ts";
import { deliverWebhook } from "../webhooks/deliver.ts";
import { startBoss, WEBHOOK_QUEUE } from "../webhooks/queue.ts";

export interface JobWorkerHandle {
  stop(): Promise<void>;
}

/** Starts the pg-boss worker that delivers webhooks to portals. */
export const startJobWorker = async (
  config: AppConfig,
  fetchImpl: typeof globalThis.fetch = globalThis.fetch,
): Promise<JobWorkerHandle> => {
  const sql = connect(config.databaseUrl, { max: 5 });
  const boss = await startBoss(config.databaseUrl, "worker");
  const ctx = {
    sql,
    boss,
    fetch: fetchImpl,
    now: () => new Date(),
    retryScheduleMs: config.webhooks.retryScheduleMs,
    timeoutMs: config.webhooks.timeoutMs,
  };
  await boss.work<{ deliveryId: string }>(
    WEBHOOK_QUEUE,
    { batchSize: 10, pollingIntervalSeconds: 0.5 },
    async (jobs) => {
      await Promise.all(jobs.map((job) => deliverWebhook(ctx, job.data.deliveryId)));
    },
  );
  return {
    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000 });
      await sql.end({ timeout: 5 });
    },
  };
};
