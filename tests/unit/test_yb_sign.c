/*
 * test_yb_sign.c - the YabandPay string to sign (families/yabandpay/yabandpay.h):
 * the vendor's own example string rebuilt from its body, keys sorted by
 * byte value, numbers by their literal (1000.50 stays 1000.50), strings
 * decoded, nested values as written, and every refusal (a missing or
 * mistyped user/method/time, a data member named like a signed field).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "families/yabandpay/yabandpay.h"

static void assert_sign_string(const char *body, const char *want)
{
    char *s = NULL;
    size_t n = 0;
    struct fg_err err = {0};
    int rc = yabandpay_sign_string(body, strlen(body), &s, &n, &err);
    if (rc < 0)
        fail_msg("refused: %s", err.msg);
    if (strcmp(s, want) != 0)
        fail_msg("got  %s\nwant %s", s, want);
    assert_int_equal(n, strlen(want));
    free(s);
}

static void test_vendor_example(void **state)
{
    (void)state;
    /* The vendor's example (docs/protocols/yabandpay.md "The signature"): the data of a quote and
     * an execute together, with `&quote_id=` where the page shows an HTML glitch. */
    assert_sign_string(
        "{\"user\":\"016683\",\"sign\":\"x\",\"method\":\"v3.ExecuteFXOrder\",\"time\":1546588959,"
        "\"data\":{\"order_id\":\"513456465135416545\",\"quote_id\":"
        "\"78636c41-d214-4a8f-ae22-5c112ca0e1c7\",\"reference\":\"test\",\"request_id\":"
        "\"203040950640690239603690\",\"amount\":1000,\"buy_currency\":\"EUR\",\"currency\":"
        "\"USD\",\"sell_currency\":\"USD\",\"tenor\":\"TOD\"}}",
        "amount=1000&buy_currency=EUR&currency=USD&method=v3.ExecuteFXOrder&order_id="
        "513456465135416545&quote_id=78636c41-d214-4a8f-ae22-5c112ca0e1c7&reference=test&"
        "request_id=203040950640690239603690&sell_currency=USD&tenor=TOD&time=1546588959&user="
        "016683");
}

static void test_values_as_written(void **state)
{
    (void)state;
    assert_sign_string("{\"data\":{\"b\":1000.50,\"a\":\"x\\u0026y \\\"z\\\"\",\"c\":{\"k\": [1, "
                       "2]},\"d\":true,\"e\":null,\"B\":-1e3},\"time\":\"1700000000\","
                       "\"method\":\"m\",\"user\":\"u\",\"extra\":1}",
                       "B=-1e3&a=x&y \"z\"&b=1000.50&c={\"k\": [1, 2]}&d=true&e=null&method=m&"
                       "time=1700000000&user=u");
    /* Sorted by bytes: "amount" < "amount_x" < "b"; unicode after ASCII. */
    assert_sign_string("{\"user\":\"u\",\"method\":\"m\",\"time\":1,\"data\":{\"\\u00e9\":1,"
                       "\"amount_x\":2,\"amount\":3,\"b\":4}}",
                       "amount=3&amount_x=2&b=4&method=m&time=1&user=u&\xc3\xa9=1");
}

static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int code;
        const char *why;
    } bad[] = {
        {"{\"method\":\"m\",\"time\":1,\"data\":{}}", -FG_EMISSING_FIELD, "'user'"},
        {"{\"user\":\"u\",\"time\":1,\"data\":{}}", -FG_EMISSING_FIELD, "'method'"},
        {"{\"user\":\"u\",\"method\":\"m\",\"data\":{}}", -FG_EMISSING_FIELD, "'time'"},
        {"{\"user\":\"u\",\"method\":\"m\",\"time\":1}", -FG_EMISSING_FIELD, "'data'"},
        {"{\"user\":1,\"method\":\"m\",\"time\":1,\"data\":{}}", -FG_EBAD_FIELD, "'user'"},
        {"{\"user\":\"u\",\"method\":\"m\",\"time\":1.5,\"data\":{}}", -FG_EBAD_FIELD, "'time'"},
        {"{\"user\":\"u\",\"method\":\"m\",\"time\":1,\"data\":[]}", -FG_EBAD_FIELD, "'data'"},
        {"{\"user\":\"u\",\"method\":\"m\",\"time\":1,\"data\":{\"user\":\"v\"}}", -FG_EBAD_FIELD,
         "'user'"},
        {"{\"user\":\"u\",\"method\":\"m\",\"time\":1,\"data\":{\"a\":\"x\\u0000y\"}}",
         -FG_EBAD_JSON, "not allowed"}, /* jansson refuses NUL */
        {"{\"user\":\"u\",\"user\":\"v\",\"method\":\"m\",\"time\":1,\"data\":{}}", -FG_EBAD_JSON,
         ""},
        {"not json", -FG_EBAD_JSON, ""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *s = NULL;
        size_t n = 0;
        struct fg_err err = {0};
        int rc = yabandpay_sign_string(bad[i].body, strlen(bad[i].body), &s, &n, &err);
        if (rc != bad[i].code || !strstr(err.msg, bad[i].why))
            fail_msg("case %zu: %d '%s'", i, rc, err.msg);
        assert_null(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vendor_example),
        cmocka_unit_test(test_values_as_written),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
