/*
 * test_openapi.c - the API description (docs/openapi.json, built into the
 * binary) and the router agree: the document's (method, path) pairs and the
 * route table's are the same set, and each family's paths name its own auth
 * scheme. Redocly lints the document itself (CTest openapi_lint).
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "app/app.h"
#include "api/assets.h"

#define PAIRS_MAX 256

/* "/a/{name}/b" -> "/a/{}/b" (the router's spelling of a parameter). */
static void path_normalise(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = in; *p && n + 3 < cap; p++) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            assert_non_null(close);
            out[n++] = '{';
            out[n++] = '}';
            p = close;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

static json_t *document(void)
{
    const struct asset *a = asset_find("/openapi.json");
    assert_non_null(a);
    json_error_t e;
    json_t *doc = json_loadb((const char *)a->data, a->len, 0, &e);
    if (!doc)
        fail_msg("docs/openapi.json: %s at line %d", e.text, e.line);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    return doc;
}

/* Every "METHOD /path" of the document, normalised, into pairs. */
static int document_pairs(json_t *doc, char pairs[][160])
{
    int n = 0;
    const char *path, *method;
    json_t *item, *op;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        char norm[128];
        path_normalise(path, norm, sizeof(norm));
        json_object_foreach(item, method, op)
        {
            if (strcmp(method, "parameters") == 0)
                continue;
            assert_true(n < PAIRS_MAX);
            snprintf(pairs[n], 160, "%s %s", method, norm);
            for (char *c = pairs[n]; *c && *c != ' '; c++)
                *c = (char)(*c - 'a' + 'A');
            n++;
        }
    }
    return n;
}

static bool contains(char pairs[][160], int n, const char *want)
{
    for (int i = 0; i < n; i++)
        if (strcmp(pairs[i], want) == 0)
            return true;
    return false;
}

static void test_same_set(void **state)
{
    (void)state;
    static char doc_pairs[PAIRS_MAX][160], route_pairs[PAIRS_MAX][160];
    json_t *doc = document();
    int nd = document_pairs(doc, doc_pairs);
    int nr = 0;
    const struct http_route *r = app_routes(&nr);
    assert_true(nr <= PAIRS_MAX);
    int n = 0;
    for (int i = 0; i < nr; i++)
        if (r[i].method) /* not an owner entry (http.h): those answer nothing themselves */
            snprintf(route_pairs[n++], 160, "%s %s", r[i].method, r[i].pattern);
    nr = n;
    int missing = 0;
    for (int i = 0; i < nr; i++)
        if (!contains(doc_pairs, nd, route_pairs[i])) {
            print_error("route not in docs/openapi.json: %s\n", route_pairs[i]);
            missing++;
        }
    for (int i = 0; i < nd; i++)
        if (!contains(route_pairs, nr, doc_pairs[i])) {
            print_error("docs/openapi.json has a path no route answers: %s\n", doc_pairs[i]);
            missing++;
        }
    assert_int_equal(missing, 0);
    assert_int_equal(nd, nr);
    json_decref(doc);
}

/* The security requirement names of an operation (or the document's default). */
static bool op_uses(json_t *doc, json_t *op, const char *scheme)
{
    json_t *sec = json_object_get(op, "security");
    if (!sec)
        sec = json_object_get(doc, "security");
    size_t i;
    json_t *req;
    json_array_foreach(sec, i, req)
    {
        if (json_object_get(req, scheme))
            return true;
    }
    return false;
}

static void test_auth_per_family(void **state)
{
    (void)state;
    json_t *doc = document();
    const char *path, *method;
    json_t *item, *op;
    int checked = 0;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        json_object_foreach(item, method, op)
        {
            const char *want = strncmp(path, "/admin/v1/", 10) == 0           ? "admin"
                               : strncmp(path, "/api/cats-gateway/", 18) == 0 ? "tradebossCompany"
                               : strncmp(path, "/order/v2/", 10) == 0 ||
                                       strncmp(path, "/account/v2/", 12) == 0 ||
                                       strncmp(path, "/rate/v2/", 9) == 0
                                   ? "fundsToken"
                               : strcmp(path, "/Payments") == 0   ? "yabandpaySign"
                               : strncmp(path, "/amsin/", 7) == 0 ? "worldfirstSign"
                                                                  : NULL;
            if (want) {
                if (!op_uses(doc, op, want))
                    fail_msg("%s %s does not name the %s scheme", method, path, want);
                checked++;
            } else {
                json_t *sec = json_object_get(op, "security");
                assert_true(json_is_array(sec) && json_array_size(sec) == 0); /* open: said so */
            }
            assert_non_null(json_object_get(op, "operationId"));
        }
    }
    assert_true(checked > 40);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_set),
        cmocka_unit_test(test_auth_per_family),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
