/*
 * api.h - the lower library every API family is written on (issue 11): the
 * server's context, read connections, the audit log, the rate-limit hook and
 * the admin plane's JSON answers. It knows no family: families describe
 * themselves to it (api/family.h) and the composition root (src/app/) hands
 * it the list.
 *
 * The context: one struct api per running server, made by the root at start
 * (api_init) and given to every handler as its route's ctx (http_route.ctx)
 * and to every command (struct api_cmd, api_cmd.h). Nothing here is a global
 * getter; the clock (core/clock.h) and the log level stay process-wide.
 *
 * Threading: api_init and api_release run on the main thread, before the
 * first and after the last request. Everything else is thread-safe: handlers
 * run on the HTTP threads, commands on the engine's writer. api_reader gives
 * each thread its own read connection (opened on first use, closed by
 * api_release); the client registry (api/clients.h) is read under a rwlock.
 *
 * Failure: api_init either sets up everything (client registry, rate
 * limits) or nothing (err says why; api_release is still safe to call).
 */
#ifndef FG_API_H
#define FG_API_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"
#include "core/limits.h"
#include "http/http.h"

struct api_clients;
struct api_inflight;
struct api_family;
struct engine;
struct ratelimit;
struct store;

/* How the server was started (the command line of `fundgate serve`). */
struct api_config {
    const char *host;
    uint16_t port;
    const char *data_dir;        /* ./fundgate-data */
    const char *db_uri;          /* NULL: <data_dir>/fundgate.db */
    const char *admin_token;     /* NULL: $FUNDGATE_ADMIN_TOKEN or <data_dir>/admin-token */
    const char *bootstrap;       /* JSON file applied at start */
    const char *secret_key_file; /* NULL: $FUNDGATE_SECRET_KEY_FILE or <data_dir>/secret.key */
    /* NULL: $FUNDGATE_SIGNING_KEY_FILE or <data_dir>/signing-key.pem (WorldFirst) */
    const char *signing_key_file;
    int threads;
    bool test_clock;                  /* enable POST /admin/v1/test/clock */
    bool test_faults;                 /* enable POST /admin/v1/test/fault */
    int64_t admin_per_s, admin_burst; /* the admin token's rate; 0: limits.h defaults */
    bool access_log;                  /* one JSON line per answered request */
    const char *tls_cert, *tls_key;   /* PEM files: HTTPS when both are given */
};

#define API_READERS_MAX (FG_HTTP_THREADS_MAX + 8)

struct api {
    struct api_config cfg; /* db_uri always set (api_init) */
    char db_path[FG_FILE_PATH_BYTES_MAX + 32];
    char admin_token[FG_ADMIN_TOKEN_BYTES_MAX + 1]; /* "" refuses every bearer */
    const struct api_family *const *families;       /* the root's list, NULL-terminated */
    struct engine *engine;                          /* set by the root once started */
    struct api_clients *clients;
    struct ratelimit *limits;
    uint64_t epoch; /* tells this context's readers from an earlier one's */
    pthread_mutex_t readers_mu;
    struct store *readers[API_READERS_MAX];
    int reader_count;
    struct api_inflight *inflight; /* request ids in the engine (api_idem.h) */
    bool draining;                 /* atomic: SIGTERM seen */
};

/* The admin plane's rate-limit bucket: one for the admin token. */
#define API_ADMIN_RATE_FAMILY "admin"
#define API_ADMIN_RATE_KEY "token"

/* Set up api for cfg and the families: db_uri defaulted, the rate-limit
 * table with the admin token's bucket, an empty client registry. The admin
 * token is the root's to resolve (api->admin_token). */
int api_init(struct api *api, const struct api_config *cfg,
             const struct api_family *const *families, struct fg_err *err);
/* Close the readers, empty the registry, free the tables. Idempotent. */
void api_release(struct api *api);

/* The family named name in the list, or NULL. */
const struct api_family *api_family_find(const struct api *api, const char *name);

/* This thread's read connection to api's store (opened on first use). */
struct store *api_reader(struct api *api, struct fg_err *err);

/* Record an admin write in the audit log (inside the command's transaction). */
int api_audit(struct store *s, struct http_req *req, const char *target, int64_t now_ms,
              struct fg_err *err);
/* The same with detail: JSON text of what the write carried (a reason, amounts). */
int api_audit_detail(struct store *s, struct http_req *req, const char *target, const char *detail,
                     int64_t now_ms, struct fg_err *err);

/* The rate-limit hook: take a token for (family, key), a client the family
 * has just authenticated (or the admin token). Adds x-ratelimit-limit,
 * x-ratelimit-remaining, x-ratelimit-reset (seconds) to the answer, and
 * Retry-After when refused; false when refused: the family then answers 429
 * in its own envelope. Internal (bootstrap) requests are never limited. */
bool api_rate_take(struct api *api, struct http_req *req, const char *family, const char *key);

/* The gate of every admin route: the bearer token (else 401 unauthorized; an
 * internal bootstrap request needs none), then the admin token's rate limit
 * (else 429 rate_limited, with Retry-After). Answers the refusal itself and
 * returns false. */
bool api_admin_allowed(struct api *api, struct http_req *req);

/* Admin JSON answers. Takes a reference of body (json_decref'd here). */
void api_respond_json(struct http_req *req, int status, json_t *body);
/* Parse req's body as a JSON object with allowed keys (NULL: any); on
 * failure answers the admin error and returns the code. */
int api_parse_body(struct http_req *req, const char *const allowed[], json_t **out);
/* Copy path parameter i (the router's {} segments) into buf when it holds 1 to
 * max_bytes bytes (max_bytes < cap). A longer one is never cut to fit: the
 * handler answers 400 bad_field naming it, and false is returned (issue 9). */
bool api_param_copy(struct http_req *req, int i, const char *name, size_t max_bytes, char *buf,
                    size_t cap);

#endif
