/* clock.c - wall clock with a test override; see clock.h. */
#include "core/clock.h"

#include <time.h>

static int64_t fixed_ms; /* 0: real time */

int64_t fg_clock_now_ms(void)
{
    int64_t f = __atomic_load_n(&fixed_ms, __ATOMIC_ACQUIRE);
    if (f)
        return f;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fg_clock_set_ms(int64_t ms)
{
    __atomic_store_n(&fixed_ms, ms, __ATOMIC_RELEASE);
}

int64_t fg_clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
