/*
 * yabandpay_cli.c - `fundgate sign yabandpay --secret S [FILE|-]`: prints a
 * request body with its `sign` (and a `time` of now when it has none), for
 * a merchant's tests and the README's walkthrough. Runs without a server.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/sig.h"
#include "families/yabandpay/yabandpay.h"
#include "families/yabandpay/yabandpay_int.h"

static char *read_all(FILE *f, size_t *len)
{
    char *buf = malloc(FG_HTTP_BODY_BYTES_MAX + 1);
    size_t n = buf ? fread(buf, 1, FG_HTTP_BODY_BYTES_MAX + 1, f) : 0;
    if (!buf || ferror(f) || n > FG_HTTP_BODY_BYTES_MAX) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* text with `ins` put right after the object's '{' (and a comma when the
 * object has members), or with [at, at + n) replaced by ins when at. */
static char *splice(const char *text, size_t len, const char *at, size_t n, const char *ins,
                    bool members, size_t *out_len)
{
    size_t il = strlen(ins);
    const char *brace = memchr(text, '{', len);
    FG_ASSERT(brace != NULL); /* the text parsed as an object */
    const char *cut = at ? at : brace + 1;
    size_t drop = at ? n : 0, extra = !at && members ? 1 : 0;
    char *out = malloc(len - drop + il + extra + 1);
    if (!out)
        return NULL;
    size_t head = (size_t)(cut - text);
    memcpy(out, text, head);
    memcpy(out + head, ins, il);
    if (extra)
        out[head + il] = ',';
    memcpy(out + head + il + extra, cut + drop, len - head - drop);
    *out_len = len - drop + il + extra;
    out[*out_len] = '\0';
    return out;
}

/* The body with a `time` of now when it has none. */
static char *with_time(const char *text, size_t len, size_t *out_len, struct fg_err *err)
{
    struct yb_body *b = malloc(sizeof(*b));
    char *out = NULL;
    int rc = b ? yb_body_parse(text, len, b, err) : fg_fail(err, -FG_ENOMEM, "out of memory");
    if (rc == 0 && !json_object_get(b->root, "time")) {
        char ins[48];
        snprintf(ins, sizeof(ins), "\"time\":%lld", (long long)(fg_clock_now_ms() / 1000));
        out = splice(text, len, NULL, 0, ins, b->ntop > 0, out_len);
    } else if (rc == 0) {
        out = splice(text, len, text, 0, "", false, out_len); /* a copy */
    }
    if (b)
        yb_body_release(b);
    free(b);
    return out;
}

/* The body with `sign` set to hex (replacing a sign it holds). */
static char *with_sign(const char *text, size_t len, const char *hex, size_t *out_len,
                       struct fg_err *err)
{
    struct yb_body *b = malloc(sizeof(*b));
    char *out = NULL, ins[SIG_SHA256_HEX_BYTES + 16];
    int rc = b ? yb_body_parse(text, len, b, err) : fg_fail(err, -FG_ENOMEM, "out of memory");
    const struct jsonlit_member *m = rc == 0 ? jsonlit_find(b->top, b->ntop, "sign") : NULL;
    if (rc == 0 && m) {
        bool q = m->kind == JSONLIT_STRING;
        snprintf(ins, sizeof(ins), "\"%s\"", hex);
        out = splice(text, len, m->value - q, m->value_len + 2 * q, ins, true, out_len);
    } else if (rc == 0) {
        snprintf(ins, sizeof(ins), "\"sign\":\"%s\"", hex);
        out = splice(text, len, NULL, 0, ins, b->ntop > 0, out_len);
    }
    if (b)
        yb_body_release(b);
    free(b);
    return out;
}

static int sign_usage(FILE *f, int code)
{
    fprintf(f,
            "usage: fundgate sign yabandpay --secret SECRET [FILE|-]\n\n"
            "Reads a request body (JSON: user, method, time, data) from FILE or stdin,\n"
            "adds \"time\" (now, unix seconds) when it has none, computes \"sign\" (HMAC-SHA256\n"
            "of the sorted k=v string, lowercase hex) and prints the body with it.\n");
    return code;
}

int yb_sign_main(int argc, char **argv)
{
    static const struct option opts[] = {{"secret", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *secret = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 's')
            secret = optarg;
        else
            return sign_usage(c == 'h' ? stdout : stderr, c == 'h' ? 0 : 2);
    }
    const char *file = optind < argc ? argv[optind] : "-";
    if (!secret || optind + 1 < argc)
        return sign_usage(stderr, 2);
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    size_t len = 0, tl = 0, sl = 0, ol = 0;
    char *text = f ? read_all(f, &len) : NULL, *timed = NULL, *str = NULL, *out = NULL;
    if (f && f != stdin)
        fclose(f);
    struct fg_err err = {0};
    if (!text)
        fg_fail(&err, -FG_EBAD_REQUEST, "cannot read %s (or it is over %d bytes)", file,
                FG_HTTP_BODY_BYTES_MAX);
    else if ((timed = with_time(text, len, &tl, &err)) &&
             yabandpay_sign_string(timed, tl, &str, &sl, &err) == 0) {
        char hex[SIG_SHA256_HEX_BYTES + 1];
        sig_hmac_sha256_hex(secret, strlen(secret), str, sl, hex);
        out = with_sign(timed, tl, hex, &ol, &err);
    }
    if (out)
        printf("%s\n", out);
    else
        fprintf(stderr, "fundgate sign yabandpay: %s\n", err.msg[0] ? err.msg : "out of memory");
    free(text);
    free(timed);
    free(str);
    free(out);
    return out ? 0 : 1;
}
