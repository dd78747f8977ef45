-- E-receipts (biên lai điện tử, Decree 254/2026 Art. 23, Circular 91/2026): one per succeeded payment,
-- issued in the transaction that records the success.

-- "if not exists": the settlement migration may add the tax id too (treasury documents need it).
alter table agencies
  -- Mã số thuế of the collecting organisation: printed on every receipt.
  add column if not exists tax_id text,
  -- The organisation's name as registered with the tax authority, when it differs from `name`.
  add column if not exists legal_name text,
  -- The 2 letters of the receipt series the agency registered (series = yy + 'T' + these letters).
  add column if not exists receipt_series_letters text not null default 'AA'
    check (receipt_series_letters ~ '^[ABCDEGHKLMNPQRSTUVXY]{2}$');

-- The last number taken in each series and year. A success takes the next one with an update of this
-- row inside its own transaction: the row lock orders concurrent successes, and a rolled-back success
-- gives its number back, so numbers are gap-free and unique.
create table receipt_counters (
  agency_id           text not null references agencies(id),
  template_symbol     text not null,
  series              text not null,
  year                integer not null,             -- Vietnam calendar year: numbers restart each 1 January
  last_number         integer not null check (last_number between 1 and 99999999),
  primary key (agency_id, template_symbol, series, year)
);

-- A receipt is a legal document: what it says is a snapshot taken at issue, never rewritten.
create table receipts (
  payment_id          text primary key references payments(id),
  agency_id           text not null references agencies(id),
  template_symbol     text not null,                -- EBL01
  series              text not null,                -- e.g. 26TAA
  year                integer not null,
  number              integer not null check (number between 1 and 99999999),
  issued_at           timestamptz not null,         -- the payment's success: issued at collection (Art. 24)
  issuer_name         text not null,
  issuer_tax_id       text,
  payer               jsonb not null,               -- {name, id_number?}
  items               jsonb not null,               -- [{name, kind fee|charge, amount}]
  total               bigint not null check (total > 0),
  unique (agency_id, template_symbol, series, year, number)
);

-- Payments that succeeded before receipts existed get theirs now, numbered in the order they were paid,
-- so that every success has its receipt whatever the ledger's age.
with paid as (
  select p.id, p.agency_id, p.succeeded_at, p.payer, p.amount,
         extract(year from p.succeeded_at at time zone 'Asia/Ho_Chi_Minh')::integer as year,
         a.receipt_series_letters as letters, coalesce(a.legal_name, a.name) as issuer_name, a.tax_id
  from payments p join agencies a on a.id = p.agency_id
  where p.status = 'success' and p.succeeded_at is not null
    and not exists (select 1 from receipts r where r.payment_id = p.id)
), numbered as (
  select paid.*, lpad((year % 100)::text, 2, '0') || 'T' || letters as series,
         row_number() over (partition by agency_id, year, letters order by succeeded_at, id)::integer as number
  from paid
)
insert into receipts (payment_id, agency_id, template_symbol, series, year, number, issued_at, issuer_name,
                      issuer_tax_id, payer, items, total)
select n.id, n.agency_id, 'EBL01', n.series, n.year, n.number, n.succeeded_at, n.issuer_name, n.tax_id,
       jsonb_strip_nulls(jsonb_build_object('name', n.payer->>'name', 'id_number', n.payer->>'id_number')),
       (select jsonb_agg(jsonb_build_object('name', l.name, 'kind', l.kind, 'amount', l.amount) order by l.index)
        from payment_lines l where l.payment_id = n.id),
       n.amount
from numbered n;

insert into receipt_counters (agency_id, template_symbol, series, year, last_number)
select agency_id, template_symbol, series, year, max(number) from receipts
group by agency_id, template_symbol, series, year;
