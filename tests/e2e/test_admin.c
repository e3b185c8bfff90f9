/*
 * test_admin.c - end to end: the admin plane walkthrough, refusals that change
 * nothing, idempotent deposits (replay, conflict, 16 concurrent duplicates),
 * SIGTERM drain, kill -9 durability, bootstrap, ops endpoints.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static int setup(void **state)
{
    struct fgsrv *s = calloc(1, sizeof(*s));
    fgsrv_start(s);
    fgh_seed_basic(s);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct fgsrv *s = *state;
    int rc = fgsrv_stop(s);
    fgsrv_cleanup(s);
    free(s);
    assert_int_equal(rc, 0); /* SIGTERM: drained and exited 0 */
    return 0;
}

static void deposit(struct fgsrv *s, const char *rid, const char *amount, long want)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"request_id\":\"%s\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\","
             "\"amount\":\"%s\"}",
             rid, amount);
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/deposits", body, want));
}

static void assert_available(struct fgsrv *s, const char *want)
{
    char *got = fgh_available(s, "c1", "wallet", "USD");
    assert_string_equal(got, want);
    free(got);
}

static void test_walkthrough(void **state)
{
    struct fgsrv *s = *state;
    /* Same currency again: 200 with the same object; different digits: 409. */
    json_t *j = fgh_admin_ok(s, "POST", "/admin/v1/currencies",
                             "{\"code\":\"USD\",\"digits\":2,\"digital\":false}", 200);
    assert_int_equal(json_integer_value(json_object_get(j, "digits")), 2);
    json_decref(j);
    j = fgh_admin_ok(s, "POST", "/admin/v1/currencies", "{\"code\":\"USD\",\"digits\":3}", 409);
    assert_string_equal(fgh_str(j, "error.code"), "already_exists");
    json_decref(j);

    /* Account shape. */
    j = fgh_admin_ok(s, "GET", "/admin/v1/accounts?uuid=c1", NULL, 200);
    json_t *a = fgh_get(j, "accounts.0");
    assert_non_null(a);
    assert_true(json_is_integer(json_object_get(a, "account_id")));
    assert_string_equal(fgh_str(a, "uuid"), "c1");
    assert_string_equal(fgh_str(a, "type"), "wallet");
    assert_string_equal(fgh_str(a, "currency"), "USD");
    assert_string_equal(fgh_str(a, "balance"), "0.00");
    assert_string_equal(fgh_str(a, "available"), "0.00");
    assert_string_equal(fgh_str(a, "frozen"), "0.00");
    assert_string_equal(fgh_str(a, "status"), "active");
    int64_t account_id = json_integer_value(json_object_get(a, "account_id"));
    json_decref(j);

    /* Deposit, then replay: identical bytes; conflicting replay: 409, nothing applied. */
    const char *body = "{\"request_id\":\"d1\",\"uuid\":\"c1\",\"type\":\"wallet\","
                       "\"currency\":\"USD\",\"amount\":\"100.25\"}";
    struct fgresp r1, r2, r3;
    assert_int_equal(fgh_admin(s, "POST", "/admin/v1/deposits", body, &r1), 0);
    assert_int_equal(r1.status, 201);
    assert_string_equal(fgh_str(r1.json, "account.balance"), "100.25");
    assert_string_equal(fgh_str(r1.json, "transfer.amount"), "100.25");
    assert_int_equal(fgh_admin(s, "POST", "/admin/v1/deposits", body, &r2), 0);
    assert_int_equal(r2.status, 201);
    assert_int_equal(r1.len, r2.len);
    assert_memory_equal(r1.body, r2.body, r1.len);
    assert_int_equal(fgh_admin(s, "POST", "/admin/v1/deposits",
                               "{\"request_id\":\"d1\",\"uuid\":\"c1\",\"type\":\"wallet\","
                               "\"currency\":\"USD\",\"amount\":\"100.26\"}",
                               &r3),
                     0);
    assert_int_equal(r3.status, 409);
    assert_string_equal(fgh_str(r3.json, "error.code"), "idempotency_conflict");
    fgresp_free(&r1);
    fgresp_free(&r2);
    fgresp_free(&r3);
    assert_available(s, "100.25");

    /* Transfers, paged. */
    deposit(s, "d2", "1", 201);
    deposit(s, "d3", "0.01", 201);
    assert_available(s, "101.26");
    char path[128];
    snprintf(path, sizeof(path), "/admin/v1/transfers?account_id=%lld&limit=2",
             (long long)account_id);
    j = fgh_admin_ok(s, "GET", path, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "transfers")), 2);
    assert_string_equal(fgh_str(j, "transfers.0.amount"), "100.25");
    assert_string_equal(fgh_str(j, "transfers.1.amount"), "1.00");
    json_int_t next = json_integer_value(json_object_get(j, "next_after"));
    json_decref(j);
    snprintf(path, sizeof(path), "/admin/v1/transfers?account_id=%lld&limit=2&after=%lld",
             (long long)account_id, (long long)next);
    j = fgh_admin_ok(s, "GET", path, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "transfers")), 1);
    assert_string_equal(fgh_str(j, "transfers.0.amount"), "0.01");
    assert_true(json_is_null(json_object_get(j, "next_after")));
    json_decref(j);
    snprintf(path, sizeof(path), "/admin/v1/transfers?account_id=%lld&limit=1001",
             (long long)account_id);
    j = fgh_admin_ok(s, "GET", path, NULL, 400);
    json_decref(j);

    /* Customer status: disabled customers take no deposits; cancelled is final. */
    j = fgh_admin_ok(s, "PATCH", "/admin/v1/customers/c1", "{\"status\":\"disabled\"}", 200);
    assert_string_equal(fgh_str(j, "status"), "disabled");
    json_decref(j);
    j = fgh_admin_ok(s, "POST", "/admin/v1/deposits",
                     "{\"request_id\":\"d9\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":"
                     "\"USD\",\"amount\":\"5.00\"}",
                     409);
    assert_string_equal(fgh_str(j, "error.code"), "customer_not_active");
    json_decref(j);
    json_decref(fgh_admin_ok(s, "PATCH", "/admin/v1/customers/c1", "{\"status\":\"active\"}", 200));
    json_decref(
        fgh_admin_ok(s, "PATCH", "/admin/v1/customers/nobody", "{\"status\":\"active\"}", 404));
    assert_available(s, "101.26");
    fgh_assert_reconciled(s);
}

static void test_auth(void **state)
{
    struct fgsrv *s = *state;
    struct fgresp r;
    assert_int_equal(fgh_request(s, "GET", "/admin/v1/accounts?uuid=c1", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 401);
    assert_string_equal(fgh_str(r.json, "error.code"), "unauthorized");
    fgresp_free(&r);
    const char *const wrong[] = {"Authorization: Bearer e2e-admin-tokeN", NULL};
    assert_int_equal(fgh_request(s, "POST", "/admin/v1/deposits", wrong, "{}", &r), 0);
    assert_int_equal(r.status, 401);
    fgresp_free(&r);
}

/* Every bad input is refused with its code and moves nothing. */
static void test_refusals(void **state)
{
    struct fgsrv *s = *state;
    deposit(s, "base", "10.00", 201);
    static const struct {
        const char *body;
        long status;
        const char *code;
    } cases[] = {
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\","
         "\"amount\":\"1.001\"}",
         400, "bad_amount"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\","
         "\"amount\":\"1e3\"}",
         400, "bad_amount"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\","
         "\"amount\":\"-1\"}",
         400, "bad_amount"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\","
         "\"amount\":\" 1\"}",
         400, "bad_amount"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\","
         "\"amount\":\"0\"}",
         400, "amount_not_positive"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\","
         "\"amount\":\"\"}",
         400, "bad_amount"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\","
         "\"amount\":\"1234567890123456789\"}",
         400, "bad_amount"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\","
         "\"amount\":\"92233720368547758.08\"}",
         400, "bad_amount"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\","
         "\"amount\":100}",
         400, "bad_amount"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"JPY\","
         "\"amount\":\"1.5\"}",
         400, "bad_amount"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\","
         "\"amount\":\"1.00\",\"memo\":\"x\"}",
         400, "unknown_field"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\"}", 400,
         "missing_field"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"bank\",\"currency\":\"USD\",\"amount\":"
         "\"1.00\"}",
         400, "bad_field"},
        {"{\"request_id\":\"x "
         "1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\",\"amount\":\"1.00\"}",
         400, "bad_field"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"EUR\","
         "\"amount\":\"1.00\"}",
         404, "unknown_currency"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c9\",\"type\":\"wallet\",\"currency\":\"USD\","
         "\"amount\":\"1.00\"}",
         404, "unknown_customer"},
        {"{\"request_id\":\"x1\",\"uuid\":\"c1\",\"type\":\"securities\",\"currency\":\"USD\","
         "\"amount\":\"1.00\"}",
         404, "unknown_account"},
        {"{\"request_id\":\"x1\",\"request_id\":\"x2\",\"uuid\":\"c1\",\"type\":\"wallet\","
         "\"currency\":\"USD\",\"amount\":\"1.00\"}",
         400, "bad_json"},
        {"{\"request_id\":\"x1\",", 400, "bad_json"},
        {"[1,2]", 400, "bad_json"},
        {"{\"a\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]}", 400, "too_deep"},    /* depth 17 */
        {"{\"a\":[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}", 400, "unknown_field"}, /* 16: parsed */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fgresp r;
        assert_int_equal(fgh_admin(s, "POST", "/admin/v1/deposits", cases[i].body, &r), 0);
        if (r.status != cases[i].status || !r.json ||
            strcmp(fgh_str(r.json, "error.code"), cases[i].code) != 0) {
            fprintf(stderr, "case %zu %s: got %ld %s\n", i, cases[i].body, r.status, r.body);
            fail();
        }
        assert_non_null(fgh_str(r.json, "error.message"));
        fgresp_free(&r);
    }
    /* A body over the cap. */
    size_t big = 64 * 1024 + 1;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    huge[big] = '\0';
    struct fgresp r;
    assert_int_equal(fgh_admin(s, "POST", "/admin/v1/deposits", huge, &r), 0);
    assert_int_equal(r.status, 413);
    fgresp_free(&r);
    /* Exactly at the cap: parsed (and refused for its content, not its size). */
    huge[big - 2] = '}';
    huge[big - 1] = '\0';
    assert_int_equal(fgh_admin(s, "POST", "/admin/v1/deposits", huge, &r), 0);
    assert_int_equal(r.status, 400);
    assert_string_equal(fgh_str(r.json, "error.code"), "missing_field");
    fgresp_free(&r);
    free(huge);
    /* Nothing moved, and x1 was never used: it still works. */
    assert_available(s, "10.00");
    deposit(s, "x1", "1.00", 201);
    assert_available(s, "11.00");
    fgh_assert_reconciled(s);

    /* Bad admin objects. */
    json_decref(
        fgh_admin_ok(s, "POST", "/admin/v1/currencies", "{\"code\":\"usd\",\"digits\":2}", 400));
    json_decref(
        fgh_admin_ok(s, "POST", "/admin/v1/currencies", "{\"code\":\"XYZ\",\"digits\":9}", 400));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/customers",
                             "{\"uuid\":\"c2\",\"user_name\":\"alice\",\"name\":\"Other\","
                             "\"company_id\":7,\"base_currency\":\"USD\"}",
                             409));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/customers",
                             "{\"uuid\":\"c2\",\"user_name\":\"bob\",\"name\":\"Bob\","
                             "\"base_currency\":\"EUR\"}",
                             404));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/accounts",
                             "{\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"EUR\"}", 404));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/clients", "{\"family\":\"nope\"}", 400));
}

struct dup_arg {
    struct fgsrv *s;
    long status;
    char *body;
};

static void *dup_worker(void *p)
{
    struct dup_arg *a = p;
    struct fgresp r;
    if (fgh_admin(a->s, "POST", "/admin/v1/deposits",
                  "{\"request_id\":\"dup-1\",\"uuid\":\"c1\",\"type\":\"wallet\","
                  "\"currency\":\"USD\",\"amount\":\"7.00\"}",
                  &r) == 0) {
        a->status = r.status;
        a->body = strdup(r.body);
    }
    fgresp_free(&r);
    return NULL;
}

static void test_concurrent_duplicates(void **state)
{
    struct fgsrv *s = *state;
    enum { N = 16 };
    pthread_t th[N];
    struct dup_arg args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (struct dup_arg){.s = s};
        pthread_create(&th[i], NULL, dup_worker, &args[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < N; i++) {
        assert_int_equal(args[i].status, 201);
        assert_non_null(args[i].body);
        assert_string_equal(args[i].body, args[0].body);
    }
    for (int i = 0; i < N; i++)
        free(args[i].body);
    assert_available(s, "7.00");
    /* One transfer on the account. */
    json_t *j = fgh_admin_ok(s, "GET", "/admin/v1/accounts?uuid=c1", NULL, 200);
    char path[128];
    snprintf(path, sizeof(path), "/admin/v1/transfers?account_id=%lld",
             (long long)json_integer_value(fgh_get(j, "accounts.0.account_id")));
    json_decref(j);
    j = fgh_admin_ok(s, "GET", path, NULL, 200);
    assert_int_equal(json_array_size(json_object_get(j, "transfers")), 1);
    json_decref(j);
    fgh_assert_reconciled(s);
}

static void test_ops(void **state)
{
    struct fgsrv *s = *state;
    struct fgresp r;
    const char *const tr[] = {"X-Trace-Id: my-trace-1", NULL};
    assert_int_equal(fgh_request(s, "GET", "/healthz", tr, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.trace, "my-trace-1");
    fgresp_free(&r);
    const char *const tr2[] = {"trace: tb-trace-2", NULL};
    assert_int_equal(fgh_request(s, "GET", "/readyz", tr2, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.trace, "tb-trace-2");
    fgresp_free(&r);
    assert_int_equal(fgh_request(s, "GET", "/metrics", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(strlen(r.trace), 32);
    assert_non_null(strstr(r.body, "fundgate_http_requests_total"));
    assert_non_null(strstr(r.body, "admin_currencies_post"));
    assert_non_null(strstr(r.body, "fundgate_engine_batch_size_bucket"));
    assert_non_null(strstr(r.body, "fundgate_engine_commit_seconds"));
    assert_non_null(strstr(r.body, "fundgate_engine_queue_depth"));
    fgresp_free(&r);
    assert_int_equal(fgh_request(s, "GET", "/nope", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 404);
    fgresp_free(&r);
    assert_int_equal(fgh_request(s, "DELETE", "/healthz", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 405);
    fgresp_free(&r);
}

/* --- kill -9 during a stream of deposits -------------------------------- */

#define KILL_WRITERS 4
#define KILL_PER_WRITER_MAX 100000

struct stream_arg {
    struct fgsrv *s;
    int id;
    int acked; /* deposits answered 201, in order */
};

static void *stream_worker(void *p)
{
    struct stream_arg *a = p;
    for (int i = 0; i < KILL_PER_WRITER_MAX; i++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"request_id\":\"k%d-%d\",\"uuid\":\"c1\",\"type\":\"wallet\","
                 "\"currency\":\"USD\",\"amount\":\"0.01\"}",
                 a->id, i);
        struct fgresp r;
        int rc = fgh_admin(a->s, "POST", "/admin/v1/deposits", body, &r);
        long st = r.status;
        fgresp_free(&r);
        if (rc < 0 || st != 201)
            break;
        __atomic_store_n(&a->acked, i + 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static void test_kill9_durability(void **state)
{
    struct fgsrv *s = *state;
    pthread_t th[KILL_WRITERS];
    struct stream_arg args[KILL_WRITERS];
    for (int i = 0; i < KILL_WRITERS; i++) {
        args[i] = (struct stream_arg){.s = s, .id = i};
        pthread_create(&th[i], NULL, stream_worker, &args[i]);
    }
    usleep(1500 * 1000);
    fgsrv_kill9(s);
    int acked_total = 0;
    for (int i = 0; i < KILL_WRITERS; i++) {
        pthread_join(th[i], NULL);
        acked_total += args[i].acked;
    }
    assert_true(acked_total > 0);
    fgsrv_start(s); /* same data directory */
    fgh_assert_reconciled(s);
    /* Every acknowledged deposit is there: count the account's deposits with a
     * k-prefix ref, paging through the journal. */
    json_t *j = fgh_admin_ok(s, "GET", "/admin/v1/accounts?uuid=c1", NULL, 200);
    int64_t account_id = json_integer_value(fgh_get(j, "accounts.0.account_id"));
    json_decref(j);
    int64_t after = 0;
    int found = 0;
    for (;;) {
        char path[160];
        snprintf(path, sizeof(path), "/admin/v1/transfers?account_id=%lld&after=%lld&limit=1000",
                 (long long)account_id, (long long)after);
        j = fgh_admin_ok(s, "GET", path, NULL, 200);
        json_t *arr = json_object_get(j, "transfers");
        size_t i;
        json_t *t;
        json_array_foreach(arr, i, t)
        {
            int w = -1, n = -1;
            const char *ref = fgh_str(t, "ref");
            if (ref && sscanf(ref, "admin.deposit:k%d-%d", &w, &n) == 2 && w >= 0 &&
                w < KILL_WRITERS && n < args[w].acked)
                found++;
            after = json_integer_value(json_object_get(t, "id"));
        }
        bool more = !json_is_null(json_object_get(j, "next_after"));
        json_decref(j);
        if (!more)
            break;
    }
    fprintf(stderr, "kill -9: %d deposits acknowledged, %d found after restart\n", acked_total,
            found);
    assert_int_equal(found, acked_total);
}

/* --- bootstrap ---------------------------------------------------------- */

static void test_bootstrap_idempotent(void **state)
{
    (void)state;
    static char path[512];
    snprintf(path, sizeof(path), "%s/demo.json", getenv("FUNDGATE_EXAMPLES"));
    struct fgsrv s = {.args = {"--bootstrap", path, NULL}};
    fgsrv_start(&s);
    char *b1 = fgh_balance(&s, "c1", "wallet", "USD");
    assert_int_equal(fgsrv_stop(&s), 0);
    fgsrv_start(&s); /* applied again on the same data: nothing doubles */
    char *b2 = fgh_balance(&s, "c1", "wallet", "USD");
    assert_string_equal(b1, "10000.00");
    assert_string_equal(b1, b2);
    fgh_assert_reconciled(&s);
    free(b1);
    free(b2);
    assert_int_equal(fgsrv_stop(&s), 0);
    fgsrv_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_walkthrough, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9_durability, setup, teardown),
        cmocka_unit_test(test_bootstrap_idempotent),
    };
    return cmocka_run_group_tests_name("e2e_admin", tests, NULL, NULL);
}
