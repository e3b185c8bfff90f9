/*
 * test_transport.c - end to end: the transport's defences and strictness
 * (issue 9) against the real server with the demo bootstrap, over raw
 * sockets where curl would not send the bytes.
 *
 *  - test_family_envelopes: the transport's own refusals (404, 405, 413, 400)
 *    on TradeBoss and Funds paths come in that family's envelope and code;
 *  - test_strict_queries: integers in queries and cursors are 1-19 digits in
 *    range, a bad status filter is a 400 naming the allowed ones;
 *  - test_strict_head: NUL bytes in the path or a header are a 400, HEAD and
 *    absolute-form targets answer as HTTP/1.1 says;
 *  - test_slowloris: one address holding its cap of connections that drip
 *    bytes gets no more, /healthz from another address answers within 1 s
 *    throughout, and the drippers are cut at the request time limit;
 *  - test_idle_flood: 4,200 idle connections from one address leave /healthz
 *    answering within 1 s (skipped, saying so, when the open-files limit
 *    cannot be raised that far);
 *  - test_cli_integers: the command line reads its integers the same strict way.
 * The slow connections come from 127.0.0.2 and the probes from 127.0.0.1:
 * loopback accepts any 127/8 source, and the per-address cap is per source.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/jwt.h"
#include "core/limits.h"
#include "harness.h"

#define DEMO_SECRET "demo-app1-jwt-secret-not-for-production"
#define PROBE_MS_MAX 1000
#define RAW_BYTES_MAX 8192
#define IDLE_FLOOD 4200
#define SLOW_SRC "127.0.0.2"

static struct fgsrv srv;
static int64_t started_ns;

/* --- raw sockets --------------------------------------------------------- */

static int raw_connect(const char *src)
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
    a.sin_port = htons(srv.port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

struct raw_resp {
    char text[RAW_BYTES_MAX];
    size_t len;
    int status;
    const char *body;
    json_t *json;
    int64_t ms; /* connect to close */
};

/* Send len bytes on a fresh connection from 127.0.0.1 and read until the
 * server closes (requests carry Connection: close) or limit_ms pass. */
static void raw_exchange(const char *req, size_t len, int limit_ms, struct raw_resp *r)
{
    int64_t t0 = fg_clock_mono_ns();
    memset(r, 0, sizeof(*r));
    int fd = raw_connect(NULL);
    assert_true(fd >= 0);
    assert_int_equal(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
    for (;;) {
        int left = limit_ms - (int)((fg_clock_mono_ns() - t0) / 1000000);
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pf, 1, left) <= 0)
            break;
        ssize_t n = read(fd, r->text + r->len, sizeof(r->text) - 1 - r->len);
        if (n <= 0)
            break;
        r->len += (size_t)n;
    }
    close(fd);
    r->ms = (fg_clock_mono_ns() - t0) / 1000000;
    r->text[r->len] = '\0';
    r->status = strncmp(r->text, "HTTP/1.1 ", 9) == 0 ? atoi(r->text + 9) : 0;
    const char *b = strstr(r->text, "\r\n\r\n");
    r->body = b ? b + 4 : "";
    r->json = json_loads(r->body, 0, NULL);
}

#define RAW(lit, r) raw_exchange((lit), sizeof(lit) - 1, 5000, (r))

static void raw_free(struct raw_resp *r)
{
    json_decref(r->json);
    r->json = NULL;
}

/* A request with a body (or a Content-Length only, when body is NULL). */
static void raw_post(const char *path, const char *extra, const char *body, size_t cl,
                     struct raw_resp *r)
{
    char req[RAW_BYTES_MAX];
    int n = snprintf(req, sizeof(req),
                     "POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n%s"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     path, extra ? extra : "", body ? strlen(body) : cl, body ? body : "");
    raw_exchange(req, (size_t)n, 5000, r);
}

/* A string member, or "(none)": never NULL into a string assertion. */
static const char *str_or(json_t *v, const char *path)
{
    const char *s = fgh_str(v, path);
    return s ? s : "(none)";
}

static void assert_tb_refusal(struct raw_resp *r, int status, const char *trace)
{
    if (r->status != status || !r->json) {
        fprintf(stderr, "answer: %s\n", r->text);
        fail();
    }
    assert_string_equal(str_or(r->json, "code"), "US_1000001");
    assert_string_equal(str_or(r->json, "trace"), trace);
    assert_true(json_is_false(fgh_get(r->json, "ok")));
    assert_true(json_is_true(fgh_get(r->json, "fail")));
    raw_free(r);
}

static void assert_funds_refusal(struct raw_resp *r, int status, const char *msg)
{
    if (r->status != status || !r->json) {
        fprintf(stderr, "answer: %s\n", r->text);
        fail();
    }
    assert_int_equal(json_integer_value(fgh_get(r->json, "code")), 110001);
    assert_string_equal(str_or(r->json, "msg"), msg);
    assert_true(json_is_null(fgh_get(r->json, "data")));
    assert_non_null(fgh_str(r->json, "trace_id"));
    raw_free(r);
}

/* --- tests ------------------------------------------------------------------ */

static void test_family_envelopes(void **state)
{
    (void)state;
    struct raw_resp r;
    raw_post("/api/cats-gateway/nope", "trace: tb-404\r\ncompanyId: 7\r\n", "{}", 0, &r);
    assert_tb_refusal(&r, 404, "tb-404");
    RAW("GET /api/cats-gateway/get-user-amount HTTP/1.1\r\nHost: t\r\ntrace: tb-405\r\n"
        "Connection: close\r\n\r\n",
        &r);
    assert_non_null(strstr(r.text, "Allow: POST\r\n"));
    assert_tb_refusal(&r, 405, "tb-405");
    raw_post("/api/cats-gateway/get-user-amount", "trace: tb-413\r\n", NULL,
             FG_HTTP_BODY_BYTES_MAX + 1, &r);
    assert_tb_refusal(&r, 413, "tb-413");
    RAW("POST /api/cats-gateway/get-user-amount\0x HTTP/1.1\r\nHost: t\r\ntrace: tb-400\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n",
        &r);
    assert_tb_refusal(&r, 400, "tb-400");

    raw_post("/order/v2/nope", NULL, "{}", 0, &r);
    assert_funds_refusal(&r, 404, "Parameter error");
    RAW("GET /order/v2/create HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_non_null(strstr(r.text, "Allow: POST\r\n"));
    assert_funds_refusal(&r, 405, "Parameter error");
    raw_post("/rate/v2/convert", "Accept-Language: zh-CN\r\n", NULL, FG_HTTP_BODY_BYTES_MAX + 1,
             &r);
    assert_funds_refusal(&r, 413, "参数错误");
    raw_post("/account/v2/nope", NULL, "{}", 0, &r);
    assert_funds_refusal(&r, 404, "Parameter error");

    /* Paths no family owns keep the admin shape. */
    raw_post("/admin/v1/nope", NULL, "{}", 0, &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(str_or(r.json, "error.code"), "not_found");
    raw_free(&r);
}

static char *alice_token(void)
{
    char payload[512];
    snprintf(payload, sizeof(payload),
             "{\"iss\":\"Trading-Auth\",\"iat\":%lld,\"sub\":\"{\\\"UserName\\\":\\\"alice\\\","
             "\\\"OmnibusAccountId\\\":\\\"A1\\\",\\\"Appid\\\":\\\"app1\\\",\\\"Email\\\":"
             "\\\"a@example.com\\\"}\"}",
             (long long)(fg_clock_now_ms() / 1000));
    return jwt_hs256_sign(payload, DEMO_SECRET, strlen(DEMO_SECRET));
}

static void admin_status(const char *path, long status, const char *code, const char *text)
{
    struct fgresp r;
    assert_int_equal(fgh_admin(&srv, "GET", path, NULL, &r), 0);
    if (r.status != status || (code && strcmp(str_or(r.json, "error.code"), code) != 0) ||
        (text && !strstr(r.body, text))) {
        fprintf(stderr, "GET %s: %ld %s\n", path, r.status, r.body);
        fail();
    }
    fgresp_free(&r);
}

/* A POST whose body is body_len bytes, NUL bytes included. */
static void raw_post_bytes(const char *path, const char *extra, const char *body, size_t body_len,
                           struct raw_resp *r)
{
    char req[RAW_BYTES_MAX];
    int n = snprintf(req, sizeof(req),
                     "POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n%s"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     path, extra ? extra : "", body_len);
    assert_true(n > 0 && (size_t)n + body_len < sizeof(req));
    memcpy(req + n, body, body_len);
    raw_exchange(req, (size_t)n + body_len, 5000, r);
}

/* jansson 2.14 reads `{..}\0garbage` as `{..}`: a body with a NUL byte was
 * taken as the object before it on the admin, TradeBoss and Funds routes.
 * It is not JSON; each family refuses it in its envelope, and nothing is stored. */
static void test_nul_in_body(void **state)
{
    (void)state;
    static const char cust[] = "{\"uuid\":\"nul1\",\"user_name\":\"nul1\",\"name\":\"N\","
                               "\"base_currency\":\"USD\"}\0{}";
    struct raw_resp r;
    raw_post_bytes("/admin/v1/customers", "Authorization: Bearer " FGH_ADMIN_TOKEN "\r\n", cust,
                   sizeof(cust) - 1, &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(str_or(r.json, "error.code"), "bad_json");
    assert_non_null(strstr(str_or(r.json, "error.message"), "NUL byte"));
    raw_free(&r);
    admin_status("/admin/v1/customers/nul1", 404, NULL, NULL);

    char *tok = alice_token();
    char auth[4200];
    snprintf(auth, sizeof(auth), "X-Auth-Token: %s\r\n", tok);
    static const char list[] = "{\"uuid\":\"c1\"}\0garbage";
    raw_post_bytes("/order/v2/list", auth, list, sizeof(list) - 1, &r);
    assert_funds_refusal(&r, 200, "Parameter error"); /* Funds answers its refusals with 200 */
    free(tok);

    /* TradeBoss: first the same body without the NUL, to show the call is good. */
    static const char amount[] =
        "{\"thirdServerCode\":\"fg\",\"userName\":\"alice\",\"currency\":\"USD\"}\0x";
    char head[160];
    snprintf(head, sizeof(head), "trace: tb-nul\r\ncompanyId: 7\r\ntimestamp: %lld\r\n",
             (long long)fg_clock_now_ms());
    raw_post_bytes("/api/cats-gateway/get-user-amount", head, amount, sizeof(amount) - 3, &r);
    if (r.status != 200)
        fprintf(stderr, "answer: %s\n", r.text);
    assert_int_equal(r.status, 200);
    assert_true(json_is_true(fgh_get(r.json, "ok")));
    raw_free(&r);
    raw_post_bytes("/api/cats-gateway/get-user-amount", head, amount, sizeof(amount) - 1, &r);
    assert_tb_refusal(&r, 200, "tb-nul"); /* TradeBoss answers its refusals with 200 */
}

static void test_strict_queries(void **state)
{
    (void)state;
    admin_status("/admin/v1/transfers?account_id=1", 200, NULL, NULL);
    admin_status("/admin/v1/transfers?account_id=99999999999999999999", 400, "bad_field",
                 "'account_id'");
    admin_status("/admin/v1/transfers?account_id=9223372036854775808", 400, "bad_field", NULL);
    admin_status("/admin/v1/transfers?account_id=%2B26", 400, "bad_field", NULL);
    admin_status("/admin/v1/transfers?account_id=+26", 400, "bad_field", NULL);
    admin_status("/admin/v1/transfers?account_id=%2026", 400, "bad_field", NULL);
    admin_status("/admin/v1/transfers?account_id=1&account_id=2", 400, "bad_field", NULL);
    admin_status("/admin/v1/transfers?account_id=1&limit=1001", 400, "bad_field", "'limit'");
    admin_status("/admin/v1/transfers", 400, "missing_field", "'account_id'");
    admin_status("/admin/v1/withdrawals?status=bogus", 400, "bad_field",
                 "pending_review, approved, paid, rejected, appealed, failed, cancelled");
    admin_status("/admin/v1/withdrawals?status=pending_review", 200, NULL, NULL);
    admin_status("/admin/v1/withdrawals?after=-1", 400, "bad_field", "'after'");
    admin_status("/admin/v1/withdrawals?limit=%201", 400, "bad_field", "'limit'");
    admin_status("/admin/v1/accounts?uuid=c1&uuid=c2", 400, "bad_field", "'uuid'");

    char *tok = alice_token();
    char auth[4200];
    snprintf(auth, sizeof(auth), "X-Auth-Token: %s", tok);
    const char *headers[] = {auth, NULL};
    static const struct {
        const char *cursor;
        long code;
    } cursors[] = {{"99999999999999999999", 110001},
                   {"9223372036854775808", 110001},
                   {"+5", 110001},
                   {" 5", 110001},
                   {"-1", 110001},
                   {"5", 0}};
    for (size_t i = 0; i < sizeof(cursors) / sizeof(cursors[0]); i++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"uuid\":\"c1\",\"cursor\":\"%s\"}", cursors[i].cursor);
        struct fgresp r;
        assert_int_equal(fgh_request(&srv, "POST", "/order/v2/list", headers, body, &r), 0);
        assert_int_equal(r.status, 200);
        if (json_integer_value(fgh_get(r.json, "code")) != cursors[i].code) {
            fprintf(stderr, "cursor %s: %s\n", cursors[i].cursor, r.body);
            fail();
        }
        fgresp_free(&r);
    }
    free(tok);
}

static void test_strict_head(void **state)
{
    (void)state;
    struct raw_resp r;
    RAW("GET /healthz\0junk HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(str_or(r.json, "error.code"), "bad_request");
    raw_free(&r);
    RAW("GET /healthz%00junk HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 400);
    raw_free(&r);
    RAW("GET /admin/v1/reconcile HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " FGH_ADMIN_TOKEN
        "\0junk\r\nConnection: close\r\n\r\n",
        &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(str_or(r.json, "error.code"), "bad_request");
    raw_free(&r);
    RAW("GET /admin/v1/reconcile HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " FGH_ADMIN_TOKEN
        "\r\nConnection: close\r\n\r\n",
        &r);
    assert_int_equal(r.status, 200); /* the same without the NUL */
    raw_free(&r);

    RAW("HEAD /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.text, "Content-Length: 15\r\n")); /* {"status":"ok"} */
    assert_string_equal(r.body, "");
    raw_free(&r);
    RAW("GET http://fundgate.test/healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"status\":\"ok\"}");
    raw_free(&r);
}

/* GET /healthz from 127.0.0.1 on a fresh connection: answered 200 within
 * PROBE_MS_MAX (connect included)? */
static void assert_healthz_fast(const char *when)
{
    struct raw_resp r;
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    raw_exchange(req, sizeof(req) - 1, PROBE_MS_MAX, &r);
    if (r.status != 200 || r.ms > PROBE_MS_MAX) {
        fprintf(stderr, "/healthz %s: status %d after %lld ms\n", when, r.status, (long long)r.ms);
        fail();
    }
    raw_free(&r);
}

static bool peer_closed(int fd)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    char b[256];
    return poll(&pf, 1, 0) > 0 && read(fd, b, sizeof(b)) <= 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_slowloris(void **state)
{
    (void)state;
    static int fds[FG_HTTP_PER_ADDRESS_MAX];
    static const char head[] = "POST /admin/v1/deposits HTTP/1.1\r\nHost: t\r\n";
    for (int i = 0; i < FG_HTTP_PER_ADDRESS_MAX; i++) {
        fds[i] = raw_connect(SLOW_SRC);
        assert_true(fds[i] >= 0);
        assert_int_equal(send(fds[i], head, sizeof(head) - 1, MSG_NOSIGNAL),
                         (ssize_t)(sizeof(head) - 1));
    }
    /* The cap is reached: one more from the same address is closed unanswered. */
    sleep_ms(300);
    int extra = raw_connect(SLOW_SRC);
    assert_true(extra >= 0);
    struct pollfd pf = {.fd = extra, .events = POLLIN};
    char b[64];
    assert_int_equal(poll(&pf, 1, 2000), 1);
    assert_true(read(extra, b, sizeof(b)) <= 0);
    close(extra);

    /* Drip one header byte per connection every 500 ms past the request
     * limit; /healthz answers fast all along. */
    int64_t t0 = fg_clock_mono_ns(), until = t0 + (FG_HTTP_REQUEST_TIME_MS_MAX + 3000) * 1000000LL;
    int open = FG_HTTP_PER_ADDRESS_MAX, round = 0;
    while (fg_clock_mono_ns() < until && open > 0) {
        open = 0;
        for (int i = 0; i < FG_HTTP_PER_ADDRESS_MAX; i++) {
            if (fds[i] < 0)
                continue;
            if (peer_closed(fds[i]) || send(fds[i], "a", 1, MSG_NOSIGNAL) != 1) {
                close(fds[i]);
                fds[i] = -1;
                continue;
            }
            open++;
        }
        if (round++ % 2 == 0)
            assert_healthz_fast("while one address drips its cap");
        sleep_ms(500);
    }
    int64_t cut_ms = (fg_clock_mono_ns() - t0) / 1000000;
    for (int i = 0; i < FG_HTTP_PER_ADDRESS_MAX; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (open > 0) {
        fprintf(stderr, "%d dripping connections still open after %lld ms\n", open,
                (long long)cut_ms);
        fail();
    }
    assert_true(cut_ms >= FG_HTTP_REQUEST_TIME_MS_MAX - 1000); /* bytes did extend nothing */
    assert_healthz_fast("after the drippers were cut");
}

/* Raise the open-files limit to n if the hard limit allows. */
static bool nofile_at_least(rlim_t n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return false;
    if (rl.rlim_cur >= n)
        return true;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < n)
        return false;
    rl.rlim_cur = n;
    return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

/* How many of fds[0..n) the server has closed; closed ones become -1. */
static int count_closed(int *fds, int n)
{
    int closed = 0;
    for (int i = 0; i < n; i++) {
        if (fds[i] >= 0 && peer_closed(fds[i])) {
            close(fds[i]);
            fds[i] = -1;
        }
        closed += fds[i] < 0;
    }
    return closed;
}

/* The server's log holds at most FG_HTTP_LIBRARY_LOG_PER_S_MAX library lines
 * a second over the `seconds` it has run, and says how many it left out. */
static void assert_library_log_bounded(int64_t seconds)
{
    FILE *f = fopen(srv.log, "r");
    assert_non_null(f);
    char line[1024];
    long lines = 0, notes = 0;
    while (fgets(line, sizeof(line), f)) {
        lines += strstr(line, "libmicrohttpd: ") != NULL;
        notes += strstr(line, "lines were not logged") != NULL;
    }
    fclose(f);
    fprintf(stderr, "server log: %ld libmicrohttpd lines, %ld of them counts of left-out ones\n",
            lines, notes);
    assert_true(lines <= (seconds + 1) * (FG_HTTP_LIBRARY_LOG_PER_S_MAX + 1));
    assert_true(notes > 0); /* thousands were refused: most lines were left out */
}

static void test_idle_flood(void **state)
{
    (void)state;
    if (!nofile_at_least(IDLE_FLOOD + 256)) {
        fprintf(stderr, "test_idle_flood skipped: the open-files hard limit is below %d\n",
                IDLE_FLOOD + 256);
        skip();
    }
    static int fds[IDLE_FLOOD];
    int64_t t0 = fg_clock_mono_ns();
    for (int i = 0; i < IDLE_FLOOD; i++)
        fds[i] = raw_connect(SLOW_SRC);
    /* libmicrohttpd 0.9.75 takes one connection from the listen queue per
     * poll turn, so the burst drains at some thousands per second; wait for
     * it, then the server must hold no more than the cap and answer fast. */
    int closed = 0;
    for (int i = 0; i < 150 && closed < IDLE_FLOOD - FG_HTTP_PER_ADDRESS_MAX; i++) {
        closed = count_closed(fds, IDLE_FLOOD);
        sleep_ms(100);
    }
    fprintf(stderr, "idle flood: %d connections, %d refused by the server within %lld ms\n",
            IDLE_FLOOD, closed, (long long)((fg_clock_mono_ns() - t0) / 1000000));
    assert_true(closed >= IDLE_FLOOD - FG_HTTP_PER_ADDRESS_MAX);
    assert_healthz_fast("with 4,200 idle connections from one address");
    assert_library_log_bounded((fg_clock_mono_ns() - started_ns) / 1000000000 + 1);
    for (int i = 0; i < IDLE_FLOOD; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    assert_healthz_fast("after the idle flood");
}

/* Exit status of `fundgate ARGS` (at most 5 s: a command that wrongly
 * starts serving ends as 124). */
static int fundgate_status(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "timeout 5 '%s' %s >/dev/null 2>&1", getenv("FUNDGATE_BIN"), args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_cli_integers(void **state)
{
    (void)state;
    char args[512];
    snprintf(args, sizeof(args), "serve --listen 127.0.0.1:0 --data '%s/cli' --threads 2x",
             srv.dir);
    assert_int_equal(fundgate_status(args), 2);
    snprintf(args, sizeof(args), "serve --listen 127.0.0.1:+0 --data '%s/cli'", srv.dir);
    assert_int_equal(fundgate_status(args), 2);
    snprintf(args, sizeof(args),
             "serve --listen 127.0.0.1:0 --data '%s/cli' --admin-rate-limit ' 5:+10'", srv.dir);
    assert_int_equal(fundgate_status(args), 2);
    static const char tok[] = "token --app a --user u --secret 0123456789abcdef0123 --iat ";
    snprintf(args, sizeof(args), "%sabc", tok);
    assert_int_equal(fundgate_status(args), 2);
    snprintf(args, sizeof(args), "%s99999999999999999999", tok);
    assert_int_equal(fundgate_status(args), 2);
    snprintf(args, sizeof(args), "%s1700000000", tok);
    assert_int_equal(fundgate_status(args), 0);
}

static int setup(void **state)
{
    (void)state;
    static char bootstrap[512];
    snprintf(bootstrap, sizeof(bootstrap), "%s/demo.json", getenv("FUNDGATE_EXAMPLES"));
    memset(&srv, 0, sizeof(srv));
    srv.args[0] = "--bootstrap";
    srv.args[1] = bootstrap;
    started_ns = fg_clock_mono_ns();
    fgsrv_start(&srv);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    int rc = fgsrv_stop(&srv);
    fgsrv_cleanup(&srv);
    return rc == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family_envelopes), cmocka_unit_test(test_strict_queries),
        cmocka_unit_test(test_strict_head),      cmocka_unit_test(test_slowloris),
        cmocka_unit_test(test_idle_flood),       cmocka_unit_test(test_cli_integers),
        cmocka_unit_test(test_nul_in_body),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
