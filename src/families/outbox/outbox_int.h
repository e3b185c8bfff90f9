/*
 * outbox_int.h - private to src/families/outbox: the pieces its files share
 * (outbox.h has the contract).
 *
 *   outbox_admin.c     the admin routes and the descriptor
 *   outbox_dispatch.c  the dispatcher's threads
 */
#ifndef FG_FAMILIES_OUTBOX_INT_H
#define FG_FAMILIES_OUTBOX_INT_H

#include "api/api.h"
#include "api/family.h"
#include "core/errors.h"
#include "families/outbox/outbox.h"
#include "http/http.h"

struct engine;

/* Start the dispatcher over a running engine, reading from db_uri on a
 * connection of its own (idempotent). Registers its metrics:
 * fundgate_outbox_pending, fundgate_outbox_oldest_pending_age_seconds,
 * fundgate_outbox_deliveries_total, fundgate_outbox_failures_total,
 * fundgate_outbox_dead_total. */
int outbox_dispatcher_start(struct engine *e, const char *db_uri, struct fg_err *err);
/* Stop it: tries in flight are cut short, unrecorded; joins every thread.
 * Call before the engine stops. Idempotent. */
void outbox_dispatcher_stop(void);

#endif
