/* families.c - the list of API families; see families.h. */
#include "families/families.h"

#include <stddef.h>

#include "families/funds.h"
#include "families/fx_admin.h"
#include "families/outbox_admin.h"
#include "families/tradeboss.h"
#include "families/worldfirst.h"
#include "families/yabandpay.h"

const families_routes_fn families_routes[] = {
    tradeboss_routes,   tradeboss_admin_routes, funds_routes,
    funds_admin_routes, fx_admin_routes,        yabandpay_routes,
    worldfirst_routes,  outbox_admin_routes,    NULL,
};

void families_init(void)
{
    tradeboss_init();
    funds_init();
    yabandpay_init();
    worldfirst_init();
}

int families_start(struct engine *e)
{
    if (fx_sweeper_start(e) < 0)
        return -1;
    return worldfirst_start(e);
}

void families_stop(void)
{
    fx_sweeper_stop();
    worldfirst_stop();
}
