/*
 * admin.h - what other modules may use of the admin plane: its bearer-token
 * check and rate limit, so that families adding admin routes
 * (families/funds_admin.c) share them.
 */
#ifndef FG_ADMIN_H
#define FG_ADMIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

struct customer;
struct ledger_account;
struct ledger_transfer;

/* The request carries the admin bearer token (or is an internal bootstrap request). */
bool admin_authorized(struct http_req *req);
/* The gate of every admin route: the bearer token (else 401 unauthorized),
 * then the admin token's rate limit (else 429 rate_limited, with Retry-After).
 * Answers the refusal itself and returns false. */
bool admin_request_allowed(struct http_req *req);

/* The admin plane's JSON shapes, shared by its files (admin.c, admin_reads.c,
 * admin_ledger.c): amounts with the currency's digits. New references. */
json_t *admin_account_json(const struct ledger_account *a, int digits);
json_t *admin_transfer_json(const struct ledger_transfer *t, int digits);
json_t *admin_customer_json(const struct customer *c);

/* Routes of the operator reads (admin_reads.c) and ledger operations
 * (admin_ledger.c), added to the admin plane's table. */
const struct http_route *admin_reads_routes(int *count);
/* GET /admin/v1/accounts without uuid: a page of every account (after, limit,
 * optional owner, type, currency). Returns HTTP_DONE. */
int admin_accounts_page(struct http_req *req);
const struct http_route *admin_ledger_routes(int *count);

#endif
