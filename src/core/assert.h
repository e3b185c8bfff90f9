/*
 * assert.h - FG_ASSERT, which stays on in release builds.
 *
 * For programmer errors only: never assert on input, never put side effects in
 * an assertion. For money, stopping beats corrupting.
 */
#ifndef FG_ASSERT_H
#define FG_ASSERT_H

void fg_assert_fail(const char *expr, const char *file, int line, const char *func)
    __attribute__((noreturn));

#define FG_ASSERT(e) ((e) ? (void)0 : fg_assert_fail(#e, __FILE__, __LINE__, __func__))

#endif
