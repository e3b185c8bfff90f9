/*
 * outbox.c - the outbox table: its rows, the retry schedule and the
 * families' deliveries; the contract (states, schedule, invariants, threads)
 * is outbox.h. The dispatcher that delivers the rows is the outbox entry's
 * (src/families/outbox/outbox_dispatch.c): it runs threads of its own and
 * goes through the engine, a layer this one does not include.
 */
#include "services/outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/store.h"

const char *const outbox_status_names[] = {"pending", "delivered", "dead", NULL};

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)

/* After the nth failed try (index n - 1): the wait before the next. */
static const int64_t schedule_ms[FG_OUTBOX_TRIES_MAX - 1] = {
    2 * MIN_MS, 10 * MIN_MS, 10 * MIN_MS, HOUR_MS, 2 * HOUR_MS, 6 * HOUR_MS, 15 * HOUR_MS};

int64_t outbox_delay_ms(int tries)
{
    if (tries < 1 || tries >= FG_OUTBOX_TRIES_MAX)
        return -1;
    return schedule_ms[tries - 1];
}

void outbox_row_release(struct outbox_row *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

/* --- the table ------------------------------------------------------------------ */

static bool text_ok(const char *s, size_t cap)
{
    return s && s[0] && strlen(s) < cap;
}

int outbox_enqueue(struct store *s, int64_t now_ms, const struct outbox_new *n, struct fg_err *err)
{
    if (!text_ok(n->notification_id, OUTBOX_ID_BYTES) || !text_ok(n->family, OUTBOX_FAMILY_BYTES) ||
        !text_ok(n->client_key, FG_NAME_BYTES_MAX + 1) || !text_ok(n->kind, OUTBOX_FAMILY_BYTES) ||
        !text_ok(n->ref, OUTBOX_ID_BYTES) || !text_ok(n->url, OUTBOX_URL_BYTES) ||
        n->body_len == 0 || n->body_len > FG_OUTBOX_BODY_BYTES_MAX)
        return fg_fail(err, -FG_EBAD_REQUEST, "an outbox row out of its bounds (%s)",
                       n->notification_id ? n->notification_id : "no id");
    return store_exec_changes(
        s,
        "INSERT INTO outbox (notification_id, family, client_key, kind, ref, url, body, status, "
        "tries, next_ms, last_ms, last_http, last_error, created_ms, done_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, ?, 0, 0, '', ?, 0)",
        STORE_ARGS(SA_TEXT(n->notification_id), SA_TEXT(n->family), SA_TEXT(n->client_key),
                   SA_TEXT(n->kind), SA_TEXT(n->ref), SA_TEXT(n->url),
                   SA_TEXTN(n->body, n->body_len), SA_INT(now_ms), SA_INT(now_ms)),
        NULL, err);
}

int outbox_retry(struct store *s, int64_t id, int64_t now_ms, struct fg_err *err)
{
    int64_t changes = 0;
    int rc = store_exec_changes(s,
                                "UPDATE outbox SET status = 0, tries = 0, next_ms = ?, done_ms = 0 "
                                "WHERE id = ?",
                                STORE_ARGS(SA_INT(now_ms), SA_INT(id)), &changes, err);
    if (rc == 0 && changes == 0)
        rc = fg_fail(err, -FG_ENOT_FOUND, "no outbox row %lld", (long long)id);
    return rc;
}

#define ROW_COLUMNS OUTBOX_ROW_COLUMNS

/* One row into r (its body malloc'd). */
int outbox_row_read(struct store_row *row, struct outbox_row *r)
{
    memset(r, 0, sizeof(*r));
    r->id = store_row_int(row, 0);
    store_row_text_copy(row, 1, r->notification_id, sizeof(r->notification_id));
    store_row_text_copy(row, 2, r->family, sizeof(r->family));
    store_row_text_copy(row, 3, r->client_key, sizeof(r->client_key));
    store_row_text_copy(row, 4, r->kind, sizeof(r->kind));
    store_row_text_copy(row, 5, r->ref, sizeof(r->ref));
    store_row_text_copy(row, 6, r->url, sizeof(r->url));
    size_t n = 0;
    const char *body = store_row_text(row, 7, &n);
    int64_t status = store_row_int(row, 8);
    if (!body || n > FG_OUTBOX_BODY_BYTES_MAX || status < OUTBOX_PENDING || status > OUTBOX_DEAD)
        return -FG_EINTERNAL; /* no enqueue writes such a row */
    if (!(r->body = malloc(n + 1)))
        return -FG_ENOMEM;
    memcpy(r->body, body, n);
    r->body[n] = '\0';
    r->body_len = n;
    r->status = (enum outbox_status)status;
    r->tries = (int)store_row_int(row, 9);
    r->next_ms = store_row_int(row, 10);
    r->last_ms = store_row_int(row, 11);
    r->last_http = (int)store_row_int(row, 12);
    store_row_text_copy(row, 13, r->last_error, sizeof(r->last_error));
    r->created_ms = store_row_int(row, 14);
    r->done_ms = store_row_int(row, 15);
    return 0;
}

static int get_row(void *ctx, struct store_row *row)
{
    int rc = outbox_row_read(row, ctx);
    return rc < 0 ? rc : 1;
}

int outbox_get(struct store *s, int64_t id, struct outbox_row *out, struct fg_err *err)
{
    memset(out, 0, sizeof(*out));
    int rc = store_exec(s, "SELECT " ROW_COLUMNS " FROM outbox WHERE id = ?",
                        STORE_ARGS(SA_INT(id)), get_row, out, err);
    if (rc == -FG_EINTERNAL || rc == -FG_ENOMEM)
        rc = fg_fail(err, rc, "outbox row %lld cannot be read", (long long)id);
    if (rc == 0 && out->id == 0)
        rc = fg_fail(err, -FG_ENOT_FOUND, "no outbox row %lld", (long long)id);
    if (rc < 0)
        outbox_row_release(out);
    return rc;
}

struct list_ctx {
    outbox_row_fn fn;
    void *ctx;
    int limit, seen;
};

static int list_row(void *ctx, struct store_row *row)
{
    struct list_ctx *l = ctx;
    if (++l->seen > l->limit)
        return 1; /* the one past the page: there is more */
    struct outbox_row r;
    int rc = outbox_row_read(row, &r);
    if (rc == 0)
        rc = l->fn(l->ctx, &r);
    outbox_row_release(&r);
    return rc < 0 ? rc : 0;
}

int outbox_list(struct store *s, int status, int64_t after, int limit, outbox_row_fn fn, void *ctx,
                bool *more, struct fg_err *err)
{
    if (limit < 1 || limit > FG_PAGE_LIMIT_MAX)
        return fg_fail(err, -FG_EBAD_FIELD, "limit must be 1 to %d", FG_PAGE_LIMIT_MAX);
    struct list_ctx l = {.fn = fn, .ctx = ctx, .limit = limit};
    int rc =
        status < 0
            ? store_exec(s, "SELECT " ROW_COLUMNS " FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
                         STORE_ARGS(SA_INT(after), SA_INT(limit + 1)), list_row, &l, err)
            : store_exec(s,
                         "SELECT " ROW_COLUMNS " FROM outbox WHERE status = ? AND id > ? "
                         "ORDER BY id LIMIT ?",
                         STORE_ARGS(SA_INT(status), SA_INT(after), SA_INT(limit + 1)), list_row, &l,
                         err);
    *more = l.seen > limit;
    return rc;
}

struct stats_ctx {
    int64_t count, oldest;
};

static int stats_row(void *ctx, struct store_row *row)
{
    struct stats_ctx *c = ctx;
    c->count = store_row_int(row, 0);
    c->oldest = store_row_is_null(row, 1) ? 0 : store_row_int(row, 1);
    return 1;
}

int outbox_pending_stats(struct store *s, int64_t *count, int64_t *oldest_created_ms,
                         struct fg_err *err)
{
    struct stats_ctx c = {0, 0};
    int rc = store_exec(s, "SELECT COUNT(*), MIN(created_ms) FROM outbox WHERE status = 0",
                        STORE_NOARGS, stats_row, &c, err);
    *count = c.count;
    *oldest_created_ms = c.oldest;
    return rc;
}

/* --- families --------------------------------------------------------------------- */

static struct outbox_family families[FG_FX_FAMILIES_MAX];
static int family_count;

int outbox_family_set(const struct outbox_family *f)
{
    for (int i = 0; i < family_count; i++)
        if (strcmp(families[i].family, f->family) == 0) {
            families[i] = *f;
            return 0;
        }
    if (family_count == FG_FX_FAMILIES_MAX)
        return -FG_ELIMIT;
    families[family_count++] = *f;
    return 0;
}

const struct outbox_family *outbox_family_of(const char *name)
{
    for (int i = 0; i < family_count; i++)
        if (strcmp(families[i].family, name) == 0)
            return &families[i];
    return NULL;
}
