/**
 * The HTTP transport every connector shares: one request bounded by runtime.requestTimeoutMs, and
 * what each way of failing means for a retry (the ConnectorError kinds of errors.ts):
 *
 * - nothing was sent (refused, unresolvable or unreachable host, connect timeout) → Unavailable;
 * - an HTTP 5xx → Unavailable: the intermediary did not act;
 * - another non-2xx → InvalidRequest: it refused what PayGov sent;
 * - a timeout after sending, a reset, an answer cut off → OutcomeUnknown: it may have acted.
 *
 * What an answer's body says, and how a protocol words its refusals, stays in each connector.
 */
import { Effect } from "effect";
import type { ConnectorRuntime } from "./contract.ts";
import { type ConnectorError, InvalidRequest, OutcomeUnknown, Unavailable } from "./errors.ts";

/** Failures of the connection itself (Node's and undici's codes): the request never left PayGov. */
const NOT_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

const errorCode = (error: unknown): unknown =>
  error instanceof Error && error.cause instanceof Error
    ? (error.cause as { code?: unknown }).code
    : undefined;

/**
 * What a failed fetch to `party` (e.g. "VNPay") means. A timeout, a reset or anything unrecognised may
 * have happened after the intermediary read the request, so it is OutcomeUnknown (query before any
 * retry); only a failure to connect is Unavailable.
 */
export const classifyFetchError =
  (party: string) =>
  (error: unknown): ConnectorError => {
    if (error instanceof Error && error.name === "TimeoutError")
      return new OutcomeUnknown({ message: `${party} did not answer in time` });
    const code = errorCode(error);
    if (typeof code === "string" && NOT_SENT.has(code))
      return new Unavailable({ message: `${party} could not be reached (${code})` });
    return new OutcomeUnknown({ message: `the connection to ${party} failed after the request was sent` });
  };

/** classifyFetchError's words alone, for reads where every failure is Unavailable whatever happened. */
export const describeFetchError =
  (party: string) =>
  (error: unknown): string =>
    classifyFetchError(party)(error).message;

/**
 * Sends one request, abandoned after runtime.requestTimeoutMs or when the fiber is interrupted; a
 * fetch that fails is turned into a ConnectorError by `onError`.
 */
export const send = (
  runtime: ConnectorRuntime,
  url: URL,
  init: RequestInit,
  onError: (error: unknown) => ConnectorError,
): Effect.Effect<Response, ConnectorError> =>
  Effect.tryPromise({
    try: (interrupt) =>
      runtime.fetch(url, {
        ...init,
        signal: AbortSignal.any([interrupt, AbortSignal.timeout(runtime.requestTimeoutMs)]),
      }),
    catch: onError,
  });

/** Fails with `message` on an HTTP error status: 5xx is Unavailable, any other non-2xx InvalidRequest. */
export const refuseErrorStatus = (
  response: Response,
  message: string,
): Effect.Effect<void, ConnectorError> =>
  response.status >= 500
    ? Effect.fail(new Unavailable({ message }))
    : response.ok
      ? Effect.void
      : Effect.fail(new InvalidRequest({ message }));

/** The answer's body as text; a body that breaks off fails with `onCutOff`. */
export const readText = (
  response: Response,
  onCutOff: () => ConnectorError,
): Effect.Effect<string, ConnectorError> =>
  Effect.tryPromise({ try: () => response.text(), catch: onCutOff });

/**
 * One call to an intermediary's server API, the answer's text. Messages name the party and, when
 * given, what was asked: `queryDR: OnePay answered HTTP 503`. A fetch that fails is classified by
 * classifyFetchError unless `onFetchError` says otherwise.
 */
export const callApi = (
  runtime: ConnectorRuntime,
  url: URL,
  init: RequestInit,
  options: {
    readonly party: string;
    readonly what?: string;
    readonly onFetchError?: (error: unknown) => ConnectorError;
  },
): Effect.Effect<string, ConnectorError> =>
  Effect.gen(function* () {
    const { party } = options;
    const prefix = options.what === undefined ? "" : `${options.what}: `;
    const response = yield* send(runtime, url, init, options.onFetchError ?? classifyFetchError(party));
    yield* refuseErrorStatus(response, `${prefix}${party} answered HTTP ${response.status}`);
    return yield* readText(
      response,
      () => new OutcomeUnknown({ message: `${prefix}${party}'s answer was cut off` }),
    );
  });

/**
 * GETs a document such as a reconciliation file. Reading changes nothing at the intermediary, so
 * every failure is Unavailable (safe to retry): `unreachable` words a failed fetch, and the rest say
 * `<name>: HTTP 503` or `<name> was cut off`.
 */
export const fetchDocument = (
  runtime: ConnectorRuntime,
  url: URL,
  options: { readonly name: string; readonly unreachable: (error: unknown) => string },
): Effect.Effect<string, ConnectorError> =>
  Effect.gen(function* () {
    const { name } = options;
    const response = yield* send(
      runtime,
      url,
      {},
      (error) => new Unavailable({ message: options.unreachable(error) }),
    );
    yield* refuseErrorStatus(response, `${name}: HTTP ${response.status}`);
    return yield* readText(response, () => new Unavailable({ message: `${name} was cut off` }));
  });

/**
 * A reconciliation file's URL by default (DESIGN "Ops API and the reconciliation file"):
 * `<ID>_RECON_URL?date=yyyyMMdd` for a Vietnam business date given as yyyy-MM-dd.
 */
export const reconciliationFileUrl = (
  reconUrl: URL,
  businessDate: string,
): Effect.Effect<URL, InvalidRequest> => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(businessDate))
    return Effect.fail(new InvalidRequest({ message: "the business date must be yyyy-MM-dd" }));
  const url = new URL(reconUrl);
  url.searchParams.set("date", businessDate.replaceAll("-", ""));
  return Effect.succeed(url);
};
