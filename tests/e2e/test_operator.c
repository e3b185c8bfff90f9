/*
 * test_operator.c - end to end: the operator reads (customers, currencies,
 * clients with secrets redacted, accounts, house accounts, one transfer, the
 * audit log) and the operator's ledger operations (adjustments, holds with
 * expiry, post in full or part, void, linked transfers all or nothing):
 * idempotent by request_id (replay byte for byte, conflict, concurrent
 * duplicates), audited, and refusals that change nothing.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits.h"
#include "harness.h"

static int setup(void **state)
{
    struct fgsrv *s = calloc(1, sizeof(*s));
    s->args[0] = "--test-clock";
    fgsrv_start(s);
    fgh_seed_basic(s);
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/customers",
                             "{\"uuid\":\"c2\",\"user_name\":\"bob\",\"name\":\"Bob Chan\","
                             "\"app_id\":\"app1\",\"company_id\":7,\"base_currency\":\"USD\"}",
                             201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/accounts",
                             "{\"uuid\":\"c2\",\"type\":\"wallet\",\"currency\":\"USD\"}", 201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/deposits",
                             "{\"request_id\":\"seed\",\"uuid\":\"c1\",\"type\":\"wallet\","
                             "\"currency\":\"USD\",\"amount\":\"1000.00\"}",
                             201));
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct fgsrv *s = *state;
    fgh_assert_reconciled(s);
    int rc = fgsrv_stop(s);
    fgsrv_cleanup(s);
    free(s);
    assert_int_equal(rc, 0);
    return 0;
}

/* The account id of (uuid, type, currency). */
static int64_t account_id(struct fgsrv *s, const char *owner, const char *type, const char *ccy)
{
    char path[200];
    snprintf(path, sizeof(path), "/admin/v1/accounts?owner=%s&currency=%s&type=%s", owner, ccy,
             type);
    json_t *j = fgh_admin_ok(s, "GET", path, NULL, 200);
    json_t *a = fgh_get(j, "accounts.0");
    assert_non_null(a);
    int64_t id = json_integer_value(json_object_get(a, "account_id"));
    json_decref(j);
    return id;
}

static char *account_field(struct fgsrv *s, int64_t id, const char *field)
{
    char path[64];
    snprintf(path, sizeof(path), "/admin/v1/accounts/%lld", (long long)id);
    json_t *j = fgh_admin_ok(s, "GET", path, NULL, 200);
    char *v = strdup(fgh_str(j, field));
    json_decref(j);
    return v;
}

static void assert_account(struct fgsrv *s, int64_t id, const char *field, const char *want)
{
    char *got = account_field(s, id, field);
    assert_string_equal(got, want);
    free(got);
}

/* POST body (printf) to path; must answer status; returns the parsed answer. */
static json_t *post(struct fgsrv *s, const char *path, long status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static json_t *post(struct fgsrv *s, const char *path, long status, const char *fmt, ...)
{
    char body[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    return fgh_admin_ok(s, "POST", path, body, status);
}

static void assert_code(json_t *j, const char *code)
{
    assert_string_equal(fgh_str(j, "error.code"), code);
    json_decref(j);
}

/* --- reads ------------------------------------------------------------------ */

static void test_customers(void **state)
{
    struct fgsrv *s = *state;
    json_t *j = fgh_admin_ok(s, "GET", "/admin/v1/customers?limit=1", NULL, 200);
    assert_string_equal(fgh_str(j, "customers.0.uuid"), "c1");
    assert_string_equal(fgh_str(j, "next_after"), "c1");
    json_decref(j);
    j = fgh_admin_ok(s, "GET", "/admin/v1/customers?limit=1&after=c1", NULL, 200);
    assert_string_equal(fgh_str(j, "customers.0.uuid"), "c2");
    json_decref(j);
    j = fgh_admin_ok(s, "GET", "/admin/v1/customers?after=c2", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "customers")), 0);
    assert_true(json_is_null(json_object_get(j, "next_after")));
    json_decref(j);
    /* Search: a case-insensitive substring of uuid, user name or name; % is literal. */
    j = fgh_admin_ok(s, "GET", "/admin/v1/customers?q=CHAN", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "customers")), 1);
    assert_string_equal(fgh_str(j, "customers.0.user_name"), "bob");
    json_decref(j);
    j = fgh_admin_ok(s, "GET", "/admin/v1/customers?q=%25", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "customers")), 0);
    json_decref(j);
    j = fgh_admin_ok(s, "GET", "/admin/v1/customers/c1", NULL, 200);
    assert_string_equal(fgh_str(j, "user_name"), "alice");
    assert_string_equal(fgh_str(j, "accounts.0.uuid"), "c1");
    json_decref(j);
    assert_code(fgh_admin_ok(s, "GET", "/admin/v1/customers/nobody", NULL, 404),
                "unknown_customer");
    assert_code(fgh_admin_ok(s, "GET", "/admin/v1/customers?limit=1001", NULL, 400), "bad_field");
    char path[400];
    memset(path, 0, sizeof(path));
    strcpy(path, "/admin/v1/customers?after=");
    memset(path + strlen(path), 'u', 65); /* one byte over a uuid: refused, never cut */
    assert_code(fgh_admin_ok(s, "GET", path, NULL, 400), "bad_field");
    struct fgresp r;
    assert_int_equal(fgh_request(s, "GET", "/admin/v1/customers", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 401);
    fgresp_free(&r);
}

static void test_currencies_clients(void **state)
{
    struct fgsrv *s = *state;
    json_t *j = fgh_admin_ok(s, "GET", "/admin/v1/currencies", NULL, 200);
    assert_string_equal(fgh_str(j, "currencies.0.code"), "JPY");
    assert_int_equal(json_integer_value(fgh_get(j, "currencies.1.digits")), 2);
    json_decref(j);
    json_decref(post(s, "/admin/v1/clients", 201,
                     "{\"family\":\"tradeboss\",\"company_id\":18,\"auth\":\"hmac\","
                     "\"secret\":\"a-secret-of-16-bytes-or-more\"}"));
    struct fgresp r;
    assert_int_equal(fgh_admin(s, "GET", "/admin/v1/clients?family=tradeboss", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "a-secret-of-16"));
    assert_null(strstr(r.body, "enc:v1:"));
    assert_string_equal(fgh_str(r.json, "clients.0.client_key"), "18");
    assert_string_equal(fgh_str(r.json, "clients.0.config.secret"), "[redacted]");
    assert_int_equal(json_integer_value(fgh_get(r.json, "clients.0.config.rate_limit.burst")),
                     2000);
    fgresp_free(&r);
    j = fgh_admin_ok(s, "GET", "/admin/v1/clients?family=funds", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "clients")), 0);
    json_decref(j);
}

static void test_accounts(void **state)
{
    struct fgsrv *s = *state;
    int64_t c1 = account_id(s, "c1", "wallet", "USD");
    assert_account(s, c1, "balance", "1000.00");
    json_t *j = fgh_admin_ok(s, "GET", "/admin/v1/accounts?limit=2", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "accounts")), 2);
    int64_t next = json_integer_value(json_object_get(j, "next_after"));
    assert_true(next > 0);
    json_decref(j);
    char path[100];
    snprintf(path, sizeof(path), "/admin/v1/accounts?after=%lld&limit=1000", (long long)next);
    j = fgh_admin_ok(s, "GET", path, NULL, 200);
    assert_true(json_is_null(json_object_get(j, "next_after")));
    json_decref(j);
    j = fgh_admin_ok(s, "GET", "/admin/v1/house-accounts?currency=USD", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "house_accounts")), 5);
    assert_string_equal(fgh_str(j, "house_accounts.0.type"), "cash");
    assert_string_equal(fgh_str(j, "house_accounts.0.balance"), "-1000.00");
    json_decref(j);
    assert_code(fgh_admin_ok(s, "GET", "/admin/v1/accounts/999999", NULL, 404), "unknown_account");
    assert_code(fgh_admin_ok(s, "GET", "/admin/v1/accounts/0", NULL, 400), "bad_field");
    assert_code(fgh_admin_ok(s, "GET", "/admin/v1/accounts/12x", NULL, 400), "bad_field");
    assert_code(fgh_admin_ok(s, "GET", "/admin/v1/accounts/99999999999999999999", NULL, 400),
                "bad_field");
    j = fgh_admin_ok(s, "GET", "/admin/v1/transfers/1", NULL, 200);
    assert_string_equal(fgh_str(j, "kind"), "deposit");
    assert_string_equal(fgh_str(j, "amount"), "1000.00");
    json_decref(j);
    assert_code(fgh_admin_ok(s, "GET", "/admin/v1/transfers/424242", NULL, 404), "not_found");
}

static void test_audit(void **state)
{
    struct fgsrv *s = *state;
    json_t *j = fgh_admin_ok(s, "GET", "/admin/v1/audit?limit=1", NULL, 200);
    /* Newest first: the setup's deposit (request_id "seed"). */
    assert_string_equal(fgh_str(j, "entries.0.action"), "admin_deposits_post");
    assert_string_equal(fgh_str(j, "entries.0.target"), "seed");
    assert_string_equal(fgh_str(j, "entries.0.actor"), "admin");
    int64_t id = json_integer_value(fgh_get(j, "entries.0.id"));
    int64_t ts = json_integer_value(fgh_get(j, "entries.0.ts_ms"));
    assert_int_equal(json_integer_value(json_object_get(j, "next_before")), id);
    json_decref(j);
    char path[200];
    snprintf(path, sizeof(path), "/admin/v1/audit?before=%lld&target=c2", (long long)id);
    j = fgh_admin_ok(s, "GET", path, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "entries")), 2); /* customer, account */
    json_decref(j);
    snprintf(path, sizeof(path), "/admin/v1/audit?from_ms=%lld&to_ms=%lld", (long long)ts,
             (long long)ts + 1);
    j = fgh_admin_ok(s, "GET", path, NULL, 200);
    assert_true(json_array_size(json_object_get(j, "entries")) >= 1);
    json_decref(j);
    j = fgh_admin_ok(s, "GET", "/admin/v1/audit?actor=bootstrap", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "entries")), 0);
    json_decref(j);
    assert_code(fgh_admin_ok(s, "GET", "/admin/v1/audit?from_ms=-1", NULL, 400), "bad_field");
}

/* --- ledger operations ----------------------------------------------------------- */

#define ADJ_FMT                                                                                    \
    "{\"request_id\":\"%s\",\"debit_account_id\":%lld,\"credit_account_id\":%lld,"                 \
    "\"amount\":\"%s\",\"reason\":\"%s\"}"

static void test_adjustment(void **state)
{
    struct fgsrv *s = *state;
    int64_t c1 = account_id(s, "c1", "wallet", "USD"), c2 = account_id(s, "c2", "wallet", "USD");
    int64_t fees = account_id(s, "house", "fees", "USD"),
            jpy = account_id(s, "house", "fees", "JPY");
    char body[512];
    snprintf(body, sizeof(body), ADJ_FMT, "adj-1", (long long)c1, (long long)c2, "12.50",
             "wrong payee, ticket 7");
    struct fgresp a, b;
    assert_int_equal(fgh_admin(s, "POST", "/admin/v1/adjustments", body, &a), 0);
    assert_int_equal(a.status, 201);
    assert_string_equal(fgh_str(a.json, "transfers.0.kind"), "admin_adjustment");
    assert_string_equal(fgh_str(a.json, "reason"), "wrong payee, ticket 7");
    assert_string_equal(fgh_str(a.json, "accounts.1.balance"), "12.50");
    /* Replay: the same bytes; nothing applied twice. */
    assert_int_equal(fgh_admin(s, "POST", "/admin/v1/adjustments", body, &b), 0);
    assert_int_equal(b.status, 201);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.body, b.body, a.len);
    fgresp_free(&a);
    fgresp_free(&b);
    assert_account(s, c2, "balance", "12.50");
    /* Same id, other content: 409, nothing applied. */
    assert_code(post(s, "/admin/v1/adjustments", 409, ADJ_FMT, "adj-1", (long long)c1,
                     (long long)c2, "13.00", "wrong payee, ticket 7"),
                "idempotency_conflict");
    /* Refusals change nothing. */
    assert_code(post(s, "/admin/v1/adjustments", 409, ADJ_FMT, "adj-bad", (long long)c2,
                     (long long)fees, "12.51", "too much"),
                "insufficient_funds");
    assert_code(post(s, "/admin/v1/adjustments", 409, ADJ_FMT, "adj-bad", (long long)c1,
                     (long long)jpy, "1", "x"),
                "currency_mismatch");
    assert_code(post(s, "/admin/v1/adjustments", 400, ADJ_FMT, "adj-bad", (long long)c1,
                     (long long)c1, "1", "x"),
                "same_account");
    assert_code(post(s, "/admin/v1/adjustments", 404, ADJ_FMT, "adj-bad", (long long)c1, 999999LL,
                     "1", "x"),
                "unknown_account");
    assert_code(post(s, "/admin/v1/adjustments", 400, ADJ_FMT, "adj-bad", (long long)c1,
                     (long long)fees, "1.001", "x"),
                "bad_amount");
    assert_code(post(s, "/admin/v1/adjustments", 400, ADJ_FMT, "adj-bad", (long long)c1,
                     (long long)fees, "0", "x"),
                "amount_not_positive");
    assert_code(post(s, "/admin/v1/adjustments", 400, ADJ_FMT, "adj-bad", (long long)c1,
                     (long long)fees, "1", ""),
                "bad_field");
    assert_code(post(s, "/admin/v1/adjustments", 400,
                     "{\"request_id\":\"adj-x\",\"debit_account_id\":%lld,\"credit_account_id\":"
                     "%lld,\"amount\":\"1\",\"reason\":\"r\",\"memo\":1}",
                     (long long)c1, (long long)fees),
                "unknown_field");
    assert_account(s, c1, "balance", "987.50");
    assert_account(s, c2, "balance", "12.50");
    /* The audit entry carries the reason and the transfer. */
    json_t *j = fgh_admin_ok(s, "GET", "/admin/v1/audit?target=adj-1", NULL, 200);
    assert_string_equal(fgh_str(j, "entries.0.detail.reason"), "wrong payee, ticket 7");
    assert_string_equal(fgh_str(j, "entries.0.detail.transfers.0.amount"), "12.50");
    assert_int_equal(json_array_size(json_object_get(j, "entries")), 1);
    json_decref(j);
}

static void test_reason_limit(void **state)
{
    struct fgsrv *s = *state;
    int64_t c1 = account_id(s, "c1", "wallet", "USD"), fees = account_id(s, "house", "fees", "USD");
    char reason[512 * 3 + 4] = "";
    for (int i = 0; i < 512; i++)
        strcat(reason, "\xc3\xa9"); /* 512 characters of two bytes */
    json_decref(post(s, "/admin/v1/adjustments", 201,
                     "{\"request_id\":\"adj-r512\",\"debit_account_id\":%lld,\"credit_account_id\":"
                     "%lld,\"amount\":\"0.01\",\"reason\":\"%s\"}",
                     (long long)c1, (long long)fees, reason));
    strcat(reason, "e");
    assert_code(post(s, "/admin/v1/adjustments", 400,
                     "{\"request_id\":\"adj-r513\",\"debit_account_id\":%lld,\"credit_account_id\":"
                     "%lld,\"amount\":\"0.01\",\"reason\":\"%s\"}",
                     (long long)c1, (long long)fees, reason),
                "bad_field");
}

static int64_t hold(struct fgsrv *s, const char *rid, int64_t from, int64_t to, const char *amount,
                    const char *extra)
{
    json_t *j = post(s, "/admin/v1/holds", 201,
                     "{\"request_id\":\"%s\",\"debit_account_id\":%lld,\"credit_account_id\":%lld,"
                     "\"amount\":\"%s\",\"reason\":\"card authorisation\"%s}",
                     rid, (long long)from, (long long)to, amount, extra);
    assert_string_equal(fgh_str(j, "transfers.0.hold_state"), "pending");
    int64_t id = json_integer_value(fgh_get(j, "transfers.0.id"));
    json_decref(j);
    return id;
}

static void test_holds(void **state)
{
    struct fgsrv *s = *state;
    int64_t c1 = account_id(s, "c1", "wallet", "USD"),
            pay = account_id(s, "house", "payouts", "USD");
    char path[100];
    /* Post in part: the rest is released. */
    int64_t h = hold(s, "hold-1", c1, pay, "100", "");
    assert_account(s, c1, "available", "900.00");
    assert_account(s, c1, "frozen", "100.00");
    snprintf(path, sizeof(path), "/admin/v1/holds/%lld/post", (long long)h);
    assert_code(post(s, path, 409, "{\"request_id\":\"hold-1-post\",\"amount\":\"100.01\"}"),
                "pending_amount_exceeded");
    json_t *j = post(s, path, 201, "{\"request_id\":\"hold-1-post\",\"amount\":\"40\"}");
    assert_string_equal(fgh_str(j, "transfers.0.amount"), "40.00");
    assert_string_equal(fgh_str(j, "transfers.0.hold_state"), "posted");
    json_decref(j);
    json_decref(post(s, path, 201, "{\"request_id\":\"hold-1-post\",\"amount\":\"40\"}"));
    assert_account(s, c1, "balance", "960.00");
    assert_account(s, c1, "frozen", "0.00");
    snprintf(path, sizeof(path), "/admin/v1/holds/%lld/void", (long long)h);
    assert_code(post(s, path, 409, "{\"request_id\":\"hold-1-void\"}"), "pending_already_resolved");
    /* Post in full (no amount), then void of another. */
    h = hold(s, "hold-2", c1, pay, "10", "");
    snprintf(path, sizeof(path), "/admin/v1/holds/%lld/post", (long long)h);
    json_decref(post(s, path, 201, "{\"request_id\":\"hold-2-post\"}"));
    assert_account(s, c1, "balance", "950.00");
    h = hold(s, "hold-3", c1, pay, "10", "");
    snprintf(path, sizeof(path), "/admin/v1/holds/%lld/void", (long long)h);
    json_decref(post(s, path, 201, "{\"request_id\":\"hold-3-void\",\"reason\":\"declined\"}"));
    assert_account(s, c1, "available", "950.00");
    snprintf(path, sizeof(path), "/admin/v1/transfers/%lld", (long long)h);
    json_t *t = fgh_admin_ok(s, "GET", path, NULL, 200);
    assert_string_equal(fgh_str(t, "hold_state"), "voided");
    json_decref(t);
    /* Not a hold: the deposit transfer 1. */
    assert_code(post(s, "/admin/v1/holds/1/post", 404, "{\"request_id\":\"nope\"}"),
                "pending_not_found");
    assert_code(post(s, "/admin/v1/holds/0/void", 400, "{\"request_id\":\"nope\"}"), "bad_field");
}

static void test_hold_expiry(void **state)
{
    struct fgsrv *s = *state;
    int64_t c1 = account_id(s, "c1", "wallet", "USD"),
            pay = account_id(s, "house", "payouts", "USD");
    json_t *j = fgh_admin_ok(s, "POST", "/admin/v1/test/clock", "{\"now_ms\":1800000000000}", 200);
    json_decref(j);
    int64_t h = hold(s, "hold-exp", c1, pay, "5", ",\"timeout_s\":60");
    char before[32];
    char *avail = account_field(s, c1, "available");
    snprintf(before, sizeof(before), "%s", avail);
    free(avail);
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/test/clock", "{\"now_ms\":1800000061000}", 200));
    char path[100];
    snprintf(path, sizeof(path), "/admin/v1/holds/%lld/post", (long long)h);
    /* The writer expires it (on its next turn) or the post finds it past its expiry. */
    json_t *r = post(s, path, 409, "{\"request_id\":\"hold-exp-post\"}");
    const char *code = fgh_str(r, "error.code");
    assert_true(strcmp(code, "pending_expired") == 0 ||
                strcmp(code, "pending_already_resolved") == 0);
    json_decref(r);
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/test/clock", "{\"now_ms\":0}", 200));
    assert_code(post(s, "/admin/v1/holds", 400,
                     "{\"request_id\":\"hold-t\",\"debit_account_id\":%lld,\"credit_account_id\":"
                     "%lld,\"amount\":\"1\",\"reason\":\"r\",\"timeout_s\":31622401}",
                     (long long)c1, (long long)pay),
                "bad_field");
}

static void clock_at(struct fgsrv *s, int64_t ms)
{
    char body[64];
    snprintf(body, sizeof(body), "{\"now_ms\":%lld}", (long long)ms);
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/test/clock", body, 200));
}

/* The longest timeout, FG_LEDGER_HOLD_TIMEOUT_S_MAX (366 days), is taken and
 * kept to the millisecond: a hold is live a second before it ends and past
 * its expiry a second after; one second more is refused. */
static void test_hold_timeout_max(void **state)
{
    struct fgsrv *s = *state;
    const int64_t t0 = 1800000000000LL, max_ms = (int64_t)FG_LEDGER_HOLD_TIMEOUT_S_MAX * 1000;
    int64_t c1 = account_id(s, "c1", "wallet", "USD"),
            pay = account_id(s, "house", "payouts", "USD");
    char extra[64], path[100];
    clock_at(s, t0);
    snprintf(extra, sizeof(extra), ",\"timeout_s\":%lld", (long long)FG_LEDGER_HOLD_TIMEOUT_S_MAX);
    int64_t a = hold(s, "hold-max-a", c1, pay, "5", extra);
    int64_t b = hold(s, "hold-max-b", c1, pay, "7", extra);
    snprintf(path, sizeof(path), "/admin/v1/transfers/%lld", (long long)a);
    json_t *t = fgh_admin_ok(s, "GET", path, NULL, 200);
    assert_int_equal(json_integer_value(json_object_get(t, "timeout_ms")), t0 + max_ms);
    json_decref(t);
    clock_at(s, t0 + max_ms - 1000);
    snprintf(path, sizeof(path), "/admin/v1/holds/%lld/post", (long long)a);
    json_decref(post(s, path, 201, "{\"request_id\":\"hold-max-a-post\",\"amount\":\"2\"}"));
    clock_at(s, t0 + max_ms + 1000);
    snprintf(path, sizeof(path), "/admin/v1/holds/%lld/post", (long long)b);
    json_t *r = post(s, path, 409, "{\"request_id\":\"hold-max-b-post\"}");
    const char *code = fgh_str(r, "error.code");
    assert_true(strcmp(code, "pending_expired") == 0 ||
                strcmp(code, "pending_already_resolved") == 0);
    json_decref(r);
    assert_code(post(s, "/admin/v1/holds", 400,
                     "{\"request_id\":\"hold-max-c\",\"debit_account_id\":%lld,"
                     "\"credit_account_id\":%lld,\"amount\":\"1\",\"reason\":\"r\","
                     "\"timeout_s\":%lld}",
                     (long long)c1, (long long)pay, (long long)FG_LEDGER_HOLD_TIMEOUT_S_MAX + 1),
                "bad_field");
    assert_account(s, c1, "balance", "998.00");
    clock_at(s, 0);
}

static void test_linked(void **state)
{
    struct fgsrv *s = *state;
    int64_t c1 = account_id(s, "c1", "wallet", "USD"), c2 = account_id(s, "c2", "wallet", "USD");
    int64_t pay = account_id(s, "house", "payouts", "USD"),
            fees = account_id(s, "house", "fees", "USD");
    char *c1_before = account_field(s, c1, "balance");
    /* The second leg fails: neither applies. */
    assert_code(
        post(s, "/admin/v1/transfers/linked", 409,
             "{\"request_id\":\"lk-1\",\"reason\":\"payout with fee\",\"transfers\":["
             "{\"debit_account_id\":%lld,\"credit_account_id\":%lld,\"amount\":\"5\"},"
             "{\"debit_account_id\":%lld,\"credit_account_id\":%lld,\"amount\":\"1000000\"}]}",
             (long long)c1, (long long)pay, (long long)c2, (long long)fees),
        "insufficient_funds");
    assert_account(s, c1, "balance", c1_before);
    json_t *j = post(s, "/admin/v1/transfers/linked", 201,
                     "{\"request_id\":\"lk-1\",\"reason\":\"payout with fee\",\"transfers\":["
                     "{\"debit_account_id\":%lld,\"credit_account_id\":%lld,\"amount\":\"5\"},"
                     "{\"debit_account_id\":%lld,\"credit_account_id\":%lld,\"amount\":\"0.25\"}]}",
                     (long long)c1, (long long)pay, (long long)pay, (long long)fees);
    assert_int_equal(json_array_size(json_object_get(j, "transfers")), 2);
    assert_string_equal(fgh_str(j, "transfers.1.kind"), "admin_linked");
    json_decref(j);
    /* At the limit: 16 legs; 17 refused. */
    char legs[4096] = "";
    for (int i = 0; i < 17; i++) {
        char leg[128];
        snprintf(leg, sizeof(leg),
                 "%s{\"debit_account_id\":%lld,\"credit_account_id\":%lld,\"amount\":\"0.01\"}",
                 i ? "," : "", (long long)c1, (long long)pay);
        if (i == 16) {
            json_t *ok =
                post(s, "/admin/v1/transfers/linked", 201,
                     "{\"request_id\":\"lk-16\",\"reason\":\"r\",\"transfers\":[%s]}", legs);
            assert_int_equal(json_array_size(json_object_get(ok, "transfers")), 16);
            json_decref(ok);
        }
        strcat(legs, leg);
    }
    assert_code(post(s, "/admin/v1/transfers/linked", 400,
                     "{\"request_id\":\"lk-17\",\"reason\":\"r\",\"transfers\":[%s]}", legs),
                "bad_field");
    assert_code(post(s, "/admin/v1/transfers/linked", 400,
                     "{\"request_id\":\"lk-0\",\"reason\":\"r\",\"transfers\":[]}"),
                "bad_field");
    free(c1_before);
}

struct dup_arg {
    struct fgsrv *s;
    const char *body;
    struct fgresp r;
};

static void *dup_worker(void *p)
{
    struct dup_arg *a = p;
    fgh_admin(a->s, "POST", "/admin/v1/adjustments", a->body, &a->r);
    return NULL;
}

static void test_concurrent_duplicates(void **state)
{
    enum { N = 16 };
    struct fgsrv *s = *state;
    int64_t c1 = account_id(s, "c1", "wallet", "USD"), fees = account_id(s, "house", "fees", "USD");
    assert_account(s, fees, "balance", "0.00"); /* a fresh server per test */
    char body[256];
    snprintf(body, sizeof(body),
             "{\"request_id\":\"adj-dup\",\"debit_account_id\":%lld,\"credit_account_id\":%lld,"
             "\"amount\":\"1.00\",\"reason\":\"dup\"}",
             (long long)c1, (long long)fees);
    struct dup_arg args[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        args[i] = (struct dup_arg){.s = s, .body = body};
        pthread_create(&th[i], NULL, dup_worker, &args[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < N; i++) {
        assert_int_equal(args[i].r.status, 201);
        assert_int_equal(args[i].r.len, args[0].r.len);
        assert_memory_equal(args[i].r.body, args[0].r.body, args[0].r.len);
    }
    for (int i = 0; i < N; i++)
        fgresp_free(&args[i].r);
    assert_account(s, fees, "balance", "1.00"); /* applied once */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_customers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_currencies_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adjustment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reason_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_holds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_timeout_max, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_duplicates, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
