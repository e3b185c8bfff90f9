/* tradeboss_auth.c - allow-lists and signatures of TradeBoss clients; see tradeboss_auth.h. */
#include "families/tradeboss/tradeboss_auth.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/sig.h"

#define SIG_T_DIGITS_MAX 16
#define SIG_HEX_BYTES SIG_SHA256_HEX_BYTES

int tb_cidr_parse(const char *text, struct tb_cidr *out, struct fg_err *err)
{
    char buf[INET6_ADDRSTRLEN + 8];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof(buf))
        return fg_fail(err, -FG_EBAD_FIELD, "cidr '%.64s' is not an address/prefix", text);
    memcpy(buf, text, n + 1);
    memset(out, 0, sizeof(*out));
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = AF_INET;
        out->prefix_bits = 32;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = AF_INET6;
        out->prefix_bits = 128;
    } else {
        return fg_fail(err, -FG_EBAD_FIELD, "cidr '%.64s' has no valid ipv4 or ipv6 address", text);
    }
    if (slash) {
        const char *p = slash + 1;
        int bits = 0;
        if (!*p || strlen(p) > 3)
            return fg_fail(err, -FG_EBAD_FIELD, "cidr '%.64s' has a bad prefix length", text);
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return fg_fail(err, -FG_EBAD_FIELD, "cidr '%.64s' has a bad prefix length", text);
            bits = bits * 10 + (*p - '0');
        }
        if (bits > out->prefix_bits)
            return fg_fail(err, -FG_EBAD_FIELD, "cidr '%.64s' has a prefix longer than %d", text,
                           out->prefix_bits);
        out->prefix_bits = bits;
    }
    int bytes = out->family == AF_INET ? 4 : 16;
    for (int i = 0; i < bytes; i++) {
        int keep = out->prefix_bits - 8 * i;
        uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
        if (out->addr[i] & (uint8_t)~mask)
            return fg_fail(err, -FG_EBAD_FIELD, "cidr '%.64s' has host bits set below its prefix",
                           text);
    }
    return 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, int bits)
{
    int full = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

bool tb_cidr_match(const struct tb_cidr *c, const struct sockaddr_storage *peer, socklen_t peer_len)
{
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (peer->ss_family == AF_INET && peer_len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)peer;
        return c->family == AF_INET &&
               prefix_equal((const uint8_t *)&in->sin_addr, c->addr, c->prefix_bits);
    }
    if (peer->ss_family == AF_INET6 && peer_len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const uint8_t *a = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;
        if (c->family == AF_INET6)
            return prefix_equal(a, c->addr, c->prefix_bits);
        return memcmp(a, v4mapped, sizeof(v4mapped)) == 0 &&
               prefix_equal(a + 12, c->addr, c->prefix_bits);
    }
    return false;
}

enum tb_sig_result tb_signature_check(const char *header, const char *secret, size_t secret_len,
                                      const char *body, size_t body_len, int64_t now_ms)
{
    if (!header || !*header)
        return TB_SIG_MISSING;
    if (strncmp(header, "t=", 2) != 0)
        return TB_SIG_MALFORMED;
    const char *t = header + 2;
    size_t tn = 0;
    while (t[tn] >= '0' && t[tn] <= '9')
        tn++;
    if (tn == 0 || tn > SIG_T_DIGITS_MAX || strncmp(t + tn, ",v1=", 4) != 0)
        return TB_SIG_MALFORMED;
    const char *v1 = t + tn + 4;
    if (strlen(v1) != SIG_HEX_BYTES)
        return TB_SIG_MALFORMED;
    for (size_t i = 0; i < SIG_HEX_BYTES; i++)
        if (!((v1[i] >= '0' && v1[i] <= '9') || (v1[i] >= 'a' && v1[i] <= 'f')))
            return TB_SIG_MALFORMED;

    /* Signed text: t as sent, '.', the raw body. */
    char *msg = malloc(tn + 1 + body_len);
    if (!msg)
        return TB_SIG_WRONG; /* refuse rather than accept unverified */
    memcpy(msg, t, tn);
    msg[tn] = '.';
    memcpy(msg + tn + 1, body, body_len);
    bool mac_ok =
        sig_hmac_sha256_hex_verify(secret, secret_len, msg, tn + 1 + body_len, v1, SIG_HEX_BYTES);
    free(msg);
    if (!mac_ok)
        return TB_SIG_WRONG;

    int64_t t_ms = 0;
    for (size_t i = 0; i < tn; i++)
        t_ms = t_ms * 10 + (t[i] - '0'); /* at most 16 digits: no overflow */
    int64_t skew = t_ms > now_ms ? t_ms - now_ms : now_ms - t_ms;
    if (skew > FG_TB_SKEW_MS_MAX)
        return TB_SIG_EXPIRED;
    return TB_SIG_OK;
}

void tb_signature_make(const char *secret, size_t secret_len, int64_t t_ms, const char *body,
                       size_t body_len, char *out, size_t cap)
{
    char t[24];
    int tn = snprintf(t, sizeof(t), "%lld", (long long)t_ms);
    char *msg = malloc((size_t)tn + 1 + body_len);
    char mac[SIG_HEX_BYTES + 1] = "";
    if (msg) {
        memcpy(msg, t, (size_t)tn);
        msg[tn] = '.';
        memcpy(msg + tn + 1, body, body_len);
        sig_hmac_sha256_hex(secret, secret_len, msg, (size_t)tn + 1 + body_len, mac);
        free(msg);
    }
    snprintf(out, cap, "t=%s,v1=%s", t, mac);
}
