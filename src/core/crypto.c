/* crypto.c - OpenSSL libcrypto wrappers; see crypto.h. */
#include "core/crypto.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/assert.h"
#include "core/sig.h"

void fg_sha256(const void *data, size_t len, uint8_t out[FG_SHA256_BYTES])
{
    unsigned int n = 0;
    int ok = EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
    FG_ASSERT(ok == 1 && n == FG_SHA256_BYTES);
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
    sig_hex_encode(raw, n, out);
    return true;
}
