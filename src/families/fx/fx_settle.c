/*
 * fx_settle.c - the FX settlement sweep: a periodic job of the engine's
 * writer (engine.h), and POST /admin/v1/fx/settle, which runs the same
 * sweep now as an admin write.
 *
 * The job replaces a thread of its own: it runs at the start of a batch (or
 * on the writer's idle wake), at most once every FG_FX_SETTLE_INTERVAL_MS,
 * settles at most FG_FX_SETTLE_BATCH_MAX due exchanges a turn in its own
 * savepoint, and waits on nothing but the store. An exchange due while the
 * server was down is settled by the first turn after the start.
 */
#include <stdio.h>

#include "core/limits.h"
#include "core/log.h"
#include "families/fx/fx_int.h"
#include "services/fx.h"

static int settle_job_run(struct store *s, int64_t now_ms, int budget, int *done,
                          struct fg_err *err)
{
    struct fx_settle_report r = {0};
    int rc = fx_settle_due(s, now_ms, budget, &r, err);
    *done = rc == 0 ? r.settled + r.failed + r.deferred : 0;
    if (*done)
        fg_info(NULL, "fx sweep: %d settled, %d failed, %d deferred", r.settled, r.failed,
                r.deferred);
    return rc;
}

const struct engine_job fx_settle_job = {
    .name = "fx_settlement",
    .run = settle_job_run,
    .budget = FG_FX_SETTLE_BATCH_MAX,
    .interval_ms = FG_FX_SETTLE_INTERVAL_MS,
};

static int settle_run(struct api_cmd *c, struct store *s, int64_t now_ms,
                      struct api_write_result *out, struct fg_err *err)
{
    (void)c;
    struct fx_settle_report r;
    int rc = fx_settle_due(s, now_ms, FG_FX_SETTLE_BATCH_MAX, &r, err);
    if (rc < 0)
        return rc;
    int done = r.settled + r.failed + r.deferred;
    out->body = json_pack("{s:i,s:i,s:i,s:b,s:o}", "settled", r.settled, "failed", r.failed,
                          "deferred", r.deferred, "more", done == FG_FX_SETTLE_BATCH_MAX, "as_of",
                          fx_time_text(now_ms));
    snprintf(out->target, sizeof(out->target), "fx");
    return 0;
}

static const struct field_spec no_fields[] = {{0}};

/* An empty body or {}. */
const struct api_admin_write fx_settle_write = {
    .fields = no_fields,
    .empty_ok = true,
    .run = settle_run,
};
