/*
 * funds.c - the Funds family: its descriptor and routes, the envelope, the
 * X-Auth-Token, the request prelude every route shares (token, body,
 * fields) and the API-client validation; see funds.h. The routes' handlers
 * are in funds_orders.c and funds_account.c, the code map in funds_codes.c,
 * the admin routes in funds_admin.c.
 *
 * Wire tolerance (issues 10, 16): unknown body fields are ignored, known ones
 * typed strictly (core/fields.h); descriptive text is kept as given. Every
 * answer is the family's envelope: a failure without a business code (store,
 * memory, queue, a failed commit through funds_fail) is 110017 with a 5xx.
 */
#include "families/funds/funds.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/api_cmd.h"
#include "api/api_idem.h"
#include "api/clients.h"
#include "api/family.h"
#include "core/clock.h"
#include "core/fields.h"
#include "core/jsonx.h"
#include "core/jwt.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/money.h"
#include "services/withdraw.h"

#define FUNDS_FAMILY "funds"
#define FUNDS_ISS_DEFAULT "Trading-Auth"

/* --- envelope ------------------------------------------------------------ */

bool funds_wants_zh(struct http_req *req)
{
    const char *l = http_req_header(req, "Accept-Language");
    return l && strncasecmp(l, "zh", 2) == 0;
}

/* {code, msg, data, trace_id}; takes data's reference. Every answer of the
 * family has this shape, with the status of its row in funds_code_map (200;
 * 401 for 990009, 429 for 990429, an operating failure's 5xx for 110017). */
static char *envelope_text(const char *trace, bool zh, int fg_code, json_t *data, size_t *len,
                           int *status)
{
    const struct api_code *row = api_code_of(&funds_code_map, fg_code);
    *status = api_code_status(row, fg_code);
    json_t *o =
        json_pack("{s:i,s:s,s:o,s:s}", "code", atoi(row->wire), "msg", api_code_text(row, zh),
                  "data", data ? data : json_null(), "trace_id", trace);
    char *text = jsonx_dump(o, len);
    json_decref(o);
    return text;
}

void funds_answer_in(struct http_req *req, bool zh, int fg_code, json_t *data,
                     const struct fg_err *err)
{
    if (fg_code < 0)
        fg_info(req->trace, "funds %s refused: %d %s", req->route_name ? req->route_name : "",
                funds_wire_code(fg_code), err && err->msg[0] ? err->msg : fg_strerror(fg_code));
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

/* The envelope's answer on the HTTP thread, in the language asked for. */
static void funds_answer(struct http_req *req, int code, json_t *data, const struct fg_err *err)
{
    funds_answer_in(req, funds_wants_zh(req), code, data, err);
}

/* A command's batch could not be committed (or the engine refused it):
 * nothing was applied; the answer stays in the family's envelope. */
static void funds_fail(struct api_cmd *c, int code)
{
    funds_answer_in(c->req, funds_wants_zh(c->req), code < 0 ? code : -FG_EINTERNAL, NULL, NULL);
}

/* --- token ---------------------------------------------------------------- */

int64_t funds_cfg_int(json_t *app, const char *key, int64_t dflt)
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

static int authenticate(struct api *api, struct http_req *req, int64_t now_ms, struct funds_auth *a,
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
    a->app = api_client_get(api, FUNDS_FAMILY, appid);
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
    int64_t max_age = funds_cfg_int(a->app, "token_max_age_s", FG_JWT_MAX_AGE_S_DEFAULT);
    rc = jwt_claims_time_check(claims, now_ms / 1000, max_age, FG_JWT_CLOCK_SKEW_S, err);
    if (rc == 0 && !api_rate_take(api, req, FUNDS_FAMILY, appid)) /* issue 9.11: 990429, HTTP 429 */
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

int funds_authenticate(struct api *api, struct http_req *req, struct funds_auth *a,
                       struct fg_err *err)
{
    return authenticate(api, req, fg_clock_now_ms(), a, err);
}

bool funds_authenticate_or_answer(struct api *api, struct http_req *req, bool zh,
                                  struct funds_auth *a)
{
    struct fg_err err = {0};
    int rc = funds_authenticate(api, req, a, &err);
    if (rc < 0)
        funds_answer_in(req, zh, rc, NULL, &err);
    return rc == 0;
}

int funds_fields(struct http_req *req, const struct field_spec *specs, void *dst,
                 struct fg_err *err)
{
    json_t *body = NULL;
    int rc = parse_body(req, &body, err);
    if (rc == 0)
        rc = fields_read(body, specs, dst, NULL, err);
    json_decref(body);
    return rc;
}

int funds_answer_recorded(struct api_cmd *c, const struct api_idem *id, bool zh, json_t *data,
                          int64_t ref, struct store *s, int64_t now_ms, struct fg_err *err)
{
    funds_answer_in(c->req, zh, 0, data, NULL);
    return api_idem_record(c, s, id, ref, now_ms, err);
}

/* Canonical decimal text for hashing: "100", "100.0" and "0100.00" are one
 * amount ("" when absent; the text's shape was checked). */
void funds_amount_canon(const char *in, char *out, size_t cap)
{
    struct money_text t;
    out[0] = '\0';
    if (in[0] && money_text_read(in, strlen(in), true, &t, NULL) == 0)
        money_text_canon(&t, out, cap);
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

/* --- client registration ---------------------------------------------------- */

/* What a client's config holds once checked; only the key is kept. */
struct client_cfg {
    char app_id[FG_NAME_BYTES_MAX + 1];
    char secret[FG_JWT_SECRET_BYTES_MAX + 1];
    char iss[FG_NAME_BYTES_MAX + 1];
    int64_t max_age_s, appeal_days;
    bool third_party_allowed;
};

static int secret_check(const char *name, const char *v, struct fg_err *err)
{
    if (strlen(v) < FG_JWT_SECRET_BYTES_MIN)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' needs at least %d bytes", name,
                       FG_JWT_SECRET_BYTES_MIN);
    return 0;
}

/* A list of at most max_len entries, each an integer 1..3 (modes) or a
 * string (flows). */
static int list_check(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                      struct fg_err *err)
{
    (void)dst, (void)ctx;
    json_t *v = json_object_get(body, f->name), *e;
    size_t i;
    bool modes = f->max == 3;
    const char *what = modes ? "a list of 1, 2, 3" : "a list of flows";
    if (!v)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > (size_t)f->max)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' is %s", f->name, what);
    json_array_foreach(v, i, e)
    {
        bool ok =
            modes ? json_is_integer(e) && json_integer_value(e) >= 1 && json_integer_value(e) <= 3
                  : json_is_string(e);
        if (!ok)
            return fg_fail(err, -FG_EBAD_FIELD, "field '%s' is %s", f->name, what);
    }
    return 0;
}

static const struct field_spec client_fields[] = {
    {.name = "app_id",
     .kind = FIELD_ID,
     .required = true,
     .max = FG_NAME_BYTES_MAX,
     FIELD_AT(struct client_cfg, app_id)},
    {.name = "jwt_secret",
     .kind = FIELD_STR,
     .required = true,
     .max = FG_JWT_SECRET_BYTES_MAX,
     FIELD_AT(struct client_cfg, secret),
     .check = secret_check},
    {.name = "iss", .kind = FIELD_STR, .max = FG_NAME_BYTES_MAX, FIELD_AT(struct client_cfg, iss)},
    {.name = "token_max_age_s",
     .kind = FIELD_INT,
     .min = 1,
     .max = FG_JWT_MAX_AGE_S_MAX,
     FIELD_AT(struct client_cfg, max_age_s)},
    {.name = "appeal_days",
     .kind = FIELD_INT,
     .max = FG_WD_APPEAL_DAYS_MAX,
     FIELD_AT(struct client_cfg, appeal_days)},
    {.name = "third_party_allowed",
     .kind = FIELD_BOOL,
     FIELD_AT(struct client_cfg, third_party_allowed)},
    {.name = "allowed_modes", .kind = FIELD_CUSTOM, .read = list_check, .max = 3},
    {.name = "transfer_flows", .kind = FIELD_CUSTOM, .read = list_check, .max = 6},
    {0},
};

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
    struct client_cfg *cfg = calloc(1, sizeof(*cfg));
    int rc = cfg ? jsonx_check_keys(body, keys, err) : fg_fail(err, -FG_ENOMEM, "out of memory");
    if (rc == 0)
        rc = fields_read(body, client_fields, cfg, NULL, err);
    /* The default, stored so the config says what is in force: mode 3 (the
     * app's server) only when the app asks for it, and then only for an
     * operator with role `api` (issue 9). */
    if (rc == 0 && !json_object_get(body, "allowed_modes"))
        json_object_set_new(body, "allowed_modes", json_pack("[i,i]", 1, 2));
    if (rc == 0)
        snprintf(key, key_cap, "%s", cfg->app_id);
    if (cfg)
        OPENSSL_cleanse(cfg->secret, sizeof(cfg->secret));
    free(cfg);
    return rc;
}

static const char *const secret_fields[] = {"jwt_secret", NULL};

static const struct api_client_kind funds_clients = {
    .validate = client_validate,
    .secret_fields = secret_fields,
};

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
    funds_answer_in(req, funds_wants_zh(req), transport ? -FG_EBAD_REQUEST : r->code, NULL, &err);
    return HTTP_DONE;
}

static const struct http_route routes[] = {
    {"POST", "/order/v2/create", funds_create_post, NULL, "funds_order_create"},
    {"POST", "/order/v2/detail", funds_detail_post, NULL, "funds_order_detail"},
    {"POST", "/order/v2/list", funds_list_post, NULL, "funds_order_list"},
    {"POST", "/order/v2/cancel", funds_cancel_post, NULL, "funds_order_cancel"},
    {"POST", "/order/v2/appeal", funds_appeal_post, NULL, "funds_order_appeal"},
    {"POST", "/account/v2/transfer", funds_transfer_post, NULL, "funds_account_transfer"},
    {"POST", "/rate/v2/convert", funds_convert_post, NULL, "funds_rate_convert"},
};

static const char *const owner_prefixes[] = {"/order/v2/", "/account/v2/", "/rate/v2/", NULL};

static const struct fg_error_space *const error_spaces[] = {&withdraw_error_space, NULL};

static const struct api_bootstrap_section sections[] = {
    {"banks", "POST", "/admin/v1/customers/{uuid}/banks", NULL},
    {"calendars", "POST", "/admin/v1/calendars/{currency}/holidays", NULL},
    {"withdrawal_rules", "POST", "/admin/v1/rules/withdrawal", NULL},
    {"operators", "POST", "/admin/v1/operators", NULL},
};

const struct api_family funds_family = {
    .name = FUNDS_FAMILY,
    .routes = routes,
    .route_count = (int)(sizeof(routes) / sizeof(routes[0])),
    .admin_routes = funds_admin_routes,
    .admin_route_count = FUNDS_ADMIN_ROUTE_COUNT,
    .owner_prefixes = owner_prefixes,
    .envelope = {.answer = funds_answer, .unavailable = funds_fail, .refusal = transport_refusal},
    .admin_refuse = funds_admin_refuse,
    .codes = &funds_code_map,
    .clients = &funds_clients,
    .error_spaces = error_spaces,
    .bootstrap = sections,
    .bootstrap_count = (int)(sizeof(sections) / sizeof(sections[0])),
};
