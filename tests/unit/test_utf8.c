/*
 * test_utf8.c - UTF-8 validity by RFC 3629's table (overlongs, surrogates,
 * beyond U+10FFFF, cut sequences), lengths in characters, log prefixes that
 * never split a character, and the JSON repair: what jansson refused parses
 * afterwards with U+FFFD in place, and its output is always valid UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/utf8.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_valid(void **state)
{
    (void)state;
    assert_true(utf8_valid(S("")));
    assert_true(utf8_valid(S("plain ascii\n")));
    assert_true(utf8_valid(S("\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80")));
    assert_true(utf8_valid(S("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf 中文 😀")));
    static const char *const bad[] = {"\x80",             /* lone continuation */
                                      "\xc0\x80",         /* overlong NUL */
                                      "\xc1\xbf",         /* overlong */
                                      "\xe0\x80\x80",     /* overlong */
                                      "\xe0\x9f\xbf",     /* overlong */
                                      "\xed\xa0\x80",     /* surrogate U+D800 */
                                      "\xed\xbf\xbf",     /* surrogate U+DFFF */
                                      "\xf0\x80\x80\x80", /* overlong */
                                      "\xf4\x90\x80\x80", /* U+110000 */
                                      "\xf5\x80\x80\x80", /* lead beyond F4 */
                                      "\xff",
                                      "\xe4\xb8",     /* cut */
                                      "\xe4\x41\x41", /* bad continuation */
                                      NULL};
    for (int i = 0; bad[i]; i++)
        assert_false(utf8_valid(bad[i], strlen(bad[i])));
    assert_int_equal(utf8_seq_len(S("\xe4\xb8\xad")), 3);
    assert_int_equal(utf8_seq_len("\xe4\xb8\xad", 2), 0); /* n cuts it */
}

static void test_lengths(void **state)
{
    (void)state;
    assert_int_equal(utf8_chars(S("abc")), 3);
    assert_int_equal(utf8_chars(S("中文字")), 3);
    assert_int_equal(utf8_chars(S("a😀b")), 3);
    /* Prefixes never split a character. */
    assert_int_equal(utf8_prefix_bytes(S("中文字"), 2), 6);
    assert_int_equal(utf8_prefix_bytes(S("中文字"), 0), 0);
    assert_int_equal(utf8_prefix_bytes(S("中文字"), 9), 9);
    assert_int_equal(utf8_prefix_bytes(S("ab😀c"), 3), 6);
    assert_true(utf8_has_replacement(S("x\xef\xbf\xbdy")));
    assert_false(utf8_has_replacement(S("xy\xef\xbf")));
}

/* Repair text, parse it, return the string at key (static buffer). */
static const char *repaired_field(const char *text, size_t n, const char *key, bool want_changed)
{
    static char buf[256];
    char *out = NULL;
    size_t out_n = 0;
    bool changed = false;
    assert_int_equal(utf8_json_repair(text, n, &out, &out_n, &changed), 0);
    assert_int_equal(changed, want_changed);
    assert_true(utf8_valid(out, out_n));
    json_t *j = json_loadb(out, out_n, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(j);
    snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(j, key)));
    json_decref(j);
    free(out);
    return buf;
}

static void test_json_repair(void **state)
{
    (void)state;
    /* Valid text is left alone, escapes included. */
    const char ok[] = "{\"a\":\"x\\\"\\\\\\u00e9\\ud83d\\ude00\",\"b\":1}";
    assert_string_equal(repaired_field(S(ok), "a", false), "x\"\\é😀");
    /* A bad byte in a string: jansson refuses, the repair puts U+FFFD there. */
    const char bad[] = "{\"cancelRemark\":\"ab\xff\xfe"
                       "cd\",\"n\":\"x\"}";
    assert_null(json_loadb(bad, sizeof(bad) - 1, 0, NULL));
    assert_string_equal(repaired_field(S(bad), "cancelRemark", true),
                        "ab" UTF8_REPLACEMENT UTF8_REPLACEMENT "cd");
    /* A surrogate encoded as UTF-8 bytes, an overlong form. */
    assert_string_equal(repaired_field(S("{\"m\":\"\xed\xa0\x80!\"}"), "m", true),
                        UTF8_REPLACEMENT UTF8_REPLACEMENT UTF8_REPLACEMENT "!");
    /* Escapes jansson refuses: a lone high or low surrogate, \u0000. */
    assert_string_equal(repaired_field(S("{\"m\":\"a\\ud800b\"}"), "m", true),
                        "a" UTF8_REPLACEMENT "b");
    assert_string_equal(repaired_field(S("{\"m\":\"a\\udc00\"}"), "m", true), "a" UTF8_REPLACEMENT);
    assert_string_equal(repaired_field(S("{\"m\":\"\\ud800\\u0041\"}"), "m", true),
                        UTF8_REPLACEMENT "A");
    assert_string_equal(repaired_field(S("{\"m\":\"a\\u0000b\"}"), "m", true),
                        "a" UTF8_REPLACEMENT "b");
    /* An escaped backslash before 'u' is not an escape of its own. */
    assert_string_equal(repaired_field(S("{\"m\":\"\\\\ud800\"}"), "m", false), "\\ud800");
    /* The other fields are intact. */
    assert_string_equal(repaired_field(S(bad), "n", true), "x");
}

/* Property: whatever the bytes, the output is valid UTF-8, no longer than 3n,
 * and a valid input comes back unchanged. */
static void test_json_repair_random(void **state)
{
    (void)state;
    unsigned seed = 12345;
    static const char alphabet[] =
        "\"\\u0123456789abcdefABCDEFd8dc{}:, \x80\xbf\xc3\xa9\xed\xf0\xff";
    for (int round = 0; round < 20000; round++) {
        char in[48];
        size_t n = (size_t)(rand_r(&seed) % sizeof(in));
        for (size_t i = 0; i < n; i++)
            in[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
        char *out = NULL;
        size_t out_n = 0;
        bool changed = false;
        assert_int_equal(utf8_json_repair(in, n, &out, &out_n, &changed), 0);
        assert_true(out_n <= 3 * n);
        assert_true(utf8_valid(out, out_n));
        if (!changed) {
            assert_int_equal(out_n, n);
            assert_memory_equal(out, in, n);
        }
        free(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_json_repair),
        cmocka_unit_test(test_json_repair_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
