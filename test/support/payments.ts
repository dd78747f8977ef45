import { catalogueService, paymentRequestFor } from "../../domain/fee-catalogue.ts";
import { citizen } from "./citizen.ts";
import { eventually, type Stack } from "./stack.ts";

let dossiers = 0;

export interface CreatedPayment {
  readonly payment_id: string;
  readonly amount: number;
  readonly _links: { next_url: { href: string } };
}

/** A portal creates a payment from the seed fee schedule (the passport charge unless told otherwise). */
export const createPayment = async (
  stack: Stack,
  options: { serviceId?: string; lineIds?: string[]; extra?: Record<string, unknown> } = {},
): Promise<CreatedPayment> => {
  dossiers += 1;
  const body = {
    ...paymentRequestFor(catalogueService(options.serviceId ?? "svc-ho-chieu"), {
      dossierCode: `000.00.99.H99-261204-${String(dossiers).padStart(4, "0")}${Math.random().toString(36).slice(2, 6)}`,
      returnUrl: "http://localhost:8080/ho-so/return",
      ...(options.lineIds ? { lineIds: options.lineIds } : {}),
    }),
    ...options.extra,
  };
  const response = await stack.api("/v1/payments", { json: body });
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as CreatedPayment;
};

export const paymentOf = async (stack: Stack, id: string) =>
  (await (await stack.api(`/v1/payments/${id}`)).json()) as {
    state: { status: string; finished: boolean; code?: string };
    refund_summary: { status: string; amount_available: number; amount_submitted: number };
    amount: number;
  };

export const eventsOf = async (stack: Stack, id: string) =>
  (
    (await (await stack.api(`/v1/payments/${id}/events`)).json()) as {
      events: { id: string; type: string; data: Record<string, unknown> }[];
    }
  ).events;

export const waitForStatus = (stack: Stack, id: string, status: string, timeoutMs = 30_000) =>
  eventually(
    `payment ${id} to be ${status}`,
    async () => (await paymentOf(stack, id)).state.status === status,
    timeoutMs,
  );

/** Creates a payment and pays it at the VNPay simulator; returns it once PayGov shows success. */
export const paidPayment = async (stack: Stack, options: Parameters<typeof createPayment>[1] = {}) => {
  const payment = await createPayment(stack, options);
  const chosen = await citizen(stack).choose(payment._links.next_url.href, "vnpay");
  const paid = await citizen(stack).payAtVnpay(chosen.location, "success");
  await waitForStatus(stack, payment.payment_id, "success");
  return { ...payment, reference: paid.reference };
};
