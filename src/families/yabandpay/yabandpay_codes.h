/*
 * yabandpay_codes.h - the YabandPay family's codes: its own fg codes (an
 * error space of core/errors.h, for the answers no shared code means) and
 * its code map, the one table from fg codes to the vendor's codes
 * ("-3001", "-4110", ...; docs/protocols/yabandpay.md mirrors it).
 *
 * Every YabandPay answer is built from an fg code through yb_code_map: 0 is
 * "200" (success), a refusal its code, an operating failure (no row: store,
 * memory, overload, shutdown) "-1000". HTTP status 200 for every row but the
 * rate limit (429).
 */
#ifndef FG_YABANDPAY_CODES_H
#define FG_YABANDPAY_CODES_H

#include "api/family.h"
#include "core/errors.h"

#define FG_YB_ERROR_BASE (3 * FG_ERROR_SPACE_STRIDE)

/* X(NAME, http_status, "wire_name", "default text"); the status is the admin
 * shape's, for logs: YabandPay answers through yb_code_map. */
#define FG_YB_ERRORS(X)                                                                            \
    X(EYB_UNKNOWN_USER, 404, "unknown_merchant", "no yabandpay client for the user")               \
    X(EYB_BAD_TENOR, 400, "bad_tenor", "the tenor is not one the method takes")                    \
    X(EYB_UNKNOWN_METHOD, 400, "unknown_method", "unknown method")                                 \
    X(EYB_TIME, 400, "request_time_skew", "the request's time is too far from the server clock")

enum fg_yb_code {
    FG_YB_BEFORE_FIRST = FG_YB_ERROR_BASE - 1,
#define FG_X_ENUM(name, status, wire, text) FG_##name,
    FG_YB_ERRORS(FG_X_ENUM)
#undef FG_X_ENUM
        FG_YB_CODE_END
};

extern const struct fg_error_space yb_error_space;
extern const struct api_code_map yb_code_map;

/* The row answering fg (0 or negative). */
const struct api_code *yb_code(int fg);

#endif
