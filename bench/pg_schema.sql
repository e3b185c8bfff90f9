CREATE TABLE accounts (id bigint PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0));
CREATE TABLE idem (key text PRIMARY KEY, created timestamptz NOT NULL);
CREATE TABLE transfers (id bigserial PRIMARY KEY, debit_id bigint NOT NULL,
                        credit_id bigint NOT NULL, amount bigint NOT NULL, ts timestamptz NOT NULL);
INSERT INTO accounts SELECT g, 1000000000000 FROM generate_series(1, 10000) g;
