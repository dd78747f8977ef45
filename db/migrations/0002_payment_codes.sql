-- Every payment gets a numeric payment code (16 digits, the last a Luhn check digit) that a citizen
-- can pay with at a store counter or in a banking app ("thu hộ"): the chain looks the bill up by it.
alter table payments add column payment_code text unique;
