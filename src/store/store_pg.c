/*
 * store_pg.c - the PostgreSQL backend of the store interface (libpq); see
 * store.h for the contract and docs/POSTGRES.md for running it.
 *
 * One struct store is one libpq connection, used by one thread at a time. The
 * URI is any libpq connection string or URI, multi-host included
 * (`postgresql://h1,h2/db?target_session_attrs=read-write`): when the
 * connection is lost, the next transaction (or statement outside one)
 * reconnects through it, so fundgate follows a failover by itself.
 *
 * The SQL dialect. The layers above write the portable subset of store.h; the
 * differences are settled here, never in callers:
 *  - placeholders: `?` and `?N` become `$n` and `$N` (outside quotes and
 *    comments); the count must match the arguments, as with SQLite;
 *  - ids: an INSERT into a table with an identity column gets `RETURNING
 *    <column>` appended, and that value is last_insert_id (SQLite's rowid);
 *  - DDL: migrations run through pg_ddl_rewrite (schema.h lists the rules);
 *  - values: integers are sent as decimal text (so any integer or numeric
 *    type the server infers takes them), TEXT and BLOB as raw bytes (binary
 *    format: lengths are exact and a NUL byte is refused, never truncated);
 *    results come as text: integers parsed, booleans `t`/`f` read as 1/0,
 *    BYTEA unescaped.
 *
 * Several nodes (docs/POSTGRES.md "Several nodes on one database": correctness
 * from the database, not from process memory). Every write transaction starts with
 *   UPDATE fundgate_writer SET version = version + 1 ... RETURNING version
 * which (a) orders the write transactions of every fundgate process on the
 * database: a second writer waits on that row lock until the first commits,
 * so their batches cannot deadlock on account rows, and a request id sent to
 * two nodes at once is decided by the first and replayed by the second; and
 * (b) tells the writer whether anyone else committed since its own last
 * commit (the version is exactly one more than that commit's): when someone
 * did, data_version changes (the ledger's live totals are dropped) and
 * store_generation() moves (every writer-side cache empties).
 *
 * Invariants:
 *  1. Write transactions run READ COMMITTED after taking the writer row, so
 *     each statement sees every commit before it and nobody else's write
 *     interleaves with theirs.
 *  2. A COMMIT that answers anything but "COMMIT" (PostgreSQL turns the COMMIT
 *     of a failed transaction into a ROLLBACK) is a failed commit.
 *  3. Prepared statements live as long as the session: a reconnect empties
 *     the cache, and a cached entry is used only when its text matches.
 *  4. A failed statement inside a transaction leaves it "failed" (store.h)
 *     until ROLLBACK or ROLLBACK TO; a lost connection leaves "none".
 *
 * Failure: errors map to -FG_ECONSTRAINT (SQLSTATE class 23), -FG_EBUSY
 * (40001 serialization failure, 40P01 deadlock, 55P03 lock timeout, 57014
 * cancelled: worth retrying) or -FG_ESTORE, with the server's message. A
 * COMMIT lost with its connection is in doubt: it is answered as failed, and
 * the request's idempotency record makes the client's retry safe either way.
 */
#define _GNU_SOURCE /* strcasestr */
#include "store/store.h"

#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/assert.h"
#include "core/limits.h"
#include "core/log.h"
#include "store/schema.h"
#include "store/store_backend.h"

#define PG_OID_BYTEA 17
#define PG_IDENTITY_MAX 64
#define PG_NAME_BYTES 64
#define PG_LOCK_TIMEOUT_MS FG_STORE_BUSY_TIMEOUT_MS

/* A migration whose PostgreSQL text is not its SQLite text under the rules
 * (schema.h): none so far. */
static const struct {
    int version;
    const char *sql;
} pg_overrides[] = {{0, NULL}};

struct pg_stmt {
    const char *key; /* the caller's SQL address; NULL when the slot is empty */
    char *sql;       /* copy of the caller's text (invariant 3) */
    char *text;      /* the PostgreSQL text */
    char name[16];   /* prepared statement name; "" for a one-off */
    int nparams;
    bool several;   /* more than one statement: simple protocol, no args */
    bool returning; /* RETURNING <identity> appended */
};

struct pg_identity {
    char table[PG_NAME_BYTES];
    char column[PG_NAME_BYTES];
};

struct store {
    struct store_base base; /* first, so store_ops_of works */
    PGconn *conn;
    bool write_tx; /* begin .. commit | rollback */
    bool open_tx;  /* begin or begin_read .. commit | rollback */
    int64_t last_insert_id;
    int64_t changes_total;
    /* The writer row (header): the version this connection's last commit
     * set, the one its open transaction set, and data_version's value. */
    int64_t committed_version, txn_version, data_version;
    int stmt_count, stmt_serial;
    struct pg_stmt stmts[FG_STORE_STMT_CACHE_MAX];
    int identity_count;
    struct pg_identity identity[PG_IDENTITY_MAX];
    char listening[PG_NAME_BYTES]; /* the LISTEN channel, listened to again after a reconnect */
    /* The last failure carried no SQLSTATE: libpq's own ("server closed the
     * connection"), which it may report before its status says so. */
    bool suspect;
};

/* ---- errors ---- */

/* The server's message on one line. */
static void trim_newline(char *msg)
{
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = ' ';
}

static int code_of_sqlstate(const char *state)
{
    if (!state)
        return -FG_ESTORE;
    if (strncmp(state, "23", 2) == 0)
        return -FG_ECONSTRAINT;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
        strcmp(state, "57014") == 0)
        return -FG_EBUSY;
    return -FG_ESTORE;
}

/* The error of a result (or of the connection when res is NULL). */
static int fail_res(struct store *s, const PGresult *res, struct fg_err *err, const char *what)
{
    char msg[FG_ERR_MSG_MAX];
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    /* The primary message only: DETAIL may quote row values. */
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    snprintf(msg, sizeof(msg), "%s",
             primary ? primary
             : res   ? PQresultErrorMessage(res)
                     : PQerrorMessage(s->conn));
    trim_newline(msg);
    int code = code_of_sqlstate(state);
    s->suspect = state == NULL;
    return fg_fail(err, code, "postgresql %s: %s%s%s", what, state ? state : "", state ? " " : "",
                   msg[0] ? msg : "connection lost");
}

static bool res_ok(const PGresult *res)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* One statement (or several) by the simple protocol, no rows wanted. */
static int simple(struct store *s, const char *sql, struct fg_err *err, const char *what)
{
    PGresult *res = PQexec(s->conn, sql);
    int rc = res_ok(res) ? 0 : fail_res(s, res, err, what);
    PQclear(res);
    return rc;
}

/* ---- SQL dialect ---- */

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Where a quoted string, quoted name or comment starting at p ends (the index
 * past it), or 0 when p starts none of them. */
static size_t skip_quoted(const char *p)
{
    size_t i = 1;
    if (p[0] == '\'' || p[0] == '"') {
        for (; p[i]; i++)
            if (p[i] == p[0]) {
                if (p[i + 1] != p[0])
                    return i + 1;
                i++; /* a doubled quote stays inside */
            }
        return i;
    }
    if (p[0] == '-' && p[1] == '-') {
        while (p[i] && p[i] != '\n')
            i++;
        return i;
    }
    if (p[0] == '/' && p[1] == '*') {
        const char *end = strstr(p + 2, "*/");
        return end ? (size_t)(end - p) + 2 : strlen(p);
    }
    return 0;
}

static bool only_separators(const char *p)
{
    for (; *p; p++)
        if (!isspace((unsigned char)*p) && *p != ';')
            return false;
    return true;
}

/* `?` and `?N` into `$n`; out holds at least 5 * strlen(sql) + 1 bytes. */
static int placeholders(const char *sql, char *out, int *nparams, bool *several, struct fg_err *err)
{
    size_t o = 0;
    int max = 0;
    *several = false;
    for (size_t i = 0; sql[i];) {
        size_t q = skip_quoted(sql + i);
        if (q) {
            memcpy(out + o, sql + i, q);
            o += q;
            i += q;
            continue;
        }
        char c = sql[i++];
        if (c == ';' && !only_separators(sql + i))
            *several = true;
        if (c != '?') {
            out[o++] = c;
            continue;
        }
        long idx = max + 1;
        if (isdigit((unsigned char)sql[i]))
            idx = strtol(sql + i, NULL, 10);
        while (isdigit((unsigned char)sql[i]))
            i++;
        if (idx < 1 || idx > FG_STORE_ARGS_MAX)
            return fg_fail(err, -FG_ESTORE, "postgresql: placeholder ?%ld out of 1..%d", idx,
                           FG_STORE_ARGS_MAX);
        o += (size_t)sprintf(out + o, "$%ld", idx);
        if (idx > max)
            max = (int)idx;
    }
    out[o] = '\0';
    *nparams = max;
    return 0;
}

/* The identity column of the table an INSERT writes, or NULL. */
static const char *insert_identity(const struct store *s, const char *text)
{
    while (isspace((unsigned char)*text))
        text++;
    if (strncasecmp(text, "INSERT", 6) != 0 || !isspace((unsigned char)text[6]))
        return NULL;
    text += 6;
    while (isspace((unsigned char)*text))
        text++;
    if (strncasecmp(text, "INTO", 4) != 0 || !isspace((unsigned char)text[4]))
        return NULL;
    text += 4;
    while (isspace((unsigned char)*text))
        text++;
    size_t n = 0;
    while (ident_char(text[n]))
        n++;
    for (int i = 0; i < s->identity_count; i++)
        if (strlen(s->identity[i].table) == n && strncmp(s->identity[i].table, text, n) == 0)
            return s->identity[i].column;
    return NULL;
}

static int translate(struct store *s, const char *sql, struct pg_stmt *st, struct fg_err *err)
{
    size_t len = strlen(sql);
    st->text = malloc(5 * len + PG_NAME_BYTES + 32);
    if (!st->text)
        return fg_fail(err, -FG_ENOMEM, "postgresql: out of memory translating sql");
    int rc = placeholders(sql, st->text, &st->nparams, &st->several, err);
    if (rc < 0)
        return rc;
    const char *column = st->several ? NULL : insert_identity(s, st->text);
    if (column && !strcasestr(st->text, "RETURNING")) {
        size_t n = strlen(st->text);
        while (n && (isspace((unsigned char)st->text[n - 1]) || st->text[n - 1] == ';'))
            n--;
        sprintf(st->text + n, " RETURNING %s", column);
        st->returning = true;
    }
    return 0;
}

/* schema.h's type rules, on words outside quotes and comments. */
static const struct {
    const char *from, *to;
} ddl_rules[] = {
    {"INTEGER PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
    {"INTEGER", "BIGINT"},
    {"BLOB", "BYTEA"},
    {" WITHOUT ROWID", ""},
};

static size_t ddl_rule_at(const char *sql, size_t i, size_t *from_len)
{
    for (size_t r = 0; r < sizeof(ddl_rules) / sizeof(ddl_rules[0]); r++) {
        size_t n = strlen(ddl_rules[r].from);
        const char *p = sql + i;
        bool word_start = ddl_rules[r].from[0] == ' ' || i == 0 || !ident_char(sql[i - 1]);
        if (word_start && strncmp(p, ddl_rules[r].from, n) == 0 && !ident_char(p[n])) {
            *from_len = n;
            return r + 1;
        }
    }
    return 0;
}

/* The PostgreSQL text of a migration (malloc'd), or NULL without memory. */
static char *pg_ddl_rewrite(const char *sql)
{
    char *out = malloc(3 * strlen(sql) + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; sql[i];) {
        size_t q = skip_quoted(sql + i), n = 0, r;
        if (q) {
            memcpy(out + o, sql + i, q);
            o += q;
            i += q;
        } else if ((r = ddl_rule_at(sql, i, &n)) != 0) {
            size_t m = strlen(ddl_rules[r - 1].to);
            memcpy(out + o, ddl_rules[r - 1].to, m);
            o += m;
            i += n;
        } else {
            out[o++] = sql[i++];
        }
    }
    out[o] = '\0';
    return out;
}

/* ---- statement cache ---- */

static void stmt_free(struct pg_stmt *st)
{
    free(st->sql);
    free(st->text);
    *st = (struct pg_stmt){0};
}

/* Forget every prepared statement (after a reconnect the session has none). */
static void stmt_cache_clear(struct store *s)
{
    for (int i = 0; i < s->stmt_count; i++)
        stmt_free(&s->stmts[i]);
    s->stmt_count = 0;
}

static int stmt_prepare(struct store *s, struct pg_stmt *st, struct fg_err *err)
{
    snprintf(st->name, sizeof(st->name), "fg%d", ++s->stmt_serial);
    PGresult *res = PQprepare(s->conn, st->name, st->text, st->nparams, NULL);
    int rc = res_ok(res) ? 0 : fail_res(s, res, err, "prepare");
    PQclear(res);
    return rc;
}

/* The statement for sql: cached (prepared once), or a one-off in *tmp. */
static int stmt_get(struct store *s, const char *sql, struct pg_stmt *tmp, struct pg_stmt **out,
                    struct fg_err *err)
{
    for (int i = 0; i < s->stmt_count; i++) {
        struct pg_stmt *st = &s->stmts[i];
        if (st->key == sql && strcmp(st->sql, sql) == 0) {
            *out = st;
            return 0;
        }
    }
    *tmp = (struct pg_stmt){.key = sql};
    int rc = translate(s, sql, tmp, err);
    if (rc == 0 && !tmp->several && s->stmt_count < FG_STORE_STMT_CACHE_MAX &&
        (tmp->sql = strdup(sql)) != NULL) {
        rc = stmt_prepare(s, tmp, err);
        if (rc == 0) {
            /* A buffer reused for other SQL keeps its old entry, which no
             * key can match any more; the cache stays bounded. */
            s->stmts[s->stmt_count] = *tmp;
            *out = &s->stmts[s->stmt_count++];
            *tmp = (struct pg_stmt){0};
            return 0;
        }
    }
    if (rc < 0) {
        stmt_free(tmp);
        return rc;
    }
    tmp->name[0] = '\0'; /* one-off: sent with its text */
    *out = tmp;
    return 0;
}

/* ---- rows ---- */

struct pg_row {
    const PGresult *res;
    int row;
    unsigned char *decoded[FG_STORE_PG_COLUMNS_MAX]; /* BYTEA columns, unescaped */
    size_t decoded_len[FG_STORE_PG_COLUMNS_MAX];
};

static void row_check(const struct pg_row *r, int col)
{
    FG_ASSERT(col >= 0 && col < PQnfields(r->res) && col < FG_STORE_PG_COLUMNS_MAX);
}

static int64_t row_int_at(void *impl, int col)
{
    struct pg_row *r = impl;
    row_check(r, col);
    if (PQgetisnull(r->res, r->row, col))
        return 0;
    const char *v = PQgetvalue(r->res, r->row, col);
    if (v[0] == 't' && !v[1])
        return 1;
    if (v[0] == 'f' && !v[1])
        return 0;
    return strtoll(v, NULL, 10);
}

static bool row_is_null(void *impl, int col)
{
    struct pg_row *r = impl;
    row_check(r, col);
    return PQgetisnull(r->res, r->row, col);
}

static const char *row_text(void *impl, int col, size_t *len)
{
    struct pg_row *r = impl;
    row_check(r, col);
    if (len)
        *len = 0;
    if (PQgetisnull(r->res, r->row, col))
        return NULL;
    const char *v = PQgetvalue(r->res, r->row, col);
    size_t n = (size_t)PQgetlength(r->res, r->row, col);
    if (PQftype(r->res, col) == PG_OID_BYTEA) {
        if (!r->decoded[col]) {
            r->decoded[col] = PQunescapeBytea((const unsigned char *)v, &r->decoded_len[col]);
            /* Out of memory: answering "" would misreport stored data. */
            FG_ASSERT(r->decoded[col] != NULL);
        }
        v = (const char *)r->decoded[col];
        n = r->decoded_len[col];
    }
    if (len)
        *len = n;
    return v;
}

static int row_columns(void *impl)
{
    return PQnfields(((struct pg_row *)impl)->res);
}

static const struct store_row_ops pg_row_ops = {
    .int_at = row_int_at,
    .is_null = row_is_null,
    .text = row_text,
    .columns = row_columns,
};

static void row_release(struct pg_row *r)
{
    for (int c = 0; c < FG_STORE_PG_COLUMNS_MAX; c++)
        if (r->decoded[c]) {
            PQfreemem(r->decoded[c]);
            r->decoded[c] = NULL;
        }
}

/* ---- exec ---- */

struct pg_params {
    const char *values[FG_STORE_ARGS_MAX];
    int lengths[FG_STORE_ARGS_MAX];
    int formats[FG_STORE_ARGS_MAX];
    char ints[FG_STORE_ARGS_MAX][24];
};

static int bind_args(const struct store_arg *args, int nargs, struct pg_params *p,
                     struct fg_err *err)
{
    for (int i = 0; i < nargs; i++) {
        const struct store_arg *a = &args[i];
        p->values[i] = NULL;
        p->lengths[i] = 0;
        p->formats[i] = 0;
        switch (a->type) {
        case STORE_NULL:
            break;
        case STORE_INT:
            snprintf(p->ints[i], sizeof(p->ints[i]), "%lld", (long long)a->i);
            p->values[i] = p->ints[i];
            break;
        case STORE_TEXT:
        case STORE_BLOB:
            FG_ASSERT(a->p || a->n == 0);
            if (a->n > INT32_MAX)
                return fg_fail(err, -FG_ESTORE, "postgresql bind: arg %d too long", i);
            p->values[i] = a->p ? a->p : "";
            p->lengths[i] = (int)a->n;
            p->formats[i] = 1; /* raw bytes: text's and bytea's binary form */
            break;
        default:
            return fg_fail(err, -FG_ESTORE, "postgresql bind: arg %d has unknown type %d", i,
                           (int)a->type);
        }
    }
    return 0;
}

static int64_t write_count(const PGresult *res)
{
    const char *status = PQcmdStatus((PGresult *)res);
    if (strncmp(status, "INSERT", 6) && strncmp(status, "UPDATE", 6) &&
        strncmp(status, "DELETE", 6) && strncmp(status, "MERGE", 5))
        return 0;
    return strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
}

/* Rows to the callback (or, for an appended RETURNING, the new id). */
static int result_rows(struct store *s, const struct pg_stmt *st, const PGresult *res,
                       store_row_fn fn, void *ctx)
{
    int n = PQntuples(res);
    if (st->returning) {
        if (n > 0)
            s->last_insert_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        return 0;
    }
    if (!fn || n == 0)
        return 0;
    if (PQnfields(res) > FG_STORE_PG_COLUMNS_MAX)
        return -FG_ESTORE;
    struct pg_row r = {.res = res};
    struct store_row row = {.ops = &pg_row_ops, .impl = &r};
    for (r.row = 0; r.row < n; r.row++) {
        int verdict = fn(ctx, &row);
        row_release(&r);
        if (verdict != 0)
            return verdict < 0 ? verdict : 0;
    }
    return 0;
}

/* Several statements in one text (migrations, scripts): no args, no rows. */
static int exec_several(struct store *s, const struct pg_stmt *st, int nargs, store_row_fn fn,
                        int64_t *changes, struct fg_err *err)
{
    if (nargs > 0 || fn)
        return fg_fail(err, -FG_ESTORE,
                       "postgresql exec: a text of several statements takes no args or rows");
    if (!PQsendQuery(s->conn, st->text))
        return fail_res(s, NULL, err, "exec");
    int rc = 0;
    int64_t total = 0;
    for (PGresult *res; (res = PQgetResult(s->conn)) != NULL; PQclear(res)) {
        if (rc == 0 && !res_ok(res))
            rc = fail_res(s, res, err, "exec");
        else if (rc == 0)
            total += write_count(res);
    }
    if (rc == 0) {
        s->changes_total += total;
        if (changes)
            *changes = total;
    }
    return rc;
}

static int conn_ready(struct store *s, struct fg_err *err);

static int exec_once(struct store *s, const char *sql, const struct store_arg *args, int nargs,
                     store_row_fn fn, void *ctx, int64_t *changes, struct fg_err *err)
{
    struct pg_stmt tmp, *st = NULL;
    int rc = conn_ready(s, err);
    if (rc == 0)
        rc = stmt_get(s, sql, &tmp, &st, err);
    if (rc < 0)
        return rc;
    if (st->several) {
        rc = exec_several(s, st, nargs, fn, changes, err);
        goto release_stmt;
    }
    if (nargs != st->nparams) {
        rc = fg_fail(err, -FG_ESTORE, "postgresql bind: statement takes %d args, got %d",
                     st->nparams, nargs);
        goto release_stmt;
    }
    struct pg_params p;
    if ((rc = bind_args(args, nargs, &p, err)) < 0)
        goto release_stmt;
    PGresult *res =
        st->name[0]
            ? PQexecPrepared(s->conn, st->name, nargs, p.values, p.lengths, p.formats, 0)
            : PQexecParams(s->conn, st->text, nargs, NULL, p.values, p.lengths, p.formats, 0);
    if (!res_ok(res)) {
        rc = fail_res(s, res, err, "exec");
    } else {
        int64_t n = write_count(res);
        s->changes_total += n;
        if (changes)
            *changes = n;
        rc = result_rows(s, st, res, fn, ctx);
    }
    PQclear(res);
release_stmt:
    if (st == &tmp)
        stmt_free(&tmp);
    return rc;
}

/* The server went away (a failover, a restart): libpq learns it only from a
 * failed call. */
static bool conn_lost(const struct store *s)
{
    return PQstatus(s->conn) == CONNECTION_BAD || s->suspect;
}

static bool is_select(const char *sql)
{
    while (isspace((unsigned char)*sql))
        sql++;
    return strncasecmp(sql, "SELECT", 6) == 0 && !ident_char(sql[6]);
}

static int pg_exec(struct store *s, const char *sql, const struct store_arg *args, int nargs,
                   store_row_fn fn, void *ctx, int64_t *changes, struct fg_err *err)
{
    FG_ASSERT(s && sql && nargs >= 0 && (nargs == 0 || args));
    if (changes)
        *changes = 0;
    int rc = exec_once(s, sql, args, nargs, fn, ctx, changes, err);
    /* A read outside a transaction found the connection gone: once more on
     * a new one (a write is not repeated: it may have committed). */
    if (rc < 0 && conn_lost(s) && !s->open_tx && is_select(sql))
        rc = exec_once(s, sql, args, nargs, fn, ctx, changes, err);
    return rc;
}

static int64_t pg_last_insert_id(struct store *s)
{
    return s->last_insert_id;
}

static int64_t pg_changes_total(struct store *s)
{
    return s->changes_total;
}

/* ---- transactions ---- */

static enum store_txn pg_txn_state(struct store *s)
{
    switch (PQtransactionStatus(s->conn)) {
    case PQTRANS_INTRANS:
    case PQTRANS_ACTIVE:
        return STORE_TXN_OPEN;
    case PQTRANS_INERROR:
        return STORE_TXN_FAILED;
    default:
        return STORE_TXN_NONE; /* idle, or the connection is gone */
    }
}

static int pg_rollback(struct store *s)
{
    if (s->write_tx)
        store_generation_bump();
    s->write_tx = false;
    s->open_tx = false;
    PGTransactionStatusType ts = PQtransactionStatus(s->conn);
    if (ts == PQTRANS_IDLE || ts == PQTRANS_UNKNOWN)
        return 0; /* nothing to undo, or the server undid it with the session */
    return simple(s, "ROLLBACK", NULL, "rollback");
}

static int open_check(struct store *s, struct fg_err *err)
{
    if (s->open_tx)
        return fg_fail(err, -FG_ESTORE, "postgresql begin: a transaction is already open");
    return conn_ready(s, err);
}

/* The writer row's version v: was anyone else's commit in between? */
static void writer_version_seen(struct store *s, int64_t v)
{
    if (v < 0 || s->committed_version < 0 || v != s->committed_version + 1) {
        s->data_version++;
        store_generation_bump();
    }
    s->txn_version = v;
}

static int begin_once(struct store *s, struct fg_err *err)
{
    int rc = open_check(s, err);
    if (rc < 0)
        return rc;
    /* One round trip: BEGIN and the writer row (header, invariant 1). */
    PGresult *res = PQexec(s->conn, "BEGIN ISOLATION LEVEL READ COMMITTED; "
                                    "UPDATE fundgate_writer SET version = version + 1 "
                                    "WHERE id = 1 RETURNING version");
    if (!res_ok(res) || PQntuples(res) != 1) {
        rc = res_ok(res) ? fg_fail(err, -FG_ESTORE, "postgresql begin: no writer row (migrate)")
                         : fail_res(s, res, err, "begin");
        PQclear(res);
        s->write_tx = true;
        pg_rollback(s);
        return rc;
    }
    int64_t v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    s->write_tx = true;
    s->open_tx = true;
    writer_version_seen(s, v);
    return 0;
}

/* A BEGIN that found the connection gone is repeated once on a new one: the
 * transaction it began died with the old connection. */
static int pg_begin(struct store *s, struct fg_err *err)
{
    int rc = begin_once(s, err);
    if (rc < 0 && conn_lost(s))
        rc = begin_once(s, err);
    return rc;
}

static int begin_read_once(struct store *s, struct fg_err *err)
{
    int rc = open_check(s, err);
    if (rc < 0)
        return rc;
    /* The snapshot is taken by the first statement, so take it now. */
    rc = simple(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1", err, "begin");
    s->open_tx = true;
    if (rc < 0)
        pg_rollback(s);
    return rc;
}

static int pg_begin_read(struct store *s, struct fg_err *err)
{
    int rc = begin_read_once(s, err);
    if (rc < 0 && conn_lost(s))
        rc = begin_read_once(s, err);
    return rc;
}

static int pg_commit(struct store *s, struct fg_err *err)
{
    PGresult *res = PQexec(s->conn, "COMMIT");
    int rc = 0;
    if (!res_ok(res))
        rc = fail_res(s, res, err, "commit");
    else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) /* invariant 2 */
        rc = fg_fail(err, -FG_ESTORE, "postgresql commit: the transaction had failed; rolled back");
    PQclear(res);
    if (rc < 0) {
        pg_rollback(s);
        return rc;
    }
    if (s->write_tx)
        s->committed_version = s->txn_version;
    s->write_tx = false;
    s->open_tx = false;
    return 0;
}

static int pg_data_version(struct store *s, int64_t *out, struct fg_err *err)
{
    (void)err;
    *out = s->data_version;
    return 0;
}

static bool savepoint_name_ok(const char *name)
{
    size_t n = 0;
    for (; name[n]; n++) {
        if (n >= FG_STORE_SAVEPOINT_NAME_BYTES_MAX)
            return false;
        if (!ident_char(name[n]))
            return false;
    }
    return n > 0;
}

/* Savepoint names are validated and spliced in, quoted (a name may be a
 * keyword here, "inner"): SQL cannot bind identifiers. */
static int savepoint_exec(struct store *s, const char *verb, const char *name, struct fg_err *err)
{
    if (!name || !savepoint_name_ok(name))
        return fg_fail(err, -FG_ESTORE, "postgresql %s: bad savepoint name", verb);
    char sql[32 + FG_STORE_SAVEPOINT_NAME_BYTES_MAX];
    snprintf(sql, sizeof(sql), "%s \"%s\"", verb, name);
    return simple(s, sql, err, verb);
}

static int pg_savepoint(struct store *s, const char *name, struct fg_err *err)
{
    return savepoint_exec(s, "SAVEPOINT", name, err);
}

static int pg_release(struct store *s, const char *name, struct fg_err *err)
{
    return savepoint_exec(s, "RELEASE SAVEPOINT", name, err);
}

static int pg_rollback_to(struct store *s, const char *name, struct fg_err *err)
{
    store_generation_bump(); /* before: even a failed ROLLBACK TO may have undone some */
    return savepoint_exec(s, "ROLLBACK TO SAVEPOINT", name, err);
}

/* ---- schema ---- */

/* Identity columns of this schema's tables: which INSERTs return an id. */
static int identity_load(struct store *s, struct fg_err *err)
{
    PGresult *res =
        PQexec(s->conn, "SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND is_identity = 'YES'");
    if (!res_ok(res)) {
        int rc = fail_res(s, res, err, "identity columns");
        PQclear(res);
        return rc;
    }
    s->identity_count = 0;
    for (int i = 0; i < PQntuples(res) && s->identity_count < PG_IDENTITY_MAX; i++) {
        struct pg_identity *id = &s->identity[s->identity_count++];
        snprintf(id->table, sizeof(id->table), "%s", PQgetvalue(res, i, 0));
        snprintf(id->column, sizeof(id->column), "%s", PQgetvalue(res, i, 1));
    }
    PQclear(res);
    return 0;
}

static int query_version(struct store *s, const char *sql, int64_t *out, struct fg_err *err)
{
    PGresult *res = PQexec(s->conn, sql);
    int rc = 0;
    if (!res_ok(res))
        rc = fail_res(s, res, err, "schema version");
    else
        *out = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    return rc;
}

static int pg_schema_version(struct store *s)
{
    int64_t exists = 0, v = 0;
    if (query_version(s,
                      "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() "
                      "AND tablename = 'fundgate_schema'",
                      &exists, NULL) < 0)
        return -FG_ESTORE;
    if (!exists)
        return 0;
    if (query_version(s, "SELECT version FROM fundgate_schema WHERE id = 1", &v, NULL) < 0)
        return -FG_ESTORE;
    return (int)v;
}

/* The backend's own tables: the schema version and the writer row. */
static const char pg_preamble[] =
    "CREATE TABLE IF NOT EXISTS fundgate_schema ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);"
    "INSERT INTO fundgate_schema (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;"
    "CREATE TABLE IF NOT EXISTS fundgate_writer ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);"
    "INSERT INTO fundgate_writer (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING";

/* After the migrations: the notices other processes wait for (store.h,
 * listen), a statement-level trigger on each watched table. Created only when
 * missing, so a start does not take the table's lock. */
static const char pg_watch[] =
    "CREATE OR REPLACE FUNCTION fundgate_notify() RETURNS trigger LANGUAGE plpgsql AS "
    "'BEGIN PERFORM pg_notify(''fundgate_'' || TG_TABLE_NAME, ''''); RETURN NULL; END';"
    "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'fundgate_notify' "
    "AND tgrelid = 'clients'::regclass) THEN CREATE TRIGGER fundgate_notify AFTER INSERT OR "
    "UPDATE OR DELETE ON clients FOR EACH STATEMENT EXECUTE FUNCTION fundgate_notify(); "
    "END IF; END $$";

static int migration_apply(struct store *s, const struct store_migration *m, struct fg_err *err)
{
    const char *override = NULL;
    for (size_t i = 0; i < sizeof(pg_overrides) / sizeof(pg_overrides[0]); i++)
        if (pg_overrides[i].version == m->version)
            override = pg_overrides[i].sql;
    char *text = override ? strdup(override) : pg_ddl_rewrite(m->sql);
    if (!text)
        return fg_fail(err, -FG_ENOMEM, "postgresql migrate: out of memory");
    char what[96];
    snprintf(what, sizeof(what), "migration %d (%s)", m->version, m->name);
    int rc = simple(s, text, err, what);
    free(text);
    return rc;
}

/* One attempt, in one transaction; the schema row's lock orders migrators. */
static int migrate_once(struct store *s, struct fg_err *err)
{
    int64_t version = 0;
    int rc = simple(s, "BEGIN ISOLATION LEVEL READ COMMITTED", err, "migrate");
    if (rc == 0)
        rc = simple(s, pg_preamble, err, "migrate");
    if (rc == 0)
        rc = query_version(s, "SELECT version FROM fundgate_schema WHERE id = 1 FOR UPDATE",
                           &version, err);
    if (rc == 0 && version > store_migrations_count)
        rc = fg_fail(err, -FG_ESTORE, "database schema version %lld is newer than this build (%d)",
                     (long long)version, store_migrations_count);
    for (int i = 0; rc == 0 && i < store_migrations_count; i++) {
        FG_ASSERT(store_migrations[i].version == i + 1);
        if (store_migrations[i].version > version)
            rc = migration_apply(s, &store_migrations[i], err);
    }
    char sql[80];
    snprintf(sql, sizeof(sql), "UPDATE fundgate_schema SET version = %d WHERE id = 1",
             store_migrations_count);
    if (rc == 0)
        rc = simple(s, sql, err, "migrate");
    if (rc == 0)
        rc = simple(s, pg_watch, err, "migrate (notices)");
    if (rc == 0)
        return pg_commit(s, err);
    pg_rollback(s);
    return rc;
}

static int pg_migrate(struct store *s, struct fg_err *err)
{
    int rc = open_check(s, err);
    /* Two processes creating the backend's tables at once: one loses with a
     * unique violation in the catalog; its second attempt finds them. */
    for (int attempt = 0; rc == 0 && attempt < 3; attempt++) {
        rc = migrate_once(s, err);
        if (rc != -FG_ECONSTRAINT)
            break;
        rc = 0;
    }
    if (rc == 0) {
        stmt_cache_clear(s); /* tables changed under any prepared plan */
        rc = identity_load(s, err);
    }
    return rc;
}

/* ---- open, close, reconnect ---- */

/* Server notices ("relation already exists, skipping") are not errors. */
static void notice_drop(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static int session_setup(struct store *s, struct fg_err *err)
{
    PQsetNoticeProcessor(s->conn, notice_drop, NULL);
    char sql[32 + PG_NAME_BYTES];
    snprintf(sql, sizeof(sql), "SET lock_timeout = %d", PG_LOCK_TIMEOUT_MS);
    int rc = simple(s, sql, err, "session");
    if (rc == 0)
        rc = identity_load(s, err);
    if (rc == 0 && s->listening[0]) {
        snprintf(sql, sizeof(sql), "LISTEN \"%s\"", s->listening);
        rc = simple(s, sql, err, "listen");
    }
    return rc;
}

/* Outside a transaction, a lost connection is made again through the same
 * connection string (multi-host: the current primary). */
static int conn_ready(struct store *s, struct fg_err *err)
{
    if (PQstatus(s->conn) == CONNECTION_OK && !s->suspect)
        return 0;
    /* Never inside a transaction: what follows would run in autocommit on the
     * new session while the caller believes it is still in its transaction. */
    if (s->open_tx)
        return fg_fail(err, -FG_ESTORE, "postgresql: connection lost inside a transaction");
    PQreset(s->conn);
    if (PQstatus(s->conn) != CONNECTION_OK)
        return fail_res(s, NULL, err, "reconnect");
    stmt_cache_clear(s); /* invariant 3 */
    s->suspect = false;
    s->committed_version = -1;
    store_generation_bump();
    fg_warn(NULL, "store: postgresql connection re-established (host %s)", PQhost(s->conn));
    return session_setup(s, err);
}

static int pg_open(const char *uri, struct store **out, struct fg_err *err)
{
    FG_ASSERT(uri && out);
    *out = NULL;
    struct store *s = calloc(1, sizeof(*s));
    if (!s)
        return fg_fail(err, -FG_ENOMEM, "postgresql open: out of memory");
    s->base.ops = &store_pg_ops;
    s->committed_version = -1;
    const char *const keys[] = {"dbname", "fallback_application_name", "client_encoding", NULL};
    const char *const vals[] = {uri, "fundgate", "UTF8", NULL};
    s->conn = PQconnectdbParams(keys, vals, 1);
    int rc = 0;
    if (!s->conn)
        rc = fg_fail(err, -FG_ENOMEM, "postgresql open: out of memory");
    else if (PQstatus(s->conn) != CONNECTION_OK)
        rc = fail_res(s, NULL, err, "connect");
    else
        rc = session_setup(s, err);
    if (rc < 0) {
        PQfinish(s->conn);
        free(s);
        return rc;
    }
    store_generation_bump(); /* a new connection may reuse a closed one's address */
    *out = s;
    return 0;
}

static void pg_close(struct store *s)
{
    if (!s)
        return;
    stmt_cache_clear(s);
    store_generation_bump(); /* an open transaction is rolled back by the server */
    PQfinish(s->conn);
    free(s);
}

/* ---- what SQLite has and PostgreSQL does otherwise ---- */

static int pg_open_peer(struct store *s, struct store **out, struct fg_err *err)
{
    (void)s;
    *out = NULL;
    return fg_fail(err, -FG_ENOT_FOUND, "postgresql: no checkpointer (the server checkpoints)");
}

static int pg_checkpoint(struct store *s, struct fg_err *err)
{
    (void)s;
    (void)err;
    return 0;
}

static void pg_checkpoints_hand_off(struct store *s)
{
    (void)s;
}

static int64_t pg_log_pages(struct store *s)
{
    (void)s;
    return 0;
}

static int pg_backup(struct store *s, const char *path, struct fg_err *err)
{
    (void)s;
    (void)path;
    return fg_fail(err, -FG_ENOT_FOUND,
                   "fundgate backup copies SQLite databases only; back a PostgreSQL database "
                   "up with pg_dump (e.g. pg_dump --format=custom --file=fundgate.dump "
                   "\"$URI\") or the cluster's base backups and WAL archive (docs/POSTGRES.md)");
}

static int pg_listen(struct store *s, const char *channel, struct fg_err *err)
{
    if (!savepoint_name_ok(channel) || strlen(channel) >= sizeof(s->listening))
        return fg_fail(err, -FG_ESTORE, "postgresql listen: bad channel name");
    int rc = conn_ready(s, err);
    if (rc < 0)
        return rc;
    char sql[32 + PG_NAME_BYTES];
    snprintf(sql, sizeof(sql), "LISTEN \"%s\"", channel);
    rc = simple(s, sql, err, "listen");
    if (rc == 0)
        snprintf(s->listening, sizeof(s->listening), "%s", channel);
    return rc;
}

/* Notices arrive between statements; take what libpq has read. */
static int notices_take(struct store *s)
{
    int n = 0;
    for (PGnotify *note; (note = PQnotifies(s->conn)) != NULL; PQfreemem(note))
        n++;
    return n > 0;
}

static int pg_wait_notice(struct store *s, int timeout_ms, struct fg_err *err)
{
    if (notices_take(s))
        return 1;
    if (PQstatus(s->conn) != CONNECTION_OK || PQsocket(s->conn) < 0)
        return fail_res(s, NULL, err, "wait for notices");
    struct pollfd p = {.fd = PQsocket(s->conn), .events = POLLIN};
    int ready = poll(&p, 1, timeout_ms);
    if (ready < 0 && errno != EINTR)
        return fg_fail(err, -FG_ESTORE, "postgresql wait for notices: %s", strerror(errno));
    if (ready > 0 && !PQconsumeInput(s->conn))
        return fail_res(s, NULL, err, "wait for notices");
    return notices_take(s);
}

static int pg_limit_pages(struct store *s, int64_t extra_pages, struct fg_err *err)
{
    (void)s;
    (void)extra_pages;
    return fg_fail(err, -FG_ENOT_FOUND, "postgresql: no page limit (use a full tablespace)");
}

const struct store_ops store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .migrate = pg_migrate,
    .schema_version = pg_schema_version,
    .exec = pg_exec,
    .last_insert_id = pg_last_insert_id,
    .changes_total = pg_changes_total,
    .begin = pg_begin,
    .begin_read = pg_begin_read,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .savepoint = pg_savepoint,
    .release = pg_release,
    .rollback_to = pg_rollback_to,
    .backup = pg_backup,
    .open_peer = pg_open_peer,
    .checkpoint = pg_checkpoint,
    .checkpoints_hand_off = pg_checkpoints_hand_off,
    .log_pages = pg_log_pages,
    .data_version = pg_data_version,
    .txn_state = pg_txn_state,
    .limit_pages = pg_limit_pages,
    .listen = pg_listen,
    .wait_notice = pg_wait_notice,
};
