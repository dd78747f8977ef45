-- The collecting organisation's digital signature on each e-receipt (Decree 254/2026 Art. 23(2)(g)),
-- made when the receipt is issued (domain/receipt-signature.ts). Receipts issued before signatures
-- existed keep none: the page says they are unsigned rather than pretending.
alter table receipts
  add column signature_algorithm text check (signature_algorithm in ('Ed25519')),
  add column signature_key_id    text,
  add column signature           text,
  add constraint receipts_signature_complete
    check ((signature is null) = (signature_key_id is null) and (signature is null) = (signature_algorithm is null));
