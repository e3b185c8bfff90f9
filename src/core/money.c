/*
 * money.c - exact amounts and rates; the contract is money.h.
 *
 * Everything is integer arithmetic: int64_t amounts and rates, __int128 for
 * products and quotients, __builtin_*_overflow for every step that can
 * overflow. There is exactly one rounding step per operation (in
 * money_div_round), and it is always the mode the caller names.
 *
 * Decisions:
 * - Leading zeros are accepted ("007.50" is 750 for USD). The grammar
 *   ^[0-9]{1,18}(\.[0-9]+)?$ allows them and they are unambiguous in a decimal
 *   string; they still count toward the 18 integer digits, so the grammar
 *   stays exactly the spec's regular expression.
 * - Trailing fraction zeros beyond the currency's digits are refused too
 *   ("1.000" for USD): the rule is on the text, never a silent rounding.
 * - Syntax is checked before lengths, so "12x" says "not a decimal number"
 *   rather than something about digit counts.
 * - Range violations of arguments that come from code, not from requests
 *   (currency digits, rounding mode, a non-positive rate in a conversion) are
 *   programmer errors and stop the process with FG_ASSERT.
 */
#include "core/money.h"

#include <stdio.h>
#include <string.h>

#include "core/assert.h"
#include "core/limits.h"

__extension__ typedef unsigned __int128 u128;

#define RATE_INT_DIGITS_MAX 8
#define POW10_MAX 18

/* A decimal string split into its integer and fraction digits. */
struct decimal {
    const char *int_digits;
    size_t int_len;
    const char *frac_digits;
    size_t frac_len;
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Check s against ^[0-9]{1,int_max}(\.[0-9]{1,frac_max})?$ and split it. `what`
 * names the value in messages ("amount", "rate"). */
static int decimal_scan(const char *s, size_t len, const char *what, size_t int_max,
                        size_t frac_max, int code, struct decimal *d, struct fg_err *err)
{
    size_t i = 0;

    if (s == NULL || len == 0)
        return fg_fail(err, code, "%s is empty", what);
    if (s[0] == '-' || s[0] == '+')
        return fg_fail(err, code, "%s must not have a sign", what);
    if (s[0] == '.')
        return fg_fail(err, code, "%s has no digits before the decimal point", what);

    d->int_digits = s;
    while (i < len && is_digit(s[i]))
        i++;
    d->int_len = i;
    d->frac_digits = s + len;
    d->frac_len = 0;
    if (d->int_len == 0)
        return fg_fail(err, code, "%s is not a decimal number", what);
    if (i < len) {
        if (s[i] != '.')
            return fg_fail(err, code, "%s is not a decimal number", what);
        i++;
        d->frac_digits = s + i;
        while (i < len && is_digit(s[i]))
            i++;
        d->frac_len = (size_t)(s + i - d->frac_digits);
        if (i < len)
            return fg_fail(err, code, "%s is not a decimal number", what);
        if (d->frac_len == 0)
            return fg_fail(err, code, "%s has no digits after the decimal point", what);
    }
    if (d->int_len > int_max)
        return fg_fail(err, code, "%s has more than %zu integer digits", what, int_max);
    if (d->frac_len > frac_max)
        return fg_fail(err, code, "%s has more than %zu fraction digits", what, frac_max);
    return 0;
}

/* Value of a scanned decimal in units of 10^-scale (frac_len <= scale). False
 * if it does not fit int64. */
static bool decimal_value(const struct decimal *d, int scale, int64_t *out)
{
    int64_t int_part = 0;
    int64_t frac_part = 0;
    int64_t v;

    FG_ASSERT(d->int_len <= MONEY_INT_DIGITS_MAX); /* so int_part cannot overflow */
    FG_ASSERT(d->frac_len <= (size_t)scale);
    for (size_t i = 0; i < d->int_len; i++)
        int_part = int_part * 10 + (d->int_digits[i] - '0');
    for (size_t i = 0; i < d->frac_len; i++)
        frac_part = frac_part * 10 + (d->frac_digits[i] - '0');
    frac_part *= money_pow10(scale - (int)d->frac_len); /* < 10^scale, no overflow */
    if (__builtin_mul_overflow(int_part, money_pow10(scale), &v))
        return false;
    if (__builtin_add_overflow(v, frac_part, &v))
        return false;
    *out = v;
    return true;
}

int money_amount_parse(const char *s, size_t len, int digits, int64_t *out, struct fg_err *err)
{
    struct decimal d;
    int64_t v;
    int rc;

    FG_ASSERT(digits >= 0 && digits <= FG_CURRENCY_DIGITS_MAX);
    rc = decimal_scan(s, len, "amount", MONEY_INT_DIGITS_MAX, (size_t)digits, -FG_EBAD_AMOUNT, &d,
                      err);
    if (rc != 0)
        return rc;
    if (!decimal_value(&d, digits, &v))
        return fg_fail(err, -FG_EBAD_AMOUNT, "amount too large");
    *out = v;
    return 0;
}

int money_text_read(const char *s, size_t n, bool negative_ok, struct money_text *out,
                    struct fg_err *err)
{
    struct decimal d;
    bool neg = n > 0 && s[0] == '-';
    if (neg && !negative_ok)
        return fg_fail(err, -FG_EBAD_AMOUNT, "amount must not be negative");
    int rc = decimal_scan(s + neg, n - neg, "amount", MONEY_INT_DIGITS_MAX, MONEY_TEXT_BYTES_MAX,
                          -FG_EBAD_AMOUNT, &d, err);
    if (rc < 0)
        return rc;
    if (n >= MONEY_TEXT_BYTES_MAX) /* only a long fraction gets here */
        return fg_fail(err, -FG_EBAD_AMOUNT, "amount is longer than %d bytes",
                       MONEY_TEXT_BYTES_MAX - 1);
    out->negative = neg;
    out->places = (int)d.frac_len;
    memcpy(out->text, s, n);
    out->text[n] = '\0';
    return 0;
}

int money_text_minor(const struct money_text *t, int digits, bool zeros_ok, int64_t *out,
                     struct fg_err *err)
{
    struct decimal d;
    size_t n = strlen(t->text);
    FG_ASSERT(digits >= 0 && digits <= FG_CURRENCY_DIGITS_MAX);
    /* Read before: the grammar holds (a programmer error otherwise). */
    int rc = decimal_scan(t->text + t->negative, n - t->negative, "amount", MONEY_INT_DIGITS_MAX,
                          MONEY_TEXT_BYTES_MAX, -FG_EBAD_AMOUNT, &d, NULL);
    FG_ASSERT(rc == 0);
    for (size_t i = (size_t)digits; i < d.frac_len; i++)
        if (!zeros_ok || d.frac_digits[i] != '0')
            return fg_fail(err, -FG_EBAD_AMOUNT, "amount has more than %d fraction digits", digits);
    if (d.frac_len > (size_t)digits)
        d.frac_len = (size_t)digits;
    int64_t v;
    if (!decimal_value(&d, digits, &v))
        return fg_fail(err, -FG_EBAD_AMOUNT, "amount too large");
    *out = t->negative ? -v : v;
    return 0;
}

void money_text_canon(const struct money_text *t, char *out, size_t cap)
{
    const char *in = t->text + t->negative;
    FG_ASSERT(cap >= MONEY_TEXT_BYTES_MAX);
    while (in[0] == '0' && in[1] && in[1] != '.')
        in++;
    int n = snprintf(out, cap, "%s%s", t->negative ? "-" : "", in);
    char *dot = strchr(out, '.');
    if (!dot)
        return;
    char *end = out + n - 1;
    while (end > dot && *end == '0')
        *end-- = '\0';
    if (end == dot)
        *dot = '\0';
}

size_t money_amount_format(int64_t v, int digits, char *buf, size_t cap)
{
    char rev[MONEY_FORMAT_BYTES_MAX];
    size_t n = 0;
    /* Magnitude in unsigned arithmetic: well defined for INT64_MIN too. */
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    FG_ASSERT(digits >= 0 && digits <= POW10_MAX);
    FG_ASSERT(buf != NULL);
    /* At least digits+1 digits, so there is always one before the point. */
    for (int i = 0; i <= digits || mag != 0; i++) {
        if (i == digits && digits > 0)
            rev[n++] = '.';
        rev[n++] = (char)('0' + (int)(mag % 10));
        mag /= 10;
    }
    if (v < 0)
        rev[n++] = '-';
    FG_ASSERT(n < cap); /* the caller's buffer is too small: a programmer error */
    for (size_t i = 0; i < n; i++)
        buf[i] = rev[n - 1 - i];
    buf[n] = '\0';
    return n;
}

bool money_add(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;

    if (__builtin_add_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

bool money_sub(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;

    if (__builtin_sub_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

bool money_mul(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;

    if (__builtin_mul_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

static u128 magnitude(money_i128 x)
{
    return x < 0 ? (u128)0 - (u128)x : (u128)x;
}

bool money_div_round(money_i128 num, money_i128 den, enum money_round mode, int64_t *out)
{
    money_i128 q;
    money_i128 r;
    int sign; /* sign of the exact quotient when it is not an integer */
    u128 rem;
    u128 rest;

    FG_ASSERT(den != 0);
    /* The single quotient that overflows __int128: MIN / -1. It does not fit
     * int64 either. */
    if (den == -1 && magnitude(num) > (u128)INT64_MAX + 1)
        return false;
    q = num / den; /* truncates toward zero */
    r = num % den;
    if (r != 0) {
        sign = (num < 0) != (den < 0) ? -1 : 1;
        switch (mode) {
        case MONEY_ROUND_DOWN:
            break;
        case MONEY_ROUND_UP:
            q += sign;
            break;
        case MONEY_ROUND_FLOOR:
            if (sign < 0)
                q -= 1;
            break;
        case MONEY_ROUND_CEIL:
            if (sign > 0)
                q += 1;
            break;
        case MONEY_ROUND_HALF_EVEN:
            /* Compare |r| with |den| - |r| instead of 2|r| with |den|: no overflow. */
            rem = magnitude(r);
            rest = magnitude(den) - rem;
            if (rem > rest || (rem == rest && (q & 1) != 0))
                q += sign;
            break;
        default:
            FG_ASSERT(!"unknown rounding mode");
        }
    }
    if (q > INT64_MAX || q < INT64_MIN)
        return false;
    *out = (int64_t)q;
    return true;
}

int64_t money_pow10(int n)
{
    int64_t p = 1;

    FG_ASSERT(n >= 0 && n <= POW10_MAX);
    for (int i = 0; i < n; i++)
        p *= 10;
    return p;
}

int money_rate_parse(const char *s, size_t len, int64_t *out, struct fg_err *err)
{
    struct decimal d;
    int64_t v = 0;
    bool ok;
    int rc;

    rc = decimal_scan(s, len, "rate", RATE_INT_DIGITS_MAX, MONEY_RATE_DIGITS, -FG_EBAD_FIELD, &d,
                      err);
    if (rc != 0)
        return rc;
    /* 8 integer and 10 fraction digits stay below 10^18: cannot overflow. */
    ok = decimal_value(&d, MONEY_RATE_DIGITS, &v);
    FG_ASSERT(ok);
    if (v == 0)
        return fg_fail(err, -FG_EBAD_FIELD, "rate must be greater than zero");
    *out = v;
    return 0;
}

size_t money_rate_format(int64_t rate, int digits, char *buf, size_t cap)
{
    int64_t v = rate;

    FG_ASSERT(digits >= 0 && digits <= MONEY_RATE_DIGITS);
    if (digits < MONEY_RATE_DIGITS) {
        /* Dividing by at least 10 always fits int64. */
        bool ok = money_div_round(rate, money_pow10(MONEY_RATE_DIGITS - digits),
                                  MONEY_ROUND_HALF_EVEN, &v);
        FG_ASSERT(ok);
    }
    return money_amount_format(v, digits, buf, cap);
}

int64_t money_rate_mid(int64_t bid, int64_t ask)
{
    int64_t mid = 0;
    /* The sum is taken in 128 bits and the half lies between bid and ask: fits. */
    bool ok = money_div_round((money_i128)bid + ask, 2, MONEY_ROUND_HALF_EVEN, &mid);

    FG_ASSERT(ok);
    return mid;
}

/* num * 10^n in 128 bits; false on overflow. */
static bool mul_pow10(money_i128 num, int n, money_i128 *out)
{
    return !__builtin_mul_overflow(num, (money_i128)money_pow10(n), out);
}

int money_convert(int64_t amount, int from_digits, int64_t rate, int to_digits,
                  enum money_round mode, int64_t *out)
{
    /* result = amount * rate * 10^to / (10^RATE_DIGITS * 10^from), one division. */
    money_i128 num = (money_i128)amount * rate; /* |.| < 2^63 * 2^63 = 2^126 */
    money_i128 den = MONEY_RATE_SCALE;
    int64_t v;

    FG_ASSERT(from_digits >= 0 && from_digits <= POW10_MAX);
    FG_ASSERT(to_digits >= 0 && to_digits <= POW10_MAX);
    FG_ASSERT(rate > 0);
    if (to_digits >= from_digits) {
        /* If num * 10^k overflows 128 bits, the quotient (>= 2^127 / 10^10)
         * overflows int64 anyway. */
        if (!mul_pow10(num, to_digits - from_digits, &num))
            return -FG_EOVERFLOW;
    } else {
        den *= money_pow10(from_digits - to_digits); /* <= 10^28 */
    }
    if (!money_div_round(num, den, mode, &v))
        return -FG_EOVERFLOW;
    *out = v;
    return 0;
}

int money_convert_inverse(int64_t amount, int from_digits, int64_t rate, int to_digits,
                          enum money_round mode, int64_t *out)
{
    /* result = amount * 10^RATE_DIGITS * 10^to / (rate * 10^from), one division. */
    money_i128 num = (money_i128)amount * MONEY_RATE_SCALE; /* < 2^63 * 2^34 */
    money_i128 den = rate;
    int64_t v;

    FG_ASSERT(from_digits >= 0 && from_digits <= POW10_MAX);
    FG_ASSERT(to_digits >= 0 && to_digits <= POW10_MAX);
    FG_ASSERT(rate > 0);
    if (to_digits >= from_digits) {
        /* Overflow of 128 bits here means a quotient >= 2^127 / 2^63: too big. */
        if (!mul_pow10(num, to_digits - from_digits, &num))
            return -FG_EOVERFLOW;
    } else {
        den *= money_pow10(from_digits - to_digits); /* < 2^63 * 10^18 < 2^127 */
    }
    if (!money_div_round(num, den, mode, &v))
        return -FG_EOVERFLOW;
    *out = v;
    return 0;
}

int money_basis_points(int64_t amount, int64_t bp, enum money_round mode, int64_t *out)
{
    int64_t v;

    if (bp < 0 || bp > 10000)
        return -FG_EBAD_FIELD;
    /* |amount * bp / 10000| <= |amount|: always fits, the check is belt and braces. */
    if (!money_div_round((money_i128)amount * bp, 10000, mode, &v))
        return -FG_EOVERFLOW;
    *out = v;
    return 0;
}
