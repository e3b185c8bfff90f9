/* console.c - serving the web console's files; see console.h. */
#include "admin/console.h"
#include "admin/admin_int.h"

#include <stdio.h>
#include <string.h>

#include "api/assets.h"

static void security_headers(struct http_req *req)
{
    http_req_add_header(req, "Content-Security-Policy", CONSOLE_CSP);
    http_req_add_header(req, "X-Content-Type-Options", "nosniff");
    http_req_add_header(req, "Referrer-Policy", "no-referrer");
    http_req_add_header(req, "X-Frame-Options", "DENY");
    http_req_add_header(req, "Cache-Control", "no-cache");
}

static void serve(struct http_req *req, const char *url)
{
    const struct asset *a = asset_find(url);
    security_headers(req);
    if (!a) {
        http_req_error(req, -FG_ENOT_FOUND, "no such console file");
        return;
    }
    asset_respond(req, a);
}

int admin_console_index(struct http_req *req, void *ctx)
{
    (void)ctx;
    serve(req, "/console/index.html");
    return HTTP_DONE;
}

int admin_console_file(struct http_req *req, void *ctx)
{
    (void)ctx;
    char url[HTTP_PARAM_BYTES_MAX + 16];
    snprintf(url, sizeof(url), "/console/%s", req->params[0]);
    serve(req, url);
    return HTTP_DONE;
}
