/*
 * sig.h - message signatures and the encodings that carry them (issue 12;
 * written for the FX families: YabandPay signs with HMAC-SHA256 in hex,
 * WorldFirst with RSA-SHA256 in base64, form-URL-encoded).
 *
 * What it is for: computing and checking signatures over bytes a caller has
 * already assembled (the "string to sign" is each protocol's business, in
 * its adapter), and the text encodings around them: lowercase hex, standard
 * base64 with padding, application/x-www-form-urlencoded. Every comparison of
 * a secret or a signature is constant-time in the bytes compared (lengths
 * may leak: they are public). Not for: secrets at rest (seal.h), JWT (jwt.h).
 *
 * Everything goes through OpenSSL 3 (HMAC, EVP_DigestSign/Verify, PEM);
 * nothing here is hand-written cryptography.
 *
 * Threading: pure functions, thread-safe. A struct sig_key is immutable once
 * parsed and may be used by several threads at once (each call makes its own
 * EVP_MD_CTX); sig_key_free it when no thread uses it any more.
 *
 * Decoders are strict and bounded: they never write past `cap`, refuse
 * anything outside their alphabet (no whitespace, no missing padding), and
 * report the decoded length. An encoder returns the length written without
 * the NUL it adds, or 0 when `cap` is too small (nothing usable written).
 */
#ifndef FG_SIG_H
#define FG_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

#define SIG_SHA256_BYTES 32
#define SIG_SHA256_HEX_BYTES 64 /* without the NUL */

/* HMAC-SHA256(key, msg). */
void sig_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t len,
                     uint8_t out[SIG_SHA256_BYTES]);
/* HMAC-SHA256(key, msg) as 64 lowercase hex characters and a NUL. */
void sig_hmac_sha256_hex(const void *key, size_t key_len, const void *msg, size_t len,
                         char out[SIG_SHA256_HEX_BYTES + 1]);
/* True when hex (hex_len bytes, upper or lower case) is HMAC-SHA256(key, msg).
 * Anything but 64 hex characters is false. Constant-time in the MAC bytes. */
bool sig_hmac_sha256_hex_verify(const void *key, size_t key_len, const void *msg, size_t len,
                                const char *hex, size_t hex_len);

/* Compare a and b in time independent of where they differ. */
bool sig_equal(const void *a, size_t a_len, const void *b, size_t b_len);

/* Lowercase hex of n bytes into out (2n + 1 bytes with the NUL). */
void sig_hex_encode(const uint8_t *in, size_t n, char *out);
/* Hex (either case, even length) into out; false when malformed or when it
 * would need more than cap bytes. */
bool sig_hex_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len);

/* Standard base64 (RFC 4648 section 4, '+' '/', '=' padding). */
size_t sig_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap);
/* Strict: a multiple of 4 characters of the alphabet, padding only at the
 * end, unused bits zero. False otherwise or past cap. */
bool sig_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len);
/* Characters base64 needs for n bytes, without the NUL. */
size_t sig_base64_len(size_t n);

/* application/x-www-form-urlencoded, as Java's URLEncoder writes it:
 * A-Z a-z 0-9 '.' '-' '*' '_' kept, a space becomes '+', every other byte
 * %XX with uppercase hex (so base64's '+' '/' '=' become %2B %2F %3D). */
size_t sig_form_url_encode(const char *in, size_t n, char *out, size_t cap);
/* The inverse: '+' is a space, %XX in either case; a '%' without two hex
 * digits is refused. out gets a NUL after out_len bytes (cap counts it). */
bool sig_form_url_decode(const char *in, size_t n, char *out, size_t cap, size_t *out_len);

/* RSA keys and SHA256withRSA (PKCS#1 v1.5). */
struct sig_key;

/* Parse a PEM key: a private key ("-----BEGIN PRIVATE KEY-----" PKCS#8 or
 * "BEGIN RSA PRIVATE KEY") when private_key, else a public key ("BEGIN
 * PUBLIC KEY"). Only RSA keys of FG_SIG_RSA_BITS_MIN..FG_SIG_RSA_BITS_MAX
 * bits are taken (-FG_EBAD_FIELD otherwise, err says why). An encrypted PEM
 * is refused rather than prompting for a pass phrase. */
int sig_key_parse_pem(const char *pem, size_t len, bool private_key, struct sig_key **out,
                      struct fg_err *err);
void sig_key_free(struct sig_key *k);
int sig_key_bits(const struct sig_key *k);
/* The public half as PEM ("BEGIN PUBLIC KEY"), malloc'd and NUL-terminated. */
char *sig_key_public_pem(const struct sig_key *k, size_t *len);

/* A new RSA key pair of `bits` bits (OpenSSL's generator and CSPRNG). */
int sig_key_generate(int bits, struct sig_key **out, struct fg_err *err);
/* The private key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"), malloc'd
 * and NUL-terminated (the caller wipes and frees it); NULL for a public key
 * or on failure. */
char *sig_key_private_pem(const struct sig_key *k, size_t *len);

/* Sign msg with a private key; *sig_len gets the signature's length (the
 * key's size in bytes). -FG_EBAD_REQUEST when cap is too small or the key is
 * public, -FG_EINTERNAL if OpenSSL fails. */
int sig_rsa_sha256_sign(const struct sig_key *k, const void *msg, size_t len, uint8_t *sig,
                        size_t cap, size_t *sig_len, struct fg_err *err);
/* True when sig is a valid SHA256withRSA signature of msg under k. */
bool sig_rsa_sha256_verify(const struct sig_key *k, const void *msg, size_t len, const uint8_t *sig,
                           size_t sig_len);

#endif
