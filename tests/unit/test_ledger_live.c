/*
 * test_ledger_live.c - the writer's live account totals (ledger.c) against
 * the rows they stand in for: a ROLLBACK TO undoes exactly the work after its
 * savepoint, a rolled-back or failed commit leaves nothing held, another
 * connection's commit is never shadowed by stale totals, readers on another
 * connection see whole totals after a commit, statements outside a
 * transaction still land, and a table filled past its limit writes out and
 * starts over. Real SQLite files, two connections.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pg/pgtest.h"
#include "ledger/ledger.h"
#include "store/store.h"

struct fx {
    char dir[64], path[512]; /* SQLite: dir/db; PostgreSQL (FUNDGATE_TEST_PG): a database */
    struct store *w, *r;     /* the writer, and a second connection */
    struct ledger_account cash, fees, cust[4];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct fg_err err;
    snprintf(f->dir, sizeof(f->dir), "/tmp/fg-live-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    if (pgtest_base())
        assert_true(pgtest_db_create("live", f->path, sizeof(f->path)));
    else
        snprintf(f->path, sizeof(f->path), "%s/db", f->dir);
    assert_int_equal(store_open(f->path, true, &f->w, &err), 0);
    assert_int_equal(store_open(f->path, false, &f->r, &err), 0);
    assert_int_equal(store_begin(f->w, &err), 0);
    assert_int_equal(ledger_house_open(f->w, "USD", 1, &err), 0);
    assert_int_equal(ledger_account_find(f->w, LEDGER_HOUSE, "cash", "USD", &f->cash, &err), 0);
    assert_int_equal(ledger_account_find(f->w, LEDGER_HOUSE, "fees", "USD", &f->fees, &err), 0);
    for (int i = 0; i < 4; i++) {
        char owner[16];
        snprintf(owner, sizeof(owner), "c%d", i);
        assert_int_equal(ledger_account_open(f->w, owner, "wallet", "USD", LEDGER_ACCT_CUSTOMER, 1,
                                             &f->cust[i], &err),
                         0);
    }
    assert_int_equal(store_commit(f->w, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->r);
    store_close(f->w);
    if (pgtest_base())
        pgtest_db_drop(f->path);
    char p[600];
    const char *side[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", f->path, side[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static int move(struct store *s, int64_t dr, int64_t cr, int64_t amount)
{
    struct ledger_transfer t = {.debit_id = dr, .credit_id = cr, .amount = amount};
    strcpy(t.currency, "USD");
    strcpy(t.kind, "test");
    struct fg_err err;
    return ledger_transfer_create(s, 10, &t, &err);
}

/* Posted balance of account id as connection s sees it (reads on s go
 * through ledger_account_get, which overlays what s holds). */
static int64_t balance(struct store *s, int64_t id)
{
    struct ledger_account a;
    struct fg_err err;
    assert_int_equal(ledger_account_get(s, id, &a, &err), 0);
    return ledger_account_balance(&a);
}

/* The stored row, read with SQL of our own on connection s. */
static int64_t row_credits(struct store *s, int64_t id)
{
    int64_t v = -1;
    struct fg_err err;
    assert_int_equal(store_query_int(s, "SELECT credits_posted FROM accounts WHERE id = ?",
                                     STORE_ARGS(SA_INT(id)), &v, &err),
                     0);
    return v;
}

static void assert_reconciled(struct store *s)
{
    struct ledger_report r;
    struct fg_err err;
    assert_int_equal(ledger_reconcile(s, &r, &err), 0);
    for (int i = 0; i < r.violation_count && i < LEDGER_RECONCILE_VIOLATIONS_MAX; i++)
        fprintf(stderr, "violation: %s\n", r.violations[i]);
    assert_true(r.ok);
}

/* Totals move in memory; the row gets them at the savepoint or the commit,
 * and a reader sees them only after the commit. */
static void test_flush_at_commit(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    int64_t c0 = f->cust[0].id;
    assert_int_equal(store_begin(f->w, &err), 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(move(f->w, f->cash.id, c0, 5), 0);
    assert_int_equal(balance(f->w, c0), 500);
    assert_int_equal(row_credits(f->w, c0), 0); /* held, not yet written */
    assert_int_equal(balance(f->r, c0), 0);     /* the reader sees the committed row */
    assert_int_equal(store_commit(f->w, &err), 0);
    assert_int_equal(row_credits(f->w, c0), 500);
    assert_int_equal(balance(f->r, c0), 500);
    assert_reconciled(f->r);
}

/* A flush that fails half way while the transaction survives (a statement
 * error the database undoes alone) leaves what it held intact: the SAVEPOINT
 * that asked for it fails, and the next flush writes every account. */
static void test_flush_fails_half_way(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    int64_t c0 = f->cust[0].id, c3 = f->cust[3].id;
    if (pgtest_base())
        skip(); /* a failed statement fails a PostgreSQL transaction: nothing to keep */
    /* A trigger (SQLite) refuses updates of c3 while the gate table has a row. */
    assert_int_equal(store_exec(f->w,
                                "CREATE TABLE gate (x INTEGER);"
                                "CREATE TRIGGER gate_c3 BEFORE UPDATE ON accounts "
                                "WHEN NEW.owner = 'c3' AND EXISTS (SELECT 1 FROM gate) "
                                "BEGIN SELECT RAISE(ABORT, 'gate closed'); END;",
                                STORE_NOARGS, NULL, NULL, &err),
                     0);
    assert_int_equal(store_begin(f->w, &err), 0);
    assert_int_equal(
        store_exec(f->w, "INSERT INTO gate VALUES (1)", STORE_NOARGS, NULL, NULL, &err), 0);
    assert_int_equal(move(f->w, f->cash.id, c0, 7), 0);
    assert_int_equal(move(f->w, f->cash.id, c3, 9), 0);
    assert_true(store_savepoint(f->w, "sp", &err) < 0); /* cash and c0 written, c3 refused */
    assert_true(store_txn_active(f->w));
    assert_int_equal(balance(f->w, c3), 9);
    assert_int_equal(store_exec(f->w, "DELETE FROM gate", STORE_NOARGS, NULL, NULL, &err), 0);
    assert_int_equal(store_savepoint(f->w, "sp", &err), 0);
    assert_int_equal(row_credits(f->w, c0), 7);
    assert_int_equal(row_credits(f->w, c3), 9);
    assert_int_equal(store_release(f->w, "sp", &err), 0);
    assert_int_equal(store_commit(f->w, &err), 0);
    assert_int_equal(balance(f->r, c3), 9);
    assert_int_equal(balance(f->r, f->cash.id), -16);
    assert_reconciled(f->r);
}

/* A ROLLBACK TO undoes the transfers after its savepoint and nothing before. */
static void test_rollback_to_savepoint(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    int64_t c0 = f->cust[0].id, c1 = f->cust[1].id;
    assert_int_equal(store_begin(f->w, &err), 0);
    assert_int_equal(move(f->w, f->cash.id, c0, 1000), 0);
    assert_int_equal(store_savepoint(f->w, "sp", &err), 0);
    assert_int_equal(row_credits(f->w, c0), 1000); /* written at the savepoint */
    assert_int_equal(move(f->w, c0, c1, 300), 0);
    assert_int_equal(move(f->w, f->cash.id, c1, 7), 0);
    assert_int_equal(balance(f->w, c0), 700);
    assert_int_equal(store_rollback_to(f->w, "sp", &err), 0);
    assert_int_equal(store_release(f->w, "sp", &err), 0);
    assert_int_equal(balance(f->w, c0), 1000);
    assert_int_equal(balance(f->w, c1), 0);
    /* Spending after the rollback is checked against the restored total. */
    assert_int_equal(move(f->w, c0, c1, 1001), -FG_EINSUFFICIENT_FUNDS);
    assert_int_equal(move(f->w, c0, c1, 1000), 0);
    assert_int_equal(store_commit(f->w, &err), 0);
    assert_int_equal(balance(f->r, c0), 0);
    assert_int_equal(balance(f->r, c1), 1000);
    assert_reconciled(f->r);
}

/* A whole rollback, and a commit that fails in its flush, leave nothing held. */
static void test_rollback_and_failed_commit(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    int64_t c0 = f->cust[0].id;
    assert_int_equal(store_begin(f->w, &err), 0);
    assert_int_equal(move(f->w, f->cash.id, c0, 50), 0);
    assert_int_equal(store_commit(f->w, &err), 0);

    assert_int_equal(store_begin(f->w, &err), 0);
    assert_int_equal(move(f->w, f->cash.id, c0, 25), 0);
    assert_int_equal(balance(f->w, c0), 75);
    assert_int_equal(store_rollback(f->w), 0);
    assert_int_equal(balance(f->w, c0), 50);

    /* Make the flush's UPDATE fail: a trigger refuses any change to c0's row. */
    static const char sqlite_trigger[] = "CREATE TRIGGER no_c0 BEFORE UPDATE ON accounts "
                                         "WHEN old.owner = 'c0' BEGIN SELECT RAISE(ABORT, 'no'); "
                                         "END";
    static const char pg_trigger[] =
        "CREATE FUNCTION no_c0() RETURNS trigger LANGUAGE plpgsql AS "
        "'BEGIN IF OLD.owner = ''c0'' THEN RAISE EXCEPTION ''no''; END IF; RETURN NEW; END';"
        "CREATE TRIGGER no_c0 BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION no_c0()";
    assert_int_equal(store_exec_changes(f->w, pgtest_base() ? pg_trigger : sqlite_trigger,
                                        STORE_NOARGS, NULL, &err),
                     0);
    assert_int_equal(store_begin(f->w, &err), 0);
    assert_int_equal(move(f->w, f->cash.id, c0, 25), 0);
    assert_true(store_commit(f->w, &err) < 0);
    assert_false(store_in_write_tx(f->w));
    assert_int_equal(balance(f->w, c0), 50);
    assert_int_equal(
        store_exec_changes(f->w,
                           pgtest_base() ? "DROP TRIGGER no_c0 ON accounts" : "DROP TRIGGER no_c0",
                           STORE_NOARGS, NULL, &err),
        0);
    assert_int_equal(store_begin(f->w, &err), 0);
    assert_int_equal(move(f->w, f->cash.id, c0, 1), 0);
    assert_int_equal(store_commit(f->w, &err), 0);
    assert_int_equal(balance(f->r, c0), 51);
    assert_reconciled(f->r);
}

/* Another connection's commit between two transactions is seen, not
 * overwritten by what the writer held from before. */
static void test_other_connection_commit(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    int64_t c0 = f->cust[0].id, c1 = f->cust[1].id;
    assert_int_equal(store_begin(f->w, &err), 0);
    assert_int_equal(move(f->w, f->cash.id, c0, 100), 0);
    assert_int_equal(store_commit(f->w, &err), 0); /* c0 stays held, clean */

    assert_int_equal(store_begin(f->r, &err), 0);
    assert_int_equal(move(f->r, f->cash.id, c0, 11), 0);
    assert_int_equal(store_commit(f->r, &err), 0);

    assert_int_equal(store_begin(f->w, &err), 0);
    assert_int_equal(balance(f->w, c0), 111);
    assert_int_equal(move(f->w, c0, c1, 111), 0);
    assert_int_equal(store_commit(f->w, &err), 0);
    assert_int_equal(balance(f->r, c0), 0);
    assert_int_equal(balance(f->r, c1), 111);
    assert_reconciled(f->r);
}

/* Without a transaction every statement commits by itself: so does the total. */
static void test_autocommit(void **state)
{
    struct fx *f = *state;
    int64_t c2 = f->cust[2].id;
    assert_int_equal(move(f->w, f->cash.id, c2, 9), 0);
    assert_int_equal(row_credits(f->r, c2), 9);
    assert_int_equal(move(f->w, c2, f->fees.id, 10), -FG_EINSUFFICIENT_FUNDS);
    assert_int_equal(move(f->w, c2, f->fees.id, 9), 0);
    assert_int_equal(balance(f->r, c2), 0);
    assert_reconciled(f->r);
}

/* More accounts in one transaction than the table holds: it writes out and
 * starts over, and nothing is lost. */
static void test_table_full(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    const int n = FG_WRITER_LIVE_ACCOUNTS_MAX + 3;
    if (pgtest_base())
        skip(); /* the table's own logic, the same on every backend: 260,000 round trips there */
    int64_t *ids = calloc((size_t)n, sizeof(*ids));
    assert_non_null(ids);
    assert_int_equal(store_begin(f->w, &err), 0);
    for (int i = 0; i < n; i++) {
        char owner[32];
        struct ledger_account a;
        snprintf(owner, sizeof(owner), "many%d", i);
        assert_int_equal(
            ledger_account_open(f->w, owner, "wallet", "USD", LEDGER_ACCT_CUSTOMER, 1, &a, &err),
            0);
        ids[i] = a.id;
    }
    assert_int_equal(store_commit(f->w, &err), 0);
    assert_int_equal(store_begin(f->w, &err), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(move(f->w, f->cash.id, ids[i], 1 + i % 7), 0);
    /* The first accounts were written out when the table filled. */
    assert_int_equal(row_credits(f->w, ids[0]), 1);
    for (int i = 0; i < n; i += 997)
        assert_int_equal(balance(f->w, ids[i]), 1 + i % 7);
    assert_int_equal(store_commit(f->w, &err), 0);
    assert_int_equal(balance(f->r, ids[n - 1]), 1 + (n - 1) % 7);
    assert_reconciled(f->r);
    free(ids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flush_at_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_to_savepoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_fails_half_way, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_and_failed_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_connection_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_autocommit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
    };
    return cmocka_run_group_tests_name("ledger_live", tests, NULL, NULL);
}
