/*
 * fuzz_parse_int.c - core/parse, the one reader of integers that arrive as
 * text (query parameters, cursors, command-line numbers).
 *
 * Input: any bytes. The first byte picks a range [min, max] from a small
 * table (0..INT64_MAX, 1..1000, 0..65535, 1..16); the rest is the text.
 * Properties:
 * - accepted exactly when the text is 1 to 19 bytes, every one '0'-'9', and
 *   its value (computed here in 128 bits) lies in the range;
 * - an accepted value is that value; a refusal leaves the output untouched;
 * - parse_int64_text over the same bytes as a C string (cut at a NUL, as a
 *   server would receive it) agrees with parse_int64_digits over the bytes
 *   up to that NUL.
 * Seeds: tests/fuzz/parse_int/.
 */
#include "fuzz.h"

#include "core/parse.h"

#define UNTOUCHED ((int64_t)0x5A5A5A5A5A5A5A5ALL)

static const struct {
    int64_t min, max;
} ranges[] = {{0, INT64_MAX}, {1, 1000}, {0, 65535}, {1, 16}};

/* What the rule says, computed another way. */
static bool reference(const char *s, size_t n, int64_t min, int64_t max, int64_t *v)
{
    if (n == 0 || n > 19)
        return false;
    __int128 acc = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        acc = acc * 10 + (s[i] - '0');
    }
    if (acc < min || acc > max)
        return false;
    *v = (int64_t)acc;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int64_t min = ranges[data[0] % 4].min, max = ranges[data[0] % 4].max;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    int64_t want = 0, got = UNTOUCHED;
    bool ok = reference(s, n, min, max, &want);
    int rc = parse_int64_digits(s, n, min, max, &got);
    FUZZ_CHECK((rc == 0) == ok, "rc %d but the rule says %s", rc, ok ? "accept" : "refuse");
    FUZZ_CHECK(ok ? got == want : got == UNTOUCHED, "value %lld, want %lld", (long long)got,
               (long long)want);

    char *c = fuzz_cstr(data + 1, n);
    int64_t a = UNTOUCHED, b = UNTOUCHED;
    int rc_text = parse_int64_text(c, min, max, &a);
    int rc_cut = parse_int64_digits(c, strlen(c), min, max, &b);
    FUZZ_CHECK(rc_text == rc_cut && a == b, "text %d/%lld, digits %d/%lld", rc_text, (long long)a,
               rc_cut, (long long)b);
    free(c);
    return 0;
}
