/*
 * jsonlit.c - raw members of a JSON object; see jsonlit.h.
 *
 * One forward pass with an index that only grows; every read is checked
 * against len first. Nested objects and arrays are skipped by counting
 * brackets outside strings (no recursion), at most FG_JSON_DEPTH_MAX deep.
 * A number is the longest run of number characters; whether it is a valid
 * literal is jansson's business (the body was accepted by it) and the
 * caller's (an amount is parsed strictly again). A NUL byte anywhere refuses
 * the text: jansson 2.14 accepts one right after a literal (`[12\0]`), and
 * a raw NUL would otherwise reach a string to sign.
 */
#include "core/jsonlit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"

static size_t skip_ws(const char *t, size_t len, size_t i)
{
    while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        i++;
    return i;
}

/* t[i] is '"': *end is the index after the closing quote. */
static bool scan_string(const char *t, size_t len, size_t i, size_t *end, bool *escaped)
{
    *escaped = false;
    for (i++; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == '"') {
            *end = i + 1;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            *escaped = true;
            i++; /* the escaped character; a \u escape's four hex digits are plain characters */
        }
    }
    return false;
}

/* A member's value lives inside its object, one level down: depth counts the
 * object too, so jsonlit's bound is the whole text's, as jsonx_depth counts it. */
static bool scan_nested(const char *t, size_t len, size_t i, size_t *end)
{
    int depth = 1;
    bool esc;
    while (i < len) {
        char c = t[i];
        if (c == '\0') /* never in JSON text; jansson 2.14 lets one follow a literal */
            return false;
        if (c == '"') {
            if (!scan_string(t, len, i, &i, &esc))
                return false;
            continue;
        }
        if (c == '{' || c == '[') {
            if (++depth > FG_JSON_DEPTH_MAX)
                return false;
        } else if (c == '}' || c == ']') {
            if (--depth == 1) {
                *end = i + 1;
                return true;
            }
        }
        i++;
    }
    return false;
}

static bool scan_word(const char *t, size_t len, size_t i, const char *word, size_t *end)
{
    size_t n = strlen(word);
    if (len - i < n || memcmp(t + i, word, n) != 0)
        return false;
    *end = i + n;
    return true;
}

static bool number_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* The value at t[i]: its kind and the index after it. */
static bool scan_value(const char *t, size_t len, size_t i, enum jsonlit_kind *kind, size_t *end)
{
    bool esc;
    if (i >= len)
        return false;
    switch (t[i]) {
    case '"':
        *kind = JSONLIT_STRING;
        return scan_string(t, len, i, end, &esc);
    case '{':
    case '[':
        *kind = t[i] == '{' ? JSONLIT_OBJECT : JSONLIT_ARRAY;
        return scan_nested(t, len, i, end);
    case 't':
        *kind = JSONLIT_TRUE;
        return scan_word(t, len, i, "true", end);
    case 'f':
        *kind = JSONLIT_FALSE;
        return scan_word(t, len, i, "false", end);
    case 'n':
        *kind = JSONLIT_NULL;
        return scan_word(t, len, i, "null", end);
    default:
        *kind = JSONLIT_NUMBER;
        *end = i;
        while (*end < len && number_char(t[*end]))
            (*end)++;
        return *end > i;
    }
}

/* One "key": value at t[i]; *next is the index after the value. */
static bool scan_member(const char *t, size_t len, size_t i, struct jsonlit_member *m, size_t *next)
{
    size_t key_end = 0, v = 0, end = 0;
    if (i >= len || t[i] != '"' || !scan_string(t, len, i, &key_end, &m->key_escaped))
        return false;
    m->start = t + i;
    m->key = t + i + 1;
    m->key_len = key_end - i - 2;
    v = skip_ws(t, len, key_end);
    if (v >= len || t[v] != ':')
        return false;
    v = skip_ws(t, len, v + 1);
    if (!scan_value(t, len, v, &m->kind, &end))
        return false;
    bool quoted = m->kind == JSONLIT_STRING;
    m->value = t + v + quoted;
    m->value_len = end - v - 2 * quoted;
    m->span = end - i;
    *next = end;
    return true;
}

int jsonlit_object(const char *text, size_t len, struct jsonlit_member *out, int cap, int *n,
                   struct fg_err *err)
{
    size_t i = skip_ws(text, len, 0);
    *n = 0;
    if (i >= len || text[i] != '{')
        return fg_fail(err, -FG_EBAD_JSON, "not a json object");
    i = skip_ws(text, len, i + 1);
    if (i < len && text[i] == '}') {
        i++;
    } else {
        for (;;) {
            if (*n == cap)
                return fg_fail(err, -FG_ETOO_LARGE, "an object of more than %d members", cap);
            if (!scan_member(text, len, i, &out[*n], &i))
                return fg_fail(err, -FG_EBAD_JSON, "not a json object");
            (*n)++;
            i = skip_ws(text, len, i);
            if (i < len && text[i] == ',') {
                i = skip_ws(text, len, i + 1);
                continue;
            }
            if (i < len && text[i] == '}') {
                i++;
                break;
            }
            return fg_fail(err, -FG_EBAD_JSON, "not a json object");
        }
    }
    if (skip_ws(text, len, i) != len)
        return fg_fail(err, -FG_EBAD_JSON, "text after the object");
    return 0;
}

/* A key with escapes, decoded by jansson: equal to key? */
static bool escaped_key_is(const struct jsonlit_member *m, const char *key)
{
    char *quoted = malloc(m->key_len + 2);
    if (!quoted)
        return false;
    quoted[0] = '"';
    memcpy(quoted + 1, m->key, m->key_len);
    quoted[m->key_len + 1] = '"';
    json_t *s = json_loadb(quoted, m->key_len + 2, JSON_DECODE_ANY, NULL);
    free(quoted);
    bool same = json_is_string(s) && json_string_length(s) == strlen(key) &&
                memcmp(json_string_value(s), key, strlen(key)) == 0;
    json_decref(s);
    return same;
}

const struct jsonlit_member *jsonlit_find(const struct jsonlit_member *m, int n, const char *key)
{
    size_t kl = strlen(key);
    for (int i = 0; i < n; i++) {
        if (m[i].key_escaped ? escaped_key_is(&m[i], key)
                             : m[i].key_len == kl && memcmp(m[i].key, key, kl) == 0)
            return &m[i];
    }
    return NULL;
}

/* The length of the JSON number literal at t[i..n) when the whole run is
 * one (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?), else 0; *real when
 * it has a fraction or an exponent. */
static size_t number_literal(const char *t, size_t i, size_t n, bool *real)
{
    size_t j = i;
    *real = false;
    if (j < n && t[j] == '-')
        j++;
    if (j < n && t[j] == '0')
        j++;
    else if (j < n && t[j] >= '1' && t[j] <= '9')
        while (j < n && t[j] >= '0' && t[j] <= '9')
            j++;
    else
        return 0;
    if (j < n && t[j] == '.') {
        size_t d = ++j;
        while (j < n && t[j] >= '0' && t[j] <= '9')
            j++;
        if (j == d)
            return 0;
        *real = true;
    }
    if (j < n && (t[j] == 'e' || t[j] == 'E')) {
        j++;
        if (j < n && (t[j] == '+' || t[j] == '-'))
            j++;
        size_t d = j;
        while (j < n && t[j] >= '0' && t[j] <= '9')
            j++;
        if (j == d)
            return 0;
        *real = true;
    }
    return j == n ? n - i : 0;
}

static bool word_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '+' || c == '.';
}

void jsonlit_numbers_blank(const char *text, size_t len, char *out)
{
    size_t i = 0;
    memcpy(out, text, len);
    while (i < len) {
        char c = text[i];
        size_t end = i + 1;
        bool esc, real;
        if (c == '"') {
            if (!scan_string(text, len, i, &end, &esc))
                return;            /* unterminated: the rest stays as it is */
        } else if (word_char(c)) { /* a bare word: a number, true, 0x1, .5, ... */
            while (end < len && word_char(text[end]))
                end++;
            if (number_literal(text, i, end, &real)) { /* a real literal has 3 bytes or more */
                memset(out + i, ' ', end - i);
                memcpy(out + i, real ? "0.0" : "0", real ? 3 : 1);
            }
        }
        i = end;
    }
}
