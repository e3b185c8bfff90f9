/* utf8.c - UTF-8 validity, lengths and a JSON repair; see utf8.h. */
#include "core/utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool cont(unsigned char b)
{
    return (b & 0xc0) == 0x80;
}

size_t utf8_seq_len(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 0)
        return 0;
    unsigned char b = u[0];
    if (b < 0x80)
        return 1;
    /* The second byte's range depends on the lead (RFC 3629 table 3-7):
     * that is what excludes overlong forms, surrogates and > U+10FFFF. */
    unsigned char lo = 0x80, hi = 0xbf;
    size_t len;
    if (b >= 0xc2 && b <= 0xdf) {
        len = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
        len = 3;
        lo = b == 0xe0 ? 0xa0 : 0x80;
        hi = b == 0xed ? 0x9f : 0xbf;
    } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4;
        lo = b == 0xf0 ? 0x90 : 0x80;
        hi = b == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (n < len || u[1] < lo || u[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (!cont(u[i]))
            return 0;
    return len;
}

bool utf8_valid(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t len = utf8_seq_len(s + i, n - i);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}

size_t utf8_chars(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += !cont((unsigned char)s[i]);
    return chars;
}

size_t utf8_prefix_bytes(const char *s, size_t n, size_t max_chars)
{
    size_t chars = 0, i = 0;
    while (i < n) {
        if (!cont((unsigned char)s[i])) {
            if (chars == max_chars)
                break;
            chars++;
        }
        i++;
    }
    return i;
}

bool utf8_has_replacement(const char *s, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++)
        if (memcmp(s + i, UTF8_REPLACEMENT, 3) == 0)
            return true;
    return false;
}

/* The value of 4 hex digits at s, or -1. */
static long hex4(const char *s)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Bytes of the escape at in[i] (a backslash inside a string) to copy as they
 * are, or 0 when it is a \u escape jansson refuses (to be replaced by \uFFFD,
 * 6 bytes of input). */
static size_t escape_len(const char *in, size_t n, size_t i)
{
    if (i + 1 >= n || (unsigned char)in[i + 1] >= 0x80)
        return 1; /* broken JSON, or a bad byte the caller replaces next */
    if (in[i + 1] != 'u' || i + 6 > n)
        return 2;
    long v = hex4(in + i + 2);
    if (v < 0)
        return 2; /* broken JSON: jansson says so */
    if (v == 0 || (v >= 0xdc00 && v <= 0xdfff))
        return 0;
    if (v < 0xd800 || v > 0xdbff)
        return 6;
    /* A high surrogate must be followed by a low one. */
    if (i + 12 <= n && in[i + 6] == '\\' && in[i + 7] == 'u') {
        long lo = hex4(in + i + 8);
        if (lo >= 0xdc00 && lo <= 0xdfff)
            return 12;
    }
    return 0;
}

int utf8_json_repair(const char *in, size_t n, char **out, size_t *out_n, bool *changed)
{
    char *o = malloc(3 * n + 1);
    size_t w = 0, i = 0;
    bool in_str = false;
    *changed = false;
    if (!o)
        return -1;
    while (i < n) {
        unsigned char c = (unsigned char)in[i];
        size_t len = 1;
        if (c >= 0x80) {
            len = utf8_seq_len(in + i, n - i);
            if (len == 0) {
                memcpy(o + w, UTF8_REPLACEMENT, 3);
                w += 3;
                i++;
                *changed = true;
                continue;
            }
        } else if (in_str && c == '\\') {
            len = escape_len(in, n, i);
            if (len == 0) {
                memcpy(o + w, "\\uFFFD", 6);
                w += 6;
                i += 6;
                *changed = true;
                continue;
            }
        } else if (c == '"') {
            in_str = !in_str;
        }
        memcpy(o + w, in + i, len);
        w += len;
        i += len;
    }
    o[w] = '\0';
    *out = o;
    *out_n = w;
    return 0;
}
