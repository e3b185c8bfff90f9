/*
 * crypto.h - the few OpenSSL calls fundgate makes: SHA-256, HMAC-SHA256,
 * constant-time comparison and random bytes. Thread-safe.
 */
#ifndef FG_CRYPTO_H
#define FG_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FG_SHA256_BYTES 32

void fg_sha256(const void *data, size_t len, uint8_t out[FG_SHA256_BYTES]);
/* HMAC-SHA256(key, data) as 64 lowercase hex characters plus NUL. */
void fg_hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t len,
                        char out[2 * FG_SHA256_BYTES + 1]);
/* Compare two strings in time independent of where they differ (lengths may leak). */
bool fg_secure_equal(const char *a, size_t alen, const char *b, size_t blen);
/* Fill buf with n cryptographically random bytes; false on failure. */
bool fg_random_bytes(void *buf, size_t n);
/* 2*n random hex characters plus NUL into out. */
bool fg_random_hex(char *out, size_t n);
void fg_hex(const uint8_t *in, size_t n, char *out);

#endif
