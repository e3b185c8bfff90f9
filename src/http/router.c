/*
 * router.c - first-match routing of a request to a handler; see http.h.
 *
 * A pattern is a path of '/'-separated segments matched exactly, except that a
 * "{}" segment matches one non-empty segment of at most HTTP_PARAM_BYTES_MAX-1
 * bytes, copied into req->params in order. A longer segment is never cut to
 * fit: when it is all that keeps a route from matching, the answer is 414
 * too_large (issue 9: a prefix of an identifier must never be acted on).
 * Routes are tried in table order; the first route whose method and pattern
 * both match wins. When no route matches, a route whose pattern matches with
 * another method turns the answer into 405 (with an Allow header) instead of
 * 404. A GET route answers HEAD too (libmicrohttpd sends the headers,
 * Content-Length included, without the body), and the Allow header then lists
 * HEAD after GET. Owner entries (method NULL; http.h) never match a request:
 * they say whose envelope the refusals of a path take. The table is small and
 * the walk allocates nothing.
 */
#include "http/router.h"

#include <string.h>

#include "core/assert.h"

#define ALLOW_BYTES_MAX 256

static const char *segment_end(const char *s)
{
    while (*s && *s != '/')
        s++;
    return s;
}

enum path_match_result { PATH_NO, PATH_YES, PATH_PARAM_TOO_LONG };

/* Does path match pattern? Fills req->params when it does (and may scribble
 * on them when it does not; the winning route rewrites them). PATH_PARAM_TOO_LONG:
 * it would match but for a {} segment longer than a parameter can hold. */
static enum path_match_result path_match(const char *pat, const char *path, struct http_req *req)
{
    int np = 0;
    bool too_long = false;
    for (;;) {
        if (*pat == '\0' || *path == '\0')
            break;
        if (*pat != '/' || *path != '/')
            return PATH_NO;
        pat++;
        path++;
        const char *pend = segment_end(pat);
        const char *send = segment_end(path);
        size_t plen = (size_t)(pend - pat);
        size_t slen = (size_t)(send - path);
        if (plen == 2 && pat[0] == '{' && pat[1] == '}') {
            if (slen == 0 || np >= HTTP_PARAMS_MAX)
                return PATH_NO;
            if (slen >= HTTP_PARAM_BYTES_MAX) {
                too_long = true;
                req->params[np][0] = '\0';
            } else {
                memcpy(req->params[np], path, slen);
                req->params[np][slen] = '\0';
            }
            np++;
        } else if (plen != slen || memcmp(pat, path, plen) != 0) {
            return PATH_NO;
        }
        pat = pend;
        path = send;
    }
    if (*pat != *path)
        return PATH_NO;
    if (too_long)
        return PATH_PARAM_TOO_LONG;
    for (int i = np; i < HTTP_PARAMS_MAX; i++)
        req->params[i][0] = '\0';
    return PATH_YES;
}

static bool method_match(const char *route_method, const char *method)
{
    return strcmp(route_method, method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

/* Append ", m" (or "m") to allow; false when it does not fit. */
static bool allow_append(char *allow, size_t *len, const char *m)
{
    size_t mlen = strlen(m);
    if (*len + mlen + 3 > ALLOW_BYTES_MAX)
        return false;
    if (*len) {
        memcpy(allow + *len, ", ", 2);
        *len += 2;
    }
    memcpy(allow + *len, m, mlen + 1);
    *len += mlen;
    return true;
}

/* 405: list the methods the path does answer to. */
static void answer_method_not_allowed(const struct http_route *routes, int count,
                                      struct http_req *req)
{
    char allow[ALLOW_BYTES_MAX];
    size_t len = 0;
    allow[0] = '\0';
    for (int i = 0; i < count; i++) {
        if (!routes[i].method || path_match(routes[i].pattern, req->path, req) != PATH_YES)
            continue;
        if (!allow_append(allow, &len, routes[i].method))
            break;
        if (strcmp(routes[i].method, "GET") == 0 && !allow_append(allow, &len, "HEAD"))
            break;
    }
    http_router_error(routes, count, req, -FG_EMETHOD, 0, "method not allowed for this path");
    if (len)
        http_req_add_header(req, "Allow", allow);
}

void http_router_error(const struct http_route *routes, int count, struct http_req *req, int code,
                       int status, const char *msg)
{
    const struct http_route *owner = NULL;
    size_t owner_len = 0;
    for (int i = 0; i < count; i++) {
        if (routes[i].method)
            continue;
        size_t plen = strlen(routes[i].pattern);
        if (plen > owner_len && strncmp(req->path, routes[i].pattern, plen) == 0) {
            owner = &routes[i];
            owner_len = plen;
        }
    }
    struct http_refusal refusal = {
        .code = code, .msg = msg ? msg : fg_strerror(code), .route_ctx = owner ? owner->ctx : NULL};
    if (owner)
        owner->fn(req, &refusal);
    else
        http_req_error(req, code, msg);
    req->status = status ? status : fg_code_http_status(code);
}

int http_router_dispatch_at(const struct http_route *routes, int count, struct http_req *req,
                            int *matched)
{
    FG_ASSERT(req->method && req->path);
    bool other_method = false, too_long = false;
    for (int i = 0; i < count; i++) {
        if (!routes[i].method || !method_match(routes[i].method, req->method))
            continue;
        enum path_match_result m = path_match(routes[i].pattern, req->path, req);
        too_long |= m == PATH_PARAM_TOO_LONG;
        if (m != PATH_YES)
            continue;
        req->route_name = routes[i].name;
        *matched = i;
        return routes[i].fn(req, routes[i].ctx);
    }
    /* Failure path only: is there a route for the path with another method? */
    for (int i = 0; i < count && !other_method && !too_long; i++)
        other_method =
            routes[i].method && path_match(routes[i].pattern, req->path, req) == PATH_YES;
    req->route_name = "unmatched";
    *matched = -1;
    if (too_long) {
        http_router_error(routes, count, req, -FG_ETOO_LARGE, 414,
                          "a path segment is longer than the route accepts");
    } else if (other_method) {
        answer_method_not_allowed(routes, count, req);
    } else {
        http_router_error(routes, count, req, -FG_ENOT_FOUND, 0, "no route for this path");
    }
    for (int i = 0; i < HTTP_PARAMS_MAX; i++)
        req->params[i][0] = '\0';
    return HTTP_DONE;
}

int http_router_dispatch(const struct http_route *routes, int count, struct http_req *req)
{
    int matched;
    return http_router_dispatch_at(routes, count, req, &matched);
}
