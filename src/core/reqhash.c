/* reqhash.c - canonical defining content and its SHA-256; see reqhash.h. */
#include "core/reqhash.h"

#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/errors.h"
#include "core/jsonx.h"

#define REQHASH_FAST_BYTES_MAX 2048
#define REQHASH_VALUES_MAX 64 /* values of one request's defining content */

/* Append v the way jansson's compact dump writes it; false when only
 * jansson can (reals, objects, arrays, strings holding NUL or non-ASCII). */
static bool fast_value(struct jsonx_buf *b, const json_t *v)
{
    if (!v || json_is_null(v))
        jsonx_buf_lit(b, "null");
    else if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v))
        jsonx_buf_str(b, json_string_value(v));
    else if (json_is_integer(v))
        jsonx_buf_int(b, json_integer_value(v));
    else if (json_is_boolean(v))
        jsonx_buf_lit(b, json_is_true(v) ? "true" : "false");
    else
        return false;
    return !b->failed;
}

static int hash_values(const char *tag, const json_t *const values[], int n,
                       uint8_t out[FG_SHA256_BYTES])
{
    char mem[REQHASH_FAST_BYTES_MAX];
    struct jsonx_buf b;
    jsonx_buf_init(&b, mem, sizeof(mem));
    jsonx_buf_lit(&b, "[");
    if (tag)
        jsonx_buf_str(&b, tag);
    bool fast = !b.failed;
    for (int i = 0; i < n && fast; i++) {
        if (tag || i > 0)
            jsonx_buf_lit(&b, ",");
        fast = fast_value(&b, values[i]);
    }
    jsonx_buf_lit(&b, "]");
    if (fast && !b.failed) {
        fg_sha256(b.p, b.len, out);
        return 0;
    }
    json_t *a = json_array();
    if (!a)
        return -FG_ENOMEM;
    if (tag)
        json_array_append_new(a, json_string(tag));
    for (int i = 0; i < n; i++)
        json_array_append_new(a, values[i] ? json_incref((json_t *)values[i]) : json_null());
    char *text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(a);
    if (!text)
        return -FG_ENOMEM;
    fg_sha256(text, strlen(text), out);
    free(text);
    return 0;
}

int reqhash_fields(json_t *obj, const char *tag, const char *const fields[],
                   uint8_t out[FG_SHA256_BYTES])
{
    const json_t *values[REQHASH_VALUES_MAX];
    int n = 0;
    for (; fields[n]; n++) {
        FG_ASSERT(n < REQHASH_VALUES_MAX); /* a programmer's list, never input */
        values[n] = json_object_get(obj, fields[n]);
    }
    return hash_values(tag, values, n, out);
}

int reqhash_values(const json_t *values, const char *tag, uint8_t out[FG_SHA256_BYTES])
{
    const json_t *v[REQHASH_VALUES_MAX];
    size_t n = json_array_size(values);
    FG_ASSERT(n <= REQHASH_VALUES_MAX); /* built by code, never input */
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(values, i);
    return hash_values(tag, v, (int)n, out);
}
