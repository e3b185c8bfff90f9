/*
 * test_fx.c - the FX core (services/fx.h) on a real in-memory SQLite store:
 * one row per pair and the derived inverse, a rate's maximum age, the CSV
 * reader at its limits, the four price cases with markup rounded for the
 * house, SPOT value dates across weekends and holidays of both calendars,
 * TOD, SPOT, FORWARD, unfunded and REALTIME exchanges and their legs, every
 * refusal leaving nothing behind, the sweep (batch limit, the final-state
 * hook in the same savepoint, a hook that fails, a deal that cannot
 * settle), positions, and reconcile catching a tampered exchange.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ledger/ledger.h"
#include "services/directory.h"
#include "services/fx.h"
#include "services/withdraw.h"
#include "store/store.h"

#define DAY_MS 86400000LL

struct fx {
    struct store *s;
    int64_t t0; /* Monday 2026-01-05 08:00 UTC */
    int64_t cash_usd;
};

static int64_t at(int y, int m, int d, int hour)
{
    return (int64_t)wd_days_from_civil(y, m, d) * DAY_MS + (int64_t)hour * 3600000;
}

static int32_t day(const char *s)
{
    int32_t d = 0;
    assert_true(wd_date_parse(s, &d));
    return d;
}

static void open_account(struct fx *f, const char *owner, const char *ccy)
{
    struct ledger_account a;
    struct fg_err err;
    assert_int_equal(
        ledger_account_open(f->s, owner, "wallet", ccy, LEDGER_ACCT_CUSTOMER, 1, &a, &err), 0);
}

static void deposit(struct fx *f, const char *owner, const char *ccy, int64_t amount)
{
    struct ledger_account cash, to;
    struct fg_err err;
    assert_int_equal(ledger_account_find(f->s, LEDGER_HOUSE, "cash", ccy, &cash, &err), 0);
    assert_int_equal(ledger_account_find(f->s, owner, "wallet", ccy, &to, &err), 0);
    struct ledger_transfer t = {.debit_id = cash.id, .credit_id = to.id, .amount = amount};
    snprintf(t.currency, sizeof(t.currency), "%s", ccy);
    snprintf(t.kind, sizeof(t.kind), "deposit");
    assert_int_equal(ledger_transfer_create(f->s, 1, &t, &err), 0);
}

static void calendar(struct fx *f, const char *ccy, const char *const dates[], int n)
{
    int32_t days[8], through = 0;
    int count = 0;
    bool created;
    struct fg_err err;
    for (int i = 0; i < n; i++)
        days[i] = day(dates[i]);
    assert_int_equal(
        wd_holidays_add(f->s, ccy, days, n, day("2026-12-31"), 1, &created, &through, &count, &err),
        0);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct fg_err err;
    bool created;
    f->t0 = at(2026, 1, 5, 8);
    assert_int_equal(store_open(":memory:", true, &f->s, &err), 0);
    assert_int_equal(store_begin(f->s, &err), 0);
    static const struct currency ccys[] = {
        {"USD", 2, false}, {"EUR", 2, false}, {"JPY", 0, false}, {"GBP", 2, false}};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(currency_create(f->s, &ccys[i], 1, &created, &err), 0);
        assert_int_equal(ledger_house_open(f->s, ccys[i].code, 1, &err), 0);
    }
    for (int i = 1; i <= 2; i++) {
        struct customer cu = {.company_id = 7};
        snprintf(cu.uuid, sizeof(cu.uuid), "c%d", i);
        snprintf(cu.user_name, sizeof(cu.user_name), "user%d", i);
        snprintf(cu.name, sizeof(cu.name), "Customer %d", i);
        snprintf(cu.app_id, sizeof(cu.app_id), "app1");
        snprintf(cu.base_currency, sizeof(cu.base_currency), "USD");
        snprintf(cu.status, sizeof(cu.status), "active");
        assert_int_equal(customer_create(f->s, &cu, 1, &created, &err), 0);
    }
    open_account(f, "c1", "USD");
    open_account(f, "c1", "EUR");
    open_account(f, "c1", "JPY");
    open_account(f, "c2", "USD");
    open_account(f, "c2", "EUR");
    deposit(f, "c1", "USD", 1000000);
    deposit(f, "c2", "USD", 10000);
    calendar(f, "USD", (const char *const[]){"2026-01-19", "2026-07-03"}, 2);
    calendar(f, "EUR", (const char *const[]){"2026-04-03", "2026-04-06", "2026-12-25"}, 3);
    assert_int_equal(store_commit(f->s, &err), 0);
    assert_int_equal(store_begin(f->s, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_rollback(f->s);
    store_close(f->s);
    free(f);
    return 0;
}

static struct fxrate R(const char *s) {
    struct fxrate r;
    struct fg_err err;
    assert_int_equal(fxrate_parse(s, strlen(s), "rate", &r, &err), 0);
    return r;
}

static int
rate(struct fx *f, const char *base, const char *quote, const char *bid, const char *ask,
     int64_t max_age_s, int64_t set_ms, bool *created)
{
    struct fx_rate_row r = {.bid = R(bid), .ask = R(ask), .max_age_s = max_age_s, .set_ms = set_ms};
    struct fg_err err;
    bool c = false;
    snprintf(r.base, sizeof(r.base), "%s", base);
    snprintf(r.quote, sizeof(r.quote), "%s", quote);
    snprintf(r.source, sizeof(r.source), "test");
    int rc = fx_rate_put(f->s, &r, created ? created : &c, &err);
    return rc;
}

static int64_t available(struct fx *f, const char *owner, const char *type, const char *ccy)
{
    struct ledger_account a;
    struct fg_err err;
    assert_int_equal(ledger_account_find(f->s, owner, type, ccy, &a, &err), 0);
    return owner[0] == 'h' ? ledger_account_balance(&a) : ledger_account_available(&a);
}

static void assert_reconciled(struct fx *f, int64_t exchanges)
{
    struct ledger_report *r = calloc(1, sizeof(*r));
    struct fg_err err;
    int64_t checked = -1;
    assert_int_equal(ledger_sync(f->s, &err), 0);
    assert_int_equal(ledger_reconcile(f->s, r, &err), 0);
    assert_int_equal(fx_reconcile(f->s, r, &checked, &err), 0);
    for (int i = 0; i < r->violation_count && i < LEDGER_RECONCILE_VIOLATIONS_MAX; i++)
        fprintf(stderr, "violation: %s\n", r->violations[i]);
    assert_true(r->ok);
    assert_int_equal(checked, exchanges);
    free(r);
}

static struct fx_quote_req qreq(const char *client, const char *customer, const char *sell,
                                const char *buy, enum fx_side fixed, int64_t amount,
                                enum fx_tenor tenor)
{
    struct fx_quote_req q = {
        .fixed = fixed, .amount = amount, .tenor = tenor, .ttl_ms = 30000, .markup_bp = 0};
    snprintf(q.family, sizeof(q.family), "t");
    snprintf(q.client_key, sizeof(q.client_key), "%s", client);
    snprintf(q.customer, sizeof(q.customer), "%s", customer);
    snprintf(q.sell, sizeof(q.sell), "%s", sell);
    snprintf(q.buy, sizeof(q.buy), "%s", buy);
    return q;
}

static struct fx_exec_req ereq(const char *quote_id, const char *client, const char *customer,
                               const char *request_id, const char *order_id)
{
    struct fx_exec_req e = {.unfunded = false};
    snprintf(e.quote_id, sizeof(e.quote_id), "%s", quote_id);
    snprintf(e.family, sizeof(e.family), "t");
    snprintf(e.client_key, sizeof(e.client_key), "%s", client);
    snprintf(e.customer, sizeof(e.customer), "%s", customer);
    snprintf(e.account_type, sizeof(e.account_type), "wallet");
    snprintf(e.request_id, sizeof(e.request_id), "%s", request_id);
    snprintf(e.order_id, sizeof(e.order_id), "%s", order_id);
    return e;
}

/* Like the engine: each step in its own savepoint, rolled back if refused. */
static int exec(struct fx *f, int64_t now, const struct fx_exec_req *e, struct fx_exchange *x)
{
    struct fg_err err = {0};
    assert_int_equal(store_savepoint(f->s, "cmd", &err), 0);
    int rc = fx_exchange_execute(f->s, now, e, x, &err);
    if (rc < 0)
        store_rollback_to(f->s, "cmd", NULL);
    store_release(f->s, "cmd", NULL);
    return rc;
}

static void quote(struct fx *f, int64_t now, const struct fx_quote_req *q, struct fx_quote *out)
{
    struct fg_err err = {0};
    int rc = fx_quote_create(f->s, now, q, out, &err);
    if (rc < 0)
        fprintf(stderr, "quote: %s\n", err.msg);
    assert_int_equal(rc, 0);
}

static int settle(struct fx *f, int64_t now, struct fx_settle_report *r)
{
    struct fg_err err = {0};
    assert_int_equal(store_savepoint(f->s, "cmd", &err), 0);
    int rc = fx_settle_due(f->s, now, FG_FX_SETTLE_BATCH_MAX, r, &err);
    if (rc < 0)
        store_rollback_to(f->s, "cmd", NULL);
    store_release(f->s, "cmd", NULL);
    return rc;
}

/* --- rates --------------------------------------------------------------------- */

static int64_t rate_rows(struct fx *f)
{
    int64_t n = -1;
    struct fg_err err;
    assert_int_equal(store_query_int(f->s, "SELECT COUNT(*) FROM fx_rates", STORE_NOARGS, &n, &err),
                     0);
    return n;
}

static void test_rates_one_row_per_pair(void **state)
{
    struct fx *f = *state;
    struct fx_rate_row r;
    struct fg_err err;
    bool created = false, inverted = true;
    assert_int_equal(rate(f, "EUR", "USD", "1.0850", "1.0860", 0, f->t0, &created), 0);
    assert_true(created);
    assert_int_equal(rate(f, "EUR", "USD", "1.0851", "1.0861", 0, f->t0, &created), 0);
    assert_false(created);
    assert_int_equal(fx_rate_find(f->s, "USD", "EUR", &r, &inverted, &err), 0);
    assert_true(inverted);
    assert_string_equal(r.base, "EUR");
    assert_int_equal(fxrate_cmp(r.bid, R("1.0851")), 0);
    /* Setting the inverse replaces it: still one row (invariant 1). */
    assert_int_equal(rate(f, "USD", "EUR", "0.92", "0.93", 0, f->t0, &created), 0);
    assert_false(created);
    assert_int_equal(rate_rows(f), 1);
    assert_int_equal(fx_rate_find(f->s, "EUR", "USD", &r, &inverted, &err), 0);
    assert_true(inverted);
    assert_string_equal(r.base, "USD");
    /* Refusals change nothing. */
    assert_int_equal(rate(f, "USD", "GBP", "1.3", "1.2", 0, f->t0, NULL), -FG_EBAD_FIELD);
    assert_int_equal(rate(f, "USD", "XXX", "1.2", "1.3", 0, f->t0, NULL), -FG_EUNKNOWN_CURRENCY);
    assert_int_equal(rate(f, "USD", "USD", "1", "1", 0, f->t0, NULL), -FG_EFX_SAME_CURRENCY);
    assert_int_equal(rate(f, "USD", "GBP", "1", "1", FG_FX_RATE_MAX_AGE_S_MAX + 1, f->t0, NULL),
                     -FG_EBAD_FIELD);
    assert_int_equal(rate_rows(f), 1);
    assert_int_equal(fx_rate_find(f->s, "USD", "GBP", &r, &inverted, &err), -FG_EFX_NO_RATE);
    /* 18 significant digits kept exactly. */
    assert_int_equal(
        rate(f, "JPY", "USD", "0.006612345678901234", "0.006612345678901235", 0, f->t0, NULL), 0);
    assert_int_equal(fx_rate_find(f->s, "JPY", "USD", &r, &inverted, &err), 0);
    assert_int_equal(r.ask.units, 6612345678901235LL);
    assert_int_equal(r.ask.scale, 18);
}

static void test_rate_age(void **state)
{
    struct fx *f = *state;
    struct fx_rate_row r;
    struct fg_err err;
    bool inv;
    int64_t out = 0;
    struct fxrate mid;
    assert_int_equal(rate(f, "EUR", "USD", "1.08", "1.09", 60, f->t0, NULL), 0);
    assert_int_equal(fx_rate_find(f->s, "EUR", "USD", &r, &inv, &err), 0);
    assert_true(fx_rate_fresh(&r, f->t0 + 60000)); /* at the limit */
    assert_false(fx_rate_fresh(&r, f->t0 + 60001));
    assert_true(fx_rate_fresh(&r, f->t0 - 5000)); /* set in the future */
    assert_int_equal(fx_convert_mid(f->s, f->t0 + 60000, "USD", 2, "EUR", 2, 10850,
                                    MONEY_ROUND_DOWN, &out, &mid, &inv, &err),
                     0);
    assert_int_equal(out, 10000); /* 108.50 USD at the mid 1.085 is 100.00 EUR */
    assert_int_equal(fx_convert_mid(f->s, f->t0 + 60001, "USD", 2, "EUR", 2, 10850,
                                    MONEY_ROUND_DOWN, &out, &mid, &inv, &err),
                     -FG_EFX_RATE_STALE);
    /* Zero is no maximum. */
    assert_int_equal(rate(f, "EUR", "USD", "1.08", "1.09", 0, f->t0, NULL), 0);
    assert_int_equal(fx_convert_mid(f->s, f->t0 + 365 * DAY_MS, "USD", 2, "EUR", 2, 10850,
                                    MONEY_ROUND_DOWN, &out, &mid, &inv, &err),
                     0);
}

/* --- CSV -------------------------------------------------------------------------- */

static void test_csv(void **state)
{
    (void)state;
    struct fx_rate_row *rows = calloc(FG_FX_RATES_CSV_ROWS_MAX, sizeof(*rows));
    struct fg_err err;
    int n = 0;
    const char *ok = "pair,bid,ask,max_age_s,source\r\n"
                     "# a comment\n"
                     "\n"
                     "EUR/USD, 1.0850 , 1.0860,300,feed-a\r\n"
                     "GBP/USD,1.2650,1.2662\n"
                     "  \t \n"
                     "USD/JPY,151.2,151.35,0,\n";
    assert_int_equal(fx_rates_csv_parse(ok, strlen(ok), "csv", 42, rows, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0].base, "EUR");
    assert_int_equal(rows[0].max_age_s, 300);
    assert_string_equal(rows[0].source, "feed-a");
    assert_string_equal(rows[1].source, "csv");
    assert_int_equal(rows[1].set_ms, 42);
    assert_string_equal(rows[2].source, "csv");
    assert_int_equal(fxrate_cmp(rows[2].ask, R("151.35")), 0);
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"EUR/USD,1.09,1.08\n", "line 1: bid must not exceed ask"},
        {"EUR/USD,1.08\n", "line 1: want PAIR"},
        {"#x\nEURUSD,1.08,1.09\n", "line 2: the pair must be BASE/QUOTE"},
        {"EUR/EUR,1,1\n", "line 1: the pair must be two"},
        {"EUR/USD,1,2\nUSD/EUR,1,2\n", "line 2: the pair USD/EUR is given twice"},
        {"EUR/USD,1,2,-1\n", "line 1: max_age_s"},
        {"EUR/USD,1,2,31622401\n", "line 1: max_age_s"},
        {"EUR/USD,1,2,0,bad source\n", "line 1: source"},
        {"EUR/USD,\"1\",2\n", "line 1: quoted"},
        {"EUR/USD,1,2,0,a,b\n", "line 1: more than 5"},
        {"EUR/USD,1e3,2\n", "line 1: bid is not a decimal"},
        {"pair,bid,ask\nEUR/USD,0,1\n", "line 2: bid must be greater than zero"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = fx_rates_csv_parse(bad[i].text, strlen(bad[i].text), "csv", 1, rows, &n, &err);
        assert_int_equal(rc, -FG_EBAD_FIELD);
        if (!strstr(err.msg, bad[i].why))
            fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, bad[i].why);
    }
    /* Limits: FG_FX_RATES_CSV_ROWS_MAX rows pass, one more does not; a line
     * of FG_FX_RATES_CSV_LINE_BYTES_MAX bytes passes, one more does not. */
    size_t cap = (size_t)(FG_FX_RATES_CSV_ROWS_MAX + 1) * 32;
    char *big = malloc(cap), *p = big;
    for (int i = 0; i <= FG_FX_RATES_CSV_ROWS_MAX; i++)
        p += sprintf(p, "A%c%c%c/B%c%c%c,1,2\n", 'A' + i / 676, 'A' + i / 26 % 26, 'A' + i % 26,
                     'A' + i / 676, 'A' + i / 26 % 26, 'A' + i % 26);
    char *end_of_max = big;
    for (int i = 0; i < FG_FX_RATES_CSV_ROWS_MAX; i++)
        end_of_max = strchr(end_of_max, '\n') + 1;
    assert_int_equal(fx_rates_csv_parse(big, (size_t)(end_of_max - big), "csv", 1, rows, &n, &err),
                     0);
    assert_int_equal(n, FG_FX_RATES_CSV_ROWS_MAX);
    assert_int_equal(fx_rates_csv_parse(big, strlen(big), "csv", 1, rows, &n, &err),
                     -FG_ETOO_LARGE);
    char line[FG_FX_RATES_CSV_LINE_BYTES_MAX + 8];
    int head = snprintf(line, sizeof(line), "EUR/USD,1,2,0,");
    memset(line + head, 's', FG_FX_RATES_CSV_LINE_BYTES_MAX - (size_t)head);
    line[FG_FX_RATES_CSV_LINE_BYTES_MAX] = '\0';
    /* 256 bytes: the source is too long for 64, but the line itself passes the line check. */
    assert_int_equal(fx_rates_csv_parse(line, strlen(line), "csv", 1, rows, &n, &err),
                     -FG_EBAD_FIELD);
    assert_non_null(strstr(err.msg, "source longer"));
    strcat(line, "s");
    assert_int_equal(fx_rates_csv_parse(line, strlen(line), "csv", 1, rows, &n, &err),
                     -FG_EBAD_FIELD);
    assert_non_null(strstr(err.msg, "longer than 256 bytes"));
    free(big);
    free(rows);
}

/* --- prices ------------------------------------------------------------------------ */

static void price(struct fx *f, const char *sell, const char *buy, enum fx_side fixed,
                  int64_t amount, int64_t markup, int64_t want_sell, int64_t want_buy,
                  const char *want_rate)
{
    struct fx_quote_req q = qreq("m1", "c1", sell, buy, fixed, amount, FX_TENOR_TOD);
    struct fx_quote out;
    struct fg_err err = {0};
    char text[FXRATE_TEXT_BYTES_MAX];
    q.markup_bp = markup;
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), 0);
    fxrate_format(out.rate, text, sizeof(text));
    if (out.sell_amount != want_sell || out.buy_amount != want_buy || strcmp(text, want_rate))
        fail_msg("%s->%s %lld (markup %lld): sell %lld buy %lld rate %s; want %lld %lld %s", sell,
                 buy, (long long)amount, (long long)markup, (long long)out.sell_amount,
                 (long long)out.buy_amount, text, (long long)want_sell, (long long)want_buy,
                 want_rate);
}

static void test_quote_prices(void **state)
{
    struct fx *f = *state;
    assert_int_equal(rate(f, "EUR", "USD", "1.0850", "1.0860", 0, f->t0, NULL), 0);
    assert_int_equal(rate(f, "USD", "JPY", "151.20", "151.35", 0, f->t0, NULL), 0);
    /* Sells the base (EUR) at the bid; receives rounded down, pays rounded up. */
    price(f, "EUR", "USD", FX_FIXED_SELL, 100000, 0, 100000, 108500, "1.085");
    price(f, "EUR", "USD", FX_FIXED_BUY, 100000, 0, 92166, 100000, "1.085"); /* 921.658.. up */
    /* Buys the base (EUR) at the ask: the amounts come from the ask, not from
     * a rounded 1/ask: exactly 1000.00 EUR costs exactly 1086.00 USD. */
    price(f, "USD", "EUR", FX_FIXED_SELL, 100000, 0, 100000, 92081,
          "0.920810313075506445"); /* 920.8103.. down */
    price(f, "USD", "EUR", FX_FIXED_BUY, 100000, 0, 108600, 100000, "0.920810313075506445");
    /* 25 bp of markup moves each price for the house. */
    price(f, "EUR", "USD", FX_FIXED_SELL, 100000, 25, 100000, 108228, "1.0822875"); /* bid*0.9975 */
    price(f, "USD", "EUR", FX_FIXED_BUY, 100000, 25, 108872, 100000,
          "0.918514028005492713"); /* ask*1.0025 = 1.088715: 1088.715 -> 1088.72 */
    /* Digits differ: JPY has none. */
    price(f, "USD", "JPY", FX_FIXED_SELL, 1001, 0, 1001, 1513, "151.2"); /* 10.01*151.2=1513.5 */
    price(f, "JPY", "USD", FX_FIXED_SELL, 1000, 0, 1000, 660, "0.006607201850016518");
    price(f, "JPY", "USD", FX_FIXED_BUY, 1, 0, 2, 1, "0.006607201850016518"); /* 1.5135 up */
}

static void test_quote_refusals(void **state)
{
    struct fx *f = *state;
    struct fx_quote out;
    struct fg_err err;
    assert_int_equal(rate(f, "EUR", "USD", "1.0850", "1.0860", 60, f->t0, NULL), 0);
    struct fx_quote_req q = qreq("m1", "c1", "USD", "JPY", FX_FIXED_SELL, 100, FX_TENOR_TOD);
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), -FG_EFX_NO_RATE);
    q = qreq("m1", "c1", "USD", "XXX", FX_FIXED_SELL, 100, FX_TENOR_TOD);
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), -FG_EUNKNOWN_CURRENCY);
    q = qreq("m1", "c1", "USD", "USD", FX_FIXED_SELL, 100, FX_TENOR_TOD);
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), -FG_EFX_SAME_CURRENCY);
    q = qreq("m1", "c1", "USD", "EUR", FX_FIXED_SELL, 0, FX_TENOR_TOD);
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), -FG_EAMOUNT_ZERO);
    q = qreq("m1", "c1", "USD", "EUR", FX_FIXED_SELL, 1, FX_TENOR_TOD); /* 0.01 USD: 0.0092 EUR */
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), -FG_EBAD_AMOUNT);
    assert_non_null(strstr(err.msg, "too small"));
    q = qreq("m1", "c1", "EUR", "USD", FX_FIXED_SELL, INT64_MAX, FX_TENOR_TOD);
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), -FG_EBAD_AMOUNT);
    assert_non_null(strstr(err.msg, "too large"));
    q = qreq("m1", "c1", "EUR", "USD", FX_FIXED_SELL, 100, FX_TENOR_TOD);
    assert_int_equal(fx_quote_price(f->s, f->t0 + 61000, &q, &out, &err), -FG_EFX_RATE_STALE);
    q.markup_bp = FG_FX_MARKUP_BP_MAX + 1;
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), -FG_EBAD_FIELD);
    q.markup_bp = FG_FX_MARKUP_BP_MAX; /* at the limit: 10% */
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), 0);
    assert_int_equal(out.buy_amount, 97); /* 1.00 EUR * 1.085 * 0.9 = 0.9765 USD, down */
    q.ttl_ms = FG_FX_QUOTE_TTL_MS_MAX + 1;
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), -FG_EBAD_FIELD);
}

/* --- value dates ----------------------------------------------------------------------- */

static int32_t spot_day(struct fx *f, int64_t now, const char *sell, const char *buy, int *rc)
{
    struct fx_quote_req q = qreq("m1", "c1", sell, buy, FX_FIXED_SELL, 10000, FX_TENOR_SPOT);
    struct fx_quote out;
    struct fg_err err;
    *rc = fx_quote_price(f->s, now, &q, &out, &err);
    return out.value_day;
}

static void test_value_dates(void **state)
{
    struct fx *f = *state;
    int rc;
    assert_int_equal(rate(f, "EUR", "USD", "1.0850", "1.0860", 0, f->t0, NULL), 0);
    assert_int_equal(rate(f, "GBP", "USD", "1.26", "1.27", 0, f->t0, NULL), 0);
    /* Monday -> Wednesday. */
    assert_int_equal(spot_day(f, f->t0, "USD", "EUR", &rc), day("2026-01-07"));
    /* Thursday 15 Jan: Fri 16, (weekend), Mon 19 a USD holiday -> Tue 20. */
    assert_int_equal(spot_day(f, at(2026, 1, 15, 23), "USD", "EUR", &rc), day("2026-01-20"));
    /* Saturday 17 Jan: rolls to Tue 20 (Mon a holiday), then Wed 21, Thu 22. */
    assert_int_equal(spot_day(f, at(2026, 1, 17, 12), "EUR", "USD", &rc), day("2026-01-22"));
    /* Thursday 2 Apr: Fri 3 and Mon 6 are EUR holidays (either calendar counts). */
    assert_int_equal(spot_day(f, at(2026, 4, 2, 9), "USD", "EUR", &rc), day("2026-04-08"));
    /* GBP has no calendar; near the end of the known year there is no date. */
    spot_day(f, f->t0, "GBP", "USD", &rc);
    assert_int_equal(rc, -FG_EFX_VALUE_DATE);
    spot_day(f, at(2026, 12, 30, 9), "USD", "EUR", &rc);
    assert_int_equal(rc, -FG_EFX_VALUE_DATE);
    /* FORWARD: a business day of both, after today, within the limit. */
    struct fx_quote_req q = qreq("m1", "c1", "USD", "EUR", FX_FIXED_SELL, 10000, FX_TENOR_FORWARD);
    struct fx_quote out;
    struct fg_err err;
    q.value_day = day("2026-02-02");
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), 0);
    assert_int_equal(out.value_day, day("2026-02-02"));
    q.value_day = day("2026-04-06"); /* EUR holiday */
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), -FG_EFX_VALUE_DATE);
    q.value_day = day("2026-01-10"); /* Saturday */
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), -FG_EFX_VALUE_DATE);
    q.value_day = day("2026-01-05"); /* today */
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), -FG_EBAD_FIELD);
    q.value_day = day("2026-01-05") + FG_FX_FORWARD_DAYS_MAX + 1;
    assert_int_equal(fx_quote_price(f->s, f->t0, &q, &out, &err), -FG_EBAD_FIELD);
}

/* --- exchanges --------------------------------------------------------------------- */

static void test_execute_tod(void **state)
{
    struct fx *f = *state;
    struct fx_quote q;
    struct fx_exchange x, again;
    struct fg_err err;
    assert_int_equal(rate(f, "EUR", "USD", "1.0850", "1.0860", 0, f->t0, NULL), 0);
    struct fx_quote_req qr = qreq("m1", "c1", "USD", "EUR", FX_FIXED_SELL, 100000, FX_TENOR_TOD);
    quote(f, f->t0, &qr, &q);
    assert_false(q.used);
    struct fx_exec_req e = ereq(q.id, "m1", "c1", "r1", "o1");
    assert_int_equal(exec(f, f->t0 + 29999, &e, &x), 0); /* the last millisecond of the lock */
    assert_int_equal(x.state, FX_SETTLED);
    assert_int_equal(x.sold, 100000);
    assert_int_equal(x.bought, 92081);
    assert_true(x.sell_leg > 0 && x.buy_leg > 0 && x.post_leg == 0);
    assert_int_equal(available(f, "c1", "wallet", "USD"), 900000);
    assert_int_equal(available(f, "c1", "wallet", "EUR"), 92081);
    assert_int_equal(available(f, LEDGER_HOUSE, "fx", "USD"), 100000);
    assert_int_equal(available(f, LEDGER_HOUSE, "fx", "EUR"), -92081);
    assert_int_equal(fx_quote_get(f->s, q.id, &q, &err), 0);
    assert_true(q.used);
    /* Used once (invariant 2): another request with the same quote is refused. */
    e = ereq(q.id, "m1", "c1", "r2", "o2");
    assert_int_equal(exec(f, f->t0 + 1000, &e, &again), -FG_EFX_QUOTE_USED);
    /* Lookups: by id, request id, order id; another client's is unknown. */
    assert_int_equal(fx_exchange_find(f->s, "t", "m1", FX_BY_ID, x.id, &again, &err), 0);
    assert_int_equal(fx_exchange_find(f->s, "t", "m1", FX_BY_REQUEST_ID, "r1", &again, &err), 0);
    assert_int_equal(fx_exchange_find(f->s, "t", "m1", FX_BY_ORDER_ID, "o1", &again, &err), 0);
    assert_string_equal(again.id, x.id);
    assert_int_equal(again.bought, 92081);
    assert_int_equal(again.buy_digits, 2);
    assert_int_equal(fx_exchange_find(f->s, "t", "m2", FX_BY_ID, x.id, &again, &err),
                     -FG_EFX_EXCHANGE_UNKNOWN);
    assert_int_equal(fx_exchange_find(f->s, "t", "m1", FX_BY_ORDER_ID, "", &again, &err),
                     -FG_EFX_EXCHANGE_UNKNOWN);
    assert_reconciled(f, 1);
}

static void test_execute_refusals(void **state)
{
    struct fx *f = *state;
    struct fx_quote q;
    struct fx_exchange x;
    struct fx_exec_req e;
    struct fg_err err;
    assert_int_equal(rate(f, "EUR", "USD", "1.0850", "1.0860", 0, f->t0, NULL), 0);
    assert_int_equal(rate(f, "GBP", "USD", "1.26", "1.27", 0, f->t0, NULL), 0);
    struct fx_quote_req qr = qreq("m1", "c1", "USD", "EUR", FX_FIXED_SELL, 100000, FX_TENOR_TOD);
    quote(f, f->t0, &qr, &q);
    e = ereq(q.id, "m1", "c1", "r1", "");
    assert_int_equal(exec(f, f->t0 + 30000, &e, &x), -FG_EFX_QUOTE_EXPIRED); /* at 30 s */
    e = ereq("00000000-0000-4000-8000-000000000000", "m1", "c1", "r1", "");
    assert_int_equal(exec(f, f->t0, &e, &x), -FG_EFX_QUOTE_UNKNOWN);
    e = ereq(q.id, "m2", "c1", "r1", ""); /* another client */
    assert_int_equal(exec(f, f->t0, &e, &x), -FG_EFX_QUOTE_UNKNOWN);
    e = ereq(q.id, "m1", "c2", "r1", ""); /* another customer */
    assert_int_equal(exec(f, f->t0, &e, &x), -FG_EFX_QUOTE_UNKNOWN);
    /* Short balance: c2 has 100.00 USD; nothing moves and the quote stays usable. */
    qr = qreq("m1", "c2", "USD", "EUR", FX_FIXED_SELL, 10001, FX_TENOR_TOD);
    quote(f, f->t0, &qr, &q);
    e = ereq(q.id, "m1", "c2", "r1", "");
    assert_int_equal(exec(f, f->t0, &e, &x), -FG_EINSUFFICIENT_FUNDS);
    assert_int_equal(fx_quote_get(f->s, q.id, &q, &err), 0);
    assert_false(q.used);
    deposit(f, "c2", "USD", 1);
    assert_int_equal(exec(f, f->t0, &e, &x), 0);
    assert_int_equal(available(f, "c2", "wallet", "USD"), 0);
    /* No account in the bought currency (c1 has no GBP wallet): refused, nothing moved. */
    qr = qreq("m1", "c1", "USD", "GBP", FX_FIXED_SELL, 1000, FX_TENOR_TOD);
    quote(f, f->t0, &qr, &q);
    e = ereq(q.id, "m1", "c1", "r2", "");
    assert_int_equal(exec(f, f->t0, &e, &x), -FG_EUNKNOWN_ACCOUNT);
    assert_int_equal(available(f, "c1", "wallet", "USD"), 1000000);
    /* A used order id; a used request id (the table's constraint). */
    qr = qreq("m1", "c1", "USD", "EUR", FX_FIXED_SELL, 1000, FX_TENOR_TOD);
    quote(f, f->t0, &qr, &q);
    e = ereq(q.id, "m1", "c1", "r3", "o1");
    assert_int_equal(exec(f, f->t0, &e, &x), 0);
    quote(f, f->t0, &qr, &q);
    e = ereq(q.id, "m1", "c1", "r4", "o1");
    assert_int_equal(exec(f, f->t0, &e, &x), -FG_EFX_ORDER_EXISTS);
    e = ereq(q.id, "m1", "c1", "r3", "o9");
    assert_int_equal(exec(f, f->t0, &e, &x), -FG_ECONSTRAINT);
    /* A disabled customer and a closed account. */
    assert_int_equal(customer_set_status(f->s, "c1", "disabled", 2, &err), 0);
    e = ereq(q.id, "m1", "c1", "r5", "");
    assert_int_equal(exec(f, f->t0, &e, &x), -FG_ECUSTOMER_INACTIVE);
    assert_int_equal(customer_set_status(f->s, "c1", "active", 2, &err), 0);
    struct ledger_account eur;
    assert_int_equal(ledger_account_find(f->s, "c1", "wallet", "EUR", &eur, &err), 0);
    assert_int_equal(ledger_account_set_status(f->s, eur.id, "closed", &err), 0);
    assert_int_equal(exec(f, f->t0, &e, &x), -FG_EACCOUNT_INACTIVE);
    assert_int_equal(ledger_account_set_status(f->s, eur.id, "active", &err), 0);
    assert_int_equal(exec(f, f->t0, &e, &x), 0);
    assert_reconciled(f, 3);
}

/* A hook that counts final states and writes a row in the same savepoint;
 * it fails while hook_fail is set. */
static int hook_calls, hook_fail;
static enum fx_state hook_last;

static int hook(struct store *s, int64_t now_ms, const struct fx_exchange *x, struct fg_err *err)
{
    if (hook_fail)
        return fg_fail(err, -FG_EBAD_REQUEST, "the hook says no");
    hook_calls++;
    hook_last = x->state;
    return store_exec_changes(s,
                              "INSERT INTO audit (ts_ms, actor, action, target, trace) "
                              "VALUES (?, 'fx', 'final', ?, '')",
                              STORE_ARGS(SA_INT(now_ms), SA_TEXT(x->id)), NULL, err);
}

static int64_t audit_rows(struct fx *f)
{
    int64_t n = 0;
    struct fg_err err;
    assert_int_equal(store_query_int(f->s, "SELECT COUNT(*) FROM audit WHERE actor = 'fx'",
                                     STORE_NOARGS, &n, &err),
                     0);
    return n;
}

static void test_spot_and_sweep(void **state)
{
    struct fx *f = *state;
    struct fx_quote q;
    struct fx_exchange x;
    struct fx_settle_report r;
    struct fg_err err;
    assert_int_equal(fx_final_hook_set("t", hook), 0);
    hook_calls = hook_fail = 0;
    assert_int_equal(rate(f, "EUR", "USD", "1.0850", "1.0860", 0, f->t0, NULL), 0);
    /* Friday 16 Jan: T+2 is Wed 21 (Mon 19 is a USD holiday). */
    int64_t fri = at(2026, 1, 16, 10);
    struct fx_quote_req qr = qreq("m1", "c1", "USD", "EUR", FX_FIXED_BUY, 100000, FX_TENOR_SPOT);
    quote(f, fri, &qr, &q);
    assert_int_equal(q.value_day, day("2026-01-21"));
    struct fx_exec_req e = ereq(q.id, "m1", "c1", "r1", "");
    assert_int_equal(exec(f, fri, &e, &x), 0);
    assert_int_equal(x.state, FX_PENDING);
    assert_int_equal(x.sold, 108600);
    assert_int_equal(available(f, "c1", "wallet", "USD"), 1000000 - 108600); /* held */
    assert_int_equal(available(f, "c1", "wallet", "EUR"), 0);
    assert_reconciled(f, 1);
    /* Not due on Tuesday 20; due on Wednesday 21 at 00:00 UTC. */
    assert_int_equal(settle(f, at(2026, 1, 21, 0) - 1, &r), 0);
    assert_int_equal(r.settled + r.failed + r.deferred, 0);
    /* A failing hook leaves it pending, nothing moved. */
    hook_fail = 1;
    assert_int_equal(settle(f, at(2026, 1, 21, 0), &r), 0);
    assert_int_equal(r.deferred, 1);
    assert_int_equal(fx_exchange_get(f->s, x.id, &x, &err), 0);
    assert_int_equal(x.state, FX_PENDING);
    assert_int_equal(available(f, "c1", "wallet", "EUR"), 0);
    hook_fail = 0;
    assert_int_equal(settle(f, at(2026, 1, 21, 0), &r), 0);
    assert_int_equal(r.settled, 1);
    assert_int_equal(hook_calls, 1);
    assert_int_equal(hook_last, FX_SETTLED);
    assert_int_equal(audit_rows(f), 1); /* written in the same savepoint */
    assert_int_equal(fx_exchange_get(f->s, x.id, &x, &err), 0);
    assert_int_equal(x.state, FX_SETTLED);
    assert_true(x.post_leg > 0 && x.buy_leg > 0);
    assert_int_equal(available(f, "c1", "wallet", "USD"), 1000000 - 108600);
    assert_int_equal(available(f, "c1", "wallet", "EUR"), 100000);
    assert_int_equal(settle(f, at(2026, 1, 22, 0), &r), 0); /* nothing twice */
    assert_int_equal(r.settled, 0);
    assert_reconciled(f, 1);
    fx_final_hook_set("t", NULL);
}

static void test_settle_failures_and_unfunded(void **state)
{
    struct fx *f = *state;
    struct fx_quote q;
    struct fx_exchange a, b, c;
    struct fx_settle_report r;
    struct fg_err err;
    struct ledger_account eur;
    assert_int_equal(fx_final_hook_set("t", hook), 0);
    hook_calls = hook_fail = 0;
    assert_int_equal(rate(f, "EUR", "USD", "1.0850", "1.0860", 0, f->t0, NULL), 0);
    struct fx_quote_req qr = qreq("m1", "c2", "USD", "EUR", FX_FIXED_SELL, 5000, FX_TENOR_SPOT);
    struct fx_exec_req e;
    /* a: funded, c2's EUR account closed before its value date: fails, hold voided. */
    quote(f, f->t0, &qr, &q);
    e = ereq(q.id, "m1", "c2", "a", "");
    assert_int_equal(exec(f, f->t0, &e, &a), 0);
    assert_int_equal(available(f, "c2", "wallet", "USD"), 5000);
    /* b: unfunded, c2 has 50.00 USD left then: settles with plain legs. */
    quote(f, f->t0, &qr, &q);
    e = ereq(q.id, "m1", "c2", "b", "");
    e.unfunded = true;
    assert_int_equal(exec(f, f->t0, &e, &b), 0);
    assert_false(b.funded);
    assert_int_equal(b.sell_leg, 0);
    /* c: unfunded beyond the balance: fails, nothing moves. */
    qr.amount = 900000;
    quote(f, f->t0, &qr, &q);
    e = ereq(q.id, "m1", "c2", "c", "");
    e.unfunded = true;
    assert_int_equal(exec(f, f->t0, &e, &c), 0); /* booked without funds */
    assert_reconciled(f, 3);
    assert_int_equal(ledger_account_find(f->s, "c2", "wallet", "EUR", &eur, &err), 0);
    assert_int_equal(ledger_account_set_status(f->s, eur.id, "closed", &err), 0);
    assert_int_equal(settle(f, at(2026, 1, 7, 0), &r), 0);
    assert_int_equal(r.settled, 0); /* b needs the EUR account too */
    assert_int_equal(r.failed, 3);
    assert_int_equal(hook_calls, 3);
    assert_int_equal(hook_last, FX_FAILED);
    assert_int_equal(available(f, "c2", "wallet", "USD"), 10000); /* a's hold voided */
    assert_int_equal(fx_exchange_get(f->s, a.id, &a, &err), 0);
    assert_int_equal(a.state, FX_FAILED);
    assert_non_null(strstr(a.fail_reason, "closed"));
    assert_int_equal(ledger_account_set_status(f->s, eur.id, "active", &err), 0);
    assert_reconciled(f, 3);
    /* An unfunded deal that can settle does. */
    qr.amount = 5000;
    quote(f, f->t0, &qr, &q);
    e = ereq(q.id, "m1", "c2", "d", "");
    e.unfunded = true;
    assert_int_equal(exec(f, f->t0, &e, &b), 0);
    assert_int_equal(settle(f, at(2026, 1, 7, 0), &r), 0);
    assert_int_equal(r.settled, 1);
    assert_int_equal(available(f, "c2", "wallet", "USD"), 5000);
    assert_int_equal(available(f, "c2", "wallet", "EUR"), 4604); /* 50.00 / 1.086 */
    assert_reconciled(f, 4);
    fx_final_hook_set("t", NULL);
}

static void test_realtime_and_forward(void **state)
{
    struct fx *f = *state;
    struct fx_exchange x;
    struct fg_err err = {0};
    assert_int_equal(rate(f, "EUR", "USD", "1.0850", "1.0860", 0, f->t0, NULL), 0);
    struct fx_quote_req qr = qreq("m1", "", "USD", "EUR", FX_FIXED_SELL, 100000, FX_TENOR_TOD);
    qr.ttl_ms = 1;
    struct fx_exec_req e = ereq("", "m1", "c1", "rt1", "");
    assert_int_equal(fx_exchange_realtime(f->s, f->t0, &qr, &e, &x, &err), 0);
    assert_int_equal(x.state, FX_SETTLED);
    assert_int_equal(x.bought, 92081);
    /* A quote made for any customer of the client (WorldFirst's createQuote). */
    struct fx_quote q;
    qr = qreq("m1", "", "USD", "EUR", FX_FIXED_SELL, 1000, FX_TENOR_FORWARD);
    qr.value_day = day("2026-02-02");
    quote(f, f->t0, &qr, &q);
    e = ereq(q.id, "m1", "c2", "fw1", "");
    assert_int_equal(exec(f, f->t0, &e, &x), 0);
    assert_int_equal(x.state, FX_PENDING);
    assert_int_equal(x.value_day, day("2026-02-02"));
    struct fx_settle_report r;
    assert_int_equal(settle(f, at(2026, 2, 1, 23), &r), 0);
    assert_int_equal(r.settled, 0);
    assert_int_equal(settle(f, at(2026, 2, 2, 0), &r), 0);
    assert_int_equal(r.settled, 1);
    assert_reconciled(f, 2);
}

struct pos_seen {
    struct fx_position p[8];
    int n;
};

static int pos_collect(void *ctx, const struct fx_position *p)
{
    struct pos_seen *s = ctx;
    s->p[s->n++] = *p;
    return 0;
}

static const struct fx_position *pos_of(const struct pos_seen *s, const char *ccy)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->p[i].currency, ccy) == 0)
            return &s->p[i];
    fail_msg("no position for %s", ccy);
    return NULL;
}

static int pos_count_one(void *ctx, const struct fx_position *p)
{
    (void)p;
    ((int *)ctx)[0]++;
    return 0;
}

static void test_positions(void **state)
{
    struct fx *f = *state;
    struct fx_quote q;
    struct fx_exchange x;
    struct fg_err err;
    assert_int_equal(rate(f, "EUR", "USD", "1.0850", "1.0860", 0, f->t0, NULL), 0);
    struct fx_quote_req qr = qreq("m1", "c1", "USD", "EUR", FX_FIXED_SELL, 100000, FX_TENOR_TOD);
    quote(f, f->t0, &qr, &q);
    struct fx_exec_req e = ereq(q.id, "m1", "c1", "p1", "");
    assert_int_equal(exec(f, f->t0, &e, &x), 0); /* house: +1000.00 USD, -920.81 EUR */
    qr = qreq("m1", "c1", "USD", "EUR", FX_FIXED_BUY, 10000, FX_TENOR_SPOT);
    quote(f, f->t0, &qr, &q);
    e = ereq(q.id, "m1", "c1", "p2", "");
    assert_int_equal(exec(f, f->t0, &e, &x), 0); /* pending: +108.60 USD, -100.00 EUR */
    assert_int_equal(ledger_sync(f->s, &err), 0);
    struct pos_seen seen = {.n = 0};
    int64_t total = 0;
    assert_int_equal(fx_positions(f->s, f->t0, "USD", pos_collect, &seen, &total, &err), 0);
    const struct fx_position *usd = pos_of(&seen, "USD"), *eur = pos_of(&seen, "EUR");
    assert_int_equal(usd->settled, 100000);
    assert_int_equal(usd->incoming, 10860);
    assert_int_equal(usd->net, 110860);
    assert_int_equal(eur->settled, -92081);
    assert_int_equal(eur->outgoing, 10000);
    assert_int_equal(eur->net, -102081);
    assert_true(eur->valued && !eur->stale);
    assert_int_equal(eur->value, -110809); /* -1020.81 * 1.0855 = -1108.089... half-even */
    assert_false(pos_of(&seen, "GBP")->valued);
    assert_int_equal(total, 110860 - 110809);
    assert_int_equal(fx_positions(f->s, f->t0, "XXX", pos_collect, &seen, &total, &err),
                     -FG_EUNKNOWN_CURRENCY);
}

static void test_reconcile_catches_tampering(void **state)
{
    struct fx *f = *state;
    struct fx_quote q;
    struct fx_exchange x;
    struct fg_err err;
    assert_int_equal(rate(f, "EUR", "USD", "1.0850", "1.0860", 0, f->t0, NULL), 0);
    struct fx_quote_req qr = qreq("m1", "c1", "USD", "EUR", FX_FIXED_SELL, 100000, FX_TENOR_TOD);
    quote(f, f->t0, &qr, &q);
    struct fx_exec_req e = ereq(q.id, "m1", "c1", "z1", "");
    assert_int_equal(exec(f, f->t0, &e, &x), 0);
    assert_reconciled(f, 1);
    struct ledger_report *r = calloc(1, sizeof(*r));
    int64_t checked = 0;
    /* One more cent bought than the price gives. */
    assert_int_equal(store_exec_changes(f->s, "UPDATE fx_exchanges SET bought = bought + 1",
                                        STORE_NOARGS, NULL, &err),
                     0);
    r->ok = true;
    assert_int_equal(fx_reconcile(f->s, r, &checked, &err), 0);
    assert_false(r->ok);
    assert_non_null(strstr(r->violations[0], "breaks its price"));
    assert_non_null(strstr(r->violations[1], "legs do not match"));
    /* The right amounts, but a leg that names another transfer. */
    assert_int_equal(store_exec_changes(f->s,
                                        "UPDATE fx_exchanges SET bought = bought - 1, "
                                        "buy_leg = sell_leg",
                                        STORE_NOARGS, NULL, &err),
                     0);
    memset(r, 0, sizeof(*r));
    r->ok = true;
    assert_int_equal(fx_reconcile(f->s, r, &checked, &err), 0);
    assert_int_equal(r->violation_count, 1);
    assert_non_null(strstr(r->violations[0], "legs do not match"));
    free(r);
}

static void test_settle_batch_limit(void **state)
{
    struct fx *f = *state;
    struct fx_quote q;
    struct fx_exchange x;
    struct fx_settle_report r;
    assert_int_equal(rate(f, "EUR", "USD", "1.0850", "1.0860", 0, f->t0, NULL), 0);
    int n = FG_FX_SETTLE_BATCH_MAX + 3;
    for (int i = 0; i < n; i++) {
        char rid[16];
        snprintf(rid, sizeof(rid), "b%d", i);
        struct fx_quote_req qr = qreq("m1", "c1", "USD", "EUR", FX_FIXED_SELL, 100, FX_TENOR_SPOT);
        quote(f, f->t0, &qr, &q);
        struct fx_exec_req e = ereq(q.id, "m1", "c1", rid, "");
        assert_int_equal(exec(f, f->t0, &e, &x), 0);
    }
    assert_int_equal(settle(f, at(2026, 1, 7, 0), &r), 0);
    assert_int_equal(r.settled, FG_FX_SETTLE_BATCH_MAX);
    assert_int_equal(settle(f, at(2026, 1, 7, 0), &r), 0);
    assert_int_equal(r.settled, 3);
    assert_int_equal(available(f, "c1", "wallet", "EUR"), (int64_t)n * 92);
    assert_reconciled(f, n);
}

static void test_limits(void **state)
{
    struct fx *f = *state;
    struct fg_err err;
    bool created;
    /* FG_FX_FAMILIES_MAX families may register a settlement hook, no more
     * ("t" of the tests before may be one already); replacing is no new one. */
    char fam[16];
    int rc = 0, added = 0;
    for (int i = 0; i <= FG_FX_FAMILIES_MAX && rc == 0; i++) {
        snprintf(fam, sizeof(fam), "fam%d", i);
        if ((rc = fx_final_hook_set(fam, hook)) == 0)
            added++;
    }
    assert_int_equal(rc, -FG_ELIMIT);
    assert_true(added == FG_FX_FAMILIES_MAX || added == FG_FX_FAMILIES_MAX - 1);
    assert_int_equal(fx_final_hook_set("fam0", NULL), 0);
    /* A source of FG_FX_SOURCE_BYTES_MAX bytes passes, one more does not. */
    struct fx_rate_row r = {.bid = R("1"), .ask = R("2"), .set_ms = 1};
    snprintf(r.base, sizeof(r.base), "EUR");
    snprintf(r.quote, sizeof(r.quote), "GBP");
    memset(r.source, 's', FG_FX_SOURCE_BYTES_MAX);
    r.source[FG_FX_SOURCE_BYTES_MAX] = '\0';
    assert_int_equal(fx_rate_put(f->s, &r, &created, &err), 0);
    char line[160];
    snprintf(line, sizeof(line), "EUR/GBP,1,2,0,%s", r.source);
    struct fx_rate_row rows[2];
    int n = 0;
    assert_int_equal(fx_rates_csv_parse(line, strlen(line), "csv", 1, rows, &n, &err), 0);
    strcat(line, "s");
    assert_int_equal(fx_rates_csv_parse(line, strlen(line), "csv", 1, rows, &n, &err),
                     -FG_EBAD_FIELD);
    /* Positions: FG_FX_POSITION_CURRENCIES_MAX currencies with a house:fx account
     * are reported; one more is refused, never cut short. */
    for (int i = 4; i < FG_FX_POSITION_CURRENCIES_MAX; i++) {
        struct currency c = {.digits = 2};
        snprintf(c.code, sizeof(c.code), "X%03d", i);
        assert_int_equal(currency_create(f->s, &c, 1, &created, &err), 0);
        assert_int_equal(ledger_house_open(f->s, c.code, 1, &err), 0);
    }
    int64_t total = 0;
    struct pos_count {
        int n;
    } pc = {0};
    assert_int_equal(ledger_sync(f->s, &err), 0);
    assert_int_equal(fx_positions(f->s, f->t0, "USD", pos_count_one, &pc, &total, &err), 0);
    assert_int_equal(pc.n, FG_FX_POSITION_CURRENCIES_MAX);
    struct currency c = {.code = "XMORE", .digits = 2};
    assert_int_equal(currency_create(f->s, &c, 1, &created, &err), 0);
    assert_int_equal(ledger_house_open(f->s, c.code, 1, &err), 0);
    assert_int_equal(ledger_sync(f->s, &err), 0);
    assert_int_equal(fx_positions(f->s, f->t0, "USD", pos_count_one, &pc, &total, &err),
                     -FG_ELIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rates_one_row_per_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_age, setup, teardown),
        cmocka_unit_test(test_csv),
        cmocka_unit_test_setup_teardown(test_quote_prices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quote_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_execute_tod, setup, teardown),
        cmocka_unit_test_setup_teardown(test_execute_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spot_and_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settle_failures_and_unfunded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_realtime_and_forward, setup, teardown),
        cmocka_unit_test_setup_teardown(test_positions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_catches_tampering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_settle_batch_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
