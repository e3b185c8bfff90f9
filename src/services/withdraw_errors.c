/* withdraw_errors.c - the EWD_* error space; see withdraw_errors.h. */
#include "services/withdraw_errors.h"

static const struct fg_code_info rows[] = {
#define FG_X_ROW(name, status, wire, text) {status, wire, text},
    FG_WD_ERRORS(FG_X_ROW)
#undef FG_X_ROW
};

const struct fg_error_space withdraw_error_space = {
    .name = "withdraw",
    .base = FG_WD_ERROR_BASE,
    .count = (int)(sizeof(rows) / sizeof(rows[0])),
    .rows = rows,
};

_Static_assert(sizeof(rows) / sizeof(rows[0]) == FG_WD_CODE_END - FG_WD_ERROR_BASE,
               "one row per code");

void withdraw_errors_register(void)
{
    fg_error_space_register(&withdraw_error_space);
}
