/*
 * test_http_timeout.c - the connection time limits, at the limits, against a
 * real transport on 127.0.0.1 (kept apart from test_http.c because it takes
 * FG_HTTP_CONNECTION_TIMEOUT_S seconds).
 *
 * Five scripted clients run at once, one poll loop driving them:
 *   idle        connects and sends nothing: closed at FG_HTTP_CONNECTION_TIMEOUT_S;
 *   line-drip   drips a long request line, a byte every 500 ms: closed at
 *               FG_HTTP_CONNECTION_TIMEOUT_S although bytes keep coming
 *               (libmicrohttpd's own idle timer would never fire);
 *   head-drip   sends the request line, then drips header bytes every 250 ms:
 *               closed at FG_HTTP_REQUEST_TIME_MS_MAX after the request line;
 *   body-drip   sends a head announcing 200 body bytes, then drips them: closed
 *               at FG_HTTP_REQUEST_TIME_MS_MAX, unanswered;
 *   just-under  drips its head so that it completes 2 s before the request
 *               limit: answered 200, and the connection stays usable.
 * Before the watch (issue 9), line-drip, head-drip and body-drip stayed open
 * for as long as they kept sending.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/limits.h"
#include "http/http.h"

#define MS 1000000LL
#define SLACK_BEFORE_MS 500 /* a cut may come this much early (sweep and clock granularity) */
#define SLACK_AFTER_MS 3000 /* and this much late (sweep period, ASan, a loaded machine) */
#define SCRIPTS 5
#define RUN_MS_MAX ((int64_t)FG_HTTP_CONNECTION_TIMEOUT_S * 1000 + 8000)

static int ok_handler(struct http_req *req, void *ctx)
{
    (void)ctx;
    http_req_respond_copy(req, 200, "{}", 2);
    return HTTP_DONE;
}

struct script {
    const char *name;
    const char *first; /* sent at once on connect ("" for nothing) */
    const char *drip;  /* then one byte per drip_ms */
    int drip_ms;
    int fd;
    size_t dripped;
    int64_t t0_ns;   /* when `first` was sent */
    int64_t next_ns; /* next drip */
    int64_t closed_ms;
    char answer[256];
    size_t answer_len;
};

static char long_line[1024];
static char just_under_head[256];

static int connect_to(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void script_start(struct script *s, uint16_t port)
{
    s->fd = connect_to(port);
    size_t n = strlen(s->first);
    if (n)
        assert_int_equal(write(s->fd, s->first, n), (ssize_t)n);
    s->t0_ns = fg_clock_mono_ns();
    s->next_ns = s->t0_ns + s->drip_ms * MS;
    s->closed_ms = -1;
}

/* Read what came; note when the server closed. */
static void script_read(struct script *s, int64_t now)
{
    char buf[256];
    ssize_t n = read(s->fd, buf, sizeof(buf));
    if (n <= 0) {
        s->closed_ms = (now - s->t0_ns) / MS;
        return;
    }
    size_t room = sizeof(s->answer) - 1 - s->answer_len;
    size_t k = (size_t)n < room ? (size_t)n : room;
    memcpy(s->answer + s->answer_len, buf, k);
    s->answer_len += k;
    s->answer[s->answer_len] = '\0';
}

static void script_drip(struct script *s, int64_t now)
{
    if (s->closed_ms >= 0 || !s->drip || !s->drip[s->dripped] || now < s->next_ns)
        return;
    if (send(s->fd, s->drip + s->dripped, 1, MSG_NOSIGNAL) == 1)
        s->dripped++;
    s->next_ns += s->drip_ms * MS;
}

static void run_scripts(struct script *sc, int n)
{
    int64_t start = fg_clock_mono_ns();
    for (;;) {
        int64_t now = fg_clock_mono_ns();
        int open = 0;
        struct pollfd pf[SCRIPTS];
        for (int i = 0; i < n; i++) {
            pf[i] = (struct pollfd){.fd = sc[i].closed_ms < 0 ? sc[i].fd : -1, .events = POLLIN};
            open += sc[i].closed_ms < 0;
        }
        if (!open || now - start > RUN_MS_MAX * MS)
            return;
        poll(pf, (nfds_t)n, 20);
        now = fg_clock_mono_ns();
        for (int i = 0; i < n; i++) {
            if (pf[i].fd >= 0 && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                script_read(&sc[i], now);
            script_drip(&sc[i], now);
        }
    }
}

static void assert_closed_near(const struct script *s, int64_t limit_ms)
{
    if (s->closed_ms < limit_ms - SLACK_BEFORE_MS || s->closed_ms > limit_ms + SLACK_AFTER_MS) {
        fprintf(stderr, "%s: closed after %lld ms, limit %lld ms\n", s->name,
                (long long)s->closed_ms, (long long)limit_ms);
        fail();
    }
}

static void test_time_limits(void **state)
{
    (void)state;
    static const struct http_route routes[] = {{"GET", "/x", ok_handler, NULL, "x"},
                                               {"POST", "/x", ok_handler, NULL, "x_post"}};
    struct http_server_config cfg = {
        .host = "127.0.0.1", .port = 0, .threads = 1, .routes = routes, .route_count = 2};
    struct http_server *srv;
    struct fg_err err;
    assert_int_equal(http_server_start(&cfg, &srv, &err), 0);

    /* A request line that takes longer than the waiting limit to drip. */
    memcpy(long_line, "GET /", 5);
    memset(long_line + 5, 'a', 2 * FG_HTTP_CONNECTION_TIMEOUT_S * 2 + 10);
    /* The head that completes 2 s before the request limit, dripped every 250 ms. */
    int under_bytes = (FG_HTTP_REQUEST_TIME_MS_MAX - 2000) / 250;
    int n = snprintf(just_under_head, sizeof(just_under_head), "X-Pad: ");
    for (int i = 0; i < under_bytes - n - 4; i++)
        just_under_head[n + i] = 'p';
    memcpy(just_under_head + under_bytes - 4, "\r\n\r\n", 5);

    struct script sc[SCRIPTS] = {
        {.name = "idle", .first = ""},
        {.name = "line-drip", .first = "", .drip = long_line, .drip_ms = 500},
        {.name = "head-drip",
         .first = "GET /x HTTP/1.1\r\nHost: t\r\n",
         .drip = "X-Drip: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         .drip_ms = 250},
        {.name = "body-drip",
         .first = "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 200\r\n\r\n",
         .drip = long_line,
         .drip_ms = 250},
        {.name = "just-under",
         .first = "GET /x HTTP/1.1\r\nHost: t\r\n",
         .drip = just_under_head,
         .drip_ms = 250},
    };
    for (int i = 0; i < SCRIPTS; i++)
        script_start(&sc[i], http_server_port(srv));
    run_scripts(sc, SCRIPTS);

    const int64_t wait_ms = (int64_t)FG_HTTP_CONNECTION_TIMEOUT_S * 1000;
    assert_closed_near(&sc[0], wait_ms);
    assert_closed_near(&sc[1], wait_ms);
    assert_true(sc[1].dripped > 40); /* it kept sending the whole time */
    assert_closed_near(&sc[2], FG_HTTP_REQUEST_TIME_MS_MAX);
    assert_closed_near(&sc[3], FG_HTTP_REQUEST_TIME_MS_MAX);
    assert_int_equal(sc[2].answer_len + sc[3].answer_len, 0); /* cut, never answered */
    /* just-under: answered; then idle, it meets the waiting limit after its answer. */
    assert_int_equal(strncmp(sc[4].answer, "HTTP/1.1 200", 12), 0);
    assert_true(sc[4].closed_ms < 0 ||
                sc[4].closed_ms > FG_HTTP_REQUEST_TIME_MS_MAX + SLACK_AFTER_MS);
    for (int i = 0; i < SCRIPTS; i++)
        close(sc[i].fd);
    http_server_stop(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_limits),
    };
    return cmocka_run_group_tests_name("http_timeout", tests, NULL, NULL);
}
