/*
 * admin_int.h - private to src/admin: the admin plane's writes (each an
 * api_admin_write, api/admin_write.h) and reads, for its route table in
 * admin.c. Every handler's ctx is the struct api.
 */
#ifndef FG_ADMIN_INT_H
#define FG_ADMIN_INT_H

#include "api/admin_write.h"

extern const struct api_admin_write admin_currency_write;
extern const struct api_admin_write admin_customer_write;
extern const struct api_admin_write admin_customer_patch_write;
extern const struct api_admin_write admin_account_write;
extern const struct api_admin_write admin_deposit_write;
extern const struct api_admin_write admin_client_write;

/* The operator's ledger operations (admin_ledger.c). */
extern const struct api_admin_write admin_adjustment_write;
extern const struct api_admin_write admin_hold_write;
extern const struct api_admin_write admin_hold_post_write;
extern const struct api_admin_write admin_hold_void_write;
extern const struct api_admin_write admin_linked_write;

/* The operator reads (admin_reads.c): HTTP handlers. */
int admin_customers_get(struct http_req *req, void *ctx);
int admin_customer_get(struct http_req *req, void *ctx);
int admin_currencies_get(struct http_req *req, void *ctx);
int admin_clients_get(struct http_req *req, void *ctx);
int admin_account_get(struct http_req *req, void *ctx);
int admin_house_accounts_get(struct http_req *req, void *ctx);
int admin_transfer_get(struct http_req *req, void *ctx);
int admin_audit_get(struct http_req *req, void *ctx);
/* GET /admin/v1/accounts without uuid: a page of every account (after, limit,
 * optional owner, type, currency). Returns HTTP_DONE. */
int admin_accounts_page(struct api *api, struct http_req *req);

/* The web console's files (console.c; no token: every call they make is an
 * admin route). */
int admin_console_index(struct http_req *req, void *ctx);
int admin_console_file(struct http_req *req, void *ctx);

#endif
