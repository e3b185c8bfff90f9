/*
 * app_families.c - the list of families, and what the root builds from it:
 * the route table and the bootstrap sections; see app.h.
 */
#include "app/app.h"

#include "admin/admin.h"
#include "app/ops.h"
#include "core/assert.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app/openapi.h"
#include "families/funds/funds.h"
#include "families/fx/fx.h"
#include "families/outbox/outbox.h"
#include "families/tradeboss/tradeboss.h"
#include "families/worldfirst/worldfirst.h"
#include "families/yabandpay/yabandpay.h"

/* The admin plane first: its sections (currencies, customers, ...) come
 * before every family's, and its routes before theirs. */
const struct api_family *const app_families[] = {
    &admin_family,     &tradeboss_family,  &funds_family,  &fx_family,
    &yabandpay_family, &worldfirst_family, &outbox_family, NULL,
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
    n = routes_add(out, n, cap, app_openapi_routes, app_openapi_route_count, api);
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
    out[n] = (struct api_bootstrap_section){NULL, NULL, NULL, NULL};
    return n;
}

const struct http_route *app_routes(int *count)
{
    static struct http_route routes[APP_ROUTES_MAX];
    static int n;
    if (n == 0)
        n = app_routes_build(NULL, routes, APP_ROUTES_MAX);
    *count = n;
    return routes;
}

/* The command named by argv[0] (and argv[1] for a two-word name), or NULL. */
static const struct api_command *command_find(int argc, char **argv, int *words)
{
    for (int i = 0; app_families[i]; i++) {
        const struct api_family *f = app_families[i];
        for (int k = 0; k < f->command_count; k++) {
            const char *name = f->commands[k].name, *space = strchr(name, ' ');
            size_t first = space ? (size_t)(space - name) : strlen(name);
            if (strncmp(argv[0], name, first) != 0 || argv[0][first] != '\0')
                continue;
            if (space && (argc < 2 || strcmp(argv[1], space + 1) != 0))
                continue;
            *words = space ? 2 : 1;
            return &f->commands[k];
        }
    }
    return NULL;
}

/* The first word of a two-word command without a second word it knows:
 * the usage of each such command; 0 after --help, else 2; -1 when argv[0]
 * is the first word of none. */
static int command_usage(int argc, char **argv)
{
    bool help = argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    int found = 0;
    for (int i = 0; app_families[i]; i++)
        for (int k = 0; k < app_families[i]->command_count; k++) {
            const struct api_command *x = &app_families[i]->commands[k];
            const char *space = strchr(x->name, ' ');
            size_t first = space ? (size_t)(space - x->name) : 0;
            if (!space || strncmp(argv[0], x->name, first) != 0 || argv[0][first] != '\0')
                continue;
            fprintf(help ? stdout : stderr, "usage: fundgate %s %s\n", x->name, x->usage);
            found++;
        }
    return found == 0 ? -1 : help ? 0 : 2;
}

void app_commands_usage(FILE *f)
{
    for (int i = 0; app_families[i]; i++)
        for (int k = 0; k < app_families[i]->command_count; k++)
            fprintf(f, "  %-18s %s\n", app_families[i]->commands[k].name,
                    app_families[i]->commands[k].help);
}

int app_command_run(int argc, char **argv)
{
    int words = 0;
    if (argc < 1)
        return -1;
    const struct api_command *c = command_find(argc, argv, &words);
    return c ? c->main(argc - words + 1, argv + words - 1) : command_usage(argc, argv);
}
