import { Schema } from "effect";

const text = (max: number) => Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(max));
const digits = (n: number, what: string) =>
  Schema.String.check(
    Schema.isPattern(new RegExp(`^\\d{${n}}$`), { message: `${what} must be ${n} digits` }),
  );

/** Largest payment PayGov accepts, in VND; intermediaries may set lower limits of their own. */
export const MAX_AMOUNT = 99_999_999_999;

/** A positive whole number of đồng. */
export const Amount = Schema.Number.check(
  Schema.isInt({ message: "must be a whole number of VND" }),
  Schema.isGreaterThan(0, { message: "must be greater than 0" }),
  Schema.isLessThanOrEqualTo(MAX_AMOUNT, { message: `must be at most ${MAX_AMOUNT}` }),
);

/** Budget classification of a fee line (Mục lục NSNN): what settlement sums by. */
export const BudgetCodes = {
  /** Mã chương: the managing body. */
  chapter: Schema.optionalKey(digits(3, "chapter")),
  /** Mã tiểu mục (NDKT): the economic content, e.g. 2752 passport charge. */
  sub_item: digits(4, "sub_item"),
  /** Mã địa bàn hành chính (ĐBHC). */
  area: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(/^[0-9A-Z]{5}$/, { message: "area must be 5 characters" })),
  ),
  /** Mã cơ quan quản lý thu. */
  revenue_authority: Schema.optionalKey(digits(7, "revenue_authority")),
  /** Số hiệu Kho bạc Nhà nước (SHKB). */
  treasury: Schema.optionalKey(digits(4, "treasury")),
  /** Treasury account: 7111 (thu NSNN), or a KBNN account string such as 3511.0.1004872.00000. */
  account: Schema.optionalKey(
    Schema.String.check(
      Schema.isPattern(/^\d{4}(\.\d{1,10}){0,3}$/, {
        message: "account must look like 7111 or 3511.0.1004872.00000",
      }),
    ),
  ),
};

/** One fee (phí) or charge (lệ phí) line of a dossier's payment. */
export const FeeLineInput = Schema.Struct({
  kind: Schema.Literals(["fee", "charge"]),
  name: text(255),
  amount: Amount,
  ...BudgetCodes,
});

export const PayerInput = Schema.Struct({
  name: text(255),
  id_number: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[0-9A-Za-z]{6,20}$/))),
  email: Schema.optionalKey(
    Schema.String.check(Schema.isMaxLength(254), Schema.isPattern(/^[^\s@]+@[^\s@]+\.[^\s@]+$/)),
  ),
  phone: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^\+?[0-9]{9,15}$/))),
});

const MetadataValue = Schema.Union([
  Schema.String.check(Schema.isMaxLength(100)),
  Schema.Number,
  Schema.Boolean,
]);

/** The body of POST /v1/payments. */
export const CreatePaymentRequest = Schema.Struct({
  amount: Amount,
  /** The dossier code (mã hồ sơ). */
  reference: text(255),
  description: text(255),
  return_url: text(2000),
  procedure_code: Schema.optionalKey(text(64)),
  lines: Schema.Array(FeeLineInput).check(
    Schema.isMinLength(1, { message: "at least one line is required" }),
    Schema.isMaxLength(100),
  ),
  payer: PayerInput,
  connector: Schema.optionalKey(text(32)),
  expires_in: Schema.optionalKey(Schema.Number.check(Schema.isInt())),
  language: Schema.optionalKey(Schema.Literals(["vi", "en"])),
  metadata: Schema.optionalKey(
    Schema.Record(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(30)), MetadataValue).check(
      Schema.isMaxProperties(15),
    ),
  ),
});
export type CreatePaymentRequest = typeof CreatePaymentRequest.Type;
export type FeeLineInput = typeof FeeLineInput.Type;

/** A fee line with every budget code filled in (from the request, else the agency's defaults). */
export interface FeeLine {
  readonly kind: "fee" | "charge";
  readonly name: string;
  readonly amount: number;
  readonly chapter: string;
  readonly sub_item: string;
  readonly area: string;
  readonly revenue_authority: string;
  readonly treasury: string;
  readonly account: string;
}

/** An agency's default budget codes, used for any code a line leaves out. */
export type BudgetDefaults = Partial<
  Pick<FeeLine, "chapter" | "area" | "revenue_authority" | "treasury" | "account">
>;

/** Why a request that passed the schema still cannot become a payment. */
export interface RuleViolation {
  readonly code: "lines_total_mismatch" | "missing_field" | "invalid_field";
  readonly field: string;
  readonly description: string;
}

const DEFAULTABLE = ["chapter", "area", "revenue_authority", "treasury", "account"] as const;

/** Applies the rules the schema cannot express: the lines sum to the amount, every line has all its codes. */
export const completeLines = (
  request: CreatePaymentRequest,
  defaults: BudgetDefaults,
): { ok: true; lines: FeeLine[] } | { ok: false; violation: RuleViolation } => {
  const total = request.lines.reduce((sum, line) => sum + line.amount, 0);
  if (total !== request.amount) {
    return {
      ok: false,
      violation: {
        code: "lines_total_mismatch",
        field: "lines",
        description: `The lines add up to ${total} VND but amount is ${request.amount} VND`,
      },
    };
  }
  const lines: FeeLine[] = [];
  for (const [index, line] of request.lines.entries()) {
    const filled: Record<string, string> = {};
    for (const key of DEFAULTABLE) {
      const value = line[key] ?? defaults[key];
      if (value === undefined) {
        return {
          ok: false,
          violation: {
            code: "missing_field",
            field: `lines.${index}.${key}`,
            description: `Missing mandatory field: lines.${index}.${key} (the agency has no default for it)`,
          },
        };
      }
      filled[key] = value;
    }
    lines.push({
      kind: line.kind,
      name: line.name,
      amount: line.amount,
      sub_item: line.sub_item,
      chapter: filled.chapter!,
      area: filled.area!,
      revenue_authority: filled.revenue_authority!,
      treasury: filled.treasury!,
      account: filled.account!,
    });
  }
  return { ok: true, lines };
};

/** Longest expiry a portal may ask for: a week, long enough for "thu sau" counters. */
export const MAX_EXPIRES_IN_SECONDS = 7 * 24 * 3600;

/** Checks expires_in against the platform's bounds; returns the seconds to use. */
export const resolveExpiresIn = (
  requested: number | undefined,
  bounds: { min: number; fallback: number },
): { ok: true; seconds: number } | { ok: false; violation: RuleViolation } => {
  if (requested === undefined) return { ok: true, seconds: bounds.fallback };
  if (requested < bounds.min || requested > MAX_EXPIRES_IN_SECONDS) {
    return {
      ok: false,
      violation: {
        code: "invalid_field",
        field: "expires_in",
        description: `Invalid expires_in: must be between ${bounds.min} and ${MAX_EXPIRES_IN_SECONDS} seconds`,
      },
    };
  }
  return { ok: true, seconds: requested };
};
