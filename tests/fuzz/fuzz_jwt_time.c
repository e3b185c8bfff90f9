/* fuzz_jwt_time.c - jwt_claims_time_check against a reference written with
 * checked 64-bit steps: any iat, exp, nbf, clock, age and skew (INT64_MIN and
 * INT64_MAX included) is decided the same way, without overflow (issue 9). */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "core/jwt.h"
#include "fuzz.h"

static int64_t take(const uint8_t **data, size_t *size)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = v << 8 | (*size ? **data : 0u);
        if (*size) {
            (*data)++;
            (*size)--;
        }
    }
    return (int64_t)v;
}

/* The sign of (a - b) - c, decided with overflow-checked 64-bit steps: when
 * a - b overflows, its true value lies beyond every int64 c. */
static int diff_cmp(int64_t a, int64_t b, int64_t c)
{
    int64_t d;
    if (__builtin_sub_overflow(a, b, &d))
        return a < b ? -1 : 1;
    return (d > c) - (d < c);
}

static bool reference(int64_t iat, bool has_exp, int64_t exp, bool has_nbf, int64_t nbf,
                      int64_t now, int64_t max_age, int64_t skew)
{
    if (diff_cmp(iat, now, skew) > 0) /* issued more than skew ahead */
        return false;
    if (diff_cmp(now, iat, max_age) > 0) /* older than max_age */
        return false;
    if (has_exp && diff_cmp(now, exp, skew) >= 0) /* now >= exp + skew */
        return false;
    if (has_nbf && diff_cmp(nbf, now, skew) > 0) /* now < nbf - skew */
        return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t flags = *data++;
    size--;
    int64_t iat = take(&data, &size), exp = take(&data, &size), nbf = take(&data, &size);
    int64_t now = take(&data, &size), max_age = take(&data, &size), skew = take(&data, &size);
    if (flags & 4) /* the server's own ranges, where most inputs should land */
        max_age = (max_age & 0x7fffffff), skew = (skew & 0xffff);
    bool has_exp = flags & 1, has_nbf = flags & 2;
    json_t *claims = json_pack("{s:I}", "iat", (json_int_t)iat);
    if (has_exp)
        json_object_set_new(claims, "exp", json_integer(exp));
    if (has_nbf)
        json_object_set_new(claims, "nbf", json_integer(nbf));
    struct fg_err err = {0};
    int rc = jwt_claims_time_check(claims, now, max_age, skew, &err);
    bool want = reference(iat, has_exp, exp, has_nbf, nbf, now, max_age, skew);
    FUZZ_CHECK((rc == 0) == want,
               "iat %lld exp %s%lld nbf %s%lld now %lld age %lld skew %lld: got %d (%s), want %d",
               (long long)iat, has_exp ? "" : "-", (long long)exp, has_nbf ? "" : "-",
               (long long)nbf, (long long)now, (long long)max_age, (long long)skew, rc, err.msg,
               want);
    FUZZ_CHECK(rc == 0 || rc == -FG_EUNAUTHORIZED, "code %d", rc);
    json_decref(claims);
    return 0;
}
