/*
 * tradeboss.c - the TradeBoss webhook family; see tradeboss.h for the contract
 * and docs/DESIGN.md "TradeBoss" for the decisions.
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
 *  5. Answers are HTTP 200 with a code from the one table below.
 *  6. Exact about money and identity, tolerant about the rest (issue 10):
 *     unknown body fields are ignored on every endpoint; a cancel is refused
 *     only when it cannot be trusted (company, authentication) or matched
 *     (requestUniqueNo, reverseRequestUniqueNo, userName, currency, amount);
 *     its descriptive fields are stored as given in its record and cut only
 *     for logs. Lengths count characters (UTF-8 code points).
 */
#include "families/tradeboss.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/assert.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/money.h"
#include "core/parse.h"
#include "core/utf8.h"
#include "families/tradeboss_auth.h"
#include "families/tradeboss_fence.h"
#include "ledger/idem.h"
#include "ledger/ledger.h"
#include "services/directory.h"
#include "store/store.h"

#define TB_FAMILY "tradeboss"
#define TB_SCOPE_EXEC "tb.exec"
#define TB_SCOPE_CANCEL "tb.cancel"
#define TB_CANCEL_RECORDED 1 /* idem.state of a cancel's own record */
#define TB_HOUSE_TYPE "tradeboss"
/* Buffers for text counted in characters hold 4 bytes per character. */
#define TB_REQUEST_NO_BYTES_MAX (FG_TB_REQUEST_NO_CHARS_MAX * UTF8_CHAR_BYTES_MAX)
#define TB_USER_NAME_BYTES_MAX (FG_TB_USER_NAME_CHARS_MAX * UTF8_CHAR_BYTES_MAX)
#define TB_KEY_BYTES_MAX (20 + 1 + TB_REQUEST_NO_BYTES_MAX) /* <companyId>:<number> */
#define TB_AMOUNT_TEXT_BYTES_MAX 32                         /* "-" 18 digits "." 8 digits */
static_assert(TB_KEY_BYTES_MAX < 256, "a fence key stays a short idempotency key");
/* An execute's data and stored answer as text: field values are bounded
 * (above, escaped at most 6x; the fast path is ASCII only) well inside these. */
#define TB_DATA_TEXT_BYTES_MAX 4096
#define TB_ANSWER_TEXT_BYTES_MAX (TB_DATA_TEXT_BYTES_MAX + FG_ERR_MSG_MAX * 6 + 1024)

/* --- the code table (README "TradeBoss webhooks" mirrors it) ------------- */

enum tb_code {
    TB_OK,
    TB_CANCEL_REFUSED_BEFORE,
    TB_CANCEL_NEVER_RECEIVED,
    TB_PARAM,
    TB_UNKNOWN_COMPANY,
    TB_AUTH,
    TB_TOO_OLD,
    TB_UNKNOWN_USER,
    TB_UNKNOWN_ACCOUNT,
    TB_INSUFFICIENT,
    TB_DUPLICATE,
    TB_CANCELLED_BEFORE,
    TB_CANCEL_MISMATCH,
    TB_INACTIVE,
    TB_THIRD_SERVER_CODE,
    TB_CANCEL_OF_CANCEL,
    TB_BUSY,
    TB_RATE_LIMITED,
    TB_CODE_COUNT
};

static const struct {
    const char *code;
    const char *text;
} tb_codes[TB_CODE_COUNT] = {
    [TB_OK] = {"0", "success"},
    [TB_CANCEL_REFUSED_BEFORE] = {"US_0000001", "the adjustment was received but refused; "
                                                "nothing was moved"},
    [TB_CANCEL_NEVER_RECEIVED] = {"US_0000002", "the adjustment was never received; it is now "
                                                "fenced off"},
    [TB_PARAM] = {"US_1000001", "parameter error"},
    [TB_UNKNOWN_COMPANY] = {"US_1000002", "unknown company"},
    [TB_AUTH] = {"US_1000003", "signature refused or address not allowed"},
    [TB_TOO_OLD] = {"US_1000004", "request too old"},
    [TB_UNKNOWN_USER] = {"US_2000001", "unknown user"},
    [TB_UNKNOWN_ACCOUNT] = {"US_2000002", "unknown currency or account"},
    [TB_INSUFFICIENT] = {"US_2000003", "insufficient balance"},
    [TB_DUPLICATE] = {"US_2000004", "requestUniqueNo already used with different content"},
    [TB_CANCELLED_BEFORE] = {"US_2000005", "the adjustment was cancelled before it arrived"},
    [TB_CANCEL_MISMATCH] = {"US_2000006", "the cancel does not match the adjustment"},
    [TB_INACTIVE] = {"US_2000007", "customer or account not active"},
    [TB_THIRD_SERVER_CODE] = {"US_2000008", "thirdServerCode does not name the user's customer"},
    [TB_CANCEL_OF_CANCEL] = {"US_2000009", "reverseRequestUniqueNo is a cancel's number, not an "
                                           "adjustment's; nothing was done"},
    [TB_BUSY] = {"US_9000001", "server busy; nothing was applied, retry"},
    [TB_RATE_LIMITED] = {"US_1000005", "rate limit exceeded; nothing was applied, retry later"},
};

/* Domain errors (negative fg codes) to this family's codes: the one mapping. */
static enum tb_code tb_code_of(int fg)
{
    switch (-fg) {
    case FG_EBAD_REQUEST:
    case FG_EBAD_JSON:
    case FG_EUNKNOWN_FIELD:
    case FG_EMISSING_FIELD:
    case FG_EBAD_FIELD:
    case FG_EBAD_AMOUNT:
    case FG_EAMOUNT_ZERO:
    case FG_ETOO_DEEP:
    case FG_ETOO_LARGE:
    case FG_EOVERFLOW:
        return TB_PARAM;
    case FG_EUNAUTHORIZED:
    case FG_EFORBIDDEN:
        return TB_AUTH;
    case FG_EUNKNOWN_CUSTOMER:
        return TB_UNKNOWN_USER;
    case FG_EUNKNOWN_CURRENCY:
    case FG_EUNKNOWN_ACCOUNT:
    case FG_ECURRENCY_MISMATCH:
        return TB_UNKNOWN_ACCOUNT;
    case FG_EINSUFFICIENT_FUNDS:
        return TB_INSUFFICIENT;
    case FG_EIDEMPOTENCY_CONFLICT:
        return TB_DUPLICATE;
    case FG_ECUSTOMER_INACTIVE:
    case FG_EACCOUNT_INACTIVE:
        return TB_INACTIVE;
    case FG_EWD_INITIATOR_MISMATCH: /* thirdServerCode names another customer */
        return TB_THIRD_SERVER_CODE;
    default:
        return TB_BUSY; /* operating errors: store, memory, overload, shutdown */
    }
}

/* --- clients -------------------------------------------------------------- */

enum { TB_OVERTRADING_DEDUCT_AVAILABLE, TB_OVERTRADING_IGNORE };
static const char *const overtrading_policies[] = {"deduct_available", "ignore", NULL};
/* thirdServerCode: read and ignored, or required equal to the customer's uuid. */
enum { TB_TSC_IGNORE, TB_TSC_MUST_EQUAL_UUID };
static const char *const tsc_rules[] = {"ignore", "must_equal_uuid", NULL};
static const char *const account_types[] = {"wallet", "securities", "futures", NULL};
static const char *const auth_kinds[] = {"allowlist", "hmac", NULL};

struct tb_client {
    int64_t company_id;
    bool hmac;
    int cidr_count;
    struct tb_cidr cidrs[FG_TB_ALLOW_CIDRS_MAX];
    char secret[FG_TB_SECRET_BYTES_MAX + 1];
    size_t secret_len;
    char account_type[LEDGER_TYPE_BYTES_MAX];
    int overtrading;
    int third_server_code;      /* TB_TSC_* */
    int64_t timestamp_window_s; /* 0: the timestamp header is not checked */
};

/* The client's credentials: a secret (hmac) or CIDRs (allowlist), never both. */
static int client_auth_parse(json_t *cfg, struct tb_client *out, struct fg_err *err)
{
    int rc = 0;
    json_t *allow = json_object_get(cfg, "allow");
    json_t *secret = json_object_get(cfg, "secret");
    if (out->hmac) {
        if (allow)
            return fg_fail(err, -FG_EBAD_FIELD,
                           "field 'allow' belongs to auth 'allowlist', not 'hmac'");
        const char *sec = NULL;
        rc = jsonx_str(cfg, "secret", true, FG_TB_SECRET_BYTES_MAX, &sec, err);
        if (rc < 0)
            return rc;
        out->secret_len = strlen(sec);
        if (out->secret_len < FG_TB_SECRET_BYTES_MIN)
            return fg_fail(err, -FG_EBAD_FIELD, "field 'secret' must be at least %d bytes",
                           FG_TB_SECRET_BYTES_MIN);
        memcpy(out->secret, sec, out->secret_len + 1);
    } else {
        if (secret)
            return fg_fail(err, -FG_EBAD_FIELD,
                           "field 'secret' belongs to auth 'hmac', not 'allowlist'");
        if (!allow)
            return fg_fail(err, -FG_EMISSING_FIELD, "field 'allow' is required");
        if (!json_is_array(allow) || json_array_size(allow) == 0 ||
            json_array_size(allow) > FG_TB_ALLOW_CIDRS_MAX)
            return fg_fail(err, -FG_EBAD_FIELD, "field 'allow' must be a list of 1 to %d cidrs",
                           FG_TB_ALLOW_CIDRS_MAX);
        size_t i;
        json_t *v;
        json_array_foreach(allow, i, v)
        {
            if (!json_is_string(v))
                return fg_fail(err, -FG_EBAD_FIELD, "field 'allow' must hold strings");
            rc = tb_cidr_parse(json_string_value(v), &out->cidrs[i], err);
            if (rc < 0)
                return rc;
        }
        out->cidr_count = (int)json_array_size(allow);
    }
    return 0;
}

/* Parse and check a client config (the admin body). Fills the defaults into
 * cfg when fill_defaults, so the stored config says what is in force. */
static int client_parse(json_t *cfg, bool fill_defaults, struct tb_client *out, struct fg_err *err)
{
    static const char *const keys[] = {"family",
                                       "company_id",
                                       "auth",
                                       "allow",
                                       "secret",
                                       "account_type",
                                       "overtrading",
                                       "third_server_code",
                                       "timestamp_window_s",
                                       NULL};
    memset(out, 0, sizeof(*out));
    int auth = 0, type = 2, policy = TB_OVERTRADING_DEDUCT_AVAILABLE, tsc = TB_TSC_IGNORE;
    int rc = jsonx_check_keys(cfg, keys, err);
    if (rc == 0)
        rc = jsonx_int(cfg, "company_id", true, 1, INT64_MAX, &out->company_id, err);
    if (rc == 0)
        rc = jsonx_enum(cfg, "auth", true, auth_kinds, &auth, err);
    if (rc == 0)
        rc = jsonx_enum(cfg, "account_type", false, account_types, &type, err);
    if (rc == 0)
        rc = jsonx_enum(cfg, "overtrading", false, overtrading_policies, &policy, err);
    if (rc == 0)
        rc = jsonx_enum(cfg, "third_server_code", false, tsc_rules, &tsc, err);
    if (rc == 0)
        rc = jsonx_int(cfg, "timestamp_window_s", false, 0, FG_TB_TIMESTAMP_WINDOW_S_MAX,
                       &out->timestamp_window_s, err);
    if (rc < 0)
        return rc;
    out->hmac = auth == 1;
    out->overtrading = policy;
    out->third_server_code = tsc;
    snprintf(out->account_type, sizeof(out->account_type), "%s", account_types[type]);
    if ((rc = client_auth_parse(cfg, out, err)) < 0)
        return rc;
    if (fill_defaults) {
        json_object_set_new(cfg, "account_type", json_string(out->account_type));
        json_object_set_new(cfg, "overtrading", json_string(overtrading_policies[policy]));
        json_object_set_new(cfg, "third_server_code", json_string(tsc_rules[tsc]));
        json_object_set_new(cfg, "timestamp_window_s", json_integer(out->timestamp_window_s));
    }
    return 0;
}

static int client_validate(json_t *body, char *key, size_t key_cap, struct fg_err *err)
{
    struct tb_client *c = malloc(sizeof(*c));
    if (!c)
        return fg_fail(err, -FG_ENOMEM, "out of memory");
    int rc = client_parse(body, true, c, err);
    if (rc == 0)
        snprintf(key, key_cap, "%lld", (long long)c->company_id);
    memset(c->secret, 0, sizeof(c->secret));
    free(c);
    return rc;
}

static const char *const client_secret_fields[] = {"secret", NULL};
static const struct app_client_family tb_family = {
    .family = TB_FAMILY,
    .validate = client_validate,
    .secret_fields = client_secret_fields,
};

/* Parsed configs, keyed by the registry's config object: the cache holds a
 * reference, so the pointer cannot be reused while cached, and a replaced
 * config (a new object) is parsed afresh. */
static struct {
    pthread_mutex_t mu;
    int next;
    struct {
        json_t *config;
        struct tb_client client;
    } e[FG_TB_CLIENT_CACHE_MAX];
} client_cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* 0, or -FG_ENOT_FOUND for a company without a (valid) tradeboss client. */
static int client_load(int64_t company_id, struct tb_client *out)
{
    char key[24];
    snprintf(key, sizeof(key), "%lld", (long long)company_id);
    json_t *cfg = app_client_get(TB_FAMILY, key);
    if (!cfg)
        return -FG_ENOT_FOUND;
    pthread_mutex_lock(&client_cache.mu);
    for (int i = 0; i < FG_TB_CLIENT_CACHE_MAX; i++)
        if (client_cache.e[i].config == cfg) {
            *out = client_cache.e[i].client;
            pthread_mutex_unlock(&client_cache.mu);
            json_decref(cfg);
            return 0;
        }
    pthread_mutex_unlock(&client_cache.mu);
    struct fg_err err;
    if (client_parse(cfg, false, out, &err) < 0) {
        fg_error(NULL, "tradeboss client %s has an unusable config: %s", key, err.msg);
        json_decref(cfg);
        return -FG_ENOT_FOUND;
    }
    pthread_mutex_lock(&client_cache.mu);
    int slot = -1;
    for (int i = 0; i < FG_TB_CLIENT_CACHE_MAX && slot < 0; i++)
        if (client_cache.e[i].config && client_cache.e[i].client.company_id == company_id)
            slot = i; /* a replaced config of the same company */
    if (slot < 0) {
        slot = client_cache.next;
        client_cache.next = (client_cache.next + 1) % FG_TB_CLIENT_CACHE_MAX;
    }
    json_decref(client_cache.e[slot].config);
    client_cache.e[slot].config = cfg; /* takes our reference */
    client_cache.e[slot].client = *out;
    pthread_mutex_unlock(&client_cache.mu);
    return 0;
}

/* --- the envelope ---------------------------------------------------------- */

/* Messages may quote input cut at a byte limit: keep them plain ASCII so the
 * envelope is always valid JSON. */
static void ascii_only(char *s)
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
static void envelope_send(struct http_req *req, const char *trace, const char *code,
                          const char *msg, json_t *data, const char *data_text, size_t data_len)
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
static int refuse_now(struct http_req *req, const char *trace, enum tb_code code,
                      const char *detail)
{
    char msg[FG_ERR_MSG_MAX];
    snprintf(msg, sizeof(msg), "%s", detail && *detail ? detail : tb_codes[code].text);
    ascii_only(msg);
    if (code != TB_OK)
        fg_info(req->trace, "tradeboss %s refused %s: %s", req->route_name, tb_codes[code].code,
                msg);
    envelope_send(req, trace, tb_codes[code].code, msg, NULL, NULL, 0);
    return HTTP_DONE;
}

/* --- the common prelude: client, auth, headers ----------------------------- */

struct tb_head {
    char trace[FG_TB_TRACE_BYTES_MAX + 1];
    int64_t company_id;
    struct tb_client client;
    /* A refusal found after authentication (trace or timestamp header):
     * execute records it in the fence, the others answer it at once. */
    enum tb_code late_code;
    char late_msg[FG_ERR_MSG_MAX];
};

static bool digits_only(const char *s, size_t min, size_t max)
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
static void trace_pick(struct http_req *req, struct tb_head *h)
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
            refuse_now(req, h->trace, sig == TB_SIG_EXPIRED ? TB_TOO_OLD : TB_AUTH, why[sig]);
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
        refuse_now(req, h->trace, TB_AUTH, msg);
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
    if (!ts || !digits_only(ts, 13, 13)) {
        h->late_code = TB_PARAM;
        snprintf(h->late_msg, sizeof(h->late_msg),
                 "header 'timestamp' must be 13 digits of epoch milliseconds");
        return;
    }
    int64_t t = strtoll(ts, NULL, 10), d = 0;
    if (__builtin_sub_overflow(t, fg_clock_now_ms(), &d) || d > window_ms || d < -window_ms) {
        h->late_code = TB_TOO_OLD;
        snprintf(h->late_msg, sizeof(h->late_msg),
                 "header 'timestamp' is more than %lld s from the server clock",
                 (long long)h->client.timestamp_window_s);
    }
}

/* Returns true when it has answered (a refusal before authentication
 * completed), false to go on, with h->late_code perhaps holding a refusal.
 * windowed: the query and the execute check the client's timestamp window;
 * the cancel never does (refusing it could strand money). */
static bool prelude(struct http_req *req, struct tb_head *h, bool windowed)
{
    memset(h, 0, sizeof(*h));
    h->late_code = TB_OK;
    trace_pick(req, h);
    const char *company = http_req_header(req, "companyId");
    if (!company || !digits_only(company, 1, 18) ||
        parse_int64_text(company, 1, INT64_MAX, &h->company_id) < 0) {
        refuse_now(req, h->trace, TB_PARAM, "header 'companyId' must be a positive integer");
        return true;
    }
    if (client_load(h->company_id, &h->client) < 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "no tradeboss client for companyId %lld",
                 (long long)h->company_id);
        refuse_now(req, h->trace, TB_UNKNOWN_COMPANY, msg);
        return true;
    }
    if (authenticate(req, h))
        return true;
    char rl_key[24]; /* issue 9.11: HTTP 429, the envelope, x-ratelimit-*; nothing recorded */
    snprintf(rl_key, sizeof(rl_key), "%lld", (long long)h->company_id);
    if (!app_rate_take(req, TB_FAMILY, rl_key)) {
        refuse_now(req, h->trace, TB_RATE_LIMITED, NULL);
        req->status = 429;
        return true;
    }
    /* Authenticated: what follows may be recorded. */
    if (windowed)
        timestamp_check(req, h);
    return false;
}

/* --- body fields ------------------------------------------------------------ */

enum { TB_OP_OPEN, TB_OP_CLOSE, TB_OP_OVERTRADING };
static const char *const operations[] = {"OPEN_POSITION", "NORMAL_CLOSE", "ABNORMAL_OVERTRADING",
                                         NULL};

static int biz_type(json_t *body, struct fg_err *err)
{
    int64_t v = 0;
    int rc = jsonx_int(body, "bizType", true, 1, 12, &v, err);
    if (rc == 0 && v != 1 && v != 2 && v != 10 && v != 11 && v != 12)
        rc = fg_fail(err, -FG_EBAD_FIELD, "field 'bizType' must be one of 1, 2, 10, 11, 12");
    return rc;
}

static int currency_field(json_t *body, const char **out, struct fg_err *err)
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
static int body_parse(struct http_req *req, json_t **body, bool *repaired, struct fg_err *err)
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
    json_t *v = changed ? json_loadb(fixed, n, JSON_REJECT_DUPLICATES, NULL) : NULL;
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
static int text_field(json_t *body, const char *key, size_t max_chars, bool repaired,
                      const char **out, struct fg_err *err)
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
static int order_id_field(json_t *body, struct fg_err *err)
{
    json_t *v = json_object_get(body, "orderId");
    if (!v || json_is_null(v))
        return fg_fail(err, -FG_EMISSING_FIELD, "field 'orderId' is required");
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        return 0;
    const char *s = json_string_value(v);
    long long n = -1;
    if (s && digits_only(s, 1, 19)) {
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
static int metadata_check(json_t *body, struct fg_err *err)
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
 * refused, never guessed. *units gets the absolute value in
 * 10^-amountDigits, text the amount as sent (cap TB_AMOUNT_TEXT_BYTES_MAX). */
static int amount_field(json_t *body, int digits, bool negative, int64_t *units, char *text,
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
    if (money_amount_parse(s + neg, n - neg, digits, units, &inner) < 0)
        return fg_fail(err, -FG_EBAD_AMOUNT, "field 'amount': %s", inner.msg);
    if (*units == 0)
        return fg_fail(err, -FG_EAMOUNT_ZERO, "field 'amount' must not be zero");
    snprintf(text, TB_AMOUNT_TEXT_BYTES_MAX, "%s", s); /* parsed: at most 28 bytes */
    return 0;
}

/* The amount (units of 10^-amount_digits) in minor units of a currency with
 * cur_digits: fewer amountDigits are scaled up; more only when the extra
 * digits are zeros ("100.00" with 2 is 100 JPY; "100.50" is no JPY amount). */
static int amount_minor(int64_t units, int amount_digits, int cur_digits, int64_t *out,
                        struct fg_err *err)
{
    if (amount_digits <= cur_digits) {
        if (!money_mul(units, money_pow10(cur_digits - amount_digits), out))
            return fg_fail(err, -FG_EBAD_AMOUNT, "field 'amount' is too large");
        return 0;
    }
    int64_t scale = money_pow10(amount_digits - cur_digits);
    if (units % scale != 0)
        return fg_fail(err, -FG_EBAD_AMOUNT,
                       "field 'amount' is not exact in a currency of %d decimal places",
                       cur_digits);
    *out = units / scale;
    return 0;
}

/* SHA-256 of the defining fields as sent (JSON values; absent is null), so
 * key order and spacing do not matter and nothing depends on parsing them. */
/* The text jansson gives for [tag, fields...] (compact, sorted keys), built
 * directly when every value is a string, integer, true, false or null and all
 * is ASCII (the execute's case: a fifth of the HTTP thread's parse work went
 * to the array and its dump); NULL means use jansson. */
static bool defining_text_fast(json_t *body, const char *tag, const char *const fields[],
                               struct jsonx_buf *b)
{
    jsonx_buf_lit(b, "[");
    jsonx_buf_str(b, tag);
    for (int i = 0; fields[i] && !b->failed; i++) {
        json_t *v = json_object_get(body, fields[i]);
        jsonx_buf_lit(b, ",");
        if (!v || json_is_null(v))
            jsonx_buf_lit(b, "null");
        else if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v))
            jsonx_buf_str(b, json_string_value(v));
        else if (json_is_integer(v))
            jsonx_buf_int(b, json_integer_value(v));
        else if (json_is_boolean(v))
            jsonx_buf_lit(b, json_is_true(v) ? "true" : "false");
        else
            return false; /* reals, objects, arrays, strings holding NUL */
    }
    jsonx_buf_lit(b, "]");
    return !b->failed;
}

static int defining_hash(json_t *body, const char *tag, const char *const fields[],
                         uint8_t out[FG_SHA256_BYTES])
{
    char mem[2048];
    struct jsonx_buf b;
    jsonx_buf_init(&b, mem, sizeof(mem));
    if (defining_text_fast(body, tag, fields, &b)) {
        fg_sha256(b.p, b.len, out);
        return 0;
    }
    json_t *a = json_array();
    if (!a)
        return -FG_ENOMEM;
    json_array_append_new(a, json_string(tag));
    for (int i = 0; fields[i]; i++) {
        json_t *v = json_object_get(body, fields[i]);
        json_array_append(a, v ? v : json_null());
    }
    size_t len = 0;
    char *text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(a);
    if (!text)
        return -FG_ENOMEM;
    len = strlen(text);
    fg_sha256(text, len, out);
    free(text);
    return 0;
}

/* --- commands ------------------------------------------------------------- */

/* thirdServerCode, when the client says it must equal the customer's uuid:
 * the value sent, or too_long when it cannot be a uuid (never cut). */
struct tb_tsc {
    bool check, too_long;
    char value[FG_UUID_BYTES_MAX + 1];
};

static bool tsc_matches(const struct tb_tsc *tsc, const char *uuid)
{
    return !tsc->check || (!tsc->too_long && strcmp(tsc->value, uuid) == 0);
}

struct tb_cmd {
    char trace[FG_TB_TRACE_BYTES_MAX + 1];
    int64_t company_id;
    char request_no[TB_REQUEST_NO_BYTES_MAX + 1];
    char key[TB_KEY_BYTES_MAX + 1];       /* this request's record key */
    char fence_key[TB_KEY_BYTES_MAX + 1]; /* cancel: the execute's fence key */
    char reverse_no[TB_REQUEST_NO_BYTES_MAX + 1];
    uint8_t hash[FG_SHA256_BYTES];
    enum tb_code pre_code; /* a refusal found on the HTTP thread (execute) */
    char pre_msg[FG_ERR_MSG_MAX];
    char user_name[TB_USER_NAME_BYTES_MAX + 1];
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int op;
    int64_t amount_units; /* absolute, in 10^-amount_digits */
    int amount_digits;
    char amount_text[TB_AMOUNT_TEXT_BYTES_MAX]; /* as sent: echoed in the execute's answer */
    char account_type[LEDGER_TYPE_BYTES_MAX];
    int overtrading;
    struct tb_tsc tsc;
    /* A cancel's descriptive fields as sent, kept in its record ("given"). */
    json_t *given;
    /* The answer, rendered after the batch commits. */
    char code[16];
    char msg[FG_ERR_MSG_MAX];
    json_t *data;
    /* Or the data as compact JSON text (the execute's success answer, built
     * without jansson); used when data is NULL and data_len > 0. */
    char data_text[TB_DATA_TEXT_BYTES_MAX];
    size_t data_len;
};

static void tb_cmd_free(void *p)
{
    struct tb_cmd *t = p;
    json_decref(t->data);
    json_decref(t->given);
}

static void answer_set(struct tb_cmd *t, enum tb_code code, const char *msg, json_t *data)
{
    t->data_len = 0;
    snprintf(t->code, sizeof(t->code), "%s", tb_codes[code].code);
    snprintf(t->msg, sizeof(t->msg), "%s", msg && *msg ? msg : tb_codes[code].text);
    ascii_only(t->msg);
    json_decref(t->data);
    t->data = data;
}

static void tb_after_commit(struct app_cmd *c)
{
    struct tb_cmd *t = c->data;
    envelope_send(c->req, t->trace, t->code, t->msg, t->data, t->data_len ? t->data_text : NULL,
                  t->data_len);
}

static void tb_fail(struct app_cmd *c, int code)
{
    struct tb_cmd *t = c->data;
    const char *msg = code == -FG_EOVERLOADED ? "engine queue is full; nothing was applied, retry"
                      : code == -FG_ESHUTDOWN ? "server is shutting down; nothing was applied"
                                              : "the write could not be committed; nothing was "
                                                "applied, retry";
    fg_warn(c->req->trace, "tradeboss %s: %s", t->key, msg);
    envelope_send(c->req, t->trace, tb_codes[TB_BUSY].code, msg, NULL, NULL, 0);
}

/* An operating error inside run(): answer busy now and roll the command back. */
static int run_busy(struct app_cmd *c, int rc, const struct fg_err *err)
{
    struct tb_cmd *t = c->data;
    fg_error(c->req->trace, "tradeboss %s: %s", t->key, err->msg[0] ? err->msg : "failed");
    envelope_send(c->req, t->trace, tb_codes[TB_BUSY].code,
                  "the write could not be done; nothing was applied, retry", NULL, NULL, 0);
    return rc < 0 ? rc : -FG_EINTERNAL;
}

/* A stored answer {"code","msg","data",...} into the command's answer. */
static int answer_stored(struct tb_cmd *t, const struct idem_rec *rec, json_t **stored_out)
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
static char *answer_dump(const struct tb_cmd *t, json_t *fence, size_t *len)
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

/* A transfer's ref "<scope>:<key>"; a key too long for it (a number of 48
 * wide characters) is named by its SHA-256 instead, never cut. */
static void transfer_ref(char ref[LEDGER_REF_BYTES_MAX], const char *scope, const char *key)
{
    size_t ns = strlen(scope), nk = strlen(key);
    if (ns + 1 + nk < LEDGER_REF_BYTES_MAX) {
        memcpy(ref, scope, ns);
        ref[ns] = ':';
        memcpy(ref + ns + 1, key, nk + 1);
        return;
    }
    uint8_t h[FG_SHA256_BYTES];
    char hex[2 * FG_SHA256_BYTES + 1];
    fg_sha256(key, nk, h);
    fg_hex(h, sizeof(h), hex);
    snprintf(ref, LEDGER_REF_BYTES_MAX, "%s:sha256:%s", scope, hex);
}

static json_t *amount_json(int64_t v, int digits)
{
    return jsonx_amount_new(v, digits);
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
    if (!tsc_matches(&t->tsc, cu.uuid))
        return fg_fail(err, -FG_EWD_INITIATOR_MISMATCH,
                       "thirdServerCode does not name the customer of user '%s'", t->user_name);
    if (strcmp(cu.status, "active") != 0)
        return fg_fail(err, -FG_ECUSTOMER_INACTIVE, "user '%s' is %s", t->user_name, cu.status);
    if ((rc = currency_get_cached(s, t->currency, &cur, err)) < 0)
        return rc;
    x->digits = cur.digits;
    if ((rc = amount_minor(t->amount_units, t->amount_digits, cur.digits, &x->requested, err)) < 0)
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
        transfer_ref(tr.ref, TB_SCOPE_EXEC, t->key);
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
    jsonx_buf_str(&d, operations[t->op]);
    jsonx_buf_lit(&d, ",\"amount\":");
    jsonx_buf_str(&d, t->amount_text);
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

static int exec_run_new(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct tb_cmd *t = c->data;
    struct fg_err err = {0};
    struct exec_result x = {0};
    char note[160] = "", refusal[FG_ERR_MSG_MAX];
    enum tb_code code = t->pre_code;
    const char *msg = t->pre_msg;
    int rc = 0;
    if (code == TB_OK) {
        /* No savepoint: a refusal from exec_apply has written nothing (a
         * refused ledger transfer leaves nothing behind), so the fence row that
         * records it is all the command keeps. An operating error fails the
         * batch (the command is savepoint-free, engine.h). */
        rc = exec_apply(t, s, now_ms, &x, note, sizeof(note), &err);
        if (rc < 0) {
            code = tb_code_of(rc);
            snprintf(refusal, sizeof(refusal), "%s", err.msg);
            msg = refusal;
            if (code == TB_BUSY)
                return run_busy(c, rc, &err);
        }
    }

    struct tb_fence_step step =
        tb_fence_step(TB_FENCE_NONE, code == TB_OK ? TB_EV_EXECUTE_APPLIED : TB_EV_EXECUTE_REFUSED);
    FG_ASSERT(step.action == TB_FENCE_RECORD);
    json_t *fence = NULL;
    if (code == TB_OK) {
        char req_s[MONEY_FORMAT_BYTES_MAX], moved_s[MONEY_FORMAT_BYTES_MAX];
        money_amount_format(x.requested, x.digits, req_s, sizeof(req_s));
        money_amount_format(x.moved, x.digits, moved_s, sizeof(moved_s));
        char text[FG_ERR_MSG_MAX];
        if (t->op == TB_OP_OVERTRADING && x.moved < x.requested &&
            t->overtrading != TB_OVERTRADING_IGNORE)
            snprintf(text, sizeof(text), "deducted %s of %s asked: that was all available", moved_s,
                     req_s);
        else
            snprintf(text, sizeof(text), "%s", note[0] ? note : "success");
        answer_set(t, TB_OK, text, NULL);
        char stored[TB_ANSWER_TEXT_BYTES_MAX];
        size_t stored_len = 0;
        if (exec_answer_text(t, &x, stored, sizeof(stored), &stored_len)) {
            rc = idem_put(s, TB_SCOPE_EXEC, t->key, t->hash, step.next, 200, stored, stored_len,
                          x.transfer_id, now_ms, &err);
            return rc < 0 ? run_busy(c, rc, &err) : 0;
        }
        answer_set(t, TB_OK, text,
                   json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:i,s:o}", "requestUniqueNo", t->request_no,
                             "userName", t->user_name, "currency", t->currency, "operationType",
                             operations[t->op], "amount", json_string(t->amount_text),
                             "appliedAmount", amount_json(x.moved, x.digits), "amountDigits",
                             x.digits, "availableAmount", amount_json(x.available, x.digits)));
        fence = json_pack("{s:I,s:I,s:I,s:I,s:s,s:s,s:i}", "requested", (json_int_t)x.requested,
                          "moved", (json_int_t)x.moved, "debit", (json_int_t)x.debit_id, "credit",
                          (json_int_t)x.credit_id, "currency", t->currency, "userName",
                          t->user_name, "digits", x.digits);
    } else {
        answer_set(t, code, msg, NULL);
        fg_info(c->req->trace, "tradeboss execute %s refused %s: %s", t->key, t->code, t->msg);
    }
    size_t len = 0;
    char *text = answer_dump(t, fence, &len);
    json_decref(fence);
    if (!text)
        return run_busy(c, -FG_ENOMEM, &err);
    rc = idem_put(s, TB_SCOPE_EXEC, t->key, t->hash, step.next, 200, text, len, x.transfer_id,
                  now_ms, &err);
    free(text);
    if (rc < 0)
        return run_busy(c, rc, &err);
    return 0;
}

static int exec_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct tb_cmd *t = c->data;
    struct fg_err err = {0};
    struct idem_rec rec;
    int rc = idem_get(s, TB_SCOPE_EXEC, t->key, &rec, &err);
    if (rc < 0)
        return run_busy(c, rc, &err);
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
        rc = answer_stored(t, &rec, NULL);
        if (rc < 0)
            rc = run_busy(c, rc, &err);
        break;
    case TB_FENCE_CONFLICT:
        snprintf(msg, sizeof(msg),
                 "requestUniqueNo '%.64s' was already used for a different adjustment; nothing "
                 "was applied",
                 t->request_no);
        answer_set(t, TB_DUPLICATE, msg, NULL);
        break;
    case TB_FENCE_TOMBSTONE_HIT:
        snprintf(msg, sizeof(msg),
                 "requestUniqueNo '%.64s' was cancelled before it arrived; nothing was applied",
                 t->request_no);
        answer_set(t, TB_CANCELLED_BEFORE, msg, NULL);
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

/* thirdServerCode under the client's rule: not read ("ignore"), or required
 * and kept to be compared with the customer's uuid on the writer. */
static int tsc_read(json_t *body, const struct tb_client *cl, struct tb_tsc *tsc,
                    struct fg_err *err)
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

/* Field checks of an execute that need no store; the first failure wins.
 * Unknown fields are ignored; requestTime and ip are descriptive and not
 * read; the rest defines the adjustment and is typed strictly. */
static int exec_fields_check(json_t *body, bool repaired, const struct tb_client *cl,
                             struct tb_cmd *t, struct fg_err *err)
{
    const char *s = NULL;
    int64_t v = 0;
    int op = 0;
    int rc = repaired ? fg_fail(err, -FG_EBAD_FIELD, "the body is not valid UTF-8") : 0;
    if (rc == 0)
        rc = tsc_read(body, cl, &t->tsc, err);
    if (rc == 0 &&
        (rc = text_field(body, "userName", FG_TB_USER_NAME_CHARS_MAX, repaired, &s, err)) == 0)
        snprintf(t->user_name, sizeof(t->user_name), "%s", s);
    if (rc == 0 && (rc = currency_field(body, &s, err)) == 0)
        snprintf(t->currency, sizeof(t->currency), "%s", s);
    if (rc == 0)
        rc = biz_type(body, err);
    if (rc == 0 && (rc = jsonx_enum(body, "operationType", true, operations, &op, err)) == 0)
        t->op = op;
    if (rc == 0 &&
        (rc = jsonx_int(body, "amountDigits", true, 0, FG_CURRENCY_DIGITS_MAX, &v, err)) == 0)
        t->amount_digits = (int)v;
    if (rc == 0)
        rc = amount_field(body, t->amount_digits, op == TB_OP_OVERTRADING, &t->amount_units,
                          t->amount_text, err);
    if (rc == 0)
        rc = order_id_field(body, err);
    if (rc == 0)
        rc = metadata_check(body, err);
    return rc;
}

static int exec_post(struct http_req *req, void *ctx)
{
    (void)ctx;
    struct tb_head h;
    if (prelude(req, &h, true))
        return HTTP_DONE;
    json_t *body = NULL;
    struct fg_err err = {0};
    const char *no = NULL;
    bool repaired = false;
    int rc = body_parse(req, &body, &repaired, &err);
    if (rc == 0)
        rc = text_field(body, "requestUniqueNo", FG_TB_REQUEST_NO_CHARS_MAX, repaired, &no, &err);
    if (rc < 0) {
        /* No usable number: nothing can be recorded. */
        json_decref(body);
        return refuse_now(req, h.trace, h.late_code != TB_OK ? h.late_code : tb_code_of(rc),
                          h.late_code != TB_OK ? h.late_msg : err.msg);
    }
    struct app_cmd *c = app_cmd_new(req, exec_run, sizeof(struct tb_cmd));
    struct tb_cmd *t = c->data;
    /* Every refusal of an execute is recorded with nothing else written, and
     * it returns < 0 only for an operating error: no savepoint needed. */
    c->ec.savepoint_free = true;
    c->data_free = tb_cmd_free;
    c->fail = tb_fail;
    c->after_commit = tb_after_commit;
    snprintf(t->trace, sizeof(t->trace), "%s", h.trace);
    t->company_id = h.company_id;
    snprintf(t->request_no, sizeof(t->request_no), "%s", no);
    snprintf(t->key, sizeof(t->key), "%lld:%s", (long long)h.company_id, no);
    snprintf(t->account_type, sizeof(t->account_type), "%s", h.client.account_type);
    t->overtrading = h.client.overtrading;
    (void)order_id_field(body, NULL); /* "42" and 42 hash alike; a bad one is refused below */
    rc = defining_hash(body, "tb.exec.v1", exec_defining, t->hash);
    if (rc < 0) {
        json_decref(body);
        return refuse_now(req, h.trace, TB_BUSY, "out of memory");
    }
    t->pre_code = h.late_code;
    snprintf(t->pre_msg, sizeof(t->pre_msg), "%s", h.late_msg);
    if (t->pre_code == TB_OK && exec_fields_check(body, repaired, &h.client, t, &err) < 0) {
        t->pre_code = tb_code_of(err.code);
        snprintf(t->pre_msg, sizeof(t->pre_msg), "%s", err.msg);
    }
    json_decref(body);
    if (t->pre_code == TB_BUSY) /* out of memory: transient, never recorded */
        return refuse_now(req, h.trace, TB_BUSY, t->pre_msg);
    return app_cmd_submit(c);
}

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
    if (amount_minor(t->amount_units, t->amount_digits, digits, &amount, NULL) < 0 ||
        amount != requested) {
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
                     t->currency, "amount", amount_json(amount, digits), "amountDigits", digits);
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
        transfer_ref(tr.ref, TB_SCOPE_CANCEL, t->key);
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
static int cancel_repeat(struct app_cmd *c, struct store *s)
{
    struct tb_cmd *t = c->data;
    struct fg_err err = {0};
    struct idem_rec own;
    int rc = idem_get(s, TB_SCOPE_CANCEL, t->key, &own, &err);
    if (rc < 0)
        return run_busy(c, rc, &err);
    if (!own.found)
        return 0;
    if (idem_same_hash(&own, t->hash)) {
        rc = answer_stored(t, &own, NULL);
        if (rc < 0)
            rc = run_busy(c, rc, &err);
    } else {
        char msg[FG_ERR_MSG_MAX];
        snprintf(msg, sizeof(msg),
                 "cancel requestUniqueNo '%.64s' was already used with different content",
                 t->request_no);
        answer_set(t, TB_DUPLICATE, msg, NULL);
    }
    idem_rec_release(&own);
    return rc < 0 ? rc : 1;
}

/* reverseRequestUniqueNo names no adjustment but a cancel's own number (a
 * reverse of a reverse): a refusal that says so, and nothing written, no
 * tombstone (the number was received, as a cancel). Returns 1 when it
 * answered, 0 when the number is no cancel's, < 0 on an operating error. */
static int cancel_of_cancel(struct app_cmd *c, struct store *s)
{
    struct tb_cmd *t = c->data;
    struct fg_err err = {0};
    struct idem_rec other;
    int rc = idem_get(s, TB_SCOPE_CANCEL, t->fence_key, &other, &err);
    if (rc < 0)
        return run_busy(c, rc, &err);
    bool found = other.found;
    idem_rec_release(&other);
    if (!found)
        return 0;
    char msg[FG_ERR_MSG_MAX];
    snprintf(msg, sizeof(msg),
             "reverseRequestUniqueNo '%.64s' is the number of a cancel, not of an adjustment; "
             "nothing was done",
             t->reverse_no);
    answer_set(t, TB_CANCEL_OF_CANCEL, msg, NULL);
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
        /* fallthrough */
    case TB_FENCE_NEVER_RECEIVED:
        snprintf(msg, sizeof(msg),
                 "requestUniqueNo '%.64s' was never received; a later execute of it is refused",
                 t->reverse_no);
        answer_set(t, TB_CANCEL_NEVER_RECEIVED, msg, NULL);
        return rc;
    case TB_FENCE_REFUSED_BEFORE:
        snprintf(msg, sizeof(msg),
                 "requestUniqueNo '%.64s' was received but refused; nothing moved", t->reverse_no);
        answer_set(t, TB_CANCEL_REFUSED_BEFORE, msg, NULL);
        return 0;
    case TB_FENCE_REVERSE:
        rc = cancel_reverse(t, s, now_ms, rec, fence, reversal_id, err);
        if (rc < 0 && tb_code_of(rc) != TB_BUSY) {
            /* Transient (e.g. the customer already spent a closed position's
             * money): answer, record nothing, the fence stays APPLIED. */
            answer_set(t, tb_code_of(rc), err->msg, NULL);
            *record = false;
            return 0;
        }
        answer_set(t, TB_OK, moved > 0 ? "reversed" : "reversed; the adjustment had moved nothing",
                   cancel_data(t, moved, digits));
        return rc;
    case TB_FENCE_ALREADY_REVERSED:
        answer_set(t, TB_OK, "already reversed by an earlier cancel; nothing moved now",
                   cancel_data(t, 0, digits));
        return 0;
    case TB_FENCE_MISMATCH:
        answer_set(t, TB_CANCEL_MISMATCH, why, NULL);
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
    char *text = answer_dump(t, NULL, &len);
    if (!text)
        return fg_fail(err, -FG_ENOMEM, "out of memory");
    int rc = idem_put(s, TB_SCOPE_CANCEL, t->key, t->hash, TB_CANCEL_RECORDED, 200, text, len,
                      reversal_id, now_ms, err);
    free(text);
    return rc;
}

static int cancel_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct tb_cmd *t = c->data;
    struct fg_err err = {0};
    struct idem_rec rec;
    int rc = cancel_repeat(c, s);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if ((rc = idem_get(s, TB_SCOPE_EXEC, t->fence_key, &rec, &err)) < 0)
        return run_busy(c, rc, &err);
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
            return run_busy(c, -FG_EINTERNAL, &err);
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
        return run_busy(c, rc, &err);
    fg_info(c->req->trace, "tradeboss cancel %s of %s (%s -> %s): %s", t->key, t->fence_key,
            tb_fence_state_name(state), tb_fence_state_name(record ? step.next : state), t->code);
    if (record && (rc = cancel_record(t, s, reversal_id, now_ms, &err)) < 0)
        return run_busy(c, rc, &err);
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
static int cancel_fields(json_t *body, bool repaired, struct tb_cmd *t, struct fg_err *err)
{
    const char *no = NULL, *rev = NULL, *user = NULL, *ccy = NULL;
    int64_t digits = 0;
    int rc = text_field(body, "requestUniqueNo", FG_TB_REQUEST_NO_CHARS_MAX, repaired, &no, err);
    if (rc == 0)
        rc = text_field(body, "reverseRequestUniqueNo", FG_TB_REQUEST_NO_CHARS_MAX, repaired, &rev,
                        err);
    if (rc == 0)
        rc = text_field(body, "userName", FG_TB_USER_NAME_CHARS_MAX, repaired, &user, err);
    if (rc == 0)
        rc = currency_field(body, &ccy, err);
    if (rc == 0)
        rc = jsonx_int(body, "amountDigits", true, 0, FG_CURRENCY_DIGITS_MAX, &digits, err);
    if (rc == 0)
        rc = amount_field(body, (int)digits, false, &t->amount_units, t->amount_text, err);
    if (rc < 0)
        return rc;
    snprintf(t->request_no, sizeof(t->request_no), "%s", no);
    snprintf(t->reverse_no, sizeof(t->reverse_no), "%s", rev);
    snprintf(t->key, sizeof(t->key), "%lld:%s", (long long)t->company_id, no);
    snprintf(t->fence_key, sizeof(t->fence_key), "%lld:%s", (long long)t->company_id, rev);
    snprintf(t->user_name, sizeof(t->user_name), "%s", user);
    snprintf(t->currency, sizeof(t->currency), "%s", ccy);
    t->amount_digits = (int)digits;
    return 0;
}

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

static int cancel_post(struct http_req *req, void *ctx)
{
    (void)ctx;
    struct tb_head h;
    if (prelude(req, &h, false))
        return HTTP_DONE;
    json_t *body = NULL;
    struct fg_err err = {0};
    bool repaired = false;
    int rc = body_parse(req, &body, &repaired, &err);
    struct app_cmd *c = app_cmd_new(req, cancel_run, sizeof(struct tb_cmd));
    struct tb_cmd *t = c->data;
    c->data_free = tb_cmd_free;
    c->fail = tb_fail;
    c->after_commit = tb_after_commit;
    snprintf(t->trace, sizeof(t->trace), "%s", h.trace);
    t->company_id = h.company_id;
    if (rc == 0)
        rc = cancel_fields(body, repaired, t, &err);
    if (rc == 0)
        rc = defining_hash(body, "tb.cancel.v2", cancel_defining, t->hash);
    if (rc == 0 && !(t->given = cancel_given_fields(req, body, repaired)))
        rc = fg_fail(&err, -FG_ENOMEM, "out of memory");
    json_decref(body);
    if (rc < 0)
        return refuse_now(req, h.trace, tb_code_of(rc), err.msg[0] ? err.msg : "out of memory");
    return app_cmd_submit(c);
}

/* --- get-user-amount ------------------------------------------------------- */

/* Unknown fields are ignored; userName and currency are required, and
 * thirdServerCode under the client's rule. */
static int amount_post(struct http_req *req, void *ctx)
{
    (void)ctx;
    struct tb_head h;
    if (prelude(req, &h, true))
        return HTTP_DONE;
    if (h.late_code != TB_OK)
        return refuse_now(req, h.trace, h.late_code, h.late_msg);
    json_t *body = NULL;
    struct fg_err err = {0};
    struct tb_tsc tsc;
    const char *user = NULL, *ccy = NULL;
    bool repaired = false;
    int rc = body_parse(req, &body, &repaired, &err);
    if (rc == 0 && repaired)
        rc = fg_fail(&err, -FG_EBAD_FIELD, "the body is not valid UTF-8");
    if (rc == 0)
        rc = tsc_read(body, &h.client, &tsc, &err);
    if (rc == 0)
        rc = text_field(body, "userName", FG_TB_USER_NAME_CHARS_MAX, repaired, &user, &err);
    if (rc == 0)
        rc = currency_field(body, &ccy, &err);
    struct store *st = rc == 0 ? app_reader(&err) : NULL;
    if (rc == 0 && !st)
        rc = -FG_ESTORE;
    struct customer cu;
    struct currency cur;
    struct ledger_account acct;
    if (rc == 0)
        rc = customer_find_by_name(st, h.company_id, user, &cu, &err);
    if (rc == 0 && !tsc_matches(&tsc, cu.uuid))
        rc = fg_fail(&err, -FG_EWD_INITIATOR_MISMATCH,
                     "thirdServerCode does not name the customer of user '%s'", user);
    if (rc == 0)
        rc = currency_get(st, ccy, &cur, &err);
    if (rc == 0 && ledger_account_find(st, cu.uuid, h.client.account_type, ccy, &acct, &err) < 0)
        rc = fg_fail(&err, -FG_EUNKNOWN_ACCOUNT, "user '%s' has no %s account in %s", user,
                     h.client.account_type, ccy);
    if (rc < 0) {
        json_decref(body);
        return refuse_now(req, h.trace, tb_code_of(rc), err.msg);
    }
    json_t *data = json_pack("{s:s,s:s,s:o,s:i}", "userName", user, "currency", ccy, "amount",
                             amount_json(ledger_account_available(&acct), cur.digits),
                             "amountDigits", cur.digits);
    json_decref(body);
    envelope_send(req, h.trace, tb_codes[TB_OK].code, tb_codes[TB_OK].text, data, NULL, 0);
    json_decref(data);
    return HTTP_DONE;
}

/* The transport's own refusals under /api/cats-gateway/ (unknown path or
 * method, body or path too large, malformed head): this envelope with
 * US_1000001, echoing a usable `trace`; the HTTP status stays the transport's
 * (404, 405, 413, 414, 400). Other codes map as everywhere (tb_code_of). */
static int transport_refusal(struct http_req *req, void *ctx)
{
    const struct http_refusal *r = ctx;
    char trace[FG_TB_TRACE_BYTES_MAX + 1] = "";
    const char *t = http_req_header(req, "trace");
    if (t && strlen(t) <= FG_TB_TRACE_BYTES_MAX)
        snprintf(trace, sizeof(trace), "%s", t);
    ascii_only(trace);
    bool transport = r->code == -FG_ENOT_FOUND || r->code == -FG_EMETHOD ||
                     r->code == -FG_ETOO_LARGE || r->code == -FG_EBAD_REQUEST;
    return refuse_now(req, trace, transport ? TB_PARAM : tb_code_of(r->code), r->msg);
}

static const struct http_route routes[] = {
    HTTP_ROUTE_OWNER("/api/cats-gateway/", transport_refusal),
    {"POST", "/api/cats-gateway/get-user-amount", amount_post, NULL, "tb_get_user_amount"},
    {"POST", "/api/cats-gateway/external-system-credit-limit-adjustment", exec_post, NULL,
     "tb_execute"},
    {"POST", "/api/cats-gateway/cancel-external-system-credit-limit-adjustment", cancel_post, NULL,
     "tb_cancel"},
};

const struct http_route *tradeboss_routes(int *count)
{
    *count = (int)(sizeof(routes) / sizeof(routes[0]));
    return routes;
}

void tradeboss_init(void)
{
    app_client_family_register(&tb_family);
}
