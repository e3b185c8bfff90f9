/*
 * api_cmd.h - commands: how a handler hands a write to the engine's writer
 * (issue 11: formerly app_cmd).
 *
 * A handler that writes builds a struct api_cmd bound to its request, whose
 * run() executes on the engine's writer inside the batch transaction and
 * sets the response; the connection is resumed after the batch is durable
 * (engine.h). If the batch fails (or the engine refuses the command: queue
 * full, shutting down), fail() replaces the response with the family's
 * "unavailable" answer; without one the admin error shape says so.
 *
 * Ownership: the request owns the command (req->user, freed with it, after
 * data_free(data)). run, fail and after_commit run on the writer thread, or
 * fail on the handler's thread when the submit itself is refused.
 */
#ifndef FG_API_CMD_H
#define FG_API_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "engine/engine.h"
#include "http/http.h"

struct api_cmd;
struct api_family;
typedef int (*api_cmd_run_fn)(struct api_cmd *c, struct store *s, int64_t now_ms);
typedef void (*api_cmd_fail_fn)(struct api_cmd *c, int code);

struct api_cmd {
    struct engine_cmd ec; /* first: the engine hands this back */
    struct api *api;
    const struct api_family *family;
    struct http_req *req;
    api_cmd_run_fn run;
    api_cmd_fail_fn fail;                    /* NULL: admin error envelope */
    void (*after_commit)(struct api_cmd *c); /* optional, on the writer, batch durable */
    void *data;                              /* the handler's state, freed with the command */
    const void *spec;                        /* a generic runner's description (admin_write.h) */
    void (*data_free)(void *data);
};

/* A command of family bound to req (req->user owns it, freed when the
 * request ends); its fail is the family's envelope.unavailable (family NULL:
 * the admin plane, whose answers are the admin shape). data_size
 * bytes of zeroed state are allocated with it (c->data). Never NULL. */
struct api_cmd *api_cmd_new(struct api *api, const struct api_family *family, struct http_req *req,
                            api_cmd_run_fn run, size_t data_size);
/* Submit: returns HTTP_PENDING, or HTTP_DONE with an error answer set through
 * fail() (queue full, shutting down). */
int api_cmd_submit(struct api_cmd *c);

#endif
