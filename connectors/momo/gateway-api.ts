/**
 * MoMo's server APIs besides create (§2.6): query, refund and the refund query, as signed JSON bodies,
 * and the mapping of their answers onto the connector contract. The answers are not signed (or not
 * reliably: §2.6 [U]), so each is cross-checked against what was asked. Pure: no I/O, never throws.
 */
import type { Locale, QueryResult, RefundResult } from "../sdk/contract.ts";
import {
  answerMessage,
  type Checked,
  checkAmount,
  isMomoOrderId,
  isMomoRequestId,
  isMomoResultCode,
  MOMO_QUERY_FIELDS,
  MOMO_REFUND_FIELDS,
  MOMO_RESULT_CODES,
  type MomoMerchant,
  type MomoResultKind,
  ok,
  parseAmount,
  parseEpochMs,
  parseResultCode,
  parseTransId,
  refused,
  type SignedFields,
  safeText,
  signFields,
  textOf,
} from "./protocol.ts";

type Body = Readonly<Record<string, unknown>>;

// ---------------------------------------------------------------------------------------------
// Query (§2.6) and the refund query (§2.1 [T]): the same body, the same signed fields.

export interface MomoQueryRequest {
  readonly partnerCode: string;
  readonly requestId: string;
  readonly orderId: string;
  readonly lang: Locale;
  readonly signature: string;
}

export const querySignedValues = (
  request: Pick<MomoQueryRequest, "partnerCode" | "requestId" | "orderId">,
  accessKey: string,
): SignedFields<typeof MOMO_QUERY_FIELDS> => ({
  accessKey,
  orderId: request.orderId,
  partnerCode: request.partnerCode,
  requestId: request.requestId,
});

/** A signed query (or refund query) body; requestId is fresh for every query (§2.6). */
export const buildQueryRequest = (
  input: { readonly orderId: string; readonly requestId: string; readonly lang: Locale },
  merchant: MomoMerchant,
): MomoQueryRequest => {
  const unsigned = { partnerCode: merchant.partnerCode, requestId: input.requestId, orderId: input.orderId };
  return {
    ...unsigned,
    lang: input.lang,
    signature: signFields(
      MOMO_QUERY_FIELDS,
      querySignedValues(unsigned, merchant.accessKey),
      merchant.secretKey,
    ),
  };
};

/**
 * What a query answer means: a result (possibly `unknown`: ask again), a refusal of the request itself
 * (PayGov's configuration is wrong: retrying will not help), MoMo down for maintenance (retry), or an
 * answer that does not fit the question (another order, no resultCode).
 */
export type QueryDecision =
  | { readonly kind: "result"; readonly result: QueryResult }
  | { readonly kind: "invalid"; readonly providerCode: string; readonly message: string }
  | { readonly kind: "unavailable"; readonly message: string }
  | { readonly kind: "unverifiable"; readonly message: string };

export interface QueryContext {
  readonly merchant: MomoMerchant;
  readonly orderId: string;
  /** When the attempt stops being payable. */
  readonly expiresAt: Date;
  readonly now: Date;
}

/** How long past the attempt's expiry "unknown orderId" still only means "not yet" (clock skew). */
export const NOT_FOUND_GRACE_MS = 5 * 60 * 1000;

const unknownResult = (providerCode: string): QueryDecision => ({
  kind: "result",
  result: { outcome: "unknown", providerTxnId: null, amount: null, providerCode, paidAt: null },
});

/** Checks that an answer is MoMo's, about our partner and the order we asked about. */
const sameOrder = (body: Body, merchant: MomoMerchant, orderId: string): string | null => {
  if (textOf(body.partnerCode) !== null && textOf(body.partnerCode) !== merchant.partnerCode)
    return "the answer is about another partner";
  if (textOf(body.orderId) !== null && textOf(body.orderId) !== orderId)
    return "the answer is about another orderId";
  return null;
};

type QueryRule = (body: Body, code: string, context: QueryContext) => QueryDecision;

const paymentState =
  (outcome: "succeeded" | "pending" | "failed"): QueryRule =>
  (body, code) => {
    const amount = parseAmount(textOf(body.amount));
    // A success without a readable amount cannot pass PayGov's amount check: ask again.
    if (outcome === "succeeded" && amount === null) return unknownResult(code);
    return {
      kind: "result",
      result: {
        outcome,
        providerTxnId: parseTransId(textOf(body.transId)),
        amount,
        providerCode: code,
        paidAt: outcome === "succeeded" ? parseEpochMs(textOf(body.lastUpdated)) : null,
      },
    };
  };

/**
 * 42: MoMo does not know the orderId. PayGov opens an attempt only after MoMo's create answered 0, so
 * this should not happen; if it does, it means "not yet" while the attempt is payable and "never" once
 * it has expired (plus clock skew), as VNPay's 91.
 */
const notFound: QueryRule = (_body, code, context) => ({
  kind: "result",
  result: {
    outcome: context.now.getTime() > context.expiresAt.getTime() + NOT_FOUND_GRACE_MS ? "failed" : "pending",
    providerTxnId: null,
    amount: null,
    providerCode: code,
    paidAt: null,
  },
});

const QUERY_RULES: Record<MomoResultKind, QueryRule> = {
  paid: paymentState("succeeded"),
  waiting: paymentState("pending"),
  declined: paymentState("failed"),
  unknown_order: notFound,
  maintenance: (body) => ({ kind: "unavailable", message: `MoMo: ${answerMessage(body)}` }),
  rejected_request: (body, code) => ({
    kind: "invalid",
    providerCode: code,
    message: `MoMo refused the query (${code}): ${answerMessage(body)}`,
  }),
  // Our requestId collided, or MoMo is busy with the order, or says nothing: the next query decides.
  duplicate_request: (_body, code) => unknownResult(code),
  duplicate_order: (_body, code) => unknownResult(code),
  in_progress: (_body, code) => unknownResult(code),
  refund_refused: (_body, code) => unknownResult(code),
  unknown: (_body, code) => unknownResult(code),
};

/** Maps a query answer onto the contract's QueryResult. */
export const toQueryDecision = (body: Body, context: QueryContext): QueryDecision => {
  const resultCode = parseResultCode(textOf(body.resultCode));
  if (resultCode === null) return { kind: "unverifiable", message: "MoMo's query answer has no resultCode" };
  const mismatch = sameOrder(body, context.merchant, context.orderId);
  if (mismatch !== null) return { kind: "unverifiable", message: `MoMo's query answer: ${mismatch}` };
  const code = String(resultCode);
  return isMomoResultCode(resultCode)
    ? QUERY_RULES[MOMO_RESULT_CODES[resultCode].kind](body, code, context)
    : unknownResult(code);
};

// ---------------------------------------------------------------------------------------------
// Refund (§2.6): a NEW orderId for the refund, the payment's transId, partial amounts allowed.

export interface MomoRefundInput {
  /** The refund's own orderId, never the payment's (§2.6). */
  readonly orderId: string;
  /** The idempotency key of this refund: the same for a retry of the same refund. */
  readonly requestId: string;
  readonly amount: number;
  /** MoMo's transId of the payment. */
  readonly transId: string;
  readonly description: string;
  readonly lang: Locale;
}

export interface MomoRefundRequest {
  readonly partnerCode: string;
  readonly orderId: string;
  readonly requestId: string;
  readonly amount: number;
  /** A JSON number, as MoMo's transId is (§2.4). */
  readonly transId: number;
  readonly lang: Locale;
  readonly description: string;
  readonly signature: string;
}

export const refundSignedValues = (
  request: Pick<MomoRefundRequest, "partnerCode" | "orderId" | "requestId" | "description"> & {
    readonly amount: number | string;
    readonly transId: number | string;
  },
  accessKey: string,
): SignedFields<typeof MOMO_REFUND_FIELDS> => ({
  accessKey,
  amount: String(request.amount),
  description: request.description,
  orderId: request.orderId,
  partnerCode: request.partnerCode,
  requestId: request.requestId,
  transId: String(request.transId),
});

/** The signed refund body, or why PayGov cannot send it. */
export const buildRefundRequest = (
  input: MomoRefundInput,
  merchant: MomoMerchant,
): Checked<MomoRefundRequest> => {
  // 1,000 to 50,000,000 VND (§2.6; 10,000 for local ATM cards, which PayGov's wallet payments are not).
  const amount = checkAmount(input.amount, "the refund amount");
  if (!amount.ok) return amount;
  if (!isMomoOrderId(input.orderId))
    return refused(`refund orderId "${input.orderId}" breaks MoMo's pattern`);
  if (!isMomoRequestId(input.requestId)) return refused("requestId must be 1 to 50 printable characters");
  const transId = parseTransId(input.transId);
  if (transId === null || !Number.isSafeInteger(Number(transId)))
    return refused(`"${input.transId}" is not a MoMo transId`);
  const unsigned = {
    partnerCode: merchant.partnerCode,
    orderId: input.orderId,
    requestId: input.requestId,
    amount: amount.value,
    transId: Number(transId),
    description: safeText(input.description, `Hoan tien ${input.orderId}`),
  };
  return ok({
    ...unsigned,
    lang: input.lang,
    signature: signFields(
      MOMO_REFUND_FIELDS,
      refundSignedValues(unsigned, merchant.accessKey),
      merchant.secretKey,
    ),
  });
};

/**
 * What a refund answer (or a refund's line in the refund query) means. `recover`: the refund repeats an
 * earlier request (40/41/43), so the refund query says what became of it.
 */
export type RefundDecision =
  | { readonly kind: "result"; readonly result: RefundResult }
  | { readonly kind: "recover"; readonly providerCode: string; readonly message: string }
  | { readonly kind: "invalid"; readonly providerCode: string; readonly message: string }
  | { readonly kind: "unavailable"; readonly message: string }
  | { readonly kind: "unverifiable"; readonly message: string };

const refundResult = (
  outcome: RefundResult["outcome"],
  providerCode: string,
  providerRefundId: string | null = null,
): RefundDecision => ({ kind: "result", result: { outcome, providerRefundId, providerCode } });

type RefundRule = (body: Body, code: string, resultCode: number) => RefundDecision;

const REFUND_RULES: Record<MomoResultKind, RefundRule> = {
  // 0 is done: MoMo took the refund and moves the money. 9000 is not a refund state: ask.
  paid: (body, code, resultCode) =>
    resultCode === 0
      ? refundResult("succeeded", code, parseTransId(textOf(body.transId)))
      : refundResult("unknown", code),
  waiting: (_body, code) => refundResult("pending", code),
  // 1080 "try again later" is still a refusal of THIS refund; a new refund (new orderId) may follow.
  refund_refused: (_body, code) => refundResult("failed", code),
  declined: (_body, code) => refundResult("failed", code),
  duplicate_request: (body, code) => ({ kind: "recover", providerCode: code, message: answerMessage(body) }),
  duplicate_order: (body, code) => ({ kind: "recover", providerCode: code, message: answerMessage(body) }),
  in_progress: (body, code) => ({ kind: "recover", providerCode: code, message: answerMessage(body) }),
  // The transId (or orderId) is not MoMo's: the request names something that does not exist.
  unknown_order: (body, code) => ({
    kind: "invalid",
    providerCode: code,
    message: `MoMo does not know the payment (${code}): ${answerMessage(body)}`,
  }),
  rejected_request: (body, code) => ({
    kind: "invalid",
    providerCode: code,
    message: `MoMo refused the refund request (${code}): ${answerMessage(body)}`,
  }),
  maintenance: (body) => ({ kind: "unavailable", message: `MoMo: ${answerMessage(body)}` }),
  unknown: (_body, code) => refundResult("unknown", code),
};

const decideRefundCode = (body: Body, resultCode: number): RefundDecision => {
  const code = String(resultCode);
  return isMomoResultCode(resultCode)
    ? REFUND_RULES[MOMO_RESULT_CODES[resultCode].kind](body, code, resultCode)
    : refundResult("unknown", code);
};

/** Maps a refund answer onto the contract's RefundResult. */
export const toRefundDecision = (body: Body, merchant: MomoMerchant, orderId: string): RefundDecision => {
  const resultCode = parseResultCode(textOf(body.resultCode));
  if (resultCode === null) return { kind: "unverifiable", message: "MoMo's refund answer has no resultCode" };
  const mismatch = sameOrder(body, merchant, orderId);
  if (mismatch !== null) return { kind: "unverifiable", message: `MoMo's refund answer: ${mismatch}` };
  return decideRefundCode(body, resultCode);
};

/** One line of `refundTrans` (query and refund query answers, §2.6). */
export interface MomoRefundLine {
  readonly orderId: string;
  readonly amount: number;
  readonly resultCode: number;
  readonly transId: number | string;
  readonly createdTime: number;
}

/** A refund query's answer: the refund's state, or MoMo does not list the refund at all. */
export type RefundStatusDecision = RefundDecision | { readonly kind: "unlisted" };

/**
 * The state of one refund from a refund query about the payment's orderId [T/U]: its line in
 * `refundTrans`, found by the refund's own orderId; `unlisted` when MoMo has no such line.
 */
export const toRefundStatusDecision = (
  body: Body,
  context: {
    readonly merchant: MomoMerchant;
    readonly paymentOrderId: string;
    readonly refundOrderId: string;
  },
): RefundStatusDecision => {
  const resultCode = parseResultCode(textOf(body.resultCode));
  if (resultCode === null)
    return { kind: "unverifiable", message: "MoMo's refund query answer has no resultCode" };
  const mismatch = sameOrder(body, context.merchant, context.paymentOrderId);
  if (mismatch !== null) return { kind: "unverifiable", message: `MoMo's refund query answer: ${mismatch}` };
  if (resultCode !== 0) {
    const decision = decideRefundCode(body, resultCode);
    // Only the call's own failures carry over; a payment's state is not a refund's.
    return decision.kind === "result" || decision.kind === "recover"
      ? refundResult("unknown", String(resultCode))
      : decision;
  }
  const lines = Array.isArray(body.refundTrans) ? (body.refundTrans as unknown[]) : [];
  const line = lines.find(
    (entry): entry is Body =>
      typeof entry === "object" &&
      entry !== null &&
      textOf((entry as Body).orderId) === context.refundOrderId,
  );
  if (line === undefined) return { kind: "unlisted" };
  const lineCode = parseResultCode(textOf(line.resultCode));
  if (lineCode === null) return { kind: "unverifiable", message: "the refund's line has no resultCode" };
  const decision = decideRefundCode(line, lineCode);
  return decision.kind === "recover" ? refundResult("unknown", String(lineCode)) : decision;
};
