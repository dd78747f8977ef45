/**
 * TEMPLATE CONNECTOR — index.ts: the connector's declaration and its transport.
 *
 * This file is the plugin PayGov loads: `defineConnector({...})` says who the intermediary is (display),
 * what it can do (capabilities), how it is configured (config), how to build a live connector from
 * that configuration (make), which origins the citizen's browser is sent to (browserOrigins) and which
 * simulator speaks its protocol in the sandbox (simulator). Registering it is one line in
 * connectors/index.ts (CONNECTORS) — this template is deliberately NOT registered: Example Pay is not a
 * real intermediary. Tests register it with `startStack({ connectors: [...CONNECTORS, template] })`.
 *
 * Transport only: every rule of the protocol is in protocol.ts, which decides; this file sends bytes,
 * reads bytes, and turns protocol.ts's decisions into the contract's Effects and typed errors
 * (connectors/sdk/errors.ts). The errors are what makes PayGov reliable, so learn their meaning:
 *   Declined       the intermediary refused for good                         never retried
 *   InvalidRequest PayGov sent something it cannot accept (bad field, key)   never retried
 *   Unavailable    nothing was done (could not connect, HTTP 5xx, "retry")   retried by Temporal
 *   OutcomeUnknown the request went out, no usable answer came back          not retried: the workflow
 *                                                                            queries first, so a payment
 *                                                                            or refund is never made twice
 * (activities/run.ts RETRYABLE is the one table that maps these tags onto Temporal's retry policy.)
 *
 * WHAT THE AUTHOR MUST REPLACE: the display (names, description, methods in Vietnamese and English, a
 * self-contained SVG logo), the capability flags (declare only what you implement: the platform and the
 * conformance kit read them), the id, and each method's body. Keep the shapes: one protocol.ts call per
 * decision, the shared HTTP transport (connectors/sdk/http.ts), runtime.fetch / runtime.now only (never
 * globalThis.fetch or new Date(): tests and the sandbox lend their own), and no I/O in verifyCallback.
 */
import { randomUUID } from "node:crypto";
import { Effect } from "effect";
import {
  type Attempt,
  type Connector,
  type ConnectorRuntime,
  defineConnector,
  type QueryResult,
  type RefundRequest,
  type RefundResult,
} from "../sdk/contract.ts";
import { type ConnectorError, Declined, InvalidRequest, OutcomeUnknown, Unavailable } from "../sdk/errors.ts";
import {
  classifyFetchError,
  describeFetchError,
  fetchDocument,
  readText,
  reconciliationFileUrl,
  refuseErrorStatus,
  send,
} from "../sdk/http.ts";
import {
  apiEndpoint,
  merchantOf,
  type TemplateConfig,
  templateConfig,
  templateSandboxCredentials,
} from "./config.ts";
import {
  buildCheckoutUrl,
  buildQueryRequest,
  buildRefundRequest,
  type Decision,
  EXAMPLEPAY_RESULT_CODES,
  ipnAnswer,
  isResultCode,
  readSignedAnswer,
  reconQuery,
  SIGNATURE_HEADER,
  type SignedJson,
  toQueryDecision,
  toRefundDecision,
  verifyIpn,
  verifyReturn,
} from "./protocol.ts";
import { templateSimulator } from "./simulator.tsx";

export type { TemplateConfig } from "./config.ts";

/** How error messages name the intermediary (ops read them in the Temporal UI and the logs). */
const PARTY = "Example Pay";

/**
 * One signed call to the server API (§2): the answer's body, its signature checked. HTTP-level failures
 * are classified by the shared transport; an answer that does not verify is OutcomeUnknown — Example
 * Pay may have acted, and the answer cannot tell us whether.
 */
const callSigned = (
  runtime: ConnectorRuntime,
  url: URL,
  request: SignedJson,
  secret: string,
  what: string,
): Effect.Effect<Record<string, unknown>, ConnectorError> =>
  Effect.gen(function* () {
    const response = yield* send(
      runtime,
      url,
      { method: "POST", headers: request.headers, body: request.body },
      classifyFetchError(PARTY),
    );
    yield* refuseErrorStatus(response, `${what}: ${PARTY} answered HTTP ${response.status}`);
    const body = yield* readText(
      response,
      () => new OutcomeUnknown({ message: `${what}: ${PARTY}'s answer was cut off` }),
    );
    const answer = readSignedAnswer(body, response.headers.get(SIGNATURE_HEADER), secret);
    if (!answer.ok) return yield* new OutcomeUnknown({ message: `${what}: ${answer.message}` });
    return answer.value;
  });

/** A protocol.ts decision as the contract's Effect: one error kind per decision kind, nothing else. */
const decided = <A>(decision: Decision<A>): Effect.Effect<A, ConnectorError> => {
  switch (decision.kind) {
    case "result":
      return Effect.succeed(decision.result);
    case "declined":
      return Effect.fail(new Declined({ message: decision.message, providerCode: decision.providerCode }));
    case "invalid":
      return Effect.fail(
        new InvalidRequest({ message: decision.message, providerCode: decision.providerCode }),
      );
    case "unavailable":
      return Effect.fail(new Unavailable({ message: decision.message }));
    case "unverifiable":
      return Effect.fail(new OutcomeUnknown({ message: decision.message }));
  }
};

/**
 * The methods this connector implements, typed as present (the contract's are optional). REPLACE to
 * match your capabilities: no `refundStatus` here because Example Pay's refund is idempotent and the
 * platform then asks by sending again (activities/refunds.ts); no `cancel` because Example Pay cannot
 * close an order early; no `collection` because this is the checkout shape.
 */
export interface TemplateConnector extends Connector {
  query(attempt: Attempt): Effect.Effect<QueryResult, ConnectorError>;
  refund(request: RefundRequest): Effect.Effect<RefundResult, ConnectorError>;
  reconciliationFile(businessDate: string): Effect.Effect<string, ConnectorError>;
}

export const makeTemplate = (config: TemplateConfig, runtime: ConnectorRuntime): TemplateConnector => {
  const merchant = merchantOf(config);

  return {
    // §3. A signed URL, built locally: nothing is sent to Example Pay, so this cannot time out and the
    // conformance driver says `initiatesByApi: false`. REPLACE for a protocol that creates the payment
    // by an API call (MoMo, ZaloPay): POST it with callSigned-like code, and map a timeout to
    // OutcomeUnknown — the workflow then never opens a second payment for the same attempt.
    initiate: (attempt) => {
      const url = buildCheckoutUrl(
        config.paymentUrl.href,
        {
          merchantId: merchant.merchantId,
          reference: attempt.reference,
          amount: attempt.amount,
          description: attempt.orderInfo,
          returnUrl: attempt.returnUrl,
          expiresAt: attempt.expiresAt,
          locale: attempt.locale,
        },
        merchant.secret,
      );
      return url.ok
        ? Effect.succeed({ kind: "redirect", url: url.value })
        : Effect.fail(new InvalidRequest({ message: url.message }));
    },

    // §4, §5. Pure: the platform calls this before it reads or writes anything, for both channels.
    // The IPN URL is the one the operator registered at Example Pay (PAYGOV_PUBLIC_URL +
    // /callbacks/template/ipn); a protocol that sends it per payment would use attempt.ipnUrl.
    verifyCallback: (request, channel) =>
      channel === "ipn" ? verifyIpn(request, merchant) : verifyReturn(request.query, merchant),

    acknowledge: ipnAnswer,

    // §6. Called when no callback came within PAYGOV_ATTEMPT_QUERY_AFTER, then every
    // PAYGOV_REQUERY_EVERY while the answer is pending or unknown, and before the payment expires.
    query: (attempt) =>
      Effect.gen(function* () {
        const request = buildQueryRequest(
          // A fresh request id per call: a query changes nothing, so each one is its own request.
          {
            reference: attempt.reference,
            requestId: randomUUID().replaceAll("-", ""),
            requestedAt: runtime.now(),
          },
          merchant,
        );
        const answer = yield* callSigned(
          runtime,
          apiEndpoint(config, "/v1/orders/query"),
          request,
          merchant.secret,
          "query",
        );
        return yield* decided(
          toQueryDecision(answer, {
            reference: attempt.reference,
            expiresAt: attempt.expiresAt,
            now: runtime.now(),
          }),
        );
      }),

    // §7. request.reference is fresh per refund and the same on every retry of it: sent as refund_id,
    // it makes a retry after a timeout harmless (Example Pay answers the first answer again).
    refund: (request) =>
      Effect.gen(function* () {
        if (request.amount > request.attempt.amount)
          return yield* new InvalidRequest({
            message: `cannot refund ${request.amount} VND of a ${request.attempt.amount} VND payment`,
          });
        const body = buildRefundRequest(
          {
            refundId: request.reference,
            reference: request.attempt.reference,
            amount: request.amount,
            reason: request.reason,
            requestedAt: runtime.now(),
          },
          merchant,
        );
        if (!body.ok) return yield* new InvalidRequest({ message: body.message });
        const answer = yield* callSigned(
          runtime,
          apiEndpoint(config, "/v1/refunds"),
          body.value,
          merchant.secret,
          "refund",
        );
        return yield* decided(toRefundDecision(answer, request.reference));
      }),

    // §8. The raw file; PayGov's reconciliation engine validates the canonical layout itself. Reading a
    // file changes nothing at Example Pay, so every failure to fetch it is Unavailable (retried).
    reconciliationFile: (businessDate) =>
      reconciliationFileUrl(config.reconUrl, businessDate).pipe(
        Effect.flatMap((url) => {
          url.search = reconQuery(url.searchParams.get("date") ?? "", merchant);
          return fetchDocument(runtime, url, {
            name: "the reconciliation file",
            unreachable: describeFetchError(PARTY),
          });
        }),
      ),
  };
};

// Self-contained (no external references: the checkout page's CSP forbids them), small, readable at
// 120×40. REPLACE with the intermediary's logo as the brand guidelines they sent you allow.
const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" role="img" aria-label="Example Pay">' +
  '<rect x="1" y="1" width="118" height="38" rx="8" fill="#fff" stroke="#5a3fc0" stroke-width="2"/>' +
  '<circle cx="20" cy="20" r="9" fill="#5a3fc0"/>' +
  '<text x="36" y="26" font-family="Arial, Helvetica, sans-serif" font-size="14" font-weight="700" fill="#5a3fc0">Example Pay</text>' +
  "</svg>";

/** Example Pay: a fictional redirect gateway, the template every new checkout connector starts from. */
export const template = defineConnector<TemplateConfig>({
  // The id is the URL segment (/callbacks/<id>/ipn, the sandbox's /<id>), the variables' prefix in
  // capitals, the Temporal search attribute Connector, and the ledger's connector column: choose it once.
  id: "template",
  // The result page tells the citizen why an attempt was declined, in these words (optional).
  describeCode: (code) => (isResultCode(code) ? EXAMPLEPAY_RESULT_CODES[code].text : null),
  display: {
    name: { vi: "Example Pay", en: "Example Pay" },
    description: {
      vi: "Cổng thanh toán mẫu (không có thật), khuôn cho connector mới",
      en: "A fictional payment gateway, the template for new connectors",
    },
    logoSvg: LOGO_SVG,
    methods: [
      { vi: "Thẻ ATM / tài khoản ngân hàng nội địa", en: "Domestic ATM card or bank account" },
      { vi: "Ví Example Pay", en: "Example Pay wallet" },
    ],
  },
  capabilities: {
    redirect: true,
    qr: false,
    billLookup: false,
    query: true,
    refund: true,
    // Sending the same refund again is Example Pay's status call (§7): the platform does that itself.
    refundStatus: false,
    reconciliationFile: true,
  },
  config: templateConfig,
  // What `make dev` sets when TEMPLATE_* are unset (a registered connector then works out of the box).
  sandboxCredentials: templateSandboxCredentials,
  make: makeTemplate,
  // The checkout page's CSP (form-action) allows only these origins to receive the citizen's browser.
  browserOrigins: (config) => [config.paymentUrl.origin],
  simulator: templateSimulator,
});
