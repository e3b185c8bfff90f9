/*
 * sig.c - signatures and their encodings over OpenSSL 3; see sig.h.
 *
 * Decisions:
 * - HMAC verification decodes the hex first and compares the 32 MAC bytes
 *   with CRYPTO_memcmp, so upper- and lowercase hex are the same signature
 *   and the compare time does not depend on where a forgery differs.
 * - RSA keys are held as EVP_PKEY; sign and verify make an EVP_MD_CTX per
 *   call, so one parsed key serves every thread. PKCS#1 v1.5 is OpenSSL's
 *   default padding for RSA with EVP_DigestSign; it is set explicitly anyway
 *   so a change of default cannot change the wire.
 * - PEM input is read from memory with a pass-phrase callback that refuses,
 *   so an encrypted key fails instead of blocking on a terminal prompt.
 */
#include "core/sig.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/limits.h"

struct sig_key {
    EVP_PKEY *pkey;
    bool private_key;
};

void sig_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t len,
                     uint8_t out[SIG_SHA256_BYTES])
{
    unsigned int n = 0;
    FG_ASSERT(key_len <= INT32_MAX);
    uint8_t *r = HMAC(EVP_sha256(), key, (int)key_len, msg, len, out, &n);
    FG_ASSERT(r != NULL && n == SIG_SHA256_BYTES);
}

void sig_hmac_sha256_hex(const void *key, size_t key_len, const void *msg, size_t len,
                         char out[SIG_SHA256_HEX_BYTES + 1])
{
    uint8_t mac[SIG_SHA256_BYTES];
    sig_hmac_sha256(key, key_len, msg, len, mac);
    sig_hex_encode(mac, sizeof(mac), out);
}

bool sig_hmac_sha256_hex_verify(const void *key, size_t key_len, const void *msg, size_t len,
                                const char *hex, size_t hex_len)
{
    uint8_t given[SIG_SHA256_BYTES], mac[SIG_SHA256_BYTES];
    size_t n = 0;
    if (hex_len != SIG_SHA256_HEX_BYTES || !sig_hex_decode(hex, hex_len, given, sizeof(given), &n))
        return false;
    sig_hmac_sha256(key, key_len, msg, len, mac);
    bool ok = CRYPTO_memcmp(given, mac, sizeof(mac)) == 0;
    OPENSSL_cleanse(mac, sizeof(mac));
    return ok;
}

bool sig_equal(const void *a, size_t a_len, const void *b, size_t b_len)
{
    return a_len == b_len && CRYPTO_memcmp(a, b, a_len) == 0;
}

/* --- hex -------------------------------------------------------------------- */

void sig_hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool sig_hex_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    if (n % 2 != 0 || n / 2 > cap)
        return false;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_value(in[i]), lo = hex_value(in[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = n / 2;
    return true;
}

/* --- base64 ----------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t sig_base64_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

size_t sig_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    size_t need = sig_base64_len(n);
    if (n > SIZE_MAX / 2 || need + 1 > cap)
        return 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = '\0';
    FG_ASSERT(o == need);
    return o;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

bool sig_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    if (n % 4 != 0)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        bool last = i + 4 == n;
        int pad = last ? (in[i + 3] == '=') + (in[i + 2] == '=' && in[i + 3] == '=') : 0;
        int v[4] = {0};
        for (int k = 0; k < 4 - pad; k++)
            if ((v[k] = b64_value(in[i + k])) < 0)
                return false;
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        /* Bits past the last byte must be zero: one text per byte string. */
        if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
            return false;
        size_t bytes = 3 - (size_t)pad;
        if (o + bytes > cap)
            return false;
        out[o++] = (uint8_t)(w >> 16);
        if (bytes > 1)
            out[o++] = (uint8_t)(w >> 8);
        if (bytes > 2)
            out[o++] = (uint8_t)w;
    }
    *out_len = o;
    return true;
}

/* --- form-URL encoding ------------------------------------------------------- */

static bool form_kept(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '*' || c == '_';
}

size_t sig_form_url_encode(const char *in, size_t n, char *out, size_t cap)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        size_t need = form_kept(c) || c == ' ' ? 1 : 3;
        if (o + need + 1 > cap)
            return 0;
        if (form_kept(c)) {
            out[o++] = (char)c;
        } else if (c == ' ') {
            out[o++] = '+';
        } else {
            out[o++] = '%';
            out[o++] = digits[c >> 4];
            out[o++] = digits[c & 15];
        }
    }
    if (o + 1 > cap)
        return 0;
    out[o] = '\0';
    return o;
}

bool sig_form_url_decode(const char *in, size_t n, char *out, size_t cap, size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '%') {
            if (n - i < 3)
                return false;
            int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (o + 2 > cap)
            return false;
        out[o++] = c;
    }
    if (o + 1 > cap)
        return false;
    out[o] = '\0';
    *out_len = o;
    return true;
}

/* --- RSA ---------------------------------------------------------------------- */

static int refuse_pass_phrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

int sig_key_parse_pem(const char *pem, size_t len, bool private_key, struct sig_key **out,
                      struct fg_err *err)
{
    *out = NULL;
    if (len == 0 || len > FG_SIG_PEM_BYTES_MAX)
        return fg_fail(err, -FG_EBAD_FIELD, "a PEM key is 1 to %d bytes", FG_SIG_PEM_BYTES_MAX);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return fg_fail(err, -FG_ENOMEM, "out of memory reading a key");
    EVP_PKEY *pkey = private_key ? PEM_read_bio_PrivateKey(bio, NULL, refuse_pass_phrase, NULL)
                                 : PEM_read_bio_PUBKEY(bio, NULL, refuse_pass_phrase, NULL);
    BIO_free(bio);
    if (!pkey)
        return fg_fail(err, -FG_EBAD_FIELD, "not a%s PEM %s key",
                       private_key ? "n unencrypted" : "", private_key ? "private" : "public");
    int bits = EVP_PKEY_get_bits(pkey);
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA || bits < FG_SIG_RSA_BITS_MIN ||
        bits > FG_SIG_RSA_BITS_MAX) {
        EVP_PKEY_free(pkey);
        return fg_fail(err, -FG_EBAD_FIELD, "the key must be RSA of %d to %d bits",
                       FG_SIG_RSA_BITS_MIN, FG_SIG_RSA_BITS_MAX);
    }
    struct sig_key *k = calloc(1, sizeof(*k));
    if (!k) {
        EVP_PKEY_free(pkey);
        return fg_fail(err, -FG_ENOMEM, "out of memory reading a key");
    }
    k->pkey = pkey;
    k->private_key = private_key;
    *out = k;
    return 0;
}

void sig_key_free(struct sig_key *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    free(k);
}

int sig_key_bits(const struct sig_key *k)
{
    return EVP_PKEY_get_bits(k->pkey);
}

char *sig_key_public_pem(const struct sig_key *k, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *text = NULL;
    if (bio && PEM_write_bio_PUBKEY(bio, k->pkey) == 1) {
        char *p = NULL;
        long n = BIO_get_mem_data(bio, &p);
        if (n > 0 && (text = malloc((size_t)n + 1))) {
            memcpy(text, p, (size_t)n);
            text[n] = '\0';
            *len = (size_t)n;
        }
    }
    BIO_free(bio);
    return text;
}

int sig_key_generate(int bits, struct sig_key **out, struct fg_err *err)
{
    *out = NULL;
    if (bits < FG_SIG_RSA_BITS_MIN || bits > FG_SIG_RSA_BITS_MAX)
        return fg_fail(err, -FG_EBAD_FIELD, "an RSA key has %d to %d bits", FG_SIG_RSA_BITS_MIN,
                       FG_SIG_RSA_BITS_MAX);
    EVP_PKEY *pkey = EVP_RSA_gen((unsigned int)bits);
    struct sig_key *k = pkey ? calloc(1, sizeof(*k)) : NULL;
    if (!k) {
        EVP_PKEY_free(pkey);
        return fg_fail(err, -FG_EINTERNAL, "RSA key generation failed");
    }
    k->pkey = pkey;
    k->private_key = true;
    *out = k;
    return 0;
}

char *sig_key_private_pem(const struct sig_key *k, size_t *len)
{
    if (!k->private_key)
        return NULL;
    BIO *bio = BIO_new(BIO_s_secmem());
    char *text = NULL;
    if (bio && PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) == 1) {
        char *p = NULL;
        long n = BIO_get_mem_data(bio, &p);
        if (n > 0 && (text = malloc((size_t)n + 1))) {
            memcpy(text, p, (size_t)n);
            text[n] = '\0';
            *len = (size_t)n;
        }
    }
    BIO_free(bio);
    return text;
}

/* A digest context set up for SHA256withRSA, PKCS#1 v1.5. */
static EVP_MD_CTX *rsa_ctx(const struct sig_key *k, bool sign)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = md != NULL;
    if (ok)
        ok = sign ? EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, k->pkey)
                  : EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, k->pkey);
    if (ok == 1)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING);
    if (ok != 1) {
        EVP_MD_CTX_free(md);
        return NULL;
    }
    return md;
}

int sig_rsa_sha256_sign(const struct sig_key *k, const void *msg, size_t len, uint8_t *sig,
                        size_t cap, size_t *sig_len, struct fg_err *err)
{
    if (!k->private_key)
        return fg_fail(err, -FG_EBAD_REQUEST, "a public key cannot sign");
    size_t need = (size_t)EVP_PKEY_get_size(k->pkey);
    if (cap < need)
        return fg_fail(err, -FG_EBAD_REQUEST, "a signature needs %zu bytes", need);
    EVP_MD_CTX *md = rsa_ctx(k, true);
    size_t n = cap;
    int ok = md && EVP_DigestSign(md, sig, &n, msg, len) == 1;
    EVP_MD_CTX_free(md);
    if (!ok)
        return fg_fail(err, -FG_EINTERNAL, "RSA signing failed");
    *sig_len = n;
    return 0;
}

bool sig_rsa_sha256_verify(const struct sig_key *k, const void *msg, size_t len, const uint8_t *sig,
                           size_t sig_len)
{
    EVP_MD_CTX *md = rsa_ctx(k, false);
    bool ok = md && EVP_DigestVerify(md, sig, sig_len, msg, len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}
