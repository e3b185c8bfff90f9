/*
 * worldfirst_exchange.c - the WorldFirst family's work on the store: quotes
 * and exchanges on the writer (inside the command's savepoint), the inquiry
 * on a read connection, the final-state hook that queues notifyExchange in
 * the settlement's own transaction, and the JSON texts of all of them.
 *
 * Invariants:
 *  1. An exchange request id names one exchange of a client: the same
 *     request again answers the stored bytes; other content is
 *     PARAM_ILLEGAL with nothing applied. Only accepted exchanges are
 *     recorded (a refused one may be sent again once its cause is fixed).
 *  2. An exchange's wf_exchanges row, its FX core row, its money and its
 *     idempotency record commit together, or none does.
 *  3. A deal (FORWARD, UNFUNDED_SPOT) is a quote of that trade type: its
 *     dealId is its quoteId; it is taken up once, before it expires.
 *  4. An APPOINTED exchange trades exactly what its quote says: every quote
 *     field, currency, value and value date it repeats must be the stored
 *     one, as fundgate wrote it.
 *  5. notifyExchange is queued in the transaction that moves the exchange
 *     to SETTLED or FAILED (the FX core's hook), under the id
 *     "wfn-<exchangeId>", to the client's notify_url of that moment; a
 *     client without one is not notified.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "families/worldfirst/worldfirst_int.h"
#include "ledger/idem.h"
#include "services/outbox.h"
#include "services/withdraw_rules.h"
#include "store/store.h"

#define WF_ANSWER_BYTES 8192 /* bounded: ids, amounts, times and 256 characters of memo */
#define WF_KEY_BYTES (WF_CLIENT_ID_BYTES + WF_REQUEST_ID_BYTES + 24)

/* The rest of an exchange (wf_exchanges). */
struct wf_row {
    char customer_id[WF_CUSTOMER_ID_BYTES];
    enum wf_mode mode;
    enum wf_trade trade;
    char deal_id[WF_QUOTE_ID_BYTES];
    char reference[WF_REFERENCE_BYTES], memo[WF_MEMO_BYTES];
    bool found;
};

/* --- texts ------------------------------------------------------------------------ */

struct quote_texts {
    char pair[2 * FG_CURRENCY_CODE_BYTES_MAX + 2], price[FXRATE_TEXT_BYTES_MAX];
    char start[WF_TIME_BYTES], expiry[WF_TIME_BYTES];
};

/* The pair in the market's direction and its exact price (markup included). */
static void quote_texts_of(const struct fx_quote *q, struct quote_texts *t)
{
    snprintf(t->pair, sizeof(t->pair), "%s/%s", q->pair_base, q->pair_quote);
    fxrate_format(q->price, t->price, sizeof(t->price));
    wf_time_format(q->created_ms, t->start);
    wf_time_format(q->expires_ms, t->expiry);
}

static void buf_quote(struct jsonx_buf *b, const struct fx_quote *q)
{
    struct quote_texts t;
    quote_texts_of(q, &t);
    jsonx_buf_lit(b, "\"quote\":{\"quoteId\":");
    jsonx_buf_str(b, q->id);
    jsonx_buf_lit(b, ",\"quoteCurrencyPair\":");
    jsonx_buf_str(b, t.pair);
    jsonx_buf_lit(b, ",\"quotePrice\":");
    jsonx_buf_str(b, t.price);
    jsonx_buf_lit(b, ",\"quoteStartTime\":");
    jsonx_buf_str(b, t.start);
    jsonx_buf_lit(b, ",\"quoteExpiryTime\":");
    jsonx_buf_str(b, t.expiry);
    jsonx_buf_lit(b, ",\"guaranteed\":true}");
}

static void buf_amounts(struct jsonx_buf *b, const char *sell, int64_t sold, const char *buy,
                        int64_t bought)
{
    struct wf_amount a = {.has_value = true, .value = sold};
    snprintf(a.currency, sizeof(a.currency), "%s", sell);
    wf_buf_amount(b, "sell", &a);
    jsonx_buf_lit(b, ",");
    a.value = bought;
    snprintf(a.currency, sizeof(a.currency), "%s", buy);
    wf_buf_amount(b, "buy", &a);
}

/* "<name>":{"dealId":"...","valueDate":"YYYY-MM-DD"} */
static void buf_deal(struct jsonx_buf *b, const char *name, const char *deal_id, int32_t day)
{
    char d[WD_DATE_BYTES];
    wd_date_format(day, d);
    jsonx_buf_lit(b, ",");
    jsonx_buf_str(b, name);
    jsonx_buf_lit(b, ":{\"dealId\":");
    jsonx_buf_str(b, deal_id);
    jsonx_buf_lit(b, ",\"valueDate\":");
    jsonx_buf_str(b, d);
    jsonx_buf_lit(b, "}");
}

static char *quote_answer(const struct fx_quote *q, enum wf_trade trade, size_t *len)
{
    char *mem = malloc(WF_ANSWER_BYTES);
    struct jsonx_buf b;
    if (!mem)
        return NULL;
    jsonx_buf_init(&b, mem, WF_ANSWER_BYTES);
    jsonx_buf_lit(&b, "{");
    wf_buf_result(&b, "result", WF_SUCCESS, NULL);
    jsonx_buf_lit(&b, ",");
    buf_quote(&b, q);
    jsonx_buf_lit(&b, ",");
    buf_amounts(&b, q->req.sell, q->sell_amount, q->req.buy, q->buy_amount);
    jsonx_buf_lit(&b, ",\"exchangeTradeType\":");
    jsonx_buf_str(&b, wf_trade_names[trade]);
    if (trade != WF_TRADE_SPOT)
        buf_deal(&b, "quoteUnfundedInfo", q->id, q->value_day);
    jsonx_buf_lit(&b, "}");
    FG_ASSERT(!b.failed); /* sized: every part is bounded */
    *len = b.len;
    return mem;
}

enum wf_shape { WF_SHAPE_CREATE, WF_SHAPE_INQUIRY, WF_SHAPE_NOTIFY };

static void buf_exchange_result(struct jsonx_buf *b, const struct fx_exchange *x)
{
    if (x->state == FX_SETTLED)
        wf_buf_result(b, "exchangeResult", WF_SUCCESS, NULL);
    else if (x->state == FX_PENDING)
        wf_buf_result(b, "exchangeResult", WF_PROCESSING, NULL);
    else
        wf_buf_result(b, "exchangeResult", WF_PROCESS_FAIL, x->fail_reason);
}

/* The exchange's fields, after what the shape puts first. */
static void buf_exchange_fields(struct jsonx_buf *b, const struct fx_exchange *x,
                                const struct wf_row *w, const struct fx_quote *q)
{
    char t[WF_TIME_BYTES];
    jsonx_buf_lit(b, ",\"exchangeId\":");
    jsonx_buf_str(b, x->id);
    jsonx_buf_lit(b, ",\"exchangeRequestId\":");
    jsonx_buf_str(b, x->request_id);
    jsonx_buf_lit(b, ",\"customerId\":");
    jsonx_buf_str(b, w->customer_id);
    jsonx_buf_lit(b, ",");
    buf_amounts(b, x->sell, x->sold, x->buy, x->bought);
    wf_time_format(x->created_ms, t);
    jsonx_buf_lit(b, ",\"exchangeCreateTime\":");
    jsonx_buf_str(b, t);
    if (x->state != FX_PENDING) {
        wf_time_format(x->settled_ms, t);
        jsonx_buf_lit(b, ",\"exchangeFinishTime\":");
        jsonx_buf_str(b, t);
    }
    jsonx_buf_lit(b, ",");
    buf_quote(b, q);
    jsonx_buf_lit(b, ",\"exchangeMode\":");
    jsonx_buf_str(b, wf_mode_names[w->mode]);
    jsonx_buf_lit(b, ",\"exchangeTradeType\":");
    jsonx_buf_str(b, wf_trade_names[w->trade]);
    if (w->trade != WF_TRADE_SPOT)
        buf_deal(b, w->trade == WF_TRADE_FORWARD ? "exchangeForwardInfo" : "exchangeUnfundedInfo",
                 w->deal_id, x->value_day);
    if (w->reference[0] || w->memo[0]) {
        jsonx_buf_lit(b, ",\"exchangeOrderAddition\":{\"referenceOrderId\":");
        wf_buf_text(b, w->reference);
        jsonx_buf_lit(b, ",\"exchangeMemo\":");
        wf_buf_text(b, w->memo);
        jsonx_buf_lit(b, "}");
    }
}

static char *exchange_answer(const struct fx_exchange *x, const struct wf_row *w,
                             const struct fx_quote *q, enum wf_shape shape, size_t *len)
{
    char *mem = malloc(WF_ANSWER_BYTES);
    struct jsonx_buf b;
    if (!mem)
        return NULL;
    jsonx_buf_init(&b, mem, WF_ANSWER_BYTES);
    jsonx_buf_lit(&b, "{");
    if (shape == WF_SHAPE_NOTIFY) {
        jsonx_buf_lit(&b, "\"notificationId\":\"wfn-");
        jsonx_buf_lit(&b, x->id);
        jsonx_buf_lit(&b, "\"");
    } else {
        bool final = shape == WF_SHAPE_INQUIRY || w->trade == WF_TRADE_SPOT;
        wf_buf_result(&b, "result", final ? WF_SUCCESS : WF_PROCESSING, NULL);
    }
    jsonx_buf_lit(&b, ",");
    buf_exchange_result(&b, x);
    buf_exchange_fields(&b, x, w, q);
    jsonx_buf_lit(&b, "}");
    FG_ASSERT(!b.failed); /* sized: every part is bounded */
    *len = b.len;
    return mem;
}

/* --- wf_exchanges ---------------------------------------------------------------- */

static int row_insert(struct store *s, const struct wf_cmd *c, const struct fx_exchange *x,
                      const char *deal_id, int64_t now_ms, struct fg_err *err)
{
    return store_exec_changes(
        s,
        "INSERT INTO wf_exchanges (client_id, request_id, exchange_id, customer_id, mode, "
        "trade_type, deal_id, reference_order_id, memo, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        STORE_ARGS(SA_TEXT(c->client.client_id), SA_TEXT(c->request_id), SA_TEXT(x->id),
                   SA_TEXT(c->customer_id), SA_INT(c->mode), SA_INT(c->trade), SA_TEXT(deal_id),
                   SA_TEXT(c->reference), SA_TEXT(c->memo), SA_INT(now_ms)),
        NULL, err);
}

static int row_read(void *ctx, struct store_row *row)
{
    struct wf_row *w = ctx;
    int64_t mode = store_row_int(row, 1), trade = store_row_int(row, 2);
    if (mode < WF_MODE_REALTIME || mode > WF_MODE_APPOINTED || trade < WF_TRADE_SPOT ||
        trade > WF_TRADE_UNFUNDED_SPOT)
        return -FG_EINTERNAL; /* no insert writes such a row */
    store_row_text_copy(row, 0, w->customer_id, sizeof(w->customer_id));
    w->mode = (enum wf_mode)mode;
    w->trade = (enum wf_trade)trade;
    store_row_text_copy(row, 3, w->deal_id, sizeof(w->deal_id));
    store_row_text_copy(row, 4, w->reference, sizeof(w->reference));
    store_row_text_copy(row, 5, w->memo, sizeof(w->memo));
    w->found = true;
    return 1;
}

static int row_get(struct store *s, const char *exchange_id, struct wf_row *w, struct fg_err *err)
{
    memset(w, 0, sizeof(*w));
    int rc = store_exec(s,
                        "SELECT customer_id, mode, trade_type, deal_id, reference_order_id, memo "
                        "FROM wf_exchanges WHERE exchange_id = ?",
                        STORE_ARGS(SA_TEXT(exchange_id)), row_read, w, err);
    if (rc == 0 && !w->found)
        rc = fg_fail(err, -FG_EINTERNAL, "exchange %s has no worldfirst row", exchange_id);
    return rc;
}

/* --- createQuote ---------------------------------------------------------------------- */

static int refuse_cmd(struct wf_cmd *c, int rc, const struct fg_err *err)
{
    enum wf_code code = c->hint >= 0 ? (enum wf_code)c->hint : wf_code_of(rc);
    c->answer = wf_refusal_text(code, err && err->msg[0] ? err->msg : NULL, &c->answer_len);
    return rc < 0 ? rc : -FG_EINTERNAL;
}

static int hinted(struct wf_cmd *c, enum wf_code code, struct fg_err *err, const char *what,
                  const char *id)
{
    c->hint = (int)code;
    return fg_fail(err,
                   code == WF_FX_RELATED_ORDER_NOT_EXIST ? -FG_EWF_DEAL_UNKNOWN : -FG_EBAD_FIELD,
                   "%s '%.64s'", what, id);
}

static void quote_req_of(const struct wf_cmd *c, struct fx_quote_req *q)
{
    memset(q, 0, sizeof(*q));
    snprintf(q->family, sizeof(q->family), "%s", WF_FAMILY);
    snprintf(q->client_key, sizeof(q->client_key), "%s", c->client.client_id);
    snprintf(q->customer, sizeof(q->customer), "%s", c->uuid); /* "" for a quote */
    snprintf(q->sell, sizeof(q->sell), "%s", c->sell.currency);
    snprintf(q->buy, sizeof(q->buy), "%s", c->buy.currency);
    q->fixed = c->sell.has_value ? FX_FIXED_SELL : FX_FIXED_BUY;
    q->amount = c->sell.has_value ? c->sell.value : c->buy.value;
    q->tenor = wf_tenor_of(c->trade);
    q->value_day = c->has_value_day ? c->value_day : 0;
    q->markup_bp = c->client.markup_bp;
    q->ttl_ms = c->client.quote_ttl_s * 1000;
}

/* UNFUNDED_SPOT settles on the SPOT value date: a date given must be it. */
static int unfunded_date_check(const struct wf_cmd *c, int32_t day, struct fg_err *err)
{
    char want[WD_DATE_BYTES];
    wd_date_format(day, want);
    if (c->trade == WF_TRADE_UNFUNDED_SPOT && c->has_value_day && c->value_day != day)
        return fg_fail(err, -FG_EBAD_FIELD, "UNFUNDED_SPOT settles on the SPOT value date %s",
                       want);
    return 0;
}

int wf_quote_run(struct wf_cmd *c, struct store *s, int64_t now_ms)
{
    struct fg_err err = {0};
    struct fx_quote_req req;
    struct fx_quote q;
    quote_req_of(c, &req);
    int rc = fx_quote_create(s, now_ms, &req, &q, &err);
    if (rc == 0)
        rc = wf_values_check(q.req.sell, q.sell_amount, q.req.buy, q.buy_amount, &err);
    if (rc == 0)
        rc = unfunded_date_check(c, q.value_day, &err);
    if (rc == 0 && !(c->answer = quote_answer(&q, c->trade, &c->answer_len)))
        rc = fg_fail(&err, -FG_ENOMEM, "out of memory");
    return rc < 0 ? refuse_cmd(c, rc, &err) : 0;
}

/* --- createExchange ------------------------------------------------------------------- */

static void idem_key(const struct wf_cmd *c, char key[WF_KEY_BYTES])
{
    snprintf(key, WF_KEY_BYTES, "%zu:%s:%s", strlen(c->client.client_id), c->client.client_id,
             c->request_id);
}

/* 1 when the request id has a record: c->answer is its stored answer, or a
 * conflict (invariant 1); *rc what run() returns. */
static int replayed(struct wf_cmd *c, struct store *s, const char *key, int *rc)
{
    struct fg_err err = {0};
    struct idem_rec rec;
    *rc = idem_get(s, WF_SCOPE, key, &rec, &err);
    if (*rc < 0) {
        *rc = refuse_cmd(c, *rc, &err);
        return 1;
    }
    if (!rec.found)
        return 0;
    if (idem_same_hash(&rec, c->hash)) {
        c->answer = rec.response;
        c->answer_len = rec.response_len;
        rec.response = NULL; /* taken over */
        *rc = 0;
    } else {
        fg_fail(&err, -FG_EIDEMPOTENCY_CONFLICT,
                "exchangeRequestId '%.64s' was used for another exchange; nothing was applied",
                c->request_id);
        *rc = refuse_cmd(c, err.code, &err);
    }
    idem_rec_release(&rec);
    return 1;
}

/* Invariant 4: the request repeats its quote exactly. */
static int quote_matches(struct wf_cmd *c, const struct fx_quote *q, struct fg_err *err)
{
    struct quote_texts t;
    const struct wf_quote_given *g = &c->quote;
    quote_texts_of(q, &t);
    const char *given[] = {g->pair, g->price, g->start, g->expiry};
    const char *have[] = {t.pair, t.price, t.start, t.expiry};
    static const char *const names[] = {"quoteCurrencyPair", "quotePrice", "quoteStartTime",
                                        "quoteExpiryTime"};
    for (int i = 0; c->has_quote && i < 4; i++)
        if (given[i][0] && strcmp(given[i], have[i]) != 0)
            return fg_fail(err, -FG_EBAD_FIELD, "quote.%s '%.40s' is not the quote's ('%s')",
                           names[i], given[i], have[i]);
    if (c->has_quote && g->guaranteed == 0)
        return fg_fail(err, -FG_EBAD_FIELD, "the quote is guaranteed: quote.guaranteed is true");
    const struct wf_amount *side[] = {&c->sell, &c->buy};
    const char *ccy[] = {q->req.sell, q->req.buy};
    int64_t value[] = {q->sell_amount, q->buy_amount};
    for (int i = 0; i < 2; i++)
        if (strcmp(side[i]->currency, ccy[i]) != 0 ||
            (side[i]->has_value && side[i]->value != value[i]))
            return fg_fail(err, -FG_EBAD_FIELD, "%s is not the quote's: %s %lld",
                           i ? "buy" : "sell", ccy[i], (long long)value[i]);
    if (c->has_value_day && c->value_day != q->value_day)
        return fg_fail(err, -FG_EBAD_FIELD, "valueDate is not the deal's");
    return 0;
}

/* The quote (SPOT) or deal an APPOINTED exchange takes up: the client's,
 * of its trade type (invariant 3). */
static int appointed_quote(struct wf_cmd *c, struct store *s, struct fx_quote *q,
                           struct fg_err *err)
{
    bool deal = c->trade != WF_TRADE_SPOT;
    const char *id = deal ? c->deal_id : c->quote.id;
    enum wf_code unknown = deal ? WF_FX_RELATED_ORDER_NOT_EXIST : WF_PARAM_ILLEGAL;
    if (strlen(id) >= FX_ID_BYTES) /* no id of ours is that long */
        return hinted(c, unknown, err, deal ? "no deal" : "no quote", id);
    int rc = fx_quote_get(s, id, q, err);
    if (rc == -FG_EFX_QUOTE_UNKNOWN ||
        (rc == 0 && (strcmp(q->req.family, WF_FAMILY) != 0 ||
                     strcmp(q->req.client_key, c->client.client_id) != 0)))
        return hinted(c, unknown, err, deal ? "no deal" : "no quote", id);
    if (rc == 0 && q->req.tenor != wf_tenor_of(c->trade))
        return hinted(c, unknown, err, deal ? "no such deal: not a" : "not a SPOT quote:",
                      deal ? wf_trade_names[c->trade] : id);
    return rc;
}

static void exec_req_of(const struct wf_cmd *c, const char *quote_id, struct fx_exec_req *e)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->quote_id, sizeof(e->quote_id), "%s", quote_id);
    snprintf(e->family, sizeof(e->family), "%s", WF_FAMILY);
    snprintf(e->client_key, sizeof(e->client_key), "%s", c->client.client_id);
    snprintf(e->customer, sizeof(e->customer), "%s", c->uuid);
    snprintf(e->account_type, sizeof(e->account_type), "%s", c->client.account_type);
    snprintf(e->request_id, sizeof(e->request_id), "%s", c->request_id);
    snprintf(e->reference, sizeof(e->reference), "%s", c->reference);
    e->unfunded = c->trade == WF_TRADE_UNFUNDED_SPOT;
}

static int appointed(struct wf_cmd *c, struct store *s, int64_t now_ms, struct fx_exchange *x,
                     struct fx_quote *q, struct fg_err *err)
{
    struct fx_exec_req e;
    int rc = appointed_quote(c, s, q, err);
    if (rc == 0)
        rc = quote_matches(c, q, err);
    if (rc < 0)
        return rc;
    exec_req_of(c, q->id, &e);
    return fx_exchange_execute(s, now_ms, &e, x, err);
}

static int realtime(struct wf_cmd *c, struct store *s, int64_t now_ms, struct fx_exchange *x,
                    struct fx_quote *q, struct fg_err *err)
{
    struct fx_quote_req req;
    struct fx_exec_req e;
    quote_req_of(c, &req);
    exec_req_of(c, "", &e);
    int rc = fx_exchange_realtime(s, now_ms, &req, &e, x, err);
    if (rc == 0)
        rc = wf_values_check(x->sell, x->sold, x->buy, x->bought, err);
    if (rc == 0)
        rc = unfunded_date_check(c, x->value_day, err);
    return rc == 0 ? fx_quote_get(s, x->quote_id, q, err) : rc;
}

static int record(struct wf_cmd *c, struct store *s, int64_t now_ms, const char *key,
                  const struct fx_exchange *x, const struct fx_quote *q, struct fg_err *err)
{
    struct wf_row w = {.mode = c->mode, .trade = c->trade};
    snprintf(w.customer_id, sizeof(w.customer_id), "%s", c->customer_id);
    snprintf(w.deal_id, sizeof(w.deal_id), "%s", c->trade == WF_TRADE_SPOT ? "" : q->id);
    snprintf(w.reference, sizeof(w.reference), "%s", c->reference);
    snprintf(w.memo, sizeof(w.memo), "%s", c->memo);
    int rc = row_insert(s, c, x, w.deal_id, now_ms, err);
    if (rc == 0 && !(c->answer = exchange_answer(x, &w, q, WF_SHAPE_CREATE, &c->answer_len)))
        rc = fg_fail(err, -FG_ENOMEM, "out of memory");
    if (rc == 0)
        rc = idem_put(s, WF_SCOPE, key, c->hash, 0, 200, c->answer, c->answer_len, 0, now_ms, err);
    return rc;
}

int wf_exchange_run(struct wf_cmd *c, struct store *s, int64_t now_ms)
{
    char key[WF_KEY_BYTES];
    int rc = 0;
    idem_key(c, key);
    if (replayed(c, s, key, &rc))
        return rc;
    struct fg_err err = {0};
    struct fx_exchange x;
    struct fx_quote q;
    rc = c->mode == WF_MODE_APPOINTED ? appointed(c, s, now_ms, &x, &q, &err)
                                      : realtime(c, s, now_ms, &x, &q, &err);
    if (rc == 0)
        rc = record(c, s, now_ms, key, &x, &q, &err);
    if (rc < 0) {
        free(c->answer);
        c->answer = NULL;
        return refuse_cmd(c, rc, &err);
    }
    return 0;
}

/* --- inquiryExchange ------------------------------------------------------------------- */

int wf_inquiry(struct store *s, const char *client_id, const char *request_id,
               const char *customer_id, char **answer, size_t *len, struct fg_err *err)
{
    struct fx_exchange x;
    struct fx_quote q;
    struct wf_row w;
    int rc = fx_exchange_find(s, WF_FAMILY, client_id, FX_BY_REQUEST_ID, request_id, &x, err);
    if (rc == 0)
        rc = row_get(s, x.id, &w, err);
    if (rc == 0 && strcmp(w.customer_id, customer_id) != 0)
        rc = -FG_EFX_EXCHANGE_UNKNOWN; /* another customer's: as unknown */
    if (rc == -FG_EFX_EXCHANGE_UNKNOWN)
        return fg_fail(err, rc, "no exchange '%.64s' of customerId '%.64s'", request_id,
                       customer_id);
    if (rc == 0)
        rc = fx_quote_get(s, x.quote_id, &q, err);
    if (rc == 0 && !(*answer = exchange_answer(&x, &w, &q, WF_SHAPE_INQUIRY, len)))
        rc = fg_fail(err, -FG_ENOMEM, "out of memory");
    return rc;
}

/* --- notifyExchange (invariant 5) ---------------------------------------------------------- */

static struct api *running_api; /* atomic: set at start, NULL at stop */

void wf_api_set(struct api *api)
{
    __atomic_store_n(&running_api, api, __ATOMIC_RELEASE);
}

struct api *wf_api_running(void)
{
    return __atomic_load_n(&running_api, __ATOMIC_ACQUIRE);
}

int wf_final_hook(struct store *s, int64_t now_ms, const struct fx_exchange *x, struct fg_err *err)
{
    struct api *api = wf_api_running();
    struct wf_client cl;
    if (!api) /* not started or stopping: the sweep tries the exchange again later */
        return fg_fail(err, -FG_EBUSY, "worldfirst is not running: notification deferred");
    if (wf_client_load(api, x->client_key, &cl) < 0)
        return 0; /* the client is gone: nobody to tell */
    struct fx_quote q;
    struct wf_row w;
    char *body = NULL, id[OUTBOX_ID_BYTES];
    size_t len = 0;
    int rc = cl.notify_url[0] ? row_get(s, x->id, &w, err) : 0;
    if (rc == 0 && cl.notify_url[0])
        rc = fx_quote_get(s, x->quote_id, &q, err);
    if (rc == 0 && cl.notify_url[0] && !(body = exchange_answer(x, &w, &q, WF_SHAPE_NOTIFY, &len)))
        rc = fg_fail(err, -FG_ENOMEM, "out of memory");
    if (rc == 0 && body) {
        snprintf(id, sizeof(id), "wfn-%s", x->id);
        struct outbox_new n = {.notification_id = id,
                               .family = WF_FAMILY,
                               .client_key = x->client_key,
                               .kind = "notifyExchange",
                               .ref = x->id,
                               .url = cl.notify_url,
                               .body = body,
                               .body_len = len};
        rc = outbox_enqueue(s, now_ms, &n, err);
    }
    free(body);
    wf_client_release(&cl);
    return rc;
}
