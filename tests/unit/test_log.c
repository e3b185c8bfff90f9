/* test_log.c - the logger writes one valid JSON object per line, whatever
 * bytes a message or a trace quotes. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"

/* Run fg_log with stderr sent to a pipe; the line it wrote goes to out. */
static void log_capture(const char *trace, const char *msg, char *out, size_t cap)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fds[1], STDERR_FILENO) >= 0);
    fg_log(FG_LOG_ERROR, trace, "%s", msg);
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    close(fds[1]);
    ssize_t n = read(fds[0], out, cap - 1);
    close(fds[0]);
    assert_true(n > 0);
    out[n] = '\0';
}

static json_t *line_parse(const char *line)
{
    json_error_t je;
    json_t *o = json_loads(line, 0, &je);
    if (!o)
        fail_msg("not JSON (%s): %s", je.text, line);
    return o;
}

static void test_plain(void **state)
{
    (void)state;
    char line[4096];
    log_capture("t-1", "quote \" backslash \\ newline \n tab \t", line, sizeof(line));
    json_t *o = line_parse(line);
    assert_string_equal(json_string_value(json_object_get(o, "msg")),
                        "quote \" backslash \\ newline \n tab \t");
    assert_string_equal(json_string_value(json_object_get(o, "trace")), "t-1");
    assert_string_equal(json_string_value(json_object_get(o, "level")), "error");
    json_decref(o);
}

/* Bytes that are not UTF-8 (a %FF from a path, a name cut mid-character)
 * become U+FFFD; well-formed multi-byte characters stay as they are. */
static void test_not_utf8(void **state)
{
    (void)state;
    char line[4096];
    log_capture("t\xff",
                "a\xff"
                "b \xe4\xb8\xad \xe4\xb8 c \xed\xa0\x80",
                line, sizeof(line));
    json_t *o = line_parse(line);
    assert_string_equal(json_string_value(json_object_get(o, "msg")),
                        "a\xef\xbf\xbd"
                        "b \xe4\xb8\xad \xef\xbf\xbd\xef\xbf\xbd c "
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    assert_string_equal(json_string_value(json_object_get(o, "trace")), "t\xef\xbf\xbd");
    json_decref(o);
}

/* A message longer than a line is cut, and the line is still JSON. */
static void test_long(void **state)
{
    (void)state;
    static char msg[8192], line[8192];
    for (size_t i = 0; i + 3 < sizeof(msg); i += 3)
        memcpy(msg + i, "\xe4\xb8\xad", 3);
    log_capture(NULL, msg, line, sizeof(line));
    json_t *o = line_parse(line);
    assert_non_null(json_object_get(o, "msg"));
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_not_utf8),
        cmocka_unit_test(test_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
