/* admin_write.c - the one path of an admin write; see admin_write.h. */
#include "api/admin_write.h"

#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/jsonx.h"

static void refuse(const struct api_admin_write *d, struct http_req *req, int code,
                   const struct fg_err *err)
{
    if (d->refuse)
        d->refuse(req, code, err);
    else
        http_req_error(req, code, err->msg[0] ? err->msg : fg_strerror(code));
}

/* On the writer: the write, its audit row, its answer. */
static int write_run(struct api_cmd *c, struct store *s, int64_t now_ms)
{
    const struct api_admin_write *d = c->spec;
    struct api_write_result out = {.status = 200, .audit = true};
    struct fg_err err = {0};
    int rc = d->run(c, s, now_ms, &out, &err);
    if (rc == 0 && out.audit)
        rc = out.detail ? api_audit_detail(s, c->req, out.target, out.detail, now_ms, &err)
                        : api_audit(s, c->req, out.target, now_ms, &err);
    free(out.detail);
    if (rc < 0) {
        json_decref(out.body);
        refuse(d, c->req, rc, &err);
        return rc;
    }
    if (out.body)
        api_respond_json(c->req, out.status, out.body);
    return 0;
}

static bool params_copy(struct http_req *req, const struct api_param *p, void *data)
{
    for (; p && p->name; p++)
        if (!api_param_copy(req, p->index, p->name, p->max_bytes, (char *)data + p->offset, p->cap))
            return false;
    return true;
}

int api_admin_write(struct api *api, struct http_req *req, const struct api_admin_write *d)
{
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    const char *keys[API_ADMIN_FIELDS_MAX];
    fields_keys(d->fields, keys, API_ADMIN_FIELDS_MAX);
    json_t *body = NULL;
    if (d->empty_ok && req->body_len == 0 && !(body = json_object())) {
        http_req_error(req, -FG_ENOMEM, "out of memory");
        return HTTP_DONE;
    }
    if (!body && api_parse_body(req, d->any_keys ? NULL : keys, &body) < 0)
        return HTTP_DONE;
    struct api_cmd *c = api_cmd_new(api, NULL, req, write_run, d->data_size);
    c->spec = d;
    c->data_free = d->data_free;
    c->after_commit = d->after_commit;
    struct fg_err err = {0};
    if (!params_copy(req, d->params, c->data)) {
        json_decref(body);
        return HTTP_DONE;
    }
    int rc = fields_read(body, d->fields, c->data, api, &err);
    if (rc == 0 && d->prepare)
        rc = d->prepare(api, req, body, c->data, &err);
    json_decref(body);
    if (rc < 0) {
        http_req_error(req, rc, err.msg[0] ? err.msg : fg_strerror(rc));
        return HTTP_DONE;
    }
    return api_cmd_submit(c);
}
