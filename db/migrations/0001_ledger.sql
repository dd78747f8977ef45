-- The ledger: agencies, payments (a projection), their fee lines, attempts at intermediaries,
-- the append-only event log, webhook deliveries and idempotency records.
-- Amounts are integer VND (bigint); instants are timestamptz (UTC).

create table agencies (
  id               text primary key,
  code             text not null unique,           -- DVCQG agency identifier, e.g. 000.00.00.H30
  name             text not null,
  api_key_hash     text not null unique,           -- sha256 of the bearer key; the key itself is never stored
  webhook_url      text,
  webhook_secret   text,
  return_origins   text[] not null,
  budget_defaults  jsonb not null default '{}',
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now()
);

create table payments (
  id                  text primary key,
  agency_id           text not null references agencies(id),
  amount              bigint not null check (amount > 0),
  reference           text not null,               -- dossier code
  description         text not null,
  procedure_code      text,
  return_url          text not null,
  language            text not null check (language in ('vi', 'en')),
  payer               jsonb not null,
  metadata            jsonb,
  preselected_connector text,
  status              text not null check (status in ('created', 'started', 'success', 'failed', 'expired', 'cancelled', 'error')),
  finished            boolean not null default false,
  state_code          text,
  state_message       text,
  connector           text,                         -- the intermediary of the latest attempt
  paid_attempt_id     text,
  provider_txn_id     text,
  created_at          timestamptz not null,
  expires_at          timestamptz not null,
  succeeded_at        timestamptz,
  updated_at          timestamptz not null,
  version             integer not null default 0
);
create index payments_agency_created on payments (agency_id, created_at desc, id desc);
create index payments_agency_reference on payments (agency_id, reference);

create table payment_lines (
  payment_id          text not null references payments(id),
  index               integer not null,
  kind                text not null check (kind in ('fee', 'charge')),
  name                text not null,
  amount              bigint not null check (amount > 0),
  chapter             text not null,
  sub_item            text not null,
  area                text not null,
  revenue_authority   text not null,
  treasury            text not null,
  account             text not null,
  primary key (payment_id, index)
);

create table payment_attempts (
  id                  text primary key,             -- <payment id>-<seq>
  payment_id          text not null references payments(id),
  seq                 integer not null,
  connector           text not null,
  reference           text not null,                -- ours at the intermediary; fresh per attempt
  amount              bigint not null,
  status              text not null check (status in ('open', 'succeeded', 'failed', 'expired', 'unknown', 'error')),
  initiation          jsonb,                        -- where the citizen goes: redirect URL, QR payload or code
  locale              text not null default 'vi',   -- the citizen's language when they chose, for the return page
  provider_txn_id     text,
  provider_code       text,
  created_at          timestamptz not null,
  expires_at          timestamptz not null,
  concluded_at        timestamptz,
  unique (payment_id, seq),
  unique (connector, reference)
);

create table payment_events (
  id                  text primary key,             -- deterministic: a retried write inserts nothing
  -- deferred: the creation event gates the insert of the payment it creates, in one transaction
  payment_id          text not null references payments(id) deferrable initially deferred,
  position            bigserial not null,
  type                text not null,
  created_at          timestamptz not null,
  state               jsonb not null,
  data                jsonb not null default '{}',
  resource            jsonb                         -- the payment as portals saw it at this event (webhook body)
);
create index payment_events_payment on payment_events (payment_id, position);

create table webhook_deliveries (
  id                  text primary key,
  event_id            text not null references payment_events(id),
  agency_id           text not null references agencies(id),
  payment_id          text not null,
  event_type          text not null,
  url                 text not null,
  attempt             integer not null,
  status              text not null check (status in ('pending', 'delivered', 'failed', 'dead')),
  status_code         integer,
  error               text,
  created_at          timestamptz not null default now(),
  next_retry_at       timestamptz,
  unique (event_id, attempt)
);
create index webhook_deliveries_agency on webhook_deliveries (agency_id, created_at desc);

create table idempotency_keys (
  agency_id           text not null references agencies(id),
  key                 text not null,
  request_hash        text not null,
  method              text not null,
  path                text not null,
  state               text not null check (state in ('in_progress', 'completed')),
  response_status     integer,
  response_body       jsonb,
  created_at          timestamptz not null default now(),
  locked_at           timestamptz not null default now(),
  primary key (agency_id, key)
);
