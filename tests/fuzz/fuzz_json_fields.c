/*
 * fuzz_json_fields.c - the typed field readers every handler uses on a parsed
 * body: jsonx_str, jsonx_str_copy, jsonx_id, jsonx_int, jsonx_bool,
 * jsonx_amount, jsonx_enum, jsonx_check_keys.
 *
 * Input: a JSON object (anything else is skipped). Each reader is asked for
 * every key of the object (and for a key it does not have) with several
 * bounds. Properties, each against a reference written here:
 * - a reader accepts exactly the values its contract describes, and what it
 *   hands back is the value itself: never a prefix, never clamped;
 * - a string is 1..max bytes without control characters; an id only
 *   [A-Za-z0-9._:@-]; an integer lies in [min, max]; an amount follows the
 *   amount grammar; absent or null is -FG_EMISSING_FIELD when required and
 *   0 without touching the output otherwise;
 * - every refusal has the documented code and a message;
 * - jsonx_check_keys refuses exactly when a key is not allowed.
 */
#include "fuzz.h"

#include <jansson.h>

#include "core/jsonx.h"
#include "core/limits.h"
#include "core/money.h"

#define KEYS_MAX 16

static const char *const choices[] = {"wallet", "securities", "futures", "", NULL};

/* What jsonx_str should decide for v with max: 0 or the refusal code. */
static int str_reference(json_t *v, bool required, size_t max)
{
    if (!v || json_is_null(v))
        return required ? -FG_EMISSING_FIELD : 0;
    if (!json_is_string(v))
        return -FG_EBAD_FIELD;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n > max || strlen(s) != n)
        return -FG_EBAD_FIELD;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return -FG_EBAD_FIELD;
    return 0;
}

static bool id_chars(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || fuzz_is_digit(*s) ||
              (*s && strchr("._:@-", *s))))
            return false;
    return true;
}

static void check_rc(int rc, int want, const struct fg_err *err, const char *what, const char *key)
{
    FUZZ_CHECK(rc == want, "%s '%s': rc %d, reference %d (%s)", what, key, rc, want, err->msg);
    FUZZ_CHECK(rc == 0 || err->msg[0], "%s '%s': refusal without a message", what, key);
}

static void check_strings(json_t *obj, const char *key, bool required)
{
    static const size_t maxes[] = {1, 8, 64, FG_JSON_STRING_BYTES_MAX};
    json_t *v = json_object_get(obj, key);
    for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
        struct fg_err err = {0};
        const char *out = NULL;
        int want = str_reference(v, required, maxes[m]);
        check_rc(jsonx_str(obj, key, required, maxes[m], &out, &err), want, &err, "str", key);
        if (want == 0 && v && !json_is_null(v))
            FUZZ_CHECK(out && strcmp(out, json_string_value(v)) == 0, "str '%s' value", key);
        else if (want == 0)
            FUZZ_CHECK(out == NULL, "absent str '%s' touched the output", key);

        char buf[FG_JSON_STRING_BYTES_MAX + 1];
        size_t cap = maxes[m] + 1;
        memset(buf, 'x', sizeof(buf));
        check_rc(jsonx_str_copy(obj, key, required, buf, cap, &err), want, &err, "copy", key);
        if (want == 0)
            FUZZ_CHECK(strcmp(buf, v && !json_is_null(v) ? json_string_value(v) : "") == 0,
                       "copy of '%s' is '%s', not the value", key, buf);

        out = NULL;
        int want_id = want == 0 && v && !json_is_null(v) && !id_chars(json_string_value(v))
                          ? -FG_EBAD_FIELD
                          : want;
        check_rc(jsonx_id(obj, key, required, maxes[m], &out, &err), want_id, &err, "id", key);
        if (want_id == 0 && out)
            FUZZ_CHECK(id_chars(out), "id '%s' has other characters", key);
    }
}

static void check_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max)
{
    json_t *v = json_object_get(obj, key);
    int want = 0;
    if (!v || json_is_null(v))
        want = required ? -FG_EMISSING_FIELD : 0;
    else if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        want = -FG_EBAD_FIELD;
    int64_t out = 12345;
    struct fg_err err = {0};
    check_rc(jsonx_int(obj, key, required, min, max, &out, &err), want, &err, "int", key);
    if (want == 0)
        FUZZ_CHECK(out == (v && !json_is_null(v) ? json_integer_value(v) : 12345),
                   "int '%s' is %lld", key, (long long)out);
}

static void check_bool_amount_enum(json_t *obj, const char *key, bool required)
{
    json_t *v = json_object_get(obj, key);
    bool absent = !v || json_is_null(v);
    struct fg_err err = {0};
    bool b = false;
    int want = absent               ? (required ? -FG_EMISSING_FIELD : 0)
               : json_is_boolean(v) ? 0
                                    : -FG_EBAD_FIELD;
    check_rc(jsonx_bool(obj, key, required, &b, &err), want, &err, "bool", key);
    if (want == 0 && !absent)
        FUZZ_CHECK(b == json_is_true(v), "bool '%s'", key);

    for (int digits = 0; digits <= FG_CURRENCY_DIGITS_MAX; digits += 4) {
        int64_t ref = 0, out = -7;
        char canon[48];
        want = absent ? (required ? -FG_EMISSING_FIELD : 0)
               : json_is_string(v) && fuzz_decimal_reference(
                                          json_string_value(v), json_string_length(v),
                                          MONEY_INT_DIGITS_MAX, (size_t)digits, digits, &ref, canon)
                   ? 0
                   : -FG_EBAD_AMOUNT;
        check_rc(jsonx_amount(obj, key, required, digits, &out, &err), want, &err, "amount", key);
        if (want == 0)
            FUZZ_CHECK(out == (absent ? -7 : ref), "amount '%s' is %lld", key, (long long)out);
    }

    int index = -1;
    want = str_reference(v, required, 64);
    int pos = -1;
    for (int i = 0; want == 0 && !absent && choices[i]; i++)
        if (strcmp(choices[i], json_string_value(v)) == 0)
            pos = i;
    if (want == 0 && !absent && pos < 0)
        want = -FG_EBAD_FIELD;
    check_rc(jsonx_enum(obj, key, required, choices, &index, &err), want, &err, "enum", key);
    FUZZ_CHECK(want != 0 || index == pos, "enum '%s' index %d, expected %d", key, index, pos);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *obj = NULL;
    if (jsonx_parse_object((const char *)data, size, &obj, NULL) < 0)
        return 0;
    const char *keys[KEYS_MAX + 2];
    int nkeys = 0;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (nkeys == KEYS_MAX)
            break;
        keys[nkeys++] = key;
    }
    keys[nkeys] = "no such key";
    for (int i = 0; i <= nkeys; i++)
        for (int required = 0; required <= 1; required++) {
            check_strings(obj, keys[i], required);
            check_int(obj, keys[i], required, INT64_MIN, INT64_MAX);
            check_int(obj, keys[i], required, 1, 12);
            check_bool_amount_enum(obj, keys[i], required);
        }

    /* Allow the first half of the keys: refused exactly when there are more. */
    const char *allowed[KEYS_MAX + 1];
    int half = nkeys / 2;
    for (int i = 0; i < half; i++)
        allowed[i] = keys[i];
    allowed[half] = NULL;
    struct fg_err err = {0};
    int rc = jsonx_check_keys(obj, allowed, &err);
    bool extra = json_object_size(obj) > (size_t)half;
    FUZZ_CHECK((rc == -FG_EUNKNOWN_FIELD) == extra && (rc == 0) == !extra,
               "check_keys rc %d with %d of %zu keys allowed", rc, half, json_object_size(obj));
    json_decref(obj);
    return 0;
}
