import { checkoutToken } from "./checkout-token.ts";
import { type PaymentRecord, paymentState } from "./payment-record.ts";
import { receiptPath } from "./receipt.ts";

/** What rendering links needs: where PayGov is, and the key that signs checkout links. */
export interface LinkContext {
  readonly publicUrl: string;
  readonly secretKey: string;
}

const link = (href: string, method: "GET" | "POST") => ({ href, method });

/** The checkout page of a payment: a bearer secret, given only to the portal that created it. */
export const nextUrl = (ctx: LinkContext, paymentId: string): string =>
  `${ctx.publicUrl}/pay/${checkoutToken(ctx.secretKey, paymentId)}`;

/** refund_summary as GOV.UK Pay defines it: pending until paid, then available/full; unavailable if never paid. */
export const refundSummary = (
  p: Pick<PaymentRecord, "status" | "finished" | "amount" | "refundedAmount">,
) => {
  if (p.status === "success") {
    const available = p.amount - p.refundedAmount;
    return {
      status: available > 0 ? "available" : "full",
      amount_available: available,
      amount_submitted: p.refundedAmount,
    };
  }
  return { status: p.finished ? "unavailable" : "pending", amount_available: 0, amount_submitted: 0 };
};

/**
 * What the citizen carries when the chosen method gives them something (a VietQR to scan, a counter
 * code): portals can show it on their own pages too.
 */
export const paymentInstructions = (p: PaymentRecord) => {
  const open = p.openAttempt;
  if (p.finished || open === null) return null;
  const common = { amount: p.amount, expires_date: open.expiresAt.toISOString() };
  if (open.initiation.kind === "qr") {
    return {
      method: open.connector,
      qr_payload: open.initiation.payload,
      ...(open.initiation.bank ? { bank: open.initiation.bank } : {}),
      ...(open.initiation.account ? { account: open.initiation.account } : {}),
      ...(open.initiation.accountName ? { account_name: open.initiation.accountName } : {}),
      description: open.initiation.description,
      ...common,
    };
  }
  if (open.initiation.kind === "payment_code") {
    return {
      method: open.connector,
      payment_code: open.initiation.code,
      description: p.description,
      ...common,
    };
  }
  return null;
};

/** The payment resource of the portal API: the same shape in responses and webhooks. */
export const renderPayment = (p: PaymentRecord, ctx: LinkContext) => {
  const self = `${ctx.publicUrl}/v1/payments/${p.id}`;
  const instructions = paymentInstructions(p);
  return {
    payment_id: p.id,
    amount: p.amount,
    reference: p.reference,
    description: p.description,
    ...(p.procedureCode ? { procedure_code: p.procedureCode } : {}),
    language: p.language,
    return_url: p.returnUrl,
    payer: p.payer,
    metadata: p.metadata ?? {},
    lines: p.lines.map((l) => ({ ...l })),
    state: paymentState(p),
    ...(p.connector ? { connector: p.connector } : {}),
    ...(p.providerTxnId ? { provider_id: p.providerTxnId } : {}),
    refund_summary: refundSummary(p),
    ...(instructions ? { payment_instructions: instructions } : {}),
    created_date: p.createdAt.toISOString(),
    expires_date: p.expiresAt.toISOString(),
    ...(p.succeededAt ? { paid_date: p.succeededAt.toISOString() } : {}),
    _links: {
      self: link(self, "GET"),
      events: link(`${self}/events`, "GET"),
      ...(p.finished ? {} : { next_url: link(nextUrl(ctx, p.id), "GET") }),
      // Issued in the transaction that records the success, so every succeeded payment has one.
      ...(p.status === "success"
        ? { receipt: link(`${ctx.publicUrl}${receiptPath(ctx.secretKey, p.id)}`, "GET") }
        : {}),
    },
  };
};
export type PaymentResource = ReturnType<typeof renderPayment>;
