/*
 * funds_admin.c - the admin routes that configure the Funds family and review
 * its withdrawals (issue 4): bank records, withdrawal rules, holiday
 * calendars, operators, and the review moves of an order. (Rates are the FX
 * core's since issue 12: families/fx/.)
 *
 * Each write is an api_admin_write (api/admin_write.h): bearer token, strict
 * body, fields, a run on the writer, an audit row. Errors in the admin shape
 * {"error":{"code","message"}}, plus "funds_code" when a refusal on the
 * writer (or of a review) has a vendor code (e.g. 110039). Configuration
 * objects are upserts: 201 when created, 200 when the same key is posted
 * again (replaced), so bootstrap files re-apply.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/admin_write.h"
#include "api/api.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/money.h"
#include "families/funds/funds.h"
#include "services/directory.h"
#include "services/withdraw.h"
#include "store/store.h"

#define FUNDS_MASK_NAMES_MAX 8

void funds_admin_refuse(struct http_req *req, int code, const struct fg_err *err)
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
    api_respond_json(req, fg_code_http_status(code),
                     json_pack("{s:{s:s,s:o,s:i}}", "error", "code", fg_code_name(code), "message",
                               text ? text : json_string(fg_strerror(code)), "funds_code", fc));
}

/* A list of names (each one of f->choices) as a bit mask at f->offset; all
 * when absent. */
static int mask_read(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                     struct fg_err *err)
{
    (void)ctx;
    json_t *v = json_object_get(body, f->name);
    unsigned *mask = (unsigned *)((char *)dst + f->offset);
    *mask = 0;
    if (!v) {
        for (int i = 0; f->choices[i]; i++)
            *mask |= 1u << i;
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) > FUNDS_MASK_NAMES_MAX)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be a list", f->name);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        int k = -1;
        for (int j = 0; json_is_string(e) && f->choices[j]; j++)
            if (strcmp(json_string_value(e), f->choices[j]) == 0)
                k = j;
        if (k < 0)
            return fg_fail(err, -FG_EBAD_FIELD, "field '%s' holds an unknown name", f->name);
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

/* --- banks ---------------------------------------------------------------- */

static const char *const bank_statuses[] = {"approving", "approved", "rejected", NULL};

static json_t *bank_json(const struct wd_bank *b)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "uuid", b->uuid, "client_bank_id",
                     b->client_bank_id, "bank_name", b->bank_name, "account_no", b->account_no,
                     "holder_name", b->holder_name, "currency", b->currency, "status", b->status);
}

static const struct api_param bank_params[] = {
    {"uuid", 0, FG_UUID_BYTES_MAX, offsetof(struct wd_bank, uuid),
     sizeof(((struct wd_bank *)0)->uuid)},
    {0},
};

static const struct field_spec bank_fields[] = {
    {.name = "client_bank_id",
     .kind = FIELD_STR,
     .required = true,
     FIELD_AT(struct wd_bank, client_bank_id)},
    {.name = "bank_name", .kind = FIELD_STR, FIELD_AT(struct wd_bank, bank_name)},
    {.name = "account_no", .kind = FIELD_STR, FIELD_AT(struct wd_bank, account_no)},
    {.name = "holder_name",
     .kind = FIELD_STR,
     .required = true,
     FIELD_AT(struct wd_bank, holder_name)},
    {.name = "currency", .kind = FIELD_STR, .required = true, FIELD_AT(struct wd_bank, currency)},
    {.name = "status",
     .kind = FIELD_ENUM,
     .required = true,
     .choices = bank_statuses,
     FIELD_AT(struct wd_bank, status)},
    {0},
};

static int bank_run(struct api_cmd *c, struct store *s, int64_t now_ms,
                    struct api_write_result *out, struct fg_err *err)
{
    struct wd_bank *b = c->data;
    struct customer cu;
    struct currency cur;
    bool created = false;
    int rc = customer_get(s, b->uuid, &cu, err);
    if (rc == 0)
        rc = currency_get(s, b->currency, &cur, err);
    if (rc == 0)
        rc = wd_bank_put(s, b, now_ms, &created, err);
    if (rc < 0)
        return rc;
    out->status = created ? 201 : 200;
    out->body = bank_json(b);
    snprintf(out->target, sizeof(out->target), "%s", b->client_bank_id);
    return 0;
}

static const struct api_admin_write bank_write = {
    .fields = bank_fields,
    .params = bank_params,
    .data_size = sizeof(struct wd_bank),
    .run = bank_run,
    .refuse = funds_admin_refuse,
};

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
                     mask_json(r->account_types, customer_account_types));
}

/* The currency's digits, for the amounts that follow (a read connection:
 * digits never change once a currency exists). */
static int rule_digits(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                       struct fg_err *err)
{
    (void)body, (void)f;
    struct rule_cmd *rc_ = dst;
    struct currency cur;
    struct store *s = api_reader(ctx, err);
    int rc = s ? currency_get(s, rc_->r.currency, &cur, err) : -FG_ESTORE;
    if (rc == 0)
        rc_->digits = cur.digits;
    return rc;
}

/* "HH:MM" into minutes after local midnight. */
static int rule_cutoff(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                       struct fg_err *err)
{
    (void)ctx;
    const char *v = NULL;
    int rc = jsonx_str(body, f->name, true, 5, &v, err);
    if (rc == 0 && !wd_time_parse(v, &((struct rule_cmd *)dst)->r.vd.cutoff_min))
        rc = fg_fail(err, -FG_EBAD_FIELD, "field 'cutoff' must be HH:MM");
    return rc;
}

/* "+HH:MM" or "-HH:MM" into minutes. */
static int rule_offset(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                       struct fg_err *err)
{
    (void)ctx;
    const char *v = NULL;
    int rc = jsonx_str(body, f->name, true, 6, &v, err);
    if (rc == 0 && !wd_offset_parse(v, &((struct rule_cmd *)dst)->r.vd.utc_offset_min))
        rc = fg_fail(err, -FG_EBAD_FIELD, "field 'utc_offset' must be +HH:MM or -HH:MM");
    return rc;
}

static int rule_ranges(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                       struct fg_err *err)
{
    (void)body, (void)f, (void)ctx;
    const struct wd_rule *r = &((struct rule_cmd *)dst)->r;
    if (r->min <= 0 || r->min > r->max)
        return fg_fail(err, -FG_EBAD_FIELD, "need 0 < min <= max");
    if (r->fee.fee_min > r->fee.fee_max)
        return fg_fail(err, -FG_EBAD_FIELD, "need fee_min <= fee_max");
    return 0;
}

#define RULE_AMOUNT(key, member)                                                                   \
    {                                                                                              \
        .name = key, .kind = FIELD_AMOUNT, .required = true,                                       \
        .offset = offsetof(struct rule_cmd, member), .aux = offsetof(struct rule_cmd, digits)      \
    }

static const struct field_spec rule_fields[] = {
    {.name = "currency",
     .kind = FIELD_STR,
     .required = true,
     FIELD_AT(struct rule_cmd, r.currency)},
    {.name = ".digits", .kind = FIELD_CUSTOM, .read = rule_digits},
    RULE_AMOUNT("min", r.min),
    RULE_AMOUNT("max", r.max),
    RULE_AMOUNT("fee_fixed", r.fee.fee_fixed),
    {.name = "fee_bp",
     .kind = FIELD_INT,
     .required = true,
     .max = 10000,
     FIELD_AT(struct rule_cmd, r.fee.fee_bp)},
    RULE_AMOUNT("fee_min", r.fee.fee_min),
    RULE_AMOUNT("fee_max", r.fee.fee_max),
    {.name = "cooldown_s",
     .kind = FIELD_INT,
     .required = true,
     .max = FG_WD_COOLDOWN_S_MAX,
     FIELD_AT(struct rule_cmd, r.cooldown_s)},
    {.name = "settlement_days",
     .kind = FIELD_INT32,
     .required = true,
     .max = FG_WD_SETTLEMENT_DAYS_MAX,
     FIELD_AT(struct rule_cmd, r.vd.settlement_days)},
    {.name = "cutoff", .kind = FIELD_CUSTOM, .read = rule_cutoff},
    {.name = "utc_offset", .kind = FIELD_CUSTOM, .read = rule_offset},
    {.name = "account_types",
     .kind = FIELD_CUSTOM,
     .read = mask_read,
     .choices = customer_account_types,
     FIELD_AT(struct rule_cmd, r.account_types)},
    {.name = ".ranges", .kind = FIELD_CUSTOM, .read = rule_ranges},
    {0},
};

static int rule_run(struct api_cmd *c, struct store *s, int64_t now_ms,
                    struct api_write_result *out, struct fg_err *err)
{
    struct rule_cmd *rc_ = c->data;
    bool created = false;
    int rc = wd_rule_put(s, &rc_->r, now_ms, &created, err);
    if (rc < 0)
        return rc;
    out->status = created ? 201 : 200;
    out->body = rule_json(&rc_->r, rc_->digits);
    snprintf(out->target, sizeof(out->target), "%s", rc_->r.currency);
    return 0;
}

static const struct api_admin_write rule_write = {
    .fields = rule_fields,
    .data_size = sizeof(struct rule_cmd),
    .run = rule_run,
    .refuse = funds_admin_refuse,
};

/* --- holidays --------------------------------------------------------------- */

struct holiday_cmd {
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int32_t days[FG_WD_HOLIDAYS_PER_REQUEST_MAX];
    int n;
    int32_t through; /* -1: to the end of the latest holiday's year */
};

static const struct api_param holiday_params[] = {
    {"currency", 0, FG_CURRENCY_CODE_BYTES_MAX, offsetof(struct holiday_cmd, currency),
     sizeof(((struct holiday_cmd *)0)->currency)},
    {0},
};

static int holiday_dates(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                         struct fg_err *err)
{
    (void)ctx;
    struct holiday_cmd *h = dst;
    json_t *dates = json_object_get(body, f->name), *d;
    size_t i;
    if (dates && (!json_is_array(dates) || json_array_size(dates) > FG_WD_HOLIDAYS_PER_REQUEST_MAX))
        return fg_fail(err, -FG_EBAD_FIELD, "field 'dates' must be a list of at most %d dates",
                       FG_WD_HOLIDAYS_PER_REQUEST_MAX);
    json_array_foreach(dates, i, d)
    {
        if (!json_is_string(d) || !wd_date_parse(json_string_value(d), &h->days[i]))
            return fg_fail(err, -FG_EBAD_FIELD, "dates[%zu] is not a YYYY-MM-DD date", i);
        h->n = (int)i + 1;
    }
    return 0;
}

/* 'through', or, without it, the end of the latest holiday's year. */
static int holiday_through(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                           struct fg_err *err)
{
    (void)ctx;
    struct holiday_cmd *h = dst;
    const char *through = NULL;
    int rc = jsonx_str(body, f->name, false, 10, &through, err);
    h->through = -1;
    if (rc == 0 && through && !wd_date_parse(through, &h->through))
        rc = fg_fail(err, -FG_EBAD_FIELD, "field 'through' is not a YYYY-MM-DD date");
    if (rc == 0 && !through && h->n == 0)
        rc = fg_fail(err, -FG_EMISSING_FIELD, "give 'dates' or 'through'");
    if (rc < 0 || through)
        return rc;
    int32_t last = h->days[0];
    for (int k = 1; k < h->n; k++)
        if (h->days[k] > last)
            last = h->days[k];
    int y, m, dd;
    wd_civil_from_days(last, &y, &m, &dd);
    h->through = wd_days_from_civil(y, 12, 31);
    return 0;
}

static const struct field_spec holiday_fields[] = {
    {.name = "dates", .kind = FIELD_CUSTOM, .read = holiday_dates},
    {.name = "through", .kind = FIELD_CUSTOM, .read = holiday_through},
    {0},
};

static int holiday_run(struct api_cmd *c, struct store *s, int64_t now_ms,
                       struct api_write_result *out, struct fg_err *err)
{
    struct holiday_cmd *h = c->data;
    struct currency cur;
    bool created = false;
    int32_t through = 0;
    int count = 0;
    int rc = currency_get(s, h->currency, &cur, err);
    if (rc == 0)
        rc = wd_holidays_add(s, h->currency, h->days, h->n, h->through, now_ms, &created, &through,
                             &count, err);
    if (rc < 0)
        return rc;
    char t[WD_DATE_BYTES];
    wd_date_format(through, t);
    out->status = created ? 201 : 200;
    out->body =
        json_pack("{s:s,s:i,s:s}", "currency", h->currency, "holidays", count, "through", t);
    snprintf(out->target, sizeof(out->target), "%s", h->currency);
    return 0;
}

static const struct api_admin_write holiday_write = {
    .fields = holiday_fields,
    .params = holiday_params,
    .data_size = sizeof(struct holiday_cmd),
    .run = holiday_run,
    .refuse = funds_admin_refuse,
};

/* --- operators ------------------------------------------------------------------ */

static const char *const operator_statuses[] = {"active", "disabled", NULL};

static int operator_roles(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                          struct fg_err *err)
{
    if (!json_object_get(body, f->name))
        return fg_fail(err, -FG_EMISSING_FIELD, "field 'roles' is required");
    return mask_read(body, f, dst, ctx, err);
}

static const struct field_spec operator_fields[] = {
    {.name = "app_id", .kind = FIELD_STR, .required = true, FIELD_AT(struct wd_operator, app_id)},
    {.name = "user_name",
     .kind = FIELD_STR,
     .required = true,
     FIELD_AT(struct wd_operator, user_name)},
    {.name = "roles",
     .kind = FIELD_CUSTOM,
     .read = operator_roles,
     .choices = wd_roles,
     FIELD_AT(struct wd_operator, roles)},
    {.name = "account_types",
     .kind = FIELD_CUSTOM,
     .read = mask_read,
     .choices = customer_account_types,
     FIELD_AT(struct wd_operator, account_types)},
    {.name = "status",
     .kind = FIELD_ENUM,
     .choices = operator_statuses,
     FIELD_AT(struct wd_operator, status)},
    {0},
};

/* Absent status is "active". */
static int operator_prepare(struct api *api, struct http_req *req, json_t *body, void *data,
                            struct fg_err *err)
{
    (void)api, (void)req, (void)body, (void)err;
    struct wd_operator *o = data;
    if (!o->status[0])
        snprintf(o->status, sizeof(o->status), "%s", operator_statuses[0]);
    return 0;
}

static int operator_run(struct api_cmd *c, struct store *s, int64_t now_ms,
                        struct api_write_result *out, struct fg_err *err)
{
    struct wd_operator *o = c->data;
    bool created = false;
    int rc = wd_operator_put(s, o, now_ms, &created, err);
    if (rc < 0)
        return rc;
    out->status = created ? 201 : 200;
    out->body = json_pack("{s:s,s:s,s:o,s:o,s:s}", "app_id", o->app_id, "user_name", o->user_name,
                          "roles", mask_json(o->roles, wd_roles), "account_types",
                          mask_json(o->account_types, customer_account_types), "status", o->status);
    snprintf(out->target, sizeof(out->target), "%s/%s", o->app_id, o->user_name);
    return 0;
}

static const struct api_admin_write operator_write = {
    .fields = operator_fields,
    .data_size = sizeof(struct wd_operator),
    .prepare = operator_prepare,
    .run = operator_run,
    .refuse = funds_admin_refuse,
};

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
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
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
    struct store *s = rc == 0 ? api_reader(api, &err) : NULL;
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
    api_respond_json(req, 200, json_pack("{s:o,s:o}", "withdrawals", l.arr, "next_after", next));
    return HTTP_DONE;
}

struct review_cmd {
    char serial[64];
    enum wd_action action;
    char reason[WD_REASON_BYTES_MAX + 1];
    struct wd_order order;
};

static int review_run(struct api_cmd *c, struct store *s, int64_t now_ms)
{
    struct review_cmd *r = c->data;
    struct fg_err err = {0};
    int rc = withdraw_act(s, now_ms, r->serial, r->action, NULL, r->reason, 0, &r->order, &err);
    if (rc == 0)
        rc = api_audit(s, c->req, r->serial, now_ms, &err);
    if (rc < 0) {
        funds_admin_refuse(c->req, rc, &err);
        return rc;
    }
    api_respond_json(c->req, 200, funds_order_json(&r->order, true));
    return 0;
}

static int withdrawal_action_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"reason", NULL};
    static const enum wd_action actions[] = {WD_APPROVE, WD_REJECT, WD_PAID, WD_FAILED, WD_REOPEN};
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
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
    if (req->body_len > 0 && api_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    size_t serial_len = strlen(req->params[0]);
    if (serial_len >= sizeof(((struct review_cmd *)0)->serial)) {
        json_decref(body);
        fg_fail(&err, -FG_EWD_ORDER_SERIAL, "the order serial is longer than any serial");
        funds_admin_refuse(req, err.code, &err);
        return HTTP_DONE;
    }
    struct api_cmd *c = api_cmd_new(api, NULL, req, review_run, sizeof(struct review_cmd));
    struct review_cmd *r = c->data;
    r->action = actions[which];
    memcpy(r->serial, req->params[0], serial_len + 1);
    if (body)
        rc = fields_text(body, "reason", r->action == WD_REJECT, FG_WD_REASON_CHARS_MAX, r->reason,
                         sizeof(r->reason), &err); /* as given (issue 16) */
    else if (r->action == WD_REJECT)
        rc = fg_fail(&err, -FG_EMISSING_FIELD, "field 'reason' is required");
    json_decref(body);
    if (rc == 0 && !withdraw_serial_valid(r->serial))
        rc = fg_fail(&err, -FG_EWD_ORDER_SERIAL, "'%.40s' is not an order serial", r->serial);
    if (rc < 0) {
        funds_admin_refuse(req, rc, &err);
        return HTTP_DONE;
    }
    return api_cmd_submit(c);
}

/* --- routes -------------------------------------------------------------------- */

static int banks_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &bank_write);
}

static int rules_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &rule_write);
}

static int holidays_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &holiday_write);
}

static int operators_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &operator_write);
}

const struct http_route funds_admin_routes[FUNDS_ADMIN_ROUTE_COUNT] = {
    {"POST", "/admin/v1/customers/{}/banks", banks_post, NULL, "admin_banks_post"},
    {"POST", "/admin/v1/rules/withdrawal", rules_post, NULL, "admin_rules_withdrawal_post"},
    {"POST", "/admin/v1/calendars/{}/holidays", holidays_post, NULL, "admin_holidays_post"},
    {"POST", "/admin/v1/operators", operators_post, NULL, "admin_operators_post"},
    {"GET", "/admin/v1/withdrawals", withdrawals_get, NULL, "admin_withdrawals_get"},
    {"POST", "/admin/v1/withdrawals/{}/{}", withdrawal_action_post, NULL,
     "admin_withdrawals_action"},
};
