/*
 * app.h - the running server: configuration, the engine, read connections,
 * the route table, API-client registry, and the command plumbing handlers use.
 *
 * Threading: app_serve() runs on the main thread and blocks until SIGTERM or
 * SIGINT; then it stops accepting, lets the engine finish and commit every
 * queued command, answers them, and returns 0. Handlers run on the HTTP
 * threads; app_reader() gives each thread its own read connection.
 *
 * A handler that writes builds a struct app_cmd, whose run() executes on the
 * engine's writer inside the batch transaction and sets the response; the
 * connection is resumed after the batch is durable. If the batch fails, fail()
 * replaces the response with the family's "unavailable" answer.
 */
#ifndef FG_APP_H
#define FG_APP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "http/http.h"

struct store;

struct app_config {
    const char *host;
    uint16_t port;
    const char *data_dir;  /* ./fundgate-data */
    const char *db_uri;    /* NULL: <data_dir>/fundgate.db */
    const char *admin_token;
    const char *bootstrap; /* JSON file applied at start */
    const char *secret_key_file; /* NULL: $FUNDGATE_SECRET_KEY_FILE or <data_dir>/secret.key */
    /* NULL: $FUNDGATE_SIGNING_KEY_FILE or <data_dir>/signing-key.pem (WorldFirst) */
    const char *signing_key_file;
    int threads;
    bool test_clock;  /* enable POST /admin/v1/test/clock */
    bool test_faults; /* enable POST /admin/v1/test/fault */
    int64_t admin_per_s, admin_burst; /* the admin token's rate; 0: limits.h defaults */
    bool access_log;                  /* one JSON line per answered request */
    const char *tls_cert, *tls_key;   /* PEM files: HTTPS when both are given */
};

struct app_cmd;
typedef int (*app_cmd_run_fn)(struct app_cmd *c, struct store *s, int64_t now_ms);
typedef void (*app_cmd_fail_fn)(struct app_cmd *c, int code);

struct app_cmd {
    struct engine_cmd ec; /* first: the engine hands this back */
    struct http_req *req;
    app_cmd_run_fn run;
    app_cmd_fail_fn fail; /* NULL: admin error envelope */
    void (*after_commit)(struct app_cmd *c); /* optional, on the writer, batch durable */
    void *data;           /* the handler's state, freed with the command */
    void (*data_free)(void *data);
};

/* Run the server until SIGTERM/SIGINT; returns the process exit code. */
int app_serve(const struct app_config *cfg);

/* The engine of the running server. */
struct engine *app_engine(void);
/* This thread's read connection (opened on first use, closed at shutdown). */
struct store *app_reader(struct fg_err *err);
const struct app_config *app_config(void);
/* The admin bearer token in force. */
const char *app_admin_token(void);
/* Record an admin write in the audit log (inside the command's transaction). */
int app_audit(struct store *s, struct http_req *req, const char *target, int64_t now_ms,
              struct fg_err *err);

/* The same with detail: JSON text of what the write carried (a reason, amounts). */
int app_audit_detail(struct store *s, struct http_req *req, const char *target, const char *detail,
                     int64_t now_ms, struct fg_err *err);

/* A command bound to req (req->user owns it, freed when the request ends).
 * data_size bytes of zeroed state are allocated with it (c->data). Never NULL. */
struct app_cmd *app_cmd_new(struct http_req *req, app_cmd_run_fn run, size_t data_size);
/* Submit: returns HTTP_PENDING, or HTTP_DONE with an error answer set through
 * fail() (queue full, shutting down). */
int app_cmd_submit(struct app_cmd *c);

/* Admin JSON answers. Takes a reference of body (json_decref'd here). */
void app_respond_json(struct http_req *req, int status, json_t *body);
/* Parse req's body as a JSON object with allowed keys; on failure answers the
 * admin error and returns the code. */
int app_parse_body(struct http_req *req, const char *const allowed[], json_t **out);

/* Copy path parameter i (the router's {} segments) into buf when it holds 1 to
 * max_bytes bytes (max_bytes < cap). A longer one is never cut to fit: the
 * handler answers 400 bad_field naming it, and false is returned (issue 9). */
bool app_param_copy(struct http_req *req, int i, const char *name, size_t max_bytes, char *buf,
                    size_t cap);

/* API clients per family (POST /admin/v1/clients). A family registers a
 * validator that checks the body and produces the client key and the config to
 * store; secret_fields are never echoed back. */
struct app_client_family {
    const char *family;
    int (*validate)(json_t *body, char *key, size_t key_cap, struct fg_err *err);
    const char *const *secret_fields; /* NULL-terminated */
};
void app_client_family_register(const struct app_client_family *f);
const struct app_client_family *app_client_family_find(const char *family);
/* The stored config of a client (new reference), or NULL. Served from memory. */
json_t *app_client_get(const char *family, const char *key);
/* Add or replace a client's config in the in-memory registry (after commit).
 * It holds at most FG_CLIENTS_MAX clients: a new one past that is
 * -FG_ELIMIT, and so is a family name or key too long to hold; the admin
 * plane refuses such a client before committing it (clients_count). */
int app_client_cache_put(const char *family, const char *key, json_t *config);
/* A client's optional "rate_limit": {"per_s": N, "burst": M} (core/ratelimit.h)
 * is the registry's, not the family's: the admin plane takes it out of the
 * body before the family's validator sees it (*given: the checked object, or
 * NULL when absent; refusals as jsonx) and stores it with the config. The
 * registry strips it from the config families get and sets the client's
 * bucket, with the defaults of limits.h when absent. */
int app_client_rate_limit_take(json_t *body, json_t **given, struct fg_err *err);
/* The rate in force for a stored config, as {"per_s","burst"} (new object). */
json_t *app_client_rate_limit_json(const json_t *config);
/* The rate-limit hook: take a token for (family, key), a client the family
 * has just authenticated (or the admin token). Adds x-ratelimit-limit,
 * x-ratelimit-remaining, x-ratelimit-reset (seconds) to the answer, and
 * Retry-After when refused; false when refused: the family then answers 429
 * in its own envelope. Internal (bootstrap) requests are never limited. */
bool app_rate_take(struct http_req *req, const char *family, const char *key);
/* The admin plane's bucket: one for the admin token. */
#define APP_ADMIN_RATE_FAMILY "admin"
#define APP_ADMIN_RATE_KEY "token"

/* Clients in the store, for that check: inside the writer's transaction. */
int app_clients_count(struct store *s, int64_t *count, struct fg_err *err);
/* The text to store for a client's config: the config with every secret field
 * of its family sealed (core/seal.h) under the server's secret key, bound to
 * (family, key, field). *text is malloc'd. The config itself is not changed. */
int app_client_config_dump(const char *family, const char *key, const json_t *config, char **text,
                           size_t *len, struct fg_err *err);

/* Every route the server answers (ops, console, admin, families), in table
 * order; built on first use (fundgate routes, tests/unit/test_openapi.c). */
const struct http_route *app_routes(int *count);

/* Route tables each module contributes. */
const struct http_route *admin_routes(int *count);

#endif
