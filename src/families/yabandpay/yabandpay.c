/*
 * yabandpay.c - the YabandPay FX family: the endpoint, its methods, the
 * commands on the writer and the descriptor; see yabandpay.h for the
 * contract, docs/protocols/yabandpay.md for the protocol and docs/DESIGN.md
 * "YabandPay" for the decisions.
 *
 * Request path: HTTP thread: body (jansson, capped, no duplicate keys) and
 * its literals (core/jsonlit.h) -> user, sign, method, time, data present
 * -> client (-2001) -> signature (-403, constant time) -> rate limit (429)
 * -> time window (-4031) -> method -> fields (field specs over the body).
 * Then GetFXQuote and ExecuteFXOrder become writer commands: the request id
 * (api/api_idem.h: scope yb.req, key "<user>:<request_id>") -> the FX core
 * -> answer and record, in one savepoint. QueryFXOrder reads.
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
 *  5. Every protocol answer is HTTP 200 in the envelope, with a code of the
 *     one code map (yabandpay_codes.c; the rate limit: 429, still in the
 *     envelope).
 */
#include "families/yabandpay/yabandpay.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_idem.h"
#include "core/clock.h"
#include "core/fields.h"
#include "core/jsonx.h"
#include "core/money.h"
#include "core/reqhash.h"
#include "core/sig.h"
#include "core/utf8.h"
#include "families/yabandpay/yabandpay_codes.h"
#include "families/yabandpay/yabandpay_int.h"
#include "services/directory.h"

#define YB_SCOPE "yb.req"
#define YB_AMOUNT_TEXT_BYTES 48

enum yb_method { YB_QUOTE, YB_EXECUTE, YB_QUERY };
static const char *const yb_methods[] = {"v3.GetFXQuote", "v3.ExecuteFXOrder", "v3.QueryFXOrder",
                                         NULL};
static const char *const yb_tenors[] = {"TOD", "SPOT", NULL};

struct yb_cmd {
    struct yb_client client; /* its secret wiped: the writer needs none */
    struct api_idem idem;
    char request_id[FG_YB_REQUEST_ID_BYTES_MAX + 1];
    /* GetFXQuote */
    char sell[FG_CURRENCY_CODE_BYTES_MAX + 1], buy[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char amount[YB_AMOUNT_TEXT_BYTES];
    int tenor; /* index in yb_tenors */
    /* ExecuteFXOrder */
    char quote_id[FG_YB_QUOTE_ID_BYTES_MAX + 1];
    char order_id[FG_FX_ORDER_ID_BYTES_MAX + 1];
    char reference[FX_REFERENCE_BYTES];
    char data[YB_DATA_TEXT_BYTES]; /* the answer's data */
};

/* --- commands on the writer ------------------------------------------------------- */

/* Answer a refusal from inside a command and return its code (the
 * command's savepoint is rolled back: nothing of it stays). */
static int refuse_cmd(struct api_cmd *c, int rc, const struct fg_err *err)
{
    yb_refuse_now(c->req, rc, err);
    return rc;
}

/* The stored answer of this request id (1), a conflict (< 0, answered), or
 * nothing yet (0). */
static int replay(struct api_cmd *c, struct store *s)
{
    struct yb_cmd *t = c->data;
    struct fg_err err = {0};
    int rc = api_idem_replay(c, s, &t->idem, &err);
    if (rc == -FG_EIDEMPOTENCY_CONFLICT)
        fg_fail(&err, rc,
                "request_id '%.64s' was already used for other content; nothing was applied",
                t->request_id);
    return rc < 0 ? refuse_cmd(c, rc, &err) : rc;
}

/* Answer the success and record it (a replay gets the same bytes). */
static int answer_and_record(struct api_cmd *c, struct store *s, int64_t now_ms)
{
    struct yb_cmd *t = c->data;
    struct fg_err err = {0};
    size_t len = 0;
    char *text = yb_envelope_text(0, "", t->data, &len);
    if (!text)
        return refuse_cmd(c, -FG_ENOMEM, NULL);
    http_req_respond(c->req, 200, text, len);
    int rc = api_idem_record(c, s, &t->idem, 0, now_ms, &err);
    return rc < 0 ? refuse_cmd(c, rc, &err) : 0;
}

/* The quote's defining content: the method's tag, the pair, the fixed
 * side's currency, its amount in minor units and the tenor (invariant 2). */
static int quote_hash(struct yb_cmd *t, int64_t units)
{
    json_t *v = json_pack("[s,s,s,I,s]", t->sell, t->buy, t->currency, (json_int_t)units,
                          yb_tenors[t->tenor]);
    int rc = v ? reqhash_values(v, "yb.quote.v1", t->idem.hash) : -FG_ENOMEM;
    json_decref(v);
    return rc;
}

static void quote_req_fill(const struct yb_cmd *t, struct fx_quote_req *q)
{
    q->tenor = t->tenor == 0 ? FX_TENOR_TOD : FX_TENOR_SPOT;
    q->markup_bp = t->client.markup_bp;
    q->ttl_ms = FG_YB_QUOTE_TTL_MS;
    snprintf(q->family, sizeof(q->family), "%s", YB_FAMILY);
    snprintf(q->client_key, sizeof(q->client_key), "%s", t->client.user);
    snprintf(q->customer, sizeof(q->customer), "%s", t->client.uuid);
    snprintf(q->sell, sizeof(q->sell), "%s", t->sell);
    snprintf(q->buy, sizeof(q->buy), "%s", t->buy);
    q->fixed = strcmp(t->currency, t->sell) == 0 ? FX_FIXED_SELL : FX_FIXED_BUY;
}

static int quote_run(struct api_cmd *c, struct store *s, int64_t now_ms)
{
    struct yb_cmd *t = c->data;
    struct fg_err err = {0}, inner;
    struct currency cur;
    struct fx_quote_req q = {0};
    int rc = currency_get_cached(s, t->currency, &cur, &err);
    if (rc == 0 &&
        money_amount_parse(t->amount, strlen(t->amount), cur.digits, &q.amount, &inner) < 0)
        rc = fg_fail(&err, -FG_EBAD_AMOUNT, "field 'amount' (%s %s): %s", t->amount, cur.code,
                     inner.msg);
    if (rc == 0)
        rc = quote_hash(t, q.amount);
    if (rc < 0)
        return refuse_cmd(c, rc, &err);
    if ((rc = replay(c, s)) != 0)
        return rc < 0 ? rc : 0;
    quote_req_fill(t, &q);
    struct fx_quote out;
    if ((rc = fx_quote_create(s, now_ms, &q, &out, &err)) < 0)
        return refuse_cmd(c, rc, &err);
    if (!yb_quote_text(&out, t->currency, t->request_id, t->data, sizeof(t->data)))
        return refuse_cmd(c, -FG_EINTERNAL, NULL);
    return answer_and_record(c, s, now_ms);
}

static int exec_run(struct api_cmd *c, struct store *s, int64_t now_ms)
{
    struct yb_cmd *t = c->data;
    struct fg_err err = {0};
    json_t *v = json_pack("[s,s]", t->quote_id, t->order_id);
    int rc = v ? reqhash_values(v, "yb.exec.v1", t->idem.hash) : -FG_ENOMEM;
    json_decref(v);
    if (rc < 0)
        return refuse_cmd(c, rc, NULL);
    if ((rc = replay(c, s)) != 0)
        return rc < 0 ? rc : 0;
    struct fx_exec_req e = {.unfunded = false};
    snprintf(e.quote_id, sizeof(e.quote_id), "%.39s", t->quote_id); /* exec_fields: <= 36 */
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
    if (!yb_trade_text(&x, t->data, sizeof(t->data)))
        return refuse_cmd(c, -FG_EINTERNAL, NULL);
    return answer_and_record(c, s, now_ms);
}

/* --- fields (field specs over `data`; ctx is the struct yb_body) -------------------- */

/* A string member of data: 1..max bytes, no NUL; *out points into data. */
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

static char *dst_of(void *dst, const struct field_spec *f)
{
    return (char *)dst + f->offset;
}

static int read_currency(json_t *data, const struct field_spec *f, void *dst, void *ctx,
                         struct fg_err *err)
{
    (void)ctx;
    const char *s = NULL;
    int rc = text_field(data, f->name, FG_CURRENCY_CODE_BYTES_MAX, &s, err);
    if (rc == 0 && !currency_code_valid(s))
        rc = fg_fail(err, -FG_EUNKNOWN_CURRENCY, "field '%s': '%.16s' is no currency", f->name, s);
    if (rc == 0)
        snprintf(dst_of(dst, f), f->cap, "%s", s);
    return rc;
}

/* The fixed side's currency names the sell or the buy currency. */
static int read_side(json_t *data, const struct field_spec *f, void *dst, void *ctx,
                     struct fg_err *err)
{
    (void)data, (void)f, (void)ctx;
    const struct yb_cmd *t = dst;
    if (strcmp(t->currency, t->sell) != 0 && strcmp(t->currency, t->buy) != 0)
        return fg_fail(err, -FG_EBAD_FIELD,
                       "field 'currency' must name the sell or the buy currency");
    return 0;
}

/* amount: a decimal string, or a JSON number whose literal is one (checked
 * against the currency's digits on the writer: never rounded). */
static int read_amount(json_t *data, const struct field_spec *f, void *dst, void *ctx,
                       struct fg_err *err)
{
    const struct yb_body *b = ctx;
    json_t *v = json_object_get(data, f->name);
    const struct jsonlit_member *m = jsonlit_find(b->dm, b->ndata, f->name);
    if (!v || json_is_null(v))
        return fg_fail(err, -FG_EMISSING_FIELD, "field 'amount' is required");
    const char *s = json_is_string(v)        ? json_string_value(v)
                    : json_is_number(v) && m ? m->value
                                             : NULL;
    size_t n = json_is_string(v) ? json_string_length(v) : s ? m->value_len : 0;
    if (!s || n == 0 || n >= f->cap || memchr(s, '\0', n))
        return fg_fail(err, -FG_EBAD_AMOUNT,
                       "field 'amount' must be a decimal number (a string or a JSON number)");
    memcpy(dst_of(dst, f), s, n);
    dst_of(dst, f)[n] = '\0';
    return 0;
}

static int read_tenor(json_t *data, const struct field_spec *f, void *dst, void *ctx,
                      struct fg_err *err)
{
    (void)ctx;
    const char *tenor = NULL;
    int rc = text_field(data, f->name, 8, &tenor, err), i = 0;
    if (rc < 0)
        return rc;
    while (yb_tenors[i] && strcmp(yb_tenors[i], tenor) != 0)
        i++;
    if (!yb_tenors[i])
        return fg_fail(err, -FG_EYB_BAD_TENOR, "field 'tenor' must be TOD or SPOT");
    *(int *)(void *)dst_of(dst, f) = i;
    return 0;
}

static int read_request_id(json_t *data, const struct field_spec *f, void *dst, void *ctx,
                           struct fg_err *err)
{
    (void)data;
    int rc = id_field(ctx, f->name, true, FG_YB_REQUEST_ID_BYTES_MAX, dst_of(dst, f), f->cap, err);
    if (rc < 0 && rc != -FG_EMISSING_FIELD)
        rc = fg_fail(err, -FG_EIDEMPOTENCY_CONFLICT,
                     "field 'request_id' must be 1 to %d of A-Za-z0-9._:@-",
                     FG_YB_REQUEST_ID_BYTES_MAX);
    return rc;
}

static int read_order_id(json_t *data, const struct field_spec *f, void *dst, void *ctx,
                         struct fg_err *err)
{
    (void)data;
    return id_field(ctx, f->name, true, FG_FX_ORDER_ID_BYTES_MAX, dst_of(dst, f), f->cap, err);
}

/* quote_id: anything but one of our ids (at most FX_ID_BYTES - 1) is no quote. */
static int read_quote_id(json_t *data, const struct field_spec *f, void *dst, void *ctx,
                         struct fg_err *err)
{
    (void)data;
    char *out = dst_of(dst, f);
    int rc = id_field(ctx, f->name, true, FG_YB_QUOTE_ID_BYTES_MAX, out, f->cap, err);
    if ((rc < 0 && rc != -FG_EMISSING_FIELD) || (rc == 0 && strlen(out) >= FX_ID_BYTES))
        rc = fg_fail(err, -FG_EFX_QUOTE_UNKNOWN, "no such quote");
    return rc;
}

/* reference (optional, descriptive): a string of at most
 * FG_FX_REFERENCE_CHARS_MAX characters kept as given, or a number or
 * boolean kept as its literal. */
static int read_reference(json_t *data, const struct field_spec *f, void *dst, void *ctx,
                          struct fg_err *err)
{
    const struct yb_body *b = ctx;
    json_t *v = json_object_get(data, f->name);
    const struct jsonlit_member *m = jsonlit_find(b->dm, b->ndata, f->name);
    char *out = dst_of(dst, f);
    out[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    size_t n = s ? json_string_length(v) : 0;
    if (!s && m && (json_is_number(v) || json_is_boolean(v))) {
        s = m->value;
        n = m->value_len;
    }
    if (!s || memchr(s, '\0', n) || utf8_chars(s, n) > FG_FX_REFERENCE_CHARS_MAX || n >= f->cap)
        return fg_fail(err, -FG_EBAD_FIELD,
                       "field 'reference' must be text of at most %d characters",
                       FG_FX_REFERENCE_CHARS_MAX);
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

#define YB_FIELD(field_name, reader, member)                                                       \
    {                                                                                              \
        .name = field_name, .kind = FIELD_CUSTOM, .read = reader, FIELD_AT(struct yb_cmd, member)  \
    }

static const struct field_spec quote_fields[] = {
    YB_FIELD("sell_currency", read_currency, sell),
    YB_FIELD("buy_currency", read_currency, buy),
    YB_FIELD("currency", read_currency, currency),
    {.name = ".side", .kind = FIELD_CUSTOM, .read = read_side},
    YB_FIELD("amount", read_amount, amount),
    YB_FIELD("tenor", read_tenor, tenor),
    YB_FIELD("request_id", read_request_id, request_id),
    {0},
};

static const struct field_spec exec_fields[] = {
    YB_FIELD("order_id", read_order_id, order_id),
    YB_FIELD("quote_id", read_quote_id, quote_id),
    YB_FIELD("request_id", read_request_id, request_id),
    YB_FIELD("reference", read_reference, reference),
    {0},
};

/* --- methods ----------------------------------------------------------------------- */

/* A quote or an execute: its fields, then the command on the writer. */
static int write_post(struct api *api, struct http_req *req, const struct yb_body *b,
                      const struct yb_client *cl, enum yb_method method)
{
    struct fg_err err = {0};
    struct api_cmd *c =
        api_cmd_new(api, &yabandpay_family, req, method == YB_QUOTE ? quote_run : exec_run,
                    sizeof(struct yb_cmd));
    struct yb_cmd *t = c->data;
    t->client = *cl;
    yb_client_wipe(&t->client); /* the writer needs no secret */
    int rc =
        fields_read(b->data, method == YB_QUOTE ? quote_fields : exec_fields, t, (void *)b, &err);
    if (rc < 0)
        return yb_refuse_now(req, rc, &err);
    api_idem_key(&t->idem, YB_SCOPE, cl->user, t->request_id);
    return api_cmd_submit(c);
}

/* By trade_id, else request_id, else order_id (the first one given). */
static int query_post(struct api *api, struct http_req *req, const struct yb_body *b,
                      const struct yb_client *cl)
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
    struct store *s = rc == 0 ? api_reader(api, &err) : NULL;
    if (rc == 0 && !s)
        rc = -FG_ESTORE;
    if (rc == 0)
        rc = fx_exchange_find(s, YB_FAMILY, cl->user, by[i - 1], value, &x, &err);
    if (rc == 0 && !yb_trade_text(&x, data, sizeof(data)))
        rc = -FG_EINTERNAL;
    if (rc < 0)
        return yb_refuse_now(req, rc, &err);
    yb_respond(req, 0, "", data);
    return HTTP_DONE;
}

/* --- the endpoint ------------------------------------------------------------------ */

/* `time`: seconds as a JSON integer or a string of digits (the integer
 * read from its literal: jansson saw it blanked, yabandpay_body.c), within
 * FG_YB_TIME_SKEW_S of the server clock; more than 18 digits is far away. */
static int time_check(const struct yb_body *b, struct fg_err *err)
{
    json_t *v = json_object_get(b->root, "time");
    const struct jsonlit_member *m = jsonlit_find(b->top, b->ntop, "time");
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    size_t n = s ? json_string_length(v) : 0, digits = 0;
    if (json_is_integer(v) && m) {
        s = m->value;
        n = m->value_len;
    }
    while (s && digits < n && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    if (!s || n == 0 || digits != n)
        return fg_fail(err, -FG_EBAD_FIELD, "field 'time' must be unix seconds");
    if (n > 18)
        return fg_fail(err, -FG_EYB_TIME,
                       "field 'time' is %zu digits long: far from the server clock", n);
    long long now = fg_clock_now_ms() / 1000, t = 0;
    for (size_t i = 0; i < n; i++)
        t = t * 10 + (s[i] - '0');
    long long d = t > now ? t - now : now - t;
    if (d > FG_YB_TIME_SKEW_S)
        return fg_fail(err, -FG_EYB_TIME,
                       "field 'time' is %lld s from the server clock (at most %d)", d,
                       FG_YB_TIME_SKEW_S);
    return 0;
}

/* The signature over the body's string to sign; cl's secret is wiped. */
static int signature_check(struct yb_body *b, struct yb_client *cl, struct fg_err *err)
{
    json_t *sign = json_object_get(b->root, "sign");
    if (!json_is_string(sign)) {
        yb_client_wipe(cl);
        return fg_fail(err, -FG_EUNAUTHORIZED, "field 'sign' is required: a hex HMAC-SHA256");
    }
    char *str = NULL;
    size_t len = 0;
    int rc = yb_sign_string_of(b, &str, &len, err);
    bool ok =
        rc == 0 && sig_hmac_sha256_hex_verify(cl->secret, cl->secret_len, str, len,
                                              json_string_value(sign), json_string_length(sign));
    free(str);
    yb_client_wipe(cl);
    if (rc < 0)
        return rc;
    return ok ? 0 : fg_fail(err, -FG_EUNAUTHORIZED, "the signature does not match");
}

/* user, sign, method, time: present and typed; the client; the signature;
 * the rate limit; the time window. 0, or the code to answer (err says why).
 * Nothing is written before this passes (invariant 1). */
static int authenticate(struct api *api, struct http_req *req, struct yb_body *b,
                        struct yb_client *cl, struct fg_err *err)
{
    static const char *const required[] = {"user", "method", "time"};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(b->root, required[i]);
        if (!v || json_is_null(v))
            return fg_fail(err, -FG_EMISSING_FIELD, "field '%s' is required", required[i]);
        if (i < 2 && !json_is_string(v))
            return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be a string", required[i]);
    }
    const char *user = json_string_value(json_object_get(b->root, "user"));
    if (strlen(user) > FG_YB_USER_BYTES_MAX || yb_client_load(api, user, cl) < 0)
        return fg_fail(err, -FG_EYB_UNKNOWN_USER, "no merchant '%.64s'", user);
    int rc = signature_check(b, cl, err);
    if (rc < 0)
        return rc;
    if (!api_rate_take(api, req, YB_FAMILY, cl->user))
        return fg_fail(err, -FG_ERATE_LIMITED, "%s", yb_code(-FG_ERATE_LIMITED)->en);
    return time_check(b, err);
}

static int method_of(struct yb_body *b, struct fg_err *err)
{
    const char *m = json_string_value(json_object_get(b->root, "method"));
    for (int i = 0; yb_methods[i]; i++)
        if (strcmp(m, yb_methods[i]) == 0)
            return i;
    return fg_fail(err, -FG_EYB_UNKNOWN_METHOD, "unknown method '%.64s'", m);
}

static int payments_post(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    struct fg_err err = {0};
    struct yb_client cl;
    struct yb_body *b = malloc(sizeof(*b));
    if (!b)
        return yb_refuse_now(req, -FG_ENOMEM, NULL);
    int rc = yb_body_parse(req->body, req->body_len, b, &err), out = HTTP_DONE;
    if (rc == 0)
        rc = authenticate(api, req, b, &cl, &err);
    if (rc == 0)
        rc = method_of(b, &err);
    if (rc < 0)
        out = yb_refuse_now(req, rc, &err);
    else if (rc == YB_QUERY)
        out = query_post(api, req, b, &cl);
    else
        out = write_post(api, req, b, &cl, (enum yb_method)rc);
    yb_body_release(b);
    free(b);
    return out;
}

static const struct http_route routes[] = {
    {"POST", "/Payments", payments_post, NULL, "yb_payments"},
};

static const char *const owner_prefixes[] = {"/Payments", NULL};
static const struct fg_error_space *const error_spaces[] = {&yb_error_space, &fx_error_space, NULL};
static const struct api_command commands[] = {
    {"sign yabandpay", "--secret S [FILE|-]",
     "sign a YabandPay request body (adds time and sign), for tests", yb_sign_main},
};

const struct api_family yabandpay_family = {
    .name = YB_FAMILY,
    .routes = routes,
    .route_count = (int)(sizeof(routes) / sizeof(routes[0])),
    .owner_prefixes = owner_prefixes,
    .envelope = {.answer = yb_answer, .unavailable = yb_fail, .refusal = yb_transport_refusal},
    .codes = &yb_code_map,
    .clients = &yb_clients,
    .error_spaces = error_spaces,
    .commands = commands,
    .command_count = (int)(sizeof(commands) / sizeof(commands[0])),
};
