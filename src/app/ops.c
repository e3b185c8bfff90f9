/* ops.c - the operations routes; see ops.h. */
#include "app/ops.h"

#include "api/api.h"
#include "core/metrics.h"
#include "engine/engine.h"
#include "store/store.h"

static int ops_healthz(struct http_req *req, void *ctx)
{
    (void)ctx;
    http_req_respond_copy(req, 200, "{\"status\":\"ok\"}", 15);
    return HTTP_DONE;
}

static int ops_readyz(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    struct fg_err err;
    struct store *s = api_reader(api, &err);
    int64_t one = 0;
    if (__atomic_load_n(&api->draining, __ATOMIC_RELAXED))
        http_req_error(req, -FG_ESHUTDOWN, "server is draining");
    else if (!s || store_query_int(s, "SELECT 1", STORE_NOARGS, &one, &err) < 0)
        http_req_error(req, -FG_ESTORE, "store is not reachable");
    else
        http_req_respond_copy(req, 200, "{\"status\":\"ready\"}", 18);
    return HTTP_DONE;
}

static int ops_metrics(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    metrics_queue_depth_set(engine_queue_depth(api->engine));
    size_t len = 0;
    char *text = metrics_render(&len);
    if (!text) {
        http_req_error(req, -FG_ENOMEM, "out of memory rendering metrics");
        return HTTP_DONE;
    }
    req->content_type = "text/plain; version=0.0.4";
    http_req_respond(req, 200, text, len);
    return HTTP_DONE;
}

const struct http_route app_ops_routes[] = {
    {"GET", "/healthz", ops_healthz, NULL, "healthz"},
    {"GET", "/readyz", ops_readyz, NULL, "readyz"},
    {"GET", "/metrics", ops_metrics, NULL, "metrics"},
};

const int app_ops_route_count = (int)(sizeof(app_ops_routes) / sizeof(app_ops_routes[0]));
