/* fx_errors.c - the EFX_* error space; see fx_errors.h. */
#include "services/fx_errors.h"

static const struct fg_code_info rows[] = {
#define FG_X_ROW(name, status, wire, text) {status, wire, text},
    FG_FX_ERRORS(FG_X_ROW)
#undef FG_X_ROW
};

const struct fg_error_space fx_error_space = {
    .name = "fx",
    .base = FG_FX_ERROR_BASE,
    .count = (int)(sizeof(rows) / sizeof(rows[0])),
    .rows = rows,
};

_Static_assert(sizeof(rows) / sizeof(rows[0]) == FG_FX_CODE_END - FG_FX_ERROR_BASE,
               "one row per code");
