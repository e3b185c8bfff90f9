/*
 * app.c - start-up, shutdown, read connections, commands, client registry;
 * see app.h.
 *
 * Start: data dir -> writer store (migrations) -> engine -> client registry ->
 * bootstrap -> HTTP. Stop (SIGTERM/SIGINT): stop accepting -> wait for
 * requests in flight (the engine keeps committing) -> stop the engine (drains
 * and commits the rest) -> close HTTP -> close stores.
 */
#include "app/app.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/bootstrap.h"
#include "admin/admin.h"
#include "admin/console.h"
#include "app/clients.h"
#include "app/openapi.h"
#include "core/assert.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/ratelimit.h"
#include "families/families.h"
#include "store/store.h"

#define APP_READERS_MAX (FG_HTTP_THREADS_MAX + 8)
#define APP_ROUTES_MAX 128
#define APP_DRAIN_WAIT_MS 30000
#define APP_TOKEN_BYTES 24

static struct {
    struct app_config cfg;
    char db_path[FG_FILE_PATH_BYTES_MAX + 32];
    struct engine *engine;
    pthread_mutex_t readers_mu;
    struct store *readers[APP_READERS_MAX];
    int reader_count;
    bool draining;
    struct ratelimit *limits;
    char *tls_cert, *tls_key; /* PEM text, kept while the server runs */
} app = {.readers_mu = PTHREAD_MUTEX_INITIALIZER};

static __thread struct store *thread_reader;

struct engine *app_engine(void)
{
    return app.engine;
}

const struct app_config *app_config(void)
{
    return &app.cfg;
}

struct store *app_reader(struct fg_err *err)
{
    if (thread_reader)
        return thread_reader;
    struct store *s;
    int rc = store_open(app.cfg.db_uri, false, &s, err);
    if (rc < 0)
        return NULL;
    pthread_mutex_lock(&app.readers_mu);
    if (app.reader_count >= APP_READERS_MAX) {
        pthread_mutex_unlock(&app.readers_mu);
        store_close(s);
        fg_fail(err, -FG_EINTERNAL, "more than %d reader threads", APP_READERS_MAX);
        return NULL;
    }
    app.readers[app.reader_count++] = s;
    pthread_mutex_unlock(&app.readers_mu);
    thread_reader = s;
    return s;
}

/* --- commands ----------------------------------------------------------- */

static void cmd_free(void *p)
{
    struct app_cmd *c = p;
    if (c->data_free)
        c->data_free(c->data);
    free(c);
}

static int cmd_run(struct engine_cmd *ec, struct store *s, int64_t now_ms)
{
    struct app_cmd *c = (struct app_cmd *)ec;
    return c->run(c, s, now_ms);
}

static void cmd_fail(struct app_cmd *c, int code)
{
    if (c->fail)
        c->fail(c, code);
    else
        http_req_error(c->req, code,
                       code == -FG_ESHUTDOWN ? "server is shutting down"
                       : code == -FG_EOVERLOADED
                           ? "engine queue is full, retry later"
                           : "the write could not be committed; nothing was applied");
}

static void cmd_done(struct engine_cmd *ec, int status)
{
    struct app_cmd *c = (struct app_cmd *)ec;
    if (status < 0) {
        /* The batch did not commit: whatever run() answered did not happen. */
        fg_error(c->req->trace, "%s %s: batch not committed (%s), answered unavailable",
                 c->req->method, c->req->path, fg_code_name(status));
        free(c->req->resp_body);
        c->req->resp_body = NULL;
        c->req->resp_len = 0;
        c->req->resp_header_count = 0;
        cmd_fail(c, status == -FG_EBUSY ? -FG_EBUSY : -FG_ESTORE);
    } else {
        if (c->after_commit && c->ec.result >= 0)
            c->after_commit(c);
        fg_debug(c->req->trace, "%s %s: %s (%d)", c->req->method, c->req->path,
                 c->ec.result >= 0 ? "applied" : "refused", c->req->status);
    }
    http_req_complete(c->req);
}

struct app_cmd *app_cmd_new(struct http_req *req, app_cmd_run_fn run, size_t data_size)
{
    struct app_cmd *c = calloc(1, sizeof(*c) + data_size);
    FG_ASSERT(c != NULL); /* small and bounded: out of memory here is not survivable */
    c->ec.run = cmd_run;
    c->ec.done = cmd_done;
    c->req = req;
    c->run = run;
    c->data = data_size ? (void *)(c + 1) : NULL;
    FG_ASSERT(req->user == NULL);
    req->user = c;
    req->user_free = cmd_free;
    return c;
}

int app_cmd_submit(struct app_cmd *c)
{
    int rc = engine_submit(app.engine, &c->ec);
    if (rc < 0) {
        cmd_fail(c, rc);
        return HTTP_DONE;
    }
    return HTTP_PENDING;
}

int app_audit(struct store *s, struct http_req *req, const char *target, int64_t now_ms,
              struct fg_err *err)
{
    return store_exec_changes(
        s, "INSERT INTO audit (ts_ms, actor, action, target, trace) VALUES (?, ?, ?, ?, ?)",
        STORE_ARGS(SA_INT(now_ms), SA_TEXT(req->internal ? "bootstrap" : "admin"),
                   SA_TEXT(req->route_name ? req->route_name : req->path), SA_TEXT(target),
                   SA_TEXT(req->trace)),
        NULL, err);
}

int app_audit_detail(struct store *s, struct http_req *req, const char *target, const char *detail,
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

/* --- JSON answers ------------------------------------------------------- */

void app_respond_json(struct http_req *req, int status, json_t *body)
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

int app_parse_body(struct http_req *req, const char *const allowed[], json_t **out)
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

bool app_param_copy(struct http_req *req, int i, const char *name, size_t max_bytes, char *buf,
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

bool app_rate_take(struct http_req *req, const char *family, const char *key)
{
    if (req->internal)
        return true;
    struct ratelimit_verdict v;
    bool ok = ratelimit_take(family, key, fg_clock_mono_ns() / 1000000, &v);
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

/* --- ops routes --------------------------------------------------------- */

static int ops_healthz(struct http_req *req, void *ctx)
{
    (void)ctx;
    http_req_respond_copy(req, 200, "{\"status\":\"ok\"}", 15);
    return HTTP_DONE;
}

static int ops_readyz(struct http_req *req, void *ctx)
{
    (void)ctx;
    struct fg_err err;
    struct store *s = app_reader(&err);
    int64_t one = 0;
    if (__atomic_load_n(&app.draining, __ATOMIC_RELAXED))
        http_req_error(req, -FG_ESHUTDOWN, "server is draining");
    else if (!s || store_query_int(s, "SELECT 1", STORE_NOARGS, &one, &err) < 0)
        http_req_error(req, -FG_ESTORE, "store is not reachable");
    else
        http_req_respond_copy(req, 200, "{\"status\":\"ready\"}", 18);
    return HTTP_DONE;
}

static int ops_metrics(struct http_req *req, void *ctx)
{
    (void)ctx;
    metrics_queue_depth_set(engine_queue_depth(app.engine));
    size_t len = 0;
    char *text = metrics_render(&len);
    if (!text) {
        http_req_error(req, -FG_ENOMEM, "out of memory rendering metrics");
        return HTTP_DONE;
    }
    req->content_type = "text/plain; version=0.0.4";
    http_req_respond(req, 200, text, len);
    return HTTP_DONE;
}

static const struct http_route ops_routes[] = {
    {"GET", "/healthz", ops_healthz, NULL, "healthz"},
    {"GET", "/readyz", ops_readyz, NULL, "readyz"},
    {"GET", "/metrics", ops_metrics, NULL, "metrics"},
};

static struct http_route routes[APP_ROUTES_MAX];
static int route_count;

static void routes_add(const struct http_route *r, int n)
{
    FG_ASSERT(route_count + n <= APP_ROUTES_MAX);
    memcpy(&routes[route_count], r, (size_t)n * sizeof(*r));
    route_count += n;
}

static void routes_build(void)
{
    int n;
    route_count = 0;
    routes_add(ops_routes, (int)(sizeof(ops_routes) / sizeof(ops_routes[0])));
    const struct http_route *r = openapi_routes(&n);
    routes_add(r, n);
    r = console_routes(&n);
    routes_add(r, n);
    r = admin_routes(&n);
    routes_add(r, n);
    r = admin_reads_routes(&n);
    routes_add(r, n);
    r = admin_ledger_routes(&n);
    routes_add(r, n);
    for (int i = 0; families_routes[i]; i++) {
        r = families_routes[i](&n);
        routes_add(r, n);
    }
}

const struct http_route *app_routes(int *count)
{
    if (route_count == 0)
        routes_build();
    *count = route_count;
    return routes;
}

/* --- admin token -------------------------------------------------------- */

static char admin_token_buf[FG_ADMIN_TOKEN_BYTES_MAX + 1];

const char *app_admin_token(void)
{
    return admin_token_buf;
}

/* Read path into admin_token_buf: 1 read, 0 absent or empty, -1 unusable (said
 * on stderr). One line of at most FG_ADMIN_TOKEN_BYTES_MAX bytes; never cut. */
static int token_file_read(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f && errno == ENOENT)
        return 0;
    char buf[FG_ADMIN_TOKEN_BYTES_MAX + 4];
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (!f || ferror(f)) {
        fprintf(stderr, "fundgate: cannot read %s: %s\n", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    buf[n] = '\0';
    if (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    if (n && buf[n - 1] == '\r')
        buf[--n] = '\0';
    if (n == 0)
        return 0;
    if (n > FG_ADMIN_TOKEN_BYTES_MAX || strlen(buf) != n || strpbrk(buf, "\r\n")) {
        fprintf(stderr, "fundgate: %s must hold one line of 1 to %d bytes\n", path,
                FG_ADMIN_TOKEN_BYTES_MAX);
        return -1;
    }
    memcpy(admin_token_buf, buf, n + 1);
    return 1;
}

/* Returns 1 when the token was generated now (the one time it is printed), 2
 * when read from the data dir, 0 when given, negative on failure (said on
 * stderr). */
static int token_resolve(void)
{
    const char *t = app.cfg.admin_token;
    if (!t || !*t)
        t = getenv("FUNDGATE_ADMIN_TOKEN");
    if (t && *t) {
        if (strlen(t) > FG_ADMIN_TOKEN_BYTES_MAX) {
            fprintf(stderr, "fundgate: the admin token is longer than %d bytes\n",
                    FG_ADMIN_TOKEN_BYTES_MAX);
            return -1;
        }
        snprintf(admin_token_buf, sizeof(admin_token_buf), "%s", t);
        return 0;
    }
    char path[FG_FILE_PATH_BYTES_MAX + 32];
    snprintf(path, sizeof(path), "%s/admin-token", app.cfg.data_dir);
    int rc = token_file_read(path);
    if (rc != 0)
        return rc < 0 ? rc : 2; /* read from the data dir: shown by name only */
    int fd = -1;
    bool ok = fg_random_hex(admin_token_buf, APP_TOKEN_BYTES) &&
              (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0;
    size_t n = strlen(admin_token_buf);
    ok = ok && write(fd, admin_token_buf, n) == (ssize_t)n && write(fd, "\n", 1) == 1 &&
         fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (!ok)
        fprintf(stderr, "fundgate: cannot create the admin token in %s\n", path);
    return ok ? 1 : -1;
}

/* --- serve -------------------------------------------------------------- */

static int mkdir_p(const char *dir)
{
    char buf[FG_FILE_PATH_BYTES_MAX + 1];
    snprintf(buf, sizeof(buf), "%s", dir);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0700) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    if (mkdir(buf, 0700) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* The rate-limit table (core/ratelimit.h), with the admin token's bucket,
 * installed for the hooks; clients get theirs as they are registered. */
static int serve_limits(const struct app_config *cfg)
{
    struct ratelimit_rate admin = {
        .per_s = cfg->admin_per_s ? cfg->admin_per_s : FG_RATELIMIT_ADMIN_PER_S_DEFAULT,
        .burst = cfg->admin_burst ? cfg->admin_burst : FG_RATELIMIT_ADMIN_BURST_DEFAULT,
    };
    app.limits = ratelimit_create(FG_RATELIMIT_KEYS_MAX);
    if (!app.limits || ratelimit_set(app.limits, APP_ADMIN_RATE_FAMILY, APP_ADMIN_RATE_KEY, &admin,
                                     fg_clock_mono_ns() / 1000000) < 0) {
        fprintf(stderr, "fundgate: cannot set up rate limits (admin %lld/s, burst %lld)\n",
                (long long)admin.per_s, (long long)admin.burst);
        ratelimit_destroy(app.limits);
        app.limits = NULL;
        return -1;
    }
    ratelimit_install(app.limits);
    return 0;
}

/* The data directory, the database path and the admin token; -1 when the
 * server cannot start (said on stderr). */
static int serve_prepare(const struct app_config *cfg, int *token_shown)
{
    app.cfg = *cfg;
    if (strlen(cfg->data_dir) > FG_FILE_PATH_BYTES_MAX ||
        (cfg->db_uri && strlen(cfg->db_uri) > FG_FILE_PATH_BYTES_MAX)) {
        fprintf(stderr, "fundgate: --data and --db are at most %d bytes\n", FG_FILE_PATH_BYTES_MAX);
        return -1;
    }
    if (mkdir_p(cfg->data_dir) < 0) {
        fprintf(stderr, "fundgate: cannot create data directory %s: %s\n", cfg->data_dir,
                strerror(errno));
        return -1;
    }
    if (!cfg->db_uri) {
        snprintf(app.db_path, sizeof(app.db_path), "%s/fundgate.db", cfg->data_dir);
        app.cfg.db_uri = app.db_path;
    }
    *token_shown = token_resolve();
    return *token_shown < 0 ? -1 : serve_limits(cfg);
}

static void shutdown_wait(struct http_server *srv)
{
    for (int waited = 0; http_server_inflight(srv) > 0 && waited < APP_DRAIN_WAIT_MS; waited += 5)
        usleep(5000);
}

/* The writer store, the client registry and the engine; -1 when the server
 * cannot start (said on stderr; serve_release closes what was opened). */
static int serve_open(void)
{
    struct fg_err err = {0};
    struct store *writer = NULL;
    families_init();
    if (store_open(app.cfg.db_uri, true, &writer, &err) < 0) {
        char uri_shown[1024];
        store_uri_redact(app.cfg.db_uri, uri_shown, sizeof(uri_shown));
        fprintf(stderr, "fundgate: cannot open store %s: %s\n", uri_shown, err.msg);
        return -1;
    }
    if (app_clients_start(writer, &app.cfg, &err) < 0) {
        fprintf(stderr, "fundgate: cannot load clients: %s\n", err.msg);
        store_close(writer);
        return -1;
    }
    app_clients_watch_start(app.cfg.db_uri);
    if (engine_create(writer, &app.engine, &err) < 0) {
        fprintf(stderr, "fundgate: %s\n", err.msg);
        store_close(writer);
        return -1;
    }
    if (families_start(app.engine) < 0) {
        fprintf(stderr, "fundgate: cannot start the families' periodic work\n");
        return -1;
    }
    return 0;
}

static void serve_release(struct http_server *srv)
{
    if (srv)
        http_server_stop(srv);
    families_stop();
    engine_destroy(app.engine);
    app.engine = NULL;
    pthread_mutex_lock(&app.readers_mu);
    for (int i = 0; i < app.reader_count; i++)
        store_close(app.readers[i]);
    app.reader_count = 0;
    pthread_mutex_unlock(&app.readers_mu);
    app_clients_watch_stop();
    app_clients_stop();
    ratelimit_install(NULL);
    ratelimit_destroy(app.limits);
    app.limits = NULL;
    if (app.tls_key)
        explicit_bzero(app.tls_key, strlen(app.tls_key));
    free(app.tls_key);
    free(app.tls_cert);
    app.tls_key = app.tls_cert = NULL;
}

/* The first lines on stdout: where the server listens; the admin token only
 * when it was generated now (shown == 1), otherwise where it is kept. */
static void serve_announce(const struct app_config *cfg, uint16_t port, int shown)
{
    const char *scheme = app.tls_cert ? "https" : "http";
    char store_shown[1024];
    store_uri_redact(app.cfg.db_uri, store_shown, sizeof(store_shown)); /* no password shown */
    printf("fundgate %s listening on %s://%s:%u (store %s)\n", FG_VERSION, scheme, cfg->host, port,
           store_shown);
    if (shown == 1)
        printf("admin token (generated, printed this once): %s\n", admin_token_buf);
    if (shown)
        printf("admin token kept in %s/admin-token; console: %s://%s:%u/console/\n"
               "try: curl -s -H \"Authorization: Bearer $(cat %s/admin-token)\" "
               "'%s://%s:%u/admin/v1/accounts?uuid=c1'\n",
               cfg->data_dir, scheme, cfg->host, port, cfg->data_dir, scheme, cfg->host, port);
    fflush(stdout);
}

/* Read a PEM file of at most FG_TLS_PEM_BYTES_MAX bytes (malloc'd, NUL-terminated). */
static char *pem_read(const char *path, const char *flag)
{
    FILE *f = fopen(path, "r");
    char *buf = f ? malloc(FG_TLS_PEM_BYTES_MAX + 2) : NULL;
    size_t n = buf ? fread(buf, 1, FG_TLS_PEM_BYTES_MAX + 1, f) : 0;
    bool ok = buf && !ferror(f) && n > 0 && n <= FG_TLS_PEM_BYTES_MAX;
    if (f)
        fclose(f);
    if (!ok) {
        fprintf(stderr, "fundgate: %s %s: %s\n", flag, path,
                !f ? strerror(errno) : "must be a PEM file of 1 to 65536 bytes");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* HTTPS when --tls-cert and --tls-key are both given; -1 when unusable. */
static int serve_tls(const struct app_config *cfg, struct http_server_config *hc)
{
    if (!cfg->tls_cert && !cfg->tls_key)
        return 0;
    if (!cfg->tls_cert || !cfg->tls_key) {
        fprintf(stderr, "fundgate: --tls-cert and --tls-key go together\n");
        return -1;
    }
    app.tls_cert = pem_read(cfg->tls_cert, "--tls-cert");
    app.tls_key = app.tls_cert ? pem_read(cfg->tls_key, "--tls-key") : NULL;
    if (!app.tls_key)
        return -1;
    hc->tls_cert_pem = app.tls_cert;
    hc->tls_key_pem = app.tls_key;
    return 0;
}

int app_serve(const struct app_config *cfg)
{
    struct fg_err err = {0};
    int exit_code = 1;
    struct http_server *srv = NULL;

    /* Signals go to sigwait below, never to a worker thread. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    int shown = 0;
    if (serve_prepare(cfg, &shown) < 0 || serve_open() < 0)
        goto out;
    routes_build();
    if (cfg->bootstrap && app_bootstrap(cfg->bootstrap, routes, route_count, &err) < 0) {
        fprintf(stderr, "fundgate: bootstrap %s failed: %s\n", cfg->bootstrap, err.msg);
        goto out;
    }

    struct http_server_config hc = {
        .host = cfg->host,
        .port = cfg->port,
        .threads = cfg->threads,
        .routes = routes,
        .route_count = route_count,
        .access_log = cfg->access_log,
    };
    if (serve_tls(cfg, &hc) < 0)
        goto out;
    if (http_server_start(&hc, &srv, &err) < 0) {
        fprintf(stderr, "fundgate: cannot listen on %s:%u: %s\n", cfg->host, cfg->port, err.msg);
        goto out;
    }
    uint16_t port = http_server_port(srv);
    serve_announce(cfg, port, shown);
    fg_info(NULL, "listening on %s:%u", cfg->host, port);

    int sig = 0;
    sigwait(&set, &sig);
    fg_info(NULL, "signal %d: draining", sig);
    __atomic_store_n(&app.draining, true, __ATOMIC_RELAXED);
    http_server_quiesce(srv);
    shutdown_wait(srv);
    families_stop(); /* its sweep is a command: before the engine stops */
    engine_stop(app.engine);
    shutdown_wait(srv);
    exit_code = 0;
out:
    serve_release(srv);
    if (exit_code == 0)
        fg_info(NULL, "stopped cleanly");
    return exit_code;
}
