/* bootstrap.c - apply a file of admin objects through the admin routes; see bootstrap.h. */
#include "app/bootstrap.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/log.h"

#define BOOTSTRAP_ITEMS_MAX 100000

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
};

static void waiter_done(struct http_req *req)
{
    struct waiter *w = req->internal_ctx;
    pthread_mutex_lock(&w->mu);
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Expand "{field}" in tmpl from item (removing the field). False when the field
 * is absent, not a string, empty, holds a byte that would change the path ('/',
 * '?', '#', '%', a control character), or makes the path longer than cap: a
 * path is never cut to fit (issue 9). */
static bool expand_path(const char *tmpl, json_t *item, char *out, size_t cap)
{
    const char *open = strchr(tmpl, '{');
    if (!open)
        return (size_t)snprintf(out, cap, "%s", tmpl) < cap;
    const char *close = strchr(open, '}');
    char field[64];
    FG_ASSERT(close && (size_t)(close - open) < sizeof(field));
    snprintf(field, sizeof(field), "%.*s", (int)(close - open - 1), open + 1);
    json_t *v = json_object_get(item, field);
    if (!json_is_string(v) || json_string_length(v) == 0)
        return false;
    const char *value = json_string_value(v);
    for (size_t i = 0; i < json_string_length(v); i++)
        if ((unsigned char)value[i] <= 0x20 || value[i] == 0x7f || strchr("/?#%", value[i]))
            return false;
    int n = snprintf(out, cap, "%.*s%s%s", (int)(open - tmpl), tmpl, value, close + 1);
    if (n < 0 || (size_t)n >= cap)
        return false;
    json_object_del(item, field);
    return true;
}

/* An item's file field (section.file_field) is relative to the bootstrap
 * file's directory. */
static bool file_resolve(json_t *body, const char *field, const char *dir)
{
    const char *f = json_string_value(json_object_get(body, field));
    if (!f || f[0] == '/' || !dir[0])
        return true;
    char full[FG_FILE_PATH_BYTES_MAX + 1];
    int n = snprintf(full, sizeof(full), "%s/%s", dir, f);
    if (n < 0 || (size_t)n >= sizeof(full))
        return false; /* never cut */
    json_object_set_new(body, field, json_string(full));
    return true;
}

static int apply_item(const struct api_bootstrap_section *sec, int index, json_t *item,
                      const struct http_route *routes, int route_count, const char *dir,
                      struct fg_err *err)
{
    char path[FG_HTTP_PATH_BYTES_MAX];
    json_t *body = json_deep_copy(item);
    if (!body)
        return fg_fail(err, -FG_ENOMEM, "out of memory");
    if (sec->file_field && json_is_object(body) && !file_resolve(body, sec->file_field, dir)) {
        json_decref(body);
        return fg_fail(err, -FG_EBAD_FIELD, "%s[%d]: the file path is too long", sec->key, index);
    }
    if (!json_is_object(body) || !expand_path(sec->path, body, path, sizeof(path))) {
        json_decref(body);
        return fg_fail(err, -FG_EBAD_FIELD,
                       "%s[%d] is not a valid object (or its path field is missing, empty, too "
                       "long, or holds '/', '?', '#', '%%' or a space)",
                       sec->key, index);
    }
    size_t len = 0;
    char *text = jsonx_dump(body, &len);
    json_decref(body);
    if (!text)
        return fg_fail(err, -FG_ENOMEM, "out of memory");

    struct waiter w = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    struct http_req req;
    http_req_internal_init(&req, sec->method, path, text, len, waiter_done, &w);
    int rc = http_router_dispatch(routes, route_count, &req);
    if (rc == HTTP_PENDING) {
        pthread_mutex_lock(&w.mu);
        while (!w.done)
            pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
    }
    rc = 0;
    if (req.status >= 300)
        rc = fg_fail(err, -FG_EBAD_REQUEST, "%s[%d] (%s %s): HTTP %d %.*s", sec->key, index,
                     sec->method, path, req.status, (int)(req.resp_len > 160 ? 160 : req.resp_len),
                     req.resp_body ? req.resp_body : "");
    http_req_internal_release(&req);
    free(text);
    return rc;
}

/* The file's JSON document, refused past FG_BOOTSTRAP_BYTES_MAX bytes or
 * FG_JSON_DEPTH_MAX levels (read whole, never cut). */
static json_t *doc_load(const char *path, struct fg_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fg_fail(err, -FG_EBAD_REQUEST, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = malloc(FG_BOOTSTRAP_BYTES_MAX + 1);
    size_t n = text ? fread(text, 1, FG_BOOTSTRAP_BYTES_MAX + 1, f) : 0;
    bool read_err = ferror(f) != 0;
    fclose(f);
    json_t *doc = NULL;
    json_error_t je;
    if (!text)
        fg_fail(err, -FG_ENOMEM, "%s: out of memory", path);
    else if (read_err)
        fg_fail(err, -FG_EBAD_REQUEST, "%s: read error", path);
    else if (n > FG_BOOTSTRAP_BYTES_MAX)
        fg_fail(err, -FG_ETOO_LARGE, "%s: larger than %d bytes", path, FG_BOOTSTRAP_BYTES_MAX);
    else if (jsonx_depth(text, n) > FG_JSON_DEPTH_MAX)
        fg_fail(err, -FG_ETOO_DEEP, "%s: nested deeper than %d", path, FG_JSON_DEPTH_MAX);
    else if (!(doc = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je)))
        fg_fail(err, -FG_EBAD_JSON, "%s: %s (line %d)", path, je.text, je.line);
    free(text);
    return doc;
}

int app_bootstrap(const char *path, const struct api_bootstrap_section *sections,
                  const struct http_route *routes, int route_count, struct fg_err *err)
{
    json_t *doc = doc_load(path, err);
    if (!doc)
        return err->code;
    int rc = 0;
    if (!json_is_object(doc)) {
        rc = fg_fail(err, -FG_EBAD_JSON, "%s: must be a json object", path);
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        bool known = false;
        for (int i = 0; sections[i].key; i++)
            known |= strcmp(key, sections[i].key) == 0;
        if (!known && key[0] != '_') {
            rc = fg_fail(err, -FG_EUNKNOWN_FIELD, "%s: unknown section '%s'", path, key);
            goto out;
        }
    }
    int applied = 0;
    char dir[FG_FILE_PATH_BYTES_MAX + 1];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        dir[0] = '\0';
    for (int i = 0; sections[i].key; i++) {
        json_t *items = json_object_get(doc, sections[i].key);
        if (!items)
            continue;
        if (!json_is_array(items) || json_array_size(items) > BOOTSTRAP_ITEMS_MAX) {
            rc = fg_fail(err, -FG_EBAD_FIELD, "%s: '%s' must be an array of at most %d items", path,
                         sections[i].key, BOOTSTRAP_ITEMS_MAX);
            goto out;
        }
        size_t j;
        json_t *item;
        json_array_foreach(items, j, item)
        {
            rc = apply_item(&sections[i], (int)j, item, routes, route_count, dir, err);
            if (rc < 0)
                goto out;
            applied++;
        }
    }
    fg_info(NULL, "bootstrap %s: %d objects applied", path, applied);
out:
    json_decref(doc);
    return rc;
}
