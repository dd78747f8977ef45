/**
 * The VNPay connector (API 2.1.0): redirect to vpcpay.html, IPN/return verification, querydr, refunds
 * and their progress, and the daily reconciliation file. Transport only; every rule of the protocol
 * lives in protocol.ts and merchant-api.ts.
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
import { type ConnectorError, InvalidRequest, OutcomeUnknown } from "../sdk/errors.ts";
import { callApi, describeFetchError, fetchDocument, reconciliationFileUrl } from "../sdk/http.ts";
import { merchantOf, type VnpayConfig, vnpayConfig, vnpaySandboxCredentials } from "./config.ts";
import {
  buildQueryRequest,
  buildRefundRequest,
  refundRequestId,
  toQueryDecision,
  toRefundDecision,
  toRefundStatusDecision,
} from "./merchant-api.ts";
import {
  buildPaymentUrl,
  ipnResponse,
  isVnpayResponseCode,
  VNPAY_RESPONSE_CODES,
  verifyCallbackQuery,
} from "./protocol.ts";
import { vnpaySimulator } from "./simulator.tsx";

export type { VnpayConfig } from "./config.ts";

/** POSTs JSON to the merchant API and returns the parsed answer. */
const postJson = (
  runtime: ConnectorRuntime,
  url: URL,
  body: unknown,
): Effect.Effect<unknown, ConnectorError> =>
  callApi(
    runtime,
    url,
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
    { party: "VNPay" },
  ).pipe(
    Effect.flatMap((text) =>
      Effect.try({
        try: () => JSON.parse(text) as unknown,
        catch: () => new OutcomeUnknown({ message: "VNPay's answer is not JSON" }),
      }),
    ),
  );

/**
 * A decision of merchant-api.ts as the contract's Effect: a refusal of our message is InvalidRequest
 * (never retried), and an answer that does not verify is OutcomeUnknown: no usable answer came back,
 * exactly its meaning, and loud enough for ops to see a wrong secret or a tampering proxy where a
 * quiet "unknown" result would hide it.
 */
const decided = <A>(
  decision:
    | { readonly kind: "result"; readonly result: A }
    | { readonly kind: "refused"; readonly providerCode: string; readonly message: string }
    | { readonly kind: "unverifiable"; readonly message: string },
): Effect.Effect<A, ConnectorError> => {
  switch (decision.kind) {
    case "result":
      return Effect.succeed(decision.result);
    case "refused":
      return Effect.fail(
        new InvalidRequest({ message: decision.message, providerCode: decision.providerCode }),
      );
    case "unverifiable":
      return Effect.fail(new OutcomeUnknown({ message: decision.message }));
  }
};

/** The VNPay connector: every optional method of the contract but cancel (VNPay has no such call). */
export interface VnpayConnector extends Connector {
  query(attempt: Attempt): Effect.Effect<QueryResult, ConnectorError>;
  refund(request: RefundRequest): Effect.Effect<RefundResult, ConnectorError>;
  refundStatus(request: RefundRequest): Effect.Effect<RefundResult, ConnectorError>;
  /** The raw canonical file for a Vietnam business date (yyyy-MM-dd), as VNPAY_RECON_URL serves it. */
  reconciliationFile(businessDate: string): Effect.Effect<string, ConnectorError>;
}

export const makeVnpay = (config: VnpayConfig, runtime: ConnectorRuntime): VnpayConnector => {
  const merchant = merchantOf(config);

  /** One querydr of an attempt (§1.6); the raw answer, still to be verified. */
  const querydr = (attempt: Attempt, orderInfo: string): Effect.Effect<unknown, ConnectorError> =>
    postJson(
      runtime,
      config.apiUrl,
      buildQueryRequest(
        {
          // Unique per request (§1.6: 94 otherwise), 32 hex characters, the documented maximum.
          requestId: randomUUID().replaceAll("-", ""),
          reference: attempt.reference,
          // The pay request's vnp_CreateDate, formatted from the same instant.
          transactionDate: attempt.createdAt,
          createdAt: runtime.now(),
          ipAddr: runtime.serverIp,
          orderInfo,
        },
        merchant,
      ),
    );

  return {
    initiate: (attempt) => {
      const url = buildPaymentUrl(
        config.paymentUrl.href,
        {
          tmnCode: merchant.tmnCode,
          reference: attempt.reference,
          amount: attempt.amount,
          orderInfo: attempt.orderInfo,
          createdAt: attempt.createdAt,
          expiresAt: attempt.expiresAt,
          locale: attempt.locale,
          returnUrl: attempt.returnUrl,
          ipAddr: attempt.clientIp,
        },
        merchant.secret,
      );
      return url.ok
        ? Effect.succeed({ kind: "redirect", url: url.value })
        : Effect.fail(new InvalidRequest({ message: url.message }));
    },

    verifyCallback: (request) => verifyCallbackQuery(request.query, merchant),

    acknowledge: ipnResponse,

    query: (attempt) =>
      Effect.gen(function* () {
        const answer = yield* querydr(attempt, `Truy van giao dich ${attempt.reference}`);
        return yield* decided(
          toQueryDecision(answer, {
            merchant,
            reference: attempt.reference,
            expiresAt: attempt.expiresAt,
            now: runtime.now(),
          }),
        );
      }),

    refund: (request) =>
      Effect.gen(function* () {
        const { attempt } = request;
        if (request.amount > attempt.amount)
          return yield* new InvalidRequest({
            message: `cannot refund ${request.amount} VND of a ${attempt.amount} VND payment`,
          });
        const body = buildRefundRequest(
          {
            // The same for every retry of this refund: VNPay's 94 then stops a second refund (§1.7).
            requestId: refundRequestId(request.reference),
            kind: request.full ? "full" : "partial",
            // The refund names the original payment: its TxnRef, its number and its vnp_CreateDate.
            reference: attempt.reference,
            amount: request.amount,
            transactionNo: request.providerTxnId,
            transactionDate: attempt.createdAt,
            createdBy: request.requestedBy,
            createdAt: runtime.now(),
            ipAddr: runtime.serverIp,
            orderInfo: request.reason,
          },
          merchant,
        );
        if (!body.ok) return yield* new InvalidRequest({ message: body.message });
        const answer = yield* postJson(runtime, config.apiUrl, body.value);
        return yield* decided(toRefundDecision(answer, merchant, attempt.reference));
      }),

    // VNPay has no refund-status call: querydr of the original payment reports its refund (§1.6, §1.7).
    refundStatus: (request) =>
      Effect.gen(function* () {
        const { attempt } = request;
        const answer = yield* querydr(attempt, `Truy van hoan tien ${attempt.reference}`);
        return yield* decided(toRefundStatusDecision(answer, merchant, attempt.reference));
      }),

    reconciliationFile: (businessDate) =>
      reconciliationFileUrl(config.reconUrl, businessDate).pipe(
        Effect.flatMap((url) =>
          fetchDocument(runtime, url, {
            name: "the reconciliation file",
            unreachable: describeFetchError("VNPay"),
          }),
        ),
      ),
  };
};

const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" role="img" aria-label="VNPAY">' +
  '<rect x="1" y="1" width="118" height="38" rx="8" fill="#fff" stroke="#005baa" stroke-width="2"/>' +
  '<path d="M10 12l8 16 8-16" fill="none" stroke="#ed1c24" stroke-width="4" stroke-linecap="round" stroke-linejoin="round"/>' +
  '<text x="34" y="27" font-family="Arial, Helvetica, sans-serif" font-size="16" font-weight="700" fill="#005baa">VNPAY</text>' +
  "</svg>";

/** VNPay: domestic ATM cards, international cards and VNPAY-QR through one redirect. */
export const vnpay = defineConnector<VnpayConfig>({
  id: "vnpay",
  describeCode: (code) => (isVnpayResponseCode(code) ? VNPAY_RESPONSE_CODES[code] : null),
  display: {
    name: { vi: "VNPAY", en: "VNPAY" },
    description: {
      vi: "Thẻ ATM nội địa, thẻ quốc tế, VNPAY-QR",
      en: "Domestic ATM cards, international cards, VNPAY-QR",
    },
    logoSvg: LOGO_SVG,
    methods: [
      { vi: "Thẻ ATM / tài khoản ngân hàng nội địa", en: "Domestic ATM card or bank account" },
      { vi: "Thẻ quốc tế (Visa, Mastercard, JCB)", en: "International card (Visa, Mastercard, JCB)" },
      { vi: "Quét mã VNPAY-QR", en: "VNPAY-QR code" },
    ],
  },
  capabilities: {
    redirect: true,
    qr: false,
    billLookup: false,
    query: true,
    refund: true,
    // Through querydr: VNPay has no separate refund-status call.
    refundStatus: true,
    reconciliationFile: true,
  },
  config: vnpayConfig,
  sandboxCredentials: vnpaySandboxCredentials,
  make: makeVnpay,
  browserOrigins: (config) => [config.paymentUrl.origin],
  simulator: vnpaySimulator,
});
