/*
 * test_metrics.c - counters, histograms and the Prometheus text of
 * core/metrics.c: bucket edges (le is inclusive), status classes, sums printed
 * from integer nanoseconds, the unmatched route, engine metrics, the route cap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/metrics.h"

static char *render(void)
{
    size_t len = 0;
    char *text = metrics_render(&len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static void assert_has(const char *text, const char *line)
{
    if (!strstr(text, line)) {
        fprintf(stderr, "missing line: %s\n--- text ---\n%s\n", line, text);
        fail();
    }
}

static int reset(void **state)
{
    (void)state;
    metrics_reset();
    return 0;
}

static void test_register(void **state)
{
    (void)state;
    int a = metrics_route_register("a");
    int b = metrics_route_register("b");
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);
    assert_int_equal(metrics_route_register("a"), a);
    assert_int_equal(metrics_route_find("b"), b);
    assert_int_equal(metrics_route_find("nope"), -1);
}

static void test_register_full(void **state)
{
    (void)state;
    char name[32];
    for (int i = 0; i < METRICS_ROUTES_MAX; i++) {
        snprintf(name, sizeof(name), "r%d", i);
        assert_int_equal(metrics_route_register(name), i);
    }
    assert_int_equal(metrics_route_register("one_too_many"), -1);
    assert_int_equal(metrics_route_register("r7"), 7);
}

static void test_requests(void **state)
{
    (void)state;
    int a = metrics_route_register("transfers_post");
    metrics_request_observe(a, 200, 50000);       /* 50 us */
    metrics_request_observe(a, 201, 100000);      /* exactly 0.0001: le is inclusive */
    metrics_request_observe(a, 404, 3000000);     /* 3 ms */
    metrics_request_observe(a, 503, 10000000000); /* 10 s: only +Inf */
    metrics_request_observe(-1, 404, 1);
    metrics_request_observe(99, 500, 1); /* unknown index: unmatched */

    char *t = render();
    assert_has(t, "# TYPE fundgate_http_requests_total counter\n");
    assert_has(t, "fundgate_http_requests_total{route=\"transfers_post\",code=\"2xx\"} 2\n");
    assert_has(t, "fundgate_http_requests_total{route=\"transfers_post\",code=\"4xx\"} 1\n");
    assert_has(t, "fundgate_http_requests_total{route=\"transfers_post\",code=\"5xx\"} 1\n");
    assert_null(strstr(t, "code=\"3xx\""));
    assert_has(t, "fundgate_http_requests_total{route=\"unmatched\",code=\"4xx\"} 1\n");
    assert_has(t, "fundgate_http_requests_total{route=\"unmatched\",code=\"5xx\"} 1\n");

    const char *h = "fundgate_http_request_duration_seconds";
    char line[256];
    struct {
        const char *le;
        int count;
    } want[] = {{"0.0001", 2}, {"0.00025", 2}, {"0.001", 2}, {"0.0025", 2},
                {"0.005", 3},  {"2.5", 3},     {"5", 3},     {"+Inf", 4}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        snprintf(line, sizeof(line), "%s_bucket{route=\"transfers_post\",le=\"%s\"} %d\n", h,
                 want[i].le, want[i].count);
        assert_has(t, line);
    }
    snprintf(line, sizeof(line), "%s_sum{route=\"transfers_post\"} 10.003150000\n", h);
    assert_has(t, line);
    snprintf(line, sizeof(line), "%s_count{route=\"transfers_post\"} 4\n", h);
    assert_has(t, line);
    snprintf(line, sizeof(line), "%s_sum{route=\"unmatched\"} 0.000000002\n", h);
    assert_has(t, line);
    free(t);
}

static void test_status_3xx_shown_when_seen(void **state)
{
    (void)state;
    int a = metrics_route_register("redirect");
    metrics_request_observe(a, 302, 10);
    char *t = render();
    assert_has(t, "fundgate_http_requests_total{route=\"redirect\",code=\"3xx\"} 1\n");
    assert_has(t, "fundgate_http_requests_total{route=\"redirect\",code=\"2xx\"} 0\n");
    free(t);
}

static void test_engine(void **state)
{
    (void)state;
    metrics_batch_observe(1);
    metrics_batch_observe(3);
    metrics_batch_observe(8190);
    metrics_batch_observe(9000);
    metrics_commit_observe(2000000); /* 2 ms */
    metrics_commit_observe(1500000000);
    metrics_queue_depth_set(42);

    char *t = render();
    assert_has(t, "# TYPE fundgate_engine_batch_size histogram\n");
    assert_has(t, "fundgate_engine_batch_size_bucket{le=\"1\"} 1\n");
    assert_has(t, "fundgate_engine_batch_size_bucket{le=\"2\"} 1\n");
    assert_has(t, "fundgate_engine_batch_size_bucket{le=\"4\"} 2\n");
    assert_has(t, "fundgate_engine_batch_size_bucket{le=\"4096\"} 2\n");
    assert_has(t, "fundgate_engine_batch_size_bucket{le=\"8190\"} 3\n");
    assert_has(t, "fundgate_engine_batch_size_bucket{le=\"+Inf\"} 4\n");
    assert_has(t, "fundgate_engine_batch_size_sum 17194\n");
    assert_has(t, "fundgate_engine_batch_size_count 4\n");
    assert_has(t, "fundgate_engine_commit_seconds_bucket{le=\"0.001\"} 0\n");
    assert_has(t, "fundgate_engine_commit_seconds_bucket{le=\"0.0025\"} 1\n");
    assert_has(t, "fundgate_engine_commit_seconds_bucket{le=\"2.5\"} 2\n");
    assert_has(t, "fundgate_engine_commit_seconds_sum 1.502000000\n");
    assert_has(t, "fundgate_engine_commit_seconds_count 2\n");
    assert_has(t, "# TYPE fundgate_engine_queue_depth gauge\nfundgate_engine_queue_depth 42\n");
    assert_has(t, "fundgate_engine_commands_total 17194\n");
    free(t);
}

static void test_reset(void **state)
{
    (void)state;
    int a = metrics_route_register("x");
    metrics_request_observe(a, 200, 1);
    metrics_reset();
    assert_int_equal(metrics_route_find("x"), -1);
    char *t = render();
    assert_null(strstr(t, "route=\"x\""));
    assert_has(t, "fundgate_http_requests_total{route=\"unmatched\",code=\"2xx\"} 0\n");
    free(t);
}

/* Values of other modules: gauges set, counters added, rendered with their
 * type; the same name is one value; past METRICS_VALUES_MAX, -1. */
static void test_values(void **state)
{
    (void)state;
    int g = metrics_value_register("fundgate_x_pending", "Rows waiting.", false);
    int c = metrics_value_register("fundgate_x_total", "Rows done.", true);
    assert_true(g >= 0 && c >= 0 && g != c);
    assert_int_equal(metrics_value_register("fundgate_x_pending", "Rows waiting.", false), g);
    metrics_value_set(g, 7);
    metrics_value_set(g, 5);
    metrics_value_add(c, 2);
    metrics_value_add(c, 3);
    metrics_value_set(-1, 9); /* ignored */
    char *text = render();
    assert_has(text, "# TYPE fundgate_x_pending gauge\nfundgate_x_pending 5\n");
    assert_has(text, "# HELP fundgate_x_total Rows done.\n# TYPE fundgate_x_total counter\n"
                     "fundgate_x_total 5\n");
    free(text);
    char name[32];
    for (int i = 2; i < METRICS_VALUES_MAX; i++) {
        snprintf(name, sizeof(name), "fundgate_v%d", i);
        assert_int_equal(metrics_value_register(name, "h", false), i);
    }
    assert_int_equal(metrics_value_register("fundgate_one_more", "h", false), -1);
    assert_int_equal(metrics_value_register("", "h", false), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_register, reset),
        cmocka_unit_test_setup(test_register_full, reset),
        cmocka_unit_test_setup(test_requests, reset),
        cmocka_unit_test_setup(test_status_3xx_shown_when_seen, reset),
        cmocka_unit_test_setup(test_engine, reset),
        cmocka_unit_test_setup(test_reset, reset),
        cmocka_unit_test_setup(test_values, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
