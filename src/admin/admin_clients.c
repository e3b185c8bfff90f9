/*
 * admin_clients.c - POST /admin/v1/clients: API clients per family, as an
 * admin write (api/admin_write.h). The family's client kind (api/family.h)
 * checks the body and gives the key; the registry's own "rate_limit" is
 * taken out first. Posting a client again replaces its configuration (that
 * is how a secret is rotated); secret fields are sealed before anything
 * reaches the store and never echoed (issue 9.4).
 */
#include <stdio.h>
#include <stdlib.h>

#include "admin/admin_int.h"
#include "api/admin_write.h"
#include "api/clients.h"
#include "api/family.h"
#include "store/store.h"

#define ADMIN_FAMILY_BYTES_MAX 31

struct client_req {
    char family[ADMIN_FAMILY_BYTES_MAX + 1];
    char key[FG_NAME_BYTES_MAX + 1];
    json_t *config;
    json_t *public_view;
};

static void client_req_free(void *p)
{
    struct client_req *cr = p;
    json_decref(cr->config);
    json_decref(cr->public_view);
}

static const struct field_spec client_fields[] = {
    {.name = "family",
     .kind = FIELD_STR,
     .required = true,
     .max = ADMIN_FAMILY_BYTES_MAX,
     FIELD_AT(struct client_req, family)},
    {0},
};

/* The family's checks, the config to store and the view to answer. */
static int client_prepare(struct api *api, struct http_req *req, json_t *body, void *data,
                          struct fg_err *err)
{
    (void)req;
    struct client_req *cr = data;
    const struct api_client_kind *f = api_client_kind_find(api, cr->family);
    if (!f)
        return fg_fail(err, -FG_EBAD_FIELD, "unknown family '%.31s'", cr->family);
    json_t *rate_limit = NULL; /* the registry's field, not the family's (api/clients.h) */
    int rc = api_client_rate_limit_take(body, &rate_limit, err);
    if (rc == 0)
        rc = f->validate(body, cr->key, sizeof(cr->key), err);
    if (rc < 0) {
        json_decref(rate_limit);
        return rc;
    }
    if (rate_limit)
        json_object_set_new(body, "rate_limit", rate_limit);
    cr->config = json_incref(body);
    cr->public_view = json_deep_copy(body);
    for (int i = 0; f->secret_fields && f->secret_fields[i]; i++)
        json_object_del(cr->public_view, f->secret_fields[i]);
    json_object_set_new(cr->public_view, "client_key", json_string(cr->key));
    json_object_set_new(cr->public_view, "rate_limit", api_client_rate_limit_json(body));
    return 0;
}

/* Upsert the row (sealed) unless the registry is full; *created says which. */
static int client_store(struct api *api, struct store *s, const struct client_req *cr,
                        int64_t now_ms, bool *created, struct fg_err *err)
{
    size_t len = 0;
    char *text = NULL;
    int64_t exists = 0, count = 0;
    int rc = api_client_config_dump(api, cr->family, cr->key, cr->config, &text, &len, err);
    if (rc == 0)
        rc = store_query_int(s, "SELECT 1 FROM clients WHERE family = ? AND client_key = ?",
                             STORE_ARGS(SA_TEXT(cr->family), SA_TEXT(cr->key)), &exists, err);
    if (rc == -FG_ENOT_FOUND)
        rc = 0;
    *created = !exists;
    if (rc == 0 && *created && (rc = api_clients_count(s, &count, err)) == 0 &&
        count >= FG_CLIENTS_MAX)
        rc = fg_fail(err, -FG_ELIMIT,
                     "the client registry holds its maximum of %d clients; nothing was added",
                     FG_CLIENTS_MAX);
    if (rc == 0)
        rc = store_exec_changes(
            s,
            "INSERT INTO clients (family, client_key, config, created_ms, updated_ms) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (family, client_key) DO UPDATE SET "
            "config = excluded.config, updated_ms = excluded.updated_ms",
            STORE_ARGS(SA_TEXT(cr->family), SA_TEXT(cr->key), SA_TEXTN(text, len), SA_INT(now_ms),
                       SA_INT(now_ms)),
            NULL, err);
    free(text);
    return rc;
}

static int client_run(struct api_cmd *c, struct store *s, int64_t now_ms,
                      struct api_write_result *out, struct fg_err *err)
{
    struct client_req *cr = c->data;
    bool created = false;
    int rc = client_store(c->api, s, cr, now_ms, &created, err);
    if (rc < 0)
        return rc;
    out->status = created ? 201 : 200;
    out->body = json_incref(cr->public_view);
    snprintf(out->target, sizeof(out->target), "%s/%s", cr->family, cr->key);
    return 0;
}

static void client_after_commit(struct api_cmd *c)
{
    struct client_req *cr = c->data;
    /* client_run checked FG_CLIENTS_MAX in the committed transaction; only
     * another process writing the same store could make this fail (logged). */
    (void)api_client_cache_put(c->api, cr->family, cr->key, cr->config);
}

const struct api_admin_write admin_client_write = {
    .fields = client_fields,
    .any_keys = true,
    .data_size = sizeof(struct client_req),
    .prepare = client_prepare,
    .run = client_run,
    .data_free = client_req_free,
    .after_commit = client_after_commit,
};
