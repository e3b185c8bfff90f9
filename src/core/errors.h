/*
 * errors.h - the one table of fundgate's error codes.
 *
 * Every action function returns 0 or a negative code from this table
 * (-FG_EINSUFFICIENT_FUNDS, ...) or from a registered error space. Each row
 * names the code, the HTTP status the admin plane answers with, the
 * snake_case name that appears on the wire as {"error":{"code":...}}, and a
 * default text. API families map these codes to their own in one table per
 * family (api/family.h); nothing else invents error numbers.
 *
 * Error spaces: codes that only one service or family produces (the
 * withdrawal service's EWD_*, TradeBoss's ETB_*) live beside it, in an
 * X-macro table of the same shape whose numbers start at the space's base
 * (a multiple of FG_ERROR_SPACE_STRIDE, at least one stride above this
 * table). The owner registers its space once at start, before any thread
 * can see its codes (fg_error_space_register); after that fg_code_name,
 * fg_strerror and fg_code_http_status answer for them as for these. A code
 * of no registered space reads as EINTERNAL. At most FG_ERROR_SPACES_MAX
 * spaces (limits.h).
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
    X(EIN_PROGRESS, 409, "in_progress", "the same request is being processed")                     \
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
    X(EBUSY, 503, "busy", "store is busy")

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

/* One row of an error table, for error spaces. */
struct fg_code_info {
    int status;       /* HTTP status on the admin plane */
    const char *wire; /* snake_case name */
    const char *text; /* default text */
};

#define FG_ERROR_SPACE_STRIDE 1000

struct fg_error_space {
    const char *name; /* for messages: "withdraw" */
    int base;         /* the first code, a positive multiple of FG_ERROR_SPACE_STRIDE */
    int count;        /* rows; base + count <= base + FG_ERROR_SPACE_STRIDE */
    const struct fg_code_info *rows;
};

/* Register a space (static storage). Idempotent for the same space; a second
 * space over the same numbers, or more than FG_ERROR_SPACES_MAX, is a
 * programmer error (asserted). Call before the threads that use its codes
 * start (start-up, single-threaded). */
void fg_error_space_register(const struct fg_error_space *space);

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
