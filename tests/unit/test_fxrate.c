/*
 * test_fxrate.c - core/fxrate: the strict decimal grammar at its limits (18
 * significant digits, 18 decimal places), canonical formatting, every
 * rounding mode of a conversion and its inverse (the vendor's example:
 * 1000.00 USD at 0.8305804 is 830.58 EUR), no false overflow where a result
 * fits, ratios rounded to 18 digits, mid, basis points, inversion, and a
 * property check of 20,000 random conversions against 128-bit cross
 * multiplication.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/fxrate.h"

__extension__ typedef unsigned __int128 u128;

static struct fxrate R(const char *s) {
    struct fxrate r;
    struct fg_err err;
    assert_int_equal(fxrate_parse(s, strlen(s), "rate", &r, &err), 0);
    assert_true(fxrate_valid(r));
    return r;
}

static void
assert_text(struct fxrate r, const char *want)
{
    char buf[FXRATE_TEXT_BYTES_MAX];
    fxrate_format(r, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void test_parse_and_format(void **state)
{
    (void)state;
    struct fxrate r = R("7.7800");
    assert_int_equal(r.units, 778);
    assert_int_equal(r.scale, 2);
    assert_text(r, "7.78");
    assert_text(R("0.0000612345"), "0.0000612345");
    assert_text(R("007.50"), "7.5");
    assert_text(R("100"), "100");
    assert_text(R("100.000"), "100");
    assert_text(R("0.8305804"), "0.8305804");
    /* At the limits: 18 significant digits, 18 decimal places. */
    assert_text(R("123456789012345678"), "123456789012345678");
    assert_text(R("123456789.012345678"), "123456789.012345678");
    assert_text(R("0.000000000000000001"), "0.000000000000000001");
    assert_text(R("0.123456789012345678"), "0.123456789012345678");
    assert_text(R("0000000000000000000000001.5"), "1.5"); /* leading zeros do not count */
    assert_text(R("1.5000000000000000000000"), "1.5");    /* nor trailing ones */
    static const char *const bad[] = {"1234567890123456789",
                                      "0.0000000000000000001",
                                      "1.234567890123456789",
                                      "0",
                                      "0.000",
                                      "-1",
                                      "+1",
                                      "1e3",
                                      " 1",
                                      "1 ",
                                      "1.",
                                      ".5",
                                      "",
                                      "1,5",
                                      "0x10",
                                      "1.2.3",
                                      NULL};
    for (int i = 0; bad[i]; i++) {
        struct fxrate x;
        struct fg_err err;
        assert_int_equal(fxrate_parse(bad[i], strlen(bad[i]), "bid", &x, &err), -FG_EBAD_FIELD);
        assert_non_null(strstr(err.msg, "bid"));
    }
}

static void test_money_bridge(void **state)
{
    (void)state;
    int64_t m = 0;
    assert_true(fxrate_to_money(R("7.78"), MONEY_ROUND_DOWN, &m));
    assert_int_equal(m, 77800000000LL);
    assert_true(fxrate_to_money(R("0.00000000015"), MONEY_ROUND_HALF_EVEN, &m));
    assert_int_equal(m, 2); /* 1.5 units of 10^-10, half-even */
    assert_false(fxrate_to_money(R("0.000000000001"), MONEY_ROUND_DOWN, &m)); /* rounds to zero */
    assert_false(fxrate_to_money(R("999999999999"), MONEY_ROUND_DOWN, &m));   /* 10^22 */
    struct fxrate f = fxrate_from_money(77800000000LL);
    assert_int_equal(f.units, 778);
    assert_int_equal(f.scale, 2);
}

static void test_convert_vendor_example(void **state)
{
    (void)state;
    struct fxrate r = R("0.8305804");
    int64_t eur = 0, usd = 0;
    /* The customer sells 1000.00 USD and receives EUR rounded down. */
    assert_int_equal(fxrate_convert(100000, 2, r, 2, MONEY_ROUND_DOWN, &eur), 0);
    assert_int_equal(eur, 83058);
    /* To receive 830.58 EUR the customer pays USD rounded up: 999.99951... -> 1000.00. */
    assert_int_equal(fxrate_convert_inverse(83058, 2, r, 2, MONEY_ROUND_UP, &usd), 0);
    assert_int_equal(usd, 100000);
    assert_int_equal(fxrate_convert_inverse(83058, 2, r, 2, MONEY_ROUND_DOWN, &usd), 0);
    assert_int_equal(usd, 99999);
    /* Digits differ: 1000 JPY (0) at 0.0066 USD (2) = 6.60; USD 6.61 at 0.0066 = 1001.51.. JPY. */
    assert_int_equal(fxrate_convert(1000, 0, R("0.0066"), 2, MONEY_ROUND_DOWN, &usd), 0);
    assert_int_equal(usd, 660);
    assert_int_equal(fxrate_convert_inverse(661, 2, R("0.0066"), 0, MONEY_ROUND_UP, &eur), 0);
    assert_int_equal(eur, 1002);
    /* BTC (8) from JPY (0) at 15,000,000 JPY per BTC. */
    int64_t sat = 0;
    assert_int_equal(fxrate_convert_inverse(1000, 0, R("15000000"), 8, MONEY_ROUND_DOWN, &sat), 0);
    assert_int_equal(sat, 6666); /* 0.00006666 BTC */
}

static void test_convert_rounding_modes(void **state)
{
    (void)state;
    struct fxrate half = R("0.5");
    int64_t v = 0;
    /* 3 * 0.5 = 1.5 minor units and -1.5. */
    static const struct {
        enum money_round mode;
        int64_t pos, neg;
    } want[] = {{MONEY_ROUND_DOWN, 1, -1},
                {MONEY_ROUND_UP, 2, -2},
                {MONEY_ROUND_FLOOR, 1, -2},
                {MONEY_ROUND_CEIL, 2, -1},
                {MONEY_ROUND_HALF_EVEN, 2, -2}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(fxrate_convert(3, 2, half, 2, want[i].mode, &v), 0);
        assert_int_equal(v, want[i].pos);
        assert_int_equal(fxrate_convert(-3, 2, half, 2, want[i].mode, &v), 0);
        assert_int_equal(v, want[i].neg);
    }
    assert_int_equal(fxrate_convert(5, 2, half, 2, MONEY_ROUND_HALF_EVEN, &v), 0);
    assert_int_equal(v, 2); /* 2.5 -> 2 */
    assert_int_equal(fxrate_convert(0, 2, half, 2, MONEY_ROUND_UP, &v), 0);
    assert_int_equal(v, 0);
}

static void test_convert_limits(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_int_equal(fxrate_convert(INT64_MAX, 2, R("1"), 2, MONEY_ROUND_DOWN, &v), 0);
    assert_int_equal(v, INT64_MAX);
    assert_int_equal(
        fxrate_convert(INT64_MAX, 2, R("1.00000000000000001"), 2, MONEY_ROUND_DOWN, &v),
        -FG_EOVERFLOW);
    assert_int_equal(fxrate_convert(INT64_MAX, 0, R("1"), 8, MONEY_ROUND_DOWN, &v), -FG_EOVERFLOW);
    /* A product past 2^126 whose quotient fits: no false overflow. */
    assert_int_equal(
        fxrate_convert(INT64_MAX, 8, R("999999999.999999999"), 0, MONEY_ROUND_DOWN, &v),
        -FG_EOVERFLOW);
    assert_int_equal(
        fxrate_convert(INT64_MAX / 2, 8, R("0.000000000000000001"), 0, MONEY_ROUND_UP, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(
        fxrate_convert_inverse(INT64_MAX, 0, R("123456789012345678"), 8, MONEY_ROUND_DOWN, &v), 0);
    assert_int_equal(v, 7470931417LL); /* 9223372036854775807e8 / 123456789012345678 */
    assert_int_equal(
        fxrate_convert_inverse(10, 0, R("0.000000000000000001"), 0, MONEY_ROUND_DOWN, &v),
        -FG_EOVERFLOW);
    assert_int_equal(fxrate_convert(INT64_MIN + 1, 2, R("1"), 2, MONEY_ROUND_DOWN, &v), 0);
    assert_int_equal(v, INT64_MIN + 1);
}

static void test_ratio_mid_adjust_invert(void **state)
{
    (void)state;
    struct fxrate r;
    assert_true(fxrate_from_ratio(1, 3, MONEY_ROUND_DOWN, &r));
    assert_text(r, "0.333333333333333333");
    assert_true(fxrate_from_ratio(1, 3, MONEY_ROUND_UP, &r));
    assert_text(r, "0.333333333333333334");
    assert_true(fxrate_from_ratio(2, 3, MONEY_ROUND_HALF_EVEN, &r));
    assert_text(r, "0.666666666666666667");
    assert_true(fxrate_from_ratio(10, 3, MONEY_ROUND_DOWN, &r));
    assert_text(r, "3.33333333333333333"); /* 18 significant digits */
    /* Rounding up to the next power of ten drops a decimal place. */
    money_i128 ten19 = (money_i128)10000000000000000000ULL;
    assert_true(fxrate_from_ratio(ten19 - 1, ten19, MONEY_ROUND_UP, &r));
    assert_text(r, "1");
    assert_false(fxrate_from_ratio(ten19, 10, MONEY_ROUND_DOWN, &r)); /* 10^18 */
    assert_false(fxrate_from_ratio(1, ten19, MONEY_ROUND_DOWN, &r));  /* rounds to zero */
    assert_true(fxrate_from_ratio(1, ten19, MONEY_ROUND_UP, &r));
    assert_text(r, "0.000000000000000001");

    assert_text(fxrate_mid(R("7.78"), R("7.80")), "7.79");
    assert_text(fxrate_mid(R("1"), R("2")), "1.5");
    assert_text(fxrate_mid(R("0.000000000000000001"), R("0.000000000000000002")),
                "0.000000000000000002"); /* 1.5e-18, half-even */
    assert_text(fxrate_mid(R("7.7812"), R("7.7812")), "7.7812");

    assert_true(fxrate_adjust_bp(R("1.2"), -50, MONEY_ROUND_DOWN, &r));
    assert_text(r, "1.194");
    assert_true(fxrate_adjust_bp(R("0.8305804"), 25, MONEY_ROUND_UP, &r));
    assert_text(r, "0.832656851"); /* exact: no rounding needed */
    assert_true(fxrate_adjust_bp(R("3"), 0, MONEY_ROUND_UP, &r));
    assert_text(r, "3");
    assert_true(fxrate_invert(R("1.2"), MONEY_ROUND_DOWN, &r));
    assert_text(r, "0.833333333333333333");
    assert_true(fxrate_invert(R("0.8"), MONEY_ROUND_DOWN, &r));
    assert_text(r, "1.25");

    assert_int_equal(fxrate_cmp(R("7.78"), R("7.7800000001")), -1);
    assert_int_equal(fxrate_cmp(R("7.78"), R("7.780")), 0);
    assert_int_equal(fxrate_cmp(R("10"), R("9.99999999999999999")), 1);
}

/* xorshift64*: a fixed sequence, so a failure repeats. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static u128 p10(int n)
{
    u128 p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

/* out = round(amount * units * 10^to / 10^(scale + from)): check
 * out * D <= N < (out + 1) * D for DOWN and (out - 1) * D < N <= out * D for UP. */
static void test_property_random(void **state)
{
    (void)state;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 20000; i++) {
        int from = (int)(rnd(&seed) % 9), to = (int)(rnd(&seed) % 9);
        int64_t amount = (int64_t)(rnd(&seed) % 1000000000000ULL) + 1;
        struct fxrate r = {.units = (int64_t)(rnd(&seed) % 999999999999999999ULL) + 1,
                           .scale = (int)(rnd(&seed) % 19)};
        while (r.scale > 0 && r.units % 10 == 0)
            r.units /= 10, r.scale--;
        int64_t down = 0, up = 0;
        int rc = fxrate_convert(amount, from, r, to, MONEY_ROUND_DOWN, &down);
        u128 n = (u128)amount * (u128)r.units * p10(to), d = p10(r.scale + from);
        if (rc == 0) {
            assert_int_equal(fxrate_convert(amount, from, r, to, MONEY_ROUND_UP, &up), 0);
            assert_true((u128)down * d <= n && n < ((u128)down + 1) * d);
            assert_true((u128)up * d >= n && ((u128)up - 1) * d < n);
        } else {
            assert_int_equal(rc, -FG_EOVERFLOW);
            assert_true(n / d > (u128)INT64_MAX);
        }
        /* The inverse: amount * 10^(scale + to) / (units * 10^from). */
        rc = fxrate_convert_inverse(amount, from, r, to, MONEY_ROUND_DOWN, &down);
        n = (u128)amount * p10(r.scale + to);
        d = (u128)r.units * p10(from);
        if (rc == 0)
            assert_true((u128)down * d <= n && n < ((u128)down + 1) * d);
        else
            assert_true(n / d > (u128)INT64_MAX);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_format),
        cmocka_unit_test(test_money_bridge),
        cmocka_unit_test(test_convert_vendor_example),
        cmocka_unit_test(test_convert_rounding_modes),
        cmocka_unit_test(test_convert_limits),
        cmocka_unit_test(test_ratio_mid_adjust_invert),
        cmocka_unit_test(test_property_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
