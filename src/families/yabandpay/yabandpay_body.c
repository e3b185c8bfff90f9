/*
 * yabandpay_body.c - a YabandPay request body: parsed by jansson (capped, no
 * duplicate keys) with the text's own literals beside it (core/jsonlit.h),
 * and the string its `sign` covers (yabandpay.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/jsonx.h"
#include "families/yabandpay/yabandpay.h"
#include "families/yabandpay/yabandpay_int.h"

void yb_body_release(struct yb_body *b)
{
    json_decref(b->root);
    b->root = b->data = NULL;
}

/* jansson over the text with its numbers blanked (core/jsonlit.h): a valid
 * body is one whatever its numbers hold (a 24-digit request id, a huge
 * number in a field fundgate ignores); their values come from the literals. */
static int body_structure(const char *text, size_t len, json_t **root, struct fg_err *err)
{
    if (len > FG_HTTP_BODY_BYTES_MAX) /* before copying: jsonx refuses it the same way */
        return jsonx_parse_object(text, len, root, err);
    char *blank = malloc(len ? len : 1);
    if (!blank)
        return fg_fail(err, -FG_ENOMEM, "out of memory");
    jsonlit_numbers_blank(text, len, blank);
    int rc = jsonx_parse_object(blank, len, root, err);
    free(blank);
    return rc;
}

int yb_body_parse(const char *text, size_t len, struct yb_body *b, struct fg_err *err)
{
    memset(b, 0, sizeof(*b));
    int rc = body_structure(text, len, &b->root, err);
    if (rc == 0)
        rc = jsonlit_object(text, len, b->top, FG_YB_FIELDS_MAX, &b->ntop, err);
    if (rc == -FG_ETOO_LARGE)
        rc = fg_fail(err, -FG_EBAD_FIELD, "the body has more than %d members", FG_YB_FIELDS_MAX);
    if (rc < 0)
        return rc;
    b->data = json_object_get(b->root, "data");
    if (!b->data || json_is_null(b->data))
        return fg_fail(err, -FG_EMISSING_FIELD, "field 'data' is required");
    const struct jsonlit_member *m = jsonlit_find(b->top, b->ntop, "data");
    if (!json_is_object(b->data) || !m)
        return fg_fail(err, -FG_EBAD_FIELD, "field 'data' must be an object");
    rc = jsonlit_object(m->value, m->value_len, b->dm, FG_YB_FIELDS_MAX, &b->ndata, err);
    if (rc == -FG_ETOO_LARGE)
        rc =
            fg_fail(err, -FG_EBAD_FIELD, "field 'data' has more than %d members", FG_YB_FIELDS_MAX);
    return rc;
}

struct kv {
    const char *k, *v;
    size_t kn, vn;
};

static int kv_cmp(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    size_t n = x->kn < y->kn ? x->kn : y->kn;
    int c = memcmp(x->k, y->k, n);
    return c ? c : (x->kn > y->kn) - (x->kn < y->kn);
}

/* A value as the text gives it: strings decoded, the rest literally. */
static int kv_value(json_t *v, const struct jsonlit_member *m, const char *key, struct kv *out,
                    struct fg_err *err)
{
    if (json_is_string(v)) {
        out->v = json_string_value(v);
        out->vn = json_string_length(v);
        if (strlen(out->v) != out->vn)
            return fg_fail(err, -FG_EBAD_FIELD, "field '%.64s' holds a NUL character", key);
        return 0;
    }
    if (!m)
        return fg_fail(err, -FG_EBAD_JSON, "field '%.64s' not found in the text", key);
    out->v = m->value;
    out->vn = m->value_len;
    return 0;
}

/* The k=v pairs of user, method and time. */
static int kv_top(struct yb_body *b, struct kv *kv, int *n, struct fg_err *err)
{
    static const char *const top[] = {"user", "method", "time"};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(b->root, top[i]);
        if (!v || json_is_null(v))
            return fg_fail(err, -FG_EMISSING_FIELD, "field '%s' is required", top[i]);
        if (!(json_is_string(v) || (i == 2 && json_is_integer(v))))
            return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be a %s", top[i],
                           i == 2 ? "number of seconds" : "string");
        kv[*n] = (struct kv){.k = top[i], .kn = strlen(top[i])};
        int rc = kv_value(v, jsonlit_find(b->top, b->ntop, top[i]), top[i], &kv[(*n)++], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The k=v pairs: user, method, time, then every member of data. */
static int kv_collect(struct yb_body *b, struct kv *kv, int *n, struct fg_err *err)
{
    *n = 0;
    int rc = kv_top(b, kv, n, err);
    if (rc < 0)
        return rc;
    const char *key;
    json_t *v;
    json_object_foreach(b->data, key, v)
    {
        if (rc < 0)
            return rc;
        if (strcmp(key, "user") == 0 || strcmp(key, "method") == 0 || strcmp(key, "time") == 0)
            return fg_fail(err, -FG_EBAD_FIELD, "data may not hold '%s': it is signed already",
                           key);
        kv[*n] = (struct kv){.k = key, .kn = strlen(key)};
        rc = kv_value(v, jsonlit_find(b->dm, b->ndata, key), key, &kv[(*n)++], err);
    }
    return rc;
}

int yb_sign_string_of(struct yb_body *b, char **out, size_t *out_len, struct fg_err *err)
{
    struct kv kv[FG_YB_FIELDS_MAX + 3];
    int n = 0;
    int rc = kv_collect(b, kv, &n, err);
    if (rc < 0)
        return rc;
    qsort(kv, (size_t)n, sizeof(kv[0]), kv_cmp);
    size_t total = 1;
    for (int i = 0; i < n; i++)
        total += kv[i].kn + kv[i].vn + 2; /* bounded by the body's size */
    char *s = malloc(total);
    if (!s)
        return fg_fail(err, -FG_ENOMEM, "out of memory");
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (i)
            s[o++] = '&';
        memcpy(s + o, kv[i].k, kv[i].kn);
        o += kv[i].kn;
        s[o++] = '=';
        memcpy(s + o, kv[i].v, kv[i].vn);
        o += kv[i].vn;
    }
    s[o] = '\0';
    *out = s;
    *out_len = o;
    return 0;
}

int yabandpay_sign_string(const char *body, size_t len, char **out, size_t *out_len,
                          struct fg_err *err)
{
    struct yb_body *b = malloc(sizeof(*b));
    if (!b)
        return fg_fail(err, -FG_ENOMEM, "out of memory");
    int rc = yb_body_parse(body, len, b, err);
    if (rc == 0)
        rc = yb_sign_string_of(b, out, out_len, err);
    yb_body_release(b);
    free(b);
    return rc;
}
