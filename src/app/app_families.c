/*
 * app_families.c - the list of families, and what the root builds from it:
 * the route table and the bootstrap sections; see app.h.
 */
#include "app/app.h"

#include "admin/admin.h"
#include "app/ops.h"
#include "core/assert.h"
#include "families/funds/funds.h"
#include "families/tradeboss/tradeboss.h"

/* The admin plane first: its sections (currencies, customers, ...) come
 * before every family's, and its routes before theirs. */
const struct api_family *const app_families[] = {
    &admin_family,
    &tradeboss_family,
    &funds_family,
    NULL,
};

static int routes_add(struct http_route *out, int n, int cap, const struct http_route *r, int count,
                      struct api *api)
{
    FG_ASSERT(n + count <= cap);
    for (int i = 0; i < count; i++) {
        out[n + i] = r[i];
        out[n + i].ctx = api;
    }
    return n + count;
}

int app_routes_build(struct api *api, struct http_route *out, int cap)
{
    int n = routes_add(out, 0, cap, app_ops_routes, app_ops_route_count, api);
    for (int i = 0; app_families[i]; i++) {
        const struct api_family *f = app_families[i];
        n = routes_add(out, n, cap, f->routes, f->route_count, api);
        n = routes_add(out, n, cap, f->admin_routes, f->admin_route_count, api);
    }
    for (int i = 0; app_families[i]; i++) {
        const struct api_family *f = app_families[i];
        for (int k = 0; f->owner_prefixes && f->owner_prefixes[k]; k++) {
            FG_ASSERT(n < cap && f->envelope.refusal);
            out[n++] =
                (struct http_route)HTTP_ROUTE_OWNER(f->owner_prefixes[k], f->envelope.refusal, api);
        }
    }
    return n;
}

int app_bootstrap_sections(struct api_bootstrap_section *out, int cap)
{
    int n = 0;
    for (int i = 0; app_families[i]; i++) {
        const struct api_family *f = app_families[i];
        FG_ASSERT(n + f->bootstrap_count < cap);
        for (int k = 0; k < f->bootstrap_count; k++)
            out[n++] = f->bootstrap[k];
    }
    out[n] = (struct api_bootstrap_section){NULL, NULL, NULL};
    return n;
}
