/*
 * test_tb_activity.c - end to end: GET /admin/v1/tradeboss/adjustments, the
 * admin plane's read of TradeBoss activity, through the real server (SQLite,
 * and PostgreSQL as e2e_test_tb_activity_pg).
 *
 * test_activity: executes and a cancel reversal listed newest first with
 * their customer, account type and direction, paged by next_before, and the
 * strict query (400 bad_field).
 *
 * test_walk_back_bound: the read walks back at most FG_RECENT_SCAN_ROWS_MAX
 * (100,000) journal rows per page, tested at that bound with the full number
 * of rows: with the adjustment the last of 100,000 rows from the journal's
 * end the first page holds it; one row more and the page comes back empty
 * with next_before just above it, where the next page finds it. The rows
 * are linked transfers of FG_LINKED_TRANSFERS_MAX legs (about 6,250
 * requests from 4 threads), on SQLite only (see the test).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/limits.h"
#include "harness.h"

#define EXEC "/api/cats-gateway/external-system-credit-limit-adjustment"
#define CANCEL "/api/cats-gateway/cancel-external-system-credit-limit-adjustment"
#define PATH "/admin/v1/tradeboss/adjustments"
#define FILL_THREADS 4

struct ctx {
    struct fgsrv s;
    int64_t wallet, payouts; /* c1's USD wallet and house:payouts USD */
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t account_id(struct ctx *c, const char *owner, const char *type)
{
    char path[160];
    snprintf(path, sizeof(path), "/admin/v1/accounts?owner=%s&currency=USD&type=%s", owner, type);
    json_t *j = fgh_admin_ok(&c->s, "GET", path, NULL, 200);
    int64_t id = json_integer_value(fgh_get(j, "accounts.0.account_id"));
    json_decref(j);
    assert_true(id > 0);
    return id;
}

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    fgsrv_start(&c->s);
    fgh_seed_basic(&c->s); /* USD, JPY; c1/alice of company 7 with USD wallet and futures */
    json_decref(fgh_admin_ok(&c->s, "POST", "/admin/v1/deposits",
                             "{\"request_id\":\"d1\",\"uuid\":\"c1\",\"type\":\"futures\","
                             "\"currency\":\"USD\",\"amount\":\"1000.00\"}",
                             201));
    json_decref(fgh_admin_ok(&c->s, "POST", "/admin/v1/deposits",
                             "{\"request_id\":\"d2\",\"uuid\":\"c1\",\"type\":\"wallet\","
                             "\"currency\":\"USD\",\"amount\":\"1000.00\"}",
                             201));
    json_decref(fgh_admin_ok(&c->s, "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":7,\"auth\":\"allowlist\","
                             "\"allow\":[\"127.0.0.0/8\",\"::1\"],\"account_type\":\"futures\"}",
                             201));
    c->wallet = account_id(c, "c1", "wallet");
    c->payouts = account_id(c, "house", "payouts");
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    fgh_assert_reconciled(&c->s);
    int rc = fgsrv_stop(&c->s);
    fgsrv_cleanup(&c->s);
    free(c);
    assert_int_equal(rc, 0);
    return 0;
}

/* A TradeBoss execute (op OPEN_POSITION or NORMAL_CLOSE) or, with rev, the
 * cancel of rev; it must answer code "0". */
static void tb(struct ctx *c, const char *no, const char *op, const char *rev)
{
    char body[600], ts[48];
    const char *path = rev ? CANCEL : EXEC;
    if (rev)
        snprintf(body, sizeof(body),
                 "{\"thirdServerCode\":\"fg\",\"userName\":\"alice\",\"currency\":\"USD\","
                 "\"bizType\":1,\"amount\":\"25.00\",\"amountDigits\":2,\"requestUniqueNo\":\"%s\","
                 "\"reverseRequestUniqueNo\":\"%s\",\"requestTime\":%lld,\"ip\":\"10.1.2.3\"}",
                 no, rev, (long long)wall_ms());
    else
        snprintf(body, sizeof(body),
                 "{\"thirdServerCode\":\"fg\",\"userName\":\"alice\",\"currency\":\"USD\","
                 "\"bizType\":1,\"operationType\":\"%s\",\"amount\":\"25.00\",\"amountDigits\":2,"
                 "\"orderId\":42,\"requestUniqueNo\":\"%s\",\"requestTime\":%lld,"
                 "\"ip\":\"10.1.2.3\"}",
                 op, no, (long long)wall_ms());
    snprintf(ts, sizeof(ts), "timestamp: %lld", (long long)wall_ms());
    const char *const h[] = {"companyId: 7", "trace: tb-activity", ts, NULL};
    struct fgresp r;
    assert_int_equal(fgh_request(&c->s, "POST", path, h, body, &r), 0);
    if (r.status != 200 || !fgh_str(r.json, "code") || strcmp(fgh_str(r.json, "code"), "0") != 0)
        fail_msg("%s %s: HTTP %ld %s", path, no, r.status, r.body);
    fgresp_free(&r);
}

static json_t *page(struct ctx *c, const char *query)
{
    char path[200];
    snprintf(path, sizeof(path), PATH "%s", query);
    return fgh_admin_ok(&c->s, "GET", path, NULL, 200);
}

static void test_activity(void **state)
{
    struct ctx *c = *state;
    tb(c, "tb-1", "OPEN_POSITION", NULL);
    tb(c, "tb-2", "NORMAL_CLOSE", NULL);
    tb(c, "tb-c1", NULL, "tb-1");
    json_t *j = page(c, "");
    json_t *arr = json_object_get(j, "adjustments");
    assert_int_equal(json_array_size(arr), 3);
    assert_string_equal(fgh_str(j, "adjustments.0.kind"), "tb_reverse");
    assert_string_equal(fgh_str(j, "adjustments.1.kind"), "tb_close");
    assert_string_equal(fgh_str(j, "adjustments.2.kind"), "tb_open");
    assert_string_equal(fgh_str(j, "adjustments.2.customer"), "c1");
    assert_string_equal(fgh_str(j, "adjustments.2.account_type"), "futures");
    assert_string_equal(fgh_str(j, "adjustments.2.direction"), "debit");
    assert_string_equal(fgh_str(j, "adjustments.0.direction"), "credit");
    assert_string_equal(fgh_str(j, "adjustments.2.amount"), "25.00");
    assert_true(json_is_null(json_object_get(j, "next_before")));
    int64_t second = json_integer_value(fgh_get(j, "adjustments.1.id"));
    int64_t first = json_integer_value(fgh_get(j, "adjustments.2.id"));
    json_decref(j);
    /* A full page says where to go on. */
    j = page(c, "?limit=2");
    assert_int_equal(json_array_size(json_object_get(j, "adjustments")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "next_before")), second);
    json_decref(j);
    char q[64];
    snprintf(q, sizeof(q), "?limit=2&before=%lld", (long long)second);
    j = page(c, q);
    assert_int_equal(json_array_size(json_object_get(j, "adjustments")), 1);
    assert_int_equal(json_integer_value(fgh_get(j, "adjustments.0.id")), first);
    json_decref(j);
    static const char *const bad[] = {"?limit=0",  "?limit=1001",      "?before=0",
                                      "?before=x", "?limit=1&limit=1", NULL};
    for (int i = 0; bad[i]; i++) {
        snprintf(q, sizeof(q), PATH "%s", bad[i]);
        json_t *e = fgh_admin_ok(&c->s, "GET", q, NULL, 400);
        assert_string_equal(fgh_str(e, "error.code"), "bad_field");
        json_decref(e);
    }
}

/* --- the walk-back bound ------------------------------------------------------- */

/* POST one linked chain of `legs` transfers of 0.01 between the wallet and
 * house:payouts, alternating; the id of its last transfer, or -1. Thread-safe. */
static int64_t linked(struct ctx *c, const char *rid, int legs)
{
    char body[4096];
    int n = snprintf(body, sizeof(body),
                     "{\"request_id\":\"%s\",\"reason\":\"fill\",\"transfers\":[", rid);
    for (int i = 0; i < legs; i++) {
        int64_t a = i % 2 ? c->payouts : c->wallet, b = i % 2 ? c->wallet : c->payouts;
        n += snprintf(body + n, sizeof(body) - (size_t)n,
                      "%s{\"debit_account_id\":%lld,\"credit_account_id\":%lld,"
                      "\"amount\":\"0.01\"}",
                      i ? "," : "", (long long)a, (long long)b);
    }
    snprintf(body + n, sizeof(body) - (size_t)n, "]}");
    struct fgresp r;
    int64_t last = -1;
    if (fgh_admin(&c->s, "POST", "/admin/v1/transfers/linked", body, &r) == 0 && r.status == 201) {
        json_t *t = json_object_get(r.json, "transfers");
        last = json_integer_value(json_object_get(json_array_get(t, json_array_size(t) - 1), "id"));
    }
    fgresp_free(&r);
    return last;
}

struct filler {
    struct ctx *c;
    int first, count; /* request numbers */
    int64_t max_id;   /* -1 when a request failed */
};

static void *fill_worker(void *p)
{
    struct filler *f = p;
    for (int i = f->first; i < f->first + f->count && f->max_id >= 0; i++) {
        char rid[32];
        snprintf(rid, sizeof(rid), "fill-%d", i);
        int64_t last = linked(f->c, rid, FG_LINKED_TRANSFERS_MAX);
        f->max_id = last < 0 ? -1 : last > f->max_id ? last : f->max_id;
    }
    return NULL;
}

/* Append transfers until the journal's last id is exactly `target`: full
 * chains from FILL_THREADS threads, then, one at a time, the chains that
 * end on it. */
static void fill_to(struct ctx *c, int64_t from, int64_t target)
{
    struct filler f[FILL_THREADS];
    pthread_t th[FILL_THREADS];
    int64_t chains = (target - from) / FG_LINKED_TRANSFERS_MAX - 2, last = from;
    for (int i = 0; i < FILL_THREADS; i++) {
        int per = (int)(chains / FILL_THREADS);
        f[i] = (struct filler){.c = c, .first = i * per, .count = per, .max_id = 0};
        assert_int_equal(pthread_create(&th[i], NULL, fill_worker, &f[i]), 0);
    }
    for (int i = 0; i < FILL_THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_true(f[i].max_id > 0);
        last = f[i].max_id > last ? f[i].max_id : last;
    }
    for (int i = 0; last < target; i++) {
        char rid[32];
        snprintf(rid, sizeof(rid), "fill-end-%d", i);
        int64_t want = target - last;
        last = linked(c, rid, want > FG_LINKED_TRANSFERS_MAX ? FG_LINKED_TRANSFERS_MAX : (int)want);
        assert_true(last > 0);
    }
    assert_int_equal(last, target); /* no gap in the ids: the window counts rows */
}

static void test_walk_back_bound(void **state)
{
    struct ctx *c = *state;
    /* SQLite only: the bound is the server's arithmetic over the same range
     * query on both backends (test_activity reads through it on PostgreSQL),
     * and the 100,000 rows cost PostgreSQL about 80 s under make test's load
     * against 45 s for SQLite. */
    if (fgh_on_pg())
        skip();
    tb(c, "tb-old", "OPEN_POSITION", NULL);
    json_t *j = page(c, "");
    int64_t t = json_integer_value(fgh_get(j, "adjustments.0.id"));
    assert_true(t > 0);
    json_decref(j);
    /* The adjustment and the rows after it: FG_RECENT_SCAN_ROWS_MAX in all. */
    fill_to(c, t, t + FG_RECENT_SCAN_ROWS_MAX - 1);
    j = page(c, "");
    assert_int_equal(json_array_size(json_object_get(j, "adjustments")), 1);
    assert_int_equal(json_integer_value(fgh_get(j, "adjustments.0.id")), t);
    json_decref(j);
    /* One row more: out of the first page's window, which says where to go on. */
    assert_int_equal(linked(c, "fill-over", 1), t + FG_RECENT_SCAN_ROWS_MAX);
    j = page(c, "");
    assert_int_equal(json_array_size(json_object_get(j, "adjustments")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "next_before")), t + 1);
    json_decref(j);
    char q[64];
    snprintf(q, sizeof(q), "?before=%lld", (long long)(t + 1));
    j = page(c, q);
    assert_int_equal(json_array_size(json_object_get(j, "adjustments")), 1);
    assert_int_equal(json_integer_value(fgh_get(j, "adjustments.0.id")), t);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_activity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_back_bound, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
