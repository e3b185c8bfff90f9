/*
 * fuzz_cidr.c - tb_cidr_parse (the `allow` list of a TradeBoss client) and
 * tb_cidr_match (every allow-listed request's peer address).
 *
 * Input: line 1 the CIDR text (a C string); the rest a peer: one byte whose
 * low bit picks IPv6, then up to 16 address bytes. Properties:
 * - accepted exactly when the text is an address inet_pton takes, optionally
 *   followed by '/' and 1 to 3 digits no larger than the family's bits, with
 *   no host bits set below the prefix (a reference written here, with no
 *   length limit: a long text is refused only because it is not an address);
 * - what it accepts prints (inet_ntop "/" prefix) to a text that parses to
 *   the same CIDR; the network address matches, as does its IPv4-mapped IPv6
 *   form for an IPv4 CIDR; flipping the last prefix bit leaves the network,
 *   flipping the last address bit (when outside the prefix) does not;
 * - the fuzzed peer matches exactly when its first prefix bits equal the
 *   network's (IPv4 peers never match IPv6 networks).
 */
#include "fuzz.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "families/tradeboss/tradeboss_auth.h"

static bool reference_parse(const char *text, struct tb_cidr *out)
{
    char addr[512];
    const char *slash = strchr(text, '/');
    size_t n = slash ? (size_t)(slash - text) : strlen(text);
    if (n >= sizeof(addr))
        return false;
    memcpy(addr, text, n);
    addr[n] = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, addr, out->addr) == 1)
        *out = (struct tb_cidr){.family = AF_INET, .prefix_bits = 32, .addr = {0}};
    else if (inet_pton(AF_INET6, addr, out->addr) == 1)
        *out = (struct tb_cidr){.family = AF_INET6, .prefix_bits = 128, .addr = {0}};
    else
        return false;
    inet_pton(out->family, addr, out->addr);
    if (slash) {
        const char *p = slash + 1;
        size_t digits = strspn(p, "0123456789");
        if (digits < 1 || digits > 3 || p[digits] || atoi(p) > out->prefix_bits)
            return false;
        out->prefix_bits = atoi(p);
    }
    for (int bit = out->prefix_bits; bit < (out->family == AF_INET ? 32 : 128); bit++)
        if (out->addr[bit / 8] & (0x80 >> (bit % 8)))
            return false;
    return true;
}

static bool bits_equal(const uint8_t *a, const uint8_t *b, int bits)
{
    for (int bit = 0; bit < bits; bit++)
        if ((a[bit / 8] ^ b[bit / 8]) & (0x80 >> (bit % 8)))
            return false;
    return true;
}

static bool match(const struct tb_cidr *c, int family, const uint8_t *addr)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        memcpy(&in->sin_addr, addr, 4);
        return tb_cidr_match(c, &ss, sizeof(*in));
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    memcpy(&in6->sin6_addr, addr, 16);
    return tb_cidr_match(c, &ss, sizeof(*in6));
}

static void check_accepted(const struct tb_cidr *c)
{
    int bits = c->family == AF_INET ? 32 : 128;
    FUZZ_CHECK(c->prefix_bits >= 0 && c->prefix_bits <= bits, "prefix %d", c->prefix_bits);
    char text[INET6_ADDRSTRLEN + 8], addr[INET6_ADDRSTRLEN];
    FUZZ_CHECK(inet_ntop(c->family, c->addr, addr, sizeof(addr)), "inet_ntop");
    snprintf(text, sizeof(text), "%s/%d", addr, c->prefix_bits);
    struct tb_cidr again;
    FUZZ_CHECK(tb_cidr_parse(text, &again, NULL) == 0 && memcmp(&again, c, sizeof(again)) == 0,
               "'%s' does not parse back to the same cidr", text);

    uint8_t a[16];
    memcpy(a, c->addr, 16);
    FUZZ_CHECK(match(c, c->family, a), "the network address %s does not match", text);
    if (c->family == AF_INET) {
        uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        memcpy(mapped + 12, a, 4);
        FUZZ_CHECK(match(c, AF_INET6, mapped), "%s misses its ipv4-mapped form", text);
    }
    if (c->prefix_bits > 0) {
        int bit = c->prefix_bits - 1;
        a[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
        FUZZ_CHECK(!match(c, c->family, a), "%s matches outside its prefix", text);
        a[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
    }
    if (c->prefix_bits < bits) {
        a[bits / 8 - 1] ^= 1;
        FUZZ_CHECK(match(c, c->family, a), "%s misses a host inside it", text);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *line;
    size_t line_len;
    fuzz_line(&data, &size, &line, &line_len);
    char *text = fuzz_cstr(line, line_len);

    struct tb_cidr got, want;
    struct fg_err err = {0};
    int rc = tb_cidr_parse(text, &got, &err);
    bool ok = reference_parse(text, &want);
    FUZZ_CHECK((rc == 0) == ok, "'%s': rc %d (%s), reference %s", text, rc, err.msg,
               ok ? "accepts" : "refuses");
    if (rc != 0) {
        FUZZ_CHECK(rc == -FG_EBAD_FIELD && err.msg[0], "refusal without code or message");
        free(text);
        return 0;
    }
    FUZZ_CHECK(memcmp(&got, &want, sizeof(got)) == 0, "'%s' parses to another cidr", text);
    check_accepted(&got);

    uint8_t peer[16] = {0};
    int family = size > 0 && (data[0] & 1) ? AF_INET6 : AF_INET;
    if (size > 1)
        memcpy(peer, data + 1, size - 1 < 16 ? size - 1 : 16);
    bool expect;
    if (family == got.family)
        expect = bits_equal(peer, got.addr, got.prefix_bits);
    else if (got.family == AF_INET) /* an IPv6 peer: only its IPv4-mapped form */
        expect = memcmp(peer, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0 &&
                 bits_equal(peer + 12, got.addr, got.prefix_bits);
    else
        expect = false;
    FUZZ_CHECK(match(&got, family, peer) == expect, "'%s' and the fuzzed peer", text);
    free(text);
    return 0;
}
