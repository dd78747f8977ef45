// What a workflow's history holds: how much work Temporal did for one run (read after the measurement).
import type { Client } from "@temporalio/client";

/** Event kinds worth comparing, by the attribute field each history event carries. */
const KINDS = {
  events: null,
  "workflow tasks": "workflowTaskCompletedEventAttributes",
  activities: "activityTaskScheduledEventAttributes",
  updates: "workflowExecutionUpdateAcceptedEventAttributes",
  signals: "workflowExecutionSignaledEventAttributes",
  timers: "timerStartedEventAttributes",
  "search attribute upserts": "upsertWorkflowSearchAttributesEventAttributes",
} as const;

export type HistoryKind = keyof typeof KINDS;
export const HISTORY_KINDS = Object.keys(KINDS) as HistoryKind[];

/** Mean count of each kind over the workflows' histories (empty when none could be read). */
export const historyShape = async (
  client: Client,
  workflowIds: ReadonlyArray<string>,
): Promise<{ sampled: number; mean: Partial<Record<HistoryKind, number>> }> => {
  const totals: Record<string, number> = {};
  let sampled = 0;
  for (const id of workflowIds) {
    const history = await client.workflow
      .getHandle(id)
      .fetchHistory()
      .catch(() => null);
    if (history === null) continue;
    sampled += 1;
    for (const event of history.events ?? []) {
      for (const [kind, field] of Object.entries(KINDS)) {
        if (field === null || (event as Record<string, unknown>)[field] != null)
          totals[kind] = (totals[kind] ?? 0) + 1;
      }
    }
  }
  const mean: Partial<Record<HistoryKind, number>> = {};
  if (sampled > 0) for (const kind of HISTORY_KINDS) mean[kind] = (totals[kind] ?? 0) / sampled;
  return { sampled, mean };
};
