/*
 * yabandpay_wire.c - what a merchant reads: the envelope {"status", "code",
 * "data", "message"} of every answer, built from an fg code through the code
 * map (yabandpay_codes.h), and the `data` of quotes and trades.
 *
 * Amounts and rates are written as JSON numbers from integers: exact decimal
 * literals, never through a double (yabandpay.c, invariant 4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/money.h"
#include "families/yabandpay/yabandpay_codes.h"
#include "families/yabandpay/yabandpay_int.h"
#include "services/withdraw_rules.h"

char *yb_envelope_text(int fg, const char *msg, const char *data_text, size_t *len)
{
    const struct api_code *row = yb_code(fg);
    char m[FG_ERR_MSG_MAX];
    snprintf(m, sizeof(m), "%s", msg ? msg : row->en);
    for (char *p = m; *p; p++) /* messages may quote input: plain ASCII only */
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    size_t dl = data_text ? strlen(data_text) : 2, cap = dl + 6 * strlen(m) + 128;
    char *mem = malloc(cap);
    if (!mem)
        return NULL;
    struct jsonx_buf b;
    jsonx_buf_init(&b, mem, cap);
    jsonx_buf_lit(&b, fg == 0 ? "{\"status\":true,\"code\":" : "{\"status\":false,\"code\":");
    jsonx_buf_str(&b, row->wire);
    jsonx_buf_lit(&b, ",\"data\":");
    jsonx_buf_raw(&b, data_text ? data_text : "{}", dl);
    jsonx_buf_lit(&b, ",\"message\":");
    jsonx_buf_str(&b, m);
    jsonx_buf_lit(&b, "}");
    FG_ASSERT(!b.failed); /* sized above */
    *len = b.len;
    return mem;
}

void yb_respond(struct http_req *req, int fg, const char *msg, const char *data_text)
{
    size_t len = 0;
    const struct api_code *row = yb_code(fg);
    char *text = yb_envelope_text(fg, msg, data_text, &len);
    if (fg != 0)
        fg_info(req->trace, "yabandpay refused %s: %s", row->wire, msg ? msg : row->en);
    if (!text) {
        static const char oom[] =
            "{\"status\":false,\"code\":\"-1000\",\"data\":{},\"message\":\"out of memory\"}";
        http_req_respond_copy(req, 200, oom, sizeof(oom) - 1);
        return;
    }
    http_req_respond(req, api_code_status(row, fg), text, len);
}

int yb_refuse_now(struct http_req *req, int fg, const struct fg_err *err)
{
    yb_respond(req, fg, err && err->msg[0] ? err->msg : NULL, NULL);
    return HTTP_DONE;
}

void yb_answer(struct http_req *req, int code, json_t *data, const struct fg_err *err)
{
    char *text = data ? jsonx_dump(data, NULL) : NULL;
    json_decref(data);
    if (data && !text)
        code = -FG_ENOMEM;
    yb_respond(req, code, err && err->msg[0] ? err->msg : NULL, text);
    free(text);
}

void yb_fail(struct api_cmd *c, int code)
{
    const char *msg = code == -FG_EOVERLOADED ? "engine queue is full; nothing was applied, retry"
                      : code == -FG_ESHUTDOWN ? "server is shutting down; nothing was applied"
                                              : "the write could not be committed; nothing was "
                                                "applied, retry";
    yb_respond(c->req, -FG_EINTERNAL, msg, NULL);
}

/* The transport's own refusals on /Payments (404, 405, 413, 414, a
 * malformed head) in this family's envelope: -3002, nothing applied. */
int yb_transport_refusal(struct http_req *req, void *ctx)
{
    const struct http_refusal *r = ctx;
    bool transport = r->code == -FG_ENOT_FOUND || r->code == -FG_EMETHOD ||
                     r->code == -FG_ETOO_LARGE || r->code == -FG_EBAD_REQUEST;
    yb_respond(req, transport ? -FG_EBAD_FIELD : r->code, r->msg, NULL);
    return HTTP_DONE;
}

/* --- data: quotes and trades as the merchant sees them --------------------------- */

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

static void buf_day(struct jsonx_buf *b, int32_t day)
{
    char d[WD_DATE_BYTES];
    wd_date_format(day, d);
    jsonx_buf_str(b, d);
}

/* `,"name":` then the value's writer's turn. */
static void buf_key(struct jsonx_buf *b, const char *name)
{
    jsonx_buf_lit(b, ",\"");
    jsonx_buf_lit(b, name);
    jsonx_buf_lit(b, "\":");
}

static const char *settlement_status(enum fx_state s)
{
    return s == FX_SETTLED ? "settled" : s == FX_FAILED ? "failed" : "pending";
}

/* The trade's amounts and rate: sold, bought, tenor, rate, value date. */
static void trade_money(struct jsonx_buf *b, const struct fx_exchange *x)
{
    buf_key(b, "sold_currency");
    jsonx_buf_str(b, x->sell);
    buf_key(b, "sold_amount");
    buf_amount(b, x->sold, x->sell_digits);
    buf_key(b, "bought_currency");
    jsonx_buf_str(b, x->buy);
    buf_key(b, "bought_amount");
    buf_amount(b, x->bought, x->buy_digits);
    buf_key(b, "tenor");
    jsonx_buf_str(b, fx_tenor_names[x->tenor]);
    buf_key(b, "exchange_rate");
    buf_rate(b, x->rate);
    buf_key(b, "value_date");
    buf_day(b, x->value_day);
}

bool yb_trade_text(const struct fx_exchange *x, char *out, size_t cap)
{
    struct jsonx_buf b;
    jsonx_buf_init(&b, out, cap);
    jsonx_buf_lit(&b, "{\"trade_id\":");
    jsonx_buf_str(&b, x->id);
    jsonx_buf_lit(&b, ",\"status\":\"complete\",\"booking_status\":\"booked\"");
    buf_key(&b, "settlement_status");
    jsonx_buf_str(&b, settlement_status(x->state));
    buf_key(&b, "sell_currency");
    jsonx_buf_str(&b, x->sell);
    buf_key(&b, "buy_currency");
    jsonx_buf_str(&b, x->buy);
    trade_money(&b, x);
    buf_key(&b, "order_id");
    buf_text(&b, x->order_id);
    buf_key(&b, "quote_id");
    jsonx_buf_str(&b, x->quote_id);
    buf_key(&b, "reference");
    buf_text(&b, x->reference);
    buf_key(&b, "response_id");
    buf_text(&b, x->request_id);
    jsonx_buf_lit(&b, "}");
    return !b.failed;
}

bool yb_quote_text(const struct fx_quote *q, const char *currency, const char *request_id,
                   char *out, size_t cap)
{
    struct jsonx_buf b;
    bool sell_side = q->req.fixed == FX_FIXED_SELL;
    jsonx_buf_init(&b, out, cap);
    jsonx_buf_lit(&b, "{\"quote_id\":");
    jsonx_buf_str(&b, q->id);
    buf_key(&b, "sell_currency");
    jsonx_buf_str(&b, q->req.sell);
    buf_key(&b, "buy_currency");
    jsonx_buf_str(&b, q->req.buy);
    buf_key(&b, "currency");
    jsonx_buf_str(&b, currency);
    buf_key(&b, "amount");
    buf_amount(&b, q->req.amount, sell_side ? q->sell_digits : q->buy_digits);
    buf_key(&b, "sell_amount");
    buf_amount(&b, q->sell_amount, q->sell_digits);
    buf_key(&b, "buy_amount");
    buf_amount(&b, q->buy_amount, q->buy_digits);
    buf_key(&b, "exchange_rate");
    buf_rate(&b, q->rate);
    buf_key(&b, "tenor");
    jsonx_buf_str(&b, fx_tenor_names[q->req.tenor]);
    buf_key(&b, "value_date");
    buf_day(&b, q->value_day);
    buf_key(&b, "expire_time");
    jsonx_buf_int(&b, q->expires_ms / 1000);
    buf_key(&b, "valid_seconds");
    jsonx_buf_int(&b, q->req.ttl_ms / 1000);
    buf_key(&b, "request_id");
    buf_text(&b, request_id);
    buf_key(&b, "response_id");
    buf_text(&b, request_id);
    jsonx_buf_lit(&b, "}");
    return !b.failed;
}
