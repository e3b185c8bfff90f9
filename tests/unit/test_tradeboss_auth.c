/*
 * test_tradeboss_auth.c - families/tradeboss/tradeboss_auth.c: CIDR parsing (IPv4, IPv6,
 * bare addresses, bad prefixes, host bits), matching (IPv4-mapped IPv6 peers),
 * and the X-Signature check (missing, malformed, wrong, expired, right, the
 * edges of the window).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/limits.h"
#include "families/tradeboss/tradeboss_auth.h"

static struct sockaddr_storage peer4(const char *ip, socklen_t *len)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
    *len = sizeof(*in);
    return ss;
}

static struct sockaddr_storage peer6(const char *ip, socklen_t *len)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in6 *in = (struct sockaddr_in6 *)&ss;
    in->sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, ip, &in->sin6_addr), 1);
    *len = sizeof(*in);
    return ss;
}

static bool match(const char *cidr, const struct sockaddr_storage *p, socklen_t len)
{
    struct tb_cidr c;
    struct fg_err err;
    assert_int_equal(tb_cidr_parse(cidr, &c, &err), 0);
    return tb_cidr_match(&c, p, len);
}

static void test_cidr_parse(void **state)
{
    (void)state;
    struct tb_cidr c;
    struct fg_err err;
    assert_int_equal(tb_cidr_parse("127.0.0.0/8", &c, &err), 0);
    assert_int_equal(c.prefix_bits, 8);
    assert_int_equal(tb_cidr_parse("10.1.2.3", &c, &err), 0);
    assert_int_equal(c.prefix_bits, 32);
    assert_int_equal(tb_cidr_parse("0.0.0.0/0", &c, &err), 0);
    assert_int_equal(tb_cidr_parse("2001:db8::/32", &c, &err), 0);
    assert_int_equal(c.prefix_bits, 32);
    assert_int_equal(tb_cidr_parse("::1", &c, &err), 0);
    assert_int_equal(c.prefix_bits, 128);
    const char *bad[] = {"",        "127.0.0.1/8",    "127.0.0.0/33",  "1.2.3/8",
                         "::1/129", "10.0.0.0/",      "10.0.0.0/x",    "10.0.0.0/-1",
                         "host/8",  "2001:db8::1/32", "10.0.0.0/0008", NULL};
    for (int i = 0; bad[i]; i++) {
        if (tb_cidr_parse(bad[i], &c, &err) != -FG_EBAD_FIELD)
            fail_msg("cidr '%s' was accepted", bad[i]);
        assert_non_null(strstr(err.msg, "cidr"));
    }
}

static void test_cidr_match(void **state)
{
    (void)state;
    socklen_t l4, l6, lm;
    struct sockaddr_storage p4 = peer4("127.0.0.1", &l4);
    struct sockaddr_storage p6 = peer6("2001:db8::5", &l6);
    struct sockaddr_storage pm = peer6("::ffff:127.0.0.1", &lm);
    assert_true(match("127.0.0.0/8", &p4, l4));
    assert_true(match("127.0.0.1", &p4, l4));
    assert_true(match("0.0.0.0/0", &p4, l4));
    assert_false(match("10.0.0.0/8", &p4, l4));
    assert_false(match("127.0.0.2", &p4, l4));
    assert_false(match("::/0", &p4, l4)); /* an IPv6 CIDR never matches an IPv4 peer */
    assert_true(match("2001:db8::/32", &p6, l6));
    assert_true(match("2001:db8::4/127", &p6, l6));
    assert_false(match("2001:db8::6/127", &p6, l6));
    assert_false(match("127.0.0.0/8", &p6, l6));
    assert_true(match("127.0.0.0/8", &pm, lm)); /* IPv4-mapped peer */
    assert_false(match("10.0.0.0/8", &pm, lm));
    assert_true(match("126.0.0.0/7", &p4, l4));
    assert_false(match("128.0.0.0/1", &p4, l4));
}

static void test_signature(void **state)
{
    (void)state;
    const char *secret = "demo-secret-0123456789";
    const char *body = "{\"a\":1}";
    size_t sl = strlen(secret), bl = strlen(body);
    int64_t now = 1700000000000;
    char h[160];
    tb_signature_make(secret, sl, now, body, bl, h, sizeof(h));
    assert_int_equal(strncmp(h, "t=1700000000000,v1=", 19), 0);
    assert_int_equal(strlen(h), 19 + 64);
    assert_int_equal(tb_signature_check(h, secret, sl, body, bl, now), TB_SIG_OK);
    /* Window edges: exactly 5 minutes either way is fine, a millisecond more is not. */
    assert_int_equal(tb_signature_check(h, secret, sl, body, bl, now + FG_TB_SKEW_MS_MAX),
                     TB_SIG_OK);
    assert_int_equal(tb_signature_check(h, secret, sl, body, bl, now - FG_TB_SKEW_MS_MAX),
                     TB_SIG_OK);
    assert_int_equal(tb_signature_check(h, secret, sl, body, bl, now + FG_TB_SKEW_MS_MAX + 1),
                     TB_SIG_EXPIRED);
    assert_int_equal(tb_signature_check(h, secret, sl, body, bl, now - FG_TB_SKEW_MS_MAX - 1),
                     TB_SIG_EXPIRED);
    /* Another body, another secret: wrong. */
    assert_int_equal(tb_signature_check(h, secret, sl, "{\"a\":2}", 7, now), TB_SIG_WRONG);
    assert_int_equal(tb_signature_check(h, "other-secret-012345", 19, body, bl, now), TB_SIG_WRONG);
    /* A wrong MAC with an old t is wrong, not expired. */
    assert_int_equal(tb_signature_check(h, secret, sl, "x", 1, now + 3600000), TB_SIG_WRONG);
    assert_int_equal(tb_signature_check(NULL, secret, sl, body, bl, now), TB_SIG_MISSING);
    assert_int_equal(tb_signature_check("", secret, sl, body, bl, now), TB_SIG_MISSING);
    char upper[160];
    snprintf(upper, sizeof(upper), "%s", h);
    for (char *p = upper + 19; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    const char *malformed[] = {"v1=abc",     "t=,v1=00", "t=12,v2=00",
                               "t=12;v1=00", upper,      "t=12345678901234567,v1=" /* 17 digits */,
                               NULL};
    for (int i = 0; malformed[i]; i++)
        if (strcmp(malformed[i], h) != 0 &&
            tb_signature_check(malformed[i], secret, sl, body, bl, now) != TB_SIG_MALFORMED)
            fail_msg("'%s' was not malformed", malformed[i]);
    /* Extra text after the MAC. */
    char longer[200];
    snprintf(longer, sizeof(longer), "%s0", h);
    assert_int_equal(tb_signature_check(longer, secret, sl, body, bl, now), TB_SIG_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidr_parse),
        cmocka_unit_test(test_cidr_match),
        cmocka_unit_test(test_signature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
