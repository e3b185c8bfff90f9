/*
 * tradeboss_cancel.c - the TradeBoss cancel of an adjustment (the TCC
 * cancel): matched to the execute's fence row (tradeboss_fence.h), reversed
 * with one linked transfer, its own final answer kept under its own number;
 * see tradeboss.c for the invariants and docs/DESIGN.md "TradeBoss".
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_idem.h"
#include "core/assert.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/reqhash.h"
#include "families/tradeboss/tradeboss.h"
#include "families/tradeboss/tradeboss_codes.h"
#include "families/tradeboss/tradeboss_fence.h"
#include "families/tradeboss/tradeboss_int.h"
#include "ledger/idem.h"
#include "ledger/ledger.h"
#include "store/store.h"

/* --- cancel ---------------------------------------------------------------- */

/* Does the cancel name the same user, currency and (absolute) amount as the
 * applied execute? The amount is compared in minor units of the currency. */
static bool cancel_matches(const struct tb_cmd *t, json_t *fence, char *why, size_t cap)
{
    const char *user = json_string_value(json_object_get(fence, "userName"));
    const char *ccy = json_string_value(json_object_get(fence, "currency"));
    int digits = (int)json_integer_value(json_object_get(fence, "digits"));
    int64_t requested = json_integer_value(json_object_get(fence, "requested"));
    if (!user || strcmp(user, t->user_name) != 0) {
        snprintf(why, cap, "userName '%s' differs from the adjustment's", t->user_name);
        return false;
    }
    if (!ccy || strcmp(ccy, t->currency) != 0) {
        snprintf(why, cap, "currency %s differs from the adjustment's %s", t->currency,
                 ccy ? ccy : "?");
        return false;
    }
    int64_t amount = 0;
    if (tb_amount_minor(&t->amount, digits, &amount, NULL) < 0 || amount != requested) {
        char want[MONEY_FORMAT_BYTES_MAX];
        money_amount_format(requested, digits, want, sizeof(want));
        snprintf(why, cap, "amount differs from the adjustment's %s", want);
        return false;
    }
    return true;
}

static json_t *cancel_data(const struct tb_cmd *t, int64_t amount, int digits)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:i}", "requestUniqueNo", t->request_no,
                     "reverseRequestUniqueNo", t->reverse_no, "userName", t->user_name, "currency",
                     t->currency, "amount", jsonx_amount_new(amount, digits), "amountDigits",
                     digits);
}

/* Reverse the applied execute: one linked transfer naming the one it undoes
 * (nothing when the execute moved nothing). 0, or a negative code. */
static int cancel_reverse(struct tb_cmd *t, struct store *s, int64_t now_ms,
                          const struct idem_rec *rec, json_t *fence, int64_t *reversal_id,
                          struct fg_err *err)
{
    int64_t moved = json_integer_value(json_object_get(fence, "moved"));
    *reversal_id = 0;
    if (moved > 0) {
        struct ledger_transfer tr = {
            .debit_id = json_integer_value(json_object_get(fence, "credit")),
            .credit_id = json_integer_value(json_object_get(fence, "debit")),
            .amount = moved,
            .flags = LEDGER_LINKED,
            .reverses_id = rec->ref,
        };
        snprintf(tr.currency, sizeof(tr.currency), "%s", t->currency);
        snprintf(tr.kind, sizeof(tr.kind), "tb_reverse");
        api_idem_ref(tr.ref, TB_SCOPE_CANCEL, t->key);
        int rc = ledger_transfers_create_linked(s, now_ms, &tr, 1, err);
        if (rc < 0)
            return rc;
        *reversal_id = tr.id;
    }
    return idem_update(s, TB_SCOPE_EXEC, t->fence_key, TB_FENCE_REVERSED, rec->status,
                       rec->response, rec->response_len, rec->ref, err);
}

/* A repeated cancel (its own record exists): its first answer, or a
 * conflict. Returns 1 when it answered, 0 when there is no record, < 0 on an
 * operating error (answered). */
static int cancel_repeat(struct api_cmd *c, struct store *s)
{
    struct tb_cmd *t = c->data;
    struct fg_err err = {0};
    struct idem_rec own;
    int rc = idem_get(s, TB_SCOPE_CANCEL, t->key, &own, &err);
    if (rc < 0)
        return tb_run_busy(c, rc, &err);
    if (!own.found)
        return 0;
    if (idem_same_hash(&own, t->hash)) {
        rc = tb_answer_stored(t, &own, NULL);
        if (rc < 0)
            rc = tb_run_busy(c, rc, &err);
    } else {
        char msg[FG_ERR_MSG_MAX];
        snprintf(msg, sizeof(msg),
                 "cancel requestUniqueNo '%.64s' was already used with different content",
                 t->request_no);
        tb_answer_set(t, -FG_EIDEMPOTENCY_CONFLICT, msg, NULL);
    }
    idem_rec_release(&own);
    return rc < 0 ? rc : 1;
}

/* reverseRequestUniqueNo names no adjustment but a cancel's own number (a
 * reverse of a reverse): a refusal that says so, and nothing written, no
 * tombstone (the number was received, as a cancel). Returns 1 when it
 * answered, 0 when the number is no cancel's, < 0 on an operating error. */
static int cancel_of_cancel(struct api_cmd *c, struct store *s)
{
    struct tb_cmd *t = c->data;
    struct fg_err err = {0};
    struct idem_rec other;
    int rc = idem_get(s, TB_SCOPE_CANCEL, t->fence_key, &other, &err);
    if (rc < 0)
        return tb_run_busy(c, rc, &err);
    bool found = other.found;
    idem_rec_release(&other);
    if (!found)
        return 0;
    char msg[FG_ERR_MSG_MAX];
    snprintf(msg, sizeof(msg),
             "reverseRequestUniqueNo '%.64s' is the number of a cancel, not of an adjustment; "
             "nothing was done",
             t->reverse_no);
    tb_answer_set(t, -FG_ETB_CANCEL_OF_CANCEL, msg, NULL);
    fg_info(c->req->trace, "tradeboss cancel %s names the cancel %s", t->key, t->fence_key);
    return 1;
}

/* Carry out the fence's step for a cancel and set the answer. *record is
 * false for a transient refusal (not stored). 0 or an operating error. */
static int cancel_step(struct tb_cmd *t, struct store *s, int64_t now_ms, struct tb_fence_step step,
                       const struct idem_rec *rec, json_t *fence, const char *why,
                       int64_t *reversal_id, bool *record, struct fg_err *err)
{
    int digits = fence ? (int)json_integer_value(json_object_get(fence, "digits")) : 0;
    int64_t moved = fence ? json_integer_value(json_object_get(fence, "moved")) : 0;
    uint8_t no_hash[FG_SHA256_BYTES] = {0};
    char msg[FG_ERR_MSG_MAX];
    int rc = 0;
    switch (step.action) {
    case TB_FENCE_WRITE_TOMBSTONE:
        rc = idem_put(s, TB_SCOPE_EXEC, t->fence_key, no_hash, step.next, 200, NULL, 0, 0, now_ms,
                      err);
        __attribute__((fallthrough)); /* the answer is the same */
    case TB_FENCE_NEVER_RECEIVED:
        snprintf(msg, sizeof(msg),
                 "requestUniqueNo '%.64s' was never received; a later execute of it is refused",
                 t->reverse_no);
        tb_answer_set(t, -FG_ETB_CANCEL_NEVER_RECEIVED, msg, NULL);
        return rc;
    case TB_FENCE_REFUSED_BEFORE:
        snprintf(msg, sizeof(msg),
                 "requestUniqueNo '%.64s' was received but refused; nothing moved", t->reverse_no);
        tb_answer_set(t, -FG_ETB_CANCEL_REFUSED_BEFORE, msg, NULL);
        return 0;
    case TB_FENCE_REVERSE:
        rc = cancel_reverse(t, s, now_ms, rec, fence, reversal_id, err);
        if (rc < 0 && !tb_code_busy(rc)) {
            /* Transient (e.g. the customer already spent a closed position's
             * money): answer, record nothing, the fence stays APPLIED. */
            tb_answer_set(t, rc, err->msg, NULL);
            *record = false;
            return 0;
        }
        tb_answer_set(t, 0, moved > 0 ? "reversed" : "reversed; the adjustment had moved nothing",
                      cancel_data(t, moved, digits));
        return rc;
    case TB_FENCE_ALREADY_REVERSED:
        tb_answer_set(t, 0, "already reversed by an earlier cancel; nothing moved now",
                      cancel_data(t, 0, digits));
        return 0;
    case TB_FENCE_MISMATCH:
        tb_answer_set(t, -FG_ETB_CANCEL_MISMATCH, why, NULL);
        return 0;
    default:
        FG_ASSERT(!"cancel: impossible fence step");
        return -FG_EINTERNAL;
    }
}

/* The cancel's answer and descriptive fields under its own number. */
static int cancel_record(struct tb_cmd *t, struct store *s, int64_t reversal_id, int64_t now_ms,
                         struct fg_err *err)
{
    size_t len = 0;
    char *text = tb_answer_dump(t, NULL, &len);
    if (!text)
        return fg_fail(err, -FG_ENOMEM, "out of memory");
    int rc = idem_put(s, TB_SCOPE_CANCEL, t->key, t->hash, TB_CANCEL_RECORDED, 200, text, len,
                      reversal_id, now_ms, err);
    free(text);
    return rc;
}

static int cancel_run(struct api_cmd *c, struct store *s, int64_t now_ms)
{
    struct tb_cmd *t = c->data;
    struct fg_err err = {0};
    struct idem_rec rec;
    int rc = cancel_repeat(c, s);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if ((rc = idem_get(s, TB_SCOPE_EXEC, t->fence_key, &rec, &err)) < 0)
        return tb_run_busy(c, rc, &err);
    if (!rec.found && (rc = cancel_of_cancel(c, s)) != 0)
        return rc < 0 ? rc : 0;
    enum tb_fence_state state = rec.found ? (enum tb_fence_state)rec.state : TB_FENCE_NONE;
    json_t *stored = NULL, *fence = NULL;
    char why[FG_ERR_MSG_MAX] = "";
    enum tb_fence_event ev = TB_EV_CANCEL;
    if (state == TB_FENCE_APPLIED || state == TB_FENCE_REVERSED) {
        stored = rec.response ? json_loadb(rec.response, rec.response_len, 0, NULL) : NULL;
        fence = json_object_get(stored, "fence");
        if (!json_is_object(fence)) {
            json_decref(stored);
            idem_rec_release(&rec);
            fg_fail(&err, -FG_EINTERNAL, "fence row %s has no amounts", t->fence_key);
            return tb_run_busy(c, -FG_EINTERNAL, &err);
        }
        if (!cancel_matches(t, fence, why, sizeof(why)))
            ev = TB_EV_CANCEL_MISMATCH;
    }
    struct tb_fence_step step = tb_fence_step(state, ev);
    int64_t reversal_id = 0;
    bool record = true;
    rc = cancel_step(t, s, now_ms, step, &rec, fence, why, &reversal_id, &record, &err);
    json_decref(stored);
    idem_rec_release(&rec);
    if (rc < 0)
        return tb_run_busy(c, rc, &err);
    fg_info(c->req->trace, "tradeboss cancel %s of %s (%s -> %s): %s", t->key, t->fence_key,
            tb_fence_state_name(state), tb_fence_state_name(record ? step.next : state), t->code);
    if (record && (rc = cancel_record(t, s, reversal_id, now_ms, &err)) < 0)
        return tb_run_busy(c, rc, &err);
    return 0;
}

/* What a repeated cancel must repeat: what identifies and matches it. Its
 * descriptive fields may change between the platform's retries. */
static const char *const cancel_defining[] = {
    "reverseRequestUniqueNo", "userName", "currency", "amount", "amountDigits", NULL};
/* Kept as sent in the cancel's record ("given"); never a reason to refuse. */
static const char *const cancel_given[] = {
    "thirdServerCode", "bizType", "orderId", "requestTime", "ip", "cancelRemark", "metadata", NULL};

/* The fields a cancel is matched by; the first failure wins. Only these may
 * refuse it (besides company and authentication): without them it cannot be
 * matched to an adjustment. */
/* The fields a cancel is matched by; the first failure wins. Only these may
 * refuse it (besides company and authentication): without them it cannot be
 * matched to an adjustment. */
static const struct field_spec cancel_fields[] = {
    {.name = "requestUniqueNo",
     .kind = FIELD_CUSTOM,
     .read = tb_read_text,
     .max = FG_TB_REQUEST_NO_CHARS_MAX,
     FIELD_AT(struct tb_cmd, request_no)},
    {.name = "reverseRequestUniqueNo",
     .kind = FIELD_CUSTOM,
     .read = tb_read_text,
     .max = FG_TB_REQUEST_NO_CHARS_MAX,
     FIELD_AT(struct tb_cmd, reverse_no)},
    {.name = "userName",
     .kind = FIELD_CUSTOM,
     .read = tb_read_text,
     .max = FG_TB_USER_NAME_CHARS_MAX,
     FIELD_AT(struct tb_cmd, user_name)},
    {.name = "currency",
     .kind = FIELD_CUSTOM,
     .read = tb_read_currency,
     FIELD_AT(struct tb_cmd, currency)},
    {.name = "amountDigits",
     .kind = FIELD_INT32,
     .required = true,
     .max = FG_CURRENCY_DIGITS_MAX,
     FIELD_AT(struct tb_cmd, amount_digits)},
    {.name = "amount", .kind = FIELD_CUSTOM, .read = tb_read_amount}, /* positive: op is 0 */
    {0},
};

/* The descriptive fields as sent, and a log line with the remark cut to
 * FG_TB_LOG_TEXT_CHARS_MAX characters (the record keeps all of it). */
static json_t *cancel_given_fields(struct http_req *req, json_t *body, bool repaired)
{
    json_t *given = json_object();
    for (int i = 0; given && cancel_given[i]; i++) {
        json_t *v = json_object_get(body, cancel_given[i]);
        if (v)
            json_object_set(given, cancel_given[i], v);
    }
    const char *remark = json_string_value(json_object_get(body, "cancelRemark"));
    size_t n = remark ? json_string_length(json_object_get(body, "cancelRemark")) : 0;
    size_t cut = remark ? utf8_prefix_bytes(remark, n, FG_TB_LOG_TEXT_CHARS_MAX) : 0;
    fg_info(req->trace, "tradeboss cancel remark%s: %.*s%s",
            repaired ? " (bytes that were not UTF-8 replaced)" : "", (int)cut, remark ? remark : "",
            cut < n ? "..." : "");
    return given;
}

int tb_cancel_post(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    struct tb_head h;
    if (tb_prelude(api, req, &h, false))
        return HTTP_DONE;
    json_t *body = NULL;
    struct fg_err err = {0};
    bool repaired = false;
    int rc = tb_body_parse(req, &body, &repaired, &err);
    struct api_cmd *c = api_cmd_new(api, &tradeboss_family, req, cancel_run, sizeof(struct tb_cmd));
    struct tb_cmd *t = c->data;
    c->data_free = tb_cmd_free;
    c->after_commit = tb_after_commit;
    snprintf(t->trace, sizeof(t->trace), "%s", h.trace);
    t->company_id = h.company_id;
    struct tb_read r = {.repaired = repaired, .client = &h.client};
    if (rc == 0)
        rc = fields_read(body, cancel_fields, t, &r, &err);
    if (rc == 0) {
        snprintf(t->key, sizeof(t->key), "%lld:%s", (long long)t->company_id, t->request_no);
        snprintf(t->fence_key, sizeof(t->fence_key), "%lld:%s", (long long)t->company_id,
                 t->reverse_no);
    }
    if (rc == 0)
        rc = reqhash_fields(body, "tb.cancel.v2", cancel_defining, t->hash);
    if (rc == 0 && !(t->given = cancel_given_fields(req, body, repaired)))
        rc = fg_fail(&err, -FG_ENOMEM, "out of memory");
    json_decref(body);
    if (rc < 0)
        return tb_refuse_now(req, h.trace, rc, err.msg[0] ? err.msg : "out of memory");
    return api_cmd_submit(c);
}
