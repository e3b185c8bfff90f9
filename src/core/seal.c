/* seal.c - AES-256-GCM envelopes for secrets at rest; see seal.h. */
#include "core/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEAL_NONCE_BYTES 12
#define SEAL_TAG_BYTES 16
#define SEAL_AAD_BYTES_MAX 4096
#define SEAL_KEY_TEXT_BYTES (2 * SEAL_KEY_BYTES)

/* --- the key file ---------------------------------------------------------- */

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

/* 64 hex characters and an optional newline, nothing else. */
static bool key_text_parse(const char *text, size_t n, struct seal_key *key)
{
    if (n == SEAL_KEY_TEXT_BYTES + 1 && text[SEAL_KEY_TEXT_BYTES] == '\n')
        n--;
    if (n != SEAL_KEY_TEXT_BYTES)
        return false;
    for (size_t i = 0; i < SEAL_KEY_BYTES; i++) {
        int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        key->bytes[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

int seal_key_load(const char *path, struct seal_key *key, struct fg_err *err)
{
    char text[SEAL_KEY_TEXT_BYTES + 2];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return fg_fail(err, -FG_ENOT_FOUND, "secret key file %s does not exist", path);
    if (fd < 0)
        return fg_fail(err, -FG_ESEAL, "cannot open secret key file %s: %s", path, strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = fg_fail(err, -FG_ESEAL, "secret key file %s is not a regular file", path);
        goto close_fd;
    }
    if (st.st_mode & 077) {
        rc = fg_fail(err, -FG_ESEAL,
                     "secret key file %s is open to group or others (mode %04o); chmod 600 it",
                     path, (unsigned)(st.st_mode & 07777));
        goto close_fd;
    }
    ssize_t n = read(fd, text, sizeof(text));
    if (n < 0 || !key_text_parse(text, (size_t)n, key))
        rc = fg_fail(err, -FG_ESEAL, "secret key file %s must hold 64 hex characters", path);
    OPENSSL_cleanse(text, sizeof(text));
close_fd:
    close(fd);
    if (rc < 0)
        seal_key_wipe(key);
    return rc;
}

static void fsync_dir_of(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    int fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    fsync(fd);
    close(fd);
}

int seal_key_create(const char *path, struct seal_key *key, struct fg_err *err)
{
    static const char hex[] = "0123456789abcdef";
    char text[SEAL_KEY_TEXT_BYTES + 1];
    if (RAND_bytes(key->bytes, SEAL_KEY_BYTES) != 1)
        return fg_fail(err, -FG_ESEAL, "no random bytes for a secret key");
    for (size_t i = 0; i < SEAL_KEY_BYTES; i++) {
        text[2 * i] = hex[key->bytes[i] >> 4];
        text[2 * i + 1] = hex[key->bytes[i] & 15];
    }
    text[SEAL_KEY_TEXT_BYTES] = '\n';
    int rc = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = fg_fail(err, errno == EEXIST ? -FG_EEXISTS : -FG_ESEAL,
                     "cannot create secret key file %s: %s", path, strerror(errno));
        goto wipe;
    }
    bool ok = write(fd, text, sizeof(text)) == (ssize_t)sizeof(text) && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        rc = fg_fail(err, -FG_ESEAL, "cannot write secret key file %s", path);
        unlink(path);
        goto wipe;
    }
    fsync_dir_of(path);
wipe:
    OPENSSL_cleanse(text, sizeof(text));
    if (rc < 0)
        seal_key_wipe(key);
    return rc;
}

void seal_key_wipe(struct seal_key *key)
{
    OPENSSL_cleanse(key->bytes, sizeof(key->bytes));
}

/* --- base64, canonical ------------------------------------------------------- */

static char *b64_encode(const unsigned char *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

/* Standard base64 with padding, and only its one canonical text of the bytes. */
static unsigned char *b64_decode(const char *text, size_t n, size_t *out_len)
{
    if (n == 0 || n % 4 != 0 || n > 4 * ((SEAL_PLAIN_BYTES_MAX + 64) / 3))
        return NULL;
    size_t pad = text[n - 1] == '=' ? (text[n - 2] == '=' ? 2 : 1) : 0;
    for (size_t i = 0; i < n - pad; i++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", text[i]) ||
            text[i] == '\0')
            return NULL;
    unsigned char *out = malloc(n / 4 * 3 + 1);
    if (!out)
        return NULL;
    int got = EVP_DecodeBlock(out, (const unsigned char *)text, (int)n);
    char *again = got >= (int)pad ? b64_encode(out, (size_t)got - pad) : NULL;
    bool canonical = again && strlen(again) == n && memcmp(again, text, n) == 0;
    free(again);
    if (!canonical) {
        free(out);
        return NULL;
    }
    *out_len = (size_t)got - pad;
    return out;
}

/* --- seal and open ------------------------------------------------------------ */

int seal_text_seal(const struct seal_key *key, const void *plain, size_t len, const void *aad,
                   size_t aad_len, char **out, struct fg_err *err)
{
    *out = NULL;
    if (len > SEAL_PLAIN_BYTES_MAX || aad_len > SEAL_AAD_BYTES_MAX)
        return fg_fail(err, -FG_ESEAL, "value to seal is too long");
    size_t blob_len = SEAL_NONCE_BYTES + len + SEAL_TAG_BYTES;
    unsigned char *blob = malloc(blob_len);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0, rc = 0;
    bool ok = blob && ctx && RAND_bytes(blob, SEAL_NONCE_BYTES) == 1 &&
              EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_BYTES, NULL) == 1 &&
              EVP_EncryptInit_ex(ctx, NULL, NULL, key->bytes, blob) == 1 &&
              (aad_len == 0 || EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1) &&
              EVP_EncryptUpdate(ctx, blob + SEAL_NONCE_BYTES, &n, plain, (int)len) == 1 &&
              EVP_EncryptFinal_ex(ctx, blob + SEAL_NONCE_BYTES + n, &fin) == 1 &&
              (size_t)(n + fin) == len &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_BYTES,
                                  blob + SEAL_NONCE_BYTES + len) == 1;
    char *b64 = ok ? b64_encode(blob, blob_len) : NULL;
    size_t plen = strlen(SEAL_PREFIX);
    char *text = b64 ? malloc(plen + strlen(b64) + 1) : NULL;
    if (text) {
        memcpy(text, SEAL_PREFIX, plen);
        strcpy(text + plen, b64);
        *out = text;
    } else {
        rc = fg_fail(err, ok ? -FG_ENOMEM : -FG_ESEAL, "cannot seal a value");
    }
    free(b64);
    free(blob);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int seal_text_open(const struct seal_key *key, const char *sealed, const void *aad, size_t aad_len,
                   char **plain, size_t *plain_len, struct fg_err *err)
{
    *plain = NULL;
    size_t plen = strlen(SEAL_PREFIX), blob_len = 0;
    if (!seal_text_is_sealed(sealed) || aad_len > SEAL_AAD_BYTES_MAX)
        return fg_fail(err, -FG_ESEAL, "not a sealed value");
    unsigned char *blob = b64_decode(sealed + plen, strlen(sealed + plen), &blob_len);
    if (!blob || blob_len < SEAL_NONCE_BYTES + SEAL_TAG_BYTES) {
        free(blob);
        return fg_fail(err, -FG_ESEAL, "sealed value is malformed");
    }
    size_t len = blob_len - SEAL_NONCE_BYTES - SEAL_TAG_BYTES;
    unsigned char *out = malloc(len + 1);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0;
    bool ok = out && ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_BYTES, NULL) == 1 &&
              EVP_DecryptInit_ex(ctx, NULL, NULL, key->bytes, blob) == 1 &&
              (aad_len == 0 || EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1) &&
              EVP_DecryptUpdate(ctx, out, &n, blob + SEAL_NONCE_BYTES, (int)len) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_BYTES,
                                  blob + SEAL_NONCE_BYTES + len) == 1 &&
              EVP_DecryptFinal_ex(ctx, out + n, &fin) == 1 && (size_t)(n + fin) == len;
    EVP_CIPHER_CTX_free(ctx);
    free(blob);
    if (!ok) {
        if (out)
            OPENSSL_cleanse(out, len + 1);
        free(out);
        return fg_fail(err, -FG_ESEAL,
                       "sealed value does not open with this key (wrong key file, or the "
                       "value belongs to another client or field)");
    }
    out[len] = '\0';
    *plain = (char *)out;
    *plain_len = len;
    return 0;
}

bool seal_text_is_sealed(const char *text)
{
    return text && strncmp(text, SEAL_PREFIX, strlen(SEAL_PREFIX)) == 0;
}
