/*
 * bootstrap.h - apply a JSON file of admin objects at start, idempotently.
 *
 * The file is {"currencies":[...], "customers":[...], "accounts":[...],
 * "deposits":[...], "clients":[...], ...}: each item is exactly the body the
 * admin plane takes, sent through the same routes as an internal request
 * (no token needed). The sections are the families' (api/family.h), in the
 * order the root lists them (app_bootstrap_sections); an object that exists
 * already with the same content is fine, anything else stops the start with
 * the item's error. A key the sections do not name is refused, unless it
 * starts with '_' (a comment).
 */
#ifndef FG_BOOTSTRAP_H
#define FG_BOOTSTRAP_H

#include "api/family.h"
#include "core/errors.h"
#include "http/http.h"

/* sections: NULL-terminated (key NULL), applied in that order. */
int app_bootstrap(const char *path, const struct api_bootstrap_section *sections,
                  const struct http_route *routes, int route_count, struct fg_err *err);

#endif
