/*
 * test_errors.c - unit tests of core/errors: the core table and the error
 * spaces services and families register (issue 11).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/errors.h"
#include "services/withdraw_errors.h"

static const struct fg_code_info test_rows[] = {
    {418, "test_teapot", "a test code"},
    {503, "test_unavailable", "another test code"},
};

static const struct fg_error_space test_space = {
    .name = "test", .base = 7 * FG_ERROR_SPACE_STRIDE, .count = 2, .rows = test_rows};

static void test_core_codes(void **state)
{
    (void)state;
    assert_string_equal(fg_code_name(-FG_EINSUFFICIENT_FUNDS), "insufficient_funds");
    assert_string_equal(fg_code_name(FG_EINSUFFICIENT_FUNDS), "insufficient_funds");
    assert_int_equal(fg_code_http_status(-FG_EIN_PROGRESS), 409);
    assert_string_equal(fg_code_name(0), "ok");
    assert_int_equal(fg_code_http_status(0), 200);
}

/* A code of no registered space reads as internal, never as a neighbour. */
static void test_unregistered_is_internal(void **state)
{
    (void)state;
    int code = -(8 * FG_ERROR_SPACE_STRIDE + 1);
    assert_string_equal(fg_code_name(code), "internal");
    assert_int_equal(fg_code_http_status(code), 500);
    assert_string_equal(fg_code_name(-FG_CODE_COUNT), "internal");
}

static void test_space_registered(void **state)
{
    (void)state;
    int first = -(7 * FG_ERROR_SPACE_STRIDE), second = first - 1, past = first - 2;
    assert_string_equal(fg_code_name(first), "internal"); /* not yet registered */
    fg_error_space_register(&test_space);
    fg_error_space_register(&test_space); /* idempotent */
    assert_string_equal(fg_code_name(first), "test_teapot");
    assert_int_equal(fg_code_http_status(first), 418);
    assert_string_equal(fg_strerror(second), "another test code");
    assert_int_equal(fg_code_http_status(second), 503);
    assert_string_equal(fg_code_name(past), "internal"); /* past the space's rows */
}

/* The withdrawal service's codes keep their names and statuses (issue 4). */
static void test_withdraw_space(void **state)
{
    (void)state;
    withdraw_errors_register();
    assert_string_equal(fg_code_name(-FG_EWD_BANK_NOT_APPROVED), "bank_not_approved");
    assert_int_equal(fg_code_http_status(-FG_EWD_BANK_NOT_APPROVED), 409);
    assert_string_equal(fg_code_name(-FG_EWD_EMPTY_BODY), "empty_body");
    assert_string_equal(fg_code_name(-FG_EWD_FLOW_TYPE), "flow_type_mismatch");
    assert_true(FG_EWD_EMPTY_BODY >= FG_ERROR_SPACE_STRIDE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_codes),
        cmocka_unit_test(test_unregistered_is_internal),
        cmocka_unit_test(test_space_registered),
        cmocka_unit_test(test_withdraw_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
