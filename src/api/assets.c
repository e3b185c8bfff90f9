/* assets.c - lookup and serving of the files built into the binary; see assets.h. */
#include "api/assets.h"

#include <string.h>

const struct asset *asset_find(const char *url)
{
    for (int i = 0; i < assets_count; i++)
        if (strcmp(assets_table[i].url, url) == 0)
            return &assets_table[i];
    return NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

const char *asset_content_type(const struct asset *a)
{
    static const struct {
        const char *ext;
        const char *type;
    } types[] = {
        {".json", "application/json"},
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (ends_with(a->url, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

void asset_respond(struct http_req *req, const struct asset *a)
{
    req->content_type = asset_content_type(a);
    http_req_respond_copy(req, 200, (const char *)a->data, a->len);
}
