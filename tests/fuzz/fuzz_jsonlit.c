/*
 * fuzz_jsonlit.c - core/jsonlit (the literals of a YabandPay body) and the
 * string a YabandPay signature covers (yabandpay_sign_string), on any bytes.
 *
 * Properties:
 * - neither reads past the input nor fails but with a code;
 * - when jansson accepts the input as an object (no duplicate keys, within
 *   the member cap, no NUL byte: see below) nested at most FG_JSON_DEPTH_MAX
 *   deep as jsonx_depth counts, jsonlit accepts it too, with the same members in the
 *   same number, each found by its decoded key, of the kind jansson gives;
 *   an integer's literal reads back as jansson's integer, a string's raw
 *   text decodes to jansson's string;
 * - when jansson accepts an object nested deeper, jsonlit refuses it
 *   (-FG_EBAD_JSON): the two bounds are the same number;
 * - a string to sign, when there is one, holds user=, method= and time=;
 * - jsonlit_numbers_blank changes only number literals (to 0 or 0.0 and
 *   spaces); when jansson accepts the input it accepts the blanked text, with
 *   the same members of the same kinds.
 */
#include "fuzz.h"

#include <jansson.h>

#include "core/jsonlit.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "families/yabandpay/yabandpay.h"

#define CAP 64

static enum jsonlit_kind kind_of(json_t *v)
{
    return json_is_string(v)   ? JSONLIT_STRING
           : json_is_number(v) ? JSONLIT_NUMBER
           : json_is_object(v) ? JSONLIT_OBJECT
           : json_is_array(v)  ? JSONLIT_ARRAY
           : json_is_true(v)   ? JSONLIT_TRUE
           : json_is_false(v)  ? JSONLIT_FALSE
                               : JSONLIT_NULL;
}

static void check_member(const struct jsonlit_member *m, json_t *v, const char *key)
{
    FUZZ_CHECK(m != NULL, "key '%s' not found", key);
    FUZZ_CHECK(m->kind == kind_of(v), "key '%s': kind %d, jansson %d", key, m->kind, kind_of(v));
    if (json_is_integer(v) && m->value_len < 20) {
        char lit[24];
        memcpy(lit, m->value, m->value_len);
        lit[m->value_len] = '\0';
        FUZZ_CHECK(strtoll(lit, NULL, 10) == json_integer_value(v), "'%s' is not %lld", lit,
                   (long long)json_integer_value(v));
    }
    if (json_is_string(v)) {
        char *q = malloc(m->value_len + 2);
        q[0] = '"';
        memcpy(q + 1, m->value, m->value_len);
        q[m->value_len + 1] = '"';
        json_t *s = json_loadb(q, m->value_len + 2, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        FUZZ_CHECK(s && json_equal(s, v), "key '%s': the raw string decodes otherwise", key);
        json_decref(s);
        free(q);
    }
}

static void check_blank(const char *in, size_t size, json_t *doc)
{
    char *out = malloc(size ? size : 1);
    jsonlit_numbers_blank(in, size, out);
    for (size_t i = 0; i < size; i++)
        FUZZ_CHECK(out[i] == in[i] || (strchr("0. ", out[i]) && strchr("0123456789.eE+-", in[i])),
                   "byte %zu: '%c' blanked as '%c'", i, in[i], out[i]);
    json_t *b = json_loadb(out, size, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(doc) && !memchr(in, '\0', size)) { /* jansson's NUL quirk: above */
        FUZZ_CHECK(json_is_object(b) && json_object_size(b) == json_object_size(doc),
                   "jansson took the text, not its blanked copy");
        const char *key;
        json_t *v;
        json_object_foreach(doc, key, v) FUZZ_CHECK(
            json_typeof(json_object_get(b, key)) == json_typeof(v), "key '%s' changed kind", key);
    }
    json_decref(b);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    struct jsonlit_member m[CAP];
    struct fg_err err;
    int n = -1;
    int rc = jsonlit_object(in, size, m, CAP, &n, &err);
    FUZZ_CHECK(rc == 0 || rc == -FG_EBAD_JSON || rc == -FG_ETOO_LARGE, "code %d", rc);
    for (int i = 0; rc == 0 && i < n; i++)
        FUZZ_CHECK(m[i].value >= in && m[i].value + m[i].value_len <= in + size &&
                       m[i].start >= in && m[i].start + m[i].span <= in + size,
                   "member %d points outside the input", i);
    json_t *doc = json_loadb(in, size, JSON_REJECT_DUPLICATES, NULL);
    /* jansson 2.14 takes `null\0,` as `null,` (a NUL right after a literal);
     * no JSON text holds a NUL, and jsonlit refusing one makes the body -3002. */
    bool deep = jsonx_depth(in, size) > FG_JSON_DEPTH_MAX;
    if (json_is_object(doc) && deep)
        FUZZ_CHECK(rc == -FG_EBAD_JSON, "nested deeper than %d, jsonlit %d", FG_JSON_DEPTH_MAX, rc);
    if (json_is_object(doc) && !deep && json_object_size(doc) <= CAP && !memchr(in, '\0', size)) {
        FUZZ_CHECK(rc == 0 && (size_t)n == json_object_size(doc), "jansson took it, jsonlit %d",
                   rc);
        const char *key;
        json_t *v;
        json_object_foreach(doc, key, v) check_member(jsonlit_find(m, n, key), v, key);
    }
    check_blank(in, size, doc);
    json_decref(doc);
    char *s = NULL;
    size_t len = 0;
    if (yabandpay_sign_string(in, size, &s, &len, &err) == 0) {
        FUZZ_CHECK(strstr(s, "user=") && strstr(s, "method=") && strstr(s, "time="),
                   "a string to sign without its fields: %s", s);
        FUZZ_CHECK(len == strlen(s), "length");
        free(s);
    }
    return 0;
}
