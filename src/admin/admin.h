/*
 * admin.h - what other modules may use of the admin plane: its bearer-token
 * check, so that families adding admin routes (families/funds.c) share it.
 */
#ifndef FG_ADMIN_H
#define FG_ADMIN_H

#include <stdbool.h>

#include "http/http.h"

/* The request carries the admin bearer token (or is an internal bootstrap request). */
bool admin_authorized(struct http_req *req);

#endif
