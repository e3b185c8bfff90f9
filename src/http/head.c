/* head.c - request head checks libmicrohttpd 0.9.75 does not make; see head.h. */
#include "http/head.h"

#include <string.h>
#include <strings.h>

#include "core/errors.h"
#include "core/utf8.h"

/* The in-place layout head.h relies on is libmicrohttpd 0.9.x's. */
#define HEAD_WALK (MHD_VERSION < 0x01000000)

struct walk {
    const char *prev_end; /* end of the previous line's last field */
    const char *head_end; /* one past the head's last byte */
    const char *head_start;
    const char *why;
    int content_length;
    int transfer_encoding;
    const char *te_value;
};

/* [from, to) holds only the NULs that replaced line ends: min..max of them. */
static bool nul_gap(const char *from, const char *to, long min, long max)
{
    if (to - from < min || to - from > max)
        return false;
    for (const char *p = from; p < to; p++)
        if (*p != '\0')
            return false;
    return true;
}

/* Field content: visible ASCII, obs-text, space and tab (RFC 9110 5.5). */
static bool value_chars_ok(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

/* A field name is a token (RFC 9110 5.1): no space, no control character,
 * none of "(),/:;<=>?@[\\]{}. */
static bool name_is_token(const char *k)
{
    if (!*k)
        return false;
    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *p))
            return false;
    return true;
}

static bool field_in_place(struct walk *w, const char *key, const char *value)
{
    if (key < w->head_start || value < key || value >= w->head_end)
        return false; /* moved (a folded line is joined elsewhere): refuse */
    if (!nul_gap(w->prev_end, key, 1, 2))
        return false;
    const char *colon = key + strlen(key);
    if (colon >= value)
        return false;
    for (const char *p = colon + 1; p < value; p++)
        if (*p != ' ' && *p != '\t')
            return false;
    w->prev_end = value + strlen(value);
    return w->prev_end < w->head_end;
}

static enum MHD_Result walk_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    struct walk *w = cls;
    (void)kind;
    if (!name_is_token(key)) {
        w->why = "a header name is not a token";
        return MHD_NO;
    }
    if (!value_chars_ok(value)) {
        w->why = "a header value contains a control character";
        return MHD_NO;
    }
    if (HEAD_WALK && !field_in_place(w, key, value)) {
        w->why = "a header contains a NUL byte or a folded line";
        return MHD_NO;
    }
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
        w->content_length++;
    if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        w->transfer_encoding++;
        w->te_value = value;
    }
    return MHD_YES;
}

static const char *framing_why(const struct walk *w)
{
    if (w->content_length > 1)
        return "more than one Content-Length header";
    if (w->transfer_encoding > 1)
        return "more than one Transfer-Encoding header";
    if (w->transfer_encoding && w->content_length)
        return "Transfer-Encoding and Content-Length together";
    if (w->transfer_encoding && strcasecmp(w->te_value, "chunked") != 0)
        return "Transfer-Encoding other than chunked";
    return NULL;
}

/* The method ran up to the space(s) before the target. */
static bool method_has_nul(const struct head_info *h)
{
    if (!HEAD_WALK)
        return false;
    const char *p = h->method + strlen(h->method) + 1; /* past the NUL that was a space */
    if (p > h->url)
        return true;
    for (; p < h->url; p++)
        if (*p != ' ')
            return true;
    return false;
}

static bool target_has_nul(const struct head_info *h)
{
    if (h->target_nul)
        return true;
    if (!HEAD_WALK)
        return false;
    /* The target ran up to the space before the version. */
    return h->version <= h->url || (size_t)(h->version - 1 - h->url) != h->raw_target_len;
}

static enum MHD_Result arg_utf8(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    bool *ok = cls;
    (void)kind;
    *ok = *ok && utf8_valid(key, strlen(key)) && (!value || utf8_valid(value, strlen(value)));
    return *ok ? MHD_YES : MHD_NO;
}

/* The decoded path and every query name and value are text: whatever reads
 * them (a store, a JSON answer) can take them as they are. */
static bool target_is_utf8(struct MHD_Connection *conn, const struct head_info *h)
{
    bool ok = utf8_valid(h->url, strlen(h->url));
    if (ok)
        MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, arg_utf8, &ok);
    return ok;
}

int head_check(struct MHD_Connection *conn, const struct head_info *h, const char **why)
{
    *why = NULL;
    if (method_has_nul(h) || target_has_nul(h)) {
        *why = "the request line contains a NUL byte";
        return -FG_EBAD_REQUEST;
    }
    if (!target_is_utf8(conn, h)) {
        *why = "the request's path or query, percent-decoded, is not UTF-8";
        return -FG_EBAD_REQUEST;
    }
    struct walk w = {.head_start = h->method};
    if (HEAD_WALK) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
        if (!ci || h->version <= h->method) {
            *why = "the request head could not be checked";
            return -FG_EBAD_REQUEST;
        }
        w.head_end = h->method + ci->header_size;
        w.prev_end = h->version + strlen(h->version);
    }
    MHD_get_connection_values(conn, MHD_HEADER_KIND, walk_field, &w);
    if (!w.why && HEAD_WALK && !nul_gap(w.prev_end, w.head_end, 2, 4))
        w.why = "a header contains a NUL byte";
    if (!w.why)
        w.why = framing_why(&w);
    *why = w.why;
    return w.why ? -FG_EBAD_REQUEST : 0;
}

const char *head_target_path(const char *url)
{
    size_t skip = 0;
    if (strncasecmp(url, "http://", 7) == 0)
        skip = 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        skip = 8;
    if (!skip)
        return url;
    const char *path = strchr(url + skip, '/');
    return path ? path : "/";
}
