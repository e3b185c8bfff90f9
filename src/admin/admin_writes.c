/*
 * admin_writes.c - the admin plane's writes of the ledger's objects:
 * currencies, customers (and their status), accounts, deposits. Each is a
 * struct api_admin_write (api/admin_write.h): fields, then a run on the
 * writer that says its answer and audit target.
 *
 * Creating what exists with the same content answers 200 with it (201 when
 * created), with different content 409 already_exists; so a bootstrap file
 * can be applied on every start.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "admin/admin_int.h"
#include "api/admin_json.h"
#include "api/admin_write.h"
#include "api/api_idem.h"
#include "core/jsonx.h"
#include "core/reqhash.h"
#include "ledger/ledger.h"
#include "services/directory.h"

#define ADMIN_DEPOSIT_SCOPE "admin.deposit"

static const char *const customer_statuses[] = {"active", "disabled", "cancelled", NULL};

static int code_check(const char *name, const char *v, struct fg_err *err)
{
    return currency_code_valid(v)
               ? 0
               : fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be 2 to %d of A-Z and 0-9", name,
                         FG_CURRENCY_CODE_BYTES_MAX);
}

/* --- currencies --------------------------------------------------------- */

static const struct field_spec currency_fields[] = {
    {.name = "code",
     .kind = FIELD_STR,
     .required = true,
     .max = FG_CURRENCY_CODE_BYTES_MAX,
     FIELD_AT(struct currency, code),
     .check = code_check},
    {.name = "digits",
     .kind = FIELD_INT32,
     .required = true,
     .max = FG_CURRENCY_DIGITS_MAX,
     FIELD_AT(struct currency, digits)},
    {.name = "digital", .kind = FIELD_BOOL, FIELD_AT(struct currency, digital)},
    {0},
};

static int currency_run(struct api_cmd *c, struct store *s, int64_t now_ms,
                        struct api_write_result *out, struct fg_err *err)
{
    struct currency *cur = c->data;
    bool created = false;
    int rc = currency_create(s, cur, now_ms, &created, err);
    if (rc < 0)
        return rc;
    out->status = created ? 201 : 200;
    out->body = json_pack("{s:s,s:i,s:b}", "code", cur->code, "digits", cur->digits, "digital",
                          cur->digital);
    snprintf(out->target, sizeof(out->target), "%s", cur->code);
    return 0;
}

const struct api_admin_write admin_currency_write = {
    .fields = currency_fields,
    .data_size = sizeof(struct currency),
    .run = currency_run,
};

/* --- customers ---------------------------------------------------------- */

static const struct field_spec customer_fields[] = {
    {.name = "uuid",
     .kind = FIELD_ID,
     .required = true,
     .max = FG_UUID_BYTES_MAX,
     FIELD_AT(struct customer, uuid)},
    {.name = "user_name",
     .kind = FIELD_STR,
     .required = true,
     .max = FG_NAME_BYTES_MAX,
     FIELD_AT(struct customer, user_name)},
    {.name = "name",
     .kind = FIELD_STR,
     .required = true,
     .max = FG_NAME_BYTES_MAX,
     FIELD_AT(struct customer, name)},
    {.name = "app_id",
     .kind = FIELD_ID,
     .max = FG_NAME_BYTES_MAX,
     FIELD_AT(struct customer, app_id)},
    {.name = "company_id",
     .kind = FIELD_INT,
     .max = INT64_MAX,
     FIELD_AT(struct customer, company_id)},
    {.name = "base_currency",
     .kind = FIELD_STR,
     .required = true,
     .max = FG_CURRENCY_CODE_BYTES_MAX,
     FIELD_AT(struct customer, base_currency)},
    {.name = "omnibus_account_id",
     .kind = FIELD_ID,
     .max = FG_OMNIBUS_ID_BYTES_MAX,
     FIELD_AT(struct customer, omnibus_account_id)},
    {0},
};

static int customer_run(struct api_cmd *c, struct store *s, int64_t now_ms,
                        struct api_write_result *out, struct fg_err *err)
{
    struct customer *cu = c->data;
    struct currency cur;
    bool created = false;
    int rc = currency_get(s, cu->base_currency, &cur, err);
    if (rc == 0)
        rc = customer_create(s, cu, now_ms, &created, err);
    if (rc == 0)
        rc = customer_get(s, cu->uuid, cu, err);
    if (rc < 0)
        return rc;
    out->status = created ? 201 : 200;
    out->body = api_customer_json(cu);
    snprintf(out->target, sizeof(out->target), "%s", cu->uuid);
    return 0;
}

const struct api_admin_write admin_customer_write = {
    .fields = customer_fields,
    .data_size = sizeof(struct customer),
    .run = customer_run,
};

/* PATCH /admin/v1/customers/{uuid} {"status"}: uuid and status carry the request. */
static const struct api_param customer_params[] = {
    {"uuid", 0, FG_UUID_BYTES_MAX, offsetof(struct customer, uuid),
     sizeof(((struct customer *)0)->uuid)},
    {0},
};

static const struct field_spec customer_patch_fields[] = {
    {.name = "status",
     .kind = FIELD_ENUM,
     .required = true,
     .choices = customer_statuses,
     FIELD_AT(struct customer, status)},
    {0},
};

static int customer_patch_run(struct api_cmd *c, struct store *s, int64_t now_ms,
                              struct api_write_result *out, struct fg_err *err)
{
    struct customer *cu = c->data;
    int rc = customer_set_status(s, cu->uuid, cu->status, now_ms, err);
    if (rc == 0)
        rc = customer_get(s, cu->uuid, cu, err);
    if (rc < 0)
        return rc;
    out->body = api_customer_json(cu);
    snprintf(out->target, sizeof(out->target), "%s", cu->uuid);
    return 0;
}

const struct api_admin_write admin_customer_patch_write = {
    .fields = customer_patch_fields,
    .params = customer_params,
    .data_size = sizeof(struct customer),
    .run = customer_patch_run,
};

/* --- accounts ----------------------------------------------------------- */

struct account_req {
    char uuid[FG_UUID_BYTES_MAX + 1];
    char type[LEDGER_TYPE_BYTES_MAX];
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
};

static const struct field_spec account_fields[] = {
    {.name = "uuid",
     .kind = FIELD_STR,
     .required = true,
     .max = FG_UUID_BYTES_MAX,
     FIELD_AT(struct account_req, uuid)},
    {.name = "type",
     .kind = FIELD_ENUM,
     .required = true,
     .choices = customer_account_types,
     FIELD_AT(struct account_req, type)},
    {.name = "currency",
     .kind = FIELD_STR,
     .required = true,
     .max = FG_CURRENCY_CODE_BYTES_MAX,
     FIELD_AT(struct account_req, currency)},
    {0},
};

/* Opened, or found as it is (200, not audited: nothing changed). */
static int account_run(struct api_cmd *c, struct store *s, int64_t now_ms,
                       struct api_write_result *out, struct fg_err *err)
{
    struct account_req *a = c->data;
    struct customer cu;
    struct currency cur;
    struct ledger_account acct;
    int rc = customer_get(s, a->uuid, &cu, err);
    if (rc == 0 && strcmp(cu.status, "cancelled") == 0)
        rc = fg_fail(err, -FG_ECUSTOMER_INACTIVE, "customer %s is cancelled", a->uuid);
    if (rc == 0)
        rc = currency_get(s, a->currency, &cur, err);
    if (rc < 0)
        return rc;
    bool existed = ledger_account_find(s, a->uuid, a->type, a->currency, &acct, NULL) == 0;
    if (!existed && (rc = ledger_account_open(s, a->uuid, a->type, a->currency,
                                              LEDGER_ACCT_CUSTOMER, now_ms, &acct, err)) < 0)
        return rc;
    out->status = existed ? 200 : 201;
    out->audit = !existed;
    out->body = api_account_json(&acct, cur.digits);
    snprintf(out->target, sizeof(out->target), "%s", a->uuid);
    return 0;
}

const struct api_admin_write admin_account_write = {
    .fields = account_fields,
    .data_size = sizeof(struct account_req),
    .run = account_run,
};

/* --- deposits ----------------------------------------------------------- */

struct deposit_req {
    char request_id[FG_REQUEST_ID_BYTES_MAX + 1];
    char uuid[FG_UUID_BYTES_MAX + 1];
    char type[LEDGER_TYPE_BYTES_MAX];
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int digits;
    int64_t amount;
    struct api_idem idem;
};

/* The amount: required; digits from the currency (they never change once a
 * currency exists, so a read connection decides them); positive. */
static int deposit_amount(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                          struct fg_err *err)
{
    struct deposit_req *d = dst;
    struct currency cur;
    if (!json_object_get(body, f->name))
        return fg_fail(err, -FG_EMISSING_FIELD, "field '%s' is required", f->name);
    struct store *s = api_reader(ctx, err);
    int rc = s ? currency_get(s, d->currency, &cur, err) : -FG_ESTORE;
    if (rc == 0)
        rc = jsonx_amount(body, f->name, true, cur.digits, &d->amount, err);
    if (rc == 0 && d->amount <= 0)
        rc = fg_fail(err, -FG_EAMOUNT_ZERO, "field 'amount' must be greater than zero");
    if (rc == 0)
        d->digits = cur.digits;
    return rc;
}

static const struct field_spec deposit_fields[] = {
    {.name = "request_id",
     .kind = FIELD_ID,
     .required = true,
     .max = FG_REQUEST_ID_BYTES_MAX,
     FIELD_AT(struct deposit_req, request_id)},
    {.name = "uuid",
     .kind = FIELD_STR,
     .required = true,
     .max = FG_UUID_BYTES_MAX,
     FIELD_AT(struct deposit_req, uuid)},
    {.name = "type",
     .kind = FIELD_ENUM,
     .required = true,
     .choices = customer_account_types,
     FIELD_AT(struct deposit_req, type)},
    {.name = "currency",
     .kind = FIELD_STR,
     .required = true,
     .max = FG_CURRENCY_CODE_BYTES_MAX,
     FIELD_AT(struct deposit_req, currency)},
    {.name = "amount", .kind = FIELD_CUSTOM, .read = deposit_amount},
    {0},
};

/* The key, and the defining content: the amount in minor units ("100" is
 * "100.00"), not the JSON text. */
static int deposit_prepare(struct api *api, struct http_req *req, json_t *body, void *data,
                           struct fg_err *err)
{
    (void)api, (void)req, (void)body;
    struct deposit_req *d = data;
    api_idem_key(&d->idem, ADMIN_DEPOSIT_SCOPE, d->request_id, NULL);
    json_t *canon = json_pack("[s,s,s,I]", d->uuid, d->type, d->currency, (json_int_t)d->amount);
    int rc = canon ? reqhash_values(canon, "admin.deposit.v2", d->idem.hash) : -FG_ENOMEM;
    json_decref(canon);
    return rc < 0 ? fg_fail(err, rc, "out of memory") : 0;
}

/* house:cash -> the customer's account; a replay answers the first bytes. */
static int deposit_move(struct store *s, const struct deposit_req *d, int64_t now_ms,
                        struct ledger_transfer *t, struct ledger_account *acct, struct fg_err *err)
{
    struct customer cu;
    struct ledger_account cash;
    int rc = customer_get(s, d->uuid, &cu, err);
    if (rc == 0 && strcmp(cu.status, "active") != 0)
        rc = fg_fail(err, -FG_ECUSTOMER_INACTIVE, "customer %s is %s", cu.uuid, cu.status);
    if (rc == 0)
        rc = ledger_account_find(s, d->uuid, d->type, d->currency, acct, err);
    if (rc == 0)
        rc = ledger_account_find(s, LEDGER_HOUSE, "cash", d->currency, &cash, err);
    if (rc < 0)
        return rc;
    *t = (struct ledger_transfer){.debit_id = cash.id, .credit_id = acct->id, .amount = d->amount};
    snprintf(t->currency, sizeof(t->currency), "%s", d->currency);
    snprintf(t->kind, sizeof(t->kind), "deposit");
    snprintf(t->ref, sizeof(t->ref), ADMIN_DEPOSIT_SCOPE ":%s", d->request_id);
    rc = ledger_transfer_create(s, now_ms, t, err);
    return rc == 0 ? ledger_account_get(s, acct->id, acct, err) : rc;
}

static int deposit_run(struct api_cmd *c, struct store *s, int64_t now_ms,
                       struct api_write_result *out, struct fg_err *err)
{
    struct deposit_req *d = c->data;
    struct ledger_transfer t;
    struct ledger_account acct;
    out->audit = false;
    int rc = api_idem_replay(c, s, &d->idem, err);
    if (rc > 0)
        return 0; /* a replay: the original answer, byte for byte */
    if (rc == -FG_EIDEMPOTENCY_CONFLICT)
        return fg_fail(err, rc,
                       "request_id '%s' was used for a different deposit; nothing was applied",
                       d->request_id);
    if (rc == 0)
        rc = deposit_move(s, d, now_ms, &t, &acct, err);
    if (rc < 0)
        return rc;
    api_respond_json(c->req, 201,
                     json_pack("{s:s,s:o,s:o}", "request_id", d->request_id, "transfer",
                               api_transfer_json(&t, d->digits), "account",
                               api_account_json(&acct, d->digits)));
    out->audit = true;
    snprintf(out->target, sizeof(out->target), "%s", d->request_id);
    return api_idem_record(c, s, &d->idem, t.id, now_ms, err);
}

const struct api_admin_write admin_deposit_write = {
    .fields = deposit_fields,
    .data_size = sizeof(struct deposit_req),
    .prepare = deposit_prepare,
    .run = deposit_run,
};
