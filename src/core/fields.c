/* fields.c - declarative field specs; see fields.h. */
#include "core/fields.h"

#include <string.h>

#include "core/assert.h"
#include "core/jsonx.h"
#include "core/money.h"
#include "core/utf8.h"

static char *dst_chars(void *dst, const struct field_spec *f)
{
    return (char *)dst + f->offset;
}

/* STR and ID: the value, copied whole; refuse_code for a string refused. */
static int read_str(json_t *obj, const struct field_spec *f, void *dst, struct fg_err *err)
{
    size_t max = f->max ? (size_t)f->max : f->cap - 1;
    FG_ASSERT(f->cap > max); /* the destination holds the longest value taken */
    const char *v = NULL;
    int rc = f->kind == FIELD_ID ? jsonx_id(obj, f->name, f->required, max, &v, err)
                                 : jsonx_str(obj, f->name, f->required, max, &v, err);
    if (rc == -FG_EBAD_FIELD && f->refuse_code && json_is_string(json_object_get(obj, f->name)))
        return fg_fail(err, f->refuse_code, "unknown %s", f->name);
    if (rc < 0 || !v)
        return rc;
    if (f->check && (rc = f->check(f->name, v, err)) < 0)
        return rc;
    memcpy(dst_chars(dst, f), v, strlen(v) + 1);
    return 0;
}

/* Descriptive text as given: absent or null is "" unless required. */
int fields_text(json_t *obj, const char *key, bool required, size_t max_chars, char *buf,
                size_t cap, struct fg_err *err)
{
    FG_ASSERT(cap > max_chars * UTF8_CHAR_BYTES_MAX); /* the caller's buffer, not input */
    json_t *v = json_object_get(obj, key);
    buf[0] = '\0';
    if (!v || json_is_null(v))
        return required ? fg_fail(err, -FG_EMISSING_FIELD, "field '%s' is required", key) : 0;
    if (!json_is_string(v))
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be a string", key);
    const char *t = json_string_value(v);
    size_t n = json_string_length(v);
    if (utf8_chars(t, n) > max_chars || strlen(t) != n)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' is longer than %zu characters", key,
                       max_chars);
    memcpy(buf, t, n + 1);
    return 0;
}

/* Amount text kept as sent; its digits are checked once the currency is known. */
static int read_decimal(json_t *obj, const struct field_spec *f, void *dst, struct fg_err *err)
{
    char *buf = dst_chars(dst, f);
    struct money_text t;
    int rc = jsonx_str_copy(obj, f->name, f->required, buf, f->cap, err);
    if (rc == 0 && buf[0] && money_text_read(buf, strlen(buf), f->min < 0, &t, NULL) < 0)
        rc = fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be a decimal string", f->name);
    return rc;
}

static int read_int(json_t *obj, const struct field_spec *f, void *dst, struct fg_err *err)
{
    int64_t v = 0;
    bool present = json_object_get(obj, f->name) && !json_is_null(json_object_get(obj, f->name));
    int rc = jsonx_int(obj, f->name, f->required, f->min, f->max, &v, err);
    if (rc < 0 || !present)
        return rc;
    if (f->kind == FIELD_INT32) {
        FG_ASSERT(f->min >= INT32_MIN && f->max <= INT32_MAX); /* the spec's range */
        *(int *)((char *)dst + f->offset) = (int)v;
    } else {
        *(int64_t *)((char *)dst + f->offset) = v;
    }
    return 0;
}

static int read_enum(json_t *obj, const struct field_spec *f, void *dst, struct fg_err *err)
{
    int i = -1;
    int rc = jsonx_enum(obj, f->name, f->required, f->choices, &i, err);
    if (rc == 0 && i >= 0) {
        FG_ASSERT(strlen(f->choices[i]) < f->cap);
        memcpy(dst_chars(dst, f), f->choices[i], strlen(f->choices[i]) + 1);
    }
    return rc;
}

static int read_one(json_t *obj, const struct field_spec *f, void *dst, void *ctx,
                    struct fg_err *err)
{
    switch (f->kind) {
    case FIELD_STR:
    case FIELD_ID:
        return read_str(obj, f, dst, err);
    case FIELD_TEXT:
        return fields_text(obj, f->name, f->required, (size_t)f->max, dst_chars(dst, f), f->cap,
                           err);
    case FIELD_DECIMAL:
        return read_decimal(obj, f, dst, err);
    case FIELD_AMOUNT:
        return jsonx_amount(obj, f->name, f->required, *(int *)((char *)dst + f->aux),
                            (int64_t *)((char *)dst + f->offset), err);
    case FIELD_INT:
    case FIELD_INT32:
        return read_int(obj, f, dst, err);
    case FIELD_BOOL:
        return jsonx_bool(obj, f->name, f->required, (bool *)((char *)dst + f->offset), err);
    case FIELD_ENUM:
        return read_enum(obj, f, dst, err);
    case FIELD_CHOICE:
        return jsonx_enum(obj, f->name, f->required, f->choices, (int *)((char *)dst + f->offset),
                          err);
    case FIELD_CUSTOM:
        return f->read(obj, f, dst, ctx, err);
    }
    FG_ASSERT(!"unknown field kind");
    return -FG_EINTERNAL;
}

int fields_read(json_t *obj, const struct field_spec *specs, void *dst, void *ctx,
                struct fg_err *err)
{
    for (const struct field_spec *f = specs; f->name; f++) {
        int rc = read_one(obj, f, dst, ctx, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void fields_keys(const struct field_spec *specs, const char **keys, size_t cap)
{
    size_t n = 0;
    for (const struct field_spec *f = specs; f->name; f++) {
        if (f->name[0] == '.')
            continue;           /* a step, not a field */
        FG_ASSERT(n + 1 < cap); /* the caller's list holds every name */
        keys[n++] = f->name;
    }
    keys[n] = NULL;
}
