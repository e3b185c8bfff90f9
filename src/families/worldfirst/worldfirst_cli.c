/*
 * worldfirst_cli.c - the commands a person needs around the WorldFirst
 * family: `fundgate keygen` (fundgate's signing key), `fundgate sign
 * worldfirst` (the headers of a signed request, for curl) and `fundgate
 * verify worldfirst` (check a signed answer). See worldfirst.h.
 */
#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "families/worldfirst/worldfirst_int.h"

#define CLI_HEADERS_BYTES_MAX (64 * 1024)

/* A file (or stdin for "-") of at most cap bytes, NUL-terminated; NULL when
 * unreadable or longer. */
static char *read_all(const char *file, size_t cap, size_t *len)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    char *buf = f ? malloc(cap + 1) : NULL;
    size_t n = buf ? fread(buf, 1, cap + 1, f) : 0;
    bool ok = buf && !ferror(f) && n <= cap;
    if (f && f != stdin)
        fclose(f);
    if (!ok) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* --- fundgate keygen ------------------------------------------------------------------- */

static int keygen_usage(FILE *f, int code)
{
    fprintf(f, "usage: fundgate keygen [--data DIR | --out FILE] [--force]\n\n"
               "Creates fundgate's RSA-2048 signing key (WorldFirst answers and notifications)\n"
               "in FILE (default DIR/signing-key.pem, DIR default ./fundgate-data), mode 0600,\n"
               "and prints its public key (PEM) for the integrators. An existing file is kept\n"
               "unless --force; a running server reads the key at its start.\n");
    return code;
}

int wf_keygen_main(int argc, char **argv)
{
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = "./fundgate-data", *out = NULL;
    bool force = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd')
            dir = optarg;
        else if (c == 'o')
            out = optarg;
        else if (c == 'f')
            force = true;
        else
            return keygen_usage(c == 'h' ? stdout : stderr, c == 'h' ? 0 : 2);
    }
    if (optind < argc || strlen(dir) > FG_FILE_PATH_BYTES_MAX)
        return keygen_usage(stderr, 2);
    char path[FG_FILE_PATH_BYTES_MAX + 32];
    snprintf(path, sizeof(path), "%s/signing-key.pem", dir);
    if (!out)
        (void)mkdir(dir, 0700); /* as the server makes it; an error shows below */
    struct sig_key *k = NULL;
    struct fg_err err = {0};
    size_t len = 0;
    char *pem = NULL;
    if (wf_key_file_create(out ? out : path, force, &k, &err) < 0 ||
        !(pem = sig_key_public_pem(k, &len))) {
        fprintf(stderr, "fundgate keygen: %s\n", err.msg[0] ? err.msg : "out of memory");
        sig_key_free(k);
        return 1;
    }
    fprintf(stderr, "fundgate keygen: wrote %s (RSA-2048, mode 0600); its public key:\n",
            out ? out : path);
    fwrite(pem, 1, len, stdout);
    free(pem);
    sig_key_free(k);
    return 0;
}

/* --- fundgate sign worldfirst ------------------------------------------------------------ */

static int sign_usage(FILE *f, int code)
{
    fprintf(f, "usage: fundgate sign worldfirst --key PRIVATE.pem --client-id ID --uri URI\n"
               "                [--key-version N] [--method POST] [--time T] [FILE|-]\n\n"
               "Reads a request body from FILE or stdin, signs `<METHOD> <URI>\\n<ID>.<T>.<body>`\n"
               "(SHA256withRSA) with the integrator's private key and prints the headers to send\n"
               "with exactly that body (T: now, ISO 8601 UTC, unless given):\n"
               "  curl -H @HEADERS --data-binary @FILE URL\n");
    return code;
}

struct sign_args {
    const char *key, *client_id, *uri, *version, *method, *time, *file;
};

static int sign_args_parse(int argc, char **argv, struct sign_args *a)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},    {"client-id", required_argument, NULL, 'c'},
        {"uri", required_argument, NULL, 'u'},    {"key-version", required_argument, NULL, 'v'},
        {"method", required_argument, NULL, 'm'}, {"time", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    *a = (struct sign_args){.version = "1", .method = "POST", .file = "-"};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        const char **slot = c == 'k'   ? &a->key
                            : c == 'c' ? &a->client_id
                            : c == 'u' ? &a->uri
                            : c == 'v' ? &a->version
                            : c == 'm' ? &a->method
                            : c == 't' ? &a->time
                                       : NULL;
        if (!slot)
            return c == 'h' ? 1 : 2;
        *slot = optarg;
    }
    if (optind < argc)
        a->file = argv[optind++];
    return !a->key || !a->client_id || !a->uri || optind < argc ? 2 : 0;
}

int wf_sign_main(int argc, char **argv)
{
    struct sign_args a;
    int rc = sign_args_parse(argc, argv, &a);
    if (rc)
        return sign_usage(rc == 1 ? stdout : stderr, rc == 1 ? 0 : 2);
    char when[WF_TIME_BYTES], header[WF_SIG_HEADER_BYTES * 2];
    struct fg_err err = {0};
    struct sig_key *k = NULL;
    uint8_t sig[WF_SIG_BYTES_MAX];
    size_t body_len = 0, len = 0, n = 0;
    wf_time_format(fg_clock_now_ms(), when);
    const char *time = a.time ? a.time : when;
    char *body = read_all(a.file, FG_HTTP_BODY_BYTES_MAX, &body_len), *content = NULL;
    if (!body)
        fg_fail(&err, -FG_EBAD_REQUEST, "cannot read %s (or it is over %d bytes)", a.file,
                FG_HTTP_BODY_BYTES_MAX);
    else if (wf_key_file_read(a.key, false, true, &k, &err) == 0 &&
             (content = wf_sign_content(a.method, a.uri, a.client_id, time, body, body_len, &len)))
        rc = sig_rsa_sha256_sign(k, content, len, sig, sizeof(sig), &n, &err);
    bool ok = body && k && content && rc == 0 &&
              wf_sig_header_format(a.version, sig, n, header, sizeof(header)) > 0;
    if (ok)
        printf("Content-Type: application/json; charset=UTF-8\nclient-id: %s\nrequest-time: "
               "%s\nsignature: %s\n",
               a.client_id, time, header);
    else
        fprintf(stderr, "fundgate sign worldfirst: %s\n", err.msg[0] ? err.msg : "cannot sign");
    free(body);
    free(content);
    sig_key_free(k);
    return ok ? 0 : 1;
}

/* --- fundgate verify worldfirst ------------------------------------------------------------ */

static int verify_usage(FILE *f, int code)
{
    fprintf(f, "usage: fundgate verify worldfirst --key PUBLIC.pem --uri URI --headers FILE\n"
               "                [--method POST] [BODY|-]\n\n"
               "Checks a signed answer: the headers as `curl -D FILE` wrote them (client-id,\n"
               "response-time, signature) and the body's exact bytes, against fundgate's public\n"
               "key (GET /admin/v1/keys/worldfirst). Exit 0 when the signature holds, 1 if not.\n");
    return code;
}

/* The value of the last header `name` in text (curl -D: "Name: value\r\n"),
 * copied into out (cap bytes); false when absent or too long. */
static bool header_value(const char *text, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    bool found = false;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (n > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            size_t vn = n - nl - 1;
            while (vn && *v == ' ')
                v++, vn--;
            while (vn && (v[vn - 1] == '\r' || v[vn - 1] == ' '))
                vn--;
            found = vn < cap;
            if (found) {
                memcpy(out, v, vn);
                out[vn] = '\0';
            }
        }
        line = end ? end + 1 : NULL;
    }
    return found;
}

struct verify_args {
    const char *key, *uri, *headers, *method, *file;
};

static int verify_args_parse(int argc, char **argv, struct verify_args *a)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},     {"uri", required_argument, NULL, 'u'},
        {"headers", required_argument, NULL, 'H'}, {"method", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    *a = (struct verify_args){.method = "POST", .file = "-"};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'k')
            a->key = optarg;
        else if (c == 'u')
            a->uri = optarg;
        else if (c == 'H')
            a->headers = optarg;
        else if (c == 'm')
            a->method = optarg;
        else
            return c == 'h' ? 1 : 2;
    }
    if (optind < argc)
        a->file = argv[optind++];
    return !a->key || !a->uri || !a->headers || optind < argc ? 2 : 0;
}

int wf_verify_main(int argc, char **argv)
{
    struct verify_args a;
    int rc = verify_args_parse(argc, argv, &a);
    if (rc)
        return verify_usage(rc == 1 ? stdout : stderr, rc == 1 ? 0 : 2);
    char id[WF_CLIENT_ID_BYTES * 2], when[FG_WF_REQUEST_TIME_BYTES_MAX + 1],
        sh[FG_WF_SIGNATURE_HEADER_BYTES_MAX + 1];
    size_t hl = 0, bl = 0, cl = 0;
    struct fg_err err = {0};
    struct sig_key *k = NULL;
    struct wf_sig_header h;
    char *heads = read_all(a.headers, CLI_HEADERS_BYTES_MAX, &hl);
    char *body = read_all(a.file, FG_HTTP_BODY_BYTES_MAX, &bl), *content = NULL;
    bool ok = heads && body && header_value(heads, "client-id", id, sizeof(id)) &&
              header_value(heads, "response-time", when, sizeof(when)) &&
              header_value(heads, "signature", sh, sizeof(sh)) &&
              wf_sig_header_parse(sh, strlen(sh), &h, &err) == 0 &&
              wf_key_file_read(a.key, false, false, &k, &err) == 0 &&
              (content = wf_sign_content(a.method, a.uri, id, when, body, bl, &cl)) &&
              sig_rsa_sha256_verify(k, content, cl, h.sig, h.sig_len);
    if (ok)
        printf("signature ok: client-id %s, response-time %s, keyVersion %s\n", id, when,
               h.key_version);
    else
        fprintf(stderr, "fundgate verify worldfirst: %s\n",
                err.msg[0]        ? err.msg
                : !heads || !body ? "cannot read the headers or the body"
                : !content && !k  ? "the headers lack client-id, response-time or signature"
                                  : "the signature does not match");
    free(heads);
    free(body);
    free(content);
    sig_key_free(k);
    return ok ? 0 : 1;
}
