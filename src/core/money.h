/*
 * money.h - exact amounts and rates.
 *
 * An amount is an int64_t count of minor units of one currency (USD 2 digits:
 * 10025 is "100.25"). A rate is an int64_t scaled by 10^MONEY_RATE_DIGITS
 * (7.78 is 77800000000). Nothing here uses float or double.
 *
 * Parsing is strict: ^[0-9]{1,18}(\.[0-9]+)?$ with no sign, exponent, spaces or
 * leading '+'; more fraction digits than the currency has is an error (never a
 * silent rounding); fewer are padded ("100" for USD is 10000). A value that
 * does not fit int64 is an error. Formatting always prints exactly `digits`
 * fraction digits, with a '-' for negative values (house accounts).
 *
 * Arithmetic is checked: every helper returns false (or a negative code) on
 * overflow instead of wrapping. Every rounding names its mode; conversions for
 * customers favour the house: the customer receives amounts rounded DOWN and
 * pays amounts rounded UP.
 *
 * Pure functions, no state, thread-safe.
 */
#ifndef FG_MONEY_H
#define FG_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

#define MONEY_INT_DIGITS_MAX 18 /* integer-part digits accepted by the parser */
#define MONEY_RATE_DIGITS 10    /* fraction digits of a rate */
#define MONEY_RATE_SCALE 10000000000LL
#define MONEY_FORMAT_BYTES_MAX 32 /* "-9223372036854775808" with point and NUL */

/* __int128 is a GNU extension; __extension__ keeps -Wpedantic quiet about it. */
__extension__ typedef __int128 money_i128;

enum money_round {
    MONEY_ROUND_DOWN,      /* toward zero: what a customer receives */
    MONEY_ROUND_UP,        /* away from zero: what a customer pays (fees) */
    MONEY_ROUND_FLOOR,     /* toward -infinity */
    MONEY_ROUND_CEIL,      /* toward +infinity */
    MONEY_ROUND_HALF_EVEN, /* banker's rounding: neutral reporting only */
};

/* Parse `len` bytes of s (not NUL-terminated necessarily) as an amount with
 * `digits` fraction digits (0..8). Returns 0 or -FG_EBAD_AMOUNT with err saying
 * why ("more than 2 fraction digits", "not a decimal number", ...). Zero parses
 * to 0; callers that need a positive amount check it themselves. */
int money_amount_parse(const char *s, size_t len, int digits, int64_t *out, struct fg_err *err);

/* Format v with exactly `digits` fraction digits into buf (cap >= MONEY_FORMAT_BYTES_MAX
 * is always enough). Returns the length written (excluding NUL). */
size_t money_amount_format(int64_t v, int digits, char *buf, size_t cap);

/* Checked arithmetic: true on success, false on overflow (out untouched). */
bool money_add(int64_t a, int64_t b, int64_t *out);
bool money_sub(int64_t a, int64_t b, int64_t *out);
bool money_mul(int64_t a, int64_t b, int64_t *out);

/* num / den rounded by mode, den != 0. False if the result does not fit int64. */
bool money_div_round(money_i128 num, money_i128 den, enum money_round mode, int64_t *out);

/* 10^n for 0 <= n <= 18. */
int64_t money_pow10(int n);

/* Rates: a positive decimal with at most MONEY_RATE_DIGITS fraction digits and
 * at most 8 integer digits ("7.7800", "0.0000000001"). Zero is refused. Returns 0
 * or -FG_EBAD_FIELD. */
int money_rate_parse(const char *s, size_t len, int64_t *out, struct fg_err *err);
/* Format with exactly `digits` fraction digits (<= MONEY_RATE_DIGITS), rounding
 * half-even if digits < MONEY_RATE_DIGITS. Returns length. */
size_t money_rate_format(int64_t rate, int digits, char *buf, size_t cap);
/* Mid rate of bid and ask, rounded half-even. */
int64_t money_rate_mid(int64_t bid, int64_t ask);

/* Convert `amount` (minor units, from_digits) at `rate` (units of the quote
 * currency per one unit of the base) into minor units with to_digits, rounded by
 * mode. Uses 128-bit products. Returns 0 or -FG_EOVERFLOW. */
int money_convert(int64_t amount, int from_digits, int64_t rate, int to_digits,
                  enum money_round mode, int64_t *out);
/* Inverse: amount in the quote currency to the base currency (divide by rate). */
int money_convert_inverse(int64_t amount, int from_digits, int64_t rate, int to_digits,
                          enum money_round mode, int64_t *out);

/* amount * bp / 10000 rounded by mode (fees: MONEY_ROUND_UP). 0 <= bp <= 10000. */
int money_basis_points(int64_t amount, int64_t bp, enum money_round mode, int64_t *out);

#endif
