/*
 * test_jwt.c - core/jwt.c: sign and verify round trip, the pinned header, and
 * the time claims (issue 9.2): iat at INT64_MIN, INT64_MIN+1, INT64_MAX, huge,
 * negative and non-integer values; exp and nbf honoured at their edges. Every
 * comparison must hold without overflow (this file runs under UBSan).
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/jwt.h"
#include "core/limits.h"

#define NOW 1767751200LL /* 2026-01-07T02:00:00Z */
#define AGE 86400
#define SKEW FG_JWT_CLOCK_SKEW_S

/* Check the time claims of a payload given as JSON text. */
static int check_text(const char *payload, int64_t now_s)
{
    json_error_t je;
    json_t *claims = json_loads(payload, JSON_REJECT_DUPLICATES, &je);
    assert_non_null(claims);
    struct fg_err err = {0};
    int rc = jwt_claims_time_check(claims, now_s, AGE, SKEW, &err);
    if (rc < 0)
        assert_true(err.msg[0] != '\0');
    json_decref(claims);
    return rc;
}

static int check_iat(json_int_t iat)
{
    json_t *claims = json_pack("{s:I}", "iat", iat);
    struct fg_err err = {0};
    int rc = jwt_claims_time_check(claims, NOW, AGE, SKEW, &err);
    json_decref(claims);
    return rc;
}

static void test_iat_extremes(void **state)
{
    (void)state;
    /* Issue 9.2: INT64_MIN crashed the sanitizer build; INT64_MIN+1 wrapped
     * into a token that never expired. */
    assert_int_equal(check_iat(INT64_MIN), -FG_EUNAUTHORIZED);
    assert_int_equal(check_iat(INT64_MIN + 1), -FG_EUNAUTHORIZED);
    assert_int_equal(check_iat(INT64_MAX), -FG_EUNAUTHORIZED);
    assert_int_equal(check_iat(INT64_MAX - 1), -FG_EUNAUTHORIZED);
    assert_int_equal(check_iat(-1), -FG_EUNAUTHORIZED);
    assert_int_equal(check_iat(0), -FG_EUNAUTHORIZED);
    assert_int_equal(check_iat(-(NOW + 1)), -FG_EUNAUTHORIZED);
    /* The extremes at the other end of the clock too. */
    json_t *c = json_pack("{s:I}", "iat", (json_int_t)INT64_MIN);
    struct fg_err err;
    assert_int_equal(jwt_claims_time_check(c, INT64_MAX, INT64_MAX, INT64_MAX, &err),
                     -FG_EUNAUTHORIZED);
    assert_int_equal(jwt_claims_time_check(c, INT64_MIN, AGE, SKEW, &err), 0);
    json_decref(c);
    c = json_pack("{s:I}", "iat", (json_int_t)INT64_MAX);
    assert_int_equal(jwt_claims_time_check(c, INT64_MIN, 0, 0, &err), -FG_EUNAUTHORIZED);
    assert_int_equal(jwt_claims_time_check(c, INT64_MAX, 0, 0, &err), 0);
    json_decref(c);
}

static void test_iat_window_edges(void **state)
{
    (void)state;
    assert_int_equal(check_iat(NOW), 0);
    assert_int_equal(check_iat(NOW - AGE), 0);                     /* exactly max age */
    assert_int_equal(check_iat(NOW - AGE - 1), -FG_EUNAUTHORIZED); /* one second older */
    assert_int_equal(check_iat(NOW + SKEW), 0);                    /* at the skew */
    assert_int_equal(check_iat(NOW + SKEW + 1), -FG_EUNAUTHORIZED);
}

static void test_iat_not_an_integer(void **state)
{
    (void)state;
    assert_int_equal(check_text("{}", NOW), -FG_EUNAUTHORIZED);
    assert_int_equal(check_text("{\"iat\":\"1767751200\"}", NOW), -FG_EUNAUTHORIZED);
    assert_int_equal(check_text("{\"iat\":1767751200.0}", NOW), -FG_EUNAUTHORIZED);
    assert_int_equal(check_text("{\"iat\":1.7677512e9}", NOW), -FG_EUNAUTHORIZED);
    assert_int_equal(check_text("{\"iat\":true}", NOW), -FG_EUNAUTHORIZED);
    assert_int_equal(check_text("{\"iat\":null}", NOW), -FG_EUNAUTHORIZED);
    assert_int_equal(check_text("{\"iat\":[1767751200]}", NOW), -FG_EUNAUTHORIZED);
    /* Beyond int64, jansson refuses the whole payload: no claims to check. */
    json_error_t je;
    assert_null(json_loads("{\"iat\":99999999999999999999}", 0, &je));
    assert_null(json_loads("{\"iat\":-9223372036854775809}", 0, &je));
    assert_int_equal(check_text("{\"iat\":-9223372036854775808}", NOW), -FG_EUNAUTHORIZED);
}

static void test_exp_and_nbf(void **state)
{
    (void)state;
    char p[256];
    /* exp: refused from exp + skew on. */
    snprintf(p, sizeof(p), "{\"iat\":%lld,\"exp\":%lld}", NOW - 10, NOW + 60);
    assert_int_equal(check_text(p, NOW), 0);
    snprintf(p, sizeof(p), "{\"iat\":%lld,\"exp\":%lld}", NOW - 1000, NOW - SKEW);
    assert_int_equal(check_text(p, NOW), -FG_EUNAUTHORIZED);
    snprintf(p, sizeof(p), "{\"iat\":%lld,\"exp\":%lld}", NOW - 1000, NOW - SKEW + 1);
    assert_int_equal(check_text(p, NOW), 0);
    snprintf(p, sizeof(p), "{\"iat\":%lld,\"exp\":%lld}", NOW, (long long)INT64_MIN);
    assert_int_equal(check_text(p, NOW), -FG_EUNAUTHORIZED);
    snprintf(p, sizeof(p), "{\"iat\":%lld,\"exp\":%lld}", NOW, (long long)INT64_MAX);
    assert_int_equal(check_text(p, NOW), 0); /* a far exp; iat still bounds the age */
    snprintf(p, sizeof(p), "{\"iat\":%lld,\"exp\":\"%lld\"}", NOW, NOW + 60);
    assert_int_equal(check_text(p, NOW), -FG_EUNAUTHORIZED);
    snprintf(p, sizeof(p), "{\"iat\":%lld,\"exp\":%lld.5}", NOW, NOW + 60);
    assert_int_equal(check_text(p, NOW), -FG_EUNAUTHORIZED);
    /* nbf: refused while now < nbf - skew. */
    snprintf(p, sizeof(p), "{\"iat\":%lld,\"nbf\":%lld}", NOW, NOW + SKEW);
    assert_int_equal(check_text(p, NOW), 0);
    snprintf(p, sizeof(p), "{\"iat\":%lld,\"nbf\":%lld}", NOW, NOW + SKEW + 1);
    assert_int_equal(check_text(p, NOW), -FG_EUNAUTHORIZED);
    snprintf(p, sizeof(p), "{\"iat\":%lld,\"nbf\":%lld}", NOW, (long long)INT64_MAX);
    assert_int_equal(check_text(p, NOW), -FG_EUNAUTHORIZED);
    snprintf(p, sizeof(p), "{\"iat\":%lld,\"nbf\":%lld}", NOW, (long long)INT64_MIN);
    assert_int_equal(check_text(p, NOW), 0);
    snprintf(p, sizeof(p), "{\"iat\":%lld,\"nbf\":null}", NOW);
    assert_int_equal(check_text(p, NOW), -FG_EUNAUTHORIZED);
    /* Age still counts when exp is far away. */
    snprintf(p, sizeof(p), "{\"iat\":%lld,\"exp\":%lld}", NOW - AGE - 1, NOW + 3600);
    assert_int_equal(check_text(p, NOW), -FG_EUNAUTHORIZED);
}

static void test_sign_verify(void **state)
{
    (void)state;
    const char *key = "0123456789abcdef";
    char *t = jwt_hs256_sign("{\"iat\":1}", key, strlen(key));
    assert_non_null(t);
    char *payload = NULL;
    struct fg_err err;
    assert_int_equal(jwt_hs256_verify(t, key, strlen(key), &payload, &err), 0);
    assert_string_equal(payload, "{\"iat\":1}");
    free(payload);
    assert_int_equal(jwt_hs256_verify(t, "another-key-0123", 16, &payload, &err),
                     -FG_EUNAUTHORIZED);
    assert_null(payload);
    free(t);
    /* alg none is refused before any key is used. */
    char *h = jwt_b64url_encode("{\"alg\":\"none\"}", 14);
    char *p = jwt_b64url_encode("{\"iat\":1}", 9);
    char none[256];
    snprintf(none, sizeof(none), "%s.%s.", h, p);
    assert_int_equal(jwt_hs256_peek(none, &payload, &err), -FG_EUNAUTHORIZED);
    free(h);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iat_extremes),       cmocka_unit_test(test_iat_window_edges),
        cmocka_unit_test(test_iat_not_an_integer), cmocka_unit_test(test_exp_and_nbf),
        cmocka_unit_test(test_sign_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
