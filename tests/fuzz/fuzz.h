/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz/ share.
 *
 * A target is tests/fuzz/fuzz_<name>.c defining LLVMFuzzerTestOneInput; its
 * seeds are the files in tests/fuzz/<name>/ (small and text, so a reviewer
 * can read them; a crash input that was fixed is committed there too and is
 * replayed by every `make test`). Targets are built with clang's
 * -fsanitize=fuzzer,address,undefined (CMake option FG_FUZZ).
 *
 * A target states properties the code must keep for every input with
 * FUZZ_CHECK: when one does not hold it prints what and aborts, and libFuzzer
 * keeps the input as a crash. "Does not crash" is the least a target checks.
 *
 * Everything here is per input: no state survives between inputs unless a
 * target says so.
 */
#ifndef FG_FUZZ_H
#define FG_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "\nfuzz property failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* n bytes of data as a malloc'd NUL-terminated string; an embedded NUL ends
 * the string there, as it ends a C string the server would receive. Aborts on
 * out of memory (not a finding). */
static inline char *fuzz_cstr(const uint8_t *data, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    if (n)
        memcpy(s, data, n);
    s[n] = '\0';
    return s;
}

/* Split the next line off *data (without its '\n'); the rest stays in *data.
 * The last line has no '\n'. */
static inline void fuzz_line(const uint8_t **data, size_t *size, const uint8_t **line,
                             size_t *line_len)
{
    const uint8_t *nl = *size ? memchr(*data, '\n', *size) : NULL;
    size_t n = nl ? (size_t)(nl - *data) : *size;
    *line = *data;
    *line_len = n;
    *data += nl ? n + 1 : n;
    *size -= nl ? n + 1 : n;
}

static inline bool fuzz_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * The amount grammar written out independently of money.c: the text is
 * ^[0-9]{1,int_max}(\.[0-9]{1,frac_max})?$ and its value in units of
 * 10^-scale fits int64. On success *value is the value and canon (cap >= 48)
 * the canonical text: leading zeros dropped (one kept), exactly `scale`
 * fraction digits.
 */
static inline bool fuzz_decimal_reference(const char *s, size_t n, size_t int_max, size_t frac_max,
                                          int scale, int64_t *value, char *canon)
{
    size_t i = 0, int_len, frac_at, frac_len = 0;
    while (i < n && fuzz_is_digit(s[i]))
        i++;
    int_len = i;
    if (int_len < 1 || int_len > int_max)
        return false;
    frac_at = n;
    if (i < n) {
        if (s[i] != '.')
            return false;
        frac_at = ++i;
        while (i < n && fuzz_is_digit(s[i]))
            i++;
        if (i < n)
            return false;
        frac_len = i - frac_at;
        if (frac_len < 1 || frac_len > frac_max)
            return false;
    }
    __extension__ __int128 v = 0;
    for (size_t k = 0; k < int_len; k++)
        v = v * 10 + (s[k] - '0');
    for (int k = 0; k < scale; k++)
        v = v * 10 + ((size_t)k < frac_len ? s[frac_at + (size_t)k] - '0' : 0);
    if (v > INT64_MAX)
        return false;
    *value = (int64_t)v;

    size_t lead = 0, o = 0;
    while (lead + 1 < int_len && s[lead] == '0')
        lead++;
    for (size_t k = lead; k < int_len; k++)
        canon[o++] = s[k];
    if (scale > 0)
        canon[o++] = '.';
    for (int k = 0; k < scale; k++)
        canon[o++] = (size_t)k < frac_len ? s[frac_at + (size_t)k] : '0';
    canon[o] = '\0';
    return true;
}

#endif
