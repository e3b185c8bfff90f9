/*
 * openapi.h - the routes that describe the server: GET /openapi.json (the
 * OpenAPI 3.1 document built into the binary) and GET /.
 */
#ifndef FG_OPENAPI_H
#define FG_OPENAPI_H

#include "http/http.h"

extern const struct http_route app_openapi_routes[];
extern const int app_openapi_route_count;

#endif
