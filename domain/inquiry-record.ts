import type { LinkContext } from "./payment-resource.ts";

/** An inquiry (tra soát) as the ledger holds it. */
export interface InquiryRecord {
  readonly id: string;
  readonly paymentId: string;
  readonly agencyId: string;
  readonly reason: "paid_not_confirmed" | "double_charge" | "wrong_amount" | "refund_request";
  readonly note: string | null;
  readonly status: "open" | "escalated" | "resolved";
  readonly resolution: string | null;
  readonly resolutionNote: string | null;
  readonly resolvedBy: string | null;
  readonly slaDueAt: Date;
  readonly createdAt: Date;
  readonly resolvedAt: Date | null;
}

/** The inquiry resource of the portal API, in responses and webhooks. */
export const renderInquiry = (i: InquiryRecord, ctx: LinkContext) => ({
  inquiry_id: i.id,
  payment_id: i.paymentId,
  reason: i.reason,
  ...(i.note ? { note: i.note } : {}),
  status: i.status,
  ...(i.resolution ? { resolution: i.resolution } : {}),
  ...(i.resolutionNote ? { resolution_note: i.resolutionNote } : {}),
  ...(i.resolvedBy ? { resolved_by: i.resolvedBy === "paygov" ? "paygov" : "operator" } : {}),
  created_date: i.createdAt.toISOString(),
  sla_due_date: i.slaDueAt.toISOString(),
  ...(i.resolvedAt ? { resolved_date: i.resolvedAt.toISOString() } : {}),
  _links: {
    self: { href: `${ctx.publicUrl}/v1/payments/${i.paymentId}/inquiries/${i.id}`, method: "GET" },
    payment: { href: `${ctx.publicUrl}/v1/payments/${i.paymentId}`, method: "GET" },
  },
});
