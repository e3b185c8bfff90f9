/*
 * test_http_timeout.c - the idle-connection limit, at the limit: a client that
 * sends half a request and then nothing is still connected just before
 * FG_HTTP_CONNECTION_TIMEOUT_S and disconnected soon after it. (Kept apart from
 * test_http.c because it takes FG_HTTP_CONNECTION_TIMEOUT_S seconds.)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/limits.h"
#include "http/http.h"

static int ok_handler(struct http_req *req, void *ctx)
{
    (void)ctx;
    http_req_respond_copy(req, 200, "{}", 2);
    return HTTP_DONE;
}

/* Milliseconds until the server closes fd (reads return 0 or fail), at most limit_ms. */
static int64_t ms_until_closed(int fd, int64_t limit_ms)
{
    int64_t t0 = fg_clock_mono_ns();
    for (;;) {
        int64_t spent = (fg_clock_mono_ns() - t0) / 1000000;
        if (spent >= limit_ms)
            return spent;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(limit_ms - spent)) > 0) {
            char buf[256];
            if (read(fd, buf, sizeof(buf)) <= 0)
                return (fg_clock_mono_ns() - t0) / 1000000;
        }
    }
}

static void test_idle_connection_closed_at_limit(void **state)
{
    (void)state;
    static const struct http_route routes[] = {{"GET", "/x", ok_handler, NULL, "x"}};
    struct http_server_config cfg = {
        .host = "127.0.0.1", .port = 0, .threads = 1, .routes = routes, .route_count = 1};
    struct http_server *srv;
    struct fg_err err;
    assert_int_equal(http_server_start(&cfg, &srv, &err), 0);

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(http_server_port(srv))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    static const char half[] = "GET /x HTTP/1.1\r\nHost: t\r\n"; /* no blank line: incomplete */
    assert_int_equal(write(fd, half, sizeof(half) - 1), (ssize_t)(sizeof(half) - 1));

    const int64_t limit_ms = (int64_t)FG_HTTP_CONNECTION_TIMEOUT_S * 1000;
    int64_t closed_after = ms_until_closed(fd, limit_ms + 5000);
    close(fd);
    http_server_stop(srv);
    /* Not before the limit (less a second of scheduling slack), and not long after it. */
    assert_true(closed_after >= limit_ms - 1000);
    assert_true(closed_after < limit_ms + 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_connection_closed_at_limit),
    };
    return cmocka_run_group_tests_name("http_timeout", tests, NULL, NULL);
}
