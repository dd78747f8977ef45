import { Schema } from "effect";
import { CreatePaymentRequest } from "../../domain/create-payment.ts";
import { ERROR_CODES } from "../errors.ts";

// The request schema is the one that validates requests, compiled to JSON Schema: the document
// cannot drift from what the API enforces.
const createPayment = Schema.toJsonSchemaDocument(CreatePaymentRequest);
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
const idParam = { name: "id", in: "path", required: true, schema: { type: "string" } };

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
      Payment: payment,
      Error: errorBody,
      ...createPayment.definitions,
    },
  },
  paths: {
    "/v1/payments": {
      post: {
        summary: "Create a payment for a dossier",
        parameters: [
          {
            name: "Idempotency-Key",
            in: "header",
            required: false,
            schema: { type: "string", maxLength: 255 },
          },
        ],
        requestBody: { required: true, ...json({ $ref: "#/components/schemas/CreatePaymentRequest" }) },
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
  },
});
