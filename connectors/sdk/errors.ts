import { Data } from "effect";

/** The intermediary refused the request for good: never retried. */
export class Declined extends Data.TaggedError("Declined")<{
  readonly message: string;
  readonly providerCode?: string;
}> {}

/** PayGov sent something the intermediary cannot accept (bad field, bad signature, unknown merchant): never retried. */
export class InvalidRequest extends Data.TaggedError("InvalidRequest")<{
  readonly message: string;
  readonly providerCode?: string;
}> {}

/** The intermediary could not be reached or answered 5xx before acting: safe to retry. */
export class Unavailable extends Data.TaggedError("Unavailable")<{
  readonly message: string;
}> {}

/** The request went out but no usable answer came back: re-query before any retry, never charge twice. */
export class OutcomeUnknown extends Data.TaggedError("OutcomeUnknown")<{
  readonly message: string;
}> {}

/** Every failure a connector method may report. */
export type ConnectorError = Declined | InvalidRequest | Unavailable | OutcomeUnknown;
