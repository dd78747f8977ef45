/**
 * The MoMo connector (AIO payment gateway v2, captureWallet): create at MoMo's server, then redirect
 * to its payUrl; IPN and redirect verification; query; refund and refund query; the daily
 * reconciliation file. Transport only; every rule of the protocol lives in protocol.ts and gateway-api.ts.
 */
import { randomUUID } from "node:crypto";
import { Effect } from "effect";
import {
  type Attempt,
  type Connector,
  type ConnectorRuntime,
  defineConnector,
  type Initiation,
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
  send,
} from "../sdk/http.ts";
import { gatewayUrl, type MomoConfig, merchantOf, momoConfig, momoSandboxCredentials } from "./config.ts";
import {
  buildQueryRequest,
  buildRefundRequest,
  type RefundDecision,
  toQueryDecision,
  toRefundDecision,
  toRefundStatusDecision,
} from "./gateway-api.ts";
import {
  buildCreateRequest,
  type CreateDecision,
  ipnResponse,
  isMomoResultCode,
  MOMO_RESULT_CODES,
  type MomoResultCode,
  parseMomoJson,
  toCreateDecision,
  verifyCallback,
} from "./protocol.ts";
import { momoSimulator } from "./simulator.tsx";

export type { MomoConfig } from "./config.ts";

/**
 * POSTs JSON to one of MoMo's APIs (§2.1). MoMo words its refusals as a JSON body with a resultCode,
 * on HTTP 4xx as well as 200, so any such body is read and decided by its code. A 5xx is Unavailable:
 * retrying is safe even if MoMo had acted, since create and refund repeat their requestId (§2.5).
 */
const postJson = (
  runtime: ConnectorRuntime,
  url: URL,
  body: unknown,
): Effect.Effect<Readonly<Record<string, unknown>>, ConnectorError> =>
  Effect.gen(function* () {
    const response = yield* send(
      runtime,
      url,
      {
        method: "POST",
        headers: { "content-type": "application/json; charset=UTF-8" },
        body: JSON.stringify(body),
      },
      classifyFetchError("MoMo"),
    );
    if (response.status >= 500)
      return yield* new Unavailable({ message: `MoMo answered HTTP ${response.status}` });
    const text = yield* readText(
      response,
      () => new OutcomeUnknown({ message: "MoMo's answer was cut off" }),
    );
    const parsed = parseMomoJson(text);
    if (parsed.ok && (response.ok || parsed.value.resultCode !== undefined)) return parsed.value;
    return yield* response.ok
      ? new OutcomeUnknown({ message: "MoMo's answer is not a JSON object" })
      : new InvalidRequest({ message: `MoMo answered HTTP ${response.status} without a resultCode` });
  });

/** The MoMo connector: every optional operation of the contract is offered. */
export interface MomoConnector extends Connector {
  query(attempt: Attempt): Effect.Effect<QueryResult, ConnectorError>;
  refund(request: RefundRequest): Effect.Effect<RefundResult, ConnectorError>;
  refundStatus(request: RefundRequest): Effect.Effect<RefundResult, ConnectorError>;
  reconciliationFile(businessDate: string): Effect.Effect<string, ConnectorError>;
}

export const makeMomo = (config: MomoConfig, runtime: ConnectorRuntime): MomoConnector => {
  const merchant = merchantOf(config);

  const query = (attempt: Attempt): Effect.Effect<QueryResult, ConnectorError> =>
    Effect.gen(function* () {
      // A fresh requestId per query: repeating one would replay MoMo's earlier answer, or get 40 (§2.5).
      const request = buildQueryRequest(
        { orderId: attempt.reference, requestId: randomUUID(), lang: attempt.locale },
        merchant,
      );
      const answer = yield* postJson(runtime, gatewayUrl(config, "query"), request);
      const decision = toQueryDecision(answer, {
        merchant,
        orderId: attempt.reference,
        expiresAt: attempt.expiresAt,
        now: runtime.now(),
      });
      switch (decision.kind) {
        case "result":
          return decision.result;
        case "invalid":
          return yield* new InvalidRequest({
            message: decision.message,
            providerCode: decision.providerCode,
          });
        case "unavailable":
          return yield* new Unavailable({ message: decision.message });
        case "unverifiable":
          // No usable answer: exactly OutcomeUnknown's meaning, and loud enough for ops to notice.
          return yield* new OutcomeUnknown({ message: decision.message });
      }
    });

  /**
   * MoMo says the order already exists (a create repeated after an answer that never arrived): its
   * query tells what became of it. A closed order is Declined; an open or paid one cannot be shown to
   * the citizen again, since MoMo hands its payUrl out only once, so the outcome is unknown.
   */
  const recoverCreate = (
    attempt: Attempt,
    decision: Extract<CreateDecision, { kind: "recover" }>,
  ): Effect.Effect<Initiation, ConnectorError> =>
    Effect.gen(function* () {
      const state = yield* query(attempt);
      if (state.outcome === "failed")
        return yield* new Declined({
          message: `MoMo already closed order ${attempt.reference} (${state.providerCode})`,
          providerCode: state.providerCode,
        });
      return yield* new OutcomeUnknown({
        message:
          `MoMo already holds order ${attempt.reference} (${decision.providerCode}: ${decision.message}); ` +
          `its state is ${state.outcome} (${state.providerCode}) and its payUrl is not given twice`,
      });
    });

  const refundOutcome = (
    decision: RefundDecision,
    recover: () => Effect.Effect<RefundResult, ConnectorError>,
  ): Effect.Effect<RefundResult, ConnectorError> => {
    switch (decision.kind) {
      case "result":
        return Effect.succeed(decision.result);
      case "recover":
        return recover();
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

  const unknownRefund = (providerCode: string): Effect.Effect<RefundResult, ConnectorError> =>
    Effect.succeed({ outcome: "unknown", providerRefundId: null, providerCode });

  /** Sends the refund; `recover` decides when MoMo says it repeats an earlier request (40/41/43). */
  const sendRefund = (
    request: RefundRequest,
    recover: () => Effect.Effect<RefundResult, ConnectorError>,
  ): Effect.Effect<RefundResult, ConnectorError> =>
    Effect.gen(function* () {
      if (request.providerTxnId === null)
        return yield* new InvalidRequest({ message: "a MoMo refund names the payment by its transId" });
      const body = buildRefundRequest(
        {
          orderId: request.reference,
          // One per refund, as for create: a repeated refund gets MoMo's first answer, never a second refund.
          requestId: request.reference,
          amount: request.amount,
          transId: request.providerTxnId,
          description: request.reason,
          lang: request.attempt.locale,
        },
        merchant,
      );
      if (!body.ok) return yield* new InvalidRequest({ message: body.message });
      const answer = yield* postJson(runtime, gatewayUrl(config, "refund"), body.value);
      return yield* refundOutcome(toRefundDecision(answer, merchant, request.reference), recover);
    });

  /** The refund's line in MoMo's refund query [T]; `unlisted` decides when MoMo does not list it. */
  const askRefund = (
    request: RefundRequest,
    unlisted: () => Effect.Effect<RefundResult, ConnectorError>,
  ): Effect.Effect<RefundResult, ConnectorError> =>
    Effect.gen(function* () {
      const body = buildQueryRequest(
        { orderId: request.attempt.reference, requestId: randomUUID(), lang: request.attempt.locale },
        merchant,
      );
      const answer = yield* postJson(runtime, gatewayUrl(config, "refund/query"), body);
      const decision = toRefundStatusDecision(answer, {
        merchant,
        paymentOrderId: request.attempt.reference,
        refundOrderId: request.reference,
      });
      return yield* decision.kind === "unlisted"
        ? unlisted()
        : refundOutcome(decision, () => unknownRefund("recover"));
    });

  return {
    initiate: (attempt) =>
      Effect.gen(function* () {
        const request = buildCreateRequest(
          {
            orderId: attempt.reference,
            // The idempotency key (§2.2): one per attempt, so that a create retried after a lost answer
            // gets MoMo's first answer again (§2.5) instead of 41. MoMo's samples use orderId itself [S].
            requestId: attempt.reference,
            amount: attempt.amount,
            orderInfo: attempt.orderInfo,
            ipnUrl: attempt.ipnUrl,
            redirectUrl: attempt.returnUrl,
            lang: attempt.locale,
          },
          merchant,
        );
        if (!request.ok) return yield* new InvalidRequest({ message: request.message });
        const answer = yield* postJson(runtime, gatewayUrl(config, "create"), request.value);
        const decision = toCreateDecision(answer, {
          orderId: attempt.reference,
          partnerCode: merchant.partnerCode,
        });
        switch (decision.kind) {
          case "redirect":
            return { kind: "redirect", url: decision.payUrl } satisfies Initiation;
          case "recover":
            return yield* recoverCreate(attempt, decision);
          case "declined":
            return yield* new Declined({ message: decision.message, providerCode: decision.providerCode });
          case "invalid":
            return yield* new InvalidRequest({
              message: decision.message,
              providerCode: decision.providerCode,
            });
          case "unavailable":
            return yield* new Unavailable({ message: decision.message });
          case "unknown":
            return yield* new OutcomeUnknown({ message: decision.message });
        }
      }),

    verifyCallback: (request, channel) => verifyCallback(request, channel, merchant),

    acknowledge: ipnResponse,

    query,

    // MoMo repeating an earlier request: the refund query says what became of the refund.
    refund: (request) => sendRefund(request, () => askRefund(request, () => unknownRefund("not_listed"))),

    /**
     * A refund MoMo does not list never reached it (PayGov's request was lost before MoMo read it):
     * sending it again is safe, since its orderId and requestId let MoMo take it at most once (41,
     * §2.5), and it is the only way such a refund ever ends.
     */
    refundStatus: (request) =>
      askRefund(request, () => sendRefund(request, () => unknownRefund("not_listed"))),

    reconciliationFile: (businessDate) =>
      reconciliationFileUrl(config.reconUrl, businessDate).pipe(
        Effect.flatMap((url) =>
          fetchDocument(runtime, url, {
            name: "the reconciliation file",
            unreachable: describeFetchError("MoMo"),
          }),
        ),
      ),
  };
};

const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" role="img" aria-label="MoMo">' +
  '<rect x="1" y="1" width="118" height="38" rx="8" fill="#a50064"/>' +
  '<text x="60" y="27" text-anchor="middle" font-family="Arial, Helvetica, sans-serif" font-size="18" ' +
  'font-weight="700" fill="#fff">MoMo</text>' +
  "</svg>";

/** MoMo: the MoMo e-wallet, in its app or by scanning the QR code on MoMo's payment page. */
export const momo = defineConnector<MomoConfig>({
  id: "momo",
  describeCode: (code) =>
    isMomoResultCode(Number(code)) ? MOMO_RESULT_CODES[Number(code) as MomoResultCode].text : null,
  display: {
    name: { vi: "Ví MoMo", en: "MoMo e-wallet" },
    description: {
      vi: "Thanh toán bằng ví điện tử MoMo: mở ứng dụng hoặc quét mã QR",
      en: "Pay with the MoMo e-wallet: open the app or scan the QR code",
    },
    logoSvg: LOGO_SVG,
    methods: [{ vi: "Ví MoMo (ứng dụng hoặc mã QR)", en: "MoMo wallet (app or QR code)" }],
  },
  capabilities: {
    redirect: true,
    // The QR code is on MoMo's own page; PayGov shows none.
    qr: false,
    billLookup: false,
    query: true,
    refund: true,
    refundStatus: true,
    reconciliationFile: true,
  },
  config: momoConfig,
  sandboxCredentials: momoSandboxCredentials,
  make: makeMomo,
  // The payUrl is on the gateway's own host (test-payment.momo.vn / payment.momo.vn, §2.1).
  browserOrigins: (config) => [config.apiUrl.origin],
  simulator: momoSimulator,
});
