/*
 * test_fx_exchanges.c - end to end: GET /admin/v1/fx/exchanges, the admin
 * plane's list of the FX exchanges of every family, through the real server
 * (SQLite, and PostgreSQL as e2e_test_fx_exchanges_pg) on a controlled clock.
 * The exchanges are YabandPay TOD and SPOT deals made through POST /Payments,
 * each body signed by `fundgate sign yabandpay`. Checked: the pages in trade
 * id order and the next_after cursor (a full page, a short one, the page after
 * the last), the state and family filters alone and together, a SPOT deal
 * leaving the pending filter once the sweep settles it, each item equal to
 * GET /admin/v1/fx/exchanges/{id}, and every refusal of the strict query
 * (400 bad_field: an unknown state or family, a parameter given twice, a
 * cursor longer than a trade id, a limit out of range; 401 without the token).
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

#include "harness.h"

#define MERCHANT "m-list"
#define SECRET "e2e-fx-list-secret-0001"
/* Friday 2026-01-16 10:00 UTC. */
#define T0 1768557600000LL
#define DEALS 5
#define PATH "/admin/v1/fx/exchanges"

struct ctx {
    struct fgsrv s;
    int64_t now_ms;
    char ids[DEALS][48]; /* trade ids, in the order the deals were made */
};

static void clock_set(struct ctx *c, int64_t ms)
{
    char body[64];
    snprintf(body, sizeof(body), "{\"now_ms\":%lld}", (long long)ms);
    json_decref(fgh_admin_ok(&c->s, "POST", "/admin/v1/test/clock", body, 200));
    c->now_ms = ms;
}

static void admin_post(struct ctx *c, const char *path, const char *body, long status)
{
    json_decref(fgh_admin_ok(&c->s, "POST", path, body, status));
}

static void seed(struct ctx *c)
{
    admin_post(c, "/admin/v1/currencies", "{\"code\":\"USD\",\"digits\":2}", 201);
    admin_post(c, "/admin/v1/currencies", "{\"code\":\"EUR\",\"digits\":2}", 201);
    admin_post(c, "/admin/v1/customers",
               "{\"uuid\":\"c1\",\"user_name\":\"u1\",\"name\":\"Customer 1\","
               "\"company_id\":7,\"base_currency\":\"USD\"}",
               201);
    admin_post(c, "/admin/v1/accounts",
               "{\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\"}", 201);
    admin_post(c, "/admin/v1/accounts",
               "{\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"EUR\"}", 201);
    admin_post(c, "/admin/v1/deposits",
               "{\"request_id\":\"d1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\","
               "\"amount\":\"10000.00\"}",
               201);
    admin_post(c, "/admin/v1/calendars/USD/holidays",
               "{\"dates\":[\"2026-01-19\"],\"through\":\"2026-12-31\"}", 201);
    admin_post(c, "/admin/v1/calendars/EUR/holidays",
               "{\"dates\":[\"2026-04-03\"],\"through\":\"2026-12-31\"}", 201);
    admin_post(c, "/admin/v1/rates", "{\"pair\":\"EUR/USD\",\"bid\":\"1.0850\",\"ask\":\"1.0860\"}",
               201);
    admin_post(c, "/admin/v1/clients",
               "{\"family\":\"yabandpay\",\"user\":\"" MERCHANT "\",\"secret\":\"" SECRET
               "\",\"uuid\":\"c1\"}",
               201);
}

/* A YabandPay call signed by `fundgate sign yabandpay` at the server's clock;
 * it must answer code "200". Returns the answer. */
static json_t *yb_call(struct ctx *c, const char *method, const char *data)
{
    char path[] = "/tmp/fg-fx-list-XXXXXX", cmd[600], body[2048];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int n = snprintf(body, sizeof(body),
                     "{\"user\":\"" MERCHANT "\",\"time\":%lld,\"method\":\"%s\",\"data\":%s}",
                     (long long)(c->now_ms / 1000), method, data);
    assert_int_equal(write(fd, body, (size_t)n), n);
    close(fd);
    snprintf(cmd, sizeof(cmd), "'%s' sign yabandpay --secret " SECRET " %s", getenv("FUNDGATE_BIN"),
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(body, 1, sizeof(body) - 1, p);
    body[len] = '\0';
    assert_int_equal(pclose(p), 0);
    unlink(path);
    struct fgresp r;
    assert_int_equal(fgh_request(&c->s, "POST", "/Payments", NULL, body, &r), 0);
    if (r.status != 200 || !fgh_str(r.json, "code") || strcmp(fgh_str(r.json, "code"), "200") != 0)
        fail_msg("%s answered HTTP %ld: %s", method, r.status, r.body);
    json_t *j = json_incref(r.json);
    fgresp_free(&r);
    return j;
}

/* Quote and execute: sell 100.00 USD for EUR at tenor; the trade id into out. */
static void deal(struct ctx *c, const char *tenor, int i, char out[48])
{
    char data[512];
    snprintf(data, sizeof(data),
             "{\"sell_currency\":\"USD\",\"buy_currency\":\"EUR\",\"currency\":\"USD\","
             "\"amount\":\"100.00\",\"tenor\":\"%s\",\"request_id\":\"q-%d\"}",
             tenor, i);
    json_t *q = yb_call(c, "v3.GetFXQuote", data);
    snprintf(data, sizeof(data),
             "{\"order_id\":\"o-%d\",\"quote_id\":\"%s\",\"request_id\":\"e-%d\"}", i,
             fgh_str(q, "data.quote_id"), i);
    json_decref(q);
    json_t *x = yb_call(c, "v3.ExecuteFXOrder", data);
    snprintf(out, 48, "%s", fgh_str(x, "data.trade_id"));
    json_decref(x);
}

/* Deals 0, 2, 4 TOD (settled), 1, 3 SPOT (pending), one second apart: the
 * trade ids (time first) sort in the order they were made. */
static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    c->s.args[0] = "--test-clock";
    fgsrv_start(&c->s);
    clock_set(c, T0);
    seed(c);
    for (int i = 0; i < DEALS; i++) {
        clock_set(c, T0 + 1000 * i);
        deal(c, i % 2 ? "SPOT" : "TOD", i, c->ids[i]);
    }
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

/* GET PATH?query: the trade ids of the page must be the deals `want` (indexes,
 * -1 ends), and next_after the last of them or null. */
static void assert_page(struct ctx *c, const char *query, const int want[], bool next)
{
    char path[512];
    snprintf(path, sizeof(path), PATH "%s", query);
    json_t *j = fgh_admin_ok(&c->s, "GET", path, NULL, 200);
    json_t *arr = json_object_get(j, "exchanges");
    size_t n = 0;
    while (want[n] >= 0)
        n++;
    if (json_array_size(arr) != n)
        fail_msg("%s: %zu exchanges, want %zu", path, json_array_size(arr), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(arr, i), "trade_id")),
                            c->ids[want[i]]);
    json_t *nx = json_object_get(j, "next_after");
    if (next)
        assert_string_equal(json_string_value(nx), c->ids[want[n - 1]]);
    else
        assert_true(json_is_null(nx));
    json_decref(j);
}

static void test_pages(void **state)
{
    struct ctx *c = *state;
    char q[200];
    assert_page(c, "", (int[]){0, 1, 2, 3, 4, -1}, false);
    assert_page(c, "?limit=2", (int[]){0, 1, -1}, true);
    snprintf(q, sizeof(q), "?limit=2&after=%s", c->ids[1]);
    assert_page(c, q, (int[]){2, 3, -1}, true);
    snprintf(q, sizeof(q), "?limit=2&after=%s", c->ids[3]);
    assert_page(c, q, (int[]){4, -1}, false);
    /* A page exactly full says where to go on; the page there is empty. */
    assert_page(c, "?limit=5", (int[]){0, 1, 2, 3, 4, -1}, true);
    snprintf(q, sizeof(q), "?after=%s", c->ids[4]);
    assert_page(c, q, (int[]){-1}, false);
    assert_page(c, "?limit=1000", (int[]){0, 1, 2, 3, 4, -1}, false);
    /* Each item is the exchange GET /admin/v1/fx/exchanges/{id} answers. */
    json_t *page = fgh_admin_ok(&c->s, "GET", PATH, NULL, 200);
    for (int i = 0; i < DEALS; i++) {
        snprintf(q, sizeof(q), PATH "/%s", c->ids[i]);
        json_t *one = fgh_admin_ok(&c->s, "GET", q, NULL, 200);
        assert_true(json_equal(one, json_array_get(json_object_get(page, "exchanges"), (size_t)i)));
        json_decref(one);
    }
    assert_string_equal(fgh_str(page, "exchanges.1.tenor"), "SPOT");
    assert_string_equal(fgh_str(page, "exchanges.1.state"), "pending");
    assert_string_equal(fgh_str(page, "exchanges.0.sold_amount"), "100.00");
    json_decref(page);
}

static void test_filters(void **state)
{
    struct ctx *c = *state;
    char q[200];
    assert_page(c, "?state=pending", (int[]){1, 3, -1}, false);
    assert_page(c, "?state=settled", (int[]){0, 2, 4, -1}, false);
    assert_page(c, "?state=failed", (int[]){-1}, false);
    assert_page(c, "?family=yabandpay", (int[]){0, 1, 2, 3, 4, -1}, false);
    assert_page(c, "?family=tradeboss", (int[]){-1}, false);
    /* Together, paged: the cursor skips what the filter leaves out. */
    assert_page(c, "?state=settled&family=yabandpay&limit=1", (int[]){0, -1}, true);
    snprintf(q, sizeof(q), "?state=settled&family=yabandpay&limit=1&after=%s", c->ids[0]);
    assert_page(c, q, (int[]){2, -1}, true);
    snprintf(q, sizeof(q), "?limit=2&state=settled&after=%s", c->ids[2]);
    assert_page(c, q, (int[]){4, -1}, false);
    /* The SPOT deals' value day (T+2 business days, past the USD holiday):
     * the sweep settles them and the pending filter is empty. */
    clock_set(c, T0 + 7 * 86400000LL);
    json_decref(fgh_admin_ok(&c->s, "POST", "/admin/v1/fx/settle", "{}", 200));
    assert_page(c, "?state=pending", (int[]){-1}, false);
    assert_page(c, "?state=settled", (int[]){0, 1, 2, 3, 4, -1}, false);
}

static void assert_refused(struct ctx *c, const char *query)
{
    char path[512];
    snprintf(path, sizeof(path), PATH "%s", query);
    json_t *j = fgh_admin_ok(&c->s, "GET", path, NULL, 400);
    if (strcmp(fgh_str(j, "error.code"), "bad_field") != 0)
        fail_msg("%s: %s", path, fgh_str(j, "error.code"));
    json_decref(j);
}

static void test_refusals(void **state)
{
    struct ctx *c = *state;
    static const char *const bad[] = {
        "?state=open",       "?state=PENDING",
        "?state=",           "?state=pending&state=pending",
        "?family=nope",      "?family=",
        "?family=YabandPay", "?family=yabandpay&family=yabandpay",
        "?limit=0",          "?limit=1001",
        "?limit=2x",         "?limit=-1",
        "?limit=1&limit=1",  "?after=a&after=b",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_refused(c, bad[i]);
    /* A cursor at most as long as a trade id buffer holds; one byte more is
     * refused, never cut. */
    char q[128] = "?after=";
    memset(q + strlen(q), 'f', 39);
    assert_page(c, q, (int[]){-1}, false);
    strcat(q, "f");
    assert_refused(c, q);
    struct fgresp r;
    assert_int_equal(fgh_request(&c->s, "GET", PATH, NULL, NULL, &r), 0);
    assert_int_equal(r.status, 401);
    fgresp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
