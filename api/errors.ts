/** Every error code the portal API returns, with its HTTP status. Codes are a contract: never renamed. */
export const ERROR_CODES = {
  malformed_json: 400,
  unauthenticated: 401,
  forbidden: 403,
  payment_not_found: 404,
  refund_not_found: 404,
  inquiry_not_found: 404,
  delivery_not_found: 404,
  settlement_not_found: 404,
  reconciliation_not_found: 404,
  discrepancy_not_found: 404,
  treasury_document_not_found: 404,
  not_found: 404,
  idempotency_key_reused: 409,
  idempotency_request_in_progress: 409,
  payment_finished: 409,
  payment_not_cancellable: 409,
  inquiry_resolved: 409,
  reconciliation_not_completed: 409,
  discrepancy_not_awaiting_operator: 409,
  treasury_document_not_mismatched: 409,
  refund_not_available: 409,
  refund_amount_available_mismatch: 412,
  refund_amount_exceeds_available: 422,
  unsupported_media_type: 415,
  missing_field: 422,
  invalid_field: 422,
  lines_total_mismatch: 422,
  return_url_not_allowed: 422,
  connector_unavailable: 422,
  idempotency_key_invalid: 422,
  service_unavailable: 503,
  internal_error: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

/** An error a client caused or must know about, rendered as `{code, field?, description}`. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly status: (typeof ERROR_CODES)[ErrorCode];
  constructor(code: ErrorCode, description: string, field?: string) {
    super(description);
    this.code = code;
    this.field = field;
    this.status = ERROR_CODES[code];
  }

  toJSON() {
    return {
      code: this.code,
      ...(this.field !== undefined ? { field: this.field } : {}),
      description: this.message,
    };
  }
}
