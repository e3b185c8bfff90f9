/*
 * admin.c - the admin plane (/admin/v1/...): currencies, customers, accounts,
 * deposits, transfers, reconciliation, API clients; bearer-token protected.
 *
 * Contract (issue 2, SYSTEM.md section 5): JSON in and out; amounts are decimal
 * strings with the currency's digits; errors are HTTP 4xx with
 * {"error":{"code":"<snake_case>","message":"..."}}. Creating an object that
 * exists with the same content answers 200 with it (201 when created), with
 * different content 409 already_exists; so a bootstrap file can be applied on
 * every start. Writes run on the engine's writer and are audited.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "app/app.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/money.h"
#include "ledger/idem.h"
#include "ledger/ledger.h"
#include "services/directory.h"
#include "services/fx.h"
#include "store/store.h"

#define ADMIN_DEPOSIT_SCOPE "admin.deposit"

static const char *const account_types[] = {"wallet", "securities", "futures", NULL};
static const char *const customer_statuses[] = {"active", "disabled", "cancelled", NULL};

/* --- auth and helpers --------------------------------------------------- */

bool admin_authorized(struct http_req *req)
{
    if (req->internal)
        return true;
    const char *h = http_req_header(req, "Authorization");
    const char *tok = app_admin_token();
    if (!h || strncmp(h, "Bearer ", 7) != 0 || !tok[0])
        return false;
    return fg_secure_equal(h + 7, strlen(h + 7), tok, strlen(tok));
}

bool admin_request_allowed(struct http_req *req)
{
    if (!admin_authorized(req)) {
        http_req_error(req, -FG_EUNAUTHORIZED, "missing or wrong admin bearer token");
        return false;
    }
    if (!app_rate_take(req, APP_ADMIN_RATE_FAMILY, APP_ADMIN_RATE_KEY)) {
        http_req_error(req, -FG_ERATE_LIMITED,
                       "the admin token is over its rate limit (--admin-rate-limit); retry after "
                       "Retry-After seconds");
        return false;
    }
    return true;
}

#define ADMIN_AUTH(req)                                                                            \
    do {                                                                                           \
        if (!admin_request_allowed(req))                                                           \
            return HTTP_DONE;                                                                      \
    } while (0)

static json_t *account_json(const struct ledger_account *a, int digits)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:o,s:o,s:o,s:s}", "account_id", (json_int_t)a->id, "uuid",
                     a->owner, "type", a->type, "currency", a->currency, "balance",
                     jsonx_amount_new(ledger_account_balance(a), digits), "available",
                     jsonx_amount_new(ledger_account_available(a), digits), "frozen",
                     jsonx_amount_new(a->debits_pending, digits), "status", a->status);
}

static const char *transfer_type(int flags)
{
    return (flags & LEDGER_PENDING) ? "pending"
           : (flags & LEDGER_POST)  ? "post"
           : (flags & LEDGER_VOID)  ? "void"
                                    : "plain";
}

static json_t *transfer_json(const struct ledger_transfer *t, int digits)
{
    json_t *o = json_pack("{s:I,s:s,s:I,s:I,s:o,s:s,s:s,s:I}", "id", (json_int_t)t->id, "type",
                          transfer_type(t->flags), "debit_account_id", (json_int_t)t->debit_id,
                          "credit_account_id", (json_int_t)t->credit_id, "amount",
                          jsonx_amount_new(t->amount, digits), "currency", t->currency, "kind",
                          t->kind, "ts_ms", (json_int_t)t->ts_ms);
    if (t->pending_id)
        json_object_set_new(o, "pending_id", json_integer(t->pending_id));
    if (t->timeout_ms)
        json_object_set_new(o, "timeout_ms", json_integer(t->timeout_ms));
    if (t->reverses_id)
        json_object_set_new(o, "reverses_id", json_integer(t->reverses_id));
    if (t->ref[0])
        json_object_set_new(o, "ref", json_string(t->ref));
    return o;
}

static json_t *customer_json(const struct customer *c)
{
    json_t *j =
        json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s}", "uuid", c->uuid, "user_name", c->user_name,
                  "name", c->name, "app_id", c->app_id, "company_id", (json_int_t)c->company_id,
                  "base_currency", c->base_currency, "status", c->status);
    if (j && c->omnibus_account_id[0])
        json_object_set_new(j, "omnibus_account_id", json_string(c->omnibus_account_id));
    return j;
}

/* Answer a refused command and return its code (so run() rolls back). */
static int refuse(struct http_req *req, int code, const struct fg_err *err)
{
    http_req_error(req, code, err->msg[0] ? err->msg : fg_strerror(code));
    return code;
}

/* --- currencies --------------------------------------------------------- */

static int currency_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct currency *cur = c->data;
    struct fg_err err = {0};
    bool created;
    int rc = currency_create(s, cur, now_ms, &created, &err);
    if (rc == 0)
        rc = app_audit(s, c->req, cur->code, now_ms, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    app_respond_json(c->req, created ? 201 : 200,
                     json_pack("{s:s,s:i,s:b}", "code", cur->code, "digits", cur->digits, "digital",
                               cur->digital));
    return 0;
}

static int currencies_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"code", "digits", "digital", NULL};
    (void)ctx;
    ADMIN_AUTH(req);
    json_t *body;
    if (app_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    struct fg_err err = {0};
    const char *code = NULL;
    int64_t digits = 0;
    bool digital = false;
    int rc = jsonx_str(body, "code", true, FG_CURRENCY_CODE_BYTES_MAX, &code, &err);
    if (rc == 0 && !currency_code_valid(code))
        rc = fg_fail(&err, -FG_EBAD_FIELD, "field 'code' must be 2 to %d of A-Z and 0-9",
                     FG_CURRENCY_CODE_BYTES_MAX);
    if (rc == 0)
        rc = jsonx_int(body, "digits", true, 0, FG_CURRENCY_DIGITS_MAX, &digits, &err);
    if (rc == 0)
        rc = jsonx_bool(body, "digital", false, &digital, &err);
    if (rc < 0) {
        json_decref(body);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    struct app_cmd *c = app_cmd_new(req, currency_run, sizeof(struct currency));
    struct currency *cur = c->data;
    snprintf(cur->code, sizeof(cur->code), "%s", code);
    cur->digits = (int)digits;
    cur->digital = digital;
    json_decref(body);
    return app_cmd_submit(c);
}

/* --- customers ---------------------------------------------------------- */

static int customer_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct customer *cu = c->data;
    struct fg_err err = {0};
    struct currency cur;
    bool created = false;
    int rc = currency_get(s, cu->base_currency, &cur, &err);
    if (rc == 0)
        rc = customer_create(s, cu, now_ms, &created, &err);
    if (rc == 0)
        rc = customer_get(s, cu->uuid, cu, &err);
    if (rc == 0)
        rc = app_audit(s, c->req, cu->uuid, now_ms, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    app_respond_json(c->req, created ? 201 : 200, customer_json(cu));
    return 0;
}

static int customers_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {
        "uuid",          "user_name",          "name", "app_id", "company_id",
        "base_currency", "omnibus_account_id", NULL};
    (void)ctx;
    ADMIN_AUTH(req);
    json_t *body;
    if (app_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    struct fg_err err = {0};
    const char *uuid = NULL, *user_name = NULL, *name = NULL, *app_id = "", *base = NULL,
               *omnibus = "";
    int64_t company_id = 0;
    int rc = jsonx_id(body, "uuid", true, FG_UUID_BYTES_MAX, &uuid, &err);
    if (rc == 0)
        rc = jsonx_str(body, "user_name", true, FG_NAME_BYTES_MAX, &user_name, &err);
    if (rc == 0)
        rc = jsonx_str(body, "name", true, FG_NAME_BYTES_MAX, &name, &err);
    if (rc == 0)
        rc = jsonx_id(body, "app_id", false, FG_NAME_BYTES_MAX, &app_id, &err);
    if (rc == 0)
        rc = jsonx_int(body, "company_id", false, 0, INT64_MAX, &company_id, &err);
    if (rc == 0)
        rc = jsonx_str(body, "base_currency", true, FG_CURRENCY_CODE_BYTES_MAX, &base, &err);
    if (rc == 0)
        rc = jsonx_id(body, "omnibus_account_id", false, FG_OMNIBUS_ID_BYTES_MAX, &omnibus, &err);
    if (rc < 0) {
        json_decref(body);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    struct app_cmd *c = app_cmd_new(req, customer_run, sizeof(struct customer));
    struct customer *cu = c->data;
    snprintf(cu->uuid, sizeof(cu->uuid), "%s", uuid);
    snprintf(cu->user_name, sizeof(cu->user_name), "%s", user_name);
    snprintf(cu->name, sizeof(cu->name), "%s", name);
    snprintf(cu->app_id, sizeof(cu->app_id), "%s", app_id ? app_id : "");
    cu->company_id = company_id;
    snprintf(cu->base_currency, sizeof(cu->base_currency), "%s", base);
    snprintf(cu->omnibus_account_id, sizeof(cu->omnibus_account_id), "%s", omnibus ? omnibus : "");
    json_decref(body);
    return app_cmd_submit(c);
}

static int customer_patch_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct customer *cu = c->data; /* uuid and status carry the request */
    struct fg_err err = {0};
    int rc = customer_set_status(s, cu->uuid, cu->status, now_ms, &err);
    if (rc == 0)
        rc = customer_get(s, cu->uuid, cu, &err);
    if (rc == 0)
        rc = app_audit(s, c->req, cu->uuid, now_ms, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    app_respond_json(c->req, 200, customer_json(cu));
    return 0;
}

static int customers_patch(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"status", NULL};
    (void)ctx;
    ADMIN_AUTH(req);
    json_t *body;
    if (app_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    struct fg_err err = {0};
    int status = 0;
    char uuid[FG_UUID_BYTES_MAX + 1];
    int rc = jsonx_enum(body, "status", true, customer_statuses, &status, &err);
    json_decref(body);
    if (rc < 0) {
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    if (!app_param_copy(req, 0, "uuid", FG_UUID_BYTES_MAX, uuid, sizeof(uuid)))
        return HTTP_DONE;
    struct app_cmd *c = app_cmd_new(req, customer_patch_run, sizeof(struct customer));
    struct customer *cu = c->data;
    memcpy(cu->uuid, uuid, sizeof(uuid));
    snprintf(cu->status, sizeof(cu->status), "%s", customer_statuses[status]);
    return app_cmd_submit(c);
}

/* --- accounts ----------------------------------------------------------- */

struct account_req {
    char uuid[FG_UUID_BYTES_MAX + 1];
    char type[LEDGER_TYPE_BYTES_MAX];
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
};

static int account_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct account_req *a = c->data;
    struct fg_err err = {0};
    struct customer cu;
    struct currency cur;
    struct ledger_account acct;
    int rc = customer_get(s, a->uuid, &cu, &err);
    if (rc == 0 && strcmp(cu.status, "cancelled") == 0)
        rc = fg_fail(&err, -FG_ECUSTOMER_INACTIVE, "customer %s is cancelled", a->uuid);
    if (rc == 0)
        rc = currency_get(s, a->currency, &cur, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    bool existed = ledger_account_find(s, a->uuid, a->type, a->currency, &acct, NULL) == 0;
    if (!existed)
        rc = ledger_account_open(s, a->uuid, a->type, a->currency, LEDGER_ACCT_CUSTOMER, now_ms,
                                 &acct, &err);
    if (rc == 0 && !existed)
        rc = app_audit(s, c->req, a->uuid, now_ms, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    app_respond_json(c->req, existed ? 200 : 201, account_json(&acct, cur.digits));
    return 0;
}

static int accounts_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"uuid", "type", "currency", NULL};
    (void)ctx;
    ADMIN_AUTH(req);
    json_t *body;
    if (app_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    struct fg_err err = {0};
    const char *uuid = NULL, *ccy = NULL;
    int type = 0;
    int rc = jsonx_str(body, "uuid", true, FG_UUID_BYTES_MAX, &uuid, &err);
    if (rc == 0)
        rc = jsonx_enum(body, "type", true, account_types, &type, &err);
    if (rc == 0)
        rc = jsonx_str(body, "currency", true, FG_CURRENCY_CODE_BYTES_MAX, &ccy, &err);
    if (rc < 0) {
        json_decref(body);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    struct app_cmd *c = app_cmd_new(req, account_run, sizeof(struct account_req));
    struct account_req *a = c->data;
    snprintf(a->uuid, sizeof(a->uuid), "%s", uuid);
    snprintf(a->type, sizeof(a->type), "%s", account_types[type]);
    snprintf(a->currency, sizeof(a->currency), "%s", ccy);
    json_decref(body);
    return app_cmd_submit(c);
}

/* Digits of a currency through a small per-request cache. */
struct digits_cache {
    struct store *s;
    int n;
    struct {
        char code[FG_CURRENCY_CODE_BYTES_MAX + 1];
        int digits;
    } e[16];
};

static int digits_of(struct digits_cache *dc, const char *code)
{
    for (int i = 0; i < dc->n; i++)
        if (strcmp(dc->e[i].code, code) == 0)
            return dc->e[i].digits;
    struct currency cur;
    int digits = currency_get(dc->s, code, &cur, NULL) == 0 ? cur.digits : 0;
    if (dc->n < 16) {
        snprintf(dc->e[dc->n].code, sizeof(dc->e[0].code), "%s", code);
        dc->e[dc->n++].digits = digits;
    }
    return digits;
}

struct account_list_ctx {
    json_t *arr;
    struct digits_cache dc;
};

static int account_list_one(void *ctx, const struct ledger_account *a)
{
    struct account_list_ctx *l = ctx;
    json_array_append_new(l->arr, account_json(a, digits_of(&l->dc, a->currency)));
    return 0;
}

static int accounts_get(struct http_req *req, void *ctx)
{
    (void)ctx;
    ADMIN_AUTH(req);
    struct fg_err err = {0};
    const char *uuid = NULL;
    int rc = http_req_query_once(req, "uuid", &uuid, &err);
    if (rc < 0) {
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    if (!uuid || !*uuid)
        return admin_accounts_page(req); /* every account, a page at a time (admin_reads.c) */
    struct store *s = app_reader(&err);
    if (!s) {
        http_req_error(req, -FG_ESTORE, err.msg);
        return HTTP_DONE;
    }
    struct customer cu;
    rc = customer_get(s, uuid, &cu, &err);
    if (rc < 0) {
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    struct account_list_ctx l = {.arr = json_array(), .dc = {.s = s}};
    rc = ledger_account_list(s, uuid, account_list_one, &l, &err);
    if (rc < 0) {
        json_decref(l.arr);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    app_respond_json(req, 200, json_pack("{s:o}", "accounts", l.arr));
    return HTTP_DONE;
}

/* --- deposits ----------------------------------------------------------- */

struct deposit_req {
    char request_id[FG_REQUEST_ID_BYTES_MAX + 1];
    char uuid[FG_UUID_BYTES_MAX + 1];
    char type[LEDGER_TYPE_BYTES_MAX];
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int digits;
    int64_t amount;
    uint8_t hash[FG_SHA256_BYTES];
};

static int deposit_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct deposit_req *d = c->data;
    struct fg_err err = {0};
    struct idem_rec rec;
    int rc = idem_get(s, ADMIN_DEPOSIT_SCOPE, d->request_id, &rec, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    if (rec.found) {
        if (idem_same_hash(&rec, d->hash)) {
            /* A replay: the original answer, byte for byte. */
            http_req_respond(c->req, rec.status, rec.response, rec.response_len);
            rec.response = NULL;
            idem_rec_release(&rec);
            return 0;
        }
        idem_rec_release(&rec);
        fg_fail(&err, -FG_EIDEMPOTENCY_CONFLICT,
                "request_id '%s' was used for a different deposit; nothing was applied",
                d->request_id);
        return refuse(c->req, err.code, &err);
    }
    struct customer cu;
    struct ledger_account acct, cash;
    rc = customer_get(s, d->uuid, &cu, &err);
    if (rc == 0 && strcmp(cu.status, "active") != 0)
        rc = fg_fail(&err, -FG_ECUSTOMER_INACTIVE, "customer %s is %s", cu.uuid, cu.status);
    if (rc == 0)
        rc = ledger_account_find(s, d->uuid, d->type, d->currency, &acct, &err);
    if (rc == 0)
        rc = ledger_account_find(s, LEDGER_HOUSE, "cash", d->currency, &cash, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    struct ledger_transfer t = {.debit_id = cash.id, .credit_id = acct.id, .amount = d->amount};
    snprintf(t.currency, sizeof(t.currency), "%s", d->currency);
    snprintf(t.kind, sizeof(t.kind), "deposit");
    snprintf(t.ref, sizeof(t.ref), ADMIN_DEPOSIT_SCOPE ":%s", d->request_id);
    rc = ledger_transfer_create(s, now_ms, &t, &err);
    if (rc == 0)
        rc = ledger_account_get(s, acct.id, &acct, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    json_t *resp =
        json_pack("{s:s,s:o,s:o}", "request_id", d->request_id, "transfer",
                  transfer_json(&t, d->digits), "account", account_json(&acct, d->digits));
    size_t len = 0;
    char *text = jsonx_dump(resp, &len);
    json_decref(resp);
    if (!text)
        return refuse(c->req, -FG_ENOMEM, &err);
    rc = idem_put(s, ADMIN_DEPOSIT_SCOPE, d->request_id, d->hash, 1, 201, text, len, t.id, now_ms,
                  &err);
    if (rc == 0)
        rc = app_audit(s, c->req, d->request_id, now_ms, &err);
    if (rc < 0) {
        free(text);
        return refuse(c->req, rc, &err);
    }
    http_req_respond(c->req, 201, text, len);
    return 0;
}

static int deposits_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"request_id", "uuid", "type", "currency", "amount", NULL};
    (void)ctx;
    ADMIN_AUTH(req);
    json_t *body;
    if (app_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    struct fg_err err = {0};
    const char *rid = NULL, *uuid = NULL, *ccy = NULL;
    int type = 0;
    struct currency cur;
    int64_t amount = 0;
    int rc = jsonx_id(body, "request_id", true, FG_REQUEST_ID_BYTES_MAX, &rid, &err);
    if (rc == 0)
        rc = jsonx_str(body, "uuid", true, FG_UUID_BYTES_MAX, &uuid, &err);
    if (rc == 0)
        rc = jsonx_enum(body, "type", true, account_types, &type, &err);
    if (rc == 0)
        rc = jsonx_str(body, "currency", true, FG_CURRENCY_CODE_BYTES_MAX, &ccy, &err);
    if (rc == 0 && !json_object_get(body, "amount"))
        rc = fg_fail(&err, -FG_EMISSING_FIELD, "field 'amount' is required");
    if (rc == 0) {
        /* Digits never change once a currency exists, so a read connection decides them. */
        struct store *s = app_reader(&err);
        rc = s ? currency_get(s, ccy, &cur, &err) : -FG_ESTORE;
    }
    if (rc == 0)
        rc = jsonx_amount(body, "amount", true, cur.digits, &amount, &err);
    if (rc == 0 && amount <= 0)
        rc = fg_fail(&err, -FG_EAMOUNT_ZERO, "field 'amount' must be greater than zero");
    if (rc < 0) {
        json_decref(body);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    struct app_cmd *c = app_cmd_new(req, deposit_run, sizeof(struct deposit_req));
    struct deposit_req *d = c->data;
    snprintf(d->request_id, sizeof(d->request_id), "%s", rid);
    snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
    snprintf(d->type, sizeof(d->type), "%s", account_types[type]);
    snprintf(d->currency, sizeof(d->currency), "%s", ccy);
    d->digits = cur.digits;
    d->amount = amount;
    char canon[512];
    int n = snprintf(canon, sizeof(canon), "deposit\n%s\n%s\n%s\n%lld", d->uuid, d->type,
                     d->currency, (long long)amount);
    fg_sha256(canon, (size_t)n, d->hash);
    json_decref(body);
    return app_cmd_submit(c);
}

/* --- transfers ---------------------------------------------------------- */

struct transfer_list_ctx {
    json_t *arr;
    int digits;
    int64_t last;
};

static int transfer_list_one(void *ctx, const struct ledger_transfer *t)
{
    struct transfer_list_ctx *l = ctx;
    json_array_append_new(l->arr, transfer_json(t, l->digits));
    l->last = t->id;
    return 0;
}

static int transfers_get(struct http_req *req, void *ctx)
{
    (void)ctx;
    ADMIN_AUTH(req);
    struct fg_err err = {0};
    int64_t account_id, after, limit;
    int rc = http_req_query_int64(req, "account_id", 0, 1, INT64_MAX, &account_id, &err);
    if (rc == 0 && !http_req_query(req, "account_id"))
        rc = fg_fail(&err, -FG_EMISSING_FIELD, "query parameter 'account_id' is required");
    if (rc == 0)
        rc = http_req_query_int64(req, "after", 0, 0, INT64_MAX, &after, &err);
    if (rc == 0)
        rc = http_req_query_int64(req, "limit", FG_PAGE_LIMIT_DEFAULT, 1, FG_PAGE_LIMIT_MAX, &limit,
                                  &err);
    struct store *s = rc == 0 ? app_reader(&err) : NULL;
    struct ledger_account acct;
    struct currency cur;
    if (rc == 0 && !s)
        rc = -FG_ESTORE;
    if (rc == 0)
        rc = ledger_account_get(s, account_id, &acct, &err);
    if (rc == 0)
        rc = currency_get(s, acct.currency, &cur, &err);
    if (rc < 0) {
        http_req_error(req, rc == -FG_EUNKNOWN_ACCOUNT ? -FG_EUNKNOWN_ACCOUNT : rc, err.msg);
        return HTTP_DONE;
    }
    struct transfer_list_ctx l = {.arr = json_array(), .digits = cur.digits};
    rc = ledger_transfer_list(s, account_id, after, (int)limit, transfer_list_one, &l, &err);
    if (rc < 0) {
        json_decref(l.arr);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    json_t *next = (int64_t)json_array_size(l.arr) == limit ? json_integer(l.last) : json_null();
    app_respond_json(req, 200,
                     json_pack("{s:I,s:o,s:o}", "account_id", (json_int_t)account_id, "transfers",
                               l.arr, "next_after", next));
    return HTTP_DONE;
}

/* --- reconcile ---------------------------------------------------------- */

static int reconcile_get(struct http_req *req, void *ctx)
{
    (void)ctx;
    ADMIN_AUTH(req);
    struct fg_err err = {0};
    struct store *s = app_reader(&err);
    struct ledger_report *r = calloc(1, sizeof(*r));
    int rc = !s ? -FG_ESTORE : !r ? -FG_ENOMEM : store_begin_read(s, &err);
    int64_t fx_checked = 0; /* issue 12: each exchange's legs at its rate, same snapshot */
    if (rc == 0) {
        rc = ledger_reconcile(s, r, &err);
        if (rc == 0)
            rc = fx_reconcile(s, r, &fx_checked, &err);
        store_rollback(s);
    }
    if (rc < 0) {
        free(r);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    json_t *ccys = json_array(), *viol = json_array();
    struct digits_cache dc = {.s = s};
    for (int i = 0; i < r->currency_count; i++) {
        const struct ledger_currency_totals *t = &r->currencies[i];
        int d = digits_of(&dc, t->currency);
        json_array_append_new(ccys,
                              json_pack("{s:s,s:I,s:I,s:o,s:o,s:o,s:o,s:b}", "currency",
                                        t->currency, "accounts", (json_int_t)t->accounts,
                                        "transfers", (json_int_t)t->transfers, "debits_posted",
                                        jsonx_amount_new(t->debits_posted, d), "credits_posted",
                                        jsonx_amount_new(t->credits_posted, d), "debits_pending",
                                        jsonx_amount_new(t->debits_pending, d), "credits_pending",
                                        jsonx_amount_new(t->credits_pending, d), "balanced",
                                        t->debits_posted == t->credits_posted &&
                                            t->debits_pending == t->credits_pending));
    }
    for (int i = 0; i < r->violation_count && i < LEDGER_RECONCILE_VIOLATIONS_MAX; i++)
        json_array_append_new(viol, json_string(r->violations[i]));
    app_respond_json(req, 200,
                     json_pack("{s:b,s:o,s:I,s:i,s:o}", "ok", r->ok, "currencies", ccys,
                               "fx_exchanges", (json_int_t)fx_checked, "violation_count",
                               r->violation_count, "violations", viol));
    free(r);
    return HTTP_DONE;
}

/* --- API clients -------------------------------------------------------- */

struct client_req {
    char family[32];
    char key[FG_NAME_BYTES_MAX + 1];
    json_t *config;
    json_t *public_view;
    bool created;
};

static void client_req_free(void *p)
{
    struct client_req *cr = p;
    json_decref(cr->config);
    json_decref(cr->public_view);
}

static int client_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct client_req *cr = c->data;
    struct fg_err err = {0};
    size_t len = 0;
    char *text = NULL;
    /* Secret fields are sealed before anything reaches the store (issue 9.4). */
    int rc = app_client_config_dump(cr->family, cr->key, cr->config, &text, &len, &err);
    if (rc < 0)
        return refuse(c->req, rc, &err);
    int64_t exists = 0;
    rc = store_query_int(s, "SELECT 1 FROM clients WHERE family = ? AND client_key = ?",
                         STORE_ARGS(SA_TEXT(cr->family), SA_TEXT(cr->key)), &exists, &err);
    if (rc == -FG_ENOT_FOUND)
        rc = 0;
    cr->created = !exists;
    int64_t count = 0;
    if (rc == 0 && cr->created && (rc = app_clients_count(s, &count, &err)) == 0 &&
        count >= FG_CLIENTS_MAX)
        rc = fg_fail(&err, -FG_ELIMIT,
                     "the client registry holds its maximum of %d clients; nothing was added",
                     FG_CLIENTS_MAX);
    if (rc == 0)
        rc = store_exec_changes(
            s,
            "INSERT INTO clients (family, client_key, config, created_ms, updated_ms) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (family, client_key) DO UPDATE SET "
            "config = excluded.config, updated_ms = excluded.updated_ms",
            STORE_ARGS(SA_TEXT(cr->family), SA_TEXT(cr->key), SA_TEXTN(text, len), SA_INT(now_ms),
                       SA_INT(now_ms)),
            NULL, &err);
    free(text);
    if (rc == 0) {
        char target[200];
        snprintf(target, sizeof(target), "%s/%s", cr->family, cr->key);
        rc = app_audit(s, c->req, target, now_ms, &err);
    }
    if (rc < 0)
        return refuse(c->req, rc, &err);
    app_respond_json(c->req, cr->created ? 201 : 200, json_incref(cr->public_view));
    return 0;
}

static void client_after_commit(struct app_cmd *c)
{
    struct client_req *cr = c->data;
    /* client_run checked FG_CLIENTS_MAX in the committed transaction; only
     * another process writing the same store could make this fail (logged). */
    (void)app_client_cache_put(cr->family, cr->key, cr->config);
}

static int clients_post(struct http_req *req, void *ctx)
{
    (void)ctx;
    ADMIN_AUTH(req);
    json_t *body;
    if (app_parse_body(req, NULL, &body) < 0)
        return HTTP_DONE;
    struct fg_err err = {0};
    const char *family = NULL;
    int rc = jsonx_str(body, "family", true, 31, &family, &err);
    const struct app_client_family *f = rc == 0 ? app_client_family_find(family) : NULL;
    if (rc == 0 && !f)
        rc = fg_fail(&err, -FG_EBAD_FIELD, "unknown family '%.31s'", family);
    char key[FG_NAME_BYTES_MAX + 1] = "";
    json_t *rate_limit = NULL; /* the registry's field, not the family's (app.h) */
    if (rc == 0)
        rc = app_client_rate_limit_take(body, &rate_limit, &err);
    if (rc == 0)
        rc = f->validate(body, key, sizeof(key), &err);
    if (rc < 0) {
        json_decref(rate_limit);
        json_decref(body);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    if (rate_limit)
        json_object_set_new(body, "rate_limit", rate_limit);
    struct app_cmd *c = app_cmd_new(req, client_run, sizeof(struct client_req));
    struct client_req *cr = c->data;
    c->data_free = client_req_free;
    c->after_commit = client_after_commit;
    snprintf(cr->family, sizeof(cr->family), "%s", f->family);
    snprintf(cr->key, sizeof(cr->key), "%s", key);
    cr->config = body;
    cr->public_view = json_deep_copy(body);
    for (int i = 0; f->secret_fields && f->secret_fields[i]; i++)
        json_object_del(cr->public_view, f->secret_fields[i]);
    json_object_set_new(cr->public_view, "client_key", json_string(key));
    json_object_set_new(cr->public_view, "rate_limit", app_client_rate_limit_json(body));
    return app_cmd_submit(c);
}

/* --- test hooks (off unless the server was started with their flag) ------ */

/* Read the hook's one integer field {"<field>": 0..max}; false when it answered. */
static bool test_hook_int(struct http_req *req, bool enabled, const char *flag, const char *field,
                          int64_t max, int64_t *out)
{
    if (!enabled) {
        struct fg_err err;
        fg_fail(&err, -FG_ENOT_FOUND, "this test hook is off (start with %s)", flag);
        http_req_error(req, err.code, err.msg);
        return false;
    }
    const char *const keys[] = {field, NULL};
    json_t *body;
    if (app_parse_body(req, keys, &body) < 0)
        return false;
    struct fg_err err = {0};
    int rc = jsonx_int(body, field, true, 0, max, out, &err);
    json_decref(body);
    if (rc < 0)
        http_req_error(req, rc, err.msg);
    return rc == 0;
}

static int test_clock_post(struct http_req *req, void *ctx)
{
    (void)ctx;
    ADMIN_AUTH(req);
    int64_t now = 0;
    if (test_hook_int(req, app_config()->test_clock, "--test-clock", "now_ms", INT64_MAX / 2,
                      &now)) {
        fg_clock_set_ms(now);
        app_respond_json(req, 200, json_pack("{s:I}", "now_ms", (json_int_t)fg_clock_now_ms()));
    }
    return HTTP_DONE;
}

/* {"<fault>": n, ...} with the engine's fault names (engine.h); all or none set. */
static int test_fault_post(struct http_req *req, void *ctx)
{
    (void)ctx;
    ADMIN_AUTH(req);
    struct fg_err err = {0};
    if (!app_config()->test_faults) {
        fg_fail(&err, -FG_ENOT_FOUND, "this test hook is off (start with --test-faults)");
        http_req_error(req, err.code, err.msg);
        return HTTP_DONE;
    }
    const char *keys[ENGINE_FAULT_COUNT + 1] = {NULL};
    for (int f = 0; f < ENGINE_FAULT_COUNT; f++)
        keys[f] = engine_faults[f].name;
    json_t *body;
    if (app_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    int64_t n[ENGINE_FAULT_COUNT];
    int rc = 0;
    for (int f = 0; f < ENGINE_FAULT_COUNT && rc == 0; f++)
        rc = jsonx_int(body, keys[f], false, 0, engine_faults[f].max, &n[f], &err);
    for (int f = 0; f < ENGINE_FAULT_COUNT && rc == 0; f++)
        if (json_object_get(body, keys[f]))
            engine_fault_set(app_engine(), (enum engine_fault)f, n[f]);
    if (rc < 0) {
        json_decref(body);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    app_respond_json(req, 200, body);
    return HTTP_DONE;
}

static const struct http_route routes[] = {
    {"POST", "/admin/v1/currencies", currencies_post, NULL, "admin_currencies_post"},
    {"POST", "/admin/v1/customers", customers_post, NULL, "admin_customers_post"},
    {"PATCH", "/admin/v1/customers/{}", customers_patch, NULL, "admin_customers_patch"},
    {"POST", "/admin/v1/accounts", accounts_post, NULL, "admin_accounts_post"},
    {"GET", "/admin/v1/accounts", accounts_get, NULL, "admin_accounts_get"},
    {"POST", "/admin/v1/deposits", deposits_post, NULL, "admin_deposits_post"},
    {"GET", "/admin/v1/transfers", transfers_get, NULL, "admin_transfers_get"},
    {"GET", "/admin/v1/reconcile", reconcile_get, NULL, "admin_reconcile_get"},
    {"POST", "/admin/v1/clients", clients_post, NULL, "admin_clients_post"},
    {"POST", "/admin/v1/test/clock", test_clock_post, NULL, "admin_test_clock_post"},
    {"POST", "/admin/v1/test/fault", test_fault_post, NULL, "admin_test_fault_post"},
};

/* --- shared with the other admin files (admin.h) ------------------------- */

json_t *admin_account_json(const struct ledger_account *a, int digits)
{
    return account_json(a, digits);
}

json_t *admin_transfer_json(const struct ledger_transfer *t, int digits)
{
    return transfer_json(t, digits);
}

json_t *admin_customer_json(const struct customer *c)
{
    return customer_json(c);
}

const struct http_route *admin_routes(int *count)
{
    *count = (int)(sizeof(routes) / sizeof(routes[0]));
    return routes;
}
