/*
 * router.h - private to src/http: the router entry the transport uses.
 *
 * Same as http_router_dispatch() (http.h) but also reports which route matched
 * (-1: none), so the transport can index per-route metrics without looking the
 * name up again.
 */
#ifndef FG_HTTP_ROUTER_H
#define FG_HTTP_ROUTER_H

#include "http/http.h"

int http_router_dispatch_at(const struct http_route *routes, int count, struct http_req *req,
                            int *matched);

#endif
