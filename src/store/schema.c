/*
 * schema.c - fundgate's tables, as ordered migrations (see schema.h).
 *
 * Ledger design (docs/DESIGN.md "Ledger" and "Idempotency"): accounts carry
 * the four totals; the journal (transfers) is append-only and its id is
 * time-ordered (the rowid); holds track the state of each pending transfer;
 * idem is the idempotency record of every external request and doubles as the
 * TCC fence row.
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
    /* Per-account history, bucketed by id: a new row lands in the current
     * bucket's few pages, not at the end of its account's range (one random
     * page per account per commit). The rowid ends each key. Version 3
     * narrows the buckets from 2^16 to 2^FG_JOURNAL_BUCKET_SHIFT rows. */
    "CREATE INDEX transfers_debit ON transfers((id >> 16), debit_id);"
    "CREATE INDEX transfers_credit ON transfers((id >> 16), credit_id);"
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
     * was answered; state and ref serve protocols that need a fence (TCC).
     * WITHOUT ROWID: the record lives in its key's b-tree, so writing it is one
     * b-tree insert, not a table row plus a separate unique index (issue 5). */
    "CREATE TABLE idem ("
    "  scope TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  req_hash BLOB NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  response BLOB,"
    "  ref INTEGER,"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (scope, key)) WITHOUT ROWID;"

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

/* Funds family (issue 4): withdrawal rules per currency, customers' bank
 * records, holiday calendars, rates, back-office operators and the orders.
 * Self-contained: nothing here alters the ledger's tables. */
static const char v2_funds[] =
    "CREATE TABLE funds_rules ("
    "  currency TEXT PRIMARY KEY,"
    "  min INTEGER NOT NULL, max INTEGER NOT NULL,"
    "  fee_fixed INTEGER NOT NULL, fee_bp INTEGER NOT NULL,"
    "  fee_min INTEGER NOT NULL, fee_max INTEGER NOT NULL,"
    "  cooldown_s INTEGER NOT NULL, settlement_days INTEGER NOT NULL,"
    "  cutoff_min INTEGER NOT NULL, utc_offset_min INTEGER NOT NULL,"
    "  account_types INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL);"

    "CREATE TABLE funds_banks ("
    "  uuid TEXT NOT NULL, client_bank_id TEXT NOT NULL,"
    "  bank_name TEXT NOT NULL, account_no TEXT NOT NULL, holder_name TEXT NOT NULL,"
    "  currency TEXT NOT NULL, status TEXT NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (uuid, client_bank_id));"

    /* A calendar is known through through_day (days since 1970-01-01). */
    "CREATE TABLE funds_calendars ("
    "  currency TEXT PRIMARY KEY,"
    "  through_day INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL);"
    "CREATE TABLE funds_holidays ("
    "  currency TEXT NOT NULL, day INTEGER NOT NULL,"
    "  PRIMARY KEY (currency, day));"

    /* bid and ask: quote units per base unit, scaled by 10^10. */
    "CREATE TABLE funds_rates ("
    "  base TEXT NOT NULL, quote TEXT NOT NULL,"
    "  bid INTEGER NOT NULL, ask INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (base, quote));"

    "CREATE TABLE funds_operators ("
    "  app_id TEXT NOT NULL, user_name TEXT NOT NULL,"
    "  roles INTEGER NOT NULL, account_types INTEGER NOT NULL, status TEXT NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (app_id, user_name));"

    "CREATE TABLE funds_orders ("
    "  id INTEGER PRIMARY KEY,"
    "  serial TEXT NOT NULL UNIQUE,"
    "  app_id TEXT NOT NULL, request_id TEXT NOT NULL,"
    "  uuid TEXT NOT NULL, account_type TEXT NOT NULL, currency TEXT NOT NULL,"
    "  amount INTEGER NOT NULL, fee INTEGER NOT NULL, net_amount INTEGER NOT NULL,"
    "  base_currency TEXT NOT NULL, base_amount INTEGER NOT NULL,"
    "  value_day TEXT NOT NULL, status TEXT NOT NULL,"
    "  client_bank_id TEXT NOT NULL, payee_id TEXT NOT NULL,"
    "  chain TEXT NOT NULL, address TEXT NOT NULL,"
    "  bank_address_details TEXT NOT NULL, bank_mark TEXT NOT NULL,"
    "  mode INTEGER NOT NULL, source TEXT NOT NULL, initiator TEXT NOT NULL,"
    "  hold_id INTEGER NOT NULL,"
    "  reason TEXT NOT NULL DEFAULT '', appeal_reason TEXT NOT NULL DEFAULT '',"
    "  appeals INTEGER NOT NULL DEFAULT 0, rejected_ms INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
    "  UNIQUE (app_id, request_id));"
    "CREATE INDEX funds_orders_customer ON funds_orders(uuid, currency, status);"
    "CREATE INDEX funds_orders_status ON funds_orders(status, id);";

/* Issue 5: buckets of 2^16 rows put ~65,000 index entries of random account
 * ids in the pages every commit dirties; 2^12 keeps that set a few dozen
 * pages (docs/PERFORMANCE.md). A listing probes one bucket per 2^12 rows. */
static const char v3_journal_buckets[] =
    "DROP INDEX transfers_debit;"
    "DROP INDEX transfers_credit;"
    "CREATE INDEX transfers_debit ON transfers(" SCHEMA_JOURNAL_BUCKET_SQL ", debit_id);"
    "CREATE INDEX transfers_credit ON transfers(" SCHEMA_JOURNAL_BUCKET_SQL ", credit_id);";

/* Issue 9/10: the omnibus account a customer sits under, checked against a
 * Funds token's OmnibusAccountId; '' for none. */
static const char v4_customer_omnibus[] =
    "ALTER TABLE customers ADD COLUMN omnibus_account_id TEXT NOT NULL DEFAULT '';";

/* Issue 15: what an operator's ledger operation carried (the reason, the
 * amounts), as JSON; '' for entries without one. Audit reads filter by target. */
static const char v5_audit_detail[] =
    "ALTER TABLE audit ADD COLUMN detail TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX audit_target ON audit(target, id);";
/* Issue 12: the FX core (services/fx.h). Rates move here from funds_rates
 * (one row per pair of currencies: of a pair stored in both directions the
 * later set is kept); bid and ask are decimals: units and decimal places
 * (core/fxrate.h; 10 places for the rows that come from funds_rates). Quotes and
 * exchanges: an exchange names its quote (used once), its request id and
 * order id (unique per client), and its ledger legs (transfer ids, 0 for
 * none). State 0 pending, 1 settled, 2 failed; tenor 0 TOD, 1 SPOT, 2
 * FORWARD; value_day is days since 1970-01-01. */
static const char v6_fx[] =
    "CREATE TABLE fx_rates ("
    "  base TEXT NOT NULL, quote TEXT NOT NULL,"
    "  bid INTEGER NOT NULL, bid_scale INTEGER NOT NULL,"
    "  ask INTEGER NOT NULL, ask_scale INTEGER NOT NULL,"
    "  set_ms INTEGER NOT NULL, source TEXT NOT NULL, max_age_s INTEGER NOT NULL,"
    "  PRIMARY KEY (base, quote));"
    "INSERT INTO fx_rates (base, quote, bid, bid_scale, ask, ask_scale, set_ms, source, max_age_s) "
    "  SELECT base, quote, bid, 10, ask, 10, updated_ms, 'admin', 0 FROM funds_rates r "
    "  WHERE NOT EXISTS (SELECT 1 FROM funds_rates i WHERE i.base = r.quote AND i.quote = r.base"
    "    AND (i.updated_ms > r.updated_ms OR (i.updated_ms = r.updated_ms AND i.base < r.base)));"
    "DROP TABLE funds_rates;"

    "CREATE TABLE fx_quotes ("
    "  id TEXT PRIMARY KEY,"
    "  family TEXT NOT NULL, client_key TEXT NOT NULL, customer TEXT NOT NULL,"
    "  sell TEXT NOT NULL, buy TEXT NOT NULL, fixed_side INTEGER NOT NULL,"
    "  sell_amount INTEGER NOT NULL, buy_amount INTEGER NOT NULL,"
    "  rate INTEGER NOT NULL, rate_scale INTEGER NOT NULL,"
    "  price INTEGER NOT NULL, price_scale INTEGER NOT NULL,"
    "  pair_base TEXT NOT NULL, pair_quote TEXT NOT NULL,"
    "  tenor INTEGER NOT NULL, value_day INTEGER NOT NULL, markup_bp INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
    "  used INTEGER NOT NULL DEFAULT 0);"

    "CREATE TABLE fx_exchanges ("
    "  id TEXT PRIMARY KEY,"
    "  family TEXT NOT NULL, client_key TEXT NOT NULL, request_id TEXT NOT NULL,"
    "  customer TEXT NOT NULL, account_type TEXT NOT NULL, quote_id TEXT NOT NULL,"
    "  order_id TEXT NOT NULL, reference TEXT NOT NULL,"
    "  sell TEXT NOT NULL, buy TEXT NOT NULL, fixed_side INTEGER NOT NULL,"
    "  sold INTEGER NOT NULL, bought INTEGER NOT NULL,"
    "  rate INTEGER NOT NULL, rate_scale INTEGER NOT NULL,"
    "  price INTEGER NOT NULL, price_scale INTEGER NOT NULL,"
    "  pair_base TEXT NOT NULL, pair_quote TEXT NOT NULL,"
    "  tenor INTEGER NOT NULL, value_day INTEGER NOT NULL, funded INTEGER NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  sell_account INTEGER NOT NULL, buy_account INTEGER NOT NULL,"
    "  sell_leg INTEGER NOT NULL, post_leg INTEGER NOT NULL, buy_leg INTEGER NOT NULL,"
    "  fail_reason TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL, settled_ms INTEGER NOT NULL,"
    "  UNIQUE (family, client_key, request_id),"
    "  UNIQUE (quote_id));"
    "CREATE UNIQUE INDEX fx_exchanges_order ON fx_exchanges(family, client_key, order_id) "
    "  WHERE order_id <> '';"
    "CREATE INDEX fx_exchanges_due ON fx_exchanges(value_day) WHERE state = 0;";

/* Issue 13: the outbox (services/outbox.h): one row per outgoing
 * notification, written in the transaction of the state change it reports.
 * status 0 pending, 1 delivered, 2 dead (never renumber); tries counts the
 * finished deliveries; next_ms is when the row is due (while a delivery runs,
 * the end of its claim); a notification id names one notification forever. */
static const char v7_outbox[] =
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  notification_id TEXT NOT NULL,"
    "  family TEXT NOT NULL, client_key TEXT NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL,"
    "  url TEXT NOT NULL, body TEXT NOT NULL,"
    "  status INTEGER NOT NULL, tries INTEGER NOT NULL, next_ms INTEGER NOT NULL,"
    "  last_ms INTEGER NOT NULL, last_http INTEGER NOT NULL, last_error TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL, done_ms INTEGER NOT NULL,"
    "  UNIQUE (notification_id));"
    "CREATE INDEX outbox_due ON outbox(next_ms) WHERE status = 0;"
    "CREATE INDEX outbox_status ON outbox(status, id);";

/* Issue 13: what a WorldFirst exchange carries beyond the FX core's row
 * (fx_exchanges): the integrator's customerId, the mode (0 REALTIME, 1
 * APPOINTED) and trade type (0 SPOT, 1 FORWARD, 2 UNFUNDED_SPOT; never
 * renumber), the deal it took up and its descriptive addition. */
static const char v8_worldfirst[] =
    "CREATE TABLE wf_exchanges ("
    "  client_id TEXT NOT NULL, request_id TEXT NOT NULL, exchange_id TEXT NOT NULL,"
    "  customer_id TEXT NOT NULL, mode INTEGER NOT NULL, trade_type INTEGER NOT NULL,"
    "  deal_id TEXT NOT NULL, reference_order_id TEXT NOT NULL, memo TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (client_id, request_id),"
    "  UNIQUE (exchange_id));";

const struct store_migration store_migrations[] = {
    {1, "ledger", v1_ledger},
    {2, "funds", v2_funds},
    {3, "journal_buckets", v3_journal_buckets},
    {4, "customer_omnibus", v4_customer_omnibus},
    {5, "audit_detail", v5_audit_detail},
    {6, "fx", v6_fx},
    {7, "outbox", v7_outbox},
    {8, "worldfirst", v8_worldfirst},
};

const int store_migrations_count = (int)(sizeof(store_migrations) / sizeof(store_migrations[0]));
