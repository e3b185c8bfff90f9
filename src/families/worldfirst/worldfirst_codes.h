/*
 * worldfirst_codes.h - the WorldFirst family's codes: its own fg codes (an
 * error space of core/errors.h, base 5, for the answers no shared code
 * means) and its code map, the one table from fg codes to WorldFirst's
 * resultCode (docs/protocols/worldfirst.md mirrors it).
 *
 * wf_code_of (worldfirst_wire.h) reads this map: 0 is SUCCESS, a refusal
 * its resultCode, an operating failure (no row: store, memory, overload,
 * shutdown) UNKNOWN_EXCEPTION (U). The resultStatus and the default message
 * of each resultCode are the wire's table (wf_codes). HTTP status 200 for
 * every row but the rate limit (429).
 */
#ifndef FG_WORLDFIRST_CODES_H
#define FG_WORLDFIRST_CODES_H

#include "api/family.h"
#include "core/errors.h"

#define FG_WF_ERROR_BASE (5 * FG_ERROR_SPACE_STRIDE)

/* X(NAME, http_status, "wire_name", "default text"); the status is the admin
 * shape's, for logs: WorldFirst answers through wf_code_map. */
#define FG_WF_ERRORS(X)                                                                            \
    X(EWF_UNKNOWN_CLIENT, 404, "unknown_client", "no worldfirst client for the client-id")         \
    X(EWF_DEAL_UNKNOWN, 404, "related_order_unknown", "the deal the exchange takes up is unknown")

enum fg_wf_code {
    FG_WF_BEFORE_FIRST = FG_WF_ERROR_BASE - 1,
#define FG_X_ENUM(name, status, wire, text) FG_##name,
    FG_WF_ERRORS(FG_X_ENUM)
#undef FG_X_ENUM
        FG_WF_CODE_END
};

extern const struct fg_error_space wf_error_space;
extern const struct api_code_map wf_code_map;

#endif
