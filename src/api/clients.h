/*
 * clients.h - the API-client registry (POST /admin/v1/clients) and its
 * secrets at rest (issues 9.4, 9.7, 11).
 *
 * A family describes its clients in its descriptor (struct api_client_kind,
 * api/family.h): a validator that checks the admin body and produces the
 * client key, and the names of its secret fields. The registry keeps every
 * client's config in memory for the request path, at most FG_CLIENTS_MAX, in
 * a table of the struct api (api->clients).
 *
 * api_clients_start runs once, on the main thread, before the engine exists:
 *   1. the secret key: the file named by cfg->secret_key_file, else by
 *      $FUNDGATE_SECRET_KEY_FILE, else <data_dir>/secret.key. An absent file
 *      is created (0600, a new random key) unless the store already holds
 *      sealed secrets, which only the lost key could open: then the start
 *      fails and says so;
 *   2. every stored client into the registry, its sealed secret fields opened
 *      (a value that does not open stops the start, naming the client);
 *   3. rows that still hold a secret in plain text (written before secrets
 *      were sealed) are sealed in one transaction, and a SQLite file is then
 *      vacuumed and its log truncated, so no copy of the plain text is left
 *      in the database files.
 * On failure err says why and nothing of the registry is kept.
 *
 * Threading: reads (api_client_get) and writes (api_client_cache_put) are
 * thread-safe (a rwlock); start and stop run on the main thread.
 */
#ifndef FG_API_CLIENTS_H
#define FG_API_CLIENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"

struct api_client_kind;

struct api_clients *api_clients_create(void);
void api_clients_destroy(struct api_clients *c);
int api_clients_start(struct api *api, struct store *writer, struct fg_err *err);
/* Empty the registry and wipe the secret key (at shutdown). */
void api_clients_stop(struct api *api);
/* Follow other processes' client changes when the store sends notices
 * (PostgreSQL, several nodes on one database): a watcher thread, on its own
 * connection, reloads the registry on a notice, after a reconnect and every
 * 10 s in any case; meanwhile a miss in the registry asks the database
 * (api_client_get). On a store without notices (SQLite: one process per
 * database) nothing starts. Start after api_clients_start, stop before
 * api_clients_stop; both on the main thread. */
void api_clients_watch_start(struct api *api);
void api_clients_watch_stop(struct api *api);

/* The client kind of the family named family, or NULL (no such family, or
 * one without API clients). */
const struct api_client_kind *api_client_kind_find(const struct api *api, const char *family);
/* The stored config of a client (new reference), or NULL. Served from memory
 * (and, while a watcher runs, from the database on a miss). */
json_t *api_client_get(struct api *api, const char *family, const char *key);
/* Add or replace a client's config in the in-memory registry (after commit).
 * It holds at most FG_CLIENTS_MAX clients: a new one past that is
 * -FG_ELIMIT, and so is a family name or key too long to hold; the admin
 * plane refuses such a client before committing it (api_clients_count). */
int api_client_cache_put(struct api *api, const char *family, const char *key, json_t *config);
/* A client's optional "rate_limit": {"per_s": N, "burst": M} (core/ratelimit.h)
 * is the registry's, not the family's: the admin plane takes it out of the
 * body before the family's validator sees it (*given: the checked object, or
 * NULL when absent; refusals as jsonx) and stores it with the config. The
 * registry strips it from the config families get and sets the client's
 * bucket, with the defaults of limits.h when absent. */
int api_client_rate_limit_take(json_t *body, json_t **given, struct fg_err *err);
/* The rate in force for a stored config, as {"per_s","burst"} (new object). */
json_t *api_client_rate_limit_json(const json_t *config);
/* Clients in the store, for that check: inside the writer's transaction. */
int api_clients_count(struct store *s, int64_t *count, struct fg_err *err);
/* The text to store for a client's config: the config with every secret field
 * of its family sealed (core/seal.h) under the server's secret key, bound to
 * (family, key, field). *text is malloc'd. The config itself is not changed. */
int api_client_config_dump(struct api *api, const char *family, const char *key,
                           const json_t *config, char **text, size_t *len, struct fg_err *err);

#endif
