/* errors.c - lookups over the FG_ERRORS table; see errors.h. */
#include "core/errors.h"

#include <stdio.h>
#include <string.h>

struct code_row {
    int status;
    const char *wire;
    const char *text;
};

static const struct code_row rows[FG_CODE_COUNT] = {[FG_OK] = {200, "ok", "ok"},
#define FG_X_ROW(name, status, wire, text) [FG_##name] = {status, wire, text},
                                                    FG_ERRORS(FG_X_ROW)
#undef FG_X_ROW
};

static const struct code_row *row_of(int code)
{
    if (code < 0)
        code = -code;
    if (code >= FG_CODE_COUNT)
        code = FG_EINTERNAL;
    return &rows[code];
}

const char *fg_code_name(int code)
{
    return row_of(code)->wire;
}

const char *fg_strerror(int code)
{
    return row_of(code)->text;
}

int fg_code_http_status(int code)
{
    return row_of(code)->status;
}

int fg_fail(struct fg_err *err, int code, const char *fmt, ...)
{
    if (code > 0)
        code = -code;
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

void fg_err_clear(struct fg_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}
