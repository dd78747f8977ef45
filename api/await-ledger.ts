import { setTimeout as sleep } from "node:timers/promises";

/**
 * After signalling a workflow, reads the ledger until it shows the signal's effect or `ms` pass: an
 * operator then sees what they did (200) in the common case, and an honest "accepted, not yet recorded"
 * (202, the state as it was) when the workflow is slower. The signal is durable either way.
 */
export const awaitLedger = async <T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  ms = 5_000,
): Promise<{ value: T; done: boolean }> => {
  const deadline = Date.now() + ms;
  for (let wait = 25; ; wait = Math.min(wait * 2, 250)) {
    const value = await read();
    if (done(value)) return { value, done: true };
    if (Date.now() >= deadline) return { value, done: false };
    await sleep(wait);
  }
};
