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

/*
 * Amount text as a partner sends it (issue 11: the one reader of amount text
 * on the partner routes, which keep the text until they know the currency):
 * ^-?[0-9]{1,18}(\.[0-9]+)?$, the '-' only where the caller allows it (a
 * protocol that refuses negatives with a code of its own reads them first).
 */
#define MONEY_TEXT_BYTES_MAX 40 /* "-", 18 digits, ".", up to 19 fraction digits, NUL */

struct money_text {
    bool negative;
    int places;                      /* fraction digits as sent */
    char text[MONEY_TEXT_BYTES_MAX]; /* as sent, sign included */
};

/* Read n bytes of s. 0, or -FG_EBAD_AMOUNT (err says why) when it is not
 * such a text, has a '-' that negative_ok does not allow, or is
 * MONEY_TEXT_BYTES_MAX bytes or longer. */
int money_text_read(const char *s, size_t n, bool negative_ok, struct money_text *out,
                    struct fg_err *err);
/* Its value in minor units of a currency with `digits` fraction digits, the
 * sign applied. Places beyond `digits` are refused, unless zeros_ok and they
 * are all zeros ("100.00" is 100 JPY): -FG_EBAD_AMOUNT, as for a value that
 * does not fit int64. */
int money_text_minor(const struct money_text *t, int digits, bool zeros_ok, int64_t *out,
                     struct fg_err *err);
/* The canonical text of the value, for hashing: no leading zeros, no
 * trailing fraction zeros, no point without digits after it ("0100.50" is
 * "100.5", "-0.0" is "-0"). cap >= MONEY_TEXT_BYTES_MAX. */
void money_text_canon(const struct money_text *t, char *out, size_t cap);

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
