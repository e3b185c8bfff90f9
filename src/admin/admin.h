/*
 * admin.h - the admin plane (/admin/v1/...): currencies, customers, accounts,
 * deposits, transfers, reconciliation, API clients, the operator reads and
 * ledger operations (issue 15), the test hooks, and the web console's files
 * (/console/), as one entry of the family list (api/family.h). Its bootstrap
 * sections come first: currencies, customers, accounts, deposits, clients.
 *
 * Families add their own admin routes through their descriptors
 * (admin_routes) and gate them with api_admin_allowed (api/api.h).
 */
#ifndef FG_ADMIN_H
#define FG_ADMIN_H

#include "api/family.h"

extern const struct api_family admin_family;

#endif
