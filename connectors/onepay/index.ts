/**
 * The OnePay connector (domestic VPC gateway, §6): redirect to vpc.op, return/IPN verification,
 * queryDR, and the daily reconciliation file. Transport only; every rule of the protocol lives in
 * protocol.ts and query-dr.ts.
 */
import { Effect } from "effect";
import {
  type Attempt,
  type Connector,
  type ConnectorRuntime,
  defineConnector,
  type QueryResult,
} from "../sdk/contract.ts";
import { type ConnectorError, InvalidRequest, OutcomeUnknown, Unavailable } from "../sdk/errors.ts";
import { callApi, describeFetchError, reconciliationFileUrl } from "../sdk/http.ts";
import { merchantOf, type OnepayConfig, onepayConfig, onepaySandboxCredentials } from "./config.ts";
import {
  buildPaymentUrl,
  ipnResponse,
  isOnepayResponseCode,
  ONEPAY_RESPONSE_CODES,
  verifyCallbackRequest,
} from "./protocol.ts";
import { buildQueryDrRequest, toQueryDecision } from "./query-dr.ts";
import { onepaySimulator } from "./simulator.tsx";

export type { OnepayConfig } from "./config.ts";

/** The OnePay connector; every optional operation it offers is declared here. */
export interface OnepayConnector extends Connector {
  query(attempt: Attempt): Effect.Effect<QueryResult, ConnectorError>;
  /** The raw canonical file for a Vietnam business date (yyyy-MM-dd), as ONEPAY_RECON_URL serves it. */
  reconciliationFile(businessDate: string): Effect.Effect<string, ConnectorError>;
}

export const makeOnepay = (config: OnepayConfig, runtime: ConnectorRuntime): OnepayConnector => {
  const merchant = merchantOf(config);
  return {
    // Pure URL building: nothing is created at OnePay until the citizen's browser opens the link.
    initiate: (attempt) => {
      const url = buildPaymentUrl(
        config.paymentUrl.href,
        {
          reference: attempt.reference,
          amount: attempt.amount,
          dossierCode: attempt.dossierCode,
          locale: attempt.locale,
          returnUrl: attempt.returnUrl,
          // A per-payment IPN URL is reported but not confirmed (§6.2 [U]); OnePay falls back to the URL
          // registered for the merchant, which must be this same one.
          callbackUrl: attempt.ipnUrl,
          clientIp: attempt.clientIp,
        },
        merchant,
      );
      return url.ok
        ? Effect.succeed({ kind: "redirect", url: url.value })
        : Effect.fail(new InvalidRequest({ message: url.message }));
    },

    verifyCallback: (request) => verifyCallbackRequest(request, merchant),

    acknowledge: ipnResponse,

    query: (attempt) =>
      Effect.gen(function* () {
        // A form body, not a query string: the password must not end up in access logs.
        const body = new URLSearchParams(buildQueryDrRequest(attempt.reference, merchant)).toString();
        const answer = yield* callApi(
          runtime,
          config.apiUrl,
          { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body },
          { party: "OnePay", what: "queryDR" },
        );
        const decision = toQueryDecision(answer, {
          merchant,
          reference: attempt.reference,
          expiresAt: attempt.expiresAt,
          now: runtime.now(),
        });
        if (decision.kind === "result") return decision.result;
        // No usable answer came back: exactly OutcomeUnknown's meaning, and loud enough for ops to see a
        // wrong key or password, where a quiet "unknown" result would hide it.
        return yield* new OutcomeUnknown({ message: decision.message });
      }),

    reconciliationFile: (businessDate) =>
      reconciliationFileUrl(config.reconUrl, businessDate).pipe(
        Effect.flatMap((url) => {
          // OnePay's delivery of the file is not public (§11 [U]): the merchant's API user authenticates.
          const credentials = Buffer.from(`${merchant.user}:${merchant.password}`).toString("base64");
          return callApi(
            runtime,
            url,
            { headers: { authorization: `Basic ${credentials}` } },
            {
              party: "OnePay",
              what: "the reconciliation file",
              // Reading a file changes nothing at OnePay: a failed fetch is safe to retry.
              onFetchError: (error) => new Unavailable({ message: describeFetchError("OnePay")(error) }),
            },
          );
        }),
      ),
  };
};

const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" role="img" aria-label="OnePay">' +
  '<rect x="1" y="1" width="118" height="38" rx="8" fill="#fff" stroke="#0a4da2" stroke-width="2"/>' +
  '<circle cx="20" cy="20" r="10" fill="none" stroke="#f7941d" stroke-width="4"/>' +
  '<text x="36" y="27" font-family="Arial, Helvetica, sans-serif" font-size="16" font-weight="700" fill="#0a4da2">OnePay</text>' +
  "</svg>";

/** OnePay: domestic ATM cards and bank accounts through its VPC redirect. */
export const onepay = defineConnector<OnepayConfig>({
  id: "onepay",
  describeCode: (code) => (isOnepayResponseCode(code) ? ONEPAY_RESPONSE_CODES[code].text : null),
  display: {
    name: { vi: "OnePay", en: "OnePay" },
    description: {
      vi: "Thẻ ATM nội địa và tài khoản ngân hàng",
      en: "Domestic ATM cards and bank accounts",
    },
    logoSvg: LOGO_SVG,
    methods: [
      { vi: "Thẻ ATM nội địa (Napas)", en: "Domestic ATM card (Napas)" },
      { vi: "Tài khoản ngân hàng (Internet Banking)", en: "Bank account (Internet Banking)" },
    ],
  },
  capabilities: {
    redirect: true,
    qr: false,
    billLookup: false,
    query: true,
    // §6 documents no refund command: refunds go through OnePay's merchant portal until one is contracted.
    refund: false,
    refundStatus: false,
    reconciliationFile: true,
  },
  config: onepayConfig,
  sandboxCredentials: onepaySandboxCredentials,
  make: makeOnepay,
  browserOrigins: (config) => [config.paymentUrl.origin],
  simulator: onepaySimulator,
});
