/*
 * clients.h - private to src/app: starting and stopping the API-client
 * registry (app.h has what handlers use).
 *
 * app_clients_start runs once, on the main thread, before the engine exists:
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
 */
#ifndef FG_APP_CLIENTS_H
#define FG_APP_CLIENTS_H

#include "app/app.h"

int app_clients_start(struct store *writer, const struct app_config *cfg, struct fg_err *err);
/* Empty the registry and wipe the secret key (at shutdown). */
void app_clients_stop(void);
/* Follow other processes' client changes when the store sends notices
 * (PostgreSQL): a watcher thread reloads the registry; a miss asks the
 * database. Nothing happens on a store without notices (SQLite). */
void app_clients_watch_start(const char *db_uri);
void app_clients_watch_stop(void);

#endif
