/*
 * funds_orders.c - the Funds withdrawal orders on the wire: /order/v2/create,
 * detail, list, cancel and appeal; see funds.h. Checks before the engine
 * (token and app, fields, mode, source) happen here on the HTTP thread; the
 * rest of the order of checks runs in withdraw_create on the writer, where
 * the customer's state cannot change underneath it.
 *
 * Idempotency of create (api/api_idem.h): the record (scope, app_id:
 * request_id) is looked up first, before any check, so that a replay
 * answers its original bytes even though the order it created now blocks
 * new ones (110203); a different request under the same id is 110020.
 * Refusals are not recorded (the request may be retried once fixed). While a
 * request id is in the engine, the same id again answers 110027.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_cmd.h"
#include "api/api_idem.h"
#include "core/fields.h"
#include "core/parse.h"
#include "core/reqhash.h"
#include "families/funds/funds.h"
#include "services/directory.h"
#include "services/withdraw.h"

#define FUNDS_CREATE_SCOPE "funds.create"
#define FUNDS_APPEAL_DAYS_DEFAULT 7
#define FUNDS_SERIAL_BYTES_MAX 63

/* --- create ---------------------------------------------------------------- */

struct create_cmd {
    struct wd_create_req q;
    char clearing[FG_NAME_BYTES_MAX + 1]; /* clearing_id: the chain's other name */
    bool zh;
    struct api_idem idem;
    struct wd_order order;
};

static void create_free(void *p)
{
    struct create_cmd *c = p;
    api_idem_untrack(&c->idem);
}

static int create_run(struct api_cmd *c, struct store *s, int64_t now_ms)
{
    struct create_cmd *cc = c->data;
    struct fg_err err = {0};
    int rc = api_idem_replay(c, s, &cc->idem, &err);
    if (rc > 0)
        return 0;
    if (rc == 0)
        rc = withdraw_create(s, now_ms, &cc->q, &cc->order, &err);
    if (rc == 0)
        rc = funds_answer_recorded(c, &cc->idem, cc->zh, funds_order_json(&cc->order, false),
                                   cc->order.id, s, now_ms, &err);
    if (rc < 0)
        funds_answer_in(c->req, cc->zh, rc, NULL, &err);
    return rc;
}

static const char *const sources[] = {"app", "web", "admin", "api", NULL};

/* The app's settings a create needs: allowed modes (default 1 and 2; mode 3
 * only when the app lists it) and whether third parties may be paid. */
static void create_app_settings(json_t *app, struct wd_create_req *q)
{
    json_t *modes = json_object_get(app, "allowed_modes");
    size_t i;
    json_t *m;
    if (!modes)
        q->allowed_modes = 1u << WD_MODE_SELF | 1u << WD_MODE_OPERATOR;
    json_array_foreach(modes, i, m)
    {
        if (json_is_integer(m) && json_integer_value(m) >= 1 && json_integer_value(m) <= 3)
            q->allowed_modes |= 1u << json_integer_value(m);
    }
    q->third_party_allowed = json_is_true(json_object_get(app, "third_party_allowed"));
}

/* After the fields: the operation mode exists (110018), the source is
 * known (110021); chain or clearing_id names the chain. */
static int create_checks(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                         struct fg_err *err)
{
    (void)body, (void)f, (void)ctx;
    struct create_cmd *cc = dst;
    struct wd_create_req *q = &cc->q;
    if (!q->chain[0])
        memcpy(q->chain, cc->clearing, sizeof(q->chain));
    if (q->mode < 1 || q->mode > 3)
        return fg_fail(err, -FG_EWD_UNKNOWN_MODE, "operation_mode_id %lld does not exist",
                       (long long)q->mode);
    for (int k = 0; sources[k]; k++)
        if (strcmp(q->source, sources[k]) == 0)
            return 0;
    return fg_fail(err, -FG_EWD_UNKNOWN_SOURCE, "unknown source '%.8s'", q->source);
}

#define CQ(member) FIELD_AT(struct create_cmd, q.member)

/* Known fields, strictly typed; unknown ones are ignored. The bank texts are
 * descriptive: stored as given. The first failure wins: parameters
 * (110001), then operation mode (110018) and source (110021). */
static const struct field_spec create_fields[] = {
    {.name = "request_id", .kind = FIELD_ID, .required = true, CQ(request_id)},
    {.name = "uuid", .kind = FIELD_STR, .required = true, CQ(uuid)},
    {.name = "account_type", .kind = FIELD_STR, .required = true, CQ(account_type)},
    {.name = "currency", .kind = FIELD_STR, .required = true, CQ(currency)},
    {.name = "amount", .kind = FIELD_DECIMAL, .required = true, .min = -1, CQ(amount)},
    {.name = "fee", .kind = FIELD_DECIMAL, CQ(fee)},
    {.name = "operation_mode_id",
     .kind = FIELD_INT32,
     .required = true,
     .min = INT32_MIN,
     .max = INT32_MAX,
     CQ(mode)},
    {.name = "source",
     .kind = FIELD_STR,
     .required = true,
     .refuse_code = -FG_EWD_UNKNOWN_SOURCE,
     CQ(source)},
    {.name = "client_bank_id", .kind = FIELD_STR, CQ(client_bank_id)},
    {.name = "payee_id", .kind = FIELD_STR, CQ(payee_id)},
    {.name = "chain", .kind = FIELD_STR, CQ(chain)},
    {.name = "clearing_id", .kind = FIELD_STR, FIELD_AT(struct create_cmd, clearing)},
    {.name = "address", .kind = FIELD_STR, CQ(address)},
    {.name = "bank_address_details",
     .kind = FIELD_TEXT,
     .max = FG_WD_TEXT_CHARS_MAX,
     CQ(bank_address_details)},
    {.name = "bank_mark", .kind = FIELD_TEXT, .max = FG_WD_TEXT_CHARS_MAX, CQ(bank_mark)},
    {.name = ".checks", .kind = FIELD_CUSTOM, .read = create_checks},
    {0},
};

/* The request's defining content, not its JSON text: "100" and "100.00" are
 * one request. The token's omnibus account is part of it (a replay under
 * another one is a different request: 110020). */
static int create_hash(const struct wd_create_req *q, uint8_t out[FG_SHA256_BYTES])
{
    char amt[48], fee[48];
    funds_amount_canon(q->amount, amt, sizeof(amt));
    funds_amount_canon(q->fee, fee, sizeof(fee));
    json_t *canon = json_pack(
        "[s,s,s,s,s,s,s,i,s,s,s,s,s,s,s,s]", q->actor.user_name, q->uuid, q->account_type,
        q->currency, amt, fee, q->source, q->mode, q->client_bank_id, q->payee_id, q->chain,
        q->address, q->bank_address_details, q->bank_mark, q->request_id, q->actor.omnibus_id);
    int rc = canon ? reqhash_values(canon, NULL, out) : -FG_ENOMEM;
    json_decref(canon);
    return rc;
}

int funds_create_post(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    bool zh = funds_wants_zh(req);
    struct fg_err err = {0};
    struct funds_auth a;
    if (!funds_authenticate_or_answer(api, req, zh, &a))
        return HTTP_DONE;
    struct api_cmd *c = api_cmd_new(api, &funds_family, req, create_run, sizeof(struct create_cmd));
    struct create_cmd *cc = c->data;
    c->data_free = create_free;
    cc->zh = zh;
    cc->q.actor = a.actor;
    create_app_settings(a.app, &cc->q);
    json_decref(a.app);
    int rc = funds_fields(req, create_fields, cc, &err);
    if (rc == 0)
        rc = create_hash(&cc->q, cc->idem.hash);
    if (rc == 0) {
        api_idem_key(&cc->idem, FUNDS_CREATE_SCOPE, cc->q.actor.app_id, cc->q.request_id);
        rc = api_idem_track(api, &cc->idem, &err); /* 110027 */
    }
    if (rc < 0) {
        funds_answer_in(req, zh, rc, NULL, &err);
        return HTTP_DONE;
    }
    return api_cmd_submit(c);
}

/* --- detail and list (reads) ------------------------------------------------ */

struct order_ref {
    char serial[FUNDS_SERIAL_BYTES_MAX + 1];
};

static const struct field_spec detail_fields[] = {
    {.name = "order_serial",
     .kind = FIELD_STR,
     .required = true,
     FIELD_AT(struct order_ref, serial)},
    {0},
};

/* The order, when it is this app's and the actor may see it. */
static int detail_read(struct api *api, const struct funds_auth *a, const char *serial,
                       struct wd_order *o, struct fg_err *err)
{
    struct store *s = api_reader(api, err);
    int rc = s ? withdraw_get(s, serial, o, err) : -FG_ESTORE;
    if (rc == 0 && strcmp(o->app_id, a->actor.app_id) != 0)
        rc = fg_fail(err, -FG_EWD_ORDER_UNKNOWN, "no order %.40s", serial);
    if (rc == 0)
        rc = withdraw_actor_check(s, &a->actor, o->uuid, WD_ROLES_READ, err);
    return rc;
}

int funds_detail_post(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    bool zh = funds_wants_zh(req);
    struct fg_err err = {0};
    struct funds_auth a;
    struct order_ref ref = {0};
    struct wd_order *o = calloc(1, sizeof(*o));
    int rc = o ? funds_authenticate(api, req, &a, &err) : -FG_ENOMEM;
    if (rc == 0) {
        json_decref(a.app);
        rc = funds_fields(req, detail_fields, &ref, &err);
    }
    if (rc == 0)
        rc = detail_read(api, &a, ref.serial, o, &err);
    funds_answer_in(req, zh, rc, rc == 0 ? funds_order_json(o, true) : NULL, &err);
    free(o);
    return HTTP_DONE;
}

static const char *const order_statuses[] = {"pending_review", "approved", "paid",      "rejected",
                                             "appealed",       "failed",   "cancelled", NULL};

struct list_req {
    char uuid[FG_UUID_BYTES_MAX + 1];
    char status[WD_STATUS_BYTES_MAX]; /* "" for every status */
    char cursor[24];
    int64_t limit, after;
};

static int list_cursor(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                       struct fg_err *err)
{
    (void)body, (void)f, (void)ctx;
    struct list_req *l = dst;
    if (l->cursor[0] && parse_int64_text(l->cursor, 0, INT64_MAX, &l->after) < 0)
        return fg_fail(err, -FG_EBAD_FIELD, "field 'cursor' is not a cursor");
    return 0;
}

static const struct field_spec list_fields[] = {
    {.name = "uuid", .kind = FIELD_STR, .required = true, FIELD_AT(struct list_req, uuid)},
    {.name = "status",
     .kind = FIELD_ENUM,
     .choices = order_statuses,
     FIELD_AT(struct list_req, status)},
    {.name = "cursor", .kind = FIELD_STR, FIELD_AT(struct list_req, cursor)},
    {.name = "limit",
     .kind = FIELD_INT,
     .min = 1,
     .max = FG_WD_LIST_LIMIT_MAX,
     FIELD_AT(struct list_req, limit)},
    {.name = ".cursor", .kind = FIELD_CUSTOM, .read = list_cursor},
    {0},
};

struct list_ctx {
    json_t *arr;
    int64_t last;
};

static int list_one(void *ctx, const struct wd_order *o)
{
    struct list_ctx *l = ctx;
    json_array_append_new(l->arr, funds_order_json(o, true));
    l->last = o->id;
    return 0;
}

/* A page of the customer's orders, when the actor may see them. */
static int list_read(struct api *api, const struct funds_auth *a, const struct list_req *q,
                     struct list_ctx *l, struct fg_err *err)
{
    struct customer cu;
    struct store *s = api_reader(api, err);
    int rc = s ? customer_get(s, q->uuid, &cu, err) : -FG_ESTORE;
    if (rc == 0 && strcmp(cu.app_id, a->actor.app_id) != 0)
        rc = fg_fail(err, -FG_EUNKNOWN_CUSTOMER, "no customer %.64s in this app", q->uuid);
    if (rc == 0)
        rc = withdraw_actor_check(s, &a->actor, q->uuid, WD_ROLES_READ, err);
    if (rc == 0)
        rc = withdraw_list(s, a->actor.app_id, q->uuid, q->status, q->after, (int)q->limit,
                           list_one, l, err);
    return rc;
}

int funds_list_post(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    bool zh = funds_wants_zh(req);
    struct fg_err err = {0};
    struct funds_auth a;
    struct list_req q = {.limit = FG_WD_LIST_LIMIT_DEFAULT};
    struct list_ctx l = {.arr = json_array()};
    int rc = funds_authenticate(api, req, &a, &err);
    if (rc == 0) {
        json_decref(a.app);
        rc = funds_fields(req, list_fields, &q, &err);
    }
    if (rc == 0)
        rc = list_read(api, &a, &q, &l, &err);
    if (rc < 0) {
        json_decref(l.arr);
        funds_answer_in(req, zh, rc, NULL, &err);
        return HTTP_DONE;
    }
    char next[24];
    snprintf(next, sizeof(next), "%lld", (long long)l.last);
    json_t *data =
        json_pack("{s:o,s:o}", "orders", l.arr, "next_cursor",
                  (int64_t)json_array_size(l.arr) == q.limit ? json_string(next) : json_null());
    funds_answer_in(req, zh, 0, data, &err);
    return HTTP_DONE;
}

/* --- cancel and appeal (writes) -------------------------------------------- */

struct act_cmd {
    char serial[FUNDS_SERIAL_BYTES_MAX + 1];
    char reason[WD_REASON_BYTES_MAX + 1];
    struct wd_actor actor;
    enum wd_action action;
    int64_t appeal_window_ms;
    bool zh;
    struct wd_order order;
};

static int act_serial(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                      struct fg_err *err)
{
    (void)body, (void)f, (void)ctx;
    const struct act_cmd *ac = dst;
    if (!withdraw_serial_valid(ac->serial))
        return fg_fail(err, -FG_EWD_ORDER_SERIAL, "'%.40s' is not an order serial", ac->serial);
    return 0;
}

static const struct field_spec cancel_fields[] = {
    {.name = "order_serial", .kind = FIELD_STR, .required = true, FIELD_AT(struct act_cmd, serial)},
    {.name = ".serial", .kind = FIELD_CUSTOM, .read = act_serial},
    {0},
};

/* The appeal's reason is descriptive: as given, may be empty. */
static const struct field_spec appeal_fields[] = {
    {.name = "order_serial", .kind = FIELD_STR, .required = true, FIELD_AT(struct act_cmd, serial)},
    {.name = "reason",
     .kind = FIELD_TEXT,
     .max = FG_WD_REASON_CHARS_MAX,
     FIELD_AT(struct act_cmd, reason)},
    {.name = ".serial", .kind = FIELD_CUSTOM, .read = act_serial},
    {0},
};

static int act_run(struct api_cmd *c, struct store *s, int64_t now_ms)
{
    struct act_cmd *ac = c->data;
    struct fg_err err = {0};
    int rc = withdraw_act(s, now_ms, ac->serial, ac->action, &ac->actor, ac->reason,
                          ac->appeal_window_ms, &ac->order, &err);
    funds_answer_in(c->req, ac->zh, rc, rc == 0 ? funds_order_json(&ac->order, true) : NULL, &err);
    return rc;
}

static int act_post(struct api *api, struct http_req *req, enum wd_action action)
{
    bool zh = funds_wants_zh(req);
    struct fg_err err = {0};
    struct funds_auth a;
    if (!funds_authenticate_or_answer(api, req, zh, &a))
        return HTTP_DONE;
    struct api_cmd *c = api_cmd_new(api, &funds_family, req, act_run, sizeof(struct act_cmd));
    struct act_cmd *ac = c->data;
    ac->actor = a.actor;
    ac->action = action;
    ac->zh = zh;
    ac->appeal_window_ms =
        funds_cfg_int(a.app, "appeal_days", FUNDS_APPEAL_DAYS_DEFAULT) * 86400000;
    json_decref(a.app);
    int rc = funds_fields(req, action == WD_APPEAL ? appeal_fields : cancel_fields, ac, &err);
    if (rc < 0) {
        funds_answer_in(req, zh, rc, NULL, &err);
        return HTTP_DONE;
    }
    return api_cmd_submit(c);
}

int funds_cancel_post(struct http_req *req, void *ctx)
{
    return act_post(ctx, req, WD_CANCEL);
}

int funds_appeal_post(struct http_req *req, void *ctx)
{
    return act_post(ctx, req, WD_APPEAL);
}
