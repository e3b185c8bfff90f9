/*
 * fx.c - the FX core; the contract (prices, tenors, states, money) is fx.h.
 *
 * Invariants (numbered as reconcile and the tests cite them):
 *  1. One row per pair of currencies in fx_rates: a put deletes the inverse
 *     row in the same statement sequence, so a pair is never stored twice.
 *  2. A quote is used at most once: the exchange row names it (UNIQUE
 *     quote_id) and the quote's `used` flag moves 0 -> 1 in the same
 *     savepoint, guarded by `used = 0`.
 *  3. Price law: for every exchange, both amounts follow from its exact
 *     price P by one rounding for the house (fx.h "Prices"); both > 0.
 *  4. Legs match the state (fx.h "Money"): TOD and settled rows have a sell
 *     leg and a buy leg of exactly sold and bought between the customer's
 *     accounts and house:fx; a pending funded row holds exactly `sold`; a
 *     failed funded row's hold is voided; unfunded pending/failed rows have
 *     no leg.
 *  5. Nothing moves without its exchange row, and no row changes state
 *     without its legs: both happen in one savepoint.
 *
 * Decisions:
 * - Quote and trade ids are version-7 UUIDs (time first, then 74 random
 *   bits): unguessable, so a quote id seen by one client is no handle for
 *   another (a foreign quote is answered as unknown anyway), and appended at
 *   the end of their b-trees rather than on a random page each.
 * - A SPOT hold has no expiry: the deal settles on its value day whatever
 *   the sweep's delay; an expiring hold could void a deal the customer made.
 * - A funded deal that cannot settle (an account closed meanwhile) fails:
 *   its hold is voided, the customer keeps the sold currency, and the state
 *   is final, rather than retrying forever in front of the other deals.
 * - TOD's value date is the UTC day of the trade, business day or not: it
 *   settles in the ledger at once.
 */
#include "services/fx.h"

#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/crypto.h"
#include "core/sig.h"
#include "ledger/ledger.h"
#include "services/directory.h"
#include "services/withdraw.h"
#include "store/store.h"

#define MS_PER_DAY 86400000LL

const char *const fx_tenor_names[] = {"TOD", "SPOT", "FORWARD", NULL};
const char *const fx_state_names[] = {"pending", "settled", "failed", NULL};

int32_t fx_day_of(int64_t ms)
{
    int64_t d = ms >= 0 ? ms / MS_PER_DAY : -((-ms + MS_PER_DAY - 1) / MS_PER_DAY);
    return (int32_t)d;
}

/* A version-7 UUID: 48 bits of the time in ms, then 74 random bits. Time
 * first keeps each new quote and trade at the end of its tables' b-trees
 * (a random key dirties a random page per insert); the random part keeps
 * ids unguessable. */
static bool uuid_new(int64_t now_ms, char out[FX_ID_BYTES])
{
    uint8_t b[16];
    char hex[33];
    if (!fg_random_bytes(b + 6, sizeof(b) - 6))
        return false;
    uint64_t ms = now_ms > 0 ? (uint64_t)now_ms : 0;
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x70); /* version 7 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10 */
    sig_hex_encode(b, sizeof(b), hex);
    snprintf(out, FX_ID_BYTES, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
    return true;
}

static void copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    FG_ASSERT(n < cap); /* callers pass checked, bounded text */
    memcpy(dst, src, n + 1);
}

/* --- rates ------------------------------------------------------------------ */

bool fx_source_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > FG_FX_SOURCE_BYTES_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              strchr("._:@/-", c)))
            return false;
    }
    return true;
}

#define RATE_COLUMNS "base, quote, bid, bid_scale, ask, ask_scale, set_ms, source, max_age_s"

static int rate_row(void *ctx, struct store_row *row)
{
    struct fx_rate_row *r = ctx;
    store_row_text_copy(row, 0, r->base, sizeof(r->base));
    store_row_text_copy(row, 1, r->quote, sizeof(r->quote));
    if (!fxrate_make(store_row_int(row, 2), (int)store_row_int(row, 3), &r->bid) ||
        !fxrate_make(store_row_int(row, 4), (int)store_row_int(row, 5), &r->ask))
        return -FG_EINTERNAL; /* a row no put could have written */
    r->set_ms = store_row_int(row, 6);
    store_row_text_copy(row, 7, r->source, sizeof(r->source));
    r->max_age_s = store_row_int(row, 8);
    return 1;
}

static int rate_get(struct store *s, const char *base, const char *quote, struct fx_rate_row *out,
                    bool *found, struct fg_err *err)
{
    memset(out, 0, sizeof(*out));
    int rc = store_exec(s, "SELECT " RATE_COLUMNS " FROM fx_rates WHERE base = ? AND quote = ?",
                        STORE_ARGS(SA_TEXT(base), SA_TEXT(quote)), rate_row, out, err);
    if (rc == -FG_EINTERNAL)
        rc = fg_fail(err, -FG_ESTORE, "fx_rates %s/%s holds a value that is not a rate", base,
                     quote);
    *found = rc == 0 && out->base[0];
    return rc;
}

int fx_rate_put(struct store *s, const struct fx_rate_row *r, bool *created, struct fg_err *err)
{
    struct currency a, b;
    FG_ASSERT(fxrate_valid(r->bid) && fxrate_valid(r->ask));
    if (fxrate_cmp(r->bid, r->ask) > 0)
        return fg_fail(err, -FG_EBAD_FIELD, "bid must not exceed ask");
    if (strcmp(r->base, r->quote) == 0)
        return fg_fail(err, -FG_EFX_SAME_CURRENCY, "a pair needs two currencies");
    if (r->max_age_s < 0 || r->max_age_s > FG_FX_RATE_MAX_AGE_S_MAX || !fx_source_valid(r->source))
        return fg_fail(err, -FG_EBAD_FIELD, "max_age_s or source out of range");
    int rc = currency_get(s, r->base, &a, err);
    if (rc == 0)
        rc = currency_get(s, r->quote, &b, err);
    int64_t n = 0;
    if (rc == 0)
        rc = store_query_int(
            s,
            "SELECT COUNT(*) FROM fx_rates WHERE (base = ? AND quote = ?) OR "
            "(base = ? AND quote = ?)",
            STORE_ARGS(SA_TEXT(r->base), SA_TEXT(r->quote), SA_TEXT(r->quote), SA_TEXT(r->base)),
            &n, err);
    if (rc == 0) /* invariant 1: the inverse goes */
        rc = store_exec_changes(s, "DELETE FROM fx_rates WHERE base = ? AND quote = ?",
                                STORE_ARGS(SA_TEXT(r->quote), SA_TEXT(r->base)), NULL, err);
    if (rc == 0)
        rc = store_exec_changes(
            s,
            "INSERT INTO fx_rates (" RATE_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (base, quote) DO UPDATE SET bid = excluded.bid, "
            "bid_scale = excluded.bid_scale, ask = excluded.ask, ask_scale = excluded.ask_scale, "
            "set_ms = excluded.set_ms, source = excluded.source, max_age_s = excluded.max_age_s",
            STORE_ARGS(SA_TEXT(r->base), SA_TEXT(r->quote), SA_INT(r->bid.units),
                       SA_INT(r->bid.scale), SA_INT(r->ask.units), SA_INT(r->ask.scale),
                       SA_INT(r->set_ms), SA_TEXT(r->source), SA_INT(r->max_age_s)),
            NULL, err);
    if (rc == 0)
        *created = n == 0;
    return rc;
}

int fx_rate_find(struct store *s, const char *a, const char *b, struct fx_rate_row *out,
                 bool *inverted, struct fg_err *err)
{
    bool found = false;
    *inverted = false;
    int rc = rate_get(s, a, b, out, &found, err);
    if (rc == 0 && !found) {
        *inverted = true;
        rc = rate_get(s, b, a, out, &found, err);
    }
    if (rc == 0 && !found)
        rc = fg_fail(err, -FG_EFX_NO_RATE, "no rate between %.16s and %.16s", a, b);
    return rc;
}

bool fx_rate_fresh(const struct fx_rate_row *r, int64_t now_ms)
{
    money_i128 age = (money_i128)now_ms - r->set_ms;
    return r->max_age_s == 0 || age <= (money_i128)r->max_age_s * 1000;
}

struct rate_list_ctx {
    fx_rate_fn fn;
    void *ctx;
};

static int rate_list_row(void *ctx, struct store_row *row)
{
    struct rate_list_ctx *l = ctx;
    struct fx_rate_row r = {0};
    int rc = rate_row(&r, row);
    if (rc < 0)
        return rc;
    rc = l->fn(l->ctx, &r);
    return rc < 0 ? rc : rc > 0 ? 1 : 0;
}

int fx_rate_list(struct store *s, fx_rate_fn fn, void *ctx, struct fg_err *err)
{
    struct rate_list_ctx l = {fn, ctx};
    return store_exec(s, "SELECT " RATE_COLUMNS " FROM fx_rates ORDER BY base, quote", STORE_NOARGS,
                      rate_list_row, &l, err);
}

int fx_convert_mid(struct store *s, int64_t now_ms, const char *from, int from_digits,
                   const char *to, int to_digits, int64_t amount, enum money_round mode,
                   int64_t *out, struct fxrate *mid, bool *inverted, struct fg_err *err)
{
    struct fx_rate_row r;
    *inverted = false;
    if (strcmp(from, to) == 0) {
        *mid = (struct fxrate){.units = 1, .scale = 0};
        return fxrate_convert(amount, from_digits, *mid, to_digits, mode, out);
    }
    int rc = fx_rate_find(s, from, to, &r, inverted, err);
    if (rc < 0)
        return rc;
    if (!fx_rate_fresh(&r, now_ms))
        return fg_fail(err, -FG_EFX_RATE_STALE, "the %s/%s rate is older than %lld s", r.base,
                       r.quote, (long long)r.max_age_s);
    *mid = fxrate_mid(r.bid, r.ask);
    rc = *inverted ? fxrate_convert_inverse(amount, from_digits, *mid, to_digits, mode, out)
                   : fxrate_convert(amount, from_digits, *mid, to_digits, mode, out);
    if (rc < 0)
        return fg_fail(err, rc, "conversion of %lld overflows", (long long)amount);
    return 0;
}

/* --- rates from CSV ------------------------------------------------------------ */

struct csv_line {
    int no;
    const char *field[5];
    size_t len[5];
    int count;
};

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return false;
    return true;
}

/* Split one line (no newline) into trimmed fields. */
static int csv_split(const char *s, size_t n, struct csv_line *l, struct fg_err *err)
{
    l->count = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] == '"')
            return fg_fail(err, -FG_EBAD_FIELD, "line %d: quoted fields are not supported", l->no);
        if (i < n && s[i] != ',')
            continue;
        if (l->count == 5)
            return fg_fail(err, -FG_EBAD_FIELD, "line %d: more than 5 fields", l->no);
        size_t a = start, b = i;
        while (a < b && (s[a] == ' ' || s[a] == '\t'))
            a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
            b--;
        l->field[l->count] = s + a;
        l->len[l->count++] = b - a;
        start = i + 1;
    }
    if (l->count < 3)
        return fg_fail(err, -FG_EBAD_FIELD, "line %d: want PAIR,BID,ASK[,MAX_AGE_S[,SOURCE]]",
                       l->no);
    return 0;
}

static int csv_pair(const struct csv_line *l, struct fx_rate_row *r, struct fg_err *err)
{
    const char *p = l->field[0], *slash = memchr(p, '/', l->len[0]);
    size_t nb = slash ? (size_t)(slash - p) : 0, nq = slash ? l->len[0] - nb - 1 : 0;
    if (!slash || nb == 0 || nq == 0 || nb > FG_CURRENCY_CODE_BYTES_MAX ||
        nq > FG_CURRENCY_CODE_BYTES_MAX)
        return fg_fail(err, -FG_EBAD_FIELD, "line %d: the pair must be BASE/QUOTE", l->no);
    memcpy(r->base, p, nb);
    r->base[nb] = '\0';
    memcpy(r->quote, slash + 1, nq);
    r->quote[nq] = '\0';
    if (!currency_code_valid(r->base) || !currency_code_valid(r->quote) ||
        strcmp(r->base, r->quote) == 0)
        return fg_fail(err, -FG_EBAD_FIELD, "line %d: the pair must be two different currencies",
                       l->no);
    return 0;
}

static int csv_row(const struct csv_line *l, const char *default_source, int64_t now_ms,
                   struct fx_rate_row *r, struct fg_err *err)
{
    struct fg_err inner;
    memset(r, 0, sizeof(*r));
    int rc = csv_pair(l, r, err);
    if (rc == 0 && (fxrate_parse(l->field[1], l->len[1], "bid", &r->bid, &inner) < 0 ||
                    fxrate_parse(l->field[2], l->len[2], "ask", &r->ask, &inner) < 0))
        rc = fg_fail(err, -FG_EBAD_FIELD, "line %d: %s", l->no, inner.msg);
    if (rc == 0 && fxrate_cmp(r->bid, r->ask) > 0)
        rc = fg_fail(err, -FG_EBAD_FIELD, "line %d: bid must not exceed ask", l->no);
    for (size_t i = 0; rc == 0 && l->count > 3 && i < l->len[3]; i++) {
        char c = l->field[3][i];
        if (c < '0' || c > '9' || i >= 9 ||
            (r->max_age_s = r->max_age_s * 10 + (c - '0')) > FG_FX_RATE_MAX_AGE_S_MAX)
            rc = fg_fail(err, -FG_EBAD_FIELD, "line %d: max_age_s must be 0 to %d", l->no,
                         FG_FX_RATE_MAX_AGE_S_MAX);
    }
    size_t ns = l->count > 4 ? l->len[4] : 0;
    if (rc == 0 && ns > FG_FX_SOURCE_BYTES_MAX)
        rc = fg_fail(err, -FG_EBAD_FIELD, "line %d: source longer than %d bytes", l->no,
                     FG_FX_SOURCE_BYTES_MAX);
    if (rc == 0) {
        if (ns)
            memcpy(r->source, l->field[4], ns);
        else
            copy(r->source, sizeof(r->source), default_source);
        if (!fx_source_valid(r->source))
            rc = fg_fail(err, -FG_EBAD_FIELD, "line %d: source must be 1 to %d of A-Za-z0-9._:@/-",
                         l->no, FG_FX_SOURCE_BYTES_MAX);
    }
    r->set_ms = now_ms;
    return rc;
}

static bool same_pair(const struct fx_rate_row *a, const struct fx_rate_row *b)
{
    return (strcmp(a->base, b->base) == 0 && strcmp(a->quote, b->quote) == 0) ||
           (strcmp(a->base, b->quote) == 0 && strcmp(a->quote, b->base) == 0);
}

int fx_rates_csv_parse(const char *text, size_t len, const char *default_source, int64_t now_ms,
                       struct fx_rate_row *rows, int *n, struct fg_err *err)
{
    struct csv_line l = {0};
    bool first = true;
    *n = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len, ll = end - pos;
        const char *s = text + pos;
        l.no++;
        pos = end + 1;
        if (ll > 0 && s[ll - 1] == '\r')
            ll--;
        if (ll > FG_FX_RATES_CSV_LINE_BYTES_MAX)
            return fg_fail(err, -FG_EBAD_FIELD, "line %d is longer than %d bytes", l.no,
                           FG_FX_RATES_CSV_LINE_BYTES_MAX);
        if (memchr(s, '\0', ll))
            return fg_fail(err, -FG_EBAD_FIELD, "line %d holds a NUL byte", l.no);
        if (blank(s, ll) || s[0] == '#')
            continue;
        bool header = first && ll >= 5 && strncasecmp(s, "pair,", 5) == 0;
        first = false;
        if (header)
            continue;
        if (*n == FG_FX_RATES_CSV_ROWS_MAX)
            return fg_fail(err, -FG_ETOO_LARGE, "more than %d rates", FG_FX_RATES_CSV_ROWS_MAX);
        int rc = csv_split(s, ll, &l, err);
        if (rc == 0)
            rc = csv_row(&l, default_source, now_ms, &rows[*n], err);
        for (int i = 0; rc == 0 && i < *n; i++)
            if (same_pair(&rows[i], &rows[*n]))
                rc = fg_fail(err, -FG_EBAD_FIELD, "line %d: the pair %s/%s is given twice", l.no,
                             rows[*n].base, rows[*n].quote);
        if (rc < 0)
            return rc;
        (*n)++;
    }
    return 0;
}

/* --- value dates ------------------------------------------------------------ */

/* Both currencies' calendars as one: a day is a business day when it is one
 * in each; known through the earlier of the two. cal->holidays is malloc'd. */
static int calendar_both(struct store *s, const char *a, const char *b, int32_t from_day,
                         struct wd_calendar *cal, struct fg_err *err)
{
    struct wd_calendar ca, cb;
    memset(cal, 0, sizeof(*cal));
    cal->through_day = -1;
    int rc = wd_calendar_load(s, a, from_day, &ca, err);
    if (rc < 0)
        return rc;
    if ((rc = wd_calendar_load(s, b, from_day, &cb, err)) < 0) {
        free((void *)ca.holidays);
        return rc;
    }
    int32_t *days = malloc(sizeof(int32_t) * (size_t)(ca.holiday_count + cb.holiday_count + 1));
    if (!days)
        rc = fg_fail(err, -FG_ENOMEM, "out of memory merging calendars");
    int i = 0, j = 0, n = 0; /* merge two sorted lists, each day once */
    while (days && (i < ca.holiday_count || j < cb.holiday_count)) {
        int32_t d =
            j >= cb.holiday_count || (i < ca.holiday_count && ca.holidays[i] <= cb.holidays[j])
                ? ca.holidays[i++]
                : cb.holidays[j++];
        if (n == 0 || days[n - 1] != d)
            days[n++] = d;
    }
    if (days) {
        cal->holidays = days;
        cal->holiday_count = n;
        cal->through_day = ca.through_day < 0 || cb.through_day < 0 ? -1
                           : ca.through_day < cb.through_day        ? ca.through_day
                                                                    : cb.through_day;
    }
    free((void *)ca.holidays);
    free((void *)cb.holidays);
    return rc;
}

static int value_day_spot(const struct wd_calendar *cal, int64_t now_ms, int32_t *day,
                          struct fg_err *err)
{
    /* UTC days, no cut-off (a minute of the day never reaches 1440). */
    const struct wd_value_day_rule rule = {
        .utc_offset_min = 0, .cutoff_min = 24 * 60, .settlement_days = FG_FX_SPOT_DAYS};
    struct fg_err inner;
    if (withdraw_value_day(&rule, cal, now_ms, day, &inner) < 0)
        return fg_fail(err, -FG_EFX_VALUE_DATE, "no SPOT value date: %s", inner.msg);
    return 0;
}

static int value_day_forward(const struct wd_calendar *cal, int32_t today, int32_t day,
                             struct fg_err *err)
{
    char d[WD_DATE_BYTES];
    wd_date_format(day, d);
    if (day <= today || day > today + FG_FX_FORWARD_DAYS_MAX)
        return fg_fail(err, -FG_EBAD_FIELD, "a forward value date (%s) lies 1 to %d days ahead", d,
                       FG_FX_FORWARD_DAYS_MAX);
    if (cal->through_day < day)
        return fg_fail(err, -FG_EFX_VALUE_DATE, "the calendars do not reach %s", d);
    if (!withdraw_business_day(cal, day))
        return fg_fail(err, -FG_EFX_VALUE_DATE, "%s is not a business day of both currencies", d);
    return 0;
}

static int value_day_of(struct store *s, int64_t now_ms, const struct fx_quote_req *q, int32_t *day,
                        struct fg_err *err)
{
    int32_t today = fx_day_of(now_ms);
    if (q->tenor == FX_TENOR_TOD) {
        *day = today;
        return 0;
    }
    struct wd_calendar cal;
    int rc = calendar_both(s, q->sell, q->buy, today, &cal, err);
    if (rc < 0)
        return rc;
    if (q->tenor == FX_TENOR_SPOT) {
        rc = value_day_spot(&cal, now_ms, day, err);
    } else {
        rc = value_day_forward(&cal, today, q->value_day, err);
        *day = q->value_day;
    }
    free((void *)cal.holidays);
    return rc;
}

/* --- prices and quotes -------------------------------------------------------- */

static int quote_req_check(const struct fx_quote_req *q, struct fg_err *err)
{
    if (q->markup_bp < 0 || q->markup_bp > FG_FX_MARKUP_BP_MAX)
        return fg_fail(err, -FG_EBAD_FIELD, "markup_bp must be 0 to %d", FG_FX_MARKUP_BP_MAX);
    if (q->ttl_ms < 1 || q->ttl_ms > FG_FX_QUOTE_TTL_MS_MAX)
        return fg_fail(err, -FG_EBAD_FIELD, "a quote lives 1 ms to %d ms", FG_FX_QUOTE_TTL_MS_MAX);
    if ((q->fixed != FX_FIXED_SELL && q->fixed != FX_FIXED_BUY) ||
        (q->tenor != FX_TENOR_TOD && q->tenor != FX_TENOR_SPOT && q->tenor != FX_TENOR_FORWARD))
        return fg_fail(err, -FG_EBAD_FIELD, "unknown side or tenor");
    if (q->amount < 0)
        return fg_fail(err, -FG_EBAD_AMOUNT, "amount must not be negative");
    if (q->amount == 0)
        return fg_fail(err, -FG_EAMOUNT_ZERO, "amount must be greater than zero");
    if (strcmp(q->sell, q->buy) == 0)
        return fg_fail(err, -FG_EFX_SAME_CURRENCY, "sell and buy currency are both %.16s", q->sell);
    return 0;
}

/* The price in the pair's direction and the customer's rate (fx.h "Prices"). */
static int price_of(const struct fx_rate_row *r, bool customer_sells_base, int64_t markup_bp,
                    struct fx_quote *out, struct fg_err *err)
{
    bool ok = customer_sells_base
                  ? fxrate_adjust_bp(r->bid, -markup_bp, MONEY_ROUND_DOWN, &out->price)
                  : fxrate_adjust_bp(r->ask, markup_bp, MONEY_ROUND_UP, &out->price);
    if (ok)
        ok = customer_sells_base ? (out->rate = out->price, true)
                                 : fxrate_invert(out->price, MONEY_ROUND_DOWN, &out->rate);
    if (!ok)
        return fg_fail(err, -FG_EFX_NO_RATE, "the %s/%s rate gives no usable price", r->base,
                       r->quote);
    copy(out->pair_base, sizeof(out->pair_base), r->base);
    copy(out->pair_quote, sizeof(out->pair_quote), r->quote);
    return 0;
}

/* Both amounts from the exact price P, one rounding each, for the house
 * (invariant 3); `direct` when the customer sells the pair's base. */
static int amounts_from_price(enum fx_side fixed, bool direct, struct fxrate p, int sell_digits,
                              int buy_digits, int64_t sold_or_bought, int64_t *sold,
                              int64_t *bought)
{
    if (fixed == FX_FIXED_SELL) {
        *sold = sold_or_bought;
        return direct ? fxrate_convert(*sold, sell_digits, p, buy_digits, MONEY_ROUND_DOWN, bought)
                      : fxrate_convert_inverse(*sold, sell_digits, p, buy_digits, MONEY_ROUND_DOWN,
                                               bought);
    }
    *bought = sold_or_bought;
    return direct
               ? fxrate_convert_inverse(*bought, buy_digits, p, sell_digits, MONEY_ROUND_UP, sold)
               : fxrate_convert(*bought, buy_digits, p, sell_digits, MONEY_ROUND_UP, sold);
}

static int amounts_of(const struct fx_quote_req *q, struct fx_quote *out, struct fg_err *err)
{
    bool direct = strcmp(out->pair_base, q->sell) == 0;
    int rc = amounts_from_price(q->fixed, direct, out->price, out->sell_digits, out->buy_digits,
                                q->amount, &out->sell_amount, &out->buy_amount);
    if (rc < 0)
        return fg_fail(err, -FG_EBAD_AMOUNT, "amount is too large to exchange");
    if (out->sell_amount == 0 || out->buy_amount == 0)
        return fg_fail(err, -FG_EBAD_AMOUNT, "amount is too small: the other side rounds to zero");
    return 0;
}

int fx_quote_price(struct store *s, int64_t now_ms, const struct fx_quote_req *q,
                   struct fx_quote *out, struct fg_err *err)
{
    struct currency cs, cb;
    struct fx_rate_row r;
    bool inverted = false;
    memset(out, 0, sizeof(*out));
    out->req = *q;
    int rc = quote_req_check(q, err);
    if (rc == 0)
        rc = currency_get_cached(s, q->sell, &cs, err);
    if (rc == 0)
        rc = currency_get_cached(s, q->buy, &cb, err);
    if (rc < 0)
        return rc;
    out->sell_digits = cs.digits;
    out->buy_digits = cb.digits;
    if ((rc = fx_rate_find(s, q->sell, q->buy, &r, &inverted, err)) < 0)
        return rc;
    if (!fx_rate_fresh(&r, now_ms))
        return fg_fail(err, -FG_EFX_RATE_STALE, "the %s/%s rate is older than its %lld s", r.base,
                       r.quote, (long long)r.max_age_s);
    if ((rc = price_of(&r, !inverted, q->markup_bp, out, err)) < 0 ||
        (rc = amounts_of(q, out, err)) < 0 ||
        (rc = value_day_of(s, now_ms, q, &out->value_day, err)) < 0)
        return rc;
    out->created_ms = now_ms;
    if (!money_add(now_ms, q->ttl_ms, &out->expires_ms))
        return fg_fail(err, -FG_EBAD_FIELD, "the clock is out of range");
    return 0;
}

int fx_quote_create(struct store *s, int64_t now_ms, const struct fx_quote_req *q,
                    struct fx_quote *out, struct fg_err *err)
{
    int rc = fx_quote_price(s, now_ms, q, out, err);
    if (rc < 0)
        return rc;
    if (!uuid_new(now_ms, out->id))
        return fg_fail(err, -FG_EINTERNAL, "no random bytes for a quote id");
    return store_exec_changes(
        s,
        "INSERT INTO fx_quotes (id, family, client_key, customer, sell, buy, fixed_side, "
        "sell_amount, buy_amount, rate, rate_scale, price, price_scale, pair_base, pair_quote, "
        "tenor, value_day, markup_bp, created_ms, expires_ms, used) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        STORE_ARGS(SA_TEXT(out->id), SA_TEXT(q->family), SA_TEXT(q->client_key),
                   SA_TEXT(q->customer), SA_TEXT(q->sell), SA_TEXT(q->buy), SA_INT(q->fixed),
                   SA_INT(out->sell_amount), SA_INT(out->buy_amount), SA_INT(out->rate.units),
                   SA_INT(out->rate.scale), SA_INT(out->price.units), SA_INT(out->price.scale),
                   SA_TEXT(out->pair_base), SA_TEXT(out->pair_quote), SA_INT(q->tenor),
                   SA_INT(out->value_day), SA_INT(q->markup_bp), SA_INT(out->created_ms),
                   SA_INT(out->expires_ms)),
        NULL, err);
}

#define QUOTE_COLUMNS                                                                              \
    "id, family, client_key, customer, sell, buy, fixed_side, sell_amount, buy_amount, rate, "     \
    "rate_scale, price, price_scale, pair_base, pair_quote, tenor, value_day, markup_bp, "         \
    "created_ms, expires_ms, used"

static int quote_row(void *ctx, struct store_row *row)
{
    struct fx_quote *q = ctx;
    store_row_text_copy(row, 0, q->id, sizeof(q->id));
    store_row_text_copy(row, 1, q->req.family, sizeof(q->req.family));
    store_row_text_copy(row, 2, q->req.client_key, sizeof(q->req.client_key));
    store_row_text_copy(row, 3, q->req.customer, sizeof(q->req.customer));
    store_row_text_copy(row, 4, q->req.sell, sizeof(q->req.sell));
    store_row_text_copy(row, 5, q->req.buy, sizeof(q->req.buy));
    q->req.fixed = store_row_int(row, 6) ? FX_FIXED_BUY : FX_FIXED_SELL;
    q->sell_amount = store_row_int(row, 7);
    q->buy_amount = store_row_int(row, 8);
    q->req.amount = q->req.fixed == FX_FIXED_SELL ? q->sell_amount : q->buy_amount;
    if (!fxrate_make(store_row_int(row, 9), (int)store_row_int(row, 10), &q->rate) ||
        !fxrate_make(store_row_int(row, 11), (int)store_row_int(row, 12), &q->price))
        return -FG_EINTERNAL;
    store_row_text_copy(row, 13, q->pair_base, sizeof(q->pair_base));
    store_row_text_copy(row, 14, q->pair_quote, sizeof(q->pair_quote));
    int64_t tenor = store_row_int(row, 15);
    if (tenor < FX_TENOR_TOD || tenor > FX_TENOR_FORWARD)
        return -FG_EINTERNAL;
    q->req.tenor = (enum fx_tenor)tenor;
    q->value_day = (int32_t)store_row_int(row, 16);
    q->req.value_day = q->value_day;
    q->req.markup_bp = store_row_int(row, 17);
    q->created_ms = store_row_int(row, 18);
    q->expires_ms = store_row_int(row, 19);
    q->req.ttl_ms = q->expires_ms - q->created_ms;
    q->used = store_row_int(row, 20) != 0;
    return 1;
}

int fx_quote_get(struct store *s, const char *id_in, struct fx_quote *out, struct fg_err *err)
{
    char id[FX_ID_BYTES]; /* id_in may point into out */
    snprintf(id, sizeof(id), "%s", id_in);
    memset(out, 0, sizeof(*out));
    int rc = store_exec(s, "SELECT " QUOTE_COLUMNS " FROM fx_quotes WHERE id = ?",
                        STORE_ARGS(SA_TEXT(id)), quote_row, out, err);
    if (rc == -FG_EINTERNAL)
        rc = fg_fail(err, -FG_ESTORE, "quote %.40s holds values that are not a quote", id);
    if (rc == 0 && !out->id[0])
        rc = fg_fail(err, -FG_EFX_QUOTE_UNKNOWN, "no quote %.40s", id);
    if (rc < 0)
        return rc;
    struct currency c;
    if ((rc = currency_get_cached(s, out->req.sell, &c, err)) < 0)
        return rc;
    out->sell_digits = c.digits;
    if ((rc = currency_get_cached(s, out->req.buy, &c, err)) < 0)
        return rc;
    out->buy_digits = c.digits;
    return 0;
}

/* --- exchanges --------------------------------------------------------------- */

/* The columns of an exchange, each prefixed by p ("" or "x."). */
#define EXCHANGE_COLUMNS_P(p)                                                                      \
    p "id, " p "family, " p "client_key, " p "request_id, " p "customer, " p "account_type, " p    \
      "quote_id, " p "order_id, " p "reference, " p "sell, " p "buy, " p "fixed_side, " p          \
      "sold, " p "bought, " p "rate, " p "rate_scale, " p "price, " p "price_scale, " p            \
      "pair_base, " p "pair_quote, " p "tenor, " p "value_day, " p "funded, " p "state, " p        \
      "sell_account, " p "buy_account, " p "sell_leg, " p "post_leg, " p "buy_leg, " p             \
      "fail_reason, " p "created_ms, " p "settled_ms"
#define EXCHANGE_COLUMNS EXCHANGE_COLUMNS_P("")

static int exchange_insert(struct store *s, const struct fx_exchange *x, struct fg_err *err)
{
    return store_exec_changes(
        s,
        "INSERT INTO fx_exchanges (" EXCHANGE_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        STORE_ARGS(
            SA_TEXT(x->id), SA_TEXT(x->family), SA_TEXT(x->client_key), SA_TEXT(x->request_id),
            SA_TEXT(x->customer), SA_TEXT(x->account_type), SA_TEXT(x->quote_id),
            SA_TEXT(x->order_id), SA_TEXT(x->reference), SA_TEXT(x->sell), SA_TEXT(x->buy),
            SA_INT(x->fixed), SA_INT(x->sold), SA_INT(x->bought), SA_INT(x->rate.units),
            SA_INT(x->rate.scale), SA_INT(x->price.units), SA_INT(x->price.scale),
            SA_TEXT(x->pair_base), SA_TEXT(x->pair_quote), SA_INT(x->tenor), SA_INT(x->value_day),
            SA_INT(x->funded), SA_INT(x->state), SA_INT(x->sell_account), SA_INT(x->buy_account),
            SA_INT(x->sell_leg), SA_INT(x->post_leg), SA_INT(x->buy_leg), SA_TEXT(x->fail_reason),
            SA_INT(x->created_ms), SA_INT(x->settled_ms)),
        NULL, err);
}

static void text_col(struct store_row *row, int col, char *buf, size_t cap)
{
    store_row_text_copy(row, col, buf, cap);
}

static int exchange_row(void *ctx, struct store_row *row)
{
    struct fx_exchange *x = ctx;
    text_col(row, 0, x->id, sizeof(x->id));
    text_col(row, 1, x->family, sizeof(x->family));
    text_col(row, 2, x->client_key, sizeof(x->client_key));
    text_col(row, 3, x->request_id, sizeof(x->request_id));
    text_col(row, 4, x->customer, sizeof(x->customer));
    text_col(row, 5, x->account_type, sizeof(x->account_type));
    text_col(row, 6, x->quote_id, sizeof(x->quote_id));
    text_col(row, 7, x->order_id, sizeof(x->order_id));
    text_col(row, 8, x->reference, sizeof(x->reference));
    text_col(row, 9, x->sell, sizeof(x->sell));
    text_col(row, 10, x->buy, sizeof(x->buy));
    x->fixed = store_row_int(row, 11) ? FX_FIXED_BUY : FX_FIXED_SELL;
    x->sold = store_row_int(row, 12);
    x->bought = store_row_int(row, 13);
    if (!fxrate_make(store_row_int(row, 14), (int)store_row_int(row, 15), &x->rate) ||
        !fxrate_make(store_row_int(row, 16), (int)store_row_int(row, 17), &x->price))
        return -FG_EINTERNAL;
    text_col(row, 18, x->pair_base, sizeof(x->pair_base));
    text_col(row, 19, x->pair_quote, sizeof(x->pair_quote));
    int64_t tenor = store_row_int(row, 20), state = store_row_int(row, 23);
    if (tenor < FX_TENOR_TOD || tenor > FX_TENOR_FORWARD || state < FX_PENDING || state > FX_FAILED)
        return -FG_EINTERNAL;
    x->tenor = (enum fx_tenor)tenor;
    x->value_day = (int32_t)store_row_int(row, 21);
    x->funded = store_row_int(row, 22) != 0;
    x->state = (enum fx_state)state;
    x->sell_account = store_row_int(row, 24);
    x->buy_account = store_row_int(row, 25);
    x->sell_leg = store_row_int(row, 26);
    x->post_leg = store_row_int(row, 27);
    x->buy_leg = store_row_int(row, 28);
    text_col(row, 29, x->fail_reason, sizeof(x->fail_reason));
    x->created_ms = store_row_int(row, 30);
    x->settled_ms = store_row_int(row, 31);
    return 1;
}

/* One exchange by a WHERE clause with one or three text arguments. */
static int exchange_select(struct store *s, const char *sql, const struct store_arg *args,
                           int nargs, struct fx_exchange *out, struct fg_err *err)
{
    memset(out, 0, sizeof(*out));
    int rc = store_exec(s, sql, args, nargs, exchange_row, out, err);
    if (rc == -FG_EINTERNAL)
        return fg_fail(err, -FG_ESTORE, "an fx_exchanges row holds values no exchange has");
    if (rc == 0 && !out->id[0])
        return fg_fail(err, -FG_EFX_EXCHANGE_UNKNOWN, "no such exchange");
    struct currency c;
    if (rc == 0 && (rc = currency_get_cached(s, out->sell, &c, err)) == 0)
        out->sell_digits = c.digits;
    if (rc == 0 && (rc = currency_get_cached(s, out->buy, &c, err)) == 0)
        out->buy_digits = c.digits;
    return rc;
}

static int exchange_by_id(struct store *s, const char *id_in, struct fx_exchange *out,
                          struct fg_err *err)
{
    char id[FX_ID_BYTES]; /* id_in may point into out */
    snprintf(id, sizeof(id), "%s", id_in);
    return exchange_select(s, "SELECT " EXCHANGE_COLUMNS " FROM fx_exchanges WHERE id = ?",
                           STORE_ARGS(SA_TEXT(id)), out, err);
}

int fx_exchange_get(struct store *s, const char *id, struct fx_exchange *out, struct fg_err *err)
{
    return exchange_by_id(s, id, out, err);
}

int fx_exchange_find(struct store *s, const char *family, const char *client_key, enum fx_lookup by,
                     const char *value, struct fx_exchange *out, struct fg_err *err)
{
    static const char *const sql[] = {
        [FX_BY_ID] = "SELECT " EXCHANGE_COLUMNS
                     " FROM fx_exchanges WHERE family = ? AND client_key = ? AND id = ?",
        [FX_BY_REQUEST_ID] =
            "SELECT " EXCHANGE_COLUMNS " FROM fx_exchanges WHERE family = ? AND client_key = ? AND "
            "request_id = ?",
        [FX_BY_ORDER_ID] =
            "SELECT " EXCHANGE_COLUMNS " FROM fx_exchanges WHERE family = ? AND client_key = ? AND "
            "order_id = ? AND order_id <> ''",
    };
    FG_ASSERT(by >= FX_BY_ID && by <= FX_BY_ORDER_ID);
    char v[FX_REQUEST_ID_BYTES]; /* value may point into out */
    if (strlen(value) >= sizeof(v))
        return fg_fail(err, -FG_EFX_EXCHANGE_UNKNOWN, "no such exchange");
    memcpy(v, value, strlen(value) + 1);
    return exchange_select(s, sql[by], STORE_ARGS(SA_TEXT(family), SA_TEXT(client_key), SA_TEXT(v)),
                           out, err);
}

struct exchange_page {
    struct store *s;
    fx_exchange_fn fn;
    void *ctx;
    struct fx_exchange x;
};

static int exchange_page_row(void *ctx, struct store_row *row)
{
    struct exchange_page *p = ctx;
    struct currency sell, buy;
    memset(&p->x, 0, sizeof(p->x));
    if (exchange_row(&p->x, row) < 0 || currency_get_cached(p->s, p->x.sell, &sell, NULL) < 0 ||
        currency_get_cached(p->s, p->x.buy, &buy, NULL) < 0)
        return -FG_EINTERNAL;
    p->x.sell_digits = sell.digits;
    p->x.buy_digits = buy.digits;
    int rc = p->fn(p->ctx, &p->x);
    return rc < 0 ? rc : 0;
}

int fx_exchange_page(struct store *s, const char *after, int state, const char *family, int limit,
                     fx_exchange_fn fn, void *ctx, struct fg_err *err)
{
    struct exchange_page p = {.s = s, .fn = fn, .ctx = ctx};
    int rc = store_exec(s,
                        "SELECT " EXCHANGE_COLUMNS " FROM fx_exchanges WHERE id > ? AND (? < 0 OR "
                        "state = ?) AND (? = '' OR family = ?) ORDER BY id LIMIT ?",
                        STORE_ARGS(SA_TEXT(after), SA_INT(state), SA_INT(state), SA_TEXT(family),
                                   SA_TEXT(family), SA_INT(limit)),
                        exchange_page_row, &p, err);
    if (rc == -FG_EINTERNAL)
        return fg_fail(err, -FG_ESTORE, "an fx_exchanges row holds values no exchange has");
    return rc;
}

/* The customer's two accounts (active) and house:fx of both currencies. */
static int exchange_accounts(struct store *s, struct fx_exchange *x, int64_t house[2],
                             struct fg_err *err)
{
    struct customer cu;
    struct ledger_account a;
    int rc = customer_get(s, x->customer, &cu, err);
    if (rc == 0 && strcmp(cu.status, "active") != 0)
        rc = fg_fail(err, -FG_ECUSTOMER_INACTIVE, "customer %.64s is %s", x->customer, cu.status);
    const char *ccy[2] = {x->sell, x->buy};
    int64_t *mine[2] = {&x->sell_account, &x->buy_account};
    for (int i = 0; rc == 0 && i < 2; i++) {
        rc = ledger_account_id_cached(s, x->customer, x->account_type, ccy[i], mine[i], err);
        if (rc < 0)
            return fg_fail(err, rc, "customer %.64s has no %s account in %s", x->customer,
                           x->account_type, ccy[i]);
        if ((rc = ledger_account_get(s, *mine[i], &a, err)) == 0 && strcmp(a.status, "active") != 0)
            rc = fg_fail(err, -FG_EACCOUNT_INACTIVE, "the %s account in %s is %s", x->account_type,
                         ccy[i], a.status);
        if (rc == 0)
            rc = ledger_account_id_cached(s, LEDGER_HOUSE, FX_HOUSE_TYPE, ccy[i], &house[i], err);
    }
    return rc;
}

static void leg_init(struct ledger_transfer *t, const struct fx_exchange *x, const char *leg,
                     int64_t debit, int64_t credit, int64_t amount, const char *currency)
{
    memset(t, 0, sizeof(*t));
    t->debit_id = debit;
    t->credit_id = credit;
    t->amount = amount;
    copy(t->currency, sizeof(t->currency), currency);
    snprintf(t->kind, sizeof(t->kind), "fx_%s", leg);
    snprintf(t->ref, sizeof(t->ref), "fx:%s:%s", x->id, leg);
}

/* The two plain legs of an immediate settlement, linked (invariant 4). */
static int legs_plain(struct store *s, int64_t now_ms, struct fx_exchange *x,
                      const int64_t house[2], struct fg_err *err)
{
    struct ledger_transfer t[2];
    leg_init(&t[0], x, "sell", x->sell_account, house[0], x->sold, x->sell);
    leg_init(&t[1], x, "buy", house[1], x->buy_account, x->bought, x->buy);
    int rc = ledger_transfers_create_linked(s, now_ms, t, 2, err);
    if (rc == 0) {
        x->sell_leg = t[0].id;
        x->buy_leg = t[1].id;
    }
    return rc;
}

/* Fill x from the quote and the request, move the money its tenor asks
 * for, write the row and use the quote (one savepoint: the caller's). */
static int exchange_book(struct store *s, int64_t now_ms, const struct fx_quote *q,
                         const struct fx_exec_req *e, struct fx_exchange *x, struct fg_err *err)
{
    int64_t house[2] = {0, 0}, dup = 0;
    memset(x, 0, sizeof(*x));
    if (!uuid_new(now_ms, x->id))
        return fg_fail(err, -FG_EINTERNAL, "no random bytes for a trade id");
    copy(x->family, sizeof(x->family), e->family);
    copy(x->client_key, sizeof(x->client_key), e->client_key);
    copy(x->request_id, sizeof(x->request_id), e->request_id);
    copy(x->customer, sizeof(x->customer), e->customer);
    copy(x->account_type, sizeof(x->account_type), e->account_type);
    copy(x->quote_id, sizeof(x->quote_id), q->id);
    copy(x->order_id, sizeof(x->order_id), e->order_id);
    copy(x->reference, sizeof(x->reference), e->reference);
    copy(x->sell, sizeof(x->sell), q->req.sell);
    copy(x->buy, sizeof(x->buy), q->req.buy);
    copy(x->pair_base, sizeof(x->pair_base), q->pair_base);
    copy(x->pair_quote, sizeof(x->pair_quote), q->pair_quote);
    x->sell_digits = q->sell_digits;
    x->buy_digits = q->buy_digits;
    x->fixed = q->req.fixed;
    x->sold = q->sell_amount;
    x->bought = q->buy_amount;
    x->rate = q->rate;
    x->price = q->price;
    x->tenor = q->req.tenor;
    x->value_day = q->value_day;
    x->funded = x->tenor == FX_TENOR_TOD || !e->unfunded;
    x->created_ms = now_ms;
    int rc = exchange_accounts(s, x, house, err);
    if (rc == 0 && x->order_id[0])
        rc = store_query_int(
            s,
            /* "order_id <> ''" lets the planner use the partial unique index. */
            "SELECT COUNT(*) FROM fx_exchanges WHERE family = ? AND "
            "client_key = ? AND order_id = ? AND order_id <> ''",
            STORE_ARGS(SA_TEXT(x->family), SA_TEXT(x->client_key), SA_TEXT(x->order_id)), &dup,
            err);
    if (rc == 0 && dup)
        rc = fg_fail(err, -FG_EFX_ORDER_EXISTS, "order_id '%.64s' names another exchange",
                     x->order_id);
    if (rc < 0)
        return rc;
    if (x->tenor == FX_TENOR_TOD) {
        rc = legs_plain(s, now_ms, x, house, err);
        x->state = FX_SETTLED;
        x->settled_ms = now_ms;
    } else if (x->funded) {
        struct ledger_transfer hold;
        leg_init(&hold, x, "hold", x->sell_account, house[0], x->sold, x->sell);
        hold.flags = LEDGER_PENDING; /* no expiry: it waits for its value day */
        if ((rc = ledger_transfer_create(s, now_ms, &hold, err)) == 0)
            x->sell_leg = hold.id;
    }
    if (rc < 0)
        return rc;
    int64_t changes = 0;
    if ((rc = exchange_insert(s, x, err)) < 0)
        return rc;
    rc = store_exec_changes(s, "UPDATE fx_quotes SET used = 1 WHERE id = ? AND used = 0",
                            STORE_ARGS(SA_TEXT(q->id)), &changes, err);
    if (rc == 0 && changes != 1) /* invariant 2 */
        rc = fg_fail(err, -FG_EFX_QUOTE_USED, "quote %s has already been used", q->id);
    return rc;
}

int fx_exchange_execute(struct store *s, int64_t now_ms, const struct fx_exec_req *e,
                        struct fx_exchange *out, struct fg_err *err)
{
    struct fx_quote q;
    int rc = fx_quote_get(s, e->quote_id, &q, err);
    if (rc < 0)
        return rc;
    if (strcmp(q.req.family, e->family) != 0 || strcmp(q.req.client_key, e->client_key) != 0 ||
        (q.req.customer[0] && strcmp(q.req.customer, e->customer) != 0))
        return fg_fail(err, -FG_EFX_QUOTE_UNKNOWN, "no quote %.40s", e->quote_id);
    if (q.used)
        return fg_fail(err, -FG_EFX_QUOTE_USED, "quote %s has already been used", q.id);
    if (now_ms >= q.expires_ms)
        return fg_fail(err, -FG_EFX_QUOTE_EXPIRED, "quote %s expired %lld ms ago", q.id,
                       (long long)(now_ms - q.expires_ms));
    return exchange_book(s, now_ms, &q, e, out, err);
}

int fx_exchange_realtime(struct store *s, int64_t now_ms, const struct fx_quote_req *q,
                         const struct fx_exec_req *e, struct fx_exchange *out, struct fg_err *err)
{
    struct fx_quote quote;
    int rc = fx_quote_create(s, now_ms, q, &quote, err);
    if (rc < 0)
        return rc;
    return exchange_book(s, now_ms, &quote, e, out, err);
}

/* --- settlement -------------------------------------------------------------- */

static struct {
    char family[FX_FAMILY_BYTES];
    fx_final_fn fn;
} hooks[FG_FX_FAMILIES_MAX];
static int hook_count;

int fx_final_hook_set(const char *family, fx_final_fn fn)
{
    for (int i = 0; i < hook_count; i++)
        if (strcmp(hooks[i].family, family) == 0) {
            hooks[i].fn = fn;
            return 0;
        }
    if (hook_count == FG_FX_FAMILIES_MAX || strlen(family) >= FX_FAMILY_BYTES)
        return -FG_ELIMIT;
    copy(hooks[hook_count].family, sizeof(hooks[0].family), family);
    hooks[hook_count++].fn = fn;
    return 0;
}

static fx_final_fn hook_of(const char *family)
{
    for (int i = 0; i < hook_count; i++)
        if (strcmp(hooks[i].family, family) == 0)
            return hooks[i].fn;
    return NULL;
}

static int exchange_state_write(struct store *s, const struct fx_exchange *x, struct fg_err *err)
{
    int64_t changes = 0;
    int rc = store_exec_changes(
        s,
        "UPDATE fx_exchanges SET state = ?, sell_leg = ?, post_leg = ?, buy_leg = ?, "
        "fail_reason = ?, settled_ms = ? WHERE id = ? AND state = 0",
        STORE_ARGS(SA_INT(x->state), SA_INT(x->sell_leg), SA_INT(x->post_leg), SA_INT(x->buy_leg),
                   SA_TEXT(x->fail_reason), SA_INT(x->settled_ms), SA_TEXT(x->id)),
        &changes, err);
    if (rc == 0 && changes != 1)
        rc = fg_fail(err, -FG_EINTERNAL, "exchange %s is no longer pending", x->id);
    return rc;
}

/* Move the money of a due exchange: post the hold and credit the bought
 * amount (funded), or both plain legs (unfunded), linked. */
static int settle_legs(struct store *s, int64_t now_ms, struct fx_exchange *x, struct fg_err *err)
{
    int64_t house[2];
    int rc = ledger_account_id_cached(s, LEDGER_HOUSE, FX_HOUSE_TYPE, x->sell, &house[0], err);
    if (rc == 0)
        rc = ledger_account_id_cached(s, LEDGER_HOUSE, FX_HOUSE_TYPE, x->buy, &house[1], err);
    if (rc < 0)
        return rc;
    if (!x->funded)
        return legs_plain(s, now_ms, x, house, err);
    struct ledger_transfer t[2];
    leg_init(&t[0], x, "post", 0, 0, 0, x->sell);
    t[0].flags = LEDGER_POST;
    t[0].pending_id = x->sell_leg;
    leg_init(&t[1], x, "buy", house[1], x->buy_account, x->bought, x->buy);
    if ((rc = ledger_transfers_create_linked(s, now_ms, t, 2, err)) == 0) {
        x->post_leg = t[0].id;
        x->buy_leg = t[1].id;
    }
    return rc;
}

/* A state change and its hook (one savepoint, the caller's). *in_hook
 * tells a failure of the hook from one of the money. */
static int state_enter(struct store *s, int64_t now_ms, struct fx_exchange *x, enum fx_state to,
                       bool *in_hook, struct fg_err *err)
{
    *in_hook = false;
    x->state = to;
    x->settled_ms = now_ms;
    int rc = exchange_state_write(s, x, err);
    fx_final_fn hook = hook_of(x->family);
    if (rc == 0 && hook) {
        *in_hook = true;
        rc = hook(s, now_ms, x, err);
    }
    return rc;
}

/* An operating error (store, memory): the sweep stops and its command
 * rolls back; anything else is about this one exchange. */
static bool operating(int rc)
{
    return fg_code_http_status(rc) >= 500;
}

/* Fail a funded deal: void its hold (invariant 4); an unfunded one moves
 * nothing. */
static int fail_exchange(struct store *s, int64_t now_ms, struct fx_exchange *x, const char *why,
                         bool *in_hook, struct fg_err *err)
{
    snprintf(x->fail_reason, sizeof(x->fail_reason), "%s", why);
    x->post_leg = x->buy_leg = 0;
    *in_hook = false;
    if (x->funded) {
        struct ledger_transfer v;
        leg_init(&v, x, "void", 0, 0, 0, x->sell);
        v.flags = LEDGER_VOID;
        v.pending_id = x->sell_leg;
        int rc = ledger_transfer_create(s, now_ms, &v, err);
        if (rc < 0)
            return rc;
        x->post_leg = v.id;
    } else {
        x->sell_leg = 0;
    }
    return state_enter(s, now_ms, x, FX_FAILED, in_hook, err);
}

/* Settle one exchange in its own savepoint; a refusal of the money fails
 * the deal, a failing hook leaves it pending. Operating errors return < 0. */
static int settle_one(struct store *s, int64_t now_ms, const char *id, struct fx_settle_report *r,
                      struct fg_err *err)
{
    struct fx_exchange x;
    bool in_hook = false;
    int rc = exchange_by_id(s, id, &x, err);
    if (rc < 0 || (rc = store_savepoint(s, "fx_settle", err)) < 0)
        return rc;
    rc = settle_legs(s, now_ms, &x, err);
    if (rc == 0)
        rc = state_enter(s, now_ms, &x, FX_SETTLED, &in_hook, err);
    if (rc == 0) {
        r->settled++;
        return store_release(s, "fx_settle", err);
    }
    store_rollback_to(s, "fx_settle", NULL);
    if (!operating(rc) && !in_hook) {
        char why[FX_REASON_BYTES];
        snprintf(why, sizeof(why), "%.150s", err && err->msg[0] ? err->msg : fg_strerror(rc));
        if ((rc = exchange_by_id(s, id, &x, err)) == 0 &&
            (rc = fail_exchange(s, now_ms, &x, why, &in_hook, err)) == 0)
            r->failed++;
        else if (!operating(rc))
            store_rollback_to(s, "fx_settle", NULL);
    }
    if (rc < 0 && !operating(rc)) {
        r->deferred++;
        rc = 0;
    }
    int rel = store_release(s, "fx_settle", NULL);
    return rc < 0 ? rc : rel;
}

struct id_batch {
    char ids[FG_FX_SETTLE_BATCH_MAX][FX_ID_BYTES];
    int n;
};

static int id_row(void *ctx, struct store_row *row)
{
    struct id_batch *b = ctx;
    if (b->n == FG_FX_SETTLE_BATCH_MAX)
        return 1;
    store_row_text_copy(row, 0, b->ids[b->n++], FX_ID_BYTES);
    return 0;
}

int fx_settle_due(struct store *s, int64_t now_ms, int max, struct fx_settle_report *r,
                  struct fg_err *err)
{
    memset(r, 0, sizeof(*r));
    if (max < 1 || max > FG_FX_SETTLE_BATCH_MAX)
        max = FG_FX_SETTLE_BATCH_MAX;
    struct id_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return fg_fail(err, -FG_ENOMEM, "out of memory for the settlement batch");
    int rc = store_exec(s,
                        "SELECT id FROM fx_exchanges WHERE state = 0 AND value_day <= ? "
                        "ORDER BY value_day, id LIMIT ?",
                        STORE_ARGS(SA_INT(fx_day_of(now_ms)), SA_INT(max)), id_row, b, err);
    for (int i = 0; rc == 0 && i < b->n; i++)
        rc = settle_one(s, now_ms, b->ids[i], r, err);
    free(b);
    return rc;
}

/* --- the house's position ---------------------------------------------------- */

struct pos_table {
    struct fx_position p[FG_FX_POSITION_CURRENCIES_MAX];
    int n;
    bool overflow;
};

static int pos_account_row(void *ctx, struct store_row *row)
{
    struct pos_table *t = ctx;
    if (t->n == FG_FX_POSITION_CURRENCIES_MAX) {
        t->overflow = true;
        return 1;
    }
    struct fx_position *p = &t->p[t->n++];
    store_row_text_copy(row, 0, p->currency, sizeof(p->currency));
    p->digits = (int)store_row_int(row, 1);
    money_i128 v = (money_i128)store_row_int(row, 3) - store_row_int(row, 2);
    if (v > INT64_MAX || v < INT64_MIN)
        t->overflow = true;
    p->settled = (int64_t)v;
    return 0;
}

struct pos_sum {
    struct pos_table *t;
    bool incoming;
};

static int pos_sum_row(void *ctx, struct store_row *row)
{
    struct pos_sum *ps = ctx;
    char ccy[FG_CURRENCY_CODE_BYTES_MAX + 1];
    store_row_text_copy(row, 0, ccy, sizeof(ccy));
    for (int i = 0; i < ps->t->n; i++)
        if (strcmp(ps->t->p[i].currency, ccy) == 0) {
            *(ps->incoming ? &ps->t->p[i].incoming : &ps->t->p[i].outgoing) = store_row_int(row, 1);
            break;
        }
    return 0;
}

/* Value p->net at the mid of (currency, reporting). */
static int pos_value(struct store *s, int64_t now_ms, const struct currency *rep,
                     struct fx_position *p, struct fg_err *err)
{
    struct fx_rate_row r;
    bool inverted = false;
    if (strcmp(p->currency, rep->code) == 0) {
        p->valued = true;
        p->value = p->net;
        p->mid = (struct fxrate){.units = 1, .scale = 0};
        return 0;
    }
    int rc = fx_rate_find(s, p->currency, rep->code, &r, &inverted, err);
    if (rc == -FG_EFX_NO_RATE)
        return 0;
    if (rc < 0)
        return rc;
    p->valued = true;
    p->stale = !fx_rate_fresh(&r, now_ms);
    p->mid = fxrate_mid(r.bid, r.ask);
    rc = inverted ? fxrate_convert_inverse(p->net, p->digits, p->mid, rep->digits,
                                           MONEY_ROUND_HALF_EVEN, &p->value)
                  : fxrate_convert(p->net, p->digits, p->mid, rep->digits, MONEY_ROUND_HALF_EVEN,
                                   &p->value);
    return rc < 0 ? fg_fail(err, rc, "the %s position overflows in %s", p->currency, rep->code) : 0;
}

static int pos_load(struct store *s, struct pos_table *t, struct fg_err *err)
{
    int rc = store_exec(s,
                        "SELECT a.currency, c.digits, a.debits_posted, a.credits_posted FROM "
                        "accounts a JOIN currencies c ON c.code = a.currency WHERE a.owner = ? "
                        "AND a.type = ? ORDER BY a.currency",
                        STORE_ARGS(SA_TEXT(LEDGER_HOUSE), SA_TEXT(FX_HOUSE_TYPE)), pos_account_row,
                        t, err);
    struct pos_sum in = {t, true}, out = {t, false};
    if (rc == 0)
        rc = store_exec(s, "SELECT sell, SUM(sold) FROM fx_exchanges WHERE state = 0 GROUP BY sell",
                        STORE_NOARGS, pos_sum_row, &in, err);
    if (rc == 0)
        rc = store_exec(s, "SELECT buy, SUM(bought) FROM fx_exchanges WHERE state = 0 GROUP BY buy",
                        STORE_NOARGS, pos_sum_row, &out, err);
    if (rc == 0 && t->overflow)
        rc = fg_fail(err, -FG_ELIMIT, "more than %d FX currencies, or a total past int64",
                     FG_FX_POSITION_CURRENCIES_MAX);
    return rc;
}

int fx_positions(struct store *s, int64_t now_ms, const char *reporting, fx_position_fn fn,
                 void *ctx, int64_t *total, struct fg_err *err)
{
    struct currency rep;
    *total = 0;
    int rc = currency_get(s, reporting, &rep, err);
    if (rc < 0)
        return rc;
    struct pos_table *t = calloc(1, sizeof(*t));
    if (!t)
        return fg_fail(err, -FG_ENOMEM, "out of memory for positions");
    rc = pos_load(s, t, err);
    for (int i = 0; rc == 0 && i < t->n; i++) {
        struct fx_position *p = &t->p[i];
        if (!money_add(p->settled, p->incoming, &p->net) ||
            !money_sub(p->net, p->outgoing, &p->net))
            rc = fg_fail(err, -FG_EOVERFLOW, "the %s position overflows", p->currency);
        if (rc == 0)
            rc = pos_value(s, now_ms, &rep, p, err);
        if (rc == 0 && p->valued && !money_add(*total, p->value, total))
            rc = fg_fail(err, -FG_EOVERFLOW, "the total position overflows");
        if (rc == 0)
            rc = fn(ctx, p);
    }
    free(t);
    return rc;
}

/* --- reconciliation ------------------------------------------------------------ */

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

/* One leg as the join gives it (columns from `col` on). */
struct leg {
    int64_t id, debit, credit, amount, flags, pending_id;
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
};

static void leg_read(struct store_row *row, int col, struct leg *l)
{
    memset(l, 0, sizeof(*l));
    if (store_row_is_null(row, col))
        return;
    l->id = store_row_int(row, col);
    l->debit = store_row_int(row, col + 1);
    l->credit = store_row_int(row, col + 2);
    l->amount = store_row_int(row, col + 3);
    l->flags = store_row_int(row, col + 4);
    l->pending_id = store_row_int(row, col + 5);
    store_row_text_copy(row, col + 6, l->currency, sizeof(l->currency));
}

static bool leg_is(const struct leg *l, int64_t debit, int64_t credit, int64_t amount,
                   const char *ccy, int flags)
{
    return l->id != 0 && l->debit == debit && l->credit == credit && l->amount == amount &&
           strcmp(l->currency, ccy) == 0 && (l->flags & ~LEDGER_LINKED) == flags;
}

struct recon {
    struct ledger_report *r;
    int64_t checked;
};

/* Invariant 3. */
static void check_price_law(struct recon *c, const struct fx_exchange *x)
{
    int64_t sold = 0, bought = 0;
    bool direct = strcmp(x->pair_base, x->sell) == 0;
    int rc = amounts_from_price(x->fixed, direct, x->price, x->sell_digits, x->buy_digits,
                                x->fixed == FX_FIXED_SELL ? x->sold : x->bought, &sold, &bought);
    if (rc < 0 || sold != x->sold || bought != x->bought || x->sold <= 0 || x->bought <= 0 ||
        (strcmp(x->pair_base, x->sell) != 0 && strcmp(x->pair_base, x->buy) != 0))
        violation(c->r, "fx exchange %s: %lld %s for %lld %s breaks its price", x->id,
                  (long long)x->sold, x->sell, (long long)x->bought, x->buy);
}

/* Invariant 4: legs[0] sell (plain or pending), [1] post or void, [2] buy. */
static void check_legs(struct recon *c, const struct fx_exchange *x, const struct leg legs[3],
                       int64_t hold_state, const int64_t house[2])
{
    bool ok = true;
    bool plain = !x->funded || x->tenor == FX_TENOR_TOD;
    bool moved = x->state == FX_SETTLED;
    if (plain && moved)
        ok = leg_is(&legs[0], x->sell_account, house[0], x->sold, x->sell, 0) && legs[1].id == 0;
    else if (plain)
        ok = legs[0].id == 0 && legs[1].id == 0 && legs[2].id == 0;
    else
        ok = leg_is(&legs[0], x->sell_account, house[0], x->sold, x->sell, LEDGER_PENDING) &&
             hold_state == (x->state == FX_PENDING   ? LEDGER_HOLD_PENDING
                            : x->state == FX_SETTLED ? LEDGER_HOLD_POSTED
                                                     : LEDGER_HOLD_VOIDED) &&
             (x->state == FX_PENDING ? legs[1].id == 0
                                     : legs[1].pending_id == legs[0].id &&
                                           legs[1].flags & (moved ? LEDGER_POST : LEDGER_VOID));
    if (moved)
        ok = ok && leg_is(&legs[2], house[1], x->buy_account, x->bought, x->buy, 0);
    else
        ok = ok && legs[2].id == 0;
    if (!ok)
        violation(c->r, "fx exchange %s (%s, %s): its ledger legs do not match it", x->id,
                  fx_tenor_names[x->tenor], fx_state_names[x->state]);
}

#define RECON_LEG_COLUMNS(t)                                                                       \
    t ".id, " t ".debit_id, " t ".credit_id, " t ".amount, " t ".flags, " t ".pending_id, " t      \
      ".currency"

static int recon_row(void *ctx, struct store_row *row)
{
    struct recon *c = ctx;
    struct fx_exchange x;
    memset(&x, 0, sizeof(x));
    if (exchange_row(&x, row) < 0) {
        violation(c->r, "an fx_exchanges row holds values no exchange has");
        return 0;
    }
    x.sell_digits = (int)store_row_int(row, 32);
    x.buy_digits = (int)store_row_int(row, 33);
    int64_t house[2] = {store_row_int(row, 34), store_row_int(row, 35)};
    struct leg legs[3];
    for (int i = 0; i < 3; i++)
        leg_read(row, 36 + 7 * i, &legs[i]);
    int64_t hold = store_row_is_null(row, 57) ? -1 : store_row_int(row, 57);
    c->checked++;
    check_price_law(c, &x);
    check_legs(c, &x, legs, hold, house);
    return 0;
}

int fx_reconcile(struct store *s, struct ledger_report *r, int64_t *checked, struct fg_err *err)
{
    struct recon c = {.r = r};
    int rc = store_exec(
        s,
        "SELECT " EXCHANGE_COLUMNS_P(
            "x.") ", cs.digits, cb.digits, COALESCE(hs.id, 0), "
                  "COALESCE(hb.id, 0), " RECON_LEG_COLUMNS("t1") ", " RECON_LEG_COLUMNS(
                      "t2") ", " RECON_LEG_COLUMNS("t3") ", h.state FROM fx_exchanges x "
                                                         "JOIN currencies cs ON cs.code = x.sell "
                                                         "JOIN currencies cb ON cb.code = x.buy "
                                                         "LEFT JOIN accounts hs ON hs.owner = "
                                                         "'house' AND hs.type = 'fx' AND "
                                                         "hs.currency = x.sell "
                                                         "LEFT JOIN accounts hb ON hb.owner = "
                                                         "'house' AND hb.type = 'fx' AND "
                                                         "hb.currency = x.buy "
                                                         "LEFT JOIN transfers t1 ON t1.id = "
                                                         "x.sell_leg LEFT JOIN transfers t2 ON "
                                                         "t2.id = x.post_leg "
                                                         "LEFT JOIN transfers t3 ON t3.id = "
                                                         "x.buy_leg LEFT JOIN holds h ON "
                                                         "h.pending_id = x.sell_leg "
                                                         "ORDER BY x.created_ms, x.id",
        STORE_NOARGS, recon_row, &c, err);
    *checked = c.checked;
    return rc;
}
