-- A credit advice for another amount than the document's holds its settlement run (and the payments
-- it settles) until an operator sorts it out with the treasury and records how: the treasury credited
-- the difference (corrected_at_treasury), or the difference is accepted as it is (difference_accepted).
alter table treasury_documents
  add column resolution      text check (resolution in ('corrected_at_treasury', 'difference_accepted')),
  add column resolution_note text,
  add column resolved_by     text,
  add column resolved_at     timestamptz;
