/*
 * admin_ledger.c - the operator's ledger operations (issue 15): an adjustment
 * between any two accounts of one currency, holds (create with an optional
 * expiry, post in full or in part, void) and linked transfers (legs applied
 * all or nothing). Each is an admin write (api/admin_write.h).
 *
 * One path for all of them: the HTTP thread reads the body (strictly, like
 * the rest of the admin plane) through field specs, reads the accounts'
 * currencies on its read connection to parse amounts with their digits, and
 * hashes the defining content (core/reqhash.h); the command, on the engine's
 * writer, then
 *   1. looks up the idempotency record (scope "admin.ledger", the request_id;
 *      api/api_idem.h): same hash -> the original answer, byte for byte;
 *      other hash -> 409 idempotency_conflict, nothing applied;
 *   2. applies the transfers through the ledger (ledger.h), which checks
 *      currencies, balances of customer accounts, hold states and expiry;
 *   3. records the answer and an audit entry whose detail carries the
 *      reason, the legs and the transfer ids, in the same transaction.
 * A refusal writes nothing (the command's savepoint is rolled back) and is not
 * recorded, so a request can be fixed and sent again under the same id.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_int.h"
#include "api/admin_json.h"
#include "api/admin_write.h"
#include "api/api_idem.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/reqhash.h"
#include "core/utf8.h"
#include "ledger/ledger.h"
#include "services/directory.h"
#include "store/store.h"

#define LEDGER_OP_SCOPE "admin.ledger"
#define LEDGER_OP_HASH_TAG "admin.ledger.v2"
#define REASON_BYTES_MAX (FG_LEDGER_REASON_CHARS_MAX * UTF8_CHAR_BYTES_MAX)
#define HOLD_ID_DIGITS_MAX 18

enum op_kind { OP_ADJUST, OP_HOLD, OP_POST, OP_VOID, OP_LINKED };
static const char *const op_names[] = {"adjustment", "hold", "hold_post", "hold_void", "linked"};

struct ledger_op {
    enum op_kind kind;
    char request_id[FG_REQUEST_ID_BYTES_MAX + 1];
    char reason[REASON_BYTES_MAX + 1];
    char hold_id[HOLD_ID_DIGITS_MAX + 1]; /* OP_POST, OP_VOID: the path parameter */
    int64_t timeout_s;                    /* OP_HOLD: 0 for none */
    int n;
    struct ledger_transfer t[FG_LINKED_TRANSFERS_MAX];
    int digits[FG_LINKED_TRANSFERS_MAX];
    struct api_idem idem;
};

/* --- fields (HTTP thread) ------------------------------------------------- */

/* reason: 1 to FG_LEDGER_REASON_CHARS_MAX characters of valid UTF-8, kept as
 * given; required unless the spec says otherwise. */
static int reason_read(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                       struct fg_err *err)
{
    (void)ctx;
    struct ledger_op *op = dst;
    const char *r = "";
    int rc = jsonx_str(body, f->name, f->required, REASON_BYTES_MAX, &r, err);
    if (rc < 0)
        return rc;
    size_t n = strlen(r ? r : "");
    if (f->required && n == 0)
        return fg_fail(err, -FG_EMISSING_FIELD, "field 'reason' must not be empty");
    if (n && (!utf8_valid(r, n) || utf8_chars(r, n) > FG_LEDGER_REASON_CHARS_MAX))
        return fg_fail(err, -FG_EBAD_FIELD, "field 'reason' must be at most %d characters of UTF-8",
                       FG_LEDGER_REASON_CHARS_MAX);
    memcpy(op->reason, r ? r : "", n + 1);
    return 0;
}

/* The currency and digits of account id, read on this thread's connection. */
static int account_currency(struct store *s, int64_t id, const char *field, char *ccy, int *digits,
                            struct fg_err *err)
{
    struct ledger_account a;
    struct currency cur;
    if (ledger_account_get(s, id, &a, err) < 0)
        return fg_fail(err, -FG_EUNKNOWN_ACCOUNT, "field '%s': no account %lld", field,
                       (long long)id);
    int rc = currency_get(s, a.currency, &cur, err);
    if (rc < 0)
        return rc;
    memcpy(ccy, a.currency, sizeof(a.currency));
    *digits = cur.digits;
    return 0;
}

/* Leg i (its ids read): both accounts in one currency, two accounts; then
 * its amount with that currency's digits, positive. */
static int leg_finish(struct store *s, json_t *obj, struct ledger_op *op, int i, struct fg_err *err)
{
    struct ledger_transfer *t = &op->t[i];
    char credit_ccy[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int credit_digits = 0;
    int rc = account_currency(s, t->debit_id, "debit_account_id", t->currency, &op->digits[i], err);
    if (rc == 0)
        rc =
            account_currency(s, t->credit_id, "credit_account_id", credit_ccy, &credit_digits, err);
    if (rc == 0 && strcmp(t->currency, credit_ccy) != 0)
        rc = fg_fail(err, -FG_ECURRENCY_MISMATCH,
                     "the debit account holds %s, the credit account %s", t->currency, credit_ccy);
    if (rc == 0 && t->debit_id == t->credit_id)
        rc = fg_fail(err, -FG_ESAME_ACCOUNT, "debit and credit account are the same");
    if (rc == 0)
        rc = jsonx_amount(obj, "amount", true, op->digits[i], &t->amount, err);
    if (rc == 0 && t->amount <= 0)
        rc = fg_fail(err, -FG_EAMOUNT_ZERO, "field 'amount' must be greater than zero");
    return rc;
}

/* The leg of an adjustment or a hold, its ids read by the specs before. */
static int leg_read(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                    struct fg_err *err)
{
    (void)f;
    struct ledger_op *op = dst;
    struct store *s = api_reader(ctx, err);
    op->n = 1;
    return s ? leg_finish(s, body, op, 0, err) : -FG_ESTORE;
}

/* One leg {debit_account_id, credit_account_id, amount} of obj into op->t[i]. */
static int leg_parse(struct store *s, json_t *obj, struct ledger_op *op, int i, struct fg_err *err)
{
    static const char *const leg_keys[] = {"debit_account_id", "credit_account_id", "amount", NULL};
    struct ledger_transfer *t = &op->t[i];
    int rc = json_is_object(obj)
                 ? jsonx_check_keys(obj, leg_keys, err)
                 : fg_fail(err, -FG_EBAD_FIELD, "transfers[%d] is not an object", i);
    if (rc == 0)
        rc = jsonx_int(obj, "debit_account_id", true, 1, INT64_MAX, &t->debit_id, err);
    if (rc == 0)
        rc = jsonx_int(obj, "credit_account_id", true, 1, INT64_MAX, &t->credit_id, err);
    return rc == 0 ? leg_finish(s, obj, op, i, err) : rc;
}

/* transfers: 1 to FG_LINKED_TRANSFERS_MAX legs, applied all or nothing. */
static int legs_read(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                     struct fg_err *err)
{
    struct ledger_op *op = dst;
    json_t *legs = json_object_get(body, f->name);
    if (!json_is_array(legs) || json_array_size(legs) < 1 ||
        json_array_size(legs) > FG_LINKED_TRANSFERS_MAX)
        return fg_fail(err, -FG_EBAD_FIELD,
                       "field 'transfers' must be an array of 1 to %d transfers",
                       FG_LINKED_TRANSFERS_MAX);
    struct store *s = api_reader(ctx, err);
    if (!s)
        return -FG_ESTORE;
    for (size_t i = 0; i < json_array_size(legs); i++) {
        op->n = (int)i + 1;
        int rc = leg_parse(s, json_array_get(legs, i), op, (int)i, err);
        if (rc < 0) {
            char msg[FG_ERR_MSG_MAX];
            memcpy(msg, err->msg, sizeof(msg));
            return fg_fail(err, rc, "transfers[%zu]: %.200s", i, msg);
        }
    }
    return 0;
}

/* The hold of a post or void (the path parameter): its currency decides the
 * digits of a partial amount. */
static int hold_read(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                     struct fg_err *err)
{
    (void)body, (void)f;
    struct ledger_op *op = dst;
    const char *p = op->hold_id;
    if (*p < '1' || *p > '9' || strspn(p, "0123456789") != strlen(p))
        return fg_fail(err, -FG_EBAD_FIELD, "path parameter 'hold_id' must be a positive integer");
    long long id = strtoll(p, NULL, 10);
    struct store *s = api_reader(ctx, err);
    struct ledger_transfer pending;
    if (!s)
        return -FG_ESTORE;
    if (ledger_transfer_get(s, id, &pending, err) < 0 || !(pending.flags & LEDGER_PENDING))
        return fg_fail(err, -FG_EPENDING_NOT_FOUND, "no hold %lld", id);
    struct currency cur;
    int rc = currency_get(s, pending.currency, &cur, err);
    op->n = 1;
    op->t[0].pending_id = id;
    op->digits[0] = rc == 0 ? cur.digits : 0;
    return rc;
}

/* A post's optional partial amount, in the hold's digits, positive. */
static int post_amount_read(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                            struct fg_err *err)
{
    (void)ctx;
    struct ledger_op *op = dst;
    int rc = jsonx_amount(body, f->name, false, op->digits[0], &op->t[0].amount, err);
    if (rc == 0 && json_object_get(body, f->name) && op->t[0].amount <= 0)
        rc = fg_fail(err, -FG_EAMOUNT_ZERO, "field 'amount' must be greater than zero");
    return rc;
}

#define REQUEST_ID_FIELD                                                                           \
    {                                                                                              \
        .name = "request_id", .kind = FIELD_ID, .required = true, .max = FG_REQUEST_ID_BYTES_MAX,  \
        FIELD_AT(struct ledger_op, request_id)                                                     \
    }
#define ACCOUNT_FIELD(field_name, member)                                                          \
    {                                                                                              \
        .name = field_name, .kind = FIELD_INT, .required = true, .min = 1, .max = INT64_MAX,       \
        FIELD_AT(struct ledger_op, member)                                                         \
    }

static const struct field_spec adjust_fields[] = {
    REQUEST_ID_FIELD,
    {.name = "reason", .kind = FIELD_CUSTOM, .required = true, .read = reason_read},
    ACCOUNT_FIELD("debit_account_id", t[0].debit_id),
    ACCOUNT_FIELD("credit_account_id", t[0].credit_id),
    {.name = "amount", .kind = FIELD_CUSTOM, .read = leg_read},
    {0},
};

static const struct field_spec hold_fields[] = {
    REQUEST_ID_FIELD,
    {.name = "reason", .kind = FIELD_CUSTOM, .required = true, .read = reason_read},
    ACCOUNT_FIELD("debit_account_id", t[0].debit_id),
    ACCOUNT_FIELD("credit_account_id", t[0].credit_id),
    {.name = "amount", .kind = FIELD_CUSTOM, .read = leg_read},
    {.name = "timeout_s",
     .kind = FIELD_INT,
     .min = 1,
     .max = FG_LEDGER_HOLD_TIMEOUT_S_MAX,
     FIELD_AT(struct ledger_op, timeout_s)},
    {0},
};

static const struct field_spec post_fields[] = {
    REQUEST_ID_FIELD,
    {.name = "reason", .kind = FIELD_CUSTOM, .read = reason_read},
    {.name = ".hold", .kind = FIELD_CUSTOM, .read = hold_read},
    {.name = "amount", .kind = FIELD_CUSTOM, .read = post_amount_read},
    {0},
};

static const struct field_spec void_fields[] = {
    REQUEST_ID_FIELD,
    {.name = "reason", .kind = FIELD_CUSTOM, .read = reason_read},
    {.name = ".hold", .kind = FIELD_CUSTOM, .read = hold_read},
    {0},
};

static const struct field_spec linked_fields[] = {
    REQUEST_ID_FIELD,
    {.name = "reason", .kind = FIELD_CUSTOM, .required = true, .read = reason_read},
    {.name = "transfers", .kind = FIELD_CUSTOM, .read = legs_read},
    {0},
};

static const struct api_param hold_params[] = {
    {.name = "hold_id",
     .index = 0,
     .max_bytes = HOLD_ID_DIGITS_MAX,
     .offset = offsetof(struct ledger_op, hold_id),
     .cap = sizeof(((struct ledger_op *)0)->hold_id)},
    {0},
};

/* The key and the defining content: the operation, reason, expiry and legs. */
static int op_prepare(struct ledger_op *op, enum op_kind kind, struct fg_err *err)
{
    op->kind = kind;
    api_idem_key(&op->idem, LEDGER_OP_SCOPE, op->request_id, NULL);
    json_t *legs = json_array(), *canon = NULL;
    for (int i = 0; legs && i < op->n; i++)
        json_array_append_new(legs,
                              json_pack("[I,I,I,I]", (json_int_t)op->t[i].debit_id,
                                        (json_int_t)op->t[i].credit_id, (json_int_t)op->t[i].amount,
                                        (json_int_t)op->t[i].pending_id));
    if (legs)
        canon = json_pack("[s,s,I,o]", op_names[kind], op->reason, (json_int_t)op->timeout_s, legs);
    int rc = canon ? reqhash_values(canon, LEDGER_OP_HASH_TAG, op->idem.hash) : -FG_ENOMEM;
    json_decref(canon);
    return rc < 0 ? fg_fail(err, rc, "out of memory") : 0;
}

static int adjust_prepare(struct api *api, struct http_req *req, json_t *body, void *data,
                          struct fg_err *err)
{
    (void)api, (void)req, (void)body;
    return op_prepare(data, OP_ADJUST, err);
}

static int hold_prepare(struct api *api, struct http_req *req, json_t *body, void *data,
                        struct fg_err *err)
{
    (void)api, (void)req, (void)body;
    return op_prepare(data, OP_HOLD, err);
}

static int post_prepare(struct api *api, struct http_req *req, json_t *body, void *data,
                        struct fg_err *err)
{
    (void)api, (void)req, (void)body;
    return op_prepare(data, OP_POST, err);
}

static int void_prepare(struct api *api, struct http_req *req, json_t *body, void *data,
                        struct fg_err *err)
{
    (void)api, (void)req, (void)body;
    return op_prepare(data, OP_VOID, err);
}

static int linked_prepare(struct api *api, struct http_req *req, json_t *body, void *data,
                          struct fg_err *err)
{
    (void)api, (void)req, (void)body;
    return op_prepare(data, OP_LINKED, err);
}

/* --- the command (engine writer) ------------------------------------------ */

static int op_apply(struct store *s, struct ledger_op *op, int64_t now_ms, struct fg_err *err)
{
    static const char *const kinds[] = {"admin_adjustment", "admin_hold", "admin_hold",
                                        "admin_hold", "admin_linked"};
    for (int i = 0; i < op->n; i++) {
        struct ledger_transfer *t = &op->t[i];
        snprintf(t->kind, sizeof(t->kind), "%s", kinds[op->kind]);
        snprintf(t->ref, sizeof(t->ref), LEDGER_OP_SCOPE ":%s", op->request_id);
        t->flags = op->kind == OP_HOLD   ? LEDGER_PENDING
                   : op->kind == OP_POST ? LEDGER_POST
                   : op->kind == OP_VOID ? LEDGER_VOID
                                         : 0;
    }
    if (op->kind == OP_HOLD && op->timeout_s > 0)
        op->t[0].timeout_ms = now_ms + op->timeout_s * 1000;
    if (op->kind == OP_LINKED)
        return ledger_transfers_create_linked(s, now_ms, op->t, op->n, err);
    return ledger_transfer_create(s, now_ms, &op->t[0], err);
}

/* Append account id to arr unless it is there. */
static int account_add(struct store *s, json_t *arr, int64_t id, int digits, struct fg_err *err)
{
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (json_integer_value(json_object_get(json_array_get(arr, i), "account_id")) == id)
            return 0;
    struct ledger_account a;
    int rc = ledger_account_get(s, id, &a, err);
    if (rc == 0)
        json_array_append_new(arr, api_account_json(&a, digits));
    return rc;
}

/* {"request_id","operation","reason","transfers":[...],"accounts":[...]} */
static json_t *op_answer(struct store *s, struct ledger_op *op, struct fg_err *err)
{
    json_t *transfers = json_array(), *accounts = json_array();
    int rc = 0;
    for (int i = 0; i < op->n && rc == 0; i++) {
        json_t *t = api_transfer_json(&op->t[i], op->digits[i]);
        if (op->kind == OP_HOLD || op->kind == OP_POST || op->kind == OP_VOID)
            json_object_set_new(t, "hold_state",
                                json_string(op->kind == OP_HOLD   ? "pending"
                                            : op->kind == OP_POST ? "posted"
                                                                  : "voided"));
        json_array_append_new(transfers, t);
        rc = account_add(s, accounts, op->t[i].debit_id, op->digits[i], err);
        if (rc == 0)
            rc = account_add(s, accounts, op->t[i].credit_id, op->digits[i], err);
    }
    json_t *j = json_pack("{s:s,s:s,s:s,s:o,s:o}", "request_id", op->request_id, "operation",
                          op_names[op->kind], "reason", op->reason, "transfers", transfers,
                          "accounts", accounts);
    if (rc < 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* The audit detail: what the operator asked and which transfers it made. */
static char *op_detail(const struct ledger_op *op)
{
    json_t *legs = json_array();
    for (int i = 0; i < op->n; i++)
        json_array_append_new(legs, json_pack("{s:I,s:I,s:I,s:o,s:s}", "transfer_id",
                                              (json_int_t)op->t[i].id, "debit_account_id",
                                              (json_int_t)op->t[i].debit_id, "credit_account_id",
                                              (json_int_t)op->t[i].credit_id, "amount",
                                              jsonx_amount_new(op->t[i].amount, op->digits[i]),
                                              "currency", op->t[i].currency));
    json_t *d = json_pack("{s:s,s:s,s:o}", "operation", op_names[op->kind], "reason", op->reason,
                          "transfers", legs);
    char *text = jsonx_dump(d, NULL);
    json_decref(d);
    return text;
}

static int op_run(struct api_cmd *c, struct store *s, int64_t now_ms, struct api_write_result *out,
                  struct fg_err *err)
{
    struct ledger_op *op = c->data;
    out->audit = false;
    int rc = api_idem_replay(c, s, &op->idem, err);
    if (rc > 0)
        return 0; /* a replay: the original answer, byte for byte */
    if (rc == -FG_EIDEMPOTENCY_CONFLICT)
        return fg_fail(err, rc,
                       "request_id '%s' was used for a different operation; nothing was applied",
                       op->request_id);
    if (rc == 0)
        rc = op_apply(s, op, now_ms, err);
    json_t *answer = rc == 0 ? op_answer(s, op, err) : NULL;
    if (rc == 0 && !answer)
        rc = err->code ? err->code : fg_fail(err, -FG_ENOMEM, "out of memory");
    if (rc < 0)
        return rc;
    api_respond_json(c->req, 201, answer);
    out->audit = true;
    out->detail = op_detail(op);
    snprintf(out->target, sizeof(out->target), "%s", op->request_id);
    return out->detail ? api_idem_record(c, s, &op->idem, op->t[0].id, now_ms, err)
                       : fg_fail(err, -FG_ENOMEM, "out of memory encoding the answer");
}

#define LEDGER_WRITE(name, field_list, prepare_fn, param_list)                                     \
    const struct api_admin_write name = {                                                          \
        .fields = field_list,                                                                      \
        .params = param_list,                                                                      \
        .data_size = sizeof(struct ledger_op),                                                     \
        .prepare = prepare_fn,                                                                     \
        .run = op_run,                                                                             \
    }
LEDGER_WRITE(admin_adjustment_write, adjust_fields, adjust_prepare, NULL);
LEDGER_WRITE(admin_hold_write, hold_fields, hold_prepare, NULL);
LEDGER_WRITE(admin_hold_post_write, post_fields, post_prepare, hold_params);
LEDGER_WRITE(admin_hold_void_write, void_fields, void_prepare, hold_params);
LEDGER_WRITE(admin_linked_write, linked_fields, linked_prepare, NULL);
