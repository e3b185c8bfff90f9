/*
 * funds.c - the Funds family's wire: X-Auth-Token, the envelope, the seed's
 * code table, and the /order/v2, /account/v2 and /rate/v2 endpoints; see
 * funds.h. Checks before the engine (token and app, parameters, mode, source)
 * happen here on the HTTP thread; the rest of SYSTEM.md's order runs in
 * withdraw_create on the writer, where the customer's state cannot change
 * underneath it.
 *
 * Wire tolerance (issues 10, 16): unknown body fields are ignored, known ones
 * typed strictly; descriptive text is kept as given (funds_text_copy). Every
 * answer is the family's envelope: a failure without a business code (store,
 * memory, queue, a failed commit through funds_fail) is 110017 with a 5xx.
 *
 * Idempotency of create and transfer: the record (scope, app_id:request_id)
 * is looked up first, before any check, so that a replay answers its original
 * bytes even though the order it created now blocks new ones (110203); a
 * different request under the same id is 110020. Refusals are not recorded
 * (the request may be retried once fixed). While a request id is in the
 * engine, the same id again answers 110027.
 */
#include "families/funds.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app.h"
#include "core/assert.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/jsonx.h"
#include "core/jwt.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/money.h"
#include "core/parse.h"
#include "core/utf8.h"
#include "ledger/idem.h"
#include "ledger/ledger.h"
#include "services/directory.h"
#include "services/withdraw.h"
#include "store/store.h"

#define FUNDS_FAMILY "funds"
#define FUNDS_ISS_DEFAULT "Trading-Auth"
#define FUNDS_APPEAL_DAYS_DEFAULT 7
#define FUNDS_CREATE_SCOPE "funds.create"
#define FUNDS_TRANSFER_SCOPE "funds.transfer"
#define FUNDS_FG_PER_CODE 10
/* The code of every answer whose cause has no business code: an operating
 * failure (store, memory, queue full, shutting down). Nothing was applied;
 * the caller retries. The seed's "failed to initiate distributed transaction"
 * is the nearest meaning, and keeps such answers in the family's envelope. */
#define FUNDS_CODE_OPERATING 110017

/* --- the code table ------------------------------------------------------ */

/* Every code of the seed with both texts, and the fg codes that mean it. The
 * seed's 110004 repeats 110003's Chinese text; fundgate keeps the English
 * meaning and says it in Chinese (PROTOCOLS.md section A). */
static const struct funds_code {
    int code;
    const char *en;
    const char *zh;
    int fg[FUNDS_FG_PER_CODE]; /* negative fg codes, 0-terminated */
} codes[] = {
    {0, "success", "成功", {0}},
    {990009, "Unauthorized access is prohibited", "禁止未经授权的访问", {-FG_EUNAUTHORIZED}},
    {990429,
     "Too many requests, please retry later",
     "请求过于频繁,请稍后重试",
     {-FG_ERATE_LIMITED}},
    {110001,
     "Parameter error",
     "参数错误",
     {-FG_EBAD_REQUEST, -FG_EBAD_JSON, -FG_EUNKNOWN_FIELD, -FG_EMISSING_FIELD, -FG_EBAD_FIELD,
      -FG_EBAD_AMOUNT, -FG_ETOO_LARGE, -FG_ETOO_DEEP, -FG_EOVERFLOW}},
    {110002,
     "Uuid does not exist or the status is abnormal",
     "uuid不存在或状态异常",
     {-FG_EUNKNOWN_CUSTOMER, -FG_ECUSTOMER_INACTIVE}},
    {110003,
     "Account type is incorrect or does not exist",
     "账户类型错误或账号不存在",
     {-FG_EUNKNOWN_ACCOUNT}},
    {110004,
     "The occurrence currency is different from the account currency",
     "发生币种与账户币种不一致",
     {-FG_EWD_WALLET_CURRENCY}},
    {110005,
     "The uuid of the initiator and the generation account is different",
     "发起人和发生账户uuid不一致",
     {-FG_EWD_INITIATOR_MISMATCH}},
    {110006, "No operation permission", "无操作权限", {-FG_EWD_NO_PERMISSION}},
    {110007, "Appid not exist", "APPID不存在", {-FG_EWD_UNKNOWN_APP}},
    {110008,
     "Operation not allowed mode id",
     "不允许的operation_mode_id",
     {-FG_EWD_MODE_NOT_ALLOWED}},
    {110009,
     "The administrator does not support account type when creating an order",
     "管理员在创建订单时不支持账户类型",
     {-FG_EWD_OPERATOR_ACCOUNT_TYPE}},
    {110010, "Order does not exist", "订单不存在", {-FG_EWD_ORDER_UNKNOWN}},
    {110011, "Order exist", "订单已存在", {-FG_EWD_ORDER_EXISTS}},
    {110012, "Setting item is empty", "配置项为空", {-FG_EWD_NO_RULE}},
    {110013,
     "Insufficient funds available for withdrawal",
     "可提资金不足",
     {-FG_EINSUFFICIENT_FUNDS}},
    {110014, "Invalid operator", "无效操作人", {-FG_EWD_OPERATOR}},
    {110015,
     "The initiator does not exist or is in an abnormal state",
     "发起人不存在或状态异常",
     {-FG_EWD_INITIATOR}},
    {110016, "Initiate order status error", "发起订单状态错误", {-FG_EWD_ORDER_STATE}},
    {110017, "Failed to initiate Distributed transaction", "分布式事务失败", {0}},
    {110018, "Operation method does not exist", "操作方式不存在", {-FG_EWD_UNKNOWN_MODE}},
    {110019, "Invalid order serial", "无效订单号", {-FG_EWD_ORDER_SERIAL}},
    {110020, "Idempotent Check Failed", "幂等性校验失败", {-FG_EIDEMPOTENCY_CONFLICT}},
    {110021, "Unknown source", "未知的来源", {-FG_EWD_UNKNOWN_SOURCE}},
    {110022, "The trading system interface is error", "交易系统接口错误", {0}},
    {110023, "Abnormal securities account status", "证券账户状态异常", {-FG_EACCOUNT_INACTIVE}},
    {110024,
     "Trading accounts do not have this currency",
     "交易账户没有此币种",
     {-FG_EWD_TRADING_CURRENCY}},
    {110025,
     "Failed to obtain currency accuracy of trading account",
     "获取交易账号币种精度失败",
     {-FG_EUNKNOWN_CURRENCY}},
    {110026, "Unknown fund flow", "未知的资金流向", {-FG_EWD_FLOW_UNKNOWN}},
    {110027, "Order is being processed in the system", "订单在系统处理中", {-FG_EWD_IN_PROGRESS}},
    {110028, "Rate not exist", "汇率不存在", {-FG_EWD_NO_RATE}},
    {110029,
     "The occurrence account uuid is different from the occurrence account",
     "发生账户uuid与发生账户不一致",
     {-FG_EWD_OTHER_APP}},
    {110030,
     "The account type does not match the capital flow",
     "账户类型与资金流向不匹配",
     {-FG_EWD_FLOW_TYPE}},
    {110031,
     "Appeal failed, exceeding the deadline",
     "申诉失败,超出时限",
     {-FG_EWD_APPEAL_DEADLINE}},
    {110032, "No appeal authority", "无申诉权限", {-FG_EWD_APPEAL_AUTH}},
    {110033, "Value Day failed to get", "结算日期获取失败", {-FG_EWD_VALUE_DAY}},
    {110034, "Account is disabled", "账户已禁用", {-FG_EWD_CUSTOMER_DISABLED}},
    {110035, "Account cancelled", "账户已注销", {-FG_EWD_CUSTOMER_CANCELLED}},
    {110036, "Data is null", "数据为空", {-FG_EWD_EMPTY_BODY}},
    {110037, "ClientBankId does not exist", "存取款信息不存在", {-FG_EWD_BANK_UNKNOWN}},
    {110038,
     "The ClientBankID should be either \"Approved\" or \"Approving\"",
     "存取款信息状态应为“已通过”或“审核中”",
     {-FG_EWD_BANK_STATUS}},
    {110039,
     "The ClientBankid associated with the order has not been approved",
     "订单关联的存取款信息未审核通过",
     {-FG_EWD_BANK_NOT_APPROVED}},
    {110201, "Prohibit the flow of funds", "禁止资金流动", {-FG_EWD_FLOW_FORBIDDEN}},
    {110202,
     "Current withdrawal cooling, please try again later",
     "当前取款冷却中,请稍后再试",
     {-FG_EWD_COOLDOWN}},
    {110203,
     "Please do not resubmit, your withdrawal order pending review",
     "当前有待审核取款订单,请勿重复提交",
     {-FG_EWD_PENDING_REVIEW}},
    {110204,
     "The withdrawal amount is lower than the minimum withdrawal amount",
     "取款金额低于最低取款金额",
     {-FG_EWD_BELOW_MIN}},
    {110205,
     "The withdrawal amount is greater than the maximum withdrawal amount",
     "取款金额大于最高取款金额",
     {-FG_EWD_ABOVE_MAX}},
    {110206,
     "The platform prohibits third-party withdrawals",
     "平台禁止第三方取款",
     {-FG_EWD_THIRD_PARTY}},
    {110207, "Bank info does not exist", "银行信息不存在", {-FG_EWD_BANK_INCOMPLETE}},
    {110208,
     "The withdrawal amount should be greater than 0 and not greater than the withdrawal amount",
     "取款金额应大于0且不大于提现金额",
     {-FG_EAMOUNT_ZERO}},
    {110209,
     "Service charge greater than or equal withdraw amount",
     "手续费大于或等于取款金额",
     {-FG_EWD_FEE_TOO_HIGH}},
    {110210,
     "The handling fee is greater than the amount incurred",
     "手续费大于发生金额",
     {-FG_EWD_FEE_OVER_AMOUNT}},
    {110211, "Service charge miscalculation", "手续费计算错误", {-FG_EWD_FEE_MISMATCH}},
    {110212, "No such digital currency", "无此数字货币", {-FG_EWD_NOT_DIGITAL}},
    {110213, "Missing clearing ID", "缺少清算标识", {-FG_EWD_CLEARING_MISSING}},
    {110214,
     "The payment information does not exist/Inconsistent payment information with uuid",
     "收款信息不存在/收款信息与uuid不一致",
     {-FG_EWD_PAYEE}},
    {110215,
     "The currency is not consistent with the payee's currency",
     "发生币种与收款人货币不一致",
     {-FG_EWD_PAYEE_CURRENCY}},
    {110216,
     "The withdrawal amount is too small, which does not meet the accuracy of interface input "
     "parameters",
     "出金金额过小,不满足接口入参精度",
     {-FG_EWD_AMOUNT_PRECISION}},
};

#define CODE_COUNT ((int)(sizeof(codes) / sizeof(codes[0])))

int funds_code_of(int fg_code)
{
    if (fg_code == 0)
        return 0;
    for (int i = 0; i < CODE_COUNT; i++)
        for (int j = 0; j < FUNDS_FG_PER_CODE && codes[i].fg[j]; j++)
            if (codes[i].fg[j] == fg_code)
                return codes[i].code;
    return 0;
}

const char *funds_code_text(int funds_code, bool zh)
{
    for (int i = 0; i < CODE_COUNT; i++)
        if (codes[i].code == funds_code)
            return zh ? codes[i].zh : codes[i].en;
    return zh ? "未知错误" : "unknown error";
}

/* --- envelope ------------------------------------------------------------ */

static bool wants_zh(struct http_req *req)
{
    const char *l = http_req_header(req, "Accept-Language");
    return l && strncasecmp(l, "zh", 2) == 0;
}

/* The code an answer carries: the seed's for fg_code, FUNDS_CODE_OPERATING
 * for a failure with no business meaning. */
static int wire_code(int fg_code)
{
    int code = funds_code_of(fg_code);
    return fg_code < 0 && code == 0 ? FUNDS_CODE_OPERATING : code;
}

/* {code, msg, data, trace_id}; takes data's reference. Every answer of the
 * family has this shape: HTTP 200, 401 for 990009, and for an operating
 * failure (FUNDS_CODE_OPERATING) the admin plane's 5xx status. */
static char *envelope_text(const char *trace, bool zh, int fg_code, json_t *data, size_t *len,
                           int *status)
{
    int code = wire_code(fg_code);
    *status = code == 990009                 ? 401
              : code == 990429               ? 429
              : code == FUNDS_CODE_OPERATING ? fg_code_http_status(fg_code)
                                             : 200;
    json_t *o = json_pack("{s:i,s:s,s:o,s:s}", "code", code, "msg", funds_code_text(code, zh),
                          "data", data ? data : json_null(), "trace_id", trace);
    char *text = jsonx_dump(o, len);
    json_decref(o);
    return text;
}

static void answer(struct http_req *req, bool zh, int fg_code, json_t *data,
                   const struct fg_err *err)
{
    if (fg_code < 0)
        fg_info(req->trace, "funds %s refused: %d %s", req->route_name ? req->route_name : "",
                wire_code(fg_code), err && err->msg[0] ? err->msg : fg_strerror(fg_code));
    size_t len = 0;
    int status = 200;
    char *text = envelope_text(req->trace, zh, fg_code, data, &len, &status);
    if (!text) {
        static const char oom[] = "{\"code\":110017,\"msg\":\"Failed to initiate Distributed "
                                  "transaction\",\"data\":null,\"trace_id\":\"\"}";
        req->content_type = "application/json";
        http_req_respond_copy(req, 500, oom, sizeof(oom) - 1);
        return;
    }
    req->content_type = "application/json";
    http_req_respond(req, status, text, len);
}

/* A command's batch could not be committed (or the engine refused it):
 * nothing was applied; the answer stays in the family's envelope. */
static void funds_fail(struct app_cmd *c, int code)
{
    answer(c->req, wants_zh(c->req), code < 0 ? code : -FG_EINTERNAL, NULL, NULL);
}

/* --- token ---------------------------------------------------------------- */

struct funds_auth {
    struct wd_actor actor;
    json_t *app; /* the app's client config (a reference) */
};

static int64_t cfg_int(json_t *app, const char *key, int64_t dflt)
{
    json_t *v = json_object_get(app, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* sub.OmnibusAccountId into out: absent or null is none (""); anything else
 * must be a string that fits, or the token is refused (never cut). */
static int omnibus_claim(json_t *sub, char out[FG_OMNIBUS_ID_BYTES_MAX + 1], struct fg_err *err)
{
    json_t *v = json_object_get(sub, "OmnibusAccountId");
    out[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || json_string_length(v) > FG_OMNIBUS_ID_BYTES_MAX ||
        strlen(json_string_value(v)) != json_string_length(v))
        return fg_fail(err, -FG_EUNAUTHORIZED, "token sub has an unusable OmnibusAccountId");
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int authenticate(struct http_req *req, int64_t now_ms, struct funds_auth *a,
                        struct fg_err *err)
{
    memset(a, 0, sizeof(*a));
    const char *token = http_req_header(req, "X-Auth-Token");
    char *payload = NULL;
    json_t *claims = NULL, *sub = NULL;
    int rc = 0;
    if (!token || !*token)
        return fg_fail(err, -FG_EUNAUTHORIZED, "missing X-Auth-Token");
    if ((rc = jwt_hs256_peek(token, &payload, err)) < 0)
        return rc;
    claims = json_loads(payload, JSON_REJECT_DUPLICATES, NULL);
    free(payload);
    payload = NULL;
    json_t *subv = json_object_get(claims, "sub");
    json_t *iat = json_object_get(claims, "iat");
    json_t *iss = json_object_get(claims, "iss");
    if (!json_is_object(claims) || !json_is_string(subv) || !json_is_integer(iat) ||
        !json_is_string(iss)) {
        rc = fg_fail(err, -FG_EUNAUTHORIZED, "token claims need iss, iat and sub");
        goto out;
    }
    /* sub is itself a JSON text: decode it a second time. */
    sub = json_loads(json_string_value(subv), JSON_REJECT_DUPLICATES, NULL);
    const char *user = json_string_value(json_object_get(sub, "UserName"));
    const char *appid = json_string_value(json_object_get(sub, "Appid"));
    if (!json_is_object(sub) || !user || !appid || !user[0] || !appid[0] ||
        strlen(user) > FG_NAME_BYTES_MAX || strlen(appid) > FG_NAME_BYTES_MAX) {
        rc = fg_fail(err, -FG_EUNAUTHORIZED, "token sub needs UserName and Appid");
        goto out;
    }
    if ((rc = omnibus_claim(sub, a->actor.omnibus_id, err)) < 0)
        goto out;
    a->app = app_client_get(FUNDS_FAMILY, appid);
    if (!a->app) {
        rc = fg_fail(err, -FG_EWD_UNKNOWN_APP, "app '%.64s' is not configured", appid);
        goto out;
    }
    const char *secret = json_string_value(json_object_get(a->app, "jwt_secret"));
    if (!secret || (rc = jwt_hs256_verify(token, secret, strlen(secret), &payload, err)) < 0) {
        rc = rc < 0 ? rc : fg_fail(err, -FG_EUNAUTHORIZED, "app has no secret");
        goto out;
    }
    const char *want_iss = json_string_value(json_object_get(a->app, "iss"));
    if (strcmp(json_string_value(iss), want_iss ? want_iss : FUNDS_ISS_DEFAULT) != 0) {
        rc = fg_fail(err, -FG_EUNAUTHORIZED, "token iss is not accepted");
        goto out;
    }
    int64_t max_age = cfg_int(a->app, "token_max_age_s", FG_JWT_MAX_AGE_S_DEFAULT);
    rc = jwt_claims_time_check(claims, now_ms / 1000, max_age, FG_JWT_CLOCK_SKEW_S, err);
    if (rc == 0 && !app_rate_take(req, FUNDS_FAMILY, appid)) /* issue 9.11: 990429, HTTP 429 */
        rc = fg_fail(err, -FG_ERATE_LIMITED, "app '%.64s' is over its rate limit", appid);
    if (rc < 0)
        goto out;
    snprintf(a->actor.app_id, sizeof(a->actor.app_id), "%s", appid);
    snprintf(a->actor.user_name, sizeof(a->actor.user_name), "%s", user);
out:
    free(payload);
    json_decref(claims);
    json_decref(sub);
    if (rc < 0) {
        json_decref(a->app);
        a->app = NULL;
    }
    return rc;
}

/* Parse the body: empty is 110036, anything else malformed 110001. Unknown
 * fields are ignored (issue 10: the vendor adds fields between versions);
 * each handler reads the fields it knows, strictly typed. */
static int parse_body(struct http_req *req, json_t **body, struct fg_err *err)
{
    size_t i = 0;
    while (i < req->body_len && strchr(" \t\r\n", req->body[i]))
        i++;
    if (i == req->body_len)
        return fg_fail(err, -FG_EWD_EMPTY_BODY, "the body is empty");
    return jsonx_parse_object(req->body, req->body_len, body, err);
}

/* ^[0-9]{1,18}(\.[0-9]+)?$ : the amount's shape; its digits are checked per currency. */
static bool amount_shape(const char *s)
{
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    if (n < 1 || n > MONEY_INT_DIGITS_MAX)
        return false;
    if (!s[n])
        return true;
    if (s[n] != '.' || !s[n + 1])
        return false;
    for (const char *p = s + n + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return strlen(s) < 40;
}

/* A decimal string amount; with negative_ok a leading '-' is kept for the
 * service to refuse with its own code (a withdrawal's 110208). */
static int amount_field(json_t *body, const char *key, bool required, bool negative_ok, char *buf,
                        size_t cap, struct fg_err *err)
{
    int rc = jsonx_str_copy(body, key, required, buf, cap, err);
    bool neg = negative_ok && buf[0] == '-';
    if (rc == 0 && buf[0] && !amount_shape(buf + neg))
        rc = fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be a decimal string", key);
    return rc;
}

int funds_text_copy(json_t *obj, const char *key, bool required, size_t max_chars, char *buf,
                    size_t cap, struct fg_err *err)
{
    FG_ASSERT(cap > max_chars * UTF8_CHAR_BYTES_MAX); /* the caller's buffer, not input */
    json_t *v = json_object_get(obj, key);
    buf[0] = '\0';
    if (!v || json_is_null(v))
        return required ? fg_fail(err, -FG_EMISSING_FIELD, "field '%s' is required", key) : 0;
    if (!json_is_string(v))
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be a string", key);
    const char *t = json_string_value(v);
    size_t n = json_string_length(v);
    if (utf8_chars(t, n) > max_chars || strlen(t) != n)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' is longer than %zu characters", key,
                       max_chars);
    memcpy(buf, t, n + 1);
    return 0;
}

/* Canonical decimal text for hashing: "100", "100.0" and "0100.00" are one amount. */
static void amount_canon(const char *in, char *out, size_t cap)
{
    while (in[0] == '0' && in[1] && in[1] != '.')
        in++;
    snprintf(out, cap, "%s", in);
    char *dot = strchr(out, '.');
    if (!dot)
        return;
    char *end = out + strlen(out) - 1;
    while (end > dot && *end == '0')
        *end-- = '\0';
    if (end == dot)
        *dot = '\0';
}

/* --- in-flight request ids (110027) ------------------------------------- */

static struct {
    pthread_mutex_t mu;
    int n;
    char keys[FG_WD_INFLIGHT_MAX][FG_NAME_BYTES_MAX + FG_REQUEST_ID_BYTES_MAX + 2];
} inflight = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* false when key is in flight already. A full table tracks nothing more (the
 * engine still serialises; only the 110027 answer is lost). */
static bool inflight_add(const char *key)
{
    bool ok = true;
    pthread_mutex_lock(&inflight.mu);
    for (int i = 0; i < inflight.n; i++)
        if (strcmp(inflight.keys[i], key) == 0)
            ok = false;
    if (ok && inflight.n < FG_WD_INFLIGHT_MAX)
        snprintf(inflight.keys[inflight.n++], sizeof(inflight.keys[0]), "%s", key);
    pthread_mutex_unlock(&inflight.mu);
    return ok;
}

static void inflight_remove(const char *key)
{
    pthread_mutex_lock(&inflight.mu);
    for (int i = 0; i < inflight.n; i++)
        if (strcmp(inflight.keys[i], key) == 0) {
            inflight.n--;
            if (i != inflight.n)
                memcpy(inflight.keys[i], inflight.keys[inflight.n], sizeof(inflight.keys[0]));
            break;
        }
    pthread_mutex_unlock(&inflight.mu);
}

/* --- order JSON ------------------------------------------------------------ */

json_t *funds_order_json(const struct wd_order *o, bool full)
{
    char created[32], updated[32];
    wd_timestamp_format(o->created_ms, created);
    wd_timestamp_format(o->updated_ms, updated);
    json_t *j =
        json_pack("{s:s,s:s,s:o,s:o,s:o,s:s,s:s,s:s,s:o,s:s}", "order_serial", o->serial, "status",
                  o->status, "amount", jsonx_amount_new(o->amount, o->digits), "fee",
                  jsonx_amount_new(o->fee, o->digits), "net_amount",
                  jsonx_amount_new(o->net_amount, o->digits), "currency", o->currency, "value_day",
                  o->value_day, "base_currency", o->base_currency, "base_amount",
                  jsonx_amount_new(o->base_amount, o->base_digits), "created_at", created);
    if (full) {
        json_object_set_new(j, "request_id", json_string(o->request_id));
        json_object_set_new(j, "uuid", json_string(o->uuid));
        json_object_set_new(j, "account_type", json_string(o->account_type));
        json_object_set_new(j, "client_bank_id", json_string(o->client_bank_id));
        json_object_set_new(j, "operation_mode_id", json_integer(o->mode));
        json_object_set_new(j, "source", json_string(o->source));
        json_object_set_new(j, "reason", json_string(o->reason));
        json_object_set_new(j, "appeal_reason", json_string(o->appeal_reason));
        json_object_set_new(j, "payee_id", json_string(o->payee_id));
        json_object_set_new(j, "chain", json_string(o->chain));
        json_object_set_new(j, "address", json_string(o->address));
        json_object_set_new(j, "bank_address_details", json_string(o->bank_address_details));
        json_object_set_new(j, "bank_mark", json_string(o->bank_mark));
        json_object_set_new(j, "updated_at", json_string(updated));
    }
    return j;
}

/* --- create ---------------------------------------------------------------- */

struct create_cmd {
    struct wd_create_req q;
    bool zh;
    char idem_key[FG_NAME_BYTES_MAX + FG_REQUEST_ID_BYTES_MAX + 2];
    bool tracked;
    uint8_t hash[FG_SHA256_BYTES];
    struct wd_order order;
};

static void create_free(void *p)
{
    struct create_cmd *c = p;
    if (c->tracked)
        inflight_remove(c->idem_key);
}

/* A replay answers the stored bytes; a different request under the key is
 * 110020. Returns 1 when answered, 0 to go on, < 0 on failure. */
static int idem_replay(struct app_cmd *c, struct store *s, const char *scope, const char *key,
                       const uint8_t hash[FG_SHA256_BYTES], bool zh, struct fg_err *err)
{
    struct idem_rec rec;
    int rc = idem_get(s, scope, key, &rec, err);
    if (rc < 0)
        return rc;
    if (!rec.found)
        return 0;
    if (!idem_same_hash(&rec, hash)) {
        idem_rec_release(&rec);
        rc = fg_fail(err, -FG_EIDEMPOTENCY_CONFLICT, "request_id was used for another request");
        answer(c->req, zh, rc, NULL, err);
        return rc;
    }
    http_req_respond(c->req, rec.status, rec.response, rec.response_len);
    c->req->content_type = "application/json";
    rec.response = NULL;
    idem_rec_release(&rec);
    return 1;
}

/* Answer success and keep the answer under the idempotency key. */
static int answer_recorded(struct app_cmd *c, struct store *s, const char *scope, const char *key,
                           const uint8_t hash[FG_SHA256_BYTES], bool zh, json_t *data, int64_t ref,
                           int64_t now_ms, struct fg_err *err)
{
    size_t len = 0;
    int status = 200;
    char *text = envelope_text(c->req->trace, zh, 0, data, &len, &status);
    if (!text)
        return fg_fail(err, -FG_ENOMEM, "out of memory");
    int rc = idem_put(s, scope, key, hash, 1, status, text, len, ref, now_ms, err);
    if (rc < 0) {
        free(text);
        return rc;
    }
    c->req->content_type = "application/json";
    http_req_respond(c->req, status, text, len);
    return 0;
}

static int create_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct create_cmd *cc = c->data;
    struct fg_err err = {0};
    int rc = idem_replay(c, s, FUNDS_CREATE_SCOPE, cc->idem_key, cc->hash, cc->zh, &err);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    rc = withdraw_create(s, now_ms, &cc->q, &cc->order, &err);
    if (rc == 0)
        rc = answer_recorded(c, s, FUNDS_CREATE_SCOPE, cc->idem_key, cc->hash, cc->zh,
                             funds_order_json(&cc->order, false), cc->order.id, now_ms, &err);
    if (rc < 0)
        answer(c->req, cc->zh, rc, NULL, &err);
    return rc;
}

static const char *const sources[] = {"app", "web", "admin", "api", NULL};

/* The app's settings a create needs: allowed modes (default 1 and 2; mode 3
 * only when the app lists it) and whether third parties may be paid. */
static void create_app_settings(json_t *app, struct wd_create_req *q)
{
    json_t *modes = json_object_get(app, "allowed_modes");
    size_t i;
    json_t *m;
    if (!modes)
        q->allowed_modes = 1u << WD_MODE_SELF | 1u << WD_MODE_OPERATOR;
    json_array_foreach(modes, i, m)
    {
        if (json_is_integer(m) && json_integer_value(m) >= 1 && json_integer_value(m) <= 3)
            q->allowed_modes |= 1u << json_integer_value(m);
    }
    q->third_party_allowed = json_is_true(json_object_get(app, "third_party_allowed"));
}

/* The create's known fields, strictly typed; unknown ones are ignored. The
 * bank texts are descriptive: stored as given. The first failure wins:
 * parameters (110001), then operation mode (110018) and source (110021). */
static int create_fields(json_t *body, struct wd_create_req *q, struct fg_err *err)
{
    int64_t mode = 0;
    char chain[FG_NAME_BYTES_MAX + 1] = "", clearing[FG_NAME_BYTES_MAX + 1] = "";
    int rc = jsonx_str_copy(body, "request_id", true, q->request_id, sizeof(q->request_id), err);
    if (rc == 0)
        rc = jsonx_id_chars("request_id", q->request_id, err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "uuid", true, q->uuid, sizeof(q->uuid), err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "account_type", true, q->account_type, sizeof(q->account_type),
                            err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "currency", true, q->currency, sizeof(q->currency), err);
    if (rc == 0)
        rc = amount_field(body, "amount", true, true, q->amount, sizeof(q->amount), err);
    if (rc == 0)
        rc = amount_field(body, "fee", false, false, q->fee, sizeof(q->fee), err);
    if (rc == 0)
        rc = jsonx_int(body, "operation_mode_id", true, INT32_MIN, INT32_MAX, &mode, err);
    if (rc == 0) {
        rc = jsonx_str_copy(body, "source", true, q->source, sizeof(q->source), err);
        if (rc == -FG_EBAD_FIELD && json_is_string(json_object_get(body, "source")))
            rc = fg_fail(err, -FG_EWD_UNKNOWN_SOURCE, "unknown source"); /* too long for one */
    }
    if (rc == 0)
        rc = jsonx_str_copy(body, "client_bank_id", false, q->client_bank_id,
                            sizeof(q->client_bank_id), err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "payee_id", false, q->payee_id, sizeof(q->payee_id), err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "chain", false, chain, sizeof(chain), err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "clearing_id", false, clearing, sizeof(clearing), err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "address", false, q->address, sizeof(q->address), err);
    if (rc == 0)
        rc = funds_text_copy(body, "bank_address_details", false, FG_WD_TEXT_CHARS_MAX,
                             q->bank_address_details, sizeof(q->bank_address_details), err);
    if (rc == 0)
        rc = funds_text_copy(body, "bank_mark", false, FG_WD_TEXT_CHARS_MAX, q->bank_mark,
                             sizeof(q->bank_mark), err);
    if (rc == 0 && (mode < 1 || mode > 3))
        rc = fg_fail(err, -FG_EWD_UNKNOWN_MODE, "operation_mode_id %lld does not exist",
                     (long long)mode);
    q->mode = (int)mode;
    snprintf(q->chain, sizeof(q->chain), "%s", chain[0] ? chain : clearing);
    return rc;
}

/* The request's defining content, not its JSON text: "100" and "100.00" are
 * one request. The token's omnibus account is part of it (a replay under
 * another one is a different request: 110020). */
static int create_hash(const struct wd_create_req *q, uint8_t out[FG_SHA256_BYTES])
{
    char amt[48], fee[48];
    amount_canon(q->amount, amt, sizeof(amt));
    amount_canon(q->fee, fee, sizeof(fee));
    json_t *canon = json_pack(
        "[s,s,s,s,s,s,s,i,s,s,s,s,s,s,s,s]", q->actor.user_name, q->uuid, q->account_type,
        q->currency, amt, fee, q->source, q->mode, q->client_bank_id, q->payee_id, q->chain,
        q->address, q->bank_address_details, q->bank_mark, q->request_id, q->actor.omnibus_id);
    size_t clen = 0;
    char *ctext = canon ? jsonx_dump(canon, &clen) : NULL;
    json_decref(canon);
    if (!ctext)
        return -FG_ENOMEM;
    fg_sha256(ctext, clen, out);
    free(ctext);
    return 0;
}

static int create_post(struct http_req *req, void *ctx)
{
    (void)ctx;
    bool zh = wants_zh(req);
    struct fg_err err = {0};
    struct funds_auth a;
    json_t *body = NULL;
    int rc = authenticate(req, fg_clock_now_ms(), &a, &err);
    if (rc < 0) {
        answer(req, zh, rc, NULL, &err);
        return HTTP_DONE;
    }
    struct app_cmd *c = app_cmd_new(req, create_run, sizeof(struct create_cmd));
    struct create_cmd *cc = c->data;
    c->data_free = create_free;
    c->fail = funds_fail;
    cc->zh = zh;
    struct wd_create_req *q = &cc->q;
    q->actor = a.actor;
    create_app_settings(a.app, q);
    json_decref(a.app);
    rc = parse_body(req, &body, &err);
    if (rc == 0)
        rc = create_fields(body, q, &err);
    bool known = false;
    for (int k = 0; rc == 0 && sources[k]; k++)
        known |= strcmp(q->source, sources[k]) == 0;
    if (rc == 0 && !known)
        rc = fg_fail(&err, -FG_EWD_UNKNOWN_SOURCE, "unknown source '%.8s'", q->source);
    json_decref(body);
    if (rc == 0)
        rc = create_hash(q, cc->hash);
    if (rc < 0) {
        answer(req, zh, rc, NULL, &err);
        return HTTP_DONE;
    }
    snprintf(cc->idem_key, sizeof(cc->idem_key), "%s:%s", q->actor.app_id, q->request_id);
    if (!inflight_add(cc->idem_key)) {
        rc = fg_fail(&err, -FG_EWD_IN_PROGRESS, "request_id %.64s is being processed",
                     q->request_id);
        answer(req, zh, rc, NULL, &err);
        return HTTP_DONE;
    }
    cc->tracked = true;
    return app_cmd_submit(c);
}

/* --- detail and list (reads) ------------------------------------------------ */

static int order_detail_post(struct http_req *req, void *ctx)
{
    (void)ctx;
    bool zh = wants_zh(req);
    struct fg_err err = {0};
    struct funds_auth a;
    json_t *body = NULL;
    char serial[64] = "";
    struct wd_order *o = calloc(1, sizeof(*o));
    struct store *s = NULL;
    int rc = o ? authenticate(req, fg_clock_now_ms(), &a, &err) : -FG_ENOMEM;
    if (rc == 0) {
        json_decref(a.app);
        rc = parse_body(req, &body, &err);
    }
    if (rc == 0)
        rc = jsonx_str_copy(body, "order_serial", true, serial, sizeof(serial), &err);
    if (rc == 0 && !(s = app_reader(&err)))
        rc = -FG_ESTORE;
    if (rc == 0)
        rc = withdraw_get(s, serial, o, &err);
    if (rc == 0 && strcmp(o->app_id, a.actor.app_id) != 0)
        rc = fg_fail(&err, -FG_EWD_ORDER_UNKNOWN, "no order %.40s", serial);
    if (rc == 0)
        rc = withdraw_actor_check(s, &a.actor, o->uuid, WD_ROLES_READ, &err);
    answer(req, zh, rc, rc == 0 ? funds_order_json(o, true) : NULL, &err);
    json_decref(body);
    free(o);
    return HTTP_DONE;
}

static const char *const order_statuses[] = {"pending_review", "approved", "paid",      "rejected",
                                             "appealed",       "failed",   "cancelled", NULL};

struct list_ctx {
    json_t *arr;
    int64_t last;
};

static int list_one(void *ctx, const struct wd_order *o)
{
    struct list_ctx *l = ctx;
    json_array_append_new(l->arr, funds_order_json(o, true));
    l->last = o->id;
    return 0;
}

static int order_list_post(struct http_req *req, void *ctx)
{
    (void)ctx;
    bool zh = wants_zh(req);
    struct fg_err err = {0};
    struct funds_auth a;
    json_t *body = NULL;
    char uuid[FG_UUID_BYTES_MAX + 1] = "", cursor[24] = "";
    int status = -1;
    int64_t limit = FG_WD_LIST_LIMIT_DEFAULT, after = 0;
    struct store *s = NULL;
    struct customer cu;
    int rc = authenticate(req, fg_clock_now_ms(), &a, &err);
    if (rc == 0) {
        json_decref(a.app);
        rc = parse_body(req, &body, &err);
    }
    if (rc == 0)
        rc = jsonx_str_copy(body, "uuid", true, uuid, sizeof(uuid), &err);
    if (rc == 0)
        rc = jsonx_enum(body, "status", false, order_statuses, &status, &err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "cursor", false, cursor, sizeof(cursor), &err);
    if (rc == 0)
        rc = jsonx_int(body, "limit", false, 1, FG_WD_LIST_LIMIT_MAX, &limit, &err);
    if (rc == 0 && cursor[0] && parse_int64_text(cursor, 0, INT64_MAX, &after) < 0)
        rc = fg_fail(&err, -FG_EBAD_FIELD, "field 'cursor' is not a cursor");
    if (rc == 0 && !(s = app_reader(&err)))
        rc = -FG_ESTORE;
    if (rc == 0)
        rc = customer_get(s, uuid, &cu, &err);
    if (rc == 0 && strcmp(cu.app_id, a.actor.app_id) != 0)
        rc = fg_fail(&err, -FG_EUNKNOWN_CUSTOMER, "no customer %.64s in this app", uuid);
    if (rc == 0)
        rc = withdraw_actor_check(s, &a.actor, uuid, WD_ROLES_READ, &err);
    struct list_ctx l = {.arr = json_array()};
    if (rc == 0)
        rc = withdraw_list(s, a.actor.app_id, uuid, status >= 0 ? order_statuses[status] : "",
                           after, (int)limit, list_one, &l, &err);
    json_decref(body);
    if (rc < 0) {
        json_decref(l.arr);
        answer(req, zh, rc, NULL, &err);
        return HTTP_DONE;
    }
    char next[24];
    snprintf(next, sizeof(next), "%lld", (long long)l.last);
    json_t *data =
        json_pack("{s:o,s:o}", "orders", l.arr, "next_cursor",
                  (int64_t)json_array_size(l.arr) == limit ? json_string(next) : json_null());
    answer(req, zh, 0, data, &err);
    return HTTP_DONE;
}

/* --- cancel and appeal (writes) -------------------------------------------- */

struct act_cmd {
    struct wd_actor actor;
    enum wd_action action;
    char serial[64];
    char reason[WD_REASON_BYTES_MAX + 1];
    int64_t appeal_window_ms;
    bool zh;
    struct wd_order order;
};

static int act_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct act_cmd *ac = c->data;
    struct fg_err err = {0};
    int rc = withdraw_act(s, now_ms, ac->serial, ac->action, &ac->actor, ac->reason,
                          ac->appeal_window_ms, &ac->order, &err);
    answer(c->req, ac->zh, rc, rc == 0 ? funds_order_json(&ac->order, true) : NULL, &err);
    return rc;
}

static int act_post(struct http_req *req, enum wd_action action)
{
    bool zh = wants_zh(req);
    struct fg_err err = {0};
    struct funds_auth a;
    json_t *body = NULL;
    int rc = authenticate(req, fg_clock_now_ms(), &a, &err);
    if (rc < 0) {
        answer(req, zh, rc, NULL, &err);
        return HTTP_DONE;
    }
    struct app_cmd *c = app_cmd_new(req, act_run, sizeof(struct act_cmd));
    struct act_cmd *ac = c->data;
    c->fail = funds_fail;
    ac->actor = a.actor;
    ac->action = action;
    ac->zh = zh;
    ac->appeal_window_ms = cfg_int(a.app, "appeal_days", FUNDS_APPEAL_DAYS_DEFAULT) * 86400000;
    json_decref(a.app);
    rc = parse_body(req, &body, &err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "order_serial", true, ac->serial, sizeof(ac->serial), &err);
    if (rc == 0 && action == WD_APPEAL) /* descriptive: as given, may be empty */
        rc = funds_text_copy(body, "reason", false, FG_WD_REASON_CHARS_MAX, ac->reason,
                             sizeof(ac->reason), &err);
    json_decref(body);
    if (rc == 0 && !withdraw_serial_valid(ac->serial))
        rc = fg_fail(&err, -FG_EWD_ORDER_SERIAL, "'%.40s' is not an order serial", ac->serial);
    if (rc < 0) {
        answer(req, zh, rc, NULL, &err);
        return HTTP_DONE;
    }
    return app_cmd_submit(c);
}

static int order_cancel_post(struct http_req *req, void *ctx)
{
    (void)ctx;
    return act_post(req, WD_CANCEL);
}

static int order_appeal_post(struct http_req *req, void *ctx)
{
    (void)ctx;
    return act_post(req, WD_APPEAL);
}

/* A transfer's ref "funds.transfer:<app_id>:<request_id>"; a key too long
 * for it is named by its SHA-256, never cut. */
static void transfer_ref(char ref[LEDGER_REF_BYTES_MAX], const char *key)
{
    static const char prefix[] = "funds.transfer:";
    size_t nk = strlen(key);
    if (sizeof(prefix) - 1 + nk < LEDGER_REF_BYTES_MAX) {
        memcpy(ref, prefix, sizeof(prefix) - 1);
        memcpy(ref + sizeof(prefix) - 1, key, nk + 1);
        return;
    }
    uint8_t h[FG_SHA256_BYTES];
    char hex[2 * FG_SHA256_BYTES + 1];
    fg_sha256(key, nk, h);
    fg_hex(h, sizeof(h), hex);
    snprintf(ref, LEDGER_REF_BYTES_MAX, "%ssha256:%s", prefix, hex);
}

/* --- own-account transfer ---------------------------------------------------- */

/* Flows are named "<from>_to_<to>"; an app allows a list (default: the wallet
 * to and from each trading account). */
static const char *const default_flows[] = {"wallet_to_securities", "securities_to_wallet",
                                            "wallet_to_futures", "futures_to_wallet", NULL};

struct transfer_cmd {
    struct wd_actor actor;
    bool zh;
    char request_id[FG_REQUEST_ID_BYTES_MAX + 1];
    char idem_key[FG_NAME_BYTES_MAX + FG_REQUEST_ID_BYTES_MAX + 2];
    char uuid[FG_UUID_BYTES_MAX + 1];
    char flow[40];
    char from[16], to[16];
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char amount[40];
    uint8_t hash[FG_SHA256_BYTES];
    bool tracked;
};

static void transfer_free(void *p)
{
    struct transfer_cmd *t = p;
    if (t->tracked)
        inflight_remove(t->idem_key);
}

static int transfer_run(struct app_cmd *c, struct store *s, int64_t now_ms)
{
    struct transfer_cmd *t = c->data;
    struct fg_err err = {0};
    struct customer cu;
    struct currency cur;
    int64_t amount = 0, tid = 0, accounts = 0;
    int rc = idem_replay(c, s, FUNDS_TRANSFER_SCOPE, t->idem_key, t->hash, t->zh, &err);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    rc = customer_get(s, t->uuid, &cu, &err);
    if (rc == 0 && strcmp(cu.app_id, t->actor.app_id) != 0)
        rc = fg_fail(&err, -FG_EWD_OTHER_APP, "customer %.64s is not of this app", t->uuid);
    if (rc == 0)
        rc = withdraw_omnibus_check(&cu, &t->actor, &err); /* 110006, as everywhere */
    if (rc == 0) {
        rc = withdraw_actor_check(s, &t->actor, t->uuid, WD_ROLES_ACT, &err);
        if (rc == -FG_EWD_NO_PERMISSION)
            rc = fg_fail(&err, -FG_EWD_INITIATOR_MISMATCH, "%.64s may not move %.64s's money",
                         t->actor.user_name, t->uuid);
    }
    if (rc == 0 && strcmp(cu.status, "disabled") == 0)
        rc = fg_fail(&err, -FG_EWD_CUSTOMER_DISABLED, "customer is disabled");
    if (rc == 0 && strcmp(cu.status, "cancelled") == 0)
        rc = fg_fail(&err, -FG_EWD_CUSTOMER_CANCELLED, "customer is cancelled");
    if (rc == 0)
        rc = store_query_int(s, "SELECT COUNT(*) FROM accounts WHERE owner = ? AND type IN (?, ?)",
                             STORE_ARGS(SA_TEXT(t->uuid), SA_TEXT(t->from), SA_TEXT(t->to)),
                             &accounts, &err);
    if (rc == 0 && accounts == 0)
        rc = fg_fail(&err, -FG_EUNKNOWN_ACCOUNT, "no %s or %s account", t->from, t->to);
    if (rc == 0 && currency_get(s, t->currency, &cur, NULL) < 0)
        rc = fg_fail(&err, -FG_EWD_WALLET_CURRENCY, "no accounts in %.16s", t->currency);
    if (rc == 0) {
        bool neg = t->amount[0] == '-'; /* refused as zero is: 110208 */
        const char *text = t->amount + neg, *dot = strchr(text, '.');
        if (dot && (int)strlen(dot + 1) > cur.digits)
            rc = fg_fail(&err, -FG_EWD_AMOUNT_PRECISION, "too many fraction digits");
        else if (money_amount_parse(text, strlen(text), cur.digits, &amount, &err) < 0)
            rc = -FG_EBAD_FIELD;
        if (neg)
            amount = -amount;
    }
    if (rc == 0 && amount <= 0)
        rc = fg_fail(&err, -FG_EAMOUNT_ZERO, "amount must be greater than zero");
    if (rc == 0) {
        char ref[LEDGER_REF_BYTES_MAX];
        transfer_ref(ref, t->idem_key);
        rc = withdraw_own_transfer(s, now_ms, t->uuid, t->from, t->to, t->currency, amount, ref,
                                   &tid, &err);
        if (rc == -FG_EUNKNOWN_ACCOUNT)
            rc = fg_fail(&err, -FG_EWD_WALLET_CURRENCY, "%.64s has no %s and %s accounts in %.16s",
                         t->uuid, t->from, t->to, t->currency);
    }
    if (rc == 0) {
        json_t *data =
            json_pack("{s:s,s:s,s:s,s:s,s:o,s:I}", "request_id", t->request_id, "uuid", t->uuid,
                      "flow", t->flow, "currency", t->currency, "amount",
                      jsonx_amount_new(amount, cur.digits), "transfer_id", (json_int_t)tid);
        rc = answer_recorded(c, s, FUNDS_TRANSFER_SCOPE, t->idem_key, t->hash, t->zh, data, tid,
                             now_ms, &err);
    }
    if (rc < 0)
        answer(c->req, t->zh, rc, NULL, &err);
    return rc;
}

/* Flow: known (110026), allowed for the app (110201), matching the type
 * (110030). Fills t->from and t->to. */
static int transfer_flow_check(struct transfer_cmd *t, json_t *app, const char *type,
                               struct fg_err *err)
{
    const char *sep = strstr(t->flow, "_to_");
    /* Each side must fit whole: a name too long is unknown, never cut. */
    if (sep && (size_t)(sep - t->flow) < sizeof(t->from))
        snprintf(t->from, sizeof(t->from), "%.*s", (int)(sep - t->flow), t->flow);
    if (sep && strlen(sep + 4) < sizeof(t->to))
        memcpy(t->to, sep + 4, strlen(sep + 4) + 1);
    if (!sep || wd_account_type_index(t->from) < 0 || wd_account_type_index(t->to) < 0 ||
        strcmp(t->from, t->to) == 0)
        return fg_fail(err, -FG_EWD_FLOW_UNKNOWN, "unknown flow '%.39s'", t->flow);
    json_t *flows = json_object_get(app, "transfer_flows");
    bool allowed = false;
    if (json_is_array(flows)) {
        size_t i;
        json_t *f;
        json_array_foreach(flows, i, f) allowed |=
            json_is_string(f) && strcmp(json_string_value(f), t->flow) == 0;
    } else {
        for (int i = 0; default_flows[i]; i++)
            allowed |= strcmp(default_flows[i], t->flow) == 0;
    }
    if (!allowed)
        return fg_fail(err, -FG_EWD_FLOW_FORBIDDEN, "flow %.39s is not allowed", t->flow);
    if (strcmp(type, t->from) != 0)
        return fg_fail(err, -FG_EWD_FLOW_TYPE, "flow %.39s moves money out of %s, not %.16s",
                       t->flow, t->from, type);
    return 0;
}

static int transfer_post(struct http_req *req, void *ctx)
{
    (void)ctx;
    bool zh = wants_zh(req);
    struct fg_err err = {0};
    struct funds_auth a;
    json_t *body = NULL;
    int rc = authenticate(req, fg_clock_now_ms(), &a, &err);
    if (rc < 0) {
        answer(req, zh, rc, NULL, &err);
        return HTTP_DONE;
    }
    struct app_cmd *c = app_cmd_new(req, transfer_run, sizeof(struct transfer_cmd));
    struct transfer_cmd *t = c->data;
    c->fail = funds_fail;
    c->data_free = transfer_free;
    t->actor = a.actor;
    t->zh = zh;
    char type[FG_NAME_BYTES_MAX + 1] = "";
    rc = parse_body(req, &body, &err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "request_id", true, t->request_id, sizeof(t->request_id), &err);
    if (rc == 0)
        rc = jsonx_id_chars("request_id", t->request_id, &err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "uuid", true, t->uuid, sizeof(t->uuid), &err);
    if (rc == 0) {
        rc = jsonx_str_copy(body, "flow", true, t->flow, sizeof(t->flow), &err);
        if (rc == -FG_EBAD_FIELD && json_is_string(json_object_get(body, "flow")))
            rc = fg_fail(&err, -FG_EWD_FLOW_UNKNOWN, "unknown flow");
    }
    if (rc == 0)
        rc = jsonx_str_copy(body, "account_type", true, type, sizeof(type), &err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "currency", true, t->currency, sizeof(t->currency), &err);
    if (rc == 0)
        rc = amount_field(body, "amount", true, true, t->amount, sizeof(t->amount), &err);
    json_decref(body);
    if (rc == 0)
        rc = transfer_flow_check(t, a.app, type, &err);
    json_decref(a.app);
    if (rc < 0) {
        answer(req, zh, rc, NULL, &err);
        return HTTP_DONE;
    }
    snprintf(t->idem_key, sizeof(t->idem_key), "%s:%s", t->actor.app_id, t->request_id);
    char amt[48], canon[512];
    amount_canon(t->amount, amt, sizeof(amt));
    int n = snprintf(canon, sizeof(canon), "transfer\n%s\n%s\n%s\n%s\n%s\n%s", t->actor.user_name,
                     t->uuid, t->flow, t->currency, amt, t->actor.omnibus_id);
    fg_sha256(canon, (size_t)n < sizeof(canon) ? (size_t)n : sizeof(canon) - 1, t->hash);
    if (!inflight_add(t->idem_key)) {
        rc = fg_fail(&err, -FG_EWD_IN_PROGRESS, "request_id is being processed");
        answer(req, zh, rc, NULL, &err);
        return HTTP_DONE;
    }
    t->tracked = true;
    return app_cmd_submit(c);
}

/* --- rate conversion (read) ---------------------------------------------------- */

struct balance_ctx {
    struct store *s;
    int64_t now_ms;
    const struct currency *base;
    json_t *arr;
    int64_t total;
    int rc;
    struct fg_err *err;
};

static int balance_one(void *ctx, const struct ledger_account *acct)
{
    struct balance_ctx *b = ctx;
    struct currency cur;
    int64_t v = 0, rate = 0;
    bool inv = false;
    int rc = currency_get(b->s, acct->currency, &cur, b->err);
    if (rc == 0)
        rc = wd_convert(b->s, b->now_ms, cur.code, cur.digits, b->base->code, b->base->digits,
                        ledger_account_balance(acct), &v, &rate, &inv, b->err);
    if (rc == 0 && !money_add(b->total, v, &b->total))
        rc = fg_fail(b->err, -FG_EOVERFLOW, "total overflows");
    if (rc < 0) {
        b->rc = rc;
        return 1;
    }
    json_array_append_new(
        b->arr, json_pack("{s:s,s:s,s:o,s:o}", "type", acct->type, "currency", acct->currency,
                          "balance", jsonx_amount_new(ledger_account_balance(acct), cur.digits),
                          "base_amount", jsonx_amount_new(v, b->base->digits)));
    return 0;
}

/* Every balance of the customer in its base currency, added to data. */
static int convert_balances(struct store *s, const struct wd_actor *actor, const char *uuid,
                            json_t *data, struct fg_err *err)
{
    struct customer cu;
    struct currency base;
    int rc = customer_get(s, uuid, &cu, err);
    if (rc == 0 && strcmp(cu.app_id, actor->app_id) != 0)
        rc = fg_fail(err, -FG_EUNKNOWN_CUSTOMER, "no customer %.64s in this app", uuid);
    if (rc == 0)
        rc = withdraw_actor_check(s, actor, uuid, WD_ROLES_READ, err);
    if (rc == 0)
        rc = currency_get(s, cu.base_currency, &base, err);
    struct balance_ctx b = {
        .s = s, .now_ms = fg_clock_now_ms(), .base = &base, .arr = json_array(), .err = err};
    if (rc == 0)
        rc = ledger_account_list(s, uuid, balance_one, &b, err);
    if (rc == 0)
        rc = b.rc;
    if (rc == 0) {
        json_object_set_new(data, "base_currency", json_string(base.code));
        json_object_set_new(data, "balances", json_incref(b.arr));
        json_object_set_new(data, "total_base_amount", jsonx_amount_new(b.total, base.digits));
    }
    json_decref(b.arr);
    return rc;
}

static int convert_post(struct http_req *req, void *ctx)
{
    (void)ctx;
    bool zh = wants_zh(req);
    struct fg_err err = {0};
    struct funds_auth a;
    json_t *body = NULL, *data = NULL;
    char from[FG_CURRENCY_CODE_BYTES_MAX + 1] = "", to[FG_CURRENCY_CODE_BYTES_MAX + 1] = "";
    char amount_text[40] = "", uuid[FG_UUID_BYTES_MAX + 1] = "";
    struct currency fc, tc;
    struct store *s = NULL;
    int64_t amount = 0, out = 0, rate = 0;
    bool inverted = false;
    int rc = authenticate(req, fg_clock_now_ms(), &a, &err);
    if (rc == 0) {
        json_decref(a.app);
        rc = parse_body(req, &body, &err);
    }
    if (rc == 0)
        rc = jsonx_str_copy(body, "from_currency", true, from, sizeof(from), &err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "to_currency", true, to, sizeof(to), &err);
    if (rc == 0)
        rc = amount_field(body, "amount", true, false, amount_text, sizeof(amount_text), &err);
    if (rc == 0)
        rc = jsonx_str_copy(body, "uuid", false, uuid, sizeof(uuid), &err);
    json_decref(body);
    if (rc == 0 && !(s = app_reader(&err)))
        rc = -FG_ESTORE;
    if (rc == 0)
        rc = currency_get(s, from, &fc, &err);
    if (rc == 0)
        rc = currency_get(s, to, &tc, &err);
    if (rc == 0) {
        const char *dot = strchr(amount_text, '.');
        if (dot && (int)strlen(dot + 1) > fc.digits)
            rc = fg_fail(&err, -FG_EWD_AMOUNT_PRECISION, "too many fraction digits");
        else
            rc = money_amount_parse(amount_text, strlen(amount_text), fc.digits, &amount, &err);
    }
    if (rc == 0)
        rc = wd_convert(s, fg_clock_now_ms(), fc.code, fc.digits, tc.code, tc.digits, amount, &out,
                        &rate, &inverted, &err);
    if (rc == 0) {
        char rate_text[40];
        money_rate_format(rate, MONEY_RATE_DIGITS, rate_text, sizeof(rate_text));
        char pair[40];
        snprintf(pair, sizeof(pair), "%s/%s", inverted ? tc.code : fc.code,
                 inverted ? fc.code : tc.code);
        data = json_pack("{s:s,s:s,s:o,s:o,s:s,s:s,s:s}", "from_currency", fc.code, "to_currency",
                         tc.code, "amount", jsonx_amount_new(amount, fc.digits), "converted_amount",
                         jsonx_amount_new(out, tc.digits), "pair", pair, "mid_rate", rate_text,
                         "rounding", "down");
    }
    if (rc == 0 && uuid[0])
        rc = convert_balances(s, &a.actor, uuid, data, &err);
    if (rc < 0) {
        json_decref(data);
        data = NULL;
    }
    answer(req, zh, rc, data, &err);
    return HTTP_DONE;
}

/* --- client registration ---------------------------------------------------- */

static int client_validate(json_t *body, char *key, size_t key_cap, struct fg_err *err)
{
    static const char *const keys[] = {"family",
                                       "app_id",
                                       "jwt_secret",
                                       "iss",
                                       "token_max_age_s",
                                       "allowed_modes",
                                       "third_party_allowed",
                                       "appeal_days",
                                       "transfer_flows",
                                       NULL};
    const char *app_id = NULL, *secret = NULL, *iss = NULL;
    int64_t v = 0;
    bool b = false;
    int rc = jsonx_check_keys(body, keys, err);
    if (rc == 0)
        rc = jsonx_str(body, "app_id", true, FG_NAME_BYTES_MAX, &app_id, err);
    if (rc == 0)
        rc = jsonx_id_chars("app_id", app_id, err);
    if (rc == 0)
        rc = jsonx_str(body, "jwt_secret", true, FG_JWT_SECRET_BYTES_MAX, &secret, err);
    if (rc == 0 && strlen(secret) < FG_JWT_SECRET_BYTES_MIN)
        rc = fg_fail(err, -FG_EBAD_FIELD, "field 'jwt_secret' needs at least %d bytes",
                     FG_JWT_SECRET_BYTES_MIN);
    if (rc == 0)
        rc = jsonx_str(body, "iss", false, FG_NAME_BYTES_MAX, &iss, err);
    if (rc == 0)
        rc = jsonx_int(body, "token_max_age_s", false, 1, FG_JWT_MAX_AGE_S_MAX, &v, err);
    if (rc == 0)
        rc = jsonx_int(body, "appeal_days", false, 0, FG_WD_APPEAL_DAYS_MAX, &v, err);
    if (rc == 0)
        rc = jsonx_bool(body, "third_party_allowed", false, &b, err);
    json_t *modes = json_object_get(body, "allowed_modes");
    if (rc == 0 && modes) {
        size_t i;
        json_t *m;
        if (!json_is_array(modes) || json_array_size(modes) > 3)
            rc = fg_fail(err, -FG_EBAD_FIELD, "field 'allowed_modes' is a list of 1, 2, 3");
        json_array_foreach(modes, i,
                           m) if (rc == 0 && (!json_is_integer(m) || json_integer_value(m) < 1 ||
                                              json_integer_value(m) > 3)) rc =
            fg_fail(err, -FG_EBAD_FIELD, "field 'allowed_modes' is a list of 1, 2, 3");
    }
    json_t *flows = json_object_get(body, "transfer_flows");
    if (rc == 0 && flows) {
        size_t i;
        json_t *f;
        if (!json_is_array(flows) || json_array_size(flows) > 6)
            rc = fg_fail(err, -FG_EBAD_FIELD, "field 'transfer_flows' is a list of flows");
        json_array_foreach(flows, i, f) if (rc == 0 && !json_is_string(f)) rc =
            fg_fail(err, -FG_EBAD_FIELD, "field 'transfer_flows' is a list of flows");
    }
    /* The default, stored so the config says what is in force: mode 3 (the
     * app's server) only when the app asks for it, and then only for an
     * operator with role `api` (issue 9). */
    if (rc == 0 && !modes)
        json_object_set_new(body, "allowed_modes", json_pack("[i,i]", 1, 2));
    if (rc == 0)
        snprintf(key, key_cap, "%s", app_id);
    return rc;
}

static const char *const secret_fields[] = {"jwt_secret", NULL};

static const struct app_client_family funds_family = {
    .family = FUNDS_FAMILY,
    .validate = client_validate,
    .secret_fields = secret_fields,
};

void funds_init(void)
{
    app_client_family_register(&funds_family);
}

/* The transport's own refusals on the family's paths (unknown path or
 * method, body or path too large, malformed head): this envelope with 110001;
 * the HTTP status stays the transport's (404, 405, 413, 414, 400). Other
 * codes are answered as answer() answers them. */
static int transport_refusal(struct http_req *req, void *ctx)
{
    const struct http_refusal *r = ctx;
    struct fg_err err = {0};
    snprintf(err.msg, sizeof(err.msg), "%s", r->msg);
    bool transport = r->code == -FG_ENOT_FOUND || r->code == -FG_EMETHOD ||
                     r->code == -FG_ETOO_LARGE || r->code == -FG_EBAD_REQUEST;
    answer(req, wants_zh(req), transport ? -FG_EBAD_REQUEST : r->code, NULL, &err);
    return HTTP_DONE;
}

static const struct http_route routes[] = {
    HTTP_ROUTE_OWNER("/order/v2/", transport_refusal),
    HTTP_ROUTE_OWNER("/account/v2/", transport_refusal),
    HTTP_ROUTE_OWNER("/rate/v2/", transport_refusal),
    {"POST", "/order/v2/create", create_post, NULL, "funds_order_create"},
    {"POST", "/order/v2/detail", order_detail_post, NULL, "funds_order_detail"},
    {"POST", "/order/v2/list", order_list_post, NULL, "funds_order_list"},
    {"POST", "/order/v2/cancel", order_cancel_post, NULL, "funds_order_cancel"},
    {"POST", "/order/v2/appeal", order_appeal_post, NULL, "funds_order_appeal"},
    {"POST", "/account/v2/transfer", transfer_post, NULL, "funds_account_transfer"},
    {"POST", "/rate/v2/convert", convert_post, NULL, "funds_rate_convert"},
};

const struct http_route *funds_routes(int *count)
{
    *count = (int)(sizeof(routes) / sizeof(routes[0]));
    return routes;
}
