import type { Initiation } from "../contract.ts";
import type { CapturedCallback, SimBehaviour } from "../simulator-kit.ts";

/** Where the conformance kit runs: PayGov's API and the sandbox simulators, with their environment. */
export interface DriverContext {
  readonly apiUrl: string;
  readonly sandboxUrl: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** An attempt PayGov opened at the intermediary, as the citizen's browser sees it. */
export interface OpenedAttempt {
  /** Where PayGov sent the browser (303 Location): the intermediary's page, or PayGov's own page for QR and codes. */
  readonly location: string;
  /** Our reference at the intermediary. */
  readonly reference: string;
  readonly amount: number;
  readonly initiation: Initiation;
}

export type PayOutcome = "success" | "failure" | "cancel";

/**
 * How the conformance kit plays the citizen and the tester against one connector's simulator.
 * Each connector ships one in its folder (conformance.ts); the scenarios are the same for all.
 */
export interface ConformanceDriver {
  readonly connector: string;
  /** "checkout": PayGov sends the citizen to the intermediary. "collection": the intermediary asks PayGov. */
  readonly shape: "checkout" | "collection";
  /** The connector's sandbox credentials, as environment variables (the simulator shares them). */
  readonly env: Readonly<Record<string, string>>;
  /** True when the protocol sends callbacks for failures too (ZaloPay calls back only on success). */
  readonly callsBackOnFailure: boolean;
  /** True when opening an attempt calls the intermediary's server (and so can fail or time out). */
  readonly initiatesByApi: boolean;
  /** The citizen pays (or fails, or cancels) at the intermediary; returns the browser's way back, if any. */
  pay(ctx: DriverContext, attempt: OpenedAttempt, outcome: PayOutcome): Promise<{ returnUrl: string | null }>;
  /** Sets the simulator's behaviour for one reference, or for all when reference is null. */
  behave(ctx: DriverContext, reference: string | null, behaviour: Partial<SimBehaviour>): Promise<void>;
  /** Back to normal behaviour everywhere. */
  reset(ctx: DriverContext): Promise<void>;
  /** The last server-to-server callback the simulator sent for a reference. */
  lastCallback(ctx: DriverContext, reference: string): Promise<CapturedCallback>;
  /** That callback with its amount and/or reference changed, signed again with the merchant's real key. */
  resign(
    ctx: DriverContext,
    callback: CapturedCallback,
    changes: { amount?: number; reference?: string },
  ): CapturedCallback;
  /** That callback with a signature that is not the merchant's. */
  forge(ctx: DriverContext, callback: CapturedCallback): CapturedCallback;
  /** For the collection shape: the simulator plays the counter and calls PayGov's agent API. */
  readonly collection?: CollectionDriver;
}

/** The counter's side of bill collection, each call going through the simulator to PayGov. */
export interface CollectionDriver {
  /** Looks a payment code up; returns what PayGov answered, in the protocol's terms mapped back. */
  lookup(
    ctx: DriverContext,
    paymentCode: string,
  ): Promise<{ found: boolean; amount: number | null; payable: boolean }>;
  /** Confirms cash taken at the counter; idempotent on the chain's transaction id. */
  confirm(
    ctx: DriverContext,
    paymentCode: string,
    transactionId: string,
    amount: number,
  ): Promise<{ accepted: boolean; duplicate: boolean }>;
  /** Reverses a confirmation before the cut-off. */
  reverse(ctx: DriverContext, paymentCode: string, transactionId: string): Promise<{ accepted: boolean }>;
}
