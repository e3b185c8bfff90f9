/*
 * test_faults.c - end to end with fault injection (`serve --test-faults`): when
 * a batch's COMMIT fails, every write in it is answered "unavailable" in its
 * family's shape and nothing of it is applied; the client's retry then applies
 * exactly once, and the ledger reconciles throughout.
 */
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
        cmocka_unit_test(test_fault_route_is_off_without_flag),
    };
    return cmocka_run_group_tests_name("e2e_faults", tests, NULL, NULL);
}
