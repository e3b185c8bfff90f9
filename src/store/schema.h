/*
 * schema.h - the versioned migrations every store backend applies.
 *
 * Migration i (1-based) brings the schema from version i-1 to i. The SQL is
 * portable (standard SQL types, ON CONFLICT, partial indexes) so SQLite and
 * PostgreSQL run the same text. Append only: a released migration never changes.
 */
#ifndef FG_SCHEMA_H
#define FG_SCHEMA_H

struct store_migration {
    int version;
    const char *name;
    const char *sql; /* one or more statements separated by ';' */
};

extern const struct store_migration store_migrations[];
extern const int store_migrations_count;

#endif
