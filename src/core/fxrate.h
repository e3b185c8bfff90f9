/*
 * fxrate.h - exchange rates as exact decimals, and conversions at them.
 *
 * What it is for: the FX core (services/fx.h) and the Funds conversion keep
 * rates here. money.h's rates are int64 at a fixed 10^-10, which keeps only
 * six significant digits of a rate like 0.0000612345 (IDR in USD); a struct
 * fxrate is a decimal with its own number of decimal places:
 *
 *     value = units / 10^scale,  0 < units < 10^FXRATE_DIGITS_MAX,
 *                                0 <= scale <= FXRATE_DIGITS_MAX
 *
 * so every rate of up to 18 significant digits (and at most 18 decimal
 * places) is held exactly: at least 10 significant digits for every rate
 * down to 10^-8. A rate is kept canonical (no trailing zero in units when
 * scale > 0): equal values have equal fields.
 *
 * Conversions multiply or divide an int64 amount in minor units by a rate
 * with exactly one rounding, by the mode the caller names (money.h's
 * enum money_round; the customer receives amounts rounded DOWN and pays
 * amounts rounded UP). Products are taken in unsigned 128 bits, and the
 * powers of ten a quotient needs are applied by long division, so no
 * intermediate can overflow and no result that fits int64 is refused. No
 * float or double anywhere.
 *
 * Pure functions, no state, thread-safe. Arguments that come from code (a
 * rate that is not canonical and positive, digits out of range) are asserted;
 * what comes from input is refused with a code.
 */
#ifndef FG_FXRATE_H
#define FG_FXRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"
#include "core/limits.h"
#include "core/money.h"

#define FXRATE_DIGITS_MAX FG_FX_RATE_DIGITS_MAX
#define FXRATE_TEXT_BYTES_MAX 48 /* "0." 18 digits, or 18 digits and a point, NUL */

struct fxrate {
    int64_t units; /* 1 .. 10^18 - 1 */
    int scale;     /* decimal places, 0 .. 18 */
};

/* A positive decimal ^[0-9]+(\.[0-9]+)?$ with at most FXRATE_DIGITS_MAX
 * significant digits (leading zeros of the integer part not counted) and at
 * most FXRATE_DIGITS_MAX decimal places; trailing zeros are dropped ("7.7800"
 * is 7.78). Zero, signs, exponents and spaces are refused: -FG_EBAD_FIELD,
 * err naming `what`. */
int fxrate_parse(const char *s, size_t len, const char *what, struct fxrate *out,
                 struct fg_err *err);
/* The exact value, canonical ("7.78", "1", "0.8305804"); returns the length. */
size_t fxrate_format(struct fxrate r, char *buf, size_t cap);
/* A rate from a money.h rate (scaled by 10^MONEY_RATE_DIGITS, > 0). */
struct fxrate fxrate_from_money(int64_t money_rate);
/* r as a money.h rate (10^MONEY_RATE_DIGITS), rounded by mode; false when it
 * does not fit int64 or rounds to zero. */
bool fxrate_to_money(struct fxrate r, enum money_round mode, int64_t *out);
bool fxrate_valid(struct fxrate r);
/* units / 10^scale made canonical; false unless 0 < units < 10^18 and
 * 0 <= scale <= 18 (e.g. a stored row that is not a rate). */
bool fxrate_make(int64_t units, int scale, struct fxrate *out);
/* -1, 0, 1 as a < b, a == b, a > b. */
int fxrate_cmp(struct fxrate a, struct fxrate b);

/* num / den (both > 0) as the closest rate in direction mode with the most
 * decimal places that keep units below 10^18. False when the value is 10^18
 * or more, or rounds to zero. */
bool fxrate_from_ratio(money_i128 num, money_i128 den, enum money_round mode, struct fxrate *out);
/* (a + b) / 2, rounded half-even when it needs a 19th digit. */
struct fxrate fxrate_mid(struct fxrate a, struct fxrate b);
/* r * (10000 + bp) / 10000 (bp may be negative, > -10000), rounded by mode.
 * False when out of range. */
bool fxrate_adjust_bp(struct fxrate r, int64_t bp, enum money_round mode, struct fxrate *out);
/* 1 / r, rounded by mode. False when out of range. */
bool fxrate_invert(struct fxrate r, enum money_round mode, struct fxrate *out);

/* amount (minor units, from_digits) * r in minor units of to_digits, one
 * rounding by mode. -FG_EOVERFLOW when the result does not fit int64. */
int fxrate_convert(int64_t amount, int from_digits, struct fxrate r, int to_digits,
                   enum money_round mode, int64_t *out);
/* amount / r likewise. */
int fxrate_convert_inverse(int64_t amount, int from_digits, struct fxrate r, int to_digits,
                           enum money_round mode, int64_t *out);

#endif
