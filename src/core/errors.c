/* errors.c - lookups over the FG_ERRORS table and the error spaces; see errors.h. */
#include "core/errors.h"

#include <stdio.h>
#include <string.h>

#include "core/assert.h"
#include "core/limits.h"

static const struct fg_code_info rows[FG_CODE_COUNT] = {[FG_OK] = {200, "ok", "ok"},
#define FG_X_ROW(name, status, wire, text) [FG_##name] = {status, wire, text},
                                                        FG_ERRORS(FG_X_ROW)
#undef FG_X_ROW
};

static_assert(FG_CODE_COUNT < FG_ERROR_SPACE_STRIDE, "the core table stays below every space");

/* Written at start-up only (single-threaded), read afterwards without a lock. */
static const struct fg_error_space *spaces[FG_ERROR_SPACES_MAX];
static int space_count;

void fg_error_space_register(const struct fg_error_space *space)
{
    FG_ASSERT(space->base >= FG_ERROR_SPACE_STRIDE && space->base % FG_ERROR_SPACE_STRIDE == 0);
    FG_ASSERT(space->count > 0 && space->count <= FG_ERROR_SPACE_STRIDE);
    for (int i = 0; i < space_count; i++) {
        if (spaces[i] == space)
            return;
        FG_ASSERT(spaces[i]->base != space->base); /* two owners of the same numbers */
    }
    FG_ASSERT(space_count < FG_ERROR_SPACES_MAX);
    spaces[space_count++] = space;
}

static const struct fg_code_info *row_of(int code)
{
    if (code < 0)
        code = -code;
    if (code < FG_CODE_COUNT)
        return &rows[code];
    for (int i = 0; i < space_count; i++) {
        const struct fg_error_space *sp = spaces[i];
        if (code >= sp->base && code < sp->base + sp->count)
            return &sp->rows[code - sp->base];
    }
    return &rows[FG_EINTERNAL];
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
