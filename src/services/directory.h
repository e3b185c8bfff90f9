/*
 * directory.h - currencies and customers: who and what the ledger knows.
 *
 * Reads work on any store connection; writes run on the engine's writer. A
 * currency, once created, never changes its digits (amounts depend on them).
 * Customer states: active <-> disabled; active|disabled -> cancelled (final).
 */
#ifndef FG_DIRECTORY_H
#define FG_DIRECTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"
#include "core/limits.h"

struct store;

struct currency {
    char code[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int digits;
    bool digital;
};

struct customer {
    char uuid[FG_UUID_BYTES_MAX + 1];
    char user_name[FG_NAME_BYTES_MAX + 1];
    char name[FG_NAME_BYTES_MAX + 1];
    char app_id[FG_NAME_BYTES_MAX + 1];
    int64_t company_id;
    char base_currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char status[16];
    /* The omnibus account the customer sits under ("" when none): a Funds
     * token naming another OmnibusAccountId may not act for the customer. */
    char omnibus_account_id[FG_OMNIBUS_ID_BYTES_MAX + 1];
};

/* -FG_EUNKNOWN_CURRENCY when absent. */
int currency_get(struct store *s, const char *code, struct currency *out, struct fg_err *err);
/* Insert; identical existing row: 0 with *created false; different: -FG_EEXISTS. */
int currency_create(struct store *s, const struct currency *c, int64_t now_ms, bool *created,
                    struct fg_err *err);
/* ^[A-Z0-9]{2,16}$ */
bool currency_code_valid(const char *code);

/* The types of a customer's accounts, in this order (rule and operator masks
 * use the positions as bits): wallet, securities, futures, NULL. */
extern const char *const customer_account_types[];
/* The position of type in customer_account_types; -1 when it is none. */
int customer_account_type_index(const char *type);

/* -FG_EUNKNOWN_CUSTOMER when absent. */
int customer_get(struct store *s, const char *uuid, struct customer *out, struct fg_err *err);
int customer_find_by_name(struct store *s, int64_t company_id, const char *user_name,
                          struct customer *out, struct fg_err *err);
/* Insert; identical existing row: 0 with *created false; different: -FG_EEXISTS. */
int customer_create(struct store *s, const struct customer *c, int64_t now_ms, bool *created,
                    struct fg_err *err);
/* Move to status; cancelled is final (-FG_EEXISTS... -FG_EBAD_FIELD). */
int customer_set_status(struct store *s, const char *uuid, const char *status, int64_t now_ms,
                        struct fg_err *err);

/* Operator reads. fn returns 0 to go on, 1 to stop, negative to fail. */
typedef int (*customer_fn)(void *ctx, const struct customer *c);
typedef int (*currency_fn)(void *ctx, const struct currency *c);
/* Customers with uuid > after_uuid, by uuid, at most limit; q ("" for all)
 * is a case-insensitive substring of uuid, user_name or name (a scan). q is
 * at most FG_NAME_BYTES_MAX bytes. */
int customer_page(struct store *s, const char *q, const char *after_uuid, int limit, customer_fn fn,
                  void *ctx, struct fg_err *err);
/* Every currency, by code (at most FG_PAGE_LIMIT_MAX). */
int currency_list(struct store *s, currency_fn fn, void *ctx, struct fg_err *err);

/*
 * Writer-side cache (issue 5): currency_get and customer_find_by_name served
 * from memory on the engine's writer, where the execute path asks for the same
 * few thousand rows all day. Same answers as the uncached calls, by these rules:
 *  1. the cache belongs to the calling thread (each thread has its own) and to
 *     one store: asked about another store, it empties first;
 *  2. it empties whenever store_generation() moved since it was filled (work
 *     undone: a row it holds may be gone) and whenever any directory write
 *     (currency_create, customer_create, customer_set_status) ran in this
 *     process, so a changed status is never served stale;
 *  3. only rows found are kept (an absent row is asked again), at most
 *     FG_WRITER_CACHE_*_MAX of each; when full it empties.
 * Use them only on a connection whose writes all go through this process.
 */
int currency_get_cached(struct store *s, const char *code, struct currency *out,
                        struct fg_err *err);
int customer_find_by_name_cached(struct store *s, int64_t company_id, const char *user_name,
                                 struct customer *out, struct fg_err *err);
/* Lookups served from memory since this thread's cache was created (tests). */
int64_t directory_cache_hits(void);

#endif
