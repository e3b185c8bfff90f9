/*
 * admin_int.h - private to src/admin: the admin plane's writes (each an
 * api_admin_write, api/admin_write.h), for its route table in admin.c.
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

#endif
