/*
 * yabandpay.c - the YabandPay FX family; see yabandpay.h for the contract,
 * docs/protocols/yabandpay.md for the protocol and docs/DESIGN.md
 * "YabandPay" for the decisions.
 *
 * Request path: HTTP thread: body (jansson, capped, no duplicate keys) and
 * its literals (core/jsonlit.h) -> user, sign, method, time, data present
 * -> client (-2001) -> signature (-403, constant time) -> rate limit (429)
 * -> time window (-4031) -> method -> fields. Then GetFXQuote and
 * ExecuteFXOrder become writer commands: idempotency record (scope yb.req,
 * key "<user>:<request_id>") -> the FX core -> record and answer, in one
 * savepoint. QueryFXOrder reads.
 *
 * Invariants:
 *  1. Nothing is written for a request that did not authenticate.
 *  2. A request id names one request of a merchant, quote or execute: the
 *     same request again answers the stored bytes (even after the quote
 *     expired); other content is -4118, nothing applied.
 *  3. Only successes are recorded: a refused quote or execute (no rate,
 *     short balance, expired quote) changes nothing and may be retried with
 *     the same request id once its cause is fixed.
 *  4. Amounts and rates are written as JSON numbers from integers: exact
 *     decimal literals, never through a double; amounts come in as strings
 *     or number literals exact within the currency's digits, never rounded.
 *  5. Every protocol answer is HTTP 200 in the envelope, with a code of
 *     the one table below (the rate limit: 429, still in the envelope).
 */
#include "families/yabandpay.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "core/assert.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/jsonlit.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/money.h"
#include "core/sig.h"
#include "core/utf8.h"
#include "ledger/idem.h"
#include "services/directory.h"
#include "services/fx.h"
#include "store/store.h"

#define YB_SCOPE "yb.req"
#define YB_KEY_BYTES (FG_YB_USER_BYTES_MAX + 1 + FG_YB_REQUEST_ID_BYTES_MAX + 1)
#define YB_AMOUNT_TEXT_BYTES 48
#define YB_DATA_TEXT_BYTES (4096 + FX_REFERENCE_BYTES * 6)
#define YB_NUMBER_BYTES 48

/* --- the code table (README "YabandPay" mirrors it) ------------------------ */

enum yb_code {
    YB_OK,
    YB_INTERNAL,
    YB_SIGNATURE,
    YB_UNKNOWN_USER,
    YB_MISSING,
    YB_INCORRECT_REQUEST_ID,
    YB_BAD_FIELD,
    YB_BAD_AMOUNT,
    YB_BAD_TENOR,
    YB_UNKNOWN_METHOD,
    YB_TIME,
    YB_CURRENCY,
    YB_RATE,
    YB_VALUE_DATE,
    YB_QUOTE_UNKNOWN,
    YB_QUOTE_EXPIRED,
    YB_QUOTE_USED,
    YB_ORDER_EXISTS,
    YB_INSUFFICIENT,
    YB_ACCOUNT,
    YB_TRADE_UNKNOWN,
    YB_RATE_LIMITED,
    YB_CODE_COUNT
};

static const struct {
    const char *code;
    const char *text;
} yb_codes[YB_CODE_COUNT] = {
    [YB_OK] = {"200", ""},
    [YB_INTERNAL] = {"-1000", "Internal error"},
    [YB_SIGNATURE] = {"-403", "The signature Error"},
    [YB_UNKNOWN_USER] = {"-2001", "The UID not exist"},
    [YB_MISSING] = {"-3001", "Required field is missing"},
    [YB_INCORRECT_REQUEST_ID] = {"-4118", "Incorrect request ID"},
    [YB_BAD_FIELD] = {"-3002", "A field has a bad value"},
    [YB_BAD_AMOUNT] = {"-3003", "Bad amount"},
    [YB_BAD_TENOR] = {"-3004", "Bad tenor"},
    [YB_UNKNOWN_METHOD] = {"-3005", "Unknown method"},
    [YB_TIME] = {"-4031", "Request time too far from the server clock"},
    [YB_CURRENCY] = {"-4101", "Currency or pair not supported"},
    [YB_RATE] = {"-4102", "No usable rate for the pair"},
    [YB_VALUE_DATE] = {"-4103", "No value date for the tenor"},
    [YB_QUOTE_UNKNOWN] = {"-4110", "Quote does not exist"},
    [YB_QUOTE_EXPIRED] = {"-4111", "Quote has expired"},
    [YB_QUOTE_USED] = {"-4112", "Quote has already been used"},
    [YB_ORDER_EXISTS] = {"-4113", "order_id already used by another trade"},
    [YB_INSUFFICIENT] = {"-4120", "Insufficient balance"},
    [YB_ACCOUNT] = {"-4121", "Account missing or not active"},
    [YB_TRADE_UNKNOWN] = {"-4122", "Trade does not exist"},
    [YB_RATE_LIMITED] = {"-4290", "Too many requests, retry later"},
};

/* Domain errors (negative fg codes) to this family's codes: the one mapping. */
static enum yb_code yb_code_of(int fg)
{
    switch (-fg) {
    case FG_EMISSING_FIELD:
        return YB_MISSING;
    case FG_EBAD_REQUEST:
    case FG_EBAD_JSON:
    case FG_EUNKNOWN_FIELD:
    case FG_EBAD_FIELD:
    case FG_ETOO_DEEP:
    case FG_ETOO_LARGE:
        return YB_BAD_FIELD;
    case FG_EBAD_AMOUNT:
    case FG_EAMOUNT_ZERO:
    case FG_EOVERFLOW:
        return YB_BAD_AMOUNT;
    case FG_EUNAUTHORIZED:
        return YB_SIGNATURE;
    case FG_EIDEMPOTENCY_CONFLICT:
        return YB_INCORRECT_REQUEST_ID;
    case FG_EUNKNOWN_CURRENCY:
    case FG_EFX_SAME_CURRENCY:
        return YB_CURRENCY;
    case FG_EFX_NO_RATE:
    case FG_EFX_RATE_STALE:
        return YB_RATE;
    case FG_EFX_VALUE_DATE:
        return YB_VALUE_DATE;
    case FG_EFX_QUOTE_UNKNOWN:
        return YB_QUOTE_UNKNOWN;
    case FG_EFX_QUOTE_EXPIRED:
        return YB_QUOTE_EXPIRED;
    case FG_EFX_QUOTE_USED:
        return YB_QUOTE_USED;
    case FG_EFX_ORDER_EXISTS:
        return YB_ORDER_EXISTS;
    case FG_EINSUFFICIENT_FUNDS:
        return YB_INSUFFICIENT;
    case FG_EUNKNOWN_CUSTOMER:
    case FG_EUNKNOWN_ACCOUNT:
    case FG_ECUSTOMER_INACTIVE:
    case FG_EACCOUNT_INACTIVE:
    case FG_ECURRENCY_MISMATCH:
        return YB_ACCOUNT;
    case FG_EFX_EXCHANGE_UNKNOWN:
        return YB_TRADE_UNKNOWN;
    case FG_ERATE_LIMITED:
        return YB_RATE_LIMITED;
    default:
        return YB_INTERNAL; /* operating errors: store, memory, overload, shutdown */
    }
}

/* --- clients ------------------------------------------------------------------ */

static const char *const account_types[] = {"wallet", "securities", "futures", NULL};

struct yb_client {
    char user[FG_YB_USER_BYTES_MAX + 1];
    char uuid[FG_UUID_BYTES_MAX + 1];
    char account_type[16];
    int64_t markup_bp;
    char secret[FG_YB_SECRET_BYTES_MAX + 1];
    size_t secret_len;
};

/* Check a config (the admin body, or a stored one) into c; fill the
 * defaults into cfg when fill, so the stored config says what is in force. */
static int client_parse(json_t *cfg, bool fill, struct yb_client *c, struct fg_err *err)
{
    static const char *const keys[] = {"family",       "user",      "secret", "uuid",
                                       "account_type", "markup_bp", NULL};
    const char *user = NULL, *uuid = NULL, *secret = NULL;
    int type = 0;
    memset(c, 0, sizeof(*c));
    int rc = jsonx_check_keys(cfg, keys, err);
    if (rc == 0)
        rc = jsonx_id(cfg, "user", true, FG_YB_USER_BYTES_MAX, &user, err);
    if (rc == 0)
        rc = jsonx_str(cfg, "secret", true, FG_YB_SECRET_BYTES_MAX, &secret, err);
    if (rc == 0 && strlen(secret) < FG_YB_SECRET_BYTES_MIN)
        rc = fg_fail(err, -FG_EBAD_FIELD, "field 'secret' must be %d to %d bytes",
                     FG_YB_SECRET_BYTES_MIN, FG_YB_SECRET_BYTES_MAX);
    if (rc == 0)
        rc = jsonx_id(cfg, "uuid", true, FG_UUID_BYTES_MAX, &uuid, err);
    if (rc == 0)
        rc = jsonx_enum(cfg, "account_type", false, account_types, &type, err);
    if (rc == 0)
        rc = jsonx_int(cfg, "markup_bp", false, 0, FG_FX_MARKUP_BP_MAX, &c->markup_bp, err);
    if (rc < 0)
        return rc;
    snprintf(c->user, sizeof(c->user), "%s", user);
    snprintf(c->uuid, sizeof(c->uuid), "%s", uuid);
    snprintf(c->account_type, sizeof(c->account_type), "%s", account_types[type]);
    c->secret_len = strlen(secret);
    memcpy(c->secret, secret, c->secret_len + 1);
    if (fill) {
        json_object_set_new(cfg, "account_type", json_string(c->account_type));
        json_object_set_new(cfg, "markup_bp", json_integer(c->markup_bp));
    }
    return 0;
}

static void client_wipe(struct yb_client *c)
{
    memset(c->secret, 0, sizeof(c->secret));
}

static int client_validate(json_t *body, char *key, size_t key_cap, struct fg_err *err)
{
    struct yb_client c;
    int rc = client_parse(body, true, &c, err);
    if (rc == 0)
        snprintf(key, key_cap, "%s", c.user);
    client_wipe(&c);
    return rc;
}

static const char *const client_secret_fields[] = {"secret", NULL};
static const struct app_client_family yb_family = {
    .family = YB_FAMILY,
    .validate = client_validate,
    .secret_fields = client_secret_fields,
};

/* 0, or -FG_ENOT_FOUND for a user without a (usable) client. */
static int client_load(const char *user, struct yb_client *c)
{
    json_t *cfg = app_client_get(YB_FAMILY, user);
    if (!cfg)
        return -FG_ENOT_FOUND;
    struct fg_err err;
    int rc = client_parse(cfg, false, c, &err);
    json_decref(cfg);
    if (rc < 0) {
        fg_error(NULL, "yabandpay client %s has an unusable config: %s", user, err.msg);
        return -FG_ENOT_FOUND;
    }
    return 0;
}

/* --- the body, its literals and the string to sign ---------------------------- */

struct yb_body {
    json_t *root, *data;
    struct jsonlit_member top[FG_YB_FIELDS_MAX], dm[FG_YB_FIELDS_MAX];
    int ntop, ndata;
};

static void body_release(struct yb_body *b)
{
    json_decref(b->root);
    b->root = b->data = NULL;
}

/* Parse text into b: jansson's values and the text's literals. */
static int body_parse(const char *text, size_t len, struct yb_body *b, struct fg_err *err)
{
    memset(b, 0, sizeof(*b));
    int rc = jsonx_parse_object(text, len, &b->root, err);
    if (rc == 0)
        rc = jsonlit_object(text, len, b->top, FG_YB_FIELDS_MAX, &b->ntop, err);
    if (rc == -FG_ETOO_LARGE)
        rc = fg_fail(err, -FG_EBAD_FIELD, "the body has more than %d members", FG_YB_FIELDS_MAX);
    if (rc < 0)
        return rc;
    b->data = json_object_get(b->root, "data");
    if (!b->data || json_is_null(b->data))
        return fg_fail(err, -FG_EMISSING_FIELD, "field 'data' is required");
    const struct jsonlit_member *m = jsonlit_find(b->top, b->ntop, "data");
    if (!json_is_object(b->data) || !m)
        return fg_fail(err, -FG_EBAD_FIELD, "field 'data' must be an object");
    rc = jsonlit_object(m->value, m->value_len, b->dm, FG_YB_FIELDS_MAX, &b->ndata, err);
    if (rc == -FG_ETOO_LARGE)
        rc =
            fg_fail(err, -FG_EBAD_FIELD, "field 'data' has more than %d members", FG_YB_FIELDS_MAX);
    return rc;
}

struct kv {
    const char *k, *v;
    size_t kn, vn;
};

static int kv_cmp(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    size_t n = x->kn < y->kn ? x->kn : y->kn;
    int c = memcmp(x->k, y->k, n);
    return c ? c : (x->kn > y->kn) - (x->kn < y->kn);
}

/* A value as the text gives it: strings decoded, the rest literally. */
static int kv_value(json_t *v, const struct jsonlit_member *m, const char *key, struct kv *out,
                    struct fg_err *err)
{
    if (json_is_string(v)) {
        out->v = json_string_value(v);
        out->vn = json_string_length(v);
        if (strlen(out->v) != out->vn)
            return fg_fail(err, -FG_EBAD_FIELD, "field '%.64s' holds a NUL character", key);
        return 0;
    }
    if (!m)
        return fg_fail(err, -FG_EBAD_JSON, "field '%.64s' not found in the text", key);
    out->v = m->value;
    out->vn = m->value_len;
    return 0;
}

/* The k=v pairs: user, method, time, then every member of data. */
static int kv_collect(struct yb_body *b, struct kv *kv, int *n, struct fg_err *err)
{
    static const char *const top[] = {"user", "method", "time"};
    *n = 0;
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(b->root, top[i]);
        if (!v || json_is_null(v))
            return fg_fail(err, -FG_EMISSING_FIELD, "field '%s' is required", top[i]);
        if (!(json_is_string(v) || (i == 2 && json_is_integer(v))))
            return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be a %s", top[i],
                           i == 2 ? "number of seconds" : "string");
        kv[*n] = (struct kv){.k = top[i], .kn = strlen(top[i])};
        int rc = kv_value(v, jsonlit_find(b->top, b->ntop, top[i]), top[i], &kv[(*n)++], err);
        if (rc < 0)
            return rc;
    }
    const char *key;
    json_t *v;
    json_object_foreach(b->data, key, v)
    {
        if (strcmp(key, "user") == 0 || strcmp(key, "method") == 0 || strcmp(key, "time") == 0)
            return fg_fail(err, -FG_EBAD_FIELD, "data may not hold '%s': it is signed already",
                           key);
        kv[*n] = (struct kv){.k = key, .kn = strlen(key)};
        int rc = kv_value(v, jsonlit_find(b->dm, b->ndata, key), key, &kv[(*n)++], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int sign_string_of(struct yb_body *b, char **out, size_t *out_len, struct fg_err *err)
{
    struct kv kv[FG_YB_FIELDS_MAX + 3];
    int n = 0;
    int rc = kv_collect(b, kv, &n, err);
    if (rc < 0)
        return rc;
    qsort(kv, (size_t)n, sizeof(kv[0]), kv_cmp);
    size_t total = 1;
    for (int i = 0; i < n; i++)
        total += kv[i].kn + kv[i].vn + 2; /* bounded by the body's size */
    char *s = malloc(total);
    if (!s)
        return fg_fail(err, -FG_ENOMEM, "out of memory");
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        if (i)
            s[o++] = '&';
        memcpy(s + o, kv[i].k, kv[i].kn);
        o += kv[i].kn;
        s[o++] = '=';
        memcpy(s + o, kv[i].v, kv[i].vn);
        o += kv[i].vn;
    }
    s[o] = '\0';
    *out = s;
    *out_len = o;
    return 0;
}

int yabandpay_sign_string(const char *body, size_t len, char **out, size_t *out_len,
                          struct fg_err *err)
{
    struct yb_body *b = malloc(sizeof(*b));
    if (!b)
        return fg_fail(err, -FG_ENOMEM, "out of memory");
    int rc = body_parse(body, len, b, err);
    if (rc == 0)
        rc = sign_string_of(b, out, out_len, err);
    body_release(b);
    free(b);
    return rc;
}

/* --- the envelope -------------------------------------------------------------- */

/* A JSON string of valid UTF-8 text (jansson checked it): quotes,
 * backslashes and control characters escaped, the rest as is. */
static void buf_text(struct jsonx_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    jsonx_buf_lit(b, "\"");
    for (; *s && !b->failed; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[7] = {'\\', (char)c, 0};
        if (c == '"' || c == '\\') {
            jsonx_buf_raw(b, esc, 2);
        } else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            jsonx_buf_raw(b, esc, 6);
        } else {
            jsonx_buf_raw(b, (const char *)&c, 1);
        }
    }
    jsonx_buf_lit(b, "\"");
}

/* An amount as a JSON number: its exact decimal without trailing zeros. */
static void buf_amount(struct jsonx_buf *b, int64_t v, int digits)
{
    char s[MONEY_FORMAT_BYTES_MAX];
    size_t n = money_amount_format(v, digits, s, sizeof(s));
    if (digits > 0) {
        while (s[n - 1] == '0')
            n--;
        if (s[n - 1] == '.')
            n--;
    }
    jsonx_buf_raw(b, s, n);
}

static void buf_rate(struct jsonx_buf *b, struct fxrate r)
{
    char s[FXRATE_TEXT_BYTES_MAX];
    jsonx_buf_raw(b, s, fxrate_format(r, s, sizeof(s)));
}

/* The envelope text: data_text is compact JSON ("{}" when NULL). */
static char *envelope_text(enum yb_code code, const char *msg, const char *data_text, size_t *len)
{
    char m[FG_ERR_MSG_MAX];
    snprintf(m, sizeof(m), "%s", msg ? msg : yb_codes[code].text);
    for (char *p = m; *p; p++) /* messages may quote input: plain ASCII only */
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    size_t dl = data_text ? strlen(data_text) : 2, cap = dl + 6 * strlen(m) + 128;
    char *mem = malloc(cap);
    if (!mem)
        return NULL;
    struct jsonx_buf b;
    jsonx_buf_init(&b, mem, cap);
    jsonx_buf_lit(&b, code == YB_OK ? "{\"status\":true,\"code\":" : "{\"status\":false,\"code\":");
    jsonx_buf_str(&b, yb_codes[code].code);
    jsonx_buf_lit(&b, ",\"data\":");
    jsonx_buf_raw(&b, data_text ? data_text : "{}", dl);
    jsonx_buf_lit(&b, ",\"message\":");
    jsonx_buf_str(&b, m);
    jsonx_buf_lit(&b, "}");
    FG_ASSERT(!b.failed); /* sized above */
    *len = b.len;
    return mem;
}

static void respond(struct http_req *req, enum yb_code code, const char *msg, const char *data_text)
{
    size_t len = 0;
    char *text = envelope_text(code, msg, data_text, &len);
    if (code != YB_OK)
        fg_info(req->trace, "yabandpay refused %s: %s", yb_codes[code].code,
                msg ? msg : yb_codes[code].text);
    if (!text) {
        static const char oom[] =
            "{\"status\":false,\"code\":\"-1000\",\"data\":{},\"message\":\"out of memory\"}";
        http_req_respond_copy(req, 200, oom, sizeof(oom) - 1);
        return;
    }
    http_req_respond(req, code == YB_RATE_LIMITED ? 429 : 200, text, len);
}

static int refuse_now(struct http_req *req, int fg, const struct fg_err *err)
{
    respond(req, yb_code_of(fg), err && err->msg[0] ? err->msg : NULL, NULL);
    return HTTP_DONE;
}

/* --- data: quotes and trades as the merchant sees them --------------------------- */

static void buf_day(struct jsonx_buf *b, int32_t day)
{
    char d[WD_DATE_BYTES];
    wd_date_format(day, d);
    jsonx_buf_str(b, d);
}

static const char *settlement_status(enum fx_state s)
{
    return s == FX_SETTLED ? "settled" : s == FX_FAILED ? "failed" : "pending";
}

/* The trade's fields in the vendor's order, and its value date. */
static bool trade_text(const struct fx_exchange *x, char *out, size_t cap)
{
    struct jsonx_buf b;
    jsonx_buf_init(&b, out, cap);
    jsonx_buf_lit(&b, "{\"trade_id\":");
    jsonx_buf_str(&b, x->id);
    jsonx_buf_lit(&b, ",\"status\":\"complete\",\"booking_status\":\"booked\","
                      "\"settlement_status\":");
    jsonx_buf_str(&b, settlement_status(x->state));
    jsonx_buf_lit(&b, ",\"sell_currency\":");
    jsonx_buf_str(&b, x->sell);
    jsonx_buf_lit(&b, ",\"buy_currency\":");
    jsonx_buf_str(&b, x->buy);
    jsonx_buf_lit(&b, ",\"sold_currency\":");
    jsonx_buf_str(&b, x->sell);
    jsonx_buf_lit(&b, ",\"sold_amount\":");
    buf_amount(&b, x->sold, x->sell_digits);
    jsonx_buf_lit(&b, ",\"bought_currency\":");
    jsonx_buf_str(&b, x->buy);
    jsonx_buf_lit(&b, ",\"bought_amount\":");
    buf_amount(&b, x->bought, x->buy_digits);
    jsonx_buf_lit(&b, ",\"tenor\":");
    jsonx_buf_str(&b, fx_tenor_names[x->tenor]);
    jsonx_buf_lit(&b, ",\"exchange_rate\":");
    buf_rate(&b, x->rate);
    jsonx_buf_lit(&b, ",\"value_date\":");
    buf_day(&b, x->value_day);
    jsonx_buf_lit(&b, ",\"order_id\":");
    buf_text(&b, x->order_id);
    jsonx_buf_lit(&b, ",\"quote_id\":");
    jsonx_buf_str(&b, x->quote_id);
    jsonx_buf_lit(&b, ",\"reference\":");
    buf_text(&b, x->reference);
    jsonx_buf_lit(&b, ",\"response_id\":");
    buf_text(&b, x->request_id);
    jsonx_buf_lit(&b, "}");
    return !b.failed;
}

static bool quote_text(const struct fx_quote *q, const char *currency, const char *request_id,
                       char *out, size_t cap)
{
    struct jsonx_buf b;
    bool sell_side = q->req.fixed == FX_FIXED_SELL;
    jsonx_buf_init(&b, out, cap);
    jsonx_buf_lit(&b, "{\"quote_id\":");
    jsonx_buf_str(&b, q->id);
    jsonx_buf_lit(&b, ",\"sell_currency\":");
    jsonx_buf_str(&b, q->req.sell);
    jsonx_buf_lit(&b, ",\"buy_currency\":");
    jsonx_buf_str(&b, q->req.buy);
    jsonx_buf_lit(&b, ",\"currency\":");
    jsonx_buf_str(&b, currency);
    jsonx_buf_lit(&b, ",\"amount\":");
    buf_amount(&b, q->req.amount, sell_side ? q->sell_digits : q->buy_digits);
    jsonx_buf_lit(&b, ",\"sell_amount\":");
    buf_amount(&b, q->sell_amount, q->sell_digits);
    jsonx_buf_lit(&b, ",\"buy_amount\":");
    buf_amount(&b, q->buy_amount, q->buy_digits);
    jsonx_buf_lit(&b, ",\"exchange_rate\":");
    buf_rate(&b, q->rate);
    jsonx_buf_lit(&b, ",\"tenor\":");
    jsonx_buf_str(&b, fx_tenor_names[q->req.tenor]);
    jsonx_buf_lit(&b, ",\"value_date\":");
    buf_day(&b, q->value_day);
    jsonx_buf_lit(&b, ",\"expire_time\":");
    jsonx_buf_int(&b, q->expires_ms / 1000);
    jsonx_buf_lit(&b, ",\"valid_seconds\":");
    jsonx_buf_int(&b, q->req.ttl_ms / 1000);
    jsonx_buf_lit(&b, ",\"request_id\":");
    buf_text(&b, request_id);
    jsonx_buf_lit(&b, ",\"response_id\":");
    buf_text(&b, request_id);
    jsonx_buf_lit(&b, "}");
    return !b.failed;
}

/* --- commands on the writer ------------------------------------------------------- */

/* Answer a refusal from inside a command and return its code (the
 * command's savepoint is rolled back: nothing of it stays). */
static int refuse_cmd(struct app_cmd *c, int rc, const struct fg_err *err)
{
    refuse_now(c->req, rc, err);
    return rc;
}

enum yb_method { YB_QUOTE, YB_EXECUTE, YB_QUERY, YB_METHOD_COUNT };
static const char *const yb_methods[] = {"v3.GetFXQuote", "v3.ExecuteFXOrder", "v3.QueryFXOrder",
                                         NULL};

struct yb_cmd {
    enum yb_method method;
    struct yb_client client;
    char request_id[FG_YB_REQUEST_ID_BYTES_MAX + 1];
    char key[YB_KEY_BYTES];
    /* GetFXQuote */
    char sell[FG_CURRENCY_CODE_BYTES_MAX + 1], buy[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char amount[YB_AMOUNT_TEXT_BYTES];
    enum fx_tenor tenor;
    /* ExecuteFXOrder */
    char quote_id[FG_YB_QUOTE_ID_BYTES_MAX + 1];
    char order_id[FG_FX_ORDER_ID_BYTES_MAX + 1];
    char reference[FX_REFERENCE_BYTES];
    char data[YB_DATA_TEXT_BYTES]; /* the answer's data */
};

static void yb_fail(struct app_cmd *c, int code)
{
    const char *msg = code == -FG_EOVERLOADED ? "engine queue is full; nothing was applied, retry"
                      : code == -FG_ESHUTDOWN ? "server is shutting down; nothing was applied"
                                              : "the write could not be committed; nothing was "
                                                "applied, retry";
    respond(c->req, YB_INTERNAL, msg, NULL);
}

/* A request's defining content, hashed: the method and its fields, so the
 * same request id with other content is told apart (invariant 2). */
static void defining_hash(const char *const parts[], int n, uint8_t out[FG_SHA256_BYTES])
{
    char buf[1024];
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        int w = snprintf(buf + o, sizeof(buf) - o, "%zu:%s;", strlen(parts[i]), parts[i]);
        FG_ASSERT(w > 0 && (size_t)w < sizeof(buf) - o); /* the parts are bounded fields */
        o += (size_t)w;
    }
    fg_sha256(buf, o, out);
}

/* The stored answer of this request id, or a conflict; 1 when it answered. */
static int replay_check(struct app_cmd *c, struct store *s, const uint8_t hash[FG_SHA256_BYTES],
                        int *rc_out)
{
    struct yb_cmd *t = c->data;
    struct fg_err err = {0};
    struct idem_rec rec;
    int rc = idem_get(s, YB_SCOPE, t->key, &rec, &err);
    *rc_out = rc;
    if (rc < 0) {
        refuse_now(c->req, rc, &err);
        return 1;
    }
    if (!rec.found)
        return 0;
    if (idem_same_hash(&rec, hash)) {
        http_req_respond(c->req, 200, rec.response, rec.response_len);
        rec.response = NULL; /* taken over */
        *rc_out = 0;
    } else {
        fg_fail(&err, -FG_EIDEMPOTENCY_CONFLICT,
                "request_id '%.64s' was already used for other content; nothing was applied",
                t->request_id);
        refuse_now(c->req, err.code, &err);
        *rc_out = err.code;
    }
    idem_rec_release(&rec);
    return 1;
}

/* Record the success and answer it (the same bytes a replay gets). */
static int record_and_answer(struct app_cmd *c, struct store *s, int64_t now_ms,
                             const uint8_t hash[FG_SHA256_BYTES])
{
    struct yb_cmd *t = c->data;
    struct fg_err err = {0};
    size_t len = 0;
    char *text = envelope_text(YB_OK, "", t->data, &len);
    if (!text) {
        refuse_now(c->req, -FG_ENOMEM, NULL);
        return -FG_ENOMEM;
    }
    int rc = idem_put(s, YB_SCOPE, t->key, hash, 0, 200, text, len, 0, now_ms, &err);
    if (rc < 0) {
        free(text);
        refuse_now(c->req, rc, &err);
        return rc;
    }
    http_req_respond(c->req, 200, text, len);
    return 0;
}

static int quote_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct yb_cmd *t = c->data;
    struct fg_err err = {0};
    struct currency cur;
    struct fx_quote_req q = {
        .tenor = t->tenor, .markup_bp = t->client.markup_bp, .ttl_ms = FG_YB_QUOTE_TTL_MS};
    struct fg_err inner;
    int rc = currency_get_cached(s, t->currency, &cur, &err);
    if (rc == 0 &&
        money_amount_parse(t->amount, strlen(t->amount), cur.digits, &q.amount, &inner) < 0)
        rc = fg_fail(&err, -FG_EBAD_AMOUNT, "field 'amount' (%s %s): %s", t->amount, cur.code,
                     inner.msg);
    if (rc < 0)
        return refuse_cmd(c, rc, &err);
    char units[24];
    snprintf(units, sizeof(units), "%lld", (long long)q.amount);
    const char *parts[] = {yb_methods[YB_QUOTE], t->sell, t->buy,
                           t->currency,          units,   fx_tenor_names[t->tenor]};
    uint8_t hash[FG_SHA256_BYTES];
    defining_hash(parts, 6, hash);
    if (replay_check(c, s, hash, &rc))
        return rc;
    snprintf(q.family, sizeof(q.family), "%s", YB_FAMILY);
    snprintf(q.client_key, sizeof(q.client_key), "%s", t->client.user);
    snprintf(q.customer, sizeof(q.customer), "%s", t->client.uuid);
    snprintf(q.sell, sizeof(q.sell), "%s", t->sell);
    snprintf(q.buy, sizeof(q.buy), "%s", t->buy);
    q.fixed = strcmp(t->currency, t->sell) == 0 ? FX_FIXED_SELL : FX_FIXED_BUY;
    struct fx_quote out;
    if ((rc = fx_quote_create(s, now_ms, &q, &out, &err)) < 0)
        return refuse_cmd(c, rc, &err);
    if (!quote_text(&out, t->currency, t->request_id, t->data, sizeof(t->data)))
        return refuse_cmd(c, -FG_EINTERNAL, NULL);
    return record_and_answer(c, s, now_ms, hash);
}

static int exec_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct yb_cmd *t = c->data;
    struct fg_err err = {0};
    const char *parts[] = {yb_methods[YB_EXECUTE], t->quote_id, t->order_id};
    uint8_t hash[FG_SHA256_BYTES];
    int rc = 0;
    defining_hash(parts, 3, hash);
    if (replay_check(c, s, hash, &rc))
        return rc;
    struct fx_exec_req e = {.unfunded = false};
    snprintf(e.quote_id, sizeof(e.quote_id), "%.39s", t->quote_id); /* exec_post: <= 36 */
    snprintf(e.family, sizeof(e.family), "%s", YB_FAMILY);
    snprintf(e.client_key, sizeof(e.client_key), "%s", t->client.user);
    snprintf(e.customer, sizeof(e.customer), "%s", t->client.uuid);
    snprintf(e.account_type, sizeof(e.account_type), "%s", t->client.account_type);
    snprintf(e.request_id, sizeof(e.request_id), "%s", t->request_id);
    snprintf(e.order_id, sizeof(e.order_id), "%s", t->order_id);
    snprintf(e.reference, sizeof(e.reference), "%s", t->reference);
    struct fx_exchange x;
    if ((rc = fx_exchange_execute(s, now_ms, &e, &x, &err)) < 0)
        return refuse_cmd(c, rc, &err);
    if (!trade_text(&x, t->data, sizeof(t->data)))
        return refuse_cmd(c, -FG_EINTERNAL, NULL);
    return record_and_answer(c, s, now_ms, hash);
}

/* --- fields ------------------------------------------------------------------------ */

/* A string member of data: 1..max bytes, no NUL; *out points into b. */
static int text_field(json_t *data, const char *key, size_t max, const char **out,
                      struct fg_err *err)
{
    json_t *v = json_object_get(data, key);
    if (!v || json_is_null(v))
        return fg_fail(err, -FG_EMISSING_FIELD, "field '%s' is required", key);
    if (!json_is_string(v))
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be a string", key);
    size_t n = json_string_length(v);
    if (n == 0 || n > max || strlen(json_string_value(v)) != n)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be 1 to %zu bytes", key, max);
    *out = json_string_value(v);
    return 0;
}

/* An identifier: a string, or a number's literal (order ids are digits),
 * of 1..max of [A-Za-z0-9._:@-]; copied into out (cap > max). */
static int id_field(const struct yb_body *b, const char *key, bool required, size_t max, char *out,
                    size_t cap, struct fg_err *err)
{
    json_t *v = json_object_get(b->data, key);
    const struct jsonlit_member *m = jsonlit_find(b->dm, b->ndata, key);
    out[0] = '\0';
    if (!v || json_is_null(v))
        return required ? fg_fail(err, -FG_EMISSING_FIELD, "field '%s' is required", key) : 0;
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    size_t n = s ? json_string_length(v) : 0;
    if (json_is_integer(v) && m) {
        s = m->value;
        n = m->value_len;
    }
    if (!s || n == 0 || n > max || n >= cap)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be 1 to %zu characters", key, max);
    memcpy(out, s, n);
    out[n] = '\0';
    return jsonx_id_chars(key, out, err);
}

static int currency_field(json_t *data, const char *key, char *out, struct fg_err *err)
{
    const char *s = NULL;
    int rc = text_field(data, key, FG_CURRENCY_CODE_BYTES_MAX, &s, err);
    if (rc == 0 && !currency_code_valid(s))
        rc = fg_fail(err, -FG_EUNKNOWN_CURRENCY, "field '%s': '%.16s' is no currency", key, s);
    if (rc == 0)
        snprintf(out, FG_CURRENCY_CODE_BYTES_MAX + 1, "%s", s);
    return rc;
}

/* amount: a decimal string, or a JSON number whose literal is one (checked
 * against the currency's digits on the writer: never rounded). */
static int amount_field(const struct yb_body *b, char *out, struct fg_err *err)
{
    json_t *v = json_object_get(b->data, "amount");
    const struct jsonlit_member *m = jsonlit_find(b->dm, b->ndata, "amount");
    if (!v || json_is_null(v))
        return fg_fail(err, -FG_EMISSING_FIELD, "field 'amount' is required");
    const char *s = json_is_string(v)        ? json_string_value(v)
                    : json_is_number(v) && m ? m->value
                                             : NULL;
    size_t n = json_is_string(v) ? json_string_length(v) : s ? m->value_len : 0;
    if (!s || n == 0 || n >= YB_AMOUNT_TEXT_BYTES || memchr(s, '\0', n))
        return fg_fail(err, -FG_EBAD_AMOUNT,
                       "field 'amount' must be a decimal number (a string or a JSON number)");
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* reference (optional, descriptive): a string of at most
 * FG_FX_REFERENCE_CHARS_MAX characters kept as given, or a number or
 * boolean kept as its literal. */
static int reference_field(const struct yb_body *b, char *out, size_t cap, struct fg_err *err)
{
    json_t *v = json_object_get(b->data, "reference");
    const struct jsonlit_member *m = jsonlit_find(b->dm, b->ndata, "reference");
    out[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    size_t n = s ? json_string_length(v) : 0;
    if (!s && m && (json_is_number(v) || json_is_boolean(v))) {
        s = m->value;
        n = m->value_len;
    }
    if (!s || memchr(s, '\0', n) || utf8_chars(s, n) > FG_FX_REFERENCE_CHARS_MAX || n >= cap)
        return fg_fail(err, -FG_EBAD_FIELD,
                       "field 'reference' must be text of at most %d "
                       "characters",
                       FG_FX_REFERENCE_CHARS_MAX);
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static int request_id_field(const struct yb_body *b, char *out, size_t cap, struct fg_err *err)
{
    int rc = id_field(b, "request_id", true, FG_YB_REQUEST_ID_BYTES_MAX, out, cap, err);
    if (rc < 0 && rc != -FG_EMISSING_FIELD)
        rc = fg_fail(err, -FG_EIDEMPOTENCY_CONFLICT,
                     "field 'request_id' must be 1 to %d of A-Za-z0-9._:@-",
                     FG_YB_REQUEST_ID_BYTES_MAX);
    return rc;
}

/* --- methods ----------------------------------------------------------------------- */

static struct app_cmd *cmd_new(struct http_req *req, app_cmd_run_fn run, const struct yb_client *cl,
                               enum yb_method method)
{
    struct app_cmd *c = app_cmd_new(req, run, sizeof(struct yb_cmd));
    struct yb_cmd *t = c->data;
    c->fail = yb_fail;
    t->method = method;
    t->client = *cl;
    client_wipe(&t->client); /* the writer needs no secret */
    return c;
}

static int quote_post(struct http_req *req, const struct yb_body *b, const struct yb_client *cl)
{
    static const char *const tenors[] = {"TOD", "SPOT", NULL};
    struct fg_err err = {0};
    struct app_cmd *c = cmd_new(req, quote_run, cl, YB_QUOTE);
    struct yb_cmd *t = c->data;
    const char *tenor = NULL;
    int rc = currency_field(b->data, "sell_currency", t->sell, &err);
    if (rc == 0)
        rc = currency_field(b->data, "buy_currency", t->buy, &err);
    if (rc == 0)
        rc = currency_field(b->data, "currency", t->currency, &err);
    if (rc == 0 && strcmp(t->currency, t->sell) != 0 && strcmp(t->currency, t->buy) != 0)
        rc = fg_fail(&err, -FG_EBAD_FIELD,
                     "field 'currency' must name the sell or the buy currency");
    if (rc == 0)
        rc = amount_field(b, t->amount, &err);
    if (rc == 0 && (rc = text_field(b->data, "tenor", 8, &tenor, &err)) == 0) {
        int i = 0;
        while (tenors[i] && strcmp(tenors[i], tenor) != 0)
            i++;
        if (!tenors[i]) {
            respond(req, YB_BAD_TENOR, "field 'tenor' must be TOD or SPOT", NULL);
            return HTTP_DONE;
        }
        t->tenor = i == 0 ? FX_TENOR_TOD : FX_TENOR_SPOT;
    }
    if (rc == 0)
        rc = request_id_field(b, t->request_id, sizeof(t->request_id), &err);
    if (rc < 0)
        return refuse_now(req, rc, &err);
    snprintf(t->key, sizeof(t->key), "%s:%s", cl->user, t->request_id);
    return app_cmd_submit(c);
}

static int exec_post(struct http_req *req, const struct yb_body *b, const struct yb_client *cl)
{
    struct fg_err err = {0};
    struct app_cmd *c = cmd_new(req, exec_run, cl, YB_EXECUTE);
    struct yb_cmd *t = c->data;
    int rc = id_field(b, "order_id", true, FG_FX_ORDER_ID_BYTES_MAX, t->order_id,
                      sizeof(t->order_id), &err);
    if (rc == 0) {
        rc = id_field(b, "quote_id", true, FG_YB_QUOTE_ID_BYTES_MAX, t->quote_id,
                      sizeof(t->quote_id), &err);
        if ((rc < 0 && rc != -FG_EMISSING_FIELD) ||
            (rc == 0 && strlen(t->quote_id) >= FX_ID_BYTES)) /* no id of ours looks so */
            rc = fg_fail(&err, -FG_EFX_QUOTE_UNKNOWN, "no such quote");
    }
    if (rc == 0)
        rc = request_id_field(b, t->request_id, sizeof(t->request_id), &err);
    if (rc == 0)
        rc = reference_field(b, t->reference, sizeof(t->reference), &err);
    if (rc < 0)
        return refuse_now(req, rc, &err);
    snprintf(t->key, sizeof(t->key), "%s:%s", cl->user, t->request_id);
    return app_cmd_submit(c);
}

/* By trade_id, else request_id, else order_id (the first one given). */
static int query_post(struct http_req *req, const struct yb_body *b, const struct yb_client *cl)
{
    static const char *const keys[] = {"trade_id", "request_id", "order_id"};
    static const enum fx_lookup by[] = {FX_BY_ID, FX_BY_REQUEST_ID, FX_BY_ORDER_ID};
    char value[FG_FX_ORDER_ID_BYTES_MAX + 1] = "", data[YB_DATA_TEXT_BYTES];
    struct fg_err err = {0};
    struct fx_exchange x;
    int rc = -FG_EMISSING_FIELD, i = 0;
    for (; i < 3 && rc == -FG_EMISSING_FIELD; i++)
        rc = id_field(b, keys[i], true, FG_FX_ORDER_ID_BYTES_MAX, value, sizeof(value), &err);
    if (rc == -FG_EMISSING_FIELD)
        rc = fg_fail(&err, rc, "give one of 'trade_id', 'request_id', 'order_id'");
    else if (rc < 0)
        rc = fg_fail(&err, -FG_EFX_EXCHANGE_UNKNOWN, "no such trade");
    struct store *s = rc == 0 ? app_reader(&err) : NULL;
    if (rc == 0 && !s)
        rc = -FG_ESTORE;
    if (rc == 0)
        rc = fx_exchange_find(s, YB_FAMILY, cl->user, by[i - 1], value, &x, &err);
    if (rc == 0 && !trade_text(&x, data, sizeof(data)))
        rc = -FG_EINTERNAL;
    if (rc < 0)
        return refuse_now(req, rc, &err);
    respond(req, YB_OK, "", data);
    return HTTP_DONE;
}

/* --- the endpoint ------------------------------------------------------------------ */

/* `time`: seconds as a JSON integer or a string of digits, within
 * FG_YB_TIME_SKEW_S of the server clock. */
static enum yb_code time_check(json_t *v, char *msg, size_t cap)
{
    long long t = -1;
    const char *s = json_string_value(v);
    if (json_is_integer(v))
        t = json_integer_value(v);
    else if (s && strlen(s) >= 1 && strlen(s) <= 12 && strspn(s, "0123456789") == strlen(s))
        t = strtoll(s, NULL, 10);
    if (t < 0) {
        snprintf(msg, cap, "field 'time' must be unix seconds");
        return YB_BAD_FIELD;
    }
    long long now = fg_clock_now_ms() / 1000, d = t > now ? t - now : now - t;
    if (d > FG_YB_TIME_SKEW_S) {
        snprintf(msg, cap, "field 'time' is %lld s from the server clock (at most %d)", d,
                 FG_YB_TIME_SKEW_S);
        return YB_TIME;
    }
    return YB_OK;
}

static enum yb_code say(char *msg, size_t cap, enum yb_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static enum yb_code say(char *msg, size_t cap, enum yb_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
    return code;
}

/* user, sign, method, time: present and typed; the client; the signature;
 * the rate limit; the time window. Returns YB_OK, or the code to answer
 * (msg says why). Nothing is written before this passes (invariant 1). */
static enum yb_code authenticate(struct http_req *req, struct yb_body *b, struct yb_client *cl,
                                 char *msg, size_t cap)
{
    static const char *const required[] = {"user", "method", "time"};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(b->root, required[i]);
        if (!v || json_is_null(v))
            return say(msg, cap, YB_MISSING, "field '%s' is required", required[i]);
        if (i < 2 && !json_is_string(v))
            return say(msg, cap, YB_BAD_FIELD, "field '%s' must be a string", required[i]);
    }
    const char *user = json_string_value(json_object_get(b->root, "user"));
    if (strlen(user) > FG_YB_USER_BYTES_MAX || client_load(user, cl) < 0)
        return say(msg, cap, YB_UNKNOWN_USER, "no merchant '%.64s'", user);
    if (!json_is_string(json_object_get(b->root, "sign"))) {
        client_wipe(cl);
        return say(msg, cap, YB_SIGNATURE, "field 'sign' is required: a hex HMAC-SHA256");
    }
    struct fg_err err = {0};
    char *str = NULL;
    size_t len = 0;
    int rc = sign_string_of(b, &str, &len, &err);
    json_t *sign = json_object_get(b->root, "sign");
    bool ok =
        rc == 0 && sig_hmac_sha256_hex_verify(cl->secret, cl->secret_len, str, len,
                                              json_string_value(sign), json_string_length(sign));
    free(str);
    client_wipe(cl);
    if (rc < 0)
        return say(msg, cap, yb_code_of(rc), "%s", err.msg);
    if (!ok)
        return say(msg, cap, YB_SIGNATURE, "the signature does not match");
    if (!app_rate_take(req, YB_FAMILY, cl->user))
        return say(msg, cap, YB_RATE_LIMITED, "%s", yb_codes[YB_RATE_LIMITED].text);
    return time_check(json_object_get(b->root, "time"), msg, cap);
}

static int payments_post(struct http_req *req, void *ctx)
{
    (void)ctx;
    struct fg_err err = {0};
    struct yb_client cl;
    char msg[FG_ERR_MSG_MAX] = "";
    struct yb_body *b = malloc(sizeof(*b));
    if (!b)
        return refuse_now(req, -FG_ENOMEM, NULL);
    int rc = body_parse(req->body, req->body_len, b, &err), out = HTTP_DONE;
    enum yb_code code = rc < 0 ? yb_code_of(rc) : authenticate(req, b, &cl, msg, sizeof(msg));
    int method = -1;
    if (code == YB_OK) {
        const char *m = json_string_value(json_object_get(b->root, "method"));
        for (int i = 0; yb_methods[i] && method < 0; i++)
            method = strcmp(m, yb_methods[i]) == 0 ? i : -1;
        if (method < 0) {
            snprintf(msg, sizeof(msg), "unknown method '%.64s'", m);
            code = YB_UNKNOWN_METHOD;
        }
    }
    if (code != YB_OK)
        respond(req, code, rc < 0 ? err.msg : msg, NULL);
    else if (method == YB_QUOTE)
        out = quote_post(req, b, &cl);
    else if (method == YB_EXECUTE)
        out = exec_post(req, b, &cl);
    else
        out = query_post(req, b, &cl);
    body_release(b);
    free(b);
    return out;
}

/* The transport's own refusals on /Payments (404, 405, 413, 414, a
 * malformed head) in this family's envelope: -3002, nothing applied. */
static int transport_refusal(struct http_req *req, void *ctx)
{
    const struct http_refusal *r = ctx;
    bool transport = r->code == -FG_ENOT_FOUND || r->code == -FG_EMETHOD ||
                     r->code == -FG_ETOO_LARGE || r->code == -FG_EBAD_REQUEST;
    respond(req, transport ? YB_BAD_FIELD : yb_code_of(r->code), r->msg, NULL);
    return HTTP_DONE;
}

static const struct http_route routes[] = {
    HTTP_ROUTE_OWNER("/Payments", transport_refusal),
    {"POST", "/Payments", payments_post, NULL, "yb_payments"},
};

const struct http_route *yabandpay_routes(int *count)
{
    *count = (int)(sizeof(routes) / sizeof(routes[0]));
    return routes;
}

void yabandpay_init(void)
{
    app_client_family_register(&yb_family);
}

/* --- fundgate sign yabandpay ------------------------------------------------------- */

static char *read_all(FILE *f, size_t *len)
{
    char *buf = malloc(FG_HTTP_BODY_BYTES_MAX + 1);
    size_t n = buf ? fread(buf, 1, FG_HTTP_BODY_BYTES_MAX + 1, f) : 0;
    if (!buf || ferror(f) || n > FG_HTTP_BODY_BYTES_MAX) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* text with `ins` put right after the object's '{' (and a comma when the
 * object has members), or with [at, at + n) replaced by ins when at. */
static char *splice(const char *text, size_t len, const char *at, size_t n, const char *ins,
                    bool members, size_t *out_len)
{
    size_t il = strlen(ins);
    const char *brace = memchr(text, '{', len);
    FG_ASSERT(brace != NULL); /* the text parsed as an object */
    const char *cut = at ? at : brace + 1;
    size_t drop = at ? n : 0, extra = !at && members ? 1 : 0;
    char *out = malloc(len - drop + il + extra + 1);
    if (!out)
        return NULL;
    size_t head = (size_t)(cut - text);
    memcpy(out, text, head);
    memcpy(out + head, ins, il);
    if (extra)
        out[head + il] = ',';
    memcpy(out + head + il + extra, cut + drop, len - head - drop);
    *out_len = len - drop + il + extra;
    out[*out_len] = '\0';
    return out;
}

/* The body with a `time` of now when it has none. */
static char *with_time(const char *text, size_t len, size_t *out_len, struct fg_err *err)
{
    struct yb_body *b = malloc(sizeof(*b));
    char *out = NULL;
    int rc = b ? body_parse(text, len, b, err) : fg_fail(err, -FG_ENOMEM, "out of memory");
    if (rc == 0 && !json_object_get(b->root, "time")) {
        char ins[48];
        snprintf(ins, sizeof(ins), "\"time\":%lld", (long long)(fg_clock_now_ms() / 1000));
        out = splice(text, len, NULL, 0, ins, b->ntop > 0, out_len);
    } else if (rc == 0) {
        out = splice(text, len, text, 0, "", false, out_len); /* a copy */
    }
    if (b)
        body_release(b);
    free(b);
    return out;
}

/* The body with `sign` set to hex (replacing a sign it holds). */
static char *with_sign(const char *text, size_t len, const char *hex, size_t *out_len,
                       struct fg_err *err)
{
    struct yb_body *b = malloc(sizeof(*b));
    char *out = NULL, ins[SIG_SHA256_HEX_BYTES + 16];
    int rc = b ? body_parse(text, len, b, err) : fg_fail(err, -FG_ENOMEM, "out of memory");
    const struct jsonlit_member *m = rc == 0 ? jsonlit_find(b->top, b->ntop, "sign") : NULL;
    if (rc == 0 && m) {
        bool q = m->kind == JSONLIT_STRING;
        snprintf(ins, sizeof(ins), "\"%s\"", hex);
        out = splice(text, len, m->value - q, m->value_len + 2 * q, ins, true, out_len);
    } else if (rc == 0) {
        snprintf(ins, sizeof(ins), "\"sign\":\"%s\"", hex);
        out = splice(text, len, NULL, 0, ins, b->ntop > 0, out_len);
    }
    if (b)
        body_release(b);
    free(b);
    return out;
}

static int sign_usage(FILE *f, int code)
{
    fprintf(f,
            "usage: fundgate sign yabandpay --secret SECRET [FILE|-]\n\n"
            "Reads a request body (JSON: user, method, time, data) from FILE or stdin,\n"
            "adds \"time\" (now, unix seconds) when it has none, computes \"sign\" (HMAC-SHA256\n"
            "of the sorted k=v string, lowercase hex) and prints the body with it.\n");
    return code;
}

int yabandpay_sign_main(int argc, char **argv)
{
    static const struct option opts[] = {{"secret", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *secret = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 's')
            secret = optarg;
        else
            return sign_usage(c == 'h' ? stdout : stderr, c == 'h' ? 0 : 2);
    }
    const char *file = optind < argc ? argv[optind] : "-";
    if (!secret || optind + 1 < argc)
        return sign_usage(stderr, 2);
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    size_t len = 0, tl = 0, sl = 0, ol = 0;
    char *text = f ? read_all(f, &len) : NULL, *timed = NULL, *str = NULL, *out = NULL;
    if (f && f != stdin)
        fclose(f);
    struct fg_err err = {0};
    if (!text)
        fg_fail(&err, -FG_EBAD_REQUEST, "cannot read %s (or it is over %d bytes)", file,
                FG_HTTP_BODY_BYTES_MAX);
    else if ((timed = with_time(text, len, &tl, &err)) &&
             yabandpay_sign_string(timed, tl, &str, &sl, &err) == 0) {
        char hex[SIG_SHA256_HEX_BYTES + 1];
        sig_hmac_sha256_hex(secret, strlen(secret), str, sl, hex);
        out = with_sign(timed, tl, hex, &ol, &err);
    }
    if (out)
        printf("%s\n", out);
    else
        fprintf(stderr, "fundgate sign yabandpay: %s\n", err.msg[0] ? err.msg : "out of memory");
    free(text);
    free(timed);
    free(str);
    free(out);
    return out ? 0 : 1;
}
