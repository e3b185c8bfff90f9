/*
 * admin.c - the admin plane (/admin/v1/...) as one entry of the family list:
 * its route table, its reads (accounts, a journal page, reconciliation) and
 * the test hooks. Its writes are in admin_writes.c, admin_clients.c and
 * admin_ledger.c, the operator reads in admin_reads.c, the console's files
 * in console.c.
 *
 * Contract (issue 2): JSON in and out; amounts are decimal strings with the
 * currency's digits; errors are HTTP 4xx with
 * {"error":{"code":"<snake_case>","message":"..."}}. Every route is bearer-
 * token protected (api_admin_allowed); writes run on the engine's writer and
 * are audited (api/admin_write.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "admin/admin_int.h"
#include "api/admin_json.h"
#include "api/admin_write.h"
#include "api/api.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "engine/engine.h"
#include "ledger/ledger.h"
#include "services/directory.h"
#include "services/fx.h"
#include "store/store.h"

/* --- reads -------------------------------------------------------------- */

struct account_list_ctx {
    json_t *arr;
    struct api_digits dc;
};

static int account_list_one(void *ctx, const struct ledger_account *a)
{
    struct account_list_ctx *l = ctx;
    json_array_append_new(l->arr, api_account_json(a, api_digits_of(&l->dc, a->currency)));
    return 0;
}

static int accounts_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    struct fg_err err = {0};
    const char *uuid = NULL;
    int rc = http_req_query_once(req, "uuid", &uuid, &err);
    if (rc < 0) {
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    if (!uuid || !*uuid)
        return admin_accounts_page(api, req); /* every account, a page at a time (admin_reads.c) */
    struct store *s = api_reader(api, &err);
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
    api_respond_json(req, 200, json_pack("{s:o}", "accounts", l.arr));
    return HTTP_DONE;
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
    json_array_append_new(l->arr, api_transfer_json(t, l->digits));
    l->last = t->id;
    return 0;
}

static int transfers_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
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
    struct store *s = rc == 0 ? api_reader(api, &err) : NULL;
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
    api_respond_json(req, 200,
                     json_pack("{s:I,s:o,s:o}", "account_id", (json_int_t)account_id, "transfers",
                               l.arr, "next_after", next));
    return HTTP_DONE;
}

/* --- reconcile ---------------------------------------------------------- */

static int reconcile_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    struct fg_err err = {0};
    struct store *s = api_reader(api, &err);
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
    struct api_digits dc = {.s = s};
    for (int i = 0; i < r->currency_count; i++) {
        const struct ledger_currency_totals *t = &r->currencies[i];
        int d = api_digits_of(&dc, t->currency);
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
    api_respond_json(req, 200,
                     json_pack("{s:b,s:o,s:I,s:i,s:o}", "ok", r->ok, "currencies", ccys,
                               "fx_exchanges", (json_int_t)fx_checked, "violation_count",
                               r->violation_count, "violations", viol));
    free(r);
    return HTTP_DONE;
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
    if (api_parse_body(req, keys, &body) < 0)
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
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    int64_t now = 0;
    if (test_hook_int(req, api->cfg.test_clock, "--test-clock", "now_ms", INT64_MAX / 2, &now)) {
        fg_clock_set_ms(now);
        api_respond_json(req, 200, json_pack("{s:I}", "now_ms", (json_int_t)fg_clock_now_ms()));
    }
    return HTTP_DONE;
}

/* {"<fault>": n, ...} with the engine's fault names (engine.h); all or none set. */
static int test_fault_post(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    struct fg_err err = {0};
    if (!api->cfg.test_faults) {
        fg_fail(&err, -FG_ENOT_FOUND, "this test hook is off (start with --test-faults)");
        http_req_error(req, err.code, err.msg);
        return HTTP_DONE;
    }
    const char *keys[ENGINE_FAULT_COUNT + 1] = {NULL};
    for (int f = 0; f < ENGINE_FAULT_COUNT; f++)
        keys[f] = engine_faults[f].name;
    json_t *body;
    if (api_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    int64_t n[ENGINE_FAULT_COUNT];
    int rc = 0;
    for (int f = 0; f < ENGINE_FAULT_COUNT && rc == 0; f++)
        rc = jsonx_int(body, keys[f], false, 0, engine_faults[f].max, &n[f], &err);
    for (int f = 0; f < ENGINE_FAULT_COUNT && rc == 0; f++)
        if (json_object_get(body, keys[f]))
            engine_fault_set(api->engine, (enum engine_fault)f, n[f]);
    if (rc < 0) {
        json_decref(body);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    api_respond_json(req, 200, body);
    return HTTP_DONE;
}

/* --- writes ------------------------------------------------------------ */

static int currencies_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &admin_currency_write);
}

static int customers_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &admin_customer_write);
}

static int customers_patch(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &admin_customer_patch_write);
}

static int accounts_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &admin_account_write);
}

static int deposits_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &admin_deposit_write);
}

static int clients_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &admin_client_write);
}

static int adjustments_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &admin_adjustment_write);
}

static int holds_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &admin_hold_write);
}

static int hold_post_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &admin_hold_post_write);
}

static int hold_void_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &admin_hold_void_write);
}

static int linked_post(struct http_req *req, void *ctx)
{
    return api_admin_write(ctx, req, &admin_linked_write);
}

/* The console's pages: no token to load them (console.h). */
static const struct http_route console_routes[] = {
    {"GET", "/console", admin_console_index, NULL, "console"}, /* absolute links: same page */
    {"GET", "/console/", admin_console_index, NULL, "console"},
    {"GET", "/console/{}", admin_console_file, NULL, "console"},
};

static const struct http_route routes[] = {
    {"POST", "/admin/v1/currencies", currencies_post, NULL, "admin_currencies_post"},
    {"GET", "/admin/v1/currencies", admin_currencies_get, NULL, "admin_currencies_get"},
    {"POST", "/admin/v1/customers", customers_post, NULL, "admin_customers_post"},
    {"GET", "/admin/v1/customers", admin_customers_get, NULL, "admin_customers_get"},
    {"GET", "/admin/v1/customers/{}", admin_customer_get, NULL, "admin_customer_get"},
    {"PATCH", "/admin/v1/customers/{}", customers_patch, NULL, "admin_customers_patch"},
    {"POST", "/admin/v1/accounts", accounts_post, NULL, "admin_accounts_post"},
    {"GET", "/admin/v1/accounts", accounts_get, NULL, "admin_accounts_get"},
    {"GET", "/admin/v1/accounts/{}", admin_account_get, NULL, "admin_account_get"},
    {"GET", "/admin/v1/house-accounts", admin_house_accounts_get, NULL, "admin_house_accounts_get"},
    {"POST", "/admin/v1/deposits", deposits_post, NULL, "admin_deposits_post"},
    {"GET", "/admin/v1/transfers", transfers_get, NULL, "admin_transfers_get"},
    {"GET", "/admin/v1/transfers/{}", admin_transfer_get, NULL, "admin_transfer_get"},
    {"POST", "/admin/v1/transfers/linked", linked_post, NULL, "admin_transfers_linked_post"},
    {"POST", "/admin/v1/adjustments", adjustments_post, NULL, "admin_adjustments_post"},
    {"POST", "/admin/v1/holds", holds_post, NULL, "admin_holds_post"},
    {"POST", "/admin/v1/holds/{}/post", hold_post_post, NULL, "admin_hold_post"},
    {"POST", "/admin/v1/holds/{}/void", hold_void_post, NULL, "admin_hold_void"},
    {"GET", "/admin/v1/reconcile", reconcile_get, NULL, "admin_reconcile_get"},
    {"POST", "/admin/v1/clients", clients_post, NULL, "admin_clients_post"},
    {"GET", "/admin/v1/clients", admin_clients_get, NULL, "admin_clients_get"},
    {"GET", "/admin/v1/audit", admin_audit_get, NULL, "admin_audit_get"},
    {"POST", "/admin/v1/test/clock", test_clock_post, NULL, "admin_test_clock_post"},
    {"POST", "/admin/v1/test/fault", test_fault_post, NULL, "admin_test_fault_post"},
};

static const struct api_bootstrap_section sections[] = {
    {"currencies", "POST", "/admin/v1/currencies", NULL},
    {"customers", "POST", "/admin/v1/customers", NULL},
    {"accounts", "POST", "/admin/v1/accounts", NULL},
    {"deposits", "POST", "/admin/v1/deposits", NULL},
    {"clients", "POST", "/admin/v1/clients", NULL},
};

const struct api_family admin_family = {
    .name = "admin",
    .routes = console_routes,
    .route_count = (int)(sizeof(console_routes) / sizeof(console_routes[0])),
    .admin_routes = routes,
    .admin_route_count = (int)(sizeof(routes) / sizeof(routes[0])),
    .bootstrap = sections,
    .bootstrap_count = (int)(sizeof(sections) / sizeof(sections[0])),
};
