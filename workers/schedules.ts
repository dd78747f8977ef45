/**
 * The daily Temporal Schedules of a deployment: reconciliation per connector, then settlement. Each
 * fires in Vietnam's zone (the schedule's own, so the server's does not matter). Every worker creates
 * them as it starts, or brings them to its configuration: doing it twice changes nothing.
 */
import { type Client, ScheduleAlreadyRunning, type ScheduleOptions } from "@temporalio/client";
import type { AppConfig } from "../config/app-config.ts";
import type { ConnectorSet } from "../connectors/sdk/load.ts";
import { VIETNAM_TIME_ZONE } from "../domain/vietnam-time.ts";
import type { scheduledSettlementWorkflow } from "../workflows/settlement.ts";
import { settlementScheduleId } from "../workflows/settlement-messages.ts";
import { reconcilableConnectors, reconciliationSchedule } from "./reconciliation.ts";

/** Creates a schedule, or updates an existing one to these options. */
export const upsertSchedule = async (client: Client, options: ScheduleOptions): Promise<string> => {
  try {
    await client.schedule.create(options);
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(options.scheduleId).update((previous) => ({
      ...previous,
      spec: options.spec,
      action: options.action,
      policies: { ...previous.policies, ...options.policies },
    }));
  }
  return options.scheduleId;
};

/** The settlement of the day before, after that day's reconciliations (PAYGOV_SETTLEMENT_CUTOFF). */
const settlementSchedule = (config: AppConfig): ScheduleOptions => ({
  scheduleId: settlementScheduleId(config.temporal.taskQueue),
  spec: {
    calendars: [
      { ...config.settlement.cutoff, comment: "quyết toán: the Vietnam day before, at the cut-off" },
    ],
    timezone: VIETNAM_TIME_ZONE,
  },
  action: {
    type: "startWorkflow",
    workflowType: "scheduledSettlementWorkflow",
    workflowId: "settlement-scheduled",
    taskQueue: config.temporal.taskQueue,
    args: [{ pollEveryMs: config.treasury.pollEveryMs }] satisfies Parameters<
      typeof scheduledSettlementWorkflow
    >,
  },
  policies: { catchupWindow: "12 hours", overlap: "SKIP" },
});

/** Every daily schedule this deployment needs; returns their ids. */
export const ensureSchedules = async (
  client: Client,
  config: AppConfig,
  connectors: ConnectorSet,
): Promise<string[]> => {
  const ids: string[] = [];
  for (const connector of reconcilableConnectors(connectors)) {
    ids.push(await upsertSchedule(client, reconciliationSchedule(config, connector)));
  }
  ids.push(await upsertSchedule(client, settlementSchedule(config)));
  return ids;
};
