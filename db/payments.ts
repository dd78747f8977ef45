import type { TransactionSql } from "postgres";
import type { Initiation } from "../connectors/sdk/contract.ts";
import type { FeeLine } from "../domain/create-payment.ts";
import { newPaymentCode } from "../domain/payment-code.ts";
import type { AttemptRecord, PaymentRecord } from "../domain/payment-record.ts";
import type { PaymentCreation } from "../workflows/messages.ts";
import type { Db } from "./client.ts";
import { refundedAmounts } from "./refunds.ts";

type Row = Record<string, unknown>;

const toPayment = (
  row: Row,
  lines: ReadonlyArray<FeeLine>,
  open: OpenAttemptRow | undefined,
  refunded: number,
): PaymentRecord => ({
  id: row.id as string,
  agencyId: row.agency_id as string,
  amount: row.amount as number,
  reference: row.reference as string,
  description: row.description as string,
  procedureCode: (row.procedure_code as string | null) ?? null,
  returnUrl: row.return_url as string,
  language: row.language as "vi" | "en",
  payer: row.payer as PaymentRecord["payer"],
  metadata: (row.metadata as PaymentRecord["metadata"]) ?? null,
  preselectedConnector: (row.preselected_connector as string | null) ?? null,
  status: row.status as PaymentRecord["status"],
  finished: row.finished as boolean,
  stateCode: (row.state_code as string | null) ?? null,
  stateMessage: (row.state_message as string | null) ?? null,
  connector: (row.connector as string | null) ?? null,
  providerTxnId: (row.provider_txn_id as string | null) ?? null,
  createdAt: row.created_at as Date,
  expiresAt: row.expires_at as Date,
  succeededAt: (row.succeeded_at as Date | null) ?? null,
  paymentCode: (row.payment_code as string | null) ?? null,
  lines,
  refundedAmount: refunded,
  openAttempt: open
    ? { connector: open.connector, initiation: open.initiation, expiresAt: open.expires_at }
    : null,
});

interface OpenAttemptRow {
  payment_id: string;
  connector: string;
  initiation: Initiation;
  expires_at: Date;
}

// The latest attempt still open, whose initiation tells the portal what the citizen carries (QR, code).
const openAttempts = async (sql: Db, ids: ReadonlyArray<string>): Promise<Map<string, OpenAttemptRow>> => {
  const rows = await sql<OpenAttemptRow[]>`
    select distinct on (payment_id) payment_id, connector, initiation, expires_at from payment_attempts
    where payment_id = any(${ids as string[]}::text[]) and status = 'open' and initiation is not null
    order by payment_id, seq desc`;
  return new Map(rows.map((r) => [r.payment_id, r]));
};

const toLine = (row: Row): FeeLine => ({
  kind: row.kind as FeeLine["kind"],
  name: row.name as string,
  amount: row.amount as number,
  chapter: row.chapter as string,
  sub_item: row.sub_item as string,
  area: row.area as string,
  revenue_authority: row.revenue_authority as string,
  treasury: row.treasury as string,
  account: row.account as string,
});

/** A payment with its lines, or null. `agencyId` scopes the look-up to the agency that owns it. */
export const findPayment = async (sql: Db, id: string, agencyId?: string): Promise<PaymentRecord | null> => {
  const [row] = agencyId
    ? await sql`select * from payments where id = ${id} and agency_id = ${agencyId}`
    : await sql`select * from payments where id = ${id}`;
  if (!row) return null;
  const lines = await sql`select * from payment_lines where payment_id = ${id} order by index`;
  const refunded = (await refundedAmounts(sql, [id])).get(id) ?? 0;
  return toPayment(row, lines.map(toLine), (await openAttempts(sql, [id])).get(id), refunded);
};

/** The payment a payment code stands for, or null. */
export const findPaymentByCode = async (sql: Db, code: string): Promise<PaymentRecord | null> => {
  const [row] = await sql<{ id: string }[]>`select id from payments where payment_code = ${code}`;
  return row ? findPayment(sql, row.id) : null;
};

/** Several payments with their lines, in the order of `ids`, in two queries. */
export const findPayments = async (sql: Db, ids: ReadonlyArray<string>): Promise<PaymentRecord[]> => {
  if (ids.length === 0) return [];
  const rows = await sql`select * from payments where id = any(${ids as string[]}::text[])`;
  const lines = await sql`select * from payment_lines where payment_id = any(${ids as string[]}::text[])
                          order by payment_id, index`;
  const linesOf = new Map<string, FeeLine[]>();
  for (const l of lines) {
    const list = linesOf.get(l.payment_id as string) ?? [];
    list.push(toLine(l));
    linesOf.set(l.payment_id as string, list);
  }
  const open = await openAttempts(sql, ids);
  const refunded = await refundedAmounts(sql, ids);
  const byId = new Map(
    rows.map((r) => {
      const id = r.id as string;
      return [id, toPayment(r, linesOf.get(id) ?? [], open.get(id), refunded.get(id) ?? 0)];
    }),
  );
  return ids.flatMap((id) => byId.get(id) ?? []);
};

/** The payer as the ledger keeps it (sealed on its way through Temporal). */
export interface Payer {
  readonly name: string;
  readonly id_number?: string;
  readonly email?: string;
  readonly phone?: string;
}

/** Inserts a new payment and its lines; a second call with the same id changes nothing. */
export const insertPayment = async (
  sql: TransactionSql,
  c: PaymentCreation,
  payer: Payer,
): Promise<boolean> => {
  const exists = await sql`select 1 from payments where id = ${c.paymentId}`;
  if (exists.length > 0) return false;
  // A payment code drawn twice (1 in 10^15) takes another draw; a savepoint keeps the transaction usable.
  let inserted = false;
  for (let draw = 0; !inserted; draw++) {
    const code = newPaymentCode();
    const conflict = await sql
      .savepoint(
        (sp) => sp`
        insert into payments (id, agency_id, amount, reference, description, procedure_code, return_url, language,
          payer, metadata, preselected_connector, status, finished, created_at, expires_at, updated_at, payment_code)
        values (${c.paymentId}, ${c.agencyId}, ${c.amount}, ${c.reference}, ${c.description}, ${c.procedureCode},
          ${c.returnUrl}, ${c.language}, ${sp.json({ ...payer })}, ${c.metadata === null ? null : sp.json(c.metadata)},
          ${c.preselectedConnector}, 'created', false, ${c.createdAt}, ${c.expiresAt}, ${c.createdAt}, ${code})`,
      )
      .then(
        () => false,
        (err: { code?: string; constraint_name?: string }) => {
          if (err.code === "23505" && err.constraint_name === "payments_payment_code_key" && draw < 5)
            return true;
          throw err;
        },
      );
    inserted = !conflict;
  }
  await sql`insert into payment_lines ${sql(
    c.lines.map((l, index) => ({ payment_id: c.paymentId, index, ...l })),
  )}`;
  return true;
};

const toAttempt = (row: Row): AttemptRecord => ({
  id: row.id as string,
  paymentId: row.payment_id as string,
  seq: row.seq as number,
  connector: row.connector as string,
  reference: row.reference as string,
  amount: row.amount as number,
  status: row.status as AttemptRecord["status"],
  providerTxnId: (row.provider_txn_id as string | null) ?? null,
  providerCode: (row.provider_code as string | null) ?? null,
  locale: row.locale as "vi" | "en",
  createdAt: row.created_at as Date,
  expiresAt: row.expires_at as Date,
});

export const findAttempt = async (sql: Db, id: string): Promise<AttemptRecord | null> => {
  const [row] = await sql`select * from payment_attempts where id = ${id}`;
  return row ? toAttempt(row) : null;
};

/** The attempt an intermediary's callback names by our reference. */
export const findAttemptByReference = async (
  sql: Db,
  connector: string,
  reference: string,
): Promise<AttemptRecord | null> => {
  const [row] =
    await sql`select * from payment_attempts where connector = ${connector} and reference = ${reference}`;
  return row ? toAttempt(row) : null;
};

export const listAttempts = async (sql: Db, paymentId: string): Promise<AttemptRecord[]> =>
  (await sql`select * from payment_attempts where payment_id = ${paymentId} order by seq`).map(toAttempt);

/** An event of a payment's history, as GET /v1/payments/:id/events returns it. */
export interface EventRecord {
  readonly id: string;
  readonly type: string;
  readonly createdAt: Date;
  readonly state: unknown;
  readonly data: unknown;
}

export const listEvents = async (sql: Db, paymentId: string): Promise<EventRecord[]> =>
  (
    await sql`select id, type, created_at, state, data from payment_events where payment_id = ${paymentId}
             order by position`
  ).map((r) => ({
    id: r.id as string,
    type: r.type as string,
    createdAt: r.created_at as Date,
    state: r.state,
    data: r.data,
  }));
