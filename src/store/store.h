/*
 * store.h - the store interface: one connection to a database, through a table
 * of function pointers chosen at start-up by the URI (store_open): SQLite
 * (store_sqlite.c, the embedded default) or PostgreSQL (store_pg.c, several
 * fundgate nodes on one database; docs/POSTGRES.md).
 *
 * What it is for: running portable SQL (standard SQL, `?` placeholders,
 * INSERT ... ON CONFLICT, no advisory locks) with typed arguments and a row
 * callback, transactions with savepoints, and versioned migrations. Services and
 * the ledger write their SQL against this; none of them includes sqlite3.h or
 * libpq-fe.h. Dialect differences are each backend's business (store_pg.c
 * lists how it reads the portable SQL); callers never test which one runs.
 * Portable means: give each subquery in FROM an alias, compare and add
 * integers (not booleans), and after a failed statement go on only inside a
 * savepoint you roll back to (a failed statement fails a PostgreSQL
 * transaction: "failed" below).
 *
 * Ownership and threading: a struct store is one connection, used by one thread
 * at a time. The engine's writer thread owns one; every reader thread opens its
 * own. Prepared statements are cached per connection, keyed by the SQL text's
 * address, so pass string literals (or strings that live as long as the store).
 *
 * Errors: a unique or check constraint violation is -FG_ECONSTRAINT (the
 * statement changed nothing); a busy database is -FG_EBUSY; anything else is
 * -FG_ESTORE with the database's message in err. After a failed COMMIT the
 * transaction is rolled back and the store is usable again.
 *
 * Transaction states (store_begin's write transaction):
 *
 *   idle -(begin)-> open -(commit | rollback)-> idle
 *                    |  \-(a statement fails, PostgreSQL)-> failed -(rollback_to)-> open
 *                    \-(a statement fails and the database ends the transaction
 *                        itself: SQLite on an I/O error or a full disk)-> ended
 *   failed | ended -(rollback)-> idle
 *
 * "ended" is sticky, as SQLite's own pager is after an I/O error: the store
 * runs nothing more (every exec, savepoint, release, rollback_to and commit
 * fails with -FG_ESTORE) until store_rollback, so no statement of a batch can
 * slip into autocommit and be committed behind its writer's back. "failed" is
 * the database's own refusal of further statements (PostgreSQL aborts the
 * transaction on any failed statement; ROLLBACK TO a savepoint revives it).
 * store_txn_active() is true only in "open"; the engine asks it after every
 * command (engine.h).
 *
 * Savepoints nest inside a transaction: savepoint(name) ... release(name) keeps
 * the work, rollback_to(name) undoes it (and the savepoint must still be
 * released).
 */
#ifndef FG_STORE_H
#define FG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

struct store;
struct store_row;

enum store_arg_type { STORE_NULL, STORE_INT, STORE_TEXT, STORE_BLOB };

struct store_arg {
    enum store_arg_type type;
    int64_t i;
    const void *p; /* TEXT or BLOB bytes; TEXT need not be NUL-terminated */
    size_t n;      /* byte length of p */
};

#define SA_NULL ((struct store_arg){.type = STORE_NULL})
#define SA_INT(v) ((struct store_arg){.type = STORE_INT, .i = (int64_t)(v)})
/* A NUL-terminated string, or NULL for SQL NULL. */
#define SA_TEXT(s) store_arg_text(s)
#define SA_TEXTN(s, len) ((struct store_arg){.type = STORE_TEXT, .p = (s), .n = (len)})
#define SA_BLOB(b, len) ((struct store_arg){.type = STORE_BLOB, .p = (b), .n = (len)})
/* Expands to "array, count" for store_exec's args and nargs. */
#define STORE_ARGS(...)                                                                            \
    ((const struct store_arg[]){__VA_ARGS__}),                                                     \
        ((int)(sizeof((const struct store_arg[]){__VA_ARGS__}) / sizeof(struct store_arg)))
#define STORE_NOARGS NULL, 0

struct store_arg store_arg_text(const char *s);

/* Called once per result row; return 0 to continue, 1 to stop early, or a
 * negative code to stop and make store_exec return it. */
typedef int (*store_row_fn)(void *ctx, struct store_row *row);

/* Column accessors, valid only inside the row callback. Columns count from 0. */
int64_t store_row_int(struct store_row *row, int col);
bool store_row_is_null(struct store_row *row, int col);
/* Text or blob bytes and their length; NULL for SQL NULL. Copy what you keep. */
const char *store_row_text(struct store_row *row, int col, size_t *len);
/* Copy text into buf (truncating to cap-1) and NUL-terminate; returns length. */
size_t store_row_text_copy(struct store_row *row, int col, char *buf, size_t cap);
int store_row_columns(struct store_row *row);

/* The database's own view of a connection's transaction (store.h's diagram). */
enum store_txn {
    STORE_TXN_NONE,   /* no transaction: idle, or ended by the database itself */
    STORE_TXN_OPEN,   /* open and taking statements */
    STORE_TXN_FAILED, /* open but refusing statements until ROLLBACK (TO) */
};

struct store_ops {
    const char *name; /* "sqlite" */
    /* uri: for sqlite a file path (":memory:" for tests). Creates the file. */
    int (*open)(const char *uri, struct store **out, struct fg_err *err);
    void (*close)(struct store *s);
    /* Apply every migration newer than the database's version, in one transaction. */
    int (*migrate)(struct store *s, struct fg_err *err);
    int (*schema_version)(struct store *s);

    /* Run one statement. rows may be NULL. *changes (may be NULL) gets the
     * number of rows an INSERT/UPDATE/DELETE changed. */
    int (*exec)(struct store *s, const char *sql, const struct store_arg *args, int nargs,
                store_row_fn fn, void *ctx, int64_t *changes, struct fg_err *err);
    /* Rowid / identity of the last INSERT on this connection. */
    int64_t (*last_insert_id)(struct store *s);
    /* Rows changed by every INSERT/UPDATE/DELETE that completed on this
     * connection since it opened: equal before and after a piece of work
     * means the work changed no row (a statement that failed and was undone
     * counts nothing). */
    int64_t (*changes_total)(struct store *s);

    int (*begin)(struct store *s, struct fg_err *err);      /* write transaction */
    int (*begin_read)(struct store *s, struct fg_err *err); /* snapshot for reads */
    int (*commit)(struct store *s, struct fg_err *err);
    int (*rollback)(struct store *s);
    int (*savepoint)(struct store *s, const char *name, struct fg_err *err);
    int (*release)(struct store *s, const char *name, struct fg_err *err);
    int (*rollback_to)(struct store *s, const char *name, struct fg_err *err);

    /* WAL maintenance, off the writer's path (issue 5). open_peer opens another
     * connection to the same database (-FG_ENOT_FOUND for an in-memory one).
     * checkpoint copies committed log frames into the database without
     * blocking the writer (PASSIVE; durability is the commit's, not this).
     * checkpoints_hand_off tells this connection (the writer) to leave routine
     * checkpoints to a peer: it checkpoints itself only once the log passes
     * FG_STORE_WAL_PAGES_MAX, so the log stays bounded if the peer stalls.
     * log_pages is the log's length in pages after this connection's last
     * commit (0 when unknown): when to ask the peer. */
    int (*open_peer)(struct store *s, struct store **out, struct fg_err *err);
    int (*checkpoint)(struct store *s, struct fg_err *err);
    void (*checkpoints_hand_off)(struct store *s);
    int64_t (*log_pages)(struct store *s);

    /* Copy the whole database to a file (fundgate backup). */
    int (*backup)(struct store *s, const char *path, struct fg_err *err);

    /* A number that changes when another connection commits to the database
     * (SQLite: PRAGMA data_version); read inside a transaction. */
    int (*data_version)(struct store *s, int64_t *out, struct fg_err *err);

    /* What the database says of this connection's transaction, now. */
    enum store_txn (*txn_state)(struct store *s);
    /* Tests only (fault injection): let the database grow by at most
     * extra_pages more pages, as a full disk would (0 lifts the limit).
     * -FG_ENOT_FOUND where the backend cannot. */
    int (*limit_pages)(struct store *s, int64_t extra_pages, struct fg_err *err);

    /* Change notices between processes sharing one database (PostgreSQL:
     * LISTEN/NOTIFY; a trigger the backend installs notifies channel
     * "fundgate_<table>" when a watched table changes: clients). listen is
     * -FG_ENOT_FOUND where there are none (SQLite: one process per file).
     * wait_notice: 1 when one or more notices came, 0 after timeout_ms
     * without, < 0 when the connection is lost (listen again: it reconnects
     * and listens anew; notices sent meanwhile are lost, so reload then). */
    int (*listen)(struct store *s, const char *channel, struct fg_err *err);
    int (*wait_notice)(struct store *s, int timeout_ms, struct fg_err *err);
};

/* The channel that says the clients table changed (store_ops.listen). */
#define STORE_CHANNEL_CLIENTS "fundgate_clients"

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/*
 * An overlay: state a layer above keeps for one connection in front of the
 * tables it mirrors (the ledger's live account totals, ledger.c), written to
 * the transaction later than the work that changed it. The store calls its
 * hooks so the overlay never outlives, or misses, its transaction:
 *   begin     after BEGIN: drop what another connection may have changed;
 *   flush     before SAVEPOINT and COMMIT: write what it holds, so a
 *             ROLLBACK TO never undoes work the overlay still counts on, and
 *             a commit carries all of it (a failed flush fails the commit,
 *             which then rolls back);
 *   discard   after ROLLBACK and ROLLBACK TO: forget everything unwritten;
 *   destroy   at close.
 * One overlay per connection; only the connection's own thread touches it.
 */
struct store_overlay {
    int (*begin)(void *ctx, struct store *s, struct fg_err *err);
    int (*flush)(void *ctx, struct store *s, struct fg_err *err);
    void (*discard)(void *ctx);
    void (*destroy)(void *ctx);
};

/* Test-only faults (store_fault_arm): what fails, as an I/O error that ends
 * the transaction does. */
enum store_fault {
    STORE_FAULT_NONE,
    STORE_FAULT_SAVEPOINT, /* the nth store_savepoint from now */
    STORE_FAULT_STATEMENT, /* the nth statement (exec) from now, in a write transaction */
    STORE_FAULT_CONFLICT,  /* the nth statement from now fails as a serialization failure:
                              -FG_EBUSY, the transaction failed (PostgreSQL) or open (SQLite) */
};

/* A store handle starts with a pointer to its ops, so callers can dispatch. */
struct store_base {
    const struct store_ops *ops;
    const struct store_overlay *overlay;
    void *overlay_ctx;
    bool write_tx;   /* between store_begin and its commit or rollback */
    int ended_rc;    /* "ended" (sticky): the error that ended the transaction, else 0 */
    bool conflicted; /* a call of this write transaction failed with -FG_EBUSY */
    enum store_fault fault;
    int fault_nth;
};

void store_overlay_set(struct store *s, const struct store_overlay *ov, void *ctx);
/* The context of overlay ov on s, or NULL when s has none or another one. */
void *store_overlay_of(struct store *s, const struct store_overlay *ov);
int store_data_version(struct store *s, int64_t *out, struct fg_err *err);
/* Inside a write transaction opened by store_begin. */
bool store_in_write_tx(struct store *s);
/* The transaction is open and takes statements ("open" in the diagram above):
 * false after a failed statement made the database end it or refuse more. */
bool store_txn_active(struct store *s);
/* The transaction's state as the diagram above names it ("ended" is NONE). */
enum store_txn store_txn_state(struct store *s);
/* A call of this write transaction failed for a conflict with another
 * transaction (-FG_EBUSY: a serialization failure, a deadlock, a lock
 * timeout): running the whole transaction again may succeed. store_begin
 * clears it. */
bool store_txn_conflicted(struct store *s);
/* Fault injection for tests (engine_fault_set): the nth savepoint or
 * statement from now fails as an I/O error does in SQLite: the database rolls
 * the whole transaction back and the call returns -FG_ESTORE; or (CONFLICT)
 * the nth statement fails as a serialization failure. nth 0 disarms. */
void store_fault_arm(struct store *s, enum store_fault fault, int nth);
int store_listen(struct store *s, const char *channel, struct fg_err *err);
int store_wait_notice(struct store *s, int timeout_ms, struct fg_err *err);
/* Tests only: ops->limit_pages. */
int store_fault_limit_pages(struct store *s, int64_t extra_pages, struct fg_err *err);

static inline const struct store_ops *store_ops_of(struct store *s)
{
    return ((struct store_base *)(void *)s)->ops;
}

/* Convenience wrappers that dispatch through the store's ops. */
int store_exec(struct store *s, const char *sql, const struct store_arg *args, int nargs,
               store_row_fn fn, void *ctx, struct fg_err *err);
int store_exec_changes(struct store *s, const char *sql, const struct store_arg *args, int nargs,
                       int64_t *changes, struct fg_err *err);
/* First column of the first row as an integer: 0, or -FG_ENOT_FOUND when no row. */
int store_query_int(struct store *s, const char *sql, const struct store_arg *args, int nargs,
                    int64_t *out, struct fg_err *err);
int store_begin(struct store *s, struct fg_err *err);
int store_begin_read(struct store *s, struct fg_err *err);
int store_commit(struct store *s, struct fg_err *err);
int store_rollback(struct store *s);
int store_savepoint(struct store *s, const char *name, struct fg_err *err);
int store_release(struct store *s, const char *name, struct fg_err *err);
int store_rollback_to(struct store *s, const char *name, struct fg_err *err);
int64_t store_last_insert_id(struct store *s);
int64_t store_changes_total(struct store *s);
/* A process-wide counter that moves whenever written-but-uncommitted work may
 * have been undone (a rollback or rollback_to in a write transaction, a failed
 * commit) and whenever a connection opens or closes. A cache of what a writer
 * read is valid only while this counter has not moved since it was filled:
 * otherwise it may hold rows that no longer exist, or another database's. */
uint64_t store_generation(void);
void store_close(struct store *s);
int store_open_peer(struct store *s, struct store **out, struct fg_err *err);
int store_checkpoint(struct store *s, struct fg_err *err);
void store_checkpoints_hand_off(struct store *s);
int64_t store_log_pages(struct store *s);

/* Open by URI: a PostgreSQL connection URI ("postgresql://..." or
 * "postgres://...") or keyword/value string ("host=... dbname=...") picks
 * PostgreSQL; anything else is a SQLite file path. Runs migrations when
 * migrate is true. */
int store_open(const char *uri, bool migrate, struct store **out, struct fg_err *err);
/* Which backend store_open picks for uri. */
const struct store_ops *store_backend_for(const char *uri);
/* uri fit for a log or a terminal: a password in it (URI user:password@ or
 * password=...) is replaced by "***". */
void store_uri_redact(const char *uri, char *buf, size_t cap);

#endif
