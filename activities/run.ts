import { ApplicationFailure } from "@temporalio/common";
import { Cause, type Effect, Exit, type ManagedRuntime } from "effect";
import type { ActivityServices } from "./services.ts";

/**
 * Whether a typed failure is worth retrying, by its tag: the one table that maps connector and
 * ledger errors onto Temporal's retry policy. Tags not listed here are retried.
 */
export const RETRYABLE: Readonly<Record<string, boolean>> = {
  Declined: false,
  InvalidRequest: false,
  // The request may have reached the intermediary: the workflow queries before trying again.
  OutcomeUnknown: false,
  Unavailable: true,
  PaymentNotFound: false,
  AttemptNotFound: false,
  ConnectorNotEnabled: false,
  RefundNotAvailable: false,
};

/** Runs an activity's Effect on the worker's runtime; typed failures become ApplicationFailures named by tag. */
export const makeRunner =
  (runtime: ManagedRuntime.ManagedRuntime<ActivityServices, never>) =>
  async <A, E extends { readonly _tag: string; readonly message?: string }>(
    program: Effect.Effect<A, E, ActivityServices>,
    signal?: AbortSignal,
  ): Promise<A> => {
    const exit = await runtime.runPromiseExit(program, signal ? { signal } : undefined);
    if (Exit.isSuccess(exit)) return exit.value;
    const failure = Cause.findErrorOption(exit.cause);
    if (failure._tag === "Some") {
      const error = failure.value;
      throw ApplicationFailure.create({
        type: error._tag,
        message: error.message ?? error._tag,
        nonRetryable: RETRYABLE[error._tag] === false,
      });
    }
    // Defects (a bug, the database down) stay plain errors and are retried.
    throw Cause.squash(exit.cause);
  };
