import type { Config, Effect } from "effect";
import type { Hono } from "hono";
import type { ConnectorError } from "./errors.ts";

/** Languages of every page a citizen sees: Vietnamese first, English second. */
export type Locale = "vi" | "en";

/** A text shown to citizens, in both languages. */
export interface LocalizedText {
  readonly vi: string;
  readonly en: string;
}

/** What a connector can do; the platform offers only what is declared here. */
export interface Capabilities {
  readonly redirect: boolean;
  readonly qr: boolean;
  readonly billLookup: boolean;
  readonly query: boolean;
  readonly refund: boolean;
  readonly refundStatus: boolean;
  readonly reconciliationFile: boolean;
}

/** How the checkout page presents the intermediary. */
export interface Display {
  readonly name: LocalizedText;
  readonly description: LocalizedText;
  /** A self-contained SVG document (no external references: the page's CSP forbids them). */
  readonly logoSvg: string;
  readonly methods: ReadonlyArray<LocalizedText>;
}

/** One attempt to pay a payment at one intermediary, as the connector needs to see it. */
export interface Attempt {
  readonly paymentId: string;
  readonly attemptId: string;
  /** Our reference at the intermediary (vnp_TxnRef, orderId, ...): fresh for every attempt, never reused. */
  readonly reference: string;
  /** Integer VND. Connectors convert (×100 and the like) only at their own edge. */
  readonly amount: number;
  /** ASCII-only order text carrying the dossier code, safe for every protocol's signature. */
  readonly orderInfo: string;
  readonly dossierCode: string;
  /** The payment's 16-digit code, for methods that give the citizen something to carry. */
  readonly paymentCode: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly clientIp: string;
  readonly locale: Locale;
  /** PAYGOV_PUBLIC_URL + /callbacks/<id>/ipn */
  readonly ipnUrl: string;
  /** PAYGOV_PUBLIC_URL + /callbacks/<id>/return */
  readonly returnUrl: string;
}

/** Where the citizen goes (or what they carry) once an attempt is open. */
export type Initiation =
  | { readonly kind: "redirect"; readonly url: string; readonly providerTxnId?: string }
  | {
      readonly kind: "qr";
      /** The QR string the citizen's banking app scans (EMVCo for VietQR). */
      readonly payload: string;
      /** The transfer the QR encodes, for citizens who type it in instead. */
      readonly bank?: string;
      readonly account?: string;
      readonly accountName?: string;
      /** The transfer description that must reach PayGov unchanged (it carries the payment code). */
      readonly description: string;
    }
  | {
      readonly kind: "payment_code";
      /** What the citizen says at the counter (digits, with a check digit). */
      readonly code: string;
      /** Where the citizen can pay with it, for the page. */
      readonly where?: LocalizedText;
    };

/** An HTTP request that came from the intermediary, directly or through the citizen's browser. */
export interface InboundRequest {
  readonly method: string;
  readonly url: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
  /** The body exactly as received: signatures are computed over bytes, not over parsed values. */
  readonly body: string;
}

/** The outcome an intermediary reports; `unknown` means "ask again later", never a guess. */
export type Outcome = "succeeded" | "failed" | "pending" | "unknown";

/** A callback whose signature has been checked. Amounts are integer VND. */
export interface VerifiedCallback {
  readonly reference: string;
  readonly providerTxnId: string | null;
  readonly amount: number;
  readonly outcome: Exclude<Outcome, "unknown">;
  readonly providerCode: string;
  readonly paidAt: Date | null;
  /** True when the citizen cancelled at the intermediary. */
  readonly cancelledByPayer: boolean;
}

/** Why a callback was not accepted as coming from the intermediary. */
export interface CallbackRejection {
  readonly reason: "signature_invalid" | "malformed";
  readonly message: string;
}

export type Verification =
  | { readonly ok: true; readonly callback: VerifiedCallback }
  | { readonly ok: false; readonly rejection: CallbackRejection };

/** What PayGov concluded about a callback; each protocol words its answer differently. */
export type Acknowledgement =
  | "accepted"
  | "duplicate"
  | "signature_invalid"
  | "malformed"
  | "unknown_reference"
  | "amount_mismatch"
  | "error";

/** A response to send back to the intermediary. */
export interface OutboundResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The intermediary's answer to "what happened to this attempt?". */
export interface QueryResult {
  readonly outcome: Outcome;
  /** True when the intermediary says the citizen cancelled (a failed outcome). */
  readonly cancelledByPayer?: boolean;
  readonly providerTxnId: string | null;
  readonly amount: number | null;
  readonly providerCode: string;
  readonly paidAt: Date | null;
}

/** I/O the platform lends a connector: the only way it reaches the network or the clock. */
export interface ConnectorRuntime {
  readonly fetch: typeof globalThis.fetch;
  readonly now: () => Date;
  /** Server IP reported to intermediaries that ask for one (vnp_IpAddr on server calls). */
  readonly serverIp: string;
  /** How long to wait for an intermediary's server before giving up (then the outcome is unknown). */
  readonly requestTimeoutMs: number;
}

/** A refund PayGov asks an intermediary to make, of (part of) a paid attempt. */
export interface RefundRequest {
  /** PayGov's refund id. */
  readonly refundId: string;
  /** A fresh reference for this refund at the intermediary (MoMo's new orderId, VNPay's RequestId...). */
  readonly reference: string;
  /** The attempt that was paid. */
  readonly attempt: Attempt;
  /** The intermediary's transaction id of that payment. */
  readonly providerTxnId: string | null;
  readonly paidAt: Date | null;
  /** Integer VND to return. */
  readonly amount: number;
  /** True when the refund returns the whole paid amount (some protocols distinguish full and partial). */
  readonly full: boolean;
  /** ASCII-safe reason text. */
  readonly reason: string;
  readonly requestedAt: Date;
  /** Who asked, in the intermediary's terms (VNPay's vnp_CreateBy). */
  readonly requestedBy: string;
}

/** The intermediary's answer to a refund: `succeeded` means it accepted and will move the money. */
export interface RefundResult {
  readonly outcome: Outcome;
  readonly providerRefundId: string | null;
  readonly providerCode: string;
}

/** The operations a live connector offers. Optional ones follow the capability flags. */
export interface Connector {
  initiate(attempt: Attempt): Effect.Effect<Initiation, ConnectorError>;
  /** Pure: signature, shape and mapping; no I/O, no database. */
  verifyCallback(request: InboundRequest, channel: "ipn" | "return"): Verification;
  acknowledge(ack: Acknowledgement): OutboundResponse;
  query?(attempt: Attempt): Effect.Effect<QueryResult, ConnectorError>;
  /** Closes an open attempt at the intermediary, where the protocol allows it. */
  cancel?(attempt: Attempt): Effect.Effect<void, ConnectorError>;
  refund?(request: RefundRequest): Effect.Effect<RefundResult, ConnectorError>;
  refundStatus?(request: RefundRequest): Effect.Effect<RefundResult, ConnectorError>;
  /**
   * The intermediary's file of one Vietnam business date (yyyy-MM-dd), as raw text in the canonical
   * layout (DESIGN.md "Ops API and the reconciliation file"); the engine validates it.
   */
  reconciliationFile?(businessDate: string): Effect.Effect<string, ConnectorError>;
  /**
   * The same file as a byte stream, for intermediaries whose files are too large to hold as one string:
   * when present the engine reads this instead, in constant memory.
   */
  reconciliationFileStream?(businessDate: string): Effect.Effect<AsyncIterable<Uint8Array>, ConnectorError>;
  /** For bill collection ("thu hộ"): the chain or bank calls PayGov to look bills up and confirm them. */
  readonly collection?: CollectionProtocol;
}

/** A bill as a counter or bank app sees it when it looks a payment code up. */
export interface BillView {
  readonly paymentCode: string;
  readonly amount: number;
  /** e.g. "N*** V** A*": never the whole name. */
  readonly payerMasked: string;
  readonly agencyName: string;
  readonly description: string;
  readonly expiresAt: Date;
  readonly status: "payable" | "paid" | "expired" | "cancelled";
}

/** What an intermediary asks of PayGov in the collection shape. */
export type CollectionRequest =
  | { readonly kind: "lookup"; readonly paymentCode: string }
  | {
      readonly kind: "confirm";
      readonly paymentCode: string;
      /** The chain's own transaction id: confirming is idempotent on it. */
      readonly providerTxnId: string;
      readonly amount: number;
      readonly paidAt: Date;
    }
  | { readonly kind: "reverse"; readonly paymentCode: string; readonly providerTxnId: string };

/** PayGov's answer to a collection request, before the protocol words it. */
export type CollectionReply =
  | { readonly kind: "bill"; readonly bill: BillView }
  | { readonly kind: "confirmed"; readonly duplicate: boolean; readonly receiptId: string }
  | { readonly kind: "reversed"; readonly duplicate: boolean }
  | {
      readonly kind: "refused";
      readonly reason:
        | "signature_invalid"
        | "malformed"
        | "unknown_code"
        | "not_payable"
        | "amount_mismatch"
        | "already_paid"
        | "too_late"
        | "unknown_transaction"
        | "error";
      readonly message: string;
    };

/** The wire of a collection protocol: pure reading (with its signature check) and writing. */
export interface CollectionProtocol {
  readRequest(
    request: InboundRequest,
  ): { ok: true; request: CollectionRequest } | { ok: false; rejection: CallbackRejection };
  reply(request: CollectionRequest | null, reply: CollectionReply): OutboundResponse;
}

/** PayGov's side of a reconciliation row: one of its attempt references, or a payment's code. */
export type ReconciliationRef = { readonly attemptReference: string } | { readonly paymentCode: string };

/** Options every simulator receives from the sandbox server. */
export interface SimulatorOptions<C> {
  /** The merchant credentials the simulator shares with the connector. */
  readonly merchant: C;
  /** Where the simulator sends server-to-server notifications (PayGov's IPN URL). */
  readonly ipnUrl: string;
  /** Path the simulator is mounted under, e.g. "/vnpay". */
  readonly basePath: string;
  readonly fetch: typeof globalThis.fetch;
  readonly now: () => Date;
}

/** A connector plugin: one folder, one registration line. */
export interface ConnectorDefinition<C = unknown> {
  readonly id: string;
  readonly display: Display;
  readonly capabilities: Capabilities;
  /** Read from the environment with the connector's own prefix (VNPAY_...). */
  readonly config: Config.Config<C>;
  /**
   * Fresh, valid values for every credential variable `config` requires, for the bundled simulator
   * (`make dev` fills each unset one from here and keeps it in .paygov/dev-secrets.env).
   */
  readonly sandboxCredentials?: () => Record<string, string>;
  readonly make: (config: C, runtime: ConnectorRuntime) => Connector;
  /**
   * The payer types the amount (a bank transfer to a QR's account): a callback may report less or more
   * than is due, and PayGov records it (refunding a short or surplus transfer) instead of refusing it.
   */
  readonly payerSetsAmount?: boolean;
  /**
   * What a reconciliation file's merchant_ref names on PayGov's side, when it is not simply the
   * attempt's reference (the default): ZaloPay writes app_trans_id (yymmdd_ + reference), a counter
   * chain the payment code. null when it names nothing PayGov issued; the row is then matched by
   * provider_txn_id alone.
   */
  readonly reconciliationRef?: (merchantRef: string) => ReconciliationRef | null;
  /**
   * What the intermediary's code for a declined attempt means, in the citizen's words (its code table):
   * the result page says why ("Tài khoản không đủ số dư") so that they know whether trying again helps.
   * null for a code the table does not have.
   */
  readonly describeCode?: (providerCode: string) => LocalizedText | null;
  /** Origins the citizen's browser is sent to (for the checkout page's CSP form-action). */
  readonly browserOrigins: (config: C) => ReadonlyArray<string>;
  readonly simulator?: (options: SimulatorOptions<C>) => Hono;
}

/**
 * A connector of any configuration type, as the registry holds them. Each definition is invariant in
 * its config type (it both reads and consumes it), so a heterogeneous list needs `any` here.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above; every use site goes through the definition's own types
export type AnyConnectorDefinition = ConnectorDefinition<any>;

/** Declares a connector; the identity function keeps the config type attached. */
export const defineConnector = <C>(definition: ConnectorDefinition<C>): ConnectorDefinition<C> => definition;
