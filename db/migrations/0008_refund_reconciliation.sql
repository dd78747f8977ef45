-- A REFUND or REVERSAL line names the payment it returns by original_provider_txn_id: a refund the
-- intermediary numbered itself (a reversal at a counter, a refund an operator made in the
-- intermediary's portal) is found through it.
alter table reconciliation_lines add column original_provider_txn_id text;
