/* test_bootstrap.c - the bootstrap file is bounded: size and nesting are
 * refused past their limits, never cut, before any item is applied. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/bootstrap.h"
#include "core/limits.h"

static int applied;

static int count(struct http_req *req, void *ctx)
{
    (void)ctx;
    applied++;
    http_req_respond_copy(req, 201, "{}", 2);
    return HTTP_DONE;
}

static const struct http_route routes[] = {
    {"POST", "/admin/v1/currencies", count, NULL, "currencies"},
};

static const struct api_bootstrap_section sections[] = {
    {"currencies", "POST", "/admin/v1/currencies", NULL},
    {NULL, NULL, NULL, NULL},
};

/* A file of `pad` spaces, then text. */
static void file_write(const char *path, size_t pad, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < pad; i++)
        fputc(' ', f);
    fputs(text, f);
    fclose(f);
}

static int apply(size_t pad, const char *text, struct fg_err *err)
{
    char path[] = "/tmp/fgboot-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    file_write(path, pad, text);
    applied = 0;
    int rc = app_bootstrap(path, sections, routes, 1, err);
    unlink(path);
    return rc;
}

static const char one[] = "{\"currencies\":[{\"code\":\"USD\",\"digits\":2}]}";

static void test_size_limit(void **state)
{
    (void)state;
    struct fg_err err = {0};
    assert_int_equal(apply(FG_BOOTSTRAP_BYTES_MAX - sizeof(one) + 1, one, &err), 0);
    assert_int_equal(applied, 1);
    assert_int_equal(apply(FG_BOOTSTRAP_BYTES_MAX - sizeof(one) + 2, one, &err), -FG_ETOO_LARGE);
    assert_int_equal(applied, 0);
    assert_non_null(strstr(err.msg, "larger than"));
}

static void test_depth_limit(void **state)
{
    (void)state;
    char text[256] = "{\"_c\":";
    for (int i = 1; i < FG_JSON_DEPTH_MAX; i++)
        strcat(text, "[");
    for (int i = 1; i < FG_JSON_DEPTH_MAX; i++)
        strcat(text, "]");
    strcat(text, ",\"currencies\":[{\"code\":\"USD\",\"digits\":2}]}");
    struct fg_err err = {0};
    assert_int_equal(apply(0, text, &err), 0);
    assert_int_equal(applied, 1);
    char deep[256] = "{\"_c\":";
    for (int i = 0; i < FG_JSON_DEPTH_MAX; i++)
        strcat(deep, "[");
    for (int i = 0; i < FG_JSON_DEPTH_MAX; i++)
        strcat(deep, "]");
    strcat(deep, ",\"currencies\":[{\"code\":\"USD\",\"digits\":2}]}");
    assert_int_equal(apply(0, deep, &err), -FG_ETOO_DEEP);
    assert_int_equal(applied, 0);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct fg_err err = {0};
    assert_true(app_bootstrap("/nonexistent/fg-bootstrap.json", sections, routes, 1, &err) < 0);
    assert_non_null(strstr(err.msg, "/nonexistent/fg-bootstrap.json"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
