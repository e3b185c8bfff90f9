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
 * calls init and fini, hands the periodic jobs to the engine, applies the
 * bootstrap sections in list order and dispatches the command-line commands
 * families add (fundgate rates, fundgate sign yabandpay). Adding a family = a
 * new directory and one line in that list (docs/ARCHITECTURE.md has the
 * checklist).
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

#include "api/api.h"
#include "api/api_cmd.h"
#include "core/errors.h"
#include "engine/engine.h"
#include "http/http.h"

/*
 * A family's code map: one row per fg code it answers (several rows may
 * carry the same wire code), the same shape for every family. An fg code no
 * row names is an operating failure (store, memory, overload): it gets the
 * fallback row. Rows with fg API_CODE_UNMAPPED document a wire code that no
 * fg code produces (found only by api_code_by_wire).
 */
#define API_CODE_UNMAPPED 1 /* never a code: fg codes are 0 or negative */

struct api_code {
    int fg;           /* 0 (success), a negative fg code, or API_CODE_UNMAPPED */
    const char *wire; /* the family's code as text: "US_1000001", "110001" */
    const char *en;   /* its message */
    const char *zh;   /* its message in Chinese, or NULL */
    int http_status;  /* of the answer carrying it; 0: the fg code's (fg_code_http_status) */
};

struct api_code_map {
    const struct api_code *rows;
    int count;
    const struct api_code *fallback; /* for a code no row maps */
};

/* The row for fg (0 or negative): the first row naming it, else the fallback. */
const struct api_code *api_code_of(const struct api_code_map *m, int fg);
/* The first row with that wire code, or NULL. */
const struct api_code *api_code_by_wire(const struct api_code_map *m, const char *wire);
/* True when fg has no row of its own (it answers the fallback). */
bool api_code_is_fallback(const struct api_code_map *m, int fg);
/* The HTTP status of an answer carrying row for fg. */
int api_code_status(const struct api_code *row, int fg);
/* The row's message, in Chinese when zh and it has one. */
const char *api_code_text(const struct api_code *row, bool zh);

/* A section of the --bootstrap file the family owns: each item of the array
 * under `key` is sent as the body of `method path` (an internal request);
 * "{field}" in the path takes the item's field (removed from the body). An
 * item's file_field (optional) names a file: a relative path is taken from
 * the bootstrap file's directory. */
struct api_bootstrap_section {
    const char *key;
    const char *method;
    const char *path;
    const char *file_field; /* NULL: none */
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

/* How a family answers, in its own shape (its "envelope"). The admin plane
 * has none: its answers are {"error":{...}} and plain JSON (api.h). */
struct api_envelope {
    /* Answer req on the HTTP thread: code 0 is success with data (a
     * reference taken over, may be NULL), a negative code a refusal, the
     * detail in err (may be NULL). */
    void (*answer)(struct http_req *req, int code, json_t *data, const struct fg_err *err);
    /* A command of the family could not run or commit: nothing was applied
     * (the default fail of api_cmd_new, api_cmd.h). */
    api_cmd_fail_fn unavailable;
    /* The transport's own refusals under owner_prefixes (404, 405, 413, 414,
     * a malformed head): an http_handler_fn whose ctx is a struct
     * http_refusal; its route_ctx is the struct api. */
    http_handler_fn refusal;
};

/* A command of the command line the family adds (main.c knows no family):
 * `fundgate <name> ...`, where name is one word ("rates") or two ("sign
 * yabandpay": a command several families share, told apart by the second
 * word). main gets the arguments from the last word of name on (argv[0] is
 * that word) and returns the exit code; it runs without a server. */
struct api_command {
    const char *name;
    const char *usage; /* its arguments after the name: "load FILE [--source S]" */
    const char *help;  /* one line for `fundgate --help` */
    int (*main)(int argc, char **argv);
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
     * transport's own refusals there are rendered by envelope.refusal. */
    const char *const *owner_prefixes;
    struct api_envelope envelope;
    /* Refusals on its admin routes (NULL: the admin shape, http_req_error). */
    void (*admin_refuse)(struct http_req *req, int code, const struct fg_err *err);
    /* How its answers name fg codes (NULL: the admin shape, fg_code_name). */
    const struct api_code_map *codes;
    /* NULL: the family has no API clients. */
    const struct api_client_kind *clients;
    /* Error spaces of the codes only it (or its services) produce, registered
     * before anything else runs; NULL-terminated, may be NULL. */
    const struct fg_error_space *const *error_spaces;
    /* Periodic jobs of the writer (engine.h), added when the engine starts. */
    const struct engine_job *const *jobs; /* NULL-terminated, may be NULL */
    /* Optional, on the main thread: before the server starts, after it stopped. */
    void (*init)(void);
    void (*fini)(void);
    /* Optional, on the main thread: once the engine runs (api->engine set),
     * before the server listens, to start threads of the family's own (never
     * the writer); < 0 stops the start (err says why). stop: before the
     * engine stops, also after a failed start (idempotent). */
    int (*start)(struct api *api, struct fg_err *err);
    void (*stop)(void);
    /* Its sections of the bootstrap file, in the order they apply. */
    const struct api_bootstrap_section *bootstrap;
    int bootstrap_count;
    /* Its commands of the command line (fundgate <name>). */
    const struct api_command *commands;
    int command_count;
};

#endif
