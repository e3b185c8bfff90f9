/*
 * crypto.h - the few OpenSSL calls fundgate makes besides signatures:
 * SHA-256 and random bytes. Thread-safe. HMAC, constant-time compares and
 * hex live in sig.h.
 */
#ifndef FG_CRYPTO_H
#define FG_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FG_SHA256_BYTES 32

void fg_sha256(const void *data, size_t len, uint8_t out[FG_SHA256_BYTES]);
/* Fill buf with n cryptographically random bytes; false on failure. */
bool fg_random_bytes(void *buf, size_t n);
/* 2*n random hex characters plus NUL into out. */
bool fg_random_hex(char *out, size_t n);

#endif
