/*
 * fx_admin.c - the FX core's entry in the family list (fx.h): its route
 * table and descriptor, and its reads (rates, positions, a page of
 * exchanges, one exchange).
 * Writes are in fx_rates.c and fx_settle.c.
 *
 * Reads run on the calling HTTP thread's read connection and change nothing;
 * refusals are the admin plane's.
 */
#include "families/fx/fx.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "api/admin_write.h"
#include "api/api.h"
#include "api/clients.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "families/fx/fx_int.h"
#include "services/directory.h"
#include "services/fx.h"
#include "services/withdraw_rules.h"
#include "store/store.h"

json_t *fx_rate_text(struct fxrate r)
{
    char buf[FXRATE_TEXT_BYTES_MAX];
    fxrate_format(r, buf, sizeof(buf));
    return json_string(buf);
}

json_t *fx_time_text(int64_t ms)
{
    char buf[32];
    wd_timestamp_format(ms, buf);
    return json_string(buf);
}

/* --- GET /admin/v1/rates -------------------------------------------------------- */

struct rate_list {
    json_t *arr;
    int64_t now_ms;
};

static int rate_list_one(void *ctx, const struct fx_rate_row *r)
{
    struct rate_list *l = ctx;
    char pair[2 * FG_CURRENCY_CODE_BYTES_MAX + 2];
    snprintf(pair, sizeof(pair), "%s/%s", r->base, r->quote);
    json_t *o = json_pack(
        "{s:s,s:o,s:o,s:o,s:I,s:s,s:o}", "pair", pair, "bid", fx_rate_text(r->bid), "ask",
        fx_rate_text(r->ask), "mid", fx_rate_text(fxrate_mid(r->bid, r->ask)), "max_age_s",
        (json_int_t)r->max_age_s, "source", r->source, "set_at", fx_time_text(r->set_ms));
    json_object_set_new(o, "age_s", json_integer((l->now_ms - r->set_ms) / 1000));
    json_object_set_new(o, "fresh", json_boolean(fx_rate_fresh(r, l->now_ms)));
    json_array_append_new(l->arr, o);
    return 0;
}

int fx_admin_rates_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    struct fg_err err = {0};
    struct store *s = api_reader(api, &err);
    struct rate_list l = {.arr = json_array(), .now_ms = fg_clock_now_ms()};
    int rc = s ? fx_rate_list(s, rate_list_one, &l, &err) : -FG_ESTORE;
    if (rc < 0) {
        json_decref(l.arr);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    api_respond_json(req, 200, json_pack("{s:o}", "rates", l.arr));
    return HTTP_DONE;
}

/* --- GET /admin/v1/fx/positions ---------------------------------------------------- */

struct pos_list {
    json_t *arr;
    int digits;
};

static int pos_one(void *ctx, const struct fx_position *p)
{
    struct pos_list *l = ctx;
    json_t *o = json_pack("{s:s,s:o,s:o,s:o,s:o}", "currency", p->currency, "settled",
                          jsonx_amount_new(p->settled, p->digits), "incoming",
                          jsonx_amount_new(p->incoming, p->digits), "outgoing",
                          jsonx_amount_new(p->outgoing, p->digits), "net",
                          jsonx_amount_new(p->net, p->digits));
    json_object_set_new(o, "mid", p->valued ? fx_rate_text(p->mid) : json_null());
    json_object_set_new(o, "value",
                        p->valued ? jsonx_amount_new(p->value, l->digits) : json_null());
    if (p->stale)
        json_object_set_new(o, "stale", json_true());
    json_array_append_new(l->arr, o);
    return 0;
}

/* The reporting currency (?currency=, USD when absent) and its digits. */
static int reporting_currency(struct http_req *req, struct store *s, struct currency *cur,
                              struct fg_err *err)
{
    const char *ccy = http_req_query(req, "currency");
    if (ccy && (strlen(ccy) > FG_CURRENCY_CODE_BYTES_MAX || !currency_code_valid(ccy)))
        return fg_fail(err, -FG_EBAD_FIELD, "query parameter 'currency' is not a currency code");
    return currency_get(s, ccy ? ccy : "USD", cur, err);
}

int fx_admin_positions_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    struct fg_err err = {0};
    struct currency cur = {.digits = 0};
    struct store *s = api_reader(api, &err);
    int rc = s ? reporting_currency(req, s, &cur, &err) : -FG_ESTORE;
    struct pos_list l = {.arr = json_array(), .digits = cur.digits};
    int64_t total = 0;
    if (rc == 0 && (rc = store_begin_read(s, &err)) == 0) {
        rc = fx_positions(s, fg_clock_now_ms(), cur.code, pos_one, &l, &total, &err);
        store_rollback(s);
    }
    if (rc < 0) {
        json_decref(l.arr);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    api_respond_json(req, 200,
                     json_pack("{s:s,s:o,s:o,s:o}", "currency", cur.code, "positions", l.arr,
                               "total_value", jsonx_amount_new(total, cur.digits), "as_of",
                               fx_time_text(fg_clock_now_ms())));
    return HTTP_DONE;
}

/* --- GET /admin/v1/fx/exchanges/{trade_id} ----------------------------------------- */

static json_t *exchange_json(const struct fx_exchange *x)
{
    char day[WD_DATE_BYTES], pair[2 * FG_CURRENCY_CODE_BYTES_MAX + 2];
    wd_date_format(x->value_day, day);
    snprintf(pair, sizeof(pair), "%s/%s", x->pair_base, x->pair_quote);
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:s,s:o,s:s,s:s,s:b,s:s}",
        "trade_id", x->id, "family", x->family, "client_key", x->client_key, "customer",
        x->customer, "account_type", x->account_type, "request_id", x->request_id, "order_id",
        x->order_id, "reference", x->reference, "quote_id", x->quote_id, "sell_currency", x->sell,
        "buy_currency", x->buy, "fixed_side", x->fixed == FX_FIXED_SELL ? "sell" : "buy",
        "sold_amount", jsonx_amount_new(x->sold, x->sell_digits), "bought_amount",
        jsonx_amount_new(x->bought, x->buy_digits), "rate", fx_rate_text(x->rate), "pair", pair,
        "price", fx_rate_text(x->price), "tenor", fx_tenor_names[x->tenor], "value_date", day,
        "funded", x->funded, "state", fx_state_names[x->state]);
    json_object_set_new(o, "legs",
                        json_pack("{s:I,s:I,s:I}", "sell", (json_int_t)x->sell_leg, "post_or_void",
                                  (json_int_t)x->post_leg, "buy", (json_int_t)x->buy_leg));
    json_object_set_new(o, "created_at", fx_time_text(x->created_ms));
    json_object_set_new(o, "settled_at",
                        x->state == FX_PENDING ? json_null() : fx_time_text(x->settled_ms));
    if (x->fail_reason[0])
        json_object_set_new(o, "fail_reason", json_string(x->fail_reason));
    return o;
}

int fx_admin_exchange_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    char id[FX_ID_BYTES];
    if (!api_param_copy(req, 0, "trade_id", FX_ID_BYTES - 1, id, sizeof(id)))
        return HTTP_DONE;
    struct fg_err err = {0};
    struct fx_exchange x;
    struct store *s = api_reader(api, &err);
    int rc = s ? fx_exchange_get(s, id, &x, &err) : -FG_ESTORE;
    if (rc < 0) {
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    api_respond_json(req, 200, exchange_json(&x));
    return HTTP_DONE;
}

/* --- GET /admin/v1/fx/exchanges?after=&limit=&state=&family= ---------------------- */

struct exchange_query {
    const char *after, *family; /* "" when absent */
    int state;                  /* -1 when absent */
    int64_t limit;
};

/* Strict: each parameter at most once and in range, never cut to fit. */
static int exchange_query_parse(struct api *api, struct http_req *req, struct exchange_query *q,
                                struct fg_err *err)
{
    const char *state = NULL;
    *q = (struct exchange_query){.after = "", .family = "", .state = -1};
    int rc = http_req_query_once(req, "after", &q->after, err);
    if (rc == 0 && q->after && strlen(q->after) >= FX_ID_BYTES)
        rc = fg_fail(err, -FG_EBAD_FIELD,
                     "query parameter 'after' is a trade id of at most %d bytes", FX_ID_BYTES - 1);
    if (rc == 0 && (rc = http_req_query_once(req, "family", &q->family, err)) == 0 && q->family &&
        !api_client_kind_find(api, q->family))
        rc = fg_fail(err, -FG_EBAD_FIELD, "query parameter 'family' is no family of this server");
    if (rc == 0)
        rc = http_req_query_once(req, "state", &state, err);
    for (int i = 0; rc == 0 && state && fx_state_names[i]; i++)
        q->state = strcmp(state, fx_state_names[i]) == 0 ? i : q->state;
    if (rc == 0 && state && q->state < 0)
        rc = fg_fail(err, -FG_EBAD_FIELD, "query parameter 'state': pending, settled or failed");
    if (rc == 0)
        rc = http_req_query_int64(req, "limit", FG_PAGE_LIMIT_DEFAULT, 1, FG_PAGE_LIMIT_MAX,
                                  &q->limit, err);
    q->after = q->after ? q->after : "";
    q->family = q->family ? q->family : "";
    return rc;
}

struct exchange_list {
    json_t *arr;
    char last[FX_ID_BYTES];
};

static int exchange_list_one(void *ctx, const struct fx_exchange *x)
{
    struct exchange_list *l = ctx;
    json_array_append_new(l->arr, exchange_json(x));
    memcpy(l->last, x->id, sizeof(l->last));
    return 0;
}

int fx_admin_exchanges_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    struct fg_err err = {0};
    struct exchange_query q;
    int rc = exchange_query_parse(api, req, &q, &err);
    struct store *s = rc == 0 ? api_reader(api, &err) : NULL;
    if (rc == 0 && !s)
        rc = -FG_ESTORE;
    struct exchange_list l = {.arr = json_array()};
    if (rc == 0)
        rc = fx_exchange_page(s, q.after, q.state, q.family, (int)q.limit, exchange_list_one, &l,
                              &err);
    if (rc < 0) {
        json_decref(l.arr);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    json_t *next = (int64_t)json_array_size(l.arr) == q.limit ? json_string(l.last) : json_null();
    api_respond_json(req, 200, json_pack("{s:o,s:o}", "exchanges", l.arr, "next_after", next));
    return HTTP_DONE;
}

/* --- the descriptor ---------------------------------------------------------------- */

static int rates_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &fx_rate_write);
}

static int rates_load_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &fx_rates_load_write);
}

static int settle_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &fx_settle_write);
}

static const struct http_route admin_routes[] = {
    {"POST", "/admin/v1/rates", rates_post, NULL, "admin_rates_post"},
    {"POST", "/admin/v1/rates/load", rates_load_post, NULL, "admin_rates_load_post"},
    {"GET", "/admin/v1/rates", fx_admin_rates_get, NULL, "admin_rates_get"},
    {"POST", "/admin/v1/fx/settle", settle_post, NULL, "admin_fx_settle_post"},
    {"GET", "/admin/v1/fx/positions", fx_admin_positions_get, NULL, "admin_fx_positions_get"},
    {"GET", "/admin/v1/fx/exchanges", fx_admin_exchanges_get, NULL, "admin_fx_exchanges_get"},
    {"GET", "/admin/v1/fx/exchanges/{}", fx_admin_exchange_get, NULL, "admin_fx_exchange_get"},
};

static const struct fg_error_space *const error_spaces[] = {&fx_error_space, NULL};
static const struct engine_job *const jobs[] = {&fx_settle_job, NULL};

static const struct api_bootstrap_section sections[] = {
    {"rates", "POST", "/admin/v1/rates", NULL},
    {"rates_csv", "POST", "/admin/v1/rates/load", "file"},
};

static const struct api_command commands[] = {
    {"rates", "load FILE [--data DIR | --db URI] [--source S]",
     "load FX rates from a CSV file: fundgate rates load FILE", fx_rates_main},
};

const struct api_family fx_family = {
    .name = "fx",
    .admin_routes = admin_routes,
    .admin_route_count = (int)(sizeof(admin_routes) / sizeof(admin_routes[0])),
    .error_spaces = error_spaces,
    .jobs = jobs,
    .bootstrap = sections,
    .bootstrap_count = (int)(sizeof(sections) / sizeof(sections[0])),
    .commands = commands,
    .command_count = (int)(sizeof(commands) / sizeof(commands[0])),
};
