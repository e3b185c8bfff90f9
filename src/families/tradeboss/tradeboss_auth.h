/*
 * tradeboss_auth.h - how a TradeBoss client proves who it is: source-address
 * allow-lists (IPv4 and IPv6 CIDRs) and the X-Signature HMAC header
 * (docs/protocols/tradeboss.md "Authentication"). The vendor documents no
 * signature, so fundgate offers both and a client is registered with one.
 *
 * Signature header: `X-Signature: t=<ms>,v1=<64 lowercase hex>` where v1 is
 * HMAC-SHA256(secret, t + "." + raw body) and t (1..16 digits, the text as
 * sent is what is signed) lies within FG_TB_SKEW_MS_MAX of our clock. The MAC
 * is compared in constant time and checked before the time window.
 *
 * Pure functions, no state, thread-safe. Nothing here logs or copies a secret.
 */
#ifndef FG_TRADEBOSS_AUTH_H
#define FG_TRADEBOSS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/errors.h"

struct tb_cidr {
    int family;       /* AF_INET or AF_INET6 */
    int prefix_bits;  /* 0..32 or 0..128 */
    uint8_t addr[16]; /* network address, host bits zero */
};

/* "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). Host bits
 * set below the prefix are refused ("10.0.0.1/8"): -FG_EBAD_FIELD. */
int tb_cidr_parse(const char *text, struct tb_cidr *out, struct fg_err *err);
/* Whether the peer address lies in the CIDR; an IPv4-mapped IPv6 peer
 * (::ffff:a.b.c.d) is matched as its IPv4 address. */
bool tb_cidr_match(const struct tb_cidr *c, const struct sockaddr_storage *peer,
                   socklen_t peer_len);

enum tb_sig_result {
    TB_SIG_OK,
    TB_SIG_MISSING,   /* no header */
    TB_SIG_MALFORMED, /* not t=<digits>,v1=<64 hex> */
    TB_SIG_WRONG,     /* MAC differs */
    TB_SIG_EXPIRED,   /* MAC right, t outside the window */
};

enum tb_sig_result tb_signature_check(const char *header, const char *secret, size_t secret_len,
                                      const char *body, size_t body_len, int64_t now_ms);
/* The header value for t and body (tests, docs, the bench): out holds
 * "t=<t>,v1=<hex>"; cap >= 100. */
void tb_signature_make(const char *secret, size_t secret_len, int64_t t_ms, const char *body,
                       size_t body_len, char *out, size_t cap);

#endif
