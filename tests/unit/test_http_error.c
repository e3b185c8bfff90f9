/*
 * test_http_error.c - http_req_error answers valid JSON whatever bytes its
 * message holds: a path parameter with bytes that are not UTF-8 (%FF in a URL)
 * or a field name cut inside a character by "%.64s" used to go out raw, and
 * the answer was not JSON (found by tests/fuzz/fuzz_error_body.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "core/errors.h"
#include "http/http.h"

/* The answer's body for msg, checked to be JSON with the code's name; the
 * message read back goes to out. */
static void error_message(const char *msg, char *out, size_t cap)
{
    struct http_req req;
    http_req_internal_init(&req, "GET", "/x", "", 0, NULL, NULL);
    http_req_error(&req, -FG_EUNKNOWN_CUSTOMER, msg);
    assert_int_equal(req.status, 404);
    json_error_t je;
    json_t *body = json_loadb(req.resp_body, req.resp_len, 0, &je);
    if (!body)
        fail_msg("not json: %s in %.*s", je.text, (int)req.resp_len, req.resp_body);
    json_t *e = json_object_get(body, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), "unknown_customer");
    snprintf(out, cap, "%s", json_string_value(json_object_get(e, "message")));
    json_decref(body);
    http_req_internal_release(&req);
}

static void test_not_utf8(void **state)
{
    (void)state;
    char m[256];
    error_message("unknown customer '\xff'", m, sizeof(m)); /* a %FF path parameter */
    assert_string_equal(m, "unknown customer '\xef\xbf\xbd'");
    error_message("unknown field 'a\xc3\xa9\xc3'", m, sizeof(m)); /* cut inside an é */
    assert_string_equal(m, "unknown field 'a\xc3\xa9\xef\xbf\xbd'");
    error_message("\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80", m,
                  sizeof(m)); /* overlong, surrogate, > U+10FFFF */
    assert_string_equal(m, "\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
                           "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_utf8_and_escapes_kept(void **state)
{
    (void)state;
    char m[256];
    const char *kept = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \"q\" \\ \n \x01 \x7f";
    error_message(kept, m, sizeof(m));
    assert_string_equal(m, kept);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_not_utf8),
        cmocka_unit_test(test_utf8_and_escapes_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
