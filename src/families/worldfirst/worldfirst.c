/*
 * worldfirst.c - the WorldFirst family's transport side: routes,
 * authentication, the request's fields, and signed answers; see
 * worldfirst.h for the contract, docs/protocols/worldfirst.md for the wire
 * and docs/DESIGN.md "WorldFirst" for the decisions.
 *
 * Request path (HTTP thread): client-id -> client (INVALID_CLIENT) ->
 * signature and request-time headers, the signature verified with the
 * client's key of its keyVersion (INVALID_SIGNATURE) -> rate limit (429) ->
 * request-time within the client's window (PARAM_ILLEGAL) -> body ->
 * fields. Then createQuote and createExchange become writer commands
 * (worldfirst_exchange.c); inquiryExchange reads here.
 *
 * Invariants:
 *  1. Nothing is written for a request that did not authenticate.
 *  2. Every answer to a request that named a well-formed client-id is
 *     signed with fundgate's key, over the exact bytes sent; answers of
 *     writer commands are signed by the signer threads, never the writer.
 *  3. Every protocol answer is HTTP 200 with a `result` of the code table
 *     (worldfirst_wire.c); the rate limit is 429 and the transport's own
 *     refusals keep their status, in the same shape.
 */
#include "families/worldfirst/worldfirst.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/utf8.h"
#include "families/worldfirst/worldfirst_int.h"
#include "ledger/idem.h"
#include "services/withdraw_rules.h"

const char *const wf_mode_names[] = {"REALTIME", "APPOINTED", NULL};
const char *const wf_trade_names[] = {"SPOT", "FORWARD", "UNFUNDED_SPOT", NULL};

enum fx_tenor wf_tenor_of(enum wf_trade t)
{
    return t == WF_TRADE_SPOT      ? FX_TENOR_TOD
           : t == WF_TRADE_FORWARD ? FX_TENOR_FORWARD
                                   : FX_TENOR_SPOT;
}

/* --- signed answers (invariant 2) ---------------------------------------------- */

/* The content a request's or its answer's signature covers: the URI is the
 * path and, when the request has one, '?' and its query as sent. */
static char *content_of(const struct http_req *req, const char *client_id, const char *time,
                        const char *body, size_t len, size_t *out_len)
{
    size_t pn = strlen(req->path), qn = req->query ? strlen(req->query) : 0;
    char *uri = malloc(pn + qn + 2);
    if (!uri)
        return NULL;
    memcpy(uri, req->path, pn);
    if (req->query) {
        uri[pn] = '?';
        memcpy(uri + pn + 1, req->query, qn);
    }
    uri[pn + (req->query ? qn + 1 : 0)] = '\0';
    char *content = wf_sign_content(req->method, uri, client_id, time, body, len, out_len);
    free(uri);
    return content;
}

static void answer(struct http_req *req, const char *client_id, int status, char *text, size_t len)
{
    char when[WF_TIME_BYTES], sig[WF_SIG_HEADER_BYTES];
    req->content_type = "application/json; charset=UTF-8";
    if (client_id[0] && wf_key()) {
        size_t cl = 0;
        wf_time_format(fg_clock_now_ms(), when);
        char *content = content_of(req, client_id, when, text, len, &cl);
        if (content && wf_key_sign_header(content, cl, sig, sizeof(sig)) &&
            http_req_add_header(req, "client-id", client_id) &&
            http_req_add_header(req, "response-time", when))
            http_req_add_header(req, "signature", sig);
        else
            fg_error(req->trace, "worldfirst: the answer could not be signed");
        free(content);
    }
    http_req_respond(req, status, text, len);
}

static void refuse(struct http_req *req, const char *client_id, enum wf_code code, const char *msg)
{
    size_t len = 0;
    char *text = wf_refusal_text(code, msg, &len);
    fg_info(req->trace, "worldfirst refused %s: %s", wf_codes[code].code,
            msg && msg[0] ? msg : wf_codes[code].message);
    if (!text) {
        static const char oom[] = "{\"result\":{\"resultCode\":\"UNKNOWN_EXCEPTION\","
                                  "\"resultStatus\":\"U\",\"resultMessage\":\"out of memory\"}}";
        http_req_respond_copy(req, 200, oom, sizeof(oom) - 1);
        return;
    }
    answer(req, client_id, code == WF_TRAFFIC_EXCEED_LIMIT ? 429 : 200, text, len);
}

/* --- the signers: answers of writer commands, signed off the writer ------------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct wf_cmd *head, *tail;
    pthread_t th[FG_WF_SIGNERS];
    int count;
    bool running;
} signers = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void finish(struct wf_cmd *c)
{
    char *text = c->answer;
    c->answer = NULL; /* the transport frees it */
    answer(c->req, c->client.client_id, 200, text, c->answer_len);
    http_req_complete(c->req);
}

/* Queue c for a signer; sign on this thread when none runs (stopping). */
static void signer_push(struct wf_cmd *c)
{
    pthread_mutex_lock(&signers.mu);
    if (!signers.running) {
        pthread_mutex_unlock(&signers.mu);
        finish(c);
        return;
    }
    c->next = NULL;
    if (signers.tail)
        signers.tail->next = c;
    else
        signers.head = c;
    signers.tail = c;
    pthread_cond_signal(&signers.cv);
    pthread_mutex_unlock(&signers.mu);
}

static void *signer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&signers.mu);
    for (;;) {
        while (!signers.head && signers.running)
            pthread_cond_wait(&signers.cv, &signers.mu);
        struct wf_cmd *c = signers.head;
        if (!c)
            break; /* stopped and drained */
        signers.head = c->next;
        if (!signers.head)
            signers.tail = NULL;
        pthread_mutex_unlock(&signers.mu);
        finish(c);
        pthread_mutex_lock(&signers.mu);
    }
    pthread_mutex_unlock(&signers.mu);
    return NULL;
}

static int signers_start(void)
{
    pthread_mutex_lock(&signers.mu);
    int rc = 0;
    if (signers.count == 0) {
        signers.running = true;
        for (int i = 0; i < FG_WF_SIGNERS && rc == 0; i++)
            if (pthread_create(&signers.th[i], NULL, signer_main, NULL) == 0)
                signers.count++;
            else
                rc = -FG_EINTERNAL;
    }
    pthread_mutex_unlock(&signers.mu);
    return rc;
}

static void signers_stop(void)
{
    pthread_mutex_lock(&signers.mu);
    signers.running = false; /* from now on pushes sign on their own thread */
    pthread_cond_broadcast(&signers.cv);
    int n = signers.count;
    pthread_mutex_unlock(&signers.mu);
    for (int i = 0; i < n; i++)
        pthread_join(signers.th[i], NULL);
    pthread_mutex_lock(&signers.mu);
    signers.count = 0;
    pthread_mutex_unlock(&signers.mu);
}

/* --- commands --------------------------------------------------------------------- */

static int cmd_run(struct engine_cmd *ec, struct store *s, int64_t now_ms)
{
    struct wf_cmd *c = (struct wf_cmd *)ec;
    free(c->answer); /* a batch run again starts the command over */
    c->answer = NULL;
    c->answer_len = 0;
    return c->api == WF_API_QUOTE ? wf_quote_run(c, s, now_ms) : wf_exchange_run(c, s, now_ms);
}

static void cmd_done(struct engine_cmd *ec, int status)
{
    struct wf_cmd *c = (struct wf_cmd *)ec;
    if (status < 0 || !c->answer) {
        free(c->answer);
        c->answer = wf_refusal_text(WF_UNKNOWN_EXCEPTION,
                                    "the write could not be committed: nothing was applied; "
                                    "inquire, or send the same request again",
                                    &c->answer_len);
        fg_error(c->req->trace, "worldfirst: batch not committed (%s), answered U",
                 fg_code_name(status));
    }
    if (!c->answer) { /* out of memory: the transport answers without a body */
        http_req_respond(c->req, 500, NULL, 0);
        http_req_complete(c->req);
        return;
    }
    signer_push(c);
}

static void cmd_free(void *p)
{
    struct wf_cmd *c = p;
    free(c->answer);
    wf_client_release(&c->client);
    free(c);
}

static struct wf_cmd *cmd_new(struct http_req *req, enum wf_api api, const struct wf_client *cl)
{
    struct wf_cmd *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->ec.run = cmd_run;
    c->ec.done = cmd_done;
    c->req = req;
    c->api = api;
    c->hint = -1;
    c->client = *cl;
    c->client.cfg = NULL; /* the writer needs none of it */
    req->user = c;
    req->user_free = cmd_free;
    return c;
}

/* --- fields ------------------------------------------------------------------------- */

/* 1..max bytes of visible ASCII (no spaces): identifiers the integrator chose. */
static int visible_field(json_t *obj, const char *key, bool required, size_t max, char *out,
                         size_t cap, struct fg_err *err)
{
    json_t *v = json_object_get(obj, key);
    out[0] = '\0';
    if (!v || json_is_null(v))
        return required ? fg_fail(err, -FG_EMISSING_FIELD, "field '%s' is required", key) : 0;
    const char *s = json_string_value(v);
    size_t n = s ? json_string_length(v) : 0;
    bool ok = s && n >= 1 && n <= max && n < cap;
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] > 0x20 && s[i] < 0x7f;
    if (!ok)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be 1 to %zu visible ASCII characters",
                       key, max);
    memcpy(out, s, n + 1);
    return 0;
}

/* A string of at most max_chars characters (descriptive); "" when absent. */
static int text_field(json_t *obj, const char *key, size_t max_chars, char *out, size_t cap,
                      struct fg_err *err)
{
    json_t *v = json_object_get(obj, key);
    out[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    const char *s = json_string_value(v);
    size_t n = s ? json_string_length(v) : 0;
    if (!s || memchr(s, '\0', n) || utf8_chars(s, n) > max_chars || n >= cap)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be text of at most %zu characters",
                       key, max_chars);
    memcpy(out, s, n + 1);
    return 0;
}

static int enum_field(json_t *obj, const char *key, const char *const names[], int *out,
                      struct fg_err *err)
{
    const char *v = json_string_value(json_object_get(obj, key));
    if (!json_object_get(obj, key) || json_is_null(json_object_get(obj, key)))
        return fg_fail(err, -FG_EMISSING_FIELD, "field '%s' is required", key);
    for (int i = 0; v && names[i]; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
    return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be one of %s, %s%s%s", key, names[0],
                   names[1], names[2] ? ", " : "", names[2] ? names[2] : "");
}

/* info.valueDate ("YYYY-MM-DD"), when info has one. */
static int value_date_field(json_t *info, const char *name, struct wf_cmd *c, struct fg_err *err)
{
    json_t *v = json_object_get(info, "valueDate");
    if (!v || json_is_null(v))
        return 0;
    const char *s = json_string_value(v);
    if (!s || json_string_length(v) != 10 || !wd_date_parse(s, &c->value_day))
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s.valueDate' must be a date YYYY-MM-DD", name);
    c->has_value_day = true;
    return 0;
}

static int quote_req_fields(struct wf_cmd *c, json_t *body, struct fg_err *err)
{
    int trade = 0;
    int rc = wf_amount_get(body, "sell", &c->sell, err);
    if (rc == 0)
        rc = wf_amount_get(body, "buy", &c->buy, err);
    if (rc == 0 && c->sell.has_value == c->buy.has_value)
        rc = fg_fail(err, -FG_EBAD_FIELD, "give exactly one of sell.value and buy.value");
    if (rc == 0)
        rc = enum_field(body, "exchangeTradeType", wf_trade_names, &trade, err);
    c->trade = (enum wf_trade)trade;
    json_t *info = json_object_get(body, "quoteUnfundedInfo");
    if (rc == 0 && info && !json_is_null(info) && !json_is_object(info))
        rc = fg_fail(err, -FG_EBAD_FIELD, "field 'quoteUnfundedInfo' must be an object");
    if (rc == 0 && c->trade != WF_TRADE_SPOT)
        rc = value_date_field(info, "quoteUnfundedInfo", c, err);
    if (rc == 0 && c->trade == WF_TRADE_FORWARD && !c->has_value_day)
        rc = fg_fail(err, -FG_EMISSING_FIELD,
                     "a FORWARD quote needs quoteUnfundedInfo.valueDate (YYYY-MM-DD)");
    return rc;
}

/* A Quote object as sent: each field a string ("" when absent). */
static int quote_given_fields(json_t *q, struct wf_quote_given *g, struct fg_err *err)
{
    static const char *const keys[] = {"quoteId", "quoteCurrencyPair", "quotePrice",
                                       "quoteStartTime", "quoteExpiryTime"};
    char *const outs[] = {g->id, g->pair, g->price, g->start, g->expiry};
    if (!json_is_object(q))
        return fg_fail(err, -FG_EBAD_FIELD, "field 'quote' must be an object");
    int rc = visible_field(q, keys[0], true, FG_WF_QUOTE_ID_BYTES_MAX, g->id, sizeof(g->id), err);
    if (rc == -FG_EMISSING_FIELD)
        rc = fg_fail(err, rc, "field 'quote.quoteId' is required");
    for (int i = 1; rc == 0 && i < 5; i++)
        rc = visible_field(q, keys[i], false, WF_TEXT_BYTES - 1, outs[i], WF_TEXT_BYTES, err);
    json_t *gv = json_object_get(q, "guaranteed");
    g->guaranteed = !gv || json_is_null(gv) ? -1 : json_is_true(gv) ? 1 : 0;
    if (rc == 0 && gv && !json_is_null(gv) && !json_is_boolean(gv))
        rc = fg_fail(err, -FG_EBAD_FIELD, "field 'quote.guaranteed' must be true or false");
    return rc;
}

/* exchangeForwardInfo / exchangeUnfundedInfo: {dealId, valueDate}. Either
 * name is taken for either trade type; the type's own name first. */
static int deal_fields(struct wf_cmd *c, json_t *body, struct fg_err *err)
{
    const char *own = c->trade == WF_TRADE_FORWARD ? "exchangeForwardInfo" : "exchangeUnfundedInfo";
    const char *other =
        c->trade == WF_TRADE_FORWARD ? "exchangeUnfundedInfo" : "exchangeForwardInfo";
    const char *name = own;
    json_t *info = json_object_get(body, own);
    if (!info || json_is_null(info)) {
        info = json_object_get(body, other);
        name = other;
    }
    if (!info || json_is_null(info))
        return 0;
    if (!json_is_object(info))
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be an object", name);
    int rc = visible_field(info, "dealId", false, FG_WF_QUOTE_ID_BYTES_MAX, c->deal_id,
                           sizeof(c->deal_id), err);
    return rc == 0 ? value_date_field(info, name, c, err) : rc;
}

/* What REALTIME and APPOINTED each need (the protocol page, "createExchange"). */
static int mode_rules(struct wf_cmd *c, struct fg_err *err)
{
    if (c->mode == WF_MODE_REALTIME) {
        if (c->has_quote || c->deal_id[0])
            return fg_fail(err, -FG_EBAD_FIELD,
                           "REALTIME trades at the live rate: send no quote and no dealId "
                           "(APPOINTED takes a quote)");
        if (c->sell.has_value == c->buy.has_value)
            return fg_fail(err, -FG_EBAD_FIELD,
                           "REALTIME needs exactly one of sell.value and buy.value");
        if (c->trade == WF_TRADE_FORWARD && !c->has_value_day)
            return fg_fail(err, -FG_EMISSING_FIELD,
                           "a REALTIME FORWARD needs exchangeForwardInfo.valueDate");
        return 0;
    }
    if (c->trade == WF_TRADE_SPOT && !c->has_quote)
        return fg_fail(err, -FG_EMISSING_FIELD, "an APPOINTED SPOT exchange needs its quote");
    if (c->trade != WF_TRADE_SPOT && !c->deal_id[0] && c->has_quote)
        snprintf(c->deal_id, sizeof(c->deal_id), "%s", c->quote.id); /* the quote is the deal */
    if (c->trade != WF_TRADE_SPOT && !c->deal_id[0])
        return fg_fail(err, -FG_EMISSING_FIELD, "an APPOINTED %s exchange needs %s.dealId",
                       wf_trade_names[c->trade],
                       c->trade == WF_TRADE_FORWARD ? "exchangeForwardInfo"
                                                    : "exchangeUnfundedInfo");
    if (c->has_quote && c->deal_id[0] && strcmp(c->deal_id, c->quote.id) != 0)
        return fg_fail(err, -FG_EBAD_FIELD, "quote.quoteId and dealId name different deals");
    return 0;
}

/* customerId (mapped by the client) or accessToken. */
static int customer_fields(struct wf_cmd *c, const struct wf_client *cl, json_t *body,
                           struct fg_err *err)
{
    int rc = visible_field(body, "customerId", false, FG_WF_CUSTOMER_ID_BYTES_MAX, c->customer_id,
                           sizeof(c->customer_id), err);
    if (rc == 0 && !c->customer_id[0]) {
        json_t *t = json_object_get(body, "accessToken");
        return t && !json_is_null(t)
                   ? fg_fail(err, -FG_EUNKNOWN_CUSTOMER,
                             "accessToken is not issued by this server: send customerId")
                   : fg_fail(err, -FG_EMISSING_FIELD, "field 'customerId' is required");
    }
    if (rc == 0 && !wf_client_customer(cl, c->customer_id, c->uuid, sizeof(c->uuid)))
        rc = fg_fail(err, -FG_EUNKNOWN_CUSTOMER, "customerId '%.64s' is not authorised for %s",
                     c->customer_id, cl->client_id);
    return rc;
}

static int addition_fields(struct wf_cmd *c, json_t *body, struct fg_err *err)
{
    json_t *a = json_object_get(body, "exchangeOrderAddition");
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_object(a))
        return fg_fail(err, -FG_EBAD_FIELD, "field 'exchangeOrderAddition' must be an object");
    int rc = text_field(a, "referenceOrderId", FG_WF_REFERENCE_CHARS_MAX, c->reference,
                        sizeof(c->reference), err);
    return rc == 0
               ? text_field(a, "exchangeMemo", FG_WF_MEMO_CHARS_MAX, c->memo, sizeof(c->memo), err)
               : rc;
}

/* What defines the exchange (descriptive fields are not part of it). */
static void exchange_hash(struct wf_cmd *c)
{
    char buf[2048], sv[24] = "-", bv[24] = "-", day[16] = "-";
    if (c->sell.has_value)
        snprintf(sv, sizeof(sv), "%lld", (long long)c->sell.value);
    if (c->buy.has_value)
        snprintf(bv, sizeof(bv), "%lld", (long long)c->buy.value);
    if (c->has_value_day)
        snprintf(day, sizeof(day), "%d", (int)c->value_day);
    const struct wf_quote_given *q = &c->quote;
    int n =
        snprintf(buf, sizeof(buf), "%zu:%s|%s|%s|%s:%s|%s:%s|%d:%s|%s|%s|%s|%s|%d|%s|%s",
                 strlen(c->customer_id), c->customer_id, wf_mode_names[c->mode],
                 wf_trade_names[c->trade], c->sell.currency, sv, c->buy.currency, bv, c->has_quote,
                 q->id, q->pair, q->price, q->start, q->expiry, q->guaranteed, c->deal_id, day);
    FG_ASSERT(n > 0 && (size_t)n < sizeof(buf)); /* every part is bounded */
    fg_sha256(buf, (size_t)n, c->hash);
}

static int exchange_req_fields(struct wf_cmd *c, const struct wf_client *cl, json_t *body,
                               struct fg_err *err)
{
    int mode = 0, trade = 0;
    int rc = customer_fields(c, cl, body, err);
    if (rc == 0)
        rc = visible_field(body, "exchangeRequestId", true, FG_WF_REQUEST_ID_BYTES_MAX,
                           c->request_id, sizeof(c->request_id), err);
    if (rc == 0)
        rc = enum_field(body, "exchangeMode", wf_mode_names, &mode, err);
    if (rc == 0)
        rc = enum_field(body, "exchangeTradeType", wf_trade_names, &trade, err);
    c->mode = (enum wf_mode)mode;
    c->trade = (enum wf_trade)trade;
    if (rc == 0)
        rc = wf_amount_get(body, "sell", &c->sell, err);
    if (rc == 0)
        rc = wf_amount_get(body, "buy", &c->buy, err);
    json_t *q = json_object_get(body, "quote");
    c->has_quote = q && !json_is_null(q);
    if (rc == 0 && c->has_quote)
        rc = quote_given_fields(q, &c->quote, err);
    if (rc == 0 && c->trade != WF_TRADE_SPOT)
        rc = deal_fields(c, body, err);
    if (rc == 0)
        rc = mode_rules(c, err);
    if (rc == 0)
        rc = addition_fields(c, body, err);
    if (rc == 0)
        exchange_hash(c);
    return rc;
}

/* --- the endpoints ------------------------------------------------------------------ */

static enum wf_code say(char *msg, size_t cap, enum wf_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static enum wf_code say(char *msg, size_t cap, enum wf_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
    return code;
}

/* The request's client-id when it is a well-formed one given once (answers
 * are signed for it, known or not), else "". */
static void client_id_of(struct http_req *req, char out[WF_CLIENT_ID_BYTES])
{
    const char *v = http_req_header(req, "client-id");
    struct fg_err err;
    out[0] = '\0';
    if (v && http_req_header_count(req, "client-id") == 1 && strlen(v) >= 1 &&
        strlen(v) <= FG_WF_CLIENT_ID_BYTES_MAX && jsonx_id_chars("client-id", v, &err) == 0)
        memcpy(out, v, strlen(v) + 1);
}

static enum wf_code signature_check(struct http_req *req, const struct wf_client *cl, char *msg,
                                    size_t cap)
{
    const char *time = http_req_header(req, "request-time");
    const char *sh = http_req_header(req, "signature");
    struct wf_sig_header h;
    struct fg_err err = {0};
    if (!sh)
        return say(msg, cap, WF_INVALID_SIGNATURE, "header 'signature' is required");
    for (int i = 0; i < 2; i++) /* which one was signed would be a guess */
        if (http_req_header_count(req, i ? "request-time" : "signature") > 1)
            return say(msg, cap, WF_INVALID_SIGNATURE, "header '%s' is given more than once",
                       i ? "request-time" : "signature");
    if (!time || strlen(time) > FG_WF_REQUEST_TIME_BYTES_MAX)
        return say(msg, cap, WF_INVALID_SIGNATURE,
                   "header 'request-time' (at most %d bytes) is required: it is signed",
                   FG_WF_REQUEST_TIME_BYTES_MAX);
    if (wf_sig_header_parse(sh, strlen(sh), &h, &err) < 0)
        return say(msg, cap, WF_INVALID_SIGNATURE, "%s", err.msg);
    struct sig_key *k = wf_client_key(cl, h.key_version);
    if (!k)
        return say(msg, cap, WF_INVALID_SIGNATURE, "no public key of keyVersion %s for %s",
                   h.key_version, cl->client_id);
    size_t len = 0;
    char *content = content_of(req, cl->client_id, time, req->body, req->body_len, &len);
    bool ok = content && sig_rsa_sha256_verify(k, content, len, h.sig, h.sig_len);
    free(content);
    sig_key_free(k);
    if (!ok)
        return say(msg, cap, WF_INVALID_SIGNATURE,
                   "the signature does not verify with the public key of keyVersion %s",
                   h.key_version);
    return WF_SUCCESS;
}

/* client -> signature -> rate limit -> request-time (invariant 1). */
static enum wf_code authenticate(struct api *api, struct http_req *req, const char *client_id,
                                 struct wf_client *cl, char *msg, size_t cap)
{
    if (!client_id[0] && http_req_header_count(req, "client-id") > 1)
        return say(msg, cap, WF_INVALID_CLIENT, "header 'client-id' is given more than once");
    if (!client_id[0])
        return say(msg, cap, WF_INVALID_CLIENT,
                   "header 'client-id' is required: 1 to %d of letters, digits and . _ : @ -",
                   FG_WF_CLIENT_ID_BYTES_MAX);
    if (wf_client_load(api, client_id, cl) < 0)
        return say(msg, cap, wf_code_of(-FG_EWF_UNKNOWN_CLIENT), "no client '%s'", client_id);
    enum wf_code code = signature_check(req, cl, msg, cap);
    if (code != WF_SUCCESS)
        return code;
    if (!api_rate_take(api, req, WF_FAMILY, client_id))
        return say(msg, cap, WF_TRAFFIC_EXCEED_LIMIT, "%s",
                   wf_codes[WF_TRAFFIC_EXCEED_LIMIT].message);
    const char *time = http_req_header(req, "request-time");
    int64_t t = 0, now = fg_clock_now_ms();
    if (!wf_time_parse(time, strlen(time), &t))
        return say(msg, cap, WF_PARAM_ILLEGAL,
                   "header 'request-time' must be ISO 8601 with a zone, or epoch milliseconds");
    int64_t skew_s = (t > now ? t - now : now - t) / 1000;
    if (skew_s > cl->time_window_s)
        return say(msg, cap, WF_PARAM_ILLEGAL,
                   "header 'request-time' is %lld s from the server clock (at most %lld)",
                   (long long)skew_s, (long long)cl->time_window_s);
    return WF_SUCCESS;
}

static int command_post(struct api *fg, struct http_req *req, const char *client_id,
                        const struct wf_client *cl, json_t *body, enum wf_api api)
{
    struct fg_err err = {0};
    struct wf_cmd *c = cmd_new(req, api, cl);
    if (!c) {
        refuse(req, client_id, WF_UNKNOWN_EXCEPTION, "out of memory");
        return HTTP_DONE;
    }
    int rc = api == WF_API_QUOTE ? quote_req_fields(c, body, &err)
                                 : exchange_req_fields(c, cl, body, &err);
    if (rc == 0)
        rc = engine_submit(fg->engine, &c->ec);
    if (rc == 0)
        return HTTP_PENDING;
    if (rc == -FG_EOVERLOADED || rc == -FG_ESHUTDOWN)
        fg_fail(&err, rc, "%s; nothing was applied, retry",
                rc == -FG_EOVERLOADED ? "the engine queue is full" : "the server is stopping");
    refuse(req, client_id, wf_code_of(rc), err.msg);
    return HTTP_DONE;
}

static int inquiry_post(struct api *api, struct http_req *req, const char *client_id, json_t *body)
{
    char rid[WF_REQUEST_ID_BYTES], cid[WF_CUSTOMER_ID_BYTES], *text = NULL;
    struct fg_err err = {0};
    size_t len = 0;
    int rc = visible_field(body, "exchangeRequestId", true, FG_WF_REQUEST_ID_BYTES_MAX, rid,
                           sizeof(rid), &err);
    if (rc == 0)
        rc = visible_field(body, "customerId", true, FG_WF_CUSTOMER_ID_BYTES_MAX, cid, sizeof(cid),
                           &err);
    struct store *s = rc == 0 ? api_reader(api, &err) : NULL;
    if (rc == 0 && !s)
        rc = -FG_ESTORE;
    if (rc == 0)
        rc = wf_inquiry(s, client_id, rid, cid, &text, &len, &err);
    if (rc < 0)
        refuse(req, client_id, wf_code_of(rc), err.msg);
    else
        answer(req, client_id, 200, text, len);
    return HTTP_DONE;
}

static int endpoint_post(struct api *fg, struct http_req *req, enum wf_api api)
{
    char client_id[WF_CLIENT_ID_BYTES], msg[FG_ERR_MSG_MAX] = "";
    struct wf_client cl = {0};
    struct fg_err err = {0};
    json_t *body = NULL;
    client_id_of(req, client_id);
    enum wf_code code = authenticate(fg, req, client_id, &cl, msg, sizeof(msg));
    if (code == WF_SUCCESS && jsonx_parse_object(req->body, req->body_len, &body, &err) < 0)
        code = say(msg, sizeof(msg), WF_PARAM_ILLEGAL, "%s", err.msg);
    int out = HTTP_DONE;
    if (code != WF_SUCCESS)
        refuse(req, client_id, code, msg);
    else if (api == WF_API_INQUIRY)
        out = inquiry_post(fg, req, client_id, body);
    else
        out = command_post(fg, req, client_id, &cl, body, api);
    json_decref(body);
    wf_client_release(&cl);
    return out;
}

static int quote_post(struct http_req *req, void *ctx)
{
    return endpoint_post(ctx, req, WF_API_QUOTE);
}

static int exchange_post(struct http_req *req, void *ctx)
{
    return endpoint_post(ctx, req, WF_API_EXCHANGE);
}

static int inquiry_route(struct http_req *req, void *ctx)
{
    return endpoint_post(ctx, req, WF_API_INQUIRY);
}

/* The transport's own refusals under /amsin/ (404, 405, 413, 414, a bad
 * head) in this family's shape; the transport keeps their HTTP status. */
static int transport_refusal(struct http_req *req, void *ctx)
{
    const struct http_refusal *r = ctx;
    char client_id[WF_CLIENT_ID_BYTES];
    client_id_of(req, client_id);
    enum wf_code code = r->code == -FG_ENOT_FOUND ? WF_INVALID_API
                        : r->code == -FG_EMETHOD  ? WF_METHOD_NOT_SUPPORTED
                                                  : WF_PARAM_ILLEGAL;
    refuse(req, client_id, code, r->msg);
    return HTTP_DONE;
}

/* GET /admin/v1/keys/worldfirst: fundgate's public key, PEM. */
static int keys_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    size_t len = 0;
    char *pem = wf_key() ? sig_key_public_pem(wf_key(), &len) : NULL;
    if (!pem) {
        http_req_error(req, -FG_ENOT_FOUND, "no signing key is loaded");
        return HTTP_DONE;
    }
    req->content_type = "application/x-pem-file";
    http_req_respond(req, 200, pem, len);
    return HTTP_DONE;
}

/* --- the envelope (api/family.h) ------------------------------------------------------ */

/* An answer in the family's shape: {"result":{...}} and, for a success, the
 * members of data; signed for the request's client-id. */
static void wf_answer(struct http_req *req, int code, json_t *data, const struct fg_err *err)
{
    char client_id[WF_CLIENT_ID_BYTES];
    client_id_of(req, client_id);
    if (code < 0 || !data) {
        json_decref(data);
        refuse(req, client_id, wf_code_of(code), err && err->msg[0] ? err->msg : NULL);
        return;
    }
    const struct wf_code_row *ok = &wf_codes[WF_SUCCESS];
    json_t *o = json_pack("{s:{s:s,s:s,s:s}}", "result", "resultCode", ok->code, "resultStatus",
                          ok->status, "resultMessage", ok->message);
    char *text = NULL;
    if (o && json_object_update(o, data) == 0)
        text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    json_decref(data);
    if (!text) {
        refuse(req, client_id, WF_UNKNOWN_EXCEPTION, "out of memory");
        return;
    }
    size_t len = strlen(text);
    answer(req, client_id, 200, text, len);
}

/* A command of the family's that could not run or commit: nothing applied. */
static void wf_unavailable(struct api_cmd *c, int code)
{
    (void)code;
    char client_id[WF_CLIENT_ID_BYTES];
    client_id_of(c->req, client_id);
    refuse(c->req, client_id, WF_UNKNOWN_EXCEPTION,
           "the write could not be committed: nothing was applied; inquire, or send the same "
           "request again");
}

/* --- the descriptor ------------------------------------------------------------------- */

#define WF_API_PATH "/amsin/api/v1/business/fund/"

static const struct http_route routes[] = {
    {"POST", WF_API_PATH "createQuote", quote_post, NULL, "wf_create_quote"},
    {"POST", WF_API_PATH "createExchange", exchange_post, NULL, "wf_create_exchange"},
    {"POST", WF_API_PATH "inquiryExchange", inquiry_route, NULL, "wf_inquiry_exchange"},
};

static const struct http_route admin_routes[] = {
    {"GET", "/admin/v1/keys/worldfirst", keys_get, NULL, "admin_keys_worldfirst_get"},
};

static const char *const owner_prefixes[] = {WF_PATH_PREFIX, NULL};

static const struct fg_error_space *const error_spaces[] = {&wf_error_space, NULL};

static const struct api_command commands[] = {
    {"keygen", "[--data DIR | --out FILE] [--force]",
     "create fundgate's RSA signing key (WorldFirst)", wf_keygen_main},
    {"sign worldfirst",
     "--key PRIVATE.pem --client-id ID --uri URI [--key-version N] [--method POST] [--time T] "
     "[FILE|-]",
     "sign a WorldFirst request", wf_sign_main},
    {"verify worldfirst", "--key PUBLIC.pem --uri URI --headers FILE [--method POST] [BODY|-]",
     "check a signed WorldFirst answer", wf_verify_main},
};

/* Its delivery in the outbox and its hook at the FX core's final states. */
static void worldfirst_init(void)
{
    wf_outbox_register();
    int rc = fx_final_hook_set(WF_FAMILY, wf_final_hook);
    FG_ASSERT(rc == 0); /* one of FG_FX_FAMILIES_MAX, at start-up */
}

/* fundgate's signing key, then the signers; the hook's context. */
static int worldfirst_start(struct api *api, struct fg_err *err)
{
    int rc = wf_key_start(&api->cfg, err);
    if (rc < 0)
        return rc;
    if (signers_start() < 0)
        return fg_fail(err, -FG_EINTERNAL, "cannot start the worldfirst signers");
    wf_api_set(api);
    return 0;
}

static void worldfirst_stop(void)
{
    wf_api_set(NULL);
    signers_stop();
}

const struct api_family worldfirst_family = {
    .name = WF_FAMILY,
    .routes = routes,
    .route_count = (int)(sizeof(routes) / sizeof(routes[0])),
    .admin_routes = admin_routes,
    .admin_route_count = (int)(sizeof(admin_routes) / sizeof(admin_routes[0])),
    .owner_prefixes = owner_prefixes,
    .envelope = {.answer = wf_answer, .unavailable = wf_unavailable, .refusal = transport_refusal},
    .codes = &wf_code_map,
    .clients = &wf_clients,
    .error_spaces = error_spaces,
    .init = worldfirst_init,
    .start = worldfirst_start,
    .stop = worldfirst_stop,
    .commands = commands,
    .command_count = (int)(sizeof(commands) / sizeof(commands[0])),
};
