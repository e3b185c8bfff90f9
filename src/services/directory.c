/* directory.c - currencies and customers; see directory.h. */
#include "services/directory.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "ledger/ledger.h"
#include "store/store.h"

/* Moves on every directory write in this process (cache rule 2). */
static uint64_t dir_generation;

static void dir_changed(void)
{
    __atomic_add_fetch(&dir_generation, 1, __ATOMIC_ACQ_REL);
}

bool currency_code_valid(const char *code)
{
    size_t n = strlen(code);
    if (n < 2 || n > FG_CURRENCY_CODE_BYTES_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((code[i] >= 'A' && code[i] <= 'Z') || (code[i] >= '0' && code[i] <= '9')))
            return false;
    return true;
}

static int currency_row(void *ctx, struct store_row *row)
{
    struct currency *c = ctx;
    store_row_text_copy(row, 0, c->code, sizeof(c->code));
    c->digits = (int)store_row_int(row, 1);
    c->digital = store_row_int(row, 2) != 0;
    return 1;
}

int currency_get(struct store *s, const char *code, struct currency *out, struct fg_err *err)
{
    struct currency c = {0}; /* code may point into *out */
    int rc = store_exec(s, "SELECT code, digits, digital FROM currencies WHERE code = ?",
                        STORE_ARGS(SA_TEXT(code)), currency_row, &c, err);
    if (rc < 0)
        return rc;
    if (!c.code[0])
        return fg_fail(err, -FG_EUNKNOWN_CURRENCY, "unknown currency '%.16s'", code);
    *out = c;
    return 0;
}

int currency_create(struct store *s, const struct currency *c, int64_t now_ms, bool *created,
                    struct fg_err *err)
{
    int64_t changes = 0;
    *created = false;
    dir_changed();
    int rc = store_exec_changes(
        s,
        "INSERT INTO currencies (code, digits, digital, created_ms) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (code) DO NOTHING",
        STORE_ARGS(SA_TEXT(c->code), SA_INT(c->digits), SA_INT(c->digital), SA_INT(now_ms)),
        &changes, err);
    if (rc < 0)
        return rc;
    if (changes == 0) {
        struct currency old;
        if ((rc = currency_get(s, c->code, &old, err)) < 0)
            return rc;
        if (old.digits != c->digits || old.digital != c->digital)
            return fg_fail(err, -FG_EEXISTS, "currency %s exists with digits %d", c->code,
                           old.digits);
        return 0;
    }
    *created = true;
    return ledger_house_open(s, c->code, now_ms, err);
}

#define CUSTOMER_COLS                                                                              \
    "uuid, user_name, name, app_id, company_id, base_currency, status, omnibus_account_id"

const char *const customer_account_types[] = {"wallet", "securities", "futures", NULL};

int customer_account_type_index(const char *type)
{
    for (int i = 0; customer_account_types[i]; i++)
        if (strcmp(type, customer_account_types[i]) == 0)
            return i;
    return -1;
}

static int customer_row(void *ctx, struct store_row *row)
{
    struct customer *c = ctx;
    store_row_text_copy(row, 0, c->uuid, sizeof(c->uuid));
    store_row_text_copy(row, 1, c->user_name, sizeof(c->user_name));
    store_row_text_copy(row, 2, c->name, sizeof(c->name));
    store_row_text_copy(row, 3, c->app_id, sizeof(c->app_id));
    c->company_id = store_row_int(row, 4);
    store_row_text_copy(row, 5, c->base_currency, sizeof(c->base_currency));
    store_row_text_copy(row, 6, c->status, sizeof(c->status));
    store_row_text_copy(row, 7, c->omnibus_account_id, sizeof(c->omnibus_account_id));
    return 1;
}

struct customer_page_ctx {
    customer_fn fn;
    void *ctx;
};

static int customer_page_row(void *ctx, struct store_row *row)
{
    struct customer_page_ctx *p = ctx;
    struct customer c = {0};
    customer_row(&c, row);
    return p->fn(p->ctx, &c);
}

int customer_page(struct store *s, const char *q, const char *after_uuid, int limit, customer_fn fn,
                  void *ctx, struct fg_err *err)
{
    char like[3 * FG_NAME_BYTES_MAX + 3];
    size_t n = 0;
    like[n++] = '%';
    for (const char *p = q; *p && n + 4 < sizeof(like); p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            like[n++] = '\\';
        like[n++] = *p;
    }
    like[n++] = '%';
    like[n] = '\0';
    struct customer_page_ctx p = {.fn = fn, .ctx = ctx};
    return store_exec(s,
                      "SELECT " CUSTOMER_COLS " FROM customers WHERE uuid > ? AND (? = '' OR "
                      "LOWER(uuid) LIKE LOWER(?) ESCAPE '\\' OR LOWER(user_name) LIKE LOWER(?) "
                      "ESCAPE '\\' OR LOWER(name) LIKE LOWER(?) ESCAPE '\\') ORDER BY uuid LIMIT ?",
                      STORE_ARGS(SA_TEXT(after_uuid), SA_TEXT(q), SA_TEXT(like), SA_TEXT(like),
                                 SA_TEXT(like), SA_INT(limit)),
                      customer_page_row, &p, err);
}

struct currency_list_ctx {
    currency_fn fn;
    void *ctx;
};

static int currency_list_row(void *ctx, struct store_row *row)
{
    struct currency_list_ctx *l = ctx;
    struct currency c = {0};
    currency_row(&c, row);
    return l->fn(l->ctx, &c);
}

int currency_list(struct store *s, currency_fn fn, void *ctx, struct fg_err *err)
{
    struct currency_list_ctx l = {.fn = fn, .ctx = ctx};
    return store_exec(s, "SELECT code, digits, digital FROM currencies ORDER BY code LIMIT ?",
                      STORE_ARGS(SA_INT(FG_PAGE_LIMIT_MAX)), currency_list_row, &l, err);
}

int customer_get(struct store *s, const char *uuid, struct customer *out, struct fg_err *err)
{
    struct customer c = {0}; /* uuid may point into *out */
    int rc = store_exec(s, "SELECT " CUSTOMER_COLS " FROM customers WHERE uuid = ?",
                        STORE_ARGS(SA_TEXT(uuid)), customer_row, &c, err);
    if (rc < 0)
        return rc;
    if (!c.uuid[0])
        return fg_fail(err, -FG_EUNKNOWN_CUSTOMER, "unknown customer '%.64s'", uuid);
    *out = c;
    return 0;
}

int customer_find_by_name(struct store *s, int64_t company_id, const char *user_name,
                          struct customer *out, struct fg_err *err)
{
    struct customer c = {0};
    int rc = store_exec(
        s, "SELECT " CUSTOMER_COLS " FROM customers WHERE company_id = ? AND user_name = ?",
        STORE_ARGS(SA_INT(company_id), SA_TEXT(user_name)), customer_row, &c, err);
    if (rc < 0)
        return rc;
    if (c.uuid[0])
        *out = c;
    else
        return fg_fail(err, -FG_EUNKNOWN_CUSTOMER, "unknown user '%.64s' in company %lld",
                       user_name, (long long)company_id);
    return 0;
}

int customer_create(struct store *s, const struct customer *c, int64_t now_ms, bool *created,
                    struct fg_err *err)
{
    *created = false;
    dir_changed();
    struct customer old;
    int rc = customer_get(s, c->uuid, &old, NULL);
    if (rc == 0) {
        if (strcmp(old.user_name, c->user_name) || strcmp(old.name, c->name) ||
            strcmp(old.app_id, c->app_id) || old.company_id != c->company_id ||
            strcmp(old.base_currency, c->base_currency) ||
            strcmp(old.omnibus_account_id, c->omnibus_account_id))
            return fg_fail(err, -FG_EEXISTS, "customer %s exists with different content", c->uuid);
        return 0;
    }
    if (rc != -FG_EUNKNOWN_CUSTOMER)
        return rc;
    rc = store_exec_changes(s,
                            "INSERT INTO customers (uuid, user_name, name, app_id, company_id, "
                            "base_currency, status, created_ms, updated_ms, omnibus_account_id) "
                            "VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)",
                            STORE_ARGS(SA_TEXT(c->uuid), SA_TEXT(c->user_name), SA_TEXT(c->name),
                                       SA_TEXT(c->app_id), SA_INT(c->company_id),
                                       SA_TEXT(c->base_currency), SA_INT(now_ms), SA_INT(now_ms),
                                       SA_TEXT(c->omnibus_account_id)),
                            NULL, err);
    if (rc == -FG_ECONSTRAINT)
        return fg_fail(err, -FG_EEXISTS, "user_name '%s' is taken in company %lld", c->user_name,
                       (long long)c->company_id);
    if (rc < 0)
        return rc;
    *created = true;
    return 0;
}

int customer_set_status(struct store *s, const char *uuid, const char *status, int64_t now_ms,
                        struct fg_err *err)
{
    struct customer c;
    dir_changed();
    int rc = customer_get(s, uuid, &c, err);
    if (rc < 0)
        return rc;
    if (strcmp(c.status, "cancelled") == 0 && strcmp(status, "cancelled") != 0)
        return fg_fail(err, -FG_EBAD_FIELD, "customer %s is cancelled, which is final", uuid);
    return store_exec_changes(s, "UPDATE customers SET status = ?, updated_ms = ? WHERE uuid = ?",
                              STORE_ARGS(SA_TEXT(status), SA_INT(now_ms), SA_TEXT(uuid)), NULL,
                              err);
}

/* --- writer-side cache (see directory.h) ---------------------------------- */

#define CUSTOMER_SLOTS (2 * FG_WRITER_CACHE_CUSTOMERS_MAX)
static_assert((CUSTOMER_SLOTS & (CUSTOMER_SLOTS - 1)) == 0, "slots are a power of two");

struct dir_cache {
    struct store *store;
    uint64_t store_gen, dir_gen;
    int currency_count;
    struct currency currencies[FG_WRITER_CACHE_CURRENCIES_MAX];
    int customer_count;
    struct customer *customers[CUSTOMER_SLOTS]; /* open addressing, linear probing */
    int64_t hits;
};

static __thread struct dir_cache *tcache;
static pthread_key_t tcache_key; /* frees a thread's cache when it exits */
static pthread_once_t tcache_once = PTHREAD_ONCE_INIT;

static void cache_free(void *p);

static void tcache_key_create(void)
{
    int rc = pthread_key_create(&tcache_key, cache_free);
    FG_ASSERT(rc == 0); /* a key per process: only exhaustion fails, at start */
}

static void cache_empty(struct dir_cache *c)
{
    for (size_t i = 0; i < CUSTOMER_SLOTS && c->customer_count; i++)
        if (c->customers[i]) {
            free(c->customers[i]);
            c->customers[i] = NULL;
            c->customer_count--;
        }
    FG_ASSERT(c->customer_count == 0);
    c->currency_count = 0;
}

static void cache_free(void *p)
{
    struct dir_cache *c = p;
    cache_empty(c);
    free(c);
}

/* This thread's cache, valid for s (rules 1 and 2), or NULL without memory. */
static struct dir_cache *cache_for(struct store *s)
{
    struct dir_cache *c = tcache;
    if (!c) {
        pthread_once(&tcache_once, tcache_key_create);
        c = calloc(1, sizeof(*c));
        if (!c)
            return NULL;
        pthread_setspecific(tcache_key, c);
        tcache = c;
    }
    uint64_t sg = store_generation(), dg = __atomic_load_n(&dir_generation, __ATOMIC_ACQUIRE);
    if (c->store != s || c->store_gen != sg || c->dir_gen != dg) {
        cache_empty(c);
        c->store = s;
        c->store_gen = sg;
        c->dir_gen = dg;
    }
    return c;
}

int64_t directory_cache_hits(void)
{
    return tcache ? tcache->hits : 0;
}

int currency_get_cached(struct store *s, const char *code, struct currency *out, struct fg_err *err)
{
    struct dir_cache *c = cache_for(s);
    if (c)
        for (int i = 0; i < c->currency_count; i++)
            if (strcmp(c->currencies[i].code, code) == 0) {
                *out = c->currencies[i];
                c->hits++;
                return 0;
            }
    int rc = currency_get(s, code, out, err);
    if (rc < 0 || !c)
        return rc;
    if (c->currency_count >= FG_WRITER_CACHE_CURRENCIES_MAX)
        cache_empty(c);
    c->currencies[c->currency_count++] = *out;
    return 0;
}

static size_t customer_slot(int64_t company_id, const char *user_name)
{
    uint64_t h = UINT64_C(1469598103934665603) ^ (uint64_t)company_id; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)user_name; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    return (size_t)(h & (CUSTOMER_SLOTS - 1));
}

int customer_find_by_name_cached(struct store *s, int64_t company_id, const char *user_name,
                                 struct customer *out, struct fg_err *err)
{
    struct dir_cache *c = cache_for(s);
    size_t i = customer_slot(company_id, user_name);
    if (c) {
        /* At most half the slots are used, so a probe ends at an empty slot. */
        for (size_t probes = 0; c->customers[i]; probes++, i = (i + 1) & (CUSTOMER_SLOTS - 1)) {
            FG_ASSERT(probes < CUSTOMER_SLOTS);
            struct customer *e = c->customers[i];
            if (e->company_id == company_id && strcmp(e->user_name, user_name) == 0) {
                *out = *e;
                c->hits++;
                return 0;
            }
        }
    }
    int rc = customer_find_by_name(s, company_id, user_name, out, err);
    if (rc < 0 || !c)
        return rc;
    if (c->customer_count >= FG_WRITER_CACHE_CUSTOMERS_MAX) {
        cache_empty(c);
        i = customer_slot(company_id, user_name);
    }
    struct customer *e = malloc(sizeof(*e));
    if (!e)
        return 0; /* answered; just not cached */
    *e = *out;
    c->customers[i] = e;
    c->customer_count++;
    return 0;
}
