/*
 * test_sig.c - core/sig: HMAC-SHA256 against RFC 4231 and the openssl
 * command line, constant-time verification (case, length, one bit), hex,
 * base64 (RFC 4648 vectors and every strictness rule), form-URL encoding,
 * and SHA256withRSA both ways against `openssl dgst -sign/-verify` with keys
 * made by `openssl genpkey` (not by the code under test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/limits.h"
#include "core/sig.h"

/* --- helpers: the openssl command line ---------------------------------------- */

/* Run cmd, capture its stdout (at most cap-1 bytes); returns the exit status. */
static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = out ? fread(out, 1, cap - 1, p) : 0;
    if (out)
        out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(65536);
    *len = fread(buf, 1, 65535, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* --- HMAC --------------------------------------------------------------------- */

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    char hex[SIG_SHA256_HEX_BYTES + 1];
    sig_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, hex);
    assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const char *msg = "what do ya want for nothing?";
    assert_true(sig_hmac_sha256_hex_verify("Jefe", 4, msg, 28, hex, 64));
    /* Upper case is the same MAC. */
    char upper[65];
    for (int i = 0; i < 65; i++)
        upper[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 32 : hex[i]);
    assert_true(sig_hmac_sha256_hex_verify("Jefe", 4, msg, 28, upper, 64));
    /* One bit, one character short, one too many, not hex, another key. */
    char bad[66];
    memcpy(bad, hex, 65);
    bad[10] ^= 1;
    assert_false(sig_hmac_sha256_hex_verify("Jefe", 4, msg, 28, bad, 64));
    assert_false(sig_hmac_sha256_hex_verify("Jefe", 4, msg, 28, hex, 63));
    memcpy(bad, hex, 64);
    bad[64] = '0';
    assert_false(sig_hmac_sha256_hex_verify("Jefe", 4, msg, 28, bad, 65));
    memcpy(bad, hex, 65);
    bad[0] = 'g';
    assert_false(sig_hmac_sha256_hex_verify("Jefe", 4, msg, 28, bad, 64));
    assert_false(sig_hmac_sha256_hex_verify("Jeff", 4, msg, 28, hex, 64));
    assert_false(sig_hmac_sha256_hex_verify("Jefe", 4, msg, 27, hex, 64));
}

static void test_hmac_matches_openssl_cli(void **state)
{
    (void)state;
    const char *key = "yabandpay-secret-16";
    const char *str = "amount=1000&buy_currency=EUR&currency=USD&method=v3.GetFXQuote"
                      "&request_id=r1&sell_currency=USD&tenor=TOD&time=1546588959&user=016683";
    char cmd[1024], out[256], hex[65];
    snprintf(cmd, sizeof(cmd), "printf '%%s' '%s' | openssl dgst -sha256 -hmac '%s'", str, key);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    char *sp = strrchr(out, ' ');
    assert_non_null(sp);
    sp[1 + 64] = '\0';
    sig_hmac_sha256_hex(key, strlen(key), str, strlen(str), hex);
    assert_string_equal(hex, sp + 1);
}

static void test_equal(void **state)
{
    (void)state;
    assert_true(sig_equal("abc", 3, "abc", 3));
    assert_false(sig_equal("abc", 3, "abd", 3));
    assert_false(sig_equal("abc", 3, "abcd", 4));
    assert_true(sig_equal("", 0, "", 0));
}

/* --- encodings ---------------------------------------------------------------- */

static void test_hex(void **state)
{
    (void)state;
    uint8_t b[4];
    size_t n = 0;
    char out[9];
    assert_true(sig_hex_decode("00fFa5", 6, b, sizeof(b), &n));
    assert_int_equal(n, 3);
    sig_hex_encode(b, n, out);
    assert_string_equal(out, "00ffa5");
    assert_false(sig_hex_decode("0", 1, b, sizeof(b), &n));           /* odd */
    assert_false(sig_hex_decode("zz", 2, b, sizeof(b), &n));          /* not hex */
    assert_false(sig_hex_decode("0011223344", 10, b, sizeof(b), &n)); /* past cap */
}

static void test_base64_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } v[] = {{"", ""},
             {"f", "Zg=="},
             {"fo", "Zm8="},
             {"foo", "Zm9v"},
             {"foob", "Zm9vYg=="},
             {"fooba", "Zm9vYmE="},
             {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char enc[32];
        uint8_t dec[32];
        size_t n = 0;
        size_t len = strlen(v[i].in);
        assert_int_equal(sig_base64_encode((const uint8_t *)v[i].in, len, enc, sizeof(enc)),
                         strlen(v[i].out));
        assert_string_equal(enc, v[i].out);
        assert_int_equal(sig_base64_len(len), strlen(v[i].out));
        assert_true(sig_base64_decode(v[i].out, strlen(v[i].out), dec, sizeof(dec), &n));
        assert_int_equal(n, len);
        assert_memory_equal(dec, v[i].in, len);
    }
    /* All 256 byte values and the '+' '/' characters. */
    uint8_t all[256], back[256];
    char text[400];
    size_t n = 0;
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    size_t tl = sig_base64_encode(all, 256, text, sizeof(text));
    assert_int_equal(tl, 344);
    assert_non_null(strchr(text, '+'));
    assert_non_null(strchr(text, '/'));
    assert_true(sig_base64_decode(text, tl, back, sizeof(back), &n));
    assert_int_equal(n, 256);
    assert_memory_equal(all, back, 256);
}

static void test_base64_strict(void **state)
{
    (void)state;
    uint8_t out[16];
    size_t n = 0;
    assert_false(sig_base64_decode("Zg", 2, out, sizeof(out), &n));       /* no padding */
    assert_false(sig_base64_decode("Zh==", 4, out, sizeof(out), &n));     /* stray bits */
    assert_false(sig_base64_decode("Zm9=", 4, out, sizeof(out), &n));     /* stray bits */
    assert_false(sig_base64_decode("Zg==Zg==", 8, out, sizeof(out), &n)); /* padding inside */
    assert_false(sig_base64_decode("Z g=", 4, out, sizeof(out), &n));     /* space */
    assert_false(sig_base64_decode("Zm-v", 4, out, sizeof(out), &n));     /* url alphabet */
    assert_false(sig_base64_decode("=Zg=", 4, out, sizeof(out), &n));
    assert_false(sig_base64_decode("Zm9vYmFy", 8, out, 5, &n)); /* past cap */
    assert_true(sig_base64_decode("Zm9vYmFy", 8, out, 6, &n));  /* exactly cap */
    char small[4];
    assert_int_equal(sig_base64_encode((const uint8_t *)"foo", 3, small, sizeof(small)), 0);
}

static void test_form_url(void **state)
{
    (void)state;
    char out[64], back[64];
    size_t n = 0;
    const char *b64 = "ab+/c=";
    assert_int_equal(sig_form_url_encode(b64, strlen(b64), out, sizeof(out)), 12);
    assert_string_equal(out, "ab%2B%2Fc%3D");
    assert_int_equal(sig_form_url_encode("a b.-*_~", 8, out, sizeof(out)), 10);
    assert_string_equal(out, "a+b.-*_%7E");
    assert_true(sig_form_url_decode("ab%2b%2Fc%3D+x", 14, back, sizeof(back), &n));
    assert_string_equal(back, "ab+/c= x");
    assert_int_equal(n, 8);
    assert_false(sig_form_url_decode("%2", 2, back, sizeof(back), &n));
    assert_false(sig_form_url_decode("%zz", 3, back, sizeof(back), &n));
    assert_false(sig_form_url_decode("abc%", 4, back, sizeof(back), &n));
    assert_false(sig_form_url_decode("abcd", 4, back, 4, &n)); /* no room for the NUL */
    assert_int_equal(sig_form_url_encode("+++", 3, out, 9), 0);
    assert_int_equal(sig_form_url_encode("+++", 3, out, 10), 9);
}

/* --- RSA ---------------------------------------------------------------------- */

struct keys {
    char dir[64];
    char priv[128], pub[128];
};

static void keys_make(struct keys *k, int bits)
{
    snprintf(k->dir, sizeof(k->dir), "/tmp/fg-sig-XXXXXX");
    assert_non_null(mkdtemp(k->dir));
    snprintf(k->priv, sizeof(k->priv), "%s/priv.pem", k->dir);
    snprintf(k->pub, sizeof(k->pub), "%s/pub.pem", k->dir);
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:%d -out %s 2>/dev/null && "
             "openssl pkey -in %s -pubout -out %s 2>/dev/null",
             bits, k->priv, k->priv, k->pub);
    assert_int_equal(run(cmd, NULL, 0), 0);
}

static void keys_remove(struct keys *k)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", k->dir);
    assert_int_equal(run(cmd, NULL, 0), 0);
}

static struct sig_key *load(const char *path, bool priv)
{
    size_t len = 0;
    char *pem = slurp(path, &len);
    struct sig_key *key = NULL;
    struct fg_err err;
    assert_int_equal(sig_key_parse_pem(pem, len, priv, &key, &err), 0);
    free(pem);
    return key;
}

static void test_rsa_both_ways(void **state)
{
    (void)state;
    struct keys k;
    keys_make(&k, 2048);
    struct sig_key *priv = load(k.priv, true), *pub = load(k.pub, false);
    assert_int_equal(sig_key_bits(priv), 2048);
    const char *msg = "POST /amsin/api/v1/business/fund/createQuote\nclient-1.2026-01-05T08:00:00Z."
                      "{\"sell\":{\"currency\":\"EUR\",\"value\":\"100\"}}";
    char path[160], cmd[512];

    /* We sign, openssl verifies. */
    uint8_t sig[1024];
    size_t sig_len = 0;
    struct fg_err err;
    assert_int_equal(sig_rsa_sha256_sign(priv, msg, strlen(msg), sig, sizeof(sig), &sig_len, &err),
                     0);
    assert_int_equal(sig_len, 256);
    snprintf(path, sizeof(path), "%s/msg", k.dir);
    spit(path, msg, strlen(msg));
    snprintf(path, sizeof(path), "%s/ours.sig", k.dir);
    spit(path, sig, sig_len);
    snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -verify %s -signature %s %s/msg >/dev/null",
             k.pub, path, k.dir);
    assert_int_equal(run(cmd, NULL, 0), 0);
    assert_true(sig_rsa_sha256_verify(pub, msg, strlen(msg), sig, sig_len));
    assert_true(sig_rsa_sha256_verify(priv, msg, strlen(msg), sig, sig_len));

    /* openssl signs, we verify; then one flipped bit of message or signature fails. */
    snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -sign %s -out %s/theirs.sig %s/msg", k.priv,
             k.dir, k.dir);
    assert_int_equal(run(cmd, NULL, 0), 0);
    snprintf(path, sizeof(path), "%s/theirs.sig", k.dir);
    size_t tl = 0;
    char *theirs = slurp(path, &tl);
    assert_int_equal(tl, 256);
    assert_true(sig_rsa_sha256_verify(pub, msg, strlen(msg), (uint8_t *)theirs, tl));
    theirs[7] ^= 0x10;
    assert_false(sig_rsa_sha256_verify(pub, msg, strlen(msg), (uint8_t *)theirs, tl));
    theirs[7] ^= 0x10;
    assert_false(sig_rsa_sha256_verify(pub, msg, strlen(msg) - 1, (uint8_t *)theirs, tl));
    assert_false(sig_rsa_sha256_verify(pub, msg, strlen(msg), (uint8_t *)theirs, tl - 1));
    free(theirs);

    /* Base64 then form-URL: what travels in a header. */
    char b64[400], wire[600];
    uint8_t back[300];
    size_t bl = 0, wl = 0;
    size_t n = sig_base64_encode(sig, sig_len, b64, sizeof(b64));
    assert_int_equal(n, 344);
    size_t w = sig_form_url_encode(b64, n, wire, sizeof(wire));
    assert_true(w >= n);
    char unwired[400];
    assert_true(sig_form_url_decode(wire, w, unwired, sizeof(unwired), &wl));
    assert_true(sig_base64_decode(unwired, wl, back, sizeof(back), &bl));
    assert_true(sig_rsa_sha256_verify(pub, msg, strlen(msg), back, bl));

    /* The public half as PEM is the one openssl wrote. */
    size_t pl = 0, fl = 0;
    char *pem = sig_key_public_pem(priv, &pl);
    char *file = slurp(k.pub, &fl);
    assert_int_equal(pl, fl);
    assert_memory_equal(pem, file, pl);
    free(pem);
    free(file);

    /* A public key cannot sign; a small buffer is refused. */
    assert_int_equal(sig_rsa_sha256_sign(pub, msg, 3, sig, sizeof(sig), &sig_len, &err),
                     -FG_EBAD_REQUEST);
    assert_int_equal(sig_rsa_sha256_sign(priv, msg, 3, sig, 255, &sig_len, &err), -FG_EBAD_REQUEST);
    sig_key_free(priv);
    sig_key_free(pub);
    keys_remove(&k);
}

/* A generated key: PKCS#8 PEM openssl reads, whose signatures openssl
 * verifies; a public key has no private PEM; sizes out of bounds refused. */
static void test_rsa_generate(void **state)
{
    (void)state;
    struct keys k;
    struct sig_key *key = NULL, *back = NULL;
    struct fg_err err;
    size_t len = 0, pl = 0, sig_len = 0;
    snprintf(k.dir, sizeof(k.dir), "/tmp/fg-sig-XXXXXX");
    assert_non_null(mkdtemp(k.dir));
    snprintf(k.priv, sizeof(k.priv), "%s/priv.pem", k.dir);
    snprintf(k.pub, sizeof(k.pub), "%s/pub.pem", k.dir);
    assert_int_equal(sig_key_generate(2048, &key, &err), 0);
    assert_int_equal(sig_key_bits(key), 2048);
    char *pem = sig_key_private_pem(key, &len);
    assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
    spit(k.priv, pem, len);
    char *pub = sig_key_public_pem(key, &pl);
    spit(k.pub, pub, pl);
    assert_int_equal(sig_key_parse_pem(pem, len, true, &back, &err), 0);
    assert_int_equal(sig_key_bits(back), 2048);
    char cmd[512], path[160];
    snprintf(cmd, sizeof(cmd), "openssl pkey -in %s -noout 2>/dev/null", k.priv);
    assert_int_equal(run(cmd, NULL, 0), 0);
    uint8_t sig[256];
    const char *msg = "generated";
    assert_int_equal(sig_rsa_sha256_sign(back, msg, strlen(msg), sig, sizeof(sig), &sig_len, &err),
                     0);
    snprintf(path, sizeof(path), "%s/msg", k.dir);
    spit(path, msg, strlen(msg));
    snprintf(path, sizeof(path), "%s/sig", k.dir);
    spit(path, sig, sig_len);
    snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -verify %s -signature %s %s/msg >/dev/null",
             k.pub, path, k.dir);
    assert_int_equal(run(cmd, NULL, 0), 0);
    struct sig_key *pubk = load(k.pub, false);
    assert_null(sig_key_private_pem(pubk, &len));
    sig_key_free(pubk);
    free(pem);
    free(pub);
    sig_key_free(back);
    sig_key_free(key);
    struct sig_key *none = (struct sig_key *)&none;
    assert_int_equal(sig_key_generate(FG_SIG_RSA_BITS_MIN - 1, &none, &err), -FG_EBAD_FIELD);
    assert_null(none);
    assert_int_equal(sig_key_generate(FG_SIG_RSA_BITS_MAX + 1, &none, &err), -FG_EBAD_FIELD);
    keys_remove(&k);
}

static void test_rsa_refused_keys(void **state)
{
    (void)state;
    struct keys k;
    keys_make(&k, 1024);
    size_t len = 0;
    struct sig_key *key = NULL;
    struct fg_err err;
    char *pem = slurp(k.priv, &len);
    assert_int_equal(sig_key_parse_pem(pem, len, true, &key, &err), -FG_EBAD_FIELD);
    assert_non_null(strstr(err.msg, "2048"));
    free(pem);
    /* A public key where a private one is wanted, and the reverse. */
    keys_remove(&k);
    keys_make(&k, 2048);
    pem = slurp(k.pub, &len);
    assert_int_equal(sig_key_parse_pem(pem, len, true, &key, &err), -FG_EBAD_FIELD);
    free(pem);
    pem = slurp(k.priv, &len);
    assert_int_equal(sig_key_parse_pem(pem, len, false, &key, &err), -FG_EBAD_FIELD);
    free(pem);
    /* An encrypted key fails instead of prompting; an EC key; garbage; empty. */
    char cmd[512], path[160];
    snprintf(path, sizeof(path), "%s/enc.pem", k.dir);
    snprintf(cmd, sizeof(cmd),
             "openssl pkey -in %s -aes256 -passout pass:secret-pass -out %s 2>/dev/null", k.priv,
             path);
    assert_int_equal(run(cmd, NULL, 0), 0);
    pem = slurp(path, &len);
    assert_int_equal(sig_key_parse_pem(pem, len, true, &key, &err), -FG_EBAD_FIELD);
    free(pem);
    snprintf(path, sizeof(path), "%s/ec.pem", k.dir);
    snprintf(cmd, sizeof(cmd),
             "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %s 2>/dev/null",
             path);
    assert_int_equal(run(cmd, NULL, 0), 0);
    pem = slurp(path, &len);
    assert_int_equal(sig_key_parse_pem(pem, len, true, &key, &err), -FG_EBAD_FIELD);
    free(pem);
    assert_int_equal(sig_key_parse_pem("-----BEGIN PUBLIC KEY-----\nxx\n", 29, false, &key, &err),
                     -FG_EBAD_FIELD);
    assert_int_equal(sig_key_parse_pem("", 0, false, &key, &err), -FG_EBAD_FIELD);
    /* FG_SIG_PEM_BYTES_MAX: a key with trailing text up to the bound still
     * parses; one byte more is refused before OpenSSL reads it. */
    size_t pl = 0;
    char *good = slurp(k.pub, &pl);
    char *big = malloc(FG_SIG_PEM_BYTES_MAX + 2);
    memcpy(big, good, pl);
    memset(big + pl, '\n', FG_SIG_PEM_BYTES_MAX + 1 - pl);
    assert_int_equal(sig_key_parse_pem(big, FG_SIG_PEM_BYTES_MAX, false, &key, &err), 0);
    sig_key_free(key);
    key = NULL;
    assert_int_equal(sig_key_parse_pem(big, FG_SIG_PEM_BYTES_MAX + 1, false, &key, &err),
                     -FG_EBAD_FIELD);
    assert_non_null(strstr(err.msg, "16384"));
    free(big);
    free(good);
    assert_null(key);
    keys_remove(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hmac_matches_openssl_cli),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_base64_vectors),
        cmocka_unit_test(test_base64_strict),
        cmocka_unit_test(test_form_url),
        cmocka_unit_test(test_rsa_both_ways),
        cmocka_unit_test(test_rsa_refused_keys),
        cmocka_unit_test(test_rsa_generate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
