/*
 * fuzz_b64url.c - the strict base64url decoder under every token part.
 *
 * Input: bytes read two ways. As text: decoding succeeds exactly when every
 * character is of [A-Za-z0-9_-], the length is not 1 modulo 4 and the unused
 * low bits of the last character are zero (one text per byte string); what it
 * decodes to encodes back to the same text, and the output is NUL-terminated
 * with its length right. As data: encoding then decoding gives the data back.
 */
#include "fuzz.h"

#include "core/jwt.h"

static int value_of(uint8_t c)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

static bool reference_accepts(const uint8_t *t, size_t n)
{
    if (n % 4 == 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if (value_of(t[i]) < 0)
            return false;
    if (n % 4 == 2)
        return (value_of(t[n - 1]) & 0x0f) == 0;
    if (n % 4 == 3)
        return (value_of(t[n - 1]) & 0x03) == 0;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t out_len = 0;
    unsigned char *out = jwt_b64url_decode((const char *)data, size, &out_len);
    bool want = reference_accepts(data, size);
    FUZZ_CHECK((out != NULL) == want, "decode of %zu bytes %s, reference %s", size,
               out ? "accepted" : "refused", want ? "accepts" : "refuses");
    if (out) {
        FUZZ_CHECK(out_len == size * 3 / 4 && out[out_len] == '\0', "decoded length %zu of %zu",
                   out_len, size);
        char *again = jwt_b64url_encode(out, out_len);
        FUZZ_CHECK(again && strlen(again) == size && memcmp(again, data, size) == 0,
                   "re-encoding gives another text");
        free(again);
        free(out);
    }

    char *text = jwt_b64url_encode(data, size);
    FUZZ_CHECK(text, "encode failed");
    unsigned char *back = jwt_b64url_decode(text, strlen(text), &out_len);
    FUZZ_CHECK(back && out_len == size && memcmp(back, data, size) == 0,
               "encode then decode loses the data");
    free(back);
    free(text);
    return 0;
}
