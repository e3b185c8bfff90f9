/*
 * clock.h - the time services take as an argument.
 *
 * fg_clock_now_ms() is wall-clock UTC milliseconds unless a test fixed it with
 * fg_clock_set_ms() (exposed by `fundgate serve --test-clock` as
 * POST /admin/v1/test/clock). fg_clock_mono_ns() is monotonic, for durations.
 * Thread-safe.
 */
#ifndef FG_CLOCK_H
#define FG_CLOCK_H

#include <stdint.h>

int64_t fg_clock_now_ms(void);
/* Fix the wall clock at ms (0 returns to real time). */
void fg_clock_set_ms(int64_t ms);
int64_t fg_clock_mono_ns(void);

#endif
