/*
 * fuzz_bootstrap.c - app_bootstrap, the reader of the --bootstrap file: the
 * file is parsed, checked section by section, and each item is sent through
 * the router as an internal POST. Everything up to the route's handler is
 * reached without a running server, because app_bootstrap takes the route
 * table as an argument: the real patterns are given here with handlers that
 * record what they receive (the admin handlers' own body checks need the
 * store and the engine, and are not part of this target).
 *
 * Input: the file's bytes. A handler refuses (HTTP 400) an item that has the
 * key "fuzz_refuse", to reach the stop-at-first-error path. Properties,
 * against the sequence of requests the file describes (worked out here):
 * - the k-th request a handler receives is the k-th item of the file in
 *   section order: its path is the section's with "{field}" replaced by the
 *   item's field in full (never shortened), its body the item without that
 *   field;
 * - success means every item was delivered; a failure has a message and
 *   stops exactly at the first item that is malformed, has no route, or was
 *   refused (or whose path field is not an identifier, which bootstrap may
 *   refuse before routing); a file that is not an object with known
 *   sections delivers none.
 */
#define _GNU_SOURCE
#include "fuzz.h"

#include <jansson.h>
#include <sys/mman.h>
#include <unistd.h>

#include "app/app.h"
#include "app/bootstrap.h"
#include "core/log.h"

#define ROUTES_MAX 128
#define CALLS_MAX 4096

struct call {
    char *path;
    json_t *body;
    bool refused;
};

static struct http_route table[ROUTES_MAX], probe_table[ROUTES_MAX];
static struct api_bootstrap_section bootstrap_sections[APP_BOOTSTRAP_SECTIONS_MAX];
static int table_count;
static struct call calls[CALLS_MAX];
static int call_count;
static int file_fd = -1;
static char file_path[64];

static int record(struct http_req *req, void *ctx)
{
    (void)ctx;
    FUZZ_CHECK(call_count < CALLS_MAX && strcmp(req->method, "POST") == 0, "request");
    struct call *c = &calls[call_count++];
    c->path = strdup(req->path);
    c->body = json_loadb(req->body, req->body_len, 0, NULL);
    FUZZ_CHECK(json_is_object(c->body), "body '%s' is not an object", req->body);
    c->refused = json_object_get(c->body, "fuzz_refuse") != NULL;
    http_req_respond_copy(req, c->refused ? 400 : 201, "{}", 2);
    return HTTP_DONE;
}

static int probe(struct http_req *req, void *ctx)
{
    (void)ctx;
    http_req_respond(req, 204, NULL, 0);
    return HTTP_DONE;
}

static void setup(void)
{
    static struct http_route server[APP_ROUTES_MAX];
    int n = app_routes_build(NULL, server, APP_ROUTES_MAX);
    for (int i = 0; i < n && table_count < ROUTES_MAX; i++) {
        table[table_count] = probe_table[table_count] = server[i];
        probe_table[table_count].fn = probe;
        table[table_count++].fn = record;
    }
    app_bootstrap_sections(bootstrap_sections, APP_BOOTSTRAP_SECTIONS_MAX);
    fg_log_set_level(FG_LOG_ERROR);
    file_fd = memfd_create("bootstrap", 0);
    FUZZ_CHECK(file_fd >= 0, "memfd_create");
    snprintf(file_path, sizeof(file_path), "/proc/self/fd/%d", file_fd);
}

/* The path of item under sec, the field taken out of body; false when the
 * item cannot make a request (not an object, field missing or not a string). */
static bool expected_request(const struct api_bootstrap_section *sec, json_t *item, char **path,
                             json_t **body, bool *plain)
{
    *plain = true;
    if (!json_is_object(item))
        return false;
    *body = json_deep_copy(item);
    const char *open = strchr(sec->path, '{');
    if (!open) {
        *path = strdup(sec->path);
        return true;
    }
    const char *close = strchr(open, '}');
    char field[64];
    snprintf(field, sizeof(field), "%.*s", (int)(close - open - 1), open + 1);
    json_t *v = json_object_get(*body, field);
    if (!json_is_string(v)) {
        json_decref(*body);
        return false;
    }
    /* An identifier's characters; anything else bootstrap may also refuse. */
    const char *id = json_string_value(v);
    *plain =
        *id && strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-") ==
                   strlen(id);
    size_t n = (size_t)(open - sec->path) + json_string_length(v) + strlen(close + 1) + 1;
    *path = malloc(n);
    snprintf(*path, n, "%.*s%s%s", (int)(open - sec->path), sec->path, json_string_value(v),
             close + 1);
    json_object_del(*body, field);
    return true;
}

/* Whether the router has a route for POST path (probe handlers only answer 204). */
static bool routable(const char *path)
{
    struct http_req req;
    http_req_internal_init(&req, "POST", path, "{}", 2, NULL, NULL);
    http_router_dispatch(probe_table, table_count, &req);
    int status = req.status;
    http_req_internal_release(&req);
    return status == 204;
}

/* Walk the file as app_bootstrap should; returns how many requests the
 * handlers must see and whether the whole file must succeed. */
static int expected_walk(json_t *doc, int rc, bool *all_ok)
{
    int k = 0;
    *all_ok = false;
    const char *key;
    json_t *v;
    if (!json_is_object(doc))
        return 0;
    json_object_foreach(doc, key, v)
    {
        bool known = key[0] == '_';
        for (int i = 0; bootstrap_sections[i].key; i++)
            known |= strcmp(key, bootstrap_sections[i].key) == 0;
        if (!known)
            return 0;
    }
    for (int s = 0; bootstrap_sections[s].key; s++) {
        json_t *items = json_object_get(doc, bootstrap_sections[s].key);
        if (!items)
            continue;
        if (!json_is_array(items))
            return k;
        size_t j;
        json_t *item;
        json_array_foreach(items, j, item)
        {
            char *path = NULL;
            json_t *body = NULL;
            bool plain = true;
            if (!expected_request(&bootstrap_sections[s], item, &path, &body, &plain))
                return k;
            if (!plain && rc < 0 && call_count == k) { /* refused: allowed */
                free(path);
                json_decref(body);
                return k;
            }
            bool ok = routable(path);
            if (ok && k < call_count) {
                FUZZ_CHECK(strcmp(calls[k].path, path) == 0,
                           "request %d went to\n  %s\nthe file says\n  %s", k, calls[k].path, path);
                FUZZ_CHECK(json_equal(calls[k].body, body), "request %d has another body", k);
            }
            free(path);
            json_decref(body);
            if (!ok)
                return k;
            if (++k <= call_count && calls[k - 1].refused)
                return k;
        }
    }
    *all_ok = true;
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (file_fd < 0)
        setup();
    FUZZ_CHECK(ftruncate(file_fd, 0) == 0 && pwrite(file_fd, data, size, 0) == (ssize_t)size,
               "writing the file");
    call_count = 0;
    struct fg_err err = {0};
    int rc = app_bootstrap(file_path, bootstrap_sections, table, table_count, &err);

    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    bool all_ok = false;
    int want = expected_walk(doc, rc, &all_ok);
    json_decref(doc);
    FUZZ_CHECK(call_count == want, "%d requests delivered, the file makes %d before it stops",
               call_count, want);
    FUZZ_CHECK((rc == 0) == all_ok, "bootstrap rc %d (%s), the file %s", rc, err.msg,
               all_ok ? "is fine" : "must fail");
    FUZZ_CHECK(rc == 0 || err.msg[0], "failure without a message");
    for (int i = 0; i < call_count; i++) {
        free(calls[i].path);
        json_decref(calls[i].body);
    }
    return 0;
}
