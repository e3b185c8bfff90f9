/*
 * errors.h - the one table of fundgate's error codes.
 *
 * Every action function returns 0 or a negative code from this table
 * (-FG_EINSUFFICIENT_FUNDS, ...). Each row names the code, the HTTP status the
 * admin plane answers with, the snake_case name that appears on the wire as
 * {"error":{"code":...}}, and a default text. API families map these codes to
 * their own in one table per family; nothing else invents error numbers.
 *
 * A caller that wants the detail passes a struct fg_err: a fixed-size buffer
 * the callee fills with a lowercase message saying what failed and on what.
 * Messages never contain secrets.
 */
#ifndef FG_ERRORS_H
#define FG_ERRORS_H

#include <stdarg.h>
#include <stddef.h>

/* X(NAME, http_status, "wire_name", "default text") */
#define FG_ERRORS(X)                                                                               \
    X(EBAD_REQUEST, 400, "bad_request", "bad request")                                             \
    X(EBAD_JSON, 400, "bad_json", "body is not valid json")                                        \
    X(EUNKNOWN_FIELD, 400, "unknown_field", "unknown field")                                       \
    X(EMISSING_FIELD, 400, "missing_field", "missing field")                                       \
    X(EBAD_FIELD, 400, "bad_field", "field has a bad value")                                       \
    X(EBAD_AMOUNT, 400, "bad_amount", "bad amount")                                                \
    X(EAMOUNT_ZERO, 400, "amount_not_positive", "amount must be greater than zero")                \
    X(EUNAUTHORIZED, 401, "unauthorized", "missing or wrong credentials")                          \
    X(EFORBIDDEN, 403, "forbidden", "not allowed")                                                 \
    X(ENOT_FOUND, 404, "not_found", "not found")                                                   \
    X(EUNKNOWN_CURRENCY, 404, "unknown_currency", "unknown currency")                              \
    X(EUNKNOWN_CUSTOMER, 404, "unknown_customer", "unknown customer")                              \
    X(EUNKNOWN_ACCOUNT, 404, "unknown_account", "unknown account")                                 \
    X(EMETHOD, 405, "method_not_allowed", "method not allowed")                                    \
    X(EIDEMPOTENCY_CONFLICT, 409, "idempotency_conflict",                                          \
      "request id already used with different content")                                            \
    X(EEXISTS, 409, "already_exists", "already exists with different content")                     \
    X(ECONSTRAINT, 409, "constraint", "unique constraint violated")                                \
    X(EINSUFFICIENT_FUNDS, 409, "insufficient_funds", "insufficient available balance")            \
    X(ECUSTOMER_INACTIVE, 409, "customer_not_active", "customer is not active")                    \
    X(EACCOUNT_INACTIVE, 409, "account_not_active", "account is not active")                       \
    X(ECURRENCY_MISMATCH, 409, "currency_mismatch", "accounts have different currencies")          \
    X(ESAME_ACCOUNT, 400, "same_account", "debit and credit account are the same")                 \
    X(EPENDING_NOT_FOUND, 404, "pending_not_found", "pending transfer not found")                  \
    X(EPENDING_RESOLVED, 409, "pending_already_resolved", "pending transfer already resolved")     \
    X(EPENDING_EXPIRED, 409, "pending_expired", "pending transfer expired")                        \
    X(EPENDING_AMOUNT, 409, "pending_amount_exceeded", "amount exceeds the pending amount")        \
    X(EOVERFLOW, 409, "overflow", "amount overflows")                                              \
    X(ELINKED_FAILED, 409, "linked_transfer_failed", "a transfer of the linked chain failed")      \
    X(ETOO_LARGE, 413, "too_large", "request too large")                                           \
    X(ETOO_DEEP, 400, "too_deep", "json nested too deeply")                                        \
    X(ELIMIT, 409, "limit_reached", "a configured maximum is reached")                             \
    X(ERATE_LIMITED, 429, "rate_limited", "too many requests")                                     \
    X(ENOMEM, 500, "out_of_memory", "out of memory")                                               \
    X(ESTORE, 500, "store_error", "store error")                                                   \
    X(EINTERNAL, 500, "internal", "internal error")                                                \
    X(ESEAL, 500, "seal_error", "a sealed secret cannot be sealed or opened")                      \
    X(EOVERLOADED, 503, "overloaded", "engine queue is full, retry later")                         \
    X(ESHUTDOWN, 503, "shutting_down", "server is shutting down")                                  \
    X(EBUSY, 503, "busy", "store is busy")                                                         \
    /* Funds family (issue 4): withdrawal orders; families/funds.c maps them to 110xxx. */         \
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
    X(EWD_IN_PROGRESS, 409, "in_progress", "the same request is being processed")                  \
    X(EWD_ORDER_UNKNOWN, 404, "order_not_found", "order does not exist")                           \
    X(EWD_ORDER_SERIAL, 400, "order_serial_invalid", "invalid order serial")                       \
    X(EWD_ORDER_STATE, 409, "order_state", "order is not in a state that allows this")             \
    X(EWD_NO_PERMISSION, 403, "no_permission", "no permission on this order")                      \
    X(EWD_APPEAL_DEADLINE, 409, "appeal_deadline", "the appeal window has closed")                 \
    X(EWD_APPEAL_AUTH, 403, "appeal_not_owner", "only the order's owner may appeal")               \
    X(EWD_BANK_NOT_APPROVED, 409, "bank_not_approved", "the order's bank record is not approved")  \
    X(EWD_FLOW_UNKNOWN, 400, "unknown_flow", "unknown fund flow")                                  \
    X(EWD_FLOW_TYPE, 409, "flow_type_mismatch", "account type does not match the flow")            \
    /* FX core (issue 12): services/fx.h; each FX family maps them to its codes. */                \
    X(EFX_NO_RATE, 404, "fx_rate_not_found", "no rate for the currency pair")                      \
    X(EFX_RATE_STALE, 409, "fx_rate_stale", "the rate is older than its maximum age")              \
    X(EFX_SAME_CURRENCY, 400, "fx_same_currency", "sell and buy currencies are the same")          \
    X(EFX_VALUE_DATE, 409, "fx_value_date_unknown", "the calendars do not give a value date")      \
    X(EFX_QUOTE_UNKNOWN, 404, "fx_quote_not_found", "quote does not exist")                        \
    X(EFX_QUOTE_EXPIRED, 409, "fx_quote_expired", "quote has expired")                             \
    X(EFX_QUOTE_USED, 409, "fx_quote_used", "quote has already been used")                         \
    X(EFX_ORDER_EXISTS, 409, "fx_order_exists", "order id already used by another exchange")       \
    X(EFX_EXCHANGE_UNKNOWN, 404, "fx_exchange_not_found", "exchange does not exist")

enum fg_code {
    FG_OK = 0,
#define FG_X_ENUM(name, status, wire, text) FG_##name,
    FG_ERRORS(FG_X_ENUM)
#undef FG_X_ENUM
        FG_CODE_COUNT
};

#define FG_ERR_MSG_MAX 256

/* Detail of a failure: the code and a message for humans. */
struct fg_err {
    int code; /* 0 or negative fg_code */
    char msg[FG_ERR_MSG_MAX];
};

/* Wire name ("insufficient_funds") of a code, positive or negative. */
const char *fg_code_name(int code);
/* Default text of a code. */
const char *fg_strerror(int code);
/* HTTP status the admin plane answers a code with. */
int fg_code_http_status(int code);

/* Fill err (may be NULL) and return the negative code: `return fg_fail(err, -FG_E..., "...")`. */
int fg_fail(struct fg_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fg_err_clear(struct fg_err *err);

#endif
