/*
 * harness.h - end-to-end test harness: start the real fundgate binary on a
 * free loopback port with a fresh data directory, talk to it over real sockets
 * (libcurl), stop it with SIGTERM or kill -9, restart it on the same data.
 *
 * The binary comes from $FUNDGATE_BIN (set by CTest). The admin token is
 * FGH_ADMIN_TOKEN. Requests are thread-safe (one curl handle per call).
 *
 * Backend: SQLite in the data directory, or, when $FUNDGATE_TEST_PG names a
 * PostgreSQL cluster (CTest's *_pg variants, label pg), a fresh database of
 * that cluster per server (kept across restarts, dropped by fgsrv_cleanup),
 * passed as --db. fgh_on_pg() tells a test which.
 */
#ifndef FG_HARNESS_H
#define FG_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define FGH_ADMIN_TOKEN "e2e-admin-token"
#define FGH_ARGS_MAX 16

struct fgsrv {
    pid_t pid;
    uint16_t port;
    int out_fd;                     /* server stdout */
    char dir[256];                  /* data directory, kept across restarts */
    char log[300];                  /* server stderr */
    char base[64];                  /* http://127.0.0.1:port */
    char db[512];                   /* --db URI (PostgreSQL), "" for SQLite in dir; set it
                                       before the first start to share another's database */
    bool keep_port;                 /* a restart listens on the port of the last start */
    const char *args[FGH_ARGS_MAX]; /* extra serve arguments, NULL-terminated */
    char cainfo[300];               /* set: the server speaks HTTPS, trusted through this CA file */
};

struct fgresp {
    long status;
    char *body;
    size_t len;
    json_t *json; /* parsed body, or NULL */
    char trace[96];
};

/* Start (or restart, when s->dir is set) the server; aborts the test on failure. */
void fgsrv_start(struct fgsrv *s);
/* SIGTERM and wait; returns the exit status (0 for a clean stop). */
int fgsrv_stop(struct fgsrv *s);
/* SIGKILL and reap. */
void fgsrv_kill9(struct fgsrv *s);
/* Remove the data directory (and the PostgreSQL database). */
void fgsrv_cleanup(struct fgsrv *s);
/* The tests run against PostgreSQL. */
bool fgh_on_pg(void);
/* Open the server's database (SQLite in s->dir, or s->db on PostgreSQL)
 * through the store interface, to read what the server wrote; aborts the
 * test on failure. Close with store_close. */
struct store;
struct store *fgh_store_open(const struct fgsrv *s);
/* How many lines of the server's log (stderr) contain needle. */
int fgh_log_count(const struct fgsrv *s, const char *needle);

/* One request; headers is NULL or a NULL-terminated list of "Name: value". */
int fgh_request(const struct fgsrv *s, const char *method, const char *path,
                const char *const headers[], const char *body, struct fgresp *r);
/* An admin request with the bearer token. */
int fgh_admin(const struct fgsrv *s, const char *method, const char *path, const char *body,
              struct fgresp *r);
/* An admin request that must answer `status`; returns the parsed body (caller
 * json_decref's). Fails the test otherwise. */
json_t *fgh_admin_ok(const struct fgsrv *s, const char *method, const char *path, const char *body,
                     long status);
void fgresp_free(struct fgresp *r);

/* json path "a.b.0.c" -> string value or NULL. */
const char *fgh_str(json_t *v, const char *path);
json_t *fgh_get(json_t *v, const char *path);
/* Assert GET /admin/v1/reconcile says ok. */
void fgh_assert_reconciled(const struct fgsrv *s);
/* Available balance text of an account (uuid, type, currency), e.g. "100.25". */
char *fgh_available(const struct fgsrv *s, const char *uuid, const char *type, const char *ccy);
char *fgh_balance(const struct fgsrv *s, const char *uuid, const char *type, const char *ccy);
/* Set up currencies USD(2) JPY(0), customer c1/alice (company 7, app1) with
 * USD wallet+futures accounts. */
void fgh_seed_basic(const struct fgsrv *s);

#endif
