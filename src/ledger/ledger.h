/*
 * ledger.h - double-entry accounts, transfers, two-phase holds, reconciliation.
 *
 * What it is for: the only code that changes a balance. Every movement is a
 * transfer (debit account, credit account, positive amount, one currency);
 * transfers are immutable and a mistake is undone by a new reversing transfer.
 * Not for: HTTP, JSON, idempotency records or business rules (services above).
 *
 * Threading: functions take a struct store that the caller owns; writes run on
 * the engine's writer thread inside its transaction, reads on any connection.
 *
 * Invariants (docs/DESIGN.md "Ledger"; ledger_reconcile checks them):
 *  1. per currency, sum(debits) == sum(credits), posted and pending;
 *  2. each account's four totals equal the sums recomputed from the journal;
 *  3. no customer account (LEDGER_ACCT_CUSTOMER) has negative available balance:
 *     debits_posted + debits_pending <= credits_posted;
 *  4. every pending transfer is pending, posted, voided or expired exactly once.
 *
 * Hold states (holds.state), moved only by ledger_transfer_create:
 *   PENDING --post--> POSTED
 *   PENDING --void--> VOIDED
 *   PENDING --ledger_holds_expire (now >= timeout_ms)--> EXPIRED
 * A post or void of a hold that is not PENDING fails with
 * -FG_EPENDING_RESOLVED; a post after its expiry with -FG_EPENDING_EXPIRED.
 *
 * Failure: a refused transfer writes nothing (every check runs before its
 * journal row is written); a linked chain runs inside a savepoint so a refusal
 * undoes the earlier links.
 *
 * Account totals: on a connection that ran a transfer, the ledger keeps the
 * totals it changed in memory until the store's next SAVEPOINT or COMMIT
 * (ledger_sync). ledger_account_get, _find and _list see them; SQL of your own
 * on account rows must call ledger_sync first.
 */
#ifndef FG_LEDGER_H
#define FG_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"
#include "core/limits.h"

struct store;

#define LEDGER_HOUSE "house"
#define LEDGER_TYPE_BYTES_MAX 16
#define LEDGER_KIND_BYTES_MAX 32
#define LEDGER_REF_BYTES_MAX 192
#define LEDGER_STATUS_BYTES_MAX 16

/* Account flags. */
enum { LEDGER_ACCT_CUSTOMER = 1 }; /* debits must not exceed credits */

/* Transfer flags (at most one of PENDING, POST, VOID). */
enum {
    LEDGER_PENDING = 1,
    LEDGER_POST = 2,
    LEDGER_VOID = 4,
    LEDGER_LINKED = 8, /* part of a linked chain (informational) */
};

enum ledger_hold_state {
    LEDGER_HOLD_PENDING = 0,
    LEDGER_HOLD_POSTED = 1,
    LEDGER_HOLD_VOIDED = 2,
    LEDGER_HOLD_EXPIRED = 3,
};

/* The house accounts every currency has. */
extern const char *const ledger_house_types[];
extern const int ledger_house_type_count;

struct ledger_account {
    int64_t id;
    char owner[FG_UUID_BYTES_MAX + 1];
    char type[LEDGER_TYPE_BYTES_MAX];
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int flags;
    char status[LEDGER_STATUS_BYTES_MAX];
    int64_t debits_posted;
    int64_t credits_posted;
    int64_t debits_pending;
    int64_t credits_pending;
};

struct ledger_transfer {
    int64_t id; /* set by ledger_transfer_create */
    int64_t debit_id;
    int64_t credit_id;
    int64_t amount; /* for POST: 0 means the whole pending amount */
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int flags;
    int64_t pending_id;               /* POST and VOID: the pending transfer */
    int64_t timeout_ms;               /* PENDING: absolute expiry, 0 for none */
    int64_t ts_ms;                    /* set by ledger_transfer_create */
    char kind[LEDGER_KIND_BYTES_MAX]; /* "deposit", "withdrawal", "credit_adjust", ... */
    char ref[LEDGER_REF_BYTES_MAX];   /* what caused it: "admin.deposit:d1" */
    int64_t reverses_id;              /* a reversal names the transfer it reverses */
};

/* Balance views of a customer account. */
int64_t ledger_account_balance(const struct ledger_account *a);
int64_t ledger_account_available(const struct ledger_account *a);

/* Open (or find, if it exists) the account owner/type/currency. */
int ledger_account_open(struct store *s, const char *owner, const char *type, const char *currency,
                        int flags, int64_t now_ms, struct ledger_account *out, struct fg_err *err);
/* Open the house accounts of a currency (idempotent). */
int ledger_house_open(struct store *s, const char *currency, int64_t now_ms, struct fg_err *err);
int ledger_account_get(struct store *s, int64_t id, struct ledger_account *out, struct fg_err *err);
/* -FG_EUNKNOWN_ACCOUNT when absent. */
int ledger_account_find(struct store *s, const char *owner, const char *type, const char *currency,
                        struct ledger_account *out, struct fg_err *err);
int ledger_account_set_status(struct store *s, int64_t id, const char *status, struct fg_err *err);

/* Apply one transfer (plain, PENDING, POST or VOID). Fills t->id, t->ts_ms and,
 * for POST/VOID, the accounts, currency and amount from the pending transfer. */
int ledger_transfer_create(struct store *s, int64_t now_ms, struct ledger_transfer *t,
                           struct fg_err *err);
/* Apply n transfers all or nothing (n <= FG_LINKED_TRANSFERS_MAX). On failure
 * none is applied and err names the failing index. */
int ledger_transfers_create_linked(struct store *s, int64_t now_ms, struct ledger_transfer *t,
                                   int n, struct fg_err *err);
int ledger_transfer_get(struct store *s, int64_t id, struct ledger_transfer *out,
                        struct fg_err *err);
/* State of the hold created by pending transfer id. */
int ledger_hold_state(struct store *s, int64_t pending_id, enum ledger_hold_state *out,
                      struct fg_err *err);

/* Expire up to max holds whose timeout passed; *expired gets how many. */
int ledger_holds_expire(struct store *s, int64_t now_ms, int max, int *expired, struct fg_err *err);

/* The id of account (owner, type, currency), from a writer-side cache when it
 * can: per thread and per store, emptied whenever store_generation() moves
 * (work undone, so an id read inside it may be gone) and when full
 * (FG_WRITER_CACHE_ACCOUNTS_MAX). Accounts are never deleted and never change
 * owner, type or currency, so a committed id stays right. -FG_EUNKNOWN_ACCOUNT
 * when absent (not cached). */
int ledger_account_id_cached(struct store *s, const char *owner, const char *type,
                             const char *currency, int64_t *id, struct fg_err *err);

/* Write the account totals this connection holds in memory into the
 * accounts table and forget them (ledger.c: the live table). The store
 * writes them by itself before every SAVEPOINT and COMMIT; call this before
 * reading or changing account rows on this connection with SQL of your own. */
int ledger_sync(struct store *s, struct fg_err *err);

typedef int (*ledger_transfer_fn)(void *ctx, const struct ledger_transfer *t);
/* Transfers touching account_id with id > after_id, oldest first, at most limit. */
int ledger_transfer_list(struct store *s, int64_t account_id, int64_t after_id, int limit,
                         ledger_transfer_fn fn, void *ctx, struct fg_err *err);
typedef int (*ledger_account_fn)(void *ctx, const struct ledger_account *a);
int ledger_account_list(struct store *s, const char *owner, ledger_account_fn fn, void *ctx,
                        struct fg_err *err);

/* Accounts matching every non-empty field of f, id > after_id, by id, at most
 * limit (operator reads: GET /admin/v1/accounts, house accounts). */
struct ledger_account_filter {
    const char *owner;    /* "" any; LEDGER_HOUSE for the house accounts */
    const char *type;     /* "" any */
    const char *currency; /* "" any */
};
int ledger_account_page(struct store *s, const struct ledger_account_filter *f, int64_t after_id,
                        int limit, ledger_account_fn fn, void *ctx, struct fg_err *err);

/* The newest transfers whose kind starts with kind_prefix, id < before_id,
 * newest first, at most limit, looking at no more than the scan_rows journal
 * rows below before_id (a bounded walk back by id; the journal has no index
 * on kind). */
int ledger_transfer_recent(struct store *s, const char *kind_prefix, int64_t before_id,
                           int64_t scan_rows, int limit, ledger_transfer_fn fn, void *ctx,
                           struct fg_err *err);

#define LEDGER_RECONCILE_CURRENCIES_MAX 64
#define LEDGER_RECONCILE_VIOLATIONS_MAX 32

struct ledger_currency_totals {
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int64_t accounts;
    int64_t debits_posted, credits_posted, debits_pending, credits_pending;
    int64_t transfers;
};

struct ledger_report {
    bool ok;
    int currency_count;
    struct ledger_currency_totals currencies[LEDGER_RECONCILE_CURRENCIES_MAX];
    int violation_count; /* may exceed the messages kept */
    char violations[LEDGER_RECONCILE_VIOLATIONS_MAX][160];
};

/* Recompute every account's totals from the journal and check the invariants.
 * Run inside a read snapshot (store_begin_read) for a consistent answer. */
int ledger_reconcile(struct store *s, struct ledger_report *r, struct fg_err *err);

#endif
