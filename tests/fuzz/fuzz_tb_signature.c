/*
 * fuzz_tb_signature.c - tb_signature_check, the TradeBoss X-Signature header
 * (t=<ms>,v1=<64 lowercase hex of HMAC-SHA256(secret, t "." body)>).
 *
 * Input: line 1 the client's secret, line 2 the header (a C string), the rest
 * the raw body (any bytes). The server's clock is fixed. Properties, against a
 * classification written here with OpenSSL's HMAC:
 * - MISSING for no header or an empty one; MALFORMED exactly when the header
 *   is not ^t=[0-9]{1,16},v1=[0-9a-f]{64}$; WRONG exactly when v1 is not the
 *   HMAC; EXPIRED when it is but t is more than FG_TB_SKEW_MS_MAX from the
 *   clock; OK otherwise;
 * - tb_signature_make's header for any t is OK at t and at the window's two
 *   edges, EXPIRED one millisecond past either, and WRONG under another secret
 *   or for another body.
 */
#include "fuzz.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/limits.h"
#include "families/tradeboss/tradeboss_auth.h"

#define NOW_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

static enum tb_sig_result reference(const char *h, const char *secret, size_t secret_len,
                                    const uint8_t *body, size_t body_len, int64_t now)
{
    if (!h || !*h)
        return TB_SIG_MISSING;
    if (strncmp(h, "t=", 2) != 0)
        return TB_SIG_MALFORMED;
    size_t tn = 0;
    while (fuzz_is_digit(h[2 + tn]))
        tn++;
    if (tn < 1 || tn > 16 || strncmp(h + 2 + tn, ",v1=", 4) != 0)
        return TB_SIG_MALFORMED;
    const char *v1 = h + 2 + tn + 4;
    if (strlen(v1) != 64 || strspn(v1, "0123456789abcdef") != 64)
        return TB_SIG_MALFORMED;

    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    unsigned char *msg = malloc(tn + 1 + body_len);
    if (!msg)
        abort();
    memcpy(msg, h + 2, tn);
    msg[tn] = '.';
    if (body_len)
        memcpy(msg + tn + 1, body, body_len);
    HMAC(EVP_sha256(), secret, (int)secret_len, msg, tn + 1 + body_len, mac, &mac_len);
    free(msg);
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned int i = 0; i < mac_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    if (strcmp(hex, v1) != 0)
        return TB_SIG_WRONG;
    int64_t t = 0;
    for (size_t i = 0; i < tn; i++)
        t = t * 10 + (h[2 + i] - '0');
    return (t > now ? t - now : now - t) > FG_TB_SKEW_MS_MAX ? TB_SIG_EXPIRED : TB_SIG_OK;
}

static void check_made(const char *secret, size_t secret_len, const uint8_t *body, size_t n,
                       int64_t t)
{
    char h[128];
    const char *b = (const char *)body;
    tb_signature_make(secret, secret_len, t, b, n, h, sizeof(h));
    const int64_t skew = FG_TB_SKEW_MS_MAX;
    FUZZ_CHECK(tb_signature_check(h, secret, secret_len, b, n, t) == TB_SIG_OK, "own header");
    FUZZ_CHECK(tb_signature_check(h, secret, secret_len, b, n, t + skew) == TB_SIG_OK, "edge");
    FUZZ_CHECK(tb_signature_check(h, secret, secret_len, b, n, t - skew) == TB_SIG_OK, "edge");
    FUZZ_CHECK(tb_signature_check(h, secret, secret_len, b, n, t + skew + 1) == TB_SIG_EXPIRED,
               "past the window");
    FUZZ_CHECK(tb_signature_check(h, secret, secret_len, b, n, t - skew - 1) == TB_SIG_EXPIRED,
               "before the window");
    FUZZ_CHECK(tb_signature_check(h, "another secret", 14, b, n, t) == TB_SIG_WRONG ||
                   (secret_len == 14 && memcmp(secret, "another secret", 14) == 0),
               "another secret accepted");
    if (n > 0)
        FUZZ_CHECK(tb_signature_check(h, secret, secret_len, b, n - 1, t) == TB_SIG_WRONG,
                   "a shorter body accepted");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *secret_bytes, *header_bytes;
    size_t secret_len, header_len;
    fuzz_line(&data, &size, &secret_bytes, &secret_len);
    fuzz_line(&data, &size, &header_bytes, &header_len);
    char *secret = fuzz_cstr(secret_bytes, secret_len);
    char *header = fuzz_cstr(header_bytes, header_len);
    /* The body as the server holds it: its own malloc'd bytes, NUL after. */
    char *body = fuzz_cstr(data, size);

    enum tb_sig_result got = tb_signature_check(header, secret, secret_len, body, size, NOW_MS);
    enum tb_sig_result want =
        reference(header, secret, secret_len, (const uint8_t *)body, size, NOW_MS);
    FUZZ_CHECK(got == want, "header '%s': result %d, reference %d", header, got, want);
    FUZZ_CHECK(tb_signature_check(NULL, secret, secret_len, body, size, NOW_MS) == TB_SIG_MISSING,
               "no header is not MISSING");

    /* t from the input's length and first bytes: anywhere in 0..10^16. */
    int64_t t = NOW_MS + (int64_t)(size * 7919) - 300000;
    if (header_len >= 8)
        memcpy(&t, header_bytes, 8);
    t = t < 0 ? -(t + 1) : t;
    t %= 10000000000000000LL - FG_TB_SKEW_MS_MAX;
    check_made(secret, secret_len, (const uint8_t *)body, size, t);
    free(body);
    free(header);
    free(secret);
    return 0;
}
