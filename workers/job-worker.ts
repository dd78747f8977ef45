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
    // A burst of payments queues webhooks faster than one poll a second drains them: fetch while full.
    // Retries are jobs with a start time in the future: NOTIFY wakes the worker when they are queued, not
    // when they fall due, so the backstop poll must be short for a retry to go out on time.
    {
      batchSize: 20,
      localConcurrency: 2,
      burstWhenBatchFull: true,
      pollingIntervalSeconds: 1,
      notifyPollingIntervalSeconds: 1,
    },
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
