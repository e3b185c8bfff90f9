/*
 * server.c - the libmicrohttpd transport: request assembly, caps, trace ids,
 * suspend/resume for pending handlers, responses, per-route metrics; see http.h.
 *
 * MHD runs poll threads (one, or a pool of `threads`); every access-handler and
 * completed callback for a connection runs on that connection's thread, so the
 * per-request struct conn_req needs no locks except for the one hand-off below.
 *
 * Per request, MHD calls on_access() several times (headers, body parts, final)
 * and on_completed() once at the end; state moves like this:
 *
 *   RECEIVING --final call--> DISPATCHING --handler DONE--> RESPONDED
 *                                  |
 *                       handler PENDING, MHD_suspend_connection()
 *                                  |
 *          +-- CAS DISPATCHING->SUSPENDED ok: wait; the completer stores
 *          |   COMPLETED and calls MHD_resume_connection()
 *          +-- CAS failed (the completer already moved DISPATCHING->COMPLETED):
 *              the transport calls MHD_resume_connection() itself
 *                                  |
 *   COMPLETED --MHD calls on_access() again after resume--> RESPONDED
 *
 * Invariants:
 *  1. MHD_suspend_connection() always precedes MHD_resume_connection(): the
 *     completer resumes only after it saw SUSPENDED, which the transport sets
 *     after suspending.
 *  2. Exactly one side resumes: whoever loses the DISPATCHING CAS.
 *  3. The completer never touches the request after its CAS succeeded or after
 *     its resume call: the transport may free it right away.
 *  4. The response fields are published by the completer's release (CAS or
 *     store) and read after the transport's acquire load of COMPLETED.
 *  5. inflight counts requests from dispatch to on_completed(); it is
 *     decremented last, after user_free ran.
 *
 * Requests rejected before dispatch (path too long, body too large, a head
 * head_check() refuses) are answered from on_access() with route "unmatched",
 * in the envelope of the family that owns the path (http_router_error), and
 * never count in flight.
 *
 * Per connection, a struct conn_ctx (libmicrohttpd's socket context, created
 * and freed by on_connection) holds the connection's watch entry (watch.h)
 * and what on_request_line and on_unescape learn about the request target
 * before libmicrohttpd splits and decodes it. Phases: on_connection and
 * on_completed -> waiting, on_request_line -> receiving, dispatch() and
 * reject() -> answering.
 *
 * Doubled responses (libmicrohttpd 0.9.75): a Content-Length that is not
 * digits, or overflows 64 bits, is answered by libmicrohttpd itself (400 or
 * 413, its own HTML) before the access handler is ever called, and its state
 * machine then builds the same head a second time: the bytes on the wire are
 * head, head, body, then the connection closes. Nothing here runs for such a
 * request, so nothing here can stop it; upstream fixed it in 1.0.0 (commit
 * f1bfbe71, "fixed handling of various errors automatically detected by MHD
 * code"). Debian 12 ships 0.9.75. test_http.c test_bad_content_length pins
 * what fundgate does control.
 * A response is queued with MHD_RESPMEM_PERSISTENT over resp_body, which
 * on_completed() frees once MHD is done with it. The header cap is MHD's
 * connection memory pool (POOL_BYTES): headers up to FG_HTTP_HEADER_BYTES_MAX
 * always fit; once they no longer fit, MHD answers 431 or closes.
 */
#include "http/http.h"
#include "http/head.h"
#include "http/router.h"
#include "http/watch.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/parse.h"

/* Connection memory pool: request line and headers plus room for MHD's read
 * buffer and the response header block. */
#define POOL_BYTES (FG_HTTP_HEADER_BYTES_MAX + 8192)
#define BODY_INLINE_BYTES 1024               /* small bodies avoid a second malloc */
#define BODY_DISCARD_BYTES_MAX (1024 * 1024) /* past the cap, then close */
#define ERROR_MSG_BYTES_MAX 1024
#define TRACE_GEN_BYTES 32
#define REQ_CACHE_MAX 64 /* spare conn_req kept per MHD thread */
#define FD_RESERVE 256   /* descriptors besides connections: store, logs, listeners */

enum req_state {
    ST_RECEIVING,
    ST_DISPATCHING,
    ST_SUSPENDED,
    ST_COMPLETED,
    ST_RESPONDED,
};

struct http_server {
    struct MHD_Daemon *daemon;
    struct watch *watch;
    struct http_route *routes;
    int *metric_idx; /* per route: metrics index or -1 */
    int route_count;
    uint16_t port;
    bool quiesced;
    bool access_log;
    const char *tls_cert_pem, *tls_key_pem; /* the caller's, while the server runs */
    int inflight;                           /* atomic */
};

struct conn_req {
    struct http_req req; /* first: conn_req_create zeroes around its arrays */
    struct http_server *srv;
    int state; /* enum req_state, atomic */
    int metric_idx;
    bool dispatched;
    bool responded;
    int reject; /* 0 or a negative fg code found while receiving the body */
    size_t discarded;
    char *query; /* req.query, malloc'd: taken from the connection at the head */
    char *buf;   /* body: body_inline or malloc'd */
    size_t buf_cap;
    char body_inline[BODY_INLINE_BYTES];
};

static_assert(offsetof(struct conn_req, req) == 0, "conn_req_create relies on this");

/* Per connection (libmicrohttpd's socket context), from accept to close. The
 * request fields are the current request's: requests on a connection are
 * handled one after the other, pipelined ones included. */
struct conn_ctx {
    struct watch_conn watch;
    size_t raw_target_len; /* the request target's length before decoding */
    bool target_nul;       /* "%00" decoded in its path or query */
    char *query;           /* its query as sent (malloc'd) until the request takes it */
};

static struct conn_req *conn_req_of(struct http_req *req)
{
    return (struct conn_req *)((char *)req - offsetof(struct conn_req, req));
}

/* ---- trace ids ---- */

static __thread uint64_t rng_state;
static __thread bool rng_seeded;

/* splitmix64: fast, per thread, seeded once from getrandom(2). Trace ids need
 * uniqueness, not secrecy. */
static uint64_t rng_next(void)
{
    if (!rng_seeded) {
        uint64_t seed;
        if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
            seed = (uint64_t)fg_clock_mono_ns() ^ (uint64_t)(uintptr_t)&rng_state;
        rng_state = seed;
        rng_seeded = true;
    }
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void trace_generate(char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (int w = 0; w < TRACE_GEN_BYTES / 16; w++) {
        uint64_t r = rng_next();
        for (int i = 0; i < 16; i++, r >>= 4)
            out[w * 16 + i] = hex[r & 0xf];
    }
    out[TRACE_GEN_BYTES] = '\0';
}

static bool trace_valid(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (n >= FG_TRACE_BYTES_MAX)
            return false;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return n > 0;
}

/* ---- request helpers (transport independent) ---- */

void http_req_respond(struct http_req *req, int status, char *body, size_t len)
{
    free(req->resp_body);
    req->status = status;
    req->resp_body = body;
    req->resp_len = body ? len : 0;
}

void http_req_respond_copy(struct http_req *req, int status, const char *body, size_t len)
{
    char *copy = NULL;
    if (len) {
        copy = malloc(len + 1);
        if (!copy) {
            http_req_respond(req, 500, NULL, 0);
            return;
        }
        memcpy(copy, body, len);
        copy[len] = '\0';
    }
    http_req_respond(req, status, copy, len);
}

bool http_req_add_header(struct http_req *req, const char *name, const char *value)
{
    if (req->resp_header_count >= HTTP_RESP_HEADERS_MAX)
        return false;
    size_t nlen = strlen(name);
    size_t vlen = strlen(value);
    struct http_resp_header *h = &req->resp_headers[req->resp_header_count];
    if (nlen == 0 || nlen >= sizeof(h->name) || vlen >= sizeof(h->value))
        return false;
    /* No header injection: no line breaks, no ':' in the name. */
    if (strpbrk(name, "\r\n: ") || strpbrk(value, "\r\n"))
        return false;
    memcpy(h->name, name, nlen + 1);
    memcpy(h->value, value, vlen + 1);
    req->resp_header_count++;
    return true;
}

/* Bytes of the well-formed UTF-8 character at s[0..n) (RFC 3629: no overlong
 * form, no surrogate, at most U+10FFFF), 0 when there is none. */
static size_t utf8_char_bytes(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
        return 0;
    return len;
}

/* Append s[0..n) to out as JSON string content; returns the new length. A
 * message may hold any bytes (a path parameter, a field name cut by %.64s):
 * a byte that does not start a well-formed UTF-8 character becomes U+FFFD, so
 * the answer stays valid JSON. out must have room for 6 bytes per input byte. */
static size_t json_escape(char *out, size_t len, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t u = c >= 0x80 ? utf8_char_bytes((const unsigned char *)s + i, n - i) : 1;
        if (u == 0) {
            memcpy(out + len, "\\ufffd", 6);
            len += 6;
        } else if (u > 1) {
            memcpy(out + len, s + i, u);
            len += u;
            i += u - 1;
        } else if (c == '"' || c == '\\') {
            out[len++] = '\\';
            out[len++] = (char)c;
        } else if (c == '\n') {
            out[len++] = '\\';
            out[len++] = 'n';
        } else if (c < 0x20) {
            memcpy(out + len, "\\u00", 4);
            out[len + 4] = hex[c >> 4];
            out[len + 5] = hex[c & 0xf];
            len += 6;
        } else {
            out[len++] = (char)c;
        }
    }
    return len;
}

void http_req_error(struct http_req *req, int code, const char *msg)
{
    static const char head[] = "{\"error\":{\"code\":\"";
    static const char mid[] = "\",\"message\":\"";
    static const char tail[] = "\"}}";
    const char *name = fg_code_name(code);
    if (!msg)
        msg = fg_strerror(code);
    size_t name_len = strlen(name);
    size_t msg_len = strnlen(msg, ERROR_MSG_BYTES_MAX);
    size_t cap = sizeof(head) + sizeof(mid) + sizeof(tail) + name_len + 6 * msg_len;
    char *body = malloc(cap);
    req->content_type = "application/json";
    if (!body) {
        http_req_respond(req, 500, NULL, 0);
        return;
    }
    size_t n = 0;
    memcpy(body, head, sizeof(head) - 1);
    n += sizeof(head) - 1;
    memcpy(body + n, name, name_len); /* wire names are plain snake_case */
    n += name_len;
    memcpy(body + n, mid, sizeof(mid) - 1);
    n += sizeof(mid) - 1;
    n = json_escape(body, n, msg, msg_len);
    memcpy(body + n, tail, sizeof(tail));
    n += sizeof(tail) - 1;
    FG_ASSERT(n < cap);
    http_req_respond(req, fg_code_http_status(code), body, n);
}

const char *http_req_header(struct http_req *req, const char *name)
{
    if (req->internal || !req->conn)
        return NULL;
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_req_query(struct http_req *req, const char *name)
{
    if (req->internal || !req->conn)
        return NULL;
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct arg_count {
    const char *name;
    int n;
};

static enum MHD_Result arg_count_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct arg_count *c = cls;
    (void)kind;
    (void)value;
    if (strcasecmp(key, c->name) == 0) /* as MHD_lookup_connection_value compares */
        c->n++;
    return MHD_YES;
}

int http_req_header_count(struct http_req *req, const char *name)
{
    struct arg_count c = {.name = name};
    if (req->internal || !req->conn)
        return 0;
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, arg_count_one, &c);
    return c.n;
}

int http_req_query_once(struct http_req *req, const char *name, const char **out,
                        struct fg_err *err)
{
    *out = http_req_query(req, name);
    if (!*out)
        return 0;
    struct arg_count c = {.name = name};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, arg_count_one, &c);
    if (c.n > 1)
        return fg_fail(err, -FG_EBAD_FIELD, "query parameter '%s' is given more than once", name);
    return 0;
}

int http_req_query_int64(struct http_req *req, const char *name, int64_t dflt, int64_t min,
                         int64_t max, int64_t *out, struct fg_err *err)
{
    const char *v;
    int rc = http_req_query_once(req, name, &v, err);
    if (rc < 0)
        return rc;
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (parse_int64_text(v, min, max, out) < 0)
        return fg_fail(err, -FG_EBAD_FIELD,
                       "query parameter '%s' must be an integer from %lld to %lld (digits only)",
                       name, (long long)min, (long long)max);
    return 0;
}

void http_req_complete(struct http_req *req)
{
    if (req->internal) {
        req->internal_done(req);
        return;
    }
    struct conn_req *cr = conn_req_of(req);
    struct MHD_Connection *conn = req->conn; /* read before the hand-back */
    int expected = ST_DISPATCHING;
    if (__atomic_compare_exchange_n(&cr->state, &expected, ST_COMPLETED, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        return; /* the transport has not suspended yet; it will resume itself */
    FG_ASSERT(expected == ST_SUSPENDED);
    __atomic_store_n(&cr->state, ST_COMPLETED, __ATOMIC_RELEASE);
    MHD_resume_connection(conn);
}

void http_req_internal_init(struct http_req *req, const char *method, const char *path,
                            const char *body, size_t len, void (*done)(struct http_req *req),
                            void *ctx)
{
    memset(req, 0, sizeof(*req));
    req->method = method;
    req->path = path;
    req->body = "";
    if (len) {
        char *copy = malloc(len + 1);
        if (copy) {
            memcpy(copy, body, len);
            copy[len] = '\0';
            req->body = copy;
            req->body_len = len;
        } else {
            fg_error(NULL, "internal request %s %s: out of memory copying %zu body bytes", method,
                     path, len);
        }
    }
    trace_generate(req->trace);
    snprintf(req->peer, sizeof(req->peer), "internal");
    req->route_name = "unmatched";
    req->start_ns = fg_clock_mono_ns();
    req->internal = true;
    req->internal_done = done;
    req->internal_ctx = ctx;
}

void http_req_internal_release(struct http_req *req)
{
    free(req->resp_body);
    req->resp_body = NULL;
    if (req->user_free)
        req->user_free(req->user);
    req->user = NULL;
    req->user_free = NULL;
    if (req->body_len)
        free((char *)req->body);
    req->body = "";
    req->body_len = 0;
}

/* ---- transport ---- */

/* A conn_req is ~6.5 KB, past glibc's per-thread cache, and one is needed per
 * request: each MHD thread keeps up to REQ_CACHE_MAX spares. A request is
 * created and destroyed on its connection's MHD thread, so the lists need no
 * locks; a thread's list is freed when the thread exits (MHD_stop_daemon). */
struct req_spare {
    struct req_spare *next;
};

static __thread struct req_spare *req_cache;
static __thread int req_cache_len;
static pthread_key_t req_cache_key;
static pthread_once_t req_cache_once = PTHREAD_ONCE_INIT;

static void req_cache_drain(void *unused)
{
    (void)unused;
    while (req_cache) {
        struct req_spare *next = req_cache->next;
        free(req_cache);
        req_cache = next;
    }
    req_cache_len = 0;
}

static void req_cache_key_create(void)
{
    int rc = pthread_key_create(&req_cache_key, req_cache_drain);
    FG_ASSERT(rc == 0); /* a key per process: only exhaustion fails, at start */
}

static struct conn_req *conn_req_alloc(void)
{
    struct req_spare *s = req_cache;
    if (!s)
        return malloc(sizeof(struct conn_req));
    req_cache = s->next;
    req_cache_len--;
    return (struct conn_req *)s;
}

static void conn_req_free(struct conn_req *cr)
{
    if (req_cache_len >= REQ_CACHE_MAX) {
        free(cr);
        return;
    }
    if (req_cache_len == 0 && !req_cache) {
        /* first spare on this thread: make sure the list dies with it */
        pthread_once(&req_cache_once, req_cache_key_create);
        pthread_setspecific(req_cache_key, (void *)1);
    }
    struct req_spare *s = (struct req_spare *)cr;
    s->next = req_cache;
    req_cache = s;
    req_cache_len++;
}

static struct conn_req *conn_req_create(struct http_server *srv, struct MHD_Connection *conn,
                                        const char *url, const char *method)
{
    struct conn_req *cr = conn_req_alloc();
    if (!cr)
        return NULL;
    /* Zero all but the 4.6 KB of response header slots (resp_header_count
     * guards them) and the inline body: this runs once per request. */
    struct http_req *req = &cr->req;
    memset(req, 0, offsetof(struct http_req, resp_headers));
    memset(&req->resp_header_count, 0, sizeof(*req) - offsetof(struct http_req, resp_header_count));
    memset((char *)cr + sizeof(*req), 0, offsetof(struct conn_req, body_inline) - sizeof(*req));
    cr->req.method = method;
    cr->req.path = head_target_path(url);
    cr->req.body = "";
    cr->req.route_name = "unmatched";
    cr->req.conn = conn;
    cr->srv = srv;
    cr->metric_idx = -1;
    cr->buf = cr->body_inline;
    cr->buf_cap = sizeof(cr->body_inline);
    cr->state = ST_RECEIVING;
    return cr;
}

static void conn_req_destroy(struct conn_req *cr)
{
    free(cr->req.resp_body);
    free(cr->query);
    if (cr->req.user_free)
        cr->req.user_free(cr->req.user);
    if (cr->buf != cr->body_inline)
        free(cr->buf);
    conn_req_free(cr);
}

/* inet_ntop(AF_INET) goes through sprintf; this runs on every request. */
static void ipv4_format(char *out, const struct in_addr *a)
{
    const unsigned char *b = (const unsigned char *)&a->s_addr;
    char *p = out;
    for (int i = 0; i < 4; i++) {
        unsigned int v = b[i];
        if (v >= 100)
            *p++ = (char)('0' + v / 100);
        if (v >= 10)
            *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        *p++ = i < 3 ? '.' : '\0';
    }
}

/* Trace id, peer and start time: for every request that gets an answer. */
static void conn_req_prepare(struct conn_req *cr)
{
    struct http_req *req = &cr->req;
    const char *t = http_req_header(req, "X-Trace-Id");
    if (!t)
        t = http_req_header(req, "trace");
    if (t && trace_valid(t))
        memcpy(req->trace, t, strlen(t) + 1);
    else
        trace_generate(req->trace);

    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        int family = ci->client_addr->sa_family;
        socklen_t len = family == AF_INET    ? (socklen_t)sizeof(struct sockaddr_in)
                        : family == AF_INET6 ? (socklen_t)sizeof(struct sockaddr_in6)
                                             : 0;
        memcpy(&req->peer_addr, ci->client_addr, len);
        req->peer_addr_len = len;
        if (family == AF_INET)
            ipv4_format(req->peer, &((const struct sockaddr_in *)&req->peer_addr)->sin_addr);
        else if (family != AF_INET6 ||
                 !inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&req->peer_addr)->sin6_addr,
                            req->peer, sizeof(req->peer)))
            req->peer[0] = '\0';
    }
    req->start_ns = fg_clock_mono_ns();
}

static struct conn_ctx *conn_ctx_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* The request is in (or refused before its body): its time limit stops. */
static void conn_answering(struct conn_req *cr)
{
    struct conn_ctx *cc = conn_ctx_of(cr->req.conn);
    if (cc)
        watch_conn_phase(cr->srv->watch, &cc->watch, WATCH_ANSWERING);
}

static enum MHD_Result respond(struct conn_req *cr)
{
    struct http_req *req = &cr->req;
    if (req->status < 100 || req->status > 599) {
        fg_error(req->trace, "route %s answered without a valid status (%d)", req->route_name,
                 req->status);
        http_req_error(req, -FG_EINTERNAL, "handler set no response");
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        req->resp_len, req->resp_body ? req->resp_body : (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    const char *ctype = req->content_type ? req->content_type : "application/json";
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES ||
        MHD_add_response_header(resp, "X-Trace-Id", req->trace) != MHD_YES) {
        MHD_destroy_response(resp);
        return MHD_NO;
    }
    for (int i = 0; i < req->resp_header_count; i++)
        if (MHD_add_response_header(resp, req->resp_headers[i].name, req->resp_headers[i].value) !=
            MHD_YES)
            fg_warn(req->trace, "response header %s refused", req->resp_headers[i].name);
    enum MHD_Result ret = MHD_queue_response(req->conn, (unsigned int)req->status, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES) {
        cr->responded = true;
        __atomic_store_n(&cr->state, ST_RESPONDED, __ATOMIC_RELAXED);
    }
    return ret;
}

/* Answer before dispatch (caps, a malformed head), in the envelope of the
 * family that owns the path. */
static enum MHD_Result reject(struct conn_req *cr, int code, int status, const char *msg)
{
    conn_req_prepare(cr);
    conn_answering(cr);
    http_router_error(cr->srv->routes, cr->srv->route_count, &cr->req, code, status, msg);
    /* A head that cannot be trusted frames nothing after it either: answer and
     * close (RFC 9112 section 11.2), so no byte behind it is read as a request
     * of its own. */
    if (code == -FG_EBAD_REQUEST)
        http_req_add_header(&cr->req, "Connection", "close");
    return respond(cr);
}

static bool content_length_too_large(const char *s)
{
    unsigned long long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false; /* malformed: MHD answers that itself */
        v = v * 10 + (unsigned long long)(*s - '0');
        if (v > FG_HTTP_BODY_BYTES_MAX)
            return true;
    }
    return false;
}

/* One part of the body; false when the connection must be closed. */
static bool body_append(struct conn_req *cr, const char *data, size_t n)
{
    size_t len = cr->req.body_len;
    if (cr->reject || n > FG_HTTP_BODY_BYTES_MAX - len) {
        if (!cr->reject)
            cr->reject = -FG_ETOO_LARGE;
        cr->discarded += n;
        return cr->discarded <= BODY_DISCARD_BYTES_MAX;
    }
    if (len + n + 1 > cr->buf_cap) {
        size_t cap = cr->buf_cap * 2;
        while (cap < len + n + 1)
            cap *= 2;
        if (cap > FG_HTTP_BODY_BYTES_MAX + 1)
            cap = FG_HTTP_BODY_BYTES_MAX + 1;
        char *p;
        if (cr->buf == cr->body_inline) {
            p = malloc(cap);
            if (p)
                memcpy(p, cr->buf, len);
        } else {
            p = realloc(cr->buf, cap);
        }
        if (!p) {
            cr->reject = -FG_ENOMEM;
            cr->discarded += n;
            return true;
        }
        cr->buf = p;
        cr->buf_cap = cap;
    }
    memcpy(cr->buf + len, data, n);
    cr->req.body_len = len + n;
    return true;
}

static enum MHD_Result dispatch(struct conn_req *cr)
{
    struct http_server *srv = cr->srv;
    struct http_req *req = &cr->req;
    conn_req_prepare(cr);
    conn_answering(cr);
    if (cr->reject) {
        http_router_error(srv->routes, srv->route_count, req, cr->reject, 0,
                          cr->reject == -FG_ETOO_LARGE ? "request body too large" : NULL);
        return respond(cr);
    }
    cr->buf[req->body_len] = '\0';
    req->body = cr->buf;

    cr->dispatched = true;
    __atomic_fetch_add(&srv->inflight, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&cr->state, ST_DISPATCHING, __ATOMIC_RELEASE);
    int matched = -1;
    int rc = http_router_dispatch_at(srv->routes, srv->route_count, req, &matched);
    cr->metric_idx = matched >= 0 ? srv->metric_idx[matched] : -1;
    if (rc != HTTP_PENDING)
        return respond(cr);

    /* Invariants 1 and 2: suspend first, then publish SUSPENDED. */
    struct MHD_Connection *conn = req->conn;
    MHD_suspend_connection(conn);
    int expected = ST_DISPATCHING;
    if (!__atomic_compare_exchange_n(&cr->state, &expected, ST_SUSPENDED, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        FG_ASSERT(expected == ST_COMPLETED);
        MHD_resume_connection(conn);
    }
    return MHD_YES;
}

/* The head is complete: caps and checks that can answer before the body. */
static enum MHD_Result on_head(struct conn_req *cr, const char *url, const char *version)
{
    struct MHD_Connection *conn = cr->req.conn;
    struct conn_ctx *cc = conn_ctx_of(conn);
    if (!cc) /* not watched (out of memory at accept): already shut down */
        return MHD_NO;
    cr->query = cc->query; /* the request owns it from now on */
    cc->query = NULL;
    cr->req.query = cr->query;
    if (strnlen(url, FG_HTTP_PATH_BYTES_MAX + 1) > FG_HTTP_PATH_BYTES_MAX)
        return reject(cr, -FG_ETOO_LARGE, MHD_HTTP_URI_TOO_LONG, "request path too long");
    struct head_info h = {.method = cr->req.method,
                          .url = url,
                          .version = version,
                          .raw_target_len = cc->raw_target_len,
                          .target_nul = cc->target_nul};
    const char *why;
    if (head_check(conn, &h, &why) < 0)
        return reject(cr, -FG_EBAD_REQUEST, 0, why);
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && content_length_too_large(cl))
        return reject(cr, -FG_ETOO_LARGE, 0, "request body too large");
    return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    struct http_server *srv = cls;
    struct conn_req *cr = *con_cls;

    if (!cr) {
        cr = conn_req_create(srv, conn, url, method);
        if (!cr)
            return MHD_NO;
        *con_cls = cr;
        return on_head(cr, url, version);
    }

    switch (__atomic_load_n(&cr->state, __ATOMIC_ACQUIRE)) {
    case ST_RECEIVING:
        if (*upload_data_size) {
            bool ok = body_append(cr, upload_data, *upload_data_size);
            *upload_data_size = 0;
            return ok ? MHD_YES : MHD_NO;
        }
        return dispatch(cr);
    case ST_COMPLETED: /* resumed after a pending handler finished */
        return respond(cr);
    case ST_RESPONDED: /* answered early; MHD discards the rest */
        *upload_data_size = 0;
        return MHD_YES;
    default:
        FG_ASSERT(!"access handler called while dispatching or suspended");
        return MHD_NO;
    }
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct conn_req *cr = *con_cls;
    (void)toe;
    struct conn_ctx *cc = conn_ctx_of(conn);
    if (cc) /* the next request's line is awaited from now */
        watch_conn_phase(srv->watch, &cc->watch, WATCH_WAITING);
    if (!cr)
        return;
    *con_cls = NULL;
    bool dispatched = cr->dispatched;
    if (cr->responded) {
        int64_t ns = fg_clock_mono_ns() - cr->req.start_ns;
        metrics_request_observe(cr->metric_idx, cr->req.status, ns);
        if (srv->access_log)
            fg_log_access(cr->req.trace, cr->req.method, cr->req.path, cr->req.status, ns / 1000,
                          cr->req.peer, cr->req.client);
    }
    conn_req_destroy(cr);
    if (dispatched) /* invariant 5: last */
        __atomic_fetch_sub(&srv->inflight, 1, __ATOMIC_RELEASE);
}

/* Accepted (over the per-address cap libmicrohttpd closes it before this) or
 * closed: the connection's watch entry. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;
    struct conn_ctx *cc = *socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (cc) /* watch.h invariant: before libmicrohttpd closes the socket */
            watch_conn_close(srv->watch, &cc->watch);
        if (cc)
            free(cc->query);
        free(cc);
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    cc = calloc(1, sizeof(*cc));
    if (!cc || !ci) {
        fg_error(NULL, "out of memory for a new connection: closing it");
        free(cc);
        if (ci)
            shutdown(ci->connect_fd, SHUT_RDWR);
        return;
    }
    watch_conn_open(srv->watch, &cc->watch, ci->connect_fd);
    *socket_context = cc;
}

/* The request line is in: before the target is split and decoded. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct http_server *srv = cls;
    struct conn_ctx *cc = conn_ctx_of(conn);
    if (cc) {
        cc->raw_target_len = strlen(uri); /* a NUL in the target ends it early */
        cc->target_nul = false;
        /* The query as sent, for signatures over it (worldfirst); a request
         * refused before its head left its own. Out of memory: as if none. */
        const char *q = strchr(uri, '?');
        free(cc->query);
        cc->query = q ? strdup(q + 1) : NULL;
        watch_conn_phase(srv->watch, &cc->watch, WATCH_RECEIVING);
    }
    return NULL;
}

/* libmicrohttpd's own %HH decoding, noting a decoded NUL (which would cut
 * the path or value it is in). */
static size_t on_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    for (const char *p = strchr(s, '%'); p; p = strchr(p + 1, '%'))
        if (p[1] == '0' && p[2] == '0') {
            struct conn_ctx *cc = conn_ctx_of(conn);
            if (cc)
                cc->target_nul = true;
            break;
        }
    return MHD_http_unescape(s);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* libmicrohttpd writes a line per refused or cut connection: under a flood
 * that would be a flood of log lines. At most FG_HTTP_LIBRARY_LOG_PER_S_MAX
 * lines a second pass; the next line that passes says how many did not. */
static bool mhd_log_allowed(int *dropped)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    static int64_t second;
    static int lines, suppressed;
    int64_t now = fg_clock_mono_ns() / 1000000000;
    bool ok;
    pthread_mutex_lock(&mu);
    if (now != second) {
        second = now;
        lines = 0;
    }
    ok = lines++ < FG_HTTP_LIBRARY_LOG_PER_S_MAX;
    *dropped = ok ? suppressed : 0;
    suppressed = ok ? 0 : suppressed + 1;
    pthread_mutex_unlock(&mu);
    return ok;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    int dropped;
    (void)cls;
    if (!mhd_log_allowed(&dropped))
        return;
    if (dropped)
        fg_warn(NULL, "libmicrohttpd: %d more lines were not logged (at most %d a second)", dropped,
                FG_HTTP_LIBRARY_LOG_PER_S_MAX);
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    fg_warn(NULL, "libmicrohttpd: %s", line);
}

static int resolve(const char *host, uint16_t port, struct sockaddr_storage *ss, struct fg_err *err)
{
    memset(ss, 0, sizeof(*ss));
    if (!host || !*host) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        sin->sin_addr.s_addr = htonl(INADDR_ANY);
        return 0;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0 || !res)
        return fg_fail(err, -FG_EBAD_REQUEST, "cannot resolve listen host %s: %s", host,
                       gai_strerror(rc));
    if ((res->ai_family != AF_INET && res->ai_family != AF_INET6) ||
        res->ai_addrlen > sizeof(*ss)) {
        freeaddrinfo(res);
        return fg_fail(err, -FG_EBAD_REQUEST, "listen host %s is not ipv4 or ipv6", host);
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (ss->ss_family == AF_INET)
        ((struct sockaddr_in *)ss)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
    return 0;
}

static uint16_t bound_port(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    if (di && di->port)
        return di->port;
    di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
    if (!di)
        return 0;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(di->listen_fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

/* Routes need method, pattern, handler and name; owner entries a prefix and a
 * renderer. */
static int routes_check(const struct http_server_config *cfg, struct fg_err *err)
{
    if (cfg->route_count < 0 || (cfg->route_count > 0 && !cfg->routes))
        return fg_fail(err, -FG_EBAD_REQUEST, "bad route table");
    for (int i = 0; i < cfg->route_count; i++) {
        const struct http_route *r = &cfg->routes[i];
        bool owner = !r->method && !r->name;
        if (!r->pattern || r->pattern[0] != '/' || !r->fn || (!owner && (!r->method || !r->name)))
            return fg_fail(err, -FG_EBAD_REQUEST, "route %d is incomplete", i);
    }
    return 0;
}

static int routes_copy(struct http_server *srv, const struct http_server_config *cfg,
                       struct fg_err *err)
{
    size_t n = (size_t)cfg->route_count;
    srv->routes = malloc((n ? n : 1) * sizeof(*srv->routes));
    srv->metric_idx = malloc((n ? n : 1) * sizeof(*srv->metric_idx));
    if (!srv->routes || !srv->metric_idx)
        return fg_fail(err, -FG_ENOMEM, "out of memory for the route table");
    if (n)
        memcpy(srv->routes, cfg->routes, n * sizeof(*srv->routes));
    srv->route_count = cfg->route_count;
    for (int i = 0; i < srv->route_count; i++) {
        srv->metric_idx[i] = srv->routes[i].name ? metrics_route_register(srv->routes[i].name) : -1;
        if (srv->routes[i].name && srv->metric_idx[i] < 0)
            fg_warn(NULL, "route %s: no metrics slot, counted as unmatched", srv->routes[i].name);
    }
    return 0;
}

/* Every connection up to FG_HTTP_CONNECTIONS_MAX needs a descriptor: raise
 * the soft limit as far as the hard one allows, and say so when it falls
 * short (connections past it are refused by accept(2), not served badly). */
static void nofile_raise(void)
{
    const rlim_t want = FG_HTTP_CONNECTIONS_MAX + FD_RESERVE;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rlim_t cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (cur > rl.rlim_cur) {
        rl.rlim_cur = cur;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want)
        fg_warn(NULL, "open files limit %llu is below the %d connections allowed plus %d",
                (unsigned long long)rl.rlim_cur, FG_HTTP_CONNECTIONS_MAX, FD_RESERVE);
}

static struct MHD_Daemon *daemon_start(struct http_server *srv, const struct sockaddr_storage *ss,
                                       uint16_t port, int threads)
{
    /* poll(), not epoll: with libmicrohttpd 0.9.75's epoll loop, suspended and
     * resumed connections under a burst of new ones (wrk -c256) left the server
     * idle for seconds until some other connection's event woke the loop (runs
     * fell from ~15k to 2-6k req/s with normal latencies, and vanished when a
     * poller hit /healthz every 200 ms). With poll() 8 of 8 such runs held
     * 15-20k req/s. poll is O(connections) per wake, which the connection cap
     * (FG_HTTP_CONNECTIONS_MAX) bounds; see docs/PERFORMANCE.md. */
    unsigned int flags =
        MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ss->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem ints[] = {
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, POOL_BYTES, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, FG_HTTP_CONNECTION_TIMEOUT_S, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, FG_HTTP_CONNECTIONS_MAX, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, FG_HTTP_PER_ADDRESS_MAX, NULL},
        {MHD_OPTION_END, 0, NULL}, /* TLS key, certificate, thread pool: set below */
        {MHD_OPTION_END, 0, NULL},
        {MHD_OPTION_END, 0, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    int n = 4;
    if (srv->tls_cert_pem) { /* HTTPS only (issue 15): libmicrohttpd's TLS, GnuTLS in Debian */
        flags |= MHD_USE_TLS;
        ints[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
                                            (void *)(uintptr_t)srv->tls_key_pem};
        ints[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0,
                                            (void *)(uintptr_t)srv->tls_cert_pem};
    }
    if (threads > 1)
        ints[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
    /* The logger goes first so that MHD reports option errors through it. */
    return MHD_start_daemon(flags, port, NULL, NULL, on_access, srv, MHD_OPTION_EXTERNAL_LOGGER,
                            on_mhd_log, NULL, MHD_OPTION_ARRAY, ints, MHD_OPTION_NOTIFY_COMPLETED,
                            on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
                            MHD_OPTION_URI_LOG_CALLBACK, on_request_line, srv,
                            MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, srv, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)ss, MHD_OPTION_END);
}

int http_server_start(const struct http_server_config *cfg, struct http_server **out,
                      struct fg_err *err)
{
    *out = NULL;
    int threads = cfg->threads ? cfg->threads : 1;
    if (threads < 1 || threads > FG_HTTP_THREADS_MAX)
        return fg_fail(err, -FG_EBAD_REQUEST, "threads %d outside 1..%d", cfg->threads,
                       FG_HTTP_THREADS_MAX);
    int rc = routes_check(cfg, err);
    struct sockaddr_storage ss;
    if (rc == 0)
        rc = resolve(cfg->host, cfg->port, &ss, err);
    if (rc)
        return rc;

    struct http_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return fg_fail(err, -FG_ENOMEM, "out of memory for the http server");
    if ((rc = routes_copy(srv, cfg, err)) < 0)
        goto free_srv;
    if ((rc = watch_create(&srv->watch)) < 0) {
        fg_fail(err, rc, "cannot start the connection watch");
        goto free_srv;
    }
    srv->access_log = cfg->access_log;
    if (cfg->tls_cert_pem && cfg->tls_key_pem) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            rc = fg_fail(err, -FG_EINTERNAL, "this libmicrohttpd has no TLS support");
            goto destroy_watch;
        }
        srv->tls_cert_pem = cfg->tls_cert_pem;
        srv->tls_key_pem = cfg->tls_key_pem;
    }
    nofile_raise();
    srv->daemon = daemon_start(srv, &ss, cfg->port, threads);
    if (!srv->daemon) {
        rc = fg_fail(err, -FG_EINTERNAL, "cannot start http server on %s:%u",
                     cfg->host ? cfg->host : "*", (unsigned int)cfg->port);
        goto destroy_watch;
    }
    srv->port = bound_port(srv->daemon);
    *out = srv;
    return 0;

destroy_watch:
    watch_destroy(srv->watch);
free_srv:
    free(srv->metric_idx);
    free(srv->routes);
    free(srv);
    return rc;
}

uint16_t http_server_port(const struct http_server *srv)
{
    return srv->port;
}

void http_server_quiesce(struct http_server *srv)
{
    if (srv->quiesced)
        return;
    srv->quiesced = true;
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET) {
        /* A worker may still be inside poll() on this socket, which keeps it
         * listening after close(); shutdown() stops it for every holder. */
        shutdown(fd, SHUT_RDWR);
        close(fd);
    }
}

int http_server_inflight(const struct http_server *srv)
{
    return __atomic_load_n(&srv->inflight, __ATOMIC_ACQUIRE);
}

void http_server_stop(struct http_server *srv)
{
    if (!srv)
        return;
    MHD_stop_daemon(srv->daemon); /* closes every connection: the watch is empty */
    watch_destroy(srv->watch);
    free(srv->metric_idx);
    free(srv->routes);
    free(srv);
}
