/*
 * app.c - start-up and shutdown of the server; see app.h for the order of
 * both. Everything a handler uses lives in src/api/; this file only
 * assembles it.
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

#include "api/clients.h"
#include "app/bootstrap.h"
#include "core/crypto.h"
#include "core/log.h"
#include "engine/engine.h"
#include "store/store.h"

#define APP_DRAIN_WAIT_MS 30000
#define APP_TOKEN_BYTES 24

/* --- admin token -------------------------------------------------------- */

/* Read path into api->admin_token: 1 read, 0 absent or empty, -1 unusable
 * (said on stderr). One line of at most FG_ADMIN_TOKEN_BYTES_MAX bytes; never
 * cut. */
static int token_file_read(struct api *api, const char *path)
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
    memcpy(api->admin_token, buf, n + 1);
    return 1;
}

/* A new random token in path (mode 0600). 1, or -1 (said on stderr). */
static int token_file_create(struct api *api, const char *path)
{
    int fd = -1;
    bool ok = fg_random_hex(api->admin_token, APP_TOKEN_BYTES) &&
              (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0;
    size_t n = strlen(api->admin_token);
    ok = ok && write(fd, api->admin_token, n) == (ssize_t)n && write(fd, "\n", 1) == 1 &&
         fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (!ok)
        fprintf(stderr, "fundgate: cannot create the admin token in %s\n", path);
    return ok ? 1 : -1;
}

/* Returns 1 when the token was generated now (the one time it is printed), 2
 * when read from the data dir, 0 when given, negative on failure (said on
 * stderr). */
static int token_resolve(struct api *api)
{
    const char *t = api->cfg.admin_token;
    if (!t || !*t)
        t = getenv("FUNDGATE_ADMIN_TOKEN");
    if (t && *t) {
        if (strlen(t) > FG_ADMIN_TOKEN_BYTES_MAX) {
            fprintf(stderr, "fundgate: the admin token is longer than %d bytes\n",
                    FG_ADMIN_TOKEN_BYTES_MAX);
            return -1;
        }
        snprintf(api->admin_token, sizeof(api->admin_token), "%s", t);
        return 0;
    }
    char path[FG_FILE_PATH_BYTES_MAX + 32];
    snprintf(path, sizeof(path), "%s/admin-token", api->cfg.data_dir);
    int rc = token_file_read(api, path);
    if (rc != 0)
        return rc < 0 ? rc : 2; /* read from the data dir: shown by name only */
    return token_file_create(api, path);
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

/* The context, the data directory and the admin token; -1 when the server
 * cannot start (said on stderr). */
static int serve_prepare(struct api *api, const struct api_config *cfg, int *token_shown)
{
    struct fg_err err = {0};
    if (api_init(api, cfg, app_families, &err) < 0) {
        fprintf(stderr, "fundgate: %s\n", err.msg);
        return -1;
    }
    if (mkdir_p(cfg->data_dir) < 0) {
        fprintf(stderr, "fundgate: cannot create data directory %s: %s\n", cfg->data_dir,
                strerror(errno));
        return -1;
    }
    *token_shown = token_resolve(api);
    return *token_shown < 0 ? -1 : 0;
}

/* Each family's error spaces, then its init (before anything can meet them). */
static void families_init(void)
{
    for (int i = 0; app_families[i]; i++) {
        const struct api_family *f = app_families[i];
        for (int k = 0; f->error_spaces && f->error_spaces[k]; k++)
            fg_error_space_register(f->error_spaces[k]);
        if (f->init)
            f->init();
    }
}

static void families_fini(void)
{
    for (int i = 0; app_families[i]; i++)
        if (app_families[i]->fini)
            app_families[i]->fini();
}

/* Each family's threads once the engine runs (api->engine set); -1 when one
 * cannot start (said on stderr; families_stop stops the others). */
static int families_start(struct api *api)
{
    for (int i = 0; app_families[i]; i++) {
        struct fg_err err = {0};
        const struct api_family *f = app_families[i];
        if (f->start && f->start(api, &err) < 0) {
            fprintf(stderr, "fundgate: cannot start %s: %s\n", f->name, err.msg);
            return -1;
        }
    }
    return 0;
}

/* Before the engine stops (their threads submit commands), in the reverse
 * order of their start (the outbox's dispatcher before the WorldFirst key
 * its deliveries sign with). Idempotent. */
static void families_stop(void)
{
    int n = 0;
    while (app_families[n])
        n++;
    for (int i = n - 1; i >= 0; i--)
        if (app_families[i]->stop)
            app_families[i]->stop();
}

/* The writer's periodic jobs: hold expiry, then each family's. */
static int jobs_add(struct engine *e)
{
    int rc = engine_job_add(e, &engine_job_hold_expiry);
    for (int i = 0; rc == 0 && app_families[i]; i++)
        for (int k = 0; rc == 0 && app_families[i]->jobs && app_families[i]->jobs[k]; k++)
            rc = engine_job_add(e, app_families[i]->jobs[k]);
    if (rc < 0)
        fprintf(stderr, "fundgate: more than %d periodic jobs\n", FG_ENGINE_JOBS_MAX);
    return rc < 0 ? -1 : 0;
}

/* The writer store, the client registry and the engine; -1 when the server
 * cannot start (said on stderr; serve_release closes what was opened). */
static int serve_open(struct api *api)
{
    struct fg_err err = {0};
    struct store *writer = NULL;
    if (store_open(api->cfg.db_uri, true, &writer, &err) < 0) {
        char uri_shown[1024];
        store_uri_redact(api->cfg.db_uri, uri_shown, sizeof(uri_shown));
        fprintf(stderr, "fundgate: cannot open store %s: %s\n", uri_shown, err.msg);
        return -1;
    }
    if (api_clients_start(api, writer, &err) < 0) {
        fprintf(stderr, "fundgate: cannot load clients: %s\n", err.msg);
        store_close(writer);
        return -1;
    }
    api_clients_watch_start(api);
    if (engine_create(writer, &api->engine, &err) < 0) {
        fprintf(stderr, "fundgate: %s\n", err.msg);
        store_close(writer);
        return -1;
    }
    if (jobs_add(api->engine) < 0)
        return -1;
    return families_start(api);
}

/* PEM text of --tls-cert and --tls-key, kept while the server runs. */
struct app_tls {
    char *cert, *key;
};

static void serve_release(struct api *api, struct http_server *srv, struct app_tls *tls)
{
    if (srv)
        http_server_stop(srv);
    families_stop();
    engine_destroy(api->engine);
    api->engine = NULL;
    api_clients_watch_stop(api);
    api_clients_stop(api);
    api_release(api);
    if (tls->key)
        explicit_bzero(tls->key, strlen(tls->key));
    free(tls->key);
    free(tls->cert);
    tls->key = tls->cert = NULL;
}

static void shutdown_wait(struct http_server *srv)
{
    for (int waited = 0; http_server_inflight(srv) > 0 && waited < APP_DRAIN_WAIT_MS; waited += 5)
        usleep(5000);
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
static int serve_tls(const struct api_config *cfg, struct app_tls *tls,
                     struct http_server_config *hc)
{
    if (!cfg->tls_cert && !cfg->tls_key)
        return 0;
    if (!cfg->tls_cert || !cfg->tls_key) {
        fprintf(stderr, "fundgate: --tls-cert and --tls-key go together\n");
        return -1;
    }
    tls->cert = pem_read(cfg->tls_cert, "--tls-cert");
    tls->key = tls->cert ? pem_read(cfg->tls_key, "--tls-key") : NULL;
    if (!tls->key)
        return -1;
    hc->tls_cert_pem = tls->cert;
    hc->tls_key_pem = tls->key;
    return 0;
}

/* Routes, bootstrap, HTTP: 0 with *srv listening, or -1 (said on stderr). */
static int serve_listen(struct api *api, struct http_route *routes, struct app_tls *tls,
                        struct http_server **srv)
{
    struct fg_err err = {0};
    const struct api_config *cfg = &api->cfg;
    int route_count = app_routes_build(api, routes, APP_ROUTES_MAX);
    struct api_bootstrap_section sections[APP_BOOTSTRAP_SECTIONS_MAX];
    app_bootstrap_sections(sections, APP_BOOTSTRAP_SECTIONS_MAX);
    if (cfg->bootstrap && app_bootstrap(cfg->bootstrap, sections, routes, route_count, &err) < 0) {
        fprintf(stderr, "fundgate: bootstrap %s failed: %s\n", cfg->bootstrap, err.msg);
        return -1;
    }
    struct http_server_config hc = {
        .host = cfg->host,
        .port = cfg->port,
        .threads = cfg->threads,
        .routes = routes,
        .route_count = route_count,
        .access_log = cfg->access_log,
    };
    if (serve_tls(cfg, tls, &hc) < 0)
        return -1;
    if (http_server_start(&hc, srv, &err) < 0) {
        fprintf(stderr, "fundgate: cannot listen on %s:%u: %s\n", cfg->host, cfg->port, err.msg);
        return -1;
    }
    return 0;
}

/* The first lines on stdout: where the server listens; the admin token only
 * when it was generated now (shown == 1), otherwise where it is kept. */
static void serve_announce(struct api *api, struct http_server *srv, bool tls, int shown)
{
    const struct api_config *cfg = &api->cfg;
    uint16_t port = http_server_port(srv);
    const char *scheme = tls ? "https" : "http";
    char store_shown[1024];
    store_uri_redact(cfg->db_uri, store_shown, sizeof(store_shown)); /* no password shown */
    printf("fundgate %s listening on %s://%s:%u (store %s)\n", FG_VERSION, scheme, cfg->host, port,
           store_shown);
    if (shown == 1)
        printf("admin token (generated, printed this once): %s\n", api->admin_token);
    if (shown)
        printf("admin token kept in %s/admin-token; console: %s://%s:%u/console/\n"
               "try: curl -s -H \"Authorization: Bearer $(cat %s/admin-token)\" "
               "'%s://%s:%u/admin/v1/accounts?uuid=c1'\n",
               cfg->data_dir, scheme, cfg->host, port, cfg->data_dir, scheme, cfg->host, port);
    fflush(stdout);
    fg_info(NULL, "listening on %s:%u", cfg->host, port);
}

int app_serve(const struct api_config *cfg)
{
    static struct api api; /* large (the readers, the registry's pointer): not on the stack */
    static struct http_route routes[APP_ROUTES_MAX];
    struct app_tls tls = {NULL, NULL};
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
    families_init();
    if (serve_prepare(&api, cfg, &shown) < 0 || serve_open(&api) < 0 ||
        serve_listen(&api, routes, &tls, &srv) < 0)
        goto out;
    serve_announce(&api, srv, tls.cert != NULL, shown);

    int sig = 0;
    sigwait(&set, &sig);
    fg_info(NULL, "signal %d: draining", sig);
    __atomic_store_n(&api.draining, true, __ATOMIC_RELAXED);
    http_server_quiesce(srv);
    shutdown_wait(srv);
    families_stop(); /* their threads submit commands: before the engine stops */
    engine_stop(api.engine);
    shutdown_wait(srv);
    exit_code = 0;
out:
    serve_release(&api, srv, &tls);
    families_fini();
    if (exit_code == 0)
        fg_info(NULL, "stopped cleanly");
    return exit_code;
}
