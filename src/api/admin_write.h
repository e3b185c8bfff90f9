/*
 * admin_write.h - the one path of an admin write (issue 11): what used to be
 * ~40 near-copies of parse -> fields -> command -> audit -> answer in the
 * admin plane and the families' admin routes.
 *
 * A route describes its write in a struct api_admin_write and its handler is
 * one line: `return api_admin_write(ctx, req, &desc);`. The path:
 *
 *   HTTP thread  api_admin_allowed (401, 429) -> the body, strictly: a JSON
 *                object whose keys are the spec's names (any keys when
 *                any_keys) -> path parameters (never cut: 400 bad_field) ->
 *                fields (core/fields.h, in order; ctx of CUSTOM steps is the
 *                struct api) -> prepare -> submit a command with data_size
 *                bytes of zeroed data
 *   writer       run: do it (in the command's savepoint) and say the answer
 *                (status, JSON body) and the audit target -> the audit row
 *                -> the answer
 *
 * Refusals: before the command, the admin shape (http_req_error); in run,
 * desc->refuse when set (a family adding its own code to the admin shape),
 * else the admin shape. A refusal returns < 0 from run, so its savepoint is
 * rolled back: nothing of it stays.
 */
#ifndef FG_API_ADMIN_WRITE_H
#define FG_API_ADMIN_WRITE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api_cmd.h"
#include "core/fields.h"

#define API_ADMIN_FIELDS_MAX 24
#define API_AUDIT_TARGET_BYTES_MAX 300

/* A path parameter ({} segment i) copied into char[cap] at offset. */
struct api_param {
    const char *name; /* NULL ends a list */
    int index;
    size_t max_bytes, offset, cap;
};

/* What run says: the answer and the audit row. */
struct api_write_result {
    int status;                                  /* 200 or 201 */
    json_t *body;                                /* taken over; NULL: run answered itself */
    bool audit;                                  /* false: nothing to audit (nothing changed) */
    char target[API_AUDIT_TARGET_BYTES_MAX + 1]; /* the audit row's target */
    char *detail; /* malloc'd JSON text for the audit row's detail, or NULL (freed by the path) */
};

struct api_admin_write {
    const struct field_spec *fields;
    bool any_keys; /* the body's keys are checked by prepare (API clients) */
    bool empty_ok; /* an empty body reads as {} */
    const struct api_param *params;
    size_t data_size;
    /* Optional, on the HTTP thread after the fields: what needs more than a
     * field (cross-field rules, reads); a refusal is answered by the path. */
    int (*prepare)(struct api *api, struct http_req *req, json_t *body, void *data,
                   struct fg_err *err);
    int (*run)(struct api_cmd *c, struct store *s, int64_t now_ms, struct api_write_result *out,
               struct fg_err *err);
    void (*refuse)(struct http_req *req, int code, const struct fg_err *err);
    void (*data_free)(void *data);
    void (*after_commit)(struct api_cmd *c);
};

/* The handler of an admin write route: answers, or submits and returns
 * HTTP_PENDING. */
int api_admin_write(struct api *api, struct http_req *req, const struct api_admin_write *desc);

#endif
