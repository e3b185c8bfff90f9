/*
 * store_sqlite.c - the SQLite backend of the store interface (see store.h).
 *
 * One struct store is one sqlite3 connection opened NOMUTEX: store.h already
 * requires one thread at a time per connection, so SQLite's own mutexes would
 * only cost. File databases run in WAL mode with synchronous=FULL: a commit is
 * durable when it returns, and readers on other connections keep their snapshot
 * while the writer commits (README "Architecture": reads never wait for the writer).
 *
 * Statement cache: an open-addressing table (linear probing) keyed by the SQL
 * text's address, because hashing the text on every exec would cost as much as
 * a lookup saves. Invariants:
 *  1. At most FG_STORE_STMT_CACHE_MAX entries live in twice as many slots, so a
 *     probe always ends at the key or an empty slot. Entries are never deleted
 *     one by one (that would break probe chains); when the cache is full, every
 *     entry not in use is finalized and the table is rebuilt.
 *  2. Whenever exec returns, the statement it ran is reset and its bindings
 *     cleared, so no cached statement holds a read transaction or argument
 *     pointers that outlive the call.
 *  3. An entry in use (busy: a row callback may run another exec) is never
 *     finalized; a nested exec of the same text prepares a one-off statement.
 *  4. An entry keeps a copy of its text; a hit whose text differs (a buffer
 *     reused for other SQL) is re-prepared, never run with the old plan.
 *
 * Transactions: idle -(begin | begin_read)-> in_tx -(commit | rollback)-> idle.
 * SQLite's autocommit flag is the state, so nothing here can drift from it. A
 * COMMIT that fails leaves SQLite in the transaction; we roll back so the
 * connection is idle and usable again, as store.h promises.
 */
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/limits.h"
#include "store/schema.h"
#include "store/store_backend.h"

#define STMT_SLOT_BITS 9
#define STMT_SLOTS (1u << STMT_SLOT_BITS)
static_assert(STMT_SLOTS >= 2 * FG_STORE_STMT_CACHE_MAX, "cache table at most half full");

struct stmt_slot {
    const char *key; /* the caller's SQL address; NULL when the slot is empty */
    char *text;      /* copy of the SQL, to detect a reused address */
    sqlite3_stmt *stmt;
    bool busy;
};

#define SAVEPOINT_STMTS_MAX 16

struct store {
    struct store_base base; /* first, so store_ops_of works */
    sqlite3 *db;
    bool write_tx;     /* a BEGIN IMMEDIATE not yet committed or rolled back */
    int64_t log_pages; /* WAL frames after the last commit (hand_off only) */
    int stmt_count;
    struct stmt_slot slots[STMT_SLOTS];
    /* Savepoint statements, prepared once: the engine runs three per command. */
    int savepoint_count;
    struct {
        char sql[32 + FG_STORE_SAVEPOINT_NAME_BYTES_MAX];
        sqlite3_stmt *stmt;
    } savepoints[SAVEPOINT_STMTS_MAX];
};

/* A statement borrowed for one exec: from the cache, or one-off. */
struct stmt_use {
    sqlite3_stmt *stmt;
    const char *key;
    bool cached;
    bool several; /* the text holds more than one statement; stmt is NULL */
};

static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_begin_read[] = "BEGIN";
/* Any read of the database starts the WAL read transaction, fixing the snapshot. */
static const char sql_snapshot[] = "SELECT 1 FROM sqlite_schema LIMIT 1";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_user_version[] = "PRAGMA user_version";
static const char sql_journal_wal[] = "PRAGMA journal_mode=WAL";
static const char sql_pragmas[] = "PRAGMA synchronous=FULL;"
                                  "PRAGMA foreign_keys=ON;"
                                  "PRAGMA temp_store=MEMORY;"
                                  "PRAGMA cache_size=-65536;";

/* Map a SQLite result code to ours, with the database's message. */
static int fail_db(sqlite3 *db, int rc, struct fg_err *err, const char *what)
{
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        return fg_fail(err, -FG_ECONSTRAINT, "sqlite %s: %s", what, msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return fg_fail(err, -FG_EBUSY, "sqlite %s: %s", what, msg);
    default:
        return fg_fail(err, -FG_ESTORE, "sqlite %s: %s", what, msg);
    }
}

/* ---- statement cache ---- */

static size_t slot_hash(const char *key)
{
    /* Fibonacci hashing: the top bits of the product mix every address bit. */
    uint64_t h = (uint64_t)(uintptr_t)key * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> (64 - STMT_SLOT_BITS));
}

/* Index of key's slot, or of the empty slot where it would go (invariant 1). */
static size_t slot_find(struct store *s, const char *key)
{
    size_t i = slot_hash(key);
    for (size_t probes = 0; probes < STMT_SLOTS; probes++) {
        if (!s->slots[i].key || s->slots[i].key == key)
            return i;
        i = (i + 1) & (STMT_SLOTS - 1);
    }
    fg_assert_fail("statement cache has an empty slot", __FILE__, __LINE__, __func__);
}

static void slot_clear(struct stmt_slot *sl)
{
    sqlite3_finalize(sl->stmt);
    free(sl->text);
    *sl = (struct stmt_slot){0};
}

/* Finalize every entry not in use and rebuild the table around the rest. */
static void cache_flush(struct store *s)
{
    struct stmt_slot keep[FG_STORE_STMT_CACHE_MAX];
    int nkeep = 0;
    for (size_t i = 0; i < STMT_SLOTS; i++) {
        struct stmt_slot *sl = &s->slots[i];
        if (!sl->key)
            continue;
        if (sl->busy) {
            FG_ASSERT(nkeep < FG_STORE_STMT_CACHE_MAX);
            keep[nkeep++] = *sl;
            *sl = (struct stmt_slot){0};
        } else {
            slot_clear(sl);
        }
    }
    s->stmt_count = 0;
    for (int k = 0; k < nkeep; k++) {
        s->slots[slot_find(s, keep[k].key)] = keep[k];
        s->stmt_count++;
    }
}

static bool only_separators(const char *p)
{
    for (; *p; p++)
        if (!isspace((unsigned char)*p) && *p != ';')
            return false;
    return true;
}

static int stmt_prepare(struct store *s, const char *sql, sqlite3_stmt **out, bool *several,
                        struct fg_err *err)
{
    const char *tail = NULL;
    *out = NULL;
    *several = false;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, out, &tail);
    if (rc != SQLITE_OK)
        return fail_db(s->db, rc, err, "prepare");
    if (!*out)
        return fg_fail(err, -FG_ESTORE, "sqlite prepare: sql holds no statement");
    if (tail && !only_separators(tail)) {
        sqlite3_finalize(*out);
        *out = NULL;
        *several = true;
    }
    return 0;
}

static int stmt_acquire(struct store *s, const char *sql, struct stmt_use *use, struct fg_err *err)
{
    *use = (struct stmt_use){.key = sql};
    struct stmt_slot *sl = &s->slots[slot_find(s, sql)];
    if (sl->key && !sl->busy && strcmp(sl->text, sql) == 0) {
        sl->busy = true;
        use->stmt = sl->stmt;
        use->cached = true;
        return 0;
    }

    sqlite3_stmt *stmt = NULL;
    int rc = stmt_prepare(s, sql, &stmt, &use->several, err);
    if (rc < 0 || use->several)
        return rc;
    use->stmt = stmt;

    if (sl->key && sl->busy)
        return 0; /* nested use of the same text: one-off (invariant 3) */
    char *text = strdup(sql);
    if (!text)
        return 0; /* cannot cache; running it one-off is still correct */
    if (sl->key) {
        /* Same address, different text (invariant 4): replace in place. */
        sqlite3_finalize(sl->stmt);
        free(sl->text);
    } else {
        if (s->stmt_count >= FG_STORE_STMT_CACHE_MAX) {
            cache_flush(s);
            sl = &s->slots[slot_find(s, sql)];
        }
        if (s->stmt_count >= FG_STORE_STMT_CACHE_MAX) {
            free(text); /* every entry is in use: run one-off */
            return 0;
        }
        s->stmt_count++;
    }
    *sl = (struct stmt_slot){.key = sql, .text = text, .stmt = stmt, .busy = true};
    use->cached = true;
    return 0;
}

/* Invariant 2: reset and clear on every path, success or failure. */
static void stmt_release(struct store *s, struct stmt_use *use)
{
    if (!use->stmt)
        return;
    sqlite3_reset(use->stmt);
    sqlite3_clear_bindings(use->stmt);
    if (!use->cached) {
        sqlite3_finalize(use->stmt);
        return;
    }
    struct stmt_slot *sl = &s->slots[slot_find(s, use->key)];
    FG_ASSERT(sl->key == use->key && sl->stmt == use->stmt && sl->busy);
    sl->busy = false;
}

/* ---- rows ---- */

static sqlite3_stmt *row_stmt(void *impl, int col)
{
    sqlite3_stmt *st = impl;
    FG_ASSERT(col >= 0 && col < sqlite3_column_count(st));
    return st;
}

static int64_t row_int_at(void *impl, int col)
{
    return sqlite3_column_int64(row_stmt(impl, col), col);
}

static bool row_is_null(void *impl, int col)
{
    return sqlite3_column_type(row_stmt(impl, col), col) == SQLITE_NULL;
}

static const char *row_text(void *impl, int col, size_t *len)
{
    sqlite3_stmt *st = row_stmt(impl, col);
    int type = sqlite3_column_type(st, col);
    const void *p = NULL;
    if (len)
        *len = 0;
    if (type == SQLITE_NULL)
        return NULL;
    /* Per the SQLite docs: fetch the value first, then its byte count. */
    if (type == SQLITE_BLOB)
        p = sqlite3_column_blob(st, col);
    else
        p = sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    if (!p) {
        /* Only an empty blob comes back NULL; anything else is out of memory,
         * and answering "" or NULL there would misreport stored data. */
        FG_ASSERT(type == SQLITE_BLOB && n == 0);
        p = "";
    }
    if (len)
        *len = (size_t)n;
    return p;
}

static int row_columns(void *impl)
{
    return sqlite3_column_count((sqlite3_stmt *)impl);
}

static const struct store_row_ops sqlite_row_ops = {
    .int_at = row_int_at,
    .is_null = row_is_null,
    .text = row_text,
    .columns = row_columns,
};

/* ---- exec ---- */

static int bind_args(struct store *s, sqlite3_stmt *stmt, const struct store_arg *args, int nargs,
                     struct fg_err *err)
{
    /* A NULL pointer would bind SQL NULL, so empty values point here. */
    static const char empty[1] = "";
    int want = sqlite3_bind_parameter_count(stmt);
    if (want != nargs)
        return fg_fail(err, -FG_ESTORE, "sqlite bind: statement takes %d args, got %d", want,
                       nargs);
    for (int i = 0; i < nargs; i++) {
        const struct store_arg *a = &args[i];
        const void *p = a->p ? a->p : empty;
        int rc;
        switch (a->type) {
        case STORE_NULL:
            rc = sqlite3_bind_null(stmt, i + 1);
            break;
        case STORE_INT:
            rc = sqlite3_bind_int64(stmt, i + 1, a->i);
            break;
        case STORE_TEXT:
            FG_ASSERT(a->p || a->n == 0);
            /* STATIC: args outlive the exec, and bindings are cleared before it returns. */
            rc = sqlite3_bind_text64(stmt, i + 1, p, a->n, SQLITE_STATIC, SQLITE_UTF8);
            break;
        case STORE_BLOB:
            FG_ASSERT(a->p || a->n == 0);
            rc = sqlite3_bind_blob64(stmt, i + 1, p, a->n, SQLITE_STATIC);
            break;
        default:
            return fg_fail(err, -FG_ESTORE, "sqlite bind: arg %d has unknown type %d", i,
                           (int)a->type);
        }
        if (rc != SQLITE_OK)
            return fail_db(s->db, rc, err, "bind");
    }
    return 0;
}

/* Several statements in one text (migrations, scripts): no args and no rows. */
static int exec_several(struct store *s, const char *sql, int nargs, store_row_fn fn,
                        int64_t *changes, struct fg_err *err)
{
    if (nargs > 0 || fn)
        return fg_fail(err, -FG_ESTORE,
                       "sqlite exec: a text of several statements takes no args or rows");
    int64_t before = sqlite3_total_changes64(s->db);
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return fail_db(s->db, rc, err, "exec");
    if (changes)
        *changes = sqlite3_total_changes64(s->db) - before;
    return 0;
}

static int sqlite_exec(struct store *s, const char *sql, const struct store_arg *args, int nargs,
                       store_row_fn fn, void *ctx, int64_t *changes, struct fg_err *err)
{
    FG_ASSERT(s && sql && nargs >= 0 && (nargs == 0 || args));
    if (changes)
        *changes = 0;
    struct stmt_use use;
    int rc = stmt_acquire(s, sql, &use, err);
    if (rc < 0)
        return rc;
    if (use.several)
        return exec_several(s, sql, nargs, fn, changes, err);

    rc = bind_args(s, use.stmt, args, nargs, err);
    if (rc < 0)
        goto release_stmt;
    struct store_row row = {.ops = &sqlite_row_ops, .impl = use.stmt};
    for (;;) {
        int step = sqlite3_step(use.stmt);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = fail_db(s->db, step, err, "step");
            goto release_stmt;
        }
        if (!fn)
            continue;
        int verdict = fn(ctx, &row);
        if (verdict < 0) {
            rc = verdict;
            goto release_stmt;
        }
        if (verdict > 0)
            break;
    }
    /* sqlite3_changes64 keeps the last write's count, which a SELECT must not report. */
    if (changes && !sqlite3_stmt_readonly(use.stmt))
        *changes = sqlite3_changes64(s->db);

release_stmt:
    stmt_release(s, &use);
    return rc;
}

static int64_t sqlite_last_insert_id(struct store *s)
{
    return sqlite3_last_insert_rowid(s->db);
}

static int64_t sqlite_changes_total(struct store *s)
{
    return sqlite3_total_changes64(s->db);
}

/* ---- transactions ---- */

static int sqlite_rollback(struct store *s)
{
    /* Even when SQLite already ended the transaction itself (an I/O error
     * mid-statement), its writes are gone: caches must know. */
    if (s->write_tx)
        store_generation_bump();
    s->write_tx = false;
    if (sqlite3_get_autocommit(s->db))
        return 0; /* idle: nothing to undo */
    return sqlite_exec(s, sql_rollback, STORE_NOARGS, NULL, NULL, NULL, NULL);
}

static int sqlite_begin(struct store *s, struct fg_err *err)
{
    int rc = sqlite_exec(s, sql_begin, STORE_NOARGS, NULL, NULL, NULL, err);
    s->write_tx = rc == 0;
    return rc;
}

static int sqlite_begin_read(struct store *s, struct fg_err *err)
{
    int rc = sqlite_exec(s, sql_begin_read, STORE_NOARGS, NULL, NULL, NULL, err);
    if (rc < 0)
        return rc;
    /* BEGIN alone is deferred: the snapshot would start at the first read. */
    rc = sqlite_exec(s, sql_snapshot, STORE_NOARGS, NULL, NULL, NULL, err);
    if (rc < 0)
        sqlite_rollback(s);
    return rc;
}

static int sqlite_commit(struct store *s, struct fg_err *err)
{
    int rc = sqlite_exec(s, sql_commit, STORE_NOARGS, NULL, NULL, NULL, err);
    if (rc < 0) {
        s->write_tx = true; /* whatever it was, its writes are undone now */
        sqlite_rollback(s);
        return rc;
    }
    s->write_tx = false;
    return rc;
}

static int version_row(void *ctx, struct store_row *row)
{
    *(int64_t *)ctx = store_row_int(row, 0);
    return 1;
}

static int sqlite_data_version(struct store *s, int64_t *out, struct fg_err *err)
{
    *out = -1;
    return sqlite_exec(s, "PRAGMA data_version", STORE_NOARGS, version_row, out, NULL, err);
}

static bool savepoint_name_ok(const char *name)
{
    size_t n = 0;
    for (; name[n]; n++) {
        if (n >= FG_STORE_SAVEPOINT_NAME_BYTES_MAX)
            return false;
        if (!isalnum((unsigned char)name[n]) && name[n] != '_')
            return false;
    }
    return n > 0;
}

/* Savepoint names are validated and spliced in: SQL cannot bind identifiers. */
static int savepoint_exec(struct store *s, const char *verb, const char *name, struct fg_err *err)
{
    if (!name || !savepoint_name_ok(name))
        return fg_fail(err, -FG_ESTORE, "sqlite %s: bad savepoint name", verb);
    /* SQLite would open a transaction here; PostgreSQL would refuse. Keep one contract. */
    if (sqlite3_get_autocommit(s->db))
        return fg_fail(err, -FG_ESTORE, "sqlite %s %s: no transaction is open", verb, name);
    char sql[32 + FG_STORE_SAVEPOINT_NAME_BYTES_MAX];
    snprintf(sql, sizeof(sql), "%s %s", verb, name);
    sqlite3_stmt *stmt = NULL;
    for (int i = 0; i < s->savepoint_count; i++)
        if (strcmp(s->savepoints[i].sql, sql) == 0) {
            stmt = s->savepoints[i].stmt;
            break;
        }
    if (!stmt) {
        int rc = sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL);
        if (rc != SQLITE_OK)
            return fail_db(s->db, rc, err, verb);
        if (s->savepoint_count < SAVEPOINT_STMTS_MAX) {
            memcpy(s->savepoints[s->savepoint_count].sql, sql, sizeof(sql));
            s->savepoints[s->savepoint_count++].stmt = stmt;
        } else {
            rc = sqlite3_step(stmt);
            sqlite3_finalize(stmt);
            return rc == SQLITE_DONE ? 0 : fail_db(s->db, rc, err, verb);
        }
    }
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return fail_db(s->db, rc, err, verb);
    return 0;
}

static int sqlite_savepoint(struct store *s, const char *name, struct fg_err *err)
{
    return savepoint_exec(s, "SAVEPOINT", name, err);
}

static int sqlite_release(struct store *s, const char *name, struct fg_err *err)
{
    return savepoint_exec(s, "RELEASE", name, err);
}

static int sqlite_rollback_to(struct store *s, const char *name, struct fg_err *err)
{
    store_generation_bump(); /* before: even a failed ROLLBACK TO may have undone some */
    return savepoint_exec(s, "ROLLBACK TO", name, err);
}

static enum store_txn sqlite_txn_state(struct store *s)
{
    /* SQLite has no "failed" state: after an error the transaction is either
     * intact or gone (rolled back by SQLite on an I/O error, a full disk, ...). */
    return sqlite3_get_autocommit(s->db) ? STORE_TXN_NONE : STORE_TXN_OPEN;
}

/* A full disk, for tests: max_page_count is this connection's, and a write
 * that needs more pages fails with SQLITE_FULL (which may end the transaction). */
static int sqlite_limit_pages(struct store *s, int64_t extra_pages, struct fg_err *err)
{
    int64_t pages = 0;
    int rc = sqlite_exec(s, "PRAGMA page_count", STORE_NOARGS, version_row, &pages, NULL, err);
    if (rc < 0)
        return rc;
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
             extra_pages > 0 ? (long long)(pages + extra_pages) : 4294967294LL);
    rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fail_db(s->db, rc, err, "max_page_count");
}

/* One process per database file: nobody else to hear from. */
static int sqlite_listen(struct store *s, const char *channel, struct fg_err *err)
{
    (void)s;
    return fg_fail(err, -FG_ENOT_FOUND, "sqlite: no change notices (%s)", channel);
}

static int sqlite_wait_notice(struct store *s, int timeout_ms, struct fg_err *err)
{
    (void)s;
    (void)timeout_ms;
    return fg_fail(err, -FG_ENOT_FOUND, "sqlite: no change notices");
}

/* ---- schema ---- */

static int sqlite_schema_version(struct store *s)
{
    int64_t v = 0;
    int rc = store_query_int(s, sql_user_version, STORE_NOARGS, &v, NULL);
    if (rc < 0)
        return rc;
    return (int)v;
}

static int sqlite_migrate(struct store *s, struct fg_err *err)
{
    /* The version is read inside the write transaction, so two processes
     * migrating at once apply each migration exactly once. */
    int rc = sqlite_begin(s, err);
    if (rc < 0)
        return rc;
    int64_t version = 0;
    rc = store_query_int(s, sql_user_version, STORE_NOARGS, &version, err);
    if (rc < 0)
        goto rollback_tx;
    if (version > store_migrations_count) {
        rc = fg_fail(err, -FG_ESTORE, "database schema version %lld is newer than this build (%d)",
                     (long long)version, store_migrations_count);
        goto rollback_tx;
    }
    for (int i = 0; i < store_migrations_count; i++) {
        const struct store_migration *m = &store_migrations[i];
        FG_ASSERT(m->version == i + 1);
        if (m->version <= version)
            continue;
        rc = sqlite3_exec(s->db, m->sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            char what[96];
            snprintf(what, sizeof(what), "migration %d (%s)", m->version, m->name);
            rc = fail_db(s->db, rc, err, what);
            goto rollback_tx;
        }
    }
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", store_migrations_count);
    rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        rc = fail_db(s->db, rc, err, "set user_version");
        goto rollback_tx;
    }
    return sqlite_commit(s, err);

rollback_tx:
    sqlite_rollback(s);
    return rc;
}

/* ---- WAL maintenance ---- */

static int sqlite_open(const char *uri, struct store **out, struct fg_err *err);

static int sqlite_open_peer(struct store *s, struct store **out, struct fg_err *err)
{
    const char *path = sqlite3_db_filename(s->db, "main");
    if (!path || !*path)
        return fg_fail(err, -FG_ENOT_FOUND, "sqlite: an in-memory database has no peer");
    return sqlite_open(path, out, err);
}

static int sqlite_checkpoint(struct store *s, struct fg_err *err)
{
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    /* BUSY: another checkpoint runs (the writer's own, past its bound). */
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        return fail_db(s->db, rc, err, "checkpoint");
    return 0;
}

/* Replaces SQLite's autocheckpoint hook: remember the log's length for
 * log_pages, and checkpoint here only past the bound. */
static int wal_hook(void *ctx, sqlite3 *db, const char *name, int frames)
{
    struct store *s = ctx;
    s->log_pages = frames;
    if (frames >= FG_STORE_WAL_PAGES_MAX)
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

static void sqlite_checkpoints_hand_off(struct store *s)
{
    sqlite3_wal_hook(s->db, wal_hook, s);
}

static int64_t sqlite_log_pages(struct store *s)
{
    return s->log_pages;
}

/* ---- open, close, backup ---- */

static int enable_wal(struct store *s, struct fg_err *err)
{
    char mode[16] = "";
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql_journal_wal, -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return fail_db(s->db, rc, err, "journal_mode");
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(stmt, 0);
        snprintf(mode, sizeof(mode), "%s", t ? (const char *)t : "");
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK) {
        rc = fail_db(s->db, rc, err, "journal_mode");
        sqlite3_finalize(stmt);
        return rc;
    }
    sqlite3_finalize(stmt);
    /* Readers rely on WAL snapshots; a database that cannot do WAL is refused. */
    if (strcmp(mode, "wal") != 0)
        return fg_fail(err, -FG_ESTORE, "sqlite journal_mode: got %s, want wal", mode);
    return 0;
}

/* Process-wide settings, before SQLite initialises: no memory statistics (they
 * take a global mutex on every allocation). */
static void sqlite_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sqlite_open(const char *uri, struct store **out, struct fg_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_configure);
    FG_ASSERT(uri && out);
    *out = NULL;
    struct store *s = calloc(1, sizeof(*s));
    if (!s)
        return fg_fail(err, -FG_ENOMEM, "sqlite open: out of memory");
    s->base.ops = &store_sqlite_ops;

    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(uri, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        rc = fg_fail(err, -FG_ESTORE, "sqlite open %s: %s", uri,
                     s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto close_db;
    }
    sqlite3_extended_result_codes(s->db, 1);
    /* Set first, so switching to WAL below also waits for a busy database. */
    sqlite3_busy_timeout(s->db, FG_STORE_BUSY_TIMEOUT_MS);
    if (strcmp(uri, ":memory:") != 0) {
        rc = enable_wal(s, err);
        if (rc < 0)
            goto close_db;
    }
    rc = sqlite3_exec(s->db, sql_pragmas, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        rc = fail_db(s->db, rc, err, "pragmas");
        goto close_db;
    }
    store_generation_bump(); /* a new connection may reuse a closed one's address */
    *out = s;
    return 0;

close_db:
    sqlite3_close(s->db);
    free(s);
    return rc;
}

static void sqlite_close(struct store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < STMT_SLOTS; i++) {
        if (!s->slots[i].key)
            continue;
        FG_ASSERT(!s->slots[i].busy); /* closing from inside a row callback */
        slot_clear(&s->slots[i]);
    }
    for (int i = 0; i < s->savepoint_count; i++)
        sqlite3_finalize(s->savepoints[i].stmt);
    /* An open transaction is rolled back by the close. */
    store_generation_bump();
    int rc = sqlite3_close(s->db);
    FG_ASSERT(rc == SQLITE_OK); /* every statement was finalized above */
    free(s);
}

static void fsync_dir_of(const char *path)
{
    char copy[PATH_MAX];
    snprintf(copy, sizeof(copy), "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    fsync(fd);
    close(fd);
}

/*
 * Copy the database to path through a temporary file and a rename, so path
 * holds either a whole backup or nothing new. Called outside a write
 * transaction (the copy is of what this connection sees).
 */
static int sqlite_backup(struct store *s, const char *path, struct fg_err *err)
{
    char tmp[PATH_MAX];
    if (!path || snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return fg_fail(err, -FG_ESTORE, "sqlite backup: bad path");
    if (unlink(tmp) < 0 && errno != ENOENT)
        return fg_fail(err, -FG_ESTORE, "sqlite backup: remove %s: %s", tmp, strerror(errno));

    sqlite3 *dst = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(tmp, &dst, flags, NULL);
    if (rc != SQLITE_OK) {
        rc = fail_db(dst, rc, err, "backup open");
        goto close_dst;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", s->db, "main");
    if (!b) {
        rc = fail_db(dst, sqlite3_errcode(dst), err, "backup init");
        goto close_dst;
    }
    int step = sqlite3_backup_step(b, -1);
    rc = sqlite3_backup_finish(b);
    if (step != SQLITE_DONE) {
        rc = fail_db(NULL, step, err, "backup step");
        goto close_dst;
    }
    if (rc != SQLITE_OK) {
        rc = fail_db(dst, rc, err, "backup finish");
        goto close_dst;
    }
    rc = sqlite3_close(dst);
    dst = NULL;
    if (rc != SQLITE_OK) {
        rc = fail_db(NULL, rc, err, "backup close");
        goto remove_tmp;
    }
    if (rename(tmp, path) < 0) {
        rc = fg_fail(err, -FG_ESTORE, "sqlite backup: rename to %s: %s", path, strerror(errno));
        goto remove_tmp;
    }
    fsync_dir_of(path);
    return 0;

close_dst:
    sqlite3_close(dst);
remove_tmp:
    unlink(tmp);
    return rc;
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .migrate = sqlite_migrate,
    .schema_version = sqlite_schema_version,
    .exec = sqlite_exec,
    .last_insert_id = sqlite_last_insert_id,
    .changes_total = sqlite_changes_total,
    .begin = sqlite_begin,
    .begin_read = sqlite_begin_read,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .savepoint = sqlite_savepoint,
    .release = sqlite_release,
    .rollback_to = sqlite_rollback_to,
    .backup = sqlite_backup,
    .open_peer = sqlite_open_peer,
    .checkpoint = sqlite_checkpoint,
    .checkpoints_hand_off = sqlite_checkpoints_hand_off,
    .log_pages = sqlite_log_pages,
    .data_version = sqlite_data_version,
    .txn_state = sqlite_txn_state,
    .limit_pages = sqlite_limit_pages,
    .listen = sqlite_listen,
    .wait_notice = sqlite_wait_notice,
};
