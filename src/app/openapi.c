/*
 * openapi.c - GET /openapi.json (the API description, docs/openapi.json built
 * into the binary) and GET / (where to go from the root).
 *
 * The document lists every route of the server; tests/unit/test_openapi.c
 * checks that its paths and the route table are the same set, and `make test`
 * lints it with Redocly. No token: it describes, it reveals no data.
 */
#include "app/openapi.h"

#include <stdio.h>
#include <string.h>

#include "api/assets.h"

static int openapi_get(struct http_req *req, void *ctx)
{
    (void)ctx;
    const struct asset *a = asset_find("/openapi.json");
    if (!a) {
        http_req_error(req, -FG_ENOT_FOUND, "this build has no API description");
        return HTTP_DONE;
    }
    asset_respond(req, a);
    return HTTP_DONE;
}

/* A browser (Accept: text/html) goes to the console; anything else gets the
 * map of the server in JSON. */
static int root_get(struct http_req *req, void *ctx)
{
    (void)ctx;
    const char *accept = http_req_header(req, "Accept");
    if (accept && strstr(accept, "text/html")) {
        http_req_add_header(req, "Location", "/console/");
        http_req_respond_copy(req, 302, NULL, 0);
        return HTTP_DONE;
    }
    char body[512];
    int n = snprintf(body, sizeof(body),
                     "{\"name\":\"fundgate\",\"version\":\"%s\",\"openapi\":\"/openapi.json\","
                     "\"console\":\"/console/\",\"admin\":\"/admin/v1/\",\"health\":\"/healthz\","
                     "\"ready\":\"/readyz\",\"metrics\":\"/metrics\"}",
                     FG_VERSION);
    http_req_respond_copy(req, 200, body, (size_t)n);
    return HTTP_DONE;
}

const struct http_route app_openapi_routes[] = {
    {"GET", "/openapi.json", openapi_get, NULL, "openapi"},
    {"GET", "/", root_get, NULL, "root"},
};

const int app_openapi_route_count =
    (int)(sizeof(app_openapi_routes) / sizeof(app_openapi_routes[0]));
