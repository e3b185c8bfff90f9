/*
 * fuzz_router.c - http_router_dispatch: a request's method and path against
 * the server's real route patterns (ops, admin, every family), each with a
 * handler here that records what it was given.
 *
 * Input: the first byte picks the method, the rest is the path (a C string).
 * Properties, against a reference matcher written here (segments split on
 * '/', "{}" takes one non-empty segment, no length limit):
 * - the route that runs is the first of the table whose method and pattern
 *   match, unless a "{}" segment is HTTP_PARAM_BYTES_MAX bytes or longer, in
 *   which case that route does not run (a clear 404 or 414 when no other
 *   does, never a shortened parameter);
 * - the parameters it gets are exactly the path's segments, in order, and the
 *   pattern with them put back is the path;
 * - when no route runs the answer is 405 with an Allow header if some route
 *   matches the path with another method, else 404, and no parameter is left.
 */
#include "fuzz.h"

#include "app/app.h"
#include "http/http.h"

#define ROUTES_MAX 128
#define SEGMENTS_MAX 64

static const char *const methods[] = {"GET", "POST", "PATCH", "PUT", "DELETE", "HEAD"};
static struct http_route table[ROUTES_MAX];
static int table_count;
static int ran = -1;

static int record(struct http_req *req, void *ctx)
{
    ran = (int)(intptr_t)ctx;
    http_req_respond(req, 200, NULL, 0);
    return HTTP_DONE;
}

static void table_add(const struct http_route *r, int n)
{
    for (int i = 0; i < n; i++) {
        if (!r[i].method)
            continue; /* an owner entry (http.h): renders refusals, never routed */
        if (table_count == ROUTES_MAX)
            abort();
        table[table_count] = r[i];
        table[table_count].fn = record;
        table[table_count].ctx = (void *)(intptr_t)table_count;
        table_count++;
    }
}

/* The server's own table (ops, admin, every family), as the root builds it. */
static void table_build(void)
{
    static struct http_route server[APP_ROUTES_MAX];
    int n = app_routes_build(NULL, server, APP_ROUTES_MAX);
    table_add(server, n);
}

/* Split s on '/' into at most SEGMENTS_MAX (start, length) pairs; -1 if more. */
static int split(const char *s, const char *seg[], size_t len[])
{
    int n = 0;
    for (;;) {
        const char *end = strchr(s, '/');
        if (n == SEGMENTS_MAX)
            return -1;
        seg[n] = s;
        len[n] = end ? (size_t)(end - s) : strlen(s);
        n++;
        if (!end)
            return n;
        s = end + 1;
    }
}

/* A route's method takes the request's: the same, or HEAD on a GET route. */
static bool method_takes(const char *route_method, const char *method)
{
    return strcmp(route_method, method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

/* 1: matches, with params; 0: does not; 2: would match but a parameter is
 * too long. */
static int reference_match(const char *pattern, const char *path, char params[][4096], int *nparams)
{
    const char *ps[SEGMENTS_MAX], *ss[SEGMENTS_MAX];
    size_t pl[SEGMENTS_MAX], sl[SEGMENTS_MAX];
    int pn = split(pattern, ps, pl), sn = split(path, ss, sl);
    bool too_long = false;
    if (pn < 0 || sn != pn)
        return 0;
    *nparams = 0;
    for (int i = 0; i < pn; i++) {
        if (pl[i] == 2 && memcmp(ps[i], "{}", 2) == 0) {
            if (sl[i] == 0)
                return 0;
            too_long |= sl[i] >= HTTP_PARAM_BYTES_MAX;
            snprintf(params[*nparams], 4096, "%.*s", (int)sl[i], ss[i]);
            (*nparams)++;
        } else if (pl[i] != sl[i] || memcmp(ps[i], ss[i], pl[i]) != 0) {
            return 0;
        }
    }
    return too_long ? 2 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (table_count == 0)
        table_build();
    if (size < 1 || size > 4000)
        return 0;
    const char *method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
    char *path = fuzz_cstr(data + 1, size - 1);

    int want = -1, other_method = 0, too_long = 0, nparams = 0;
    static char params[HTTP_PARAMS_MAX + 1][4096];
    for (int i = 0; i < table_count; i++) {
        int np = 0;
        static char scratch[HTTP_PARAMS_MAX + 1][4096];
        int m = reference_match(table[i].pattern, path, scratch, &np);
        if (m == 1 && method_takes(table[i].method, method) && want < 0) {
            want = i;
            nparams = np;
            memcpy(params, scratch, sizeof(params));
        } else if (m == 1 && !method_takes(table[i].method, method)) {
            other_method = 1;
        } else if (m == 2 && method_takes(table[i].method, method)) {
            too_long = 1;
        }
    }

    struct http_req req;
    http_req_internal_init(&req, method, path, "", 0, NULL, NULL);
    ran = -1;
    FUZZ_CHECK(http_router_dispatch(table, table_count, &req) == HTTP_DONE, "dispatch");
    FUZZ_CHECK(ran == want, "%s %s ran route %d, the first match is %d", method, path, ran, want);
    if (ran >= 0) {
        FUZZ_CHECK(req.status == 200 && strcmp(req.route_name, table[ran].name) == 0, "answer");
        for (int i = 0; i < HTTP_PARAMS_MAX; i++)
            FUZZ_CHECK(strcmp(req.params[i], i < nparams ? params[i] : "") == 0,
                       "%s: parameter %d is '%s', the segment is '%s'", path, i, req.params[i],
                       i < nparams ? params[i] : "");
    } else {
        /* A parameter too long for every route that would take it is refused
         * (404 or 414), never cut; otherwise 405 exactly when another method
         * has the path. */
        int want_status = other_method ? 405 : 404;
        FUZZ_CHECK(req.status == want_status || (too_long && req.status == 414),
                   "%s %s answered %d", method, path, req.status);
        bool allow = false;
        for (int i = 0; i < req.resp_header_count; i++)
            allow |= strcmp(req.resp_headers[i].name, "Allow") == 0;
        FUZZ_CHECK(allow == (req.status == 405), "Allow header on %d", req.status);
        for (int i = 0; i < HTTP_PARAMS_MAX; i++)
            FUZZ_CHECK(req.params[i][0] == '\0', "parameter left after %d", req.status);
    }
    http_req_internal_release(&req);
    free(path);
    return 0;
}
