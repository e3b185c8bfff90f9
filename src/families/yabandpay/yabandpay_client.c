/*
 * yabandpay_client.c - the YabandPay clients' configs (POST /admin/v1/clients
 * with "family":"yabandpay", keyed by `user`): their validation (field
 * specs, strict), their secret, and the parsed config the request path
 * reads; see yabandpay_int.h.
 */
#include <stdio.h>
#include <string.h>

#include "api/clients.h"
#include "core/fields.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "families/yabandpay/yabandpay_int.h"
#include "services/directory.h"

static const char *const client_keys[] = {"family",       "user",      "secret", "uuid",
                                          "account_type", "markup_bp", NULL};

static int secret_check(const char *name, const char *value, struct fg_err *err)
{
    if (strlen(value) < FG_YB_SECRET_BYTES_MIN)
        return fg_fail(err, -FG_EBAD_FIELD, "field '%s' must be %d to %d bytes", name,
                       FG_YB_SECRET_BYTES_MIN, FG_YB_SECRET_BYTES_MAX);
    return 0;
}

static const struct field_spec client_fields[] = {
    {.name = "user",
     .kind = FIELD_ID,
     .required = true,
     .max = FG_YB_USER_BYTES_MAX,
     FIELD_AT(struct yb_client, user)},
    {.name = "secret",
     .kind = FIELD_STR,
     .required = true,
     .max = FG_YB_SECRET_BYTES_MAX,
     .check = secret_check,
     FIELD_AT(struct yb_client, secret)},
    {.name = "uuid",
     .kind = FIELD_ID,
     .required = true,
     .max = FG_UUID_BYTES_MAX,
     FIELD_AT(struct yb_client, uuid)},
    {.name = "account_type",
     .kind = FIELD_ENUM,
     .choices = customer_account_types,
     FIELD_AT(struct yb_client, account_type)},
    {.name = "markup_bp",
     .kind = FIELD_INT,
     .max = FG_FX_MARKUP_BP_MAX,
     FIELD_AT(struct yb_client, markup_bp)},
    {0},
};

/* Check a config (the admin body, or a stored one) into c; fill the
 * defaults into cfg when fill, so the stored config says what is in force. */
static int client_parse(json_t *cfg, bool fill, struct yb_client *c, struct fg_err *err)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->account_type, sizeof(c->account_type), "%s", customer_account_types[0]);
    int rc = jsonx_check_keys(cfg, client_keys, err);
    if (rc == 0)
        rc = fields_read(cfg, client_fields, c, NULL, err);
    if (rc < 0) {
        yb_client_wipe(c);
        return rc;
    }
    c->secret_len = strlen(c->secret);
    if (fill) {
        json_object_set_new(cfg, "account_type", json_string(c->account_type));
        json_object_set_new(cfg, "markup_bp", json_integer(c->markup_bp));
    }
    return 0;
}

void yb_client_wipe(struct yb_client *c)
{
    memset(c->secret, 0, sizeof(c->secret));
    c->secret_len = 0;
}

static int client_validate(json_t *body, char *key, size_t key_cap, struct fg_err *err)
{
    struct yb_client c;
    int rc = client_parse(body, true, &c, err);
    if (rc == 0)
        snprintf(key, key_cap, "%s", c.user);
    yb_client_wipe(&c);
    return rc;
}

static const char *const client_secret_fields[] = {"secret", NULL};

const struct api_client_kind yb_clients = {
    .validate = client_validate,
    .secret_fields = client_secret_fields,
};

int yb_client_load(struct api *api, const char *user, struct yb_client *c)
{
    json_t *cfg = api_client_get(api, YB_FAMILY, user);
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
