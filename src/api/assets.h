/*
 * assets.h - files built into the binary: the API description (GET /openapi.json)
 * and the web console (GET /console/...).
 *
 * What it is for: serving a few static files without reading the disk or the
 * network at run time. The table is generated at build time by
 * cmake/embed.cmake from docs/openapi.json and the files of console/; it is read-only and
 * shared by every thread. Each entry's bytes are followed by a NUL (not
 * counted in len), so a text asset can be parsed as a C string.
 */
#ifndef FG_API_ASSETS_H
#define FG_API_ASSETS_H

#include <stddef.h>

#include "http/http.h"

struct asset {
    const char *url; /* "/openapi.json", "/console/app.js" */
    const unsigned char *data;
    size_t len;
};

/* The generated table (fg_assets.c in the build directory). */
extern const struct asset assets_table[];
extern const int assets_count;

/* The asset served at url, or NULL. */
const struct asset *asset_find(const char *url);
/* Its Content-Type, from the name's extension (application/octet-stream when unknown). */
const char *asset_content_type(const struct asset *a);
/* Answer req with the asset (200, its Content-Type, a copy of its bytes). */
void asset_respond(struct http_req *req, const struct asset *a);

#endif
