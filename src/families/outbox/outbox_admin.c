/*
 * outbox_admin.c - GET /admin/v1/outbox and POST /admin/v1/outbox/{id}/retry
 * and the outbox's descriptor; see outbox.h. Reads run on the HTTP thread's read connection; a
 * retry is a writer command, audited with the row's notification id.
 */
#include "families/outbox/outbox_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/api_cmd.h"
#include "core/parse.h"
#include "services/withdraw_rules.h"
#include "services/outbox.h"
#include "store/store.h"

static json_t *time_or_null(int64_t ms)
{
    char buf[32];
    if (ms <= 0)
        return json_null();
    wd_timestamp_format(ms, buf);
    return json_string(buf);
}

static json_t *row_json(const struct outbox_row *r)
{
    json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "id", (json_int_t)r->id,
                          "notification_id", r->notification_id, "family", r->family, "client_key",
                          r->client_key, "kind", r->kind, "ref", r->ref, "url", r->url, "status",
                          outbox_status_names[r->status], "tries", r->tries);
    json_object_set_new(o, "next_try_at",
                        r->status == OUTBOX_PENDING ? time_or_null(r->next_ms) : json_null());
    json_object_set_new(o, "last_try_at", time_or_null(r->last_ms));
    json_object_set_new(o, "last_http", r->last_http ? json_integer(r->last_http) : json_null());
    json_object_set_new(o, "last_error", json_string(r->last_error));
    json_object_set_new(o, "created_at", time_or_null(r->created_ms));
    json_object_set_new(o, "done_at", time_or_null(r->done_ms));
    json_object_set_new(o, "body", json_stringn(r->body, r->body_len));
    return o;
}

struct page {
    json_t *arr;
    int64_t last;
};

static int page_row(void *ctx, const struct outbox_row *r)
{
    struct page *p = ctx;
    json_t *o = row_json(r);
    if (!o)
        return -FG_ENOMEM;
    json_array_append_new(p->arr, o);
    p->last = r->id;
    return 0;
}

static int status_query(struct http_req *req, int *status, struct fg_err *err)
{
    const char *v = NULL;
    int rc = http_req_query_once(req, "status", &v, err);
    *status = -1;
    for (int i = 0; rc == 0 && v && outbox_status_names[i]; i++)
        if (strcmp(v, outbox_status_names[i]) == 0)
            *status = i;
    if (rc == 0 && v && *status < 0)
        rc = fg_fail(err, -FG_EBAD_FIELD,
                     "query parameter 'status' must be pending, delivered or dead");
    return rc;
}

static int outbox_get_page(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    struct fg_err err = {0};
    int status = -1;
    int64_t after = 0, limit = 0;
    int rc = status_query(req, &status, &err);
    if (rc == 0)
        rc = http_req_query_int64(req, "after", 0, 0, INT64_MAX, &after, &err);
    if (rc == 0)
        rc = http_req_query_int64(req, "limit", FG_PAGE_LIMIT_DEFAULT, 1, FG_PAGE_LIMIT_MAX, &limit,
                                  &err);
    struct store *s = rc == 0 ? api_reader(api, &err) : NULL;
    if (rc == 0 && !s)
        rc = -FG_ESTORE;
    struct page p = {.arr = json_array()};
    bool more = false;
    if (rc == 0)
        rc = outbox_list(s, status, after, (int)limit, page_row, &p, &more, &err);
    if (rc < 0) {
        json_decref(p.arr);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    api_respond_json(req, 200,
                     json_pack("{s:o,s:o}", "notifications", p.arr, "next_after",
                               more ? json_integer(p.last) : json_null()));
    return HTTP_DONE;
}

static int retry_run(struct api_cmd *c, struct store *s, int64_t now_ms)
{
    int64_t id = *(int64_t *)c->data;
    struct fg_err err = {0};
    struct outbox_row r = {0};
    int rc = outbox_retry(s, id, now_ms, &err);
    if (rc == 0)
        rc = outbox_get(s, id, &r, &err);
    if (rc == 0)
        rc = api_audit(s, c->req, r.notification_id, now_ms, &err);
    if (rc < 0) {
        outbox_row_release(&r);
        http_req_error(c->req, rc, err.msg);
        return rc;
    }
    api_respond_json(c->req, 200, row_json(&r));
    outbox_row_release(&r);
    return 0;
}

static int outbox_retry_post(struct http_req *req, void *ctx)
{
    static const char *const keys[] = {NULL};
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    int64_t id = 0;
    if (parse_int64_text(req->params[0], 1, INT64_MAX, &id) < 0) {
        http_req_error(req, -FG_EBAD_FIELD, "path parameter 'id' must be an outbox row id");
        return HTTP_DONE;
    }
    if (req->body_len > 0) { /* an empty body or {} */
        json_t *body;
        if (api_parse_body(req, keys, &body) < 0)
            return HTTP_DONE;
        json_decref(body);
    }
    struct api_cmd *c = api_cmd_new(api, &outbox_family, req, retry_run, sizeof(int64_t));
    *(int64_t *)c->data = id;
    return api_cmd_submit(c);
}

static const struct http_route admin_routes[] = {
    {"GET", "/admin/v1/outbox", outbox_get_page, NULL, "admin_outbox_get"},
    {"POST", "/admin/v1/outbox/{}/retry", outbox_retry_post, NULL, "admin_outbox_retry_post"},
};

static int outbox_start(struct api *api, struct fg_err *err)
{
    return outbox_dispatcher_start(api->engine, api->cfg.db_uri, err);
}

const struct api_family outbox_family = {
    .name = "outbox",
    .admin_routes = admin_routes,
    .admin_route_count = (int)(sizeof(admin_routes) / sizeof(admin_routes[0])),
    .start = outbox_start,
    .stop = outbox_dispatcher_stop,
};
