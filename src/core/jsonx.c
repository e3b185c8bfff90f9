/* jsonx.c - strict JSON input helpers; see jsonx.h. */
#include "core/jsonx.h"

#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "core/money.h"

int jsonx_depth(const char *body, size_t len)
{
    int depth = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = body[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                max = depth;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return max;
}

int jsonx_parse_object(const char *body, size_t len, json_t **out, struct fg_err *err)
{
    *out = NULL;
    if (len > FG_HTTP_BODY_BYTES_MAX)
        return fg_fail(err, -FG_ETOO_LARGE, "body exceeds %d bytes", FG_HTTP_BODY_BYTES_MAX);
    if (jsonx_depth(body, len) > FG_JSON_DEPTH_MAX)
        return fg_fail(err, -FG_ETOO_DEEP, "json nests deeper than %d levels", FG_JSON_DEPTH_MAX);
    /* jansson 2.14 stops at a NUL byte after a value, so `{..}\0garbage` would
     * read as `{..}`; no JSON text holds one, raw or in a string. */
    const char *nul = memchr(body, '\0', len);
    if (nul)
        return fg_fail(err, -FG_EBAD_JSON, "body is not valid json: a NUL byte at offset %zu",
                       (size_t)(nul - body));
    json_error_t je;
    json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        return fg_fail(err, -FG_EBAD_JSON, "body is not valid json: %s (line %d column %d)",
                       je.text, je.line, je.column);
    if (!json_is_object(v)) {
        json_decref(v);
        return fg_fail(err, -FG_EBAD_JSON, "body must be a json object");
    }
    *out = v;
    return 0;
}

int jsonx_check_keys(json_t *obj, const char *const allowed[], struct fg_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool ok = false;
        for (int i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0) {
                ok = true;
                break;
            }
        if (!ok)
            return fg_fail(err, -FG_EUNKNOWN_FIELD, "unknown field '%.64s'", key);
    }
    return 0;
}

/* The field's value, NULL when absent or null; -FG_EMISSING_FIELD when required. */
static int field(json_t *obj, const char *key, bool required, json_t **v, struct fg_err *err)
{
    *v = json_object_get(obj, key);
    if (*v && json_is_null(*v))
        *v = NULL;
    if (!*v && required)
        return fg_fail(err, -FG_EMISSING_FIELD, "field '%s' is required", key);
    return 0;
}

int jsonx_str(json_t *obj, const char *key, bool required, size_t max_bytes, const char **out,
              struct fg_err *err)
{
    json_t *v;
    int rc = field(obj, key, required, &v, err);
    if (rc < 0 || !v)
        return rc;
    if (!json_is_string(v))
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be a string", key);
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n == 0)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must not be empty", key);
    if (n > max_bytes)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' is longer than %zu bytes", key, max_bytes);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return fg_fail(err, -FG_EBAD_FIELD, "field '%s' contains a control character", key);
    *out = s;
    return 0;
}

int jsonx_str_copy(json_t *obj, const char *key, bool required, char *buf, size_t cap,
                   struct fg_err *err)
{
    const char *v = NULL;
    int rc = jsonx_str(obj, key, required, cap - 1, &v, err);
    if (rc == 0)
        snprintf(buf, cap, "%s", v ? v : "");
    return rc;
}

int jsonx_id_chars(const char *key, const char *v, struct fg_err *err)
{
    for (const char *p = v; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("._:@-", *p)))
            return fg_fail(err, -FG_EBAD_FIELD,
                           "field '%s' may only hold letters, digits and . _ : @ -", key);
    return 0;
}

int jsonx_id(json_t *obj, const char *key, bool required, size_t max_bytes, const char **out,
             struct fg_err *err)
{
    int rc = jsonx_str(obj, key, required, max_bytes, out, err);
    if (rc < 0 || !*out)
        return rc;
    return jsonx_id_chars(key, *out, err);
}

int jsonx_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max, int64_t *out,
              struct fg_err *err)
{
    json_t *v;
    int rc = field(obj, key, required, &v, err);
    if (rc < 0 || !v)
        return rc;
    if (!json_is_integer(v))
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be an integer", key);
    json_int_t i = json_integer_value(v);
    if (i < min || i > max)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be between %lld and %lld", key,
                       (long long)min, (long long)max);
    *out = (int64_t)i;
    return 0;
}

int jsonx_bool(json_t *obj, const char *key, bool required, bool *out, struct fg_err *err)
{
    json_t *v;
    int rc = field(obj, key, required, &v, err);
    if (rc < 0 || !v)
        return rc;
    if (!json_is_boolean(v))
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

int jsonx_amount(json_t *obj, const char *key, bool required, int digits, int64_t *out,
                 struct fg_err *err)
{
    json_t *v;
    int rc = field(obj, key, required, &v, err);
    if (rc < 0 || !v)
        return rc;
    if (!json_is_string(v))
        return fg_fail(err, -FG_EBAD_AMOUNT, "field '%s' must be a decimal string", key);
    struct fg_err inner;
    rc = money_amount_parse(json_string_value(v), json_string_length(v), digits, out, &inner);
    if (rc < 0)
        return fg_fail(err, -FG_EBAD_AMOUNT, "field '%s': %s", key, inner.msg);
    return 0;
}

int jsonx_enum(json_t *obj, const char *key, bool required, const char *const choices[], int *index,
               struct fg_err *err)
{
    const char *s = NULL;
    int rc = jsonx_str(obj, key, required, 64, &s, err);
    if (rc < 0 || !s)
        return rc;
    for (int i = 0; choices[i]; i++)
        if (strcmp(s, choices[i]) == 0) {
            *index = i;
            return 0;
        }
    char list[256] = "";
    size_t n = 0;
    for (int i = 0; choices[i] && n < sizeof(list) - 32; i++)
        n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? "|" : "", choices[i]);
    return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be one of %s", key, list);
}

char *jsonx_dump(const json_t *v, size_t *len)
{
    char *s = json_dumps(v, JSON_COMPACT);
    if (s && len)
        *len = strlen(s);
    return s;
}

json_t *jsonx_amount_new(int64_t v, int digits)
{
    char buf[MONEY_FORMAT_BYTES_MAX];
    money_amount_format(v, digits, buf, sizeof(buf));
    return json_string(buf);
}

void jsonx_buf_init(struct jsonx_buf *b, char *mem, size_t cap)
{
    *b = (struct jsonx_buf){.p = mem, .cap = cap};
    if (cap)
        mem[0] = '\0';
}

void jsonx_buf_raw(struct jsonx_buf *b, const char *s, size_t n)
{
    if (b->failed || n >= b->cap - b->len) {
        b->failed = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void jsonx_buf_lit(struct jsonx_buf *b, const char *s)
{
    jsonx_buf_raw(b, s, strlen(s));
}

/* jansson's dump_string: \\ \" \b \f \n \r \t, other controls as \u00XX. */
void jsonx_buf_str(struct jsonx_buf *b, const char *s)
{
    jsonx_buf_raw(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p && !b->failed; p++) {
        char esc[8];
        const char *short_esc = NULL;
        switch (*p) {
        case '\\':
            short_esc = "\\\\";
            break;
        case '"':
            short_esc = "\\\"";
            break;
        case '\b':
            short_esc = "\\b";
            break;
        case '\f':
            short_esc = "\\f";
            break;
        case '\n':
            short_esc = "\\n";
            break;
        case '\r':
            short_esc = "\\r";
            break;
        case '\t':
            short_esc = "\\t";
            break;
        default:
            break;
        }
        if (short_esc) {
            jsonx_buf_raw(b, short_esc, 2);
        } else if (*p < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)*p);
            jsonx_buf_raw(b, esc, 6);
        } else if (*p >= 0x80) {
            b->failed = true;
        } else {
            jsonx_buf_raw(b, (const char *)p, 1);
        }
    }
    jsonx_buf_raw(b, "\"", 1);
}

void jsonx_buf_int(struct jsonx_buf *b, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%lld", (long long)v);
    jsonx_buf_raw(b, num, (size_t)n);
}
