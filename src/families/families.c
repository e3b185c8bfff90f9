/* families.c - the list of API families; see families.h. */
#include "families/families.h"

#include <stddef.h>

#include "families/tradeboss.h"

const families_routes_fn families_routes[] = {
    tradeboss_routes,
    NULL,
};

void families_init(void)
{
    tradeboss_init();
}
