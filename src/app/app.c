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
#include "core/assert.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/metrics.h"
#include "families/families.h"
#include "store/store.h"

#define APP_READERS_MAX (FG_HTTP_THREADS_MAX + 8)
#define APP_CLIENTS_MAX 1024
#define APP_ROUTES_MAX 128
#define APP_DRAIN_WAIT_MS 30000
#define APP_TOKEN_BYTES 24

static struct {
    struct app_config cfg;
    char db_path[1024];
    struct engine *engine;
    pthread_mutex_t readers_mu;
    struct store *readers[APP_READERS_MAX];
    int reader_count;
    bool draining;
    /* Several processes on one database (clients_watch_start). */
    bool shared_db, watch_stop;
    pthread_t watcher;
    struct store *watch_store;
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

/* --- API clients -------------------------------------------------------- */

#define APP_FAMILIES_MAX 8

static const struct app_client_family *families[APP_FAMILIES_MAX];
static int family_count;

static struct {
    pthread_rwlock_t lock;
    int n;
    struct client_entry {
        char family[32];
        char key[FG_NAME_BYTES_MAX + 1];
        json_t *config;
    } e[APP_CLIENTS_MAX];
} clients = {.lock = PTHREAD_RWLOCK_INITIALIZER};

void app_client_family_register(const struct app_client_family *f)
{
    FG_ASSERT(family_count < APP_FAMILIES_MAX);
    if (app_client_family_find(f->family))
        return;
    families[family_count++] = f;
}

const struct app_client_family *app_client_family_find(const char *family)
{
    for (int i = 0; i < family_count; i++)
        if (strcmp(families[i]->family, family) == 0)
            return families[i];
    return NULL;
}

static json_t *client_lookup(const char *family, const char *key)
{
    json_t *found = NULL;
    pthread_rwlock_rdlock(&clients.lock);
    for (int i = 0; i < clients.n; i++)
        if (strcmp(clients.e[i].family, family) == 0 && strcmp(clients.e[i].key, key) == 0) {
            found = json_incref(clients.e[i].config);
            break;
        }
    pthread_rwlock_unlock(&clients.lock);
    return found;
}

static int client_load_row(void *ctx, struct store_row *row);

json_t *app_client_get(const char *family, const char *key)
{
    json_t *found = client_lookup(family, key);
    /* Several nodes on one database: a client another node created a moment
     * ago may not have reached this registry yet (clients_watch); ask. */
    if (found || !__atomic_load_n(&app.shared_db, __ATOMIC_ACQUIRE))
        return found;
    struct fg_err err;
    struct store *s = app_reader(&err);
    if (s && store_exec(s, "SELECT family, client_key, config FROM clients WHERE family = ? AND "
                           "client_key = ?",
                        STORE_ARGS(SA_TEXT(family), SA_TEXT(key)), client_load_row, NULL,
                        &err) == 0)
        found = client_lookup(family, key);
    return found;
}

void app_client_cache_put(const char *family, const char *key, json_t *config)
{
    pthread_rwlock_wrlock(&clients.lock);
    int i;
    for (i = 0; i < clients.n; i++)
        if (strcmp(clients.e[i].family, family) == 0 && strcmp(clients.e[i].key, key) == 0)
            break;
    if (i == clients.n) {
        if (clients.n >= APP_CLIENTS_MAX) {
            pthread_rwlock_unlock(&clients.lock);
            fg_error(NULL, "client registry full (%d)", APP_CLIENTS_MAX);
            return;
        }
        clients.n++;
        snprintf(clients.e[i].family, sizeof(clients.e[i].family), "%s", family);
        snprintf(clients.e[i].key, sizeof(clients.e[i].key), "%s", key);
    } else if (json_equal(clients.e[i].config, config)) {
        pthread_rwlock_unlock(&clients.lock); /* unchanged: keep the object (parsed caches) */
        return;
    } else {
        json_decref(clients.e[i].config);
    }
    clients.e[i].config = json_incref(config);
    pthread_rwlock_unlock(&clients.lock);
}

static void clients_clear(void)
{
    pthread_rwlock_wrlock(&clients.lock);
    for (int i = 0; i < clients.n; i++)
        json_decref(clients.e[i].config);
    clients.n = 0;
    pthread_rwlock_unlock(&clients.lock);
}

static int client_load_row(void *ctx, struct store_row *row)
{
    (void)ctx;
    char family[32], key[FG_NAME_BYTES_MAX + 1];
    size_t len = 0;
    store_row_text_copy(row, 0, family, sizeof(family));
    store_row_text_copy(row, 1, key, sizeof(key));
    const char *text = store_row_text(row, 2, &len);
    json_t *cfg = text ? json_loadb(text, len, 0, NULL) : NULL;
    if (!cfg) {
        fg_error(NULL, "client %s/%s has an unreadable config", family, key);
        return 0;
    }
    app_client_cache_put(family, key, cfg);
    json_decref(cfg);
    return 0;
}

/* --- clients across processes ------------------------------------------
 *
 * Several fundgate nodes on one PostgreSQL database: a client posted to one
 * node must reach every node's registry. A watcher thread listens on its own
 * connection for the store's "clients changed" notice (store.h, listen) and
 * reloads the registry when one comes, after a reconnect (notices may have
 * been missed), and every APP_CLIENTS_RELOAD_MS in any case. A miss in the
 * registry asks the database (app_client_get). SQLite has one process per
 * database, so no watcher runs there. */

#define APP_CLIENTS_RELOAD_MS 10000
#define APP_CLIENTS_WAIT_MS 500

static int clients_reload(struct store *s)
{
    struct fg_err err;
    int rc = store_exec(s, "SELECT family, client_key, config FROM clients", STORE_NOARGS,
                        client_load_row, NULL, &err);
    if (rc < 0)
        fg_warn(NULL, "clients watcher: reload failed: %s", err.msg);
    return rc;
}

static void *clients_watch_main(void *arg)
{
    struct store *s = arg;
    int64_t last = fg_clock_mono_ns();
    bool reload = true; /* what changed between the start's load and the LISTEN */
    while (!__atomic_load_n(&app.watch_stop, __ATOMIC_ACQUIRE)) {
        struct fg_err err;
        int rc = store_wait_notice(s, APP_CLIENTS_WAIT_MS, &err);
        if (rc < 0) { /* connection lost: listen again, which reconnects */
            usleep(APP_CLIENTS_WAIT_MS * 1000);
            reload = store_listen(s, STORE_CHANNEL_CLIENTS, &err) == 0;
            continue;
        }
        if (rc > 0 || fg_clock_mono_ns() - last > APP_CLIENTS_RELOAD_MS * INT64_C(1000000))
            reload = true;
        if (reload && clients_reload(s) == 0) {
            reload = false;
            last = fg_clock_mono_ns();
        }
    }
    return NULL;
}

/* Start the watcher when the store has notices (PostgreSQL). */
static void clients_watch_start(void)
{
    struct fg_err err;
    struct store *s = NULL;
    if (store_open(app.cfg.db_uri, false, &s, &err) < 0)
        return;
    if (store_listen(s, STORE_CHANNEL_CLIENTS, &err) < 0 ||
        pthread_create(&app.watcher, NULL, clients_watch_main, s) != 0) {
        store_close(s);
        return;
    }
    app.watch_store = s;
    __atomic_store_n(&app.shared_db, true, __ATOMIC_RELEASE);
}

static void clients_watch_stop(void)
{
    if (!app.watch_store)
        return;
    __atomic_store_n(&app.watch_stop, true, __ATOMIC_RELEASE);
    pthread_join(app.watcher, NULL);
    store_close(app.watch_store);
    app.watch_store = NULL;
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
    const struct http_route *r = admin_routes(&n);
    routes_add(r, n);
    for (int i = 0; families_routes[i]; i++) {
        r = families_routes[i](&n);
        routes_add(r, n);
    }
}

/* --- admin token -------------------------------------------------------- */

static char admin_token_buf[128];

const char *app_admin_token(void)
{
    return admin_token_buf;
}

/* Returns 1 when the token was generated or read from the data dir (so it should
 * be shown), 0 when given, negative on failure. */
static int token_resolve(void)
{
    const char *t = app.cfg.admin_token;
    if (!t || !*t)
        t = getenv("FUNDGATE_ADMIN_TOKEN");
    if (t && *t) {
        snprintf(admin_token_buf, sizeof(admin_token_buf), "%s", t);
        return 0;
    }
    char path[1100];
    snprintf(path, sizeof(path), "%s/admin-token", app.cfg.data_dir);
    FILE *f = fopen(path, "r");
    if (f) {
        char *ok = fgets(admin_token_buf, sizeof(admin_token_buf), f);
        fclose(f);
        if (ok) {
            admin_token_buf[strcspn(admin_token_buf, "\r\n")] = '\0';
            if (admin_token_buf[0])
                return 1;
        }
    }
    if (!fg_random_hex(admin_token_buf, APP_TOKEN_BYTES))
        return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    size_t n = strlen(admin_token_buf);
    bool ok = write(fd, admin_token_buf, n) == (ssize_t)n && write(fd, "\n", 1) == 1 &&
              fsync(fd) == 0;
    close(fd);
    return ok ? 1 : -1;
}

/* --- serve -------------------------------------------------------------- */

static int mkdir_p(const char *dir)
{
    char buf[1024];
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

static void shutdown_wait(struct http_server *srv)
{
    for (int waited = 0; http_server_inflight(srv) > 0 && waited < APP_DRAIN_WAIT_MS;
         waited += 5)
        usleep(5000);
}

int app_serve(const struct app_config *cfg)
{
    struct fg_err err = {0};
    int exit_code = 1;
    struct store *writer = NULL;
    struct http_server *srv = NULL;

    app.cfg = *cfg;
    if (mkdir_p(cfg->data_dir) < 0) {
        fprintf(stderr, "fundgate: cannot create data directory %s: %s\n", cfg->data_dir,
                strerror(errno));
        return 1;
    }
    if (!cfg->db_uri) {
        snprintf(app.db_path, sizeof(app.db_path), "%s/fundgate.db", cfg->data_dir);
        app.cfg.db_uri = app.db_path;
    }
    int shown = token_resolve();
    if (shown < 0) {
        fprintf(stderr, "fundgate: cannot create the admin token in %s\n", cfg->data_dir);
        return 1;
    }

    /* Signals go to sigwait below, never to a worker thread. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    families_init();
    if (store_open(app.cfg.db_uri, true, &writer, &err) < 0) {
        char uri_shown[1024];
        store_uri_redact(app.cfg.db_uri, uri_shown, sizeof(uri_shown));
        fprintf(stderr, "fundgate: cannot open store %s: %s\n", uri_shown, err.msg);
        return 1;
    }
    if (store_exec(writer, "SELECT family, client_key, config FROM clients", STORE_NOARGS,
                   client_load_row, NULL, &err) < 0) {
        fprintf(stderr, "fundgate: cannot load clients: %s\n", err.msg);
        store_close(writer);
        return 1;
    }
    clients_watch_start();
    if (engine_create(writer, &app.engine, &err) < 0) {
        clients_watch_stop();
        fprintf(stderr, "fundgate: %s\n", err.msg);
        store_close(writer);
        return 1;
    }
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
    };
    if (http_server_start(&hc, &srv, &err) < 0) {
        fprintf(stderr, "fundgate: cannot listen on %s:%u: %s\n", cfg->host, cfg->port,
                err.msg);
        goto out;
    }
    uint16_t port = http_server_port(srv);
    char store_shown[1024];
    store_uri_redact(app.cfg.db_uri, store_shown, sizeof(store_shown)); /* no password shown */
    printf("fundgate %s listening on http://%s:%u (store %s)\n", FG_VERSION, cfg->host, port,
           store_shown);
    if (shown) {
        printf("admin token: %s  (kept in %s/admin-token)\n", admin_token_buf, cfg->data_dir);
        printf("try: curl -s -H 'Authorization: Bearer %s' 'http://%s:%u/admin/v1/accounts?uuid=c1'\n",
               admin_token_buf, cfg->host, port);
    }
    fflush(stdout);
    fg_info(NULL, "listening on %s:%u", cfg->host, port);

    int sig = 0;
    sigwait(&set, &sig);
    fg_info(NULL, "signal %d: draining", sig);
    __atomic_store_n(&app.draining, true, __ATOMIC_RELAXED);
    http_server_quiesce(srv);
    shutdown_wait(srv);
    engine_stop(app.engine);
    shutdown_wait(srv);
    exit_code = 0;
out:
    if (srv)
        http_server_stop(srv);
    engine_destroy(app.engine);
    app.engine = NULL;
    pthread_mutex_lock(&app.readers_mu);
    for (int i = 0; i < app.reader_count; i++)
        store_close(app.readers[i]);
    app.reader_count = 0;
    pthread_mutex_unlock(&app.readers_mu);
    clients_watch_stop();
    clients_clear();
    if (exit_code == 0)
        fg_info(NULL, "stopped cleanly");
    return exit_code;
}
