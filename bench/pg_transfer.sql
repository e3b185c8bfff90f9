-- pgbench: the same transfer fundgate's execute does, one per transaction:
-- a unique-key insert (idempotency), a guarded debit, a credit, a journal row.
\set a random(1, 10000)
\set b random(1, 10000)
BEGIN;
INSERT INTO idem (key, created) VALUES (md5(random()::text || clock_timestamp()::text), now());
UPDATE accounts SET balance = balance - 100 WHERE id = :a AND balance >= 100;
UPDATE accounts SET balance = balance + 100 WHERE id = :b;
INSERT INTO transfers (debit_id, credit_id, amount, ts) VALUES (:a, :b, 100, now());
COMMIT;
