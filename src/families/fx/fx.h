/*
 * fx.h - the FX core's entry in the family list (issue 12; issue 11 seams):
 * the admin surface of the shared FX core (services/fx.h), its settlement
 * job on the writer, its error space and bootstrap sections, and the
 * `fundgate rates load` command. It speaks no partner protocol of its own:
 * the FX families (YabandPay, WorldFirst) are entries of their own and
 * reach the core through services/fx.h, never through this directory.
 *
 * Admin routes (bearer token, admin error envelope, writes audited):
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
 * The settlement sweep is a periodic job of the engine's writer
 * (engine.h): at most once every FG_FX_SETTLE_INTERVAL_MS it settles up to
 * FG_FX_SETTLE_BATCH_MAX exchanges whose value day has come (fx_settle_due),
 * inside the batch's transaction, in its own savepoint; a family's
 * final-state hook (fx_final_hook_set) runs in the same savepoint as the
 * state change it follows.
 *
 * Bootstrap sections: "rates" (POST /admin/v1/rates) and "rates_csv" (POST
 * /admin/v1/rates/load, its "file" relative to the bootstrap file).
 */
#ifndef FG_FAMILIES_FX_H
#define FG_FAMILIES_FX_H

#include "api/family.h"

extern const struct api_family fx_family;

#endif
