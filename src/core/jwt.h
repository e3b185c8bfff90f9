/*
 * jwt.h - HS256 JSON Web Tokens, pinned: sign and verify, nothing else.
 *
 * What it is for: the Funds family's X-Auth-Token (PROTOCOLS.md section A,
 * SYSTEM.md section 6) and `fundgate token`. Not for: other algorithms. The
 * header must be a JSON object whose "alg" is exactly "HS256" ("typ", when
 * present, "JWT"); "none", "HS512", "RS256" and every other alg are refused
 * before any key is used. The signature is recomputed with OpenSSL's HMAC and
 * compared with CRYPTO_memcmp (constant time). Base64url is strict: no padding,
 * no characters outside [A-Za-z0-9_-], no non-zero trailing bits.
 *
 * Why not libjwt: Debian's libjwt 1.10.2 picks the algorithm from the token's
 * own header (it has no key callback to pin it before verifying; that came in
 * 1.12) and accepts an HS512 token with an HS256 secret; see docs/DESIGN.md.
 *
 * Claims (iss, iat, sub) are the caller's business: jwt_hs256_decode hands back
 * the payload's JSON text. Pure functions, thread-safe.
 */
#ifndef FG_JWT_H
#define FG_JWT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/errors.h"

/* Verify token (NUL-terminated) with key and return its payload as a
 * malloc'd NUL-terminated JSON text in *payload. -FG_EUNAUTHORIZED with err
 * saying why (malformed, alg, signature), -FG_ENOMEM. */
int jwt_hs256_verify(const char *token, const void *key, size_t key_len, char **payload,
                     struct fg_err *err);
/* The payload without verifying the signature (the header alg is still
 * checked): to find which app's key to verify with. Same returns. */
int jwt_hs256_peek(const char *token, char **payload, struct fg_err *err);
/* Sign payload_json: a malloc'd "header.payload.signature", NULL on OOM. */
char *jwt_hs256_sign(const char *payload_json, const void *key, size_t key_len);

/* Base64url without padding. Encode: malloc'd text or NULL. Decode: malloc'd
 * bytes plus a NUL (*out_len excludes it), or NULL when the text is not strict
 * base64url. */
char *jwt_b64url_encode(const void *data, size_t len);
unsigned char *jwt_b64url_decode(const char *text, size_t len, size_t *out_len);

#endif
