// The floor: a bare workflow of the same shape as a paid payment (workflows/bench-floor.ts), on its own
// bundle and task queue, in this process and on the same Temporal server.
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Client, Connection, WithStartWorkflowOperation } from "@temporalio/client";
import { bundleWorkflowCode, NativeConnection, Worker } from "@temporalio/worker";
import {
  type benchFloorWorkflow,
  type FloorActivities,
  floorDoneSignal,
  floorRecordedUpdate,
  floorStepUpdate,
} from "../../workflows/bench-floor.ts";
import { abortable, type Job } from "./pool.ts";
import { NAMESPACE } from "./services.ts";

export interface FloorUnderTest {
  readonly client: Client;
  readonly taskQueue: string;
  stop(): Promise<void>;
}

const quietBundler = {
  trace() {},
  debug() {},
  info() {},
  warn: console.warn,
  error: console.error,
  log() {},
};

/** Bundles the floor workflow alone and starts its worker with no-op activities. */
export const startFloor = async (temporalAddress: string): Promise<FloorUnderTest> => {
  const taskQueue = `paygov-bench-floor-${randomBytes(4).toString("hex")}`;
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL("../../workflows/bench-floor.ts", import.meta.url)),
    logger: quietBundler,
  });
  const activities: FloorActivities = { noop: async () => {} };
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  // Default worker options, as PayGov's worker uses them.
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: NAMESPACE,
    taskQueue,
    workflowBundle,
    activities,
    shutdownGraceTime: "10 seconds",
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: NAMESPACE });
  return {
    client,
    taskQueue,
    async stop() {
      if (worker.getState() === "RUNNING") worker.shutdown();
      await running.catch((error) => console.error(`the floor worker stopped with an error: ${error}`));
      await nativeConnection.close();
      await connection.close();
    },
  };
};

/** One floor workflow, driven like a payment: start + update, update, signal, completion seen. */
export const floorRun = (floor: FloorUnderTest, runId: string, activities: number): Job => {
  return async (index, signal) => {
    const workflowId = `bench-floor-${runId}-${index}`;
    const steps: Record<string, number> = {};
    let mark = performance.now();
    const t0 = mark;
    const step = (name: string) => {
      const now = performance.now();
      steps[name] = now - mark;
      mark = now;
    };
    await floor.client.withAbortSignal(signal, async () => {
      const start = new WithStartWorkflowOperation<typeof benchFloorWorkflow>("benchFloorWorkflow", {
        workflowId,
        taskQueue: floor.taskQueue,
        args: [{ activities }],
        workflowIdConflictPolicy: "USE_EXISTING",
      });
      await floor.client.workflow.executeUpdateWithStart(floorRecordedUpdate, {
        startWorkflowOperation: start,
      });
      step("start+update");
      const handle = floor.client.workflow.getHandle<typeof benchFloorWorkflow>(workflowId);
      await handle.executeUpdate(floorStepUpdate);
      step("update");
      await handle.signal(floorDoneSignal);
      step("signal");
      const ran = await abortable(signal, handle.result());
      if (ran !== activities)
        throw new Error(`floor workflow ${workflowId} ran ${ran} activities, not ${activities}`);
      step("until completion seen");
    });
    return { latencyMs: performance.now() - t0, steps, workflowId };
  };
};
