/*
 * fx_int.h - private to src/families/fx: the pieces its descriptor
 * (fx_admin.c) lists. Every handler's ctx is the struct api.
 */
#ifndef FG_FX_INT_H
#define FG_FX_INT_H

#include <jansson.h>
#include <stddef.h>

#include "api/admin_write.h"
#include "core/fxrate.h"
#include "engine/engine.h"

#define FX_ADMIN_DEFAULT_SOURCE "admin"

/* The writes (fx_rates.c, fx_settle.c). */
extern const struct api_admin_write fx_rate_write;
extern const struct api_admin_write fx_rates_load_write;
extern const struct api_admin_write fx_settle_write;
/* The settlement sweep (fx_settle.c). */
extern const struct engine_job fx_settle_job;
/* `fundgate rates load` (fx_rates.c): argv[0] is "rates". */
int fx_rates_main(int argc, char **argv);

/* The reads (fx_admin.c). */
int fx_admin_rates_get(struct http_req *req, void *ctx);
int fx_admin_positions_get(struct http_req *req, void *ctx);
int fx_admin_exchanges_get(struct http_req *req, void *ctx);
int fx_admin_exchange_get(struct http_req *req, void *ctx);

/* Shapes shared by the files: a rate as an exact decimal, a time as ISO 8601. */
json_t *fx_rate_text(struct fxrate r);
json_t *fx_time_text(int64_t ms);

#endif
