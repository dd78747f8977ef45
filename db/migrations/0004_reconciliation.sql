-- Daily reconciliation (đối soát) with each intermediary: one run per fetch of a (connector, Vietnam
-- business date) file, the file's D lines staged for matching, and what did not match.

create table reconciliation_runs (
  id                  text primary key,
  connector           text not null,
  business_date       date not null,                 -- the Vietnam day the file covers
  trigger             text not null check (trigger in ('schedule', 'operator')),
  status              text not null check (status in ('running', 'completed', 'rejected')),
  merchant_id         text,                          -- as the file's H line names it
  -- The trailer's SHA-256 of the D lines: two fetches of one day with this digest carry the same rows.
  file_sha256         text,
  imported_at         timestamptz,
  -- A re-run that fetched the same file reports the earlier run's result instead of matching again.
  same_as             text references reconciliation_runs(id),
  matched_at          timestamptz,
  rows                integer,
  matched             integer,
  missing_at_paygov   integer,
  missing_at_intermediary integer,
  amount_mismatch     integer,
  status_mismatch     integer,
  duplicate           integer,
  rejection_line      integer,                       -- 0: the file could not be fetched at all
  rejection_reason    text,
  created_at          timestamptz not null,
  completed_at        timestamptz
);
create index reconciliation_runs_day on reconciliation_runs (connector, business_date, created_at desc);
create index reconciliation_runs_created on reconciliation_runs (created_at desc);

-- The D lines of an imported file, loaded with COPY. `raw` is the line as received (without its CRLF):
-- the result file copies it and appends the match status.
create table reconciliation_lines (
  run_id              text not null references reconciliation_runs(id),
  line                integer not null,              -- in the file; line 1 is the H line
  txn_type            text not null,
  merchant_ref        text not null,
  provider_txn_id     text not null,
  amount              bigint not null,
  fee                 bigint not null,
  status              text not null,
  -- What merchant_ref names on PayGov's side (the connector's mapping): an attempt's reference or a payment code.
  attempt_reference   text,
  payment_code        text,
  raw                 text not null,
  primary key (run_id, line)
);

create table reconciliation_discrepancies (
  run_id              text not null references reconciliation_runs(id),
  seq                 integer not null,              -- the file line; PayGov successes the file lacks come after it
  line                integer,                       -- null for MISSING_AT_INTERMEDIARY
  kind                text not null check (kind in ('MISSING_AT_PAYGOV', 'MISSING_AT_INTERMEDIARY', 'AMOUNT_MISMATCH',
                                                    'STATUS_MISMATCH', 'DUPLICATE')),
  txn_type            text not null,
  merchant_ref        text not null,
  provider_txn_id     text not null,
  status_intermediary text,
  status_paygov       text,
  payment_id          text references payments(id),
  attempt_id          text references payment_attempts(id),
  refund_id           text references refunds(id),
  amount_paygov       bigint,
  amount_intermediary bigint,
  -- A success the ledger lacks is settled by an inquiry that asks the intermediary (paid_not_confirmed).
  needs_inquiry       boolean not null default false,
  inquiry_id          text,
  primary key (run_id, seq)
);
create index reconciliation_discrepancies_inquiry on reconciliation_discrepancies (run_id) where needs_inquiry and inquiry_id is null;

-- The matching joins: an intermediary's transaction id, a refund's, and the day's successes.
create index payment_attempts_provider_txn on payment_attempts (connector, provider_txn_id) where provider_txn_id is not null;
create index payment_attempts_succeeded on payment_attempts (connector, concluded_at) where status = 'succeeded';
create index payments_succeeded_at on payments (succeeded_at) where succeeded_at is not null;
create index refunds_provider_refund on refunds (provider_refund_id) where provider_refund_id is not null;
