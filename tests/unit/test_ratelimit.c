/*
 * test_ratelimit.c - core/ratelimit.c (issue 9.11): a bucket's burst, its
 * refill to the millisecond, the headers' numbers, keys kept apart, a rate
 * changed in place, time going backwards, extreme times and rates (no
 * overflow under UBSan), the table's key limit, and takes from many threads
 * at once never granting more than the arithmetic allows.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits.h"
#include "core/ratelimit.h"

static bool take(struct ratelimit *rl, const char *key, int64_t now, struct ratelimit_verdict *v)
{
    return ratelimit_take_in(rl, "fam", key, now, v);
}

static void test_burst_and_refill(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_create(4);
    struct ratelimit_verdict v;
    const struct ratelimit_rate r = {.per_s = 1, .burst = 2};
    assert_int_equal(ratelimit_set(rl, "fam", "c1", &r, 1000), 0);
    assert_true(take(rl, "c1", 1000, &v));
    assert_int_equal(v.limit, 2);
    assert_int_equal(v.remaining, 1);
    assert_true(take(rl, "c1", 1000, &v));
    assert_int_equal(v.remaining, 0);
    assert_int_equal(v.reset_s, 2);
    assert_false(take(rl, "c1", 1000, &v));
    assert_int_equal(v.retry_after_s, 1);
    assert_false(take(rl, "c1", 1999, &v)); /* 999 milli-tokens: not yet */
    assert_int_equal(v.retry_after_s, 1);
    assert_true(take(rl, "c1", 2000, &v)); /* exactly one token after 1000 ms */
    assert_false(take(rl, "c1", 2000, &v));
    /* A long pause fills the bucket to its burst, not beyond. */
    assert_true(take(rl, "c1", 100000, &v));
    assert_true(take(rl, "c1", 100000, &v));
    assert_false(take(rl, "c1", 100000, &v));
    /* Keys are apart; an unknown key is not limited. */
    assert_int_equal(ratelimit_set(rl, "fam", "c2", &r, 100000), 0);
    assert_true(take(rl, "c2", 100000, &v));
    assert_true(ratelimit_take_in(rl, "other", "c1", 100000, &v));
    assert_int_equal(v.limit, 0);
    ratelimit_destroy(rl);
}

static void test_fast_rate_and_change(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_create(4);
    struct ratelimit_verdict v;
    struct ratelimit_rate r = {.per_s = 1500, .burst = 3};
    assert_int_equal(ratelimit_set(rl, "fam", "k", &r, 0), 0);
    for (int i = 0; i < 3; i++)
        assert_true(take(rl, "k", 0, &v));
    assert_false(take(rl, "k", 0, &v));
    /* 1500 per second: 1.5 tokens per ms, counted exactly in milli-tokens. */
    assert_true(take(rl, "k", 1, &v)); /* 1500 milli: one token, 500 left */
    assert_int_equal(v.remaining, 0);
    assert_false(take(rl, "k", 1, &v)); /* 500 milli */
    assert_true(take(rl, "k", 2, &v));  /* 2000 milli: one token, 1000 left */
    assert_int_equal(v.remaining, 1);
    /* Lower the burst: tokens are capped, the bucket kept. */
    assert_true(take(rl, "k", 1000, &v));
    r = (struct ratelimit_rate){.per_s = 1, .burst = 1};
    assert_int_equal(ratelimit_set(rl, "fam", "k", &r, 1000), 0);
    assert_true(take(rl, "k", 1000, &v));
    assert_false(take(rl, "k", 1000, &v));
    ratelimit_destroy(rl);
}

static void test_time_edges(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_create(4);
    struct ratelimit_verdict v;
    const struct ratelimit_rate r = {.per_s = FG_RATELIMIT_PER_S_MAX,
                                     .burst = FG_RATELIMIT_BURST_MAX};
    assert_int_equal(ratelimit_set(rl, "fam", "max", &r, INT64_MIN), 0);
    assert_true(take(rl, "max", INT64_MAX, &v)); /* the largest elapsed time */
    assert_int_equal(v.remaining, FG_RATELIMIT_BURST_MAX - 1);
    assert_true(take(rl, "max", INT64_MIN, &v)); /* backwards: earns nothing */
    assert_int_equal(v.remaining, FG_RATELIMIT_BURST_MAX - 2);
    const struct ratelimit_rate slow = {.per_s = 1, .burst = 1};
    assert_int_equal(ratelimit_set(rl, "fam", "slow", &slow, 5000), 0);
    assert_true(take(rl, "slow", 5000, &v));
    assert_false(take(rl, "slow", 3000, &v)); /* the clock went back 2 s */
    assert_false(take(rl, "slow", 3999, &v)); /* counted from 3000 now */
    assert_true(take(rl, "slow", 4000, &v));
    ratelimit_destroy(rl);
}

static void test_bounds(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_create(2);
    struct ratelimit_rate bad[] = {
        {0, 1}, {1, 0}, {-1, 1}, {FG_RATELIMIT_PER_S_MAX + 1, 1}, {1, FG_RATELIMIT_BURST_MAX + 1}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(ratelimit_rate_valid(&bad[i]));
        assert_int_equal(ratelimit_set(rl, "fam", "x", &bad[i], 0), -FG_EBAD_FIELD);
    }
    const struct ratelimit_rate r = {.per_s = 1, .burst = 1};
    assert_int_equal(ratelimit_set(rl, "fam", "a", &r, 0), 0);
    assert_int_equal(ratelimit_set(rl, "fam", "b", &r, 0), 0);
    assert_int_equal(ratelimit_set(rl, "fam", "c", &r, 0), -FG_ELIMIT); /* keys_max */
    assert_int_equal(ratelimit_set(rl, "fam", "a", &r, 0), 0);          /* a change: fine */
    char long_key[FG_NAME_BYTES_MAX + 2];
    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    assert_int_equal(ratelimit_set(rl, "fam", long_key, &r, 0), -FG_EBAD_FIELD);
    ratelimit_destroy(rl);
}

#define RACE_THREADS 8
#define RACE_TAKES 5000

struct race {
    struct ratelimit *rl;
    int granted;
};

static void *race_worker(void *p)
{
    struct race *r = p;
    struct ratelimit_verdict v;
    for (int i = 0; i < RACE_TAKES; i++)
        if (ratelimit_take_in(r->rl, "fam", "hot", 0, &v))
            r->granted++;
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    struct ratelimit *rl = ratelimit_create(1);
    const struct ratelimit_rate rate = {.per_s = 10, .burst = 1234};
    assert_int_equal(ratelimit_set(rl, "fam", "hot", &rate, 0), 0);
    pthread_t th[RACE_THREADS];
    struct race r[RACE_THREADS];
    for (int i = 0; i < RACE_THREADS; i++) {
        r[i] = (struct race){.rl = rl};
        pthread_create(&th[i], NULL, race_worker, &r[i]);
    }
    int granted = 0;
    for (int i = 0; i < RACE_THREADS; i++) {
        pthread_join(th[i], NULL);
        granted += r[i].granted;
    }
    assert_int_equal(granted, 1234); /* the burst, exactly: time stood still */
    ratelimit_destroy(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_and_refill), cmocka_unit_test(test_fast_rate_and_change),
        cmocka_unit_test(test_time_edges),       cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
