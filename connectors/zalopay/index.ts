/**
 * The ZaloPay connector (Payment Gateway API v2, intermediaries.md §3): the order is created by a
 * server call and the citizen is sent to its order_url; ZaloPay calls back on success only, so
 * failures and cancels are found by query; refunds are asynchronous; the daily reconciliation file.
 * Transport only; every rule of the protocol lives in protocol.ts and merchant-api.ts.
 */
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
import { callApi, describeFetchError, fetchDocument, reconciliationFileUrl } from "../sdk/http.ts";
import {
  apiEndpoint,
  merchantOf,
  type ZalopayConfig,
  zalopayConfig,
  zalopaySandboxCredentials,
} from "./config.ts";
import {
  buildQueryRefundRequest,
  buildQueryRequest,
  buildRefundRequest,
  type RefundDecision,
  toCreateDecision,
  toMRefundId,
  toQueryDecision,
  toRefundDecision,
} from "./merchant-api.ts";
import {
  buildCreateRequest,
  callbackResponse,
  parseJson,
  referenceOf,
  toAppTransId,
  verifyCallbackBody,
  verifyRedirectQuery,
  type ZalopayMerchant,
} from "./protocol.ts";
import { zalopaySimulator } from "./simulator.tsx";

export type { ZalopayConfig } from "./config.ts";

/** POSTs a form (as ZaloPay's own samples do, §3.1) and returns the parsed JSON answer. */
const postForm = (
  runtime: ConnectorRuntime,
  url: URL,
  fields: Readonly<Record<string, string | undefined>>,
): Effect.Effect<unknown, ConnectorError> =>
  Effect.gen(function* () {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) if (value !== undefined) body.set(name, value);
    const text = yield* callApi(
      runtime,
      url,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: body.toString(),
      },
      { party: "ZaloPay" },
    );
    const parsed = parseJson(text);
    if (!parsed.ok) return yield* new OutcomeUnknown({ message: "ZaloPay's answer is not JSON" });
    return parsed.value;
  });

const refundResult = (decision: RefundDecision): Effect.Effect<RefundResult, ConnectorError> => {
  switch (decision.kind) {
    case "result":
      return Effect.succeed(decision.result);
    case "refused":
      return Effect.fail(
        new InvalidRequest({ message: decision.message, providerCode: decision.providerCode }),
      );
    case "busy":
      return Effect.fail(new Unavailable({ message: decision.message }));
    case "unverifiable":
      return Effect.fail(new OutcomeUnknown({ message: decision.message }));
  }
};

/** The refund's m_refund_id: derived from PayGov's refund reference and request time, so stable. */
const mRefundIdOf = (request: RefundRequest, merchant: ZalopayMerchant) =>
  toMRefundId(request.requestedAt, merchant.appId, request.reference);

/** The ZaloPay connector: every optional operation of the contract but bill collection. */
export interface ZalopayConnector extends Connector {
  query(attempt: Attempt): Effect.Effect<QueryResult, ConnectorError>;
  refund(request: RefundRequest): Effect.Effect<RefundResult, ConnectorError>;
  refundStatus(request: RefundRequest): Effect.Effect<RefundResult, ConnectorError>;
  reconciliationFile(businessDate: string): Effect.Effect<string, ConnectorError>;
}

export const makeZalopay = (config: ZalopayConfig, runtime: ConnectorRuntime): ZalopayConnector => {
  const merchant = merchantOf(config);
  return {
    initiate: (attempt) =>
      Effect.gen(function* () {
        const request = buildCreateRequest(
          {
            reference: attempt.reference,
            amount: attempt.amount,
            description: attempt.orderInfo,
            createdAt: attempt.createdAt,
            expiresAt: attempt.expiresAt,
            redirectUrl: attempt.returnUrl,
            callbackUrl: attempt.ipnUrl,
          },
          merchant,
        );
        if (!request.ok) return yield* new InvalidRequest({ message: request.message });
        const decision = toCreateDecision(
          yield* postForm(runtime, apiEndpoint(config, "/v2/create"), request.value),
        );
        switch (decision.kind) {
          case "created":
            return { kind: "redirect" as const, url: decision.orderUrl };
          case "refused":
            return yield* new InvalidRequest({
              message: decision.message,
              providerCode: decision.providerCode,
            });
          case "declined":
            return yield* new Declined({ message: decision.message, providerCode: decision.providerCode });
          case "busy":
            return yield* new Unavailable({ message: decision.message });
          case "unverifiable":
            return yield* new OutcomeUnknown({ message: decision.message });
        }
      }),

    // The IPN is the JSON callback (§3.3); the return is the browser redirect (§3.4).
    verifyCallback: (request, channel) =>
      channel === "ipn"
        ? verifyCallbackBody(request.body, merchant)
        : verifyRedirectQuery(request.query, merchant),

    acknowledge: callbackResponse,

    query: (attempt) =>
      Effect.gen(function* () {
        // The same attempt always yields the same app_trans_id: the prefix is its own creation date.
        const appTransId = toAppTransId(attempt.reference, attempt.createdAt);
        if (!appTransId.ok) return yield* new InvalidRequest({ message: appTransId.message });
        const answer = yield* postForm(
          runtime,
          apiEndpoint(config, "/v2/query"),
          buildQueryRequest(appTransId.value, merchant),
        );
        const decision = toQueryDecision(answer);
        switch (decision.kind) {
          case "result":
            return decision.result;
          case "refused":
            return yield* new InvalidRequest({
              message: decision.message,
              providerCode: decision.providerCode,
            });
          case "unverifiable":
            return yield* new OutcomeUnknown({ message: decision.message });
        }
      }),

    refund: (request) =>
      Effect.gen(function* () {
        if (request.providerTxnId === null)
          return yield* new InvalidRequest({ message: "the paid attempt has no zp_trans_id to refund" });
        const mRefundId = mRefundIdOf(request, merchant);
        if (!mRefundId.ok) return yield* new InvalidRequest({ message: mRefundId.message });
        const body = buildRefundRequest(
          {
            mRefundId: mRefundId.value,
            zpTransId: request.providerTxnId,
            amount: request.amount,
            description: request.reason,
            timestamp: runtime.now(),
          },
          merchant,
        );
        if (!body.ok) return yield* new InvalidRequest({ message: body.message });
        const answer = yield* postForm(runtime, apiEndpoint(config, "/v2/refund"), body.value);
        return yield* refundResult(toRefundDecision(answer, "refund"));
      }),

    refundStatus: (request) =>
      Effect.gen(function* () {
        const mRefundId = mRefundIdOf(request, merchant);
        if (!mRefundId.ok) return yield* new InvalidRequest({ message: mRefundId.message });
        const answer = yield* postForm(
          runtime,
          apiEndpoint(config, "/v2/query_refund"),
          buildQueryRefundRequest(mRefundId.value, runtime.now(), merchant),
        );
        return yield* refundResult(toRefundDecision(answer, "query_refund"));
      }),

    reconciliationFile: (businessDate) =>
      reconciliationFileUrl(config.reconUrl, businessDate).pipe(
        Effect.flatMap((url) =>
          fetchDocument(runtime, url, {
            name: "the reconciliation file",
            unreachable: describeFetchError("ZaloPay"),
          }),
        ),
      ),
  };
};

/**
 * ZaloPay's own gateway hosts, where order_url points when the API is ZaloPay's. §3 names none: qcgateway
 * appears in an order_url fixture of ZaloPay's Node SDK (zalopay-oss/zalopay-nodejs) and sbgateway and
 * gateway are the sandbox and production hosts its API description gives for the gateway [S]; which of
 * them order_url uses today is [U]. The checkout page's CSP form-action must let the browser go there.
 */
const ZALOPAY_GATEWAY_ORIGINS = [
  "https://qcgateway.zalopay.vn",
  "https://sbgateway.zalopay.vn",
  "https://gateway.zalopay.vn",
];

const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" role="img" aria-label="ZaloPay">' +
  '<rect x="1" y="1" width="118" height="38" rx="8" fill="#fff" stroke="#0068ff" stroke-width="2"/>' +
  '<circle cx="20" cy="20" r="11" fill="#0068ff"/>' +
  '<path d="M15 15h10l-10 10h10" fill="none" stroke="#fff" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round"/>' +
  '<text x="36" y="26" font-family="Arial, Helvetica, sans-serif" font-size="15" font-weight="700" fill="#0068ff">Zalo</text>' +
  '<text x="73" y="26" font-family="Arial, Helvetica, sans-serif" font-size="15" font-weight="700" fill="#00cf6a">Pay</text>' +
  "</svg>";

/** ZaloPay: the ZaloPay wallet, domestic ATM cards and international cards through one order page. */
export const zalopay = defineConnector<ZalopayConfig>({
  id: "zalopay",
  display: {
    name: { vi: "ZaloPay", en: "ZaloPay" },
    description: {
      vi: "Ví ZaloPay, thẻ ATM nội địa, thẻ quốc tế",
      en: "ZaloPay wallet, domestic ATM cards, international cards",
    },
    logoSvg: LOGO_SVG,
    methods: [
      { vi: "Ví ZaloPay (quét mã hoặc mở ứng dụng)", en: "ZaloPay wallet (scan or open the app)" },
      { vi: "Thẻ ATM / tài khoản ngân hàng nội địa", en: "Domestic ATM card or bank account" },
      { vi: "Thẻ quốc tế (Visa, Mastercard, JCB)", en: "International card (Visa, Mastercard, JCB)" },
    ],
  },
  capabilities: {
    redirect: true,
    // ZaloPay also returns a qr_code, but the citizen is sent to order_url, which shows it itself.
    qr: false,
    billLookup: false,
    query: true,
    refund: true,
    refundStatus: true,
    reconciliationFile: true,
  },
  config: zalopayConfig,
  sandboxCredentials: zalopaySandboxCredentials,
  make: makeZalopay,
  // The file's merchant_ref is app_trans_id: yymmdd_ then our reference (§3.2).
  reconciliationRef: (merchantRef) => {
    const reference = referenceOf(merchantRef);
    return reference === null ? null : { attemptReference: reference };
  },
  browserOrigins: (config) =>
    config.apiUrl.hostname.endsWith(".zalopay.vn")
      ? [config.apiUrl.origin, ...ZALOPAY_GATEWAY_ORIGINS]
      : [config.apiUrl.origin],
  simulator: zalopaySimulator,
});
