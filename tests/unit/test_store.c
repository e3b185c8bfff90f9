/*
 * test_store.c - the store contract suite: what every backend of store.h must
 * do, written against const struct store_ops so the same tests run on each
 * backend. Without FUNDGATE_TEST_PG it runs on SQLite (CTest: test_store);
 * with it, on PostgreSQL (CTest: test_store_pg, label pg, against the
 * throwaway cluster of tests/pg/cluster.sh).
 *
 * Each test gets a fresh temporary directory and a fresh, migrated store
 * (SQLite: a file in it; PostgreSQL: a new database), and removes both.
 * Where the backends differ on purpose (a failed statement spoils a
 * PostgreSQL transaction; backup), the test says so and checks each.
 */
#define _GNU_SOURCE /* nftw */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pthread.h>

#include "core/limits.h"
#include "pg/pgtest.h"
#include "store/schema.h"
#include "store/store.h"

struct backend {
    const struct store_ops *ops;
    /* Where a store of this backend lives for a test using directory dir. */
    void (*uri)(const char *dir, const char *name, char *buf, size_t cap);
};

static void sqlite_uri(const char *dir, const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", dir, name);
}

static void pg_uri(const char *dir, const char *name, char *buf, size_t cap)
{
    (void)dir;
    (void)name;
    assert_true(pgtest_db_create("store", buf, cap));
}

static const struct backend backends[] = {
    {&store_sqlite_ops, sqlite_uri},
    {&store_pg_ops, pg_uri},
};

static bool is_pg(const struct store_ops *ops)
{
    return ops == &store_pg_ops;
}

struct fixture {
    const struct backend *be;
    const struct store_ops *ops;
    char dir[64];
    char uri[PATH_MAX];
    struct store *s;
};

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    const struct backend *be = *state;
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->be = be;
    f->ops = be->ops;
    snprintf(f->dir, sizeof(f->dir), "/tmp/fg-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    be->uri(f->dir, "fg.db", f->uri, sizeof(f->uri));
    struct fg_err err = {0};
    assert_int_equal(f->ops->open(f->uri, &f->s, &err), 0);
    assert_int_equal(f->ops->migrate(f->s, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->s);
    if (is_pg(f->ops))
        pgtest_db_drop(f->uri);
    nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static int64_t count_currencies(struct store *s)
{
    int64_t n = -1;
    assert_int_equal(store_query_int(s, "SELECT COUNT(*) FROM currencies", STORE_NOARGS, &n, NULL),
                     0);
    return n;
}

static void add_currency(struct store *s, const char *code, int digits)
{
    struct fg_err err = {0};
    int rc = store_exec(s, "INSERT INTO currencies(code, digits, created_ms) VALUES (?, ?, ?)",
                        STORE_ARGS(SA_TEXT(code), SA_INT(digits), SA_INT(1000)), NULL, NULL, &err);
    assert_int_equal(rc, 0);
}

static void test_migrate_idempotent(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    assert_int_equal(f->ops->schema_version(f->s), store_migrations_count);
    assert_int_equal(f->ops->migrate(f->s, &err), 0);
    assert_int_equal(f->ops->migrate(f->s, &err), 0);
    assert_int_equal(f->ops->schema_version(f->s), store_migrations_count);
    /* The tables the ledger relies on exist and are empty. */
    static const char *const tables[] = {
        "SELECT COUNT(*) FROM currencies", "SELECT COUNT(*) FROM customers",
        "SELECT COUNT(*) FROM accounts",   "SELECT COUNT(*) FROM transfers",
        "SELECT COUNT(*) FROM holds",      "SELECT COUNT(*) FROM idem",
        "SELECT COUNT(*) FROM clients",    "SELECT COUNT(*) FROM audit",
    };
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        int64_t n = -1;
        assert_int_equal(store_query_int(f->s, tables[i], STORE_NOARGS, &n, &err), 0);
        assert_int_equal(n, 0);
    }
}

static void test_store_open_dispatch(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    assert_ptr_equal(store_backend_for("postgresql://localhost/fg"), &store_pg_ops);
    assert_ptr_equal(store_backend_for("postgres://u:p@h1,h2/fg?target_session_attrs=read-write"),
                     &store_pg_ops);
    assert_ptr_equal(store_backend_for("host=/tmp dbname=fg"), &store_pg_ops);
    assert_ptr_equal(store_backend_for("/var/lib/fundgate/fundgate.db"), &store_sqlite_ops);
    assert_ptr_equal(store_backend_for("fundgate-data/fundgate.db"), &store_sqlite_ops);
    struct store *s = (struct store *)1;
    assert_int_equal(store_open("", true, &s, &err), -FG_ESTORE);
    assert_null(s);
    /* Nothing listens there: a clear error, no store. */
    s = (struct store *)1;
    assert_int_equal(
        store_open("postgresql:///fg?host=/nonexistent&connect_timeout=2", false, &s, &err),
        -FG_ESTORE);
    assert_null(s);
    assert_non_null(strstr(err.msg, "postgresql"));

    /* Passwords never reach a log. */
    char shown[256];
    store_uri_redact("postgresql://fg:s3cret@db1,db2/fg?sslmode=require", shown, sizeof(shown));
    assert_string_equal(shown, "postgresql://fg:***@db1,db2/fg?sslmode=require");
    store_uri_redact("host=db dbname=fg password=s3cret user=fg", shown, sizeof(shown));
    assert_string_equal(shown, "host=db dbname=fg password=*** user=fg");
    store_uri_redact("postgresql:///fg?host=/tmp&password=s3cret", shown, sizeof(shown));
    assert_string_equal(shown, "postgresql:///fg?host=/tmp&password=***");
    store_uri_redact("/data/fundgate.db", shown, sizeof(shown));
    assert_string_equal(shown, "/data/fundgate.db");

    /* store_open picks the backend by URI and migrates. */
    assert_int_equal(store_open(f->uri, true, &s, &err), 0);
    assert_ptr_equal(store_ops_of(s), f->ops);
    assert_int_equal(store_ops_of(s)->schema_version(s), store_migrations_count);
    store_close(s);
    store_close(NULL);

    struct store_arg a = store_arg_text(NULL);
    assert_int_equal(a.type, STORE_NULL);
    a = SA_TEXT("abc");
    assert_int_equal(a.type, STORE_TEXT);
    assert_int_equal(a.n, 3);
}

struct idem_row {
    int rows;
    char scope[32];
    char key[32];
    size_t key_len;
    unsigned char hash[16];
    size_t hash_len;
    bool response_null;
    int64_t status;
    int columns;
};

static int read_idem(void *ctx, struct store_row *row)
{
    struct idem_row *r = ctx;
    r->rows++;
    r->columns = store_row_columns(row);
    store_row_text_copy(row, 0, r->scope, sizeof(r->scope));
    const char *k = store_row_text(row, 1, &r->key_len);
    assert_non_null(k);
    assert_true(r->key_len < sizeof(r->key));
    memcpy(r->key, k, r->key_len);
    const char *h = store_row_text(row, 2, &r->hash_len);
    assert_non_null(h);
    assert_true(r->hash_len <= sizeof(r->hash));
    memcpy(r->hash, h, r->hash_len);
    r->response_null = store_row_is_null(row, 3);
    size_t len = 99;
    assert_null(store_row_text(row, 3, &len));
    assert_int_equal(len, 0);
    r->status = store_row_int(row, 4);
    return 0;
}

static void test_exec_arg_types(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    static const unsigned char hash[8] = {0x01, 0x00, 0xff, 0x00, 0x7f, 0x00, 0x00, 0x02};
    int64_t changes = -1;
    /* TEXT with an explicit length: only the first 4 bytes of "key1-ignored". */
    int rc = store_exec_changes(
        f->s,
        "INSERT INTO idem(scope, key, req_hash, state, status, response, ref, created_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        STORE_ARGS(SA_TEXT("withdraw"), SA_TEXTN("key1-ignored", 4), SA_BLOB(hash, sizeof(hash)),
                   SA_INT(0), SA_INT(INT64_C(-9223372036854775807) - 1), SA_NULL, SA_TEXT(NULL),
                   SA_INT(INT64_MAX)),
        &changes, &err);
    assert_int_equal(rc, 0);
    assert_int_equal(changes, 1);

    struct idem_row r = {0};
    rc = store_exec(f->s,
                    "SELECT scope, key, req_hash, response, status, ref IS NULL, created_ms"
                    " FROM idem WHERE scope = ? AND key = ?",
                    STORE_ARGS(SA_TEXT("withdraw"), SA_TEXT("key1")), read_idem, &r, &err);
    assert_int_equal(rc, 0);
    assert_int_equal(r.rows, 1);
    assert_int_equal(r.columns, 7);
    assert_string_equal(r.scope, "withdraw");
    assert_int_equal(r.key_len, 4);
    assert_memory_equal(r.key, "key1", 4);
    assert_int_equal(r.hash_len, sizeof(hash));
    assert_memory_equal(r.hash, hash, sizeof(hash));
    assert_true(r.response_null);
    assert_true(r.status == INT64_MIN);

    int64_t v = 0;
    assert_int_equal(store_query_int(f->s, "SELECT created_ms FROM idem WHERE key = ?",
                                     STORE_ARGS(SA_TEXT("key1")), &v, &err),
                     0);
    assert_true(v == INT64_MAX);

    /* Empty TEXT and BLOB are values, not NULL. */
    rc = store_exec(f->s,
                    "INSERT INTO idem(scope, key, req_hash, state, status, response, created_ms)"
                    " VALUES (?, ?, ?, 0, 200, ?, 1)",
                    STORE_ARGS(SA_TEXTN(NULL, 0), SA_TEXT(""), SA_BLOB(NULL, 0), SA_BLOB("", 0)),
                    NULL, NULL, &err);
    assert_int_equal(rc, 0);
    assert_int_equal(store_query_int(f->s,
                                     "SELECT COUNT(*) FROM idem WHERE scope = '' AND key = ''"
                                     " AND length(req_hash) = 0 AND response IS NOT NULL",
                                     STORE_NOARGS, &v, &err),
                     0);
    assert_int_equal(v, 1);

    /* Wrong number of args is refused, not run. */
    rc = store_exec(f->s, "SELECT ?", STORE_NOARGS, NULL, NULL, &err);
    assert_int_equal(rc, -FG_ESTORE);

    /* Updates report their changes; a later SELECT reports none. */
    add_currency(f->s, "USD", 2);
    add_currency(f->s, "EUR", 2);
    assert_int_equal(
        store_exec_changes(f->s, "UPDATE currencies SET digital = 1", STORE_NOARGS, &changes, &err),
        0);
    assert_int_equal(changes, 2);
    assert_int_equal(
        store_exec_changes(f->s, "SELECT code FROM currencies", STORE_NOARGS, &changes, &err), 0);
    assert_int_equal(changes, 0);
    /* An INSERT into a table whose id the database assigns reports it. */
    int64_t before = store_last_insert_id(f->s);
    assert_int_equal(store_exec(f->s,
                                "INSERT INTO audit (ts_ms, actor, action, target, trace) "
                                "VALUES (1, 'a', 'b', 'c', 'd')",
                                STORE_NOARGS, NULL, NULL, &err),
                     0);
    int64_t id = store_last_insert_id(f->s);
    assert_true(id > 0 && id != before);
    int64_t back = 0;
    assert_int_equal(
        store_query_int(f->s, "SELECT id FROM audit WHERE target = 'c'", STORE_NOARGS, &back, &err),
        0);
    assert_true(back == id);
    /* Text is exact bytes: a NUL inside is refused (PostgreSQL) or kept
     * (SQLite), never cut short at the NUL. */
    rc = store_exec(f->s, "INSERT INTO currencies(code, digits, created_ms) VALUES (?, 2, 1)",
                    STORE_ARGS(SA_TEXTN("AB\0CD", 5)), NULL, NULL, &err);
    assert_true(rc == 0 || is_pg(f->ops));
    assert_int_equal(store_query_int(f->s, "SELECT COUNT(*) FROM currencies WHERE code = 'AB'",
                                     STORE_NOARGS, &v, &err),
                     0);
    assert_int_equal(v, 0);
}

struct counter {
    int rows;
    int stop_at;
    int abort_code;
};

static int count_row(void *ctx, struct store_row *row)
{
    struct counter *c = ctx;
    (void)row;
    c->rows++;
    if (c->rows == c->stop_at)
        return c->abort_code ? c->abort_code : 1;
    return 0;
}

static void test_row_callback_stop_and_abort(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    add_currency(f->s, "AAA", 2);
    add_currency(f->s, "BBB", 2);
    add_currency(f->s, "CCC", 2);
    static const char sql[] = "SELECT code FROM currencies ORDER BY code";

    struct counter c = {.stop_at = 2};
    assert_int_equal(store_exec(f->s, sql, STORE_NOARGS, count_row, &c, &err), 0);
    assert_int_equal(c.rows, 2);

    c = (struct counter){.stop_at = 1, .abort_code = -FG_EINTERNAL};
    assert_int_equal(store_exec(f->s, sql, STORE_NOARGS, count_row, &c, &err), -FG_EINTERNAL);
    assert_int_equal(c.rows, 1);

    /* The statement was reset after the stop: a full run sees every row. */
    c = (struct counter){0};
    assert_int_equal(store_exec(f->s, sql, STORE_NOARGS, count_row, &c, &err), 0);
    assert_int_equal(c.rows, 3);

    /* No callback: rows are stepped and dropped. */
    assert_int_equal(store_exec(f->s, sql, STORE_NOARGS, NULL, NULL, &err), 0);
}

struct nested {
    struct store *s;
    int inner_rows;
    int outer_rows;
};

static const char nested_sql[] = "SELECT code FROM currencies ORDER BY code";

static int nested_inner(void *ctx, struct store_row *row)
{
    struct nested *n = ctx;
    (void)row;
    n->inner_rows++;
    return 0;
}

static int nested_outer(void *ctx, struct store_row *row)
{
    struct nested *n = ctx;
    char code[8];
    store_row_text_copy(row, 0, code, sizeof(code));
    n->outer_rows++;
    /* The same SQL text while its statement is running. */
    assert_int_equal(store_exec(n->s, nested_sql, STORE_NOARGS, nested_inner, n, NULL), 0);
    /* The outer row is intact after the nested run. */
    char again[8];
    store_row_text_copy(row, 0, again, sizeof(again));
    assert_string_equal(code, again);
    return 0;
}

static void test_nested_exec_same_sql(void **state)
{
    struct fixture *f = *state;
    add_currency(f->s, "AAA", 2);
    add_currency(f->s, "BBB", 2);
    struct nested n = {.s = f->s};
    assert_int_equal(store_exec(f->s, nested_sql, STORE_NOARGS, nested_outer, &n, NULL), 0);
    assert_int_equal(n.outer_rows, 2);
    assert_int_equal(n.inner_rows, 4);
}

static void test_unique_violation(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    add_currency(f->s, "USD", 2);
    int64_t changes = -1;
    int rc = store_exec_changes(
        f->s, "INSERT INTO currencies(code, digits, created_ms) VALUES (?, ?, ?), (?, ?, ?)",
        STORE_ARGS(SA_TEXT("GBP"), SA_INT(2), SA_INT(1), SA_TEXT("USD"), SA_INT(3), SA_INT(1)),
        &changes, &err);
    assert_int_equal(rc, -FG_ECONSTRAINT);
    assert_int_equal(err.code, -FG_ECONSTRAINT);
    assert_true(err.msg[0] != '\0');
    assert_int_equal(changes, 0);
    /* Nothing changed: neither GBP nor a second USD. */
    assert_int_equal(count_currencies(f->s), 1);
    int64_t digits = -1;
    assert_int_equal(store_query_int(f->s, "SELECT digits FROM currencies WHERE code = ?",
                                     STORE_ARGS(SA_TEXT("USD")), &digits, &err),
                     0);
    assert_int_equal(digits, 2);
    /* Inside a transaction the violation spoils only its statement on
     * SQLite; PostgreSQL refuses the rest of the transaction (store.h
     * "failed"), and store_txn_active says which happened. */
    assert_int_equal(store_begin(f->s, &err), 0);
    add_currency(f->s, "EUR", 2);
    rc = store_exec(f->s, "INSERT INTO currencies(code, digits, created_ms) VALUES ('USD', 0, 0)",
                    STORE_NOARGS, NULL, NULL, &err);
    assert_int_equal(rc, -FG_ECONSTRAINT);
    if (is_pg(f->ops)) {
        assert_false(store_txn_active(f->s));
        assert_int_equal(store_exec(f->s, "SELECT 1", STORE_NOARGS, NULL, NULL, &err), -FG_ESTORE);
        assert_int_equal(store_commit(f->s, &err), -FG_ESTORE);
        assert_int_equal(count_currencies(f->s), 1);
        return;
    }
    assert_true(store_txn_active(f->s));
    assert_int_equal(store_commit(f->s, &err), 0);
    assert_int_equal(count_currencies(f->s), 2);
}

static void test_savepoints(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    assert_int_equal(store_begin(f->s, &err), 0);
    add_currency(f->s, "AAA", 2);

    assert_int_equal(store_savepoint(f->s, "cmd_1", &err), 0);
    add_currency(f->s, "BBB", 2);
    assert_int_equal(store_rollback_to(f->s, "cmd_1", &err), 0);
    assert_int_equal(store_release(f->s, "cmd_1", &err), 0);

    assert_int_equal(store_savepoint(f->s, "cmd_2", &err), 0);
    add_currency(f->s, "CCC", 2);
    /* Nested savepoint undone inside a kept one. */
    assert_int_equal(store_savepoint(f->s, "inner", &err), 0);
    add_currency(f->s, "DDD", 2);
    assert_int_equal(store_rollback_to(f->s, "inner", &err), 0);
    assert_int_equal(store_release(f->s, "inner", &err), 0);
    assert_int_equal(store_release(f->s, "cmd_2", &err), 0);
    assert_int_equal(store_commit(f->s, &err), 0);

    int64_t n = -1;
    assert_int_equal(store_query_int(f->s,
                                     "SELECT COUNT(*) FROM currencies WHERE code IN ('AAA','CCC')",
                                     STORE_NOARGS, &n, &err),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(count_currencies(f->s), 2);

    /* Names are identifiers only; savepoints need a transaction. */
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_int_equal(store_savepoint(f->s, "x; DROP TABLE currencies", &err), -FG_ESTORE);
    assert_int_equal(store_savepoint(f->s, "", &err), -FG_ESTORE);
    assert_int_equal(store_release(f->s, "never_made", &err), -FG_ESTORE);
    assert_int_equal(store_rollback(f->s), 0);
    assert_int_equal(store_savepoint(f->s, "outside", &err), -FG_ESTORE);
    assert_int_equal(count_currencies(f->s), 2);
}

static void test_commit_durable_rollback_discards(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    assert_int_equal(store_begin(f->s, &err), 0);
    add_currency(f->s, "USD", 2);
    assert_int_equal(store_commit(f->s, &err), 0);

    assert_int_equal(store_begin(f->s, &err), 0);
    add_currency(f->s, "EUR", 2);
    assert_int_equal(count_currencies(f->s), 2);
    assert_int_equal(store_rollback(f->s), 0);
    assert_int_equal(count_currencies(f->s), 1);
    /* Safe when idle. */
    assert_int_equal(store_rollback(f->s), 0);

    /* Left open at close: discarded. */
    assert_int_equal(store_begin(f->s, &err), 0);
    add_currency(f->s, "JPY", 0);
    store_close(f->s);
    f->s = NULL;

    assert_int_equal(f->ops->open(f->uri, &f->s, &err), 0);
    assert_int_equal(count_currencies(f->s), 1);
    int64_t digits = -1;
    assert_int_equal(store_query_int(f->s, "SELECT digits FROM currencies WHERE code = 'USD'",
                                     STORE_NOARGS, &digits, &err),
                     0);
    assert_int_equal(digits, 2);
}

static void test_snapshot_isolation(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    struct store *reader = NULL;
    assert_int_equal(f->ops->open(f->uri, &reader, &err), 0);
    add_currency(f->s, "USD", 2);

    assert_int_equal(store_begin_read(reader, &err), 0);
    /* Committed after the reader's snapshot began, before its first table read. */
    assert_int_equal(store_begin(f->s, &err), 0);
    add_currency(f->s, "EUR", 2);
    assert_int_equal(store_commit(f->s, &err), 0);
    assert_int_equal(count_currencies(reader), 1);
    add_currency(f->s, "JPY", 0);
    assert_int_equal(count_currencies(reader), 1);
    assert_int_equal(store_commit(reader, &err), 0);

    assert_int_equal(store_begin_read(reader, &err), 0);
    assert_int_equal(count_currencies(reader), 3);
    assert_int_equal(store_rollback(reader), 0);
    store_close(reader);
}

static void test_query_int_not_found(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    int64_t v = 42;
    assert_int_equal(store_query_int(f->s, "SELECT digits FROM currencies WHERE code = ?",
                                     STORE_ARGS(SA_TEXT("XXX")), &v, &err),
                     -FG_ENOT_FOUND);
    assert_int_equal(err.code, -FG_ENOT_FOUND);
    assert_int_equal(v, 42);
}

#define CACHE_TEXTS (FG_STORE_STMT_CACHE_MAX * 2 + 17)

static void test_statement_cache_overflow(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    /* The cache keys on addresses, so each text needs its own buffer. */
    static char texts[CACHE_TEXTS][48];
    for (int i = 0; i < CACHE_TEXTS; i++)
        snprintf(texts[i], sizeof(texts[i]), "SELECT %d + ?", i);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < CACHE_TEXTS; i++) {
            int64_t v = -1;
            assert_int_equal(store_query_int(f->s, texts[i], STORE_ARGS(SA_INT(round)), &v, &err),
                             0);
            assert_int_equal(v, i + round);
        }
    }
    /* A buffer reused for different SQL runs the new text, not the cached plan. */
    char reused[48];
    int64_t v = -1;
    snprintf(reused, sizeof(reused), "SELECT 7");
    assert_int_equal(store_query_int(f->s, reused, STORE_NOARGS, &v, &err), 0);
    assert_int_equal(v, 7);
    snprintf(reused, sizeof(reused), "SELECT 8");
    assert_int_equal(store_query_int(f->s, reused, STORE_NOARGS, &v, &err), 0);
    assert_int_equal(v, 8);
}

static void test_bad_sql(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    int rc = store_exec(f->s, "SELEKT 1", STORE_NOARGS, NULL, NULL, &err);
    assert_int_equal(rc, -FG_ESTORE);
    assert_int_equal(err.code, -FG_ESTORE);
    assert_non_null(strstr(err.msg, "syntax"));
    err = (struct fg_err){0};
    rc = store_exec(f->s, "SELECT * FROM no_such_table", STORE_NOARGS, NULL, NULL, &err);
    assert_int_equal(rc, -FG_ESTORE);
    assert_non_null(strstr(err.msg, "no_such_table"));
    /* The connection is still fine. */
    assert_int_equal(count_currencies(f->s), 0);
}

static void test_several_statements(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    int64_t changes = -1;
    int rc =
        store_exec_changes(f->s,
                           "INSERT INTO currencies(code, digits, created_ms) VALUES ('AAA', 2, 1);"
                           "INSERT INTO currencies(code, digits, created_ms) VALUES ('BBB', 2, 1);",
                           STORE_NOARGS, &changes, &err);
    assert_int_equal(rc, 0);
    assert_int_equal(changes, 2);
    assert_int_equal(count_currencies(f->s), 2);
    rc = store_exec(f->s, "SELECT 1; SELECT ?", STORE_ARGS(SA_INT(1)), NULL, NULL, &err);
    assert_int_equal(rc, -FG_ESTORE);
}

static void test_backup(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    add_currency(f->s, "USD", 2);
    add_currency(f->s, "EUR", 2);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/backup.db", f->dir);
    if (is_pg(f->ops)) { /* PostgreSQL has its own tools, and says so */
        assert_int_equal(f->ops->backup(f->s, path, &err), -FG_ENOT_FOUND);
        assert_non_null(strstr(err.msg, "pg_dump"));
        assert_int_equal(access(path, F_OK), -1);
        return;
    }
    assert_int_equal(f->ops->backup(f->s, path, &err), 0);
    assert_int_equal(access(path, F_OK), 0);

    /* Later writes do not reach the backup. */
    add_currency(f->s, "JPY", 0);

    struct store *b = NULL;
    assert_int_equal(store_sqlite_ops.open(path, &b, &err), 0);
    assert_int_equal(store_ops_of(b)->schema_version(b), store_migrations_count);
    assert_int_equal(count_currencies(b), 2);
    store_close(b);

    char bad[PATH_MAX];
    snprintf(bad, sizeof(bad), "%s/no/such/dir/backup.db", f->dir);
    assert_int_equal(f->ops->backup(f->s, bad, &err), -FG_ESTORE);
}

static void test_failed_commit_leaves_store_usable(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    /* A deferred foreign key is checked at COMMIT, so that COMMIT fails. */
    assert_int_equal(store_exec(f->s,
                                "CREATE TABLE t_parent (id INTEGER PRIMARY KEY);"
                                "CREATE TABLE t_child (pid INTEGER REFERENCES t_parent(id)"
                                " DEFERRABLE INITIALLY DEFERRED)",
                                STORE_NOARGS, NULL, NULL, &err),
                     0);
    assert_int_equal(store_begin(f->s, &err), 0);
    add_currency(f->s, "USD", 2);
    assert_int_equal(
        store_exec(f->s, "INSERT INTO t_child(pid) VALUES (5)", STORE_NOARGS, NULL, NULL, &err), 0);
    assert_int_equal(store_commit(f->s, &err), -FG_ECONSTRAINT);

    /* Rolled back, and a new transaction starts and commits. */
    assert_int_equal(count_currencies(f->s), 0);
    assert_int_equal(store_begin(f->s, &err), 0);
    add_currency(f->s, "EUR", 2);
    assert_int_equal(store_commit(f->s, &err), 0);
    assert_int_equal(count_currencies(f->s), 1);
}

/* store.h "ended": after a failure that made the database end the
 * transaction (injected: an I/O error as SQLite meets it), nothing runs until
 * rollback, so nothing can be committed in autocommit behind the writer. */
static void test_ended_transaction_is_sticky(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    add_currency(f->s, "USD", 2);
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_true(store_txn_active(f->s));
    add_currency(f->s, "EUR", 2);
    store_fault_arm(f->s, STORE_FAULT_STATEMENT, 1);
    int rc =
        store_exec(f->s, "INSERT INTO currencies(code, digits, created_ms) VALUES ('GBP', 2, 1)",
                   STORE_NOARGS, NULL, NULL, &err);
    assert_int_equal(rc, -FG_ESTORE);
    assert_false(store_txn_active(f->s));
    assert_true(store_in_write_tx(f->s));
    /* Refused, not run in autocommit. */
    rc = store_exec(f->s, "INSERT INTO currencies(code, digits, created_ms) VALUES ('JPY', 0, 1)",
                    STORE_NOARGS, NULL, NULL, &err);
    assert_int_equal(rc, -FG_ESTORE);
    assert_non_null(strstr(err.msg, "ended the transaction"));
    int64_t n = 0;
    assert_int_equal(store_query_int(f->s, "SELECT 1", STORE_NOARGS, &n, &err), -FG_ESTORE);
    assert_int_equal(store_savepoint(f->s, "sp", &err), -FG_ESTORE);
    assert_int_equal(store_release(f->s, "sp", &err), -FG_ESTORE);
    assert_int_equal(store_rollback_to(f->s, "sp", &err), -FG_ESTORE);
    assert_int_equal(store_commit(f->s, &err), -FG_ESTORE);
    assert_false(store_in_write_tx(f->s));
    assert_int_equal(count_currencies(f->s), 1); /* EUR went with the transaction */

    /* A SAVEPOINT that fails the same way, then a rollback: usable again. */
    assert_int_equal(store_begin(f->s, &err), 0);
    add_currency(f->s, "EUR", 2);
    store_fault_arm(f->s, STORE_FAULT_SAVEPOINT, 2);
    assert_int_equal(store_savepoint(f->s, "one", &err), 0);
    assert_int_equal(store_savepoint(f->s, "two", &err), -FG_ESTORE);
    assert_false(store_txn_active(f->s));
    assert_int_equal(store_release(f->s, "one", &err), -FG_ESTORE);
    assert_int_equal(store_rollback(f->s), 0);
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_true(store_txn_active(f->s));
    add_currency(f->s, "CHF", 2);
    assert_int_equal(store_commit(f->s, &err), 0);
    assert_int_equal(count_currencies(f->s), 2);
    /* Outside a write transaction the faults do not fire (nothing to end). */
    store_fault_arm(f->s, STORE_FAULT_STATEMENT, 1);
    assert_int_equal(count_currencies(f->s), 2);
    store_fault_arm(f->s, STORE_FAULT_NONE, 0);
}

/* A failed statement inside a savepoint, undone by ROLLBACK TO: the
 * transaction goes on (PostgreSQL refuses everything in between). */
static void test_failed_statement_in_savepoint(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    add_currency(f->s, "USD", 2);
    assert_int_equal(store_begin(f->s, &err), 0);
    add_currency(f->s, "EUR", 2);
    assert_int_equal(store_savepoint(f->s, "cmd", &err), 0);
    add_currency(f->s, "GBP", 2);
    int rc =
        store_exec(f->s, "INSERT INTO currencies(code, digits, created_ms) VALUES ('USD', 0, 0)",
                   STORE_NOARGS, NULL, NULL, &err);
    assert_int_equal(rc, -FG_ECONSTRAINT);
    assert_true(store_in_write_tx(f->s));
    assert_int_equal(store_rollback_to(f->s, "cmd", &err), 0);
    assert_true(store_txn_active(f->s));
    assert_int_equal(store_release(f->s, "cmd", &err), 0);
    add_currency(f->s, "JPY", 0);
    assert_int_equal(store_commit(f->s, &err), 0);
    assert_int_equal(count_currencies(f->s), 3); /* USD, EUR, JPY: not GBP */
}

/* Another connection's commit moves data_version; this connection's own
 * commits do not (the ledger's live totals rely on both, store.h). */
static void test_data_version(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    struct store *other = NULL;
    assert_int_equal(f->ops->open(f->uri, &other, &err), 0);
    int64_t v1 = 0, v2 = 0, v3 = 0;
    assert_int_equal(store_begin(f->s, &err), 0);
    add_currency(f->s, "USD", 2);
    assert_int_equal(store_commit(f->s, &err), 0);
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_int_equal(store_data_version(f->s, &v1, &err), 0);
    add_currency(f->s, "EUR", 2);
    assert_int_equal(store_commit(f->s, &err), 0);
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_int_equal(store_data_version(f->s, &v2, &err), 0);
    assert_true(v1 == v2); /* only our own commit in between */
    assert_int_equal(store_commit(f->s, &err), 0);

    assert_int_equal(store_begin(other, &err), 0);
    add_currency(other, "JPY", 0);
    assert_int_equal(store_commit(other, &err), 0);
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_int_equal(store_data_version(f->s, &v3, &err), 0);
    assert_true(v3 != v2);
    assert_int_equal(store_rollback(f->s), 0);
    store_close(other);
}

struct waiter {
    struct store *s;
    int rc;
    bool done;
};

static void *begin_waiter(void *p)
{
    struct waiter *w = p;
    w->rc = store_begin(w->s, NULL);
    __atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
    return NULL;
}

/* A second write transaction waits for the first to end (SQLite: the file's
 * write lock; PostgreSQL: the writer row), so the writers of several
 * processes never interleave and never deadlock on each other's rows. */
static void test_writers_take_turns(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    struct waiter w = {0};
    assert_int_equal(f->ops->open(f->uri, &w.s, &err), 0);
    assert_int_equal(store_begin(f->s, &err), 0);
    add_currency(f->s, "USD", 2);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, begin_waiter, &w), 0);
    usleep(300000);
    assert_false(__atomic_load_n(&w.done, __ATOMIC_ACQUIRE));
    assert_int_equal(store_commit(f->s, &err), 0);
    pthread_join(th, NULL);
    assert_int_equal(w.rc, 0);
    /* The second sees the first's commit, and can build on it. */
    assert_int_equal(count_currencies(w.s), 1);
    add_currency(w.s, "EUR", 2);
    assert_int_equal(store_commit(w.s, &err), 0);
    assert_int_equal(count_currencies(f->s), 2);
    store_close(w.s);
}

/* PostgreSQL: a connection the server dropped (failover, restart) is made
 * again by the next statement or transaction outside a transaction (a read
 * that met the loss runs again at once; a write is not repeated, it may have
 * committed); inside one, the transaction is over and the store says so
 * until rollback, and the next BEGIN reconnects. */
static void test_reconnect(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    if (!is_pg(f->ops))
        return; /* a file does not drop its connections */
    add_currency(f->s, "USD", 2);
    char sql[96];
    for (int round = 0; round < 2; round++) {
        int64_t pid = 0;
        assert_int_equal(store_query_int(f->s, "SELECT pg_backend_pid()", STORE_NOARGS, &pid, &err),
                         0);
        if (round == 1)
            assert_int_equal(store_begin(f->s, &err), 0);
        snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%lld)", (long long)pid);
        assert_true(pgtest_admin_query(sql));
        usleep(100000);
        if (round == 0) { /* outside: a read reconnects and runs; a write is not repeated */
            assert_int_equal(count_currencies(f->s), 1);
            assert_int_equal(
                store_query_int(f->s, "SELECT pg_backend_pid()", STORE_NOARGS, &pid, &err), 0);
            snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%lld)", (long long)pid);
            assert_true(pgtest_admin_query(sql));
            usleep(100000);
            assert_true(store_exec(f->s, "UPDATE currencies SET digits = 3", STORE_NOARGS, NULL,
                                   NULL, &err) < 0);
            assert_int_equal(count_currencies(f->s), 1);
            continue;
        }
        assert_true(store_exec(f->s, "SELECT 1", STORE_NOARGS, NULL, NULL, &err) < 0);
        assert_false(store_txn_active(f->s));
        assert_int_equal(store_exec(f->s, "SELECT 1", STORE_NOARGS, NULL, NULL, &err), -FG_ESTORE);
        assert_true(store_commit(f->s, &err) < 0);
        assert_int_equal(store_begin(f->s, &err), 0);
        add_currency(f->s, "EUR", 2);
        assert_int_equal(store_commit(f->s, &err), 0);
        assert_int_equal(count_currencies(f->s), 2);
    }
}

struct migrator {
    const struct store_ops *ops;
    const char *uri;
    int rc;
    int version;
};

static void *migrate_main(void *p)
{
    struct migrator *m = p;
    struct store *s = NULL;
    m->rc = m->ops->open(m->uri, &s, NULL);
    if (m->rc == 0)
        m->rc = m->ops->migrate(s, NULL);
    if (m->rc == 0)
        m->version = m->ops->schema_version(s);
    store_close(s);
    return NULL;
}

/* Two processes starting on a fresh database at once both succeed, and each
 * migration is applied once (a second application would fail its CREATE). */
static void test_concurrent_migrate(void **state)
{
    struct fixture *f = *state;
    char uri[PATH_MAX];
    f->be->uri(f->dir, "fresh.db", uri, sizeof(uri));
    struct migrator m[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        m[i] = (struct migrator){.ops = f->ops, .uri = uri};
        assert_int_equal(pthread_create(&th[i], NULL, migrate_main, &m[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(m[i].rc, 0);
        assert_int_equal(m[i].version, store_migrations_count);
    }
    if (is_pg(f->ops))
        pgtest_db_drop(uri);
}

static void test_begin_twice_fails(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_int_equal(store_begin(f->s, &err), -FG_ESTORE);
    assert_int_equal(store_rollback(f->s), 0);
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_int_equal(store_commit(f->s, &err), 0);
}

static void test_writer_busy(void **state)
{
    struct fixture *f = *state;
    struct fg_err err = {0};
    if (f->ops != &store_sqlite_ops)
        return; /* the busy timeout is a SQLite notion */
    struct store *other = NULL;
    assert_int_equal(f->ops->open(f->uri, &other, &err), 0);
    /* Do not wait the full busy timeout in a unit test. */
    assert_int_equal(store_exec(other, "PRAGMA busy_timeout = 10", STORE_NOARGS, NULL, NULL, &err),
                     0);
    assert_int_equal(store_begin(f->s, &err), 0);
    assert_int_equal(store_begin(other, &err), -FG_EBUSY);
    assert_int_equal(store_rollback(other), 0);
    assert_int_equal(store_commit(f->s, &err), 0);
    assert_int_equal(store_begin(other, &err), 0);
    assert_int_equal(store_commit(other, &err), 0);
    store_close(other);
}

#define CONTRACT_TEST(fn, be) cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, (be))

int main(void)
{
    int failed = 0;
    /* One backend per run: SQLite, or PostgreSQL when the cluster is given. */
    for (size_t i = pgtest_base() ? 1 : 0; i < (pgtest_base() ? 2 : 1); i++) {
        void *be = (void *)&backends[i];
        const struct CMUnitTest tests[] = {
            CONTRACT_TEST(test_migrate_idempotent, be),
            CONTRACT_TEST(test_store_open_dispatch, be),
            CONTRACT_TEST(test_exec_arg_types, be),
            CONTRACT_TEST(test_row_callback_stop_and_abort, be),
            CONTRACT_TEST(test_nested_exec_same_sql, be),
            CONTRACT_TEST(test_unique_violation, be),
            CONTRACT_TEST(test_savepoints, be),
            CONTRACT_TEST(test_commit_durable_rollback_discards, be),
            CONTRACT_TEST(test_snapshot_isolation, be),
            CONTRACT_TEST(test_query_int_not_found, be),
            CONTRACT_TEST(test_statement_cache_overflow, be),
            CONTRACT_TEST(test_bad_sql, be),
            CONTRACT_TEST(test_several_statements, be),
            CONTRACT_TEST(test_backup, be),
            CONTRACT_TEST(test_failed_commit_leaves_store_usable, be),
            CONTRACT_TEST(test_begin_twice_fails, be),
            CONTRACT_TEST(test_ended_transaction_is_sticky, be),
            CONTRACT_TEST(test_failed_statement_in_savepoint, be),
            CONTRACT_TEST(test_data_version, be),
            CONTRACT_TEST(test_writers_take_turns, be),
            CONTRACT_TEST(test_reconnect, be),
            CONTRACT_TEST(test_concurrent_migrate, be),
            CONTRACT_TEST(test_writer_busy, be),
        };
        failed += _cmocka_run_group_tests(backends[i].ops->name, tests,
                                          sizeof(tests) / sizeof(tests[0]), NULL, NULL);
    }
    return failed ? 1 : 0;
}
