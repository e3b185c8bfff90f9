/*
 * metrics.c - lock-free counters and histograms, rendered as Prometheus text;
 * see metrics.h.
 *
 * Every update is a relaxed __atomic add on a plain integer, so any thread can
 * observe without locks. Durations are kept as integer nanoseconds and printed
 * as seconds with "%llu.%09llu": no floating point anywhere. Histogram buckets
 * are stored non-cumulative and summed at render time; _count is the sum of
 * the buckets read, so it always equals the +Inf bucket of the same render.
 *
 * Route slots 0..METRICS_ROUTES_MAX-1 belong to registered names; slot
 * METRICS_ROUTES_MAX is "unmatched" (index -1). Registration happens before
 * the threads that observe start; route_count is published with release
 * ordering so a render on another thread sees complete names.
 */
#include "core/metrics.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUTE_NAME_BYTES_MAX 64
#define LAT_BUCKETS 16   /* 15 bounds + Inf */
#define BATCH_BUCKETS 15 /* 14 bounds + Inf */
#define STATUS_CLASSES 4 /* 2xx 3xx 4xx 5xx */
#define RENDER_BYTES_START 16384
#define RENDER_BYTES_MAX (8 * 1024 * 1024)

static const int64_t lat_bounds_ns[LAT_BUCKETS - 1] = {
    100000,   250000,    500000,    1000000,   2500000,    5000000,    10000000,  25000000,
    50000000, 100000000, 250000000, 500000000, 1000000000, 2500000000, 5000000000};
static const char *const lat_le[LAT_BUCKETS] = {
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
    "0.05",   "0.1",     "0.25",   "0.5",   "1",      "2.5",   "5",    "+Inf"};

static const int64_t batch_bounds[BATCH_BUCKETS - 1] = {1,   2,   4,   8,    16,   32,   64,
                                                        128, 256, 512, 1024, 2048, 4096, 8190};
static const char *const batch_le[BATCH_BUCKETS] = {"1",    "2",    "4",    "8",    "16",
                                                    "32",   "64",   "128",  "256",  "512",
                                                    "1024", "2048", "4096", "8190", "+Inf"};

static const char *const class_names[STATUS_CLASSES] = {"2xx", "3xx", "4xx", "5xx"};

struct lat_hist {
    uint64_t buckets[LAT_BUCKETS];
    uint64_t sum_ns;
};

struct route_stats {
    char name[ROUTE_NAME_BYTES_MAX];
    uint64_t codes[STATUS_CLASSES];
    struct lat_hist lat;
};

static struct route_stats routes[METRICS_ROUTES_MAX + 1]; /* last: unmatched */
static int route_count;

static struct {
    uint64_t batch_buckets[BATCH_BUCKETS];
    uint64_t batch_sum;
    struct lat_hist commit;
    int64_t queue_depth;
    uint64_t commands_total;
} engine;

static void add_u64(uint64_t *p, uint64_t v)
{
    __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static uint64_t load_u64(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void lat_observe(struct lat_hist *h, int64_t ns)
{
    int i = 0;
    if (ns < 0)
        ns = 0;
    while (i < LAT_BUCKETS - 1 && ns > lat_bounds_ns[i])
        i++;
    add_u64(&h->buckets[i], 1);
    add_u64(&h->sum_ns, (uint64_t)ns);
}

int metrics_route_find(const char *name)
{
    int n = __atomic_load_n(&route_count, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++)
        if (strcmp(routes[i].name, name) == 0)
            return i;
    return -1;
}

int metrics_route_register(const char *name)
{
    int idx = metrics_route_find(name);
    if (idx >= 0)
        return idx;
    int n = __atomic_load_n(&route_count, __ATOMIC_ACQUIRE);
    size_t len = strlen(name);
    if (n >= METRICS_ROUTES_MAX || len == 0 || len >= ROUTE_NAME_BYTES_MAX)
        return -1;
    memcpy(routes[n].name, name, len + 1);
    __atomic_store_n(&route_count, n + 1, __ATOMIC_RELEASE);
    return n;
}

void metrics_request_observe(int idx, int status, int64_t latency_ns)
{
    int n = __atomic_load_n(&route_count, __ATOMIC_RELAXED);
    struct route_stats *r = (idx >= 0 && idx < n) ? &routes[idx] : &routes[METRICS_ROUTES_MAX];
    int cls = status < 300 ? 0 : status < 400 ? 1 : status < 500 ? 2 : 3;
    add_u64(&r->codes[cls], 1);
    lat_observe(&r->lat, latency_ns);
}

void metrics_batch_observe(int64_t commands)
{
    int i = 0;
    if (commands < 0)
        commands = 0;
    while (i < BATCH_BUCKETS - 1 && commands > batch_bounds[i])
        i++;
    add_u64(&engine.batch_buckets[i], 1);
    add_u64(&engine.batch_sum, (uint64_t)commands);
    add_u64(&engine.commands_total, (uint64_t)commands);
}

void metrics_commit_observe(int64_t latency_ns)
{
    lat_observe(&engine.commit, latency_ns);
}

void metrics_queue_depth_set(int64_t depth)
{
    __atomic_store_n(&engine.queue_depth, depth, __ATOMIC_RELAXED);
}

/* Values of other modules (metrics.h): registered like routes. */
static struct {
    char name[ROUTE_NAME_BYTES_MAX];
    char help[128];
    bool counter;
    int64_t v;
} values[METRICS_VALUES_MAX];
static int value_count;

int metrics_value_register(const char *name, const char *help, bool counter)
{
    int n = __atomic_load_n(&value_count, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++)
        if (strcmp(values[i].name, name) == 0)
            return i;
    if (n >= METRICS_VALUES_MAX || strlen(name) == 0 || strlen(name) >= ROUTE_NAME_BYTES_MAX ||
        strlen(help) >= sizeof(values[0].help))
        return -1;
    memcpy(values[n].name, name, strlen(name) + 1);
    memcpy(values[n].help, help, strlen(help) + 1);
    values[n].counter = counter;
    __atomic_store_n(&value_count, n + 1, __ATOMIC_RELEASE);
    return n;
}

void metrics_value_set(int idx, int64_t v)
{
    if (idx >= 0 && idx < METRICS_VALUES_MAX)
        __atomic_store_n(&values[idx].v, v, __ATOMIC_RELAXED);
}

void metrics_value_add(int idx, int64_t d)
{
    if (idx >= 0 && idx < METRICS_VALUES_MAX)
        __atomic_fetch_add(&values[idx].v, d, __ATOMIC_RELAXED);
}

void metrics_reset(void)
{
    __atomic_store_n(&value_count, 0, __ATOMIC_RELEASE);
    memset(values, 0, sizeof(values));
    __atomic_store_n(&route_count, 0, __ATOMIC_RELEASE);
    memset(routes, 0, sizeof(routes));
    memset(&engine, 0, sizeof(engine));
}

/* ---- rendering ---- */

struct out {
    char *p;
    size_t len;
    size_t cap;
    bool failed;
};

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_printf(struct out *o, const char *fmt, ...)
{
    for (int attempt = 0; attempt < 2 && !o->failed; attempt++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            o->failed = true;
            return;
        }
        if ((size_t)n < o->cap - o->len) {
            o->len += (size_t)n;
            return;
        }
        size_t cap = o->cap * 2;
        while (cap - o->len <= (size_t)n)
            cap *= 2;
        char *p = cap <= RENDER_BYTES_MAX ? realloc(o->p, cap) : NULL;
        if (!p) {
            o->failed = true;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
}

/* Seconds from nanoseconds without floating point: "12.000345678". */
static void out_seconds(struct out *o, uint64_t ns)
{
    out_printf(o, "%llu.%09llu", (unsigned long long)(ns / 1000000000u),
               (unsigned long long)(ns % 1000000000u));
}

/* Route names come from code, but escape them for the label anyway. */
static void label_escape(char *dst, size_t cap, const char *s)
{
    size_t j = 0;
    for (; *s && j + 3 < cap; s++) {
        if (*s == '"' || *s == '\\') {
            dst[j++] = '\\';
            dst[j++] = *s;
        } else if (*s == '\n') {
            dst[j++] = '\\';
            dst[j++] = 'n';
        } else {
            dst[j++] = *s;
        }
    }
    dst[j] = '\0';
}

/* labels: already-formatted label pairs, e.g. `route="x",` (may be ""). */
static void render_lat(struct out *o, const char *metric, const char *labels,
                       const struct lat_hist *h)
{
    uint64_t cum = 0;
    for (int i = 0; i < LAT_BUCKETS; i++) {
        cum += load_u64(&h->buckets[i]);
        out_printf(o, "%s_bucket{%sle=\"%s\"} %llu\n", metric, labels, lat_le[i],
                   (unsigned long long)cum);
    }
    size_t llen = strlen(labels);
    if (llen) /* drop the trailing comma */
        out_printf(o, "%s_sum{%.*s} ", metric, (int)(llen - 1), labels);
    else
        out_printf(o, "%s_sum ", metric);
    out_seconds(o, load_u64(&h->sum_ns));
    if (llen)
        out_printf(o, "\n%s_count{%.*s} %llu\n", metric, (int)(llen - 1), labels,
                   (unsigned long long)cum);
    else
        out_printf(o, "\n%s_count %llu\n", metric, (unsigned long long)cum);
}

static void render_route(struct out *o, const char *name, const struct route_stats *r,
                         bool counters)
{
    char esc[ROUTE_NAME_BYTES_MAX * 2 + 4];
    char labels[sizeof(esc) + 16];
    label_escape(esc, sizeof(esc), name);
    if (counters) {
        for (int c = 0; c < STATUS_CLASSES; c++) {
            uint64_t v = load_u64(&r->codes[c]);
            if (c == 1 && v == 0) /* 3xx is rare: only when seen */
                continue;
            out_printf(o, "fundgate_http_requests_total{route=\"%s\",code=\"%s\"} %llu\n", esc,
                       class_names[c], (unsigned long long)v);
        }
        return;
    }
    snprintf(labels, sizeof(labels), "route=\"%s\",", esc);
    render_lat(o, "fundgate_http_request_duration_seconds", labels, &r->lat);
}

char *metrics_render(size_t *len)
{
    struct out o = {.p = malloc(RENDER_BYTES_START), .cap = RENDER_BYTES_START};
    if (!o.p)
        return NULL;
    o.p[0] = '\0';
    int n = __atomic_load_n(&route_count, __ATOMIC_ACQUIRE);

    out_printf(&o, "# HELP fundgate_http_requests_total HTTP requests by route and status "
                   "class.\n# TYPE fundgate_http_requests_total counter\n");
    for (int i = 0; i < n; i++)
        render_route(&o, routes[i].name, &routes[i], true);
    render_route(&o, "unmatched", &routes[METRICS_ROUTES_MAX], true);

    out_printf(&o, "# HELP fundgate_http_request_duration_seconds HTTP request latency.\n"
                   "# TYPE fundgate_http_request_duration_seconds histogram\n");
    for (int i = 0; i < n; i++)
        render_route(&o, routes[i].name, &routes[i], false);
    render_route(&o, "unmatched", &routes[METRICS_ROUTES_MAX], false);

    out_printf(&o, "# HELP fundgate_engine_batch_size Commands per database transaction.\n"
                   "# TYPE fundgate_engine_batch_size histogram\n");
    uint64_t cum = 0;
    for (int i = 0; i < BATCH_BUCKETS; i++) {
        cum += load_u64(&engine.batch_buckets[i]);
        out_printf(&o, "fundgate_engine_batch_size_bucket{le=\"%s\"} %llu\n", batch_le[i],
                   (unsigned long long)cum);
    }
    out_printf(&o, "fundgate_engine_batch_size_sum %llu\nfundgate_engine_batch_size_count %llu\n",
               (unsigned long long)load_u64(&engine.batch_sum), (unsigned long long)cum);

    out_printf(&o, "# HELP fundgate_engine_commit_seconds Database commit latency.\n"
                   "# TYPE fundgate_engine_commit_seconds histogram\n");
    render_lat(&o, "fundgate_engine_commit_seconds", "", &engine.commit);

    out_printf(&o,
               "# HELP fundgate_engine_queue_depth Commands waiting for the writer.\n"
               "# TYPE fundgate_engine_queue_depth gauge\n"
               "fundgate_engine_queue_depth %lld\n",
               (long long)__atomic_load_n(&engine.queue_depth, __ATOMIC_RELAXED));
    out_printf(&o,
               "# HELP fundgate_engine_commands_total Commands committed by the engine.\n"
               "# TYPE fundgate_engine_commands_total counter\n"
               "fundgate_engine_commands_total %llu\n",
               (unsigned long long)load_u64(&engine.commands_total));

    int nv = __atomic_load_n(&value_count, __ATOMIC_ACQUIRE);
    for (int i = 0; i < nv; i++)
        out_printf(&o, "# HELP %s %s\n# TYPE %s %s\n%s %lld\n", values[i].name, values[i].help,
                   values[i].name, values[i].counter ? "counter" : "gauge", values[i].name,
                   (long long)__atomic_load_n(&values[i].v, __ATOMIC_RELAXED));

    if (o.failed) {
        free(o.p);
        return NULL;
    }
    if (len)
        *len = o.len;
    return o.p;
}
