/*
 * fuzz_server.c - the whole server in this process, fuzzed over a real socket:
 * what no smaller target reaches. libmicrohttpd's request parsing and
 * percent-decoding, query parameters (account_id, after, limit, status), the
 * headers each family reads (companyId, timestamp, trace, Accept-Language,
 * X-Trace-Id), the Funds token's claims (iss, iat, sub), every handler's body
 * checks, the writes through the engine.
 *
 * Set-up (once): app_serve() runs on a thread of its own with the demo
 * bootstrap (examples/demo.json), its data in a fresh directory (under
 * /dev/shm when there is one), on a free loopback port, the clock fixed at
 * NOW_MS. State carries over between inputs, as in a real server. The
 * directory is removed at exit; a crash (libFuzzer exits without atexit
 * handlers then) leaves it behind, about 1 MB.
 *
 * Input: line 1 "METHOD TARGET" (" HTTP/1.1" is added); header lines up to an
 * empty line; the rest is the body. The harness adds Host, Connection: close
 * and Content-Length (and drops those the input gives, and every CR) so the
 * request is framed right. Header values can ask the harness for what a
 * fuzzer cannot forge:
 *   @admin       "Bearer <the admin token>"
 *   @jwt <json>  an HS256 token over <json> signed with the demo app1 secret
 *   @tbsig       X-Signature of the body for TradeBoss company 8 at NOW_MS
 *   @now         NOW_MS in decimal (a TradeBoss timestamp)
 *   @nowiso      NOW_MS in ISO 8601 (a WorldFirst request-time)
 *   @wfsig       the WorldFirst signature header of the request (method, path
 *                and query, body) for the demo client demo-wf at @nowiso, with its key
 *                examples/worldfirst-demo-client-key.pem
 * A first line "RAW" sends the rest as it is (any framing, pipelining).
 *
 * Properties: every framed request gets exactly one HTTP/1.1 answer within
 * ANSWER_MS (a hang or a second answer is a finding); no answer is a 5xx
 * other than 505 (HTTP version) since no input here is an operating failure;
 * a JSON answer reads as JSON; every RECONCILE_EVERY inputs the ledger
 * reconciles. A sanitizer report on any server thread is a finding too. A
 * RAW input is only held to: no crash, no 5xx besides 505.
 *
 * Found: a header line that starts with a NUL, or a line ":x" after another
 * header, ends libmicrohttpd's request head; what follows is read as a
 * second request and answered too (two answers to one request:
 * "GET /healthz HTTP/1.1\r\n\0\r\nHost: x\r\n\r\n"). Until the transport
 * refuses such heads (issue 9), the one-answer property is held only for a
 * head that is valid HTTP/1.1 (request line and header lines).
 *
 * Reproducing: a crash input replays on a fresh server, so a finding that
 * depends on earlier inputs may need the corpus run again (it usually does
 * not: the demo state is the same at every start).
 */
#include "fuzz.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "core/clock.h"
#include "core/jwt.h"
#include "core/log.h"
#include "core/sig.h"
#include "families/tradeboss/tradeboss_auth.h"
#include "families/worldfirst/worldfirst_wire.h"

#define NOW_MS 1767225600000LL /* 2026-01-01T00:00:00Z, a Thursday */
#define ADMIN_TOKEN "fuzz-admin-token-0123456789abcdef"
#define APP1_SECRET "demo-app1-jwt-secret-not-for-production"
#define TB8_SECRET "demo-tradeboss-secret-8"
#define NOW_ISO "2026-01-01T00:00:00Z"
#define ANSWER_MS 5000
#define RAW_WAIT_MS 300
#define RECONCILE_EVERY 512
#define REQUEST_BYTES_MAX (256 * 1024)
#define ANSWER_BYTES_MAX (1024 * 1024)

static uint16_t port;
static char data_dir[64];
static unsigned long inputs;

/* Growing byte buffer; aborts on out of memory (not a finding). */
struct buf {
    char *p;
    size_t len, cap;
};

static void buf_add(struct buf *b, const void *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static int64_t ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A connected socket to the server. libFuzzer's timer (SIGALRM) interrupts
 * system calls, so every call here goes on after EINTR. */
static int server_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), soerr = 0;
    socklen_t len = sizeof(soerr);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FUZZ_CHECK(fd >= 0, "socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        FUZZ_CHECK(errno == EINTR, "connect: %s", strerror(errno));
        while (poll(&p, 1, -1) < 0 && errno == EINTR)
            ;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
        FUZZ_CHECK(soerr == 0, "connect: %s", strerror(soerr));
    }
    /* Close with a reset: thousands of connections a second would otherwise
     * fill the loopback's ports with TIME_WAIT. */
    struct linger reset = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    return fd;
}

/* Send req, read until the server closes or wait_ms pass; false on timeout. */
static bool exchange(const struct buf *req, struct buf *answer, int wait_ms, bool half_close)
{
    int fd = server_connect();
    for (size_t off = 0; off < req->len;) {
        ssize_t w = send(fd, req->p + off, req->len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* the server may close early on a bad request: read its answer */
        off += (size_t)w;
    }
    if (half_close)
        shutdown(fd, SHUT_WR);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool closed = false;
    char chunk[16384];
    while (!closed && answer->len < ANSWER_BYTES_MAX) {
        int left = wait_ms - (int)ms_since(&t0);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = left > 0 ? poll(&p, 1, left) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        ssize_t r = recv(fd, chunk, sizeof(chunk), 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            closed = true;
        else
            buf_add(answer, chunk, (size_t)r);
    }
    close(fd);
    return closed;
}

/* One answer at *at (1xx answers skipped): status, JSON-ness; moves *at past
 * it. False when there is no complete answer there (strict: a finding). */
static bool answer_next(const struct buf *b, size_t *at, bool head, bool strict, int *status)
{
    for (;;) {
        if (!b->p || b->len - *at < 12)
            return false;
        const char *s = b->p + *at;
        const char *end = strstr(s, "\r\n\r\n");
        if (!end || strncmp(s, "HTTP/1.1 ", 9) != 0)
            return false;
        *status = atoi(s + 9);
        size_t head_len = (size_t)(end + 4 - s), body_len = 0;
        bool json = false;
        for (const char *h = strstr(s, "\r\n") + 2; h < end; h = strstr(h, "\r\n") + 2) {
            if (strncasecmp(h, "Content-Length:", 15) == 0)
                body_len = strtoul(h + 15, NULL, 10);
            if (strncasecmp(h, "Content-Type: application/json", 30) == 0)
                json = true;
        }
        if (*status < 200) {
            *at += head_len;
            continue;
        }
        if (head)
            body_len = 0;
        if (b->len - *at - head_len < body_len) {
            FUZZ_CHECK(!strict, "answer shorter than its Content-Length");
            return false;
        }
        if (json && body_len > 0) {
            json_error_t je;
            json_t *v = json_loadb(s + head_len, body_len, JSON_DECODE_ANY, &je);
            FUZZ_CHECK(v, "answer %d is not json (%s): %.*s", *status, je.text, (int)body_len,
                       s + head_len);
            json_decref(v);
        }
        *at += head_len + body_len;
        return true;
    }
}

/* The request line of the input being built, for @wfsig. */
static char wf_method[16], wf_path[4 * FG_HTTP_PATH_BYTES_MAX + 1];

/* @wfsig: what the demo WorldFirst client would send for this request. */
static void wf_signature(struct buf *req, const uint8_t *body, size_t body_len)
{
    static struct sig_key *key;
    struct fg_err err;
    if (!key) {
        size_t n = 0;
        FILE *f = fopen(FG_SOURCE_DIR "/examples/worldfirst-demo-client-key.pem", "rb");
        char pem[8192];
        FUZZ_CHECK(f, "the demo WorldFirst key");
        n = fread(pem, 1, sizeof(pem), f);
        fclose(f);
        FUZZ_CHECK(sig_key_parse_pem(pem, n, true, &key, &err) == 0, "%s", err.msg);
    }
    size_t len = 0, sig_len = 0;
    uint8_t sig[512];
    char header[1024];
    char *content =
        wf_sign_content(wf_method, wf_path, "demo-wf", NOW_ISO, (const char *)body, body_len, &len);
    FUZZ_CHECK(content &&
                   sig_rsa_sha256_sign(key, content, len, sig, sizeof(sig), &sig_len, &err) == 0,
               "signing");
    free(content);
    FUZZ_CHECK(wf_sig_header_format("1", sig, sig_len, header, sizeof(header)) > 0, "header");
    buf_str(req, header);
}

/* The value a header line asks for: macros expanded, the rest as given. */
static void header_value(struct buf *req, const char *v, size_t n, const uint8_t *body,
                         size_t body_len)
{
    if (n == 6 && memcmp(v, "@admin", 6) == 0) {
        buf_str(req, "Bearer " ADMIN_TOKEN);
    } else if (n >= 5 && memcmp(v, "@jwt ", 5) == 0) {
        char *payload = fuzz_cstr((const uint8_t *)v + 5, n - 5);
        char *token = jwt_hs256_sign(payload, APP1_SECRET, strlen(APP1_SECRET));
        FUZZ_CHECK(token, "signing");
        buf_str(req, token);
        free(token);
        free(payload);
    } else if (n == 6 && memcmp(v, "@tbsig", 6) == 0) {
        char sig[160];
        tb_signature_make(TB8_SECRET, strlen(TB8_SECRET), NOW_MS, (const char *)body, body_len, sig,
                          sizeof(sig));
        buf_str(req, sig);
    } else if (n == 6 && memcmp(v, "@wfsig", 6) == 0) {
        wf_signature(req, body, body_len);
    } else if (n == 7 && memcmp(v, "@nowiso", 7) == 0) {
        buf_str(req, NOW_ISO);
    } else if (n == 4 && memcmp(v, "@now", 4) == 0) {
        char now[24];
        snprintf(now, sizeof(now), "%lld", NOW_MS);
        buf_str(req, now);
    } else {
        buf_add(req, v, n);
    }
}

static bool framing_header(const char *line, size_t n)
{
    static const char *const names[] = {
        "content-length:", "transfer-encoding:", "connection:", "host:", "expect:"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (n >= strlen(names[i]) && strncasecmp(line, names[i], strlen(names[i])) == 0)
            return true;
    return false;
}

/* Whether line 1 is "METHOD TARGET" with an upper-case method and a target of
 * visible ASCII: a request line every server must answer (libmicrohttpd closes
 * on one it cannot read). */
static bool request_line_plain(const uint8_t *data, size_t size)
{
    size_t i = 0, m;
    while (i < size && data[i] >= 'A' && data[i] <= 'Z')
        i++;
    m = i;
    if (m == 0 || i >= size || data[i++] != ' ' || i >= size || data[i] == '\n')
        return false;
    for (; i < size && data[i] != '\n'; i++)
        if (data[i] <= 0x20 || data[i] >= 0x7f)
            return false;
    return true;
}

/* Whether a header line is "name: value" as HTTP/1.1 spells it: the name a
 * token, the value visible characters, spaces, tabs and obs-text. */
static bool header_line_valid(const char *h, size_t n)
{
    const char *colon = memchr(h, ':', n);
    if (!colon || colon == h)
        return false;
    for (const char *p = h; p < colon; p++)
        if (!(fuzz_is_digit(*p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p && strchr("!#$%&'*+-.^_`|~", *p))))
            return false;
    for (const char *p = colon + 1; p < h + n; p++)
        if ((unsigned char)*p < 0x20 ? *p != '\t' : *p == 0x7f)
            return false;
    return true;
}

/* The framed request of the input; *head says whether it is a HEAD, *valid
 * whether its request line and header lines are valid HTTP/1.1. */
static void request_build(const uint8_t *data, size_t size, struct buf *req, bool *head,
                          bool *valid)
{
    *valid = request_line_plain(data, size);
    const uint8_t *line, *body;
    size_t n, body_len;
    fuzz_line(&data, &size, &line, &n);
    buf_add(req, line, n);
    *head = n >= 4 && memcmp(line, "HEAD", 4) == 0 && (n == 4 || line[4] == ' ');
    const uint8_t *sp = memchr(line, ' ', n);
    size_t path_len = sp ? n - (size_t)(sp - line) - 1 : 0; /* the target: path and query */
    snprintf(wf_method, sizeof(wf_method), "%.*s", sp ? (int)(sp - line) : 0, (const char *)line);
    snprintf(wf_path, sizeof(wf_path), "%.*s", (int)path_len, sp ? (const char *)sp + 1 : "");
    buf_str(req, " HTTP/1.1\r\n");
    /* The body is what follows the first empty line. */
    const uint8_t *sep = NULL;
    for (size_t i = 0; i + 1 < size && !sep; i++)
        if (data[i] == '\n' && data[i + 1] == '\n')
            sep = data + i;
    body = sep ? sep + 2 : data + size;
    body_len = sep ? size - (size_t)(body - data) : 0;
    if (size && data[0] == '\n') { /* no headers at all */
        body = data + 1;
        body_len = size - 1;
        sep = data;
    }
    size_t headers_len = sep ? (size_t)(sep - data) : size;
    while (headers_len > 0) {
        fuzz_line(&data, &headers_len, &line, &n);
        const char *h = (const char *)line;
        const char *colon = memchr(h, ':', n);
        if (n == 0 || framing_header(h, n) || memchr(h, '\r', n))
            continue;
        *valid = *valid && header_line_valid(h, n);
        if (colon) {
            size_t name_len = (size_t)(colon - h) + 1;
            size_t skip = name_len + (name_len < n && h[name_len] == ' ');
            buf_add(req, h, skip);
            header_value(req, h + skip, n - skip, body, body_len);
        } else {
            buf_add(req, h, n);
        }
        buf_str(req, "\r\n");
    }
    char cl[96];
    /* Last, so that no line of the input folds into them. */
    snprintf(cl, sizeof(cl), "Host: 127.0.0.1\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n",
             body_len);
    buf_str(req, cl);
    buf_add(req, body, body_len);
}

static void reconcile_check(void)
{
    struct buf req = {0}, answer = {0};
    buf_str(&req, "GET /admin/v1/reconcile HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  "Authorization: Bearer " ADMIN_TOKEN "\r\n\r\n");
    FUZZ_CHECK(exchange(&req, &answer, ANSWER_MS * 4, false), "reconcile did not answer");
    FUZZ_CHECK(strstr(answer.p, "HTTP/1.1 200") == answer.p && strstr(answer.p, "\"ok\":true"),
               "reconcile failed: %s", answer.p);
    free(req.p);
    free(answer.p);
}

static void *serve(void *arg)
{
    const struct api_config *cfg = arg;
    exit(app_serve(cfg)); /* returns only on a failed start */
}

static void remove_data(void)
{
    static const char *const files[] = {"fundgate.db", "fundgate.db-wal", "fundgate.db-shm",
                                        "admin-token", NULL};
    char path[128];
    for (int i = 0; files[i]; i++) {
        snprintf(path, sizeof(path), "%s/%s", data_dir, files[i]);
        unlink(path);
    }
    rmdir(data_dir);
}

static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FUZZ_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                   getsockname(fd, (struct sockaddr *)&a, &len) == 0,
               "free port");
    close(fd);
    return ntohs(a.sin_port);
}

static void setup(void)
{
    struct stat st;
    snprintf(data_dir, sizeof(data_dir), "%s/fgfuzz-XXXXXX",
             stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp");
    FUZZ_CHECK(mkdtemp(data_dir), "mkdtemp");
    atexit(remove_data);
    fg_log_set_level(FG_LOG_ERROR);
    fg_clock_set_ms(NOW_MS);
    port = free_port();
    static struct api_config cfg;
    cfg = (struct api_config){.host = "127.0.0.1",
                              .port = port,
                              .data_dir = data_dir,
                              .admin_token = ADMIN_TOKEN,
                              .bootstrap = FG_SOURCE_DIR "/examples/demo.json",
                              .threads = 1};
    pthread_t t;
    FUZZ_CHECK(pthread_create(&t, NULL, serve, &cfg) == 0, "server thread");
    pthread_detach(t);
    struct buf req = {0};
    buf_str(&req, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    for (int i = 0; i < 600; i++) { /* up to 60 s for the bootstrap */
        struct buf answer = {0};
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool up = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0; /* before the timer runs */
        close(fd);
        if (up && exchange(&req, &answer, ANSWER_MS, false) &&
            strncmp(answer.p, "HTTP/1.1 200", 12) == 0) {
            free(answer.p);
            free(req.p);
            return;
        }
        free(answer.p);
        usleep(100000);
    }
    FUZZ_CHECK(false, "the server did not come up on port %u", port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (port == 0)
        setup();
    if (size > REQUEST_BYTES_MAX)
        return 0;
    struct buf req = {0}, answer = {0};
    bool raw = size >= 4 && memcmp(data, "RAW\n", 4) == 0, head = false, valid_head = true;
    size_t at = 0;
    int status = 0;
    if (!raw)
        request_build(data, size, &req, &head, &valid_head);
    else
        buf_add(&req, data + 4, size - 4);
    if (raw || !valid_head) {
        /* Any framing (raw), or a head that is not valid HTTP/1.1: whatever
         * answers come are well formed and not 5xx. A non-raw head carries
         * our own Content-Length, so it gets at most one answer: the
         * transport refuses a head libmicrohttpd 0.9.75 would split in two
         * (a NUL, a line ":x"). Raw framing is exempt because of the
         * library's doubled head on a bad Content-Length (issue 9, point 10;
         * docs/DESIGN.md "Transport"). */
        int answers = 0;
        exchange(&req, &answer, raw ? RAW_WAIT_MS : ANSWER_MS, true);
        while (answer_next(&answer, &at, head, false, &status)) {
            FUZZ_CHECK(status < 500 || status == 505, "answered %d to\n%s", status, req.p);
            answers++;
        }
        FUZZ_CHECK(raw || answers <= 1, "%d answers to one head\n%s", answers, req.p);
        goto out;
    }
    if (!exchange(&req, &answer, ANSWER_MS, false)) {
        struct buf ping = {0}, pong = {0};
        buf_str(&ping, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        bool alive = exchange(&ping, &pong, ANSWER_MS, false);
        FUZZ_CHECK(
            false,
            "not answered and closed within %d ms (%zu bytes came; /healthz %s) to\n%s\ngot\n%s",
            ANSWER_MS, answer.len, alive ? "answers" : "does not answer either", req.p,
            answer.p ? answer.p : "");
    }
    FUZZ_CHECK(answer_next(&answer, &at, head, true, &status), "no http answer to\n%s\ngot\n%s",
               req.p, answer.p ? answer.p : "");
    FUZZ_CHECK(status < 500 || status == 505, "answered %d to\n%s\n%s", status, req.p, answer.p);
    FUZZ_CHECK(at == answer.len, "more than one answer to\n%s\ngot\n%s", req.p, answer.p);
out:
    free(req.p);
    free(answer.p);
    if (++inputs % RECONCILE_EVERY == 0)
        reconcile_check();
    return 0;
}

/* The server keeps what it allocated for its whole life (caches, connections
 * in flight across inputs): leak checks per input would only see that. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
