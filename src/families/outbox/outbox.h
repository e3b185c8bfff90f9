/*
 * outbox.h - the outbox's entry in the family list (issue 13; issue 11
 * seams): the operator surface of the outbox (services/outbox.h) and its
 * dispatcher's threads. It speaks no partner protocol: the families that
 * notify (WorldFirst) write rows through services/outbox.h inside their own
 * transactions and register how their rows are delivered
 * (outbox_family_set) in their init; this entry starts the dispatcher once
 * the engine runs and stops it before the engine stops.
 *
 * Admin routes (bearer token, admin error envelope, writes audited):
 *   GET  /admin/v1/outbox?status=pending|delivered|dead&after=&limit=
 *        rows by id, oldest first, `next_after` the cursor (null on the last page)
 *   POST /admin/v1/outbox/{id}/retry
 *        the row PENDING again, due now, its tries back to 0 (any status)
 *
 * Threading: the dispatcher is a poller and delivery threads of its own
 * (outbox_dispatch.c), never the writer: it claims and records through
 * writer commands, and a receiver that never answers holds only its
 * delivery threads.
 */
#ifndef FG_FAMILIES_OUTBOX_H
#define FG_FAMILIES_OUTBOX_H

#include "api/family.h"

extern const struct api_family outbox_family;

#endif
