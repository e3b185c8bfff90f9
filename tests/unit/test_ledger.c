/*
 * test_ledger.c - the ledger on a real (in-memory) SQLite store: invariants
 * after thousands of random operations, holds (post, void, expiry), linked
 * atomicity, overflow, idempotency records, and reconcile catching tampering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger/idem.h"
#include "pg/pgtest.h"
#include "ledger/ledger.h"
#include "services/directory.h"
#include "store/store.h"

struct fx {
    char uri[512]; /* PostgreSQL (FUNDGATE_TEST_PG): a fresh database; else SQLite in memory */
    struct store *s;
    struct ledger_account cash, payouts;
    struct ledger_account cust[8];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct fg_err err;
    if (pgtest_base())
        assert_true(pgtest_db_create("ledger", f->uri, sizeof(f->uri)));
    else
        snprintf(f->uri, sizeof(f->uri), ":memory:");
    assert_int_equal(store_open(f->uri, true, &f->s, &err), 0);
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_int_equal(ledger_house_open(f->s, "USD", 1, &err), 0);
    assert_int_equal(ledger_account_find(f->s, LEDGER_HOUSE, "cash", "USD", &f->cash, &err), 0);
    assert_int_equal(ledger_account_find(f->s, LEDGER_HOUSE, "payouts", "USD", &f->payouts, &err),
                     0);
    for (int i = 0; i < 8; i++) {
        char owner[16];
        snprintf(owner, sizeof(owner), "c%d", i);
        assert_int_equal(ledger_account_open(f->s, owner, "wallet", "USD", LEDGER_ACCT_CUSTOMER, 1,
                                             &f->cust[i], &err),
                         0);
    }
    assert_int_equal(store_commit(f->s, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->s);
    if (pgtest_base())
        pgtest_db_drop(f->uri);
    free(f);
    return 0;
}

static int xfer(struct fx *f, int64_t now, int64_t dr, int64_t cr, int64_t amount, int flags,
                int64_t pending_id, int64_t timeout_ms, int64_t *id)
{
    struct fg_err err;
    struct ledger_transfer t = {.debit_id = dr,
                                .credit_id = cr,
                                .amount = amount,
                                .flags = flags,
                                .pending_id = pending_id,
                                .timeout_ms = timeout_ms};
    strcpy(t.currency, "USD");
    strcpy(t.kind, "test");
    /* Like the engine: each command in its own savepoint. */
    assert_int_equal(store_savepoint(f->s, "t", &err), 0);
    int rc = ledger_transfer_create(f->s, now, &t, &err);
    if (rc < 0)
        store_rollback_to(f->s, "t", NULL);
    store_release(f->s, "t", NULL);
    if (id)
        *id = t.id;
    return rc;
}

static struct ledger_account get(struct fx *f, int64_t id)
{
    struct ledger_account a;
    struct fg_err err;
    assert_int_equal(ledger_account_get(f->s, id, &a, &err), 0);
    return a;
}

static void assert_reconciled(struct fx *f)
{
    struct ledger_report r;
    struct fg_err err;
    assert_int_equal(ledger_reconcile(f->s, &r, &err), 0);
    for (int i = 0; i < r.violation_count && i < LEDGER_RECONCILE_VIOLATIONS_MAX; i++)
        fprintf(stderr, "violation: %s\n", r.violations[i]);
    assert_true(r.ok);
}

static void test_basic_and_insufficient(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    store_begin(f->s, &err);
    assert_int_equal(xfer(f, 10, f->cash.id, f->cust[0].id, 1000, 0, 0, 0, NULL), 0);
    assert_int_equal(xfer(f, 10, f->cust[0].id, f->cust[1].id, 1001, 0, 0, 0, NULL),
                     -FG_EINSUFFICIENT_FUNDS);
    assert_int_equal(xfer(f, 10, f->cust[0].id, f->cust[1].id, 1000, 0, 0, 0, NULL), 0);
    assert_int_equal(xfer(f, 10, f->cust[0].id, f->cust[1].id, 0, 0, 0, 0, NULL), -FG_EAMOUNT_ZERO);
    assert_int_equal(xfer(f, 10, f->cust[0].id, f->cust[0].id, 1, 0, 0, 0, NULL),
                     -FG_ESAME_ACCOUNT);
    assert_int_equal(xfer(f, 10, f->cust[0].id, 999999, 1, 0, 0, 0, NULL), -FG_EUNKNOWN_ACCOUNT);
    struct ledger_account a0 = get(f, f->cust[0].id), a1 = get(f, f->cust[1].id);
    assert_int_equal(ledger_account_balance(&a0), 0);
    assert_int_equal(ledger_account_balance(&a1), 1000);
    assert_int_equal(get(f, f->cash.id).debits_posted, 1000);
    /* Overflow is refused, not wrapped. */
    assert_int_equal(xfer(f, 10, f->cash.id, f->cust[2].id, INT64_MAX - 1000, 0, 0, 0, NULL), 0);
    assert_int_equal(xfer(f, 10, f->cash.id, f->cust[2].id, 1, 0, 0, 0, NULL), -FG_EOVERFLOW);
    /* Currency mismatch. */
    struct ledger_account jpy;
    ledger_house_open(f->s, "JPY", 1, &err);
    ledger_account_find(f->s, LEDGER_HOUSE, "cash", "JPY", &jpy, &err);
    assert_int_equal(xfer(f, 10, jpy.id, f->cust[3].id, 1, 0, 0, 0, NULL), -FG_ECURRENCY_MISMATCH);
    assert_reconciled(f);
    store_commit(f->s, &err);
}

static void test_holds(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    int64_t p1, p2, p3, post, tmp;
    store_begin(f->s, &err);
    assert_int_equal(xfer(f, 10, f->cash.id, f->cust[0].id, 1000, 0, 0, 0, NULL), 0);
    /* Pending freezes: available drops, balance does not. */
    assert_int_equal(xfer(f, 10, f->cust[0].id, f->payouts.id, 600, LEDGER_PENDING, 0, 0, &p1), 0);
    struct ledger_account a = get(f, f->cust[0].id);
    assert_int_equal(ledger_account_balance(&a), 1000);
    assert_int_equal(ledger_account_available(&a), 400);
    assert_int_equal(a.debits_pending, 600);
    /* Another hold beyond available is refused. */
    assert_int_equal(xfer(f, 10, f->cust[0].id, f->payouts.id, 401, LEDGER_PENDING, 0, 0, NULL),
                     -FG_EINSUFFICIENT_FUNDS);
    /* Post part of it: the rest is released. */
    assert_int_equal(xfer(f, 11, 0, 0, 500, LEDGER_POST, p1, 0, &post), 0);
    a = get(f, f->cust[0].id);
    assert_int_equal(ledger_account_balance(&a), 500);
    assert_int_equal(ledger_account_available(&a), 500);
    assert_int_equal(a.debits_pending, 0);
    /* A hold resolves once. */
    assert_int_equal(xfer(f, 12, 0, 0, 0, LEDGER_VOID, p1, 0, NULL), -FG_EPENDING_RESOLVED);
    assert_int_equal(xfer(f, 12, 0, 0, 0, LEDGER_POST, p1, 0, NULL), -FG_EPENDING_RESOLVED);
    assert_int_equal(xfer(f, 12, 0, 0, 0, LEDGER_POST, 987654, 0, NULL), -FG_EPENDING_NOT_FOUND);
    /* Void restores available. */
    assert_int_equal(xfer(f, 20, f->cust[0].id, f->payouts.id, 200, LEDGER_PENDING, 0, 0, &p2), 0);
    assert_int_equal(xfer(f, 21, 0, 0, 300, LEDGER_POST, p2, 0, NULL), -FG_EPENDING_AMOUNT);
    assert_int_equal(xfer(f, 21, 0, 0, 0, LEDGER_VOID, p2, 0, NULL), 0);
    a = get(f, f->cust[0].id);
    assert_int_equal(ledger_account_available(&a), 500);
    /* Expiry: cannot be posted after its timeout; the sweep voids it. */
    assert_int_equal(xfer(f, 30, f->cust[0].id, f->payouts.id, 100, LEDGER_PENDING, 0, 1000, &p3),
                     0);
    assert_int_equal(ledger_account_available(&(struct ledger_account){0}), 0);
    int expired = -1;
    assert_int_equal(ledger_holds_expire(f->s, 999, 100, &expired, &err), 0);
    assert_int_equal(expired, 0);
    assert_int_equal(xfer(f, 1000, 0, 0, 0, LEDGER_POST, p3, 0, NULL), -FG_EPENDING_EXPIRED);
    assert_int_equal(ledger_holds_expire(f->s, 1000, 100, &expired, &err), 0);
    assert_int_equal(expired, 1);
    enum ledger_hold_state st;
    assert_int_equal(ledger_hold_state(f->s, p3, &st, &err), 0);
    assert_int_equal(st, LEDGER_HOLD_EXPIRED);
    a = get(f, f->cust[0].id);
    assert_int_equal(ledger_account_available(&a), 500);
    assert_int_equal(xfer(f, 1001, 0, 0, 0, LEDGER_VOID, p3, 0, &tmp), -FG_EPENDING_RESOLVED);
    /* A timeout on a plain transfer is a programming error refused as bad request. */
    assert_int_equal(xfer(f, 10, f->cust[0].id, f->payouts.id, 1, 0, 0, 5, NULL), -FG_EBAD_REQUEST);
    assert_reconciled(f);
    store_commit(f->s, &err);
}

static void test_linked_atomic(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    store_begin(f->s, &err);
    assert_int_equal(xfer(f, 10, f->cash.id, f->cust[0].id, 100, 0, 0, 0, NULL), 0);
    struct ledger_transfer t[3] = {
        {.debit_id = f->cust[0].id, .credit_id = f->cust[1].id, .amount = 60},
        {.debit_id = f->cust[1].id, .credit_id = f->cust[2].id, .amount = 60},
        {.debit_id = f->cust[0].id, .credit_id = f->cust[2].id, .amount = 41}, /* only 40 left */
    };
    for (int i = 0; i < 3; i++) {
        strcpy(t[i].currency, "USD");
        strcpy(t[i].kind, "test");
    }
    assert_int_equal(ledger_transfers_create_linked(f->s, 10, t, 3, &err), -FG_EINSUFFICIENT_FUNDS);
    assert_non_null(strstr(err.msg, "linked transfer 3 of 3"));
    assert_int_equal(ledger_account_balance(&(struct ledger_account){0}), 0);
    struct ledger_account a0 = get(f, f->cust[0].id), a1 = get(f, f->cust[1].id),
                          a2 = get(f, f->cust[2].id);
    assert_int_equal(ledger_account_balance(&a0), 100);
    assert_int_equal(ledger_account_balance(&a1), 0);
    assert_int_equal(ledger_account_balance(&a2), 0);
    t[2].amount = 40;
    assert_int_equal(ledger_transfers_create_linked(f->s, 10, t, 3, &err), 0);
    a0 = get(f, f->cust[0].id);
    a2 = get(f, f->cust[2].id);
    assert_int_equal(ledger_account_balance(&a0), 0);
    assert_int_equal(ledger_account_balance(&a2), 100);
    assert_true(t[0].flags & LEDGER_LINKED);
    assert_int_equal(ledger_transfers_create_linked(f->s, 10, t, FG_LINKED_TRANSFERS_MAX + 1, &err),
                     -FG_EBAD_REQUEST);
    assert_reconciled(f);
    store_commit(f->s, &err);
}

/* Thousands of random operations; the invariants hold after every hundred. */
static void test_random_invariants(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    srand(12345);
    int64_t pending[4096];
    int npending = 0, ok = 0, refused = 0;
    store_begin(f->s, &err);
    for (int i = 0; i < 5000; i++) {
        int64_t now = 100 + i;
        int op = rand() % 6;
        int a = rand() % 8, b = rand() % 8;
        int64_t amount = 1 + rand() % 5000;
        int rc;
        int64_t id = 0;
        switch (op) {
        case 0:
            rc = xfer(f, now, f->cash.id, f->cust[a].id, amount, 0, 0, 0, NULL);
            break;
        case 1:
        case 2:
            rc = xfer(f, now, f->cust[a].id, f->cust[b].id, amount, 0, 0, 0, NULL);
            break;
        case 3:
            rc = xfer(f, now, f->cust[a].id, f->payouts.id, amount, LEDGER_PENDING, 0,
                      rand() % 2 ? now + rand() % 200 : 0, &id);
            if (rc == 0 && npending < 4096)
                pending[npending++] = id;
            break;
        case 4:
            rc = npending ? xfer(f, now, 0, 0, rand() % 2 ? 0 : 1 + rand() % 100, LEDGER_POST,
                                 pending[rand() % npending], 0, NULL)
                          : -1;
            break;
        default: {
            int expired;
            rc = npending ? xfer(f, now, 0, 0, 0, LEDGER_VOID, pending[rand() % npending], 0, NULL)
                          : -1;
            assert_int_equal(ledger_holds_expire(f->s, now, 50, &expired, &err), 0);
        }
        }
        rc == 0 ? ok++ : refused++;
        if (i % 500 == 499)
            assert_reconciled(f);
    }
    assert_true(ok > 1000 && refused > 100);
    store_commit(f->s, &err);
    assert_reconciled(f);
}

static void test_reconcile_catches_tampering(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    store_begin(f->s, &err);
    assert_int_equal(xfer(f, 10, f->cash.id, f->cust[0].id, 100, 0, 0, 0, NULL), 0);
    assert_reconciled(f);
    assert_int_equal(store_exec_changes(f->s,
                                        "UPDATE accounts SET credits_posted = credits_posted + 1 "
                                        "WHERE id = ?",
                                        STORE_ARGS(SA_INT(f->cust[0].id)), NULL, &err),
                     0);
    struct ledger_report r;
    assert_int_equal(ledger_reconcile(f->s, &r, &err), 0);
    assert_false(r.ok);
    assert_true(r.violation_count >= 2); /* the account, and the USD sums */
    store_rollback(f->s);
}

/* Move the journal's next id to `next` with a house-to-house row (totals kept
 * in step, so reconcile still holds). */
static void journal_jump(struct fx *f, int64_t next)
{
    struct fg_err err;
    assert_int_equal(ledger_sync(f->s, &err), 0); /* SQL of our own on accounts below */
    assert_int_equal(store_exec_changes(
                         f->s,
                         "INSERT INTO transfers (id, debit_id, credit_id, amount, currency, flags, "
                         "ts_ms, kind) VALUES (?, ?, ?, 1, 'USD', 0, 1, 'jump')",
                         STORE_ARGS(SA_INT(next - 1), SA_INT(f->cash.id), SA_INT(f->payouts.id)),
                         NULL, &err),
                     0);
    if (pgtest_base()) /* an explicit id does not move PostgreSQL's sequence */
        assert_int_equal(store_exec(f->s,
                                    "SELECT setval(pg_get_serial_sequence('transfers', 'id'), ?)",
                                    STORE_ARGS(SA_INT(next - 1)), NULL, NULL, &err),
                         0);
    assert_int_equal(store_exec_changes(f->s,
                                        "UPDATE accounts SET debits_posted = debits_posted + "
                                        "CASE WHEN id = ?1 THEN 1 ELSE 0 END, credits_posted = "
                                        "credits_posted + CASE WHEN id = ?2 THEN 1 ELSE 0 END "
                                        "WHERE id IN (?1, ?2)",
                                        STORE_ARGS(SA_INT(f->cash.id), SA_INT(f->payouts.id)), NULL,
                                        &err),
                     0);
}

struct listed {
    int64_t ids[64];
    int n;
};

static int listed_one(void *ctx, const struct ledger_transfer *t)
{
    struct listed *l = ctx;
    assert_true(l->n < 64);
    l->ids[l->n++] = t->id;
    return 0;
}

/* The per-account listing walks time buckets: rows on both sides of bucket
 * boundaries, an empty bucket between, other accounts' rows interleaved, and
 * paging with a small limit must give every row of the account once, in order. */
static void test_transfer_list_buckets(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    const int64_t bucket = INT64_C(1) << FG_JOURNAL_BUCKET_SHIFT;
    int64_t want[64];
    int nwant = 0, id;
    store_begin(f->s, &err);
    assert_int_equal(xfer(f, 10, f->cash.id, f->cust[0].id, 100, 0, 0, 0, &want[nwant++]), 0);
    journal_jump(f, bucket - 2);
    for (int i = 0; i < 5; i++) {
        int64_t tid;
        assert_int_equal(xfer(f, 10, f->cash.id, f->cust[1].id, 1, 0, 0, 0, &tid), 0);
        assert_int_equal(xfer(f, 10, f->cust[0].id, f->cust[2].id, 1, 0, 0, 0, &tid), 0);
        want[nwant++] = tid;
    }
    journal_jump(f, 3 * bucket + 7); /* bucket 2 holds nothing of cust[0] */
    for (int i = 0; i < 3; i++) {
        int64_t tid;
        assert_int_equal(xfer(f, 10, f->cash.id, f->cust[0].id, 2, 0, 0, 0, &tid), 0);
        want[nwant++] = tid;
    }
    assert_true(want[1] < bucket && want[nwant - 1] > 3 * bucket);
    for (int limit = 1; limit <= 4; limit++) {
        struct listed got = {0};
        int64_t after = 0;
        for (int page = 0; page < 64; page++) {
            struct listed one = {0};
            assert_int_equal(
                ledger_transfer_list(f->s, f->cust[0].id, after, limit, listed_one, &one, &err), 0);
            assert_true(one.n <= limit);
            for (int i = 0; i < one.n; i++)
                got.ids[got.n++] = one.ids[i];
            if (one.n < limit)
                break;
            after = one.ids[one.n - 1];
        }
        assert_int_equal(got.n, nwant);
        for (id = 0; id < nwant; id++)
            assert_int_equal(got.ids[id], want[id]);
    }
    assert_reconciled(f);
    store_commit(f->s, &err);
}

/* Writer-side caches answer what the store would: a status change, a rolled
 * back creation and a reused account id are never served stale. */
static void test_writer_caches(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    struct customer cu = {.company_id = 7}, got;
    bool created;
    snprintf(cu.uuid, sizeof(cu.uuid), "u-1");
    snprintf(cu.user_name, sizeof(cu.user_name), "alice");
    snprintf(cu.name, sizeof(cu.name), "Alice");
    snprintf(cu.base_currency, sizeof(cu.base_currency), "USD");
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_int_equal(customer_create(f->s, &cu, 1, &created, &err), 0);
    struct currency gbp = {.code = "GBP", .digits = 2};
    assert_int_equal(currency_create(f->s, &gbp, 1, &created, &err), 0);
    assert_int_equal(store_commit(f->s, &err), 0);

    int64_t hits = directory_cache_hits();
    assert_int_equal(customer_find_by_name_cached(f->s, 7, "alice", &got, &err), 0);
    assert_int_equal(customer_find_by_name_cached(f->s, 7, "alice", &got, &err), 0);
    assert_string_equal(got.status, "active");
    assert_int_equal(directory_cache_hits(), hits + 1);
    struct currency cur;
    assert_int_equal(currency_get_cached(f->s, "GBP", &cur, &err), 0);
    assert_int_equal(currency_get_cached(f->s, "GBP", &cur, &err), 0);
    assert_int_equal(cur.digits, 2);
    assert_int_equal(directory_cache_hits(), hits + 2);
    assert_int_equal(currency_get_cached(f->s, "EUR", &cur, &err), -FG_EUNKNOWN_CURRENCY);

    /* A status change empties the cache. */
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_int_equal(customer_set_status(f->s, "u-1", "disabled", 2, &err), 0);
    assert_int_equal(customer_find_by_name_cached(f->s, 7, "alice", &got, &err), 0);
    assert_string_equal(got.status, "disabled");

    /* A creation read through the cache, then rolled back to a savepoint. */
    struct customer bob = cu;
    snprintf(bob.uuid, sizeof(bob.uuid), "u-2");
    snprintf(bob.user_name, sizeof(bob.user_name), "bob");
    assert_int_equal(store_savepoint(f->s, "sp", &err), 0);
    assert_int_equal(customer_create(f->s, &bob, 3, &created, &err), 0);
    assert_int_equal(customer_find_by_name_cached(f->s, 7, "bob", &got, &err), 0);
    int64_t acct_id = 0, again = 0;
    assert_int_equal(
        ledger_account_open(f->s, "u-2", "wallet", "USD", LEDGER_ACCT_CUSTOMER, 3, NULL, &err), 0);
    assert_int_equal(ledger_account_id_cached(f->s, "u-2", "wallet", "USD", &acct_id, &err), 0);
    assert_int_equal(ledger_account_id_cached(f->s, "u-2", "wallet", "USD", &again, &err), 0);
    assert_int_equal(again, acct_id);
    assert_int_equal(store_rollback_to(f->s, "sp", &err), 0);
    assert_int_equal(store_release(f->s, "sp", &err), 0);
    assert_int_equal(customer_find_by_name_cached(f->s, 7, "bob", &got, &err),
                     -FG_EUNKNOWN_CUSTOMER);
    assert_int_equal(ledger_account_id_cached(f->s, "u-2", "wallet", "USD", &again, &err),
                     -FG_EUNKNOWN_ACCOUNT);
    /* The rolled-back account's id now belongs to another account. */
    struct ledger_account other;
    assert_int_equal(
        ledger_account_open(f->s, "c0", "futures", "USD", LEDGER_ACCT_CUSTOMER, 3, &other, &err),
        0);
    if (!pgtest_base()) /* SQLite reuses the id; a PostgreSQL sequence never does */
        assert_int_equal(other.id, acct_id);
    assert_int_equal(ledger_account_id_cached(f->s, "c0", "futures", "USD", &again, &err), 0);
    assert_int_equal(again, other.id);
    assert_int_equal(ledger_account_id_cached(f->s, "u-2", "wallet", "USD", &again, &err),
                     -FG_EUNKNOWN_ACCOUNT);

    /* A whole transaction rolled back, too. */
    assert_int_equal(store_rollback(f->s), 0);
    assert_int_equal(ledger_account_id_cached(f->s, "c0", "futures", "USD", &again, &err),
                     -FG_EUNKNOWN_ACCOUNT);
    assert_int_equal(customer_find_by_name_cached(f->s, 7, "alice", &got, &err), 0);
    assert_string_equal(got.status, "active"); /* the disable was rolled back */
}

static void test_idempotency_records(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    uint8_t h1[FG_SHA256_BYTES], h2[FG_SHA256_BYTES];
    fg_sha256("a", 1, h1);
    fg_sha256("b", 1, h2);
    struct idem_rec rec;
    store_begin(f->s, &err);
    assert_int_equal(idem_get(f->s, "s", "k1", &rec, &err), 0);
    assert_false(rec.found);
    assert_int_equal(idem_put(f->s, "s", "k1", h1, 1, 201, "{\"x\":1}", 7, 42, 5, &err), 0);
    /* A duplicate is refused; in a savepoint, as every caller that goes on
     * after a failed statement must (PostgreSQL fails the transaction). */
    assert_int_equal(store_savepoint(f->s, "dup", &err), 0);
    assert_int_equal(idem_put(f->s, "s", "k1", h2, 1, 201, "{}", 2, 0, 5, &err), -FG_ECONSTRAINT);
    assert_int_equal(store_rollback_to(f->s, "dup", &err), 0);
    assert_int_equal(store_release(f->s, "dup", &err), 0);
    assert_int_equal(idem_put(f->s, "other", "k1", h2, 1, 201, "{}", 2, 0, 5, &err), 0);
    assert_int_equal(idem_get(f->s, "s", "k1", &rec, &err), 0);
    assert_true(rec.found);
    assert_true(idem_same_hash(&rec, h1));
    assert_false(idem_same_hash(&rec, h2));
    assert_int_equal(rec.status, 201);
    assert_int_equal(rec.ref, 42);
    assert_string_equal(rec.response, "{\"x\":1}");
    idem_rec_release(&rec);
    assert_int_equal(idem_update(f->s, "s", "k1", 3, 200, NULL, 0, 7, &err), 0);
    assert_int_equal(idem_get(f->s, "s", "k1", &rec, &err), 0);
    assert_int_equal(rec.state, 3);
    assert_null(rec.response);
    idem_rec_release(&rec);
    assert_int_equal(idem_update(f->s, "s", "nope", 3, 200, NULL, 0, 7, &err), -FG_ENOT_FOUND);
    store_commit(f->s, &err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_basic_and_insufficient, setup, teardown),
        cmocka_unit_test_setup_teardown(test_holds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linked_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_invariants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_catches_tampering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idempotency_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transfer_list_buckets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_caches, setup, teardown),
    };
    return cmocka_run_group_tests_name("ledger", tests, NULL, NULL);
}
