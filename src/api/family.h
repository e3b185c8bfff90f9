/*
 * family.h - what an API family is to the rest of the server: one descriptor
 * (issue 11). The admin plane is a family too.
 *
 * A family lives in a directory of its own (src/admin/, src/families/<name>/)
 * and exports one `const struct api_family`. The composition root lists the
 * descriptors once (src/app/app_families.c) and does the rest: it builds the
 * route table (each family's routes, then its admin routes, in list order;
 * every route's ctx is the struct api), turns the owner prefixes into the
 * transport's owner entries, registers error spaces and API-client kinds,
 * calls init and fini, hands the periodic jobs to the engine and applies the
 * bootstrap sections in list order. Adding a family = a new directory and one
 * line in that list (docs/ARCHITECTURE.md has the checklist).
 *
 * Rules: a family includes api/ and the layers below it, never another
 * family and never src/app/ (scripts/check-layers.sh). Its descriptor is
 * static data, read by several threads, never written after start.
 */
#ifndef FG_API_FAMILY_H
#define FG_API_FAMILY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/errors.h"
#include "http/http.h"

/* A section of the --bootstrap file the family owns: each item of the array
 * under `key` is sent as the body of `method path` (an internal request);
 * "{field}" in the path takes the item's field (removed from the body). */
struct api_bootstrap_section {
    const char *key;
    const char *method;
    const char *path;
};

/* The family's API clients (POST /admin/v1/clients with "family": name). */
struct api_client_kind {
    /* Check the admin body (the registry's own "rate_limit" already taken
     * out) and produce the client key; may fill defaults into body so the
     * stored config says what is in force. */
    int (*validate)(json_t *body, char *key, size_t key_cap, struct fg_err *err);
    /* Fields sealed at rest (core/seal.h) and never echoed; NULL-terminated. */
    const char *const *secret_fields;
};

struct api_family {
    const char *name; /* "tradeboss": clients, rate limits and logs use it */
    /* Routes (ctx is ignored: the root gives every route the struct api). */
    const struct http_route *routes;
    int route_count;
    /* Its routes on the admin plane (/admin/v1/...), after the others. */
    const struct http_route *admin_routes;
    int admin_route_count;
    /* Path prefixes the family owns ("/order/v2/"), NULL-terminated: the
     * transport's own refusals there (404, 405, 413, 414, a malformed head)
     * are rendered by `refusal` (an http_handler_fn whose ctx is a struct
     * http_refusal; its route_ctx is the struct api). */
    const char *const *owner_prefixes;
    http_handler_fn refusal;
    /* NULL: the family has no API clients. */
    const struct api_client_kind *clients;
    /* Error spaces of the codes only it (or its services) produce, registered
     * before anything else runs; NULL-terminated, may be NULL. */
    const struct fg_error_space *const *error_spaces;
    /* Optional, on the main thread: before the server starts, after it stopped. */
    void (*init)(void);
    void (*fini)(void);
    /* Its sections of the bootstrap file, in the order they apply. */
    const struct api_bootstrap_section *bootstrap;
    int bootstrap_count;
};

#endif
