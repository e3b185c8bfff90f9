/*
 * fuzz_jwt.c - jwt_hs256_verify and jwt_hs256_peek, which read the Funds
 * family's X-Auth-Token before anything else is known about the caller.
 *
 * Input: line 1 the app's secret, the rest the token (a C string, as a header
 * value arrives). Properties:
 * - verify accepts only a token of three dot-separated parts whose header is
 *   {"alg":"HS256"} (plus "typ":"JWT") and whose third part is exactly the
 *   base64url of HMAC-SHA256(secret, first two parts), recomputed here with
 *   OpenSSL directly; the payload it returns is the second part decoded, with
 *   no NUL, and peek returns the same payload;
 * - an accepted token with its signature or payload changed, or checked with
 *   another secret, is refused;
 * - every refusal is -FG_EUNAUTHORIZED with a message;
 * - signing the rest of the input as a payload gives a token that verifies to
 *   that payload (and only with that secret).
 */
#include "fuzz.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/jwt.h"
#include "core/limits.h"

/* base64url without padding, through OpenSSL's base64. */
static void b64url(const unsigned char *in, size_t n, char *out)
{
    int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    while (len > 0 && out[len - 1] == '=')
        len--;
    out[len] = '\0';
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
}

static bool header_pinned(const char *token, size_t len)
{
    size_t n = 0;
    unsigned char *h = jwt_b64url_decode(token, len, &n);
    json_t *hdr = h ? json_loadb((const char *)h, n, JSON_REJECT_DUPLICATES, NULL) : NULL;
    json_t *typ = json_object_get(hdr, "typ");
    bool ok = json_is_object(hdr) && json_is_string(json_object_get(hdr, "alg")) &&
              strcmp(json_string_value(json_object_get(hdr, "alg")), "HS256") == 0 &&
              json_object_size(hdr) == 1u + (typ != NULL) &&
              (!typ || (json_is_string(typ) && strcmp(json_string_value(typ), "JWT") == 0));
    json_decref(hdr);
    free(h);
    return ok;
}

static bool refused(const char *token, const void *key, size_t key_len)
{
    char *payload = NULL;
    struct fg_err err = {0};
    int rc = jwt_hs256_verify(token, key, key_len, &payload, &err);
    free(payload);
    FUZZ_CHECK(rc == 0 || (rc == -FG_EUNAUTHORIZED && err.msg[0] && !payload),
               "refusal rc %d without message", rc);
    return rc != 0;
}

static void check_accepted(const char *token, const char *key, size_t key_len, const char *payload)
{
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    FUZZ_CHECK(dot2 && !strchr(dot2 + 1, '.'), "accepted token is not three parts");
    FUZZ_CHECK(header_pinned(token, (size_t)(dot1 - token)), "accepted header is not HS256");
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)token, (size_t)(dot2 - token), mac,
         &mac_len);
    char want[128];
    b64url(mac, mac_len, want);
    FUZZ_CHECK(strcmp(dot2 + 1, want) == 0, "accepted signature '%s', HMAC is '%s'", dot2 + 1,
               want);
    size_t plen = 0;
    unsigned char *p = jwt_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &plen);
    FUZZ_CHECK(p && plen == strlen(payload) && memcmp(p, payload, plen) == 0,
               "payload is not the second part decoded");
    free(p);
    char *peeked = NULL;
    FUZZ_CHECK(jwt_hs256_peek(token, &peeked, NULL) == 0 && strcmp(peeked, payload) == 0,
               "peek disagrees with verify");
    free(peeked);

    /* Tampering: the last signature character, a payload character, the key. */
    char *t = strdup(token);
    size_t n = strlen(t);
    t[n - 1] = t[n - 1] == 'A' ? 'Q' : 'A';
    FUZZ_CHECK(refused(t, key, key_len), "token with another signature accepted");
    memcpy(t, token, n);
    if (dot2 > dot1 + 1) {
        size_t at = (size_t)(dot1 + 1 - token);
        t[at] = t[at] == 'e' ? 'f' : 'e';
        FUZZ_CHECK(refused(t, key, key_len), "token with another payload accepted");
    }
    free(t);
    char *other = malloc(key_len + 1);
    memcpy(other, key, key_len);
    other[key_len] = 'x';
    FUZZ_CHECK(refused(token, other, key_len + 1), "token accepted under another secret");
    free(other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *key_bytes;
    size_t key_len;
    fuzz_line(&data, &size, &key_bytes, &key_len);
    char *key = fuzz_cstr(key_bytes, key_len);
    char *token = fuzz_cstr(data, size);

    char *payload = NULL;
    struct fg_err err = {0};
    int rc = jwt_hs256_verify(token, key, key_len, &payload, &err);
    if (rc == 0)
        check_accepted(token, key, key_len, payload);
    else
        FUZZ_CHECK(rc == -FG_EUNAUTHORIZED && err.msg[0] && !payload, "refusal rc %d", rc);
    free(payload);

    char *peeked = NULL;
    rc = jwt_hs256_peek(token, &peeked, &err);
    FUZZ_CHECK(rc == 0 || (rc == -FG_EUNAUTHORIZED && !peeked), "peek refusal rc %d", rc);
    if (rc == 0)
        FUZZ_CHECK(strlen(peeked) < strlen(token), "peeked payload longer than the token");
    free(peeked);

    /* The rest of the input as a payload: sign, then verify. */
    char *signed_token = jwt_hs256_sign(token, key, key_len);
    FUZZ_CHECK(signed_token, "sign failed");
    payload = NULL;
    rc = jwt_hs256_verify(signed_token, key, key_len, &payload, &err);
    if (strlen(signed_token) <= FG_JWT_BYTES_MAX) {
        FUZZ_CHECK(rc == 0 && strcmp(payload, token) == 0, "signed token refused: %s", err.msg);
        check_accepted(signed_token, key, key_len, payload);
    } else {
        FUZZ_CHECK(rc == -FG_EUNAUTHORIZED, "token over %d bytes accepted", FG_JWT_BYTES_MAX);
    }
    free(payload);
    free(signed_token);
    free(token);
    free(key);
    return 0;
}
