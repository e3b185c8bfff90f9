/*
 * store.c - backend-independent half of the store interface (see store.h):
 * choosing a backend by URI, the wrappers that dispatch through a store's ops,
 * and the row accessors, which dispatch through the row's own ops.
 */
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#include "core/assert.h"
#include "store/store_backend.h"

struct store_arg store_arg_text(const char *s)
{
    if (!s)
        return SA_NULL;
    return SA_TEXTN(s, strlen(s));
}

int64_t store_row_int(struct store_row *row, int col)
{
    return row->ops->int_at(row->impl, col);
}

bool store_row_is_null(struct store_row *row, int col)
{
    return row->ops->is_null(row->impl, col);
}

const char *store_row_text(struct store_row *row, int col, size_t *len)
{
    return row->ops->text(row->impl, col, len);
}

size_t store_row_text_copy(struct store_row *row, int col, char *buf, size_t cap)
{
    FG_ASSERT(buf && cap > 0);
    size_t len = 0;
    const char *p = row->ops->text(row->impl, col, &len);
    if (!p)
        len = 0;
    if (len > cap - 1)
        len = cap - 1;
    if (len)
        memcpy(buf, p, len);
    buf[len] = '\0';
    return len;
}

int store_row_columns(struct store_row *row)
{
    return row->ops->columns(row->impl);
}

static struct store_base *base_of(struct store *s)
{
    return (struct store_base *)(void *)s;
}

static void overlay_discard(struct store *s)
{
    struct store_base *b = base_of(s);
    if (b->overlay)
        b->overlay->discard(b->overlay_ctx);
}

/* After a failed call in a write transaction: if the database ended the
 * transaction itself, the store turns "ended" (store.h): its writes are gone,
 * and so is whatever the overlay held of them. */
static int after_failure(struct store *s, int rc)
{
    struct store_base *b = base_of(s);
    if (rc >= 0 || !b->write_tx || b->ended_rc)
        return rc;
    if (rc == -FG_EBUSY)
        b->conflicted = true;
    if (store_ops_of(s)->txn_state(s) == STORE_TXN_NONE) {
        b->ended_rc = rc;
        store_generation_bump();
        overlay_discard(s);
    }
    return rc;
}

/* Nothing runs in an ended transaction: it would run in autocommit. */
static int refuse_if_ended(struct store *s, const char *what, struct fg_err *err)
{
    struct store_base *b = base_of(s);
    if (!b->ended_rc)
        return 0;
    return fg_fail(err, -FG_ESTORE,
                   "store: %s refused: the database ended the transaction at an earlier error "
                   "(%s); roll back first",
                   what, fg_code_name(b->ended_rc));
}

/* Test faults: an I/O error that makes the database roll back the whole
 * transaction, as SQLite does (the ROLLBACK is sent behind the store's back,
 * so the store sees exactly what a real error leaves). */
static bool fault_due(struct store *s, enum store_fault fault)
{
    struct store_base *b = base_of(s);
    if (b->fault != fault || !b->write_tx || --b->fault_nth > 0)
        return false;
    b->fault = STORE_FAULT_NONE;
    return true;
}

static int fault_inject(struct store *s, const char *what, struct fg_err *err)
{
    store_ops_of(s)->exec(s, "ROLLBACK", NULL, 0, NULL, NULL, NULL, NULL);
    return after_failure(s, fg_fail(err, -FG_ESTORE,
                                    "injected fault: %s failed with an I/O error and the "
                                    "database ended the transaction",
                                    what));
}

/* A serialization failure: PostgreSQL fails the transaction (the cast below
 * fails there and is harmless in SQLite, whose transaction stays open). */
static int fault_conflict(struct store *s, struct fg_err *err)
{
    store_ops_of(s)->exec(s, "SELECT CAST('conflict' AS INTEGER)", NULL, 0, NULL, NULL, NULL, NULL);
    return after_failure(
        s, fg_fail(err, -FG_EBUSY, "injected fault: a serialization failure (40001)"));
}

static int exec_guarded(struct store *s, const char *sql, const struct store_arg *args, int nargs,
                        store_row_fn fn, void *ctx, int64_t *changes, struct fg_err *err)
{
    if (changes)
        *changes = 0;
    int rc = refuse_if_ended(s, "statement", err);
    if (rc < 0)
        return rc;
    if (fault_due(s, STORE_FAULT_STATEMENT))
        return fault_inject(s, "a statement", err);
    if (fault_due(s, STORE_FAULT_CONFLICT))
        return fault_conflict(s, err);
    rc = store_ops_of(s)->exec(s, sql, args, nargs, fn, ctx, changes, err);
    return after_failure(s, rc);
}

int store_exec(struct store *s, const char *sql, const struct store_arg *args, int nargs,
               store_row_fn fn, void *ctx, struct fg_err *err)
{
    return exec_guarded(s, sql, args, nargs, fn, ctx, NULL, err);
}

int store_exec_changes(struct store *s, const char *sql, const struct store_arg *args, int nargs,
                       int64_t *changes, struct fg_err *err)
{
    return exec_guarded(s, sql, args, nargs, NULL, NULL, changes, err);
}

struct first_int {
    bool found;
    int64_t value;
};

static int first_int_row(void *ctx, struct store_row *row)
{
    struct first_int *fi = ctx;
    fi->found = true;
    fi->value = store_row_int(row, 0);
    return 1;
}

int store_query_int(struct store *s, const char *sql, const struct store_arg *args, int nargs,
                    int64_t *out, struct fg_err *err)
{
    struct first_int fi = {0};
    int rc = exec_guarded(s, sql, args, nargs, first_int_row, &fi, NULL, err);
    if (rc < 0)
        return rc;
    if (!fi.found)
        return fg_fail(err, -FG_ENOT_FOUND, "query returned no row");
    if (out)
        *out = fi.value;
    return 0;
}

void store_overlay_set(struct store *s, const struct store_overlay *ov, void *ctx)
{
    struct store_base *b = base_of(s);
    FG_ASSERT(!b->overlay || !ov); /* one per connection */
    b->overlay = ov;
    b->overlay_ctx = ctx;
}

void *store_overlay_of(struct store *s, const struct store_overlay *ov)
{
    struct store_base *b = base_of(s);
    return b->overlay == ov ? b->overlay_ctx : NULL;
}

static int overlay_flush(struct store *s, struct fg_err *err)
{
    struct store_base *b = base_of(s);
    return b->overlay ? b->overlay->flush(b->overlay_ctx, s, err) : 0;
}

bool store_in_write_tx(struct store *s)
{
    return base_of(s)->write_tx;
}

int store_data_version(struct store *s, int64_t *out, struct fg_err *err)
{
    return store_ops_of(s)->data_version(s, out, err);
}

enum store_txn store_txn_state(struct store *s)
{
    return base_of(s)->ended_rc ? STORE_TXN_NONE : store_ops_of(s)->txn_state(s);
}

bool store_txn_active(struct store *s)
{
    return store_txn_state(s) == STORE_TXN_OPEN;
}

bool store_txn_conflicted(struct store *s)
{
    return base_of(s)->conflicted;
}

int store_begin(struct store *s, struct fg_err *err)
{
    int rc = store_ops_of(s)->begin(s, err);
    struct store_base *b = base_of(s);
    b->write_tx = rc == 0;
    b->ended_rc = 0;
    b->conflicted = rc == -FG_EBUSY;
    if (rc == 0 && b->overlay && (rc = b->overlay->begin(b->overlay_ctx, s, err)) < 0)
        store_rollback(s);
    return rc;
}

int store_begin_read(struct store *s, struct fg_err *err)
{
    return store_ops_of(s)->begin_read(s, err);
}

int store_commit(struct store *s, struct fg_err *err)
{
    int rc = refuse_if_ended(s, "commit", err);
    if (rc == 0)
        rc = overlay_flush(s, err);
    if (rc < 0) {
        store_rollback(s);
        return rc;
    }
    rc = store_ops_of(s)->commit(s, err);
    base_of(s)->write_tx = false;
    if (rc < 0)
        overlay_discard(s); /* a failed COMMIT leaves nothing of the transaction */
    return rc;
}

int store_rollback(struct store *s)
{
    int rc = store_ops_of(s)->rollback(s);
    struct store_base *b = base_of(s);
    b->write_tx = false;
    b->ended_rc = 0;
    overlay_discard(s);
    return rc;
}

int store_savepoint(struct store *s, const char *name, struct fg_err *err)
{
    int rc = refuse_if_ended(s, "savepoint", err);
    if (rc == 0)
        rc = overlay_flush(s, err);
    if (rc < 0)
        return after_failure(s, rc);
    if (fault_due(s, STORE_FAULT_SAVEPOINT))
        return fault_inject(s, "SAVEPOINT", err);
    return after_failure(s, store_ops_of(s)->savepoint(s, name, err));
}

int store_release(struct store *s, const char *name, struct fg_err *err)
{
    int rc = refuse_if_ended(s, "release", err);
    if (rc < 0)
        return rc;
    return after_failure(s, store_ops_of(s)->release(s, name, err));
}

int store_rollback_to(struct store *s, const char *name, struct fg_err *err)
{
    int rc = refuse_if_ended(s, "rollback to", err);
    if (rc == 0)
        rc = after_failure(s, store_ops_of(s)->rollback_to(s, name, err));
    overlay_discard(s);
    return rc;
}

void store_fault_arm(struct store *s, enum store_fault fault, int nth)
{
    struct store_base *b = base_of(s);
    b->fault = nth > 0 ? fault : STORE_FAULT_NONE;
    b->fault_nth = nth;
}

int store_listen(struct store *s, const char *channel, struct fg_err *err)
{
    return store_ops_of(s)->listen(s, channel, err);
}

int store_wait_notice(struct store *s, int timeout_ms, struct fg_err *err)
{
    return store_ops_of(s)->wait_notice(s, timeout_ms, err);
}

int store_fault_limit_pages(struct store *s, int64_t extra_pages, struct fg_err *err)
{
    return store_ops_of(s)->limit_pages(s, extra_pages, err);
}

int64_t store_last_insert_id(struct store *s)
{
    return store_ops_of(s)->last_insert_id(s);
}

static uint64_t generation;

uint64_t store_generation(void)
{
    return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

void store_generation_bump(void)
{
    __atomic_add_fetch(&generation, 1, __ATOMIC_ACQ_REL);
}

int64_t store_changes_total(struct store *s)
{
    return store_ops_of(s)->changes_total(s);
}

int store_open_peer(struct store *s, struct store **out, struct fg_err *err)
{
    return store_ops_of(s)->open_peer(s, out, err);
}

int store_checkpoint(struct store *s, struct fg_err *err)
{
    return store_ops_of(s)->checkpoint(s, err);
}

void store_checkpoints_hand_off(struct store *s)
{
    store_ops_of(s)->checkpoints_hand_off(s);
}

int64_t store_log_pages(struct store *s)
{
    return store_ops_of(s)->log_pages(s);
}

void store_close(struct store *s)
{
    if (!s)
        return;
    struct store_base *b = base_of(s);
    if (b->overlay && b->overlay->destroy)
        b->overlay->destroy(b->overlay_ctx);
    b->overlay = NULL;
    store_ops_of(s)->close(s);
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* libpq's keyword/value form starts with one of its keywords. */
static bool is_pg_conninfo(const char *uri)
{
    static const char *const keywords[] = {
        "host=", "hostaddr=", "dbname=", "service=", "user=", "port=", "password=", NULL};
    while (*uri == ' ')
        uri++;
    for (int i = 0; keywords[i]; i++)
        if (starts_with(uri, keywords[i]))
            return true;
    return false;
}

const struct store_ops *store_backend_for(const char *uri)
{
    if (starts_with(uri, "postgresql://") || starts_with(uri, "postgres://") || is_pg_conninfo(uri))
        return &store_pg_ops;
    return &store_sqlite_ops;
}

/* Replace buf[from, to) by "***" (never longer than what it replaces). */
static void mask(char *from, char *to)
{
    if (to - from < 3) {
        memset(from, '*', (size_t)(to - from));
        return;
    }
    memcpy(from, "***", 3);
    memmove(from + 3, to, strlen(to) + 1);
}

void store_uri_redact(const char *uri, char *buf, size_t cap)
{
    FG_ASSERT(buf && cap > 0);
    snprintf(buf, cap, "%s", uri ? uri : "");
    char *scheme = strstr(buf, "://");
    char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    char *colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
    if (colon) /* postgresql://user:secret@host -> postgresql://user:***@host */
        mask(colon + 1, at);
    for (char *p = strstr(buf, "password="); p; p = strstr(p + 1, "password="))
        mask(p + 9, p + 9 + strcspn(p + 9, " &"));
}

int store_open(const char *uri, bool migrate, struct store **out, struct fg_err *err)
{
    FG_ASSERT(out);
    *out = NULL;
    if (!uri || !*uri)
        return fg_fail(err, -FG_ESTORE, "store uri is empty");
    const struct store_ops *ops = store_backend_for(uri);
    struct store *s = NULL;
    int rc = ops->open(uri, &s, err);
    if (rc < 0)
        return rc;
    if (migrate) {
        rc = ops->migrate(s, err);
        if (rc < 0)
            goto close_store;
    }
    *out = s;
    return 0;

close_store:
    ops->close(s);
    return rc;
}
