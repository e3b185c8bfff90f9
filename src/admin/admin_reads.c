/*
 * admin_reads.c - the operator reads of the admin plane (issue 15): customers
 * (a page, one), currencies, API clients (secrets redacted), accounts (a
 * page, one, the house accounts), one transfer, the audit log.
 *
 * Every read runs on the calling HTTP thread's read connection (a WAL
 * snapshot per statement), never waits for the writer and changes nothing.
 * Pages are bounded by FG_PAGE_LIMIT_MAX and carry the cursor of the next one
 * (null on the last). Refusals are the admin plane's: 400 bad_field for a
 * query or path parameter out of range (never cut to fit), 404 for what does
 * not exist.
 */
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "api/admin_json.h"
#include "api/api.h"
#include "api/clients.h"
#include "api/family.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "ledger/ledger.h"
#include "services/directory.h"
#include "store/store.h"

/* A read connection, or the answer that there is none (NULL). */
static struct store *reader(struct api *api, struct http_req *req)
{
    struct fg_err err = {0};
    struct store *s = api_reader(api, &err);
    if (!s)
        http_req_error(req, -FG_ESTORE, err.msg);
    return s;
}

/* Query parameter name, at most max bytes, given at most once ("" when
 * absent); false when it answered 400 (a longer value is refused, never cut). */
static bool query_text(struct http_req *req, const char *name, size_t max, const char **out)
{
    struct fg_err err = {0};
    const char *v = NULL;
    int rc = http_req_query_once(req, name, &v, &err);
    *out = v ? v : "";
    if (rc == 0 && strlen(*out) > max)
        rc = fg_fail(&err, -FG_EBAD_FIELD, "query parameter '%s' is longer than %zu bytes", name,
                     max);
    if (rc < 0)
        http_req_error(req, rc, err.msg);
    return rc == 0;
}

/* Path parameter i as a positive id; false when it answered 400. */
static bool param_id(struct http_req *req, int i, const char *name, int64_t *out)
{
    char *end = NULL;
    const char *p = req->params[i];
    long long v = strtoll(p, &end, 10);
    if (*p < '1' || *p > '9' || *end || strlen(p) > 18 || v <= 0) {
        struct fg_err err;
        fg_fail(&err, -FG_EBAD_FIELD, "path parameter '%s' must be a positive integer", name);
        http_req_error(req, err.code, err.msg);
        return false;
    }
    *out = v;
    return true;
}

static int digits_of(struct store *s, const char *code)
{
    struct currency cur;
    return currency_get(s, code, &cur, NULL) == 0 ? cur.digits : 0;
}

static void answer_rc(struct http_req *req, int rc, const struct fg_err *err)
{
    http_req_error(req, rc, err->msg[0] ? err->msg : fg_strerror(rc));
}

/* --- customers ---------------------------------------------------------- */

struct customers_page {
    json_t *arr;
    char last[FG_UUID_BYTES_MAX + 1];
};

static int customers_one(void *ctx, const struct customer *c)
{
    struct customers_page *p = ctx;
    json_array_append_new(p->arr, api_customer_json(c));
    memcpy(p->last, c->uuid, sizeof(p->last));
    return 0;
}

int admin_customers_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    struct fg_err err = {0};
    const char *q, *after;
    int64_t limit;
    if (!query_text(req, "q", FG_NAME_BYTES_MAX, &q) ||
        !query_text(req, "after", FG_UUID_BYTES_MAX, &after))
        return HTTP_DONE;
    int rc = http_req_query_int64(req, "limit", FG_PAGE_LIMIT_DEFAULT, 1, FG_PAGE_LIMIT_MAX, &limit,
                                  &err);
    struct store *s = rc == 0 ? reader(api, req) : NULL;
    if (rc < 0)
        answer_rc(req, rc, &err);
    if (!s)
        return HTTP_DONE;
    struct customers_page p = {.arr = json_array()};
    rc = customer_page(s, q, after, (int)limit, customers_one, &p, &err);
    if (rc < 0) {
        json_decref(p.arr);
        answer_rc(req, rc, &err);
        return HTTP_DONE;
    }
    json_t *next = (int64_t)json_array_size(p.arr) == limit ? json_string(p.last) : json_null();
    api_respond_json(req, 200, json_pack("{s:o,s:o}", "customers", p.arr, "next_after", next));
    return HTTP_DONE;
}

static int account_append(void *ctx, const struct ledger_account *a);

struct accounts_page {
    json_t *arr;
    struct store *s;
    int64_t last;
};

int admin_customer_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    char uuid[FG_UUID_BYTES_MAX + 1];
    if (!api_param_copy(req, 0, "uuid", FG_UUID_BYTES_MAX, uuid, sizeof(uuid)))
        return HTTP_DONE;
    struct store *s = reader(api, req);
    if (!s)
        return HTTP_DONE;
    struct fg_err err = {0};
    struct customer cu;
    struct accounts_page p = {.arr = json_array(), .s = s};
    int rc = customer_get(s, uuid, &cu, &err);
    if (rc == 0)
        rc = ledger_account_list(s, uuid, account_append, &p, &err);
    if (rc < 0) {
        json_decref(p.arr);
        answer_rc(req, rc, &err);
        return HTTP_DONE;
    }
    json_t *j = api_customer_json(&cu);
    json_object_set_new(j, "accounts", p.arr);
    api_respond_json(req, 200, j);
    return HTTP_DONE;
}

/* --- currencies and clients --------------------------------------------- */

static int currency_append(void *ctx, const struct currency *c)
{
    json_array_append_new(ctx, json_pack("{s:s,s:i,s:b}", "code", c->code, "digits", c->digits,
                                         "digital", c->digital));
    return 0;
}

int admin_currencies_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    struct store *s = reader(api, req);
    if (!s)
        return HTTP_DONE;
    struct fg_err err = {0};
    json_t *arr = json_array();
    int rc = currency_list(s, currency_append, arr, &err);
    if (rc < 0) {
        json_decref(arr);
        answer_rc(req, rc, &err);
        return HTTP_DONE;
    }
    api_respond_json(req, 200, json_pack("{s:o}", "currencies", arr));
    return HTTP_DONE;
}

struct clients_list {
    struct api *api;
    json_t *arr;
};

/* One stored client, every secret field of its family replaced by "[redacted]". */
static int client_append(void *ctx, struct store_row *row)
{
    struct clients_list *l = ctx;
    char family[32];
    store_row_text_copy(row, 0, family, sizeof(family));
    size_t len = 0;
    const char *text = store_row_text(row, 2, &len);
    json_t *config = text ? json_loadb(text, len, 0, NULL) : NULL;
    if (!json_is_object(config)) {
        json_decref(config);
        config = json_object();
    }
    const struct api_client_kind *f = api_client_kind_find(l->api, family);
    for (int i = 0; f && f->secret_fields && f->secret_fields[i]; i++)
        if (json_object_get(config, f->secret_fields[i]))
            json_object_set_new(config, f->secret_fields[i], json_string("[redacted]"));
    json_object_set_new(config, "rate_limit", api_client_rate_limit_json(config));
    size_t key_len = 0;
    const char *key = store_row_text(row, 1, &key_len);
    json_array_append_new(l->arr, json_pack("{s:s,s:s%,s:o,s:I,s:I}", "family", family,
                                            "client_key", key ? key : "", key_len, "config", config,
                                            "created_ms", (json_int_t)store_row_int(row, 3),
                                            "updated_ms", (json_int_t)store_row_int(row, 4)));
    return 0;
}

int admin_clients_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    const char *family;
    if (!query_text(req, "family", 31, &family))
        return HTTP_DONE;
    struct store *s = reader(api, req);
    if (!s)
        return HTTP_DONE;
    struct fg_err err = {0};
    struct clients_list l = {.api = api, .arr = json_array()};
    int rc = store_exec(s,
                        "SELECT family, client_key, config, created_ms, updated_ms FROM clients "
                        "WHERE ? = '' OR family = ? ORDER BY family, client_key LIMIT ?",
                        STORE_ARGS(SA_TEXT(family), SA_TEXT(family), SA_INT(FG_CLIENTS_MAX)),
                        client_append, &l, &err);
    if (rc < 0) {
        json_decref(l.arr);
        answer_rc(req, rc, &err);
        return HTTP_DONE;
    }
    api_respond_json(req, 200, json_pack("{s:o}", "clients", l.arr));
    return HTTP_DONE;
}

/* --- accounts ----------------------------------------------------------- */

static int account_append(void *ctx, const struct ledger_account *a)
{
    struct accounts_page *p = ctx;
    json_array_append_new(p->arr, api_account_json(a, digits_of(p->s, a->currency)));
    p->last = a->id;
    return 0;
}

int admin_account_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    int64_t id;
    if (!api_admin_allowed(api, req) || !param_id(req, 0, "account_id", &id))
        return HTTP_DONE;
    struct store *s = reader(api, req);
    if (!s)
        return HTTP_DONE;
    struct fg_err err = {0};
    struct ledger_account a;
    int rc = ledger_account_get(s, id, &a, &err);
    if (rc < 0) {
        fg_fail(&err, rc, "no account %lld", (long long)id);
        answer_rc(req, rc, &err);
        return HTTP_DONE;
    }
    api_respond_json(req, 200, api_account_json(&a, digits_of(s, a.currency)));
    return HTTP_DONE;
}

/* A page of accounts by filter: the house accounts, or GET /admin/v1/accounts
 * without uuid (admin.c hands it here). */
static int accounts_page_answer(struct api *api, struct http_req *req, const char *owner,
                                const char *key)
{
    struct fg_err err = {0};
    const char *type, *ccy;
    int64_t after, limit;
    if (!query_text(req, "type", LEDGER_TYPE_BYTES_MAX - 1, &type) ||
        !query_text(req, "currency", FG_CURRENCY_CODE_BYTES_MAX, &ccy))
        return HTTP_DONE;
    int rc = http_req_query_int64(req, "after", 0, 0, INT64_MAX, &after, &err);
    if (rc == 0)
        rc = http_req_query_int64(req, "limit", FG_PAGE_LIMIT_DEFAULT, 1, FG_PAGE_LIMIT_MAX, &limit,
                                  &err);
    struct store *s = rc == 0 ? reader(api, req) : NULL;
    if (rc < 0)
        answer_rc(req, rc, &err);
    if (!s)
        return HTTP_DONE;
    struct ledger_account_filter f = {.owner = owner, .type = type, .currency = ccy};
    struct accounts_page p = {.arr = json_array(), .s = s};
    rc = ledger_account_page(s, &f, after, (int)limit, account_append, &p, &err);
    if (rc < 0) {
        json_decref(p.arr);
        answer_rc(req, rc, &err);
        return HTTP_DONE;
    }
    json_t *next = (int64_t)json_array_size(p.arr) == limit ? json_integer(p.last) : json_null();
    api_respond_json(req, 200, json_pack("{s:o,s:o}", key, p.arr, "next_after", next));
    return HTTP_DONE;
}

int admin_accounts_page(struct api *api, struct http_req *req)
{
    const char *owner;
    if (!query_text(req, "owner", FG_UUID_BYTES_MAX, &owner))
        return HTTP_DONE;
    return accounts_page_answer(api, req, owner, "accounts");
}

int admin_house_accounts_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    return accounts_page_answer(api, req, LEDGER_HOUSE, "house_accounts");
}

/* --- one transfer ------------------------------------------------------- */

static const char *const hold_states[] = {"pending", "posted", "voided", "expired"};

int admin_transfer_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    int64_t id;
    if (!api_admin_allowed(api, req) || !param_id(req, 0, "transfer_id", &id))
        return HTTP_DONE;
    struct store *s = reader(api, req);
    if (!s)
        return HTTP_DONE;
    struct fg_err err = {0};
    struct ledger_transfer t;
    int rc = ledger_transfer_get(s, id, &t, &err);
    if (rc < 0) {
        if (rc == -FG_ENOT_FOUND || rc == -FG_EPENDING_NOT_FOUND)
            rc = fg_fail(&err, -FG_ENOT_FOUND, "no transfer %lld", (long long)id);
        answer_rc(req, rc, &err);
        return HTTP_DONE;
    }
    json_t *j = api_transfer_json(&t, digits_of(s, t.currency));
    enum ledger_hold_state st;
    if ((t.flags & LEDGER_PENDING) && ledger_hold_state(s, t.id, &st, NULL) == 0 && (int)st >= 0 &&
        (int)st < 4)
        json_object_set_new(j, "hold_state", json_string(hold_states[st]));
    api_respond_json(req, 200, j);
    return HTTP_DONE;
}

/* --- audit log ---------------------------------------------------------- */

struct audit_page {
    json_t *arr;
    int64_t last;
};

static int audit_append(void *ctx, struct store_row *row)
{
    struct audit_page *p = ctx;
    size_t n[5] = {0};
    const char *actor = store_row_text(row, 2, &n[0]), *action = store_row_text(row, 3, &n[1]),
               *target = store_row_text(row, 4, &n[2]), *trace = store_row_text(row, 5, &n[3]),
               *detail = store_row_text(row, 6, &n[4]);
    json_t *d = detail && n[4] ? json_loadb(detail, n[4], 0, NULL) : NULL;
    p->last = store_row_int(row, 0);
    json_array_append_new(
        p->arr, json_pack("{s:I,s:I,s:s%,s:s%,s:s%,s:s%,s:o}", "id", (json_int_t)p->last, "ts_ms",
                          (json_int_t)store_row_int(row, 1), "actor", actor ? actor : "", n[0],
                          "action", action ? action : "", n[1], "target", target ? target : "",
                          n[2], "trace", trace ? trace : "", n[3], "detail", d ? d : json_null()));
    return 0;
}

int admin_audit_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    struct fg_err err = {0};
    const char *actor, *action, *target;
    int64_t from, to, before, limit;
    if (!query_text(req, "actor", 32, &actor) || !query_text(req, "action", 64, &action) ||
        !query_text(req, "target", 200, &target))
        return HTTP_DONE;
    int rc = http_req_query_int64(req, "from_ms", 0, 0, INT64_MAX, &from, &err);
    if (rc == 0)
        rc = http_req_query_int64(req, "to_ms", INT64_MAX, 0, INT64_MAX, &to, &err);
    if (rc == 0)
        rc = http_req_query_int64(req, "before", INT64_MAX, 1, INT64_MAX, &before, &err);
    if (rc == 0)
        rc = http_req_query_int64(req, "limit", FG_PAGE_LIMIT_DEFAULT, 1, FG_PAGE_LIMIT_MAX, &limit,
                                  &err);
    struct store *s = rc == 0 ? reader(api, req) : NULL;
    if (rc < 0)
        answer_rc(req, rc, &err);
    if (!s)
        return HTTP_DONE;
    struct audit_page p = {.arr = json_array()};
    rc = store_exec(s,
                    "SELECT id, ts_ms, actor, action, target, trace, detail FROM audit "
                    "WHERE id < ? AND (? = '' OR actor = ?) AND (? = '' OR action = ?) "
                    "AND (? = '' OR target = ?) AND ts_ms >= ? AND ts_ms < ? "
                    "ORDER BY id DESC LIMIT ?",
                    STORE_ARGS(SA_INT(before), SA_TEXT(actor), SA_TEXT(actor), SA_TEXT(action),
                               SA_TEXT(action), SA_TEXT(target), SA_TEXT(target), SA_INT(from),
                               SA_INT(to), SA_INT(limit)),
                    audit_append, &p, &err);
    if (rc < 0) {
        json_decref(p.arr);
        answer_rc(req, rc, &err);
        return HTTP_DONE;
    }
    json_t *next = (int64_t)json_array_size(p.arr) == limit ? json_integer(p.last) : json_null();
    api_respond_json(req, 200, json_pack("{s:o,s:o}", "entries", p.arr, "next_before", next));
    return HTTP_DONE;
}
