/*
 * fx_admin.h - the FX core's admin surface (issue 12) and its settlement
 * sweep on a running server; the core itself is services/fx.h.
 *
 * Routes (bearer token, admin error envelope, writes audited):
 *   POST /admin/v1/rates            one rate (pair, bid, ask, max_age_s?, source?)
 *   POST /admin/v1/rates/load       many rates from CSV text ({"csv": ...}), or
 *                                   from a file ({"file": ...}, the bootstrap only)
 *   GET  /admin/v1/rates            every stored pair with its age
 *   POST /admin/v1/fx/settle        run the settlement sweep now
 *   GET  /admin/v1/fx/positions     the house's position per currency (?currency=)
 *   GET  /admin/v1/fx/exchanges     a page of exchanges, every family, in trade id
 *                                   order (?after=&limit=&state=&family=)
 *   GET  /admin/v1/fx/exchanges/{}  one exchange by trade id
 *
 * The sweep: fx_sweeper_start runs a thread that every
 * FG_FX_SETTLE_INTERVAL_MS looks (on its read connection) for exchanges due
 * and, when there are, runs fx_settle_due as a command on the engine's
 * writer. fx_sweeper_stop joins it; call it before the engine stops.
 *
 * `fundgate rates load FILE` (fx_rates_load_main) applies a CSV file to a
 * store directly, in one transaction, through the same parser and core.
 */
#ifndef FG_FX_ADMIN_H
#define FG_FX_ADMIN_H

#include "http/http.h"

struct engine;

const struct http_route *fx_admin_routes(int *count);
/* Start the periodic sweep over e (idempotent); 0 or -FG_EINTERNAL. */
int fx_sweeper_start(struct engine *e);
void fx_sweeper_stop(void);
/* The `fundgate rates load` command: argv[0] is "load". Exit code. */
int fx_rates_load_main(int argc, char **argv);

#endif
