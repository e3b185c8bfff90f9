/*
 * metrics.h - counters and histograms exported as Prometheus text at /metrics.
 *
 * Per route: requests by status class and a latency histogram. Engine: batch
 * size histogram, commit latency histogram, queue depth gauge, commands total.
 * All updates are lock-free atomics, safe from any thread. Routes are
 * registered once at start-up (before threads start), up to METRICS_ROUTES_MAX.
 */
#ifndef FG_METRICS_H
#define FG_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_ROUTES_MAX 128

/* Register a route name; returns its index (same name: same index), -1 when full. */
int metrics_route_register(const char *name);
int metrics_route_find(const char *name);
/* Record one request on route index idx (-1: "unmatched"). */
void metrics_request_observe(int idx, int status, int64_t latency_ns);
void metrics_batch_observe(int64_t commands);
void metrics_commit_observe(int64_t latency_ns);
void metrics_queue_depth_set(int64_t depth);

/* Values other modules export (the outbox's queue and deliveries), at most
 * METRICS_VALUES_MAX, registered at start-up (same name: same index; -1
 * when full or too long). A counter only grows; a gauge is set. */
#define METRICS_VALUES_MAX 16
int metrics_value_register(const char *name, const char *help, bool counter);
void metrics_value_set(int idx, int64_t v);
void metrics_value_add(int idx, int64_t d);

/* Render the Prometheus text exposition into a malloc'd, NUL-terminated
 * buffer; *len gets its length. NULL on out of memory. */
char *metrics_render(size_t *len);
/* Zero everything and forget routes (tests only). */
void metrics_reset(void);

#endif
