/* jwt.c - HS256 tokens with a pinned algorithm; see jwt.h. */
#include "core/jwt.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/sig.h"

/* __int128 is a GNU extension; __extension__ keeps -Wpedantic quiet about it. */
__extension__ typedef __int128 jwt_i128;

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *jwt_b64url_encode(const void *data, size_t len)
{
    const unsigned char *p = data;
    char *out = malloc(len / 3 * 4 + 5);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
        out[o++] = b64url[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
    }
    out[o] = '\0';
    return out;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

unsigned char *jwt_b64url_decode(const char *text, size_t len, size_t *out_len)
{
    if (len % 4 == 1)
        return NULL;
    unsigned char *out = malloc(len / 4 * 3 + 3);
    if (!out)
        return NULL;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(text[i]);
        if (v < 0)
            goto bad;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    /* Leftover bits must be zero: one text, one encoding. */
    if (bits && (acc & ((1u << bits) - 1)))
        goto bad;
    out[o] = '\0';
    *out_len = o;
    return out;
bad:
    free(out);
    return NULL;
}

/* Split and check the header; *dot2 is the offset of the second dot. */
static int split_and_check_header(const char *token, size_t *dot1, size_t *dot2, struct fg_err *err)
{
    size_t len = strnlen(token, FG_JWT_BYTES_MAX + 1);
    if (len > FG_JWT_BYTES_MAX)
        return fg_fail(err, -FG_EUNAUTHORIZED, "token longer than %d bytes", FG_JWT_BYTES_MAX);
    const char *a = strchr(token, '.');
    const char *b = a ? strchr(a + 1, '.') : NULL;
    if (!a || !b || strchr(b + 1, '.'))
        return fg_fail(err, -FG_EUNAUTHORIZED, "token is not three dot-separated parts");
    *dot1 = (size_t)(a - token);
    *dot2 = (size_t)(b - token);
    size_t hlen = 0;
    unsigned char *h = jwt_b64url_decode(token, *dot1, &hlen);
    if (!h)
        return fg_fail(err, -FG_EUNAUTHORIZED, "token header is not base64url");
    json_t *hdr = json_loadb((const char *)h, hlen, JSON_REJECT_DUPLICATES, NULL);
    free(h);
    int rc = 0;
    const char *key;
    json_t *v;
    if (!json_is_object(hdr)) {
        rc = fg_fail(err, -FG_EUNAUTHORIZED, "token header is not a json object");
        goto out;
    }
    if (!json_is_string(json_object_get(hdr, "alg")) ||
        strcmp(json_string_value(json_object_get(hdr, "alg")), "HS256") != 0) {
        rc = fg_fail(err, -FG_EUNAUTHORIZED, "token alg must be HS256");
        goto out;
    }
    json_object_foreach(hdr, key, v)
    {
        if (strcmp(key, "alg") == 0)
            continue;
        if (strcmp(key, "typ") == 0 && json_is_string(v) &&
            strcmp(json_string_value(v), "JWT") == 0)
            continue;
        rc = fg_fail(err, -FG_EUNAUTHORIZED, "token header field '%.32s' is not accepted", key);
        goto out;
    }
out:
    json_decref(hdr);
    return rc;
}

static int payload_of(const char *token, size_t dot1, size_t dot2, char **payload,
                      struct fg_err *err)
{
    size_t plen = 0;
    unsigned char *p = jwt_b64url_decode(token + dot1 + 1, dot2 - dot1 - 1, &plen);
    if (!p)
        return fg_fail(err, -FG_EUNAUTHORIZED, "token payload is not base64url");
    if (strlen((const char *)p) != plen) {
        free(p);
        return fg_fail(err, -FG_EUNAUTHORIZED, "token payload holds a NUL byte");
    }
    *payload = (char *)p;
    return 0;
}

int jwt_hs256_peek(const char *token, char **payload, struct fg_err *err)
{
    size_t dot1, dot2;
    *payload = NULL;
    int rc = split_and_check_header(token, &dot1, &dot2, err);
    if (rc < 0)
        return rc;
    return payload_of(token, dot1, dot2, payload, err);
}

int jwt_hs256_verify(const char *token, const void *key, size_t key_len, char **payload,
                     struct fg_err *err)
{
    size_t dot1, dot2;
    *payload = NULL;
    int rc = split_and_check_header(token, &dot1, &dot2, err);
    if (rc < 0)
        return rc;
    size_t slen = 0;
    const char *sig_text = token + dot2 + 1;
    unsigned char *sig = jwt_b64url_decode(sig_text, strlen(sig_text), &slen);
    uint8_t mac[SIG_SHA256_BYTES];
    sig_hmac_sha256(key, key_len, token, dot2, mac);
    bool ok = sig && sig_equal(sig, slen, mac, sizeof(mac));
    free(sig);
    if (!ok)
        return fg_fail(err, -FG_EUNAUTHORIZED, "token signature does not verify");
    return payload_of(token, dot1, dot2, payload, err);
}

/* A time claim as an integer: 1 present, 0 absent, negative refused. */
static int time_claim(const json_t *claims, const char *name, bool required, jwt_i128 *out,
                      struct fg_err *err)
{
    json_t *v = json_object_get(claims, name);
    if (!v && !required)
        return 0;
    if (!json_is_integer(v))
        return fg_fail(err, -FG_EUNAUTHORIZED, "token claim '%s' must be an integer", name);
    *out = (jwt_i128)json_integer_value(v);
    return 1;
}

int jwt_claims_time_check(const json_t *claims, int64_t now_s, int64_t max_age_s, int64_t skew_s,
                          struct fg_err *err)
{
    /* 128-bit arithmetic: a difference of two int64 values cannot overflow. */
    const jwt_i128 now = now_s, skew = skew_s;
    jwt_i128 iat = 0, expires = 0, not_before = 0;
    int rc = time_claim(claims, "iat", true, &iat, err);
    if (rc < 0)
        return rc;
    if (iat - now > skew)
        return fg_fail(err, -FG_EUNAUTHORIZED, "token issued more than %lld s in the future",
                       (long long)skew_s);
    if (now - iat > (jwt_i128)max_age_s)
        return fg_fail(err, -FG_EUNAUTHORIZED, "token is older than its %lld s life",
                       (long long)max_age_s);
    if ((rc = time_claim(claims, "exp", false, &expires, err)) < 0)
        return rc;
    if (rc == 1 && now >= expires + skew)
        return fg_fail(err, -FG_EUNAUTHORIZED, "token expired (exp)");
    if ((rc = time_claim(claims, "nbf", false, &not_before, err)) < 0)
        return rc;
    if (rc == 1 && now < not_before - skew)
        return fg_fail(err, -FG_EUNAUTHORIZED, "token is not valid yet (nbf)");
    return 0;
}

char *jwt_hs256_sign(const char *payload_json, const void *key, size_t key_len)
{
    static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    char *h = jwt_b64url_encode(header, sizeof(header) - 1);
    char *p = jwt_b64url_encode(payload_json, strlen(payload_json));
    char *out = NULL;
    if (!h || !p)
        goto out;
    size_t hl = strlen(h), pl = strlen(p);
    out = malloc(hl + pl + 2 + 44);
    if (!out)
        goto out;
    memcpy(out, h, hl);
    out[hl] = '.';
    memcpy(out + hl + 1, p, pl);
    uint8_t mac[SIG_SHA256_BYTES];
    sig_hmac_sha256(key, key_len, out, hl + 1 + pl, mac);
    char *s = jwt_b64url_encode(mac, sizeof(mac));
    if (!s) {
        free(out);
        out = NULL;
        goto out;
    }
    out[hl + 1 + pl] = '.';
    strcpy(out + hl + 2 + pl, s);
    free(s);
out:
    free(h);
    free(p);
    return out;
}
