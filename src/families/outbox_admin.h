/*
 * outbox_admin.h - the outbox's admin surface (issue 13); the outbox itself
 * is services/outbox.h.
 *
 * Routes (bearer token, admin error envelope, writes audited):
 *   GET  /admin/v1/outbox?status=pending|delivered|dead&after=&limit=
 *        rows by id, oldest first, `next_after` the cursor (null on the last page)
 *   POST /admin/v1/outbox/{id}/retry
 *        the row PENDING again, due now, its tries back to 0 (any status)
 */
#ifndef FG_OUTBOX_ADMIN_H
#define FG_OUTBOX_ADMIN_H

#include "http/http.h"

const struct http_route *outbox_admin_routes(int *count);

#endif
