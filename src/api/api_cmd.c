/* api_cmd.c - commands handed to the engine's writer; see api_cmd.h. */
#include "api/api_cmd.h"

#include <stdlib.h>

#include "api/family.h"
#include "core/assert.h"
#include "core/log.h"

static void cmd_free(void *p)
{
    struct api_cmd *c = p;
    if (c->data_free)
        c->data_free(c->data);
    free(c);
}

static int cmd_run(struct engine_cmd *ec, struct store *s, int64_t now_ms)
{
    struct api_cmd *c = (struct api_cmd *)ec;
    return c->run(c, s, now_ms);
}

static void cmd_fail(struct api_cmd *c, int code)
{
    if (c->fail)
        c->fail(c, code);
    else
        http_req_error(c->req, code,
                       code == -FG_ESHUTDOWN     ? "server is shutting down"
                       : code == -FG_EOVERLOADED ? "engine queue is full, retry later"
                                                 : "the write could not be committed; nothing "
                                                   "was applied");
}

static void cmd_done(struct engine_cmd *ec, int status)
{
    struct api_cmd *c = (struct api_cmd *)ec;
    if (status < 0) {
        /* The batch did not commit: whatever run() answered did not happen. */
        fg_error(c->req->trace, "%s %s: batch not committed (%s), answered unavailable",
                 c->req->method, c->req->path, fg_code_name(status));
        free(c->req->resp_body);
        c->req->resp_body = NULL;
        c->req->resp_len = 0;
        c->req->resp_header_count = 0;
        cmd_fail(c, status == -FG_EBUSY ? -FG_EBUSY : -FG_ESTORE);
    } else {
        if (c->after_commit && c->ec.result >= 0)
            c->after_commit(c);
        fg_debug(c->req->trace, "%s %s: %s (%d)", c->req->method, c->req->path,
                 c->ec.result >= 0 ? "applied" : "refused", c->req->status);
    }
    http_req_complete(c->req);
}

struct api_cmd *api_cmd_new(struct api *api, const struct api_family *family, struct http_req *req,
                            api_cmd_run_fn run, size_t data_size)
{
    struct api_cmd *c = calloc(1, sizeof(*c) + data_size);
    FG_ASSERT(c != NULL); /* small and bounded: out of memory here is not survivable */
    c->ec.run = cmd_run;
    c->ec.done = cmd_done;
    c->api = api;
    c->family = family;
    c->req = req;
    c->run = run;
    c->fail = family ? family->envelope.unavailable : NULL;
    c->data = data_size ? (void *)(c + 1) : NULL;
    FG_ASSERT(req->user == NULL);
    req->user = c;
    req->user_free = cmd_free;
    return c;
}

int api_cmd_submit(struct api_cmd *c)
{
    int rc = engine_submit(c->api->engine, &c->ec);
    if (rc < 0) {
        cmd_fail(c, rc);
        return HTTP_DONE;
    }
    return HTTP_PENDING;
}
