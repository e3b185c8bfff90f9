/*
 * test_withdraw_rules.c - fee rounding and clamping, value day across
 * weekends, holidays, the cut-off and the calendar's end, date parsing; and
 * the pinned HS256 token (alg none, other algs, tampering, base64url).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/jwt.h"
#include "core/money.h"
#include "services/withdraw_rules.h"

static int64_t fee_of(int64_t fixed, int64_t bp, int64_t min, int64_t max, int64_t amount)
{
    struct wd_fee_rule r = {.fee_fixed = fixed, .fee_bp = bp, .fee_min = min, .fee_max = max};
    int64_t fee = -1;
    assert_int_equal(withdraw_fee(&r, amount, &fee), 0);
    return fee;
}

static void test_fee(void **state)
{
    (void)state;
    /* 1.00 + 10 bp, [1.00, 50.00], USD minor units. */
    assert_int_equal(fee_of(100, 10, 100, 5000, 10000), 110);       /* 100.00: 0.10 exact */
    assert_int_equal(fee_of(100, 10, 100, 5000, 10001), 111);       /* 100.01: 0.10001 -> 0.11 up */
    assert_int_equal(fee_of(100, 10, 100, 5000, 1), 101);           /* 0.01: 0.00001 -> 0.01 up */
    assert_int_equal(fee_of(100, 10, 100, 5000, 9999999), 5000);    /* capped at fee_max */
    assert_int_equal(fee_of(0, 0, 100, 5000, 10000), 100);          /* floored at fee_min */
    assert_int_equal(fee_of(0, 10000, 0, INT64_MAX, 12345), 12345); /* 100 %: the whole amount */
    assert_int_equal(fee_of(0, 1, 0, 1000, 9999), 1);               /* 0.9999 -> 1 up */
    assert_int_equal(fee_of(0, 1, 0, 1000, 10000), 1);              /* exactly 1 */
    assert_int_equal(fee_of(0, 1, 0, 1000, 10001), 2);              /* 1.0001 -> 2 up */
    struct wd_fee_rule over = {.fee_fixed = INT64_MAX, .fee_bp = 10, .fee_max = INT64_MAX};
    int64_t fee;
    assert_int_equal(withdraw_fee(&over, 10000, &fee), -FG_EOVERFLOW);
}

static int32_t day(const char *s)
{
    int32_t d = 0;
    assert_true(wd_date_parse(s, &d));
    return d;
}

static int64_t at(const char *date, int hh, int mm, int offset_min)
{
    return ((int64_t)day(date) * 86400 + hh * 3600 + mm * 60 - offset_min * 60) * 1000;
}

static void assert_value_day(const struct wd_value_day_rule *r, const struct wd_calendar *cal,
                             int64_t now_ms, const char *want)
{
    int32_t got = 0;
    struct fg_err err = {0};
    assert_int_equal(withdraw_value_day(r, cal, now_ms, &got, &err), 0);
    char text[WD_DATE_BYTES];
    wd_date_format(got, text);
    assert_string_equal(text, want);
}

static void test_value_day(void **state)
{
    (void)state;
    int32_t holidays[] = {day("2026-01-19"), day("2026-12-25")};
    struct wd_calendar cal = {holidays, 2, day("2026-12-31")};
    struct wd_value_day_rule r = {
        .utc_offset_min = 480, .cutoff_min = 16 * 60, .settlement_days = 2};
    assert_value_day(&r, &cal, at("2026-01-07", 10, 0, 480), "2026-01-09"); /* Wed -> Fri */
    assert_value_day(&r, &cal, at("2026-01-08", 10, 0, 480), "2026-01-12"); /* over a weekend */
    assert_value_day(&r, &cal, at("2026-01-08", 15, 59, 480), "2026-01-12");
    assert_value_day(&r, &cal, at("2026-01-08", 16, 0, 480), "2026-01-13"); /* at the cut-off */
    assert_value_day(&r, &cal, at("2026-01-15", 10, 0, 480), "2026-01-20"); /* over a holiday */
    assert_value_day(&r, &cal, at("2026-01-16", 17, 0, 480), "2026-01-22"); /* Sat, Mon holiday */
    assert_value_day(&r, &cal, at("2026-01-10", 10, 0, 480), "2026-01-14"); /* Saturday */
    /* 23:30 UTC on the 7th is already 07:30 on the 8th at +08:00; 09:00 UTC is 17:00 local. */
    assert_value_day(&r, &cal, at("2026-01-07", 23, 30, 0), "2026-01-12");
    assert_value_day(&r, &cal, at("2026-01-08", 9, 0, 0), "2026-01-13");
    /* T+0: the first business day on or after the start. */
    r.settlement_days = 0;
    assert_value_day(&r, &cal, at("2026-01-07", 10, 0, 480), "2026-01-07");
    assert_value_day(&r, &cal, at("2026-01-16", 17, 0, 480), "2026-01-20");
    /* Negative offset. */
    struct wd_value_day_rule ny = {
        .utc_offset_min = -300, .cutoff_min = 15 * 60, .settlement_days = 1};
    assert_value_day(&ny, &cal, at("2026-01-09", 14, 0, -300), "2026-01-12");
    assert_value_day(&ny, &cal, at("2026-01-09", 15, 0, -300), "2026-01-13");
    /* The calendar's end: needing a day after through_day is refused. */
    r.settlement_days = 2;
    int32_t got;
    struct fg_err err = {0};
    assert_int_equal(withdraw_value_day(&r, &cal, at("2026-12-30", 10, 0, 480), &got, &err),
                     -FG_EWD_VALUE_DAY);
    assert_value_day(&r, &cal, at("2026-12-28", 10, 0, 480), "2026-12-30");
    struct wd_calendar none = {NULL, 0, -1};
    assert_int_equal(withdraw_value_day(&r, &none, at("2026-01-07", 10, 0, 480), &got, &err),
                     -FG_EWD_VALUE_DAY);
}

static void test_dates(void **state)
{
    (void)state;
    int32_t d;
    assert_true(wd_date_parse("1970-01-01", &d));
    assert_int_equal(d, 0);
    assert_int_equal(wd_weekday(0), 4); /* Thursday */
    assert_true(wd_date_parse("2024-02-29", &d));
    assert_false(wd_date_parse("2026-02-29", &d));
    assert_false(wd_date_parse("2026-13-01", &d));
    assert_false(wd_date_parse("2026-1-01", &d));
    assert_false(wd_date_parse("20260101", &d));
    int m;
    assert_true(wd_time_parse("16:00", &m));
    assert_int_equal(m, 960);
    assert_false(wd_time_parse("24:00", &m));
    assert_false(wd_time_parse("9:00", &m));
    assert_true(wd_offset_parse("+08:00", &m));
    assert_int_equal(m, 480);
    assert_true(wd_offset_parse("-05:30", &m));
    assert_int_equal(m, -330);
    assert_false(wd_offset_parse("+15:00", &m));
    assert_false(wd_offset_parse("08:00", &m));
    char ts[32];
    wd_timestamp_format(1767751200123LL, ts);
    assert_string_equal(ts, "2026-01-07T02:00:00.123Z");
}

static void test_jwt(void **state)
{
    (void)state;
    const char *key = "0123456789abcdef";
    char *tok = jwt_hs256_sign("{\"iss\":\"Trading-Auth\",\"iat\":1}", key, strlen(key));
    assert_non_null(tok);
    char *payload = NULL;
    struct fg_err err = {0};
    assert_int_equal(jwt_hs256_verify(tok, key, strlen(key), &payload, &err), 0);
    assert_string_equal(payload, "{\"iss\":\"Trading-Auth\",\"iat\":1}");
    free(payload);
    /* Wrong key, tampered payload, truncated signature. */
    assert_int_equal(jwt_hs256_verify(tok, "0123456789abcdeF", 16, &payload, &err),
                     -FG_EUNAUTHORIZED);
    char *bad = strdup(tok);
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'A' ? 'B' : 'A';
    assert_int_equal(jwt_hs256_verify(bad, key, strlen(key), &payload, &err), -FG_EUNAUTHORIZED);
    free(bad);
    /* alg none and alg HS512 are refused before any key is used. */
    const char *none = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.";
    assert_int_equal(jwt_hs256_verify(none, key, strlen(key), &payload, &err), -FG_EUNAUTHORIZED);
    assert_int_equal(jwt_hs256_peek(none, &payload, &err), -FG_EUNAUTHORIZED);
    char *h512 = jwt_b64url_encode("{\"alg\":\"HS512\"}", 15);
    char t2[256];
    snprintf(t2, sizeof(t2), "%s.%s", h512, strchr(tok, '.') + 1);
    assert_int_equal(jwt_hs256_verify(t2, key, strlen(key), &payload, &err), -FG_EUNAUTHORIZED);
    free(h512);
    assert_int_equal(jwt_hs256_verify("a.b", key, strlen(key), &payload, &err), -FG_EUNAUTHORIZED);
    /* The vendor's example token (docs/protocols/funds.md "The token") parses
     * (HS256, typ JWT) and carries sub as a string. */
    const char *seed =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJUcmFkaW5nLUF1dGgiLCJzdWIiOiJ7XCJVc2VyTmFt"
        "ZVwiOlwiZWxhYSB0YVwiLFwiT21uaWJ1c0FjY291bnRJZFwiOlwiQTAwNFwiLFwiQXBwaWRcIjpcImFwcGM5NjBi"
        "NDBkYWI1ZFwiLFwiRW1haWxcIjpcIjEyMzQ1NkBxcS5jb21cIn0iLCJpYXQiOjE3MzAzNTczNjR9.E2q3MhwFhuy7"
        "L34N1KLF22YvmA-Ni1pX7isKid-dz60";
    assert_int_equal(jwt_hs256_peek(seed, &payload, &err), 0);
    assert_non_null(strstr(payload, "\"sub\":\"{\\\"UserName\\\""));
    free(payload);
    /* Strict base64url: padding and stray bits are refused. */
    size_t n;
    assert_null(jwt_b64url_decode("YQ==", 4, &n));
    assert_null(jwt_b64url_decode("YR", 2, &n)); /* non-zero trailing bits */
    unsigned char *a = jwt_b64url_decode("YQ", 2, &n);
    assert_non_null(a);
    assert_int_equal(n, 1);
    assert_int_equal(a[0], 'a');
    free(a);
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fee),
        cmocka_unit_test(test_value_day),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_jwt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
