/*
 * app.h - the composition root: the one place that knows every family
 * (issue 11). It builds the server from the lower layers and the family
 * descriptors (api/family.h), runs it, and takes it down.
 *
 * Start (app_serve): context (api_init) -> data dir and admin token -> error
 * spaces and family init -> writer store (migrations) -> client registry ->
 * engine (with the periodic jobs) -> family start (their threads) -> routes
 * -> bootstrap -> HTTP. Stop (SIGTERM/SIGINT): stop accepting -> wait for
 * requests in flight (the engine keeps committing) -> family stop (reverse
 * order) -> stop the engine (drains and commits the rest) -> close HTTP ->
 * close stores -> family fini.
 *
 * Threading: app_serve runs on the main thread and blocks until SIGTERM or
 * SIGINT; then it stops accepting, lets the engine finish and commit every
 * queued command, answers them, and returns 0. Handlers run on the HTTP
 * threads with the struct api as their route's ctx.
 *
 * Nothing below src/app/ includes this header.
 */
#ifndef FG_APP_H
#define FG_APP_H

#include <stdio.h>

#include "api/api.h"
#include "api/family.h"
#include "http/http.h"

/* Every family the server speaks, the admin plane first; NULL-terminated
 * (app_families.c: adding a family is one line there). */
extern const struct api_family *const app_families[];

/* Run the server until SIGTERM/SIGINT; returns the process exit code. */
int app_serve(const struct api_config *cfg);

/* The server's route table: the ops routes, then each family's routes and
 * admin routes in list order, then its owner entries; every ctx is api.
 * Returns the number of entries written (at most cap: asserted). */
int app_routes_build(struct api *api, struct http_route *out, int cap);
/* The bootstrap file's sections, in the order they apply (the families'
 * sections in list order); NULL-terminated (key NULL) in out, at most cap
 * including the terminator (asserted). */
int app_bootstrap_sections(struct api_bootstrap_section *out, int cap);

/* Every route the server answers, in table order, with no context (ctx
 * NULL): for `fundgate routes` and tests/unit/test_openapi.c. */
const struct http_route *app_routes(int *count);

/* The command line commands families add (api/family.h: struct
 * api_command): argv[0] is the command's first word. The command's exit
 * code, or -1 when no family has that command. */
int app_command_run(int argc, char **argv);
/* One line per family command ("  <name>  <help>"), for `fundgate --help`. */
void app_commands_usage(FILE *f);

#define APP_ROUTES_MAX 128
#define APP_BOOTSTRAP_SECTIONS_MAX 32

#endif
