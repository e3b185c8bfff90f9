/*
 * test_reqhash.c - core/reqhash: the one canonical form of a request's
 * defining content (issue 11). The fast writer and jansson must give the
 * same bytes, key order and spacing must not matter, and the form must stay
 * what records already hold (a change would turn every replay into a
 * conflict).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/crypto.h"
#include "core/reqhash.h"

/* SHA-256 of jansson's compact, key-sorted text of [tag, fields...]. */
static void reference(json_t *obj, const char *tag, const char *const fields[], uint8_t out[32])
{
    json_t *a = json_array();
    if (tag)
        json_array_append_new(a, json_string(tag));
    for (int i = 0; fields[i]; i++) {
        json_t *v = json_object_get(obj, fields[i]);
        json_array_append(a, v ? v : json_null());
    }
    char *text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    fg_sha256(text, strlen(text), out);
    free(text);
    json_decref(a);
}

static const char *const fields[] = {"a", "b", "c", "d", NULL};

static void check(const char *body, const char *tag)
{
    json_t *obj = json_loads(body, 0, NULL);
    assert_non_null(obj);
    uint8_t got[32], want[32];
    assert_int_equal(reqhash_fields(obj, tag, fields, got), 0);
    reference(obj, tag, fields, want);
    assert_memory_equal(got, want, 32);
    json_decref(obj);
}

/* Every kind of value, ASCII (the fast writer) or not (jansson). */
static void test_same_bytes_as_jansson(void **state)
{
    (void)state;
    check("{\"a\":\"x\",\"b\":42,\"c\":true,\"d\":null}", "t.v1");
    check("{\"a\":\"q\\\"uote\\\\ \\n\\t\\u0001\",\"b\":-7}", "t.v1"); /* escapes */
    check("{\"a\":\"caf\\u00e9\",\"b\":1}", "t.v1");                   /* not ASCII */
    check("{\"a\":1.5,\"b\":\"x\"}", "t.v1");                          /* a real */
    check("{\"a\":{\"z\":1,\"y\":[2,3]},\"b\":\"x\"}", "t.v1");        /* nested */
    check("{\"a\":\"x\"}", NULL);                                      /* no tag */
    check("{}", "t.v1");                                               /* all absent */
}

static void test_order_and_extra_fields_do_not_matter(void **state)
{
    (void)state;
    json_t *x = json_loads("{\"a\":\"1\",\"b\":2,\"ignored\":\"x\"}", 0, NULL);
    json_t *y = json_loads("{ \"b\" : 2 , \"a\" : \"1\" }", 0, NULL);
    uint8_t hx[32], hy[32], hz[32];
    assert_int_equal(reqhash_fields(x, "t.v1", fields, hx), 0);
    assert_int_equal(reqhash_fields(y, "t.v1", fields, hy), 0);
    assert_memory_equal(hx, hy, 32);
    /* Another tag, or another value, is another request. */
    assert_int_equal(reqhash_fields(x, "t.v2", fields, hz), 0);
    assert_memory_not_equal(hx, hz, 32);
    json_object_set_new(y, "b", json_integer(3));
    assert_int_equal(reqhash_fields(y, "t.v1", fields, hz), 0);
    assert_memory_not_equal(hx, hz, 32);
    json_decref(x);
    json_decref(y);
}

/* A list the caller built hashes as the same fields would. */
static void test_values_equal_fields(void **state)
{
    (void)state;
    json_t *obj = json_pack("{s:s,s:i,s:b}", "a", "x", "b", 5, "c", 1);
    json_t *values = json_pack("[s,i,b,n]", "x", 5, 1);
    uint8_t h1[32], h2[32];
    assert_int_equal(reqhash_fields(obj, "t.v1", fields, h1), 0);
    assert_int_equal(reqhash_values(values, "t.v1", h2), 0);
    assert_memory_equal(h1, h2, 32);
    json_decref(obj);
    json_decref(values);
}

/* The stored form: a record written by an earlier version must still match. */
static void test_known_digest(void **state)
{
    (void)state;
    json_t *obj = json_loads("{\"a\":\"u1\",\"b\":2}", 0, NULL);
    uint8_t got[32], want[32];
    const char text[] = "[\"tb.exec.v1\",\"u1\",2,null,null]";
    fg_sha256(text, sizeof(text) - 1, want);
    assert_int_equal(reqhash_fields(obj, "tb.exec.v1", fields, got), 0);
    assert_memory_equal(got, want, 32);
    json_decref(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bytes_as_jansson),
        cmocka_unit_test(test_order_and_extra_fields_do_not_matter),
        cmocka_unit_test(test_values_equal_fields),
        cmocka_unit_test(test_known_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
