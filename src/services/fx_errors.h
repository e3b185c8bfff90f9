/*
 * fx_errors.h - the error codes only the FX core produces (EFX_*), as an
 * error space of core/errors.h (issue 12; issue 11: codes live with their
 * owner).
 *
 * Same row shape as core/errors.h: X(NAME, http_status, "wire_name", "text").
 * The numbers start at FG_FX_ERROR_BASE. Each FX family maps them to its own
 * codes in its code map; the admin plane answers them with the status and
 * name below. Every descriptor whose routes can meet one lists the space
 * (families/fx, the FX families, Funds through its conversions), so the
 * root registers it at start-up; until then they read as "internal".
 */
#ifndef FG_FX_ERRORS_H
#define FG_FX_ERRORS_H

#include "core/errors.h"

#define FG_FX_ERROR_BASE (4 * FG_ERROR_SPACE_STRIDE)

/* X(NAME, http_status, "wire_name", "default text") */
#define FG_FX_ERRORS(X)                                                                            \
    X(EFX_NO_RATE, 404, "fx_rate_not_found", "no rate for the currency pair")                      \
    X(EFX_RATE_STALE, 409, "fx_rate_stale", "the rate is older than its maximum age")              \
    X(EFX_SAME_CURRENCY, 400, "fx_same_currency", "sell and buy currencies are the same")          \
    X(EFX_VALUE_DATE, 409, "fx_value_date_unknown", "the calendars do not give a value date")      \
    X(EFX_QUOTE_UNKNOWN, 404, "fx_quote_not_found", "quote does not exist")                        \
    X(EFX_QUOTE_EXPIRED, 409, "fx_quote_expired", "quote has expired")                             \
    X(EFX_QUOTE_USED, 409, "fx_quote_used", "quote has already been used")                         \
    X(EFX_ORDER_EXISTS, 409, "fx_order_exists", "order id already used by another exchange")       \
    X(EFX_EXCHANGE_UNKNOWN, 404, "fx_exchange_not_found", "exchange does not exist")

enum fg_fx_code {
    FG_FX_BEFORE_FIRST = FG_FX_ERROR_BASE - 1,
#define FG_X_ENUM(name, status, wire, text) FG_##name,
    FG_FX_ERRORS(FG_X_ENUM)
#undef FG_X_ENUM
        FG_FX_CODE_END
};

/* The space, for a family's descriptor (api/family.h: error_spaces). */
extern const struct fg_error_space fx_error_space;

#endif
