/*
 * admin.h - what other modules may use of the admin plane: its bearer-token
 * check and rate limit, so that families adding admin routes
 * (families/funds_admin.c) share them.
 */
#ifndef FG_ADMIN_H
#define FG_ADMIN_H

#include <stdbool.h>

#include "http/http.h"

/* The request carries the admin bearer token (or is an internal bootstrap request). */
bool admin_authorized(struct http_req *req);
/* The gate of every admin route: the bearer token (else 401 unauthorized),
 * then the admin token's rate limit (else 429 rate_limited, with Retry-After).
 * Answers the refusal itself and returns false. */
bool admin_request_allowed(struct http_req *req);

#endif
