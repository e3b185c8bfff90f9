/*
 * test_http.c - the HTTP transport (src/http) against libcurl on 127.0.0.1.
 *
 * Covers: a synchronous handler (body, params, headers, query, peer, added
 * headers), pending handlers completed by a worker thread (slow, and the race
 * where completion happens before the transport suspends, deterministically and
 * at random, 2000 requests from 4 client threads), 404/405, the body cap at
 * exactly the maximum and one byte over (with Content-Length and chunked), the
 * path cap, the header cap, trace ids, quiesce with a request in flight, and
 * internal requests. Over raw sockets (issue 9): HEAD and absolute-form
 * targets, NUL bytes and control characters in the head, framing headers,
 * libmicrohttpd's own Content-Length answers, owner entries (a family's
 * envelope for the transport's refusals), strict query integers, and the
 * per-address connection cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/metrics.h"
#include "http/http.h"

#define RACE_CLIENTS 4
#define RACE_REQUESTS_PER_CLIENT 500
#define WAIT_MS_MAX 5000

/* ---- worker thread that completes pending requests ---- */

struct job {
    struct job *next;
    struct http_req *req;
    int sleep_ms;
    sem_t *done; /* posted after http_req_complete (NULL: none) */
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *head;
    struct job *tail;
    bool stop;
    pthread_t thread;
} wq = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *worker_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&wq.mu);
        while (!wq.head && !wq.stop)
            pthread_cond_wait(&wq.cv, &wq.mu);
        struct job *j = wq.head;
        if (!j) {
            pthread_mutex_unlock(&wq.mu);
            return NULL;
        }
        wq.head = j->next;
        if (!wq.head)
            wq.tail = NULL;
        pthread_mutex_unlock(&wq.mu);

        if (j->sleep_ms)
            sleep_ms(j->sleep_ms);
        char body[HTTP_PARAM_BYTES_MAX + 16];
        int n =
            snprintf(body, sizeof(body), "%s:%s", j->sleep_ms ? "slow" : "race", j->req->params[0]);
        j->req->content_type = "text/plain";
        http_req_respond_copy(j->req, 200, body, (size_t)n);
        struct http_req *req = j->req;
        sem_t *done = j->done;
        free(j);
        http_req_complete(req); /* req may be gone after this */
        if (done)
            sem_post(done);
    }
}

static void job_push(struct http_req *req, int ms, sem_t *done)
{
    struct job *j = calloc(1, sizeof(*j));
    assert_non_null(j);
    j->req = req;
    j->sleep_ms = ms;
    j->done = done;
    pthread_mutex_lock(&wq.mu);
    if (wq.tail)
        wq.tail->next = j;
    else
        wq.head = j;
    wq.tail = j;
    pthread_cond_signal(&wq.cv);
    pthread_mutex_unlock(&wq.mu);
}

/* ---- handlers ---- */

static int echo_calls; /* atomic: how often echo_handler ran */

static int echo_handler(struct http_req *req, void *ctx)
{
    (void)ctx;
    const char *h = http_req_header(req, "x-test"); /* case-insensitive */
    const char *q = http_req_query(req, "q");
    size_t cap = req->body_len + 512;
    char *out = malloc(cap);
    assert_non_null(out);
    int n = snprintf(out, cap, "%s|%s|%s|%s|%s|%s", req->method, req->params[0], h ? h : "-",
                     q ? q : "-", req->peer, req->body);
    __atomic_fetch_add(&echo_calls, 1, __ATOMIC_RELAXED);
    req->content_type = "text/plain";
    http_req_respond(req, 200, out, (size_t)n);
    assert_true(http_req_add_header(req, "X-Echo", "yes"));
    assert_false(http_req_add_header(req, "X-Bad", "a\r\nInjected: 1"));
    /* per-request state the transport must free */
    req->user = malloc(16);
    req->user_free = free;
    return HTTP_DONE;
}

static int two_params_handler(struct http_req *req, void *ctx)
{
    (void)ctx;
    char out[2 * HTTP_PARAM_BYTES_MAX + 8];
    int n = snprintf(out, sizeof(out), "%s,%s", req->params[0], req->params[1]);
    http_req_respond_copy(req, 200, out, (size_t)n);
    return HTTP_DONE;
}

static int size_handler(struct http_req *req, void *ctx)
{
    (void)ctx;
    char out[32];
    int n = snprintf(out, sizeof(out), "%zu", req->body_len);
    assert_int_equal(strlen(req->body), req->body_len); /* NUL-terminated */
    http_req_respond_copy(req, 200, out, (size_t)n);
    return HTTP_DONE;
}

static int slow_handler(struct http_req *req, void *ctx)
{
    (void)ctx;
    req->user = malloc(32);
    req->user_free = free;
    job_push(req, atoi(req->params[0]), NULL);
    return HTTP_PENDING;
}

/* /race/sync: the worker completes before the handler returns, so the
 * transport's CAS to SUSPENDED fails and it resumes itself. /race/async: the
 * worker races the transport. */
static int race_handler(struct http_req *req, void *ctx)
{
    (void)ctx;
    if (strcmp(req->params[0], "sync") == 0) {
        sem_t done;
        sem_init(&done, 0, 0);
        job_push(req, 0, &done);
        sem_wait(&done);
        sem_destroy(&done);
    } else {
        job_push(req, 0, NULL);
    }
    return HTTP_PENDING;
}

/* A family's envelope for the transport's refusals, as an owner entry gives it. */
static int fam_refusal(struct http_req *req, void *ctx)
{
    const struct http_refusal *r = ctx;
    char out[512];
    int n = snprintf(out, sizeof(out), "{\"fam\":\"%s\",\"msg\":\"%s\"}", fg_code_name(r->code),
                     r->msg);
    http_req_respond_copy(req, 200, out, (size_t)n); /* the transport sets the status */
    return HTTP_DONE;
}

static int deep_refusal(struct http_req *req, void *ctx)
{
    (void)ctx;
    http_req_respond_copy(req, 200, "{\"deep\":true}", 13);
    return HTTP_DONE;
}

/* GET /q?n=: the strict query integer, echoed or refused. */
static int query_handler(struct http_req *req, void *ctx)
{
    (void)ctx;
    struct fg_err err = {0};
    int64_t v = -1;
    int rc = http_req_query_int64(req, "n", 42, 0, INT64_MAX, &v, &err);
    if (rc < 0) {
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    char out[32];
    int n = snprintf(out, sizeof(out), "%lld", (long long)v);
    http_req_respond_copy(req, 200, out, (size_t)n);
    return HTTP_DONE;
}

static int bad_handler(struct http_req *req, void *ctx)
{
    (void)req;
    (void)ctx;
    return HTTP_DONE; /* no response set: the transport answers 500 */
}

static const struct http_route routes[] = {
    {"POST", "/echo/{}", echo_handler, NULL, "echo"},
    {"GET", "/echo/{}", echo_handler, NULL, "echo"},
    {"GET", "/a/{}/b/{}", two_params_handler, NULL, "two_params"},
    {"POST", "/size", size_handler, NULL, "size"},
    {"GET", "/slow/{}", slow_handler, NULL, "slow"},
    {"GET", "/race/{}", race_handler, NULL, "race"},
    {"GET", "/bad", bad_handler, NULL, "bad"},
    {"GET", "/q", query_handler, NULL, "query"},
    HTTP_ROUTE_OWNER("/fam/", fam_refusal, NULL),
    HTTP_ROUTE_OWNER("/fam/deep/", deep_refusal, NULL),
    {"POST", "/fam/x", size_handler, NULL, "fam_x"},
};
#define ROUTE_COUNT ((int)(sizeof(routes) / sizeof(routes[0])))

/* ---- client ---- */

struct resp {
    CURLcode rc;
    long status;
    char *body;
    size_t len;
    char trace[128];
    char ctype[128];
    char allow[128];
    char echo[32];
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    size_t add = size * n;
    char *b = realloc(r->body, r->len + add + 1);
    if (!b)
        return 0;
    memcpy(b + r->len, p, add);
    r->len += add;
    b[r->len] = '\0';
    r->body = b;
    return add;
}

static void header_value(const char *line, size_t len, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    if (len <= nlen + 1 || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return;
    const char *v = line + nlen + 1;
    const char *end = line + len;
    while (v < end && *v == ' ')
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t vlen = (size_t)(end - v) < cap - 1 ? (size_t)(end - v) : cap - 1;
    memcpy(out, v, vlen);
    out[vlen] = '\0';
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    size_t len = size * n;
    header_value(p, len, "X-Trace-Id", r->trace, sizeof(r->trace));
    header_value(p, len, "Content-Type", r->ctype, sizeof(r->ctype));
    header_value(p, len, "Allow", r->allow, sizeof(r->allow));
    header_value(p, len, "X-Echo", r->echo, sizeof(r->echo));
    return len;
}

struct upload {
    size_t left;
};

static size_t on_read(char *p, size_t size, size_t n, void *arg)
{
    struct upload *u = arg;
    size_t k = size * n < u->left ? size * n : u->left;
    memset(p, 'c', k);
    u->left -= k;
    return k;
}

static uint16_t port;
static struct http_server *srv;

/* body NULL: no body. chunked >= 0: upload that many bytes chunked instead. */
static struct resp request_on(CURL *c, uint16_t p, const char *method, const char *path,
                              const char *body, size_t len, long chunked, const char *h1,
                              const char *h2)
{
    struct resp r = {0};
    char url[4096];
    struct upload up = {(size_t)(chunked > 0 ? chunked : 0)};
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", (unsigned int)p, path);
    struct curl_slist *hl = NULL;
    if (h1)
        hl = curl_slist_append(hl, h1);
    if (h2)
        hl = curl_slist_append(hl, h2);
    if (chunked >= 0)
        hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (chunked >= 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &up);
    } else if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    if (hl)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    r.rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hl);
    if (!r.body)
        r.body = calloc(1, 1);
    return r;
}

static CURL *main_curl;

static struct resp request(const char *method, const char *path, const char *body, const char *h1,
                           const char *h2)
{
    return request_on(main_curl, port, method, path, body, body ? strlen(body) : 0, -1, h1, h2);
}

static void assert_error(const struct resp *r, long status, const char *code)
{
    char want[128];
    snprintf(want, sizeof(want), "{\"error\":{\"code\":\"%s\",", code);
    assert_int_equal(r->rc, CURLE_OK);
    assert_int_equal(r->status, status);
    if (strncmp(r->body, want, strlen(want)) != 0) {
        fprintf(stderr, "body: %s\n", r->body);
        fail();
    }
    assert_string_equal(r->ctype, "application/json");
    assert_int_equal(strlen(r->trace), 32);
}

static bool is_hex32(const char *s)
{
    if (strlen(s) != 32)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

/* ---- tests ---- */

static void test_sync_echo(void **state)
{
    (void)state;
    assert_true(port > 0);
    struct resp r = request("POST", "/echo/abc?q=v1", "ping", "X-Test: hello", NULL);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "POST|abc|hello|v1|127.0.0.1|ping");
    assert_string_equal(r.ctype, "text/plain");
    assert_string_equal(r.echo, "yes");
    assert_true(is_hex32(r.trace));
    free(r.body);

    r = request("GET", "/echo/x%20y", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "GET|x y|-|-|127.0.0.1|");
    free(r.body);

    r = request("GET", "/a/one/b/two", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "one,two");
    assert_string_equal(r.ctype, "application/json"); /* the default */
    free(r.body);
}

static void test_not_found_and_method(void **state)
{
    (void)state;
    struct resp r = request("GET", "/nope", NULL, NULL, NULL);
    assert_error(&r, 404, "not_found");
    free(r.body);
    r = request("GET", "/echo/abc/extra", NULL, NULL, NULL);
    assert_error(&r, 404, "not_found");
    free(r.body);
    r = request("GET", "/echo/", NULL, NULL, NULL); /* {} needs a non-empty segment */
    assert_error(&r, 404, "not_found");
    free(r.body);
    r = request("GET", "/a/one/b/", NULL, NULL, NULL);
    assert_error(&r, 404, "not_found");
    free(r.body);

    r = request("DELETE", "/echo/abc", NULL, NULL, NULL);
    assert_error(&r, 405, "method_not_allowed");
    assert_string_equal(r.allow, "POST, GET, HEAD"); /* a GET route answers HEAD */
    free(r.body);
    r = request("GET", "/size", NULL, NULL, NULL);
    assert_error(&r, 405, "method_not_allowed");
    assert_string_equal(r.allow, "POST");
    free(r.body);

    r = request("GET", "/bad", NULL, NULL, NULL);
    assert_error(&r, 500, "internal");
    free(r.body);
}

static void test_param_too_long(void **state)
{
    (void)state;
    char path[HTTP_PARAM_BYTES_MAX + 16];
    memcpy(path, "/echo/", 6);
    memset(path + 6, 'p', HTTP_PARAM_BYTES_MAX - 1);
    path[6 + HTTP_PARAM_BYTES_MAX - 1] = '\0';
    struct resp r = request("GET", path, NULL, NULL, NULL);
    assert_int_equal(r.status, 200); /* 127 bytes: fits */
    free(r.body);
    path[6 + HTTP_PARAM_BYTES_MAX - 1] = 'p';
    path[6 + HTTP_PARAM_BYTES_MAX] = '\0';
    r = request("GET", path, NULL, NULL, NULL);
    assert_error(&r, 414, "too_large"); /* refused, never cut to 127 (issue 9) */
    free(r.body);
    /* Also for the second parameter of a two-parameter route. */
    char two[2 * HTTP_PARAM_BYTES_MAX + 16];
    snprintf(two, sizeof(two), "/a/x/b/%s", path + 6);
    r = request("GET", two, NULL, NULL, NULL);
    assert_error(&r, 414, "too_large");
    free(r.body);
}

static void test_body_limits(void **state)
{
    (void)state;
    size_t max = FG_HTTP_BODY_BYTES_MAX;
    char *big = malloc(max + 2);
    assert_non_null(big);
    memset(big, 'b', max + 1);
    big[max + 1] = '\0';
    char want[32];
    snprintf(want, sizeof(want), "%zu", max);

    struct resp r = request_on(main_curl, port, "POST", "/size", big, max, -1, NULL, NULL);
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, want);
    free(r.body);

    r = request_on(main_curl, port, "POST", "/size", big, max + 1, -1, NULL, NULL);
    assert_error(&r, 413, "too_large");
    free(r.body);
    /* without Expect: 100-continue the body is on the wire already */
    r = request_on(main_curl, port, "POST", "/size", big, max + 1, -1, "Expect:", NULL);
    assert_error(&r, 413, "too_large");
    free(r.body);

    /* chunked: no Content-Length, the cap applies while receiving */
    r = request_on(main_curl, port, "POST", "/size", NULL, 0, (long)max, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, want);
    free(r.body);
    r = request_on(main_curl, port, "POST", "/size", NULL, 0, (long)max + 1, NULL, NULL);
    assert_error(&r, 413, "too_large");
    free(r.body);
    /* far too large: the connection is closed */
    r = request_on(main_curl, port, "POST", "/size", NULL, 0, 4L * 1024 * 1024, NULL, NULL);
    assert_true(r.rc != CURLE_OK || r.status == 413);
    free(r.body);

    /* small bodies still work on the same handle afterwards */
    r = request("POST", "/size", "abc", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "3");
    free(r.body);
    free(big);
}

static void test_path_too_long(void **state)
{
    (void)state;
    char path[FG_HTTP_PATH_BYTES_MAX + 2];
    memset(path, 'x', sizeof(path) - 1);
    path[0] = '/';
    path[FG_HTTP_PATH_BYTES_MAX] = '\0'; /* exactly the max: routed (404) */
    struct resp r = request("GET", path, NULL, NULL, NULL);
    assert_error(&r, 404, "not_found");
    free(r.body);
    path[FG_HTTP_PATH_BYTES_MAX] = 'x';
    path[FG_HTTP_PATH_BYTES_MAX + 1] = '\0';
    r = request("GET", path, NULL, NULL, NULL);
    assert_error(&r, 414, "too_large");
    free(r.body);
}

static void test_header_too_large(void **state)
{
    (void)state;
    /* The cap is the connection memory pool: the max plus room for MHD. */
    size_t n = 2 * FG_HTTP_HEADER_BYTES_MAX;
    char *h = malloc(n + 16);
    assert_non_null(h);
    memcpy(h, "X-Big: ", 7);
    memset(h + 7, 'h', n);
    h[7 + n] = '\0';
    struct resp r = request("GET", "/echo/a", NULL, h, NULL);
    assert_true(r.rc != CURLE_OK || r.status == 431 || r.status == 413);
    free(r.body);
    free(h);
    /* headers up to the max are fine */
    n = FG_HTTP_HEADER_BYTES_MAX - 256;
    h = malloc(n + 16);
    assert_non_null(h);
    memcpy(h, "X-Big: ", 7);
    memset(h + 7, 'h', n);
    h[7 + n] = '\0';
    r = request("GET", "/echo/a", NULL, h, NULL);
    assert_int_equal(r.status, 200);
    free(r.body);
    free(h);
}

static void test_trace(void **state)
{
    (void)state;
    struct resp r = request("GET", "/echo/t", NULL, "X-Trace-Id: abc-123.X:y_Z", NULL);
    assert_string_equal(r.trace, "abc-123.X:y_Z");
    free(r.body);
    r = request("GET", "/echo/t", NULL, "trace: from-trace", NULL);
    assert_string_equal(r.trace, "from-trace");
    free(r.body);
    r = request("GET", "/echo/t", NULL, "trace: second", "X-Trace-Id: first");
    assert_string_equal(r.trace, "first");
    free(r.body);

    char h[128];
    char id[FG_TRACE_BYTES_MAX + 2];
    memset(id, 'a', sizeof(id) - 1);
    id[FG_TRACE_BYTES_MAX] = '\0';
    snprintf(h, sizeof(h), "X-Trace-Id: %s", id);
    r = request("GET", "/echo/t", NULL, h, NULL);
    assert_string_equal(r.trace, id); /* exactly the max */
    free(r.body);

    id[FG_TRACE_BYTES_MAX] = 'a';
    id[FG_TRACE_BYTES_MAX + 1] = '\0';
    snprintf(h, sizeof(h), "X-Trace-Id: %s", id);
    r = request("GET", "/echo/t", NULL, h, NULL);
    assert_true(is_hex32(r.trace)); /* too long: generated */
    free(r.body);

    r = request("GET", "/echo/t", NULL, "X-Trace-Id: bad/id", NULL);
    assert_true(is_hex32(r.trace));
    free(r.body);
    r = request("GET", "/echo/t", NULL, "X-Trace-Id: a b", NULL);
    assert_true(is_hex32(r.trace));
    free(r.body);

    r = request("GET", "/echo/t", NULL, NULL, NULL);
    struct resp r2 = request("GET", "/nope", NULL, NULL, NULL);
    assert_true(is_hex32(r.trace));
    assert_true(is_hex32(r2.trace));
    assert_string_not_equal(r.trace, r2.trace);
    free(r.body);
    free(r2.body);
}

static void test_pending_slow(void **state)
{
    (void)state;
    int64_t t0 = fg_clock_mono_ns();
    struct resp r = request("GET", "/slow/5", NULL, "X-Trace-Id: slow-1", NULL);
    int64_t dt = fg_clock_mono_ns() - t0;
    assert_int_equal(r.rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "slow:5");
    assert_string_equal(r.trace, "slow-1");
    assert_true(dt >= 5000000);
    free(r.body);
}

static void *race_client(void *arg)
{
    long id = (long)arg;
    long bad = 0;
    CURL *c = curl_easy_init();
    if (!c)
        return (void *)1L;
    for (int i = 0; i < RACE_REQUESTS_PER_CLIENT; i++) {
        const char *kind = (i + id) % 2 ? "sync" : "async";
        char path[32];
        char want[32];
        snprintf(path, sizeof(path), "/race/%s", kind);
        snprintf(want, sizeof(want), "race:%s", kind);
        struct resp r = request_on(c, port, "GET", path, NULL, 0, -1, NULL, NULL);
        if (r.rc != CURLE_OK || r.status != 200 || strcmp(r.body, want) != 0)
            bad++;
        free(r.body);
    }
    curl_easy_cleanup(c);
    return (void *)bad;
}

static void wait_inflight_zero(struct http_server *s)
{
    for (int i = 0; i < WAIT_MS_MAX && http_server_inflight(s) != 0; i++)
        sleep_ms(1);
    assert_int_equal(http_server_inflight(s), 0);
}

static void test_pending_race(void **state)
{
    (void)state;
    pthread_t th[RACE_CLIENTS];
    for (long i = 0; i < RACE_CLIENTS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, race_client, (void *)i), 0);
    long bad = 0;
    for (int i = 0; i < RACE_CLIENTS; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        bad += (long)ret;
    }
    assert_int_equal(bad, 0);
    wait_inflight_zero(srv);
}

struct internal_wait {
    sem_t done;
    int calls;
};

static void internal_done(struct http_req *req)
{
    struct internal_wait *w = req->internal_ctx;
    w->calls++;
    sem_post(&w->done);
}

static void test_internal(void **state)
{
    (void)state;
    struct internal_wait w = {.calls = 0};
    sem_init(&w.done, 0, 0);
    struct http_req req;
    http_req_internal_init(&req, "GET", "/slow/1", NULL, 0, internal_done, &w);
    assert_true(req.internal);
    assert_true(is_hex32(req.trace));
    assert_int_equal(http_router_dispatch(routes, ROUTE_COUNT, &req), HTTP_PENDING);
    sem_wait(&w.done);
    assert_int_equal(w.calls, 1);
    assert_int_equal(req.status, 200);
    assert_int_equal(req.resp_len, 6);
    assert_memory_equal(req.resp_body, "slow:1", 6);
    assert_string_equal(req.route_name, "slow");
    http_req_internal_release(&req);

    /* synchronous: no header access, the body is copied and NUL-terminated */
    const char body[] = "hello-world";
    http_req_internal_init(&req, "POST", "/echo/int", body, 5, internal_done, &w);
    assert_int_equal(http_router_dispatch(routes, ROUTE_COUNT, &req), HTTP_DONE);
    assert_int_equal(req.status, 200);
    assert_string_equal(req.resp_body, "POST|int|-|-|internal|hello");
    http_req_internal_release(&req);

    http_req_internal_init(&req, "GET", "/nope", NULL, 0, internal_done, &w);
    assert_int_equal(http_router_dispatch(routes, ROUTE_COUNT, &req), HTTP_DONE);
    assert_int_equal(req.status, 404);
    assert_string_equal(req.route_name, "unmatched");
    http_req_internal_release(&req);
    assert_int_equal(w.calls, 1);
    sem_destroy(&w.done);
}

static void test_metrics_observed(void **state)
{
    (void)state;
    wait_inflight_zero(srv);
    size_t len;
    char *t = metrics_render(&len);
    assert_non_null(t);
    assert_non_null(strstr(t, "fundgate_http_requests_total{route=\"race\",code=\"2xx\"} 2000\n"));
    assert_non_null(strstr(t, "fundgate_http_requests_total{route=\"slow\",code=\"2xx\"} 1\n"));
    assert_non_null(strstr(t, "fundgate_http_requests_total{route=\"echo\",code=\"4xx\"} 0\n"));
    assert_non_null(strstr(t, "fundgate_http_requests_total{route=\"bad\",code=\"5xx\"} 1\n"));
    assert_non_null(strstr(t, "fundgate_http_request_duration_seconds_bucket{route=\"slow\","
                              "le=\"0.0025\"} 0\n"));
    assert_non_null(strstr(t, "fundgate_http_request_duration_seconds_count{route=\"race\"} "
                              "2000\n"));
    assert_null(strstr(t, "fundgate_http_requests_total{route=\"unmatched\",code=\"4xx\"} 0\n"));
    free(t);
}

struct bg_req {
    uint16_t port;
    struct resp r;
};

static void *bg_slow(void *arg)
{
    struct bg_req *b = arg;
    CURL *c = curl_easy_init();
    b->r = request_on(c, b->port, "GET", "/slow/150", NULL, 0, -1, NULL, NULL);
    curl_easy_cleanup(c);
    return NULL;
}

static void test_quiesce_drain(void **state)
{
    (void)state;
    struct http_server_config cfg = {
        .host = "127.0.0.1", .port = 0, .threads = 2, .routes = routes, .route_count = ROUTE_COUNT};
    struct http_server *s2;
    struct fg_err err;
    assert_int_equal(http_server_start(&cfg, &s2, &err), 0);
    uint16_t p2 = http_server_port(s2);
    assert_true(p2 > 0 && p2 != port);

    struct bg_req b = {.port = p2};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, bg_slow, &b), 0);
    for (int i = 0; i < WAIT_MS_MAX && http_server_inflight(s2) == 0; i++)
        sleep_ms(1);
    assert_int_equal(http_server_inflight(s2), 1);

    http_server_quiesce(s2);
    http_server_quiesce(s2); /* idempotent */
    CURL *c = curl_easy_init();
    struct resp r = request_on(c, p2, "GET", "/echo/q", NULL, 0, -1, NULL, NULL);
    assert_int_equal(r.rc, CURLE_COULDNT_CONNECT);
    free(r.body);
    curl_easy_cleanup(c);

    wait_inflight_zero(s2);
    pthread_join(th, NULL);
    assert_int_equal(b.r.rc, CURLE_OK);
    assert_int_equal(b.r.status, 200);
    assert_string_equal(b.r.body, "slow:150");
    free(b.r.body);
    http_server_stop(s2);
}

/* ---- raw sockets: what curl will not send ---- */

#define RAW_BYTES_MAX 16384
#define RAW_QUIET_MS 2000

/* A connection to the test server from address src (NULL: any); -1 on failure. */
static int raw_connect(const char *src, uint16_t p)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET};
    if (src) {
        inet_pton(AF_INET, src, &a.sin_addr);
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
            close(fd);
            return -1;
        }
    }
    a.sin_port = htons(p);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Read until the peer closes or stays quiet for quiet_ms; NUL-terminated. */
static size_t raw_read(int fd, char *out, size_t cap, int quiet_ms, bool *closed)
{
    size_t len = 0;
    *closed = false;
    for (;;) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, quiet_ms) <= 0)
            break;
        ssize_t n = read(fd, out + len, cap - 1 - len);
        if (n <= 0) {
            *closed = true;
            break;
        }
        len += (size_t)n;
        if (len == cap - 1)
            break;
    }
    out[len] = '\0';
    return len;
}

/* Read one answer: its head and Content-Length bytes of body (or until the
 * peer closes, or quiet_ms pass without a byte); NUL-terminated. */
static size_t raw_read_one(int fd, char *out, size_t cap, int quiet_ms, bool *closed)
{
    size_t len = 0;
    *closed = false;
    for (;;) {
        const char *end = strstr(out, "\r\n\r\n");
        const char *cl = strstr(out, "Content-Length: ");
        if (len && end && cl && cl < end &&
            len >= (size_t)(end + 4 - out) + strtoul(cl + 16, NULL, 10))
            break;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (poll(&pf, 1, quiet_ms) <= 0)
            break;
        ssize_t n = read(fd, out + len, cap - 1 - len);
        if (n <= 0) {
            *closed = true;
            break;
        }
        len += (size_t)n;
        out[len] = '\0';
        if (len == cap - 1)
            break;
    }
    out[len] = '\0';
    return len;
}

struct raw_resp {
    char text[RAW_BYTES_MAX];
    size_t len;
    int status; /* of the first head; 0: none */
    int heads;  /* status lines seen */
    const char *body;
    bool closed;
};

static void raw_parse(struct raw_resp *r)
{
    r->status = strncmp(r->text, "HTTP/1.1 ", 9) == 0 ? atoi(r->text + 9) : 0;
    r->heads = 0;
    for (const char *p = r->text; (p = strstr(p, "HTTP/1.1 ")); p++)
        r->heads++;
    const char *b = strstr(r->text, "\r\n\r\n");
    r->body = b ? b + 4 : "";
}

/* Send len bytes (NULs allowed) on a fresh connection; collect the answer. */
static void raw_exchange(const char *req, size_t len, struct raw_resp *r)
{
    int fd = raw_connect(NULL, port);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, req, len), (ssize_t)len);
    r->len = raw_read(fd, r->text, sizeof(r->text), RAW_QUIET_MS, &r->closed);
    close(fd);
    raw_parse(r);
}

#define RAW(lit, r) raw_exchange((lit), sizeof(lit) - 1, (r))

static void assert_raw_error(const struct raw_resp *r, int status, const char *code)
{
    char want[128];
    snprintf(want, sizeof(want), "{\"error\":{\"code\":\"%s\",", code);
    if (r->status != status || r->heads != 1 || strncmp(r->body, want, strlen(want)) != 0) {
        fprintf(stderr, "answer: %s\n", r->text);
        fail();
    }
}

static void test_head_and_absolute_form(void **state)
{
    (void)state;
    struct raw_resp r;
    RAW("GET /echo/h HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    size_t get_len = strlen(r.body);
    RAW("HEAD /echo/h HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    char cl[64];
    snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", get_len + 1); /* "HEAD" is one longer */
    assert_non_null(strstr(r.text, cl));
    assert_string_equal(r.body, ""); /* headers only */
    assert_true(r.closed);

    RAW("HEAD /size HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 405);
    assert_non_null(strstr(r.text, "Allow: POST\r\n"));

    /* Absolute form: the authority is not part of the path (RFC 9112 3.2.2). */
    RAW("GET http://example.test:8080/echo/abs?q=v HTTP/1.1\r\nHost: t\r\nConnection: "
        "close\r\n\r\n",
        &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "GET|abs|-|v|127.0.0.1|");
    RAW("GET HTTPS://example.test HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_raw_error(&r, 404, "not_found"); /* the path is "/" */
}

/* Each of these heads must be refused with 400 before any handler runs. */
static const struct {
    const char *text;
    size_t len;
} bad_heads[] = {
#define H(lit)                                                                                     \
    {                                                                                              \
        (lit), sizeof(lit) - 1                                                                     \
    }
    H("GET /echo/a\0b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
    H("GE\0T /echo/a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
    H("GET\0 /echo/a HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
    H("GET /echo/a HTTP/1.1\r\nHost: t\r\nX-\x01Test: v\r\nConnection: close\r\n\r\n"),
    H("GET /echo/a HTTP/1.1\r\nHost: t\r\nX Test: v\r\nConnection: close\r\n\r\n"),
    H("GET /echo/a HTTP/1.1\r\nHost: t\r\nX-T\xc3\xa9st: v\r\nConnection: close\r\n\r\n"),
    H("GET /echo/a\0 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
    H("GET /echo/a%00b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
    H("GET /echo/a?q=1%00x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
    H("GET /echo/a?q=1\0x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
    H("GET /echo/a HTTP/1.1\r\nHost: t\r\nX-Test: T\0junk\r\nConnection: close\r\n\r\n"),
    H("GET /echo/a HTTP/1.1\r\nHost: t\r\nX-Test: T\0\r\nConnection: close\r\n\r\n"),
    H("GET /echo/a HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Test: T\0junk\r\n\r\n"),
    H("GET /echo/a HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Test: T\0\r\n\r\n"),
    H("GET /echo/a HTTP/1.1\r\nHost: t\r\nX-Test: a\x01"
      "b\r\nConnection: close\r\n\r\n"),
    H("GET /echo/a HTTP/1.1\r\nHost: t\r\nX-Test: a\x7f"
      "b\r\nConnection: close\r\n\r\n"),
    H("GET /echo/a HTTP/1.1\r\nHost: t\r\nX-Test: a\rb\r\nConnection: close\r\n\r\n"),
    H("GET /echo/a HTTP/1.1\r\nHost: t\r\nX-Test: a\r\n folded\r\nConnection: close\r\n\r\n"),
    H("POST /size HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n"
      "Connection: close\r\n\r\nabc"),
    H("POST /size HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
    H("POST /size HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n"
      "Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
#undef H
};

static void test_head_refused(void **state)
{
    (void)state;
    int calls = __atomic_load_n(&echo_calls, __ATOMIC_RELAXED);
    for (size_t i = 0; i < sizeof(bad_heads) / sizeof(bad_heads[0]); i++) {
        struct raw_resp r;
        raw_exchange(bad_heads[i].text, bad_heads[i].len, &r);
        if (r.status != 400)
            fprintf(stderr, "bad head %zu: %s\n", i, r.text);
        assert_raw_error(&r, 400, "bad_request");
    }
    assert_int_equal(__atomic_load_n(&echo_calls, __ATOMIC_RELAXED), calls);

    /* After a refused head the connection closes: nothing behind it is
     * answered as a request of its own (a line starting with NUL would end
     * libmicrohttpd's head early and leave the rest as a second request). */
    struct raw_resp r;
    RAW("GET /echo/a HTTP/1.1\r\n\0\r\nGET /echo/second HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 400);
    assert_int_equal(r.heads, 1);
    assert_true(r.closed);
    RAW("GET /echo/a HTTP/1.1\r\nHost: t\r\n:x\r\nGET /echo/second HTTP/1.1\r\nHost: t\r\n\r\n",
        &r);
    assert_int_equal(r.status, 400);
    assert_int_equal(r.heads, 1);
    assert_true(r.closed);
    assert_int_equal(__atomic_load_n(&echo_calls, __ATOMIC_RELAXED), calls);

    /* What the checks must let through. */
    RAW("GET /echo/ok HTTP/1.1\r\nHost: t\r\nX-Test: a\tb c\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "GET|ok|a\tb c|-|127.0.0.1|");
    RAW("GET /echo/ok HTTP/1.1\r\nHost: t\r\nX-Test:\r\nX-Empty:   \r\nConnection: close\r\n\r\n",
        &r);
    assert_int_equal(r.status, 200);
    RAW("GET /echo/lf HTTP/1.1\nHost: t\nX-Test:   v\nConnection: close\n\n", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "GET|lf|v|-|127.0.0.1|");
    RAW("GET /echo/ok HTTP/1.1\r\nHost: t\r\nX-Test: caf\xc3\xa9\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 200); /* obs-text */
    RAW("GET  /echo/two-spaces HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    RAW("GET /echo/ok HTTP/1.1\r\nHost: t\r\nX-Odd_Name.1~!#$%&'*+^`|: v\r\nConnection: "
        "close\r\n\r\n",
        &r);
    assert_int_equal(r.status, 200);
    RAW("GET /echo/a%20b?q=%41 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "GET|a b|-|A|127.0.0.1|");
}

/* libmicrohttpd 0.9.75 answers a Content-Length it cannot read by itself,
 * before the access handler is ever called, and writes its head twice (its
 * state machine overwrites the error state: fixed upstream in 1.0.0, commit
 * f1bfbe71). What fundgate controls: one status, no handler, the connection
 * closed, nothing pipelined behind it answered. */
static void test_bad_content_length(void **state)
{
    (void)state;
    static const struct {
        const char *cl;
        int status;
    } cases[] = {{"-1", 400}, {"abc", 400}, {"100000000000000000000000", 413}, {"1 1", 400}};
    int calls = __atomic_load_n(&echo_calls, __ATOMIC_RELAXED);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char req[256];
        int n = snprintf(req, sizeof(req),
                         "POST /echo/cl HTTP/1.1\r\nHost: t\r\nContent-Length: %s\r\n\r\n"
                         "GET /echo/pipelined HTTP/1.1\r\nHost: t\r\n\r\n",
                         cases[i].cl);
        struct raw_resp r;
        raw_exchange(req, (size_t)n, &r);
        assert_int_equal(r.status, cases[i].status);
        assert_true(r.closed);
        assert_null(strstr(r.text, "pipelined"));
        assert_null(strstr(r.text, "X-Trace-Id")); /* not ours */
        for (const char *p = r.text; (p = strstr(p, "HTTP/1.1 ")); p++)
            assert_int_equal(atoi(p + 9), cases[i].status);
#if MHD_VERSION >= 0x01000000
        assert_int_equal(r.heads, 1);
#else
        assert_true(r.heads >= 1 && r.heads <= 2);
#endif
    }
    assert_int_equal(__atomic_load_n(&echo_calls, __ATOMIC_RELAXED), calls);
}

static void test_owner_envelope(void **state)
{
    (void)state;
    struct raw_resp r;
    RAW("GET /fam/nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "{\"fam\":\"not_found\",\"msg\":\"no route for this path\"}");
    RAW("GET /fam/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 405);
    assert_non_null(strstr(r.text, "Allow: POST\r\n"));
    assert_non_null(strstr(r.body, "\"fam\":\"method_not_allowed\""));
    RAW("POST /fam/x HTTP/1.1\r\nHost: t\r\nContent-Length: 999999\r\nConnection: close\r\n\r\n",
        &r);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "\"fam\":\"too_large\""));
    RAW("GET /fam/a\0b HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"fam\":\"bad_request\""));
    RAW("GET /fam/deep/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "{\"deep\":true}"); /* the longest prefix wins */
    RAW("GET /famous HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_raw_error(&r, 404, "not_found"); /* not under /fam/ */

    char path[FG_HTTP_PATH_BYTES_MAX + 64];
    memcpy(path, "/fam/", 5);
    memset(path + 5, 'p', FG_HTTP_PATH_BYTES_MAX);
    path[5 + FG_HTTP_PATH_BYTES_MAX] = '\0';
    char req[FG_HTTP_PATH_BYTES_MAX + 128];
    int n =
        snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
    raw_exchange(req, (size_t)n, &r);
    assert_int_equal(r.status, 414);
    assert_non_null(strstr(r.body, "\"fam\":\"too_large\""));
}

static void test_query_integers(void **state)
{
    (void)state;
    static const struct {
        const char *query;
        const char *want; /* NULL: refused */
    } cases[] = {
        {"", "42"},
        {"?n=26", "26"},
        {"?n=007", "7"},
        {"?n=9223372036854775807", "9223372036854775807"},
        {"?n=9223372036854775808", NULL},
        {"?n=99999999999999999999", NULL},
        {"?n=+26", NULL},
        {"?n=%2B26", NULL},
        {"?n=%2026", NULL},
        {"?n=26%20", NULL},
        {"?n=-1", NULL},
        {"?n=", NULL},
        {"?n=0x1a", NULL},
        {"?n=1&n=2", NULL},
        {"?N=1&n=2", NULL}, /* names compare as libmicrohttpd looks them up */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[64];
        snprintf(path, sizeof(path), "/q%s", cases[i].query);
        struct resp r = request("GET", path, NULL, NULL, NULL);
        if (cases[i].want) {
            assert_int_equal(r.status, 200);
            assert_string_equal(r.body, cases[i].want);
        } else {
            if (r.status != 400)
                fprintf(stderr, "query %s: %ld %s\n", cases[i].query, r.status, r.body);
            assert_error(&r, 400, "bad_field");
            assert_non_null(strstr(r.body, "'n'"));
        }
        free(r.body);
    }
}

/* One address holds at most FG_HTTP_PER_ADDRESS_MAX connections; the next
 * one is closed unanswered while other addresses are served. */
static void test_per_address_cap(void **state)
{
    (void)state;
    static int fds[FG_HTTP_PER_ADDRESS_MAX];
    static const char req[] = "GET /echo/cap HTTP/1.1\r\nHost: t\r\n\r\n";
    char buf[1024];
    bool closed;
    for (int i = 0; i < FG_HTTP_PER_ADDRESS_MAX; i++) {
        fds[i] = raw_connect("127.0.0.2", port);
        assert_true(fds[i] >= 0);
        assert_int_equal(write(fds[i], req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
    }
    for (int i = 0; i < FG_HTTP_PER_ADDRESS_MAX; i++) { /* every one served, kept open */
        buf[0] = '\0';
        assert_true(raw_read_one(fds[i], buf, sizeof(buf), RAW_QUIET_MS, &closed) > 0);
        assert_false(closed);
        assert_int_equal(strncmp(buf, "HTTP/1.1 200", 12), 0);
    }
    int extra = raw_connect("127.0.0.2", port);
    assert_true(extra >= 0);
    (void)!write(extra, req, sizeof(req) - 1);
    size_t n = raw_read(extra, buf, sizeof(buf), RAW_QUIET_MS, &closed);
    assert_int_equal(n, 0);
    assert_true(closed);
    close(extra);

    struct resp r = request("GET", "/echo/other", NULL, NULL, NULL); /* from 127.0.0.1 */
    assert_int_equal(r.status, 200);
    free(r.body);

    close(fds[0]); /* a slot frees */
    for (int i = 0; i < 100; i++) {
        extra = raw_connect("127.0.0.2", port);
        assert_true(extra >= 0);
        (void)!write(extra, req, sizeof(req) - 1);
        buf[0] = '\0';
        n = raw_read_one(extra, buf, sizeof(buf), RAW_QUIET_MS, &closed);
        close(extra);
        if (n > 0)
            break;
        sleep_ms(10); /* the server has not seen the close yet */
    }
    assert_int_equal(strncmp(buf, "HTTP/1.1 200", 12), 0);
    for (int i = 1; i < FG_HTTP_PER_ADDRESS_MAX; i++)
        close(fds[i]);
}

static void test_start_errors(void **state)
{
    (void)state;
    struct http_server *s2;
    struct fg_err err;
    struct http_server_config cfg = {.host = "127.0.0.1", .threads = FG_HTTP_THREADS_MAX + 1};
    assert_int_equal(http_server_start(&cfg, &s2, &err), -FG_EBAD_REQUEST);
    assert_null(s2);
    cfg.threads = 1;
    cfg.port = port; /* taken */
    assert_true(http_server_start(&cfg, &s2, &err) < 0);
    assert_null(s2);
    cfg.port = 0;
    cfg.host = "::1";
    if (http_server_start(&cfg, &s2, &err) == 0) { /* ipv6 may be off in containers */
        assert_true(http_server_port(s2) > 0);
        http_server_stop(s2);
    }
}

static int group_setup(void **state)
{
    (void)state;
    metrics_reset();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    main_curl = curl_easy_init();
    if (!main_curl)
        return -1;
    if (pthread_create(&wq.thread, NULL, worker_main, NULL) != 0)
        return -1;
    struct http_server_config cfg = {
        .host = "127.0.0.1", .port = 0, .threads = 1, .routes = routes, .route_count = ROUTE_COUNT};
    struct fg_err err;
    if (http_server_start(&cfg, &srv, &err) != 0) {
        fprintf(stderr, "start: %s\n", err.msg);
        return -1;
    }
    port = http_server_port(srv);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    http_server_quiesce(srv);
    for (int i = 0; i < WAIT_MS_MAX && http_server_inflight(srv) != 0; i++)
        sleep_ms(1);
    http_server_stop(srv);
    pthread_mutex_lock(&wq.mu);
    wq.stop = true;
    pthread_cond_signal(&wq.cv);
    pthread_mutex_unlock(&wq.mu);
    pthread_join(wq.thread, NULL);
    curl_easy_cleanup(main_curl);
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_echo),
        cmocka_unit_test(test_not_found_and_method),
        cmocka_unit_test(test_param_too_long),
        cmocka_unit_test(test_body_limits),
        cmocka_unit_test(test_path_too_long),
        cmocka_unit_test(test_header_too_large),
        cmocka_unit_test(test_trace),
        cmocka_unit_test(test_pending_slow),
        cmocka_unit_test(test_pending_race),
        cmocka_unit_test(test_internal),
        cmocka_unit_test(test_metrics_observed),
        cmocka_unit_test(test_quiesce_drain),
        cmocka_unit_test(test_start_errors),
        cmocka_unit_test(test_head_and_absolute_form),
        cmocka_unit_test(test_head_refused),
        cmocka_unit_test(test_bad_content_length),
        cmocka_unit_test(test_owner_envelope),
        cmocka_unit_test(test_query_integers),
        cmocka_unit_test(test_per_address_cap),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
