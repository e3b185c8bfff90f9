/*
 * test_jsonx.c - the fixed-shape answer buffer gives the same bytes as
 * jansson's compact dump (a replay re-dumps what the first answer wrote as
 * text), refuses non-ASCII and never truncates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/jsonx.h"

static void same_as_jansson(const char *s, int64_t v)
{
    char mem[512];
    struct jsonx_buf b;
    jsonx_buf_init(&b, mem, sizeof(mem));
    jsonx_buf_lit(&b, "{\"s\":");
    jsonx_buf_str(&b, s);
    jsonx_buf_lit(&b, ",\"v\":");
    jsonx_buf_int(&b, v);
    jsonx_buf_lit(&b, "}");
    assert_false(b.failed);
    json_t *o = json_pack("{s:s,s:I}", "s", s, "v", (json_int_t)v);
    size_t len = 0;
    char *want = jsonx_dump(o, &len);
    assert_int_equal(b.len, len);
    assert_string_equal(mem, want);
    free(want);
    json_decref(o);
}

static void test_buf_matches_jansson(void **state)
{
    (void)state;
    same_as_jansson("", 0);
    same_as_jansson("plain text 1.00", -1);
    same_as_jansson("quote \" backslash \\ slash /", INT64_MAX);
    same_as_jansson("tab\t nl\n cr\r bs\b ff\f", INT64_MIN);
    same_as_jansson("ctl \x01 \x1f del \x7f", 42);
    char all[128];
    for (int i = 1; i < 128; i++)
        all[i - 1] = (char)i;
    all[127] = '\0';
    same_as_jansson(all, 7);
}

static void test_buf_refuses(void **state)
{
    (void)state;
    char mem[16];
    struct jsonx_buf b;
    jsonx_buf_init(&b, mem, sizeof(mem));
    jsonx_buf_str(&b, "caf\xc3\xa9");
    assert_true(b.failed); /* non-ASCII: jansson must validate it */
    jsonx_buf_init(&b, mem, sizeof(mem));
    jsonx_buf_lit(&b, "0123456789");
    assert_false(b.failed);
    jsonx_buf_lit(&b, "0123456789");
    assert_true(b.failed); /* would not fit: failed, never cut */
    assert_int_equal(b.len, 10);
    assert_string_equal(mem, "0123456789");
}

/* jansson 2.14 reads `{"a":1}\0{"b":2}` as {"a":1}: a body with a NUL byte,
 * after the object or inside it, is not JSON and is refused whole. */
static void test_parse_refuses_nul(void **state)
{
    (void)state;
    json_t *o = NULL;
    struct fg_err err = {0};
    static const char after[] = "{\"a\":1}\0{\"b\":2}";
    assert_int_equal(jsonx_parse_object(after, sizeof(after) - 1, &o, &err), -FG_EBAD_JSON);
    assert_null(o);
    assert_non_null(strstr(err.msg, "NUL byte at offset 7"));
    static const char inside[] = "{\"a\":null\0}";
    assert_int_equal(jsonx_parse_object(inside, sizeof(inside) - 1, &o, &err), -FG_EBAD_JSON);
    assert_int_equal(jsonx_parse_object(after, 7, &o, &err), 0); /* the same object, no NUL */
    assert_non_null(o);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_matches_jansson),
        cmocka_unit_test(test_buf_refuses),
        cmocka_unit_test(test_parse_refuses_nul),
    };
    return cmocka_run_group_tests_name("jsonx", tests, NULL, NULL);
}
