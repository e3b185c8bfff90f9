/*
 * yabandpay_codes.c - the YabandPay family's error space and code map; see
 * yabandpay_codes.h.
 */
#include "families/yabandpay/yabandpay_codes.h"

#include "services/fx_errors.h"

static const struct fg_code_info rows[] = {
#define FG_X_ROW(name, status, wire, text) {status, wire, text},
    FG_YB_ERRORS(FG_X_ROW)
#undef FG_X_ROW
};

const struct fg_error_space yb_error_space = {
    .name = "yabandpay",
    .base = FG_YB_ERROR_BASE,
    .count = (int)(sizeof(rows) / sizeof(rows[0])),
    .rows = rows,
};

_Static_assert(sizeof(rows) / sizeof(rows[0]) == FG_YB_CODE_END - FG_YB_ERROR_BASE,
               "one row per code");

#define YB_BAD_FIELD_TEXT "A field has a bad value"
#define YB_BAD_AMOUNT_TEXT "Bad amount"
#define YB_CURRENCY_TEXT "Currency or pair not supported"
#define YB_RATE_TEXT "No usable rate for the pair"
#define YB_ACCOUNT_TEXT "Account missing or not active"

/* {fg code, the vendor's code, its text, -, HTTP status} */
static const struct api_code codes[] = {
    {0, "200", "", NULL, 200},
    {-FG_EYB_UNKNOWN_USER, "-2001", "The UID not exist", NULL, 200},
    {-FG_EUNAUTHORIZED, "-403", "The signature Error", NULL, 200},
    {-FG_EMISSING_FIELD, "-3001", "Required field is missing", NULL, 200},
    {-FG_EBAD_REQUEST, "-3002", YB_BAD_FIELD_TEXT, NULL, 200},
    {-FG_EBAD_JSON, "-3002", YB_BAD_FIELD_TEXT, NULL, 200},
    {-FG_EUNKNOWN_FIELD, "-3002", YB_BAD_FIELD_TEXT, NULL, 200},
    {-FG_EBAD_FIELD, "-3002", YB_BAD_FIELD_TEXT, NULL, 200},
    {-FG_ETOO_DEEP, "-3002", YB_BAD_FIELD_TEXT, NULL, 200},
    {-FG_ETOO_LARGE, "-3002", YB_BAD_FIELD_TEXT, NULL, 200},
    {-FG_EBAD_AMOUNT, "-3003", YB_BAD_AMOUNT_TEXT, NULL, 200},
    {-FG_EAMOUNT_ZERO, "-3003", YB_BAD_AMOUNT_TEXT, NULL, 200},
    {-FG_EOVERFLOW, "-3003", YB_BAD_AMOUNT_TEXT, NULL, 200},
    {-FG_EYB_BAD_TENOR, "-3004", "Bad tenor", NULL, 200},
    {-FG_EYB_UNKNOWN_METHOD, "-3005", "Unknown method", NULL, 200},
    {-FG_EYB_TIME, "-4031", "Request time too far from the server clock", NULL, 200},
    {-FG_EIDEMPOTENCY_CONFLICT, "-4118", "Incorrect request ID", NULL, 200},
    {-FG_EUNKNOWN_CURRENCY, "-4101", YB_CURRENCY_TEXT, NULL, 200},
    {-FG_EFX_SAME_CURRENCY, "-4101", YB_CURRENCY_TEXT, NULL, 200},
    {-FG_EFX_NO_RATE, "-4102", YB_RATE_TEXT, NULL, 200},
    {-FG_EFX_RATE_STALE, "-4102", YB_RATE_TEXT, NULL, 200},
    {-FG_EFX_VALUE_DATE, "-4103", "No value date for the tenor", NULL, 200},
    {-FG_EFX_QUOTE_UNKNOWN, "-4110", "Quote does not exist", NULL, 200},
    {-FG_EFX_QUOTE_EXPIRED, "-4111", "Quote has expired", NULL, 200},
    {-FG_EFX_QUOTE_USED, "-4112", "Quote has already been used", NULL, 200},
    {-FG_EFX_ORDER_EXISTS, "-4113", "order_id already used by another trade", NULL, 200},
    {-FG_EINSUFFICIENT_FUNDS, "-4120", "Insufficient balance", NULL, 200},
    {-FG_EUNKNOWN_CUSTOMER, "-4121", YB_ACCOUNT_TEXT, NULL, 200},
    {-FG_EUNKNOWN_ACCOUNT, "-4121", YB_ACCOUNT_TEXT, NULL, 200},
    {-FG_ECUSTOMER_INACTIVE, "-4121", YB_ACCOUNT_TEXT, NULL, 200},
    {-FG_EACCOUNT_INACTIVE, "-4121", YB_ACCOUNT_TEXT, NULL, 200},
    {-FG_ECURRENCY_MISMATCH, "-4121", YB_ACCOUNT_TEXT, NULL, 200},
    {-FG_EFX_EXCHANGE_UNKNOWN, "-4122", "Trade does not exist", NULL, 200},
    {-FG_ERATE_LIMITED, "-4290", "Too many requests, retry later", NULL, 429},
};

/* Operating errors (store, memory, overload, shutdown): nothing was applied. */
static const struct api_code fallback = {-FG_EINTERNAL, "-1000", "Internal error", NULL, 200};

const struct api_code_map yb_code_map = {
    .rows = codes,
    .count = (int)(sizeof(codes) / sizeof(codes[0])),
    .fallback = &fallback,
};

const struct api_code *yb_code(int fg)
{
    return api_code_of(&yb_code_map, fg);
}
