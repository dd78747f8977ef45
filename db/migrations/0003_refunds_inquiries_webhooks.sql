-- Money after the payment: refunds, inquiries (tra soát), agencies' policies, webhook secret rotation.

alter table agencies
  -- What happens to a success that arrives after the payment expired: accept it, or refund it.
  add column late_success_policy text not null default 'accept' check (late_success_policy in ('accept', 'refund')),
  -- A second success of a paid payment (paid at two intermediaries): refund the duplicate, or keep it.
  add column duplicate_success_policy text not null default 'refund' check (duplicate_success_policy in ('refund', 'keep')),
  -- Secret rotation: the previous secret still signs webhooks until this instant.
  add column webhook_secret_previous text,
  add column webhook_secret_previous_until timestamptz;

create table refunds (
  id                  text primary key,
  payment_id          text not null references payments(id),
  attempt_id          text not null references payment_attempts(id),  -- whose money goes back
  amount              bigint not null check (amount > 0),
  reason              text not null,
  -- false for a duplicate's refund: it returns the other attempt's money, not the kept payment's
  counts_against_payment boolean not null,
  manual              boolean not null,          -- the intermediary has no refund API: an operator completes it
  status              text not null check (status in ('submitted', 'success', 'error')),
  reference           text not null unique,      -- fresh, ours at the intermediary
  provider_refund_id  text,
  provider_code       text,
  lines               jsonb,                     -- [{index, amount}] the fee lines it returns
  requested_by        text not null,
  created_at          timestamptz not null,
  concluded_at        timestamptz
);
create index refunds_payment on refunds (payment_id, created_at);

create table inquiries (
  id                  text primary key,
  payment_id          text not null references payments(id),
  agency_id           text not null references agencies(id),
  reason              text not null check (reason in ('paid_not_confirmed', 'double_charge', 'wrong_amount', 'refund_request')),
  note                text,
  status              text not null check (status in ('open', 'escalated', 'resolved')),
  resolution          text,
  resolution_note     text,
  resolved_by         text,                      -- "paygov" when the facts settled it, else the operator
  sla_due_at          timestamptz not null,
  created_at          timestamptz not null,
  resolved_at         timestamptz
);
create index inquiries_payment on inquiries (payment_id, created_at);
create index inquiries_status on inquiries (status, sla_due_at);

-- Refunds and inquiries have events of their own in the payment's log.
alter table payment_events add column refund_id text, add column inquiry_id text;

-- What the intermediary says it received for an attempt, when the payer set the amount (a transfer).
alter table payment_attempts add column received_amount bigint;
