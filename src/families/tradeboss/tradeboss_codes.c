/* tradeboss_codes.c - the TradeBoss error space and code map; see tradeboss_codes.h. */
#include "families/tradeboss/tradeboss_codes.h"

static const struct fg_code_info rows[] = {
#define FG_X_ROW(name, status, wire, text) {status, wire, text},
    FG_TB_ERRORS(FG_X_ROW)
#undef FG_X_ROW
};

_Static_assert(sizeof(rows) / sizeof(rows[0]) == FG_TB_CODE_END - FG_TB_ERROR_BASE,
               "one row per code");

const struct fg_error_space tb_error_space = {
    .name = "tradeboss",
    .base = FG_TB_ERROR_BASE,
    .count = (int)(sizeof(rows) / sizeof(rows[0])),
    .rows = rows,
};

#define TB_PARAM "US_1000001", "parameter error", NULL, 200
#define TB_AUTH "US_1000003", "signature refused or address not allowed", NULL, 200
#define TB_UNKNOWN_ACCOUNT "US_2000002", "unknown currency or account", NULL, 200
#define TB_INACTIVE "US_2000007", "customer or account not active", NULL, 200

/* Domain errors (fg codes) to this family's codes: the one mapping. */
static const struct api_code codes[] = {
    {0, "0", "success", NULL, 200},
    {-FG_ETB_CANCEL_REFUSED_BEFORE, "US_0000001",
     "the adjustment was received but refused; nothing was moved", NULL, 200},
    {-FG_ETB_CANCEL_NEVER_RECEIVED, "US_0000002",
     "the adjustment was never received; it is now fenced off", NULL, 200},
    {-FG_EBAD_REQUEST, TB_PARAM},
    {-FG_EBAD_JSON, TB_PARAM},
    {-FG_EUNKNOWN_FIELD, TB_PARAM},
    {-FG_EMISSING_FIELD, TB_PARAM},
    {-FG_EBAD_FIELD, TB_PARAM},
    {-FG_EBAD_AMOUNT, TB_PARAM},
    {-FG_EAMOUNT_ZERO, TB_PARAM},
    {-FG_ETOO_DEEP, TB_PARAM},
    {-FG_ETOO_LARGE, TB_PARAM},
    {-FG_EOVERFLOW, TB_PARAM},
    {-FG_ETB_UNKNOWN_COMPANY, "US_1000002", "unknown company", NULL, 200},
    {-FG_EUNAUTHORIZED, TB_AUTH},
    {-FG_EFORBIDDEN, TB_AUTH},
    {-FG_ETB_TOO_OLD, "US_1000004", "request too old", NULL, 200},
    {-FG_ERATE_LIMITED, "US_1000005", "rate limit exceeded; nothing was applied, retry later", NULL,
     429},
    {-FG_EUNKNOWN_CUSTOMER, "US_2000001", "unknown user", NULL, 200},
    {-FG_EUNKNOWN_CURRENCY, TB_UNKNOWN_ACCOUNT},
    {-FG_EUNKNOWN_ACCOUNT, TB_UNKNOWN_ACCOUNT},
    {-FG_ECURRENCY_MISMATCH, TB_UNKNOWN_ACCOUNT},
    {-FG_EINSUFFICIENT_FUNDS, "US_2000003", "insufficient balance", NULL, 200},
    {-FG_EIDEMPOTENCY_CONFLICT, "US_2000004", "requestUniqueNo already used with different content",
     NULL, 200},
    {-FG_ETB_CANCELLED_BEFORE, "US_2000005", "the adjustment was cancelled before it arrived", NULL,
     200},
    {-FG_ETB_CANCEL_MISMATCH, "US_2000006", "the cancel does not match the adjustment", NULL, 200},
    {-FG_ECUSTOMER_INACTIVE, TB_INACTIVE},
    {-FG_EACCOUNT_INACTIVE, TB_INACTIVE},
    {-FG_ETB_THIRD_SERVER_CODE, "US_2000008", "thirdServerCode does not name the user's customer",
     NULL, 200},
    {-FG_ETB_CANCEL_OF_CANCEL, "US_2000009",
     "reverseRequestUniqueNo is a cancel's number, not an adjustment's; nothing was done", NULL,
     200},
};

/* Operating errors: store, memory, overload, shutdown. */
static const struct api_code busy = {API_CODE_UNMAPPED, "US_9000001",
                                     "server busy; nothing was applied, retry", NULL, 200};

const struct api_code_map tb_code_map = {
    .rows = codes,
    .count = (int)(sizeof(codes) / sizeof(codes[0])),
    .fallback = &busy,
};

const struct api_code *tb_code(int fg)
{
    return api_code_of(&tb_code_map, fg);
}

bool tb_code_busy(int fg)
{
    return api_code_is_fallback(&tb_code_map, fg);
}
