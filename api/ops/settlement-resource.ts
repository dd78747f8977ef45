import { csvField } from "../../connectors/sdk/recon-file.ts";
import type { SettlementRecord, TreasuryDocumentRecord } from "../../db/settlement.ts";
import { beneficiaryKey } from "../../domain/settlement.ts";

/** A settlement run as the ops API shows it: its statement once computed, and its documents' progress. */
export const renderSettlement = (
  s: SettlementRecord,
  documents: ReadonlyArray<TreasuryDocumentRecord>,
  publicUrl: string,
) => ({
  settlement_id: s.id,
  business_date: s.businessDate,
  status: s.status,
  created_date: s.createdAt.toISOString(),
  ...(s.completedAt ? { completed_date: s.completedAt.toISOString() } : {}),
  ...(s.sentAt ? { sent_date: s.sentAt.toISOString() } : {}),
  ...(s.confirmedAt ? { confirmed_date: s.confirmedAt.toISOString() } : {}),
  statement: s.statement,
  documents: documents.map((d) => ({
    document_no: d.id,
    reference_no: d.referenceNo,
    treasury: d.treasury,
    account: d.account,
    agency: d.document.payer.agency_code,
    amount: d.amount,
    status: d.status,
    ...(d.treasuryReceiptNo ? { treasury_receipt_no: d.treasuryReceiptNo } : {}),
    ...(d.acceptedAt ? { accepted_date: d.acceptedAt.toISOString() } : {}),
    ...(d.lastRefusal ? { last_refusal: d.lastRefusal } : {}),
    credit_advice:
      d.adviceNo === null
        ? null
        : { advice_no: d.adviceNo, amount: d.adviceAmount, value_date: d.adviceValueDate },
    ...(d.resolution
      ? {
          resolution: {
            resolution: d.resolution.resolution,
            note: d.resolution.note,
            resolved_by: d.resolution.resolvedBy,
            resolved_date: d.resolution.resolvedAt.toISOString(),
          },
        }
      : {}),
  })),
  _links: {
    self: { href: `${publicUrl}/v1/ops/settlements/${s.id}`, method: "GET" },
    statement_csv: { href: `${publicUrl}/v1/ops/settlements/${s.id}/statement.csv`, method: "GET" },
    page: { href: `${publicUrl}/ops/settlements/${s.id}`, method: "GET" },
  },
});

const CSV_HEADER = [
  "business_date",
  "settlement_id",
  "document_no",
  "reference_no",
  "agency",
  "treasury",
  "account",
  "chapter",
  "sub_item",
  "area",
  "revenue_authority",
  "amount",
  "of_which_adjustments",
];

/**
 * The statement as CSV (RFC 4180, UTF-8, CRLF): one row per beneficiary and budget code, as remitted.
 * `amount` already nets the adjustments; `of_which_adjustments` says how much of it they are (≤ 0), so
 * that the rows sum to the statement's total and nothing is counted twice.
 */
export const statementCsv = (
  s: SettlementRecord,
  documents: ReadonlyArray<TreasuryDocumentRecord>,
): string => {
  const rows: (string | number)[][] = [CSV_HEADER];
  const statement = s.statement;
  if (statement !== null) {
    const documentOf = new Map(
      documents.map((d) => [
        beneficiaryKey({ agency: d.document.payer.agency_code, treasury: d.treasury, account: d.account }),
        d,
      ]),
    );
    const adjusted = new Map<string, number>();
    for (const a of statement.adjustments) {
      for (const l of a.lines) {
        const key = `${beneficiaryKey(a)}|${l.chapter}|${l.sub_item}|${l.area}|${l.revenue_authority}`;
        adjusted.set(key, (adjusted.get(key) ?? 0) + l.amount);
      }
    }
    for (const b of statement.beneficiaries) {
      const document = documentOf.get(beneficiaryKey(b));
      for (const l of b.lines) {
        const key = `${beneficiaryKey(b)}|${l.chapter}|${l.sub_item}|${l.area}|${l.revenue_authority}`;
        rows.push([
          s.businessDate,
          s.id,
          document?.id ?? "",
          document?.referenceNo ?? "",
          b.agency,
          b.treasury,
          b.account,
          l.chapter,
          l.sub_item,
          l.area,
          l.revenue_authority,
          l.amount,
          adjusted.get(key) ?? 0,
        ]);
      }
    }
  }
  return rows.map((r) => `${r.map(csvField).join(",")}\r\n`).join("");
};
