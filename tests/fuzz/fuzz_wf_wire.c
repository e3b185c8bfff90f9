/*
 * fuzz_wf_wire.c - the WorldFirst wire's parsers of outside bytes
 * (families/worldfirst_wire.h): the signature header, the request-time, and
 * a QuoteAmount.
 *
 * Input: line 1 a signature header value, line 2 a request-time, the rest
 * the JSON of a QuoteAmount (`{"currency":...,"value":...}`). Properties:
 * - an accepted header has a keyVersion of 1..9 digits and a signature of
 *   1..WF_SIG_BYTES_MAX bytes; formatting them again and parsing that gives
 *   the same keyVersion and bytes;
 * - an accepted time is exactly what a reference written here makes of it:
 *   epoch milliseconds of 1..15 digits, or YYYY-MM-DDTHH:MM:SS[.f{1,9}] and
 *   a zone (Z or +-HH:MM / +-HHMM within 14 h) through timegm; everything
 *   else is refused; fundgate's own format parses back to the second;
 * - an accepted QuoteAmount value is 1..10^18-1, and, given as a string, is
 *   that string's digits.
 */
#include "fuzz.h"

#include <jansson.h>
#include <time.h>

#include "families/worldfirst/worldfirst_wire.h"

static void check_header(const char *h)
{
    struct wf_sig_header a, b;
    struct fg_err err;
    if (wf_sig_header_parse(h, strlen(h), &a, &err) < 0)
        return;
    size_t vn = strlen(a.key_version);
    FUZZ_CHECK(vn >= 1 && vn <= 9 && strspn(a.key_version, "0123456789") == vn, "keyVersion %s",
               a.key_version);
    FUZZ_CHECK(a.sig_len >= 1 && a.sig_len <= WF_SIG_BYTES_MAX, "length %zu", a.sig_len);
    char again[FG_WF_SIGNATURE_HEADER_BYTES_MAX + 1];
    size_t n = wf_sig_header_format(a.key_version, a.sig, a.sig_len, again, sizeof(again));
    FUZZ_CHECK(n > 0, "format of an accepted header");
    FUZZ_CHECK(wf_sig_header_parse(again, n, &b, &err) == 0, "reparse: %s", err.msg);
    FUZZ_CHECK(strcmp(a.key_version, b.key_version) == 0 && a.sig_len == b.sig_len &&
                   memcmp(a.sig, b.sig, a.sig_len) == 0,
               "round trip");
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!fuzz_is_digit(s[i]))
            return false;
    return true;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* The reference: true with *ms when s is a time the wire takes. */
static bool reference(const char *s, size_t n, int64_t *ms)
{
    if (n >= 1 && n <= 15 && digits(s, n)) {
        *ms = 0;
        for (size_t i = 0; i < n; i++) /* the line has no NUL at its end */
            *ms = *ms * 10 + (s[i] - '0');
        return true;
    }
    if (n < 20 || n > FG_WF_REQUEST_TIME_BYTES_MAX || !digits(s, 4) || s[4] != '-' ||
        !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' ||
        !digits(s + 17, 2))
        return false;
    struct tm tm = {.tm_year = num(s, 4) - 1900,
                    .tm_mon = num(s + 5, 2) - 1,
                    .tm_mday = num(s + 8, 2),
                    .tm_hour = num(s + 11, 2),
                    .tm_min = num(s + 14, 2),
                    .tm_sec = num(s + 17, 2)};
    if (num(s, 4) < 1970 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 59)
        return false;
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    if (back.tm_mday != num(s + 8, 2) || back.tm_mon != num(s + 5, 2) - 1)
        return false; /* 30 February */
    size_t i = 19, f = 0;
    int frac = 0;
    if (s[i] == '.') {
        while (i + 1 + f < n && fuzz_is_digit(s[i + 1 + f]))
            f++;
        if (f < 1 || f > 9)
            return false;
        for (size_t k = 0; k < 3; k++)
            frac = frac * 10 + (k < f ? s[i + 1 + k] - '0' : 0);
        i += 1 + f;
    }
    const char *z = s + i;
    size_t zn = n - i;
    int east = 0;
    if (zn == 1 && (z[0] == 'Z' || z[0] == 'z')) {
        east = 0;
    } else if ((zn == 6 && (z[0] == '+' || z[0] == '-') && digits(z + 1, 2) && z[3] == ':' &&
                digits(z + 4, 2)) ||
               (zn == 5 && (z[0] == '+' || z[0] == '-') && digits(z + 1, 4))) {
        int hh = num(z + 1, 2), mm = num(z + (zn == 6 ? 4 : 3), 2);
        if (mm > 59 || hh * 60 + mm > 14 * 60)
            return false;
        east = (z[0] == '-' ? -1 : 1) * (hh * 60 + mm);
    } else {
        return false;
    }
    *ms = ((int64_t)t - (int64_t)east * 60) * 1000 + frac;
    return true;
}

static void check_time(const char *s, size_t n)
{
    int64_t got = 0, want = 0;
    bool ok = wf_time_parse(s, n, &got), ref = reference(s, n, &want);
    FUZZ_CHECK(ok == ref, "'%.*s': parsed %d, reference %d", (int)n, s, ok, ref);
    FUZZ_CHECK(!ok || got == want, "'%.*s': %lld, want %lld", (int)n, s, (long long)got,
               (long long)want);
    if (ok && got >= 0 && got < 253402300800000LL) { /* years 1970..9999 */
        char out[WF_TIME_BYTES];
        int64_t again = 0;
        wf_time_format(got, out);
        FUZZ_CHECK(wf_time_parse(out, strlen(out), &again) && again == got - got % 1000,
                   "own format %s", out);
    }
}

static void check_amount(const char *text, size_t n)
{
    char *wrapped = malloc(n + 16);
    if (!wrapped)
        abort();
    int w = snprintf(wrapped, n + 16, "{\"sell\":%.*s}", (int)n, text);
    json_t *o = json_loadb(wrapped, (size_t)w, 0, NULL);
    free(wrapped);
    if (!o)
        return;
    struct wf_amount a;
    struct fg_err err;
    if (wf_amount_get(o, "sell", &a, &err) == 0 && a.has_value) {
        FUZZ_CHECK(a.value >= 1 && a.value <= 999999999999999999LL, "value %lld",
                   (long long)a.value);
        json_t *v = json_object_get(json_object_get(o, "sell"), "value");
        if (json_is_string(v))
            FUZZ_CHECK(digits(json_string_value(v), json_string_length(v)) &&
                           strtoll(json_string_value(v), NULL, 10) == a.value,
                       "string value %s", json_string_value(v));
    }
    json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *line;
    size_t len;
    fuzz_line(&data, &size, &line, &len);
    char *h = fuzz_cstr(line, len);
    check_header(h);
    free(h);
    fuzz_line(&data, &size, &line, &len);
    check_time((const char *)line, len);
    check_amount((const char *)data, size);
    return 0;
}
