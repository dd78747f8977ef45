import { Context } from "@temporalio/activity";
import type { ManagedRuntime } from "effect";
import * as payments from "./payments.ts";
import { makeRunner } from "./run.ts";
import type { ActivityServices } from "./services.ts";
import type { PaymentActivities } from "./types.ts";

// Activities receive Temporal's cancellation signal so a cancelled activity stops its HTTP calls too.
const cancellation = (): AbortSignal | undefined => {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
};

/** The activities the payment workflow calls, bound to one worker's runtime. */
export const createActivities = (
  runtime: ManagedRuntime.ManagedRuntime<ActivityServices, never>,
): PaymentActivities => {
  const run = makeRunner(runtime);
  return {
    recordPaymentCreated: (creation, eventId) => run(payments.recordPaymentCreated(creation, eventId)),
    openAttempt: (input) => run(payments.openAttempt(input), cancellation()),
    recordAttemptError: (attemptId, message) => run(payments.recordAttemptError(attemptId, message)),
    queryAttempt: (attemptId) => run(payments.queryAttempt(attemptId), cancellation()),
    recordAttemptFailed: (c, eventId, latest) => run(payments.recordAttemptFailed(c, eventId, latest)),
    recordPaymentSucceeded: (c, eventId) => run(payments.recordPaymentSucceeded(c, eventId)),
    recordPaymentExpired: (paymentId, attempts, eventId) =>
      run(payments.recordPaymentExpired(paymentId, attempts, eventId)),
    recordDuplicateSuccess: (c, eventId) => run(payments.recordDuplicateSuccess(c, eventId)),
    recordLateSuccess: (c, eventId) => run(payments.recordLateSuccess(c, eventId)),
  };
};
