/* families.c - the list of API families; see families.h. */
#include "families/families.h"

#include <stddef.h>

#include "families/funds.h"

const families_routes_fn families_routes[] = {
    funds_routes,
    funds_admin_routes,
    NULL,
};

void families_init(void)
{
    funds_init();
}
