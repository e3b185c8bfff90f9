/*
 * worldfirst_codes.c - the WorldFirst family's error space and code map; see
 * worldfirst_codes.h.
 */
#include "families/worldfirst/worldfirst_codes.h"

#include "services/fx_errors.h"

static const struct fg_code_info rows[] = {
#define FG_X_ROW(name, status, wire, text) {status, wire, text},
    FG_WF_ERRORS(FG_X_ROW)
#undef FG_X_ROW
};

const struct fg_error_space wf_error_space = {
    .name = "worldfirst",
    .base = FG_WF_ERROR_BASE,
    .count = (int)(sizeof(rows) / sizeof(rows[0])),
    .rows = rows,
};

_Static_assert(sizeof(rows) / sizeof(rows[0]) == FG_WF_CODE_END - FG_WF_ERROR_BASE,
               "one row per code");

#define WF_PARAM_TEXT                                                                              \
    "Illegal parameters exist. For example, a non-numeric input, or an invalid date."
#define WF_CURRENCY_TEXT "The currency is not supported."
#define WF_BUSINESS_TEXT "Unsupported business."
#define WF_QUOTE_TEXT "The quote is expired."
#define WF_DENIED_TEXT "Access is denied."
#define WF_CONTRACT_TEXT "The contract check has failed."

/* {fg code, resultCode, its default message, -, HTTP status} */
static const struct api_code codes[] = {
    {0, "SUCCESS", "success", NULL, 200},
    {API_CODE_UNMAPPED, "PROCESSING", "The settlement is being processed.", NULL, 200},
    {-FG_EBAD_REQUEST, "PARAM_ILLEGAL", WF_PARAM_TEXT, NULL, 200},
    {-FG_EBAD_JSON, "PARAM_ILLEGAL", WF_PARAM_TEXT, NULL, 200},
    {-FG_EUNKNOWN_FIELD, "PARAM_ILLEGAL", WF_PARAM_TEXT, NULL, 200},
    {-FG_EMISSING_FIELD, "PARAM_ILLEGAL", WF_PARAM_TEXT, NULL, 200},
    {-FG_EBAD_FIELD, "PARAM_ILLEGAL", WF_PARAM_TEXT, NULL, 200},
    {-FG_EBAD_AMOUNT, "PARAM_ILLEGAL", WF_PARAM_TEXT, NULL, 200},
    {-FG_EAMOUNT_ZERO, "PARAM_ILLEGAL", WF_PARAM_TEXT, NULL, 200},
    {-FG_EOVERFLOW, "PARAM_ILLEGAL", WF_PARAM_TEXT, NULL, 200},
    {-FG_ETOO_DEEP, "PARAM_ILLEGAL", WF_PARAM_TEXT, NULL, 200},
    {-FG_ETOO_LARGE, "PARAM_ILLEGAL", WF_PARAM_TEXT, NULL, 200},
    {-FG_EIDEMPOTENCY_CONFLICT, "PARAM_ILLEGAL", WF_PARAM_TEXT, NULL, 200},
    {-FG_EFX_QUOTE_UNKNOWN, "PARAM_ILLEGAL", WF_PARAM_TEXT, NULL, 200},
    {-FG_EFX_RATE_STALE, "PROCESS_FAIL", "A general business failure occurred. Do not retry.", NULL,
     200},
    {-FG_ERATE_LIMITED, "REQUEST_TRAFFIC_EXCEED_LIMIT", "The request traffic exceeds the limit.",
     NULL, 429},
    {-FG_ENOT_FOUND, "INVALID_API", "The called API is invalid or not active.", NULL, 200},
    {-FG_EWF_UNKNOWN_CLIENT, "INVALID_CLIENT", "The client is invalid.", NULL, 200},
    {-FG_EUNAUTHORIZED, "INVALID_SIGNATURE", "The signature is invalid.", NULL, 200},
    {-FG_EMETHOD, "METHOD_NOT_SUPPORTED",
     "The server does not implement the requested HTTP method.", NULL, 200},
    {-FG_ECUSTOMER_INACTIVE, "ACCESS_DENIED", WF_DENIED_TEXT, NULL, 200},
    {-FG_EFORBIDDEN, "ACCESS_DENIED", WF_DENIED_TEXT, NULL, 200},
    {-FG_EINSUFFICIENT_FUNDS, "BALANCE_INSUFFICIENT",
     "The balance is insufficient for the exchange.", NULL, 200},
    {-FG_EUNKNOWN_CUSTOMER, "AUTHORIZATION_NOT_EXIST", "The authorization does not exist.", NULL,
     200},
    {-FG_EFX_SAME_CURRENCY, "UN_SUPPORT_BUSINESS", WF_BUSINESS_TEXT, NULL, 200},
    {-FG_EFX_VALUE_DATE, "UN_SUPPORT_BUSINESS", WF_BUSINESS_TEXT, NULL, 200},
    {-FG_EFX_QUOTE_EXPIRED, "QUOTE_EXPIRED", WF_QUOTE_TEXT, NULL, 200},
    {-FG_EFX_QUOTE_USED, "QUOTE_EXPIRED", WF_QUOTE_TEXT, NULL, 200},
    {-FG_EWF_DEAL_UNKNOWN, "FX_RELATED_ORDER_NOT_EXIST", "The exchange order does not exist.", NULL,
     200},
    {-FG_EUNKNOWN_CURRENCY, "CURRENCY_NOT_SUPPORT", WF_CURRENCY_TEXT, NULL, 200},
    {-FG_EFX_NO_RATE, "CURRENCY_NOT_SUPPORT", WF_CURRENCY_TEXT, NULL, 200},
    {-FG_EUNKNOWN_ACCOUNT, "CONTRACT_CHECK_FAIL", WF_CONTRACT_TEXT, NULL, 200},
    {-FG_EACCOUNT_INACTIVE, "CONTRACT_CHECK_FAIL", WF_CONTRACT_TEXT, NULL, 200},
    {-FG_ECURRENCY_MISMATCH, "CONTRACT_CHECK_FAIL", WF_CONTRACT_TEXT, NULL, 200},
    {-FG_EFX_EXCHANGE_UNKNOWN, "ORDER_NOT_EXIST", "The order does not exist.", NULL, 200},
};

/* Operating errors (store, memory, overload, shutdown): nothing is known
 * to have been applied; the integrator inquires or sends the request again. */
static const struct api_code fallback = {-FG_EINTERNAL, "UNKNOWN_EXCEPTION",
                                         "API failed due to unknown reason.", NULL, 200};

const struct api_code_map wf_code_map = {
    .rows = codes,
    .count = (int)(sizeof(codes) / sizeof(codes[0])),
    .fallback = &fallback,
};
