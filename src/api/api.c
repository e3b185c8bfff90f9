/*
 * api.c - the server's context: set-up and release, read connections, the
 * audit log, the rate-limit hook and the admin plane's JSON answers; see
 * api.h.
 */
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/clients.h"
#include "api/api_idem.h"
#include "api/family.h"
#include "core/assert.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/ratelimit.h"
#include "core/sig.h"
#include "store/store.h"

/* Tells the contexts of one process apart (a test may run several in turn). */
static uint64_t epoch_last;

/* This thread's reader and the context (and epoch) it belongs to. */
static __thread struct store *thread_reader;
static __thread const struct api *thread_reader_api;
static __thread uint64_t thread_reader_epoch;

/* The rate-limit table, with the admin token's bucket; clients get theirs as
 * they are registered (api/clients.h). */
static int limits_create(struct api *api, struct fg_err *err)
{
    const struct api_config *cfg = &api->cfg;
    struct ratelimit_rate admin = {
        .per_s = cfg->admin_per_s ? cfg->admin_per_s : FG_RATELIMIT_ADMIN_PER_S_DEFAULT,
        .burst = cfg->admin_burst ? cfg->admin_burst : FG_RATELIMIT_ADMIN_BURST_DEFAULT,
    };
    api->limits = ratelimit_create(FG_RATELIMIT_KEYS_MAX);
    if (!api->limits || ratelimit_set(api->limits, API_ADMIN_RATE_FAMILY, API_ADMIN_RATE_KEY,
                                      &admin, fg_clock_mono_ns() / 1000000) < 0)
        return fg_fail(err, -FG_EBAD_FIELD, "cannot set up rate limits (admin %lld/s, burst %lld)",
                       (long long)admin.per_s, (long long)admin.burst);
    return 0;
}

int api_init(struct api *api, const struct api_config *cfg,
             const struct api_family *const *families, struct fg_err *err)
{
    memset(api, 0, sizeof(*api));
    pthread_mutex_init(&api->readers_mu, NULL);
    api->cfg = *cfg;
    api->families = families;
    api->epoch = __atomic_add_fetch(&epoch_last, 1, __ATOMIC_RELAXED);
    if (strlen(cfg->data_dir) > FG_FILE_PATH_BYTES_MAX ||
        (cfg->db_uri && strlen(cfg->db_uri) > FG_FILE_PATH_BYTES_MAX))
        return fg_fail(err, -FG_EBAD_FIELD, "--data and --db are at most %d bytes",
                       FG_FILE_PATH_BYTES_MAX);
    if (!cfg->db_uri) {
        snprintf(api->db_path, sizeof(api->db_path), "%s/fundgate.db", cfg->data_dir);
        api->cfg.db_uri = api->db_path;
    }
    int rc = limits_create(api, err);
    if (rc == 0 && !(api->clients = api_clients_create()))
        rc = fg_fail(err, -FG_ENOMEM, "out of memory for the client registry");
    if (rc == 0 && !(api->inflight = api_inflight_create()))
        rc = fg_fail(err, -FG_ENOMEM, "out of memory for the in-flight table");
    return rc;
}

void api_release(struct api *api)
{
    if (api->clients)
        api_clients_watch_stop(api); /* its thread reads api */
    pthread_mutex_lock(&api->readers_mu);
    for (int i = 0; i < api->reader_count; i++)
        store_close(api->readers[i]);
    api->reader_count = 0;
    pthread_mutex_unlock(&api->readers_mu);
    api_clients_destroy(api->clients);
    api->clients = NULL;
    ratelimit_destroy(api->limits);
    api->limits = NULL;
    api_inflight_destroy(api->inflight);
    api->inflight = NULL;
}

const struct api_family *api_family_find(const struct api *api, const char *name)
{
    for (int i = 0; api->families && api->families[i]; i++)
        if (strcmp(api->families[i]->name, name) == 0)
            return api->families[i];
    return NULL;
}

struct store *api_reader(struct api *api, struct fg_err *err)
{
    if (thread_reader && thread_reader_api == api && thread_reader_epoch == api->epoch)
        return thread_reader;
    struct store *s;
    int rc = store_open(api->cfg.db_uri, false, &s, err);
    if (rc < 0)
        return NULL;
    pthread_mutex_lock(&api->readers_mu);
    if (api->reader_count >= API_READERS_MAX) {
        pthread_mutex_unlock(&api->readers_mu);
        store_close(s);
        fg_fail(err, -FG_EINTERNAL, "more than %d reader threads", API_READERS_MAX);
        return NULL;
    }
    api->readers[api->reader_count++] = s;
    pthread_mutex_unlock(&api->readers_mu);
    thread_reader = s;
    thread_reader_api = api;
    thread_reader_epoch = api->epoch;
    return s;
}

int api_audit(struct store *s, struct http_req *req, const char *target, int64_t now_ms,
              struct fg_err *err)
{
    return store_exec_changes(
        s, "INSERT INTO audit (ts_ms, actor, action, target, trace) VALUES (?, ?, ?, ?, ?)",
        STORE_ARGS(SA_INT(now_ms), SA_TEXT(req->internal ? "bootstrap" : "admin"),
                   SA_TEXT(req->route_name ? req->route_name : req->path), SA_TEXT(target),
                   SA_TEXT(req->trace)),
        NULL, err);
}

int api_audit_detail(struct store *s, struct http_req *req, const char *target, const char *detail,
                     int64_t now_ms, struct fg_err *err)
{
    return store_exec_changes(s,
                              "INSERT INTO audit (ts_ms, actor, action, target, trace, detail) "
                              "VALUES (?, ?, ?, ?, ?, ?)",
                              STORE_ARGS(SA_INT(now_ms),
                                         SA_TEXT(req->internal ? "bootstrap" : "admin"),
                                         SA_TEXT(req->route_name ? req->route_name : req->path),
                                         SA_TEXT(target), SA_TEXT(req->trace), SA_TEXT(detail)),
                              NULL, err);
}

bool api_rate_take(struct api *api, struct http_req *req, const char *family, const char *key)
{
    if (req->internal || !api->limits)
        return true;
    struct ratelimit_verdict v;
    bool ok = ratelimit_take_in(api->limits, family, key, fg_clock_mono_ns() / 1000000, &v);
    char n[24];
    if (v.limit > 0) {
        snprintf(n, sizeof(n), "%lld", (long long)v.limit);
        http_req_add_header(req, "x-ratelimit-limit", n);
        snprintf(n, sizeof(n), "%lld", (long long)v.remaining);
        http_req_add_header(req, "x-ratelimit-remaining", n);
        snprintf(n, sizeof(n), "%lld", (long long)v.reset_s);
        http_req_add_header(req, "x-ratelimit-reset", n);
    }
    snprintf(req->client, sizeof(req->client), "%s:%s", family, key); /* for the access log */
    if (!ok) {
        snprintf(n, sizeof(n), "%lld", (long long)v.retry_after_s);
        http_req_add_header(req, "Retry-After", n);
        fg_info(req->trace, "rate limit: %s %s refused (%s/%s)", req->method, req->path, family,
                key);
    }
    return ok;
}

/* --- the admin plane's gate --------------------------------------------- */

static bool admin_authorized(const struct api *api, struct http_req *req)
{
    if (req->internal)
        return true;
    const char *h = http_req_header(req, "Authorization");
    const char *tok = api->admin_token;
    if (!h || strncmp(h, "Bearer ", 7) != 0 || !tok[0])
        return false;
    return sig_equal(h + 7, strlen(h + 7), tok, strlen(tok));
}

bool api_admin_allowed(struct api *api, struct http_req *req)
{
    if (!admin_authorized(api, req)) {
        http_req_error(req, -FG_EUNAUTHORIZED, "missing or wrong admin bearer token");
        return false;
    }
    if (!api_rate_take(api, req, API_ADMIN_RATE_FAMILY, API_ADMIN_RATE_KEY)) {
        http_req_error(req, -FG_ERATE_LIMITED,
                       "the admin token is over its rate limit (--admin-rate-limit); retry after "
                       "Retry-After seconds");
        return false;
    }
    return true;
}

/* --- JSON answers ------------------------------------------------------- */

void api_respond_json(struct http_req *req, int status, json_t *body)
{
    size_t len = 0;
    char *s = jsonx_dump(body, &len);
    json_decref(body);
    if (!s) {
        http_req_error(req, -FG_ENOMEM, "out of memory encoding the answer");
        return;
    }
    http_req_respond(req, status, s, len);
}

int api_parse_body(struct http_req *req, const char *const allowed[], json_t **out)
{
    struct fg_err err;
    int rc = jsonx_parse_object(req->body, req->body_len, out, &err);
    if (rc == 0 && allowed && (rc = jsonx_check_keys(*out, allowed, &err)) < 0) {
        json_decref(*out);
        *out = NULL;
    }
    if (rc < 0)
        http_req_error(req, rc, err.msg);
    return rc;
}

bool api_param_copy(struct http_req *req, int i, const char *name, size_t max_bytes, char *buf,
                    size_t cap)
{
    FG_ASSERT(i >= 0 && i < HTTP_PARAMS_MAX && max_bytes < cap);
    size_t n = strnlen(req->params[i], HTTP_PARAM_BYTES_MAX);
    if (n == 0 || n > max_bytes) {
        struct fg_err err;
        fg_fail(&err, -FG_EBAD_FIELD, "path parameter '%s' must be 1 to %zu bytes", name,
                max_bytes);
        http_req_error(req, err.code, err.msg);
        return false;
    }
    memcpy(buf, req->params[i], n + 1);
    return true;
}
