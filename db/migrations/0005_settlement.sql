-- Settlement (quyết toán) with the State Treasury (KBNN): per business date, every succeeded payment not
-- yet settled is summed by beneficiary (treasury, account, agency) and budget code, sent as treasury
-- payment documents (C1-02/NS) and confirmed by the treasury's credit advices (giấy báo Có).

-- What the treasury documents say about the collecting agency, the payer side of a C1-02/NS.
-- "if not exists": the e-receipts migration adds the tax id too.
alter table agencies
  -- Mã số thuế (MST) of the collecting organisation.
  add column if not exists tax_id text,
  -- Mã đơn vị có quan hệ với ngân sách (ĐVQHNS), 7 digits.
  add column if not exists dvqhns_code text check (dvqhns_code ~ '^\d{7}$'),
  add column if not exists address text;

-- Names of treasury offices by their number (SHKB), printed beside the code; unknown ones show the code only.
create table treasury_offices (
  code                text primary key check (code ~ '^\d{4}$'),
  name                text not null
);
insert into treasury_offices (code, name) values ('0011', 'Văn phòng Kho bạc Nhà nước Hà Nội');

-- One settlement run. A business date may have several runs (settling "today" twice); each settles only
-- what no earlier run took.
create table settlements (
  id                  text primary key,
  business_date       date not null,              -- Asia/Ho_Chi_Minh
  workflow_id         text not null,
  status              text not null check (status in ('running', 'completed', 'sent', 'confirmed')),
  statement           jsonb,                      -- frozen once computed: what the documents were made from
  total               bigint,
  payment_count       integer,
  created_at          timestamptz not null,
  completed_at        timestamptz,
  sent_at             timestamptz,
  confirmed_at        timestamptz
);
create index settlements_date on settlements (business_date, created_at desc);

-- How each refund of the payment's own money splits over its fee lines: decided once, the first time a
-- settlement sees the refund succeeded, and never recomputed (later refunds share what is left).
create table refund_allocations (
  refund_id           text not null references refunds(id),
  payment_id          text not null references payments(id),
  line_index          integer not null,
  amount              bigint not null check (amount > 0),
  primary key (refund_id, line_index),
  foreign key (payment_id, line_index) references payment_lines (payment_id, index)
);
create index refund_allocations_payment on refund_allocations (payment_id);

-- Every amount a settlement counted, one row per fee line: a payment's line (positive) and a refund's
-- share of it (negative). The unique indexes are the guarantee that nothing is ever settled twice.
create table settlement_entries (
  settlement_id       text not null references settlements(id),
  payment_id          text not null,
  line_index          integer not null,
  refund_id           text references refunds(id),  -- null: the payment's own line
  amount              bigint not null,
  foreign key (payment_id, line_index) references payment_lines (payment_id, index)
);
create unique index settlement_entries_payment_line on settlement_entries (payment_id, line_index)
  where refund_id is null;
create unique index settlement_entries_refund_line on settlement_entries (refund_id, line_index)
  where refund_id is not null;
create index settlement_entries_settlement on settlement_entries (settlement_id);

-- The run that settled each payment: a marker for finding what is left to settle without scanning every
-- success ever (settlement_entries stays the guarantee against settling twice).
alter table payments add column settled_in text references settlements(id);
create index payments_unsettled on payments (succeeded_at) where status = 'success' and settled_in is null;

-- One treasury payment document (Giấy nộp tiền vào NSNN, C1-02/NS) per beneficiary of a settlement.
create table treasury_documents (
  id                  text primary key,           -- số chứng từ: <settlement id>-<n>
  settlement_id       text not null references settlements(id),
  seq                 integer not null,
  reference_no        text not null unique,       -- số tham chiếu: unique, the same at every hop
  agency_id           text not null references agencies(id),
  treasury            text not null,
  account             text not null,
  amount              bigint not null check (amount > 0),
  document            jsonb not null,             -- the document as sent (its C1-02/NS fields)
  status              text not null check (status in ('prepared', 'accepted', 'confirmed', 'mismatch')),
  treasury_receipt_no text,                       -- the treasury's number for the document it accepted
  last_refusal        text,                       -- why the treasury last refused it, while it is retried
  accepted_at         timestamptz,
  advice_no           text,                       -- the credit advice (giấy báo Có) that confirmed it
  advice_amount       bigint,
  advice_value_date   date,
  confirmed_at        timestamptz,
  unique (settlement_id, seq)
);
