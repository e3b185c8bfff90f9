/*
 * tradeboss_client.c - the TradeBoss clients' configs (POST
 * /admin/v1/clients with "family":"tradeboss", keyed by company_id): their
 * validation, their secret, and the parsed configs the request path keeps;
 * see tradeboss_int.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/clients.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "families/tradeboss/tradeboss_int.h"
#include "services/directory.h"

const char *const tb_overtrading_policies[] = {"deduct_available", "ignore", NULL};
const char *const tb_tsc_rules[] = {"ignore", "must_equal_uuid", NULL};
static const char *const auth_kinds[] = {"allowlist", "hmac", NULL};

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

static const char *const client_keys[] = {"family",
                                          "company_id",
                                          "auth",
                                          "allow",
                                          "secret",
                                          "account_type",
                                          "overtrading",
                                          "third_server_code",
                                          "timestamp_window_s",
                                          NULL};

/* The config's fields as read: indexes into their lists. */
struct client_fields {
    int64_t company_id, timestamp_window_s;
    int auth, type, policy, tsc;
};

static const struct field_spec client_fields[] = {
    {.name = "company_id",
     .kind = FIELD_INT,
     .required = true,
     .min = 1,
     .max = INT64_MAX,
     FIELD_AT(struct client_fields, company_id)},
    {.name = "auth",
     .kind = FIELD_CHOICE,
     .required = true,
     .choices = auth_kinds,
     FIELD_AT(struct client_fields, auth)},
    {.name = "account_type",
     .kind = FIELD_CHOICE,
     .choices = customer_account_types,
     FIELD_AT(struct client_fields, type)},
    {.name = "overtrading",
     .kind = FIELD_CHOICE,
     .choices = tb_overtrading_policies,
     FIELD_AT(struct client_fields, policy)},
    {.name = "third_server_code",
     .kind = FIELD_CHOICE,
     .choices = tb_tsc_rules,
     FIELD_AT(struct client_fields, tsc)},
    {.name = "timestamp_window_s",
     .kind = FIELD_INT,
     .max = FG_TB_TIMESTAMP_WINDOW_S_MAX,
     FIELD_AT(struct client_fields, timestamp_window_s)},
    {0},
};

/* Parse and check a client config (the admin body). Fills the defaults into
 * cfg when fill_defaults, so the stored config says what is in force. */
static int client_parse(json_t *cfg, bool fill_defaults, struct tb_client *out, struct fg_err *err)
{
    struct client_fields f = {.type = 2, /* futures */
                              .policy = TB_OVERTRADING_DEDUCT_AVAILABLE,
                              .tsc = TB_TSC_IGNORE};
    memset(out, 0, sizeof(*out));
    int rc = jsonx_check_keys(cfg, client_keys, err);
    if (rc == 0)
        rc = fields_read(cfg, client_fields, &f, NULL, err);
    if (rc < 0)
        return rc;
    out->company_id = f.company_id;
    out->timestamp_window_s = f.timestamp_window_s;
    out->hmac = f.auth == 1;
    out->overtrading = f.policy;
    out->third_server_code = f.tsc;
    snprintf(out->account_type, sizeof(out->account_type), "%s", customer_account_types[f.type]);
    if ((rc = client_auth_parse(cfg, out, err)) < 0)
        return rc;
    if (fill_defaults) {
        json_object_set_new(cfg, "account_type", json_string(out->account_type));
        json_object_set_new(cfg, "overtrading", json_string(tb_overtrading_policies[f.policy]));
        json_object_set_new(cfg, "third_server_code", json_string(tb_tsc_rules[f.tsc]));
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
const struct api_client_kind tb_clients = {
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

void tb_client_cache_clear(void)
{
    pthread_mutex_lock(&client_cache.mu);
    for (int i = 0; i < FG_TB_CLIENT_CACHE_MAX; i++) {
        json_decref(client_cache.e[i].config);
        client_cache.e[i].config = NULL;
        memset(client_cache.e[i].client.secret, 0, sizeof(client_cache.e[i].client.secret));
    }
    client_cache.next = 0;
    pthread_mutex_unlock(&client_cache.mu);
}

/* 0, or -FG_ENOT_FOUND for a company without a (valid) tradeboss client. */
int tb_client_load(struct api *api, int64_t company_id, struct tb_client *out)
{
    char key[24];
    snprintf(key, sizeof(key), "%lld", (long long)company_id);
    json_t *cfg = api_client_get(api, TB_FAMILY, key);
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
