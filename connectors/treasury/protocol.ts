/**
 * PayGov ↔ State Treasury (Kho bạc Nhà nước, KBNN): the wire shapes and their signatures, pure.
 *
 * PayGov sends each settlement's treasury payment documents (Giấy nộp tiền vào NSNN, form C1-02/NS,
 * reference/paygov-domain.md §6.2) and later asks for the credit advices (giấy báo Có) that say the
 * money was booked. Every body in both directions is signed: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<raw body>">` under the shared secret (PAYGOV_TREASURY_SECRET), PayGov's requests in
 * PayGov-Signature and the treasury's answers in KBNN-Signature, so that neither side acts on a
 * document or an advice the other did not send.
 */
import { Schema } from "effect";
import { accountKind, type StatementBeneficiary } from "../../domain/settlement.ts";
import { amountInVietnameseWords } from "../../domain/vnd-words.ts";
import { signWebhook, verifyWebhookSignature } from "../../domain/webhook-signature.ts";

/** The header of PayGov's signed requests. */
export const REQUEST_SIGNATURE_HEADER = "PayGov-Signature";
/** The header of the treasury's signed answers. */
export const RESPONSE_SIGNATURE_HEADER = "KBNN-Signature";

/** Signs a body with the shared secret at `nowSeconds`. */
export const signTreasuryBody = (secret: string, body: string, nowSeconds: number): string =>
  signWebhook(secret, body, nowSeconds);

/** Checks a signature in constant time; a timestamp more than 5 minutes away is refused (replays). */
export const verifyTreasuryBody = (
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
): boolean => verifyWebhookSignature([secret], header, body, nowSeconds);

const text = (max: number) => Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(max));
const code = (pattern: RegExp) => Schema.String.check(Schema.isPattern(pattern));
const Vnd = Schema.Number.check(Schema.isInt());
const IsoDate = code(/^\d{4}-\d{2}-\d{2}$/);

/** One line of a C1-02/NS: what is paid, how much, and its budget codes. */
export const TreasuryDocumentLine = Schema.Struct({
  /** STT */
  no: Schema.Number.check(Schema.isInt(), Schema.isGreaterThan(0)),
  /** Nội dung các khoản nộp NSNN */
  content: text(500),
  /** Số tiền VND; negative only for a reduction (a refund of revenue booked by an earlier document). */
  amount: Vnd,
  /** Mã chương */
  chapter: code(/^\d{3}$/),
  /** Mã tiểu mục (NDKT) */
  sub_item: code(/^\d{4}$/),
  /** Mã địa bàn hành chính (ĐBHC) */
  area: code(/^[0-9A-Z]{5}$/),
  /** Mã cơ quan quản lý thu */
  revenue_authority: code(/^\d{7}$/),
});
export type TreasuryDocumentLine = typeof TreasuryDocumentLine.Type;

/** A treasury payment document, Giấy nộp tiền vào NSNN (C1-02/NS), with the fields PayGov knows. */
export const TreasuryDocument = Schema.Struct({
  form: Schema.Literal("C1-02/NS"),
  /** Số: PayGov's number of the document. */
  document_no: text(64),
  /** Số tham chiếu: unique for PayGov, the same at every hop. */
  reference_no: code(/^[A-Z0-9]{8,35}$/),
  /** Hình thức nộp: chuyển khoản. */
  method: Schema.Literal("transfer"),
  currency: Schema.Literal("VND"),
  /** The business date settled (Vietnam). */
  business_date: IsoDate,
  created_at: text(40),
  /** Người nộp: the collecting agency, on whose behalf PayGov remits. */
  payer: Schema.Struct({
    name: text(255),
    agency_code: text(64),
    tax_id: Schema.NullOr(text(14)),
    dvqhns_code: Schema.NullOr(code(/^\d{7}$/)),
    address: Schema.NullOr(text(255)),
  }),
  /** Kho bạc Nhà nước: its number (SHKB) and name. */
  treasury: Schema.Struct({ code: code(/^\d{4}$/), name: Schema.NullOr(text(255)) }),
  /** Nộp vào tài khoản: the account and which kind C1-02/NS ticks (TK thu NSNN / TK tạm thu / other). */
  account: Schema.Struct({
    number: code(/^\d{4}(\.\d{1,10}){0,3}$/),
    kind: Schema.Literals(["thu_nsnn", "tam_thu", "other"]),
  }),
  lines: Schema.Array(TreasuryDocumentLine).check(Schema.isMinLength(1)),
  /** Tổng cộng, in figures and in words. */
  total: Vnd.check(Schema.isGreaterThan(0)),
  total_in_words: text(500),
});
export type TreasuryDocument = typeof TreasuryDocument.Type;

/** POST <url>/documents */
export const SubmitDocuments = Schema.Struct({ documents: Schema.Array(TreasuryDocument) });

/** The treasury's word on one document: accepted (with its own number), or refused with the reason. */
export const DocumentResult = Schema.Union([
  Schema.Struct({
    reference_no: Schema.String,
    status: Schema.Literal("accepted"),
    receipt_no: Schema.String,
    accepted_at: Schema.String,
  }),
  Schema.Struct({ reference_no: Schema.String, status: Schema.Literal("refused"), reason: Schema.String }),
]);
export type DocumentResult = typeof DocumentResult.Type;
export const SubmitDocumentsAnswer = Schema.Struct({ results: Schema.Array(DocumentResult) });

/** POST <url>/credit-advices: the advices issued so far for these references. */
export const AskCreditAdvices = Schema.Struct({ references: Schema.Array(Schema.String) });

/** A credit advice (giấy báo Có): the treasury booked this amount into the account on the value date. */
export const CreditAdvice = Schema.Struct({
  advice_no: Schema.String,
  reference_no: Schema.String,
  document_no: Schema.String,
  amount: Vnd,
  treasury: Schema.String,
  account: Schema.String,
  value_date: IsoDate,
  credited_at: Schema.String,
});
export type CreditAdvice = typeof CreditAdvice.Type;
export const CreditAdvicesAnswer = Schema.Struct({ advices: Schema.Array(CreditAdvice) });

/** The collecting agency as the payer side of its documents. */
export interface AgencyIdentity {
  readonly code: string;
  readonly name: string;
  readonly taxId: string | null;
  readonly dvqhnsCode: string | null;
  readonly address: string | null;
}

const dmy = (isoDate: string) => isoDate.split("-").reverse().join("/");

/** The content of a line, in the treasury's words. */
const lineContent = (amount: number, subItem: string, businessDate: string, settlementId: string) =>
  amount >= 0
    ? `Thu phí, lệ phí (NDKT ${subItem}) qua PayGov ngày ${dmy(businessDate)}, bảng kê ${settlementId}`
    : `Điều chỉnh giảm (NDKT ${subItem}): hoàn trả khoản đã nộp theo bảng kê trước, bảng kê ${settlementId}`;

/** The C1-02/NS for one beneficiary of a settlement statement. */
export const treasuryDocumentFor = (input: {
  readonly settlementId: string;
  readonly businessDate: string;
  readonly documentNo: string;
  readonly referenceNo: string;
  readonly createdAt: string;
  readonly beneficiary: StatementBeneficiary;
  readonly agency: AgencyIdentity;
  readonly treasuryName: string | null;
}): TreasuryDocument => {
  const b = input.beneficiary;
  return {
    form: "C1-02/NS",
    document_no: input.documentNo,
    reference_no: input.referenceNo,
    method: "transfer",
    currency: "VND",
    business_date: input.businessDate,
    created_at: input.createdAt,
    payer: {
      name: input.agency.name,
      agency_code: input.agency.code,
      tax_id: input.agency.taxId,
      dvqhns_code: input.agency.dvqhnsCode,
      address: input.agency.address,
    },
    treasury: { code: b.treasury, name: input.treasuryName },
    account: { number: b.account, kind: accountKind(b.account) },
    lines: b.lines.map((l, i) => ({
      no: i + 1,
      content: lineContent(l.amount, l.sub_item, input.businessDate, input.settlementId),
      amount: l.amount,
      chapter: l.chapter,
      sub_item: l.sub_item,
      area: l.area,
      revenue_authority: l.revenue_authority,
    })),
    total: b.total,
    total_in_words: amountInVietnameseWords(b.total),
  };
};

/** Why a document cannot be booked as it is, or null: the checks the treasury makes on receipt. */
export const documentProblem = (d: TreasuryDocument): string | null => {
  const sum = d.lines.reduce((t, l) => t + l.amount, 0);
  if (sum !== d.total) return `the lines add up to ${sum}, not the total ${d.total}`;
  if (d.total_in_words !== amountInVietnameseWords(d.total))
    return "the total in words does not read the total in figures";
  return null;
};

/** A reference number: QT, the business date, and a run and document that make it unique. */
export const referenceNoFor = (businessDate: string, settlementId: string, seq: number): string =>
  `QT${businessDate.replaceAll("-", "")}${settlementId.slice(0, 10).toUpperCase()}${String(seq).padStart(3, "0")}`;
