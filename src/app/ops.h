/*
 * ops.h - private to src/app: the operations routes (no token): GET /healthz,
 * GET /readyz (503 while draining or when the store does not answer), GET
 * /metrics (Prometheus text). Their ctx is the struct api.
 */
#ifndef FG_APP_OPS_H
#define FG_APP_OPS_H

#include "http/http.h"

extern const struct http_route app_ops_routes[];
extern const int app_ops_route_count;

#endif
