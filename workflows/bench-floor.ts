// The benchmark's floor (scripts/bench.ts): a bare workflow with the shape of a paid payment and nothing
// else, so PayGov's figures can be read against what Temporal alone costs on the same server.
// Bundled on its own (its own workflowsPath and task queue): the product bundle (index.ts) never sees it.
import {
  allHandlersFinished,
  condition,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
} from "@temporalio/workflow";

/** The only side effect: does nothing, so every millisecond measured is Temporal's. */
export interface FloorActivities {
  noop(step: string): Promise<void>;
}

/** Like paymentRecordedUpdate: resolves once the first activity ran (sent with update-with-start). */
export const floorRecordedUpdate = defineUpdate<boolean>("floorRecorded");
/** Like chooseConnectorUpdate: runs one activity and returns. */
export const floorStepUpdate = defineUpdate<boolean>("floorStep");
/** Like the IPN's callbackSignal: the remaining activities run, then the workflow completes. */
export const floorDoneSignal = defineSignal("floorDone");

export interface FloorInput {
  /** Activities in all: one before the start's update returns, one in the update, the rest after the signal. */
  readonly activities: number;
}

// The same options as PayGov's ledger activities.
const { noop } = proxyActivities<FloorActivities>({
  startToCloseTimeout: "30 seconds",
  retry: { initialInterval: "1 second", maximumInterval: "1 minute", backoffCoefficient: 2 },
});

export async function benchFloorWorkflow(input: FloorInput): Promise<number> {
  let recorded = false;
  let signalled = false;
  let ran = 0;
  setHandler(floorRecordedUpdate, async () => {
    await condition(() => recorded);
    return true;
  });
  setHandler(floorStepUpdate, async () => {
    await noop("update");
    ran += 1;
    return true;
  });
  setHandler(floorDoneSignal, () => {
    signalled = true;
  });

  await noop("start");
  ran += 1;
  recorded = true;
  await condition(() => signalled);
  for (let i = 2; i < input.activities; i++) {
    await noop(`after-signal-${i}`);
    ran += 1;
  }
  await condition(allHandlersFinished);
  return ran;
}
