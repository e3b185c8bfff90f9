/*
 * fuzz_rate.c - money_rate_parse (the bid and ask of POST /admin/v1/rates)
 * and the conversions that use a rate (Funds /rate/v2/convert, base amounts).
 *
 * Input: line 1 the bid, line 2 the ask, line 3 an amount (USD-like, 2
 * digits), line 4 one byte picking the target currency's digits. Properties:
 * - a rate is accepted exactly when it is ^[0-9]{1,8}(\.[0-9]{1,10})?$ and not
 *   zero; its value is the reference's; formatting with 10 digits gives the
 *   canonical text, which parses back;
 * - the mid rate lies between bid and ask;
 * - converting an amount and back, both rounded DOWN, never gives more than
 *   it started with; both rounded UP, never less (the house is favoured both
 *   ways); an overflow is -FG_EOVERFLOW, never a wrapped value.
 */
#include "fuzz.h"

#include "core/limits.h"
#include "core/money.h"

static bool rate_of(const uint8_t *text, size_t len, int64_t *out)
{
    int64_t ref = 0, got = -1;
    char canon[48];
    const char *s = (const char *)text;
    bool want =
        fuzz_decimal_reference(s, len, 8, MONEY_RATE_DIGITS, MONEY_RATE_DIGITS, &ref, canon) &&
        ref > 0;
    struct fg_err err = {0};
    int rc = money_rate_parse(s, len, &got, &err);
    FUZZ_CHECK((rc == 0) == want, "rate '%.*s': rc %d, reference %s (%s)", (int)len, s, rc,
               want ? "accepts" : "refuses", err.msg);
    if (rc != 0) {
        FUZZ_CHECK(rc == -FG_EBAD_FIELD && err.msg[0], "rate refusal without code or message");
        return false;
    }
    FUZZ_CHECK(got == ref, "rate '%.*s' is %lld, reference %lld", (int)len, s, (long long)got,
               (long long)ref);
    char buf[MONEY_FORMAT_BYTES_MAX];
    size_t n = money_rate_format(got, MONEY_RATE_DIGITS, buf, sizeof(buf));
    FUZZ_CHECK(strcmp(buf, canon) == 0, "rate '%.*s' formats as '%s', canonical '%s'", (int)len, s,
               buf, canon);
    int64_t again = -1;
    FUZZ_CHECK(money_rate_parse(buf, n, &again, NULL) == 0 && again == got, "'%s' reparses", buf);
    *out = got;
    return true;
}

static void check_round_trip(int64_t amount, int from, int64_t rate, int to)
{
    int64_t there = 0, back = 0;
    if (money_convert(amount, from, rate, to, MONEY_ROUND_DOWN, &there) == 0 &&
        money_convert_inverse(there, to, rate, from, MONEY_ROUND_DOWN, &back) == 0)
        FUZZ_CHECK(back <= amount, "%lld at rate %lld down and back down is %lld",
                   (long long)amount, (long long)rate, (long long)back);
    if (money_convert(amount, from, rate, to, MONEY_ROUND_UP, &there) == 0 &&
        money_convert_inverse(there, to, rate, from, MONEY_ROUND_UP, &back) == 0)
        FUZZ_CHECK(back >= amount, "%lld at rate %lld up and back up is %lld", (long long)amount,
                   (long long)rate, (long long)back);
    /* The exact product decides overflow: amount * rate * 10^to / 10^(10+from). */
    __extension__ __int128 num = (__int128)amount * rate, den = MONEY_RATE_SCALE;
    bool wide_ok = true;
    for (int i = 0; i < to && wide_ok; i++)
        wide_ok = !__builtin_mul_overflow(num, 10, &num);
    for (int i = 0; i < from; i++)
        den *= 10;
    int rc = money_convert(amount, from, rate, to, MONEY_ROUND_DOWN, &there);
    bool fits = wide_ok && num / den <= INT64_MAX;
    FUZZ_CHECK((rc == 0) == fits && (rc == 0 || rc == -FG_EOVERFLOW),
               "convert %lld at %lld: rc %d, exact quotient %s", (long long)amount, (long long)rate,
               rc, fits ? "fits" : "does not fit");
    if (rc == 0)
        FUZZ_CHECK(there == (int64_t)(num / den), "convert %lld at %lld rounded down is %lld",
                   (long long)amount, (long long)rate, (long long)there);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *bid_text, *ask_text, *amount_text, *digits_text;
    size_t bid_len, ask_len, amount_len, digits_len;
    fuzz_line(&data, &size, &bid_text, &bid_len);
    fuzz_line(&data, &size, &ask_text, &ask_len);
    fuzz_line(&data, &size, &amount_text, &amount_len);
    fuzz_line(&data, &size, &digits_text, &digits_len);

    int64_t bid = 0, ask = 0, amount = 0;
    bool have_bid = rate_of(bid_text, bid_len, &bid);
    bool have_ask = rate_of(ask_text, ask_len, &ask);
    if (have_bid && have_ask) {
        int64_t mid = money_rate_mid(bid, ask);
        FUZZ_CHECK(mid >= (bid < ask ? bid : ask) && mid <= (bid < ask ? ask : bid),
                   "mid %lld outside [%lld, %lld]", (long long)mid, (long long)bid, (long long)ask);
    }
    if (!have_bid ||
        money_amount_parse((const char *)amount_text, amount_len, 2, &amount, NULL) != 0)
        return 0;
    int to = digits_len ? digits_text[0] % (FG_CURRENCY_DIGITS_MAX + 1) : 2;
    check_round_trip(amount, 2, bid, to);
    return 0;
}
