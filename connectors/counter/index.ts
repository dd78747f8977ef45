/**
 * The store-counter chain (Payoo-like "thu hộ", intermediaries.md §4.3–4.4): the citizen carries the
 * payment's code to a convenience store, the clerk's POS looks it up at PayGov and confirms the cash
 * (shape B, §0). PayGov calls the chain only for its daily reconciliation file. Transport only; every
 * rule of the wire lives in protocol.ts.
 */
import { Effect } from "effect";
import { isPaymentCode } from "../../domain/payment-code.ts";
import {
  type CollectionProtocol,
  type Connector,
  type ConnectorRuntime,
  defineConnector,
  type OutboundResponse,
} from "../sdk/contract.ts";
import { type ConnectorError, InvalidRequest } from "../sdk/errors.ts";
import { fetchDocument, reconciliationFileUrl } from "../sdk/http.ts";
import { type CounterConfig, counterConfig, counterSandboxCredentials, partnerOf } from "./config.ts";
import { counterReply, hmacSha256Hex, readCounterRequest, reconSigningString } from "./protocol.ts";
import { counterSimulator } from "./simulator.tsx";

export type { CounterConfig } from "./config.ts";

/** Where the citizen can pay with the code, for the checkout page and payment_instructions. */
const WHERE = {
  vi: "Tại các cửa hàng tiện lợi của chuỗi: đọc mã thanh toán cho thu ngân và trả tiền mặt",
  en: "At the chain's convenience stores: give the payment code to the cashier and pay in cash",
};

/** The counter connector: the collection protocol, the payment code, and the daily file. */
export interface CounterConnector extends Connector {
  readonly collection: CollectionProtocol;
  reconciliationFile(businessDate: string): Effect.Effect<string, ConnectorError>;
}

export const makeCounter = (config: CounterConfig, runtime: ConnectorRuntime): CounterConnector => {
  const partner = partnerOf(config);

  // The chain never calls PayGov's callback URLs: its confirmation is the signed CONFIRM request of the
  // agent API, answered synchronously. Whatever reaches /callbacks/<id>/… is refused in the protocol's
  // own words with 404, so a misrouted POS sees at once where it should have gone.
  const notUsed = (): OutboundResponse =>
    counterReply(
      null,
      {
        kind: "refused",
        reason: "malformed",
        message: "The chain sends no callbacks: POST to /agents/<partner>/lookup, /confirm or /reverse",
      },
      partner,
      runtime.now(),
      404,
    );

  return {
    initiate: (attempt) =>
      isPaymentCode(attempt.paymentCode)
        ? Effect.succeed({ kind: "payment_code", code: attempt.paymentCode, where: WHERE })
        : Effect.fail(new InvalidRequest({ message: "the payment has no valid payment code to carry" })),

    verifyCallback: () => ({
      ok: false,
      rejection: { reason: "malformed", message: "the chain sends no callbacks: it calls the agent API" },
    }),

    acknowledge: notUsed,

    collection: {
      readRequest: (request) => readCounterRequest(request, partner, runtime.now()),
      reply: (request, reply) => counterReply(request, reply, partner, runtime.now()),
    },

    reconciliationFile: (businessDate) =>
      reconciliationFileUrl(config.reconUrl, businessDate).pipe(
        Effect.flatMap((url) => {
          const date = businessDate.replaceAll("-", "");
          url.searchParams.set("partnerCode", partner.partnerCode);
          // The chain serves its file to its partner only: the same key signs the request [U: our design].
          url.searchParams.set(
            "signature",
            hmacSha256Hex(partner.secret, reconSigningString(partner.partnerCode, date)),
          );
          return fetchDocument(runtime, url, {
            name: "the reconciliation file",
            unreachable: (error) =>
              error instanceof Error && error.name === "TimeoutError"
                ? "the chain's reconciliation file did not come in time"
                : "the chain's reconciliation file could not be fetched",
          });
        }),
      ),
  };
};

const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" role="img" aria-label="Cửa hàng">' +
  '<rect x="1" y="1" width="118" height="38" rx="8" fill="#fff" stroke="#0a7d3b" stroke-width="2"/>' +
  '<path d="M10 16h20l-2-6H12z M12 16v14h16V16" fill="none" stroke="#0a7d3b" stroke-width="2.5" stroke-linejoin="round"/>' +
  '<rect x="17" y="22" width="6" height="8" fill="#f39c12"/>' +
  '<text x="38" y="26" font-family="Arial, Helvetica, sans-serif" font-size="12" font-weight="700" fill="#0a7d3b">CỬA HÀNG</text>' +
  "</svg>";

/** A convenience-store chain: the citizen pays cash at the counter with the payment code. */
export const counter = defineConnector<CounterConfig>({
  id: "counter",
  display: {
    name: { vi: "Cửa hàng tiện lợi", en: "cash at a convenience store" },
    description: {
      vi: "Trả tiền mặt tại quầy bằng mã thanh toán",
      en: "Pay cash at the counter with the payment code",
    },
    logoSvg: LOGO_SVG,
    methods: [{ vi: "Tiền mặt tại quầy thu ngân", en: "Cash at the checkout counter" }],
  },
  capabilities: {
    redirect: false,
    qr: false,
    billLookup: true,
    // The chain calls PayGov; PayGov has nothing to ask it about an attempt.
    query: false,
    // A collection is undone by the chain's REVERSE before the cut-off, or by a PayGov refund (not yet).
    refund: false,
    refundStatus: false,
    reconciliationFile: true,
  },
  config: counterConfig,
  sandboxCredentials: counterSandboxCredentials,
  make: makeCounter,
  // The chain only ever knows the payment code: it is the file's merchant_ref.
  reconciliationRef: (merchantRef) =>
    isPaymentCode(merchantRef) ? { paymentCode: merchantRef.replace(/\s+/g, "") } : null,
  // The citizen's browser is never sent to the chain.
  browserOrigins: () => [],
  simulator: counterSimulator,
});
