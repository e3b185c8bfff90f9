/*
 * families.h - the API families the server speaks, in one list.
 *
 * Each family contributes its routes and registers its API-client validator
 * (POST /admin/v1/clients) in families_init(). Adding a family means one line
 * in each of the two places in families.c.
 */
#ifndef FG_FAMILIES_H
#define FG_FAMILIES_H

#include "http/http.h"

typedef const struct http_route *(*families_routes_fn)(int *count);

/* NULL-terminated. */
extern const families_routes_fn families_routes[];

/* Register every family's client validator (idempotent). */
void families_init(void);

struct engine;
/* Start the families' periodic work over the running engine (the FX
 * settlement sweep), and stop it before the engine stops. */
int families_start(struct engine *e);
void families_stop(void);

#endif
