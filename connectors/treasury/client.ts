/**
 * PayGov's client of the State Treasury's interface: send a settlement's documents, ask for the credit
 * advices. Not a payment intermediary (it is not in connectors/index.ts): the treasury is where
 * settled money ends up. Configured by PAYGOV_TREASURY_URL (default the sandbox simulator) and the
 * shared secret PAYGOV_TREASURY_SECRET.
 *
 * Sending is idempotent on each document's reference number, so every failure — no answer, a 5xx, an
 * answer whose signature does not verify — is TreasuryUnavailable and simply retried.
 */
import { Data, Effect, Option, Redacted, Schema } from "effect";
import {
  AskCreditAdvices,
  type CreditAdvice,
  CreditAdvicesAnswer,
  type DocumentResult,
  REQUEST_SIGNATURE_HEADER,
  RESPONSE_SIGNATURE_HEADER,
  SubmitDocuments,
  SubmitDocumentsAnswer,
  signTreasuryBody,
  type TreasuryDocument,
  verifyTreasuryBody,
} from "./protocol.ts";

/** The treasury could not be reached, or gave no answer PayGov can trust: try again later. */
export class TreasuryUnavailable extends Data.TaggedError("TreasuryUnavailable")<{
  readonly message: string;
}> {}

export interface TreasuryConfig {
  /** The treasury interface's base URL (…/treasury for the sandbox). */
  readonly url: string;
  /** The shared HMAC secret; without it nothing can be sent (the run waits, retrying). */
  readonly secret: string | null;
  readonly timeoutMs: number;
}

export interface TreasuryClient {
  /** Sends documents; the treasury answers for each one, accepted or refused. */
  submitDocuments(
    documents: ReadonlyArray<TreasuryDocument>,
  ): Effect.Effect<ReadonlyArray<DocumentResult>, TreasuryUnavailable>;
  /** The credit advices issued so far for these reference numbers. */
  creditAdvices(
    references: ReadonlyArray<string>,
  ): Effect.Effect<ReadonlyArray<CreditAdvice>, TreasuryUnavailable>;
}

export const makeTreasuryClient = (
  config: TreasuryConfig,
  io: { readonly fetch: typeof globalThis.fetch; readonly now: () => Date } = {
    fetch: globalThis.fetch,
    now: () => new Date(),
  },
): TreasuryClient => {
  const post = <A>(path: string, body: string, answer: Schema.Codec<A, unknown>) =>
    Effect.gen(function* () {
      const secret = config.secret;
      if (secret === null)
        return yield* new TreasuryUnavailable({ message: "PAYGOV_TREASURY_SECRET is not set" });
      const seconds = () => Math.floor(io.now().getTime() / 1000);
      const response = yield* Effect.tryPromise({
        try: (interrupt) =>
          io.fetch(`${config.url}${path}`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              [REQUEST_SIGNATURE_HEADER]: signTreasuryBody(secret, body, seconds()),
            },
            body,
            signal: AbortSignal.any([interrupt, AbortSignal.timeout(config.timeoutMs)]),
          }),
        catch: (err) =>
          new TreasuryUnavailable({
            message: `the treasury could not be reached: ${err instanceof Error ? err.message : err}`,
          }),
      });
      const raw = yield* Effect.tryPromise({
        try: () => response.text(),
        catch: () => new TreasuryUnavailable({ message: "the treasury's answer was cut off" }),
      });
      if (!response.ok) {
        return yield* new TreasuryUnavailable({
          message: `the treasury answered HTTP ${response.status}: ${raw.slice(0, 200)}`,
        });
      }
      if (
        !verifyTreasuryBody(secret, response.headers.get(RESPONSE_SIGNATURE_HEADER) ?? "", raw, seconds())
      ) {
        return yield* new TreasuryUnavailable({
          message: "the treasury's answer is not signed with the shared secret",
        });
      }
      return yield* Schema.decodeUnknownEffect(Schema.fromJsonString(answer))(raw).pipe(
        Effect.mapError(
          (e) => new TreasuryUnavailable({ message: `the treasury's answer is malformed: ${e.message}` }),
        ),
      );
    });

  return {
    submitDocuments: (documents) =>
      post(
        "/documents",
        JSON.stringify(SubmitDocuments.make({ documents: [...documents] })),
        SubmitDocumentsAnswer,
      ).pipe(Effect.map((a) => a.results)),
    creditAdvices: (references) =>
      post(
        "/credit-advices",
        JSON.stringify(AskCreditAdvices.make({ references: [...references] })),
        CreditAdvicesAnswer,
      ).pipe(Effect.map((a) => a.advices)),
  };
};

/** How long PayGov waits for the treasury's answer before trying again. */
const TREASURY_TIMEOUT_MS = 20_000;

/** The client this deployment's configuration describes (PAYGOV_TREASURY_URL, PAYGOV_TREASURY_SECRET). */
export const treasuryClientFor = (config: {
  readonly url: string;
  readonly secret: Option.Option<Redacted.Redacted<string>>;
}): TreasuryClient =>
  makeTreasuryClient({
    url: config.url,
    secret: Option.match(config.secret, { onNone: () => null, onSome: Redacted.value }),
    timeoutMs: TREASURY_TIMEOUT_MS,
  });
