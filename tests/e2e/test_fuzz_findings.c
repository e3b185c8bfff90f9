/*
 * test_fuzz_findings.c - end to end, what tests/fuzz/fuzz_server.c found
 * against the whole server: each test sends the request that failed and
 * checks the answer is the documented refusal in valid JSON.
 *
 * - A path parameter with a byte that is not UTF-8 (%ED, %FF) quoted in a
 *   Funds admin refusal: jansson refused the message and the answer was
 *   500 out_of_memory instead of 400 order_serial_invalid.
 * - The same byte quoted in an admin refusal went out raw: the answer was
 *   not JSON (tests/unit/test_http_error.c has the unit case).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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
    assert_int_equal(rc, 0);
    return 0;
}

static void test_funds_admin_serial_not_utf8(void **state)
{
    struct fgsrv *s = *state;
    struct fgresp r;
    assert_int_equal(
        fgh_admin(s, "POST", "/admin/v1/withdrawals/W%EDD2026010100000001/approve", NULL, &r), 0);
    assert_int_equal(r.status, 400); /* a path that is not UTF-8 is the transport's refusal now */
    assert_non_null(r.json);
    assert_string_equal(fgh_str(r.json, "error.code"), "bad_request");
    fgresp_free(&r);
    assert_int_equal(/* one that is: the serial's own code, never a 500 */
                     fgh_admin(s, "POST", "/admin/v1/withdrawals/W%C3%A9D2026010100000001/approve",
                               NULL, &r),
                     0);
    assert_int_equal(r.status, 400);
    assert_string_equal(fgh_str(r.json, "error.code"), "order_serial_invalid");
    assert_non_null(fgh_get(r.json, "error.funds_code"));
    fgresp_free(&r);
    fgh_assert_reconciled(s);
}

static void test_admin_param_not_utf8(void **state)
{
    struct fgsrv *s = *state;
    struct fgresp r;
    assert_int_equal(
        fgh_admin(s, "PATCH", "/admin/v1/customers/%FF", "{\"status\":\"active\"}", &r), 0);
    assert_int_equal(r.status, 400); /* refused by the transport: a path must be UTF-8 */
    assert_non_null(r.json);
    assert_string_equal(fgh_str(r.json, "error.code"), "bad_request");
    fgresp_free(&r);
    assert_int_equal(fgh_admin(s, "GET", "/admin/v1/accounts?uuid=%FF", NULL, &r), 0);
    assert_int_equal(r.status, 400);
    assert_string_equal(fgh_str(r.json, "error.code"), "bad_request");
    fgresp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_funds_admin_serial_not_utf8),
        cmocka_unit_test(test_admin_param_not_utf8),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
