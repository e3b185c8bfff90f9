/*
 * test_money.c - unit tests of core/money: strict parsing, formatting,
 * checked arithmetic, every rounding mode, rates, conversions, basis points.
 *
 * Table-driven: each table row is one case, and a failing row prints its index
 * and input. Errors are checked for code, message and an untouched output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/money.h"

#define UNTOUCHED ((int64_t)0x5A5A5A5A5A5A5A5ALL)

/* ---- amount parsing ---- */

struct parse_case {
    const char *s;
    size_t len; /* 0: strlen(s) */
    int digits;
    bool ok;
    int64_t want;      /* when ok */
    const char *error; /* substring of the message when not ok */
};

static const struct parse_case parse_cases[] = {
    /* accepted */
    {"0", 0, 2, true, 0, NULL},
    {"0", 0, 0, true, 0, NULL},
    {"100", 0, 2, true, 10000, NULL},
    {"100.2", 0, 2, true, 10020, NULL},
    {"100.25", 0, 2, true, 10025, NULL},
    {"0.01", 0, 2, true, 1, NULL},
    {"0.00", 0, 2, true, 0, NULL},
    {"007.50", 0, 2, true, 750, NULL}, /* leading zeros are accepted */
    {"5", 0, 0, true, 5, NULL},        /* JPY */
    {"1.5", 0, 3, true, 1500, NULL},   /* BHD */
    {"0.000001", 0, 6, true, 1, NULL}, /* USDT */
    {"0.00000001", 0, 8, true, 1, NULL},
    {"1.5", 0, 8, true, 150000000, NULL},
    {"21000000", 0, 8, true, 2100000000000000, NULL},
    {"999999999999999999", 0, 0, true, 999999999999999999, NULL},
    {"000000000000000000", 0, 0, true, 0, NULL},
    {"92233720368547758.07", 0, 2, true, INT64_MAX, NULL},
    {"92233720368.54775807", 0, 8, true, INT64_MAX, NULL},
    {"123", 2, 0, true, 12, NULL}, /* only len bytes are read */
    /* refused: syntax */
    {"", 0, 2, false, 0, "amount is empty"},
    {"1e3", 0, 2, false, 0, "not a decimal number"},
    {"-1", 0, 2, false, 0, "must not have a sign"},
    {"+1", 0, 2, false, 0, "must not have a sign"},
    {" 1", 0, 2, false, 0, "not a decimal number"},
    {"1 ", 0, 2, false, 0, "not a decimal number"},
    {".5", 0, 2, false, 0, "no digits before the decimal point"},
    {"1.", 0, 2, false, 0, "no digits after the decimal point"},
    {"1..0", 0, 2, false, 0, "not a decimal number"},
    {"1.0.0", 0, 2, false, 0, "not a decimal number"},
    {"0x10", 0, 2, false, 0, "not a decimal number"},
    {"1,00", 0, 2, false, 0, "not a decimal number"},
    {"\xef\xbc\x91", 0, 2, false, 0, "not a decimal number"}, /* U+FF11 FULLWIDTH ONE */
    {"1\xef\xbc\x91", 0, 2, false, 0, "not a decimal number"},
    {"1\0", 2, 2, false, 0, "not a decimal number"}, /* embedded NUL */
    /* refused: fraction digits */
    {"1.001", 0, 2, false, 0, "amount has more than 2 fraction digits"},
    {"1.000", 0, 2, false, 0, "amount has more than 2 fraction digits"},
    {"5.0", 0, 0, false, 0, "amount has more than 0 fraction digits"},
    {"1.123456789", 0, 8, false, 0, "amount has more than 8 fraction digits"},
    /* refused: size */
    {"1000000000000000000", 0, 0, false, 0, "more than 18 integer digits"},
    {"0000000000000000000", 0, 0, false, 0, "more than 18 integer digits"},
    {"9223372036854775807", 0, 0, false, 0, "more than 18 integer digits"},
    {"99999999999999999999999", 0, 2, false, 0, "more than 18 integer digits"},
    {"92233720368547758.08", 0, 2, false, 0, "amount too large"},
    {"999999999999999999", 0, 2, false, 0, "amount too large"},
    {"92233720368.54775808", 0, 8, false, 0, "amount too large"},
};

static void test_amount_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        size_t len = c->len ? c->len : strlen(c->s);
        struct fg_err err = {0};
        int64_t out = UNTOUCHED;
        int rc = money_amount_parse(c->s, len, c->digits, &out, &err);

        print_message("parse case %zu: \"%s\" digits %d\n", i, c->s, c->digits);
        if (c->ok) {
            assert_int_equal(rc, 0);
            assert_int_equal(out, c->want);
        } else {
            assert_int_equal(rc, -FG_EBAD_AMOUNT);
            assert_int_equal(err.code, -FG_EBAD_AMOUNT);
            assert_non_null(strstr(err.msg, c->error));
            assert_int_equal(out, UNTOUCHED);
        }
    }
}

static void test_amount_parse_null_err(void **state)
{
    int64_t out = UNTOUCHED;

    (void)state;
    assert_int_equal(money_amount_parse("1.001", 5, 2, &out, NULL), -FG_EBAD_AMOUNT);
    assert_int_equal(out, UNTOUCHED);
}

/* ---- amount formatting ---- */

struct format_case {
    int64_t v;
    int digits;
    const char *want;
};

static const struct format_case format_cases[] = {
    {0, 2, "0.00"},
    {1, 2, "0.01"},
    {-1, 2, "-0.01"},
    {10, 2, "0.10"},
    {10025, 2, "100.25"},
    {-10025, 2, "-100.25"},
    {10000, 2, "100.00"},
    {0, 0, "0"},
    {5, 0, "5"},
    {-5, 0, "-5"},
    {1500, 3, "1.500"},
    {1, 8, "0.00000001"},
    {-150000000, 8, "-1.50000000"},
    {INT64_MAX, 2, "92233720368547758.07"},
    {INT64_MIN, 2, "-92233720368547758.08"},
    {INT64_MAX, 0, "9223372036854775807"},
    {INT64_MIN, 0, "-9223372036854775808"},
    {INT64_MIN, 8, "-92233720368.54775808"},
    {INT64_MIN, 18, "-9.223372036854775808"},
    {1, 18, "0.000000000000000001"},
};

static void test_amount_format_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
        const struct format_case *c = &format_cases[i];
        char buf[MONEY_FORMAT_BYTES_MAX];
        size_t n;

        memset(buf, 'x', sizeof(buf));
        n = money_amount_format(c->v, c->digits, buf, sizeof(buf));
        print_message("format case %zu: want %s\n", i, c->want);
        assert_string_equal(buf, c->want);
        assert_int_equal(n, strlen(c->want));
    }
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rng_next(void)
{
    /* xorshift64: deterministic, so a failure reproduces */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void round_trip(int64_t v, int digits)
{
    char buf[MONEY_FORMAT_BYTES_MAX];
    size_t n = money_amount_format(v, digits, buf, sizeof(buf));
    int64_t back = UNTOUCHED;
    struct fg_err err = {0};

    if (v >= 0) {
        assert_int_equal(money_amount_parse(buf, n, digits, &back, &err), 0);
        assert_int_equal(back, v);
    } else {
        /* The parser takes no sign; the magnitude must still round-trip. */
        assert_int_equal(buf[0], '-');
        assert_int_equal(money_amount_parse(buf, n, digits, &back, &err), -FG_EBAD_AMOUNT);
        assert_int_equal(money_amount_parse(buf + 1, n - 1, digits, &back, &err), 0);
        assert_int_equal(back, -v);
    }
}

static void test_amount_round_trip(void **state)
{
    static const int digit_set[] = {0, 2, 3, 6, 8};

    (void)state;
    for (size_t d = 0; d < sizeof(digit_set) / sizeof(digit_set[0]); d++) {
        int digits = digit_set[d];
        /* With 0 digits, 19-digit values are outside the 18-digit grammar. */
        uint64_t max = digits == 0 ? 999999999999999999ULL : (uint64_t)INT64_MAX;
        int64_t edges[] = {
            0, 1, 9, 10, 99, 100, (int64_t)max, (int64_t)max - 1, -1, -100, -(int64_t)max};

        for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
            round_trip(edges[i], digits);
        for (int i = 0; i < 2000; i++) {
            uint64_t r = rng_next();
            /* Spread over magnitudes, not only huge values. */
            uint64_t v = (r >> 8) % (max >> (r & 63) | 1);
            round_trip((int64_t)v, digits);
            round_trip(-(int64_t)v, digits);
        }
    }
}

/* ---- checked arithmetic ---- */

enum op { OP_ADD, OP_SUB, OP_MUL };

struct arith_case {
    enum op op;
    int64_t a;
    int64_t b;
    bool ok;
    int64_t want;
};

static const struct arith_case arith_cases[] = {
    {OP_ADD, 1, 2, true, 3},
    {OP_ADD, INT64_MAX, 0, true, INT64_MAX},
    {OP_ADD, INT64_MAX, 1, false, 0},
    {OP_ADD, INT64_MIN, -1, false, 0},
    {OP_ADD, INT64_MIN, INT64_MAX, true, -1},
    {OP_ADD, INT64_MAX, INT64_MAX, false, 0},
    {OP_SUB, 5, 7, true, -2},
    {OP_SUB, INT64_MIN, 1, false, 0},
    {OP_SUB, 0, INT64_MIN, false, 0},
    {OP_SUB, -1, INT64_MAX, true, INT64_MIN},
    {OP_SUB, INT64_MAX, -1, false, 0},
    {OP_MUL, 6, 7, true, 42},
    {OP_MUL, INT64_MAX, 2, false, 0},
    {OP_MUL, INT64_MIN, -1, false, 0},
    {OP_MUL, INT64_MIN, 1, true, INT64_MIN},
    {OP_MUL, -1, INT64_MAX, true, -INT64_MAX},
    {OP_MUL, 3037000499, 3037000499, true, 9223372030926249001},
    {OP_MUL, 3037000500, 3037000500, false, 0},
    {OP_MUL, -3037000500, 3037000500, false, 0},
};

static void test_arith_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(arith_cases) / sizeof(arith_cases[0]); i++) {
        const struct arith_case *c = &arith_cases[i];
        int64_t out = UNTOUCHED;
        bool ok = false;

        switch (c->op) {
        case OP_ADD:
            ok = money_add(c->a, c->b, &out);
            break;
        case OP_SUB:
            ok = money_sub(c->a, c->b, &out);
            break;
        case OP_MUL:
            ok = money_mul(c->a, c->b, &out);
            break;
        }
        print_message("arith case %zu\n", i);
        assert_int_equal(ok, c->ok);
        assert_int_equal(out, c->ok ? c->want : UNTOUCHED);
    }
}

static void test_pow10(void **state)
{
    (void)state;
    assert_int_equal(money_pow10(0), 1);
    assert_int_equal(money_pow10(1), 10);
    assert_int_equal(money_pow10(10), MONEY_RATE_SCALE);
    assert_int_equal(money_pow10(18), 1000000000000000000LL);
}

/* ---- rounding ---- */

#define I128(x) ((money_i128)(x))

struct round_case {
    money_i128 num;
    money_i128 den;
    /* want[mode] for DOWN, UP, FLOOR, CEIL, HALF_EVEN; ok[mode] false = overflow */
    int64_t want[5];
    bool ok[5];
};

#define ALL_OK                                                                                     \
    {                                                                                              \
        true, true, true, true, true                                                               \
    }

static const struct round_case round_cases[] = {
    /*                       DOWN UP FLOOR CEIL HALF_EVEN */
    {5, 2, {2, 3, 2, 3, 2}, ALL_OK},
    {-5, 2, {-2, -3, -3, -2, -2}, ALL_OK},
    {5, -2, {-2, -3, -3, -2, -2}, ALL_OK},
    {-5, -2, {2, 3, 2, 3, 2}, ALL_OK},
    {7, 2, {3, 4, 3, 4, 4}, ALL_OK},
    {-7, 2, {-3, -4, -4, -3, -4}, ALL_OK},
    {1, 3, {0, 1, 0, 1, 0}, ALL_OK},
    {-1, 3, {0, -1, -1, 0, 0}, ALL_OK},
    {2, 3, {0, 1, 0, 1, 1}, ALL_OK},
    {-2, 3, {0, -1, -1, 0, -1}, ALL_OK},
    {6, 3, {2, 2, 2, 2, 2}, ALL_OK},
    {-6, 3, {-2, -2, -2, -2, -2}, ALL_OK},
    {0, 7, {0, 0, 0, 0, 0}, ALL_OK},
    {15, 10, {1, 2, 1, 2, 2}, ALL_OK},
    {25, 10, {2, 3, 2, 3, 2}, ALL_OK},
    {26, 10, {2, 3, 2, 3, 3}, ALL_OK},
    {-25, 10, {-2, -3, -3, -2, -2}, ALL_OK},
    {-26, 10, {-2, -3, -3, -2, -3}, ALL_OK},
    /* 2^126 / (2^127 - 1) is just above one half */
    {I128(1) << 126, (I128(1) << 126) - 1 + (I128(1) << 126), {0, 1, 0, 1, 1}, ALL_OK},
    /* int64 edges: (2 * MAX + 1) / 2 = MAX + 0.5 */
    {I128(INT64_MAX) * 2 + 1,
     2,
     {INT64_MAX, 0, INT64_MAX, 0, 0},
     {true, false, true, false, false}},
    /* (2 * MIN - 1) / 2 = MIN - 0.5 */
    {I128(INT64_MIN) * 2 - 1,
     2,
     {INT64_MIN, 0, 0, INT64_MIN, INT64_MIN},
     {true, false, false, true, true}},
    {I128(INT64_MAX) + 1, 1, {0, 0, 0, 0, 0}, {false, false, false, false, false}},
    {I128(INT64_MIN), -1, {0, 0, 0, 0, 0}, {false, false, false, false, false}},
    {I128(INT64_MIN), 1, {INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN}, ALL_OK},
    /* the most negative __int128 divided by -1 must not trap */
    {-(I128(1) << 126) * 2, -1, {0, 0, 0, 0, 0}, {false, false, false, false, false}},
};

static void test_div_round_table(void **state)
{
    static const enum money_round modes[5] = {MONEY_ROUND_DOWN, MONEY_ROUND_UP, MONEY_ROUND_FLOOR,
                                              MONEY_ROUND_CEIL, MONEY_ROUND_HALF_EVEN};

    (void)state;
    for (size_t i = 0; i < sizeof(round_cases) / sizeof(round_cases[0]); i++) {
        const struct round_case *c = &round_cases[i];

        for (int m = 0; m < 5; m++) {
            int64_t out = UNTOUCHED;
            bool ok = money_div_round(c->num, c->den, modes[m], &out);

            print_message("round case %zu mode %d\n", i, m);
            assert_int_equal(ok, c->ok[m]);
            assert_int_equal(out, c->ok[m] ? c->want[m] : UNTOUCHED);
        }
    }
}

/* ---- rates ---- */

struct rate_parse_case {
    const char *s;
    bool ok;
    int64_t want;
    const char *error;
};

static const struct rate_parse_case rate_parse_cases[] = {
    {"7.78", true, 77800000000, NULL},
    {"7.7800", true, 77800000000, NULL},
    {"1", true, MONEY_RATE_SCALE, NULL},
    {"0.3333333333", true, 3333333333, NULL},
    {"0.0000000001", true, 1, NULL},
    {"99999999.9999999999", true, 999999999999999999, NULL},
    {"00000001.5", true, 15000000000, NULL},
    {"0", false, 0, "rate must be greater than zero"},
    {"0.0000000000", false, 0, "rate must be greater than zero"},
    {"100000000", false, 0, "rate has more than 8 integer digits"},
    {"1.00000000001", false, 0, "rate has more than 10 fraction digits"},
    {"", false, 0, "rate is empty"},
    {"-1", false, 0, "must not have a sign"},
    {"+7.78", false, 0, "must not have a sign"},
    {"1e2", false, 0, "not a decimal number"},
    {"1.", false, 0, "no digits after the decimal point"},
    {".5", false, 0, "no digits before the decimal point"},
    {"7.78 ", false, 0, "not a decimal number"},
};

static void test_rate_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rate_parse_cases) / sizeof(rate_parse_cases[0]); i++) {
        const struct rate_parse_case *c = &rate_parse_cases[i];
        struct fg_err err = {0};
        int64_t out = UNTOUCHED;
        int rc = money_rate_parse(c->s, strlen(c->s), &out, &err);

        print_message("rate parse case %zu: \"%s\"\n", i, c->s);
        if (c->ok) {
            assert_int_equal(rc, 0);
            assert_int_equal(out, c->want);
        } else {
            assert_int_equal(rc, -FG_EBAD_FIELD);
            assert_int_equal(err.code, -FG_EBAD_FIELD);
            assert_non_null(strstr(err.msg, c->error));
            assert_int_equal(out, UNTOUCHED);
        }
    }
}

struct rate_format_case {
    int64_t rate;
    int digits;
    const char *want;
};

static const struct rate_format_case rate_format_cases[] = {
    {77800000000, 4, "7.7800"},
    {77800000000, 10, "7.7800000000"},
    {1, 10, "0.0000000001"},
    {15, 9, "0.000000002"}, /* half-even: 1.5 -> 2 */
    {25, 9, "0.000000002"}, /* half-even: 2.5 -> 2 */
    {35, 9, "0.000000004"},
    {26, 9, "0.000000003"},
    {25000000000, 0, "2"},
    {35000000000, 0, "4"},
    {77800000000, 0, "8"},
    {3333333333, 2, "0.33"},
    {999999999999999999, 10, "99999999.9999999999"},
    {999999999999999999, 4, "100000000.0000"},
};

static void test_rate_format_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rate_format_cases) / sizeof(rate_format_cases[0]); i++) {
        const struct rate_format_case *c = &rate_format_cases[i];
        char buf[MONEY_FORMAT_BYTES_MAX];
        size_t n = money_rate_format(c->rate, c->digits, buf, sizeof(buf));

        print_message("rate format case %zu: want %s\n", i, c->want);
        assert_string_equal(buf, c->want);
        assert_int_equal(n, strlen(c->want));
    }
}

static void test_rate_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 2000; i++) {
        int64_t rate = (int64_t)(rng_next() % 999999999999999999ULL) + 1;
        char buf[MONEY_FORMAT_BYTES_MAX];
        size_t n = money_rate_format(rate, MONEY_RATE_DIGITS, buf, sizeof(buf));
        int64_t back = UNTOUCHED;

        assert_int_equal(money_rate_parse(buf, n, &back, NULL), 0);
        assert_int_equal(back, rate);
    }
}

static void test_rate_mid(void **state)
{
    (void)state;
    assert_int_equal(money_rate_mid(77750000000, 77850000000), 77800000000);
    assert_int_equal(money_rate_mid(5, 6), 6); /* 5.5 -> 6 */
    assert_int_equal(money_rate_mid(6, 7), 6); /* 6.5 -> 6 */
    assert_int_equal(money_rate_mid(7, 8), 8); /* 7.5 -> 8 */
    assert_int_equal(money_rate_mid(4, 4), 4);
    assert_int_equal(money_rate_mid(INT64_MAX, INT64_MAX), INT64_MAX); /* no overflow */
    assert_int_equal(money_rate_mid(INT64_MAX - 1, INT64_MAX), INT64_MAX - 1);
}

/* ---- conversions ---- */

struct convert_case {
    bool inverse;
    int64_t amount;
    int from_digits;
    int64_t rate;
    int to_digits;
    enum money_round mode;
    int rc;
    int64_t want;
};

#define USDHKD 77800000000LL      /* 7.78 */
#define THIRD 3333333333LL        /* 0.3333333333 */
#define USDJPY 1502500000000LL    /* 150.25 */
#define JPYUSD 66555740LL         /* 0.0066555740 */
#define BTCUSD 654321000000000LL  /* 65432.1 */
#define BTCJPY 100000000000000000 /* 10000000 */

static const struct convert_case convert_cases[] = {
    /* 100.00 USD at 7.78 -> 778.00 HKD, exact in every mode */
    {false, 10000, 2, USDHKD, 2, MONEY_ROUND_DOWN, 0, 77800},
    {false, 10000, 2, USDHKD, 2, MONEY_ROUND_UP, 0, 77800},
    {true, 77800, 2, USDHKD, 2, MONEY_ROUND_DOWN, 0, 10000},
    {true, 77800, 2, USDHKD, 2, MONEY_ROUND_UP, 0, 10000},
    /* 1.00 at 0.3333333333: the customer receives DOWN, pays UP */
    {false, 100, 2, THIRD, 2, MONEY_ROUND_DOWN, 0, 33},
    {false, 100, 2, THIRD, 2, MONEY_ROUND_UP, 0, 34},
    {false, 100, 2, THIRD, 2, MONEY_ROUND_HALF_EVEN, 0, 33},
    {false, -100, 2, THIRD, 2, MONEY_ROUND_DOWN, 0, -33},
    {false, -100, 2, THIRD, 2, MONEY_ROUND_UP, 0, -34},
    {false, -100, 2, THIRD, 2, MONEY_ROUND_FLOOR, 0, -34},
    {false, -100, 2, THIRD, 2, MONEY_ROUND_CEIL, 0, -33},
    /* 1.00 at 1/3 inverted: 3.0000000003 */
    {true, 100, 2, THIRD, 2, MONEY_ROUND_DOWN, 0, 300},
    {true, 100, 2, THIRD, 2, MONEY_ROUND_UP, 0, 301},
    /* USD (2) -> JPY (0) at 150.25 */
    {false, 10000, 2, USDJPY, 0, MONEY_ROUND_DOWN, 0, 15025},
    {false, 1, 2, USDJPY, 0, MONEY_ROUND_DOWN, 0, 1}, /* 1.5025 */
    {false, 1, 2, USDJPY, 0, MONEY_ROUND_UP, 0, 2},
    {false, 1, 2, USDJPY, 0, MONEY_ROUND_HALF_EVEN, 0, 2},
    /* JPY (0) -> USD (2) at 0.0066555740: 99.99999935 */
    {false, 15025, 0, JPYUSD, 2, MONEY_ROUND_DOWN, 0, 9999},
    {false, 15025, 0, JPYUSD, 2, MONEY_ROUND_UP, 0, 10000},
    /* JPY (0) -> USD (2) by dividing by USDJPY */
    {true, 15025, 0, USDJPY, 2, MONEY_ROUND_DOWN, 0, 10000},
    {true, 1, 0, USDJPY, 2, MONEY_ROUND_DOWN, 0, 0}, /* 0.0066... */
    {true, 1, 0, USDJPY, 2, MONEY_ROUND_UP, 0, 1},
    {true, 15026, 0, USDJPY, 2, MONEY_ROUND_DOWN, 0, 10000}, /* 100.00665... */
    {true, 15026, 0, USDJPY, 2, MONEY_ROUND_UP, 0, 10001},
    /* USD (2) -> JPY (0) by dividing by JPYUSD: 15025.0000976... */
    {true, 10000, 2, JPYUSD, 0, MONEY_ROUND_DOWN, 0, 15025},
    {true, 10000, 2, JPYUSD, 0, MONEY_ROUND_UP, 0, 15026},
    {true, 1, 2, JPYUSD, 0, MONEY_ROUND_DOWN, 0, 1}, /* 1.5025... */
    {true, 1, 2, JPYUSD, 0, MONEY_ROUND_HALF_EVEN, 0, 2},
    /* BTC (8) -> JPY (0) by dividing by a JPY-to-BTC rate of 0.0000001 */
    {true, 100000000, 8, 1000, 0, MONEY_ROUND_DOWN, 0, 10000000},
    /* BTC (8) -> USD (2) at 65432.1 */
    {false, 100000000, 8, BTCUSD, 2, MONEY_ROUND_DOWN, 0, 6543210},
    {false, 1, 8, BTCUSD, 2, MONEY_ROUND_DOWN, 0, 0}, /* 0.000654321 */
    {false, 1, 8, BTCUSD, 2, MONEY_ROUND_UP, 0, 1},
    /* USD (2) -> BTC (8) dividing by 65432.1 */
    {true, 6543210, 2, BTCUSD, 8, MONEY_ROUND_DOWN, 0, 100000000},
    {true, 1, 2, BTCUSD, 8, MONEY_ROUND_DOWN, 0, 15}, /* 15.28... sat */
    {true, 1, 2, BTCUSD, 8, MONEY_ROUND_UP, 0, 16},
    /* BTC (8) -> JPY (0) at 10000000 */
    {false, 100000000, 8, BTCJPY, 0, MONEY_ROUND_DOWN, 0, 10000000},
    {false, 1, 8, BTCJPY, 0, MONEY_ROUND_DOWN, 0, 0}, /* 0.1 */
    {false, 1, 8, BTCJPY, 0, MONEY_ROUND_UP, 0, 1},
    {true, 1, 0, BTCJPY, 8, MONEY_ROUND_DOWN, 0, 10}, /* 1 JPY = 10 sat */
    /* edges that fit */
    {false, INT64_MAX, 2, MONEY_RATE_SCALE, 2, MONEY_ROUND_DOWN, 0, INT64_MAX},
    {false, INT64_MIN, 2, MONEY_RATE_SCALE, 2, MONEY_ROUND_UP, 0, INT64_MIN},
    {true, INT64_MAX, 2, MONEY_RATE_SCALE, 2, MONEY_ROUND_DOWN, 0, INT64_MAX},
    /* 92233720368.54775807 at 0.0000000001: 9.22... */
    {false, INT64_MAX, 8, 1, 0, MONEY_ROUND_DOWN, 0, 9},
    {false, INT64_MAX, 8, 1, 0, MONEY_ROUND_UP, 0, 10},
    /* overflow */
    {false, INT64_MAX, 2, 2 * MONEY_RATE_SCALE, 2, MONEY_ROUND_DOWN, -FG_EOVERFLOW, 0},
    {false, INT64_MIN, 2, 2 * MONEY_RATE_SCALE, 2, MONEY_ROUND_DOWN, -FG_EOVERFLOW, 0},
    {false, INT64_MAX, 0, 999999999999999999, 18, MONEY_ROUND_DOWN, -FG_EOVERFLOW, 0},
    {false, 100000000000, 0, MONEY_RATE_SCALE, 8, MONEY_ROUND_DOWN, -FG_EOVERFLOW, 0},
    {true, INT64_MAX, 2, 1, 2, MONEY_ROUND_DOWN, -FG_EOVERFLOW, 0},
    {true, INT64_MAX, 0, 1, 18, MONEY_ROUND_DOWN, -FG_EOVERFLOW, 0},
    {true, INT64_MIN, 0, 1, 18, MONEY_ROUND_DOWN, -FG_EOVERFLOW, 0},
    {true, 1000000000000, 0, 1, 0, MONEY_ROUND_DOWN, -FG_EOVERFLOW, 0},
};

static void test_convert_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(convert_cases) / sizeof(convert_cases[0]); i++) {
        const struct convert_case *c = &convert_cases[i];
        int64_t out = UNTOUCHED;
        int rc;

        if (c->inverse)
            rc = money_convert_inverse(c->amount, c->from_digits, c->rate, c->to_digits, c->mode,
                                       &out);
        else
            rc = money_convert(c->amount, c->from_digits, c->rate, c->to_digits, c->mode, &out);
        print_message("convert case %zu\n", i);
        assert_int_equal(rc, c->rc);
        assert_int_equal(out, c->rc == 0 ? c->want : UNTOUCHED);
    }
}

/* DOWN never exceeds the exact value and UP never falls short, for random
 * conversions: checked by multiplying back in 128 bits. */
static void test_convert_brackets_exact(void **state)
{
    (void)state;
    for (int i = 0; i < 2000; i++) {
        int64_t amount = (int64_t)(rng_next() % 100000000000ULL);
        int64_t rate = (int64_t)(rng_next() % 10000000000000ULL) + 1;
        int64_t down = UNTOUCHED;
        int64_t up = UNTOUCHED;
        /* same digits: exact = amount * rate / 10^10 */
        money_i128 exact_num = (money_i128)amount * rate;

        assert_int_equal(money_convert(amount, 2, rate, 2, MONEY_ROUND_DOWN, &down), 0);
        assert_int_equal(money_convert(amount, 2, rate, 2, MONEY_ROUND_UP, &up), 0);
        assert_true((money_i128)down * MONEY_RATE_SCALE <= exact_num);
        assert_true((money_i128)(down + 1) * MONEY_RATE_SCALE > exact_num);
        assert_true((money_i128)up * MONEY_RATE_SCALE >= exact_num);
        assert_true(up - down <= 1);
        assert_true((up == down) == (exact_num % MONEY_RATE_SCALE == 0));
    }
}

/* ---- basis points ---- */

struct bp_case {
    int64_t amount;
    int64_t bp;
    enum money_round mode;
    int rc;
    int64_t want;
};

static const struct bp_case bp_cases[] = {
    {100000, 10, MONEY_ROUND_UP, 0, 100}, /* 10 bp of 1000.00 = 1.00 */
    {100000, 10, MONEY_ROUND_DOWN, 0, 100},
    {1, 10, MONEY_ROUND_UP, 0, 1}, /* 10 bp of 0.01 is 0.00001: a fee rounds up */
    {1, 10, MONEY_ROUND_DOWN, 0, 0},
    {12345, 1, MONEY_ROUND_UP, 0, 2}, /* 1 bp of 123.45 = 0.012345 */
    {12345, 1, MONEY_ROUND_DOWN, 0, 1},
    {12345, 1, MONEY_ROUND_HALF_EVEN, 0, 1},
    {-1, 10, MONEY_ROUND_UP, 0, -1},
    {-1, 10, MONEY_ROUND_FLOOR, 0, -1},
    {-1, 10, MONEY_ROUND_CEIL, 0, 0},
    {12345, 0, MONEY_ROUND_UP, 0, 0},
    {12345, 10000, MONEY_ROUND_DOWN, 0, 12345},
    {INT64_MAX, 10000, MONEY_ROUND_UP, 0, INT64_MAX},
    {INT64_MIN, 10000, MONEY_ROUND_UP, 0, INT64_MIN},
    {INT64_MAX, 5000, MONEY_ROUND_DOWN, 0, 4611686018427387903},
    {INT64_MAX, 5000, MONEY_ROUND_UP, 0, 4611686018427387904},
    {INT64_MAX, 5000, MONEY_ROUND_HALF_EVEN, 0, 4611686018427387904},
    {100, 5000, MONEY_ROUND_HALF_EVEN, 0, 50},
    {12345, -1, MONEY_ROUND_UP, -FG_EBAD_FIELD, 0},
    {12345, 10001, MONEY_ROUND_UP, -FG_EBAD_FIELD, 0},
};

static void test_basis_points_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bp_cases) / sizeof(bp_cases[0]); i++) {
        const struct bp_case *c = &bp_cases[i];
        int64_t out = UNTOUCHED;
        int rc = money_basis_points(c->amount, c->bp, c->mode, &out);

        print_message("bp case %zu\n", i);
        assert_int_equal(rc, c->rc);
        assert_int_equal(out, c->rc == 0 ? c->want : UNTOUCHED);
    }
}

/* money_text: the one reader of partner amount text (issue 11). */
struct text_case {
    const char *s;
    bool negative_ok;
    int rc;     /* of money_text_read */
    int digits; /* for money_text_minor */
    bool zeros_ok;
    int minor_rc;
    int64_t want;
    const char *canon;
};

static const struct text_case text_cases[] = {
    {"100", false, 0, 2, false, 0, 10000, "100"},
    {"0100.50", false, 0, 2, false, 0, 10050, "100.5"},
    {"100.00", false, 0, 0, true, 0, 100, "100"}, /* zeros beyond the currency: JPY */
    {"100.50", false, 0, 0, true, -FG_EBAD_AMOUNT, 0, "100.5"},
    {"100.00", false, 0, 0, false, -FG_EBAD_AMOUNT, 0, "100"}, /* Funds: refused (110216) */
    {"-2.5", true, 0, 2, false, 0, -250, "-2.5"},
    {"-0.0", true, 0, 2, false, 0, 0, "-0"},
    {"-2.5", false, -FG_EBAD_AMOUNT, 0, false, 0, 0, NULL},
    {"1e3", true, -FG_EBAD_AMOUNT, 0, false, 0, 0, NULL},
    {" 1", true, -FG_EBAD_AMOUNT, 0, false, 0, 0, NULL},
    {"1.", true, -FG_EBAD_AMOUNT, 0, false, 0, 0, NULL},
    {"-", true, -FG_EBAD_AMOUNT, 0, false, 0, 0, NULL},
    {"", true, -FG_EBAD_AMOUNT, 0, false, 0, 0, NULL},
    {"+1", true, -FG_EBAD_AMOUNT, 0, false, 0, 0, NULL},
    {"1234567890123456789", true, -FG_EBAD_AMOUNT, 0, false, 0, 0, NULL}, /* 19 digits */
    {"999999999999999999", false, 0, 2, false, -FG_EBAD_AMOUNT, 0, "999999999999999999"},
    {"92233720368547758.07", false, 0, 2, false, 0, INT64_MAX, "92233720368547758.07"},
    {"1.0000000000000000000000", false, 0, 2, true, 0, 100, "1"}, /* 39 bytes */
    {"1.00000000000000000000000000000000000000", false, -FG_EBAD_AMOUNT, 0, false, 0, 0,
     NULL}, /* 40 */
};

static void test_money_text(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
        const struct text_case *c = &text_cases[i];
        struct money_text t;
        struct fg_err err = {0};
        int rc = money_text_read(c->s, strlen(c->s), c->negative_ok, &t, &err);
        if (rc != c->rc)
            fail_msg("case %zu '%s': read %d, want %d (%s)", i, c->s, rc, c->rc, err.msg);
        if (rc < 0) {
            assert_true(err.msg[0] != '\0');
            continue;
        }
        char canon[MONEY_TEXT_BYTES_MAX];
        money_text_canon(&t, canon, sizeof(canon));
        assert_string_equal(canon, c->canon);
        assert_string_equal(t.text, c->s);
        int64_t v = 7;
        rc = money_text_minor(&t, c->digits, c->zeros_ok, &v, &err);
        if (rc != c->minor_rc || (rc == 0 && v != c->want))
            fail_msg("case %zu '%s': minor %d %lld, want %d %lld", i, c->s, rc, (long long)v,
                     c->minor_rc, (long long)c->want);
        if (rc < 0)
            assert_int_equal(v, 7); /* untouched */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amount_parse_table),
        cmocka_unit_test(test_amount_parse_null_err),
        cmocka_unit_test(test_amount_format_table),
        cmocka_unit_test(test_amount_round_trip),
        cmocka_unit_test(test_arith_table),
        cmocka_unit_test(test_pow10),
        cmocka_unit_test(test_div_round_table),
        cmocka_unit_test(test_rate_parse_table),
        cmocka_unit_test(test_rate_format_table),
        cmocka_unit_test(test_rate_round_trip),
        cmocka_unit_test(test_rate_mid),
        cmocka_unit_test(test_convert_table),
        cmocka_unit_test(test_convert_brackets_exact),
        cmocka_unit_test(test_basis_points_table),
        cmocka_unit_test(test_money_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
