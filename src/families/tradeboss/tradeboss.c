/*
 * tradeboss.c - the TradeBoss webhook family: its descriptor, the commands'
 * answers, the execute and the balance query; see tradeboss.h for the
 * contract and docs/DESIGN.md "TradeBoss" for the decisions. The cancel is in
 * tradeboss_cancel.c, the clients in tradeboss_client.c, the envelope,
 * prelude and field readers in tradeboss_wire.c, the codes in
 * tradeboss_codes.c.
 *
 * Request path (execute and cancel):
 *   HTTP thread: companyId -> client (parsed config, cached) -> auth (allow-list
 *   or X-Signature) -> timestamp (when the client keeps a window) -> body
 *   (read again through utf8_json_repair when jansson refuses bytes that are
 *   not UTF-8) -> command.
 *   Writer: fence row (idem scope "tb.exec", key "<companyId>:<requestUniqueNo>")
 *   -> tb_fence_step -> effect and fence row in one savepoint -> answer after
 *   the batch commits.
 *
 * Invariants:
 *  1. Nothing is written before the client authenticated.
 *  2. An execute whose companyId and requestUniqueNo are usable leaves a fence
 *     row (APPLIED or REFUSED) with its answer, even for a parameter error, so
 *     a cancel can tell received-but-refused (US_0000001) from never-received
 *     (US_0000002), and a replay gets the same answer.
 *  3. Money moves only together with the fence row that records it
 *     (APPLIED with the execute, REVERSED with the reversal).
 *  4. A cancel's final answer is stored under its own number (idem scope
 *     "tb.cancel"); a repeat returns it. Transient refusals (a reversal that
 *     finds the customer's balance short, busy) are not stored, so a retry can
 *     still succeed.
 *  5. Answers are HTTP 200 (429 for the rate limit) with a code from the one
 *     table, tb_code_map (tradeboss_codes.h); every answer starts as an fg code.
 *  6. Exact about money and identity, tolerant about the rest (issue 10):
 *     unknown body fields are ignored on every endpoint; a cancel is refused
 *     only when it cannot be trusted (company, authentication) or matched
 *     (requestUniqueNo, reverseRequestUniqueNo, userName, currency, amount);
 *     its descriptive fields are stored as given in its record and cut only
 *     for logs. Lengths count characters (UTF-8 code points).
 */
#include "families/tradeboss/tradeboss.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_idem.h"
#include "core/assert.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/reqhash.h"
#include "families/tradeboss/tradeboss_codes.h"
#include "families/tradeboss/tradeboss_fence.h"
#include "families/tradeboss/tradeboss_int.h"
#include "ledger/idem.h"
#include "services/directory.h"
#include "store/store.h"

/* --- commands' answers (shared with tradeboss_cancel.c) -------------------- */

void tb_cmd_free(void *p)
{
    struct tb_cmd *t = p;
    json_decref(t->data);
    json_decref(t->given);
}

void tb_answer_set(struct tb_cmd *t, int code, const char *msg, json_t *data)
{
    const struct api_code *row = tb_code(code);
    t->data_len = 0;
    snprintf(t->code, sizeof(t->code), "%s", row->wire);
    snprintf(t->msg, sizeof(t->msg), "%s", msg && *msg ? msg : row->en);
    tb_ascii_only(t->msg);
    json_decref(t->data);
    t->data = data;
}

void tb_after_commit(struct api_cmd *c)
{
    struct tb_cmd *t = c->data;
    tb_envelope_send(c->req, t->trace, t->code, t->msg, t->data, t->data_len ? t->data_text : NULL,
                     t->data_len);
}

void tb_fail(struct api_cmd *c, int code)
{
    struct tb_cmd *t = c->data;
    const char *msg = code == -FG_EOVERLOADED ? "engine queue is full; nothing was applied, retry"
                      : code == -FG_ESHUTDOWN ? "server is shutting down; nothing was applied"
                                              : "the write could not be committed; nothing was "
                                                "applied, retry";
    fg_warn(c->req->trace, "tradeboss %s: %s", t->key, msg);
    tb_envelope_send(c->req, t->trace, tb_code_map.fallback->wire, msg, NULL, NULL, 0);
}

/* An operating error inside run(): answer busy now and roll the command back. */
int tb_run_busy(struct api_cmd *c, int rc, const struct fg_err *err)
{
    struct tb_cmd *t = c->data;
    fg_error(c->req->trace, "tradeboss %s: %s", t->key, err->msg[0] ? err->msg : "failed");
    tb_envelope_send(c->req, t->trace, tb_code_map.fallback->wire,
                     "the write could not be done; nothing was applied, retry", NULL, NULL, 0);
    return rc < 0 ? rc : -FG_EINTERNAL;
}

/* A stored answer {"code","msg","data",...} into the command's answer. */
int tb_answer_stored(struct tb_cmd *t, const struct idem_rec *rec, json_t **stored_out)
{
    json_t *st = rec->response ? json_loadb(rec->response, rec->response_len, 0, NULL) : NULL;
    json_t *code = json_object_get(st, "code"), *msg = json_object_get(st, "msg");
    if (!json_is_string(code) || !json_is_string(msg)) {
        json_decref(st);
        return -FG_EINTERNAL;
    }
    snprintf(t->code, sizeof(t->code), "%s", json_string_value(code));
    snprintf(t->msg, sizeof(t->msg), "%s", json_string_value(msg));
    json_decref(t->data);
    t->data = json_incref(json_object_get(st, "data"));
    t->data_len = 0;
    if (stored_out)
        *stored_out = st;
    else
        json_decref(st);
    return 0;
}

/* Serialise the command's answer plus an internal part for the fence. */
char *tb_answer_dump(const struct tb_cmd *t, json_t *fence, size_t *len)
{
    json_t *o = json_pack("{s:s,s:s,s:o}", "code", t->code, "msg", t->msg, "data",
                          t->data ? json_incref(t->data) : json_object());
    if (o && fence)
        json_object_set(o, "fence", fence);
    if (o && t->given)
        json_object_set(o, "given", t->given);
    char *text = o ? jsonx_dump(o, len) : NULL;
    json_decref(o);
    return text;
}

/* --- execute --------------------------------------------------------------- */

struct exec_result {
    int64_t requested, moved, transfer_id, debit_id, credit_id, available;
    int digits;
};

/* Validate against the store and move the money. A refusal (negative code
 * mapped to anything but busy) has moved nothing: the caller's savepoint
 * is rolled back anyway. */
static int exec_apply(struct tb_cmd *t, struct store *s, int64_t now_ms, struct exec_result *x,
                      char *note, size_t note_cap, struct fg_err *err)
{
    struct customer cu;
    struct currency cur;
    struct ledger_account acct;
    bool have_acct = false;
    int64_t acct_id, house_id;
    /* Writer-side caches: this runs only on the engine's writer (directory.h). */
    int rc = customer_find_by_name_cached(s, t->company_id, t->user_name, &cu, err);
    if (rc < 0)
        return rc;
    if (!tb_tsc_matches(&t->tsc, cu.uuid))
        return fg_fail(err, -FG_ETB_THIRD_SERVER_CODE,
                       "thirdServerCode does not name the customer of user '%s'", t->user_name);
    if (strcmp(cu.status, "active") != 0)
        return fg_fail(err, -FG_ECUSTOMER_INACTIVE, "user '%s' is %s", t->user_name, cu.status);
    if ((rc = currency_get_cached(s, t->currency, &cur, err)) < 0)
        return rc;
    x->digits = cur.digits;
    if ((rc = tb_amount_minor(&t->amount, cur.digits, &x->requested, err)) < 0)
        return rc;
    if ((rc = ledger_account_id_cached(s, cu.uuid, t->account_type, t->currency, &acct_id, err)) <
        0)
        return fg_fail(err, rc, "user '%s' has no %s account in %s", t->user_name, t->account_type,
                       t->currency);
    if ((rc = ledger_account_id_cached(s, LEDGER_HOUSE, TB_HOUSE_TYPE, t->currency, &house_id,
                                       err)) < 0)
        return rc;
    int64_t amount = x->requested;
    const char *kind = "tb_open";
    x->debit_id = acct_id;
    x->credit_id = house_id;
    if (t->op == TB_OP_CLOSE) {
        kind = "tb_close";
        x->debit_id = house_id;
        x->credit_id = acct_id;
    } else if (t->op == TB_OP_OVERTRADING) {
        kind = "tb_overtrading";
        if ((rc = ledger_account_get(s, acct_id, &acct, err)) < 0)
            return rc;
        have_acct = true;
        int64_t avail = ledger_account_available(&acct);
        if (t->overtrading == TB_OVERTRADING_IGNORE) {
            amount = 0;
            snprintf(note, note_cap, "ignored by the client's overtrading policy; nothing moved");
        } else if (avail < amount) {
            amount = avail < 0 ? 0 : avail; /* take what is available, possibly nothing */
        }
    }
    x->moved = amount;
    if (amount > 0) {
        struct ledger_transfer tr = {
            .debit_id = x->debit_id, .credit_id = x->credit_id, .amount = amount};
        snprintf(tr.currency, sizeof(tr.currency), "%s", t->currency);
        snprintf(tr.kind, sizeof(tr.kind), "%s", kind);
        api_idem_ref(tr.ref, TB_SCOPE_EXEC, t->key);
        if ((rc = ledger_transfer_create(s, now_ms, &tr, err)) < 0)
            return rc;
        x->transfer_id = tr.id;
        have_acct = false; /* moved: read it back below (a RETURNING clause would cost
                            * SQLite an ephemeral table per UPDATE, far more) */
    }
    if (!have_acct && (rc = ledger_account_get(s, acct_id, &acct, err)) < 0)
        return rc;
    x->available = ledger_account_available(&acct);
    return 0;
}

/* The success answer as text, the same bytes jansson would give (jsonx.h):
 * t->data_text, and the stored answer {"code","msg","data","fence"} in out.
 * False when a field is not plain ASCII: the caller uses jansson instead. */
static bool exec_answer_text(struct tb_cmd *t, const struct exec_result *x, char *out, size_t cap,
                             size_t *out_len)
{
    char moved_s[MONEY_FORMAT_BYTES_MAX], avail_s[MONEY_FORMAT_BYTES_MAX];
    money_amount_format(x->moved, x->digits, moved_s, sizeof(moved_s));
    money_amount_format(x->available, x->digits, avail_s, sizeof(avail_s));
    struct jsonx_buf d;
    jsonx_buf_init(&d, t->data_text, sizeof(t->data_text));
    jsonx_buf_lit(&d, "{\"requestUniqueNo\":");
    jsonx_buf_str(&d, t->request_no);
    jsonx_buf_lit(&d, ",\"userName\":");
    jsonx_buf_str(&d, t->user_name);
    jsonx_buf_lit(&d, ",\"currency\":");
    jsonx_buf_str(&d, t->currency);
    jsonx_buf_lit(&d, ",\"operationType\":");
    jsonx_buf_str(&d, tb_operations[t->op]);
    jsonx_buf_lit(&d, ",\"amount\":");
    jsonx_buf_str(&d, t->amount.text);
    jsonx_buf_lit(&d, ",\"appliedAmount\":");
    jsonx_buf_str(&d, moved_s);
    jsonx_buf_lit(&d, ",\"amountDigits\":");
    jsonx_buf_int(&d, x->digits);
    jsonx_buf_lit(&d, ",\"availableAmount\":");
    jsonx_buf_str(&d, avail_s);
    jsonx_buf_lit(&d, "}");

    struct jsonx_buf b;
    jsonx_buf_init(&b, out, cap);
    jsonx_buf_lit(&b, "{\"code\":");
    jsonx_buf_str(&b, t->code);
    jsonx_buf_lit(&b, ",\"msg\":");
    jsonx_buf_str(&b, t->msg);
    jsonx_buf_lit(&b, ",\"data\":");
    jsonx_buf_raw(&b, d.p, d.len);
    jsonx_buf_lit(&b, ",\"fence\":{\"requested\":");
    jsonx_buf_int(&b, x->requested);
    jsonx_buf_lit(&b, ",\"moved\":");
    jsonx_buf_int(&b, x->moved);
    jsonx_buf_lit(&b, ",\"debit\":");
    jsonx_buf_int(&b, x->debit_id);
    jsonx_buf_lit(&b, ",\"credit\":");
    jsonx_buf_int(&b, x->credit_id);
    jsonx_buf_lit(&b, ",\"currency\":");
    jsonx_buf_str(&b, t->currency);
    jsonx_buf_lit(&b, ",\"userName\":");
    jsonx_buf_str(&b, t->user_name);
    jsonx_buf_lit(&b, ",\"digits\":");
    jsonx_buf_int(&b, x->digits);
    jsonx_buf_lit(&b, "}}");
    if (d.failed || b.failed) {
        t->data_len = 0;
        return false;
    }
    t->data_len = d.len;
    *out_len = b.len;
    return true;
}

/* The execute's record: its answer and, when applied, the fence part. */
static int exec_record(struct api_cmd *c, struct store *s, int64_t now_ms, int state,
                       const struct exec_result *x, json_t *fence)
{
    struct tb_cmd *t = c->data;
    struct fg_err err = {0};
    size_t len = 0;
    char *text = tb_answer_dump(t, fence, &len);
    if (!text)
        return tb_run_busy(c, -FG_ENOMEM, &err);
    int rc = idem_put(s, TB_SCOPE_EXEC, t->key, t->hash, state, 200, text, len, x->transfer_id,
                      now_ms, &err);
    free(text);
    return rc < 0 ? tb_run_busy(c, rc, &err) : 0;
}

/* The applied execute's answer and record: written directly when every
 * field is plain ASCII (exec_answer_text), else through jansson. */
static int exec_applied(struct api_cmd *c, struct store *s, int64_t now_ms, int state,
                        const struct exec_result *x, const char *note)
{
    struct tb_cmd *t = c->data;
    char req_s[MONEY_FORMAT_BYTES_MAX], moved_s[MONEY_FORMAT_BYTES_MAX], text[FG_ERR_MSG_MAX];
    money_amount_format(x->requested, x->digits, req_s, sizeof(req_s));
    money_amount_format(x->moved, x->digits, moved_s, sizeof(moved_s));
    if (t->op == TB_OP_OVERTRADING && x->moved < x->requested &&
        t->overtrading != TB_OVERTRADING_IGNORE)
        snprintf(text, sizeof(text), "deducted %s of %s asked: that was all available", moved_s,
                 req_s);
    else
        snprintf(text, sizeof(text), "%s", note[0] ? note : "success");
    tb_answer_set(t, 0, text, NULL);
    char stored[TB_ANSWER_TEXT_BYTES_MAX];
    size_t stored_len = 0;
    if (exec_answer_text(t, x, stored, sizeof(stored), &stored_len)) {
        struct fg_err err = {0};
        int rc = idem_put(s, TB_SCOPE_EXEC, t->key, t->hash, state, 200, stored, stored_len,
                          x->transfer_id, now_ms, &err);
        return rc < 0 ? tb_run_busy(c, rc, &err) : 0;
    }
    tb_answer_set(t, 0, text,
                  json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:i,s:o}", "requestUniqueNo", t->request_no,
                            "userName", t->user_name, "currency", t->currency, "operationType",
                            tb_operations[t->op], "amount", json_string(t->amount.text),
                            "appliedAmount", jsonx_amount_new(x->moved, x->digits), "amountDigits",
                            x->digits, "availableAmount",
                            jsonx_amount_new(x->available, x->digits)));
    json_t *fence = json_pack(
        "{s:I,s:I,s:I,s:I,s:s,s:s,s:i}", "requested", (json_int_t)x->requested, "moved",
        (json_int_t)x->moved, "debit", (json_int_t)x->debit_id, "credit", (json_int_t)x->credit_id,
        "currency", t->currency, "userName", t->user_name, "digits", x->digits);
    int rc = exec_record(c, s, now_ms, state, x, fence);
    json_decref(fence);
    return rc;
}

static int exec_run_new(struct api_cmd *c, struct store *s, int64_t now_ms)
{
    struct tb_cmd *t = c->data;
    struct fg_err err = {0};
    struct exec_result x = {0};
    char note[160] = "";
    int code = t->pre_code;
    if (code == 0) {
        /* No savepoint: a refusal from exec_apply has written nothing (a
         * refused ledger transfer leaves nothing behind), so the fence row that
         * records it is all the command keeps. An operating error fails the
         * batch (the command is savepoint-free, engine.h). */
        code = exec_apply(t, s, now_ms, &x, note, sizeof(note), &err);
        if (code < 0 && tb_code_busy(code))
            return tb_run_busy(c, code, &err);
    }
    struct tb_fence_step step =
        tb_fence_step(TB_FENCE_NONE, code == 0 ? TB_EV_EXECUTE_APPLIED : TB_EV_EXECUTE_REFUSED);
    FG_ASSERT(step.action == TB_FENCE_RECORD);
    if (code == 0)
        return exec_applied(c, s, now_ms, step.next, &x, note);
    tb_answer_set(t, code, t->pre_code ? t->pre_msg : err.msg, NULL);
    fg_info(c->req->trace, "tradeboss execute %s refused %s: %s", t->key, t->code, t->msg);
    return exec_record(c, s, now_ms, step.next, &x, NULL);
}

static int exec_run(struct api_cmd *c, struct store *s, int64_t now_ms)
{
    struct tb_cmd *t = c->data;
    struct fg_err err = {0};
    struct idem_rec rec;
    int rc = idem_get(s, TB_SCOPE_EXEC, t->key, &rec, &err);
    if (rc < 0)
        return tb_run_busy(c, rc, &err);
    enum tb_fence_state state = rec.found ? (enum tb_fence_state)rec.state : TB_FENCE_NONE;
    enum tb_fence_event ev =
        !rec.found || idem_same_hash(&rec, t->hash) ? TB_EV_EXECUTE : TB_EV_EXECUTE_OTHER;
    struct tb_fence_step step = tb_fence_step(state, ev);
    char msg[FG_ERR_MSG_MAX];
    switch (step.action) {
    case TB_FENCE_RUN_EXECUTE:
        rc = exec_run_new(c, s, now_ms);
        break;
    case TB_FENCE_REPLAY:
        rc = tb_answer_stored(t, &rec, NULL);
        if (rc < 0)
            rc = tb_run_busy(c, rc, &err);
        break;
    case TB_FENCE_CONFLICT:
        snprintf(msg, sizeof(msg),
                 "requestUniqueNo '%.64s' was already used for a different adjustment; nothing "
                 "was applied",
                 t->request_no);
        tb_answer_set(t, -FG_EIDEMPOTENCY_CONFLICT, msg, NULL);
        break;
    case TB_FENCE_TOMBSTONE_HIT:
        snprintf(msg, sizeof(msg),
                 "requestUniqueNo '%.64s' was cancelled before it arrived; nothing was applied",
                 t->request_no);
        tb_answer_set(t, -FG_ETB_CANCELLED_BEFORE, msg, NULL);
        fg_info(c->req->trace, "tradeboss execute %s hit a tombstone", t->key);
        break;
    default:
        FG_ASSERT(!"execute: impossible fence step");
    }
    idem_rec_release(&rec);
    return rc;
}

static const char *const exec_defining[] = {"userName", "currency",     "bizType", "operationType",
                                            "amount",   "amountDigits", "orderId", NULL};

/* Field checks of an execute that need no store; the first failure wins.
 * Unknown fields are ignored; requestTime and ip are descriptive and not
 * read; the rest defines the adjustment and is typed strictly. */
/* Field checks of an execute that need no store; the first failure wins.
 * Unknown fields are ignored; requestTime and ip are descriptive and not
 * read; the rest defines the adjustment and is typed strictly. */
static const struct field_spec exec_fields[] = {
    {.name = ".utf8", .kind = FIELD_CUSTOM, .read = tb_read_utf8},
    {.name = "thirdServerCode",
     .kind = FIELD_CUSTOM,
     .read = tb_read_tsc,
     FIELD_AT(struct tb_cmd, tsc)},
    {.name = "userName",
     .kind = FIELD_CUSTOM,
     .read = tb_read_text,
     .max = FG_TB_USER_NAME_CHARS_MAX,
     FIELD_AT(struct tb_cmd, user_name)},
    {.name = "currency",
     .kind = FIELD_CUSTOM,
     .read = tb_read_currency,
     FIELD_AT(struct tb_cmd, currency)},
    {.name = "bizType", .kind = FIELD_CUSTOM, .read = tb_read_biz_type},
    {.name = "operationType",
     .kind = FIELD_CHOICE,
     .required = true,
     .choices = tb_operations,
     FIELD_AT(struct tb_cmd, op)},
    {.name = "amountDigits",
     .kind = FIELD_INT32,
     .required = true,
     .max = FG_CURRENCY_DIGITS_MAX,
     FIELD_AT(struct tb_cmd, amount_digits)},
    {.name = "amount", .kind = FIELD_CUSTOM, .read = tb_read_amount},
    {.name = "orderId", .kind = FIELD_CUSTOM, .read = tb_read_order_id},
    {.name = "metadata", .kind = FIELD_CUSTOM, .read = tb_read_metadata},
    {0},
};

static int exec_post(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    struct tb_head h;
    if (tb_prelude(api, req, &h, true))
        return HTTP_DONE;
    json_t *body = NULL;
    struct fg_err err = {0};
    const char *no = NULL;
    bool repaired = false;
    int rc = tb_body_parse(req, &body, &repaired, &err);
    if (rc == 0)
        rc =
            tb_text_field(body, "requestUniqueNo", FG_TB_REQUEST_NO_CHARS_MAX, repaired, &no, &err);
    if (rc < 0) {
        /* No usable number: nothing can be recorded. */
        json_decref(body);
        return tb_refuse_now(req, h.trace, h.late_code ? h.late_code : rc,
                             h.late_code ? h.late_msg : err.msg);
    }
    struct api_cmd *c = api_cmd_new(api, &tradeboss_family, req, exec_run, sizeof(struct tb_cmd));
    struct tb_cmd *t = c->data;
    /* Every refusal of an execute is recorded with nothing else written, and
     * it returns < 0 only for an operating error: no savepoint needed. */
    c->ec.savepoint_free = true;
    c->data_free = tb_cmd_free;
    c->after_commit = tb_after_commit;
    snprintf(t->trace, sizeof(t->trace), "%s", h.trace);
    t->company_id = h.company_id;
    snprintf(t->request_no, sizeof(t->request_no), "%s", no);
    snprintf(t->key, sizeof(t->key), "%lld:%s", (long long)h.company_id, no);
    snprintf(t->account_type, sizeof(t->account_type), "%s", h.client.account_type);
    t->overtrading = h.client.overtrading;
    (void)tb_order_id_field(body, NULL); /* "42" and 42 hash alike; a bad one is refused below */
    rc = reqhash_fields(body, "tb.exec.v1", exec_defining, t->hash);
    if (rc < 0) {
        json_decref(body);
        return tb_refuse_now(req, h.trace, -FG_ENOMEM, "out of memory");
    }
    t->pre_code = h.late_code;
    snprintf(t->pre_msg, sizeof(t->pre_msg), "%s", h.late_msg);
    struct tb_read r = {.repaired = repaired, .client = &h.client};
    if (t->pre_code == 0 && fields_read(body, exec_fields, t, &r, &err) < 0) {
        t->pre_code = err.code;
        snprintf(t->pre_msg, sizeof(t->pre_msg), "%s", err.msg);
    }
    json_decref(body);
    if (t->pre_code && tb_code_busy(t->pre_code)) /* out of memory: transient, never recorded */
        return tb_refuse_now(req, h.trace, t->pre_code, t->pre_msg);
    return api_cmd_submit(c);
}

/* --- get-user-amount ------------------------------------------------------- */

struct amount_req {
    struct tb_tsc tsc;
    char user_name[TB_USER_NAME_BYTES_MAX + 1];
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
};

static const struct field_spec amount_fields[] = {
    {.name = ".utf8", .kind = FIELD_CUSTOM, .read = tb_read_utf8},
    {.name = "thirdServerCode",
     .kind = FIELD_CUSTOM,
     .read = tb_read_tsc,
     FIELD_AT(struct amount_req, tsc)},
    {.name = "userName",
     .kind = FIELD_CUSTOM,
     .read = tb_read_text,
     .max = FG_TB_USER_NAME_CHARS_MAX,
     FIELD_AT(struct amount_req, user_name)},
    {.name = "currency",
     .kind = FIELD_CUSTOM,
     .read = tb_read_currency,
     FIELD_AT(struct amount_req, currency)},
    {0},
};

/* The user's available amount in the client's account type. */
static int amount_read(struct api *api, const struct tb_head *h, const struct amount_req *q,
                       json_t **data, struct fg_err *err)
{
    struct customer cu;
    struct currency cur;
    struct ledger_account acct;
    struct store *st = api_reader(api, err);
    int rc = st ? customer_find_by_name(st, h->company_id, q->user_name, &cu, err) : -FG_ESTORE;
    if (rc == 0 && !tb_tsc_matches(&q->tsc, cu.uuid))
        rc = fg_fail(err, -FG_ETB_THIRD_SERVER_CODE,
                     "thirdServerCode does not name the customer of user '%s'", q->user_name);
    if (rc == 0)
        rc = currency_get(st, q->currency, &cur, err);
    if (rc == 0 &&
        ledger_account_find(st, cu.uuid, h->client.account_type, q->currency, &acct, err) < 0)
        rc = fg_fail(err, -FG_EUNKNOWN_ACCOUNT, "user '%s' has no %s account in %s", q->user_name,
                     h->client.account_type, q->currency);
    if (rc == 0)
        *data = json_pack("{s:s,s:s,s:o,s:i}", "userName", q->user_name, "currency", q->currency,
                          "amount", jsonx_amount_new(ledger_account_available(&acct), cur.digits),
                          "amountDigits", cur.digits);
    return rc;
}

/* Unknown fields are ignored; userName and currency are required, and
 * thirdServerCode under the client's rule. */
static int amount_post(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    struct tb_head h;
    if (tb_prelude(api, req, &h, true))
        return HTTP_DONE;
    if (h.late_code != 0)
        return tb_refuse_now(req, h.trace, h.late_code, h.late_msg);
    json_t *body = NULL, *data = NULL;
    struct fg_err err = {0};
    struct amount_req q = {0};
    bool repaired = false;
    int rc = tb_body_parse(req, &body, &repaired, &err);
    struct tb_read r = {.repaired = repaired, .client = &h.client};
    if (rc == 0)
        rc = fields_read(body, amount_fields, &q, &r, &err);
    json_decref(body);
    if (rc == 0)
        rc = amount_read(api, &h, &q, &data, &err);
    if (rc < 0)
        return tb_refuse_now(req, h.trace, rc, err.msg);
    tb_envelope_send(req, h.trace, tb_code(0)->wire, tb_code(0)->en, data, NULL, 0);
    json_decref(data);
    return HTTP_DONE;
}

/* The transport's own refusals under /api/cats-gateway/ (unknown path or
 * method, body or path too large, malformed head): this envelope with
 * US_1000001, echoing a usable `trace`; the HTTP status stays the transport's
 * (404, 405, 413, 414, 400). Other codes map as everywhere (tb_code_map). */
static int transport_refusal(struct http_req *req, void *ctx)
{
    const struct http_refusal *r = ctx;
    char trace[FG_TB_TRACE_BYTES_MAX + 1] = "";
    const char *t = http_req_header(req, "trace");
    if (t && strlen(t) <= FG_TB_TRACE_BYTES_MAX)
        snprintf(trace, sizeof(trace), "%s", t);
    tb_ascii_only(trace);
    bool transport = r->code == -FG_ENOT_FOUND || r->code == -FG_EMETHOD ||
                     r->code == -FG_ETOO_LARGE || r->code == -FG_EBAD_REQUEST;
    return tb_refuse_now(req, trace, transport ? -FG_EBAD_REQUEST : r->code, r->msg);
}

/* The envelope's answer on the HTTP thread, echoing a usable `trace`. */
static void tb_answer(struct http_req *req, int code, json_t *data, const struct fg_err *err)
{
    struct tb_head h;
    tb_trace_pick(req, &h);
    if (code < 0)
        tb_refuse_now(req, h.trace, code, err ? err->msg : NULL);
    else
        tb_envelope_send(req, h.trace, tb_code(0)->wire, tb_code(0)->en, data, NULL, 0);
    json_decref(data);
}

static const struct http_route routes[] = {
    {"POST", "/api/cats-gateway/get-user-amount", amount_post, NULL, "tb_get_user_amount"},
    {"POST", "/api/cats-gateway/external-system-credit-limit-adjustment", exec_post, NULL,
     "tb_execute"},
    {"POST", "/api/cats-gateway/cancel-external-system-credit-limit-adjustment", tb_cancel_post,
     NULL, "tb_cancel"},
};

static const struct http_route admin_routes[] = {
    {"GET", "/admin/v1/tradeboss/adjustments", tb_admin_adjustments_get, NULL,
     "admin_tradeboss_adjustments_get"},
};

static const char *const owner_prefixes[] = {"/api/cats-gateway/", NULL};
static const struct fg_error_space *const error_spaces[] = {&tb_error_space, NULL};

const struct api_family tradeboss_family = {
    .name = TB_FAMILY,
    .routes = routes,
    .route_count = (int)(sizeof(routes) / sizeof(routes[0])),
    .admin_routes = admin_routes,
    .admin_route_count = (int)(sizeof(admin_routes) / sizeof(admin_routes[0])),
    .owner_prefixes = owner_prefixes,
    .envelope = {.answer = tb_answer, .unavailable = tb_fail, .refusal = transport_refusal},
    .codes = &tb_code_map,
    .clients = &tb_clients,
    .error_spaces = error_spaces,
    .fini = tb_client_cache_clear,
};
