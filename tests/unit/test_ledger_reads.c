/*
 * test_ledger_reads.c - the ledger's operator reads on a real (in-memory)
 * SQLite store: ledger_account_page's filters and cursor, and
 * ledger_transfer_recent's kind prefix, order, cursor and bounded walk back
 * (it looks at no more than scan_rows journal rows below its cursor).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger/ledger.h"
#include "store/store.h"

struct fx {
    struct store *s;
    struct ledger_account cash, a, b;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct fg_err err;
    assert_int_equal(store_open(":memory:", true, &f->s, &err), 0);
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_int_equal(ledger_house_open(f->s, "USD", 1, &err), 0);
    assert_int_equal(ledger_house_open(f->s, "EUR", 1, &err), 0);
    assert_int_equal(ledger_account_find(f->s, LEDGER_HOUSE, "cash", "USD", &f->cash, &err), 0);
    assert_int_equal(
        ledger_account_open(f->s, "c1", "wallet", "USD", LEDGER_ACCT_CUSTOMER, 1, &f->a, &err), 0);
    assert_int_equal(
        ledger_account_open(f->s, "c2", "futures", "USD", LEDGER_ACCT_CUSTOMER, 1, &f->b, &err), 0);
    assert_int_equal(store_commit(f->s, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->s);
    free(f);
    return 0;
}

struct collect {
    int n;
    int64_t ids[64];
};

static int collect_account(void *ctx, const struct ledger_account *a)
{
    struct collect *c = ctx;
    c->ids[c->n++] = a->id;
    return 0;
}

static int collect_transfer(void *ctx, const struct ledger_transfer *t)
{
    struct collect *c = ctx;
    c->ids[c->n++] = t->id;
    return 0;
}

static void test_account_page(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    struct collect c = {0};
    struct ledger_account_filter all = {"", "", ""};
    assert_int_equal(ledger_account_page(f->s, &all, 0, 64, collect_account, &c, &err), 0);
    assert_int_equal(c.n, 12); /* five house accounts of two currencies, two customers */
    c.n = 0;
    struct ledger_account_filter house_usd = {LEDGER_HOUSE, "", "USD"};
    assert_int_equal(ledger_account_page(f->s, &house_usd, 0, 64, collect_account, &c, &err), 0);
    assert_int_equal(c.n, 5);
    c.n = 0;
    assert_int_equal(ledger_account_page(f->s, &house_usd, 0, 2, collect_account, &c, &err), 0);
    assert_int_equal(c.n, 2); /* the limit */
    int64_t cursor = c.ids[1];
    c.n = 0;
    assert_int_equal(ledger_account_page(f->s, &house_usd, cursor, 64, collect_account, &c, &err),
                     0);
    assert_int_equal(c.n, 3); /* after the cursor */
    assert_true(c.ids[0] > cursor);
    c.n = 0;
    struct ledger_account_filter futures = {"", "futures", ""};
    assert_int_equal(ledger_account_page(f->s, &futures, 0, 64, collect_account, &c, &err), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.ids[0], f->b.id);
}

static int64_t xfer(struct fx *f, const char *kind)
{
    struct fg_err err;
    struct ledger_transfer t = {.debit_id = f->cash.id, .credit_id = f->a.id, .amount = 1};
    strcpy(t.currency, "USD");
    snprintf(t.kind, sizeof(t.kind), "%s", kind);
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_int_equal(ledger_transfer_create(f->s, 1, &t, &err), 0);
    assert_int_equal(store_commit(f->s, &err), 0);
    return t.id;
}

static void test_recent(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    int64_t ids[10];
    const char *kinds[] = {"tb_open", "deposit",    "tb_close", "deposit", "deposit",
                           "deposit", "tb_reverse", "tbx",      "deposit", "tb_open"};
    for (int i = 0; i < 10; i++)
        ids[i] = xfer(f, kinds[i]);
    struct collect c = {0};
    /* Newest first, only the prefix ("tbx" has no '_': '_' is not a wildcard). */
    assert_int_equal(
        ledger_transfer_recent(f->s, "tb_", ids[9] + 1, 1000, 64, collect_transfer, &c, &err), 0);
    assert_int_equal(c.n, 4);
    assert_int_equal(c.ids[0], ids[9]);
    assert_int_equal(c.ids[1], ids[6]);
    assert_int_equal(c.ids[3], ids[0]);
    /* The limit, then the cursor. */
    c.n = 0;
    assert_int_equal(
        ledger_transfer_recent(f->s, "tb_", ids[9] + 1, 1000, 2, collect_transfer, &c, &err), 0);
    assert_int_equal(c.n, 2);
    c.n = 0;
    assert_int_equal(
        ledger_transfer_recent(f->s, "tb_", ids[6], 1000, 64, collect_transfer, &c, &err), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.ids[0], ids[2]);
    /* At the bound: 4 rows below ids[9]+1 reach ids[6]; 3 do not. */
    c.n = 0;
    assert_int_equal(
        ledger_transfer_recent(f->s, "tb_", ids[9] + 1, 4, 64, collect_transfer, &c, &err), 0);
    assert_int_equal(c.n, 2);
    c.n = 0;
    assert_int_equal(
        ledger_transfer_recent(f->s, "tb_", ids[9] + 1, 3, 64, collect_transfer, &c, &err), 0);
    assert_int_equal(c.n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_account_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
