/*
 * test_faults.c - end to end with fault injection (`serve --test-faults`): when
 * a batch's COMMIT fails, every write in it is answered "unavailable" in its
 * family's shape and nothing of it is applied; the client's retry then applies
 * exactly once, and the ledger reconciles throughout.
 *
 * Store errors mid-batch (engine.h, "After a store error"): a burst of admin
 * deposits (each in its own savepoint) and TradeBoss executes (savepoint-free)
 * is held back until it forms one batch, and a SAVEPOINT, a statement, or the
 * disk fails inside it. Afterwards every answered success is in the journal
 * exactly once, every "unavailable" is absent, the balance is what the
 * successes make it, the ledger reconciles, and the retries apply once.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <cmocka.h>

#include "harness.h"

static int setup(void **state)
{
    struct fgsrv *s = calloc(1, sizeof(*s));
    s->args[0] = "--test-faults";
    fgsrv_start(s);
    fgh_seed_basic(s);
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":7,\"auth\":\"allowlist\","
                             "\"allow\":[\"127.0.0.0/8\"],\"account_type\":\"futures\"}",
                             201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/deposits",
                             "{\"request_id\":\"fund\",\"uuid\":\"c1\",\"type\":\"futures\","
                             "\"currency\":\"USD\",\"amount\":\"100.00\"}",
                             201));
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct fgsrv *s = *state;
    int rc = fgsrv_stop(s);
    fgsrv_cleanup(s);
    free(s);
    assert_int_equal(rc, 0);
    return 0;
}

static void fail_next_commit(struct fgsrv *s)
{
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/test/fault", "{\"fail_commits\":1}", 200));
}

static void assert_futures(struct fgsrv *s, const char *want)
{
    char *got = fgh_available(s, "c1", "futures", "USD");
    assert_string_equal(got, want);
    free(got);
}

static void test_admin_deposit(void **state)
{
    struct fgsrv *s = *state;
    const char *body = "{\"request_id\":\"d1\",\"uuid\":\"c1\",\"type\":\"futures\","
                       "\"currency\":\"USD\",\"amount\":\"5.00\"}";
    fail_next_commit(s);
    json_t *j = fgh_admin_ok(s, "POST", "/admin/v1/deposits", body, 500);
    assert_string_equal(fgh_str(j, "error.code"), "store_error");
    json_decref(j);
    assert_futures(s, "100.00");
    fgh_assert_reconciled(s);
    /* The retry is applied, once. */
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/deposits", body, 201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/deposits", body, 201));
    assert_futures(s, "105.00");
    fgh_assert_reconciled(s);
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

#define EXEC_PATH "/api/cats-gateway/external-system-credit-limit-adjustment"
#define CANCEL_PATH "/api/cats-gateway/cancel-external-system-credit-limit-adjustment"

/* POST a TradeBoss body; returns the envelope's code (malloc'd). */
static char *tb_post(struct fgsrv *s, const char *path, const char *body)
{
    char tsh[64];
    snprintf(tsh, sizeof(tsh), "timestamp: %lld", (long long)now_ms());
    const char *const headers[] = {"trace: fault-test", "companyId: 7", tsh, NULL};
    struct fgresp r;
    assert_int_equal(fgh_request(s, "POST", path, headers, body, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(r.json);
    assert_string_equal(fgh_str(r.json, "trace"), "fault-test");
    char *code = strdup(fgh_str(r.json, "code"));
    fgresp_free(&r);
    return code;
}

static char *tb_exec(struct fgsrv *s, const char *no)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"thirdServerCode\":\"t\",\"userName\":\"alice\",\"currency\":\"USD\","
             "\"bizType\":1,\"operationType\":\"OPEN_POSITION\",\"amount\":\"10.00\","
             "\"amountDigits\":2,\"orderId\":1,\"requestUniqueNo\":\"%s\",\"requestTime\":%lld,"
             "\"ip\":\"127.0.0.1\"}",
             no, (long long)now_ms());
    return tb_post(s, EXEC_PATH, body);
}

static char *tb_cancel(struct fgsrv *s, const char *no, const char *reverse)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"thirdServerCode\":\"t\",\"userName\":\"alice\",\"currency\":\"USD\","
             "\"bizType\":1,\"amount\":\"10.00\",\"amountDigits\":2,\"requestUniqueNo\":\"%s\","
             "\"reverseRequestUniqueNo\":\"%s\",\"requestTime\":%lld,\"ip\":\"127.0.0.1\","
             "\"cancelRemark\":\"timeout\"}",
             no, reverse, (long long)now_ms());
    return tb_post(s, CANCEL_PATH, body);
}

static void assert_code(char *got, const char *want)
{
    assert_string_equal(got, want);
    free(got);
}

static void test_tradeboss_execute_and_cancel(void **state)
{
    struct fgsrv *s = *state;
    /* A failed commit of the execute: busy, nothing moved, no fence written. */
    fail_next_commit(s);
    assert_code(tb_exec(s, "tb-1"), "US_9000001");
    assert_futures(s, "100.00");
    fgh_assert_reconciled(s);
    /* The platform's retry applies it once. */
    assert_code(tb_exec(s, "tb-1"), "0");
    assert_code(tb_exec(s, "tb-1"), "0");
    assert_futures(s, "90.00");
    /* A failed commit of the cancel: busy, the money stays out; the retry reverses once. */
    fail_next_commit(s);
    assert_code(tb_cancel(s, "tb-c1", "tb-1"), "US_9000001");
    assert_futures(s, "90.00");
    fgh_assert_reconciled(s);
    assert_code(tb_cancel(s, "tb-c1", "tb-1"), "0");
    assert_code(tb_cancel(s, "tb-c1", "tb-1"), "0");
    assert_futures(s, "100.00");
    /* A cancel that arrives first but fails to commit leaves no tombstone: the
     * execute that follows is applied, and the cancel's retry then reverses it. */
    fail_next_commit(s);
    assert_code(tb_cancel(s, "tb-c2", "tb-2"), "US_9000001");
    assert_code(tb_exec(s, "tb-2"), "0");
    assert_futures(s, "90.00");
    assert_code(tb_cancel(s, "tb-c2", "tb-2"), "0");
    assert_futures(s, "100.00");
    fgh_assert_reconciled(s);
}

/* --- bursts that meet a store error mid-batch ---------------------------- */

#define BURST_MAX 64

enum outcome { OUT_NONE, OUT_OK, OUT_UNAVAILABLE, OUT_OTHER };

struct shot {
    struct fgsrv *s;
    bool tradeboss; /* an execute (savepoint-free) rather than a deposit */
    char id[32];
    enum outcome out;
    char got[160];
};

static void shot_deposit(struct shot *sh)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"request_id\":\"%s\",\"uuid\":\"c1\",\"type\":\"futures\","
             "\"currency\":\"USD\",\"amount\":\"1.00\"}",
             sh->id);
    struct fgresp r;
    if (fgh_admin(sh->s, "POST", "/admin/v1/deposits", body, &r) < 0) {
        snprintf(sh->got, sizeof(sh->got), "transport failure");
        sh->out = OUT_OTHER;
        return;
    }
    const char *code = r.json ? fgh_str(r.json, "error.code") : NULL;
    if (r.status == 201)
        sh->out = OUT_OK;
    else if (r.status == 500 && code && strcmp(code, "store_error") == 0)
        sh->out = OUT_UNAVAILABLE;
    else
        sh->out = OUT_OTHER;
    snprintf(sh->got, sizeof(sh->got), "%ld %.120s", r.status, r.body);
    fgresp_free(&r);
}

static void shot_execute(struct shot *sh)
{
    char body[512], tsh[64];
    snprintf(body, sizeof(body),
             "{\"thirdServerCode\":\"t\",\"userName\":\"alice\",\"currency\":\"USD\","
             "\"bizType\":1,\"operationType\":\"OPEN_POSITION\",\"amount\":\"1.00\","
             "\"amountDigits\":2,\"orderId\":1,\"requestUniqueNo\":\"%s\",\"requestTime\":%lld,"
             "\"ip\":\"127.0.0.1\"}",
             sh->id, (long long)now_ms());
    snprintf(tsh, sizeof(tsh), "timestamp: %lld", (long long)now_ms());
    const char *const headers[] = {"trace: burst", "companyId: 7", tsh, NULL};
    struct fgresp r;
    if (fgh_request(sh->s, "POST", EXEC_PATH, headers, body, &r) < 0) {
        snprintf(sh->got, sizeof(sh->got), "transport failure");
        sh->out = OUT_OTHER;
        return;
    }
    const char *code = r.json ? fgh_str(r.json, "code") : NULL;
    if (r.status == 200 && code && strcmp(code, "0") == 0)
        sh->out = OUT_OK;
    else if (r.status == 200 && code && strcmp(code, "US_9000001") == 0)
        sh->out = OUT_UNAVAILABLE;
    else
        sh->out = OUT_OTHER;
    snprintf(sh->got, sizeof(sh->got), "%ld %.120s", r.status, r.body);
    fgresp_free(&r);
}

static void *shot_main(void *arg)
{
    struct shot *sh = arg;
    if (sh->tradeboss)
        shot_execute(sh);
    else
        shot_deposit(sh);
    return NULL;
}

/* n requests at once (even: deposits, odd: executes), ids "<tag>-NN". */
static void burst_fire(struct fgsrv *s, const char *tag, struct shot *shots, int n)
{
    pthread_t th[BURST_MAX];
    assert_true(n <= BURST_MAX);
    for (int i = 0; i < n; i++) {
        shots[i] = (struct shot){.s = s, .tradeboss = i % 2 == 1};
        snprintf(shots[i].id, sizeof(shots[i].id), "%s-%02d", tag, i);
        assert_int_equal(pthread_create(&th[i], NULL, shot_main, &shots[i]), 0);
    }
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

static int64_t futures_account_id(struct fgsrv *s)
{
    json_t *j = fgh_admin_ok(s, "GET", "/admin/v1/accounts?uuid=c1", NULL, 200);
    int64_t id = 0;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(j, "accounts"), i, a)
    {
        if (strcmp(fgh_str(a, "type"), "futures") == 0)
            id = json_integer_value(json_object_get(a, "account_id"));
    }
    json_decref(j);
    assert_true(id > 0);
    return id;
}

/* How many journal rows of the futures account name id in their ref. */
static int journal_count(struct fgsrv *s, json_t *rows, const char *id)
{
    (void)s;
    char suffix[40];
    snprintf(suffix, sizeof(suffix), ":%s", id);
    int n = 0;
    size_t i;
    json_t *t;
    json_array_foreach(rows, i, t)
    {
        const char *ref = fgh_str(t, "ref");
        size_t lr = ref ? strlen(ref) : 0, ls = strlen(suffix);
        if (lr >= ls && strcmp(ref + lr - ls, suffix) == 0)
            n++;
    }
    return n;
}

/* Every success once, every unavailable never; the balance agrees; returns
 * how many were unavailable. */
static int burst_check(struct fgsrv *s, struct shot *shots, int n, int64_t *cents)
{
    char path[128];
    snprintf(path, sizeof(path), "/admin/v1/transfers?account_id=%lld&after=0&limit=1000",
             (long long)futures_account_id(s));
    json_t *j = fgh_admin_ok(s, "GET", path, NULL, 200);
    json_t *rows = json_object_get(j, "transfers");
    int unavailable = 0;
    for (int i = 0; i < n; i++) {
        int seen = journal_count(s, rows, shots[i].id);
        if (shots[i].out == OUT_OTHER)
            fprintf(stderr, "%s answered neither success nor unavailable: %s\n", shots[i].id,
                    shots[i].got);
        assert_int_not_equal(shots[i].out, OUT_OTHER);
        if (seen != (shots[i].out == OUT_OK ? 1 : 0))
            fprintf(stderr, "%s answered %s, in the journal %d times: %s\n", shots[i].id,
                    shots[i].out == OUT_OK ? "success" : "unavailable", seen, shots[i].got);
        assert_int_equal(seen, shots[i].out == OUT_OK ? 1 : 0);
        if (shots[i].out == OUT_OK)
            *cents += shots[i].tradeboss ? -100 : 100;
        else
            unavailable++;
    }
    json_decref(j);
    fprintf(stderr, "burst: %d answered, %d of them unavailable\n", n, unavailable);
    char want[32];
    snprintf(want, sizeof(want), "%lld.%02lld", (long long)(*cents / 100),
             (long long)(*cents % 100));
    assert_futures(s, want);
    fgh_assert_reconciled(s);
    return unavailable;
}

/* The retry of every unavailable request applies it exactly once. */
static void burst_retry(struct fgsrv *s, struct shot *shots, int n, int64_t *cents)
{
    for (int i = 0; i < n; i++) {
        if (shots[i].out != OUT_UNAVAILABLE)
            continue;
        for (int k = 0; k < 2; k++) {
            shot_main(&shots[i]);
            assert_int_equal(shots[i].out, OUT_OK);
        }
        *cents += shots[i].tradeboss ? -100 : 100;
    }
    burst_check(s, shots, n, cents);
}

static void fault_post(struct fgsrv *s, const char *body)
{
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/test/fault", body, 200));
}

#define BURST 24

/* (1) A SAVEPOINT fails and SQLite ends the transaction with it. */
static void test_failed_savepoint_mid_batch(void **state)
{
    struct fgsrv *s = *state;
    struct shot shots[BURST];
    int64_t cents = 10000;
    fault_post(s, "{\"pause_ms\":500,\"fail_savepoint\":4}");
    burst_fire(s, "sp", shots, BURST);
    assert_true(burst_check(s, shots, BURST, &cents) > 0); /* the fault hit */
    burst_retry(s, shots, BURST, &cents);
}

/* (2) A statement inside a savepoint-free command (a TradeBoss execute) fails
 * and the transaction ends with it. */
static void test_failed_statement_mid_batch(void **state)
{
    struct fgsrv *s = *state;
    struct shot shots[BURST];
    int64_t cents = 10000;
    fault_post(s, "{\"pause_ms\":500,\"fail_statement\":4}");
    burst_fire(s, "st", shots, BURST);
    assert_true(burst_check(s, shots, BURST, &cents) > 0);
    burst_retry(s, shots, BURST, &cents);
}

/* A serialization failure mid-batch (PostgreSQL's answer to a conflict with
 * another transaction): the batch runs again, so every request is answered
 * once, with success, and applied once. */
static void test_conflict_mid_batch(void **state)
{
    struct fgsrv *s = *state;
    struct shot shots[BURST];
    int64_t cents = 10000;
    for (int round = 0; round < 2; round++) { /* in a deposit, then in an execute */
        char body[96], tag[8];
        snprintf(body, sizeof(body), "{\"pause_ms\":500,\"fail_conflict\":%d}", 5 + round);
        snprintf(tag, sizeof(tag), "cf%d", round);
        fault_post(s, body);
        int again = fgh_log_count(s, "running the batch of");
        burst_fire(s, tag, shots, BURST);
        assert_int_equal(burst_check(s, shots, BURST, &cents), 0);
        assert_true(fgh_log_count(s, "running the batch of") > again); /* the fault hit */
    }
}

/* (3) The database fills up mid-batch (PRAGMA max_page_count). SQLite only:
 * a PostgreSQL server's disk is the server's (its errors are statement
 * errors, which (2) covers). */
static void test_disk_full_mid_batch(void **state)
{
    struct fgsrv *s = *state;
    if (fgh_on_pg())
        skip();
    struct shot shots[BURST_MAX];
    int64_t cents = 10000;
    fault_post(s, "{\"pause_ms\":500,\"full_after_pages\":2}");
    burst_fire(s, "fu", shots, BURST_MAX);
    fault_post(s, "{\"full_after_pages\":0}");
    int unavailable = burst_check(s, shots, BURST_MAX, &cents);
    assert_true(unavailable > 0);
    burst_retry(s, shots, BURST_MAX, &cents);
}

static void test_fault_route_is_off_without_flag(void **state)
{
    (void)state;
    struct fgsrv s = {0};
    fgsrv_start(&s);
    json_t *j = fgh_admin_ok(&s, "POST", "/admin/v1/test/fault", "{\"fail_commits\":1}", 404);
    json_decref(j);
    assert_int_equal(fgsrv_stop(&s), 0);
    fgsrv_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_admin_deposit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tradeboss_execute_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_savepoint_mid_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_statement_mid_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disk_full_mid_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_mid_batch, setup, teardown),
        cmocka_unit_test(test_fault_route_is_off_without_flag),
    };
    return cmocka_run_group_tests_name("e2e_faults", tests, NULL, NULL);
}
