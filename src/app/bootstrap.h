/*
 * bootstrap.h - apply a JSON file of admin objects at start, idempotently.
 *
 * The file is {"currencies":[...], "customers":[...], "accounts":[...],
 * "deposits":[...], "clients":[...], ...}: each item is exactly the body the
 * admin plane takes, sent through the same routes as an internal request
 * (no token needed). Sections run in a fixed order (bootstrap_sections); an
 * object that exists already with the same content is fine, anything else
 * stops the start with the item's error.
 */
#ifndef FG_BOOTSTRAP_H
#define FG_BOOTSTRAP_H

#include "core/errors.h"
#include "http/http.h"

struct bootstrap_section {
    const char *key;    /* top-level key of the file */
    const char *method; /* "POST" */
    /* Path; "{field}" takes the item's field (removed from the body). */
    const char *path;
};

extern const struct bootstrap_section bootstrap_sections[];

int app_bootstrap(const char *path, const struct http_route *routes, int route_count,
                  struct fg_err *err);

#endif
