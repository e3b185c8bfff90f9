/*
 * fx_admin.c - the FX core's admin routes, its settlement sweep, and the
 * `fundgate rates load` command; see fx_admin.h.
 *
 * POST /admin/v1/rates keeps the shape it had for the Funds family ({pair,
 * bid, ask}) and adds max_age_s and source; rates now have up to 18
 * significant digits. The answer gives bid, ask and mid as exact decimals.
 * A CSV load is all or nothing: parsed on the HTTP thread, applied in one
 * command, the first refused row refusing all.
 */
#include "families/fx_admin.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "app/app.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/log.h"
#include "services/directory.h"
#include "services/fx.h"
#include "store/store.h"

#define FX_ADMIN_AUTH(req)                                                                         \
    do {                                                                                           \
        if (!admin_request_allowed(req))                                                           \
            return HTTP_DONE;                                                                      \
    } while (0)
#define RATES_FILE_BYTES_MAX (FG_FX_RATES_CSV_ROWS_MAX * (FG_FX_RATES_CSV_LINE_BYTES_MAX + 2))
#define DEFAULT_SOURCE "admin"

static int refuse(struct http_req *req, int code, const struct fg_err *err)
{
    http_req_error(req, code, err->msg[0] ? err->msg : fg_strerror(code));
    return code;
}

static json_t *rate_text(struct fxrate r)
{
    char buf[FXRATE_TEXT_BYTES_MAX];
    fxrate_format(r, buf, sizeof(buf));
    return json_string(buf);
}

static json_t *time_text(int64_t ms)
{
    char buf[32];
    wd_timestamp_format(ms, buf);
    return json_string(buf);
}

static json_t *rate_json(const struct fx_rate_row *r)
{
    char pair[2 * FG_CURRENCY_CODE_BYTES_MAX + 2];
    snprintf(pair, sizeof(pair), "%s/%s", r->base, r->quote);
    return json_pack("{s:s,s:o,s:o,s:o,s:I,s:s,s:o}", "pair", pair, "bid", rate_text(r->bid), "ask",
                     rate_text(r->ask), "mid", rate_text(fxrate_mid(r->bid, r->ask)), "max_age_s",
                     (json_int_t)r->max_age_s, "source", r->source, "set_at", time_text(r->set_ms));
}

/* --- POST /admin/v1/rates ---------------------------------------------------- */

static int pair_parse(const char *pair, struct fx_rate_row *r, struct fg_err *err)
{
    const char *slash = strchr(pair, '/');
    size_t nb = slash ? (size_t)(slash - pair) : 0;
    if (!slash || nb == 0 || !slash[1] || nb > FG_CURRENCY_CODE_BYTES_MAX)
        return fg_fail(err, -FG_EBAD_FIELD, "field 'pair' must be BASE/QUOTE");
    if (strlen(slash + 1) > FG_CURRENCY_CODE_BYTES_MAX)
        return fg_fail(err, -FG_EBAD_FIELD, "field 'pair': a currency code is at most %d bytes",
                       FG_CURRENCY_CODE_BYTES_MAX);
    memcpy(r->base, pair, nb);
    r->base[nb] = '\0';
    snprintf(r->quote, sizeof(r->quote), "%s", slash + 1);
    if (!currency_code_valid(r->base) || !currency_code_valid(r->quote) ||
        strcmp(r->base, r->quote) == 0)
        return fg_fail(err, -FG_EBAD_FIELD, "field 'pair' must be two different currencies");
    return 0;
}

static int rate_field(json_t *body, const char *key, struct fxrate *out, struct fg_err *err)
{
    const char *v = NULL;
    struct fg_err inner;
    int rc = jsonx_str(body, key, true, 64, &v, err);
    if (rc == 0 && fxrate_parse(v, strlen(v), key, out, &inner) < 0)
        rc = fg_fail(err, -FG_EBAD_FIELD, "field '%s': %s", key, inner.msg);
    return rc;
}

static int source_field(json_t *body, char *out, size_t cap, struct fg_err *err)
{
    const char *v = NULL;
    int rc = jsonx_str(body, "source", false, FG_FX_SOURCE_BYTES_MAX, &v, err);
    if (rc == 0 && v && !fx_source_valid(v))
        rc = fg_fail(err, -FG_EBAD_FIELD, "field 'source' must be 1 to %d of A-Za-z0-9._:@/-",
                     FG_FX_SOURCE_BYTES_MAX);
    if (rc == 0)
        snprintf(out, cap, "%s", v ? v : DEFAULT_SOURCE);
    return rc;
}

static int rate_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct fx_rate_row *r = c->data;
    struct fg_err err = {0};
    bool created = false;
    char target[2 * FG_CURRENCY_CODE_BYTES_MAX + 2];
    snprintf(target, sizeof(target), "%s/%s", r->base, r->quote);
    r->set_ms = now_ms;
    int rc = fx_rate_put(s, r, &created, &err);
    if (rc == 0)
        rc = app_audit(s, c->req, target, now_ms, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    app_respond_json(c->req, created ? 201 : 200, rate_json(r));
    return 0;
}

static int rates_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"pair", "bid", "ask", "max_age_s", "source", NULL};
    (void)ctx;
    FX_ADMIN_AUTH(req);
    json_t *body;
    if (app_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    struct fg_err err = {0};
    struct app_cmd *c = app_cmd_new(req, rate_run, sizeof(struct fx_rate_row));
    struct fx_rate_row *r = c->data;
    const char *pair = NULL;
    int rc = jsonx_str(body, "pair", true, 2 * FG_CURRENCY_CODE_BYTES_MAX + 1, &pair, &err);
    if (rc == 0)
        rc = pair_parse(pair, r, &err);
    if (rc == 0)
        rc = rate_field(body, "bid", &r->bid, &err);
    if (rc == 0)
        rc = rate_field(body, "ask", &r->ask, &err);
    if (rc == 0 && fxrate_cmp(r->bid, r->ask) > 0)
        rc = fg_fail(&err, -FG_EBAD_FIELD, "bid must not exceed ask");
    if (rc == 0)
        rc = jsonx_int(body, "max_age_s", false, 0, FG_FX_RATE_MAX_AGE_S_MAX, &r->max_age_s, &err);
    if (rc == 0)
        rc = source_field(body, r->source, sizeof(r->source), &err);
    json_decref(body);
    if (rc < 0) {
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    return app_cmd_submit(c);
}

/* --- POST /admin/v1/rates/load ------------------------------------------------ */

struct load_cmd {
    struct fx_rate_row *rows;
    int n;
};

static void load_cmd_free(void *p)
{
    free(((struct load_cmd *)p)->rows);
}

/* Every row or none (the command's savepoint). *created counts new pairs. */
static int rates_apply(struct store *s, int64_t now_ms, struct fx_rate_row *rows, int n,
                       int *created, struct fg_err *err)
{
    *created = 0;
    for (int i = 0; i < n; i++) {
        bool fresh = false;
        rows[i].set_ms = now_ms;
        int rc = fx_rate_put(s, &rows[i], &fresh, err);
        if (rc < 0) {
            char inner[FG_ERR_MSG_MAX];
            snprintf(inner, sizeof(inner), "%s", err->msg);
            return fg_fail(err, rc, "rate %d (%s/%s): %.200s; nothing was loaded", i + 1,
                           rows[i].base, rows[i].quote, inner);
        }
        *created += fresh;
    }
    return 0;
}

static int load_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct load_cmd *l = c->data;
    struct fg_err err = {0};
    int created = 0;
    int rc = rates_apply(s, now_ms, l->rows, l->n, &created, &err);
    if (rc == 0)
        rc = app_audit(s, c->req, "csv", now_ms, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    app_respond_json(c->req, 200, json_pack("{s:i,s:i}", "loaded", l->n, "created", created));
    return 0;
}

/* The whole file, at most RATES_FILE_BYTES_MAX bytes; malloc'd, NUL-ended. */
static char *file_read(const char *path, size_t *len, struct fg_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fg_fail(err, -FG_EBAD_FIELD, "cannot open %.200s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(RATES_FILE_BYTES_MAX + 1);
    size_t n = buf ? fread(buf, 1, RATES_FILE_BYTES_MAX + 1, f) : 0;
    bool bad = !buf || ferror(f) || n > RATES_FILE_BYTES_MAX;
    fclose(f);
    if (bad) {
        fg_fail(err, buf ? -FG_ETOO_LARGE : -FG_ENOMEM, "%.200s: unreadable or over %d bytes", path,
                RATES_FILE_BYTES_MAX);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The CSV of the body: {"csv": text} or, from the bootstrap only, {"file": path}. */
static int load_text(struct http_req *req, json_t *body, char **text, size_t *len,
                     struct fg_err *err)
{
    json_t *csv = json_object_get(body, "csv"), *file = json_object_get(body, "file");
    if (!!csv == !!file)
        return fg_fail(err, -FG_EMISSING_FIELD, "give exactly one of 'csv' and 'file'");
    if (file && !req->internal)
        return fg_fail(err, -FG_EFORBIDDEN, "'file' is read only from a bootstrap file");
    const char *v = json_string_value(csv ? csv : file);
    if (!v || (file && json_string_length(file) > FG_FILE_PATH_BYTES_MAX))
        return fg_fail(err, -FG_EBAD_FIELD, "'%s' must be a string%s", csv ? "csv" : "file",
                       csv ? "" : " of at most 1000 bytes");
    if (csv) {
        *len = json_string_length(csv);
        *text = malloc(*len + 1);
        if (!*text)
            return fg_fail(err, -FG_ENOMEM, "out of memory");
        memcpy(*text, v, *len + 1);
        return 0;
    }
    *text = file_read(v, len, err);
    return *text ? 0 : err->code;
}

static int rates_load_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"csv", "file", "source", NULL};
    (void)ctx;
    FX_ADMIN_AUTH(req);
    json_t *body;
    if (app_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    struct fg_err err = {0};
    char source[FX_SOURCE_BYTES], *text = NULL;
    size_t len = 0;
    struct app_cmd *c = app_cmd_new(req, load_run, sizeof(struct load_cmd));
    struct load_cmd *l = c->data;
    c->data_free = load_cmd_free;
    int rc = source_field(body, source, sizeof(source), &err);
    if (rc == 0)
        rc = load_text(req, body, &text, &len, &err);
    json_decref(body);
    if (rc == 0 && !(l->rows = calloc(FG_FX_RATES_CSV_ROWS_MAX, sizeof(*l->rows))))
        rc = fg_fail(&err, -FG_ENOMEM, "out of memory");
    if (rc == 0)
        rc = fx_rates_csv_parse(text, len, source, fg_clock_now_ms(), l->rows, &l->n, &err);
    free(text);
    if (rc == 0 && l->n == 0)
        rc = fg_fail(&err, -FG_EMISSING_FIELD, "the CSV holds no rate");
    if (rc < 0) {
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    return app_cmd_submit(c);
}

/* --- GET /admin/v1/rates -------------------------------------------------------- */

struct rate_list {
    json_t *arr;
    int64_t now_ms;
};

static int rate_list_one(void *ctx, const struct fx_rate_row *r)
{
    struct rate_list *l = ctx;
    json_t *o = rate_json(r);
    json_object_set_new(o, "age_s", json_integer((l->now_ms - r->set_ms) / 1000));
    json_object_set_new(o, "fresh", json_boolean(fx_rate_fresh(r, l->now_ms)));
    json_array_append_new(l->arr, o);
    return 0;
}

static int rates_get(struct http_req *req, void *ctx)
{
    (void)ctx;
    FX_ADMIN_AUTH(req);
    struct fg_err err = {0};
    struct store *s = app_reader(&err);
    struct rate_list l = {.arr = json_array(), .now_ms = fg_clock_now_ms()};
    int rc = s ? fx_rate_list(s, rate_list_one, &l, &err) : -FG_ESTORE;
    if (rc < 0) {
        json_decref(l.arr);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    app_respond_json(req, 200, json_pack("{s:o}", "rates", l.arr));
    return HTTP_DONE;
}

/* --- POST /admin/v1/fx/settle ----------------------------------------------------- */

static int settle_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct fg_err err = {0};
    struct fx_settle_report r;
    int rc = fx_settle_due(s, now_ms, FG_FX_SETTLE_BATCH_MAX, &r, &err);
    if (rc == 0)
        rc = app_audit(s, c->req, "fx", now_ms, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    int done = r.settled + r.failed + r.deferred;
    app_respond_json(c->req, 200,
                     json_pack("{s:i,s:i,s:i,s:b,s:o}", "settled", r.settled, "failed", r.failed,
                               "deferred", r.deferred, "more", done == FG_FX_SETTLE_BATCH_MAX,
                               "as_of", time_text(now_ms)));
    return 0;
}

static int settle_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {NULL};
    (void)ctx;
    FX_ADMIN_AUTH(req);
    if (req->body_len > 0) { /* an empty body or {} */
        json_t *body;
        if (app_parse_body(req, keys, &body) < 0)
            return HTTP_DONE;
        json_decref(body);
    }
    return app_cmd_submit(app_cmd_new(req, settle_run, 0));
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
    json_object_set_new(o, "mid", p->valued ? rate_text(p->mid) : json_null());
    json_object_set_new(o, "value",
                        p->valued ? jsonx_amount_new(p->value, l->digits) : json_null());
    if (p->stale)
        json_object_set_new(o, "stale", json_true());
    json_array_append_new(l->arr, o);
    return 0;
}

static int positions_get(struct http_req *req, void *ctx)
{
    (void)ctx;
    FX_ADMIN_AUTH(req);
    struct fg_err err = {0};
    const char *ccy = http_req_query(req, "currency");
    char rep[FG_CURRENCY_CODE_BYTES_MAX + 1] = "USD";
    struct currency cur = {.digits = 0};
    struct store *s = app_reader(&err);
    int rc = s ? 0 : -FG_ESTORE;
    if (rc == 0 && ccy && (strlen(ccy) > FG_CURRENCY_CODE_BYTES_MAX || !currency_code_valid(ccy)))
        rc = fg_fail(&err, -FG_EBAD_FIELD, "query parameter 'currency' is not a currency code");
    if (rc == 0 && ccy)
        snprintf(rep, sizeof(rep), "%s", ccy);
    if (rc == 0)
        rc = currency_get(s, rep, &cur, &err);
    struct pos_list l = {.arr = json_array(), .digits = cur.digits};
    int64_t total = 0;
    if (rc == 0 && (rc = store_begin_read(s, &err)) == 0) {
        rc = fx_positions(s, fg_clock_now_ms(), rep, pos_one, &l, &total, &err);
        store_rollback(s);
    }
    if (rc < 0) {
        json_decref(l.arr);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    app_respond_json(req, 200,
                     json_pack("{s:s,s:o,s:o,s:o}", "currency", rep, "positions", l.arr,
                               "total_value", jsonx_amount_new(total, cur.digits), "as_of",
                               time_text(fg_clock_now_ms())));
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
        jsonx_amount_new(x->bought, x->buy_digits), "rate", rate_text(x->rate), "pair", pair,
        "price", rate_text(x->price), "tenor", fx_tenor_names[x->tenor], "value_date", day,
        "funded", x->funded, "state", fx_state_names[x->state]);
    json_object_set_new(o, "legs",
                        json_pack("{s:I,s:I,s:I}", "sell", (json_int_t)x->sell_leg, "post_or_void",
                                  (json_int_t)x->post_leg, "buy", (json_int_t)x->buy_leg));
    json_object_set_new(o, "created_at", time_text(x->created_ms));
    json_object_set_new(o, "settled_at",
                        x->state == FX_PENDING ? json_null() : time_text(x->settled_ms));
    if (x->fail_reason[0])
        json_object_set_new(o, "fail_reason", json_string(x->fail_reason));
    return o;
}

static int exchange_get(struct http_req *req, void *ctx)
{
    (void)ctx;
    FX_ADMIN_AUTH(req);
    char id[FX_ID_BYTES];
    if (!app_param_copy(req, 0, "trade_id", FX_ID_BYTES - 1, id, sizeof(id)))
        return HTTP_DONE;
    struct fg_err err = {0};
    struct fx_exchange x;
    struct store *s = app_reader(&err);
    int rc = s ? fx_exchange_get(s, id, &x, &err) : -FG_ESTORE;
    if (rc < 0) {
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    app_respond_json(req, 200, exchange_json(&x));
    return HTTP_DONE;
}

/* --- GET /admin/v1/fx/exchanges?after=&limit=&state=&family= ---------------------- */

struct exchange_query {
    const char *after, *family; /* "" when absent */
    int state;                  /* -1 when absent */
    int64_t limit;
};

/* Strict: each parameter at most once and in range, never cut to fit. */
static int exchange_query_parse(struct http_req *req, struct exchange_query *q, struct fg_err *err)
{
    const char *state = NULL;
    *q = (struct exchange_query){.after = "", .family = "", .state = -1};
    int rc = http_req_query_once(req, "after", &q->after, err);
    if (rc == 0 && q->after && strlen(q->after) >= FX_ID_BYTES)
        rc = fg_fail(err, -FG_EBAD_FIELD,
                     "query parameter 'after' is a trade id of at most %d bytes", FX_ID_BYTES - 1);
    if (rc == 0 && (rc = http_req_query_once(req, "family", &q->family, err)) == 0 && q->family &&
        !app_client_family_find(q->family))
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

static int exchanges_get(struct http_req *req, void *ctx)
{
    (void)ctx;
    FX_ADMIN_AUTH(req);
    struct fg_err err = {0};
    struct exchange_query q;
    int rc = exchange_query_parse(req, &q, &err);
    struct store *s = rc == 0 ? app_reader(&err) : NULL;
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
    app_respond_json(req, 200, json_pack("{s:o,s:o}", "exchanges", l.arr, "next_after", next));
    return HTTP_DONE;
}

static const struct http_route routes[] = {
    {"POST", "/admin/v1/rates", rates_post, NULL, "admin_rates_post"},
    {"POST", "/admin/v1/rates/load", rates_load_post, NULL, "admin_rates_load_post"},
    {"GET", "/admin/v1/rates", rates_get, NULL, "admin_rates_get"},
    {"POST", "/admin/v1/fx/settle", settle_post, NULL, "admin_fx_settle_post"},
    {"GET", "/admin/v1/fx/positions", positions_get, NULL, "admin_fx_positions_get"},
    {"GET", "/admin/v1/fx/exchanges", exchanges_get, NULL, "admin_fx_exchanges_get"},
    {"GET", "/admin/v1/fx/exchanges/{}", exchange_get, NULL, "admin_fx_exchange_get"},
};

const struct http_route *fx_admin_routes(int *count)
{
    *count = (int)(sizeof(routes) / sizeof(routes[0]));
    return routes;
}

/* --- the periodic sweep -------------------------------------------------------------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    bool running, stop;
    struct engine *engine;
} sweeper = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

struct sweep_cmd {
    struct engine_cmd ec;
    struct fx_settle_report report;
};

static int sweep_run(struct engine_cmd *ec, struct store *s, int64_t now_ms)
{
    struct sweep_cmd *c = (struct sweep_cmd *)ec;
    struct fg_err err = {0};
    int rc = fx_settle_due(s, now_ms, FG_FX_SETTLE_BATCH_MAX, &c->report, &err);
    if (rc < 0)
        fg_error(NULL, "fx settlement sweep failed: %s", err.msg);
    return rc;
}

/* Anything due? Asked on this thread's read connection, so an idle server
 * sends the writer nothing. */
static bool sweep_due(void)
{
    struct fg_err err = {0};
    struct store *s = app_reader(&err);
    int64_t one = 0;
    return s && store_query_int(s,
                                "SELECT 1 FROM fx_exchanges WHERE state = 0 AND value_day <= ? "
                                "LIMIT 1",
                                STORE_ARGS(SA_INT(fx_day_of(fg_clock_now_ms()))), &one, &err) == 0;
}

static void sweep_once(void)
{
    struct sweep_cmd c = {.ec = {.run = sweep_run}};
    if (!sweep_due())
        return;
    int rc = engine_run_sync(sweeper.engine, &c.ec);
    if (rc == 0 && (c.report.settled || c.report.failed || c.report.deferred))
        fg_info(NULL, "fx sweep: %d settled, %d failed, %d deferred", c.report.settled,
                c.report.failed, c.report.deferred);
}

static void *sweeper_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sweeper.mu);
    while (!sweeper.stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += FG_FX_SETTLE_INTERVAL_MS / 1000;
        until.tv_nsec += (long)(FG_FX_SETTLE_INTERVAL_MS % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&sweeper.cv, &sweeper.mu, &until);
        if (sweeper.stop)
            break;
        pthread_mutex_unlock(&sweeper.mu);
        sweep_once();
        pthread_mutex_lock(&sweeper.mu);
    }
    pthread_mutex_unlock(&sweeper.mu);
    return NULL;
}

int fx_sweeper_start(struct engine *e)
{
    pthread_mutex_lock(&sweeper.mu);
    int rc = 0;
    if (!sweeper.running) {
        sweeper.engine = e;
        sweeper.stop = false;
        rc = pthread_create(&sweeper.th, NULL, sweeper_main, NULL) == 0 ? 0 : -FG_EINTERNAL;
        sweeper.running = rc == 0;
    }
    pthread_mutex_unlock(&sweeper.mu);
    return rc;
}

void fx_sweeper_stop(void)
{
    pthread_mutex_lock(&sweeper.mu);
    bool running = sweeper.running;
    sweeper.stop = true;
    pthread_cond_signal(&sweeper.cv);
    pthread_mutex_unlock(&sweeper.mu);
    if (running)
        pthread_join(sweeper.th, NULL);
    pthread_mutex_lock(&sweeper.mu);
    sweeper.running = false;
    sweeper.engine = NULL;
    pthread_mutex_unlock(&sweeper.mu);
}

/* --- fundgate rates load FILE ----------------------------------------------------------- */

static void usage_rates(FILE *f)
{
    fprintf(f, "usage: fundgate rates load FILE [--data DIR | --db URI] [--source S]\n\n"
               "  FILE        CSV, one rate a line: PAIR,BID,ASK[,MAX_AGE_S[,SOURCE]]\n"
               "              (EUR/USD,1.0810,1.0830,300,feed); '#' comments, a header line\n"
               "  --data DIR  data directory (default ./fundgate-data)\n"
               "  --db URI    database (default DIR/fundgate.db)\n"
               "  --source S  source of the lines that name none (default csv)\n"
               "Every rate or none is stored, in one transaction; a running server sees\n"
               "them at once.\n");
}

/* Parse the file and store its rows in one transaction. */
static int rates_load_store(const char *uri, const char *file, const char *source)
{
    struct fg_err err = {0};
    size_t len = 0;
    int n = 0, created = 0;
    struct store *s = NULL;
    char *text = file_read(file, &len, &err);
    struct fx_rate_row *rows = text ? calloc(FG_FX_RATES_CSV_ROWS_MAX, sizeof(*rows)) : NULL;
    int64_t now = fg_clock_now_ms();
    int rc = !text ? err.code : !rows ? fg_fail(&err, -FG_ENOMEM, "out of memory") : 0;
    if (rc == 0 && (rc = fx_rates_csv_parse(text, len, source, now, rows, &n, &err)) == 0 && !n)
        rc = fg_fail(&err, -FG_EMISSING_FIELD, "the file holds no rate");
    if (rc == 0 && (rc = store_open(uri, false, &s, &err)) == 0 &&
        (rc = store_begin(s, &err)) == 0) {
        rc = rates_apply(s, now, rows, n, &created, &err);
        rc = rc == 0 ? store_commit(s, &err) : (store_rollback(s), rc);
    }
    if (s)
        store_close(s);
    free(text);
    free(rows);
    if (rc < 0) {
        fprintf(stderr, "fundgate rates load: %s: %s\n", file, err.msg);
        return 1;
    }
    printf("loaded %d rates (%d new pairs) into %s\n", n, created, uri);
    return 0;
}

int fx_rates_load_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"db", required_argument, NULL, 'D'},
        {"source", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *data = "./fundgate-data", *db = NULL, *source = "csv";
    if (argc < 2 || strcmp(argv[1], "load") != 0) {
        usage_rates(argc > 1 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    argc--;
    argv++;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd' || c == 'D' || c == 's')
            *(c == 'd' ? &data : c == 'D' ? &db : &source) = optarg;
        else {
            usage_rates(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    char uri[FG_FILE_PATH_BYTES_MAX + 32];
    if (optind != argc - 1 || strlen(db ? db : data) > FG_FILE_PATH_BYTES_MAX ||
        !fx_source_valid(source)) {
        usage_rates(stderr);
        return 2;
    }
    if (db)
        snprintf(uri, sizeof(uri), "%s", db);
    else
        snprintf(uri, sizeof(uri), "%s/fundgate.db", data);
    return rates_load_store(uri, argv[optind], source);
}
