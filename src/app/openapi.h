/*
 * openapi.h - the routes that describe the server: GET /openapi.json (the
 * OpenAPI 3.1 document built into the binary) and GET /.
 */
#ifndef FG_OPENAPI_H
#define FG_OPENAPI_H

#include "http/http.h"

const struct http_route *openapi_routes(int *count);

#endif
