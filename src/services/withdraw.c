/*
 * withdraw.c - withdrawal orders and their configuration; see withdraw.h for
 * the states, the money invariants and who moves what.
 *
 * withdraw_create runs the checks in the order docs/protocols/funds.md lists
 * for /order/v2/create; each returns the first failure's fg code with a
 * lowercase detail. Writes happen only after every check passed, inside the
 * caller's savepoint.
 */
#include "services/withdraw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/assert.h"
#include "core/money.h"
#include "ledger/ledger.h"
#include "services/directory.h"
#include "services/fx.h"
#include "store/store.h"

const char *const wd_roles[] = {"withdraw", "view", "api", NULL};
const char *const wd_action_names[] = {"approve", "reject", "reopen", "paid",
                                       "failed",  "cancel", "appeal"};

/* --- rules -------------------------------------------------------------- */

int wd_rule_put(struct store *s, const struct wd_rule *r, int64_t now_ms, bool *created,
                struct fg_err *err)
{
    int64_t exists = 0;
    int rc = store_query_int(s, "SELECT 1 FROM funds_rules WHERE currency = ?",
                             STORE_ARGS(SA_TEXT(r->currency)), &exists, err);
    if (rc == -FG_ENOT_FOUND)
        rc = 0;
    if (rc < 0)
        return rc;
    *created = !exists;
    return store_exec_changes(
        s,
        "INSERT INTO funds_rules (currency, min, max, fee_fixed, fee_bp, fee_min, fee_max, "
        "cooldown_s, settlement_days, cutoff_min, utc_offset_min, account_types, updated_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (currency) DO UPDATE SET "
        "min = excluded.min, max = excluded.max, fee_fixed = excluded.fee_fixed, "
        "fee_bp = excluded.fee_bp, fee_min = excluded.fee_min, fee_max = excluded.fee_max, "
        "cooldown_s = excluded.cooldown_s, settlement_days = excluded.settlement_days, "
        "cutoff_min = excluded.cutoff_min, utc_offset_min = excluded.utc_offset_min, "
        "account_types = excluded.account_types, updated_ms = excluded.updated_ms",
        STORE_ARGS(SA_TEXT(r->currency), SA_INT(r->min), SA_INT(r->max), SA_INT(r->fee.fee_fixed),
                   SA_INT(r->fee.fee_bp), SA_INT(r->fee.fee_min), SA_INT(r->fee.fee_max),
                   SA_INT(r->cooldown_s), SA_INT(r->vd.settlement_days), SA_INT(r->vd.cutoff_min),
                   SA_INT(r->vd.utc_offset_min), SA_INT(r->account_types), SA_INT(now_ms)),
        NULL, err);
}

static int rule_row(void *ctx, struct store_row *row)
{
    struct wd_rule *r = ctx;
    store_row_text_copy(row, 0, r->currency, sizeof(r->currency));
    r->min = store_row_int(row, 1);
    r->max = store_row_int(row, 2);
    r->fee.fee_fixed = store_row_int(row, 3);
    r->fee.fee_bp = store_row_int(row, 4);
    r->fee.fee_min = store_row_int(row, 5);
    r->fee.fee_max = store_row_int(row, 6);
    r->cooldown_s = store_row_int(row, 7);
    r->vd.settlement_days = (int)store_row_int(row, 8);
    r->vd.cutoff_min = (int)store_row_int(row, 9);
    r->vd.utc_offset_min = (int)store_row_int(row, 10);
    r->account_types = (unsigned)store_row_int(row, 11);
    return 1;
}

int wd_rule_get(struct store *s, const char *currency, struct wd_rule *out, struct fg_err *err)
{
    struct wd_rule r = {0};
    int rc = store_exec(s,
                        "SELECT currency, min, max, fee_fixed, fee_bp, fee_min, fee_max, "
                        "cooldown_s, settlement_days, cutoff_min, utc_offset_min, account_types "
                        "FROM funds_rules WHERE currency = ?",
                        STORE_ARGS(SA_TEXT(currency)), rule_row, &r, err);
    if (rc < 0)
        return rc;
    if (!r.currency[0])
        return fg_fail(err, -FG_EWD_NO_RULE, "no withdrawal rule for %.16s", currency);
    *out = r;
    return 0;
}

/* --- banks -------------------------------------------------------------- */

int wd_bank_put(struct store *s, const struct wd_bank *b, int64_t now_ms, bool *created,
                struct fg_err *err)
{
    struct wd_bank old;
    int rc = wd_bank_get(s, b->uuid, b->client_bank_id, &old, NULL);
    if (rc < 0 && rc != -FG_EWD_BANK_UNKNOWN)
        return rc;
    *created = rc == -FG_EWD_BANK_UNKNOWN;
    return store_exec_changes(
        s,
        "INSERT INTO funds_banks (uuid, client_bank_id, bank_name, account_no, holder_name, "
        "currency, status, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (uuid, client_bank_id) DO UPDATE SET bank_name = excluded.bank_name, "
        "account_no = excluded.account_no, holder_name = excluded.holder_name, "
        "currency = excluded.currency, status = excluded.status, "
        "updated_ms = excluded.updated_ms",
        STORE_ARGS(SA_TEXT(b->uuid), SA_TEXT(b->client_bank_id), SA_TEXT(b->bank_name),
                   SA_TEXT(b->account_no), SA_TEXT(b->holder_name), SA_TEXT(b->currency),
                   SA_TEXT(b->status), SA_INT(now_ms)),
        NULL, err);
}

static int bank_row(void *ctx, struct store_row *row)
{
    struct wd_bank *b = ctx;
    store_row_text_copy(row, 0, b->uuid, sizeof(b->uuid));
    store_row_text_copy(row, 1, b->client_bank_id, sizeof(b->client_bank_id));
    store_row_text_copy(row, 2, b->bank_name, sizeof(b->bank_name));
    store_row_text_copy(row, 3, b->account_no, sizeof(b->account_no));
    store_row_text_copy(row, 4, b->holder_name, sizeof(b->holder_name));
    store_row_text_copy(row, 5, b->currency, sizeof(b->currency));
    store_row_text_copy(row, 6, b->status, sizeof(b->status));
    return 1;
}

int wd_bank_get(struct store *s, const char *uuid, const char *client_bank_id, struct wd_bank *out,
                struct fg_err *err)
{
    struct wd_bank b = {0};
    int rc = store_exec(s,
                        "SELECT uuid, client_bank_id, bank_name, account_no, holder_name, "
                        "currency, status FROM funds_banks WHERE uuid = ? AND client_bank_id = ?",
                        STORE_ARGS(SA_TEXT(uuid), SA_TEXT(client_bank_id)), bank_row, &b, err);
    if (rc < 0)
        return rc;
    if (!b.uuid[0])
        return fg_fail(err, -FG_EWD_BANK_UNKNOWN, "no bank record '%.64s' for %.64s",
                       client_bank_id, uuid);
    *out = b;
    return 0;
}

/* --- calendars ---------------------------------------------------------- */

int wd_holidays_add(struct store *s, const char *currency, const int32_t *days, int n,
                    int32_t through_day, int64_t now_ms, bool *created, int32_t *through_out,
                    int *count_out, struct fg_err *err)
{
    int64_t old_through = -1, count = 0;
    int rc = store_query_int(s, "SELECT through_day FROM funds_calendars WHERE currency = ?",
                             STORE_ARGS(SA_TEXT(currency)), &old_through, err);
    if (rc == -FG_ENOT_FOUND) {
        rc = 0;
        old_through = -1;
    }
    if (rc < 0)
        return rc;
    *created = old_through < 0;
    for (int i = 0; i < n; i++) {
        rc = store_exec_changes(s,
                                "INSERT INTO funds_holidays (currency, day) VALUES (?, ?) "
                                "ON CONFLICT (currency, day) DO NOTHING",
                                STORE_ARGS(SA_TEXT(currency), SA_INT(days[i])), NULL, err);
        if (rc < 0)
            return rc;
        if (days[i] > through_day)
            through_day = days[i];
    }
    rc = store_query_int(s, "SELECT COUNT(*) FROM funds_holidays WHERE currency = ?",
                         STORE_ARGS(SA_TEXT(currency)), &count, err);
    if (rc < 0)
        return rc;
    if (count > FG_WD_HOLIDAYS_PER_CURRENCY_MAX)
        return fg_fail(err, -FG_ETOO_LARGE, "a calendar holds at most %d holidays",
                       FG_WD_HOLIDAYS_PER_CURRENCY_MAX);
    if (through_day < old_through)
        through_day = (int32_t)old_through; /* never shrink what is known */
    rc = store_exec_changes(
        s,
        "INSERT INTO funds_calendars (currency, through_day, updated_ms) VALUES (?, ?, ?) "
        "ON CONFLICT (currency) DO UPDATE SET through_day = excluded.through_day, "
        "updated_ms = excluded.updated_ms",
        STORE_ARGS(SA_TEXT(currency), SA_INT(through_day), SA_INT(now_ms)), NULL, err);
    *through_out = through_day;
    *count_out = (int)count;
    return rc;
}

struct holiday_list {
    int32_t *days;
    int n;
};

static int holiday_row(void *ctx, struct store_row *row)
{
    struct holiday_list *l = ctx;
    if (l->n >= FG_WD_HOLIDAYS_PER_CURRENCY_MAX)
        return 1;
    l->days[l->n++] = (int32_t)store_row_int(row, 0);
    return 0;
}

/* The calendar from `from_day` on; cal->holidays is malloc'd (free it). */
int wd_calendar_load(struct store *s, const char *currency, int32_t from_day,
                     struct wd_calendar *cal, struct fg_err *err)
{
    int64_t through = -1;
    memset(cal, 0, sizeof(*cal));
    cal->through_day = -1;
    int rc = store_query_int(s, "SELECT through_day FROM funds_calendars WHERE currency = ?",
                             STORE_ARGS(SA_TEXT(currency)), &through, err);
    if (rc == -FG_ENOT_FOUND)
        return 0;
    if (rc < 0)
        return rc;
    struct holiday_list l = {.days = malloc(sizeof(int32_t) * FG_WD_HOLIDAYS_PER_CURRENCY_MAX)};
    if (!l.days)
        return fg_fail(err, -FG_ENOMEM, "out of memory loading a calendar");
    rc = store_exec(
        s,
        "SELECT day FROM funds_holidays WHERE currency = ? AND day >= ? ORDER BY day "
        "LIMIT ?",
        STORE_ARGS(SA_TEXT(currency), SA_INT(from_day), SA_INT(FG_WD_HOLIDAYS_PER_CURRENCY_MAX)),
        holiday_row, &l, err);
    if (rc < 0) {
        free(l.days);
        return rc;
    }
    cal->holidays = l.days;
    cal->holiday_count = l.n;
    cal->through_day = (int32_t)through;
    return 0;
}

/* --- rates (the FX core's, services/fx.h) --------------------------------- */

int wd_convert(struct store *s, int64_t now_ms, const char *from, int from_digits, const char *to,
               int to_digits, int64_t amount, int64_t *out, int64_t *rate_mid, bool *inverted,
               struct fg_err *err)
{
    struct fxrate mid;
    /* What the customer's money is worth, rounded DOWN (never overstated). */
    int rc = fx_convert_mid(s, now_ms, from, from_digits, to, to_digits, amount, MONEY_ROUND_DOWN,
                            out, &mid, inverted, err);
    if (rc == -FG_EFX_NO_RATE || rc == -FG_EFX_RATE_STALE)
        return fg_fail(err, -FG_EWD_NO_RATE, "no usable rate between %.16s and %.16s: %s", from, to,
                       rc == -FG_EFX_NO_RATE ? "none is set" : "it is stale");
    if (rc == 0 && !fxrate_to_money(mid, MONEY_ROUND_HALF_EVEN, rate_mid))
        return fg_fail(err, -FG_EWD_NO_RATE, "the %.16s/%.16s mid has no 10-digit form", from, to);
    return rc;
}

/* --- operators ---------------------------------------------------------- */

int wd_operator_put(struct store *s, const struct wd_operator *o, int64_t now_ms, bool *created,
                    struct fg_err *err)
{
    struct wd_operator old;
    int rc = wd_operator_get(s, o->app_id, o->user_name, &old, NULL);
    if (rc < 0 && rc != -FG_EWD_OPERATOR)
        return rc;
    *created = rc == -FG_EWD_OPERATOR;
    return store_exec_changes(
        s,
        "INSERT INTO funds_operators (app_id, user_name, roles, account_types, status, "
        "updated_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (app_id, user_name) DO UPDATE SET "
        "roles = excluded.roles, account_types = excluded.account_types, "
        "status = excluded.status, updated_ms = excluded.updated_ms",
        STORE_ARGS(SA_TEXT(o->app_id), SA_TEXT(o->user_name), SA_INT(o->roles),
                   SA_INT(o->account_types), SA_TEXT(o->status), SA_INT(now_ms)),
        NULL, err);
}

static int operator_row(void *ctx, struct store_row *row)
{
    struct wd_operator *o = ctx;
    store_row_text_copy(row, 0, o->app_id, sizeof(o->app_id));
    store_row_text_copy(row, 1, o->user_name, sizeof(o->user_name));
    o->roles = (unsigned)store_row_int(row, 2);
    o->account_types = (unsigned)store_row_int(row, 3);
    store_row_text_copy(row, 4, o->status, sizeof(o->status));
    return 1;
}

int wd_operator_get(struct store *s, const char *app_id, const char *user_name,
                    struct wd_operator *out, struct fg_err *err)
{
    struct wd_operator o = {0};
    int rc = store_exec(s,
                        "SELECT app_id, user_name, roles, account_types, status FROM "
                        "funds_operators WHERE app_id = ? AND user_name = ?",
                        STORE_ARGS(SA_TEXT(app_id), SA_TEXT(user_name)), operator_row, &o, err);
    if (rc < 0)
        return rc;
    if (!o.app_id[0])
        return fg_fail(err, -FG_EWD_OPERATOR, "no operator '%.64s' for app %.64s", user_name,
                       app_id);
    *out = o;
    return 0;
}

/* --- orders: reading ---------------------------------------------------- */

#define ORDER_COLS                                                                                 \
    "o.id, o.serial, o.app_id, o.request_id, o.uuid, o.account_type, o.currency, o.amount, "       \
    "o.fee, o.net_amount, o.base_currency, o.base_amount, o.value_day, o.status, "                 \
    "o.client_bank_id, o.mode, o.source, o.initiator, o.hold_id, o.reason, o.appeal_reason, "      \
    "o.appeals, o.rejected_ms, o.created_ms, o.updated_ms, "                                       \
    "(SELECT digits FROM currencies WHERE code = o.currency), "                                    \
    "(SELECT digits FROM currencies WHERE code = o.base_currency), "                               \
    "o.payee_id, o.chain, o.address, o.bank_address_details, o.bank_mark"

static void order_from_row(struct store_row *row, struct wd_order *o)
{
    o->id = store_row_int(row, 0);
    store_row_text_copy(row, 1, o->serial, sizeof(o->serial));
    store_row_text_copy(row, 2, o->app_id, sizeof(o->app_id));
    store_row_text_copy(row, 3, o->request_id, sizeof(o->request_id));
    store_row_text_copy(row, 4, o->uuid, sizeof(o->uuid));
    store_row_text_copy(row, 5, o->account_type, sizeof(o->account_type));
    store_row_text_copy(row, 6, o->currency, sizeof(o->currency));
    o->amount = store_row_int(row, 7);
    o->fee = store_row_int(row, 8);
    o->net_amount = store_row_int(row, 9);
    store_row_text_copy(row, 10, o->base_currency, sizeof(o->base_currency));
    o->base_amount = store_row_int(row, 11);
    store_row_text_copy(row, 12, o->value_day, sizeof(o->value_day));
    store_row_text_copy(row, 13, o->status, sizeof(o->status));
    store_row_text_copy(row, 14, o->client_bank_id, sizeof(o->client_bank_id));
    o->mode = (int)store_row_int(row, 15);
    store_row_text_copy(row, 16, o->source, sizeof(o->source));
    store_row_text_copy(row, 17, o->initiator, sizeof(o->initiator));
    o->hold_id = store_row_int(row, 18);
    store_row_text_copy(row, 19, o->reason, sizeof(o->reason));
    store_row_text_copy(row, 20, o->appeal_reason, sizeof(o->appeal_reason));
    o->appeals = (int)store_row_int(row, 21);
    o->rejected_ms = store_row_int(row, 22);
    o->created_ms = store_row_int(row, 23);
    o->updated_ms = store_row_int(row, 24);
    o->digits = (int)store_row_int(row, 25);
    o->base_digits = (int)store_row_int(row, 26);
    store_row_text_copy(row, 27, o->payee_id, sizeof(o->payee_id));
    store_row_text_copy(row, 28, o->chain, sizeof(o->chain));
    store_row_text_copy(row, 29, o->address, sizeof(o->address));
    store_row_text_copy(row, 30, o->bank_address_details, sizeof(o->bank_address_details));
    store_row_text_copy(row, 31, o->bank_mark, sizeof(o->bank_mark));
}

static int order_row(void *ctx, struct store_row *row)
{
    order_from_row(row, ctx);
    return 1;
}

bool withdraw_serial_valid(const char *serial)
{
    size_t n = strlen(serial);
    if (n < 18 || n >= WD_SERIAL_BYTES_MAX || serial[0] != 'W' || serial[1] != 'D')
        return false;
    for (size_t i = 2; i < n; i++)
        if (serial[i] < '0' || serial[i] > '9')
            return false;
    return true;
}

int withdraw_get(struct store *s, const char *serial, struct wd_order *out, struct fg_err *err)
{
    if (!withdraw_serial_valid(serial))
        return fg_fail(err, -FG_EWD_ORDER_SERIAL, "'%.40s' is not an order serial", serial);
    out->id = 0;
    int rc = store_exec(s, "SELECT " ORDER_COLS " FROM funds_orders o WHERE o.serial = ?",
                        STORE_ARGS(SA_TEXT(serial)), order_row, out, err);
    if (rc < 0)
        return rc;
    if (!out->id)
        return fg_fail(err, -FG_EWD_ORDER_UNKNOWN, "no order %.40s", serial);
    return 0;
}

struct order_list_ctx {
    wd_order_fn fn;
    void *ctx;
};

static int order_list_row(void *ctx, struct store_row *row)
{
    struct order_list_ctx *l = ctx;
    struct wd_order *o = malloc(sizeof(*o));
    if (!o)
        return -FG_ENOMEM;
    order_from_row(row, o);
    int rc = l->fn(l->ctx, o);
    free(o);
    return rc;
}

int withdraw_list(struct store *s, const char *app_id, const char *uuid, const char *status,
                  int64_t after_id, int limit, wd_order_fn fn, void *ctx, struct fg_err *err)
{
    struct order_list_ctx l = {.fn = fn, .ctx = ctx};
    return store_exec(s,
                      "SELECT " ORDER_COLS " FROM funds_orders o WHERE (? = '' OR o.app_id = ?) "
                      "AND (? = '' OR o.uuid = ?) AND (? = '' OR o.status = ?) AND o.id > ? "
                      "ORDER BY o.id LIMIT ?",
                      STORE_ARGS(SA_TEXT(app_id), SA_TEXT(app_id), SA_TEXT(uuid), SA_TEXT(uuid),
                                 SA_TEXT(status), SA_TEXT(status), SA_INT(after_id), SA_INT(limit)),
                      order_list_row, &l, err);
}

static int text_row(void *ctx, struct store_row *row)
{
    char *buf = ctx;
    store_row_text_copy(row, 0, buf, FG_UUID_BYTES_MAX + 1);
    return 1;
}

/* The customer of app_id with that user name, or -FG_EUNKNOWN_CUSTOMER. */
static int customer_by_app_user(struct store *s, const char *app_id, const char *user_name,
                                struct customer *out, struct fg_err *err)
{
    char uuid[FG_UUID_BYTES_MAX + 1] = "";
    int rc = store_exec(s,
                        "SELECT uuid FROM customers WHERE app_id = ? AND user_name = ? "
                        "ORDER BY uuid LIMIT 1",
                        STORE_ARGS(SA_TEXT(app_id), SA_TEXT(user_name)), text_row, uuid, err);
    if (rc < 0)
        return rc;
    if (!uuid[0])
        return fg_fail(err, -FG_EUNKNOWN_CUSTOMER, "no customer '%.64s' in app %.64s", user_name,
                       app_id);
    return customer_get(s, uuid, out, err);
}

int withdraw_omnibus_check(const struct customer *cu, const struct wd_actor *actor,
                           struct fg_err *err)
{
    if (!cu->omnibus_account_id[0] || strcmp(cu->omnibus_account_id, actor->omnibus_id) == 0)
        return 0;
    return fg_fail(err, -FG_EWD_NO_PERMISSION,
                   "the token's OmnibusAccountId is not %.64s's omnibus account", cu->uuid);
}

int withdraw_actor_check(struct store *s, const struct wd_actor *actor, const char *uuid,
                         unsigned roles_any, struct fg_err *err)
{
    struct customer owner, me;
    int rc = customer_get(s, uuid, &owner, err);
    if (rc == -FG_EUNKNOWN_CUSTOMER || (rc == 0 && strcmp(owner.app_id, actor->app_id) != 0))
        return fg_fail(err, -FG_EWD_ORDER_UNKNOWN, "no such order for app %.64s", actor->app_id);
    if (rc < 0 || (rc = withdraw_omnibus_check(&owner, actor, err)) < 0)
        return rc;
    struct wd_operator op;
    rc = wd_operator_get(s, actor->app_id, actor->user_name, &op, NULL);
    bool is_operator = rc == 0;
    if (is_operator && strcmp(op.status, "active") == 0 && (op.roles & roles_any))
        return 0; /* back office or server of the app, with a role that may do this */
    if (rc < 0 && rc != -FG_EWD_OPERATOR)
        return rc;
    rc = customer_by_app_user(s, actor->app_id, actor->user_name, &me, NULL);
    if (rc == 0 && strcmp(me.uuid, uuid) == 0)
        return 0;
    if (rc < 0 && rc != -FG_EUNKNOWN_CUSTOMER)
        return rc;
    if (rc < 0 && !is_operator)
        return fg_fail(err, -FG_EWD_INITIATOR,
                       "%.64s is neither a customer nor an operator of app %.64s", actor->user_name,
                       actor->app_id);
    return fg_fail(err, -FG_EWD_NO_PERMISSION, "%.64s may not act on %.64s's orders",
                   actor->user_name, uuid);
}

/* --- orders: create ----------------------------------------------------- */

int wd_amount_parse(const char *text, const struct currency *cur, int64_t *out, struct fg_err *err)
{
    struct money_text t;
    struct fg_err inner;
    if (money_text_read(text, strlen(text), true, &t, &inner) < 0)
        return fg_fail(err, -FG_EBAD_FIELD, "'%.40s' is not a %.16s amount", text, cur->code);
    if (t.places > cur->digits)
        return fg_fail(err, -FG_EWD_AMOUNT_PRECISION, "%.16s amounts have %d fraction digits",
                       cur->code, cur->digits);
    if (money_text_minor(&t, cur->digits, false, out, &inner) < 0)
        return fg_fail(err, -FG_EBAD_FIELD, "'%.40s' is not a %.16s amount", text, cur->code);
    return 0;
}

/* Who creates the order (110015, 110014). Mode 1: a customer of the app,
 * active. Modes 2 and 3: a principal the app registered, an active operator
 * with role `withdraw` (2) or `api` (3, the app's server). A customer's token
 * in mode 2 or 3 may only be turned down: on another customer's account the
 * customer phase answers 110005 (ini is set), on its own 110014. A user that
 * is neither a customer nor an operator of the app is 110015 in every mode.
 * On success exactly one of ini (a customer) and op (an operator) is set. */
static int check_initiator(struct store *s, const struct wd_create_req *q, struct customer *ini,
                           struct wd_operator *op, struct fg_err *err)
{
    const struct wd_actor *a = &q->actor;
    int rc = wd_operator_get(s, a->app_id, a->user_name, op, NULL);
    bool is_operator = rc == 0;
    if (rc < 0 && rc != -FG_EWD_OPERATOR)
        return rc;
    rc = customer_by_app_user(s, a->app_id, a->user_name, ini, NULL);
    bool is_customer = rc == 0;
    if (rc < 0 && rc != -FG_EUNKNOWN_CUSTOMER)
        return rc;
    if (q->mode == WD_MODE_SELF) {
        memset(op, 0, sizeof(*op));
        if (!is_customer || strcmp(ini->status, "active") != 0)
            return fg_fail(err, -FG_EWD_INITIATOR,
                           "initiator %.64s does not exist or is not active", a->user_name);
        return 0;
    }
    unsigned role = q->mode == WD_MODE_OPERATOR ? WD_ROLE_WITHDRAW : WD_ROLE_API;
    if (is_operator) {
        memset(ini, 0, sizeof(*ini));
        if (strcmp(op->status, "active") != 0 || !(op->roles & role))
            return fg_fail(err, -FG_EWD_OPERATOR,
                           "operator %.64s may not create withdrawals in operation_mode_id %d",
                           op->user_name, q->mode);
        return 0;
    }
    memset(op, 0, sizeof(*op));
    if (!is_customer)
        return fg_fail(err, -FG_EWD_INITIATOR,
                       "initiator %.64s is neither a customer nor an operator of app %.64s",
                       a->user_name, a->app_id);
    if (strcmp(ini->uuid, q->uuid) == 0)
        return fg_fail(err, -FG_EWD_OPERATOR,
                       "operation_mode_id %d needs a principal the app registered, not a "
                       "customer's token",
                       q->mode);
    return 0; /* another customer's account: 110005 in the customer phase */
}

static int check_customer(struct store *s, const struct wd_create_req *q,
                          const struct customer *ini, const struct wd_operator *op,
                          struct customer *cu, struct fg_err *err)
{
    int rc = customer_get(s, q->uuid, cu, err);
    if (rc < 0)
        return rc; /* -FG_EUNKNOWN_CUSTOMER: 110002 */
    /* Another app's customer answers 110029 before anything of its state
     * (accounts, status, owner) can show through the codes that follow. */
    if (strcmp(cu->app_id, q->actor.app_id) != 0)
        return fg_fail(err, -FG_EWD_OTHER_APP, "customer %.64s is not of app %.64s", cu->uuid,
                       q->actor.app_id);
    int type = customer_account_type_index(q->account_type);
    int64_t accounts = 0;
    if (type >= 0)
        rc =
            store_query_int(s, "SELECT COUNT(*) FROM accounts WHERE owner = ? AND type = ?",
                            STORE_ARGS(SA_TEXT(q->uuid), SA_TEXT(q->account_type)), &accounts, err);
    if (rc < 0)
        return rc;
    if (type < 0 || accounts == 0)
        return fg_fail(err, -FG_EUNKNOWN_ACCOUNT, "%.64s has no %.16s account", q->uuid,
                       q->account_type);
    if (strcmp(cu->status, "disabled") == 0)
        return fg_fail(err, -FG_EWD_CUSTOMER_DISABLED, "customer %.64s is disabled", cu->uuid);
    if (strcmp(cu->status, "cancelled") == 0)
        return fg_fail(err, -FG_EWD_CUSTOMER_CANCELLED, "customer %.64s is cancelled", cu->uuid);
    if (strcmp(cu->status, "active") != 0)
        return fg_fail(err, -FG_ECUSTOMER_INACTIVE, "customer %.64s is %.16s", cu->uuid,
                       cu->status);
    /* A customer's token acts on its own account only, in every mode. */
    if (ini->uuid[0] && strcmp(ini->uuid, cu->uuid) != 0)
        return fg_fail(err, -FG_EWD_INITIATOR_MISMATCH, "initiator %.64s is not %.64s", ini->uuid,
                       cu->uuid);
    if ((rc = withdraw_omnibus_check(cu, &q->actor, err)) < 0)
        return rc;
    if (op->user_name[0] && !(op->account_types & (1u << type)))
        return fg_fail(err, -FG_EWD_OPERATOR_ACCOUNT_TYPE,
                       "operator %.64s may not create orders on %.16s accounts", op->user_name,
                       q->account_type);
    if (!(q->allowed_modes & (1u << q->mode)))
        return fg_fail(err, -FG_EWD_MODE_NOT_ALLOWED,
                       "operation_mode_id %d is not allowed for "
                       "app %.64s",
                       q->mode, q->actor.app_id);
    return 0;
}

static int check_bank(struct store *s, const struct wd_create_req *q, const struct customer *cu,
                      const struct currency *cur, struct fg_err *err)
{
    if (q->payee_id[0] && strcmp(q->payee_id, q->uuid) != 0 && cur->digital)
        return fg_fail(err, -FG_EWD_PAYEE, "payee %.64s is not %.64s", q->payee_id, q->uuid);
    if (cur->digital)
        return 0;
    struct wd_bank b;
    if (!q->client_bank_id[0])
        return fg_fail(err, -FG_EWD_BANK_UNKNOWN, "a fiat withdrawal needs client_bank_id");
    int rc = wd_bank_get(s, q->uuid, q->client_bank_id, &b, err);
    if (rc < 0)
        return rc;
    if (strcmp(b.status, "approved") != 0 && strcmp(b.status, "approving") != 0)
        return fg_fail(err, -FG_EWD_BANK_STATUS, "bank record %.64s is %.16s", b.client_bank_id,
                       b.status);
    if (!b.bank_name[0] || !b.account_no[0])
        return fg_fail(err, -FG_EWD_BANK_INCOMPLETE,
                       "bank record %.64s lacks bank name or "
                       "account number",
                       b.client_bank_id);
    if (q->payee_id[0] && strcmp(q->payee_id, q->uuid) != 0)
        return fg_fail(err, -FG_EWD_PAYEE, "payee %.64s is not %.64s", q->payee_id, q->uuid);
    if (strcmp(b.currency, q->currency) != 0)
        return fg_fail(err, -FG_EWD_PAYEE_CURRENCY, "bank record %.64s is in %.16s, not %.16s",
                       b.client_bank_id, b.currency, q->currency);
    if (strcasecmp(b.holder_name, cu->name) != 0 && !q->third_party_allowed)
        return fg_fail(err, -FG_EWD_THIRD_PARTY, "holder '%.64s' is not the customer",
                       b.holder_name);
    return 0;
}

static int check_amounts(const struct wd_create_req *q, const struct wd_rule *r,
                         const struct currency *cur, int64_t amount, int64_t *fee,
                         struct fg_err *err)
{
    char a[MONEY_FORMAT_BYTES_MAX], b[MONEY_FORMAT_BYTES_MAX];
    if (amount <= 0)
        return fg_fail(err, -FG_EAMOUNT_ZERO, "amount must be greater than zero");
    if (amount < r->min) {
        money_amount_format(r->min, cur->digits, a, sizeof(a));
        return fg_fail(err, -FG_EWD_BELOW_MIN, "amount below the minimum %s", a);
    }
    if (amount > r->max) {
        money_amount_format(r->max, cur->digits, a, sizeof(a));
        return fg_fail(err, -FG_EWD_ABOVE_MAX, "amount above the maximum %s", a);
    }
    int rc = withdraw_fee(&r->fee, amount, fee);
    if (rc < 0)
        return fg_fail(err, rc, "fee overflows");
    if (*fee >= amount) {
        money_amount_format(*fee, cur->digits, a, sizeof(a));
        return fg_fail(err, -FG_EWD_FEE_TOO_HIGH, "fee %s is not below the amount", a);
    }
    if (!q->fee[0])
        return 0;
    int64_t sent = 0;
    if (q->fee[0] == '-' || wd_amount_parse(q->fee, cur, &sent, NULL) < 0)
        return fg_fail(err, -FG_EWD_FEE_MISMATCH, "fee '%.32s' is not a %.16s amount", q->fee,
                       cur->code);
    if (sent > amount)
        return fg_fail(err, -FG_EWD_FEE_OVER_AMOUNT, "fee sent is greater than the amount");
    if (sent != *fee) {
        money_amount_format(*fee, cur->digits, a, sizeof(a));
        money_amount_format(sent, cur->digits, b, sizeof(b));
        return fg_fail(err, -FG_EWD_FEE_MISMATCH, "fee is %s, not %s", a, b);
    }
    return 0;
}

static int check_cooldown_pending(struct store *s, const struct wd_create_req *q,
                                  const struct wd_rule *r, int64_t now_ms, struct fg_err *err)
{
    int64_t last = 0, pending = 0;
    int rc = store_query_int(s,
                             "SELECT COALESCE(MAX(created_ms), 0) FROM funds_orders "
                             "WHERE uuid = ? AND currency = ?",
                             STORE_ARGS(SA_TEXT(q->uuid), SA_TEXT(q->currency)), &last, err);
    if (rc < 0)
        return rc;
    if (last && r->cooldown_s > 0 && now_ms - last < r->cooldown_s * 1000)
        return fg_fail(err, -FG_EWD_COOLDOWN, "retry in %lld s",
                       (long long)((last + r->cooldown_s * 1000 - now_ms + 999) / 1000));
    rc = store_query_int(s,
                         "SELECT COUNT(*) FROM funds_orders WHERE uuid = ? AND currency = ? "
                         "AND status IN ('pending_review', 'appealed')",
                         STORE_ARGS(SA_TEXT(q->uuid), SA_TEXT(q->currency)), &pending, err);
    if (rc < 0)
        return rc;
    if (pending)
        return fg_fail(err, -FG_EWD_PENDING_REVIEW,
                       "a %.16s withdrawal of %.64s is pending "
                       "review",
                       q->currency, q->uuid);
    return 0;
}

static int hold_create(struct store *s, int64_t now_ms, const struct wd_order *o, int64_t *hold_id,
                       struct fg_err *err)
{
    struct ledger_account acct, payouts;
    int rc = ledger_account_find(s, o->uuid, o->account_type, o->currency, &acct, err);
    if (rc == 0)
        rc = ledger_account_find(s, LEDGER_HOUSE, "payouts", o->currency, &payouts, err);
    if (rc < 0)
        return rc;
    struct ledger_transfer t = {
        .debit_id = acct.id, .credit_id = payouts.id, .amount = o->amount, .flags = LEDGER_PENDING};
    snprintf(t.currency, sizeof(t.currency), "%s", o->currency);
    snprintf(t.kind, sizeof(t.kind), "withdrawal");
    snprintf(t.ref, sizeof(t.ref), "funds.order:%s", o->serial);
    rc = ledger_transfer_create(s, now_ms, &t, err);
    if (rc < 0)
        return rc;
    *hold_id = t.id;
    return 0;
}

/* Base-currency amount and value day (110028, 110033). A conversion that
 * overflows has no usable rate: 110028, never a bare overflow. */
static int create_base_and_value_day(struct store *s, int64_t now_ms, const struct currency *cur,
                                     const struct currency *base, const struct wd_rule *rule,
                                     int64_t amount, struct wd_order *o, int32_t *value_day,
                                     struct fg_err *err)
{
    struct wd_calendar cal = {0};
    int64_t rate_mid = 0;
    bool inverted = false;
    int rc = wd_convert(s, now_ms, cur->code, cur->digits, base->code, base->digits, amount,
                        &o->base_amount, &rate_mid, &inverted, err);
    if (rc == -FG_EOVERFLOW)
        return fg_fail(err, -FG_EWD_NO_RATE,
                       "no usable %.16s/%.16s rate: the base amount overflows", cur->code,
                       base->code);
    if (rc < 0)
        return rc;
    int32_t today = (int32_t)((now_ms + (int64_t)rule->vd.utc_offset_min * 60000) / 86400000);
    if ((rc = wd_calendar_load(s, cur->code, today, &cal, err)) < 0)
        return rc;
    rc = withdraw_value_day(&rule->vd, &cal, now_ms, value_day, err);
    free((void *)cal.holidays);
    return rc;
}

/* Every check passed: the order, as the request gave it, and its hold. */
static int order_write(struct store *s, int64_t now_ms, const struct wd_create_req *q,
                       struct wd_order *o, struct fg_err *err)
{
    int64_t next_id = 0;
    int rc = store_query_int(s, "SELECT COALESCE(MAX(id), 0) + 1 FROM funds_orders", STORE_NOARGS,
                             &next_id, err);
    if (rc < 0)
        return rc;
    char ymd[WD_DATE_BYTES];
    wd_date_format((int32_t)(now_ms / 86400000), ymd);
    snprintf(o->serial, sizeof(o->serial), "WD%.4s%.2s%.2s%08lld", ymd, ymd + 5, ymd + 8,
             (long long)next_id);
    o->id = next_id;
    snprintf(o->app_id, sizeof(o->app_id), "%s", q->actor.app_id);
    snprintf(o->request_id, sizeof(o->request_id), "%s", q->request_id);
    snprintf(o->uuid, sizeof(o->uuid), "%s", q->uuid);
    snprintf(o->account_type, sizeof(o->account_type), "%s",
             customer_account_types[customer_account_type_index(q->account_type)]);
    snprintf(o->status, sizeof(o->status), "pending_review");
    snprintf(o->client_bank_id, sizeof(o->client_bank_id), "%s", q->client_bank_id);
    o->mode = q->mode;
    snprintf(o->source, sizeof(o->source), "%s", q->source);
    snprintf(o->initiator, sizeof(o->initiator), "%s", q->actor.user_name);
    snprintf(o->payee_id, sizeof(o->payee_id), "%s", q->payee_id);
    snprintf(o->chain, sizeof(o->chain), "%s", q->chain);
    snprintf(o->address, sizeof(o->address), "%s", q->address);
    snprintf(o->bank_address_details, sizeof(o->bank_address_details), "%s",
             q->bank_address_details);
    snprintf(o->bank_mark, sizeof(o->bank_mark), "%s", q->bank_mark);
    o->created_ms = o->updated_ms = now_ms;
    if ((rc = hold_create(s, now_ms, o, &o->hold_id, err)) < 0)
        return rc;
    rc = store_exec_changes(
        s,
        "INSERT INTO funds_orders (id, serial, app_id, request_id, uuid, account_type, "
        "currency, amount, fee, net_amount, base_currency, base_amount, value_day, status, "
        "client_bank_id, payee_id, chain, address, bank_address_details, bank_mark, mode, "
        "source, initiator, hold_id, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        STORE_ARGS(SA_INT(o->id), SA_TEXT(o->serial), SA_TEXT(o->app_id), SA_TEXT(o->request_id),
                   SA_TEXT(o->uuid), SA_TEXT(o->account_type), SA_TEXT(o->currency),
                   SA_INT(o->amount), SA_INT(o->fee), SA_INT(o->net_amount),
                   SA_TEXT(o->base_currency), SA_INT(o->base_amount), SA_TEXT(o->value_day),
                   SA_TEXT(o->status), SA_TEXT(o->client_bank_id), SA_TEXT(o->payee_id),
                   SA_TEXT(o->chain), SA_TEXT(o->address), SA_TEXT(o->bank_address_details),
                   SA_TEXT(o->bank_mark), SA_INT(o->mode), SA_TEXT(o->source),
                   SA_TEXT(o->initiator), SA_INT(o->hold_id), SA_INT(now_ms), SA_INT(now_ms)),
        NULL, err);
    if (rc == -FG_ECONSTRAINT)
        return fg_fail(err, -FG_EWD_ORDER_EXISTS, "an order with request_id %.64s exists",
                       q->request_id);
    return rc;
}

/* Currency and precision (110004, 110024, 110025, 110216), flow permission
 * (110012 when no rule, 110201), digital currency and clearing id (110212,
 * 110213). */
static int check_currency(struct store *s, const struct wd_create_req *q,
                          struct ledger_account *acct, struct currency *cur, struct wd_rule *rule,
                          int64_t *amount, struct fg_err *err)
{
    int rc = ledger_account_find(s, q->uuid, q->account_type, q->currency, acct, err);
    if (rc == -FG_EUNKNOWN_ACCOUNT)
        return fg_fail(err,
                       strcmp(q->account_type, "wallet") == 0 ? -FG_EWD_WALLET_CURRENCY
                                                              : -FG_EWD_TRADING_CURRENCY,
                       "%.64s has no %.16s account in %.16s", q->uuid, q->account_type,
                       q->currency);
    if (rc == 0)
        rc = currency_get(s, q->currency, cur, err);
    if (rc == 0)
        rc = wd_amount_parse(q->amount, cur, amount, err);
    if (rc == 0)
        rc = wd_rule_get(s, q->currency, rule, err);
    if (rc < 0)
        return rc;
    if (!(rule->account_types & (1u << customer_account_type_index(q->account_type))))
        return fg_fail(err, -FG_EWD_FLOW_FORBIDDEN, "%.16s accounts may not withdraw %.16s",
                       q->account_type, q->currency);
    if (!cur->digital && (q->chain[0] || q->address[0]))
        return fg_fail(err, -FG_EWD_NOT_DIGITAL, "%.16s is not a digital currency", cur->code);
    if (cur->digital && (!q->chain[0] || !q->address[0]))
        return fg_fail(err, -FG_EWD_CLEARING_MISSING,
                       "a %.16s withdrawal needs chain (or clearing_id) and address", cur->code);
    return 0;
}

/* The order's amounts, currencies and value day (the base amount and value
 * day: 110028, 110033). */
static int order_fill(struct store *s, int64_t now_ms, const struct customer *cu,
                      const struct currency *cur, const struct wd_rule *rule, int64_t amount,
                      int64_t fee, struct wd_order *o, struct fg_err *err)
{
    struct currency base;
    int32_t value_day = 0;
    memset(o, 0, sizeof(*o));
    int rc = currency_get(s, cu->base_currency, &base, err);
    if (rc == 0)
        rc = create_base_and_value_day(s, now_ms, cur, &base, rule, amount, o, &value_day, err);
    if (rc < 0)
        return rc;
    snprintf(o->currency, sizeof(o->currency), "%s", cur->code);
    o->digits = cur->digits;
    o->amount = amount;
    o->fee = fee;
    o->net_amount = amount - fee;
    FG_ASSERT(o->net_amount > 0 && o->fee >= 0); /* check_amounts: 0 <= fee < amount */
    snprintf(o->base_currency, sizeof(o->base_currency), "%s", base.code);
    o->base_digits = base.digits;
    wd_date_format(value_day, o->value_day);
    return 0;
}

int withdraw_create(struct store *s, int64_t now_ms, const struct wd_create_req *q,
                    struct wd_order *o, struct fg_err *err)
{
    struct customer ini = {0}, cu;
    struct wd_operator op = {0};
    struct currency cur;
    struct wd_rule rule;
    struct ledger_account acct;
    int64_t amount = 0, fee = 0;

    /* Initiator and operator (110015, 110014). */
    int rc = check_initiator(s, q, &ini, &op, err);
    /* Customer and account (110002, 110029, 110003, 110034, 110035, 110005, 110006, 110009,
     * 110008). */
    if (rc == 0)
        rc = check_customer(s, q, &ini, &op, &cu, err);
    if (rc == 0)
        rc = check_currency(s, q, &acct, &cur, &rule, &amount, err);
    /* Bank and payee (110037, 110038, 110207, 110214, 110215, 110206). */
    if (rc == 0)
        rc = check_bank(s, q, &cu, &cur, err);
    /* Limits and fees (110208, 110204, 110205, 110209, 110210, 110211). */
    if (rc == 0)
        rc = check_amounts(q, &rule, &cur, amount, &fee, err);
    /* Cooldown and pending review (110202, 110203). */
    if (rc == 0)
        rc = check_cooldown_pending(s, q, &rule, now_ms, err);
    /* Funds (110013). */
    if (rc == 0 && ledger_account_available(&acct) < amount)
        rc = fg_fail(err, -FG_EINSUFFICIENT_FUNDS, "available balance is below the amount");
    if (rc == 0)
        rc = order_fill(s, now_ms, &cu, &cur, &rule, amount, fee, o, err);
    return rc == 0 ? order_write(s, now_ms, q, o, err) : rc;
}

/* --- orders: moves ------------------------------------------------------ */

struct move {
    enum wd_action action;
    const char *from[3]; /* states it may leave, NULL-terminated */
    const char *to;
};

/* The state diagram of withdraw.h, as data. */
static const struct move moves[] = {
    {WD_APPROVE, {"pending_review", NULL}, "approved"},
    {WD_REJECT, {"pending_review", "appealed", NULL}, "rejected"},
    {WD_REOPEN, {"appealed", NULL}, "pending_review"},
    {WD_PAID, {"approved", NULL}, "paid"},
    {WD_FAILED, {"approved", NULL}, "failed"},
    {WD_CANCEL, {"pending_review", NULL}, "cancelled"},
    {WD_APPEAL, {"rejected", NULL}, "appealed"},
};

static int hold_void(struct store *s, int64_t now_ms, const struct wd_order *o, struct fg_err *err)
{
    struct ledger_transfer t = {.flags = LEDGER_VOID, .pending_id = o->hold_id};
    snprintf(t.kind, sizeof(t.kind), "withdrawal_void");
    snprintf(t.ref, sizeof(t.ref), "funds.order:%s", o->serial);
    return ledger_transfer_create(s, now_ms, &t, err);
}

/* Post the hold (customer -> payouts, whole amount) and, linked, move the fee
 * payouts -> fees: net stays in payouts, the fee lands in fees. */
static int hold_post(struct store *s, int64_t now_ms, const struct wd_order *o, struct fg_err *err)
{
    struct ledger_account payouts, fees;
    int rc = ledger_account_find(s, LEDGER_HOUSE, "payouts", o->currency, &payouts, err);
    if (rc == 0)
        rc = ledger_account_find(s, LEDGER_HOUSE, "fees", o->currency, &fees, err);
    if (rc < 0)
        return rc;
    struct ledger_transfer t[2] = {
        {.flags = LEDGER_POST, .pending_id = o->hold_id},
        {.debit_id = payouts.id, .credit_id = fees.id, .amount = o->fee},
    };
    for (int i = 0; i < 2; i++) {
        snprintf(t[i].currency, sizeof(t[i].currency), "%s", o->currency);
        snprintf(t[i].kind, sizeof(t[i].kind), i == 0 ? "withdrawal_paid" : "withdrawal_fee");
        snprintf(t[i].ref, sizeof(t[i].ref), "funds.order:%s", o->serial);
    }
    return ledger_transfers_create_linked(s, now_ms, t, o->fee > 0 ? 2 : 1, err);
}

static int bank_approved(struct store *s, const struct wd_order *o, struct fg_err *err)
{
    if (!o->client_bank_id[0])
        return 0; /* digital: the address was the payee */
    struct wd_bank b;
    int rc = wd_bank_get(s, o->uuid, o->client_bank_id, &b, err);
    if (rc == 0 && strcmp(b.status, "approved") != 0)
        return fg_fail(err, -FG_EWD_BANK_NOT_APPROVED, "bank record %.64s is %.16s",
                       b.client_bank_id, b.status);
    if (rc == -FG_EWD_BANK_UNKNOWN)
        return fg_fail(err, -FG_EWD_BANK_NOT_APPROVED, "bank record %.64s is gone",
                       o->client_bank_id);
    return rc;
}

/* May actor make move a on order o? The owner alone appeals (110032); others
 * as withdraw_actor_check says. An order of another app does not exist. */
static int act_actor_check(struct store *s, const struct wd_order *o, enum wd_action a,
                           const struct wd_actor *actor, struct fg_err *err)
{
    if (strcmp(o->app_id, actor->app_id) != 0)
        return fg_fail(err, -FG_EWD_ORDER_UNKNOWN, "no order %.40s", o->serial);
    if (a != WD_APPEAL)
        return withdraw_actor_check(s, actor, o->uuid, WD_ROLES_ACT, err);
    struct customer me;
    int rc = customer_by_app_user(s, actor->app_id, actor->user_name, &me, NULL);
    if (rc < 0 && rc != -FG_EUNKNOWN_CUSTOMER)
        return rc;
    if (rc < 0 || strcmp(me.uuid, o->uuid) != 0)
        return fg_fail(err, -FG_EWD_APPEAL_AUTH, "only %.64s may appeal %.40s", o->uuid, o->serial);
    return withdraw_omnibus_check(&me, actor, err);
}

/* The money of move a (the hold), or the appeal's own rules. */
static int act_effect(struct store *s, int64_t now_ms, enum wd_action a, int64_t appeal_window_ms,
                      struct wd_order *o, struct fg_err *err)
{
    switch (a) {
    case WD_APPROVE:
        return bank_approved(s, o, err);
    case WD_REJECT:
        return strcmp(o->status, "pending_review") == 0 ? hold_void(s, now_ms, o, err) : 0;
    case WD_FAILED:
    case WD_CANCEL:
        return hold_void(s, now_ms, o, err);
    case WD_PAID:
        return hold_post(s, now_ms, o, err);
    case WD_REOPEN:
        return hold_create(s, now_ms, o, &o->hold_id, err);
    case WD_APPEAL:
        if (o->appeals >= 1)
            return fg_fail(err, -FG_EWD_ORDER_STATE, "order %.40s was appealed already", o->serial);
        if (now_ms > o->rejected_ms + appeal_window_ms)
            return fg_fail(err, -FG_EWD_APPEAL_DEADLINE, "the appeal window of %.40s closed",
                           o->serial);
        return 0;
    }
    FG_ASSERT(!"withdraw_act: unknown action");
    return -FG_EINTERNAL;
}

/* The order's new state, written. */
static int act_record(struct store *s, int64_t now_ms, enum wd_action a, const char *reason,
                      const char *to, struct wd_order *o, struct fg_err *err)
{
    if (a == WD_REJECT) {
        snprintf(o->reason, sizeof(o->reason), "%s", reason ? reason : "");
        o->rejected_ms = now_ms;
    }
    if (a == WD_APPEAL) {
        snprintf(o->appeal_reason, sizeof(o->appeal_reason), "%s", reason ? reason : "");
        o->appeals++;
    }
    snprintf(o->status, sizeof(o->status), "%s", to);
    o->updated_ms = now_ms;
    return store_exec_changes(
        s,
        "UPDATE funds_orders SET status = ?, hold_id = ?, reason = ?, appeal_reason = ?, "
        "appeals = ?, rejected_ms = ?, updated_ms = ? WHERE id = ?",
        STORE_ARGS(SA_TEXT(o->status), SA_INT(o->hold_id), SA_TEXT(o->reason),
                   SA_TEXT(o->appeal_reason), SA_INT(o->appeals), SA_INT(o->rejected_ms),
                   SA_INT(now_ms), SA_INT(o->id)),
        NULL, err);
}

int withdraw_act(struct store *s, int64_t now_ms, const char *serial, enum wd_action a,
                 const struct wd_actor *actor, const char *reason, int64_t appeal_window_ms,
                 struct wd_order *o, struct fg_err *err)
{
    const struct move *m = &moves[a];
    FG_ASSERT(m->action == a);
    int rc = withdraw_get(s, serial, o, err);
    if (rc == 0 && actor)
        rc = act_actor_check(s, o, a, actor, err);
    if (rc < 0)
        return rc;
    /* The move was made already: a retry answers the order. An order in
     * pending_review was reopened only if it was appealed. */
    if (strcmp(o->status, m->to) == 0 && (a != WD_REOPEN || o->appeals > 0))
        return 0;
    bool allowed = false;
    for (int i = 0; m->from[i]; i++)
        allowed |= strcmp(o->status, m->from[i]) == 0;
    if (!allowed)
        return fg_fail(err, -FG_EWD_ORDER_STATE, "order %.40s is %.16s; cannot %s", serial,
                       o->status, wd_action_names[a]);
    if ((rc = act_effect(s, now_ms, a, appeal_window_ms, o, err)) < 0)
        return rc;
    return act_record(s, now_ms, a, reason, m->to, o, err);
}

/* --- own-account transfers ---------------------------------------------- */

int withdraw_own_transfer(struct store *s, int64_t now_ms, const char *uuid, const char *from_type,
                          const char *to_type, const char *currency, int64_t amount,
                          const char *ref, int64_t *transfer_id, struct fg_err *err)
{
    struct ledger_account from, to;
    int rc = ledger_account_find(s, uuid, from_type, currency, &from, err);
    if (rc == 0)
        rc = ledger_account_find(s, uuid, to_type, currency, &to, err);
    if (rc < 0)
        return rc;
    if (ledger_account_available(&from) < amount)
        return fg_fail(err, -FG_EINSUFFICIENT_FUNDS, "available balance is below the amount");
    struct ledger_transfer t = {.debit_id = from.id, .credit_id = to.id, .amount = amount};
    snprintf(t.currency, sizeof(t.currency), "%s", currency);
    snprintf(t.kind, sizeof(t.kind), "own_transfer");
    snprintf(t.ref, sizeof(t.ref), "%s", ref);
    rc = ledger_transfer_create(s, now_ms, &t, err);
    if (rc == 0)
        *transfer_id = t.id;
    return rc;
}
