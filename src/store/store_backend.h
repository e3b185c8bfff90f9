/*
 * store_backend.h - what a store backend provides beyond struct store_ops:
 * the row a backend hands to store_exec's callback. Private to src/store/.
 *
 * The public accessors (store_row_int, ...) dispatch through row->ops, so one
 * caller's callback works on any backend's rows. A row lives on the backend's
 * stack for the duration of one callback; impl is the backend's cursor
 * (sqlite3_stmt for SQLite).
 */
#ifndef FG_STORE_BACKEND_H
#define FG_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_row_ops {
    int64_t (*int_at)(void *impl, int col);
    bool (*is_null)(void *impl, int col);
    /* Bytes and length; NULL only for SQL NULL (empty values give ""). */
    const char *(*text)(void *impl, int col, size_t *len);
    int (*columns)(void *impl);
};

struct store_row {
    const struct store_row_ops *ops;
    void *impl;
};

/* Backends call this where store_generation() must move (see store.h). */
void store_generation_bump(void);

#endif
