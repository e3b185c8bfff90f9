/*
 * worldfirst_wire.c - the pure parts of the WorldFirst wire; see
 * worldfirst_wire.h. The code table below is the one the README and
 * docs/protocols/worldfirst.md mirror.
 */
#include "families/worldfirst/worldfirst_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/money.h"
#include "core/parse.h"
#include "core/sig.h"
#include "families/worldfirst/worldfirst_codes.h"
#include "services/directory.h"
#include "services/withdraw_rules.h"

const struct wf_code_row wf_codes[WF_CODE_COUNT] = {
    [WF_SUCCESS] = {"SUCCESS", "S", "success"},
    [WF_PROCESSING] = {"PROCESSING", "S", "The settlement is being processed."},
    [WF_PARAM_ILLEGAL] = {"PARAM_ILLEGAL", "F",
                          "Illegal parameters exist. For example, a non-numeric input, or an "
                          "invalid date."},
    [WF_PROCESS_FAIL] = {"PROCESS_FAIL", "F", "A general business failure occurred. Do not retry."},
    [WF_UNKNOWN_EXCEPTION] = {"UNKNOWN_EXCEPTION", "U", "API failed due to unknown reason."},
    [WF_TRAFFIC_EXCEED_LIMIT] = {"REQUEST_TRAFFIC_EXCEED_LIMIT", "U",
                                 "The request traffic exceeds the limit."},
    [WF_INVALID_API] = {"INVALID_API", "F", "The called API is invalid or not active."},
    [WF_INVALID_CLIENT] = {"INVALID_CLIENT", "F", "The client is invalid."},
    [WF_INVALID_SIGNATURE] = {"INVALID_SIGNATURE", "F", "The signature is invalid."},
    [WF_METHOD_NOT_SUPPORTED] = {"METHOD_NOT_SUPPORTED", "F",
                                 "The server does not implement the requested HTTP method."},
    [WF_ACCESS_DENIED] = {"ACCESS_DENIED", "F", "Access is denied."},
    [WF_BALANCE_INSUFFICIENT] = {"BALANCE_INSUFFICIENT", "F",
                                 "The balance is insufficient for the exchange."},
    [WF_AUTHORIZATION_NOT_EXIST] = {"AUTHORIZATION_NOT_EXIST", "F",
                                    "The authorization does not exist."},
    [WF_UN_SUPPORT_BUSINESS] = {"UN_SUPPORT_BUSINESS", "F", "Unsupported business."},
    [WF_QUOTE_EXPIRED] = {"QUOTE_EXPIRED", "F", "The quote is expired."},
    [WF_FX_RELATED_ORDER_NOT_EXIST] = {"FX_RELATED_ORDER_NOT_EXIST", "F",
                                       "The exchange order does not exist."},
    [WF_CURRENCY_NOT_SUPPORT] = {"CURRENCY_NOT_SUPPORT", "F", "The currency is not supported."},
    [WF_CONTRACT_CHECK_FAIL] = {"CONTRACT_CHECK_FAIL", "F", "The contract check has failed."},
    [WF_ORDER_NOT_EXIST] = {"ORDER_NOT_EXIST", "F", "The order does not exist."},
};

/* Through the family's code map (worldfirst_codes.c): its row's resultCode. */
enum wf_code wf_code_of(int fg)
{
    const struct api_code *row = api_code_of(&wf_code_map, fg);
    for (int i = 0; i < WF_CODE_COUNT; i++)
        if (strcmp(wf_codes[i].code, row->wire) == 0)
            return (enum wf_code)i;
    return WF_UNKNOWN_EXCEPTION;
}

/* --- the signature header ----------------------------------------------------- */

static bool digits_only(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

/* The signature value: form-URL-decoded when it holds a '%', then base64.
 * Tolerated, as they change no byte of the signature: a '+' left as it is
 * beside encoded characters (base64 has no space, so a space decoded there
 * was a '+'), and the '=' padding left out (all of it). */
static int sig_value(const char *v, size_t n, struct wf_sig_header *out, struct fg_err *err)
{
    char b64[((WF_SIG_BYTES_MAX + 2) / 3) * 4 + 8];
    size_t len = n;
    if (memchr(v, '%', n)) {
        if (!sig_form_url_decode(v, n, b64, sizeof(b64), &len))
            return fg_fail(err, -FG_EBAD_FIELD, "the signature is not form-URL-encoded base64");
        for (size_t i = 0; i < len; i++)
            b64[i] = b64[i] == ' ' ? '+' : b64[i];
    } else if (n < sizeof(b64)) {
        memcpy(b64, v, n);
    } else {
        return fg_fail(err, -FG_EBAD_FIELD, "the signature is not base64 of an RSA signature");
    }
    if (!memchr(b64, '=', len)) /* room left: a longer text is no signature anyway */
        while ((len % 4 == 2 || len % 4 == 3) && len < sizeof(b64))
            b64[len++] = '=';
    if (len == 0 || !sig_base64_decode(b64, len, out->sig, sizeof(out->sig), &out->sig_len))
        return fg_fail(err, -FG_EBAD_FIELD, "the signature is not base64 of an RSA signature");
    return 0;
}

/* One `name=value` part into out; *seen marks each known name once. */
static int sig_part(const char *p, size_t n, struct wf_sig_header *out, int *seen,
                    struct fg_err *err)
{
    static const char *const names[] = {"algorithm", "keyVersion", "signature"};
    const char *eq = memchr(p, '=', n);
    if (!eq)
        return fg_fail(err, -FG_EBAD_FIELD, "the signature header has a part without '='");
    size_t kn = (size_t)(eq - p), vn = n - kn - 1;
    const char *v = eq + 1;
    int which = -1;
    for (int i = 0; i < 3; i++)
        if (strlen(names[i]) == kn && memcmp(names[i], p, kn) == 0)
            which = i;
    if (which < 0)
        return 0; /* tolerated */
    if (*seen & (1 << which))
        return fg_fail(err, -FG_EBAD_FIELD, "the signature header names %s twice", names[which]);
    *seen |= 1 << which;
    if (which == 0 && !(vn == 6 && memcmp(v, "RSA256", 6) == 0))
        return fg_fail(err, -FG_EBAD_FIELD, "algorithm must be RSA256");
    if (which == 1) {
        if (vn > FG_WF_KEY_VERSION_DIGITS_MAX || !digits_only(v, vn))
            return fg_fail(err, -FG_EBAD_FIELD, "keyVersion must be 1 to %d digits",
                           FG_WF_KEY_VERSION_DIGITS_MAX);
        memcpy(out->key_version, v, vn);
        out->key_version[vn] = '\0';
    }
    return which == 2 ? sig_value(v, vn, out, err) : 0;
}

int wf_sig_header_parse(const char *v, size_t n, struct wf_sig_header *out, struct fg_err *err)
{
    memset(out, 0, sizeof(*out));
    if (n == 0 || n > FG_WF_SIGNATURE_HEADER_BYTES_MAX || memchr(v, '\0', n))
        return fg_fail(err, -FG_EBAD_FIELD, "the signature header must be 1 to %d bytes",
                       FG_WF_SIGNATURE_HEADER_BYTES_MAX);
    int seen = 0;
    size_t i = 0;
    while (i <= n) {
        while (i < n && v[i] == ' ')
            i++; /* spaces after a comma (or before the first part) */
        const char *comma = memchr(v + i, ',', n - i);
        size_t end = comma ? (size_t)(comma - v) : n;
        int rc = sig_part(v + i, end - i, out, &seen, err);
        if (rc < 0)
            return rc;
        i = end + 1;
    }
    if (seen != 7)
        return fg_fail(err, -FG_EBAD_FIELD,
                       "the signature header needs algorithm, keyVersion and signature");
    return 0;
}

size_t wf_sig_header_format(const char *key_version, const uint8_t *sig, size_t len, char *out,
                            size_t cap)
{
    char b64[((WF_SIG_BYTES_MAX + 2) / 3) * 4 + 1], enc[sizeof(b64) * 3];
    size_t bn = sig_base64_encode(sig, len, b64, sizeof(b64));
    size_t en = bn ? sig_form_url_encode(b64, bn, enc, sizeof(enc)) : 0;
    if (!en)
        return 0;
    int w = snprintf(out, cap, "algorithm=RSA256,keyVersion=%s,signature=%s", key_version, enc);
    return w > 0 && (size_t)w < cap ? (size_t)w : 0;
}

char *wf_sign_content(const char *method, const char *uri, const char *client_id, const char *time,
                      const char *body, size_t body_len, size_t *len)
{
    size_t head = strlen(method) + strlen(uri) + strlen(client_id) + strlen(time) + 4;
    char *s = malloc(head + body_len + 1);
    if (!s)
        return NULL;
    int w = snprintf(s, head + 1, "%s %s\n%s.%s.", method, uri, client_id, time);
    FG_ASSERT(w > 0 && (size_t)w == head); /* sized above */
    memcpy(s + head, body, body_len);
    s[head + body_len] = '\0';
    *len = head + body_len;
    return s;
}

/* --- times ----------------------------------------------------------------------- */

/* n digits at s as an integer, or -1. */
static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* The zone at z (n bytes): Z, or +HH:MM / +HHMM (within 14 h); minutes east. */
static bool zone_parse(const char *z, size_t n, int *east_min)
{
    if (n == 1 && (z[0] == 'Z' || z[0] == 'z')) {
        *east_min = 0;
        return true;
    }
    if ((n != 6 && n != 5) || (z[0] != '+' && z[0] != '-') || (n == 6 && z[3] != ':'))
        return false;
    int hh = num(z + 1, 2), mm = num(z + (n == 6 ? 4 : 3), 2);
    if (hh < 0 || mm < 0 || hh > 14 || mm > 59 || hh * 60 + mm > 14 * 60)
        return false;
    *east_min = (z[0] == '-' ? -1 : 1) * (hh * 60 + mm);
    return true;
}

static bool iso_parse(const char *s, size_t n, int64_t *ms)
{
    char date[WD_DATE_BYTES];
    int32_t day;
    if (n < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return false;
    memcpy(date, s, 10);
    date[10] = '\0';
    int hh = num(s + 11, 2), mi = num(s + 14, 2), ss = num(s + 17, 2), frac_ms = 0;
    if (!wd_date_parse(date, &day) || hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59)
        return false;
    size_t i = 19;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start || i - start > 9)
            return false;
        for (size_t k = 0; k < 3; k++)
            frac_ms = frac_ms * 10 + (start + k < i ? s[start + k] - '0' : 0);
    }
    int east = 0;
    if (!zone_parse(s + i, n - i, &east))
        return false;
    *ms = (((int64_t)day * 24 + hh) * 60 + mi - east) * 60000 + ss * 1000 + frac_ms;
    return true;
}

bool wf_time_parse(const char *s, size_t n, int64_t *ms)
{
    if (n == 0 || n > FG_WF_REQUEST_TIME_BYTES_MAX || memchr(s, '\0', n))
        return false;
    if (digits_only(s, n)) {
        int64_t v;
        if (n > 15 || parse_int64_digits(s, n, 0, INT64_MAX, &v) < 0)
            return false;
        *ms = v;
        return true;
    }
    return iso_parse(s, n, ms);
}

void wf_time_format(int64_t ms, char out[WF_TIME_BYTES])
{
    char full[32];
    wd_timestamp_format(ms, full); /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
    memcpy(out, full, 19);
    out[19] = 'Z';
    out[20] = '\0';
}

/* --- QuoteAmount ------------------------------------------------------------------- */

static int amount_value(json_t *v, const char *name, int64_t *out, struct fg_err *err)
{
    const char *s = json_string_value(v);
    size_t n = s ? json_string_length(v) : 0;
    if (json_is_integer(v))
        *out = json_integer_value(v);
    else if (!s || n == 0 || n > 18 || !digits_only(s, n) ||
             parse_int64_digits(s, n, 0, INT64_MAX, out) < 0)
        return fg_fail(err, -FG_EBAD_AMOUNT,
                       "field '%s.value' must be an integer of minor units (a number or a "
                       "string of digits)",
                       name);
    if (*out <= 0 || *out > WF_VALUE_MAX)
        return fg_fail(err, -FG_EBAD_AMOUNT, "field '%s.value' must be 1 to %lld", name,
                       (long long)WF_VALUE_MAX);
    return 0;
}

int wf_amount_get(json_t *obj, const char *name, struct wf_amount *out, struct fg_err *err)
{
    memset(out, 0, sizeof(*out));
    json_t *a = json_object_get(obj, name);
    if (!a || json_is_null(a))
        return fg_fail(err, -FG_EMISSING_FIELD, "field '%s' is required", name);
    if (!json_is_object(a))
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be an object {currency, value}", name);
    json_t *c = json_object_get(a, "currency");
    const char *ccy = json_string_value(c);
    if (!ccy)
        return fg_fail(err, json_is_null(c) || !c ? -FG_EMISSING_FIELD : -FG_EBAD_FIELD,
                       "field '%s.currency' must be a currency code", name);
    if (json_string_length(c) > FG_CURRENCY_CODE_BYTES_MAX || !currency_code_valid(ccy))
        return fg_fail(err, -FG_EUNKNOWN_CURRENCY, "field '%s.currency': '%.16s' is no currency",
                       name, ccy);
    snprintf(out->currency, sizeof(out->currency), "%s", ccy);
    json_t *v = json_object_get(a, "value");
    if (!v || json_is_null(v))
        return 0;
    out->has_value = true;
    return amount_value(v, name, &out->value, err);
}

int wf_values_check(const char *sell, int64_t sold, const char *buy, int64_t bought,
                    struct fg_err *err)
{
    bool sell_over = sold < 1 || sold > WF_VALUE_MAX;
    if (!sell_over && bought >= 1 && bought <= WF_VALUE_MAX)
        return 0;
    return fg_fail(err, -FG_EBAD_AMOUNT,
                   "the %s value would be %lld %s, outside 1 to %lld: ask for a smaller amount",
                   sell_over ? "sell" : "buy", (long long)(sell_over ? sold : bought),
                   sell_over ? sell : buy, (long long)WF_VALUE_MAX);
}

/* --- answers --------------------------------------------------------------------------- */

void wf_buf_text(struct jsonx_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    jsonx_buf_lit(b, "\"");
    for (; *s && !b->failed; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[7] = {'\\', (char)c, 0};
        if (c == '"' || c == '\\') {
            jsonx_buf_raw(b, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
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

void wf_buf_amount(struct jsonx_buf *b, const char *name, const struct wf_amount *a)
{
    jsonx_buf_str(b, name);
    jsonx_buf_lit(b, ":{\"currency\":");
    jsonx_buf_str(b, a->currency);
    if (a->has_value) {
        jsonx_buf_lit(b, ",\"value\":");
        jsonx_buf_int(b, a->value);
    }
    jsonx_buf_lit(b, "}");
}

void wf_buf_result(struct jsonx_buf *b, const char *name, enum wf_code code, const char *msg)
{
    char m[FG_ERR_MSG_MAX];
    snprintf(m, sizeof(m), "%s", msg && msg[0] ? msg : wf_codes[code].message);
    for (char *p = m; *p; p++) /* messages may quote input: plain ASCII only */
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    jsonx_buf_str(b, name);
    jsonx_buf_lit(b, ":{\"resultCode\":");
    jsonx_buf_str(b, wf_codes[code].code);
    jsonx_buf_lit(b, ",\"resultStatus\":");
    jsonx_buf_str(b, wf_codes[code].status);
    jsonx_buf_lit(b, ",\"resultMessage\":");
    jsonx_buf_str(b, m);
    jsonx_buf_lit(b, "}");
}

char *wf_refusal_text(enum wf_code code, const char *msg, size_t *len)
{
    size_t cap = 6 * FG_ERR_MSG_MAX + 128;
    char *mem = malloc(cap);
    if (!mem)
        return NULL;
    struct jsonx_buf b;
    jsonx_buf_init(&b, mem, cap);
    jsonx_buf_lit(&b, "{");
    wf_buf_result(&b, "result", code, msg);
    jsonx_buf_lit(&b, "}");
    FG_ASSERT(!b.failed); /* sized above: the message is at most FG_ERR_MSG_MAX bytes */
    *len = b.len;
    return mem;
}
