/*
 * ratelimit.h - token buckets per (family, key): the per-client rate limits
 * of README "Rate limits" and docs/DESIGN.md "Security" (issue 9.11).
 *
 * What it is for: refusing a client that sends faster than its configured
 * rate, before any work is done for the request. A bucket holds at most
 * `burst` tokens and gains `per_s` tokens a second; a request takes one, and
 * a request that finds less than one is refused. Not for: connection or
 * transport limits (the HTTP layer's), nor fairness between keys.
 *
 * Arithmetic: integers only. Tokens are counted in milli-tokens (int64), so
 * a bucket gains exactly per_s milli-tokens per elapsed millisecond; every
 * product is bounded (elapsed is clamped to the time a bucket needs to fill)
 * and checked, so no input time can overflow. Time is the caller's: the
 * hooks pass a monotonic clock, tests any value. Time going backwards adds
 * nothing (the bucket's clock moves back with it).
 *
 * Table: at most keys_max keys, fixed at creation (open addressing, never
 * shrinks). A key gets a bucket with ratelimit_set (when its client is
 * registered); a key that was never set is not limited. Setting a key again
 * changes its rate and keeps its tokens (capped at the new burst).
 *
 * Threading: every function is thread-safe (one mutex per table; the work
 * under it is a hash probe and a few integer operations). The server's table
 * is its context's (api/api.h: api->limits), created before any request and
 * freed after the last one.
 */
#ifndef FG_RATELIMIT_H
#define FG_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

struct ratelimit_rate {
    int64_t per_s; /* tokens gained per second, 1..FG_RATELIMIT_PER_S_MAX */
    int64_t burst; /* bucket size, 1..FG_RATELIMIT_BURST_MAX */
};

/* What a take found, for the x-ratelimit-* and Retry-After headers. */
struct ratelimit_verdict {
    bool allowed;
    int64_t limit;         /* the bucket's burst; 0 when the key is not limited */
    int64_t remaining;     /* whole tokens left after this request */
    int64_t reset_s;       /* seconds until the bucket is full again */
    int64_t retry_after_s; /* refused: seconds until a token is there (>= 1) */
};

struct ratelimit;

/* A table for at most keys_max keys; NULL without memory. */
struct ratelimit *ratelimit_create(size_t keys_max);
void ratelimit_destroy(struct ratelimit *rl);
/* Is rate within the bounds of limits.h? */
bool ratelimit_rate_valid(const struct ratelimit_rate *rate);
/* Give (family, key) a bucket with rate, full at now_ms, or change its rate.
 * -FG_ELIMIT when the table holds keys_max keys, -FG_EBAD_FIELD for a rate
 * out of bounds or a family/key too long to hold. */
int ratelimit_set(struct ratelimit *rl, const char *family, const char *key,
                  const struct ratelimit_rate *rate, int64_t now_ms);
/* Take one token from (family, key) at now_ms. Returns v->allowed. */
bool ratelimit_take_in(struct ratelimit *rl, const char *family, const char *key, int64_t now_ms,
                       struct ratelimit_verdict *v);

#endif
