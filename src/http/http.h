/*
 * http.h - the HTTP transport: libmicrohttpd, a router, size and time caps.
 *
 * What it is for: turning a connection into a struct http_req (method, path,
 * headers, body, peer address, trace id), routing it to a handler, and writing
 * the handler's response. No business logic lives here.
 *
 * Threading: libmicrohttpd runs `threads` poll() threads (1 by default). A
 * handler runs on one of them and must not block on a commit: it either fills
 * the response and returns HTTP_DONE, or hands work to another thread and
 * returns HTTP_PENDING, which suspends the connection; that thread later fills
 * the response and calls http_req_complete() (thread-safe), which resumes it.
 *
 * Every response carries X-Trace-Id: the request's X-Trace-Id or `trace`
 * header when present (at most FG_TRACE_BYTES_MAX bytes of [A-Za-z0-9._:-]),
 * otherwise 32 random hex characters.
 *
 * Limits (core/limits.h): body FG_HTTP_BODY_BYTES_MAX (larger: 413 too_large),
 * headers FG_HTTP_HEADER_BYTES_MAX (larger: 431 or connection closed by
 * libmicrohttpd), path FG_HTTP_PATH_BYTES_MAX (414), connections
 * FG_HTTP_CONNECTIONS_MAX, of which FG_HTTP_PER_ADDRESS_MAX from one client
 * address (more: closed unanswered). Time: FG_HTTP_CONNECTION_TIMEOUT_S of
 * silence, and as much from the accept (or the previous answer) to a complete
 * request line; FG_HTTP_REQUEST_TIME_MS_MAX from the request line to the last
 * body byte. Arriving bytes extend neither of the last two (watch.h): past
 * them the connection is closed unanswered.
 *
 * Strictness (head.h): a NUL byte in the request line (raw, or "%00" in the
 * target) or in a header, a header name that is not a token, a control
 * character in a header value, a folded header, two
 * Content-Length headers, Transfer-Encoding with Content-Length or other than
 * "chunked" are 400 bad_request. A GET route answers HEAD; an absolute-form
 * target ("GET http://host/path") is routed by its path. Query integers go
 * through http_req_query_int64 (core/parse.h).
 *
 * Request lifecycle: received -> dispatched -> (pending -> completed) ->
 * responded -> freed. The transport owns the struct http_req; it frees the
 * response body and calls user_free(user) when the request ends, including
 * when the client went away.
 */
#ifndef FG_HTTP_H
#define FG_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/errors.h"
#include "core/limits.h"

#define HTTP_DONE 0
#define HTTP_PENDING 1
#define HTTP_PARAMS_MAX 2
#define HTTP_PARAM_BYTES_MAX 128
#define HTTP_RESP_HEADERS_MAX 8
#define HTTP_PEER_BYTES_MAX 64
#define HTTP_CLIENT_BYTES_MAX 96

struct http_req;
typedef int (*http_handler_fn)(struct http_req *req, void *ctx);

struct http_resp_header {
    char name[64];
    char value[512];
};

struct http_req {
    /* Request, valid until the request ends. */
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* without the query string */
    const char *query;  /* the query string as sent (not decoded), without '?'; NULL: none */
    const char *body;   /* NUL-terminated; "" when empty */
    size_t body_len;
    char trace[FG_TRACE_BYTES_MAX + 1];
    char peer[HTTP_PEER_BYTES_MAX]; /* textual peer address, "127.0.0.1" */
    struct sockaddr_storage peer_addr;
    socklen_t peer_addr_len;
    char params[HTTP_PARAMS_MAX][HTTP_PARAM_BYTES_MAX]; /* {} segments of the route */
    const char *route_name;                             /* for metrics and logs */
    char client[HTTP_CLIENT_BYTES_MAX]; /* "family:key" once a client authenticated (access log) */
    int64_t start_ns;
    bool internal; /* made by http_req_internal_init (bootstrap), no connection */

    /* Response, filled by the handler or the completing thread. */
    int status;
    const char *content_type; /* static string; default application/json */
    char *resp_body;          /* malloc'd; the transport frees it */
    size_t resp_len;
    struct http_resp_header resp_headers[HTTP_RESP_HEADERS_MAX];
    int resp_header_count;

    /* The handler's per-request state; user_free(user) runs when the request ends. */
    void *user;
    void (*user_free)(void *user);

    /* Transport private. */
    void *conn;
    void (*internal_done)(struct http_req *req); /* internal requests only */
    void *internal_ctx;
};

/*
 * A route, or an owner entry (method and name NULL): the family that owns
 * every path starting with `pattern` ("/order/v2/") renders the transport's
 * own refusals there (404, 405, 413, 414, and 400 for a malformed head) in its
 * envelope instead of the admin shape. The transport calls an owner's fn with
 * ctx pointing at a struct http_refusal (whose route_ctx is the entry's own
 * ctx); fn fills the response body (and may add headers), and the transport
 * then sets the HTTP status (the code's, or 414 for a path too long). The
 * longest matching prefix wins; a path no entry owns gets http_req_error().
 * Owner entries never match a request. Write them with HTTP_ROUTE_OWNER. A
 * GET route also answers HEAD (same status and headers, no body).
 */
struct http_route {
    const char *method;  /* "GET", "POST", "PATCH", ...; NULL in an owner entry */
    const char *pattern; /* "/admin/v1/customers/{}": {} matches one non-empty segment */
    http_handler_fn fn;
    void *ctx;
    const char *name; /* metrics label, e.g. "admin_customers_patch"; NULL in an owner entry */
};

/* The ctx an owner entry's fn gets. */
struct http_refusal {
    int code;        /* negative fg code: -FG_ENOT_FOUND, -FG_EMETHOD, -FG_ETOO_LARGE, ... */
    const char *msg; /* never NULL */
    void *route_ctx; /* the owner entry's own ctx */
};

#define HTTP_ROUTE_OWNER(prefix, render, ctx)                                                      \
    {                                                                                              \
        NULL, (prefix), (render), (ctx), NULL                                                      \
    }

struct http_server_config {
    const char *host; /* "127.0.0.1" */
    uint16_t port;    /* 0: pick a free one */
    int threads;      /* poll() threads, 1..FG_HTTP_THREADS_MAX */
    const struct http_route *routes;
    int route_count;
    bool access_log;          /* one JSON line per answered request (core/log.h) */
    const char *tls_cert_pem; /* both set: HTTPS only (libmicrohttpd's TLS); else HTTP */
    const char *tls_key_pem;
};

struct http_server;

int http_server_start(const struct http_server_config *cfg, struct http_server **out,
                      struct fg_err *err);
uint16_t http_server_port(const struct http_server *srv);
/* Stop accepting new connections; requests in flight go on. */
void http_server_quiesce(struct http_server *srv);
/* Requests dispatched but not yet responded (suspended ones included). */
int http_server_inflight(const struct http_server *srv);
/* Close everything and free the server. Call after inflight reached 0. */
void http_server_stop(struct http_server *srv);

/* Header value (case-insensitive name) or NULL. Only during dispatch, on the
 * transport thread (copy what a completing thread needs). */
const char *http_req_header(struct http_req *req, const char *name);
/* How many times the request carries the header (case-insensitive name);
 * same validity as http_req_header. */
int http_req_header_count(struct http_req *req, const char *name);
/* Query-string argument or NULL; same validity as http_req_header. */
const char *http_req_query(struct http_req *req, const char *name);
/* A query-string argument given at most once: 0 with *out the value or NULL
 * when absent; -FG_EBAD_FIELD (err says which) when it is given twice. */
int http_req_query_once(struct http_req *req, const char *name, const char **out,
                        struct fg_err *err);
/* A query-string integer, read by parse_int64_text (core/parse.h: 1 to 19
 * digits, nothing else): dflt when absent; -FG_EBAD_FIELD (err names the
 * parameter and [min, max]) when malformed, out of range or given twice. */
int http_req_query_int64(struct http_req *req, const char *name, int64_t dflt, int64_t min,
                         int64_t max, int64_t *out, struct fg_err *err);

/* Set the response; body is taken over (malloc'd) and may be NULL for empty. */
void http_req_respond(struct http_req *req, int status, char *body, size_t len);
/* Same, copying len bytes of body. */
void http_req_respond_copy(struct http_req *req, int status, const char *body, size_t len);
/* Add a response header; false when HTTP_RESP_HEADERS_MAX are already set. */
bool http_req_add_header(struct http_req *req, const char *name, const char *value);
/* Answer {"error":{"code":"<fg_code_name>","message":msg}} with the code's HTTP status. */
void http_req_error(struct http_req *req, int code, const char *msg);

/* Resume a request whose handler returned HTTP_PENDING. Thread-safe; call once,
 * after the response is set. */
void http_req_complete(struct http_req *req);

/* Route req (path, method already set) through routes: fills params and
 * route_name and calls the handler. Answers 404 not_found / 405 method_not_allowed
 * itself, in the path owner's envelope. Returns HTTP_DONE or HTTP_PENDING. */
int http_router_dispatch(const struct http_route *routes, int count, struct http_req *req);
/* Answer the transport's own refusal `code` for req->path: in the envelope of
 * the owner entry whose prefix matches, else http_req_error(); then the
 * status is `status` (0: the code's). */
void http_router_error(const struct http_route *routes, int count, struct http_req *req, int code,
                       int status, const char *msg);

/* An in-process request without a connection (bootstrap): when it completes,
 * done(req) is called on the completing thread. The caller owns req and must
 * call http_req_internal_release(req) after done. */
void http_req_internal_init(struct http_req *req, const char *method, const char *path,
                            const char *body, size_t len, void (*done)(struct http_req *req),
                            void *ctx);
void http_req_internal_release(struct http_req *req);

#endif
