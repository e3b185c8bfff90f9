/* crypto.c - OpenSSL libcrypto wrappers; see crypto.h. */
#include "core/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "core/assert.h"

void fg_hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void fg_sha256(const void *data, size_t len, uint8_t out[FG_SHA256_BYTES])
{
    unsigned int n = 0;
    int ok = EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
    FG_ASSERT(ok == 1 && n == FG_SHA256_BYTES);
}

void fg_hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t len,
                        char out[2 * FG_SHA256_BYTES + 1])
{
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    uint8_t *r = HMAC(EVP_sha256(), key, (int)key_len, data, len, mac, &n);
    FG_ASSERT(r != NULL && n == FG_SHA256_BYTES);
    fg_hex(mac, n, out);
}

bool fg_secure_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    return CRYPTO_memcmp(a, b, alen) == 0;
}

bool fg_random_bytes(void *buf, size_t n)
{
    return RAND_bytes(buf, (int)n) == 1;
}

bool fg_random_hex(char *out, size_t n)
{
    uint8_t raw[64];
    FG_ASSERT(n <= sizeof(raw));
    if (!fg_random_bytes(raw, n))
        return false;
    fg_hex(raw, n, out);
    return true;
}
