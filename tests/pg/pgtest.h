/*
 * pgtest.h - a fresh PostgreSQL database per test, for the tests labelled pg.
 *
 * FUNDGATE_TEST_PG holds the URI of the throwaway cluster's maintenance
 * database (tests/pg/cluster.sh, started by CTest's fixture "pg"), of the form
 * postgresql:///fundgate?host=...&port=...&user=fundgate. pgtest_db_create
 * makes a new database there and gives its URI; pgtest_db_drop removes it
 * (connections still open to it are ended). Header-only: tests/unit and
 * tests/e2e both include it.
 */
#ifndef FG_PGTEST_H
#define FG_PGTEST_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The cluster's URI, or NULL when the tests run on SQLite. */
static inline const char *pgtest_base(void)
{
    const char *u = getenv("FUNDGATE_TEST_PG");
    return u && *u ? u : NULL;
}

/* base with its database name replaced by name. */
static inline void pgtest_uri_for(const char *base, const char *name, char *out, size_t cap)
{
    const char *q = strchr(base, '?');
    size_t upto = q ? (size_t)(q - base) : strlen(base);
    size_t slash = upto;
    while (slash > 0 && base[slash - 1] != '/')
        slash--;
    snprintf(out, cap, "%.*s%s%s", (int)slash, base, name, q ? q : "");
}

/* Run sql on the maintenance database; ok when it answers rows or done. */
static inline bool pgtest_admin_query(const char *sql)
{
    PGconn *c = PQconnectdb(pgtest_base());
    bool ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
        PGresult *r = PQexec(c, sql);
        ok = PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
    }
    PQfinish(c);
    return ok;
}

static inline bool pgtest_admin(const char *sql)
{
    PGconn *c = PQconnectdb(pgtest_base());
    bool ok = PQstatus(c) == CONNECTION_OK;
    if (ok) {
        PGresult *r = PQexec(c, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            fprintf(stderr, "pgtest: %s: %s", sql, PQresultErrorMessage(r));
        PQclear(r);
    } else {
        fprintf(stderr, "pgtest: connect: %s", PQerrorMessage(c));
    }
    PQfinish(c);
    return ok;
}

/* A new, empty database; its URI into uri. false when the cluster refused. */
static inline bool pgtest_db_create(const char *tag, char *uri, size_t cap)
{
    static int serial;
    char name[64], sql[128];
    snprintf(name, sizeof(name), "fg_%s_%d_%d", tag, (int)getpid(),
             __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED));
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    if (!pgtest_admin(sql))
        return false;
    pgtest_uri_for(pgtest_base(), name, uri, cap);
    return true;
}

/* The database name of a URI made by pgtest_db_create. */
static inline void pgtest_db_drop(const char *uri)
{
    const char *q = strchr(uri, '?');
    size_t end = q ? (size_t)(q - uri) : strlen(uri), start = end;
    while (start > 0 && uri[start - 1] != '/')
        start--;
    char sql[160];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %.*s WITH (FORCE)", (int)(end - start),
             uri + start);
    pgtest_admin(sql);
}

#endif
