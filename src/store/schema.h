/*
 * schema.h - the versioned migrations every store backend applies.
 *
 * Migration i (1-based) brings the schema from version i-1 to i. The SQL is
 * portable (standard SQL types, ON CONFLICT, partial indexes) so SQLite and
 * PostgreSQL run the same text. Append only: a released migration never changes.
 */
#ifndef FG_SCHEMA_H
#define FG_SCHEMA_H

#include "core/limits.h"

#define SCHEMA_STRINGIFY_(x) #x
#define SCHEMA_STRINGIFY(x) SCHEMA_STRINGIFY_(x)
/* The bucket of a journal row, spelled exactly as the per-account indexes
 * spell it: the planner uses an expression index only for the same text. */
#define SCHEMA_JOURNAL_BUCKET_SQL "(id >> " SCHEMA_STRINGIFY(FG_JOURNAL_BUCKET_SHIFT) ")"

struct store_migration {
    int version;
    const char *name;
    const char *sql; /* one or more statements separated by ';' */
};

extern const struct store_migration store_migrations[];
extern const int store_migrations_count;

#endif
