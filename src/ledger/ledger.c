/*
 * ledger.c - accounts, transfers, holds and reconciliation; see ledger.h for
 * the invariants and the hold state machine.
 *
 * Each transfer takes its two accounts from the live table (loaded by rowid
 * the first time in a transaction), checks currency, status, overflow and the
 * customer-balance rule in memory, writes its journal row and then moves the
 * totals in memory; the store writes changed accounts at the next savepoint or
 * commit (see "live account totals" below and docs/PERFORMANCE.md).
 */
#include "ledger/ledger.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/money.h"
#include "store/schema.h"
#include "store/store.h"

const char *const ledger_house_types[] = {"cash", "payouts", "fees", "fx", "tradeboss"};
const int ledger_house_type_count = 5;

#define ACCOUNT_COLS                                                                               \
    "id, owner, type, currency, flags, status, debits_posted, credits_posted, debits_pending, "    \
    "credits_pending"

#define TRANSFER_COLS                                                                              \
    "id, debit_id, credit_id, amount, currency, flags, pending_id, timeout_ms, ts_ms, kind, ref, " \
    "reverses_id"

int64_t ledger_account_balance(const struct ledger_account *a)
{
    return a->credits_posted - a->debits_posted;
}

int64_t ledger_account_available(const struct ledger_account *a)
{
    return a->credits_posted - a->debits_posted - a->debits_pending;
}

static void account_from_row(struct store_row *row, struct ledger_account *a)
{
    a->id = store_row_int(row, 0);
    store_row_text_copy(row, 1, a->owner, sizeof(a->owner));
    store_row_text_copy(row, 2, a->type, sizeof(a->type));
    store_row_text_copy(row, 3, a->currency, sizeof(a->currency));
    a->flags = (int)store_row_int(row, 4);
    store_row_text_copy(row, 5, a->status, sizeof(a->status));
    a->debits_posted = store_row_int(row, 6);
    a->credits_posted = store_row_int(row, 7);
    a->debits_pending = store_row_int(row, 8);
    a->credits_pending = store_row_int(row, 9);
}

static int account_row(void *ctx, struct store_row *row)
{
    account_from_row(row, ctx);
    return 1;
}

static int account_select(struct store *s, const char *sql, const struct store_arg *args, int nargs,
                          struct ledger_account *out, struct fg_err *err)
{
    struct ledger_account a = {0}; /* args may point into *out */
    int rc = store_exec(s, sql, args, nargs, account_row, &a, err);
    if (rc < 0)
        return rc;
    if (!a.id)
        return -FG_EUNKNOWN_ACCOUNT;
    *out = a;
    return 0;
}

/* --- live account totals (the writer's overlay, store.h) ------------------
 *
 * A transfer changes its two accounts' totals here, in memory, and writes only
 * its journal row; the accounts table gets each changed account once, when
 * the store flushes the overlay before the next SAVEPOINT or COMMIT. A batch
 * of thousands of transfers against one house account writes that row once.
 * Correctness rests on the store's hooks: flush before SAVEPOINT (so a
 * ROLLBACK TO undoes only work done after it, all of which discard forgets),
 * flush before COMMIT (a failed flush fails the commit), discard after every
 * rollback, and begin dropping everything when another connection has
 * committed since (PRAGMA data_version). Readers on other connections see
 * committed rows, which the flush has made whole. Functions that read
 * accounts on this connection (get, find, list) overlay what is held here;
 * reconcile flushes first.
 */

#define LIVE_SLOTS (2 * FG_WRITER_LIVE_ACCOUNTS_MAX)
static_assert((FG_WRITER_LIVE_ACCOUNTS_MAX & (FG_WRITER_LIVE_ACCOUNTS_MAX - 1)) == 0,
              "live slots are a power of two");

struct live_acct {
    struct ledger_account a;
    bool dirty;
#ifndef NDEBUG
    int64_t base[4]; /* the four totals as read or last written (live_pairs_check) */
#endif
};

struct live {
    int count, dirty_count;
    int64_t data_version;
    struct live_acct *accts;   /* [FG_WRITER_LIVE_ACCOUNTS_MAX] */
    struct live_acct **dirty;  /* the changed entries, [FG_WRITER_LIVE_ACCOUNTS_MAX] */
    int32_t slots[LIVE_SLOTS]; /* index + 1 into accts; 0 empty; at most half full */
};

static size_t live_slot_of(int64_t id)
{
    uint64_t h = (uint64_t)id * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 40) & (LIVE_SLOTS - 1);
}

static struct live_acct *live_find(struct live *L, int64_t id)
{
    for (size_t i = live_slot_of(id), probes = 0;; i = (i + 1) & (LIVE_SLOTS - 1), probes++) {
        FG_ASSERT(probes < LIVE_SLOTS); /* at most half full: a probe ends at an empty slot */
        int32_t k = L->slots[i];
        if (!k)
            return NULL;
        if (L->accts[k - 1].a.id == id)
            return &L->accts[k - 1];
    }
}

static void live_discard(void *ctx)
{
    struct live *L = ctx;
    if (!L->count)
        return;
    memset(L->slots, 0, sizeof(L->slots));
    L->count = 0;
    L->dirty_count = 0;
}

static int by_account_id(const void *a, const void *b)
{
    int64_t x = (*(struct live_acct *const *)a)->a.id, y = (*(struct live_acct *const *)b)->a.id;
    return (x > y) - (x < y);
}

#ifndef NDEBUG
#define LIVE_PAIR_CURRENCIES_MAX 64

static void live_base_set(struct live_acct *e)
{
    e->base[0] = e->a.debits_posted;
    e->base[1] = e->a.credits_posted;
    e->base[2] = e->a.debits_pending;
    e->base[3] = e->a.credits_pending;
}

/* Debug builds, before a flush writes the totals: every transfer moved the
 * same amount into a debit and a credit total of one currency, so per
 * currency what the changed accounts gained in debits they gained in
 * credits, posted and pending (the written fact is checked against the one
 * it pairs with; reconcile checks it again from the journal). */
static void live_pairs_check(const struct live *L)
{
    struct live_pair {
        const char *currency;
        money_i128 d[4];
    } sum[LIVE_PAIR_CURRENCIES_MAX];
    int n = 0;
    for (int i = 0; i < L->dirty_count; i++) {
        const struct live_acct *e = L->dirty[i];
        int k = 0;
        while (k < n && strcmp(sum[k].currency, e->a.currency) != 0)
            k++;
        if (k == n && n == LIVE_PAIR_CURRENCIES_MAX)
            return; /* more currencies in one flush than the check holds: skip it */
        if (k == n)
            sum[n++] = (struct live_pair){.currency = e->a.currency};
        int64_t now[4] = {e->a.debits_posted, e->a.credits_posted, e->a.debits_pending,
                          e->a.credits_pending};
        for (int t = 0; t < 4; t++)
            sum[k].d[t] += (money_i128)now[t] - e->base[t];
    }
    for (int k = 0; k < n; k++)
        FG_ASSERT(sum[k].d[0] == sum[k].d[1] && sum[k].d[2] == sum[k].d[3]);
}
#else
static void live_base_set(struct live_acct *e)
{
    (void)e;
}

static void live_pairs_check(const struct live *L)
{
    (void)L;
}
#endif

static int live_flush(void *ctx, struct store *s, struct fg_err *err)
{
    struct live *L = ctx;
    live_pairs_check(L);
    /* In id order: each UPDATE's page is the last one's or the next. */
    qsort(L->dirty, (size_t)L->dirty_count, sizeof(*L->dirty), by_account_id);
    for (int i = 0; i < L->dirty_count; i++) {
        struct live_acct *e = L->dirty[i];
        FG_ASSERT(e->dirty);
        int64_t changes = 0;
        int rc = store_exec_changes(
            s,
            "UPDATE accounts SET debits_posted = ?, credits_posted = ?, debits_pending = ?, "
            "credits_pending = ? WHERE id = ?",
            STORE_ARGS(SA_INT(e->a.debits_posted), SA_INT(e->a.credits_posted),
                       SA_INT(e->a.debits_pending), SA_INT(e->a.credits_pending), SA_INT(e->a.id)),
            &changes, err);
        if (rc < 0)
            return rc; /* the caller's commit or savepoint fails; rollback discards */
        FG_ASSERT(changes == 1);
    }
    /* Only now: a flush that failed half way (a full disk that the transaction
     * survived) leaves every entry dirty, and the next flush writes them all
     * again (each UPDATE writes whole values, so twice is harmless). */
    for (int i = 0; i < L->dirty_count; i++) {
        L->dirty[i]->dirty = false;
        live_base_set(L->dirty[i]);
    }
    L->dirty_count = 0;
    return 0;
}

static int live_begin(void *ctx, struct store *s, struct fg_err *err)
{
    struct live *L = ctx;
    FG_ASSERT(L->dirty_count == 0);
    int64_t v;
    int rc = store_data_version(s, &v, err);
    if (rc < 0)
        return rc;
    if (v != L->data_version)
        live_discard(L); /* another connection committed: what is held may be stale */
    L->data_version = v;
    return 0;
}

static void live_destroy(void *ctx)
{
    struct live *L = ctx;
    free(L->accts);
    free(L->dirty);
    free(L);
}

static const struct store_overlay live_overlay = {
    .begin = live_begin, .flush = live_flush, .discard = live_discard, .destroy = live_destroy};

/* The live table of s, made on first use; NULL when out of memory (the
 * callers then write through, as before the overlay). */
static struct live *live_of(struct store *s)
{
    struct live *L = store_overlay_of(s, &live_overlay);
    if (L)
        return L;
    L = calloc(1, sizeof(*L));
    if (L) {
        L->accts = malloc(sizeof(*L->accts) * FG_WRITER_LIVE_ACCOUNTS_MAX);
        L->dirty = malloc(sizeof(*L->dirty) * FG_WRITER_LIVE_ACCOUNTS_MAX);
        L->data_version = -1;
        /* Inside a transaction already: what it reads from now on is current. */
        if (!L->accts || !L->dirty || store_data_version(s, &L->data_version, NULL) < 0) {
            live_destroy(L);
            return NULL;
        }
    }
    if (L)
        store_overlay_set(s, &live_overlay, L);
    return L;
}

static void live_mark(struct live *L, struct live_acct *e)
{
    if (e->dirty)
        return;
    e->dirty = true;
    L->dirty[L->dirty_count++] = e;
}

/* Account id as this transaction sees it: from the table, or read and kept. */
static int live_load(struct store *s, struct live *L, int64_t id, struct live_acct **out,
                     struct fg_err *err)
{
    struct live_acct *e = live_find(L, id);
    if (e) {
        *out = e;
        return 0;
    }
    struct ledger_account a;
    int rc = account_select(s, "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?",
                            STORE_ARGS(SA_INT(id)), &a, err);
    if (rc == -FG_EUNKNOWN_ACCOUNT)
        return fg_fail(err, rc, "account %lld does not exist", (long long)id);
    if (rc < 0)
        return rc;
    if (L->count >= FG_WRITER_LIVE_ACCOUNTS_MAX) {
        /* Full: write out and start over (callers hold no entry across a load). */
        if ((rc = live_flush(L, s, err)) < 0)
            return rc;
        live_discard(L);
    }
    e = &L->accts[L->count];
    *e = (struct live_acct){.a = a};
    live_base_set(e);
    size_t i = live_slot_of(id);
    for (size_t probes = 0; L->slots[i]; probes++, i = (i + 1) & (LIVE_SLOTS - 1))
        FG_ASSERT(probes < LIVE_SLOTS);
    L->slots[i] = ++L->count;
    *out = e;
    return 0;
}

/* What this connection holds for account id, if anything. Only inside a
 * write transaction: begin checked then that nobody else had committed;
 * outside one, another connection may have since. */
static const struct ledger_account *live_peek(struct store *s, int64_t id)
{
    struct live *L = store_in_write_tx(s) ? store_overlay_of(s, &live_overlay) : NULL;
    struct live_acct *e = L ? live_find(L, id) : NULL;
    return e ? &e->a : NULL;
}

int ledger_account_get(struct store *s, int64_t id, struct ledger_account *out, struct fg_err *err)
{
    const struct ledger_account *held = live_peek(s, id);
    if (held) {
        *out = *held;
        return 0;
    }
    int rc = account_select(s, "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?",
                            STORE_ARGS(SA_INT(id)), out, err);
    if (rc == -FG_EUNKNOWN_ACCOUNT)
        return fg_fail(err, rc, "account %lld does not exist", (long long)id);
    return rc;
}

int ledger_account_find(struct store *s, const char *owner, const char *type, const char *currency,
                        struct ledger_account *out, struct fg_err *err)
{
    int rc = account_select(
        s, "SELECT " ACCOUNT_COLS " FROM accounts WHERE owner = ? AND type = ? AND currency = ?",
        STORE_ARGS(SA_TEXT(owner), SA_TEXT(type), SA_TEXT(currency)), out, err);
    if (rc == -FG_EUNKNOWN_ACCOUNT)
        return fg_fail(err, rc, "no %s account in %s for %s", type, currency, owner);
    const struct ledger_account *held = rc == 0 ? live_peek(s, out->id) : NULL;
    if (held)
        *out = *held;
    return rc;
}

int ledger_sync(struct store *s, struct fg_err *err)
{
    struct live *L = store_overlay_of(s, &live_overlay);
    int rc = L ? live_flush(L, s, err) : 0;
    if (L && rc == 0)
        live_discard(L); /* the caller may now change the rows behind the table's back */
    return rc;
}

/* --- writer-side account id cache (see ledger.h) -------------------------- */

#define ACCOUNT_SLOTS (2 * FG_WRITER_CACHE_ACCOUNTS_MAX)
static_assert((ACCOUNT_SLOTS & (ACCOUNT_SLOTS - 1)) == 0, "slots are a power of two");

struct account_key {
    int64_t id;
    char owner[FG_UUID_BYTES_MAX + 1];
    char type[LEDGER_TYPE_BYTES_MAX];
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
};

struct account_cache {
    struct store *store;
    uint64_t gen;
    int count;
    struct account_key *slots[ACCOUNT_SLOTS]; /* open addressing, at most half full */
};

static __thread struct account_cache *acache;
static pthread_key_t acache_key; /* frees a thread's cache when it exits */
static pthread_once_t acache_once = PTHREAD_ONCE_INIT;

static void acache_empty(struct account_cache *c)
{
    for (size_t i = 0; i < ACCOUNT_SLOTS && c->count; i++)
        if (c->slots[i]) {
            free(c->slots[i]);
            c->slots[i] = NULL;
            c->count--;
        }
    FG_ASSERT(c->count == 0);
}

static void acache_free(void *p)
{
    acache_empty(p);
    free(p);
}

static void acache_key_create(void)
{
    int rc = pthread_key_create(&acache_key, acache_free);
    FG_ASSERT(rc == 0); /* a key per process: only exhaustion fails, at start */
}

static struct account_cache *acache_for(struct store *s)
{
    struct account_cache *c = acache;
    if (!c) {
        pthread_once(&acache_once, acache_key_create);
        if (!(c = calloc(1, sizeof(*c))))
            return NULL;
        pthread_setspecific(acache_key, c);
        acache = c;
    }
    uint64_t gen = store_generation();
    if (c->store != s || c->gen != gen) {
        acache_empty(c);
        c->store = s;
        c->gen = gen;
    }
    return c;
}

static size_t account_slot(const char *owner, const char *type, const char *currency)
{
    uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a over the three, 0-separated */
    const char *parts[3] = {owner, type, currency};
    for (int k = 0; k < 3; k++) {
        for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++)
            h = (h ^ *p) * UINT64_C(1099511628211);
        h *= UINT64_C(1099511628211);
    }
    return (size_t)(h & (ACCOUNT_SLOTS - 1));
}

int ledger_account_id_cached(struct store *s, const char *owner, const char *type,
                             const char *currency, int64_t *id, struct fg_err *err)
{
    struct account_cache *c = acache_for(s);
    size_t i = account_slot(owner, type, currency);
    if (c)
        for (size_t probes = 0; c->slots[i]; probes++, i = (i + 1) & (ACCOUNT_SLOTS - 1)) {
            FG_ASSERT(probes < ACCOUNT_SLOTS);
            struct account_key *e = c->slots[i];
            if (strcmp(e->owner, owner) == 0 && strcmp(e->type, type) == 0 &&
                strcmp(e->currency, currency) == 0) {
                *id = e->id;
                return 0;
            }
        }
    struct ledger_account a;
    int rc = ledger_account_find(s, owner, type, currency, &a, err);
    if (rc < 0)
        return rc;
    *id = a.id;
    /* Keep only what the row says exactly (a truncated copy could match
     * another, shorter name). */
    if (!c || strcmp(a.owner, owner) != 0 || strcmp(a.type, type) != 0 ||
        strcmp(a.currency, currency) != 0)
        return 0; /* answered; just not cached */
    if (c->count >= FG_WRITER_CACHE_ACCOUNTS_MAX) {
        acache_empty(c);
        i = account_slot(owner, type, currency);
    }
    struct account_key *e = calloc(1, sizeof(*e));
    if (!e)
        return 0;
    e->id = a.id;
    snprintf(e->owner, sizeof(e->owner), "%s", a.owner);
    snprintf(e->type, sizeof(e->type), "%s", a.type);
    snprintf(e->currency, sizeof(e->currency), "%s", a.currency);
    c->slots[i] = e;
    c->count++;
    return 0;
}

int ledger_account_open(struct store *s, const char *owner, const char *type, const char *currency,
                        int flags, int64_t now_ms, struct ledger_account *out, struct fg_err *err)
{
    int rc = store_exec_changes(
        s,
        "INSERT INTO accounts (owner, type, currency, flags, status, created_ms) "
        "VALUES (?, ?, ?, ?, 'active', ?) ON CONFLICT (owner, type, currency) DO NOTHING",
        STORE_ARGS(SA_TEXT(owner), SA_TEXT(type), SA_TEXT(currency), SA_INT(flags), SA_INT(now_ms)),
        NULL, err);
    if (rc < 0)
        return rc;
    struct ledger_account tmp;
    return ledger_account_find(s, owner, type, currency, out ? out : &tmp, err);
}

int ledger_house_open(struct store *s, const char *currency, int64_t now_ms, struct fg_err *err)
{
    for (int i = 0; i < ledger_house_type_count; i++) {
        int rc = ledger_account_open(s, LEDGER_HOUSE, ledger_house_types[i], currency, 0, now_ms,
                                     NULL, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int ledger_account_set_status(struct store *s, int64_t id, const char *status, struct fg_err *err)
{
    int rc = store_exec_changes(s, "UPDATE accounts SET status = ? WHERE id = ?",
                                STORE_ARGS(SA_TEXT(status), SA_INT(id)), NULL, err);
    struct live *L = store_overlay_of(s, &live_overlay);
    struct live_acct *e = L && rc == 0 ? live_find(L, id) : NULL;
    if (e)
        snprintf(e->a.status, sizeof(e->a.status), "%s", status);
    return rc;
}

static void transfer_from_row(struct store_row *row, struct ledger_transfer *t)
{
    t->id = store_row_int(row, 0);
    t->debit_id = store_row_int(row, 1);
    t->credit_id = store_row_int(row, 2);
    t->amount = store_row_int(row, 3);
    store_row_text_copy(row, 4, t->currency, sizeof(t->currency));
    t->flags = (int)store_row_int(row, 5);
    t->pending_id = store_row_int(row, 6);
    t->timeout_ms = store_row_int(row, 7);
    t->ts_ms = store_row_int(row, 8);
    store_row_text_copy(row, 9, t->kind, sizeof(t->kind));
    store_row_text_copy(row, 10, t->ref, sizeof(t->ref));
    t->reverses_id = store_row_int(row, 11);
}

static int transfer_row(void *ctx, struct store_row *row)
{
    transfer_from_row(row, ctx);
    return 1;
}

int ledger_transfer_get(struct store *s, int64_t id, struct ledger_transfer *out,
                        struct fg_err *err)
{
    out->id = 0;
    int rc = store_exec(s, "SELECT " TRANSFER_COLS " FROM transfers WHERE id = ?",
                        STORE_ARGS(SA_INT(id)), transfer_row, out, err);
    if (rc < 0)
        return rc;
    if (!out->id)
        return fg_fail(err, -FG_ENOT_FOUND, "transfer %lld does not exist", (long long)id);
    return 0;
}

int ledger_hold_state(struct store *s, int64_t pending_id, enum ledger_hold_state *out,
                      struct fg_err *err)
{
    int64_t v;
    int rc = store_query_int(s, "SELECT state FROM holds WHERE pending_id = ?",
                             STORE_ARGS(SA_INT(pending_id)), &v, err);
    if (rc == -FG_ENOT_FOUND)
        return fg_fail(err, -FG_EPENDING_NOT_FOUND, "pending transfer %lld does not exist",
                       (long long)pending_id);
    if (rc < 0)
        return rc;
    *out = (enum ledger_hold_state)v;
    return 0;
}

static int journal_insert(struct store *s, struct ledger_transfer *t, struct fg_err *err)
{
    int rc = store_exec_changes(
        s,
        "INSERT INTO transfers (debit_id, credit_id, amount, currency, flags, pending_id, "
        "timeout_ms, ts_ms, kind, ref, reverses_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        STORE_ARGS(SA_INT(t->debit_id), SA_INT(t->credit_id), SA_INT(t->amount),
                   SA_TEXT(t->currency), SA_INT(t->flags),
                   t->pending_id ? SA_INT(t->pending_id) : SA_NULL,
                   t->timeout_ms ? SA_INT(t->timeout_ms) : SA_NULL, SA_INT(t->ts_ms),
                   SA_TEXT(t->kind), t->ref[0] ? SA_TEXT(t->ref) : SA_NULL,
                   t->reverses_id ? SA_INT(t->reverses_id) : SA_NULL),
        NULL, err);
    if (rc < 0)
        return rc;
    t->id = store_last_insert_id(s);
    FG_ASSERT(t->id > 0);
    return 0;
}

static int overflow(struct fg_err *err, const struct ledger_account *a)
{
    return fg_fail(err, -FG_EOVERFLOW, "account %lld totals would overflow", (long long)a->id);
}

/* Customer accounts may never spend what they do not have (invariant 3). */
static bool within_balance(const struct ledger_account *dr)
{
    if (!(dr->flags & LEDGER_ACCT_CUSTOMER))
        return true;
    int64_t out;
    if (!money_add(dr->debits_posted, dr->debits_pending, &out))
        return false;
    return out <= dr->credits_posted;
}

/* The live table to work in, or NULL (out of memory). Outside a write
 * transaction every statement commits by itself, so nothing may stay held
 * across calls: the table starts empty and ledger_done writes it out. */
static struct live *live_begin_op(struct store *s)
{
    struct live *L = live_of(s);
    if (L && !store_in_write_tx(s))
        live_discard(L);
    return L;
}

static int live_end_op(struct store *s, struct live *L, int rc, struct fg_err *err)
{
    if (rc == 0 && !store_in_write_tx(s)) {
        rc = live_flush(L, s, err);
        live_discard(L);
    }
    return rc;
}

/* Can account e take this side of transfer t? The refusals in the order the
 * guarded UPDATEs of earlier versions gave them: currency, status, overflow,
 * then (debit side of a customer account) the balance. */
static int side_check(const struct ledger_account *a, const struct ledger_transfer *t, bool debit,
                      struct fg_err *err)
{
    if (strcmp(a->currency, t->currency) != 0)
        return fg_fail(err, -FG_ECURRENCY_MISMATCH, "transfer in %s touches account %lld in %s",
                       t->currency, (long long)a->id, a->currency);
    if (strcmp(a->status, "active") != 0)
        return fg_fail(err, -FG_EACCOUNT_INACTIVE, "account %lld is %s", (long long)a->id,
                       a->status);
    bool pending = t->flags & LEDGER_PENDING;
    int64_t v = debit ? (pending ? a->debits_pending : a->debits_posted)
                      : (pending ? a->credits_pending : a->credits_posted);
    if (!money_add(v, t->amount, &v))
        return overflow(err, a);
    if (debit && (a->flags & LEDGER_ACCT_CUSTOMER)) {
        int64_t spent;
        if (!money_add(a->debits_posted, a->debits_pending, &spent) ||
            !money_add(spent, t->amount, &spent) || spent > a->credits_posted)
            return fg_fail(err, -FG_EINSUFFICIENT_FUNDS,
                           "account %lld has insufficient available balance", (long long)a->id);
    }
    return 0;
}

/*
 * A plain or pending transfer: both accounts checked in memory (the live
 * table), the journal row written, then the totals moved in memory. A refusal
 * is found before anything is written, so it leaves nothing behind even
 * without a savepoint.
 */
static int transfer_plain(struct store *s, struct live *L, struct ledger_transfer *t,
                          struct fg_err *err)
{
    if (t->debit_id == t->credit_id)
        return fg_fail(err, -FG_ESAME_ACCOUNT, "debit and credit account are both %lld",
                       (long long)t->debit_id);
    bool pending = t->flags & LEDGER_PENDING;
    struct live_acct *cr, *dr;
    int rc = live_load(s, L, t->credit_id, &cr, err);
    if (rc < 0 || (rc = side_check(&cr->a, t, false, err)) < 0)
        return rc;
    /* A load may empty a full table: take the credit side again after it. */
    if ((rc = live_load(s, L, t->debit_id, &dr, err)) < 0 ||
        (rc = live_load(s, L, t->credit_id, &cr, err)) < 0)
        return rc;
    if ((rc = side_check(&dr->a, t, true, err)) < 0)
        return rc;
    if ((rc = journal_insert(s, t, err)) < 0)
        return rc;
    if (pending) {
        rc = store_exec_changes(
            s, "INSERT INTO holds (pending_id, state, expires_ms) VALUES (?, 0, ?)",
            STORE_ARGS(SA_INT(t->id), t->timeout_ms ? SA_INT(t->timeout_ms) : SA_NULL), NULL, err);
        if (rc < 0)
            return rc;
        dr->a.debits_pending += t->amount; /* side_check proved these fit */
        cr->a.credits_pending += t->amount;
    } else {
        dr->a.debits_posted += t->amount;
        cr->a.credits_posted += t->amount;
    }
    FG_ASSERT(within_balance(&dr->a));
    live_mark(L, dr);
    live_mark(L, cr);
    return 0;
}

/* Post, void or expire the hold t->pending_id. */
static int transfer_resolve(struct store *s, struct live *L, int64_t now_ms,
                            struct ledger_transfer *t, enum ledger_hold_state to,
                            struct fg_err *err)
{
    enum ledger_hold_state state;
    int rc = ledger_hold_state(s, t->pending_id, &state, err);
    if (rc < 0)
        return rc;
    if (state != LEDGER_HOLD_PENDING)
        return fg_fail(err, -FG_EPENDING_RESOLVED, "pending transfer %lld is already %s",
                       (long long)t->pending_id,
                       state == LEDGER_HOLD_POSTED   ? "posted"
                       : state == LEDGER_HOLD_VOIDED ? "voided"
                                                     : "expired");
    struct ledger_transfer p;
    if ((rc = ledger_transfer_get(s, t->pending_id, &p, err)) < 0)
        return rc;
    FG_ASSERT(p.flags & LEDGER_PENDING);
    if (to == LEDGER_HOLD_POSTED && p.timeout_ms && now_ms >= p.timeout_ms)
        return fg_fail(err, -FG_EPENDING_EXPIRED, "pending transfer %lld expired", (long long)p.id);
    int64_t amount = p.amount;
    if (to == LEDGER_HOLD_POSTED && t->amount) {
        if (t->amount > p.amount)
            return fg_fail(err, -FG_EPENDING_AMOUNT, "post of %lld exceeds pending %lld",
                           (long long)t->amount, (long long)p.amount);
        amount = t->amount;
    }
    t->debit_id = p.debit_id;
    t->credit_id = p.credit_id;
    t->amount = amount;
    memcpy(t->currency, p.currency, sizeof(t->currency));

    struct live_acct *dr, *cr;
    if ((rc = live_load(s, L, t->debit_id, &dr, err)) < 0 ||
        (rc = live_load(s, L, t->credit_id, &cr, err)) < 0 ||
        (rc = live_load(s, L, t->debit_id, &dr, err)) < 0)
        return rc;
    if (strcmp(dr->a.currency, cr->a.currency) != 0 || strcmp(dr->a.currency, t->currency) != 0)
        return fg_fail(err, -FG_ECURRENCY_MISMATCH, "transfer in %s between accounts in %s and %s",
                       t->currency, dr->a.currency, cr->a.currency);
    /* The whole pending amount leaves the pending totals; what is posted may be less. */
    struct ledger_account d = dr->a, c = cr->a;
    FG_ASSERT(d.debits_pending >= p.amount && c.credits_pending >= p.amount);
    d.debits_pending -= p.amount;
    c.credits_pending -= p.amount;
    if (to == LEDGER_HOLD_POSTED) {
        if (!money_add(d.debits_posted, amount, &d.debits_posted))
            return overflow(err, &d);
        if (!money_add(c.credits_posted, amount, &c.credits_posted))
            return overflow(err, &c);
    }
    FG_ASSERT(within_balance(&d));
    if ((rc = journal_insert(s, t, err)) < 0)
        return rc;
    int64_t changes = 0;
    rc = store_exec_changes(
        s, "UPDATE holds SET state = ?, resolved_id = ? WHERE pending_id = ? AND state = 0",
        STORE_ARGS(SA_INT(to), SA_INT(t->id), SA_INT(p.id)), &changes, err);
    if (rc < 0)
        return rc;
    FG_ASSERT(changes == 1);
    dr->a = d;
    cr->a = c;
    live_mark(L, dr);
    live_mark(L, cr);
    return 0;
}

static int transfer_apply(struct store *s, struct live *L, int64_t now_ms,
                          struct ledger_transfer *t, enum ledger_hold_state resolve_to,
                          struct fg_err *err)
{
    int kinds =
        !!(t->flags & LEDGER_PENDING) + !!(t->flags & LEDGER_POST) + !!(t->flags & LEDGER_VOID);
    if (kinds > 1)
        return fg_fail(err, -FG_EBAD_REQUEST, "a transfer is at most one of pending, post, void");
    t->ts_ms = now_ms;
    if (t->flags & (LEDGER_POST | LEDGER_VOID)) {
        if (t->pending_id <= 0)
            return fg_fail(err, -FG_EPENDING_NOT_FOUND, "post or void needs a pending id");
        if (t->amount < 0 || ((t->flags & LEDGER_VOID) && t->amount))
            return fg_fail(err, -FG_EBAD_AMOUNT, "bad amount for post or void");
        return transfer_resolve(s, L, now_ms, t,
                                (t->flags & LEDGER_POST) ? LEDGER_HOLD_POSTED : resolve_to, err);
    }
    if (t->amount <= 0)
        return fg_fail(err, -FG_EAMOUNT_ZERO, "transfer amount must be greater than zero");
    if (t->timeout_ms && !(t->flags & LEDGER_PENDING))
        return fg_fail(err, -FG_EBAD_REQUEST, "only a pending transfer can have a timeout");
    return transfer_plain(s, L, t, err);
}

int ledger_transfer_create(struct store *s, int64_t now_ms, struct ledger_transfer *t,
                           struct fg_err *err)
{
    struct live *L = live_begin_op(s);
    if (!L)
        return fg_fail(err, -FG_ENOMEM, "out of memory for the live account table");
    int rc = transfer_apply(s, L, now_ms, t, LEDGER_HOLD_VOIDED, err);
    return live_end_op(s, L, rc, err);
}

int ledger_transfers_create_linked(struct store *s, int64_t now_ms, struct ledger_transfer *t,
                                   int n, struct fg_err *err)
{
    if (n < 1 || n > FG_LINKED_TRANSFERS_MAX)
        return fg_fail(err, -FG_EBAD_REQUEST, "a linked chain has 1 to %d transfers",
                       FG_LINKED_TRANSFERS_MAX);
    int rc = store_savepoint(s, "linked", err);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        t[i].flags |= LEDGER_LINKED;
        rc = ledger_transfer_create(s, now_ms, &t[i], err);
        if (rc < 0) {
            if (err) {
                char inner[FG_ERR_MSG_MAX];
                memcpy(inner, err->msg, sizeof(inner));
                fg_fail(err, rc, "linked transfer %d of %d: %.200s", i + 1, n, inner);
            }
            for (int j = 0; j <= i; j++)
                t[j].id = 0;
            store_rollback_to(s, "linked", NULL);
            store_release(s, "linked", NULL);
            return rc;
        }
    }
    return store_release(s, "linked", err);
}

struct id_list {
    int64_t ids[FG_ENGINE_HOLD_EXPIRE_BATCH_MAX];
    int n;
};

static int id_row(void *ctx, struct store_row *row)
{
    struct id_list *l = ctx;
    if (l->n >= FG_ENGINE_HOLD_EXPIRE_BATCH_MAX)
        return 1;
    l->ids[l->n++] = store_row_int(row, 0);
    return 0;
}

int ledger_holds_expire(struct store *s, int64_t now_ms, int max, int *expired, struct fg_err *err)
{
    static struct id_list list; /* writer thread only */
    *expired = 0;
    if (max > FG_ENGINE_HOLD_EXPIRE_BATCH_MAX)
        max = FG_ENGINE_HOLD_EXPIRE_BATCH_MAX;
    list.n = 0;
    int rc = store_exec(s,
                        "SELECT pending_id FROM holds WHERE state = 0 AND expires_ms IS NOT NULL "
                        "AND expires_ms <= ? ORDER BY expires_ms LIMIT ?",
                        STORE_ARGS(SA_INT(now_ms), SA_INT(max)), id_row, &list, err);
    if (rc < 0)
        return rc;
    for (int i = 0; i < list.n; i++) {
        struct ledger_transfer t = {.flags = LEDGER_VOID, .pending_id = list.ids[i]};
        snprintf(t.kind, sizeof(t.kind), "expire");
        struct live *L = live_begin_op(s);
        if (!L)
            return fg_fail(err, -FG_ENOMEM, "out of memory for the live account table");
        rc = live_end_op(s, L, transfer_apply(s, L, now_ms, &t, LEDGER_HOLD_EXPIRED, err), err);
        if (rc < 0)
            return rc;
        (*expired)++;
    }
    return 0;
}

struct list_ctx {
    struct store *store;
    ledger_transfer_fn tfn;
    ledger_account_fn afn;
    void *ctx;
};

/* One bucket of the per-account indexes: rows of account ?2 with id > ?3, at
 * most ?4, ascending. The bucket expression must match the index's text. */
static const char sql_list_bucket[] =
    "SELECT " TRANSFER_COLS " FROM transfers WHERE id IN ("
    " SELECT id FROM (SELECT id FROM transfers WHERE " SCHEMA_JOURNAL_BUCKET_SQL " = ?1 AND"
    "  debit_id = ?2 AND id > ?3 ORDER BY id LIMIT ?4) AS d"
    " UNION SELECT id FROM (SELECT id FROM transfers WHERE " SCHEMA_JOURNAL_BUCKET_SQL " = ?1 AND"
    "  credit_id = ?2 AND id > ?3 ORDER BY id LIMIT ?4) AS c) ORDER BY id LIMIT ?4";

struct bucket_ctx {
    struct list_ctx *l;
    int rows;
    int64_t last_id;
};

static int bucket_row(void *ctx, struct store_row *row)
{
    struct bucket_ctx *b = ctx;
    struct ledger_transfer t;
    transfer_from_row(row, &t);
    b->rows++;
    b->last_id = t.id;
    return b->l->tfn(b->l->ctx, &t);
}

/* Buckets are id ranges, so walking them in order and each one in id order
 * yields the account's rows oldest first. The walk is bounded: one bucket per
 * 2^FG_JOURNAL_BUCKET_SHIFT journal rows, from after_id's to the newest. */
int ledger_transfer_list(struct store *s, int64_t account_id, int64_t after_id, int limit,
                         ledger_transfer_fn fn, void *ctx, struct fg_err *err)
{
    struct list_ctx l = {.tfn = fn, .ctx = ctx};
    int64_t max_id = 0;
    int rc = store_query_int(s, "SELECT COALESCE(MAX(id), 0) FROM transfers", STORE_NOARGS, &max_id,
                             err);
    if (rc < 0)
        return rc;
    int64_t last_bucket = max_id >> FG_JOURNAL_BUCKET_SHIFT;
    for (int64_t b = after_id >> FG_JOURNAL_BUCKET_SHIFT; b <= last_bucket && limit > 0; b++) {
        struct bucket_ctx bc = {.l = &l};
        rc = store_exec(s, sql_list_bucket,
                        STORE_ARGS(SA_INT(b), SA_INT(account_id), SA_INT(after_id), SA_INT(limit)),
                        bucket_row, &bc, err);
        if (rc < 0)
            return rc;
        limit -= bc.rows;
        if (bc.rows)
            after_id = bc.last_id;
    }
    return 0;
}

static int list_account_row(void *ctx, struct store_row *row)
{
    struct list_ctx *l = ctx;
    struct ledger_account a;
    account_from_row(row, &a);
    const struct ledger_account *held = live_peek(l->store, a.id);
    return l->afn(l->ctx, held ? held : &a);
}

int ledger_account_list(struct store *s, const char *owner, ledger_account_fn fn, void *ctx,
                        struct fg_err *err)
{
    struct list_ctx l = {.afn = fn, .ctx = ctx, .store = s};
    return store_exec(s, "SELECT " ACCOUNT_COLS " FROM accounts WHERE owner = ? ORDER BY id",
                      STORE_ARGS(SA_TEXT(owner)), list_account_row, &l, err);
}

static int recent_row(void *ctx, struct store_row *row)
{
    struct list_ctx *l = ctx;
    struct ledger_transfer t;
    transfer_from_row(row, &t);
    return l->tfn(l->ctx, &t);
}

int ledger_transfer_recent(struct store *s, const char *kind_prefix, int64_t before_id,
                           int64_t scan_rows, int limit, ledger_transfer_fn fn, void *ctx,
                           struct fg_err *err)
{
    char like[LEDGER_KIND_BYTES_MAX * 2 + 2];
    size_t n = 0;
    for (const char *p = kind_prefix; *p && n + 3 < sizeof(like); p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            like[n++] = '\\';
        like[n++] = *p;
    }
    like[n++] = '%';
    like[n] = '\0';
    struct list_ctx l = {.tfn = fn, .ctx = ctx};
    int64_t floor_id = before_id > scan_rows ? before_id - scan_rows : 0;
    return store_exec(s,
                      "SELECT " TRANSFER_COLS " FROM transfers WHERE id < ? AND id >= ? AND kind "
                      "LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT ?",
                      STORE_ARGS(SA_INT(before_id), SA_INT(floor_id), SA_TEXT(like), SA_INT(limit)),
                      recent_row, &l, err);
}

int ledger_account_page(struct store *s, const struct ledger_account_filter *f, int64_t after_id,
                        int limit, ledger_account_fn fn, void *ctx, struct fg_err *err)
{
    struct list_ctx l = {.afn = fn, .ctx = ctx, .store = s};
    return store_exec(s,
                      "SELECT " ACCOUNT_COLS " FROM accounts WHERE id > ? AND (? = '' OR owner = ?)"
                      " AND (? = '' OR type = ?) AND (? = '' OR currency = ?) ORDER BY id LIMIT ?",
                      STORE_ARGS(SA_INT(after_id), SA_TEXT(f->owner), SA_TEXT(f->owner),
                                 SA_TEXT(f->type), SA_TEXT(f->type), SA_TEXT(f->currency),
                                 SA_TEXT(f->currency), SA_INT(limit)),
                      list_account_row, &l, err);
}

/* --- reconciliation ----------------------------------------------------- */

static void violation(struct ledger_report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void violation(struct ledger_report *r, const char *fmt, ...)
{
    r->ok = false;
    if (r->violation_count < LEDGER_RECONCILE_VIOLATIONS_MAX) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->violations[r->violation_count], sizeof(r->violations[0]), fmt, ap);
        va_end(ap);
    }
    r->violation_count++;
}

/* Per-currency sums in 128 bits: the sum of many int64 totals may pass INT64_MAX
 * on a valid ledger; the report shows them saturated. */
struct reconcile_ctx {
    struct ledger_report *r;
    money_i128 sums[LEDGER_RECONCILE_CURRENCIES_MAX][4];
};

static int64_t saturate(money_i128 v)
{
    return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v;
}

static struct ledger_currency_totals *currency_slot(struct ledger_report *r, const char *ccy)
{
    for (int i = 0; i < r->currency_count; i++)
        if (strcmp(r->currencies[i].currency, ccy) == 0)
            return &r->currencies[i];
    if (r->currency_count >= LEDGER_RECONCILE_CURRENCIES_MAX)
        return NULL;
    struct ledger_currency_totals *c = &r->currencies[r->currency_count++];
    memset(c, 0, sizeof(*c));
    snprintf(c->currency, sizeof(c->currency), "%s", ccy);
    return c;
}

/* Columns: account, its four stored totals, the four recomputed from the journal. */
static int reconcile_account_row(void *ctx, struct store_row *row)
{
    struct reconcile_ctx *rc = ctx;
    struct ledger_report *r = rc->r;
    struct ledger_account a;
    account_from_row(row, &a);
    int64_t dp = store_row_int(row, 10), cp = store_row_int(row, 11);
    int64_t dpend = store_row_int(row, 12), cpend = store_row_int(row, 13);
    if (dp != a.debits_posted || cp != a.credits_posted || dpend != a.debits_pending ||
        cpend != a.credits_pending)
        violation(r,
                  "account %lld totals %lld/%lld/%lld/%lld differ from journal %lld/%lld/%lld/"
                  "%lld",
                  (long long)a.id, (long long)a.debits_posted, (long long)a.credits_posted,
                  (long long)a.debits_pending, (long long)a.credits_pending, (long long)dp,
                  (long long)cp, (long long)dpend, (long long)cpend);
    if ((a.flags & LEDGER_ACCT_CUSTOMER) && !within_balance(&a))
        violation(r, "customer account %lld has negative available balance", (long long)a.id);
    struct ledger_currency_totals *c = currency_slot(r, a.currency);
    if (!c) {
        violation(r, "more than %d currencies", LEDGER_RECONCILE_CURRENCIES_MAX);
        return 0;
    }
    c->accounts++;
    money_i128 *sum = rc->sums[c - r->currencies];
    sum[0] += a.debits_posted;
    sum[1] += a.credits_posted;
    sum[2] += a.debits_pending;
    sum[3] += a.credits_pending;
    return 0;
}

static int reconcile_hold_row(void *ctx, struct store_row *row)
{
    struct ledger_report *r = ctx;
    int64_t id = store_row_int(row, 0), state = store_row_int(row, 1);
    int64_t resolutions = store_row_int(row, 2), has_hold = store_row_int(row, 3);
    if (!has_hold)
        violation(r, "pending transfer %lld has no hold", (long long)id);
    else if (resolutions > 1)
        violation(r, "pending transfer %lld resolved %lld times", (long long)id,
                  (long long)resolutions);
    else if ((state == LEDGER_HOLD_PENDING) != (resolutions == 0))
        violation(r, "pending transfer %lld state %lld with %lld resolutions", (long long)id,
                  (long long)state, (long long)resolutions);
    return 0;
}

static int reconcile_count_row(void *ctx, struct store_row *row)
{
    struct ledger_report *r = ctx;
    char ccy[FG_CURRENCY_CODE_BYTES_MAX + 1];
    store_row_text_copy(row, 0, ccy, sizeof(ccy));
    struct ledger_currency_totals *c = currency_slot(r, ccy);
    if (c)
        c->transfers = store_row_int(row, 1);
    return 0;
}

int ledger_reconcile(struct store *s, struct ledger_report *r, struct fg_err *err)
{
    memset(r, 0, sizeof(*r));
    r->ok = true;
    struct reconcile_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return fg_fail(err, -FG_ENOMEM, "out of memory reconciling");
    ctx->r = r;
    int rc = ledger_sync(s, err); /* the totals held in memory, into the rows compared */
    if (rc < 0) {
        free(ctx);
        return rc;
    }
    /* Posted sums count plain and post transfers (not pending, not void); pending
     * sums count pending transfers whose hold is still pending. */
    /* One pass per sum, grouped (the per-account indexes are bucketed by
     * time, so a per-account subquery would scan the journal once per
     * account); SQLite materialises each group and indexes it for the join. */
    rc = store_exec(
        s,
        "SELECT " ACCOUNT_COLS ","
        " COALESCE(dp.s, 0), COALESCE(cp.s, 0), COALESCE(dh.s, 0), COALESCE(ch.s, 0)"
        " FROM accounts a"
        " LEFT JOIN (SELECT debit_id AS acct, SUM(amount) AS s FROM transfers"
        "   WHERE (flags & 5) = 0 GROUP BY debit_id) dp ON dp.acct = a.id"
        " LEFT JOIN (SELECT credit_id AS acct, SUM(amount) AS s FROM transfers"
        "   WHERE (flags & 5) = 0 GROUP BY credit_id) cp ON cp.acct = a.id"
        " LEFT JOIN (SELECT t.debit_id AS acct, SUM(t.amount) AS s FROM holds h"
        "   JOIN transfers t ON t.id = h.pending_id WHERE h.state = 0 GROUP BY t.debit_id) dh"
        "   ON dh.acct = a.id"
        " LEFT JOIN (SELECT t.credit_id AS acct, SUM(t.amount) AS s FROM holds h"
        "   JOIN transfers t ON t.id = h.pending_id WHERE h.state = 0 GROUP BY t.credit_id) ch"
        "   ON ch.acct = a.id"
        " ORDER BY a.currency, a.id",
        STORE_NOARGS, reconcile_account_row, ctx, err);
    if (rc < 0)
        goto out;
    rc = store_exec(s,
                    "SELECT p.id, COALESCE(h.state, -1),"
                    " (SELECT COUNT(*) FROM transfers x WHERE x.pending_id = p.id),"
                    " h.pending_id IS NOT NULL"
                    " FROM transfers p LEFT JOIN holds h ON h.pending_id = p.id"
                    " WHERE (p.flags & 1) = 1",
                    STORE_NOARGS, reconcile_hold_row, r, err);
    if (rc < 0)
        goto out;
    rc = store_exec(s, "SELECT currency, COUNT(*) FROM transfers GROUP BY currency", STORE_NOARGS,
                    reconcile_count_row, r, err);
    if (rc < 0)
        goto out;
    for (int i = 0; i < r->currency_count; i++) {
        struct ledger_currency_totals *c = &r->currencies[i];
        money_i128 *sum = ctx->sums[i];
        c->debits_posted = saturate(sum[0]);
        c->credits_posted = saturate(sum[1]);
        c->debits_pending = saturate(sum[2]);
        c->credits_pending = saturate(sum[3]);
        if (sum[0] != sum[1])
            violation(r, "%s posted debits %lld != credits %lld", c->currency,
                      (long long)c->debits_posted, (long long)c->credits_posted);
        if (sum[2] != sum[3])
            violation(r, "%s pending debits %lld != credits %lld", c->currency,
                      (long long)c->debits_pending, (long long)c->credits_pending);
    }
    rc = 0;
out:
    free(ctx);
    return rc;
}
