/*
 * withdraw_errors.h - the error codes only the withdrawal service and the
 * Funds family produce (EWD_*), as an error space of core/errors.h.
 *
 * Same row shape as core/errors.h: X(NAME, http_status, "wire_name", "text").
 * The numbers start at FG_WD_ERROR_BASE; families/funds maps them to the
 * vendor's 110xxx codes in its code table, and lists the space in its
 * descriptor, so the root registers it at start-up, before a request can
 * meet one of these codes; until then they read as "internal".
 */
#ifndef FG_WITHDRAW_ERRORS_H
#define FG_WITHDRAW_ERRORS_H

#include "core/errors.h"

#define FG_WD_ERROR_BASE (1 * FG_ERROR_SPACE_STRIDE)

/* X(NAME, http_status, "wire_name", "default text") */
#define FG_WD_ERRORS(X)                                                                            \
    X(EWD_EMPTY_BODY, 400, "empty_body", "request body is empty")                                  \
    X(EWD_UNKNOWN_APP, 404, "unknown_app", "app is not configured")                                \
    X(EWD_UNKNOWN_SOURCE, 400, "unknown_source", "unknown source")                                 \
    X(EWD_UNKNOWN_MODE, 400, "unknown_operation_mode", "unknown operation_mode_id")                \
    X(EWD_MODE_NOT_ALLOWED, 403, "operation_mode_not_allowed", "operation_mode_id not allowed")    \
    X(EWD_INITIATOR, 403, "initiator_invalid", "initiator does not exist or is not active")        \
    X(EWD_OPERATOR, 403, "operator_invalid", "invalid operator")                                   \
    X(EWD_OPERATOR_ACCOUNT_TYPE, 403, "operator_account_type",                                     \
      "operator may not create orders on this account type")                                       \
    X(EWD_INITIATOR_MISMATCH, 403, "initiator_mismatch", "initiator is not the account owner")     \
    X(EWD_OTHER_APP, 403, "customer_of_other_app", "customer belongs to another app")              \
    X(EWD_CUSTOMER_DISABLED, 409, "customer_disabled", "customer is disabled")                     \
    X(EWD_CUSTOMER_CANCELLED, 409, "customer_cancelled", "customer is cancelled")                  \
    X(EWD_WALLET_CURRENCY, 409, "account_currency_mismatch",                                       \
      "no account of that type in that currency")                                                  \
    X(EWD_TRADING_CURRENCY, 409, "trading_account_currency",                                       \
      "trading account does not hold that currency")                                               \
    X(EWD_AMOUNT_PRECISION, 400, "amount_precision", "amount has more digits than the currency")   \
    X(EWD_FLOW_FORBIDDEN, 403, "flow_forbidden", "this flow of funds is not allowed")              \
    X(EWD_NOT_DIGITAL, 400, "not_digital_currency", "no such digital currency")                    \
    X(EWD_CLEARING_MISSING, 400, "clearing_missing", "missing chain/clearing id or address")       \
    X(EWD_BANK_UNKNOWN, 404, "bank_unknown", "client bank record does not exist")                  \
    X(EWD_BANK_STATUS, 409, "bank_status", "client bank record is neither approved nor approving") \
    X(EWD_BANK_INCOMPLETE, 409, "bank_incomplete", "bank details are missing")                     \
    X(EWD_PAYEE, 409, "payee_mismatch", "payee does not exist or is not the account owner")        \
    X(EWD_PAYEE_CURRENCY, 409, "payee_currency", "currency differs from the payee's currency")     \
    X(EWD_THIRD_PARTY, 403, "third_party_forbidden", "third-party withdrawals are not allowed")    \
    X(EWD_BELOW_MIN, 409, "amount_below_min", "amount below the minimum withdrawal")               \
    X(EWD_ABOVE_MAX, 409, "amount_above_max", "amount above the maximum withdrawal")               \
    X(EWD_FEE_TOO_HIGH, 409, "fee_not_below_amount", "fee is not below the amount")                \
    X(EWD_FEE_OVER_AMOUNT, 409, "fee_over_amount", "fee sent is greater than the amount")          \
    X(EWD_FEE_MISMATCH, 409, "fee_mismatch", "fee sent differs from the computed fee")             \
    X(EWD_COOLDOWN, 409, "withdrawal_cooldown", "withdrawal cooling down, retry later")            \
    X(EWD_PENDING_REVIEW, 409, "withdrawal_pending_review", "a withdrawal is pending review")      \
    X(EWD_NO_RULE, 404, "rule_not_found", "no withdrawal rule for the currency")                   \
    X(EWD_NO_RATE, 404, "rate_not_found", "no rate for the currency pair")                         \
    X(EWD_VALUE_DAY, 409, "value_day_unknown", "the calendar does not reach the value day")        \
    X(EWD_ORDER_EXISTS, 409, "order_exists", "order exists")                                       \
    X(EWD_ORDER_UNKNOWN, 404, "order_not_found", "order does not exist")                           \
    X(EWD_ORDER_SERIAL, 400, "order_serial_invalid", "invalid order serial")                       \
    X(EWD_ORDER_STATE, 409, "order_state", "order is not in a state that allows this")             \
    X(EWD_NO_PERMISSION, 403, "no_permission", "no permission on this order")                      \
    X(EWD_APPEAL_DEADLINE, 409, "appeal_deadline", "the appeal window has closed")                 \
    X(EWD_APPEAL_AUTH, 403, "appeal_not_owner", "only the order's owner may appeal")               \
    X(EWD_BANK_NOT_APPROVED, 409, "bank_not_approved", "the order's bank record is not approved")  \
    X(EWD_FLOW_UNKNOWN, 400, "unknown_flow", "unknown fund flow")                                  \
    X(EWD_FLOW_TYPE, 409, "flow_type_mismatch", "account type does not match the flow")

enum fg_wd_code {
    FG_WD_BEFORE_FIRST = FG_WD_ERROR_BASE - 1,
#define FG_X_ENUM(name, status, wire, text) FG_##name,
    FG_WD_ERRORS(FG_X_ENUM)
#undef FG_X_ENUM
        FG_WD_CODE_END
};

/* The space, for a family's descriptor (api/family.h: error_spaces). */
extern const struct fg_error_space withdraw_error_space;
/* Make the codes known to fg_code_name and friends (idempotent). */
void withdraw_errors_register(void);

#endif
