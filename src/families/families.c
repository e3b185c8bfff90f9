/* families.c - the list of API families; see families.h. */
#include "families/families.h"

#include <stddef.h>

#include "families/funds.h"
#include "families/tradeboss.h"

const families_routes_fn families_routes[] = {
    tradeboss_routes,
    tradeboss_admin_routes,
    funds_routes,
    funds_admin_routes,
    NULL,
};

void families_init(void)
{
    tradeboss_init();
    funds_init();
}
