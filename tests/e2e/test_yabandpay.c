/*
 * test_yabandpay.c - end to end: the YabandPay FX family and the FX core
 * against the real server, on a controlled clock (--test-clock). Every
 * request is signed here, independently of fundgate: the test builds the
 * sorted k=v string itself and has `openssl dgst -sha256 -hmac` compute the
 * HMAC. Scenarios: quote -> execute -> query for TOD and for SPOT settled
 * by the sweep (the periodic one and POST /admin/v1/fx/settle) across a
 * weekend and a holiday; the 30 s lock; reuse, a foreign quote, a short
 * balance; every code of the table, each leaving balances untouched;
 * signature cases; limits at and past their bound; 16 concurrent duplicate
 * executes; kill -9 while executes are in flight, then replays; `fundgate
 * sign yabandpay` and `fundgate rates load`; the admin rates, CSV load,
 * positions and exchange routes. Reconciliation (the ledger's invariants
 * and each exchange's legs at its price) is checked after every scenario.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define S1 "e2e-yabandpay-secret-1"
#define S2 "e2e-yabandpay-secret-2"
#define U1 "016683"
#define U2 "m2"
#define PAY "/Payments"
#define QUOTE "v3.GetFXQuote"
#define EXECUTE "v3.ExecuteFXOrder"
#define QUERY "v3.QueryFXOrder"
#define DAY_MS 86400000LL
/* Friday 2026-01-16 10:00 UTC; Monday 19 January is a USD holiday. */
#define T0 1768557600000LL

struct ctx {
    struct fgsrv s;
    int64_t now_ms;
};

/* --- the controlled clock ------------------------------------------------------------- */

static void clock_set(struct ctx *c, int64_t ms)
{
    char body[64];
    snprintf(body, sizeof(body), "{\"now_ms\":%lld}", (long long)ms);
    json_decref(fgh_admin_ok(&c->s, "POST", "/admin/v1/test/clock", body, 200));
    c->now_ms = ms;
}

/* --- signing, independently: the string built here, the HMAC by openssl ------------------ */

static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = out ? fread(out, 1, cap - 1, p) : 0;
    if (out)
        out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void openssl_hmac(const char *key, const char *str, char hex[65])
{
    char path[] = "/tmp/fg-yb-sign-XXXXXX", cmd[512], out[256];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, str, strlen(str)), (ssize_t)strlen(str));
    close(fd);
    snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -hmac '%s' -r %s", key, path);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    unlink(path);
    assert_true(strlen(out) >= 64);
    memcpy(hex, out, 64);
    hex[64] = '\0';
}

struct kv {
    const char *k, *v;
};

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

/* kv: data members as "key", "json literal", ..., NULL. A string literal
 * (no escapes in these tests) signs as its text, anything else as written. */
static char *sign_string(const char *user, const char *method, const char *time_lit,
                         const char *const kv[])
{
    struct kv p[96];
    char *unq[96];
    int n = 0, u = 0;
    p[n++] = (struct kv){"user", user};
    p[n++] = (struct kv){"method", method};
    p[n++] = (struct kv){"time", time_lit};
    for (int i = 0; kv[i]; i += 2) {
        const char *v = kv[i + 1];
        if (v[0] == '"') {
            unq[u] = strndup(v + 1, strlen(v) - 2);
            v = unq[u++];
        }
        p[n++] = (struct kv){kv[i], v};
    }
    qsort(p, (size_t)n, sizeof(p[0]), kv_cmp);
    size_t cap = 16;
    for (int i = 0; i < n; i++)
        cap += strlen(p[i].k) + strlen(p[i].v) + 2;
    char *s = malloc(cap);
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(s, "&");
        strcat(s, p[i].k);
        strcat(s, "=");
        strcat(s, p[i].v);
    }
    for (int i = 0; i < u; i++)
        free(unq[i]);
    return s;
}

/* A body signed with secret (NULL: sign is `bad_sign` as given). */
static char *body_of(const char *user, const char *secret, const char *method, const char *time_lit,
                     const char *const kv[], const char *bad_sign)
{
    char hex[65] = "", *str = sign_string(user, method, time_lit, kv);
    if (secret)
        openssl_hmac(secret, str, hex);
    free(str);
    size_t cap = 512;
    for (int i = 0; kv[i]; i += 2)
        cap += strlen(kv[i]) + strlen(kv[i + 1]) + 8;
    char *b = malloc(cap);
    int o = snprintf(b, cap,
                     "{\"user\":\"%s\",\"sign\":\"%s\",\"method\":\"%s\",\"time\":%s,"
                     "\"data\":{",
                     user, secret ? hex : bad_sign, method, time_lit);
    for (int i = 0; kv[i]; i += 2)
        o += snprintf(b + o, cap - (size_t)o, "%s\"%s\":%s", i ? "," : "", kv[i], kv[i + 1]);
    snprintf(b + o, cap - (size_t)o, "}}");
    return b;
}

static char *now_lit(struct ctx *c)
{
    static __thread char t[24];
    snprintf(t, sizeof(t), "%lld", (long long)(c->now_ms / 1000));
    return t;
}

/* POST /Payments; asserts the code (and HTTP 200, or 429 for -4290). */
static json_t *post(struct ctx *c, const char *body, const char *want_code, char **raw)
{
    struct fgresp r;
    assert_int_equal(fgh_request(&c->s, "POST", PAY, NULL, body, &r), 0);
    const char *code = fgh_str(r.json, "code");
    long want_status = strcmp(want_code, "-4290") == 0 ? 429 : 200;
    if (r.status != want_status || !code || strcmp(code, want_code) != 0)
        fail_msg("want %s (HTTP %ld), got HTTP %ld: %s\nfor %s", want_code, want_status, r.status,
                 r.body, body);
    assert_int_equal(json_is_true(json_object_get(r.json, "status")), strcmp(code, "200") == 0);
    assert_non_null(json_object_get(r.json, "message"));
    json_t *j = json_incref(r.json);
    if (raw)
        *raw = strdup(r.body);
    fgresp_free(&r);
    return j;
}

/* Sign, post, expect. */
static json_t *call(struct ctx *c, const char *user, const char *secret, const char *method,
                    const char *const kv[], const char *want_code, char **raw)
{
    char *b = body_of(user, secret, method, now_lit(c), kv, NULL);
    json_t *j = post(c, b, want_code, raw);
    free(b);
    return j;
}

static char *quote(struct ctx *c, const char *user, const char *secret, const char *sell,
                   const char *buy, const char *ccy, const char *amount, const char *tenor,
                   const char *rid)
{
    char s[24], b[24], cu[24], t[24], r[96];
    snprintf(s, sizeof(s), "\"%s\"", sell);
    snprintf(b, sizeof(b), "\"%s\"", buy);
    snprintf(cu, sizeof(cu), "\"%s\"", ccy);
    snprintf(t, sizeof(t), "\"%s\"", tenor);
    snprintf(r, sizeof(r), "\"%s\"", rid);
    const char *kv[] = {"sell_currency", s, "buy_currency", b, "currency", cu, "amount", amount,
                        "tenor",         t, "request_id",   r, NULL};
    json_t *j = call(c, user, secret, QUOTE, kv, "200", NULL);
    char *id = strdup(fgh_str(j, "data.quote_id"));
    json_decref(j);
    return id;
}

static const char **exec_kv(const char *quote_id, const char *order_id, const char *rid,
                            char bufs[3][96])
{
    static __thread const char *kv[9];
    snprintf(bufs[0], 96, "\"%s\"", quote_id);
    snprintf(bufs[1], 96, "\"%s\"", order_id);
    snprintf(bufs[2], 96, "\"%s\"", rid);
    const char *v[] = {"order_id", bufs[1], "quote_id", bufs[0], "request_id", bufs[2], NULL};
    memcpy(kv, v, sizeof(v));
    return kv;
}

static json_t *execute(struct ctx *c, const char *user, const char *secret, const char *quote_id,
                       const char *order_id, const char *rid, const char *want, char **raw)
{
    char bufs[3][96];
    return call(c, user, secret, EXECUTE, exec_kv(quote_id, order_id, rid, bufs), want, raw);
}

static void assert_avail(struct ctx *c, const char *uuid, const char *ccy, const char *want)
{
    char *a = fgh_available(&c->s, uuid, "wallet", ccy);
    if (strcmp(a, want) != 0)
        fail_msg("%s %s available %s, want %s", uuid, ccy, a, want);
    free(a);
}

/* Every customer balance as one text, to prove a refusal moved nothing. */
static char *snapshot(struct ctx *c)
{
    char *out = calloc(1, 4096);
    static const char *const who[][2] = {
        {"c1", "USD"}, {"c1", "EUR"}, {"c1", "JPY"}, {"c2", "USD"}, {"c2", "EUR"}};
    for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
        char *a = fgh_available(&c->s, who[i][0], "wallet", who[i][1]);
        char *b = fgh_balance(&c->s, who[i][0], "wallet", who[i][1]);
        snprintf(out + strlen(out), 4096 - strlen(out), "%s %s %s/%s; ", who[i][0], who[i][1], a,
                 b);
        free(a);
        free(b);
    }
    return out;
}

static void admin_post(struct ctx *c, const char *path, const char *body, long status)
{
    json_decref(fgh_admin_ok(&c->s, "POST", path, body, status));
}

static void seed(struct ctx *c)
{
    static const char *const ccys[] = {"USD", "EUR", "JPY", "GBP"};
    static const int digits[] = {2, 2, 0, 2};
    char b[256];
    for (int i = 0; i < 4; i++) {
        snprintf(b, sizeof(b), "{\"code\":\"%s\",\"digits\":%d}", ccys[i], digits[i]);
        admin_post(c, "/admin/v1/currencies", b, 201);
    }
    for (int i = 1; i <= 2; i++) {
        snprintf(b, sizeof(b),
                 "{\"uuid\":\"c%d\",\"user_name\":\"u%d\",\"name\":\"Customer %d\","
                 "\"company_id\":7,\"base_currency\":\"USD\"}",
                 i, i, i);
        admin_post(c, "/admin/v1/customers", b, 201);
    }
    static const char *const accts[][2] = {
        {"c1", "USD"}, {"c1", "EUR"}, {"c1", "JPY"}, {"c2", "USD"}, {"c2", "EUR"}};
    for (size_t i = 0; i < sizeof(accts) / sizeof(accts[0]); i++) {
        snprintf(b, sizeof(b), "{\"uuid\":\"%s\",\"type\":\"wallet\",\"currency\":\"%s\"}",
                 accts[i][0], accts[i][1]);
        admin_post(c, "/admin/v1/accounts", b, 201);
    }
    admin_post(c, "/admin/v1/deposits",
               "{\"request_id\":\"d1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\","
               "\"amount\":\"10000.00\"}",
               201);
    admin_post(c, "/admin/v1/deposits",
               "{\"request_id\":\"d2\",\"uuid\":\"c2\",\"type\":\"wallet\",\"currency\":\"USD\","
               "\"amount\":\"100.00\"}",
               201);
    admin_post(c, "/admin/v1/calendars/USD/holidays",
               "{\"dates\":[\"2026-01-19\"],\"through\":\"2026-12-31\"}", 201);
    admin_post(c, "/admin/v1/calendars/EUR/holidays",
               "{\"dates\":[\"2026-04-03\"],\"through\":\"2026-12-31\"}", 201);
    admin_post(c, "/admin/v1/rates",
               "{\"pair\":\"EUR/USD\",\"bid\":\"1.0850\",\"ask\":\"1.0860\",\"max_age_s\":3600,"
               "\"source\":\"e2e\"}",
               201);
    admin_post(c, "/admin/v1/rates", "{\"pair\":\"USD/JPY\",\"bid\":\"151.20\",\"ask\":\"151.35\"}",
               201);
    json_t *j = fgh_admin_ok(&c->s, "POST", "/admin/v1/clients",
                             "{\"family\":\"yabandpay\",\"user\":\"" U1 "\",\"secret\":\"" S1
                             "\",\"uuid\":\"c1\"}",
                             201);
    assert_null(json_object_get(j, "secret")); /* never echoed */
    assert_string_equal(fgh_str(j, "account_type"), "wallet");
    assert_int_equal(json_integer_value(json_object_get(j, "markup_bp")), 0);
    json_decref(j);
    admin_post(c, "/admin/v1/clients",
               "{\"family\":\"yabandpay\",\"user\":\"" U2 "\",\"secret\":\"" S2
               "\",\"uuid\":\"c2\",\"account_type\":\"wallet\",\"markup_bp\":0}",
               201);
}

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    c->s.args[0] = "--test-clock";
    c->s.args[1] = "--test-faults";
    fgsrv_start(&c->s);
    clock_set(c, T0);
    seed(c);
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

/* --- TOD and SPOT ------------------------------------------------------------------------ */

static void assert_has(const char *raw, const char *part)
{
    if (!strstr(raw, part))
        fail_msg("'%s' not in %s", part, raw);
}

/* The keys appear in this order (the vendor's). */
static void assert_order(const char *raw, const char *const keys[])
{
    const char *at = raw;
    for (int i = 0; keys[i]; i++) {
        char k[64];
        snprintf(k, sizeof(k), "\"%s\":", keys[i]);
        const char *p = strstr(at, k);
        if (!p)
            fail_msg("'%s' missing or out of order in %s", keys[i], raw);
        at = p;
    }
}

static const char *const trade_keys[] = {"trade_id",          "status",        "booking_status",
                                         "settlement_status", "sell_currency", "buy_currency",
                                         "sold_currency",     "sold_amount",   "bought_currency",
                                         "bought_amount",     "tenor",         "exchange_rate",
                                         "value_date",        "order_id",      "quote_id",
                                         "reference",         "response_id",   NULL};

static void test_tod_quote_execute_query(void **state)
{
    struct ctx *c = *state;
    char *raw = NULL, *again = NULL;
    const char *qkv[] = {"sell_currency",
                         "\"USD\"",
                         "buy_currency",
                         "\"EUR\"",
                         "currency",
                         "\"USD\"",
                         "amount",
                         "1000",
                         "tenor",
                         "\"TOD\"",
                         "request_id",
                         "\"q-tod-1\"",
                         NULL};
    json_t *q = call(c, U1, S1, QUOTE, qkv, "200", &raw);
    /* Exact literals, never through a double. */
    assert_has(raw, "\"sell_amount\":1000,\"buy_amount\":920.81,"
                    "\"exchange_rate\":0.920810313075506445,\"tenor\":\"TOD\","
                    "\"value_date\":\"2026-01-16\",\"expire_time\":1768557630,"
                    "\"valid_seconds\":30");
    assert_has(raw, "\"message\":\"\"");
    json_t *qa = call(c, U1, S1, QUOTE, qkv, "200", &again); /* the same request: same bytes */
    assert_string_equal(raw, again);
    free(again);
    json_decref(qa);
    char qid[64];
    snprintf(qid, sizeof(qid), "%s", fgh_str(q, "data.quote_id"));
    json_decref(q);
    free(raw);
    char qb[96];
    snprintf(qb, sizeof(qb), "\"%s\"", qid);
    const char *ekv[] = {"order_id",   "\"513456465135416545\"",
                         "quote_id",   qb,
                         "reference",  "\"test\"",
                         "request_id", "\"e-tod-1\"",
                         NULL};
    json_t *x = call(c, U1, S1, EXECUTE, ekv, "200", &raw);
    assert_order(raw, trade_keys);
    assert_has(raw, "\"status\":\"complete\",\"booking_status\":\"booked\","
                    "\"settlement_status\":\"settled\"");
    assert_has(raw, "\"sold_currency\":\"USD\",\"sold_amount\":1000,\"bought_currency\":\"EUR\","
                    "\"bought_amount\":920.81,\"tenor\":\"TOD\","
                    "\"exchange_rate\":0.920810313075506445");
    assert_has(raw, "\"order_id\":\"513456465135416545\"");
    assert_has(raw, "\"reference\":\"test\",\"response_id\":\"e-tod-1\"");
    json_t *xa = call(c, U1, S1, EXECUTE, ekv, "200", &again); /* replay: the stored bytes */
    assert_string_equal(raw, again);
    json_decref(xa);
    free(again);
    assert_avail(c, "c1", "USD", "9000.00");
    assert_avail(c, "c1", "EUR", "920.81");
    /* Query by each id: the same trade. */
    char tid[64], tb[96];
    snprintf(tid, sizeof(tid), "%s", fgh_str(x, "data.trade_id"));
    snprintf(tb, sizeof(tb), "\"%s\"", tid);
    const char *by[][2] = {
        {"trade_id", tb}, {"request_id", "\"e-tod-1\""}, {"order_id", "\"513456465135416545\""}};
    for (int i = 0; i < 3; i++) {
        const char *kv[] = {by[i][0], by[i][1], NULL};
        json_t *r = call(c, U1, S1, QUERY, kv, "200", NULL);
        assert_true(json_equal(json_object_get(r, "data"), json_object_get(x, "data")));
        json_decref(r);
    }
    /* The admin view of it, and the house's position. */
    char path[128];
    snprintf(path, sizeof(path), "/admin/v1/fx/exchanges/%s", tid);
    json_t *a = fgh_admin_ok(&c->s, "GET", path, NULL, 200);
    assert_string_equal(fgh_str(a, "state"), "settled");
    assert_string_equal(fgh_str(a, "family"), "yabandpay");
    assert_string_equal(fgh_str(a, "pair"), "EUR/USD");
    assert_string_equal(fgh_str(a, "price"), "1.086");
    json_decref(a);
    json_t *p = fgh_admin_ok(&c->s, "GET", "/admin/v1/fx/positions?currency=USD", NULL, 200);
    assert_string_equal(fgh_str(p, "positions.3.currency"), "USD");
    assert_string_equal(fgh_str(p, "positions.3.settled"), "1000.00");
    assert_string_equal(fgh_str(p, "positions.0.currency"), "EUR");
    assert_string_equal(fgh_str(p, "positions.0.net"), "-920.81");
    assert_string_equal(fgh_str(p, "positions.0.value"), "-999.54"); /* at the mid 1.0855 */
    assert_string_equal(fgh_str(p, "total_value"), "0.46");
    json_decref(p);
    json_decref(x);
    free(raw);
    fgh_assert_reconciled(&c->s);
}

static char *query_status(struct ctx *c, const char *rid)
{
    char b[96];
    snprintf(b, sizeof(b), "\"%s\"", rid);
    const char *kv[] = {"request_id", b, NULL};
    json_t *r = call(c, U1, S1, QUERY, kv, "200", NULL);
    char *s = strdup(fgh_str(r, "data.settlement_status"));
    json_decref(r);
    return s;
}

static void test_spot_settled_by_sweep(void **state)
{
    struct ctx *c = *state;
    char *raw = NULL;
    /* Friday: T+2 skips the weekend and Monday 19 (a USD holiday): Wednesday 21. */
    char *qid = quote(c, U1, S1, "USD", "EUR", "EUR", "\"500.00\"", "SPOT", "q-spot-1");
    json_t *x = execute(c, U1, S1, qid, "o-spot-1", "e-spot-1", "200", &raw);
    assert_has(raw, "\"settlement_status\":\"pending\"");
    assert_has(raw, "\"sold_amount\":543,\"bought_currency\":\"EUR\",\"bought_amount\":500,"
                    "\"tenor\":\"SPOT\"");
    assert_has(raw, "\"value_date\":\"2026-01-21\"");
    free(raw);
    /* The sold amount is held, nothing bought yet. */
    assert_avail(c, "c1", "USD", "9457.00");
    char *bal = fgh_balance(&c->s, "c1", "wallet", "USD");
    assert_string_equal(bal, "10000.00");
    free(bal);
    assert_avail(c, "c1", "EUR", "0.00");
    fgh_assert_reconciled(&c->s);
    json_t *p = fgh_admin_ok(&c->s, "GET", "/admin/v1/fx/positions", NULL, 200);
    assert_string_equal(fgh_str(p, "positions.0.outgoing"), "500.00"); /* EUR owed */
    assert_string_equal(fgh_str(p, "positions.3.incoming"), "543.00");
    json_decref(p);
    /* The last millisecond of Tuesday 20: not due. */
    clock_set(c, T0 + 4 * DAY_MS + 14 * 3600000LL - 1);
    json_t *s = fgh_admin_ok(&c->s, "POST", "/admin/v1/fx/settle", NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(s, "settled")), 0);
    json_decref(s);
    char *st = query_status(c, "e-spot-1");
    assert_string_equal(st, "pending");
    free(st);
    /* Wednesday 00:00 UTC: the server's own sweep settles it within its period. */
    clock_set(c, T0 + 4 * DAY_MS + 14 * 3600000LL);
    for (int i = 0; i < 100; i++) {
        st = query_status(c, "e-spot-1");
        bool done = strcmp(st, "settled") == 0;
        free(st);
        if (done)
            break;
        usleep(50000);
    }
    st = query_status(c, "e-spot-1");
    assert_string_equal(st, "settled");
    free(st);
    s = fgh_admin_ok(&c->s, "POST", "/admin/v1/fx/settle", "{}", 200); /* nothing twice */
    assert_int_equal(json_integer_value(json_object_get(s, "settled")), 0);
    json_decref(s);
    assert_avail(c, "c1", "USD", "9457.00");
    assert_avail(c, "c1", "EUR", "500.00");
    /* The execute's replay still answers what was answered then (pending). */
    char *replay = NULL;
    json_decref(execute(c, U1, S1, qid, "o-spot-1", "e-spot-1", "200", &replay));
    assert_has(replay, "\"settlement_status\":\"pending\"");
    free(replay);
    json_decref(x);
    free(qid);
    fgh_assert_reconciled(&c->s);
}

static void test_spot_settled_by_admin(void **state)
{
    struct ctx *c = *state;
    char *qid = quote(c, U1, S1, "USD", "EUR", "USD", "100", "SPOT", "q-spot-2");
    json_decref(execute(c, U1, S1, qid, "o-spot-2", "e-spot-2", "200", NULL));
    free(qid);
    /* A day the sweep thread has not seen yet: settle by hand at once. */
    clock_set(c, T0 + 5 * DAY_MS);
    json_t *s = fgh_admin_ok(&c->s, "POST", "/admin/v1/fx/settle", NULL, 200);
    int settled = (int)json_integer_value(json_object_get(s, "settled"));
    json_decref(s);
    char *st = query_status(c, "e-spot-2");
    assert_string_equal(st, "settled");
    free(st);
    assert_true(settled <= 1); /* 0 when the periodic sweep came first */
    assert_avail(c, "c1", "EUR", "92.08");
    fgh_assert_reconciled(&c->s);
}

static void test_quote_lock_30s(void **state)
{
    struct ctx *c = *state;
    char *a = quote(c, U1, S1, "USD", "EUR", "USD", "10", "TOD", "q-lock-a");
    clock_set(c, T0 + 29999); /* the last millisecond */
    json_decref(execute(c, U1, S1, a, "o-lock-a", "e-lock-a", "200", NULL));
    char *b = quote(c, U1, S1, "USD", "EUR", "USD", "10", "TOD", "q-lock-b");
    char *before = snapshot(c);
    clock_set(c, T0 + 29999 + 30000);
    json_decref(execute(c, U1, S1, b, "o-lock-b", "e-lock-b", "-4111", NULL));
    char *after = snapshot(c);
    assert_string_equal(before, after);
    const char *kv[] = {"request_id", "\"e-lock-b\"", NULL};
    json_decref(call(c, U1, S1, QUERY, kv, "-4122", NULL));
    free(a);
    free(b);
    free(before);
    free(after);
    fgh_assert_reconciled(&c->s);
}

static void test_reuse_foreign_short(void **state)
{
    struct ctx *c = *state;
    char *q = quote(c, U1, S1, "USD", "EUR", "USD", "20", "TOD", "q-r1");
    json_decref(execute(c, U1, S1, q, "o-r1", "e-r1", "200", NULL));
    char *before = snapshot(c);
    json_decref(execute(c, U1, S1, q, "o-r2", "e-r2", "-4112", NULL)); /* used */
    char *q2 = quote(c, U1, S1, "USD", "EUR", "USD", "20", "TOD", "q-r2");
    json_decref(execute(c, U2, S2, q2, "o-f1", "e-f1", "-4110", NULL)); /* another merchant's */
    char *after = snapshot(c);
    assert_string_equal(before, after);
    json_decref(execute(c, U1, S1, q2, "o-r3", "e-r3", "200", NULL)); /* still unused */
    /* Short balance: c2 holds 100.00 USD. Refused, not recorded, the quote stays. */
    char *q3 = quote(c, U2, S2, "USD", "EUR", "USD", "150", "TOD", "q-s1");
    free(before);
    before = snapshot(c);
    json_decref(execute(c, U2, S2, q3, "o-s1", "e-s1", "-4120", NULL));
    free(after);
    after = snapshot(c);
    assert_string_equal(before, after);
    admin_post(c, "/admin/v1/deposits",
               "{\"request_id\":\"d3\",\"uuid\":\"c2\",\"type\":\"wallet\",\"currency\":\"USD\","
               "\"amount\":\"50.00\"}",
               201);
    json_decref(execute(c, U2, S2, q3, "o-s1", "e-s1", "200", NULL)); /* the same request */
    assert_avail(c, "c2", "USD", "0.00");
    assert_avail(c, "c2", "EUR", "138.12"); /* 150 / 1.086 = 138.121.. down */
    free(q);
    free(q2);
    free(q3);
    free(before);
    free(after);
    fgh_assert_reconciled(&c->s);
}

/* --- every code -------------------------------------------------------------------------- */

/* Post a body expecting a refusal: no balance may change. */
static void refused(struct ctx *c, const char *body, const char *code)
{
    char *before = snapshot(c);
    json_decref(post(c, body, code, NULL));
    char *after = snapshot(c);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void refused_kv(struct ctx *c, const char *user, const char *secret, const char *method,
                       const char *const kv[], const char *code)
{
    char *b = body_of(user, secret, method, now_lit(c), kv, NULL);
    refused(c, b, code);
    free(b);
}

static void quote_refused(struct ctx *c, const char *sell, const char *buy, const char *ccy,
                          const char *amount, const char *tenor, const char *rid, const char *code)
{
    const char *kv[] = {
        "sell_currency", sell,    "buy_currency", buy,          "currency", ccy, "amount",
        amount,          "tenor", tenor,          "request_id", rid,        NULL};
    refused_kv(c, U1, S1, QUOTE, kv, code);
}

static void test_codes_parameters(void **state)
{
    struct ctx *c = *state;
    /* -3001 required field missing; -3002 bad value; -3005 unknown method. */
    refused(c, "{\"user\":\"" U1 "\",\"sign\":\"00\",\"method\":\"" QUOTE "\",\"time\":1}",
            "-3001");
    refused(c, "{\"sign\":\"00\",\"method\":\"" QUOTE "\",\"time\":1,\"data\":{}}", "-3001");
    const char *no_amount[] = {
        "sell_currency", "\"USD\"", "buy_currency", "\"EUR\"", "currency", "\"USD\"",
        "tenor",         "\"TOD\"", "request_id",   "\"r\"",   NULL};
    refused_kv(c, U1, S1, QUOTE, no_amount, "-3001");
    refused(c, "{\"user\":", "-3002");
    refused(c, "[1,2]", "-3002");
    refused(c,
            "{\"user\":\"" U1 "\",\"sign\":\"00\",\"method\":\"" QUOTE "\",\"time\":1,"
            "\"data\":[]}",
            "-3002");
    quote_refused(c, "\"USD\"", "\"EUR\"", "\"GBP\"", "10", "\"TOD\"", "\"r\"", "-3002");
    const char *nope[] = {"request_id", "\"r\"", NULL};
    refused_kv(c, U1, S1, "v3.Nope", nope, "-3005");
    /* -3003 amounts: more digits than the currency, an exponent, a sign, zero, not a number. */
    static const char *const bad_amounts[] = {"\"1.001\"",
                                              "1.001",
                                              "1e3",
                                              "\"-5\"",
                                              "-5",
                                              "0",
                                              "\"0.00\"",
                                              "\"abc\"",
                                              "true",
                                              "\"\"",
                                              "\"1000000000000000000000\""};
    for (size_t i = 0; i < sizeof(bad_amounts) / sizeof(bad_amounts[0]); i++)
        quote_refused(c, "\"USD\"", "\"EUR\"", "\"USD\"", bad_amounts[i], "\"TOD\"", "\"r\"",
                      "-3003");
    quote_refused(c, "\"JPY\"", "\"USD\"", "\"JPY\"", "\"100.5\"", "\"TOD\"", "\"r\"", "-3003");
    quote_refused(c, "\"USD\"", "\"EUR\"", "\"USD\"", "\"0.01\"", "\"TOD\"", "\"r\"",
                  "-3003"); /* the other side rounds to zero */
    /* -3004 tenor. */
    quote_refused(c, "\"USD\"", "\"EUR\"", "\"USD\"", "10", "\"TOM\"", "\"r\"", "-3004");
    quote_refused(c, "\"USD\"", "\"EUR\"", "\"USD\"", "10", "\"tod\"", "\"r\"", "-3004");
    /* -4101 currency; -4102 rate; -4103 value date (JPY has no calendar). */
    quote_refused(c, "\"XYZ\"", "\"EUR\"", "\"EUR\"", "10", "\"TOD\"", "\"r\"", "-4101");
    quote_refused(c, "\"usd\"", "\"EUR\"", "\"EUR\"", "10", "\"TOD\"", "\"r\"", "-4101");
    quote_refused(c, "\"USD\"", "\"USD\"", "\"USD\"", "10", "\"TOD\"", "\"r\"", "-4101");
    quote_refused(c, "\"USD\"", "\"GBP\"", "\"USD\"", "10", "\"TOD\"", "\"r\"", "-4102");
    quote_refused(c, "\"USD\"", "\"JPY\"", "\"USD\"", "10", "\"SPOT\"", "\"r\"", "-4103");
    clock_set(c, T0 + 3600 * 1000 + 1); /* EUR/USD's max_age_s is 3600 */
    quote_refused(c, "\"USD\"", "\"EUR\"", "\"USD\"", "10", "\"TOD\"", "\"r\"", "-4102");
    clock_set(c, T0 + 3600 * 1000); /* at the limit: still fresh */
    char *q = quote(c, U1, S1, "USD", "EUR", "USD", "10", "TOD", "q-age");
    free(q);
    /* -4118: a request id with other content; one that is no request id. */
    quote_refused(c, "\"USD\"", "\"EUR\"", "\"USD\"", "11", "\"TOD\"", "\"q-age\"", "-4118");
    quote_refused(c, "\"USD\"", "\"EUR\"", "\"USD\"", "10", "\"TOD\"", "\"bad id\"", "-4118");
    quote_refused(c, "\"USD\"", "\"EUR\"", "\"USD\"", "10", "\"TOD\"", "12", "200");
    fgh_assert_reconciled(&c->s);
}

static void test_codes_auth_and_trades(void **state)
{
    struct ctx *c = *state;
    const char *kv[] = {"trade_id", "\"nope\"", NULL};
    /* -2001 unknown merchant; -403 missing or wrong sign; -4031 time. */
    refused_kv(c, "nobody", S1, QUERY, kv, "-2001");
    refused_kv(c, U1, S2, QUERY, kv, "-403");
    char *b = body_of(U1, NULL, QUERY, now_lit(c), kv,
                      "0000000000000000000000000000000000000000000000000000000000000000");
    refused(c, b, "-403");
    free(b);
    refused(c, "{\"user\":\"" U1 "\",\"method\":\"" QUERY "\",\"time\":1,\"data\":{}}", "-403");
    char t[24];
    snprintf(t, sizeof(t), "%lld", (long long)(c->now_ms / 1000 - 301));
    b = body_of(U1, S1, QUERY, t, kv, NULL);
    refused(c, b, "-4031");
    free(b);
    snprintf(t, sizeof(t), "%lld", (long long)(c->now_ms / 1000 + 301));
    b = body_of(U1, S1, QUERY, t, kv, NULL);
    refused(c, b, "-4031");
    free(b);
    snprintf(t, sizeof(t), "%lld", (long long)(c->now_ms / 1000 + 300)); /* at the limit */
    b = body_of(U1, S1, QUERY, t, kv, NULL);
    refused(c, b, "-4122"); /* past the window check: the trade does not exist */
    free(b);
    refused_kv(c, U1, S1, QUERY, kv, "-4122");
    const char *none[] = {"x", "1", NULL};
    refused_kv(c, U1, S1, QUERY, none, "-3001");
    /* -4110 unknown quote; -4113 order id reused; -4121 no account in the bought currency. */
    json_decref(execute(c, U1, S1, "nope", "o1", "e1", "-4110", NULL));
    char *q = quote(c, U1, S1, "USD", "EUR", "USD", "10", "TOD", "q-c1");
    json_decref(execute(c, U1, S1, q, "o-c1", "e-c1", "200", NULL));
    free(q);
    q = quote(c, U1, S1, "USD", "EUR", "USD", "10", "TOD", "q-c2");
    json_decref(execute(c, U1, S1, q, "o-c1", "e-c2", "-4113", NULL));
    json_decref(execute(c, U1, S1, q, "o-c2", "q-c1", "-4118", NULL)); /* a quote's id */
    free(q);
    q = quote(c, U2, S2, "USD", "JPY", "USD", "10", "TOD", "q-c3");
    json_decref(execute(c, U2, S2, q, "o-c3", "e-c3", "-4121", NULL));
    free(q);
    /* -1000: a batch that does not commit answers it, and nothing of it stays. */
    q = quote(c, U1, S1, "USD", "EUR", "USD", "10", "TOD", "q-c4");
    admin_post(c, "/admin/v1/test/fault", "{\"fail_commits\":1}", 200);
    char *before = snapshot(c);
    json_decref(execute(c, U1, S1, q, "o-c4", "e-c4", "-1000", NULL));
    char *after = snapshot(c);
    assert_string_equal(before, after);
    json_decref(execute(c, U1, S1, q, "o-c4", "e-c4", "200", NULL));
    free(q);
    free(before);
    free(after);
    /* -4290: a merchant limited to one request a second. */
    admin_post(c, "/admin/v1/clients",
               "{\"family\":\"yabandpay\",\"user\":\"m3\",\"secret\":\"e2e-yabandpay-secret-3\","
               "\"uuid\":\"c1\",\"rate_limit\":{\"per_s\":1,\"burst\":1}}",
               201);
    refused_kv(c, "m3", "e2e-yabandpay-secret-3", QUERY, kv, "-4122");
    b = body_of("m3", "e2e-yabandpay-secret-3", QUERY, now_lit(c), kv, NULL);
    struct fgresp r;
    assert_int_equal(fgh_request(&c->s, "POST", PAY, NULL, b, &r), 0);
    assert_int_equal(r.status, 429);
    assert_string_equal(fgh_str(r.json, "code"), "-4290");
    assert_false(json_is_true(json_object_get(r.json, "status")));
    fgresp_free(&r);
    free(b);
    fgh_assert_reconciled(&c->s);
}

/* --- signatures --------------------------------------------------------------------------- */

static void test_signatures(void **state)
{
    struct ctx *c = *state;
    const char *kv[] = {"trade_id", "\"none\"", NULL};
    char *str = sign_string(U1, QUERY, now_lit(c), kv), hex[65], body[512];
    openssl_hmac(S1, str, hex);
    free(str);
    /* Upper-case hex is the same MAC; one character off is not. */
    for (char *p = hex; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
    char *b = body_of(U1, NULL, QUERY, now_lit(c), kv, hex);
    json_decref(post(c, b, "-4122", NULL));
    free(b);
    hex[0] = hex[0] == 'A' ? 'B' : 'A';
    b = body_of(U1, NULL, QUERY, now_lit(c), kv, hex);
    refused(c, b, "-403");
    free(b);
    hex[63] = '\0';
    b = body_of(U1, NULL, QUERY, now_lit(c), kv, hex); /* 63 characters */
    refused(c, b, "-403");
    free(b);
    /* A number signs as its literal: 10.50 is not 10.5. */
    const char *qkv[] = {
        "sell_currency", "\"USD\"", "buy_currency", "\"EUR\"",    "currency",  "\"USD\"", "amount",
        "10.50",         "tenor",   "\"TOD\"",      "request_id", "\"q-lit\"", NULL};
    json_decref(call(c, U1, S1, QUOTE, qkv, "200", NULL));
    const char *qkv2[] = {
        "sell_currency", "\"USD\"", "buy_currency", "\"EUR\"",    "currency",   "\"USD\"", "amount",
        "10.5",          "tenor",   "\"TOD\"",      "request_id", "\"q-lit2\"", NULL};
    str = sign_string(U1, QUOTE, now_lit(c), qkv2); /* signed over 10.5 ... */
    openssl_hmac(S1, str, hex);
    free(str);
    snprintf(body, sizeof(body),
             "{\"user\":\"" U1 "\",\"sign\":\"%s\",\"method\":\"" QUOTE "\",\"time\":%s,"
             "\"data\":{\"sell_currency\":\"USD\",\"buy_currency\":\"EUR\",\"currency\":\"USD\","
             "\"amount\":10.50,\"tenor\":\"TOD\",\"request_id\":\"q-lit2\"}}",
             hex, now_lit(c)); /* ... but sent as 10.50 */
    refused(c, body, "-403");
    /* A string signs decoded: "a\"b&c" as a"b&c; `time` may be a string. */
    str = sign_string(U1, QUERY, now_lit(c),
                      (const char *const[]){"trade_id", "\"none\"", "x", "\"a\"b&c\"", NULL});
    openssl_hmac(S1, str, hex);
    free(str);
    snprintf(body, sizeof(body),
             "{\"time\":\"%s\",\"user\":\"" U1 "\",\"method\":\"" QUERY "\",\"data\":{\"x\":"
             "\"a\\\"b&c\",\"trade_id\":\"none\"},\"sign\":\"%s\",\"extra\":[1]}",
             now_lit(c), hex);
    json_decref(post(c, body, "-4122", NULL));
    /* A new secret (rotation): the old one no longer signs. */
    admin_post(c, "/admin/v1/clients",
               "{\"family\":\"yabandpay\",\"user\":\"" U1 "\",\"secret\":\"e2e-rotated-secret-1\","
               "\"uuid\":\"c1\"}",
               200);
    refused_kv(c, U1, S1, QUERY, kv, "-403");
    json_decref(call(c, U1, "e2e-rotated-secret-1", QUERY, kv, "-4122", NULL));
    fgh_assert_reconciled(&c->s);
}

/* Valid JSON whatever its numbers hold: a 24-digit request id sent as a number (the vendor
 * suggests 24 digits or more), an order id of 25 digits, a number past int64 or past a double
 * in a field fundgate ignores are taken as written; such an amount is -3003, such a time -4031,
 * never a body refused as "not valid json" (-3002). */
static void test_numbers_past_int64(void **state)
{
    struct ctx *c = *state;
    const char *big = "203040950640690239603690", *huge = "123456789012345678901234567890";
    const char *qkv[] = {"sell_currency", "\"USD\"", "buy_currency", "\"EUR\"", "currency",
                         "\"USD\"",       "amount",  "10",           "tenor",   "\"TOD\"",
                         "request_id",    big,       "extra",        huge,      "note",
                         "1e400",         NULL};
    char *raw1 = NULL, *raw2 = NULL;
    json_t *j = call(c, U1, S1, QUOTE, qkv, "200", &raw1);
    assert_string_equal(fgh_str(j, "data.response_id"), big);
    char *qid = strdup(fgh_str(j, "data.quote_id")), qb[96];
    json_decref(j);
    json_decref(call(c, U1, S1, QUOTE, qkv, "200", &raw2)); /* the same request: the same bytes */
    assert_string_equal(raw1, raw2);
    snprintf(qb, sizeof(qb), "\"%s\"", qid);
    const char *ekv[] = {"order_id",   "1234567890123456789012345",
                         "quote_id",   qb,
                         "request_id", "\"e-big\"",
                         "reference",  huge,
                         NULL};
    j = call(c, U1, S1, EXECUTE, ekv, "200", NULL);
    assert_string_equal(fgh_str(j, "data.order_id"), "1234567890123456789012345");
    assert_string_equal(fgh_str(j, "data.reference"), huge);
    json_decref(j);
    static const char *const bad_amounts[] = {"99999999999999999999999999", "1e400", "-1e400"};
    for (size_t i = 0; i < sizeof(bad_amounts) / sizeof(bad_amounts[0]); i++)
        quote_refused(c, "\"USD\"", "\"EUR\"", "\"USD\"", bad_amounts[i], "\"TOD\"", "\"r-big\"",
                      "-3003");
    const char *kv[] = {"trade_id", "\"none\"", NULL};
    char *b = body_of(U1, S1, QUERY, "1796264810000000000000000", kv, NULL);
    refused(c, b, "-4031");
    free(b);
    free(raw1);
    free(raw2);
    free(qid);
    fgh_assert_reconciled(&c->s);
}

/* --- limits -------------------------------------------------------------------------------- */

static void expect_admin(struct ctx *c, const char *method, const char *path, const char *body,
                         long status, const char *code);

static void test_limits(void **state)
{
    struct ctx *c = *state;
    /* reference: 256 characters (512 bytes of UTF-8) pass, 257 do not. */
    char ref[2 * 257 + 3], qb[96], rid[80];
    char *q = quote(c, U1, S1, "USD", "EUR", "USD", "1", "TOD", "q-l1");
    snprintf(qb, sizeof(qb), "\"%s\"", q);
    ref[0] = '"';
    for (int i = 0; i < 256; i++)
        memcpy(ref + 1 + 2 * i, "\xc3\xa9", 2);
    strcpy(ref + 513, "\"");
    const char *kv[] = {"order_id", "\"o-l1\"",  "quote_id", qb,  "request_id",
                        "\"e-l1\"", "reference", ref,        NULL};
    char *raw = NULL;
    json_decref(call(c, U1, S1, EXECUTE, kv, "200", &raw));
    assert_has(raw, ref); /* kept as given */
    free(raw);
    free(q);
    q = quote(c, U1, S1, "USD", "EUR", "USD", "1", "TOD", "q-l2");
    snprintf(qb, sizeof(qb), "\"%s\"", q);
    memcpy(ref + 513, "\xc3\xa9\"", 4);
    kv[5] = "\"e-l2\"";
    refused_kv(c, U1, S1, EXECUTE, kv, "-3002");
    free(q);
    /* request_id: 64 characters pass, 65 do not. */
    memset(rid, 'r', sizeof(rid));
    rid[0] = '"';
    rid[65] = '"';
    rid[66] = '\0';
    const char *qkv[] = {
        "sell_currency", "\"USD\"", "buy_currency", "\"EUR\"", "currency", "\"USD\"", "amount", "1",
        "tenor",         "\"TOD\"", "request_id",   rid,       NULL};
    json_decref(call(c, U1, S1, QUOTE, qkv, "200", NULL));
    rid[65] = 'r';
    rid[66] = '"';
    rid[67] = '\0';
    refused_kv(c, U1, S1, QUOTE, qkv, "-4118");
    /* data: 64 members pass, 65 do not. */
    const char *many[2 * 66 + 1];
    char names[60][8];
    int n = 0;
    const char *base[] = {"sell_currency", "\"USD\"", "buy_currency", "\"EUR\"",
                          "currency",      "\"USD\"", "amount",       "1",
                          "tenor",         "\"TOD\"", "request_id",   "\"q-many\""};
    for (int i = 0; i < 12; i++)
        many[n++] = base[i];
    for (int i = 0; i < 58; i++) {
        snprintf(names[i], sizeof(names[i]), "x%02d", i);
        many[n++] = names[i];
        many[n++] = "0";
    }
    many[n] = NULL;
    json_decref(call(c, U1, S1, QUOTE, many, "200", NULL)); /* 6 + 58 = 64 */
    snprintf(names[58], sizeof(names[58]), "x58");
    many[n++] = names[58];
    many[n++] = "0";
    many[n] = NULL;
    many[11] = "\"q-many2\"";
    refused_kv(c, U1, S1, QUOTE, many, "-3002");
    /* order_id: 64 characters pass, 65 do not. */
    char oid[70];
    memset(oid, 'o', sizeof(oid));
    oid[64] = '\0';
    q = quote(c, U1, S1, "USD", "EUR", "USD", "1", "TOD", "q-oid");
    json_decref(execute(c, U1, S1, q, oid, "e-oid", "200", NULL));
    oid[64] = 'o';
    oid[65] = '\0';
    char *q2 = quote(c, U1, S1, "USD", "EUR", "USD", "1", "TOD", "q-oid2");
    json_decref(execute(c, U1, S1, q2, oid, "e-oid2", "-3002", NULL));
    free(q);
    free(q2);
    /* user: 64 characters and a secret of 256 bytes pass; 65 and 257 do not. */
    char cb[1024], user[70], secret[260];
    memset(user, 'u', sizeof(user));
    memset(secret, 's', sizeof(secret));
    user[64] = secret[256] = '\0';
    snprintf(cb, sizeof(cb),
             "{\"family\":\"yabandpay\",\"user\":\"%s\",\"secret\":\"%s\","
             "\"uuid\":\"c1\"}",
             user, secret);
    admin_post(c, "/admin/v1/clients", cb, 201);
    json_decref(call(c, user, secret, QUERY, (const char *const[]){"trade_id", "\"x\"", NULL},
                     "-4122", NULL));
    user[64] = 'u';
    user[65] = '\0';
    snprintf(cb, sizeof(cb),
             "{\"family\":\"yabandpay\",\"user\":\"%s\",\"secret\":\"%s\","
             "\"uuid\":\"c1\"}",
             user, secret);
    expect_admin(c, "POST", "/admin/v1/clients", cb, 400, NULL);
    refused_kv(c, user, secret, QUERY, (const char *const[]){"trade_id", "\"x\"", NULL}, "-2001");
    user[64] = '\0';
    secret[256] = 's';
    secret[257] = '\0';
    snprintf(cb, sizeof(cb),
             "{\"family\":\"yabandpay\",\"user\":\"%s\",\"secret\":\"%s\","
             "\"uuid\":\"c1\"}",
             user, secret);
    expect_admin(c, "POST", "/admin/v1/clients", cb, 400, NULL);
    /* The client's bounds, at and past them. */
    struct fgresp r;
    static const char *const clients[][2] = {
        {"{\"family\":\"yabandpay\",\"user\":\"m4\",\"secret\":\"0123456789abcdef\","
         "\"uuid\":\"c1\",\"markup_bp\":1000}",
         "201"},
        {"{\"family\":\"yabandpay\",\"user\":\"m5\",\"secret\":\"0123456789abcde\","
         "\"uuid\":\"c1\"}",
         "400"},
        {"{\"family\":\"yabandpay\",\"user\":\"m6\",\"secret\":\"0123456789abcdef\","
         "\"uuid\":\"c1\",\"markup_bp\":1001}",
         "400"},
        {"{\"family\":\"yabandpay\",\"user\":\"m7\",\"secret\":\"0123456789abcdef\","
         "\"uuid\":\"c1\",\"account_type\":\"savings\"}",
         "400"},
        {"{\"family\":\"yabandpay\",\"user\":\"m8\",\"secret\":\"0123456789abcdef\","
         "\"uuid\":\"c1\",\"extra\":1}",
         "400"},
        {"{\"family\":\"yabandpay\",\"user\":\"m 9\",\"secret\":\"0123456789abcdef\","
         "\"uuid\":\"c1\"}",
         "400"},
    };
    for (size_t i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
        assert_int_equal(fgh_admin(&c->s, "POST", "/admin/v1/clients", clients[i][0], &r), 0);
        if (r.status != atol(clients[i][1]))
            fail_msg("client %zu: HTTP %ld %s", i, r.status, r.body);
        assert_null(strstr(r.body, "0123456789abcde"));
        fgresp_free(&r);
    }
    /* m4's markup of 10%: 100.00 EUR costs 119.46 USD (1.086 * 1.1 = 1.1946). */
    q = quote(c, "m4", "0123456789abcdef", "USD", "EUR", "EUR", "100", "TOD", "q-m4");
    free(q);
    const char *m4kv[] = {
        "sell_currency", "\"USD\"", "buy_currency", "\"EUR\"",    "currency", "\"EUR\"", "amount",
        "100",           "tenor",   "\"TOD\"",      "request_id", "\"q-m4\"", NULL};
    json_decref(call(c, "m4", "0123456789abcdef", QUOTE, m4kv, "200", &raw));
    assert_has(raw, "\"sell_amount\":119.46,\"buy_amount\":100,");
    free(raw);
    fgh_assert_reconciled(&c->s);
}

/* --- concurrency and crashes --------------------------------------------------------------- */

#define DUP_THREADS 16

struct dup_arg {
    struct ctx *c;
    const char *body;
    char *raw;
    long status;
};

static void *dup_worker(void *p)
{
    struct dup_arg *a = p;
    struct fgresp r;
    if (fgh_request(&a->c->s, "POST", PAY, NULL, a->body, &r) == 0) {
        a->status = r.status;
        a->raw = strdup(r.body);
    }
    fgresp_free(&r);
    return NULL;
}

static void test_concurrent_duplicates(void **state)
{
    struct ctx *c = *state;
    char *q = quote(c, U1, S1, "USD", "EUR", "USD", "250", "TOD", "q-dup");
    char bufs[3][96];
    char *body = body_of(U1, S1, EXECUTE, now_lit(c), exec_kv(q, "o-dup", "e-dup", bufs), NULL);
    pthread_t th[DUP_THREADS];
    struct dup_arg args[DUP_THREADS];
    for (int i = 0; i < DUP_THREADS; i++) {
        args[i] = (struct dup_arg){.c = c, .body = body};
        pthread_create(&th[i], NULL, dup_worker, &args[i]);
    }
    for (int i = 0; i < DUP_THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < DUP_THREADS; i++) {
        assert_int_equal(args[i].status, 200);
        assert_has(args[i].raw, "\"code\":\"200\"");
        assert_string_equal(args[i].raw, args[0].raw); /* one trade, the same bytes */
    }
    for (int i = 0; i < DUP_THREADS; i++)
        free(args[i].raw);
    assert_avail(c, "c1", "USD", "9750.00"); /* moved once */
    assert_avail(c, "c1", "EUR", "230.20");
    free(body);
    free(q);
    fgh_assert_reconciled(&c->s);
}

#define CRASH_N 12

static int crash_answered;

struct crash_arg {
    struct ctx *c;
    char *body;
    char *raw; /* the answer, when one came before the kill */
};

static void *crash_worker(void *p)
{
    struct crash_arg *a = p;
    struct fgresp r;
    if (fgh_request(&a->c->s, "POST", PAY, NULL, a->body, &r) == 0 && r.status == 200) {
        a->raw = strdup(r.body);
        __atomic_add_fetch(&crash_answered, 1, __ATOMIC_RELEASE);
    }
    fgresp_free(&r);
    return NULL;
}

static void restart(struct ctx *c)
{
    fgsrv_start(&c->s); /* same data directory */
    clock_set(c, c->now_ms);
}

static void test_kill9_between_execute_and_answer(void **state)
{
    struct ctx *c = *state;
    /* One answered, then a crash: the replay answers the same bytes, once. */
    char *q = quote(c, U1, S1, "USD", "EUR", "USD", "100", "TOD", "q-k0");
    char *first = NULL, *again = NULL;
    json_decref(execute(c, U1, S1, q, "o-k0", "e-k0", "200", &first));
    fgsrv_kill9(&c->s);
    restart(c);
    json_decref(execute(c, U1, S1, q, "o-k0", "e-k0", "200", &again));
    assert_string_equal(first, again);
    assert_avail(c, "c1", "USD", "9900.00");
    free(first);
    free(again);
    free(q);
    /* Executes in flight when the server dies: after the restart each replay
     * applies at most once, and answers what was answered before the kill. */
    struct crash_arg args[CRASH_N];
    pthread_t th[CRASH_N];
    for (int i = 0; i < CRASH_N; i++) {
        char rid[32], oid[32];
        snprintf(rid, sizeof(rid), "q-k%d", i + 1);
        q = quote(c, U1, S1, "USD", "EUR", "USD", "10", "TOD", rid);
        snprintf(rid, sizeof(rid), "e-k%d", i + 1);
        snprintf(oid, sizeof(oid), "o-k%d", i + 1);
        char bufs[3][96];
        args[i] = (struct crash_arg){.c = c};
        args[i].body = body_of(U1, S1, EXECUTE, now_lit(c), exec_kv(q, oid, rid, bufs), NULL);
        free(q);
    }
    for (int i = 0; i < CRASH_N; i++)
        pthread_create(&th[i], NULL, crash_worker, &args[i]);
    /* Kill as soon as the first answer is out: some answered, others in flight. */
    for (int i = 0; i < 4000 && !__atomic_load_n(&crash_answered, __ATOMIC_ACQUIRE); i++)
        usleep(500);
    fgsrv_kill9(&c->s);
    for (int i = 0; i < CRASH_N; i++)
        pthread_join(th[i], NULL);
    restart(c);
    int answered = 0;
    for (int i = 0; i < CRASH_N; i++) {
        char *raw = NULL;
        json_decref(post(c, args[i].body, "200", &raw));
        if (args[i].raw) {
            answered++;
            assert_string_equal(args[i].raw, raw);
        }
        char *replay = NULL;
        json_decref(post(c, args[i].body, "200", &replay));
        assert_string_equal(raw, replay);
        free(raw);
        free(replay);
        free(args[i].raw);
        free(args[i].body);
    }
    printf("kill -9: %d of %d executes answered before the kill\n", answered, CRASH_N);
    assert_avail(c, "c1", "USD", "9780.00"); /* 100 + 12 x 10, each once */
    fgh_assert_reconciled(&c->s);
}

/* --- the command line ------------------------------------------------------------------------ */

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/fg-yb-file-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_cli_sign(void **state)
{
    struct ctx *c = *state;
    /* A body without time and sign: the tool adds both. The number 12.50
     * must reach the server as written. */
    char *file = write_temp("{\"user\":\"" U1 "\",\"method\":\"" QUOTE "\",\"data\":{"
                            "\"sell_currency\":\"USD\",\"buy_currency\":\"EUR\",\"currency\":"
                            "\"USD\",\"amount\":12.50,\"tenor\":\"TOD\",\"request_id\":"
                            "\"q-cli\"}}");
    char cmd[512], out[2048];
    snprintf(cmd, sizeof(cmd), "%s sign yabandpay --secret %s %s", getenv("FUNDGATE_BIN"), S1,
             file);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_has(out, "\"amount\":12.50");
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    /* The tool's time is the real clock: put the server's there for this call. */
    int64_t t = json_integer_value(json_object_get(j, "time"));
    assert_true(t > 1700000000);
    clock_set(c, t * 1000);
    admin_post(c, "/admin/v1/rates", "{\"pair\":\"EUR/USD\",\"bid\":\"1.0850\",\"ask\":\"1.0860\"}",
               200); /* set now: fresh at the new clock */
    char tl[24];
    snprintf(tl, sizeof(tl), "%lld", (long long)t);
    const char *kv[] = {
        "sell_currency", "\"USD\"", "buy_currency", "\"EUR\"",    "currency",  "\"USD\"", "amount",
        "12.50",         "tenor",   "\"TOD\"",      "request_id", "\"q-cli\"", NULL};
    char *str = sign_string(U1, QUOTE, tl, kv), hex[65];
    openssl_hmac(S1, str, hex); /* what an independent signer gets */
    assert_string_equal(fgh_str(j, "sign"), hex);
    free(str);
    json_decref(j);
    json_t *r = post(c, out, "200", NULL);
    assert_string_equal(fgh_str(r, "data.currency"), "USD");
    json_decref(r);
    /* From stdin, replacing a sign already there, keeping a time given. */
    snprintf(cmd, sizeof(cmd),
             "printf '%%s' '{\"sign\":\"x\",\"user\":\"%s\",\"method\":\"%s\",\"time\":%lld,"
             "\"data\":{\"trade_id\":\"none\"}}' | %s sign yabandpay --secret %s -",
             U1, QUERY, (long long)t, getenv("FUNDGATE_BIN"), S1);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    json_decref(post(c, out, "-4122", NULL));
    /* Not JSON, no secret: refused with a message. */
    snprintf(cmd, sizeof(cmd), "printf 'nope' | %s sign yabandpay --secret x - 2>&1",
             getenv("FUNDGATE_BIN"));
    assert_int_equal(run(cmd, out, sizeof(out)), 1);
    assert_has(out, "fundgate sign yabandpay:");
    snprintf(cmd, sizeof(cmd), "%s sign yabandpay %s 2>/dev/null", getenv("FUNDGATE_BIN"), file);
    assert_int_equal(run(cmd, NULL, 0), 2);
    unlink(file);
    free(file);
    clock_set(c, T0);
}

static void test_cli_rates_load(void **state)
{
    struct ctx *c = *state;
    char *csv = write_temp("pair,bid,ask,max_age_s,source\n"
                           "GBP/USD,1.2650,1.2662,600\n"
                           "# comment\n"
                           "EUR/GBP,0.8560,0.8570,0,feed-b\n");
    char cmd[2048], out[1024];
    if (fgh_on_pg())
        snprintf(cmd, sizeof(cmd), "%s rates load %s --db '%s'", getenv("FUNDGATE_BIN"), csv,
                 c->s.db);
    else
        snprintf(cmd, sizeof(cmd), "%s rates load %s --data %s", getenv("FUNDGATE_BIN"), csv,
                 c->s.dir);
    assert_int_equal(run(cmd, out, sizeof(out)), 0); /* while the server runs */
    assert_has(out, "loaded 2 rates (2 new pairs)");
    json_t *j = fgh_admin_ok(&c->s, "GET", "/admin/v1/rates", NULL, 200);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_has(text, "\"pair\":\"GBP/USD\",\"bid\":\"1.265\",\"ask\":\"1.2662\",\"mid\":\"1.2656\","
                     "\"max_age_s\":600,\"source\":\"csv\"");
    assert_has(text, "\"pair\":\"EUR/GBP\"");
    assert_has(text, "\"source\":\"feed-b\"");
    free(text);
    json_decref(j);
    char *q = quote(c, U1, S1, "USD", "GBP", "USD", "100", "TOD", "q-gbp");
    free(q);
    /* A bad line refuses the whole file; nothing is loaded. */
    char *bad = write_temp("USD/JPY,150,151\nEUR/USD,2,1\n");
    snprintf(cmd, sizeof(cmd), "%s rates load %s --data %s 2>&1", getenv("FUNDGATE_BIN"), bad,
             c->s.dir);
    assert_int_equal(run(cmd, out, sizeof(out)), 1);
    assert_has(out, "line 2: bid must not exceed ask");
    j = fgh_admin_ok(&c->s, "GET", "/admin/v1/rates", NULL, 200);
    text = json_dumps(j, JSON_COMPACT);
    assert_has(text, "\"pair\":\"USD/JPY\",\"bid\":\"151.2\""); /* unchanged */
    free(text);
    json_decref(j);
    unlink(csv);
    unlink(bad);
    free(csv);
    free(bad);
}

/* --- the admin plane ------------------------------------------------------------------------ */

static void expect_admin(struct ctx *c, const char *method, const char *path, const char *body,
                         long status, const char *code)
{
    struct fgresp r;
    assert_int_equal(fgh_admin(&c->s, method, path, body, &r), 0);
    if (r.status != status || (code && strcmp(fgh_str(r.json, "error.code"), code) != 0))
        fail_msg("%s %s %s: want %ld %s, got %ld %s", method, path, body ? body : "", status,
                 code ? code : "", r.status, r.body);
    fgresp_free(&r);
}

static void test_admin_rates_and_fx(void **state)
{
    struct ctx *c = *state;
    /* Today's shape still works; the answer gives exact decimals. */
    json_t *j = fgh_admin_ok(&c->s, "POST", "/admin/v1/rates",
                             "{\"pair\":\"GBP/USD\",\"bid\":\"1.2650\",\"ask\":\"1.2662\"}", 201);
    assert_string_equal(fgh_str(j, "bid"), "1.265");
    assert_string_equal(fgh_str(j, "mid"), "1.2656");
    assert_string_equal(fgh_str(j, "source"), "admin");
    assert_int_equal(json_integer_value(json_object_get(j, "max_age_s")), 0);
    json_decref(j);
    /* The inverse replaces it: one row per pair. */
    admin_post(c, "/admin/v1/rates",
               "{\"pair\":\"USD/GBP\",\"bid\":\"0.7890\",\"ask\":\"0.7900\",\"max_age_s\":60,"
               "\"source\":\"feed:x\"}",
               200);
    j = fgh_admin_ok(&c->s, "GET", "/admin/v1/rates", NULL, 200);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_null(strstr(text, "GBP/USD"));
    assert_has(text, "\"pair\":\"USD/GBP\"");
    free(text);
    json_decref(j);
    static const char *const bad[] = {
        "{\"pair\":\"GBP/USD\",\"bid\":\"1.3\",\"ask\":\"1.2\"}",
        "{\"pair\":\"GBP/USD\",\"bid\":\"1.2\",\"ask\":\"1.2345678901234567891\"}",
        "{\"pair\":\"GBP/USD\",\"bid\":\"1.2\",\"ask\":\"1.3\",\"max_age_s\":-1}",
        "{\"pair\":\"GBP/USD\",\"bid\":\"1.2\",\"ask\":\"1.3\",\"max_age_s\":31622401}",
        "{\"pair\":\"GBP/USD\",\"bid\":\"1.2\",\"ask\":\"1.3\",\"source\":\"a b\"}",
        "{\"pair\":\"GBP/USD\",\"bid\":1.2,\"ask\":\"1.3\"}",
        "{\"pair\":\"GBP/USD\",\"bid\":\"1.2\",\"ask\":\"1.3\",\"spread\":1}",
        "{\"pair\":\"GBPUSD\",\"bid\":\"1.2\",\"ask\":\"1.3\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_admin(c, "POST", "/admin/v1/rates", bad[i], 400, NULL);
    expect_admin(c, "POST", "/admin/v1/rates",
                 "{\"pair\":\"GBP/XYZ\",\"bid\":\"1.2\",\"ask\":\"1.3\"}", 404, "unknown_currency");
    /* CSV through the admin plane; a file only from the bootstrap. */
    j = fgh_admin_ok(&c->s, "POST", "/admin/v1/rates/load",
                     "{\"csv\":\"EUR/GBP,0.856,0.857\\nUSD/JPY,150,151,0,feed\\n\"}", 200);
    assert_int_equal(json_integer_value(json_object_get(j, "loaded")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "created")), 1);
    json_decref(j);
    expect_admin(c, "POST", "/admin/v1/rates/load", "{\"file\":\"/etc/hostname\"}", 403,
                 "forbidden");
    expect_admin(c, "POST", "/admin/v1/rates/load", "{\"csv\":\"a\",\"file\":\"b\"}", 400,
                 "missing_field");
    expect_admin(c, "POST", "/admin/v1/rates/load", "{\"csv\":\"EUR/GBP,1,2\\nJPY/XYZ,1,2\\n\"}",
                 404, "unknown_currency");
    expect_admin(c, "POST", "/admin/v1/rates/load", "{\"csv\":\"# nothing\\n\"}", 400,
                 "missing_field");
    j = fgh_admin_ok(&c->s, "GET", "/admin/v1/rates", NULL, 200);
    text = json_dumps(j, JSON_COMPACT);
    assert_has(text, "\"pair\":\"EUR/GBP\",\"bid\":\"0.856\""); /* the refused load changed none */
    free(text);
    json_decref(j);
    /* Settle takes no fields; positions want a currency; unknown exchanges are 404. */
    expect_admin(c, "POST", "/admin/v1/fx/settle", "{\"x\":1}", 400, "unknown_field");
    expect_admin(c, "GET", "/admin/v1/fx/positions?currency=XYZ", NULL, 404, "unknown_currency");
    expect_admin(c, "GET", "/admin/v1/fx/positions?currency=usd", NULL, 400, "bad_field");
    expect_admin(c, "GET", "/admin/v1/fx/exchanges/nope", NULL, 404, "fx_exchange_not_found");
    struct fgresp r;
    assert_int_equal(fgh_request(&c->s, "GET", "/admin/v1/fx/positions", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 401);
    fgresp_free(&r);
    fgh_assert_reconciled(&c->s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tod_quote_execute_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spot_settled_by_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spot_settled_by_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quote_lock_30s, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reuse_foreign_short, setup, teardown),
        cmocka_unit_test_setup_teardown(test_codes_parameters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_codes_auth_and_trades, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signatures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_numbers_past_int64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9_between_execute_and_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_sign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_rates_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin_rates_and_fx, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
