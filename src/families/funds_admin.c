/*
 * funds_admin.c - the admin routes that configure the Funds family and review
 * its withdrawals (issue 4): bank records, withdrawal rules, holiday
 * calendars, operators, and the review moves of an order. (Rates are the FX
 * core's since issue 12: families/fx_admin.c.)
 *
 * Bearer-token protected (admin_authorized); errors in the admin envelope
 * {"error":{"code","message"}} plus "funds_code" when the refusal has a seed
 * code (e.g. 110039). Configuration objects are upserts: 201 when created, 200
 * when the same key is posted again (replaced), so bootstrap files re-apply.
 * Writes run on the engine's writer and are audited.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "app/app.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/money.h"
#include "families/funds.h"
#include "services/directory.h"
#include "services/withdraw.h"
#include "store/store.h"

#define FUNDS_ADMIN_AUTH(req)                                                                      \
    do {                                                                                           \
        if (!admin_request_allowed(req))                                                           \
            return HTTP_DONE;                                                                      \
    } while (0)

static void admin_error(struct http_req *req, int code, const struct fg_err *err)
{
    int fc = funds_code_of(code);
    const char *msg = err && err->msg[0] ? err->msg : fg_strerror(code);
    if (!fc) {
        http_req_error(req, code, msg);
        return;
    }
    /* msg may quote a path parameter with bytes that are not UTF-8, which
     * jansson refuses (the answer was a 500): say the code's text instead. */
    json_t *text = json_string(msg);
    app_respond_json(req, fg_code_http_status(code),
                     json_pack("{s:{s:s,s:o,s:i}}", "error", "code", fg_code_name(code), "message",
                               text ? text : json_string(fg_strerror(code)), "funds_code", fc));
}

static int refuse(struct http_req *req, int code, const struct fg_err *err)
{
    admin_error(req, code, err);
    return code;
}

/* A list of names (each one of choices) as a bit mask; all when absent. */
static int mask_field(json_t *body, const char *key, const char *const choices[], unsigned *mask,
                      struct fg_err *err)
{
    json_t *v = json_object_get(body, key);
    *mask = 0;
    if (!v) {
        for (int i = 0; choices[i]; i++)
            *mask |= 1u << i;
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) > 8)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be a list", key);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        int k = -1;
        for (int j = 0; json_is_string(e) && choices[j]; j++)
            if (strcmp(json_string_value(e), choices[j]) == 0)
                k = j;
        if (k < 0)
            return fg_fail(err, -FG_EBAD_FIELD, "field '%s' holds an unknown name", key);
        *mask |= 1u << k;
    }
    return 0;
}

static json_t *mask_json(unsigned mask, const char *const choices[])
{
    json_t *a = json_array();
    for (int i = 0; choices[i]; i++)
        if (mask & (1u << i))
            json_array_append_new(a, json_string(choices[i]));
    return a;
}

static int reader_currency(const char *code, struct currency *cur, struct fg_err *err)
{
    struct store *s = app_reader(err);
    return s ? currency_get(s, code, cur, err) : -FG_ESTORE;
}

/* --- banks ---------------------------------------------------------------- */

static const char *const bank_statuses[] = {"approving", "approved", "rejected", NULL};

static json_t *bank_json(const struct wd_bank *b)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "uuid", b->uuid, "client_bank_id",
                     b->client_bank_id, "bank_name", b->bank_name, "account_no", b->account_no,
                     "holder_name", b->holder_name, "currency", b->currency, "status", b->status);
}

static int bank_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct wd_bank *b = c->data;
    struct fg_err err = {0};
    struct customer cu;
    struct currency cur;
    bool created = false;
    int rc = customer_get(s, b->uuid, &cu, &err);
    if (rc == 0)
        rc = currency_get(s, b->currency, &cur, &err);
    if (rc == 0)
        rc = wd_bank_put(s, b, now_ms, &created, &err);
    if (rc == 0)
        rc = app_audit(s, c->req, b->client_bank_id, now_ms, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    app_respond_json(c->req, created ? 201 : 200, bank_json(b));
    return 0;
}

static int banks_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"client_bank_id", "bank_name", "account_no", "holder_name",
                                       "currency",       "status",    NULL};
    (void)ctx;
    FUNDS_ADMIN_AUTH(req);
    json_t *body;
    if (app_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    struct fg_err err = {0};
    char uuid[FG_UUID_BYTES_MAX + 1];
    if (!app_param_copy(req, 0, "uuid", FG_UUID_BYTES_MAX, uuid, sizeof(uuid))) {
        json_decref(body);
        return HTTP_DONE;
    }
    struct app_cmd *c = app_cmd_new(req, bank_run, sizeof(struct wd_bank));
    struct wd_bank *b = c->data;
    int st = 0;
    snprintf(b->uuid, sizeof(b->uuid), "%s", uuid);
    int rc =
        jsonx_str_copy(body, "client_bank_id", true, b->client_bank_id, sizeof(b->client_bank_id), &err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "bank_name", false, b->bank_name, sizeof(b->bank_name), &err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "account_no", false, b->account_no, sizeof(b->account_no), &err);
    if (rc == 0)
        rc =
            jsonx_str_copy(body, "holder_name", true, b->holder_name, sizeof(b->holder_name), &err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "currency", true, b->currency, sizeof(b->currency), &err);
    if (rc == 0)
        rc = jsonx_enum(body, "status", true, bank_statuses, &st, &err);
    json_decref(body);
    if (rc < 0) {
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    snprintf(b->status, sizeof(b->status), "%s", bank_statuses[st]);
    return app_cmd_submit(c);
}

/* --- withdrawal rules ---------------------------------------------------------- */

struct rule_cmd {
    struct wd_rule r;
    int digits;
};

static json_t *rule_json(const struct wd_rule *r, int d)
{
    char cutoff[32], offset[32];
    snprintf(cutoff, sizeof(cutoff), "%02d:%02d", r->vd.cutoff_min / 60, r->vd.cutoff_min % 60);
    int off = r->vd.utc_offset_min < 0 ? -r->vd.utc_offset_min : r->vd.utc_offset_min;
    snprintf(offset, sizeof(offset), "%c%02d:%02d", r->vd.utc_offset_min < 0 ? '-' : '+',
             off / 60 % 100, off % 60);
    return json_pack("{s:s,s:o,s:o,s:o,s:I,s:o,s:o,s:I,s:i,s:s,s:s,s:o}", "currency", r->currency,
                     "min", jsonx_amount_new(r->min, d), "max", jsonx_amount_new(r->max, d),
                     "fee_fixed", jsonx_amount_new(r->fee.fee_fixed, d), "fee_bp",
                     (json_int_t)r->fee.fee_bp, "fee_min", jsonx_amount_new(r->fee.fee_min, d),
                     "fee_max", jsonx_amount_new(r->fee.fee_max, d), "cooldown_s",
                     (json_int_t)r->cooldown_s, "settlement_days", r->vd.settlement_days, "cutoff",
                     cutoff, "utc_offset", offset, "account_types",
                     mask_json(r->account_types, wd_account_types));
}

static int rule_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct rule_cmd *rc_ = c->data;
    struct fg_err err = {0};
    bool created = false;
    int rc = wd_rule_put(s, &rc_->r, now_ms, &created, &err);
    if (rc == 0)
        rc = app_audit(s, c->req, rc_->r.currency, now_ms, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    app_respond_json(c->req, created ? 201 : 200, rule_json(&rc_->r, rc_->digits));
    return 0;
}

static int rules_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {
        "currency",   "min",           "max",        "fee_fixed",       "fee_bp",
        "fee_min",    "fee_max",       "cooldown_s", "settlement_days", "cutoff",
        "utc_offset", "account_types", NULL};
    (void)ctx;
    FUNDS_ADMIN_AUTH(req);
    json_t *body;
    if (app_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    struct fg_err err = {0};
    struct app_cmd *c = app_cmd_new(req, rule_run, sizeof(struct rule_cmd));
    struct rule_cmd *rcmd = c->data;
    struct wd_rule *r = &rcmd->r;
    struct currency cur;
    const char *cutoff = NULL, *offset = NULL;
    int64_t v = 0;
    int rc = jsonx_str_copy(body, "currency", true, r->currency, sizeof(r->currency), &err);
    if (rc == 0)
        rc = reader_currency(r->currency, &cur, &err);
    if (rc == 0)
        rc = jsonx_amount(body, "min", true, cur.digits, &r->min, &err);
    if (rc == 0)
        rc = jsonx_amount(body, "max", true, cur.digits, &r->max, &err);
    if (rc == 0)
        rc = jsonx_amount(body, "fee_fixed", true, cur.digits, &r->fee.fee_fixed, &err);
    if (rc == 0)
        rc = jsonx_int(body, "fee_bp", true, 0, 10000, &r->fee.fee_bp, &err);
    if (rc == 0)
        rc = jsonx_amount(body, "fee_min", true, cur.digits, &r->fee.fee_min, &err);
    if (rc == 0)
        rc = jsonx_amount(body, "fee_max", true, cur.digits, &r->fee.fee_max, &err);
    if (rc == 0)
        rc = jsonx_int(body, "cooldown_s", true, 0, FG_WD_COOLDOWN_S_MAX, &r->cooldown_s, &err);
    if (rc == 0)
        rc = jsonx_int(body, "settlement_days", true, 0, FG_WD_SETTLEMENT_DAYS_MAX, &v, &err);
    r->vd.settlement_days = (int)v;
    if (rc == 0)
        rc = jsonx_str(body, "cutoff", true, 5, &cutoff, &err);
    if (rc == 0 && !wd_time_parse(cutoff, &r->vd.cutoff_min))
        rc = fg_fail(&err, -FG_EBAD_FIELD, "field 'cutoff' must be HH:MM");
    if (rc == 0)
        rc = jsonx_str(body, "utc_offset", true, 6, &offset, &err);
    if (rc == 0 && !wd_offset_parse(offset, &r->vd.utc_offset_min))
        rc = fg_fail(&err, -FG_EBAD_FIELD, "field 'utc_offset' must be +HH:MM or -HH:MM");
    if (rc == 0)
        rc = mask_field(body, "account_types", wd_account_types, &r->account_types, &err);
    if (rc == 0 && (r->min <= 0 || r->min > r->max))
        rc = fg_fail(&err, -FG_EBAD_FIELD, "need 0 < min <= max");
    if (rc == 0 && r->fee.fee_min > r->fee.fee_max)
        rc = fg_fail(&err, -FG_EBAD_FIELD, "need fee_min <= fee_max");
    json_decref(body);
    if (rc < 0) {
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    rcmd->digits = cur.digits;
    return app_cmd_submit(c);
}

/* --- holidays --------------------------------------------------------------- */

struct holiday_cmd {
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int32_t days[FG_WD_HOLIDAYS_PER_REQUEST_MAX];
    int n;
    int32_t through;
};

static int holiday_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct holiday_cmd *h = c->data;
    struct fg_err err = {0};
    struct currency cur;
    bool created = false;
    int32_t through = 0;
    int count = 0;
    int rc = currency_get(s, h->currency, &cur, &err);
    if (rc == 0)
        rc = wd_holidays_add(s, h->currency, h->days, h->n, h->through, now_ms, &created, &through,
                             &count, &err);
    if (rc == 0)
        rc = app_audit(s, c->req, h->currency, now_ms, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    char t[WD_DATE_BYTES];
    wd_date_format(through, t);
    app_respond_json(
        c->req, created ? 201 : 200,
        json_pack("{s:s,s:i,s:s}", "currency", h->currency, "holidays", count, "through", t));
    return 0;
}

static int holidays_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"dates", "through", NULL};
    (void)ctx;
    FUNDS_ADMIN_AUTH(req);
    json_t *body;
    if (app_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    struct fg_err err = {0};
    char ccy[FG_CURRENCY_CODE_BYTES_MAX + 1];
    if (!app_param_copy(req, 0, "currency", FG_CURRENCY_CODE_BYTES_MAX, ccy, sizeof(ccy))) {
        json_decref(body);
        return HTTP_DONE;
    }
    struct app_cmd *c = app_cmd_new(req, holiday_run, sizeof(struct holiday_cmd));
    struct holiday_cmd *h = c->data;
    memcpy(h->currency, ccy, sizeof(ccy));
    h->through = -1;
    int rc = 0;
    json_t *dates = json_object_get(body, "dates");
    if (dates && (!json_is_array(dates) || json_array_size(dates) > FG_WD_HOLIDAYS_PER_REQUEST_MAX))
        rc = fg_fail(&err, -FG_EBAD_FIELD, "field 'dates' must be a list of at most %d dates",
                     FG_WD_HOLIDAYS_PER_REQUEST_MAX);
    size_t i;
    json_t *d;
    json_array_foreach(dates, i, d)
    {
        if (rc == 0 && (!json_is_string(d) || !wd_date_parse(json_string_value(d), &h->days[i])))
            rc = fg_fail(&err, -FG_EBAD_FIELD, "dates[%zu] is not a YYYY-MM-DD date", i);
        if (rc == 0)
            h->n = (int)i + 1;
    }
    const char *through = NULL;
    if (rc == 0)
        rc = jsonx_str(body, "through", false, 10, &through, &err);
    if (rc == 0 && through && !wd_date_parse(through, &h->through))
        rc = fg_fail(&err, -FG_EBAD_FIELD, "field 'through' is not a YYYY-MM-DD date");
    if (rc == 0 && !through && h->n == 0)
        rc = fg_fail(&err, -FG_EMISSING_FIELD, "give 'dates' or 'through'");
    json_decref(body);
    if (rc < 0) {
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    /* Without 'through' the calendar is known to the end of its latest holiday's year. */
    if (!through) {
        int32_t last = h->days[0];
        for (int k = 1; k < h->n; k++)
            if (h->days[k] > last)
                last = h->days[k];
        int y, m, dd;
        wd_civil_from_days(last, &y, &m, &dd);
        h->through = wd_days_from_civil(y, 12, 31);
    }
    return app_cmd_submit(c);
}

/* --- operators ------------------------------------------------------------------ */

static const char *const operator_statuses[] = {"active", "disabled", NULL};

static int operator_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct wd_operator *o = c->data;
    struct fg_err err = {0};
    bool created = false;
    int rc = wd_operator_put(s, o, now_ms, &created, &err);
    char target[300];
    snprintf(target, sizeof(target), "%s/%s", o->app_id, o->user_name);
    if (rc == 0)
        rc = app_audit(s, c->req, target, now_ms, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    app_respond_json(c->req, created ? 201 : 200,
                     json_pack("{s:s,s:s,s:o,s:o,s:s}", "app_id", o->app_id, "user_name",
                               o->user_name, "roles", mask_json(o->roles, wd_roles),
                               "account_types", mask_json(o->account_types, wd_account_types),
                               "status", o->status));
    return 0;
}

static int operators_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"app_id",        "user_name", "roles",
                                       "account_types", "status",    NULL};
    (void)ctx;
    FUNDS_ADMIN_AUTH(req);
    json_t *body;
    if (app_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    struct fg_err err = {0};
    struct app_cmd *c = app_cmd_new(req, operator_run, sizeof(struct wd_operator));
    struct wd_operator *o = c->data;
    int st = 0;
    int rc = jsonx_str_copy(body, "app_id", true, o->app_id, sizeof(o->app_id), &err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "user_name", true, o->user_name, sizeof(o->user_name), &err);
    if (rc == 0 && !json_object_get(body, "roles"))
        rc = fg_fail(&err, -FG_EMISSING_FIELD, "field 'roles' is required");
    if (rc == 0)
        rc = mask_field(body, "roles", wd_roles, &o->roles, &err);
    if (rc == 0)
        rc = mask_field(body, "account_types", wd_account_types, &o->account_types, &err);
    if (rc == 0)
        rc = jsonx_enum(body, "status", false, operator_statuses, &st, &err);
    json_decref(body);
    if (rc < 0) {
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    snprintf(o->status, sizeof(o->status), "%s", operator_statuses[st]);
    return app_cmd_submit(c);
}

/* --- withdrawals ------------------------------------------------------------------ */

struct list_ctx {
    json_t *arr;
    int64_t last;
};

static int list_one(void *ctx, const struct wd_order *o)
{
    struct list_ctx *l = ctx;
    json_t *j = funds_order_json(o, true);
    json_object_set_new(j, "id", json_integer(o->id));
    json_array_append_new(l->arr, j);
    l->last = o->id;
    return 0;
}

/* The states of services/withdraw.h's diagram, as GET withdrawals?status= takes them. */
static const char *const order_statuses[] = {"pending_review", "approved", "paid",      "rejected",
                                             "appealed",       "failed",   "cancelled", NULL};
#define ORDER_STATUSES_TEXT "pending_review, approved, paid, rejected, appealed, failed, cancelled"

static bool status_known(const char *status)
{
    for (int i = 0; order_statuses[i]; i++)
        if (strcmp(status, order_statuses[i]) == 0)
            return true;
    return false;
}

static int withdrawals_get(struct http_req *req, void *ctx)
{
    (void)ctx;
    FUNDS_ADMIN_AUTH(req);
    struct fg_err err = {0};
    const char *status = NULL;
    int64_t after = 0, limit = FG_PAGE_LIMIT_DEFAULT;
    int rc = http_req_query_int64(req, "after", 0, 0, INT64_MAX, &after, &err);
    if (rc == 0)
        rc = http_req_query_int64(req, "limit", FG_PAGE_LIMIT_DEFAULT, 1, FG_PAGE_LIMIT_MAX, &limit,
                                  &err);
    if (rc == 0)
        rc = http_req_query_once(req, "status", &status, &err);
    if (rc == 0 && status && !status_known(status))
        rc = fg_fail(&err, -FG_EBAD_FIELD, "query parameter 'status' must be one of %s",
                     ORDER_STATUSES_TEXT);
    struct store *s = rc == 0 ? app_reader(&err) : NULL;
    if (rc == 0 && !s)
        rc = -FG_ESTORE;
    struct list_ctx l = {.arr = json_array()};
    if (rc == 0)
        rc = withdraw_list(s, "", "", status ? status : "", after, (int)limit, list_one, &l, &err);
    if (rc < 0) {
        json_decref(l.arr);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    json_t *next = (int64_t)json_array_size(l.arr) == limit ? json_integer(l.last) : json_null();
    app_respond_json(req, 200, json_pack("{s:o,s:o}", "withdrawals", l.arr, "next_after", next));
    return HTTP_DONE;
}

struct review_cmd {
    char serial[64];
    enum wd_action action;
    char reason[WD_REASON_BYTES_MAX + 1];
    struct wd_order order;
};

static int review_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct review_cmd *r = c->data;
    struct fg_err err = {0};
    int rc = withdraw_act(s, now_ms, r->serial, r->action, NULL, r->reason, 0, &r->order, &err);
    if (rc == 0)
        rc = app_audit(s, c->req, r->serial, now_ms, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    app_respond_json(c->req, 200, funds_order_json(&r->order, true));
    return 0;
}

static int withdrawal_action_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"reason", NULL};
    static const enum wd_action actions[] = {WD_APPROVE, WD_REJECT, WD_PAID, WD_FAILED, WD_REOPEN};
    (void)ctx;
    FUNDS_ADMIN_AUTH(req);
    struct fg_err err = {0};
    int which = -1;
    for (int i = 0; i < (int)(sizeof(actions) / sizeof(actions[0])); i++)
        if (strcmp(req->params[1], wd_action_names[actions[i]]) == 0)
            which = i;
    if (which < 0) {
        http_req_error(req, -FG_ENOT_FOUND, "actions: approve, reject, paid, failed, reopen");
        return HTTP_DONE;
    }
    json_t *body = NULL;
    int rc = 0;
    if (req->body_len > 0 && app_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    size_t serial_len = strlen(req->params[0]);
    if (serial_len >= sizeof(((struct review_cmd *)0)->serial)) {
        json_decref(body);
        fg_fail(&err, -FG_EWD_ORDER_SERIAL, "the order serial is longer than any serial");
        admin_error(req, err.code, &err);
        return HTTP_DONE;
    }
    struct app_cmd *c = app_cmd_new(req, review_run, sizeof(struct review_cmd));
    struct review_cmd *r = c->data;
    r->action = actions[which];
    memcpy(r->serial, req->params[0], serial_len + 1);
    if (body)
        rc = funds_text_copy(body, "reason", r->action == WD_REJECT, FG_WD_REASON_CHARS_MAX,
                             r->reason, sizeof(r->reason), &err); /* as given (issue 16) */
    else if (r->action == WD_REJECT)
        rc = fg_fail(&err, -FG_EMISSING_FIELD, "field 'reason' is required");
    json_decref(body);
    if (rc == 0 && !withdraw_serial_valid(r->serial))
        rc = fg_fail(&err, -FG_EWD_ORDER_SERIAL, "'%.40s' is not an order serial", r->serial);
    if (rc < 0) {
        admin_error(req, rc, &err);
        return HTTP_DONE;
    }
    return app_cmd_submit(c);
}

static const struct http_route routes[] = {
    {"POST", "/admin/v1/customers/{}/banks", banks_post, NULL, "admin_banks_post"},
    {"POST", "/admin/v1/rules/withdrawal", rules_post, NULL, "admin_rules_withdrawal_post"},
    {"POST", "/admin/v1/calendars/{}/holidays", holidays_post, NULL, "admin_holidays_post"},
    {"POST", "/admin/v1/operators", operators_post, NULL, "admin_operators_post"},
    {"GET", "/admin/v1/withdrawals", withdrawals_get, NULL, "admin_withdrawals_get"},
    {"POST", "/admin/v1/withdrawals/{}/{}", withdrawal_action_post, NULL,
     "admin_withdrawals_action"},
};

const struct http_route *funds_admin_routes(int *count)
{
    *count = (int)(sizeof(routes) / sizeof(routes[0]));
    return routes;
}
