/* parse.c - strict integers from text; see parse.h. */
#include "core/parse.h"

#include <string.h>

#include "core/assert.h"
#include "core/errors.h"

int parse_int64_digits(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
    FG_ASSERT(min >= 0 && min <= max); /* callers' constants, not input */
    if (!s || len == 0 || len > PARSE_INT64_DIGITS_MAX)
        return -FG_EBAD_FIELD;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < '0' || c > '9')
            return -FG_EBAD_FIELD;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, c - '0', &v))
            return -FG_EBAD_FIELD;
    }
    if (v < min || v > max)
        return -FG_EBAD_FIELD;
    *out = v;
    return 0;
}

int parse_int64_text(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s)
        return -FG_EBAD_FIELD;
    /* One past the longest accepted text is enough to refuse a longer one. */
    return parse_int64_digits(s, strnlen(s, PARSE_INT64_DIGITS_MAX + 1), min, max, out);
}
