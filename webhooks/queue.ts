import { PgBoss } from "pg-boss";
import type { Outbox, Tx } from "../db/ledger.ts";

/** The pg-boss queue that carries webhook deliveries. */
export const WEBHOOK_QUEUE = "webhook-delivery";

/**
 * Starts pg-boss for sending only (no maintenance, no cron): the Temporal worker uses it to enqueue
 * deliveries inside ledger transactions; the job worker runs maintenance.
 */
export const startBoss = async (databaseUrl: string, role: "sender" | "worker"): Promise<PgBoss> => {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    max: role === "worker" ? 5 : 2,
    supervise: role === "worker",
    schedule: false,
    // Deliveries wake the worker through LISTEN/NOTIFY instead of waiting for its next poll.
    useListenNotify: role === "worker",
  });
  boss.on("error", (error) => console.error(`pg-boss: ${error.message}`));
  await boss.start();
  await boss.createQueue(WEBHOOK_QUEUE, { notify: true });
  return boss;
};

/** Lets pg-boss insert its job through one of our transactions. */
export const inTransaction = (tx: Tx) => ({
  executeSql: async (text: string, values?: unknown[]) => ({
    rows: await tx.unsafe(text, values as never[]),
  }),
});

/** The outbox of the ledger, on pg-boss: the job is inserted through the ledger's own transaction. */
export const pgBossOutbox = (boss: PgBoss): Outbox => ({
  async enqueueWebhook(tx: Tx, job) {
    await boss.send(WEBHOOK_QUEUE, job, { db: inTransaction(tx) });
  },
});
