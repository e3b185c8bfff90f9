/*
 * clients.c - the API-client registry and its secrets at rest; see
 * clients.h (issues 9.4, 9.7, 11).
 *
 * The registry: families describe their clients (a validator and the names
 * of their secret fields, api/family.h); clients live in the `clients` table
 * and, for the request path, in a fixed hash of at most FG_CLIENTS_MAX
 * entries, read under a rwlock. In memory a config holds its secrets in plain text (the request
 * path needs them); in the store each secret field holds an envelope of
 * core/seal.h, bound to (family, client key, field), under the process's
 * secret key. Only api_client_config_dump writes configs for the store and
 * only client_load_row reads them, so no other path sees an envelope.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/clients.h"
#include "api/family.h"
#include "core/assert.h"
#include "core/clock.h"
#include "core/fields.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "core/ratelimit.h"
#include "core/seal.h"
#include "store/store.h"

#define API_FAMILY_BYTES_MAX 31
#define API_AAD_BYTES_MAX 512
#define API_SECRET_KEY_FILE "secret.key"
#define API_RATE_LIMIT_FIELD "rate_limit"

/* Open addressing with linear probing over twice FG_CLIENTS_MAX slots, so a
 * probe always ends at an empty slot (config NULL). Entries are never removed;
 * a replaced config takes the same slot. */
#define API_CLIENT_SLOTS (2 * FG_CLIENTS_MAX)

struct api_clients {
    pthread_rwlock_t lock;
    int n;
    struct seal_key secret_key;
    bool secret_key_ready;
    struct client_entry {
        char family[API_FAMILY_BYTES_MAX + 1];
        char key[FG_NAME_BYTES_MAX + 1];
        json_t *config;
    } e[API_CLIENT_SLOTS];
    /* Several processes on one database (api_clients_watch_start). */
    struct {
        bool shared_db, stop;
        pthread_t thread;
        struct store *store;
    } watch;
};

struct api_clients *api_clients_create(void)
{
    struct api_clients *c = calloc(1, sizeof(*c));
    if (c)
        pthread_rwlock_init(&c->lock, NULL);
    return c;
}

static void clients_clear(struct api_clients *c)
{
    pthread_rwlock_wrlock(&c->lock);
    for (size_t i = 0; i < API_CLIENT_SLOTS; i++) {
        json_decref(c->e[i].config);
        c->e[i].config = NULL;
    }
    c->n = 0;
    pthread_rwlock_unlock(&c->lock);
    seal_key_wipe(&c->secret_key);
    c->secret_key_ready = false;
}

void api_clients_destroy(struct api_clients *c)
{
    if (!c)
        return;
    clients_clear(c);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

const struct api_client_kind *api_client_kind_find(const struct api *api, const char *family)
{
    const struct api_family *f = api_family_find(api, family);
    return f ? f->clients : NULL;
}

/* --- the registry -------------------------------------------------------------- */

/* The slot holding (family, key), or the empty slot where it would go. */
static size_t client_slot(const struct api_clients *clients, const char *family, const char *key)
{
    uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a over family, NUL, key */
    for (const unsigned char *p = (const unsigned char *)family; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    h *= UINT64_C(1099511628211);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * UINT64_C(1099511628211);
    size_t i = (size_t)(h % API_CLIENT_SLOTS);
    for (int probes = 0; clients->e[i].config; probes++, i = (i + 1) % API_CLIENT_SLOTS) {
        FG_ASSERT(probes < API_CLIENT_SLOTS); /* at most half the slots are used */
        if (strcmp(clients->e[i].family, family) == 0 && strcmp(clients->e[i].key, key) == 0)
            break;
    }
    return i;
}

static json_t *client_lookup(struct api_clients *clients, const char *family, const char *key)
{
    pthread_rwlock_rdlock(&clients->lock);
    json_t *found = json_incref(clients->e[client_slot(clients, family, key)].config);
    pthread_rwlock_unlock(&clients->lock);
    return found;
}

static int clients_load(struct api *api, struct store *s, const char *where,
                        const struct store_arg *args, int nargs, struct fg_err *err);

json_t *api_client_get(struct api *api, const char *family, const char *key)
{
    json_t *found = client_lookup(api->clients, family, key);
    /* Several nodes on one database: a client another node created a moment
     * ago may not have reached this registry yet (the watcher below); ask. */
    if (found || !__atomic_load_n(&api->clients->watch.shared_db, __ATOMIC_ACQUIRE))
        return found;
    struct fg_err err;
    struct store *s = api_reader(api, &err);
    if (s && clients_load(api, s, " WHERE family = ? AND client_key = ?",
                          STORE_ARGS(SA_TEXT(family), SA_TEXT(key)), &err) == 0)
        found = client_lookup(api->clients, family, key);
    return found;
}

static int client_put(struct api_clients *clients, const char *family, const char *key,
                      json_t *config);

/* The client's rate: its rate_limit, else the defaults (limits.h). */
static void config_rate(const json_t *config, struct ratelimit_rate *rate)
{
    json_t *rl = json_object_get(config, API_RATE_LIMIT_FIELD);
    *rate = (struct ratelimit_rate){.per_s = FG_RATELIMIT_CLIENT_PER_S_DEFAULT,
                                    .burst = FG_RATELIMIT_CLIENT_BURST_DEFAULT};
    struct ratelimit_rate given = {
        .per_s = (int64_t)json_integer_value(json_object_get(rl, "per_s")),
        .burst = (int64_t)json_integer_value(json_object_get(rl, "burst")),
    };
    if (rl && ratelimit_rate_valid(&given))
        *rate = given;
    else if (rl)
        fg_error(NULL, "a stored rate_limit is out of bounds; the default applies");
}

int api_client_cache_put(struct api *api, const char *family, const char *key, json_t *config)
{
    if (strlen(family) > API_FAMILY_BYTES_MAX || strlen(key) > FG_NAME_BYTES_MAX) {
        fg_error(NULL, "client %.31s/%.64s: name or key too long to register", family, key);
        return -FG_ELIMIT;
    }
    /* The rate limit is the registry's; families see their own fields only. */
    struct ratelimit_rate rate;
    config_rate(config, &rate);
    json_t *own = json_object_get(config, API_RATE_LIMIT_FIELD) ? json_deep_copy(config)
                                                                : json_incref(config);
    if (!own)
        return -FG_ENOMEM;
    json_object_del(own, API_RATE_LIMIT_FIELD);
    int rc = client_put(api->clients, family, key, own);
    json_decref(own);
    if (rc == 0 && api->limits)
        rc = ratelimit_set(api->limits, family, key, &rate, fg_clock_mono_ns() / 1000000);
    return rc;
}

static const struct field_spec rate_fields[] = {
    {.name = "per_s",
     .kind = FIELD_INT,
     .required = true,
     .min = 1,
     .max = FG_RATELIMIT_PER_S_MAX,
     FIELD_AT(struct ratelimit_rate, per_s)},
    {.name = "burst",
     .kind = FIELD_INT,
     .required = true,
     .min = 1,
     .max = FG_RATELIMIT_BURST_MAX,
     FIELD_AT(struct ratelimit_rate, burst)},
    {0},
};

int api_client_rate_limit_take(json_t *body, json_t **given, struct fg_err *err)
{
    static const char *const keys[] = {"per_s", "burst", NULL};
    *given = NULL;
    json_t *v = json_object_get(body, API_RATE_LIMIT_FIELD);
    if (!v)
        return 0;
    struct ratelimit_rate r = {0};
    int rc = json_is_object(v) ? 0
                               : fg_fail(err, -FG_EBAD_FIELD,
                                         "field 'rate_limit' must be {\"per_s\":N,\"burst\":M}");
    if (rc == 0)
        rc = jsonx_check_keys(v, keys, err);
    if (rc == 0)
        rc = fields_read(v, rate_fields, &r, NULL, err);
    if (rc < 0)
        return rc;
    *given = json_pack("{s:I,s:I}", "per_s", (json_int_t)r.per_s, "burst", (json_int_t)r.burst);
    json_object_del(body, API_RATE_LIMIT_FIELD);
    return *given ? 0 : fg_fail(err, -FG_ENOMEM, "out of memory");
}

json_t *api_client_rate_limit_json(const json_t *config)
{
    struct ratelimit_rate rate;
    config_rate(config, &rate);
    return json_pack("{s:I,s:I}", "per_s", (json_int_t)rate.per_s, "burst", (json_int_t)rate.burst);
}

/* Add or replace (family, key) in the registry. */
static int client_put(struct api_clients *clients, const char *family, const char *key,
                      json_t *config)
{
    pthread_rwlock_wrlock(&clients->lock);
    size_t i = client_slot(clients, family, key);
    struct client_entry *e = &clients->e[i];
    if (!e->config) {
        if (clients->n >= FG_CLIENTS_MAX) {
            pthread_rwlock_unlock(&clients->lock);
            fg_error(NULL, "client registry full (%d): %s/%s not registered", FG_CLIENTS_MAX,
                     family, key);
            return -FG_ELIMIT;
        }
        clients->n++;
        snprintf(e->family, sizeof(e->family), "%s", family);
        snprintf(e->key, sizeof(e->key), "%s", key);
    }
    if (e->config && json_equal(e->config, config)) {
        pthread_rwlock_unlock(&clients->lock); /* unchanged: keep the object (parsed caches) */
        return 0;
    }
    json_decref(e->config);
    e->config = json_incref(config);
    pthread_rwlock_unlock(&clients->lock);
    return 0;
}

int api_clients_count(struct store *s, int64_t *count, struct fg_err *err)
{
    return store_query_int(s, "SELECT COUNT(*) FROM clients", STORE_NOARGS, count, err);
}

/* --- sealing -------------------------------------------------------------------- */

/* Associated data of a secret field: length-prefixed, so no two (family, key,
 * field) triples give the same bytes. */
static size_t client_aad(char *buf, const char *family, const char *key, const char *field)
{
    int n = snprintf(buf, API_AAD_BYTES_MAX, "fundgate.client.v1:%zu:%s:%zu:%s:%s", strlen(family),
                     family, strlen(key), key, field);
    FG_ASSERT(n > 0 && n < API_AAD_BYTES_MAX); /* family, key and field are bounded */
    return (size_t)n;
}

int api_client_config_dump(struct api *api, const char *family, const char *key,
                           const json_t *config, char **text, size_t *len, struct fg_err *err)
{
    struct api_clients *clients = api->clients;
    const struct api_client_kind *f = api_client_kind_find(api, family);
    json_t *copy = json_deep_copy(config);
    int rc = copy ? 0 : fg_fail(err, -FG_ENOMEM, "out of memory");
    *text = NULL;
    for (int i = 0; rc == 0 && f && f->secret_fields && f->secret_fields[i]; i++) {
        const char *field = f->secret_fields[i];
        json_t *v = json_object_get(copy, field);
        if (!v)
            continue;
        if (!json_is_string(v) || !clients->secret_key_ready) {
            rc = fg_fail(err, -FG_ESEAL, "client %s/%s: secret field '%s' cannot be sealed", family,
                         key, field);
            break;
        }
        char aad[API_AAD_BYTES_MAX], *sealed = NULL;
        size_t aad_len = client_aad(aad, family, key, field);
        rc = seal_text_seal(&clients->secret_key, json_string_value(v), json_string_length(v), aad,
                            aad_len, &sealed, err);
        if (rc == 0)
            json_object_set_new(copy, field, json_string(sealed));
        free(sealed);
    }
    if (rc == 0 && !(*text = jsonx_dump(copy, len)))
        rc = fg_fail(err, -FG_ENOMEM, "out of memory");
    json_decref(copy);
    return rc;
}

/* Open the sealed secret fields of a stored config in place. *plain_found:
 * a secret field still in plain text (to be sealed by the caller). */
static int config_open(struct api *api, const char *family, const char *key, json_t *cfg,
                       bool *plain_found, struct fg_err *err)
{
    const struct api_client_kind *f = api_client_kind_find(api, family);
    for (int i = 0; f && f->secret_fields && f->secret_fields[i]; i++) {
        const char *field = f->secret_fields[i];
        const char *v = json_string_value(json_object_get(cfg, field));
        if (!v)
            continue;
        if (!seal_text_is_sealed(v)) {
            *plain_found = true;
            continue;
        }
        char aad[API_AAD_BYTES_MAX], *plain = NULL;
        size_t plain_len = 0, aad_len = client_aad(aad, family, key, field);
        struct fg_err inner;
        if (seal_text_open(&api->clients->secret_key, v, aad, aad_len, &plain, &plain_len, &inner) <
            0)
            return fg_fail(err, -FG_ESEAL, "client %s/%s, field '%s': %s", family, key, field,
                           inner.msg);
        json_object_set_new(cfg, field, json_stringn(plain, plain_len));
        OPENSSL_cleanse(plain, plain_len);
        free(plain);
    }
    return 0;
}

/* --- loading ---------------------------------------------------------------------- */

/* Clients whose stored config still holds a secret in plain text. */
struct load_ctx {
    struct api *api;
    struct fg_err *err;
    int plain_count;
    struct {
        char family[API_FAMILY_BYTES_MAX + 2]; /* as read by client_load_row */
        char key[FG_NAME_BYTES_MAX + 2];
    } plain[FG_CLIENTS_MAX];
};

/* One stored client into the registry; a row that cannot be registered or
 * whose secrets do not open stops the start (its client would not work). */
static int client_load_row(void *ctx, struct store_row *row)
{
    struct load_ctx *l = ctx;
    char family[API_FAMILY_BYTES_MAX + 2], key[FG_NAME_BYTES_MAX + 2];
    size_t len = 0;
    store_row_text_copy(row, 0, family, sizeof(family));
    store_row_text_copy(row, 1, key, sizeof(key));
    const char *text = store_row_text(row, 2, &len);
    json_t *cfg = text ? json_loadb(text, len, 0, NULL) : NULL;
    if (!cfg) {
        fg_error(NULL, "client %s/%s has an unreadable config", family, key);
        return 0;
    }
    bool plain = false;
    int rc = config_open(l->api, family, key, cfg, &plain, l->err);
    if (rc == 0 && (rc = api_client_cache_put(l->api, family, key, cfg)) < 0)
        fg_fail(l->err, rc, "client %.31s/%.64s cannot be registered (at most %d clients)", family,
                key, FG_CLIENTS_MAX);
    json_decref(cfg);
    if (rc == 0 && plain) {
        FG_ASSERT(l->plain_count < FG_CLIENTS_MAX); /* registered, so within the limit */
        snprintf(l->plain[l->plain_count].family, sizeof(l->plain[0].family), "%s", family);
        snprintf(l->plain[l->plain_count].key, sizeof(l->plain[0].key), "%s", key);
        l->plain_count++;
    }
    return rc;
}

/* Seal the secrets stored in plain text, then leave no old copy in a SQLite
 * file: VACUUM rewrites every page, the checkpoint empties the log. */
static int clients_reseal(struct store *s, const struct load_ctx *l, struct fg_err *err)
{
    int rc = store_begin(s, err);
    for (int i = 0; rc == 0 && i < l->plain_count; i++) {
        json_t *cfg = api_client_get(l->api, l->plain[i].family, l->plain[i].key);
        char *text = NULL;
        size_t len = 0;
        rc = api_client_config_dump(l->api, l->plain[i].family, l->plain[i].key, cfg, &text, &len,
                                    err);
        if (rc == 0)
            rc = store_exec_changes(
                s, "UPDATE clients SET config = ? WHERE family = ? AND client_key = ?",
                STORE_ARGS(SA_TEXTN(text, len), SA_TEXT(l->plain[i].family),
                           SA_TEXT(l->plain[i].key)),
                NULL, err);
        json_decref(cfg);
        free(text);
    }
    if (rc < 0) {
        store_rollback(s);
        return rc;
    }
    if ((rc = store_commit(s, err)) < 0)
        return rc;
    if (strcmp(store_ops_of(s)->name, "sqlite") == 0 &&
        ((rc = store_exec(s, "VACUUM", STORE_NOARGS, NULL, NULL, err)) < 0 ||
         (rc = store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", STORE_NOARGS, NULL, NULL, err)) <
             0))
        return rc;
    fg_info(NULL, "sealed the secrets of %d clients stored in plain text", l->plain_count);
    return 0;
}

/* --- start and stop ----------------------------------------------------------------- */

/* Load the secret key, or create it when the store holds nothing sealed. */
static int secret_key_resolve(struct api_clients *clients, struct store *s,
                              const struct api_config *cfg, struct fg_err *err)
{
    char path[FG_FILE_PATH_BYTES_MAX + 32];
    const char *given = cfg->secret_key_file && *cfg->secret_key_file
                            ? cfg->secret_key_file
                            : getenv("FUNDGATE_SECRET_KEY_FILE");
    int n = given && *given
                ? snprintf(path, sizeof(path), "%s", given)
                : snprintf(path, sizeof(path), "%s/" API_SECRET_KEY_FILE, cfg->data_dir);
    if (n < 0 || (size_t)n > FG_FILE_PATH_BYTES_MAX)
        return fg_fail(err, -FG_EBAD_FIELD, "the secret key file's path is over %d bytes",
                       FG_FILE_PATH_BYTES_MAX);
    int rc = seal_key_load(path, &clients->secret_key, err);
    if (rc == -FG_ENOT_FOUND) {
        int64_t sealed = 0;
        rc = store_query_int(s, "SELECT COUNT(*) FROM clients WHERE config LIKE ?",
                             STORE_ARGS(SA_TEXT("%\"" SEAL_PREFIX "%")), &sealed, err);
        if (rc == 0 && sealed > 0)
            return fg_fail(err, -FG_ESEAL,
                           "secret key file %s does not exist, but %lld stored clients hold "
                           "secrets sealed with a key: restore that key file (or name it with "
                           "--secret-key-file)",
                           path, (long long)sealed);
        if (rc == 0 && (rc = seal_key_create(path, &clients->secret_key, err)) == 0)
            printf("secret key: created %s (back it up apart from the database)\n", path);
        else if (rc == -FG_EEXISTS)
            rc = seal_key_load(path, &clients->secret_key, err); /* another process made it first */
    }
    clients->secret_key_ready = rc == 0;
    return rc;
}

int api_clients_start(struct api *api, struct store *writer, struct fg_err *err)
{
    struct load_ctx *l = calloc(1, sizeof(*l));
    if (!l)
        return fg_fail(err, -FG_ENOMEM, "out of memory");
    l->api = api;
    l->err = err;
    int rc = secret_key_resolve(api->clients, writer, &api->cfg, err);
    if (rc == 0)
        rc = store_exec(writer, "SELECT family, client_key, config FROM clients", STORE_NOARGS,
                        client_load_row, l, err);
    if (rc == 0 && l->plain_count > 0)
        rc = clients_reseal(writer, l, err);
    free(l);
    if (rc < 0)
        api_clients_stop(api);
    return rc;
}

void api_clients_stop(struct api *api)
{
    if (api->clients)
        clients_clear(api->clients);
}

/* --- clients across processes -------------------------------------------
 *
 * Several fundgate nodes on one PostgreSQL database: a client posted to one
 * node must reach every node's registry. A watcher thread listens on its own
 * connection for the store's "clients changed" notice (store.h, listen) and
 * reloads the registry when one comes, after a reconnect (notices may have
 * been missed), and every API_CLIENTS_RELOAD_MS in any case. A miss in the
 * registry asks the database (api_client_get). SQLite has one process per
 * database, so no watcher runs there. */

#define API_CLIENTS_RELOAD_MS 10000
#define API_CLIENTS_WAIT_MS 500

/* Load the stored clients that match `where` into the registry (sealed
 * secrets opened as at the start); a row that cannot be loaded is logged. */
static int clients_load(struct api *api, struct store *s, const char *where,
                        const struct store_arg *args, int nargs, struct fg_err *err)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT family, client_key, config FROM clients%s", where);
    struct load_ctx *l = calloc(1, sizeof(*l));
    if (!l)
        return fg_fail(err, -FG_ENOMEM, "out of memory");
    l->api = api;
    l->err = err;
    int rc = store_exec(s, sql, args, nargs, client_load_row, l, err);
    free(l);
    if (rc < 0)
        fg_warn(NULL, "clients: reload failed: %s", err->msg);
    return rc;
}

static void *clients_watch_main(void *arg)
{
    struct api *api = arg;
    struct api_clients *c = api->clients;
    int64_t last = fg_clock_mono_ns();
    bool reload = true; /* what changed between the start's load and the LISTEN */
    while (!__atomic_load_n(&c->watch.stop, __ATOMIC_ACQUIRE)) {
        struct fg_err err;
        int rc = store_wait_notice(c->watch.store, API_CLIENTS_WAIT_MS, &err);
        if (rc < 0) { /* connection lost: listen again, which reconnects */
            usleep(API_CLIENTS_WAIT_MS * 1000);
            reload = store_listen(c->watch.store, STORE_CHANNEL_CLIENTS, &err) == 0;
            continue;
        }
        if (rc > 0 || fg_clock_mono_ns() - last > API_CLIENTS_RELOAD_MS * INT64_C(1000000))
            reload = true;
        if (reload && clients_load(api, c->watch.store, "", STORE_NOARGS, &err) == 0) {
            reload = false;
            last = fg_clock_mono_ns();
        }
    }
    return NULL;
}

void api_clients_watch_start(struct api *api)
{
    struct api_clients *c = api->clients;
    struct fg_err err;
    struct store *s = NULL;
    if (c->watch.store || store_open(api->cfg.db_uri, false, &s, &err) < 0)
        return;
    c->watch.store = s;
    if (store_listen(s, STORE_CHANNEL_CLIENTS, &err) < 0 ||
        pthread_create(&c->watch.thread, NULL, clients_watch_main, api) != 0) {
        store_close(s); /* no notices (SQLite): one process, nothing to follow */
        c->watch.store = NULL;
        return;
    }
    __atomic_store_n(&c->watch.shared_db, true, __ATOMIC_RELEASE);
}

void api_clients_watch_stop(struct api *api)
{
    struct api_clients *c = api->clients;
    if (!c || !c->watch.store)
        return;
    __atomic_store_n(&c->watch.stop, true, __ATOMIC_RELEASE);
    pthread_join(c->watch.thread, NULL);
    store_close(c->watch.store);
    c->watch.store = NULL;
    __atomic_store_n(&c->watch.shared_db, false, __ATOMIC_RELEASE);
    __atomic_store_n(&c->watch.stop, false, __ATOMIC_RELEASE);
}
