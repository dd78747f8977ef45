import type { TransactionSql } from "postgres";
import {
  RECEIPT_TEMPLATE,
  type ReceiptItem,
  type ReceiptRecord,
  receiptSeries,
  receiptYear,
} from "../domain/receipt.ts";
import type { ReceiptSigner } from "../domain/receipt-signature.ts";
import type { Db } from "./client.ts";

/**
 * Issues the e-receipt of a payment that has just succeeded, inside the transaction that records the
 * success: the receipt and its number exist exactly when the success does. Does nothing if the payment
 * already has one (a number is taken only for a receipt that is written).
 */
export const issueReceipt = async (
  tx: TransactionSql,
  paymentId: string,
  issuedAt: Date,
  signer: ReceiptSigner,
): Promise<void> => {
  const [existing] = await tx`select 1 from receipts where payment_id = ${paymentId}`;
  if (existing) return;
  const [payment] = await tx<{ agency_id: string; amount: number; payer: ReceiptRecord["payer"] }[]>`
    select agency_id, amount, payer from payments where id = ${paymentId}`;
  if (!payment) throw new Error(`payment ${paymentId} has no row to issue a receipt for`);
  const [agency] = await tx<{ issuer_name: string; tax_id: string | null; letters: string }[]>`
    select coalesce(legal_name, name) as issuer_name, tax_id, receipt_series_letters as letters
    from agencies where id = ${payment.agency_id}`;
  if (!agency) throw new Error(`agency ${payment.agency_id} vanished while issuing a receipt`);
  const items = await tx<ReceiptItem[]>`
    select name, kind, amount from payment_lines where payment_id = ${paymentId} order by index`;
  const year = receiptYear(issuedAt);
  const series = receiptSeries(year, agency.letters);
  // The counter row's lock is held until this transaction ends, so concurrent successes take numbers
  // one after another, and a success that rolls back takes its number back with it.
  const [counter] = await tx<{ last_number: number }[]>`
    insert into receipt_counters (agency_id, template_symbol, series, year, last_number)
    values (${payment.agency_id}, ${RECEIPT_TEMPLATE}, ${series}, ${year}, 1)
    on conflict (agency_id, template_symbol, series, year)
      do update set last_number = receipt_counters.last_number + 1
    returning last_number`;
  if (!counter) throw new Error(`no receipt number for series ${series} of ${year}`);
  const payer = {
    name: payment.payer.name,
    ...(payment.payer.id_number ? { id_number: payment.payer.id_number } : {}),
  };
  const lines = items.map((i) => ({ name: i.name, kind: i.kind, amount: Number(i.amount) }));
  const signature = signer.sign({
    paymentId,
    templateSymbol: RECEIPT_TEMPLATE,
    series,
    number: counter.last_number,
    issuedAt,
    issuerName: agency.issuer_name,
    issuerTaxId: agency.tax_id,
    payer,
    items: lines,
    total: Number(payment.amount),
  });
  await tx`
    insert into receipts (payment_id, agency_id, template_symbol, series, year, number, issued_at, issuer_name,
                          issuer_tax_id, payer, items, total, signature_algorithm, signature_key_id, signature)
    values (${paymentId}, ${payment.agency_id}, ${RECEIPT_TEMPLATE}, ${series}, ${year}, ${counter.last_number},
            ${issuedAt}, ${agency.issuer_name}, ${agency.tax_id}, ${tx.json(payer)}, ${tx.json(lines)},
            ${payment.amount}, ${signature.algorithm}, ${signature.keyId}, ${signature.value})`;
};

/** A payment's receipt with what identifies the payment it is for, or null if it has none. */
export const findReceipt = async (sql: Db, paymentId: string): Promise<ReceiptRecord | null> => {
  const [row] = await sql`
    select r.*, p.reference, p.procedure_code, p.description, p.connector, p.provider_txn_id
    from receipts r join payments p on p.id = r.payment_id
    where r.payment_id = ${paymentId}`;
  if (!row) return null;
  return {
    paymentId: row.payment_id as string,
    templateSymbol: row.template_symbol as string,
    series: row.series as string,
    number: row.number as number,
    issuedAt: row.issued_at as Date,
    issuerName: row.issuer_name as string,
    issuerTaxId: (row.issuer_tax_id as string | null) ?? null,
    payer: row.payer as ReceiptRecord["payer"],
    items: row.items as ReceiptItem[],
    total: Number(row.total),
    reference: row.reference as string,
    procedureCode: (row.procedure_code as string | null) ?? null,
    description: row.description as string,
    connector: (row.connector as string | null) ?? null,
    providerTxnId: (row.provider_txn_id as string | null) ?? null,
    signature:
      row.signature === null
        ? null
        : {
            algorithm: row.signature_algorithm as "Ed25519",
            keyId: row.signature_key_id as string,
            value: row.signature as string,
          },
  };
};
