/*
 * tradeboss_codes.h - the TradeBoss family's codes: its own fg codes (an
 * error space of core/errors.h, for the answers no shared code means) and
 * its code map, the one table from fg codes to the vendor's US_ codes
 * (README "TradeBoss webhooks" mirrors it).
 *
 * Every TradeBoss answer is built from an fg code through tb_code_map: 0 is
 * "0" (success), a refusal its US_ code, an operating failure (no row)
 * US_9000001 "busy". HTTP status 200 for every row but the rate limit (429).
 */
#ifndef FG_TRADEBOSS_CODES_H
#define FG_TRADEBOSS_CODES_H

#include "api/family.h"
#include "core/errors.h"

#define FG_TB_ERROR_BASE (2 * FG_ERROR_SPACE_STRIDE)

/* X(NAME, http_status, "wire_name", "default text"); the status is the admin
 * shape's, for logs: TradeBoss answers through tb_code_map. */
#define FG_TB_ERRORS(X)                                                                            \
    X(ETB_CANCEL_REFUSED_BEFORE, 409, "adjustment_refused_before",                                 \
      "the adjustment was received but refused")                                                   \
    X(ETB_CANCEL_NEVER_RECEIVED, 404, "adjustment_never_received",                                 \
      "the adjustment was never received")                                                         \
    X(ETB_UNKNOWN_COMPANY, 404, "unknown_company", "no tradeboss client for the companyId")        \
    X(ETB_TOO_OLD, 400, "request_too_old", "the request's time is outside the window")             \
    X(ETB_CANCELLED_BEFORE, 409, "adjustment_cancelled_before",                                    \
      "the adjustment was cancelled before it arrived")                                            \
    X(ETB_CANCEL_MISMATCH, 409, "cancel_mismatch", "the cancel does not match the adjustment")     \
    X(ETB_THIRD_SERVER_CODE, 403, "third_server_code_mismatch",                                    \
      "thirdServerCode does not name the user's customer")                                         \
    X(ETB_CANCEL_OF_CANCEL, 409, "cancel_of_cancel", "reverseRequestUniqueNo is a cancel's number")

enum fg_tb_code {
    FG_TB_BEFORE_FIRST = FG_TB_ERROR_BASE - 1,
#define FG_X_ENUM(name, status, wire, text) FG_##name,
    FG_TB_ERRORS(FG_X_ENUM)
#undef FG_X_ENUM
        FG_TB_CODE_END
};

extern const struct fg_error_space tb_error_space;
extern const struct api_code_map tb_code_map;

/* The row answering fg (0 or negative). */
const struct api_code *tb_code(int fg);
/* An operating failure: answered US_9000001, never recorded as final. */
bool tb_code_busy(int fg);

#endif
