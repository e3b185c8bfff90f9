/*
 * jwt.h - HS256 JSON Web Tokens, pinned: sign and verify, nothing else.
 *
 * What it is for: the Funds family's X-Auth-Token (docs/protocols/funds.md
 * "The token: `X-Auth-Token`") and `fundgate token`. Not for: other
 * algorithms. The header must be a JSON object whose "alg" is exactly "HS256"
 * ("typ", when present, "JWT"); "none", "HS512", "RS256" and every other alg are refused
 * before any key is used. The signature is recomputed with OpenSSL's HMAC and
 * compared with CRYPTO_memcmp (constant time). Base64url is strict: no padding,
 * no characters outside [A-Za-z0-9_-], no non-zero trailing bits.
 *
 * Why not libjwt: Debian's libjwt 1.10.2 picks the algorithm from the token's
 * own header (it has no key callback to pin it before verifying; that came in
 * 1.12) and accepts an HS512 token with an HS256 secret; see docs/DESIGN.md.
 *
 * Claims (iss, sub) are the caller's business: jwt_hs256_verify hands back the
 * payload's JSON text. The time claims have one checker, jwt_claims_time_check,
 * because they are integers from outside: every comparison with them is made in
 * 128 bits, so no value of iat, exp or nbf (INT64_MIN, INT64_MAX, negative) can
 * overflow or wrap into a token that never expires (issue 9). Pure functions,
 * thread-safe.
 */
#ifndef FG_JWT_H
#define FG_JWT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

/* Verify token (NUL-terminated) with key and return its payload as a
 * malloc'd NUL-terminated JSON text in *payload. -FG_EUNAUTHORIZED with err
 * saying why (malformed, alg, signature), -FG_ENOMEM. */
int jwt_hs256_verify(const char *token, const void *key, size_t key_len, char **payload,
                     struct fg_err *err);
/* The payload without verifying the signature (the header alg is still
 * checked): to find which app's key to verify with. Same returns. */
int jwt_hs256_peek(const char *token, char **payload, struct fg_err *err);
/* The time claims of a payload (a JSON object) at now_s, unix seconds:
 *   iat  required integer: refused when more than skew_s in the future or more
 *        than max_age_s in the past (the tokens carry no exp of their own);
 *   exp  optional integer: refused when now_s >= exp + skew_s (expired);
 *   nbf  optional integer: refused when now_s < nbf - skew_s (not yet valid).
 * A claim of another JSON type (string, real, boolean, null) is refused. 0 or
 * -FG_EUNAUTHORIZED with err saying which claim. */
int jwt_claims_time_check(const json_t *claims, int64_t now_s, int64_t max_age_s, int64_t skew_s,
                          struct fg_err *err);
/* Sign payload_json: a malloc'd "header.payload.signature", NULL on OOM. */
char *jwt_hs256_sign(const char *payload_json, const void *key, size_t key_len);

/* Base64url without padding. Encode: malloc'd text or NULL. Decode: malloc'd
 * bytes plus a NUL (*out_len excludes it), or NULL when the text is not strict
 * base64url. */
char *jwt_b64url_encode(const void *data, size_t len);
unsigned char *jwt_b64url_decode(const char *text, size_t len, size_t *out_len);

#endif
