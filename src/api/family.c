/* family.c - lookups in a family's code map; see family.h. */
#include "api/family.h"

#include <string.h>

#include "core/assert.h"

const struct api_code *api_code_of(const struct api_code_map *m, int fg)
{
    FG_ASSERT(fg <= 0 && m->fallback != NULL);
    for (int i = 0; i < m->count; i++)
        if (m->rows[i].fg == fg)
            return &m->rows[i];
    return m->fallback;
}

const struct api_code *api_code_by_wire(const struct api_code_map *m, const char *wire)
{
    for (int i = 0; i < m->count; i++)
        if (strcmp(m->rows[i].wire, wire) == 0)
            return &m->rows[i];
    if (strcmp(m->fallback->wire, wire) == 0)
        return m->fallback;
    return NULL;
}

bool api_code_is_fallback(const struct api_code_map *m, int fg)
{
    return api_code_of(m, fg) == m->fallback;
}

int api_code_status(const struct api_code *row, int fg)
{
    return row->http_status ? row->http_status : fg_code_http_status(fg);
}

const char *api_code_text(const struct api_code *row, bool zh)
{
    return zh && row->zh ? row->zh : row->en;
}
