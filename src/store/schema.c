/*
 * schema.c - fundgate's tables, as ordered migrations (see schema.h).
 *
 * Ledger design (SYSTEM.md section 1): accounts carry the four totals; the
 * journal (transfers) is append-only and its id is time-ordered (the rowid);
 * holds track the state of each pending transfer; idem is the idempotency
 * record of every external request and doubles as the TCC fence row.
 */
#include "store/schema.h"

static const char v1_ledger[] =
    "CREATE TABLE currencies ("
    "  code TEXT PRIMARY KEY,"
    "  digits INTEGER NOT NULL,"
    "  digital INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL);"

    "CREATE TABLE customers ("
    "  uuid TEXT PRIMARY KEY,"
    "  user_name TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  app_id TEXT NOT NULL,"
    "  company_id INTEGER NOT NULL,"
    "  base_currency TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX customers_company_user ON customers(company_id, user_name);"

    /* owner is a customer uuid, or 'house' for the house accounts. */
    "CREATE TABLE accounts ("
    "  id INTEGER PRIMARY KEY,"
    "  owner TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  flags INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  debits_posted INTEGER NOT NULL DEFAULT 0,"
    "  credits_posted INTEGER NOT NULL DEFAULT 0,"
    "  debits_pending INTEGER NOT NULL DEFAULT 0,"
    "  credits_pending INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL,"
    "  UNIQUE (owner, type, currency));"

    /* flags: 1 pending, 2 post of pending_id, 4 void of pending_id, 8 linked.
     * A void row records the voided amount but moves no posted balance. */
    "CREATE TABLE transfers ("
    "  id INTEGER PRIMARY KEY,"
    "  debit_id INTEGER NOT NULL,"
    "  credit_id INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  currency TEXT NOT NULL,"
    "  flags INTEGER NOT NULL,"
    "  pending_id INTEGER,"
    "  timeout_ms INTEGER,"
    "  ts_ms INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  ref TEXT,"
    "  reverses_id INTEGER);"
    "CREATE INDEX transfers_debit ON transfers(debit_id, id);"
    "CREATE INDEX transfers_credit ON transfers(credit_id, id);"
    "CREATE INDEX transfers_pending ON transfers(pending_id) WHERE pending_id IS NOT NULL;"

    /* state: 0 pending, 1 posted, 2 voided, 3 expired. */
    "CREATE TABLE holds ("
    "  pending_id INTEGER PRIMARY KEY,"
    "  state INTEGER NOT NULL,"
    "  expires_ms INTEGER,"
    "  resolved_id INTEGER);"
    "CREATE INDEX holds_expiry ON holds(expires_ms) WHERE state = 0 AND expires_ms IS NOT NULL;"

    /* One row per external request: (scope, key) is unique; req_hash is the
     * SHA-256 of the request's defining content; status and response are what
     * was answered; state and ref serve protocols that need a fence (TCC). */
    "CREATE TABLE idem ("
    "  scope TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  req_hash BLOB NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  response BLOB,"
    "  ref INTEGER,"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (scope, key));"

    /* API clients per family; config is JSON and may hold secrets. */
    "CREATE TABLE clients ("
    "  family TEXT NOT NULL,"
    "  client_key TEXT NOT NULL,"
    "  config TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (family, client_key));"

    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  ts_ms INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  target TEXT NOT NULL,"
    "  trace TEXT NOT NULL);";

const struct store_migration store_migrations[] = {
    {1, "ledger", v1_ledger},
};

const int store_migrations_count = (int)(sizeof(store_migrations) / sizeof(store_migrations[0]));
