/*
 * fuzz_amount.c - money_amount_parse, the parser of every amount a request
 * carries (admin, Funds, TradeBoss).
 *
 * Input: the first byte picks the currency's digits ('0'..'8', other bytes
 * modulo 9), the rest is the amount text. Properties:
 * - accepted exactly when the text is ^[0-9]{1,18}(\.[0-9]{1,digits})?$ and
 *   its value fits int64 (fuzz_decimal_reference, written apart from money.c);
 * - the value is the reference's, and formatting it gives the canonical text
 *   (leading zeros dropped, exactly `digits` fraction digits), which parses
 *   back to the same value; its negation formats as "-" and the same text;
 * - a refusal is -FG_EBAD_AMOUNT with a message;
 * - the checked helpers agree with 128-bit arithmetic on the value.
 */
#include "fuzz.h"

#include "core/money.h"

static void check_arithmetic(int64_t v)
{
    __extension__ __int128 wide;
    int64_t out = 0;
    wide = (__int128)v + v;
    FUZZ_CHECK(money_add(v, v, &out) == (wide <= INT64_MAX), "money_add(%lld, %lld)", (long long)v,
               (long long)v);
    wide = (__int128)-v - v;
    FUZZ_CHECK(money_sub(-v, v, &out) == (wide >= INT64_MIN), "money_sub(%lld, %lld)",
               (long long)-v, (long long)v);
    wide = (__int128)v * v;
    FUZZ_CHECK(money_mul(v, v, &out) == (wide <= INT64_MAX), "money_mul(%lld, %lld)", (long long)v,
               (long long)v);
    /* Fees: a basis-point part rounded up is never less than the exact part
     * and never more than the amount. */
    for (int64_t bp = 0; bp <= 10000; bp += 2500) {
        FUZZ_CHECK(money_basis_points(v, bp, MONEY_ROUND_UP, &out) == 0, "basis points");
        FUZZ_CHECK(out <= v && (__int128)out * 10000 >= (__int128)v * bp &&
                       ((__int128)out - 1) * 10000 < (__int128)v * bp,
                   "%lld bp of %lld rounded up is %lld", (long long)bp, (long long)v,
                   (long long)out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int digits = data[0] >= '0' && data[0] <= '8' ? data[0] - '0' : data[0] % 9;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    int64_t ref = 0, got = -1;
    char canon[48];
    bool want = fuzz_decimal_reference(text, len, MONEY_INT_DIGITS_MAX, (size_t)digits, digits,
                                       &ref, canon);
    struct fg_err err = {0};
    int rc = money_amount_parse(text, len, digits, &got, &err);
    FUZZ_CHECK((rc == 0) == want, "'%.*s' with %d digits: parse rc %d, reference %s (%s)", (int)len,
               text, digits, rc, want ? "accepts" : "refuses", err.msg);
    if (rc != 0) {
        FUZZ_CHECK(rc == -FG_EBAD_AMOUNT && err.msg[0], "refusal without code or message");
        return 0;
    }
    FUZZ_CHECK(got == ref, "'%.*s': value %lld, reference %lld", (int)len, text, (long long)got,
               (long long)ref);

    char buf[MONEY_FORMAT_BYTES_MAX];
    size_t n = money_amount_format(got, digits, buf, sizeof(buf));
    FUZZ_CHECK(n == strlen(buf) && strcmp(buf, canon) == 0,
               "'%.*s' formats as '%s', canonical '%s'", (int)len, text, buf, canon);
    int64_t again = -1;
    FUZZ_CHECK(money_amount_parse(buf, n, digits, &again, NULL) == 0 && again == got,
               "'%s' does not parse back to %lld", buf, (long long)got);
    if (got > 0) {
        n = money_amount_format(-got, digits, buf, sizeof(buf));
        FUZZ_CHECK(buf[0] == '-' && strcmp(buf + 1, canon) == 0, "-%lld formats as '%s'",
                   (long long)got, buf);
    }
    check_arithmetic(got);
    return 0;
}
