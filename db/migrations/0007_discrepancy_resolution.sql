-- An operator's resolution of a reconciliation discrepancy that no inquiry can settle (an amount the
-- intermediary reports differently, a transaction PayGov does not know, a success the file lacks, a
-- line reported twice). What the operator found and did is kept beside the discrepancy, never erased.
alter table reconciliation_discrepancies
  add column resolution      text check (resolution in ('intermediary_corrected', 'settled_outside',
                                                        'refunded_to_payer', 'written_off')),
  add column resolution_note text,
  add column resolved_by     text,
  add column resolved_at     timestamptz,
  add constraint reconciliation_discrepancies_resolution_complete
    check ((resolution is null) = (resolved_at is null) and (resolution is null) = (resolved_by is null));

create index reconciliation_discrepancies_awaiting on reconciliation_discrepancies (run_id, seq)
  where inquiry_id is null and not needs_inquiry and resolution is null;
