/*
 * funds_account.c - the Funds account routes: /account/v2/transfer (between
 * a customer's own accounts, idempotent on its request id like a create)
 * and /rate/v2/convert (a read: an amount, and optionally every balance of a
 * customer, in another currency at the mid rate, rounded down); see funds.h.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/api_cmd.h"
#include "api/api_idem.h"
#include "core/clock.h"
#include "core/fields.h"
#include "core/jsonx.h"
#include "core/money.h"
#include "core/reqhash.h"
#include "families/funds/funds.h"
#include "ledger/ledger.h"
#include "services/directory.h"
#include "services/withdraw.h"
#include "store/store.h"

#define FUNDS_TRANSFER_SCOPE "funds.transfer"

/* --- own-account transfer ---------------------------------------------------- */

/* Flows are named "<from>_to_<to>"; an app allows a list (default: the wallet
 * to and from each trading account). */
static const char *const default_flows[] = {"wallet_to_securities", "securities_to_wallet",
                                            "wallet_to_futures", "futures_to_wallet", NULL};

struct transfer_cmd {
    char request_id[FG_REQUEST_ID_BYTES_MAX + 1];
    char uuid[FG_UUID_BYTES_MAX + 1];
    char flow[40];
    char type[FG_NAME_BYTES_MAX + 1]; /* account_type: the flow's source */
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char amount[MONEY_TEXT_BYTES_MAX];
    char from[16], to[16];
    struct wd_actor actor;
    bool zh;
    struct api_idem idem;
};

static const struct field_spec transfer_fields[] = {
    {.name = "request_id",
     .kind = FIELD_ID,
     .required = true,
     FIELD_AT(struct transfer_cmd, request_id)},
    {.name = "uuid", .kind = FIELD_STR, .required = true, FIELD_AT(struct transfer_cmd, uuid)},
    {.name = "flow",
     .kind = FIELD_STR,
     .required = true,
     .refuse_code = -FG_EWD_FLOW_UNKNOWN,
     FIELD_AT(struct transfer_cmd, flow)},
    {.name = "account_type",
     .kind = FIELD_STR,
     .required = true,
     FIELD_AT(struct transfer_cmd, type)},
    {.name = "currency",
     .kind = FIELD_STR,
     .required = true,
     FIELD_AT(struct transfer_cmd, currency)},
    {.name = "amount",
     .kind = FIELD_DECIMAL,
     .required = true,
     .min = -1,
     FIELD_AT(struct transfer_cmd, amount)},
    {0},
};

static void transfer_free(void *p)
{
    struct transfer_cmd *t = p;
    api_idem_untrack(&t->idem);
}

/* Who may move the customer's money, and from which accounts (110029,
 * 110006, 110005, 110034, 110035, 110003, 110004). */
static int transfer_checks(struct store *s, const struct transfer_cmd *t, struct currency *cur,
                           struct fg_err *err)
{
    struct customer cu;
    int64_t accounts = 0;
    int rc = customer_get(s, t->uuid, &cu, err);
    if (rc == 0 && strcmp(cu.app_id, t->actor.app_id) != 0)
        rc = fg_fail(err, -FG_EWD_OTHER_APP, "customer %.64s is not of this app", t->uuid);
    if (rc == 0)
        rc = withdraw_omnibus_check(&cu, &t->actor, err); /* 110006, as everywhere */
    if (rc == 0 && (rc = withdraw_actor_check(s, &t->actor, t->uuid, WD_ROLES_ACT, err)) ==
                       -FG_EWD_NO_PERMISSION)
        rc = fg_fail(err, -FG_EWD_INITIATOR_MISMATCH, "%.64s may not move %.64s's money",
                     t->actor.user_name, t->uuid);
    if (rc == 0 && strcmp(cu.status, "disabled") == 0)
        rc = fg_fail(err, -FG_EWD_CUSTOMER_DISABLED, "customer is disabled");
    if (rc == 0 && strcmp(cu.status, "cancelled") == 0)
        rc = fg_fail(err, -FG_EWD_CUSTOMER_CANCELLED, "customer is cancelled");
    if (rc == 0)
        rc = store_query_int(s, "SELECT COUNT(*) FROM accounts WHERE owner = ? AND type IN (?, ?)",
                             STORE_ARGS(SA_TEXT(t->uuid), SA_TEXT(t->from), SA_TEXT(t->to)),
                             &accounts, err);
    if (rc == 0 && accounts == 0)
        rc = fg_fail(err, -FG_EUNKNOWN_ACCOUNT, "no %s or %s account", t->from, t->to);
    if (rc == 0 && currency_get(s, t->currency, cur, NULL) < 0)
        rc = fg_fail(err, -FG_EWD_WALLET_CURRENCY, "no accounts in %.16s", t->currency);
    return rc;
}

/* The money moves; *tid is the transfer. A '-' is refused as zero is (110208). */
static int transfer_move(struct store *s, const struct transfer_cmd *t, const struct currency *cur,
                         int64_t now_ms, int64_t *amount, int64_t *tid, struct fg_err *err)
{
    int rc = wd_amount_parse(t->amount, cur, amount, err);
    if (rc == 0 && *amount <= 0)
        rc = fg_fail(err, -FG_EAMOUNT_ZERO, "amount must be greater than zero");
    if (rc < 0)
        return rc;
    char ref[LEDGER_REF_BYTES_MAX];
    api_idem_ref(ref, FUNDS_TRANSFER_SCOPE, t->idem.key);
    rc = withdraw_own_transfer(s, now_ms, t->uuid, t->from, t->to, t->currency, *amount, ref, tid,
                               err);
    if (rc == -FG_EUNKNOWN_ACCOUNT)
        rc = fg_fail(err, -FG_EWD_WALLET_CURRENCY, "%.64s has no %s and %s accounts in %.16s",
                     t->uuid, t->from, t->to, t->currency);
    return rc;
}

static int transfer_run(struct api_cmd *c, struct store *s, int64_t now_ms)
{
    struct transfer_cmd *t = c->data;
    struct fg_err err = {0};
    struct currency cur;
    int64_t amount = 0, tid = 0;
    int rc = api_idem_replay(c, s, &t->idem, &err);
    if (rc > 0)
        return 0;
    if (rc == 0)
        rc = transfer_checks(s, t, &cur, &err);
    if (rc == 0)
        rc = transfer_move(s, t, &cur, now_ms, &amount, &tid, &err);
    if (rc == 0) {
        json_t *data =
            json_pack("{s:s,s:s,s:s,s:s,s:o,s:I}", "request_id", t->request_id, "uuid", t->uuid,
                      "flow", t->flow, "currency", t->currency, "amount",
                      jsonx_amount_new(amount, cur.digits), "transfer_id", (json_int_t)tid);
        rc = funds_answer_recorded(c, &t->idem, t->zh, data, tid, s, now_ms, &err);
    }
    if (rc < 0)
        funds_answer_in(c->req, t->zh, rc, NULL, &err);
    return rc;
}

/* Flow: known (110026), allowed for the app (110201), matching the type
 * (110030). Fills t->from and t->to. */
static int transfer_flow_check(struct transfer_cmd *t, json_t *app, struct fg_err *err)
{
    const char *sep = strstr(t->flow, "_to_");
    /* Each side must fit whole: a name too long is unknown, never cut. */
    if (sep && (size_t)(sep - t->flow) < sizeof(t->from))
        snprintf(t->from, sizeof(t->from), "%.*s", (int)(sep - t->flow), t->flow);
    if (sep && strlen(sep + 4) < sizeof(t->to))
        memcpy(t->to, sep + 4, strlen(sep + 4) + 1);
    if (!sep || customer_account_type_index(t->from) < 0 ||
        customer_account_type_index(t->to) < 0 || strcmp(t->from, t->to) == 0)
        return fg_fail(err, -FG_EWD_FLOW_UNKNOWN, "unknown flow '%.39s'", t->flow);
    json_t *flows = json_object_get(app, "transfer_flows");
    bool allowed = false;
    if (json_is_array(flows)) {
        size_t i;
        json_t *f;
        json_array_foreach(flows, i, f) allowed |=
            json_is_string(f) && strcmp(json_string_value(f), t->flow) == 0;
    } else {
        for (int i = 0; default_flows[i]; i++)
            allowed |= strcmp(default_flows[i], t->flow) == 0;
    }
    if (!allowed)
        return fg_fail(err, -FG_EWD_FLOW_FORBIDDEN, "flow %.39s is not allowed", t->flow);
    if (strcmp(t->type, t->from) != 0)
        return fg_fail(err, -FG_EWD_FLOW_TYPE, "flow %.39s moves money out of %s, not %.16s",
                       t->flow, t->from, t->type);
    return 0;
}

/* The transfer's defining content ("100" and "100.00" are one amount); the
 * token's omnibus account is part of it, as for a create. */
static int transfer_hash(struct transfer_cmd *t)
{
    char amt[48];
    funds_amount_canon(t->amount, amt, sizeof(amt));
    json_t *canon = json_pack("[s,s,s,s,s,s]", t->actor.user_name, t->uuid, t->flow, t->currency,
                              amt, t->actor.omnibus_id);
    int rc = canon ? reqhash_values(canon, "funds.transfer.v2", t->idem.hash) : -FG_ENOMEM;
    json_decref(canon);
    return rc;
}

int funds_transfer_post(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    bool zh = funds_wants_zh(req);
    struct fg_err err = {0};
    struct funds_auth a;
    if (!funds_authenticate_or_answer(api, req, zh, &a))
        return HTTP_DONE;
    struct api_cmd *c =
        api_cmd_new(api, &funds_family, req, transfer_run, sizeof(struct transfer_cmd));
    struct transfer_cmd *t = c->data;
    c->data_free = transfer_free;
    t->actor = a.actor;
    t->zh = zh;
    int rc = funds_fields(req, transfer_fields, t, &err);
    if (rc == 0)
        rc = transfer_flow_check(t, a.app, &err);
    json_decref(a.app);
    if (rc == 0) {
        api_idem_key(&t->idem, FUNDS_TRANSFER_SCOPE, t->actor.app_id, t->request_id);
        rc = transfer_hash(t);
    }
    if (rc == 0)
        rc = api_idem_track(api, &t->idem, &err); /* 110027 */
    if (rc < 0) {
        funds_answer_in(req, zh, rc, NULL, &err);
        return HTTP_DONE;
    }
    return api_cmd_submit(c);
}

/* --- rate conversion (read) ---------------------------------------------------- */

struct convert_req {
    char from[FG_CURRENCY_CODE_BYTES_MAX + 1], to[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char amount[MONEY_TEXT_BYTES_MAX];
    char uuid[FG_UUID_BYTES_MAX + 1]; /* "": no balances */
};

static const struct field_spec convert_fields[] = {
    {.name = "from_currency",
     .kind = FIELD_STR,
     .required = true,
     FIELD_AT(struct convert_req, from)},
    {.name = "to_currency", .kind = FIELD_STR, .required = true, FIELD_AT(struct convert_req, to)},
    {.name = "amount",
     .kind = FIELD_DECIMAL,
     .required = true,
     FIELD_AT(struct convert_req, amount)},
    {.name = "uuid", .kind = FIELD_STR, FIELD_AT(struct convert_req, uuid)},
    {0},
};

struct balance_ctx {
    struct store *s;
    int64_t now_ms;
    const struct currency *base;
    json_t *arr;
    int64_t total;
    int rc;
    struct fg_err *err;
};

static int balance_one(void *ctx, const struct ledger_account *acct)
{
    struct balance_ctx *b = ctx;
    struct currency cur;
    int64_t v = 0, rate = 0;
    bool inv = false;
    int rc = currency_get(b->s, acct->currency, &cur, b->err);
    if (rc == 0)
        rc = wd_convert(b->s, b->now_ms, cur.code, cur.digits, b->base->code, b->base->digits,
                        ledger_account_balance(acct), &v, &rate, &inv, b->err);
    if (rc == 0 && !money_add(b->total, v, &b->total))
        rc = fg_fail(b->err, -FG_EOVERFLOW, "total overflows");
    if (rc < 0) {
        b->rc = rc;
        return 1;
    }
    json_array_append_new(
        b->arr, json_pack("{s:s,s:s,s:o,s:o}", "type", acct->type, "currency", acct->currency,
                          "balance", jsonx_amount_new(ledger_account_balance(acct), cur.digits),
                          "base_amount", jsonx_amount_new(v, b->base->digits)));
    return 0;
}

/* Every balance of the customer in its base currency, added to data. */
static int convert_balances(struct store *s, const struct wd_actor *actor, const char *uuid,
                            json_t *data, struct fg_err *err)
{
    struct customer cu;
    struct currency base;
    int rc = customer_get(s, uuid, &cu, err);
    if (rc == 0 && strcmp(cu.app_id, actor->app_id) != 0)
        rc = fg_fail(err, -FG_EUNKNOWN_CUSTOMER, "no customer %.64s in this app", uuid);
    if (rc == 0)
        rc = withdraw_actor_check(s, actor, uuid, WD_ROLES_READ, err);
    if (rc == 0)
        rc = currency_get(s, cu.base_currency, &base, err);
    struct balance_ctx b = {
        .s = s, .now_ms = fg_clock_now_ms(), .base = &base, .arr = json_array(), .err = err};
    if (rc == 0)
        rc = ledger_account_list(s, uuid, balance_one, &b, err);
    if (rc == 0)
        rc = b.rc;
    if (rc == 0) {
        json_object_set_new(data, "base_currency", json_string(base.code));
        json_object_set_new(data, "balances", json_incref(b.arr));
        json_object_set_new(data, "total_base_amount", jsonx_amount_new(b.total, base.digits));
    }
    json_decref(b.arr);
    return rc;
}

/* The amount in the other currency at the mid rate, rounded down. */
static int convert_amount(struct store *s, const struct convert_req *q, json_t **data,
                          struct fg_err *err)
{
    struct currency fc, tc;
    int64_t amount = 0, out = 0, rate = 0;
    bool inverted = false;
    int rc = currency_get(s, q->from, &fc, err);
    if (rc == 0)
        rc = currency_get(s, q->to, &tc, err);
    if (rc == 0)
        rc = wd_amount_parse(q->amount, &fc, &amount, err);
    if (rc == 0)
        rc = wd_convert(s, fg_clock_now_ms(), fc.code, fc.digits, tc.code, tc.digits, amount, &out,
                        &rate, &inverted, err);
    if (rc < 0)
        return rc;
    char rate_text[40], pair[40];
    money_rate_format(rate, MONEY_RATE_DIGITS, rate_text, sizeof(rate_text));
    snprintf(pair, sizeof(pair), "%s/%s", inverted ? tc.code : fc.code,
             inverted ? fc.code : tc.code);
    *data = json_pack("{s:s,s:s,s:o,s:o,s:s,s:s,s:s}", "from_currency", fc.code, "to_currency",
                      tc.code, "amount", jsonx_amount_new(amount, fc.digits), "converted_amount",
                      jsonx_amount_new(out, tc.digits), "pair", pair, "mid_rate", rate_text,
                      "rounding", "down");
    return 0;
}

int funds_convert_post(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    bool zh = funds_wants_zh(req);
    struct fg_err err = {0};
    struct funds_auth a;
    struct convert_req q = {0};
    json_t *data = NULL;
    struct store *s = NULL;
    int rc = funds_authenticate(api, req, &a, &err);
    if (rc == 0) {
        json_decref(a.app);
        rc = funds_fields(req, convert_fields, &q, &err);
    }
    if (rc == 0 && !(s = api_reader(api, &err)))
        rc = -FG_ESTORE;
    if (rc == 0)
        rc = convert_amount(s, &q, &data, &err);
    if (rc == 0 && q.uuid[0])
        rc = convert_balances(s, &a.actor, q.uuid, data, &err);
    if (rc < 0) {
        json_decref(data);
        data = NULL;
    }
    funds_answer_in(req, zh, rc, data, &err);
    return HTTP_DONE;
}
