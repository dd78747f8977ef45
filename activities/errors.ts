import { Data } from "effect";

export class PaymentNotFound extends Data.TaggedError("PaymentNotFound")<{ readonly message: string }> {}
export class AttemptNotFound extends Data.TaggedError("AttemptNotFound")<{ readonly message: string }> {}
export class ConnectorNotEnabled extends Data.TaggedError("ConnectorNotEnabled")<{
  readonly message: string;
}> {}
export class RefundNotAvailable extends Data.TaggedError("RefundNotAvailable")<{
  readonly message: string;
}> {}
