/* ratelimit.c - token buckets in milli-tokens; see ratelimit.h. */
#include "core/ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/limits.h"

#define MILLI 1000 /* milli-tokens in a token */
#define RL_FAMILY_BYTES_MAX 31

static_assert((int64_t)FG_RATELIMIT_BURST_MAX * MILLI < INT64_MAX / 4, "bucket fits in int64");
static_assert((int64_t)FG_RATELIMIT_BURST_MAX * MILLI * FG_RATELIMIT_PER_S_MAX < INT64_MAX / 4,
              "a full refill's product fits in int64");

struct bucket {
    bool used;
    char family[RL_FAMILY_BYTES_MAX + 1];
    char key[FG_NAME_BYTES_MAX + 1];
    struct ratelimit_rate rate;
    int64_t tokens_milli; /* 0..burst * MILLI */
    int64_t last_ms;      /* time of the last refill */
};

struct ratelimit {
    pthread_mutex_t mu;
    size_t keys_max, slots, used;
    struct bucket b[]; /* slots = 2 * keys_max: a probe always ends at a free slot */
};

struct ratelimit *ratelimit_create(size_t keys_max)
{
    FG_ASSERT(keys_max > 0 && keys_max <= FG_RATELIMIT_KEYS_MAX);
    struct ratelimit *rl = calloc(1, sizeof(*rl) + 2 * keys_max * sizeof(struct bucket));
    if (!rl)
        return NULL;
    pthread_mutex_init(&rl->mu, NULL);
    rl->keys_max = keys_max;
    rl->slots = 2 * keys_max;
    return rl;
}

void ratelimit_destroy(struct ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl);
}

bool ratelimit_rate_valid(const struct ratelimit_rate *rate)
{
    return rate->per_s >= 1 && rate->per_s <= FG_RATELIMIT_PER_S_MAX && rate->burst >= 1 &&
           rate->burst <= FG_RATELIMIT_BURST_MAX;
}

/* The slot of (family, key), or the free slot where it would go. */
static struct bucket *slot_of(struct ratelimit *rl, const char *family, const char *key)
{
    uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a over family, NUL, key */
    for (const unsigned char *p = (const unsigned char *)family; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    h *= UINT64_C(1099511628211);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    size_t i = (size_t)(h % rl->slots);
    for (size_t probes = 0; rl->b[i].used; probes++, i = (i + 1) % rl->slots) {
        FG_ASSERT(probes < rl->slots); /* at most half the slots are used */
        if (strcmp(rl->b[i].family, family) == 0 && strcmp(rl->b[i].key, key) == 0)
            break;
    }
    return &rl->b[i];
}

/* Add what the time since the last refill earned, capped at the burst. */
static void refill(struct bucket *b, int64_t now_ms)
{
    const int64_t cap = b->rate.burst * MILLI;
    int64_t elapsed = 0;
    if (now_ms <= b->last_ms || __builtin_sub_overflow(now_ms, b->last_ms, &elapsed)) {
        if (now_ms < b->last_ms)
            b->last_ms = now_ms; /* time went back: earn nothing, count from here */
        if (now_ms <= b->last_ms)
            return;
        elapsed = INT64_MAX; /* the subtraction overflowed: an eternity */
    }
    b->last_ms = now_ms;
    /* A bucket is full after cap / per_s ms (per_s >= 1 milli-token per ms). */
    if (elapsed >= cap / b->rate.per_s + 1) {
        b->tokens_milli = cap;
        return;
    }
    int64_t earned = elapsed * b->rate.per_s; /* < cap + per_s: bounded, see limits */
    b->tokens_milli = b->tokens_milli + earned > cap ? cap : b->tokens_milli + earned;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return a <= 0 ? 0 : (a + b - 1) / b;
}

int ratelimit_set(struct ratelimit *rl, const char *family, const char *key,
                  const struct ratelimit_rate *rate, int64_t now_ms)
{
    if (!ratelimit_rate_valid(rate) || strlen(family) > RL_FAMILY_BYTES_MAX ||
        strlen(key) > FG_NAME_BYTES_MAX)
        return -FG_EBAD_FIELD;
    pthread_mutex_lock(&rl->mu);
    struct bucket *b = slot_of(rl, family, key);
    int rc = 0;
    if (b->used) {
        refill(b, now_ms);
        b->rate = *rate;
        if (b->tokens_milli > rate->burst * MILLI)
            b->tokens_milli = rate->burst * MILLI;
    } else if (rl->used >= rl->keys_max) {
        rc = -FG_ELIMIT;
    } else {
        b->used = true;
        rl->used++;
        snprintf(b->family, sizeof(b->family), "%s", family);
        snprintf(b->key, sizeof(b->key), "%s", key);
        b->rate = *rate;
        b->tokens_milli = rate->burst * MILLI;
        b->last_ms = now_ms;
    }
    pthread_mutex_unlock(&rl->mu);
    return rc;
}

bool ratelimit_take_in(struct ratelimit *rl, const char *family, const char *key, int64_t now_ms,
                       struct ratelimit_verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->allowed = true;
    if (!rl || strlen(family) > RL_FAMILY_BYTES_MAX || strlen(key) > FG_NAME_BYTES_MAX)
        return true; /* such a key can never have been set */
    pthread_mutex_lock(&rl->mu);
    struct bucket *b = slot_of(rl, family, key);
    if (b->used) {
        refill(b, now_ms);
        v->allowed = b->tokens_milli >= MILLI;
        if (v->allowed)
            b->tokens_milli -= MILLI;
        int64_t cap = b->rate.burst * MILLI;
        v->limit = b->rate.burst;
        v->remaining = b->tokens_milli / MILLI;
        v->reset_s = ceil_div(ceil_div(cap - b->tokens_milli, b->rate.per_s), 1000);
        if (!v->allowed) {
            int64_t ms = ceil_div(MILLI - b->tokens_milli, b->rate.per_s);
            v->retry_after_s = ms < 1000 ? 1 : ceil_div(ms, 1000);
        }
    }
    pthread_mutex_unlock(&rl->mu);
    return v->allowed;
}
