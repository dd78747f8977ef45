import { Schema } from "effect";
import { CreatePaymentRequest } from "../../domain/create-payment.ts";
import { AUTOMATIC_REFUND_REASONS } from "../../domain/refund-record.ts";
import { ERROR_CODES } from "../errors.ts";
import { CreateInquiryRequest } from "./inquiries.ts";
import { CreateRefundRequest } from "./refunds.ts";
import { RotateWebhookSecretRequest } from "./webhooks.ts";

// The request schema is the one that validates requests, compiled to JSON Schema: the document
// cannot drift from what the API enforces.
const createPayment = Schema.toJsonSchemaDocument(CreatePaymentRequest);
const createRefund = Schema.toJsonSchemaDocument(CreateRefundRequest);
const createInquiry = Schema.toJsonSchemaDocument(CreateInquiryRequest);
const rotateSecret = Schema.toJsonSchemaDocument(RotateWebhookSecretRequest);
const requestProperties = (createPayment.schema as { properties: Record<string, unknown> }).properties;

const errorBody = {
  type: "object",
  required: ["code", "description"],
  properties: {
    code: { type: "string", enum: Object.keys(ERROR_CODES) },
    field: { type: "string" },
    description: { type: "string" },
  },
};

const state = {
  type: "object",
  required: ["status", "finished"],
  properties: {
    status: {
      type: "string",
      enum: ["created", "started", "success", "failed", "expired", "cancelled", "error"],
    },
    finished: { type: "boolean" },
    code: { type: "string" },
    message: { type: "string" },
  },
};

const link = { type: "object", properties: { href: { type: "string" }, method: { type: "string" } } };

const payment = {
  type: "object",
  properties: {
    payment_id: { type: "string" },
    amount: { type: "integer", description: "VND" },
    reference: { type: "string", description: "Dossier code (mã hồ sơ)" },
    description: { type: "string" },
    procedure_code: { type: "string" },
    language: { type: "string", enum: ["vi", "en"] },
    return_url: { type: "string" },
    payer: requestProperties.payer,
    metadata: { type: "object" },
    lines: requestProperties.lines,
    state,
    connector: { type: "string" },
    provider_id: { type: "string" },
    refund_summary: {
      type: "object",
      properties: {
        status: { type: "string", enum: ["pending", "available", "full", "unavailable"] },
        amount_available: { type: "integer" },
        amount_submitted: { type: "integer" },
      },
    },
    created_date: { type: "string", format: "date-time" },
    expires_date: { type: "string", format: "date-time" },
    paid_date: { type: "string", format: "date-time" },
    // receipt: the printable e-receipt of a succeeded payment, opened without a key (the URL is the secret).
    _links: { type: "object", properties: { self: link, events: link, next_url: link, receipt: link } },
  },
};

const refund = {
  type: "object",
  required: ["refund_id", "payment_id", "amount", "reason", "status", "created_date"],
  properties: {
    refund_id: { type: "string" },
    payment_id: { type: "string" },
    amount: { type: "integer", description: "VND" },
    reason: {
      type: "string",
      description: `The portal's reason, or PayGov's own: ${Object.keys(AUTOMATIC_REFUND_REASONS).join(", ")}`,
    },
    status: { type: "string", enum: ["submitted", "success", "error"] },
    created_date: { type: "string", format: "date-time" },
    concluded_date: { type: "string", format: "date-time" },
    lines: {
      type: "array",
      items: { type: "object", properties: { index: { type: "integer" }, amount: { type: "integer" } } },
    },
    manual: { type: "boolean", description: "An operator completes it: the intermediary has no refund API" },
    counts_against_payment: {
      type: "boolean",
      description: "false for the refund of a duplicate payment: it returns another attempt's money",
    },
    _links: { type: "object", properties: { self: link, payment: link } },
  },
};

const inquiry = {
  type: "object",
  required: ["inquiry_id", "payment_id", "reason", "status", "created_date", "sla_due_date"],
  properties: {
    inquiry_id: { type: "string" },
    payment_id: { type: "string" },
    reason: {
      type: "string",
      enum: ["paid_not_confirmed", "double_charge", "wrong_amount", "refund_request"],
    },
    note: { type: "string" },
    status: { type: "string", enum: ["open", "escalated", "resolved"] },
    resolution: { type: "string" },
    resolution_note: { type: "string" },
    resolved_by: { type: "string", enum: ["paygov", "operator"] },
    created_date: { type: "string", format: "date-time" },
    sla_due_date: { type: "string", format: "date-time" },
    resolved_date: { type: "string", format: "date-time" },
    _links: { type: "object", properties: { self: link, payment: link } },
  },
};

const delivery = {
  type: "object",
  properties: {
    id: { type: "string" },
    event_id: { type: "string" },
    event_type: { type: "string" },
    payment_id: { type: "string" },
    url: { type: "string" },
    attempt: { type: "integer" },
    status: { type: "string", enum: ["pending", "delivered", "failed", "dead"] },
    status_code: { type: ["integer", "null"] },
    error: { type: ["string", "null"] },
    created_date: { type: "string", format: "date-time" },
    next_retry_date: { type: ["string", "null"], format: "date-time" },
  },
};

const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((status) => [
      String(status),
      {
        description: Object.entries(ERROR_CODES)
          .filter(([, s]) => s === status)
          .map(([code]) => code)
          .join(", "),
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      },
    ]),
  );

const json = (schema: unknown) => ({ content: { "application/json": { schema } } });
const pathParam = (name: string) => ({ name, in: "path", required: true, schema: { type: "string" } });
const idParam = pathParam("id");
const idempotencyKey = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  schema: { type: "string", maxLength: 255 },
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const listOf = (key: string, item: string) =>
  json({ type: "object", properties: { [key]: { type: "array", items: ref(item) } } });

/** The OpenAPI 3.1 document of the portal API, served at /v1/openapi.json. */
export const openApiDocument = (publicUrl: string) => ({
  openapi: "3.1.0",
  info: {
    title: "PayGov portal API",
    version: "1.0.0",
    description:
      "Create and follow payments of public-service fees and charges. Amounts are integer VND. " +
      "Every POST accepts an Idempotency-Key header (1–255 printable ASCII characters without spaces).",
  },
  servers: [{ url: publicUrl }],
  security: [{ bearer: [] }],
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    schemas: {
      CreatePaymentRequest: createPayment.schema,
      CreateRefundRequest: createRefund.schema,
      CreateInquiryRequest: createInquiry.schema,
      RotateWebhookSecretRequest: rotateSecret.schema,
      Payment: payment,
      Refund: refund,
      Inquiry: inquiry,
      WebhookDelivery: delivery,
      Error: errorBody,
      ...createPayment.definitions,
      ...createRefund.definitions,
      ...createInquiry.definitions,
      ...rotateSecret.definitions,
    },
  },
  paths: {
    "/v1/payments": {
      post: {
        summary: "Create a payment for a dossier",
        parameters: [idempotencyKey],
        requestBody: { required: true, ...json(ref("CreatePaymentRequest")) },
        responses: {
          "201": { description: "Created", ...json({ $ref: "#/components/schemas/Payment" }) },
          ...errors(400, 401, 409, 422, 503),
        },
      },
      get: {
        summary: "Search the agency's payments, newest first",
        parameters: ["reference", "state", "from_date", "to_date", "page_size", "cursor"].map((name) => ({
          name,
          in: "query",
          required: false,
          schema: { type: "string" },
        })),
        responses: {
          "200": {
            description: "A page of payments",
            ...json({
              type: "object",
              properties: {
                count: { type: "integer" },
                results: { type: "array", items: { $ref: "#/components/schemas/Payment" } },
                _links: { type: "object" },
              },
            }),
          },
          ...errors(401, 422),
        },
      },
    },
    "/v1/payments/{id}": {
      get: {
        summary: "Read a payment",
        parameters: [idParam],
        responses: {
          "200": { description: "The payment", ...json({ $ref: "#/components/schemas/Payment" }) },
          ...errors(401, 404),
        },
      },
    },
    "/v1/payments/{id}/events": {
      get: {
        summary: "A payment's events, oldest first",
        parameters: [idParam],
        responses: {
          "200": {
            description: "Events",
            ...json({
              type: "object",
              properties: {
                events: {
                  type: "array",
                  items: {
                    type: "object",
                    properties: {
                      id: { type: "string" },
                      type: { type: "string" },
                      created_date: { type: "string", format: "date-time" },
                      state,
                      data: { type: "object" },
                    },
                  },
                },
              },
            }),
          },
          ...errors(401, 404),
        },
      },
    },
    "/v1/payments/{id}/refunds": {
      post: {
        summary: "Refund all or part of a paid payment",
        description:
          "refund_amount_available must equal the payment's refund_summary.amount_available now (412 otherwise), " +
          "so that two refunds decided on the same reading cannot both go through.",
        parameters: [idParam, idempotencyKey],
        requestBody: { required: true, ...json(ref("CreateRefundRequest")) },
        responses: {
          "202": { description: "Submitted to the intermediary", ...json(ref("Refund")) },
          ...errors(400, 401, 404, 409, 412, 422, 503),
        },
      },
      get: {
        summary: "A payment's refunds, oldest first",
        parameters: [idParam],
        responses: { "200": { description: "Refunds", ...listOf("refunds", "Refund") }, ...errors(401, 404) },
      },
    },
    "/v1/payments/{id}/refunds/{refund_id}": {
      get: {
        summary: "Read a refund",
        parameters: [idParam, pathParam("refund_id")],
        responses: { "200": { description: "The refund", ...json(ref("Refund")) }, ...errors(401, 404) },
      },
    },
    "/v1/payments/{id}/cancel": {
      post: {
        summary: "Cancel a payment not yet paid (created or started)",
        parameters: [idParam, idempotencyKey],
        responses: { "204": { description: "Cancelled" }, ...errors(401, 404, 409, 503) },
      },
    },
    "/v1/payments/{id}/inquiries": {
      post: {
        summary: "Open an inquiry (tra soát) on a payment",
        parameters: [idParam, idempotencyKey],
        requestBody: { required: true, ...json(ref("CreateInquiryRequest")) },
        responses: {
          "201": { description: "Opened", ...json(ref("Inquiry")) },
          ...errors(400, 401, 404, 409, 422, 503),
        },
      },
      get: {
        summary: "A payment's inquiries",
        parameters: [idParam],
        responses: {
          "200": { description: "Inquiries", ...listOf("inquiries", "Inquiry") },
          ...errors(401, 404),
        },
      },
    },
    "/v1/payments/{id}/inquiries/{inquiry_id}": {
      get: {
        summary: "Read an inquiry",
        parameters: [idParam, pathParam("inquiry_id")],
        responses: { "200": { description: "The inquiry", ...json(ref("Inquiry")) }, ...errors(401, 404) },
      },
    },
    "/v1/webhook-deliveries": {
      get: {
        summary: "The agency's webhook delivery log, newest first (500 at most)",
        parameters: ["payment_id", "event_type", "status"].map((name) => ({
          name,
          in: "query",
          required: false,
          schema: { type: "string" },
        })),
        responses: {
          "200": { description: "Deliveries", ...listOf("deliveries", "WebhookDelivery") },
          ...errors(401, 422),
        },
      },
    },
    "/v1/webhook-deliveries/{id}/redeliver": {
      post: {
        summary: "Deliver an event once more, now, outside its retry schedule",
        parameters: [idParam, idempotencyKey],
        responses: {
          "202": { description: "Queued", ...json(ref("WebhookDelivery")) },
          ...errors(401, 404),
        },
      },
    },
    "/v1/webhook-secret/rotate": {
      post: {
        summary: "Replace the webhook signing secret; the old one keeps signing beside it for the overlap",
        parameters: [idempotencyKey],
        requestBody: { required: false, ...json(ref("RotateWebhookSecretRequest")) },
        responses: {
          "201": {
            description: "The new secret, shown once",
            ...json({
              type: "object",
              properties: {
                secret: { type: "string" },
                previous_secret_valid_until: { type: "string", format: "date-time" },
              },
            }),
          },
          ...errors(400, 401, 422),
        },
      },
    },
  },
});
