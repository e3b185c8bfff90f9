/*
 * fxrate.c - exact decimal rates; the contract is fxrate.h.
 *
 * Every quotient goes through one routine, muldiv(): num * 10^e / den in
 * unsigned 128 bits with e applied by long division (one decimal digit per
 * step, at most 64 steps), then exactly one rounding by the caller's mode.
 * Operands stay far below 2^128: an amount is below 2^63, rate units below
 * 10^18 < 2^60, and a denominator at most 10^26 or units * 10^8 (< 2^87), so
 * the remainder times ten always fits.
 *
 * Decisions:
 * - A rate keeps at most 18 significant digits and 18 decimal places (units
 *   below 10^18): it fits int64, a product with an amount fits 128 bits, and
 *   it is far more than any price source quotes.
 * - Trailing zeros are dropped on parse ("7.7800" is 7.78): one value, one
 *   representation, so stored rates compare by their fields.
 * - A quotient that rounds to zero is no rate (false), never a zero rate.
 */
#include "core/fxrate.h"

#include <string.h>

#include "core/assert.h"

__extension__ typedef unsigned __int128 u128;

#define TEN18 1000000000000000000LL
#define LONGDIV_STEPS_MAX 64

static u128 pow10_u128(int n)
{
    FG_ASSERT(n >= 0 && n <= 36);
    u128 p = 1;
    for (int i = 0; i < n; i++)
        p *= 10;
    return p;
}

static struct fxrate normalize(struct fxrate r)
{
    while (r.scale > 0 && r.units % 10 == 0) {
        r.units /= 10;
        r.scale--;
    }
    return r;
}

bool fxrate_valid(struct fxrate r)
{
    return r.units > 0 && r.units < TEN18 && r.scale >= 0 && r.scale <= FXRATE_DIGITS_MAX &&
           (r.scale == 0 || r.units % 10 != 0);
}

bool fxrate_make(int64_t units, int scale, struct fxrate *out)
{
    if (units <= 0 || units >= TEN18 || scale < 0 || scale > FXRATE_DIGITS_MAX)
        return false;
    *out = normalize((struct fxrate){.units = units, .scale = scale});
    return true;
}

/* |num| * 10^e / den, rounded by mode for a result of sign neg; false when
 * it exceeds INT64_MAX. e may be negative (then den grows). */
static bool muldiv(bool neg, u128 num, int e, u128 den, enum money_round mode, int64_t *out)
{
    const u128 limit = INT64_MAX;
    FG_ASSERT(den > 0);
    if (e < 0) {
        FG_ASSERT(-e <= 28 && den < ((u128)1 << 64));
        den *= pow10_u128(-e);
        e = 0;
    }
    FG_ASSERT(e <= LONGDIV_STEPS_MAX && den < ((u128)1 << 120));
    u128 q = num / den, r = num % den;
    if (q > limit)
        return false;
    for (int i = 0; i < e; i++) {
        u128 t = r * 10;
        q = q * 10 + t / den;
        r = t % den;
        if (q > limit)
            return false;
    }
    if (r != 0) {
        switch (mode) {
        case MONEY_ROUND_DOWN:
            break;
        case MONEY_ROUND_UP:
            q++;
            break;
        case MONEY_ROUND_FLOOR:
            q += neg;
            break;
        case MONEY_ROUND_CEIL:
            q += !neg;
            break;
        case MONEY_ROUND_HALF_EVEN: {
            u128 rest = den - r;
            if (r > rest || (r == rest && (q & 1)))
                q++;
            break;
        }
        default:
            FG_ASSERT(!"unknown rounding mode");
        }
    }
    if (q > limit)
        return false;
    *out = neg ? -(int64_t)q : (int64_t)q;
    return true;
}

static u128 magnitude(int64_t v)
{
    return v < 0 ? (u128)0 - (u128)(money_i128)v : (u128)v;
}

int fxrate_parse(const char *s, size_t len, const char *what, struct fxrate *out,
                 struct fg_err *err)
{
    size_t i = 0, int_start = 0, frac_start = 0, frac_len = 0;
    if (!s || len == 0)
        return fg_fail(err, -FG_EBAD_FIELD, "%s is empty", what);
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == 0)
        return fg_fail(err, -FG_EBAD_FIELD, "%s is not a decimal number", what);
    size_t int_end = i;
    if (i < len && s[i] == '.') {
        frac_start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        frac_len = i - frac_start;
        if (frac_len == 0)
            return fg_fail(err, -FG_EBAD_FIELD, "%s has no digits after the decimal point", what);
    }
    if (i != len)
        return fg_fail(err, -FG_EBAD_FIELD, "%s is not a decimal number", what);
    while (int_start < int_end && s[int_start] == '0')
        int_start++;
    while (frac_len > 0 && s[frac_start + frac_len - 1] == '0')
        frac_len--;
    if (frac_len > FXRATE_DIGITS_MAX || (int_end - int_start) + frac_len > FXRATE_DIGITS_MAX)
        return fg_fail(err, -FG_EBAD_FIELD,
                       "%s has more than %d significant digits or decimal places", what,
                       FXRATE_DIGITS_MAX);
    int64_t units = 0; /* at most 18 digits: below 10^18 */
    for (size_t k = int_start; k < int_end; k++)
        units = units * 10 + (s[k] - '0');
    for (size_t k = 0; k < frac_len; k++)
        units = units * 10 + (s[frac_start + k] - '0');
    if (units == 0)
        return fg_fail(err, -FG_EBAD_FIELD, "%s must be greater than zero", what);
    *out = normalize((struct fxrate){.units = units, .scale = (int)frac_len});
    return 0;
}

size_t fxrate_format(struct fxrate r, char *buf, size_t cap)
{
    char digits[24];
    FG_ASSERT(fxrate_valid(r) && cap >= FXRATE_TEXT_BYTES_MAX);
    size_t n = 0;
    for (int64_t u = r.units; u > 0; u /= 10)
        digits[n++] = (char)('0' + u % 10);
    size_t o = 0, scale = (size_t)r.scale;
    if (n <= scale) {
        buf[o++] = '0';
        buf[o++] = '.';
        for (size_t k = n; k < scale; k++)
            buf[o++] = '0';
    }
    for (size_t k = n; k > 0; k--) {
        if (k == scale && n > scale)
            buf[o++] = '.';
        buf[o++] = digits[k - 1];
    }
    buf[o] = '\0';
    return o;
}

struct fxrate fxrate_from_money(int64_t money_rate)
{
    FG_ASSERT(money_rate > 0 && money_rate < TEN18);
    return normalize((struct fxrate){.units = money_rate, .scale = MONEY_RATE_DIGITS});
}

bool fxrate_to_money(struct fxrate r, enum money_round mode, int64_t *out)
{
    FG_ASSERT(fxrate_valid(r));
    int64_t v = 0;
    if (!muldiv(false, (u128)r.units, MONEY_RATE_DIGITS - r.scale, 1, mode, &v) || v == 0)
        return false;
    *out = v;
    return true;
}

int fxrate_cmp(struct fxrate a, struct fxrate b)
{
    FG_ASSERT(fxrate_valid(a) && fxrate_valid(b));
    int s = a.scale > b.scale ? a.scale : b.scale;
    u128 x = (u128)a.units * pow10_u128(s - a.scale), y = (u128)b.units * pow10_u128(s - b.scale);
    return (x > y) - (x < y);
}

bool fxrate_from_ratio(money_i128 num, money_i128 den, enum money_round mode, struct fxrate *out)
{
    FG_ASSERT(num > 0 && den > 0);
    u128 n = (u128)num, d = (u128)den, q0 = n / d;
    if (q0 >= (u128)TEN18)
        return false;
    int k = 0; /* digits of the integer part */
    for (u128 t = q0; t > 0; t /= 10)
        k++;
    int scale = FXRATE_DIGITS_MAX - k;
    int64_t units = 0;
    bool ok = muldiv(false, n, scale, d, mode, &units);
    FG_ASSERT(ok);        /* value * 10^scale < 10^18 by the choice of scale */
    if (units == TEN18) { /* rounded up to the next power of ten */
        if (scale == 0)
            return false;
        units /= 10;
        scale--;
    }
    if (units == 0)
        return false;
    *out = normalize((struct fxrate){.units = units, .scale = scale});
    return true;
}

struct fxrate fxrate_mid(struct fxrate a, struct fxrate b)
{
    FG_ASSERT(fxrate_valid(a) && fxrate_valid(b));
    int s = a.scale > b.scale ? a.scale : b.scale;
    u128 sum = (u128)a.units * pow10_u128(s - a.scale) + (u128)b.units * pow10_u128(s - b.scale);
    struct fxrate m;
    bool ok = fxrate_from_ratio((money_i128)sum, (money_i128)(2 * pow10_u128(s)),
                                MONEY_ROUND_HALF_EVEN, &m);
    FG_ASSERT(ok); /* between a and b */
    return m;
}

bool fxrate_adjust_bp(struct fxrate r, int64_t bp, enum money_round mode, struct fxrate *out)
{
    FG_ASSERT(fxrate_valid(r) && bp > -10000 && bp <= 10000);
    return fxrate_from_ratio((money_i128)r.units * (10000 + bp),
                             (money_i128)(pow10_u128(r.scale) * 10000), mode, out);
}

bool fxrate_invert(struct fxrate r, enum money_round mode, struct fxrate *out)
{
    FG_ASSERT(fxrate_valid(r));
    return fxrate_from_ratio((money_i128)pow10_u128(r.scale), r.units, mode, out);
}

int fxrate_convert(int64_t amount, int from_digits, struct fxrate r, int to_digits,
                   enum money_round mode, int64_t *out)
{
    FG_ASSERT(fxrate_valid(r));
    FG_ASSERT(from_digits >= 0 && from_digits <= FG_CURRENCY_DIGITS_MAX);
    FG_ASSERT(to_digits >= 0 && to_digits <= FG_CURRENCY_DIGITS_MAX);
    /* amount * units / 10^scale * 10^(to - from) */
    u128 num = magnitude(amount) * (u128)r.units;
    if (!muldiv(amount < 0, num, to_digits - from_digits - r.scale, 1, mode, out))
        return -FG_EOVERFLOW;
    return 0;
}

int fxrate_convert_inverse(int64_t amount, int from_digits, struct fxrate r, int to_digits,
                           enum money_round mode, int64_t *out)
{
    FG_ASSERT(fxrate_valid(r));
    FG_ASSERT(from_digits >= 0 && from_digits <= FG_CURRENCY_DIGITS_MAX);
    FG_ASSERT(to_digits >= 0 && to_digits <= FG_CURRENCY_DIGITS_MAX);
    /* amount * 10^scale / units * 10^(to - from) */
    if (!muldiv(amount < 0, magnitude(amount), r.scale + to_digits - from_digits, (u128)r.units,
                mode, out))
        return -FG_EOVERFLOW;
    return 0;
}
