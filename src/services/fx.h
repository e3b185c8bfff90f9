/*
 * fx.h - the FX core (issue 12): rates, locked quotes, exchanges as one
 * ledger primitive, their settlement, the house's position, reconciliation.
 * Shared by the FX families (YabandPay now, WorldFirst next); it speaks no
 * HTTP and no JSON: adapters parse and answer, the core decides and moves.
 *
 * Rates. One row per pair of currencies (table fx_rates): bid and ask as
 * exact decimals (core/fxrate.h), the time they were set, a source, and a
 * maximum age (max_age_s, 0 = none) after which the pair is not quoted. The
 * inverse pair is derived, never stored: setting USD/EUR replaces a stored
 * EUR/USD. Bid <= ask. The Funds family converts through these rates too.
 *
 * Prices (who gets which side). For a pair BASE/QUOTE the customer who
 * sells BASE gets the bid, who buys BASE pays the ask, and a client's markup
 * (basis points) moves that price further in the house's favour:
 *     sells BASE: price = bid * (1 - bp/10000), rounded DOWN
 *     buys BASE:  price = ask * (1 + bp/10000), rounded UP
 * Amounts follow from the exact price P with one rounding each, in the
 * house's favour (the customer receives amounts rounded DOWN, pays UP):
 *     sells BASE, sell amount fixed: buy  = sell * P, DOWN
 *     sells BASE, buy amount fixed:  sell = buy / P,  UP
 *     buys BASE,  sell amount fixed: buy  = sell / P, DOWN
 *     buys BASE,  buy amount fixed:  sell = buy * P,  UP
 * Both amounts must be positive; reconcile checks this law for every
 * exchange (invariant 3). The quote's rate R, buy units per sell unit (what
 * a merchant is shown), is P itself when selling BASE and 1 / P rounded
 * DOWN to 18 significant digits when buying it: amounts are never computed
 * from a rounded R, so buying exactly 1000.00 EUR at an ask of 1.086 costs
 * exactly 1086.00 USD.
 *
 * Tenors (on disk, never renumber): TOD settles when executed; SPOT's value
 * date is T+FG_FX_SPOT_DAYS business days of both currencies' calendars (a
 * business day is a weekday that is a holiday of neither; the Funds
 * calendars, services/withdraw.h); FORWARD takes its value date from the
 * caller (a business day of both, after today, at most
 * FG_FX_FORWARD_DAYS_MAX ahead). A family maps its own words onto these
 * (WorldFirst's SPOT settles at once: FX_TENOR_TOD).
 *
 * Quotes (table fx_quotes) lock a price for one client (and one customer,
 * or any customer of the client when created without one), one pair, one
 * side's amount and a tenor until expires_ms (the family's lock, e.g.
 * YabandPay 30 s). A quote is used by at most one exchange.
 *
 * Exchange states (table fx_exchanges.state; on disk, never renumber),
 * moved only by fx_exchange_execute and fx_settle_due:
 *
 *   execute ──TOD──────────────────────────────────────────> SETTLED
 *   execute ──SPOT/FORWARD──> PENDING ──sweep, value day──> SETTLED
 *                                │
 *                                └──sweep: cannot settle──> FAILED
 *
 * Money (customer account = the customer's account_type account in each
 * currency; house:fx = the house's FX account of that currency):
 *  1. TOD: two linked plain transfers, customer sell-ccy -> house:fx and
 *     house:fx buy-ccy -> customer, all or nothing (sell_leg, buy_leg).
 *  2. SPOT/FORWARD funded: the sold amount is held now (a pending transfer
 *     customer -> house:fx, no expiry: sell_leg); settling posts the hold and,
 *     linked with it, credits the bought amount (post_leg, buy_leg).
 *     Unfunded (WorldFirst UNFUNDED_SPOT): nothing moves when booked; settling
 *     is the two plain legs of TOD, and a short balance then fails it.
 *  3. Failing a deal voids its hold (funded) or moves nothing (unfunded).
 *  4. A refused execute (short balance, inactive or missing account, used or
 *     expired quote) writes nothing: the caller's savepoint is rolled back
 *     and the quote stays unused.
 *
 * Settlement hook: a family may register fx_final_fn for its family tag;
 * the sweep calls it inside the same savepoint as the state change when an
 * exchange reaches SETTLED or FAILED, so what it writes (WorldFirst: an
 * outbox row) commits with the state change or not at all. A hook that
 * fails leaves the exchange PENDING, retried by the next sweep.
 *
 * Threading: writes (rates, quotes, executes, settlement) run on the
 * engine's writer inside its transaction; reads on any connection. The time
 * is always an argument. The hook registry is set up before the server
 * serves (fx_final_hook_set) and read-only afterwards.
 */
#ifndef FG_FX_H
#define FG_FX_H

#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"
#include "core/fxrate.h"
#include "core/limits.h"
#include "services/fx_errors.h"
#include "services/withdraw_rules.h"

struct store;
struct ledger_report;

#define FX_HOUSE_TYPE "fx"
#define FX_ID_BYTES 40 /* a uuid: 36 characters and the NUL */
#define FX_FAMILY_BYTES 32
#define FX_SOURCE_BYTES (FG_FX_SOURCE_BYTES_MAX + 1)
#define FX_REFERENCE_BYTES (FG_FX_REFERENCE_CHARS_MAX * 4 + 1)
#define FX_REQUEST_ID_BYTES (FG_REQUEST_ID_BYTES_MAX + 1)
#define FX_REASON_BYTES 160

enum fx_side { FX_FIXED_SELL = 0, FX_FIXED_BUY = 1 };
enum fx_tenor { FX_TENOR_TOD = 0, FX_TENOR_SPOT = 1, FX_TENOR_FORWARD = 2 };
enum fx_state { FX_PENDING = 0, FX_SETTLED = 1, FX_FAILED = 2 };
extern const char *const fx_tenor_names[]; /* "TOD", "SPOT", "FORWARD", NULL */
extern const char *const fx_state_names[]; /* "pending", "settled", "failed", NULL */

/* --- rates ---------------------------------------------------------------- */

struct fx_rate_row {
    char base[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char quote[FG_CURRENCY_CODE_BYTES_MAX + 1];
    struct fxrate bid, ask; /* quote units per base unit */
    int64_t set_ms;
    char source[FX_SOURCE_BYTES];
    int64_t max_age_s; /* 0: no maximum age */
};

/* Store a pair (both currencies must exist; bid <= ask), replacing the pair
 * and its inverse. *created: neither direction existed before. */
int fx_rate_put(struct store *s, const struct fx_rate_row *r, bool *created, struct fg_err *err);
/* The stored pair between a and b in either direction (*inverted: stored as
 * b/a); -FG_EFX_NO_RATE when neither is stored. Does not look at its age. */
int fx_rate_find(struct store *s, const char *a, const char *b, struct fx_rate_row *out,
                 bool *inverted, struct fg_err *err);
/* Within its maximum age at now_ms (a rate set in the future is fresh). */
bool fx_rate_fresh(const struct fx_rate_row *r, int64_t now_ms);
typedef int (*fx_rate_fn)(void *ctx, const struct fx_rate_row *r);
int fx_rate_list(struct store *s, fx_rate_fn fn, void *ctx, struct fg_err *err);
/* amount of `from` in `to` at the stored pair's mid (*mid, in the stored
 * direction; *inverted when the pair is stored as to/from), rounded by mode;
 * the same currency converts to itself at 1. -FG_EFX_NO_RATE,
 * -FG_EFX_RATE_STALE (older than its maximum age at now_ms), -FG_EOVERFLOW. */
int fx_convert_mid(struct store *s, int64_t now_ms, const char *from, int from_digits,
                   const char *to, int to_digits, int64_t amount, enum money_round mode,
                   int64_t *out, struct fxrate *mid, bool *inverted, struct fg_err *err);

/* CSV: one rate a line, `PAIR,BID,ASK[,MAX_AGE_S[,SOURCE]]` ("EUR/USD,1.0810,
 * 1.0830,300,feed-a"); blank lines, lines starting with '#' and a first
 * line naming the columns ("pair,bid,ask,...") are skipped; CR LF is fine.
 * Strict otherwise: the first bad line refuses the whole text
 * (-FG_EBAD_FIELD, err naming the line), as do more than
 * FG_FX_RATES_CSV_ROWS_MAX rows or a line over FG_FX_RATES_CSV_LINE_BYTES_MAX
 * bytes. rows (cap FG_FX_RATES_CSV_ROWS_MAX) get set_ms = now_ms and
 * source = default_source where a line gives none. Pure: no store. */
int fx_rates_csv_parse(const char *text, size_t len, const char *default_source, int64_t now_ms,
                       struct fx_rate_row *rows, int *n, struct fg_err *err);
/* Check a source text: 1..FG_FX_SOURCE_BYTES_MAX of [A-Za-z0-9._:@/-]. */
bool fx_source_valid(const char *s);

/* --- quotes --------------------------------------------------------------- */

struct fx_quote_req {
    char family[FX_FAMILY_BYTES];
    char client_key[FG_NAME_BYTES_MAX + 1];
    char customer[FG_UUID_BYTES_MAX + 1]; /* "" for any customer of the client */
    char sell[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char buy[FG_CURRENCY_CODE_BYTES_MAX + 1];
    enum fx_side fixed;
    int64_t amount; /* minor units of the fixed side's currency, > 0 */
    enum fx_tenor tenor;
    int32_t value_day; /* FORWARD: the value date (days since 1970-01-01) */
    int64_t markup_bp; /* 0..FG_FX_MARKUP_BP_MAX */
    int64_t ttl_ms;    /* 1..FG_FX_QUOTE_TTL_MS_MAX */
};

struct fx_quote {
    char id[FX_ID_BYTES];
    struct fx_quote_req req;
    int sell_digits, buy_digits;
    int64_t sell_amount, buy_amount;
    struct fxrate rate;  /* buy units per sell unit, markup included (shown) */
    struct fxrate price; /* in the stored pair's direction, markup included (the law) */
    char pair_base[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char pair_quote[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int32_t value_day;
    int64_t created_ms, expires_ms;
    bool used;
};

/* Price and store a quote (writer). Refusals: -FG_EUNKNOWN_CURRENCY,
 * -FG_EFX_SAME_CURRENCY, -FG_EAMOUNT_ZERO, -FG_EFX_NO_RATE,
 * -FG_EFX_RATE_STALE, -FG_EBAD_AMOUNT (an amount too large, or too small
 * to give a positive other side), -FG_EFX_VALUE_DATE, -FG_EBAD_FIELD. */
int fx_quote_create(struct store *s, int64_t now_ms, const struct fx_quote_req *q,
                    struct fx_quote *out, struct fg_err *err);
/* Price without storing (the same arithmetic): for REALTIME and previews. */
int fx_quote_price(struct store *s, int64_t now_ms, const struct fx_quote_req *q,
                   struct fx_quote *out, struct fg_err *err);
int fx_quote_get(struct store *s, const char *id, struct fx_quote *out, struct fg_err *err);

/* --- exchanges ------------------------------------------------------------ */

struct fx_exec_req {
    char quote_id[FX_ID_BYTES];
    char family[FX_FAMILY_BYTES];
    char client_key[FG_NAME_BYTES_MAX + 1];
    char customer[FG_UUID_BYTES_MAX + 1];        /* who trades */
    char account_type[16];                       /* wallet | securities | futures */
    char request_id[FX_REQUEST_ID_BYTES];        /* unique per client */
    char order_id[FG_FX_ORDER_ID_BYTES_MAX + 1]; /* "" or unique per client */
    char reference[FX_REFERENCE_BYTES];          /* descriptive, stored as given */
    bool unfunded;                               /* SPOT/FORWARD booked without a hold */
};

struct fx_exchange {
    char id[FX_ID_BYTES];
    char family[FX_FAMILY_BYTES];
    char client_key[FG_NAME_BYTES_MAX + 1];
    char request_id[FX_REQUEST_ID_BYTES];
    char customer[FG_UUID_BYTES_MAX + 1];
    char account_type[16];
    char quote_id[FX_ID_BYTES];
    char order_id[FG_FX_ORDER_ID_BYTES_MAX + 1];
    char reference[FX_REFERENCE_BYTES];
    char sell[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char buy[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int sell_digits, buy_digits;
    enum fx_side fixed;
    int64_t sold, bought;
    struct fxrate rate, price;
    char pair_base[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char pair_quote[FG_CURRENCY_CODE_BYTES_MAX + 1];
    enum fx_tenor tenor;
    int32_t value_day;
    bool funded;
    enum fx_state state;
    int64_t sell_account, buy_account;
    int64_t sell_leg, post_leg, buy_leg; /* transfer ids, 0 when none */
    char fail_reason[FX_REASON_BYTES];
    int64_t created_ms, settled_ms;
};

/* Execute a quote (writer; run inside a savepoint: a refusal returns < 0
 * and the caller rolls back). Refusals: -FG_EFX_QUOTE_UNKNOWN (unknown, or
 * another client's or customer's), -FG_EFX_QUOTE_USED, -FG_EFX_QUOTE_EXPIRED,
 * -FG_EUNKNOWN_CUSTOMER, -FG_ECUSTOMER_INACTIVE, -FG_EUNKNOWN_ACCOUNT,
 * -FG_EACCOUNT_INACTIVE, -FG_EINSUFFICIENT_FUNDS, -FG_EFX_ORDER_EXISTS,
 * -FG_ECONSTRAINT (request id used). */
int fx_exchange_execute(struct store *s, int64_t now_ms, const struct fx_exec_req *e,
                        struct fx_exchange *out, struct fg_err *err);
/* A REALTIME exchange: price q at the live rate and execute it at once, in
 * one step (an internal quote is stored and used). */
int fx_exchange_realtime(struct store *s, int64_t now_ms, const struct fx_quote_req *q,
                         const struct fx_exec_req *e, struct fx_exchange *out, struct fg_err *err);

/* Any family's exchange by trade id (the admin plane);
 * -FG_EFX_EXCHANGE_UNKNOWN. */
int fx_exchange_get(struct store *s, const char *id, struct fx_exchange *out, struct fg_err *err);

typedef int (*fx_exchange_fn)(void *ctx, const struct fx_exchange *x);
/* A page of exchanges of any family (the admin plane): trade ids > after
 * ("" from the start) in id order, which is the order they were made in to
 * the millisecond (version-7 ids), at most limit; state < 0 and family ""
 * match every one. The filters are not indexed: a rare one walks the
 * primary key. */
int fx_exchange_page(struct store *s, const char *after, int state, const char *family, int limit,
                     fx_exchange_fn fn, void *ctx, struct fg_err *err);

enum fx_lookup { FX_BY_ID, FX_BY_REQUEST_ID, FX_BY_ORDER_ID };
/* The client's exchange by trade id, request id or order id;
 * -FG_EFX_EXCHANGE_UNKNOWN (another client's is unknown too). */
int fx_exchange_find(struct store *s, const char *family, const char *client_key, enum fx_lookup by,
                     const char *value, struct fx_exchange *out, struct fg_err *err);

/* --- settlement ----------------------------------------------------------- */

typedef int (*fx_final_fn)(struct store *s, int64_t now_ms, const struct fx_exchange *x,
                           struct fg_err *err);
/* Register (or replace) the hook of a family; -FG_ELIMIT past
 * FG_FX_FAMILIES_MAX families. Call at start-up only. */
int fx_final_hook_set(const char *family, fx_final_fn fn);

struct fx_settle_report {
    int settled, failed, deferred; /* deferred: a hook failed; retried later */
};
/* Settle up to max PENDING exchanges whose value day has come (UTC day of
 * now_ms >= value_day), oldest value day first (writer). */
int fx_settle_due(struct store *s, int64_t now_ms, int max, struct fx_settle_report *r,
                  struct fg_err *err);

/* --- position and reconciliation ------------------------------------------ */

struct fx_position {
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int digits;
    int64_t settled;  /* house:fx balance: credits - debits posted */
    int64_t incoming; /* sold to the house by PENDING exchanges */
    int64_t outgoing; /* bought from the house by PENDING exchanges */
    int64_t net;      /* settled + incoming - outgoing */
    bool valued;      /* a rate to the reporting currency exists */
    bool stale;       /* ...but older than its maximum age */
    int64_t value;    /* net at mid, reporting minor units, half-even */
    struct fxrate mid;
};
typedef int (*fx_position_fn)(void *ctx, const struct fx_position *p);
/* The house's net position per currency with a house:fx account (at most
 * FG_FX_POSITION_CURRENCIES_MAX), valued at mid in `reporting`; *total sums
 * the valued ones (-FG_EOVERFLOW if it does not fit). */
int fx_positions(struct store *s, int64_t now_ms, const char *reporting, fx_position_fn fn,
                 void *ctx, int64_t *total, struct fg_err *err);

/* Add a violation to r for every exchange whose amounts break the price law
 * above (invariant 3) or whose ledger legs do not match its state, amounts,
 * accounts and currencies; *checked counts the exchanges. Read snapshot. */
int fx_reconcile(struct store *s, struct ledger_report *r, int64_t *checked, struct fg_err *err);

/* "YYYY-MM-DD" of a day; the UTC day of a time. */
int32_t fx_day_of(int64_t ms);

#endif
