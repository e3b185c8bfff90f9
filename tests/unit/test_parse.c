/*
 * test_parse.c - unit tests of core/parse: the strict integer reader every
 * query, path and cursor integer goes through.
 *
 * Table-driven: each row is one input; a failing row prints its index. A
 * refusal must leave the output untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/errors.h"
#include "core/parse.h"

#define UNTOUCHED ((int64_t)0x5A5A5A5A5A5A5A5ALL)

struct int_case {
    const char *s;
    size_t len; /* 0: strlen(s) */
    int64_t min, max;
    int rc;
    int64_t want; /* when rc == 0 */
};

static const struct int_case int_cases[] = {
    /* accepted */
    {"0", 0, 0, INT64_MAX, 0, 0},
    {"26", 0, 0, INT64_MAX, 0, 26},
    {"007", 0, 0, INT64_MAX, 0, 7},
    {"9223372036854775807", 0, 0, INT64_MAX, 0, INT64_MAX}, /* exactly the max */
    {"0000000000000000001", 0, 0, INT64_MAX, 0, 1},         /* 19 digits */
    {"1000", 0, 1, 1000, 0, 1000},                          /* the range's top */
    {"1", 0, 1, 1000, 0, 1},                                /* and bottom */
    {"12x", 2, 0, INT64_MAX, 0, 12},                        /* only len bytes read */
    /* refused: range */
    {"9223372036854775808", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0}, /* one past: no clamp */
    {"99999999999999999999", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0},
    {"18446744073709551616", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0}, /* 2^64: no wrap */
    {"00000000000000000001", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0}, /* 20 digits */
    {"0", 0, 1, 1000, -FG_EBAD_FIELD, 0},
    {"1001", 0, 1, 1000, -FG_EBAD_FIELD, 0},
    /* refused: not digits */
    {"", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0},
    {"+26", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0},
    {"-26", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0},
    {"-0", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0},
    {" 26", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0}, /* what "%2026" decodes to */
    {"26 ", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0},
    {"\t26", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0},
    {"%2026", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0},
    {"0x1a", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0},
    {"1e3", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0},
    {"2.0", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0},
    {"2,000", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0},
    {"\xd9\xa3", 0, 0, INT64_MAX, -FG_EBAD_FIELD, 0}, /* ARABIC-INDIC DIGIT THREE */
    {"2\0"
     "6",
     3, 0, INT64_MAX, -FG_EBAD_FIELD, 0}, /* a NUL inside the bytes */
};

static void test_int_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(int_cases) / sizeof(int_cases[0]); i++) {
        const struct int_case *c = &int_cases[i];
        size_t len = c->len ? c->len : strlen(c->s);
        int64_t v = UNTOUCHED;
        int rc = parse_int64_digits(c->s, len, c->min, c->max, &v);
        if (rc != c->rc || (rc == 0 && v != c->want) || (rc != 0 && v != UNTOUCHED)) {
            fprintf(stderr, "row %zu (\"%s\"): rc %d v %lld\n", i, c->s, rc, (long long)v);
            fail();
        }
    }
}

static void test_text(void **state)
{
    (void)state;
    int64_t v = UNTOUCHED;
    assert_int_equal(parse_int64_text(NULL, 0, 10, &v), -FG_EBAD_FIELD);
    assert_int_equal(parse_int64_text("", 0, 10, &v), -FG_EBAD_FIELD);
    assert_int_equal(v, UNTOUCHED);
    assert_int_equal(parse_int64_text("10", 0, 10, &v), 0);
    assert_int_equal(v, 10);
    /* Longer than 19 characters is refused without reading it all. */
    char longer[4096];
    memset(longer, '1', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    v = UNTOUCHED;
    assert_int_equal(parse_int64_text(longer, 0, INT64_MAX, &v), -FG_EBAD_FIELD);
    assert_int_equal(v, UNTOUCHED);
    assert_int_equal(parse_int64_text("9223372036854775807", 0, INT64_MAX, &v), 0);
    assert_int_equal(v, INT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_table),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
