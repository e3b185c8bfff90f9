/*
 * test_seal.c - core/seal.c: AES-256-GCM envelopes for secrets at rest
 * (issue 9.4). Round trips (empty, binary, the largest value), fresh nonces,
 * refusals for another key, other associated data, any flipped byte, a cut
 * or padded envelope and non-canonical base64; the key file's format and
 * permissions, and creation with O_EXCL and mode 0600.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/seal.h"

static struct seal_key key_of(unsigned char b)
{
    struct seal_key k;
    memset(k.bytes, b, sizeof(k.bytes));
    return k;
}

static char *seal(const struct seal_key *k, const char *plain, const char *aad)
{
    char *out = NULL;
    struct fg_err err;
    assert_int_equal(seal_text_seal(k, plain, strlen(plain), aad, strlen(aad), &out, &err), 0);
    assert_true(seal_text_is_sealed(out));
    return out;
}

static int open_text(const struct seal_key *k, const char *text, const char *aad, char **plain)
{
    size_t len = 0;
    struct fg_err err = {0};
    int rc = seal_text_open(k, text, aad, strlen(aad), plain, &len, &err);
    if (rc == 0)
        assert_int_equal(len, strlen(*plain));
    else
        assert_null(*plain);
    return rc;
}

static void test_round_trip(void **state)
{
    (void)state;
    struct seal_key k = key_of(7);
    const char *values[] = {"", "s", "demo-tradeboss-secret-8", "enc:v1:not-a-secret-prefix"};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char *t = seal(&k, values[i], "client\nfunds\napp1\njwt_secret");
        if (strlen(values[i]) > 3)
            assert_null(strstr(t + strlen(SEAL_PREFIX), values[i]));
        char *p = NULL;
        assert_int_equal(open_text(&k, t, "client\nfunds\napp1\njwt_secret", &p), 0);
        assert_string_equal(p, values[i]);
        free(p);
        free(t);
    }
    /* Binary bytes and the largest value. */
    unsigned char *big = malloc(SEAL_PLAIN_BYTES_MAX);
    for (size_t i = 0; i < SEAL_PLAIN_BYTES_MAX; i++)
        big[i] = (unsigned char)(i * 31 + 7);
    char *t = NULL, *p = NULL;
    size_t len = 0;
    struct fg_err err;
    assert_int_equal(seal_text_seal(&k, big, SEAL_PLAIN_BYTES_MAX, "a", 1, &t, &err), 0);
    assert_int_equal(seal_text_open(&k, t, "a", 1, &p, &len, &err), 0);
    assert_int_equal(len, SEAL_PLAIN_BYTES_MAX);
    assert_memory_equal(p, big, len);
    free(p);
    free(t);
    assert_int_equal(seal_text_seal(&k, big, SEAL_PLAIN_BYTES_MAX + 1, "a", 1, &t, &err),
                     -FG_ESEAL);
    assert_null(t);
    free(big);
}

static void test_fresh_nonce(void **state)
{
    (void)state;
    struct seal_key k = key_of(1);
    char *a = seal(&k, "same secret", "x"), *b = seal(&k, "same secret", "x");
    assert_string_not_equal(a, b);
    free(a);
    free(b);
}

static void test_refusals(void **state)
{
    (void)state;
    struct seal_key k = key_of(3), other = key_of(4);
    const char *aad = "client\ntradeboss\n8\nsecret";
    char *t = seal(&k, "hmac-secret-0123456789", aad);
    char *p = NULL;
    assert_int_equal(open_text(&other, t, aad, &p), -FG_ESEAL);
    assert_int_equal(open_text(&k, t, "client\ntradeboss\n9\nsecret", &p), -FG_ESEAL);
    assert_int_equal(open_text(&k, t, "", &p), -FG_ESEAL);
    /* Every single-byte change of the envelope's body fails. */
    size_t plen = strlen(SEAL_PREFIX), n = strlen(t);
    for (size_t i = plen; i < n; i++) {
        char saved = t[i];
        t[i] = saved == 'A' ? 'B' : 'A';
        assert_int_equal(open_text(&k, t, aad, &p), -FG_ESEAL);
        t[i] = saved;
    }
    assert_int_equal(open_text(&k, t, aad, &p), 0);
    free(p);
    /* Cut, extended, wrong prefix, not base64, padding in the middle. */
    char buf[512];
    snprintf(buf, sizeof(buf), "%.*s", (int)(n - 4), t);
    assert_int_equal(open_text(&k, buf, aad, &p), -FG_ESEAL);
    snprintf(buf, sizeof(buf), "%sAAAA", t);
    assert_int_equal(open_text(&k, buf, aad, &p), -FG_ESEAL);
    snprintf(buf, sizeof(buf), "enc:v2:%s", t + plen);
    assert_int_equal(open_text(&k, buf, aad, &p), -FG_ESEAL);
    assert_int_equal(open_text(&k, "enc:v1:", aad, &p), -FG_ESEAL);
    assert_int_equal(open_text(&k, "enc:v1:AAAA", aad, &p), -FG_ESEAL);
    assert_int_equal(open_text(&k, "enc:v1:!!!!", aad, &p), -FG_ESEAL);
    assert_int_equal(open_text(&k, "enc:v1:AA==AAAA", aad, &p), -FG_ESEAL);
    assert_int_equal(open_text(&k, "plain text", aad, &p), -FG_ESEAL);
    free(t);
    /* Non-canonical base64: the same bytes with non-zero padding bits, after
     * one '=' (12 + 4 + 16 = 32 bytes) and after two (12 + 3 + 16 = 31). */
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char *const plains[] = {"abcd", "abc"};
    for (int pads = 1; pads <= 2; pads++) {
        t = seal(&k, plains[pads - 1], aad);
        n = strlen(t);
        assert_int_equal(t[n - pads], '=');
        assert_true(t[n - pads - 1] != '=');
        char *at = &t[n - pads - 1];
        *at = alphabet[(strchr(alphabet, *at) - alphabet) ^ 1]; /* a low, padding bit */
        assert_int_equal(open_text(&k, t, aad, &p), -FG_ESEAL);
        free(t);
    }
    t = NULL;
    free(t);
}

static void test_key_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/fg-seal-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/secret.key", dir);
    struct seal_key k, again;
    struct fg_err err;
    assert_int_equal(seal_key_load(path, &k, &err), -FG_ENOT_FOUND);
    assert_int_equal(seal_key_create(path, &k, &err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);
    assert_int_equal(seal_key_create(path, &again, &err), -FG_EEXISTS); /* never replaced */
    assert_int_equal(seal_key_load(path, &again, &err), 0);
    assert_memory_equal(k.bytes, again.bytes, SEAL_KEY_BYTES);
    /* Open to others: refused. */
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(seal_key_load(path, &again, &err), -FG_ESEAL);
    assert_non_null(strstr(err.msg, "chmod 600"));
    assert_int_equal(chmod(path, 0400), 0);
    assert_int_equal(seal_key_load(path, &again, &err), 0);
    /* Contents: exactly 64 hex characters and an optional newline. */
    static const char *const bad[] = {
        "",
        "00",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n\n",
        " 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unlink(path);
        FILE *f = fopen(path, "w");
        fputs(bad[i], f);
        fclose(f);
        chmod(path, 0600);
        assert_int_equal(seal_key_load(path, &again, &err), -FG_ESEAL);
    }
    unlink(path);
    FILE *f = fopen(path, "w");
    fputs("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", f);
    fclose(f);
    chmod(path, 0600);
    assert_int_equal(seal_key_load(path, &again, &err), 0);
    assert_int_equal(again.bytes[0], 0x01);
    assert_int_equal(again.bytes[31], 0xef);
    /* A directory is not a key file. */
    assert_int_equal(seal_key_load(dir, &again, &err), -FG_ESEAL);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_fresh_nonce),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_key_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
