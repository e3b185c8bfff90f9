/*
 * tradeboss_wire.c - the TradeBoss wire: the envelope, the prelude every
 * route runs (companyId -> client -> authentication -> rate limit ->
 * timestamp window), and the readers of body fields (lengths in characters,
 * the one amount rule, U+FFFD only where allowed); see tradeboss_int.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/parse.h"
#include "families/tradeboss/tradeboss_codes.h"
#include "families/tradeboss/tradeboss_int.h"
#include "services/directory.h"

const char *const tb_operations[] = {"OPEN_POSITION", "NORMAL_CLOSE", "ABNORMAL_OVERTRADING", NULL};

/* --- the envelope ---------------------------------------------------------- */

/* Messages may quote input cut at a byte limit: keep them plain ASCII so the
 * envelope is always valid JSON. */
void tb_ascii_only(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            *s = '?';
}

/* The envelope built as text, data_text being compact JSON ("{}" when NULL).
 * False when a string is not plain ASCII (or too long): use jansson then. */
static bool envelope_send_text(struct http_req *req, const char *trace, const char *code,
                               const char *msg, const char *data_text, size_t data_len, bool ok,
                               int64_t tm)
{
    size_t cap = 256 + 6 * (strlen(trace) + strlen(code) + strlen(msg)) + data_len;
    char *mem = malloc(cap);
    if (!mem)
        return false;
    struct jsonx_buf b;
    jsonx_buf_init(&b, mem, cap);
    jsonx_buf_lit(&b, "{\"bizCode\":\"\",\"code\":");
    jsonx_buf_str(&b, code);
    jsonx_buf_lit(&b, ",\"msg\":");
    jsonx_buf_str(&b, msg);
    jsonx_buf_lit(&b, ",\"tm\":");
    jsonx_buf_int(&b, tm);
    jsonx_buf_lit(&b, ",\"trace\":");
    jsonx_buf_str(&b, trace);
    jsonx_buf_lit(&b, ",\"msgParams\":\"\",\"data\":");
    if (data_text)
        jsonx_buf_raw(&b, data_text, data_len);
    else
        jsonx_buf_lit(&b, "{}");
    jsonx_buf_lit(&b, ok ? ",\"ok\":true,\"fail\":false}" : ",\"ok\":false,\"fail\":true}");
    if (b.failed) {
        free(mem);
        return false;
    }
    http_req_respond(req, 200, mem, b.len);
    return true;
}

/* data_text (compact JSON, may be NULL) stands for data when data is NULL. */
void tb_envelope_send(struct http_req *req, const char *trace, const char *code, const char *msg,
                      json_t *data, const char *data_text, size_t data_len)
{
    int64_t tm = (fg_clock_mono_ns() - req->start_ns) / 1000000;
    bool ok = strcmp(code, "0") == 0;
    if (tm < 0)
        tm = 0;
    if (!data && envelope_send_text(req, trace, code, msg, data_text, data_len, ok, tm))
        return;
    json_t *data_json = data        ? json_incref(data)
                        : data_text ? json_loadb(data_text, data_len, 0, NULL)
                                    : json_object();
    json_t *env = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:o,s:b,s:b}", "bizCode", "", "code", code,
                            "msg", msg, "tm", (json_int_t)tm, "trace", trace, "msgParams", "",
                            "data", data_json ? data_json : json_object(), "ok", ok, "fail", !ok);
    size_t len = 0;
    char *text = env ? jsonx_dump(env, &len) : NULL;
    json_decref(env);
    if (!text) {
        static const char fallback[] =
            "{\"bizCode\":\"\",\"code\":\"US_9000001\",\"msg\":\"out of memory\",\"tm\":0,"
            "\"trace\":\"\",\"msgParams\":\"\",\"data\":{},\"ok\":false,\"fail\":true}";
        http_req_respond_copy(req, 200, fallback, sizeof(fallback) - 1);
        return;
    }
    http_req_respond(req, 200, text, len);
}

/* Answer a refusal at once (before any command). */
int tb_refuse_now(struct http_req *req, const char *trace, int code, const char *detail)
{
    const struct api_code *row = tb_code(code);
    char msg[FG_ERR_MSG_MAX];
    snprintf(msg, sizeof(msg), "%s", detail && *detail ? detail : row->en);
    tb_ascii_only(msg);
    if (code != 0)
        fg_info(req->trace, "tradeboss %s refused %s: %s", req->route_name, row->wire, msg);
    tb_envelope_send(req, trace, row->wire, msg, NULL, NULL, 0);
    req->status = api_code_status(row, code); /* 200, or 429 for the rate limit */
    return HTTP_DONE;
}

/* --- the common prelude: client, auth, headers ----------------------------- */

static bool tb_digits_only(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* The trace to echo: the `trace` header when it is 1..FG_TB_TRACE_BYTES_MAX
 * printable ASCII characters; otherwise (missing, too long, odd bytes) the
 * request's own trace id, which the logs carry. Never a refusal. */
void tb_trace_pick(struct http_req *req, struct tb_head *h)
{
    const char *trace = http_req_header(req, "trace");
    bool ok = trace && *trace && strlen(trace) <= FG_TB_TRACE_BYTES_MAX;
    for (const char *p = trace; ok && *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            ok = false;
    snprintf(h->trace, sizeof(h->trace), "%s", ok ? trace : req->trace);
}

/* Allow-list or X-Signature; true when it has answered a refusal. */
static bool authenticate(struct http_req *req, struct tb_head *h)
{
    if (h->client.hmac) {
        enum tb_sig_result sig =
            tb_signature_check(http_req_header(req, "X-Signature"), h->client.secret,
                               h->client.secret_len, req->body, req->body_len, fg_clock_now_ms());
        static const char *const why[] = {
            [TB_SIG_OK] = "",
            [TB_SIG_MISSING] = "header 'X-Signature' is required",
            [TB_SIG_MALFORMED] = "header 'X-Signature' must be t=<ms>,v1=<64 lowercase hex>",
            [TB_SIG_WRONG] = "signature does not match",
            [TB_SIG_EXPIRED] = "signature time t is more than 5 minutes from the server clock",
        };
        memset(h->client.secret, 0, sizeof(h->client.secret)); /* not needed past here */
        if (sig != TB_SIG_OK) {
            tb_refuse_now(req, h->trace,
                          sig == TB_SIG_EXPIRED ? -FG_ETB_TOO_OLD : -FG_EUNAUTHORIZED, why[sig]);
            return true;
        }
        return false;
    }
    bool allowed = false;
    for (int i = 0; i < h->client.cidr_count && !allowed; i++)
        allowed = tb_cidr_match(&h->client.cidrs[i], &req->peer_addr, req->peer_addr_len);
    if (!allowed) {
        char msg[128];
        snprintf(msg, sizeof(msg), "address %s is not allowed for companyId %lld", req->peer,
                 (long long)h->company_id);
        tb_refuse_now(req, h->trace, -FG_EFORBIDDEN, msg);
    }
    return !allowed;
}

/* The client's timestamp window (timestamp_window_s, 0 = off): when on, the
 * header must be 13 digits within the window of our clock; when off it is
 * not read at all. A refusal goes to h->late_code (execute records it). */
static void timestamp_check(struct http_req *req, struct tb_head *h)
{
    int64_t window_ms = h->client.timestamp_window_s * 1000;
    if (window_ms == 0)
        return;
    const char *ts = http_req_header(req, "timestamp");
    if (!ts || !tb_digits_only(ts, 13, 13)) {
        h->late_code = -FG_EBAD_REQUEST;
        snprintf(h->late_msg, sizeof(h->late_msg),
                 "header 'timestamp' must be 13 digits of epoch milliseconds");
        return;
    }
    int64_t t = strtoll(ts, NULL, 10), d = 0;
    if (__builtin_sub_overflow(t, fg_clock_now_ms(), &d) || d > window_ms || d < -window_ms) {
        h->late_code = -FG_ETB_TOO_OLD;
        snprintf(h->late_msg, sizeof(h->late_msg),
                 "header 'timestamp' is more than %lld s from the server clock",
                 (long long)h->client.timestamp_window_s);
    }
}

/* Returns true when it has answered (a refusal before authentication
 * completed), false to go on, with h->late_code perhaps holding a refusal.
 * windowed: the query and the execute check the client's timestamp window;
 * the cancel never does (refusing it could strand money). */
bool tb_prelude(struct api *api, struct http_req *req, struct tb_head *h, bool windowed)
{
    memset(h, 0, sizeof(*h));
    h->late_code = 0;
    tb_trace_pick(req, h);
    const char *company = http_req_header(req, "companyId");
    if (!company || !tb_digits_only(company, 1, 18) ||
        parse_int64_text(company, 1, INT64_MAX, &h->company_id) < 0) {
        tb_refuse_now(req, h->trace, -FG_EBAD_REQUEST,
                      "header 'companyId' must be a positive integer");
        return true;
    }
    if (tb_client_load(api, h->company_id, &h->client) < 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "no tradeboss client for companyId %lld",
                 (long long)h->company_id);
        tb_refuse_now(req, h->trace, -FG_ETB_UNKNOWN_COMPANY, msg);
        return true;
    }
    if (authenticate(req, h))
        return true;
    char rl_key[24]; /* issue 9.11: HTTP 429, the envelope, x-ratelimit-*; nothing recorded */
    snprintf(rl_key, sizeof(rl_key), "%lld", (long long)h->company_id);
    if (!api_rate_take(api, req, TB_FAMILY, rl_key)) {
        tb_refuse_now(req, h->trace, -FG_ERATE_LIMITED, NULL); /* HTTP 429 */
        return true;
    }
    /* Authenticated: what follows may be recorded. */
    if (windowed)
        timestamp_check(req, h);
    return false;
}

/* --- body fields ------------------------------------------------------------ */

static int tb_biz_type(json_t *body, struct fg_err *err)
{
    int64_t v = 0;
    int rc = jsonx_int(body, "bizType", true, 1, 12, &v, err);
    if (rc == 0 && v != 1 && v != 2 && v != 10 && v != 11 && v != 12)
        rc = fg_fail(err, -FG_EBAD_FIELD, "field 'bizType' must be one of 1, 2, 10, 11, 12");
    return rc;
}

static int tb_currency_field(json_t *body, const char **out, struct fg_err *err)
{
    int rc = jsonx_str(body, "currency", true, FG_CURRENCY_CODE_BYTES_MAX, out, err);
    if (rc == 0 && !currency_code_valid(*out))
        rc = fg_fail(err, -FG_EBAD_FIELD, "field 'currency' must be 2 to %d of A-Z and 0-9",
                     FG_CURRENCY_CODE_BYTES_MAX);
    return rc;
}

/* The body as a JSON object. A text that jansson refuses only because a
 * string holds bytes that are not UTF-8 (or an unpaired surrogate escape) is
 * read with U+FFFD in their place and *repaired set: the caller decides which
 * fields may hold them (a cancel's descriptive fields may, nothing else). */
int tb_body_parse(struct http_req *req, json_t **body, bool *repaired, struct fg_err *err)
{
    *repaired = false;
    int rc = jsonx_parse_object(req->body, req->body_len, body, err);
    if (rc != -FG_EBAD_JSON)
        return rc;
    char *fixed = NULL;
    size_t n = 0;
    bool changed = false;
    if (utf8_json_repair(req->body, req->body_len, &fixed, &n, &changed) < 0)
        return fg_fail(err, -FG_ENOMEM, "out of memory");
    json_t *v = NULL;
    struct fg_err again = {0};
    if (changed) /* the same strict reader: depth, NUL bytes, duplicate keys */
        (void)jsonx_parse_object(fixed, n, &v, &again);
    free(fixed);
    if (!json_is_object(v)) {
        json_decref(v);
        return rc; /* not JSON for another reason: the first error says why */
    }
    *body = v;
    *repaired = true;
    return 0;
}

/* A string of 1..max_chars characters. In a repaired body, U+FFFD in it means
 * the bytes sent were not UTF-8: refused (this reader is for the fields that
 * identify a request). */
int tb_text_field(json_t *body, const char *key, size_t max_chars, bool repaired, const char **out,
                  struct fg_err *err)
{
    json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v))
        return fg_fail(err, -FG_EMISSING_FIELD, "field '%s' is required", key);
    if (!json_is_string(v))
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be a string", key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must not be empty", key);
    if (utf8_chars(s, n) > max_chars)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' is longer than %zu characters", key,
                       max_chars);
    if (repaired && utf8_has_replacement(s, n))
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' is not valid UTF-8", key);
    *out = s;
    return 0;
}

/* orderId: an integer >= 0, sent as a JSON number or a string of digits
 * ("42"). A string is replaced in body by the number, so the defining hash
 * does not depend on how it was written. */
int tb_order_id_field(json_t *body, struct fg_err *err)
{
    json_t *v = json_object_get(body, "orderId");
    if (!v || json_is_null(v))
        return fg_fail(err, -FG_EMISSING_FIELD, "field 'orderId' is required");
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        return 0;
    const char *s = json_string_value(v);
    long long n = -1;
    if (s && tb_digits_only(s, 1, 19)) {
        errno = 0;
        n = strtoll(s, NULL, 10);
        if (errno == ERANGE)
            n = -1;
    }
    if (n < 0)
        return fg_fail(err, -FG_EBAD_FIELD,
                       "field 'orderId' must be an integer from 0 to 2^63-1, as a number or "
                       "a string of digits");
    json_object_set_new(body, "orderId", json_integer(n));
    return 0;
}

/* metadata (optional): a JSON string, or any JSON value (an object, usually),
 * of at most FG_TB_REMARK_CHARS_MAX characters (a value other than a string
 * counts its compact text). */
static int tb_metadata_check(json_t *body, struct fg_err *err)
{
    json_t *v = json_object_get(body, "metadata");
    if (!v || json_is_null(v))
        return 0;
    size_t chars = 0;
    if (json_is_string(v)) {
        chars = utf8_chars(json_string_value(v), json_string_length(v));
    } else {
        size_t len = 0;
        char *text = jsonx_dump(v, &len);
        if (!text)
            return fg_fail(err, -FG_ENOMEM, "out of memory");
        chars = utf8_chars(text, len);
        free(text);
    }
    if (chars > FG_TB_REMARK_CHARS_MAX)
        return fg_fail(err, -FG_EBAD_FIELD, "field 'metadata' is longer than %d characters",
                       FG_TB_REMARK_CHARS_MAX);
    return 0;
}

/* amount: a decimal string with exactly amountDigits decimal places ("100.00"
 * with 2, "100" with 0), a '-' first for ABNORMAL_OVERTRADING and never
 * otherwise. This is the rule that gives every accepted pair one meaning:
 * "150" with amountDigits 2 could be 150.00 or 1.50 in minor units, so it is
 * refused, never guessed. *out gets the text as sent (core/money.h). */
static int tb_amount_field(json_t *body, int digits, bool negative, struct money_text *out,
                           struct fg_err *err)
{
    json_t *v = json_object_get(body, "amount");
    if (!v || json_is_null(v))
        return fg_fail(err, -FG_EMISSING_FIELD, "field 'amount' is required");
    if (!json_is_string(v))
        return fg_fail(err, -FG_EBAD_AMOUNT, "field 'amount' must be a decimal string");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    bool neg = n > 0 && s[0] == '-';
    if (neg != negative)
        return fg_fail(err, -FG_EBAD_AMOUNT, "field 'amount' must be %s for this operation",
                       negative ? "negative" : "positive");
    const char *dot = memchr(s, '.', n);
    size_t places = dot ? n - (size_t)(dot - s) - 1 : 0;
    if (dot ? places != (size_t)digits : digits != 0)
        return fg_fail(err, -FG_EBAD_AMOUNT,
                       "field 'amount' has %zu decimal places but amountDigits is %d; they must "
                       "agree",
                       places, digits);
    struct fg_err inner;
    int64_t units = 0;
    if (money_text_read(s, n, negative, out, &inner) < 0 ||
        money_text_minor(out, digits, false, &units, &inner) < 0)
        return fg_fail(err, -FG_EBAD_AMOUNT, "field 'amount': %s", inner.msg);
    if (units == 0)
        return fg_fail(err, -FG_EAMOUNT_ZERO, "field 'amount' must not be zero");
    return 0;
}

/* The amount's absolute value in minor units of a currency with cur_digits:
 * fewer places are scaled up; more only when the extra digits are zeros
 * ("100.00" with 2 is 100 JPY; "100.50" is no JPY amount). */
int tb_amount_minor(const struct money_text *a, int cur_digits, int64_t *out, struct fg_err *err)
{
    int64_t v = 0;
    if (money_text_minor(a, cur_digits, true, &v, NULL) < 0)
        return a->places > cur_digits
                   ? fg_fail(err, -FG_EBAD_AMOUNT,
                             "field 'amount' is not exact in a currency of %d decimal places",
                             cur_digits)
                   : fg_fail(err, -FG_EBAD_AMOUNT, "field 'amount' is too large");
    *out = v < 0 ? -v : v; /* at most 18 digits: no overflow */
    return 0;
}

bool tb_tsc_matches(const struct tb_tsc *tsc, const char *uuid)
{
    return !tsc->check || (!tsc->too_long && strcmp(tsc->value, uuid) == 0);
}

/* thirdServerCode under the client's rule: not read ("ignore"), or required
 * and kept to be compared with the customer's uuid on the writer. */
int tb_tsc_read(json_t *body, const struct tb_client *cl, struct tb_tsc *tsc, struct fg_err *err)
{
    memset(tsc, 0, sizeof(*tsc));
    if (cl->third_server_code == TB_TSC_IGNORE)
        return 0;
    tsc->check = true;
    json_t *v = json_object_get(body, "thirdServerCode");
    if (!v || json_is_null(v))
        return fg_fail(err, -FG_EMISSING_FIELD, "field 'thirdServerCode' is required");
    if (!json_is_string(v))
        return fg_fail(err, -FG_EBAD_FIELD, "field 'thirdServerCode' must be a string");
    size_t n = json_string_length(v);
    /* Longer than any uuid, or holding a NUL: it cannot name a customer. */
    tsc->too_long = n > FG_UUID_BYTES_MAX || strlen(json_string_value(v)) != n;
    if (!tsc->too_long)
        memcpy(tsc->value, json_string_value(v), n + 1);
    return 0;
}

/* --- field readers for specs (core/fields.h); ctx is a struct tb_read ------- */

int tb_read_utf8(json_t *body, const struct field_spec *f, void *dst, void *ctx, struct fg_err *err)
{
    (void)body, (void)f, (void)dst;
    const struct tb_read *r = ctx;
    return r->repaired ? fg_fail(err, -FG_EBAD_FIELD, "the body is not valid UTF-8") : 0;
}

int tb_read_tsc(json_t *body, const struct field_spec *f, void *dst, void *ctx, struct fg_err *err)
{
    const struct tb_read *r = ctx;
    return tb_tsc_read(body, r->client, (struct tb_tsc *)((char *)dst + f->offset), err);
}

int tb_read_text(json_t *body, const struct field_spec *f, void *dst, void *ctx, struct fg_err *err)
{
    const struct tb_read *r = ctx;
    const char *v = NULL;
    int rc = tb_text_field(body, f->name, (size_t)f->max, r->repaired, &v, err);
    if (rc == 0)
        snprintf((char *)dst + f->offset, f->cap, "%s", v); /* f->max characters fit */
    return rc;
}

int tb_read_currency(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                     struct fg_err *err)
{
    (void)ctx;
    const char *v = NULL;
    int rc = tb_currency_field(body, &v, err);
    if (rc == 0)
        snprintf((char *)dst + f->offset, f->cap, "%s", v);
    return rc;
}

int tb_read_biz_type(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                     struct fg_err *err)
{
    (void)f, (void)dst, (void)ctx;
    return tb_biz_type(body, err);
}

int tb_read_order_id(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                     struct fg_err *err)
{
    (void)f, (void)dst, (void)ctx;
    return tb_order_id_field(body, err);
}

int tb_read_metadata(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                     struct fg_err *err)
{
    (void)f, (void)dst, (void)ctx;
    return tb_metadata_check(body, err);
}

/* dst is a struct tb_cmd whose amount_digits and op were read before. */
int tb_read_amount(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                   struct fg_err *err)
{
    (void)f, (void)ctx;
    struct tb_cmd *t = dst;
    return tb_amount_field(body, t->amount_digits, t->op == TB_OP_OVERTRADING, &t->amount, err);
}
