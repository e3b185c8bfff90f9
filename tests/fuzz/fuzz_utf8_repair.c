/*
 * fuzz_utf8_repair.c - utf8_json_repair (a TradeBoss body that jansson
 * refuses for bytes that are not UTF-8 is read again through it) and the
 * UTF-8 helpers the partner routes count lengths with.
 *
 * Input: any bytes, taken as a request body. Properties:
 * - the repair never fails but for memory, its output is valid UTF-8, at most
 *   3 bytes per input byte, and a second repair changes nothing;
 * - a body jansson accepts is left exactly as it was;
 * - when the repaired text parses, every string in it is valid UTF-8 (what
 *   the readers then count) and the document's shape is the input's when the
 *   input parsed too;
 * - utf8_chars never exceeds the byte count, and utf8_prefix_bytes never
 *   splits a code point of valid text.
 */
#include "fuzz.h"

#include <jansson.h>

#include "core/utf8.h"

static void check_prefixes(const char *s, size_t n)
{
    size_t chars = utf8_chars(s, n);
    FUZZ_CHECK(chars <= n, "%zu characters in %zu bytes", chars, n);
    for (size_t max = 0; max <= chars && max < 8; max++) {
        size_t cut = utf8_prefix_bytes(s, n, max);
        FUZZ_CHECK(cut <= n && utf8_valid(s, cut) && utf8_chars(s, cut) == max,
                   "a prefix of %zu characters is %zu bytes", max, cut);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    char *out = NULL, *again = NULL;
    size_t out_n = 0, again_n = 0;
    bool changed = false, changed_again = true;
    if (utf8_json_repair(in, size, &out, &out_n, &changed) < 0)
        abort(); /* out of memory: not a finding */
    FUZZ_CHECK(out_n <= 3 * size, "%zu bytes out of %zu", out_n, size);
    FUZZ_CHECK(utf8_valid(out, out_n), "the repaired text is not UTF-8");
    FUZZ_CHECK(out[out_n] == '\0', "not NUL-terminated");
    FUZZ_CHECK(changed || (out_n == size && memcmp(out, in, size) == 0), "unchanged yet different");
    if (utf8_json_repair(out, out_n, &again, &again_n, &changed_again) < 0)
        abort();
    FUZZ_CHECK(!changed_again && again_n == out_n && memcmp(again, out, out_n) == 0,
               "a second repair changed the text");
    check_prefixes(out, out_n);

    json_t *before = json_loadb(in, size, JSON_REJECT_DUPLICATES, NULL);
    FUZZ_CHECK(!before || !changed, "jansson accepts the body, yet the repair changed it");
    json_t *after = json_loadb(out, out_n, JSON_REJECT_DUPLICATES, NULL);
    if (before)
        FUZZ_CHECK(after && json_equal(before, after), "a body jansson accepts read differently");
    if (json_is_object(after)) {
        const char *key;
        json_t *v;
        json_object_foreach(after, key, v)
        {
            FUZZ_CHECK(utf8_valid(key, strlen(key)), "a key is not UTF-8");
            if (json_is_string(v))
                FUZZ_CHECK(utf8_valid(json_string_value(v), json_string_length(v)),
                           "a value is not UTF-8");
        }
    }
    json_decref(before);
    json_decref(after);
    free(out);
    free(again);
    return 0;
}
