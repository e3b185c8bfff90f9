/*
 * admin_ledger.c - the operator's ledger operations (issue 15): an adjustment
 * between any two accounts of one currency, holds (create with an optional
 * expiry, post in full or in part, void) and linked transfers (legs applied
 * all or nothing).
 *
 * One path for all of them: the HTTP thread parses the body (strictly, like
 * the rest of the admin plane), reads the accounts' currencies on its read
 * connection to parse amounts with their digits, and hashes the defining
 * content; the command, on the engine's writer, then
 *   1. looks up the idempotency record (scope "admin.ledger", the request_id):
 *      same hash -> the original answer, byte for byte; other hash -> 409
 *      idempotency_conflict, nothing applied;
 *   2. applies the transfers through the ledger (ledger.h), which checks
 *      currencies, balances of customer accounts, hold states and expiry;
 *   3. records the answer (idem) and an audit entry whose detail carries the
 *      reason, the legs and the transfer ids, in the same transaction.
 * A refusal writes nothing (the command's savepoint is rolled back) and is not
 * recorded, so a request can be fixed and sent again under the same id.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "app/app.h"
#include "core/assert.h"
#include "core/crypto.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "ledger/idem.h"
#include "ledger/ledger.h"
#include "services/directory.h"
#include "store/store.h"

#define LEDGER_OP_SCOPE "admin.ledger"
#define REASON_BYTES_MAX (FG_LEDGER_REASON_CHARS_MAX * UTF8_CHAR_BYTES_MAX)

enum op_kind { OP_ADJUST, OP_HOLD, OP_POST, OP_VOID, OP_LINKED };
static const char *const op_names[] = {"adjustment", "hold", "hold_post", "hold_void", "linked"};

struct ledger_op {
    enum op_kind kind;
    char request_id[FG_REQUEST_ID_BYTES_MAX + 1];
    char reason[REASON_BYTES_MAX + 1];
    int64_t timeout_s; /* OP_HOLD: 0 for none */
    int n;
    struct ledger_transfer t[FG_LINKED_TRANSFERS_MAX];
    int digits[FG_LINKED_TRANSFERS_MAX];
    uint8_t hash[FG_SHA256_BYTES];
};

/* --- parsing (HTTP thread) ------------------------------------------------ */

/* reason: 1 to FG_LEDGER_REASON_CHARS_MAX characters of valid UTF-8, kept as given. */
static int reason_parse(json_t *body, bool required, char *out, struct fg_err *err)
{
    const char *r = "";
    int rc = jsonx_str(body, "reason", required, REASON_BYTES_MAX, &r, err);
    if (rc < 0)
        return rc;
    size_t n = strlen(r ? r : "");
    if (required && n == 0)
        return fg_fail(err, -FG_EMISSING_FIELD, "field 'reason' must not be empty");
    if (n && (!utf8_valid(r, n) || utf8_chars(r, n) > FG_LEDGER_REASON_CHARS_MAX))
        return fg_fail(err, -FG_EBAD_FIELD, "field 'reason' must be at most %d characters of UTF-8",
                       FG_LEDGER_REASON_CHARS_MAX);
    memcpy(out, r ? r : "", n + 1);
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

/* One leg {debit_account_id, credit_account_id, amount} of obj into op->t[i]. */
static int leg_parse(struct store *s, json_t *obj, struct ledger_op *op, int i, struct fg_err *err)
{
    struct ledger_transfer *t = &op->t[i];
    char credit_ccy[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int credit_digits = 0;
    int rc = jsonx_int(obj, "debit_account_id", true, 1, INT64_MAX, &t->debit_id, err);
    if (rc == 0)
        rc = jsonx_int(obj, "credit_account_id", true, 1, INT64_MAX, &t->credit_id, err);
    if (rc == 0)
        rc = account_currency(s, t->debit_id, "debit_account_id", t->currency, &op->digits[i], err);
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

/* The pending transfer {id} of a post or void: its currency decides the
 * digits of a partial amount. */
static int pending_parse(struct store *s, struct http_req *req, struct ledger_op *op,
                         struct fg_err *err)
{
    const char *p = req->params[0];
    char *end = NULL;
    long long id = strtoll(p, &end, 10);
    if (*p < '1' || *p > '9' || *end || strlen(p) > 18)
        return fg_fail(err, -FG_EBAD_FIELD, "path parameter 'hold_id' must be a positive integer");
    struct ledger_transfer pending;
    if (ledger_transfer_get(s, id, &pending, err) < 0 || !(pending.flags & LEDGER_PENDING))
        return fg_fail(err, -FG_EPENDING_NOT_FOUND, "no hold %lld", id);
    struct currency cur;
    int rc = currency_get(s, pending.currency, &cur, err);
    op->t[0].pending_id = id;
    op->digits[0] = rc == 0 ? cur.digits : 0;
    return rc;
}

/* SHA-256 of the defining content: the operation, reason, expiry and legs. */
static void op_hash(struct ledger_op *op)
{
    char canon[REASON_BYTES_MAX + 64 + FG_LINKED_TRANSFERS_MAX * 80];
    int n = snprintf(canon, sizeof(canon), "%s\n%s\n%lld\n%d", op_names[op->kind], op->reason,
                     (long long)op->timeout_s, op->n);
    for (int i = 0; i < op->n && n > 0 && (size_t)n < sizeof(canon); i++)
        n += snprintf(canon + n, sizeof(canon) - (size_t)n, "\n%lld>%lld:%lld@%lld",
                      (long long)op->t[i].debit_id, (long long)op->t[i].credit_id,
                      (long long)op->t[i].amount, (long long)op->t[i].pending_id);
    FG_ASSERT(n > 0 && (size_t)n < sizeof(canon)); /* sized for the bounds above */
    fg_sha256(canon, (size_t)n, op->hash);
}

/* --- the command (engine writer) ------------------------------------------ */

static int op_refuse(struct http_req *req, int code, const struct fg_err *err)
{
    http_req_error(req, code, err->msg[0] ? err->msg : fg_strerror(code));
    return code;
}

/* 1: answered from the record (replay or conflict); 0: go on; negative: failed. */
static int op_replay(struct app_cmd *c, struct store *s, struct ledger_op *op, struct fg_err *err)
{
    struct idem_rec rec;
    int rc = idem_get(s, LEDGER_OP_SCOPE, op->request_id, &rec, err);
    if (rc < 0 || !rec.found)
        return rc;
    if (idem_same_hash(&rec, op->hash)) {
        http_req_respond(c->req, rec.status, rec.response, rec.response_len);
        rec.response = NULL;
        idem_rec_release(&rec);
        return 1;
    }
    idem_rec_release(&rec);
    return fg_fail(err, -FG_EIDEMPOTENCY_CONFLICT,
                   "request_id '%s' was used for a different operation; nothing was applied",
                   op->request_id);
}

static void op_prepare(struct ledger_op *op)
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
}

static int op_apply(struct store *s, struct ledger_op *op, int64_t now_ms, struct fg_err *err)
{
    op_prepare(op);
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
        json_array_append_new(arr, admin_account_json(&a, digits));
    return rc;
}

/* {"request_id","operation","reason","transfers":[...],"accounts":[...]} */
static json_t *op_answer(struct store *s, struct ledger_op *op, struct fg_err *err)
{
    json_t *transfers = json_array(), *accounts = json_array();
    int rc = 0;
    for (int i = 0; i < op->n && rc == 0; i++) {
        json_t *t = admin_transfer_json(&op->t[i], op->digits[i]);
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

static int op_record(struct app_cmd *c, struct store *s, struct ledger_op *op, int64_t now_ms,
                     struct fg_err *err)
{
    json_t *answer = op_answer(s, op, err);
    if (!answer)
        return err->code ? err->code : -FG_ENOMEM;
    size_t len = 0;
    char *text = jsonx_dump(answer, &len), *detail = op_detail(op);
    json_decref(answer);
    int rc = text && detail ? 0 : fg_fail(err, -FG_ENOMEM, "out of memory encoding the answer");
    if (rc == 0)
        rc = idem_put(s, LEDGER_OP_SCOPE, op->request_id, op->hash, 1, 201, text, len, op->t[0].id,
                      now_ms, err);
    if (rc == 0)
        rc = app_audit_detail(s, c->req, op->request_id, detail, now_ms, err);
    free(detail);
    if (rc < 0) {
        free(text);
        return rc;
    }
    http_req_respond(c->req, 201, text, len);
    return 0;
}

static int op_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct ledger_op *op = c->data;
    struct fg_err err = {0};
    int rc = op_replay(c, s, op, &err);
    if (rc == 1)
        return 0;
    if (rc == 0)
        rc = op_apply(s, op, now_ms, &err);
    if (rc == 0)
        rc = op_record(c, s, op, now_ms, &err);
    return rc < 0 ? op_refuse(c->req, rc, &err) : 0;
}

/* --- handlers --------------------------------------------------------------- */

/* Parse the body with keys into a new command of kind; parse() fills the
 * rest. Submits it, or answers the refusal. */
static int op_submit(struct http_req *req, enum op_kind kind, const char *const keys[],
                     int (*parse)(struct store *, struct http_req *, json_t *, struct ledger_op *,
                                  struct fg_err *))
{
    json_t *body;
    if (!admin_request_allowed(req) || app_parse_body(req, keys, &body) < 0)
        return HTTP_DONE;
    struct fg_err err = {0};
    struct ledger_op *op = calloc(1, sizeof(*op));
    const char *rid = NULL;
    struct store *s = app_reader(&err);
    int rc = !op ? fg_fail(&err, -FG_ENOMEM, "out of memory") : !s ? -FG_ESTORE : 0;
    if (rc == 0)
        rc = jsonx_id(body, "request_id", true, FG_REQUEST_ID_BYTES_MAX, &rid, &err);
    if (rc == 0) {
        op->kind = kind;
        snprintf(op->request_id, sizeof(op->request_id), "%s", rid);
        rc = parse(s, req, body, op, &err);
    }
    json_decref(body);
    if (rc < 0) {
        free(op);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    op_hash(op);
    struct app_cmd *c = app_cmd_new(req, op_run, sizeof(*op));
    memcpy(c->data, op, sizeof(*op));
    free(op);
    return app_cmd_submit(c);
}

static int adjust_parse(struct store *s, struct http_req *req, json_t *body, struct ledger_op *op,
                        struct fg_err *err)
{
    (void)req;
    op->n = 1;
    int rc = reason_parse(body, true, op->reason, err);
    return rc < 0 ? rc : leg_parse(s, body, op, 0, err);
}

static int hold_parse(struct store *s, struct http_req *req, json_t *body, struct ledger_op *op,
                      struct fg_err *err)
{
    int rc = adjust_parse(s, req, body, op, err);
    if (rc == 0)
        rc = jsonx_int(body, "timeout_s", false, 1, FG_LEDGER_HOLD_TIMEOUT_S_MAX, &op->timeout_s,
                       err);
    return rc;
}

static int resolve_parse(struct store *s, struct http_req *req, json_t *body, struct ledger_op *op,
                         struct fg_err *err)
{
    op->n = 1;
    int rc = reason_parse(body, false, op->reason, err);
    if (rc == 0)
        rc = pending_parse(s, req, op, err);
    if (rc == 0 && op->kind == OP_POST)
        rc = jsonx_amount(body, "amount", false, op->digits[0], &op->t[0].amount, err);
    if (rc == 0 && op->kind == OP_POST && json_object_get(body, "amount") && op->t[0].amount <= 0)
        rc = fg_fail(err, -FG_EAMOUNT_ZERO, "field 'amount' must be greater than zero");
    return rc;
}

static int linked_parse(struct store *s, struct http_req *req, json_t *body, struct ledger_op *op,
                        struct fg_err *err)
{
    static const char *const leg_keys[] = {"debit_account_id", "credit_account_id", "amount", NULL};
    (void)req;
    int rc = reason_parse(body, true, op->reason, err);
    json_t *legs = json_object_get(body, "transfers");
    if (rc == 0 && (!json_is_array(legs) || json_array_size(legs) < 1 ||
                    json_array_size(legs) > FG_LINKED_TRANSFERS_MAX))
        rc = fg_fail(err, -FG_EBAD_FIELD, "field 'transfers' must be an array of 1 to %d transfers",
                     FG_LINKED_TRANSFERS_MAX);
    for (size_t i = 0; rc == 0 && i < json_array_size(legs); i++) {
        json_t *leg = json_array_get(legs, i);
        rc = json_is_object(leg)
                 ? jsonx_check_keys(leg, leg_keys, err)
                 : fg_fail(err, -FG_EBAD_FIELD, "transfers[%zu] is not an object", i);
        if (rc == 0)
            rc = leg_parse(s, leg, op, (int)i, err);
        if (rc < 0) {
            char msg[FG_ERR_MSG_MAX];
            memcpy(msg, err->msg, sizeof(msg));
            fg_fail(err, rc, "transfers[%zu]: %.200s", i, msg);
        }
        op->n = (int)i + 1;
    }
    return rc;
}

static int adjustments_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"request_id", "debit_account_id", "credit_account_id",
                                       "amount",     "reason",           NULL};
    (void)ctx;
    return op_submit(req, OP_ADJUST, keys, adjust_parse);
}

static int holds_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"request_id", "debit_account_id", "credit_account_id",
                                       "amount",     "reason",           "timeout_s",
                                       NULL};
    (void)ctx;
    return op_submit(req, OP_HOLD, keys, hold_parse);
}

static int hold_post_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"request_id", "amount", "reason", NULL};
    (void)ctx;
    return op_submit(req, OP_POST, keys, resolve_parse);
}

static int hold_void_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"request_id", "reason", NULL};
    (void)ctx;
    return op_submit(req, OP_VOID, keys, resolve_parse);
}

static int linked_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {"request_id", "reason", "transfers", NULL};
    (void)ctx;
    return op_submit(req, OP_LINKED, keys, linked_parse);
}

static const struct http_route routes[] = {
    {"POST", "/admin/v1/adjustments", adjustments_post, NULL, "admin_adjustments_post"},
    {"POST", "/admin/v1/holds", holds_post, NULL, "admin_holds_post"},
    {"POST", "/admin/v1/holds/{}/post", hold_post_post, NULL, "admin_hold_post"},
    {"POST", "/admin/v1/holds/{}/void", hold_void_post, NULL, "admin_hold_void"},
    {"POST", "/admin/v1/transfers/linked", linked_post, NULL, "admin_transfers_linked_post"},
};

const struct http_route *admin_ledger_routes(int *count)
{
    *count = (int)(sizeof(routes) / sizeof(routes[0]));
    return routes;
}
