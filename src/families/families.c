/* families.c - the list of API families; see families.h. */
#include "families/families.h"

#include <stddef.h>

const families_routes_fn families_routes[] = {
    NULL,
};

void families_init(void)
{
}
