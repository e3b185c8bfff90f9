/*
 * test_worldfirst.c - end to end: the WorldFirst family, the FX core and the
 * outbox against the real server on a controlled clock (--test-clock).
 * Every key is made by `openssl genpkey`; every request is signed and every
 * answer and notification verified by `openssl dgst -sha256 -sign/-verify`
 * here, never by fundgate's code (the form-URL coding of the signature is
 * this file's own). Scenarios: quote -> SPOT exchange -> inquiry, replays
 * and conflicting replays; FORWARD held then settled by the sweep on its
 * value date and notified; UNFUNDED_SPOT settled when funded, failed when
 * not; REALTIME; every code a request can produce, each leaving balances
 * untouched; wrong, missing and rotated keys and times; 16 concurrent
 * duplicates; a notification retried through the whole schedule to dead,
 * then retried by the operator; kill -9 with notifications pending and in
 * flight; a receiver that never answers while writes go on; the CLIs; the
 * admin routes and the limits. Reconciliation is checked after each.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "receiver.h"

#define API "/amsin/api/v1/business/fund/"
#define DAY_MS 86400000LL
#define MIN_MS 60000LL
/* Friday 2026-01-16 10:00 UTC; Monday 19 January is a USD holiday, so the
 * SPOT value date is Wednesday 21 January. */
#define T0 1768557600000LL
#define SPOT_DAY "2026-01-21"
#define FWD_DAY "2026-01-22"
#define FWD_MS (T0 + 6 * DAY_MS)

static struct {
    char dir[64];
    char k1[128], k1pub[128], k2[128], k2pub[128], k3[128], k3pub[128];
} keys;

struct ctx {
    struct fgsrv s;
    int64_t now_ms;
    struct receiver *rcv;
    char fgpub[300]; /* fundgate's public key, as GET /admin/v1/keys/worldfirst gave it */
};

/* Who signs a request: client-id, private key, keyVersion, and a
 * request-time (NULL: the test clock's now, ISO 8601). */
struct signer {
    const char *client_id, *key, *version, *time;
};
static const struct signer WF1 = {"wf1", keys.k1, "1", NULL};

/* --- processes and files --------------------------------------------------------------- */

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

static void spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* A PEM file as a JSON string (for a client's public_keys). */
static char *pem_json(const char *path)
{
    char *pem = slurp(path, NULL);
    json_t *s = json_string(pem);
    char *out = json_dumps(s, JSON_ENCODE_ANY);
    json_decref(s);
    free(pem);
    return out;
}

static void assert_has(const char *raw, const char *part)
{
    if (!strstr(raw, part))
        fail_msg("'%s' not in %s", part, raw);
}

static void iso(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* --- signatures, by openssl -------------------------------------------------------------- */

/* application/x-www-form-urlencoded, written here (not fundgate's). */
static void url_encode(const char *in, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *in; in++) {
        unsigned char ch = (unsigned char)*in;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr(".-*_", ch)) {
            *out++ = (char)ch;
        } else {
            *out++ = '%';
            *out++ = hex[ch >> 4];
            *out++ = hex[ch & 15];
        }
    }
    *out = '\0';
}

static void url_decode(const char *in, char *out)
{
    for (; *in; in++) {
        if (*in == '%' && in[1] && in[2]) {
            char h[3] = {in[1], in[2], 0};
            *out++ = (char)strtol(h, NULL, 16);
            in += 2;
        } else {
            *out++ = *in == '+' ? ' ' : *in;
        }
    }
    *out = '\0';
}

static char *content_of(const char *method, const char *uri, const char *client_id,
                        const char *time, const char *body, size_t len, size_t *out_len)
{
    size_t head = strlen(method) + strlen(uri) + strlen(client_id) + strlen(time) + 4;
    char *c = malloc(head + len + 1);
    snprintf(c, head + 1, "%s %s\n%s.%s.", method, uri, client_id, time);
    memcpy(c + head, body, len);
    c[head + len] = '\0';
    *out_len = head + len;
    return c;
}

/* The signature header for content, signed by `openssl dgst -sign`. */
static void openssl_sign(const char *key, const char *version, const char *content, size_t len,
                         char *header, size_t cap)
{
    char dir[] = "/tmp/fg-wf-sign-XXXXXX", cmd[1024], b64[2048], enc[4096];
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd), "%s/content", dir);
    spit(cmd, content, len);
    snprintf(cmd, sizeof(cmd),
             "openssl dgst -sha256 -sign %s -out %s/sig %s/content && openssl base64 -A -in "
             "%s/sig && rm -rf %s",
             key, dir, dir, dir, dir);
    assert_int_equal(run(cmd, b64, sizeof(b64)), 0);
    url_encode(b64, enc);
    snprintf(header, cap, "algorithm=RSA256,keyVersion=%s,signature=%s", version, enc);
}

/* `openssl dgst -verify` of a signature header over content with pub. */
static bool openssl_verify(const char *pub, const char *header, const char *content, size_t len)
{
    const char *at = strstr(header, "signature=");
    if (!at || !strstr(header, "algorithm=RSA256"))
        return false;
    char b64[2048], dir[] = "/tmp/fg-wf-verify-XXXXXX", cmd[1024];
    url_decode(at + strlen("signature="), b64);
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd), "%s/content", dir);
    spit(cmd, content, len);
    snprintf(cmd, sizeof(cmd), "%s/b64", dir);
    spit(cmd, b64, strlen(b64));
    snprintf(cmd, sizeof(cmd),
             "openssl base64 -d -A -in %s/b64 -out %s/sig && openssl dgst -sha256 -verify %s "
             "-signature %s/sig %s/content >/dev/null 2>&1",
             dir, dir, pub, dir, dir);
    bool ok = run(cmd, NULL, 0) == 0;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    run(cmd, NULL, 0);
    return ok;
}

/* --- requests ------------------------------------------------------------------------------- */

struct wfresp {
    long status;
    char *body;
    size_t len;
    json_t *json;
    char client_id[128], response_time[64], signature[1024];
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    struct wfresp *r = ctx;
    r->body = realloc(r->body, r->len + size * n + 1);
    memcpy(r->body + r->len, p, size * n);
    r->len += size * n;
    r->body[r->len] = '\0';
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    struct wfresp *r = ctx;
    size_t len = size * n;
    static const struct {
        const char *name;
        size_t off, cap;
    } want[] = {{"client-id:", offsetof(struct wfresp, client_id), 128},
                {"response-time:", offsetof(struct wfresp, response_time), 64},
                {"signature:", offsetof(struct wfresp, signature), 1024}};
    for (size_t i = 0; i < 3; i++) {
        size_t nl = strlen(want[i].name);
        if (len > nl && strncasecmp(p, want[i].name, nl) == 0) {
            const char *v = p + nl;
            size_t vn = len - nl;
            while (vn && *v == ' ')
                v++, vn--;
            while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n'))
                vn--;
            snprintf((char *)r + want[i].off, want[i].cap, "%.*s", (int)vn, v);
        }
    }
    return len;
}

static void wf_request(const struct ctx *c, const char *method, const char *path,
                       const char *const headers[], const char *body, size_t len, struct wfresp *r)
{
    char url[512];
    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "%s%s", c->s.base, path);
    CURL *h = curl_easy_init();
    struct curl_slist *hs = curl_slist_append(NULL, "Expect:");
    for (int i = 0; headers && headers[i]; i++)
        hs = curl_slist_append(hs, headers[i]);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    if (!r->body)
        r->body = strdup("");
    r->json = json_loadb(r->body, r->len, 0, NULL);
}

static void wfresp_free(struct wfresp *r)
{
    free(r->body);
    json_decref(r->json);
}

/* The answer is signed by fundgate for the client-id asked (openssl verifies). */
static void assert_answer_signed(const struct ctx *c, const char *method, const char *path,
                                 const char *client_id, const struct wfresp *r)
{
    size_t len = 0;
    if (strcmp(r->client_id, client_id) != 0 || !r->response_time[0] || !r->signature[0])
        fail_msg("answer not signed for %s: client-id '%s' time '%s'", client_id, r->client_id,
                 r->response_time);
    char *content = content_of(method, path, client_id, r->response_time, r->body, r->len, &len);
    if (!openssl_verify(c->fgpub, r->signature, content, len))
        fail_msg("the answer's signature does not verify: %s", r->body);
    free(content);
}

/* Headers of a request signed by sg over body (time as sg says). */
static void signed_headers(const struct ctx *c, const struct signer *sg, const char *path,
                           const char *body, size_t len, char h[3][2100])
{
    char now[32], *time = (char *)sg->time;
    if (!time) {
        iso(c->now_ms, now);
        time = now;
    }
    size_t cl = 0;
    char *content = content_of("POST", path, sg->client_id, time, body, len, &cl);
    char sig[2048];
    openssl_sign(sg->key, sg->version, content, cl, sig, sizeof(sig));
    free(content);
    snprintf(h[0], 2100, "client-id: %s", sg->client_id);
    snprintf(h[1], 2100, "request-time: %s", time);
    snprintf(h[2], 2100, "signature: %s", sig);
}

static const char *code_of(json_t *j)
{
    return fgh_str(j, "result.resultCode");
}

/* Sign, post, check the code (HTTP 200; 429 for the rate limit) and the
 * answer's signature. Returns the parsed answer; *raw its bytes. */
static json_t *call_as(struct ctx *c, const struct signer *sg, const char *api, const char *body,
                       const char *want, char **raw)
{
    char path[128], h[3][2100];
    snprintf(path, sizeof(path), API "%s", api);
    signed_headers(c, sg, path, body, strlen(body), h);
    const char *hs[] = {h[0], h[1], h[2], "Content-Type: application/json; charset=UTF-8", NULL};
    struct wfresp r;
    wf_request(c, "POST", path, hs, body, strlen(body), &r);
    long want_status = strcmp(want, "REQUEST_TRAFFIC_EXCEED_LIMIT") == 0 ? 429 : 200;
    const char *code = code_of(r.json);
    if (r.status != want_status || !code || strcmp(code, want) != 0)
        fail_msg("want %s (HTTP %ld), got HTTP %ld: %s\nfor %s", want, want_status, r.status,
                 r.body, body);
    assert_answer_signed(c, "POST", path, sg->client_id, &r);
    json_t *j = json_incref(r.json);
    if (raw)
        *raw = strdup(r.body);
    wfresp_free(&r);
    return j;
}

static json_t *call(struct ctx *c, const char *api, const char *body, const char *want, char **raw)
{
    return call_as(c, &WF1, api, body, want, raw);
}

static void expect(struct ctx *c, const char *api, const char *body, const char *want)
{
    json_decref(call(c, api, body, want, NULL));
}

/* --- the server, its clock and its data ------------------------------------------------------ */

static void clock_set(struct ctx *c, int64_t ms)
{
    char body[64];
    snprintf(body, sizeof(body), "{\"now_ms\":%lld}", (long long)ms);
    json_decref(fgh_admin_ok(&c->s, "POST", "/admin/v1/test/clock", body, 200));
    c->now_ms = ms;
}

static void admin_post(struct ctx *c, const char *path, const char *body, long status)
{
    json_decref(fgh_admin_ok(&c->s, "POST", path, body, status));
}

static void assert_avail(struct ctx *c, const char *uuid, const char *ccy, const char *want)
{
    char *a = fgh_available(&c->s, uuid, "wallet", ccy);
    if (strcmp(a, want) != 0)
        fail_msg("%s %s available %s, want %s", uuid, ccy, a, want);
    free(a);
}

static void assert_balance(struct ctx *c, const char *uuid, const char *ccy, const char *want)
{
    char *a = fgh_balance(&c->s, uuid, "wallet", ccy);
    if (strcmp(a, want) != 0)
        fail_msg("%s %s balance %s, want %s", uuid, ccy, a, want);
    free(a);
}

/* Every customer balance as one text, to prove a refusal moved nothing. */
static char *snapshot(struct ctx *c)
{
    static const char *const who[][2] = {{"c1", "USD"}, {"c1", "EUR"}, {"c1", "JPY"},
                                         {"c2", "USD"}, {"c2", "EUR"}, {"c3", "USD"}};
    char *out = calloc(1, 4096);
    for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
        char *a = fgh_available(&c->s, who[i][0], "wallet", who[i][1]);
        char *b = fgh_balance(&c->s, who[i][0], "wallet", who[i][1]);
        snprintf(out + strlen(out), 4096 - strlen(out), "%s %s %s/%s; ", who[i][0], who[i][1], a,
                 b);
        free(a);
        free(b);
    }
    return out;
}

/* The client wf1 (keys: versions given), its customers and notify_url. */
static void client_wf1(struct ctx *c, const char *versions_json, const char *notify_url)
{
    char *body = malloc(16384);
    snprintf(body, 16384,
             "{\"family\":\"worldfirst\",\"client_id\":\"wf1\",\"public_keys\":%s,"
             "\"customers\":{\"CUST-1\":\"c1\",\"CUST-2\":\"c2\",\"CUST-3\":\"c3\","
             "\"CUST-9\":\"c9\"}%s%s%s}",
             versions_json, notify_url ? ",\"notify_url\":\"" : "", notify_url ? notify_url : "",
             notify_url ? "\"" : "");
    struct fgresp r;
    assert_int_equal(fgh_admin(&c->s, "POST", "/admin/v1/clients", body, &r), 0);
    if (r.status != 200 && r.status != 201)
        fail_msg("client wf1: %ld %s", r.status, r.body);
    fgresp_free(&r);
    free(body);
}

static char *keys_json(const char *v1_path, const char *v2_path)
{
    char *a = v1_path ? pem_json(v1_path) : NULL, *b = v2_path ? pem_json(v2_path) : NULL;
    char *out = malloc(8192);
    snprintf(out, 8192, "{%s%s%s%s%s%s}", a ? "\"1\":" : "", a ? a : "", a && b ? "," : "",
             b ? "\"2\":" : "", b ? b : "", "");
    free(a);
    free(b);
    return out;
}

static char *notify_url(struct ctx *c, uint16_t port)
{
    static __thread char url[128];
    (void)c;
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/wf/notify?client=wf1", port);
    return url;
}

static void seed(struct ctx *c)
{
    static const char *const ccys[] = {"USD", "EUR", "JPY", "GBP"};
    static const int digits[] = {2, 2, 0, 2};
    char b[512];
    for (int i = 0; i < 4; i++) {
        snprintf(b, sizeof(b), "{\"code\":\"%s\",\"digits\":%d}", ccys[i], digits[i]);
        admin_post(c, "/admin/v1/currencies", b, 201);
    }
    for (int i = 1; i <= 3; i++) {
        snprintf(b, sizeof(b),
                 "{\"uuid\":\"c%d\",\"user_name\":\"u%d\",\"name\":\"Customer %d\","
                 "\"company_id\":7,\"base_currency\":\"USD\"}",
                 i, i, i);
        admin_post(c, "/admin/v1/customers", b, 201);
    }
    static const char *const accts[][2] = {{"c1", "USD"}, {"c1", "EUR"}, {"c1", "JPY"},
                                           {"c2", "USD"}, {"c2", "EUR"}, {"c3", "USD"},
                                           {"c3", "EUR"}};
    for (size_t i = 0; i < sizeof(accts) / sizeof(accts[0]); i++) {
        snprintf(b, sizeof(b), "{\"uuid\":\"%s\",\"type\":\"wallet\",\"currency\":\"%s\"}",
                 accts[i][0], accts[i][1]);
        admin_post(c, "/admin/v1/accounts", b, 201);
    }
    static const char *const deps[][3] = {
        {"d1", "c1", "10000.00"}, {"d2", "c2", "100.00"}, {"d3", "c3", "100.00"}};
    for (int i = 0; i < 3; i++) {
        snprintf(b, sizeof(b),
                 "{\"request_id\":\"%s\",\"uuid\":\"%s\",\"type\":\"wallet\",\"currency\":\"USD\","
                 "\"amount\":\"%s\"}",
                 deps[i][0], deps[i][1], deps[i][2]);
        admin_post(c, "/admin/v1/deposits", b, 201);
    }
    admin_post(c, "/admin/v1/calendars/USD/holidays",
               "{\"dates\":[\"2026-01-19\"],\"through\":\"2026-12-31\"}", 201);
    admin_post(c, "/admin/v1/calendars/EUR/holidays",
               "{\"dates\":[\"2026-04-03\"],\"through\":\"2026-12-31\"}", 201);
    admin_post(c, "/admin/v1/rates", "{\"pair\":\"EUR/USD\",\"bid\":\"1.0850\",\"ask\":\"1.0860\"}",
               201);
    admin_post(c, "/admin/v1/rates", "{\"pair\":\"USD/JPY\",\"bid\":\"151.20\",\"ask\":\"151.35\"}",
               201);
    char *k = keys_json(keys.k1pub, NULL);
    client_wf1(c, k, notify_url(c, receiver_port(c->rcv)));
    free(k);
    char *k3 = pem_json(keys.k3pub), *body = malloc(8192);
    snprintf(body, 8192,
             "{\"family\":\"worldfirst\",\"client_id\":\"wf2\",\"public_keys\":{\"1\":%s},"
             "\"customers\":{\"W2-1\":\"c1\"}}",
             k3);
    admin_post(c, "/admin/v1/clients", body, 201);
    free(k3);
    free(body);
}

static void fetch_public_key(struct ctx *c)
{
    struct fgresp r;
    assert_int_equal(fgh_admin(&c->s, "GET", "/admin/v1/keys/worldfirst", NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_has(r.body, "-----BEGIN PUBLIC KEY-----");
    snprintf(c->fgpub, sizeof(c->fgpub), "%s/fundgate-public.pem", keys.dir);
    spit(c->fgpub, r.body, strlen(r.body));
    fgresp_free(&r);
}

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    c->rcv = receiver_start(RECEIVER_ACK, 0);
    assert_non_null(c->rcv);
    c->s.args[0] = "--test-clock";
    c->s.args[1] = "--test-faults";
    fgsrv_start(&c->s);
    clock_set(c, T0);
    seed(c);
    fetch_public_key(c);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    fgh_assert_reconciled(&c->s);
    int rc = fgsrv_stop(&c->s);
    fgsrv_cleanup(&c->s);
    receiver_stop(c->rcv);
    free(c);
    assert_int_equal(rc, 0);
    return 0;
}

static int keys_setup(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(keys.dir, sizeof(keys.dir), "/tmp/fg-wf-keys-XXXXXX");
    assert_non_null(mkdtemp(keys.dir));
    char *paths[3][2] = {{keys.k1, keys.k1pub}, {keys.k2, keys.k2pub}, {keys.k3, keys.k3pub}};
    for (int i = 0; i < 3; i++) {
        snprintf(paths[i][0], 128, "%s/k%d.pem", keys.dir, i + 1);
        snprintf(paths[i][1], 128, "%s/k%d.pub", keys.dir, i + 1);
        snprintf(cmd, sizeof(cmd),
                 "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out %s 2>/dev/null "
                 "&& openssl pkey -in %s -pubout -out %s",
                 paths[i][0], paths[i][0], paths[i][1]);
        assert_int_equal(run(cmd, NULL, 0), 0);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

static int keys_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", keys.dir);
    return run(cmd, NULL, 0);
}

/* --- bodies ---------------------------------------------------------------------------------- */

static char *quote_body(const char *sell, const char *sell_value, const char *buy,
                        const char *buy_value, const char *type, const char *value_date)
{
    char *b = malloc(1024), sv[64] = "", bv[64] = "", info[96] = "";
    if (sell_value)
        snprintf(sv, sizeof(sv), ",\"value\":%s", sell_value);
    if (buy_value)
        snprintf(bv, sizeof(bv), ",\"value\":%s", buy_value);
    if (value_date)
        snprintf(info, sizeof(info), ",\"quoteUnfundedInfo\":{\"valueDate\":\"%s\"}", value_date);
    snprintf(b, 1024,
             "{\"sell\":{\"currency\":\"%s\"%s},\"buy\":{\"currency\":\"%s\"%s},"
             "\"exchangeTradeType\":\"%s\"%s}",
             sell, sv, buy, bv, type, info);
    return b;
}

static json_t *quote(struct ctx *c, const char *sell, const char *sell_value, const char *buy,
                     const char *buy_value, const char *type, const char *value_date)
{
    char *b = quote_body(sell, sell_value, buy, buy_value, type, value_date);
    json_t *j = call(c, "createQuote", b, "SUCCESS", NULL);
    free(b);
    return j;
}

/* An APPOINTED exchange of a quote (SPOT) or deal (FORWARD, UNFUNDED_SPOT),
 * repeating the quote's amounts and the whole Quote object. */
static char *exchange_body(const char *customer, const char *rid, json_t *q, const char *type)
{
    char *quote = json_dumps(json_object_get(q, "quote"), JSON_COMPACT);
    char *b = malloc(4096), deal[160] = "";
    if (strcmp(type, "SPOT") != 0)
        snprintf(deal, sizeof(deal), ",\"%s\":{\"dealId\":\"%s\"}",
                 strcmp(type, "FORWARD") == 0 ? "exchangeForwardInfo" : "exchangeUnfundedInfo",
                 fgh_str(q, "quote.quoteId"));
    snprintf(b, 4096,
             "{\"customerId\":\"%s\",\"exchangeRequestId\":\"%s\",\"sell\":{\"currency\":\"%s\","
             "\"value\":%lld},\"buy\":{\"currency\":\"%s\",\"value\":%lld},\"exchangeMode\":"
             "\"APPOINTED\",\"exchangeTradeType\":\"%s\",\"quote\":%s%s,\"exchangeOrderAddition\":"
             "{\"referenceOrderId\":\"ref-%s\",\"exchangeMemo\":\"memo\"},"
             "\"exchangeRequestTime\":\"2026-01-16T10:00:00Z\"}",
             customer, rid, fgh_str(q, "sell.currency"),
             (long long)json_integer_value(fgh_get(q, "sell.value")), fgh_str(q, "buy.currency"),
             (long long)json_integer_value(fgh_get(q, "buy.value")), type, quote, deal, rid);
    free(quote);
    return b;
}

static char *realtime_body(const char *customer, const char *rid, const char *sell,
                           const char *sell_value, const char *buy, const char *type,
                           const char *extra)
{
    char *b = malloc(2048);
    snprintf(b, 2048,
             "{\"customerId\":\"%s\",\"exchangeRequestId\":\"%s\",\"sell\":{\"currency\":\"%s\","
             "\"value\":%s},\"buy\":{\"currency\":\"%s\"},\"exchangeMode\":\"REALTIME\","
             "\"exchangeTradeType\":\"%s\"%s}",
             customer, rid, sell, sell_value, buy, type, extra ? extra : "");
    return b;
}

static json_t *inquiry(struct ctx *c, const char *rid, const char *customer, const char *want)
{
    char b[512];
    snprintf(b, sizeof(b), "{\"exchangeRequestId\":\"%s\",\"customerId\":\"%s\"}", rid, customer);
    return call(c, "inquiryExchange", b, want, NULL);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* The exchangeResult code of an inquiry, waited for (the sweep runs every second). */
static json_t *inquiry_until(struct ctx *c, const char *rid, const char *customer,
                             const char *want_result)
{
    for (int i = 0; i < 100; i++) {
        json_t *j = inquiry(c, rid, customer, "SUCCESS");
        const char *code = fgh_str(j, "exchangeResult.resultCode");
        if (code && strcmp(code, want_result) == 0)
            return j;
        json_decref(j);
        sleep_ms(100);
    }
    fail_msg("exchange %s never reached %s", rid, want_result);
    return NULL;
}

/* --- quote, SPOT, inquiry, replays ---------------------------------------------------------- */

/* The inquiry of x-spot-1 (exchange x of quote q): its outcome, only for its
 * own customer and client; the FX core's row in the admin plane. */
static void spot_inquired(struct ctx *c, json_t *x, json_t *q)
{
    /* Inquiry: the same exchange, its outcome; only its own customer sees it. */
    json_t *i = inquiry(c, "x-spot-1", "CUST-1", "SUCCESS");
    assert_string_equal(fgh_str(i, "exchangeId"), fgh_str(x, "exchangeId"));
    assert_string_equal(fgh_str(i, "exchangeResult.resultCode"), "SUCCESS");
    assert_string_equal(fgh_str(i, "quote.quoteId"), fgh_str(q, "quote.quoteId"));
    assert_string_equal(fgh_str(i, "exchangeFinishTime"), "2026-01-16T10:00:00Z");
    json_decref(i);
    json_decref(inquiry(c, "x-spot-1", "CUST-2", "ORDER_NOT_EXIST"));
    json_decref(inquiry(c, "x-none", "CUST-1", "ORDER_NOT_EXIST"));
    json_decref(call_as(c, &(struct signer){"wf2", keys.k3, "1", NULL}, "inquiryExchange",
                        "{\"exchangeRequestId\":\"x-spot-1\",\"customerId\":\"W2-1\"}",
                        "ORDER_NOT_EXIST", NULL)); /* another client's ids are its own */
    /* The exchange in the admin plane: the FX core's row, any family. */
    char path[128];
    snprintf(path, sizeof(path), "/admin/v1/fx/exchanges/%s", fgh_str(x, "exchangeId"));
    json_t *a = fgh_admin_ok(&c->s, "GET", path, NULL, 200);
    assert_string_equal(fgh_str(a, "family"), "worldfirst");
    assert_string_equal(fgh_str(a, "state"), "settled");
    assert_string_equal(fgh_str(a, "tenor"), "TOD");
    assert_string_equal(fgh_str(a, "reference"), "ref-x-spot-1");
    json_decref(a);
}

static void test_quote_spot_inquiry(void **state)
{
    struct ctx *c = *state;
    char *raw = NULL, *again = NULL;
    json_t *q = quote(c, "USD", "100000", "EUR", NULL, "SPOT", NULL);
    char *text = json_dumps(q, JSON_COMPACT);
    assert_has(text, "\"quoteCurrencyPair\":\"EUR/USD\",\"quotePrice\":\"1.086\","
                     "\"quoteStartTime\":\"2026-01-16T10:00:00Z\",\"quoteExpiryTime\":"
                     "\"2026-01-16T10:00:30Z\",\"guaranteed\":true");
    assert_has(text, "\"sell\":{\"currency\":\"USD\",\"value\":100000},\"buy\":{\"currency\":"
                     "\"EUR\",\"value\":92081}");
    assert_null(fgh_get(q, "quoteUnfundedInfo"));
    free(text);
    char *b = exchange_body("CUST-1", "x-spot-1", q, "SPOT");
    json_t *x = call(c, "createExchange", b, "SUCCESS", &raw);
    assert_has(raw, "\"exchangeResult\":{\"resultCode\":\"SUCCESS\",\"resultStatus\":\"S\"");
    assert_has(raw, "\"exchangeRequestId\":\"x-spot-1\",\"customerId\":\"CUST-1\"");
    assert_has(raw, "\"exchangeCreateTime\":\"2026-01-16T10:00:00Z\",\"exchangeFinishTime\":"
                    "\"2026-01-16T10:00:00Z\"");
    assert_has(raw, "\"exchangeMode\":\"APPOINTED\",\"exchangeTradeType\":\"SPOT\","
                    "\"exchangeOrderAddition\":{\"referenceOrderId\":\"ref-x-spot-1\","
                    "\"exchangeMemo\":\"memo\"}");
    assert_avail(c, "c1", "USD", "9000.00");
    assert_avail(c, "c1", "EUR", "920.81");
    /* The same request again: the stored bytes, nothing moved twice. */
    json_decref(call(c, "createExchange", b, "SUCCESS", &again));
    assert_string_equal(raw, again);
    free(again);
    assert_avail(c, "c1", "USD", "9000.00");
    /* Descriptive fields are not part of the request's identity. */
    char *b2 = strdup(b);
    memcpy(strstr(b2, "\"memo\""), "\"MEMO\"", 6);
    json_decref(call(c, "createExchange", b2, "SUCCESS", &again));
    assert_string_equal(raw, again);
    free(again);
    free(b2);
    /* The same id for another exchange: PARAM_ILLEGAL, nothing applied. */
    char *conflict = realtime_body("CUST-1", "x-spot-1", "USD", "100", "EUR", "SPOT", NULL);
    char *before = snapshot(c);
    json_t *r = call(c, "createExchange", conflict, "PARAM_ILLEGAL", NULL);
    assert_has(fgh_str(r, "result.resultMessage"), "was used for another exchange");
    assert_null(fgh_get(r, "exchangeId")); /* business fields only with S */
    json_decref(r);
    char *after = snapshot(c);
    assert_string_equal(before, after);
    free(after);
    /* A used quote cannot be taken again under another id. */
    char *b3 = exchange_body("CUST-1", "x-spot-2", q, "SPOT");
    json_decref(call(c, "createExchange", b3, "QUOTE_EXPIRED", NULL));
    after = snapshot(c);
    assert_string_equal(before, after);
    free(after);
    free(before);
    spot_inquired(c, x, q);
    json_decref(x);
    json_decref(q);
    free(b);
    free(b3);
    free(conflict);
    free(raw);
}

/* --- FORWARD: held, settled by the sweep on its value date, notified ------------------------ */

/* The notification's signature, by openssl: POST <path?query>\n<client-id>.<request-time>.<body>.
 */
static void assert_notification_signed(struct ctx *c, const struct receiver_call *k)
{
    size_t len = 0;
    assert_string_equal(k->client_id, "wf1");
    assert_has(k->content_type, "application/json");
    char *content = content_of("POST", "/wf/notify?client=wf1", k->client_id, k->request_time,
                               k->body, k->len, &len);
    if (!openssl_verify(c->fgpub, k->signature, content, len))
        fail_msg("the notification's signature does not verify: %s", k->body);
    free(content);
}

static json_t *outbox_rows(struct ctx *c, const char *status)
{
    char path[128];
    snprintf(path, sizeof(path), "/admin/v1/outbox%s%s", status ? "?status=" : "",
             status ? status : "");
    return fgh_admin_ok(&c->s, "GET", path, NULL, 200);
}

/* Wait for outbox row i (0-based, oldest first) to have `tries` tries. */
static json_t *outbox_wait(struct ctx *c, int i, int tries, const char *status)
{
    for (int n = 0; n < 200; n++) {
        json_t *all = outbox_rows(c, NULL);
        json_t *row = json_array_get(json_object_get(all, "notifications"), (size_t)i);
        if (row && json_integer_value(json_object_get(row, "tries")) == tries &&
            strcmp(fgh_str(row, "status"), status) == 0) {
            json_incref(row);
            json_decref(all);
            return row;
        }
        json_decref(all);
        sleep_ms(50);
    }
    json_t *all = outbox_rows(c, NULL);
    char *t = json_dumps(all, JSON_COMPACT);
    fail_msg("outbox row %d never had %d tries, %s: %s", i, tries, status, t);
    return NULL;
}

/* The one notification of forward x: signed by fundgate, the inquiry's fields. */
static void forward_notified(struct ctx *c, json_t *x, const char *nid)
{
    /* The receiver got it once, signed by fundgate (openssl verifies), with
     * the inquiry's fields and no result. */
    assert_int_equal(receiver_count(c->rcv), 1);
    struct receiver_call k;
    assert_true(receiver_get(c->rcv, 0, &k));
    assert_string_equal(k.path, "/wf/notify");
    assert_string_equal(k.request_time, "2026-01-22T10:00:00Z");
    assert_notification_signed(c, &k);
    json_t *n = json_loadb(k.body, k.len, 0, NULL);
    assert_non_null(n);
    assert_string_equal(fgh_str(n, "notificationId"), nid);
    assert_null(json_object_get(n, "result"));
    assert_string_equal(fgh_str(n, "exchangeResult.resultCode"), "SUCCESS");
    assert_string_equal(fgh_str(n, "exchangeId"), fgh_str(x, "exchangeId"));
    assert_string_equal(fgh_str(n, "exchangeRequestId"), "x-fwd-1");
    assert_string_equal(fgh_str(n, "exchangeTradeType"), "FORWARD");
    assert_string_equal(fgh_str(n, "exchangeFinishTime"), "2026-01-22T10:00:00Z");
    assert_int_equal(json_integer_value(fgh_get(n, "buy.value")), 50000);
    json_decref(n);
    free(k.body);
}

static void test_forward_settled_and_notified(void **state)
{
    struct ctx *c = *state;
    char *raw = NULL;
    json_t *q = quote(c, "USD", NULL, "EUR", "50000", "FORWARD", FWD_DAY);
    assert_string_equal(fgh_str(q, "quoteUnfundedInfo.valueDate"), FWD_DAY);
    assert_string_equal(fgh_str(q, "quoteUnfundedInfo.dealId"), fgh_str(q, "quote.quoteId"));
    assert_int_equal(json_integer_value(fgh_get(q, "sell.value")), 54300); /* 500.00 * 1.086 */
    /* The vendor's shape (docs/protocols/worldfirst.md "createExchange"): the deal by
     * its id, no quote object. */
    char b[1024];
    snprintf(b, sizeof(b),
             "{\"customerId\":\"CUST-1\",\"exchangeRequestId\":\"x-fwd-1\",\"sell\":{\"currency\":"
             "\"USD\",\"value\":54300},\"buy\":{\"currency\":\"EUR\"},\"exchangeMode\":"
             "\"APPOINTED\",\"exchangeTradeType\":\"FORWARD\",\"exchangeOrderAddition\":"
             "{\"exchangeMemo\":\"exchange-test\",\"referenceOrderId\":\"r1\"},"
             "\"exchangeRequestTime\":\"2026-01-16T10:00:00Z\",\"exchangeForwardInfo\":"
             "{\"dealId\":\"%s\"}}",
             fgh_str(q, "quote.quoteId"));
    json_t *x = call(c, "createExchange", b, "PROCESSING", &raw);
    assert_string_equal(fgh_str(x, "exchangeResult.resultCode"), "PROCESSING");
    assert_null(fgh_get(x, "exchangeFinishTime"));
    assert_string_equal(fgh_str(x, "exchangeForwardInfo.valueDate"), FWD_DAY);
    assert_string_equal(fgh_str(x, "exchangeForwardInfo.dealId"), fgh_str(q, "quote.quoteId"));
    assert_avail(c, "c1", "USD", "9457.00"); /* held */
    assert_balance(c, "c1", "USD", "10000.00");
    assert_avail(c, "c1", "EUR", "0.00");
    json_decref(inquiry(c, "x-fwd-1", "CUST-1", "SUCCESS"));
    /* The day before: nothing settles. */
    clock_set(c, FWD_MS - DAY_MS);
    sleep_ms(1500);
    json_t *i = inquiry(c, "x-fwd-1", "CUST-1", "SUCCESS");
    assert_string_equal(fgh_str(i, "exchangeResult.resultCode"), "PROCESSING");
    json_decref(i);
    assert_int_equal(receiver_count(c->rcv), 0);
    /* Its value date: the periodic sweep settles it and queues the notification. */
    clock_set(c, FWD_MS);
    i = inquiry_until(c, "x-fwd-1", "CUST-1", "SUCCESS");
    assert_string_equal(fgh_str(i, "exchangeFinishTime"), "2026-01-22T10:00:00Z");
    assert_avail(c, "c1", "USD", "9457.00");
    assert_balance(c, "c1", "USD", "9457.00");
    assert_avail(c, "c1", "EUR", "500.00");
    json_t *row = outbox_wait(c, 0, 1, "delivered");
    char nid[96];
    snprintf(nid, sizeof(nid), "wfn-%s", fgh_str(x, "exchangeId"));
    assert_string_equal(fgh_str(row, "notification_id"), nid);
    assert_string_equal(fgh_str(row, "kind"), "notifyExchange");
    assert_int_equal(json_integer_value(json_object_get(row, "last_http")), 200);
    json_decref(row);
    forward_notified(c, x, nid);
    /* The inquiry now says what the notification said. */
    assert_string_equal(fgh_str(i, "exchangeResult.resultCode"), "SUCCESS");
    char *metrics = NULL;
    struct fgresp m;
    assert_int_equal(fgh_request(&c->s, "GET", "/metrics", NULL, NULL, &m), 0);
    metrics = m.body;
    assert_has(metrics, "fundgate_outbox_deliveries_total 1\n");
    assert_has(metrics, "# TYPE fundgate_outbox_pending gauge");
    assert_has(metrics, "fundgate_outbox_oldest_pending_age_seconds");
    assert_has(metrics, "fundgate_outbox_failures_total 0\n");
    fgresp_free(&m);
    json_decref(i);
    json_decref(x);
    json_decref(q);
    free(raw);
}

/* --- UNFUNDED_SPOT: booked without funds, settled if funded on its date ------------------- */

static void test_unfunded_spot(void **state)
{
    struct ctx *c = *state;
    /* A date other than the SPOT value date is refused, nothing booked. */
    char *bad = quote_body("USD", "50000", "EUR", NULL, "UNFUNDED_SPOT", "2026-01-22");
    json_decref(call(c, "createQuote", bad, "PARAM_ILLEGAL", NULL));
    free(bad);
    json_t *qa = quote(c, "USD", "50000", "EUR", NULL, "UNFUNDED_SPOT", SPOT_DAY);
    json_t *qb = quote(c, "USD", "500000", "EUR", NULL, "UNFUNDED_SPOT", NULL);
    assert_string_equal(fgh_str(qa, "quoteUnfundedInfo.valueDate"), SPOT_DAY);
    assert_string_equal(fgh_str(qb, "quoteUnfundedInfo.valueDate"), SPOT_DAY);
    assert_string_equal(fgh_str(qa, "exchangeTradeType"), "UNFUNDED_SPOT");
    char *ba = exchange_body("CUST-2", "x-uf-a", qa, "UNFUNDED_SPOT");
    char *bb = exchange_body("CUST-2", "x-uf-b", qb, "UNFUNDED_SPOT");
    json_t *xa = call(c, "createExchange", ba, "PROCESSING", NULL);
    json_t *xb = call(c, "createExchange", bb, "PROCESSING", NULL);
    assert_string_equal(fgh_str(xa, "exchangeUnfundedInfo.valueDate"), SPOT_DAY);
    assert_avail(c, "c2", "USD", "100.00"); /* nothing held: it is unfunded */
    /* Before the date the customer is funded for the first only (the two
     * settle in either order: the second can never be paid). */
    admin_post(
        c, "/admin/v1/deposits",
        "{\"request_id\":\"d-c2-2\",\"uuid\":\"c2\",\"type\":\"wallet\",\"currency\":\"USD\","
        "\"amount\":\"500.00\"}",
        201);
    clock_set(c, T0 + 5 * DAY_MS); /* Wednesday 21 January */
    json_t *ia = inquiry_until(c, "x-uf-a", "CUST-2", "SUCCESS");
    json_t *ib = inquiry_until(c, "x-uf-b", "CUST-2", "PROCESS_FAIL");
    assert_string_equal(fgh_str(ib, "exchangeResult.resultStatus"), "F");
    assert_has(fgh_str(ib, "exchangeResult.resultMessage"), "insufficient");
    assert_string_equal(fgh_str(ib, "result.resultCode"), "SUCCESS"); /* the call succeeded */
    assert_avail(c, "c2", "USD", "100.00");
    assert_avail(c, "c2", "EUR", "460.40"); /* 500.00 / 1.086, rounded down */
    /* Both are notified, each with its outcome. */
    json_t *r0 = outbox_wait(c, 0, 1, "delivered"), *r1 = outbox_wait(c, 1, 1, "delivered");
    if (strstr(fgh_str(r0, "body"), "x-uf-b")) { /* settled in the other order */
        json_t *t = r0;
        r0 = r1;
        r1 = t;
    }
    assert_has(fgh_str(r0, "body"), "\"exchangeRequestId\":\"x-uf-a\"");
    assert_has(fgh_str(r0, "body"), "\"exchangeResult\":{\"resultCode\":\"SUCCESS\"");
    assert_has(fgh_str(r1, "body"), "\"exchangeRequestId\":\"x-uf-b\"");
    assert_has(fgh_str(r1, "body"), "\"exchangeResult\":{\"resultCode\":\"PROCESS_FAIL\","
                                    "\"resultStatus\":\"F\"");
    assert_int_equal(receiver_count(c->rcv), 2);
    for (int i = 0; i < 2; i++) {
        struct receiver_call k;
        assert_true(receiver_get(c->rcv, i, &k));
        assert_notification_signed(c, &k);
        free(k.body);
    }
    json_decref(r0);
    json_decref(r1);
    json_decref(ia);
    json_decref(ib);
    json_decref(xa);
    json_decref(xb);
    json_decref(qa);
    json_decref(qb);
    free(ba);
    free(bb);
}

/* --- REALTIME: the live rate now, no quote ---------------------------------------------------- */

static void test_realtime(void **state)
{
    struct ctx *c = *state;
    char *b = realtime_body("CUST-1", "x-rt-1", "USD", "10000", "JPY", "SPOT", NULL);
    json_t *x = call(c, "createExchange", b, "SUCCESS", NULL);
    assert_int_equal(json_integer_value(fgh_get(x, "buy.value")), 15120); /* 100.00 * 151.2 */
    assert_string_equal(fgh_str(x, "quote.quoteCurrencyPair"), "USD/JPY");
    assert_string_equal(fgh_str(x, "quote.quotePrice"), "151.2");
    assert_string_equal(fgh_str(x, "exchangeMode"), "REALTIME");
    assert_avail(c, "c1", "JPY", "15120");
    assert_avail(c, "c1", "USD", "9900.00");
    char *before = snapshot(c);
    /* REALTIME takes no quote, one value only, and a FORWARD needs its date. */
    json_t *q = quote(c, "USD", "100", "EUR", NULL, "SPOT", NULL);
    char *quote_text = json_dumps(json_object_get(q, "quote"), JSON_COMPACT), extra[1024];
    snprintf(extra, sizeof(extra), ",\"quote\":%s", quote_text);
    char *with_quote = realtime_body("CUST-1", "x-rt-2", "USD", "100", "EUR", "SPOT", extra);
    expect(c, "createExchange", with_quote, "PARAM_ILLEGAL");
    char *both = malloc(1024);
    snprintf(both, 1024,
             "{\"customerId\":\"CUST-1\",\"exchangeRequestId\":\"x-rt-3\",\"sell\":{\"currency\":"
             "\"USD\",\"value\":100},\"buy\":{\"currency\":\"JPY\",\"value\":151},\"exchangeMode\":"
             "\"REALTIME\",\"exchangeTradeType\":\"SPOT\"}");
    expect(c, "createExchange", both, "PARAM_ILLEGAL");
    char *fwd_no_date = realtime_body("CUST-1", "x-rt-4", "USD", "100", "EUR", "FORWARD", NULL);
    expect(c, "createExchange", fwd_no_date, "PARAM_ILLEGAL");
    char *uf_wrong = realtime_body("CUST-1", "x-rt-5", "USD", "100", "EUR", "UNFUNDED_SPOT",
                                   ",\"exchangeUnfundedInfo\":{\"valueDate\":\"2026-01-22\"}");
    expect(c, "createExchange", uf_wrong, "PARAM_ILLEGAL");
    char *after = snapshot(c);
    assert_string_equal(before, after);
    /* A REALTIME FORWARD: the live rate for a later date. */
    char *fwd = realtime_body("CUST-1", "x-rt-6", "USD", "\"10000\"", "EUR", "FORWARD",
                              ",\"exchangeForwardInfo\":{\"valueDate\":\"" FWD_DAY "\"}");
    json_t *f = call(c, "createExchange", fwd, "PROCESSING", NULL);
    assert_string_equal(fgh_str(f, "exchangeForwardInfo.valueDate"), FWD_DAY);
    assert_string_equal(fgh_str(f, "exchangeForwardInfo.dealId"), fgh_str(f, "quote.quoteId"));
    assert_avail(c, "c1", "USD", "9800.00");
    json_decref(f);
    json_decref(x);
    json_decref(q);
    free(quote_text);
    free(b);
    free(with_quote);
    free(both);
    free(fwd_no_date);
    free(uf_wrong);
    free(fwd);
    free(before);
    free(after);
}

/* --- every code a request can produce ----------------------------------------------------------
 */

/* A request with the headers given (none signed here); checks the HTTP
 * status, the code and that the answer is signed for signed_for (NULL: not
 * signed at all). */
static void raw_call(struct ctx *c, const char *method, const char *path,
                     const char *const headers[], const char *body, long status, const char *want,
                     const char *signed_for)
{
    struct wfresp r;
    wf_request(c, method, path, headers, body, body ? strlen(body) : 0, &r);
    const char *code = code_of(r.json);
    if (r.status != status || !code || strcmp(code, want) != 0)
        fail_msg("%s %s: want %s (HTTP %ld), got HTTP %ld: %s", method, path, want, status,
                 r.status, r.body);
    if (signed_for)
        assert_answer_signed(c, method, path, signed_for, &r);
    else
        assert_true(!r.signature[0] && !r.client_id[0]);
    wfresp_free(&r);
}

/* PARAM_ILLEGAL: the body, its fields, its values; nothing applied. */
static void test_codes_fields(void **state)
{
    struct ctx *c = *state;
    char *before = snapshot(c), *after = NULL, b[2048];
    /* PARAM_ILLEGAL: the body, its fields, its values. */
    static const char *const quote_bad[] = {
        "not json",
        "{}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":100},\"buy\":{\"currency\":\"EUR\",\"value\":"
        "92},\"exchangeTradeType\":\"SPOT\"}",
        "{\"sell\":{\"currency\":\"USD\"},\"buy\":{\"currency\":\"EUR\"},\"exchangeTradeType\":"
        "\"SPOT\"}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":1.5},\"buy\":{\"currency\":\"EUR\"},"
        "\"exchangeTradeType\":\"SPOT\"}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":100},\"buy\":{\"currency\":\"EUR\"},"
        "\"exchangeTradeType\":\"TOM\"}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":100},\"buy\":{\"currency\":\"EUR\"},"
        "\"exchangeTradeType\":\"FORWARD\"}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":100},\"buy\":{\"currency\":\"EUR\"},"
        "\"exchangeTradeType\":\"FORWARD\",\"quoteUnfundedInfo\":{\"valueDate\":\"22/01/2026\"}}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":100},\"buy\":{\"currency\":\"EUR\"},"
        "\"exchangeTradeType\":\"FORWARD\",\"quoteUnfundedInfo\":{\"valueDate\":\"2026-01-16\"}}",
    };
    for (size_t i = 0; i < sizeof(quote_bad) / sizeof(quote_bad[0]); i++)
        expect(c, "createQuote", quote_bad[i], "PARAM_ILLEGAL");
    json_t *q = quote(c, "USD", "100000", "EUR", NULL, "SPOT", NULL);
    char *good = exchange_body("CUST-1", "x-c-1", q, "SPOT");
    static const char *const swaps[][2] = {
        {"\"exchangeRequestId\":\"x-c-1\",", ""},
        {"\"APPOINTED\"", "\"LATER\""},
        {"\"value\":92081", "\"value\":92082"},
        {"\"quotePrice\":\"1.086\"", "\"quotePrice\":\"1.0860\""},
        {"\"quoteExpiryTime\":\"2026-01-16T10:00:30Z\"",
         "\"quoteExpiryTime\":\"2026-01-16T10:01:00Z\""},
        {"\"guaranteed\":true", "\"guaranteed\":false"},
        {"\"customerId\":\"CUST-1\",", ""},
    };
    for (size_t i = 0; i < sizeof(swaps) / sizeof(swaps[0]); i++) {
        char *at = strstr(good, swaps[i][0]);
        assert_non_null(at);
        snprintf(b, sizeof(b), "%.*s%s%s", (int)(at - good), good, swaps[i][1],
                 at + strlen(swaps[i][0]));
        expect(c, "createExchange", b, "PARAM_ILLEGAL");
    }
    snprintf(b, sizeof(b),
             "{\"customerId\":\"CUST-1\",\"exchangeRequestId\":\"x-c-2\",\"sell\":{\"currency\":"
             "\"USD\"},\"buy\":{\"currency\":\"EUR\"},\"exchangeMode\":\"APPOINTED\","
             "\"exchangeTradeType\":\"SPOT\",\"quote\":{\"quoteId\":\"01234567-89ab-7def-8123-"
             "456789abcdef\"}}");
    expect(c, "createExchange", b, "PARAM_ILLEGAL"); /* no such quote */
    snprintf(b, sizeof(b),
             "{\"customerId\":\"CUST-1\",\"exchangeRequestId\":\"x-c-3\",\"sell\":{\"currency\":"
             "\"USD\"},\"buy\":{\"currency\":\"EUR\"},\"exchangeMode\":\"APPOINTED\","
             "\"exchangeTradeType\":\"SPOT\"}");
    expect(c, "createExchange", b, "PARAM_ILLEGAL"); /* APPOINTED SPOT without its quote */
    after = snapshot(c);
    assert_string_equal(before, after);
    free(after);
    json_decref(q);
    free(good);
    free(before);
}

static void deals_unknown(struct ctx *c)
{
    char b[2048];
    /* FX_RELATED_ORDER_NOT_EXIST: an unknown deal, a SPOT quote as a deal,
     * another client's deal. */
    json_t *spotq = quote(c, "USD", "100", "EUR", NULL, "SPOT", NULL);
    json_t *w2q = call_as(c, &(struct signer){"wf2", keys.k3, "1", NULL}, "createQuote",
                          "{\"sell\":{\"currency\":\"USD\",\"value\":100},\"buy\":{\"currency\":"
                          "\"EUR\"},\"exchangeTradeType\":\"FORWARD\",\"quoteUnfundedInfo\":"
                          "{\"valueDate\":\"" FWD_DAY "\"}}",
                          "SUCCESS", NULL);
    const char *deals[] = {"nope", fgh_str(spotq, "quote.quoteId"), fgh_str(w2q, "quote.quoteId")};
    for (int i = 0; i < 3; i++) {
        snprintf(
            b, sizeof(b),
            "{\"customerId\":\"CUST-1\",\"exchangeRequestId\":\"x-c-8\",\"sell\":{\"currency\":"
            "\"USD\"},\"buy\":{\"currency\":\"EUR\"},\"exchangeMode\":\"APPOINTED\","
            "\"exchangeTradeType\":\"FORWARD\",\"exchangeForwardInfo\":{\"dealId\":\"%s\"}}",
            deals[i]);
        expect(c, "createExchange", b, "FX_RELATED_ORDER_NOT_EXIST");
    }
    json_decref(spotq);
    json_decref(w2q);
}

/* The business refusals, each moving nothing. */
static void test_codes_business(void **state)
{
    struct ctx *c = *state;
    char *before = snapshot(c), *after = NULL, b[2048];
    /* AUTHORIZATION_NOT_EXIST: a customerId not authorised, one mapped to
     * nobody, an accessToken (not issued here). */
    static const char *const who[] = {"\"customerId\":\"CUST-404\"", "\"customerId\":\"CUST-9\"",
                                      "\"accessToken\":\"tok\""};
    for (int i = 0; i < 3; i++) {
        char *rb = realtime_body("CUST-1", "x-c-4", "USD", "100", "EUR", "SPOT", NULL);
        char *at = strstr(rb, "\"customerId\":\"CUST-1\"");
        snprintf(b, sizeof(b), "%.*s%s%s", (int)(at - rb), rb, who[i],
                 at + strlen("\"customerId\":\"CUST-1\""));
        expect(c, "createExchange", b, "AUTHORIZATION_NOT_EXIST");
        free(rb);
    }
    /* BALANCE_INSUFFICIENT, ACCESS_DENIED, CONTRACT_CHECK_FAIL. */
    char *short_of = realtime_body("CUST-2", "x-c-5", "USD", "50000", "EUR", "SPOT", NULL);
    expect(c, "createExchange", short_of, "BALANCE_INSUFFICIENT");
    json_decref(
        fgh_admin_ok(&c->s, "PATCH", "/admin/v1/customers/c3", "{\"status\":\"disabled\"}", 200));
    char *disabled = realtime_body("CUST-3", "x-c-6", "USD", "100", "EUR", "SPOT", NULL);
    expect(c, "createExchange", disabled, "ACCESS_DENIED");
    admin_post(c, "/admin/v1/rates", "{\"pair\":\"GBP/USD\",\"bid\":\"1.2650\",\"ask\":\"1.2662\"}",
               201);
    char *no_gbp = realtime_body("CUST-1", "x-c-7", "USD", "100", "GBP", "SPOT", NULL);
    expect(c, "createExchange", no_gbp, "CONTRACT_CHECK_FAIL");
    /* CURRENCY_NOT_SUPPORT, UN_SUPPORT_BUSINESS. */
    char *xyz = quote_body("USD", "100", "XYZ", NULL, "SPOT", NULL);
    expect(c, "createQuote", xyz, "CURRENCY_NOT_SUPPORT");
    char *no_rate = quote_body("GBP", "100", "JPY", NULL, "SPOT", NULL);
    expect(c, "createQuote", no_rate, "CURRENCY_NOT_SUPPORT");
    char *same = quote_body("USD", "100", "USD", NULL, "SPOT", NULL);
    expect(c, "createQuote", same, "UN_SUPPORT_BUSINESS");
    char *holiday = quote_body("USD", "100", "EUR", NULL, "FORWARD", "2026-04-03");
    expect(c, "createQuote", holiday, "UN_SUPPORT_BUSINESS");
    deals_unknown(c);
    /* ORDER_NOT_EXIST. */
    json_decref(inquiry(c, "x-c-9", "CUST-1", "ORDER_NOT_EXIST"));
    after = snapshot(c);
    assert_string_equal(before, after);
    free(after);
    /* QUOTE_EXPIRED: 30 s after it was given. */
    json_t *q = quote(c, "USD", "100000", "EUR", NULL, "SPOT", NULL);
    char *good = exchange_body("CUST-1", "x-c-10", q, "SPOT");
    clock_set(c, T0 + 30000);
    expect(c, "createExchange", good, "QUOTE_EXPIRED");
    after = snapshot(c);
    assert_string_equal(before, after);
    free(after);
    json_decref(q);
    free(good);
    free(short_of);
    free(disabled);
    free(no_gbp);
    free(xyz);
    free(no_rate);
    free(same);
    free(holiday);
    free(before);
}

/* The transport's refusals, the client, the rate limit, an unknown outcome
 * and a stale rate: INVALID_API, METHOD_NOT_SUPPORTED, INVALID_CLIENT,
 * REQUEST_TRAFFIC_EXCEED_LIMIT, UNKNOWN_EXCEPTION, PROCESS_FAIL. */
static void test_codes_transport_and_operating(void **state)
{
    struct ctx *c = *state;
    char *before = snapshot(c), *after = NULL;
    const char *ids[] = {"client-id: wf1", NULL};
    raw_call(c, "POST", API "createPayment", ids, "{}", 404, "INVALID_API", "wf1");
    raw_call(c, "GET", API "createQuote", ids, NULL, 405, "METHOD_NOT_SUPPORTED", "wf1");
    raw_call(c, "POST", "/amsin/x", NULL, "{}", 404, "INVALID_API", NULL);
    struct signer nobody = {"nobody", keys.k1, "1", NULL};
    json_decref(call_as(c, &nobody, "createQuote", "{}", "INVALID_CLIENT", NULL));
    raw_call(c, "POST", API "createQuote", NULL, "{}", 200, "INVALID_CLIENT", NULL);
    /* A client limited to one request a second. */
    char *k2 = pem_json(keys.k2pub), body[8192];
    snprintf(body, sizeof(body),
             "{\"family\":\"worldfirst\",\"client_id\":\"wf3\",\"public_keys\":{\"1\":%s},"
             "\"rate_limit\":{\"per_s\":1,\"burst\":1}}",
             k2);
    free(k2);
    admin_post(c, "/admin/v1/clients", body, 201);
    struct signer wf3 = {"wf3", keys.k2, "1", NULL};
    char *qb = quote_body("USD", "100", "EUR", NULL, "SPOT", NULL);
    json_decref(call_as(c, &wf3, "createQuote", qb, "SUCCESS", NULL));
    json_t *limited = call_as(c, &wf3, "createQuote", qb, "REQUEST_TRAFFIC_EXCEED_LIMIT", NULL);
    assert_string_equal(fgh_str(limited, "result.resultStatus"), "U");
    json_decref(limited);
    /* A batch that does not commit: U, nothing applied; the same request then applies once. */
    char *rt = realtime_body("CUST-1", "x-u-1", "USD", "100", "EUR", "SPOT", NULL);
    admin_post(c, "/admin/v1/test/fault", "{\"fail_commits\":1}", 200);
    sleep_ms(1100); /* the writer's idle turns (every 500 ms) are no batches: the fault waits */
    json_t *u = call(c, "createExchange", rt, "UNKNOWN_EXCEPTION", NULL);
    assert_string_equal(fgh_str(u, "result.resultStatus"), "U");
    json_decref(u);
    after = snapshot(c);
    assert_string_equal(before, after);
    free(after);
    json_decref(inquiry(c, "x-u-1", "CUST-1", "ORDER_NOT_EXIST"));
    json_decref(call(c, "createExchange", rt, "SUCCESS", NULL));
    json_decref(call(c, "createExchange", rt, "SUCCESS", NULL));
    assert_avail(c, "c1", "USD", "9999.00");
    free(before);
    before = snapshot(c);
    /* PROCESS_FAIL: the rate is older than its maximum age (the feed stopped). */
    admin_post(c, "/admin/v1/rates",
               "{\"pair\":\"EUR/USD\",\"bid\":\"1.0850\",\"ask\":\"1.0860\",\"max_age_s\":60}",
               200);
    clock_set(c, T0 + 61000);
    char *stale = quote_body("USD", "100", "EUR", NULL, "SPOT", NULL);
    expect(c, "createQuote", stale, "PROCESS_FAIL");
    char *rt2 = realtime_body("CUST-1", "x-u-2", "USD", "100", "EUR", "SPOT", NULL);
    expect(c, "createExchange", rt2, "PROCESS_FAIL");
    after = snapshot(c);
    assert_string_equal(before, after);
    free(after);
    free(before);
    free(qb);
    free(rt);
    free(rt2);
    free(stale);
}

/* --- signatures: wrong, missing, malformed, rotated; request times ---------------------------- */

static void request_times(struct ctx *c, const char *qb)
{
    /* request-time: within 300 s either way; ISO with a zone or epoch ms. */
    char t[64];
    iso(c->now_ms - 299000, t);
    json_decref(
        call_as(c, &(struct signer){"wf1", keys.k1, "1", t}, "createQuote", qb, "SUCCESS", NULL));
    iso(c->now_ms + 301000, t);
    json_t *far = call_as(c, &(struct signer){"wf1", keys.k1, "1", t}, "createQuote", qb,
                          "PARAM_ILLEGAL", NULL);
    assert_has(fgh_str(far, "result.resultMessage"), "301 s from the server clock");
    json_decref(far);
    snprintf(t, sizeof(t), "%lld", (long long)c->now_ms);
    json_decref(
        call_as(c, &(struct signer){"wf1", keys.k1, "1", t}, "createQuote", qb, "SUCCESS", NULL));
    json_decref(call_as(c, &(struct signer){"wf1", keys.k1, "1", "2026-01-16T18:00:00+08:00"},
                        "createQuote", qb, "SUCCESS", NULL));
    json_decref(call_as(c, &(struct signer){"wf1", keys.k1, "1", "yesterday"}, "createQuote", qb,
                        "PARAM_ILLEGAL", NULL));
}

static void key_rotation(struct ctx *c, const char *qb)
{
    /* Rotation: versions 1 and 2 both good, then 1 retired. */
    char *both = keys_json(keys.k1pub, keys.k2pub), *two = keys_json(NULL, keys.k2pub);
    client_wf1(c, both, notify_url(c, receiver_port(c->rcv)));
    struct signer v2 = {"wf1", keys.k2, "2", NULL};
    json_decref(call_as(c, &WF1, "createQuote", qb, "SUCCESS", NULL));
    json_decref(call_as(c, &v2, "createQuote", qb, "SUCCESS", NULL));
    client_wf1(c, two, notify_url(c, receiver_port(c->rcv)));
    json_decref(call_as(c, &WF1, "createQuote", qb, "INVALID_SIGNATURE", NULL));
    json_decref(call_as(c, &v2, "createQuote", qb, "SUCCESS", NULL));
    free(both);
    free(two);
}

static void test_signatures(void **state)
{
    struct ctx *c = *state;
    const char *qb = "{\"sell\":{\"currency\":\"USD\",\"value\":100},\"buy\":{\"currency\":"
                     "\"EUR\"},\"exchangeTradeType\":\"SPOT\"}";
    const char *path = API "createQuote";
    /* Signed with another key, an unknown keyVersion, another client's key. */
    json_decref(call_as(c, &(struct signer){"wf1", keys.k2, "1", NULL}, "createQuote", qb,
                        "INVALID_SIGNATURE", NULL));
    json_decref(call_as(c, &(struct signer){"wf1", keys.k1, "2", NULL}, "createQuote", qb,
                        "INVALID_SIGNATURE", NULL));
    json_decref(call_as(c, &(struct signer){"wf1", keys.k3, "1", NULL}, "createQuote", qb,
                        "INVALID_SIGNATURE", NULL));
    /* Headers: each missing; malformed; a body changed after signing. */
    char h[3][2100];
    signed_headers(c, &WF1, path, qb, strlen(qb), h);
    const char *no_sig[] = {h[0], h[1], NULL}, *no_time[] = {h[0], h[2], NULL};
    raw_call(c, "POST", path, no_sig, qb, 200, "INVALID_SIGNATURE", "wf1");
    raw_call(c, "POST", path, no_time, qb, 200, "INVALID_SIGNATURE", "wf1");
    const char *malformed[] = {h[0], h[1], "signature: algorithm=RSA256,keyVersion=1", NULL};
    raw_call(c, "POST", path, malformed, qb, 200, "INVALID_SIGNATURE", "wf1");
    const char *all[] = {h[0], h[1], h[2], NULL};
    char changed[256];
    snprintf(changed, sizeof(changed), "%s", qb);
    changed[strlen("{\"sell\":{\"currency\":\"USD\",\"value\":1")] = '9';
    raw_call(c, "POST", path, all, changed, 200, "INVALID_SIGNATURE", "wf1");
    raw_call(c, "POST", path, all, qb, 200, "SUCCESS", "wf1"); /* the same headers, its body */
    /* The URI signed is the path and the query as sent, both ways. */
    char hq[3][2100];
    const char *pq = API "createQuote?lang=en&x=%2F";
    signed_headers(c, &WF1, pq, qb, strlen(qb), hq);
    const char *with_query[] = {hq[0], hq[1], hq[2], NULL};
    raw_call(c, "POST", pq, with_query, qb, 200, "SUCCESS", "wf1");
    raw_call(c, "POST", path, with_query, qb, 200, "INVALID_SIGNATURE", "wf1");
    raw_call(c, "POST", API "createQuote?lang=en&x=/", with_query, qb, 200, "INVALID_SIGNATURE",
             "wf1");
    /* Tolerated: spaces after the commas, a signature not form-URL-encoded. */
    char spaced[2200], plain[2200], b64[2048];
    const char *sig = strstr(h[2], "signature=") + strlen("signature=");
    snprintf(spaced, sizeof(spaced), "signature: algorithm=RSA256, keyVersion=1, signature=%s",
             sig);
    url_decode(sig, b64);
    snprintf(plain, sizeof(plain), "signature: signature=%s,algorithm=RSA256,keyVersion=1", b64);
    const char *sp[] = {h[0], h[1], spaced, NULL}, *pl[] = {h[0], h[1], plain, NULL};
    raw_call(c, "POST", path, sp, qb, 200, "SUCCESS", "wf1");
    raw_call(c, "POST", path, pl, qb, 200, "SUCCESS", "wf1");
    request_times(c, qb);
    key_rotation(c, qb);
    /* Nothing was written by a request that did not authenticate. */
    json_t *rows = outbox_rows(c, NULL);
    assert_int_equal(json_array_size(json_object_get(rows, "notifications")), 0);
    json_decref(rows);
}

/* --- ambiguous headers, tolerated signature encodings ------------------------------------------
 */

/* A header given twice is ambiguous (which one was signed?): refused, never
 * a guess. client-id twice names no client, so that answer is not signed. */
static void headers_twice(struct ctx *c, const char *path, const char *qb)
{
    char h[3][2100], h2[3][2100];
    signed_headers(c, &WF1, path, qb, strlen(qb), h);
    signed_headers(c, &(struct signer){"wf2", keys.k3, "1", NULL}, path, qb, strlen(qb), h2);
    const char *two_clients[] = {h[0], h2[0], h[1], h[2], NULL};
    raw_call(c, "POST", path, two_clients, qb, 200, "INVALID_CLIENT", NULL);
    const char *two_sigs[] = {h[0], h[1], h[2],
                              "signature: algorithm=RSA256,keyVersion=1,"
                              "signature=AAAA",
                              NULL};
    raw_call(c, "POST", path, two_sigs, qb, 200, "INVALID_SIGNATURE", "wf1");
    const char *two_times[] = {h[0], h[1], "request-time: 0", h[2], NULL};
    raw_call(c, "POST", path, two_times, qb, 200, "INVALID_SIGNATURE", "wf1");
}

/* Headers signed by WF1 whose base64 signature holds a '+' (most do; the
 * time moves back a second until one does). */
static void signed_with_plus(struct ctx *c, const char *path, const char *qb, char h[3][2100],
                             char b64[2048])
{
    for (int i = 0; i < 60; i++) {
        char t[32];
        iso(c->now_ms - i * 1000, t);
        signed_headers(c, &(struct signer){"wf1", keys.k1, "1", t}, path, qb, strlen(qb), h);
        url_decode(strstr(h[2], "signature=") + strlen("signature="), b64);
        if (strchr(b64, '+'))
            return;
    }
    fail_msg("no signature with a '+' in 60 tries");
}

static const char *const QB_SMALL = "{\"sell\":{\"currency\":\"USD\",\"value\":100},\"buy\":{"
                                    "\"currency\":\"EUR\"},\"exchangeTradeType\":\"SPOT\"}";

static void test_headers_given_twice(void **state)
{
    headers_twice(*state, API "createQuote", QB_SMALL);
}

static void test_signature_encodings(void **state)
{
    struct ctx *c = *state;
    const char *qb = QB_SMALL, *path = API "createQuote";
    /* The same signature, encoded otherwise: no padding (plain and encoded),
     * and a '+' left raw beside encoded characters. */
    char h[3][2100], b64[2048], unpadded[2048], v[3][2200];
    signed_with_plus(c, path, qb, h, b64);
    snprintf(unpadded, sizeof(unpadded), "%.*s", (int)strcspn(b64, "="), b64);
    snprintf(v[0], sizeof(v[0]), "signature: algorithm=RSA256,keyVersion=1,signature=%s", unpadded);
    char *enc = strstr(h[2], "signature=") + strlen("signature="), *cut = strstr(enc, "%3D");
    assert_non_null(cut); /* 256 bytes of signature: base64 ends with == */
    snprintf(v[1], sizeof(v[1]), "signature: algorithm=RSA256,keyVersion=1,signature=%.*s",
             (int)(cut - enc), enc);
    char *raw_plus = v[2];
    raw_plus += snprintf(v[2], sizeof(v[2]), "signature: algorithm=RSA256,keyVersion=1,signature=");
    for (const char *p = b64; *p; p++)
        raw_plus += *p == '/'   ? sprintf(raw_plus, "%%2F")
                    : *p == '=' ? sprintf(raw_plus, "%%3D")
                                : sprintf(raw_plus, "%c", *p);
    for (int i = 0; i < 3; i++) {
        const char *hs[] = {h[0], h[1], v[i], NULL};
        raw_call(c, "POST", path, hs, qb, 200, "SUCCESS", "wf1");
    }
    /* Still one signature: a wrong one stays wrong however it is written. */
    char bad[2200];
    snprintf(bad, sizeof(bad), "%s", v[0]);
    char *last = bad + strlen(bad) - 1;
    *last = *last == 'A' ? 'B' : 'A';
    const char *hb[] = {h[0], h[1], bad, NULL};
    raw_call(c, "POST", path, hb, qb, 200, "INVALID_SIGNATURE", "wf1");
}

/* A computed value past the largest a QuoteAmount holds is refused: an
 * answer never states a value its own request could not repeat. */
static void test_values_computed_past_the_largest(void **state)
{
    struct ctx *c = *state;
    char *before = snapshot(c);
    char *b = quote_body("USD", "999999999999999999", "JPY", NULL, "SPOT", NULL);
    json_t *j = call(c, "createQuote", b, "PARAM_ILLEGAL", NULL);
    assert_has(fgh_str(j, "result.resultMessage"), "buy value would be");
    json_decref(j);
    free(b);
    b = quote_body("USD", NULL, "JPY", "999999999999999999", "SPOT", NULL); /* at the largest */
    json_decref(call(c, "createQuote", b, "SUCCESS", NULL));
    free(b);
    /* REALTIME UNFUNDED_SPOT holds nothing, so no balance stops it first:
     * buying the largest EUR value would sell more USD than the largest. */
    b = strdup("{\"customerId\":\"CUST-1\",\"exchangeRequestId\":\"x-big-1\",\"sell\":{"
               "\"currency\":\"USD\"},\"buy\":{\"currency\":\"EUR\",\"value\":"
               "999999999999999999},\"exchangeMode\":\"REALTIME\",\"exchangeTradeType\":"
               "\"UNFUNDED_SPOT\"}");
    j = call(c, "createExchange", b, "PARAM_ILLEGAL", NULL);
    assert_has(fgh_str(j, "result.resultMessage"), "sell value would be");
    json_decref(j);
    free(b);
    json_decref(inquiry(c, "x-big-1", "CUST-1", "ORDER_NOT_EXIST"));
    char *after = snapshot(c);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* --- 16 concurrent duplicates apply once ---------------------------------------------------- */

struct dup {
    struct ctx *c;
    const char *const *headers;
    const char *body;
    char *answer;
};

static void *dup_main(void *arg)
{
    struct dup *d = arg;
    struct wfresp r;
    wf_request(d->c, "POST", API "createExchange", d->headers, d->body, strlen(d->body), &r);
    d->answer = strdup(r.status == 200 ? r.body : "not 200");
    wfresp_free(&r);
    return NULL;
}

static void test_concurrent_duplicates(void **state)
{
    struct ctx *c = *state;
    char *b = realtime_body("CUST-1", "x-dup-1", "USD", "25000", "EUR", "SPOT", NULL), h[3][2100];
    signed_headers(c, &WF1, API "createExchange", b, strlen(b), h);
    const char *hs[] = {h[0], h[1], h[2], NULL};
    admin_post(c, "/admin/v1/test/fault", "{\"pause_ms\":300}", 200); /* one batch, mostly */
    pthread_t th[16];
    struct dup d[16];
    for (int i = 0; i < 16; i++) {
        d[i] = (struct dup){.c = c, .headers = hs, .body = b};
        pthread_create(&th[i], NULL, dup_main, &d[i]);
    }
    for (int i = 0; i < 16; i++)
        pthread_join(th[i], NULL);
    assert_has(d[0].answer, "\"resultCode\":\"SUCCESS\"");
    for (int i = 1; i < 16; i++)
        assert_string_equal(d[i].answer, d[0].answer);
    for (int i = 0; i < 16; i++)
        free(d[i].answer);
    assert_avail(c, "c1", "USD", "9750.00"); /* once */
    assert_avail(c, "c1", "EUR", "230.20");
    free(b);
}

/* --- a notification through its whole schedule, dead, then retried --------------------------- */

static void settle_forward(struct ctx *c, const char *rid)
{
    char *b = realtime_body("CUST-1", rid, "USD", "10000", "EUR", "FORWARD",
                            ",\"exchangeForwardInfo\":{\"valueDate\":\"" FWD_DAY "\"}");
    json_decref(call(c, "createExchange", b, "PROCESSING", NULL));
    free(b);
}

/* The receiver's ith call: signed, the same notification, at the test clock's time. */
static void assert_try(struct ctx *c, int i, const char *body0, int64_t at_ms)
{
    struct receiver_call k;
    char t[32];
    assert_true(receiver_get(c->rcv, i, &k));
    iso(at_ms, t);
    assert_string_equal(k.request_time, t);
    assert_string_equal(k.body, body0); /* the same bytes every try */
    assert_notification_signed(c, &k);
    free(k.body);
}

static void test_retries_to_dead(void **state)
{
    struct ctx *c = *state;
    const int64_t delays[] = {2 * MIN_MS,   10 * MIN_MS,  10 * MIN_MS, 60 * MIN_MS,
                              120 * MIN_MS, 360 * MIN_MS, 900 * MIN_MS};
    receiver_mode_set(c->rcv, RECEIVER_FAIL);
    settle_forward(c, "x-dead-1");
    int64_t at = FWD_MS;
    clock_set(c, at);
    json_t *row = outbox_wait(c, 0, 1, "pending");
    assert_has(fgh_str(row, "last_error"), "PROCESS_FAIL");
    json_decref(row);
    struct receiver_call k0;
    assert_true(receiver_get(c->rcv, 0, &k0));
    for (int t = 1; t < 8; t++) {
        /* A second before it is due: no try. */
        clock_set(c, at + delays[t - 1] - 1000);
        sleep_ms(600);
        assert_int_equal(receiver_count(c->rcv), t);
        receiver_mode_set(c->rcv, t % 2 ? RECEIVER_HTTP_500 : RECEIVER_FAIL);
        at += delays[t - 1];
        clock_set(c, at);
        row = outbox_wait(c, 0, t + 1, t + 1 < 8 ? "pending" : "dead");
        json_decref(row);
        assert_int_equal(receiver_count(c->rcv), t + 1);
        assert_try(c, t, k0.body, at);
    }
    /* Dead: no ninth try, however late. */
    clock_set(c, at + 3 * DAY_MS);
    sleep_ms(800);
    assert_int_equal(receiver_count(c->rcv), 8);
    json_t *dead = outbox_rows(c, "dead");
    json_t *d0 = json_array_get(json_object_get(dead, "notifications"), 0);
    assert_non_null(d0);
    assert_int_equal(json_integer_value(json_object_get(d0, "last_http")), 500);
    char path[96];
    snprintf(path, sizeof(path), "/admin/v1/outbox/%lld/retry",
             (long long)json_integer_value(json_object_get(d0, "id")));
    struct fgresp m;
    assert_int_equal(fgh_request(&c->s, "GET", "/metrics", NULL, NULL, &m), 0);
    assert_has(m.body, "fundgate_outbox_failures_total 8\n");
    assert_has(m.body, "fundgate_outbox_dead_total 1\n");
    fgresp_free(&m);
    /* The operator sends it again: a fresh schedule, acknowledged this time. */
    receiver_mode_set(c->rcv, RECEIVER_ACK);
    json_t *r = fgh_admin_ok(&c->s, "POST", path, NULL, 200);
    assert_string_equal(fgh_str(r, "status"), "pending");
    assert_int_equal(json_integer_value(json_object_get(r, "tries")), 0);
    json_decref(r);
    json_decref(outbox_wait(c, 0, 1, "delivered"));
    assert_try(c, 8, k0.body, at + 3 * DAY_MS);
    json_t *audit = fgh_admin_ok(&c->s, "GET", "/admin/v1/audit?limit=5", NULL, 200);
    char *at_text = json_dumps(audit, JSON_COMPACT);
    assert_has(at_text, "admin_outbox_retry_post");
    free(at_text);
    json_decref(audit);
    json_decref(dead);
    free(k0.body);
}

/* --- kill -9 with notifications pending and in flight ---------------------------------------- */

static void restart(struct ctx *c, int64_t clock_ms)
{
    char *pem = slurp(c->fgpub, NULL);
    fgsrv_kill9(&c->s);
    fgsrv_start(&c->s); /* the same data: the same signing key */
    clock_set(c, clock_ms);
    fetch_public_key(c);
    char *again = slurp(c->fgpub, NULL);
    assert_string_equal(pem, again);
    free(pem);
    free(again);
}

static void test_kill9_with_rows_pending(void **state)
{
    struct ctx *c = *state;
    /* Pending: the receiver is down at the first try. */
    struct receiver *gone = receiver_start(RECEIVER_ACK, 0);
    uint16_t gone_port = receiver_port(gone);
    receiver_stop(gone);
    char *k = keys_json(keys.k1pub, NULL);
    client_wf1(c, k, notify_url(c, gone_port));
    settle_forward(c, "x-k9-1");
    clock_set(c, FWD_MS);
    json_t *row = outbox_wait(c, 0, 1, "pending");
    assert_true(strlen(fgh_str(row, "last_error")) > 0);
    json_decref(row);
    restart(c, FWD_MS);
    json_decref(outbox_wait(c, 0, 1, "pending"));           /* survived */
    client_wf1(c, k, notify_url(c, receiver_port(c->rcv))); /* fixed: tries go there now */
    clock_set(c, FWD_MS + 2 * MIN_MS);
    json_decref(outbox_wait(c, 0, 2, "delivered"));
    assert_int_equal(receiver_count(c->rcv), 1);
    struct receiver_call call0;
    assert_true(receiver_get(c->rcv, 0, &call0));
    assert_notification_signed(c, &call0);
    free(call0.body);
    /* In flight: the receiver never answers; the server dies mid-try. */
    uint16_t hang_port = 0;
    int hang = receiver_hang_start(&hang_port);
    assert_true(hang >= 0);
    client_wf1(c, k, notify_url(c, hang_port));
    char b[1024];
    snprintf(b, sizeof(b),
             "{\"customerId\":\"CUST-1\",\"exchangeRequestId\":\"x-k9-2\",\"sell\":{\"currency\":"
             "\"USD\",\"value\":100},\"buy\":{\"currency\":\"EUR\"},\"exchangeMode\":\"REALTIME\","
             "\"exchangeTradeType\":\"FORWARD\",\"exchangeForwardInfo\":{\"valueDate\":"
             "\"2026-01-23\"}}");
    json_decref(call(c, "createExchange", b, "PROCESSING", NULL));
    int64_t due = FWD_MS + DAY_MS;
    clock_set(c, due);
    json_t *i = inquiry_until(c, "x-k9-2", "CUST-1", "SUCCESS");
    json_decref(i);
    sleep_ms(1000); /* claimed and hanging */
    json_t *claimed = outbox_wait(c, 1, 0, "pending");
    json_decref(claimed);
    restart(c, due);
    client_wf1(c, k, notify_url(c, receiver_port(c->rcv)));
    /* Its claim holds until it ends (30 s), then it is tried again. */
    clock_set(c, due + 29000);
    sleep_ms(800);
    assert_int_equal(receiver_count(c->rcv), 1);
    clock_set(c, due + 30000);
    json_decref(outbox_wait(c, 1, 1, "delivered"));
    assert_int_equal(receiver_count(c->rcv), 2);
    struct receiver_call call1;
    assert_true(receiver_get(c->rcv, 1, &call1));
    assert_has(call1.body, "\"exchangeRequestId\":\"x-k9-2\"");
    assert_notification_signed(c, &call1);
    free(call1.body);
    close(hang);
    free(k);
}

/* --- a receiver that never answers does not slow the writes ----------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A row whose last error holds text, waited for (up to 20 s). */
static json_t *outbox_wait_error(struct ctx *c, const char *text)
{
    for (int n = 0; n < 200; n++) {
        json_t *all = outbox_rows(c, NULL), *row;
        size_t i;
        json_array_foreach(json_object_get(all, "notifications"), i, row)
        {
            if (strstr(fgh_str(row, "last_error"), text)) {
                json_incref(row);
                json_decref(all);
                return row;
            }
        }
        json_decref(all);
        sleep_ms(100);
    }
    fail_msg("no outbox row failed with '%s'", text);
    return NULL;
}

static void test_dead_receiver_does_not_block(void **state)
{
    struct ctx *c = *state;
    uint16_t hang_port = 0;
    int hang = receiver_hang_start(&hang_port);
    assert_true(hang >= 0);
    char *k = keys_json(keys.k1pub, NULL);
    client_wf1(c, k, notify_url(c, hang_port));
    free(k);
    char rid[32];
    for (int i = 0; i < 6; i++) {
        snprintf(rid, sizeof(rid), "x-hang-%d", i);
        settle_forward(c, rid);
    }
    clock_set(c, FWD_MS);
    json_decref(inquiry_until(c, "x-hang-5", "CUST-1", "SUCCESS"));
    sleep_ms(1500); /* every delivery thread now waits on the receiver */
    /* Writes and reads go on at their usual pace. */
    int64_t t0 = mono_ms(), worst = 0;
    char b[256];
    for (int i = 0; i < 30; i++) {
        int64_t t = mono_ms();
        snprintf(b, sizeof(b),
                 "{\"request_id\":\"hd-%d\",\"uuid\":\"c2\",\"type\":\"wallet\",\"currency\":"
                 "\"USD\",\"amount\":\"1.00\"}",
                 i);
        admin_post(c, "/admin/v1/deposits", b, 201);
        worst = mono_ms() - t > worst ? mono_ms() - t : worst;
    }
    char *rt = realtime_body("CUST-1", "x-hang-rt", "USD", "100", "EUR", "SPOT", NULL);
    json_decref(call(c, "createExchange", rt, "SUCCESS", NULL));
    free(rt);
    int64_t total = mono_ms() - t0;
    if (worst > 2000 || total > 8000)
        fail_msg("writes slowed while deliveries hang: worst %lld ms, total %lld ms",
                 (long long)worst, (long long)total);
    assert_avail(c, "c2", "USD", "130.00");
    /* The six rows wait, counted; none delivered. */
    json_t *rows = outbox_rows(c, "pending");
    assert_int_equal(json_array_size(json_object_get(rows, "notifications")), 6);
    json_decref(rows);
    struct fgresp m;
    assert_int_equal(fgh_request(&c->s, "GET", "/metrics", NULL, NULL, &m), 0);
    assert_has(m.body, "fundgate_outbox_pending 6\n");
    assert_has(m.body, "fundgate_outbox_deliveries_total 0\n");
    fgresp_free(&m);
    /* Each try ends at the total timeout (10 s), recorded as a failure. */
    json_t *first = outbox_wait_error(c, "Timeout");
    json_decref(first);
    /* Stopping does not wait for the tries still hanging. */
    int64_t t1 = mono_ms();
    assert_int_equal(fgsrv_stop(&c->s), 0);
    if (mono_ms() - t1 > 5000)
        fail_msg("stopping took %lld ms with deliveries hanging", (long long)(mono_ms() - t1));
    fgsrv_start(&c->s);
    clock_set(c, FWD_MS);
    close(hang);
}

/* --- the commands: sign, verify, keygen; a signing key the server refuses ----------------------
 */

/* "Name: value" lines of text into headers (NULL-terminated). */
static void lines_of(char *text, const char *headers[], int cap)
{
    int n = 0;
    for (char *line = strtok(text, "\n"); line && n < cap - 1; line = strtok(NULL, "\n"))
        headers[n++] = line;
    headers[n] = NULL;
}

/* keygen: its file and key; the server refuses a key file others may read,
 * and a key of another size. */
static void cli_keygen(const char *bin)
{
    char cmd[2048], out[8192];
    /* keygen: 0600, refuses to replace without --force. */
    char key_file[160];
    struct stat st;
    snprintf(key_file, sizeof(key_file), "%s/new-signing.pem", keys.dir);
    snprintf(cmd, sizeof(cmd), "%s keygen --out %s 2>/dev/null", bin, key_file);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_has(out, "-----BEGIN PUBLIC KEY-----");
    assert_int_equal(stat(key_file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(cmd, sizeof(cmd), "openssl pkey -in %s -noout -text | head -1", key_file);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_has(out, "2048 bit");
    snprintf(cmd, sizeof(cmd), "%s keygen --out %s 2>&1", bin, key_file);
    assert_int_equal(run(cmd, out, sizeof(out)), 1);
    snprintf(cmd, sizeof(cmd), "%s keygen --out %s --force >/dev/null 2>&1", bin, key_file);
    assert_int_equal(run(cmd, NULL, 0), 0);
    /* The server refuses a key file others may read, and a key of another size. */
    chmod(key_file, 0644);
    snprintf(cmd, sizeof(cmd),
             "timeout 60 %s serve --listen 127.0.0.1:0 --data %s/srv --signing-key-file %s 2>&1",
             bin, keys.dir, key_file);
    assert_int_equal(run(cmd, out, sizeof(out)), 1);
    assert_has(out, "chmod 600");
    snprintf(cmd, sizeof(cmd),
             "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out %s 2>/dev/null && "
             "chmod 600 %s && timeout 60 %s serve --listen 127.0.0.1:0 --data %s/srv "
             "--signing-key-file %s 2>&1",
             key_file, key_file, bin, keys.dir, key_file);
    assert_int_equal(run(cmd, out, sizeof(out)), 1);
    assert_has(out, "2048 bits");
}

static void test_cli(void **state)
{
    struct ctx *c = *state;
    const char *bin = getenv("FUNDGATE_BIN");
    char body_file[160], cmd[2048], out[8192], t[32];
    const char *qb = "{\"sell\":{\"currency\":\"USD\",\"value\":100},\"buy\":{\"currency\":"
                     "\"EUR\"},\"exchangeTradeType\":\"SPOT\"}";
    snprintf(body_file, sizeof(body_file), "%s/body.json", keys.dir);
    spit(body_file, qb, strlen(qb));
    iso(c->now_ms, t);
    /* sign: headers to send with exactly that body. */
    snprintf(cmd, sizeof(cmd),
             "%s sign worldfirst --key %s --client-id wf1 --uri " API "createQuote --time %s %s",
             bin, keys.k1, t, body_file);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_has(out, "signature: algorithm=RSA256,keyVersion=1,signature=");
    const char *hs[8];
    lines_of(out, hs, 8);
    struct wfresp r;
    wf_request(c, "POST", API "createQuote", hs, qb, strlen(qb), &r);
    assert_string_equal(code_of(r.json), "SUCCESS");
    assert_answer_signed(c, "POST", API "createQuote", "wf1", &r);
    /* verify: the answer as curl -D writes its head, and its body. */
    char head_file[160], answer_file[160], head[4096];
    snprintf(head_file, sizeof(head_file), "%s/answer.h", keys.dir);
    snprintf(answer_file, sizeof(answer_file), "%s/answer.json", keys.dir);
    snprintf(head, sizeof(head),
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nclient-id: %s\r\n"
             "response-time: %s\r\nsignature: %s\r\n\r\n",
             r.client_id, r.response_time, r.signature);
    spit(head_file, head, strlen(head));
    spit(answer_file, r.body, r.len);
    snprintf(cmd, sizeof(cmd),
             "%s verify worldfirst --key %s --uri " API "createQuote --headers %s %s 2>&1", bin,
             c->fgpub, head_file, answer_file);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_has(out, "signature ok");
    r.body[5] = r.body[5] == 'x' ? 'y' : 'x';
    spit(answer_file, r.body, r.len);
    assert_int_equal(run(cmd, out, sizeof(out)), 1);
    assert_has(out, "does not match");
    wfresp_free(&r);
    /* From stdin; a missing option is a usage error. */
    snprintf(cmd, sizeof(cmd),
             "printf '%%s' '%s' | %s sign worldfirst --key %s --client-id wf1 --uri /x --time %s -",
             qb, bin, keys.k1, t);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    snprintf(cmd, sizeof(cmd), "%s sign worldfirst --client-id wf1 --uri /x %s 2>/dev/null", bin,
             body_file);
    assert_int_equal(run(cmd, NULL, 0), 2);
    cli_keygen(bin);
}

/* --- the admin plane ------------------------------------------------------------------------ */

static void expect_admin(struct ctx *c, const char *method, const char *path, const char *body,
                         long status)
{
    struct fgresp r;
    assert_int_equal(fgh_admin(&c->s, method, path, body, &r), 0);
    if (r.status != status)
        fail_msg("%s %s %.200s: want %ld, got %ld %s", method, path, body ? body : "", status,
                 r.status, r.body);
    fgresp_free(&r);
}

static void admin_routes_checked(struct ctx *c)
{
    /* The key and the outbox need the token; their parameters are checked. */
    struct fgresp r;
    assert_int_equal(fgh_request(&c->s, "GET", "/admin/v1/keys/worldfirst", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 401);
    fgresp_free(&r);
    assert_int_equal(fgh_request(&c->s, "GET", "/admin/v1/outbox", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 401);
    fgresp_free(&r);
    expect_admin(c, "GET", "/admin/v1/outbox?status=lost", NULL, 400);
    expect_admin(c, "GET", "/admin/v1/outbox?limit=0", NULL, 400);
    expect_admin(c, "GET", "/admin/v1/outbox?limit=1001", NULL, 400);
    expect_admin(c, "GET", "/admin/v1/outbox?limit=1000&status=dead", NULL, 200);
    expect_admin(c, "POST", "/admin/v1/outbox/99999/retry", NULL, 404);
    expect_admin(c, "POST", "/admin/v1/outbox/abc/retry", NULL, 400);
    expect_admin(c, "POST", "/admin/v1/outbox/1/retry", "{\"now\":true}", 400);
}

static void test_admin(void **state)
{
    struct ctx *c = *state;
    char *k1 = pem_json(keys.k1pub), *body = malloc(65536);
    char cmd[512], small_pub[160];
    snprintf(small_pub, sizeof(small_pub), "%s/small.pub", keys.dir);
    snprintf(cmd, sizeof(cmd),
             "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null | openssl "
             "pkey -pubout -out %s",
             small_pub);
    assert_int_equal(run(cmd, NULL, 0), 0);
    char *small = pem_json(small_pub);
    const char *base = "{\"family\":\"worldfirst\",\"client_id\":\"wfa\"";
    const char *bad[][2] = {
        {",\"public_keys\":{}}", NULL},
        {",\"public_keys\":{\"v1\":%s}}", k1},
        {",\"public_keys\":{\"1234567890\":%s}}", k1},
        {",\"public_keys\":{\"1\":\"not a key\"}}", NULL},
        {",\"public_keys\":{\"1\":%s}}", small},
        {",\"public_keys\":{\"1\":%s},\"notify_url\":\"ftp://127.0.0.1/x\"}", k1},
        {",\"public_keys\":{\"1\":%s},\"notify_url\":\"no url\"}", k1},
        {",\"public_keys\":{\"1\":%s},\"customers\":{\"A\":\"c 1\"}}", k1},
        {",\"public_keys\":{\"1\":%s},\"customers\":[\"c1\"]}", k1},
        {",\"public_keys\":{\"1\":%s},\"quote_ttl_s\":0}", k1},
        {",\"public_keys\":{\"1\":%s},\"time_window_s\":86401}", k1},
        {",\"public_keys\":{\"1\":%s},\"account_type\":\"card\"}", k1},
        {",\"public_keys\":{\"1\":%s},\"colour\":\"blue\"}", k1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *at = strstr(bad[i][0], "%s");
        if (at)
            snprintf(body, 65536, "%s%.*s%s%s", base, (int)(at - bad[i][0]), bad[i][0], bad[i][1],
                     at + 2);
        else
            snprintf(body, 65536, "%s%s", base, bad[i][0]);
        expect_admin(c, "POST", "/admin/v1/clients", body, 400);
    }
    /* Eight keys and 256 customers are taken; nine and 257 are not. */
    int o = snprintf(body, 65536, "%s,\"public_keys\":{", base);
    for (int i = 1; i <= 9; i++)
        o += snprintf(body + o, 65536 - (size_t)o, "%s\"%d\":%s", i > 1 ? "," : "", i, k1);
    snprintf(body + o, 65536 - (size_t)o, "}}");
    expect_admin(c, "POST", "/admin/v1/clients", body, 400);
    char *nine = strstr(body, ",\"9\":");
    snprintf(nine, 8, "}}");
    expect_admin(c, "POST", "/admin/v1/clients", body, 201);
    for (int n = 256; n <= 257; n++) {
        o = snprintf(body, 65536, "%s,\"public_keys\":{\"1\":%s},\"customers\":{", base, k1);
        for (int i = 0; i < n; i++)
            o += snprintf(body + o, 65536 - (size_t)o, "%s\"C%d\":\"c1\"", i ? "," : "", i);
        snprintf(body + o, 65536 - (size_t)o, "}}");
        expect_admin(c, "POST", "/admin/v1/clients", body, n == 256 ? 200 : 400);
    }
    json_t *list = fgh_admin_ok(&c->s, "GET", "/admin/v1/clients?family=worldfirst", NULL, 200);
    char *text = json_dumps(list, JSON_COMPACT);
    assert_has(text, "\"quote_ttl_s\":30,\"time_window_s\":300");
    free(text);
    json_decref(list);
    admin_routes_checked(c);
    free(k1);
    free(small);
    free(body);
}

/* --- limits: at the bound taken, past it refused ------------------------------------------------
 */

static char *repeat(const char *unit, int n)
{
    char *s = malloc(strlen(unit) * (size_t)n + 1);
    s[0] = '\0';
    for (int i = 0; i < n; i++)
        strcat(s, unit);
    return s;
}

static void test_limits(void **state)
{
    struct ctx *c = *state;
    char b[8192];
    char *rid128 = repeat("r", 128), *rid129 = repeat("r", 129);
    char *rt = realtime_body("CUST-1", rid128, "USD", "100", "EUR", "SPOT", NULL);
    json_decref(call(c, "createExchange", rt, "SUCCESS", NULL));
    free(rt);
    rt = realtime_body("CUST-1", rid129, "USD", "100", "EUR", "SPOT", NULL);
    expect(c, "createExchange", rt, "PARAM_ILLEGAL");
    free(rt);
    char *memo256 = repeat("\xc3\xa9", 256), *memo257 = repeat("\xc3\xa9", 257);
    char *ref64 = repeat("f", 64), *ref65 = repeat("f", 65);
    const char *adds[][2] = {{memo256, ref64}, {memo257, ref64}, {memo256, ref65}};
    for (int i = 0; i < 3; i++) {
        char extra[4096];
        snprintf(extra, sizeof(extra),
                 ",\"exchangeOrderAddition\":{\"exchangeMemo\":\"%s\",\"referenceOrderId\":\"%s\"}",
                 adds[i][0], adds[i][1]);
        snprintf(b, sizeof(b), "x-memo-%d", i);
        rt = realtime_body("CUST-1", b, "USD", "100", "EUR", "SPOT", extra);
        json_t *j = call(c, "createExchange", rt, i == 0 ? "SUCCESS" : "PARAM_ILLEGAL", NULL);
        if (i == 0)
            assert_string_equal(fgh_str(j, "exchangeOrderAddition.exchangeMemo"), memo256);
        json_decref(j);
        free(rt);
    }
    /* customerId and client-id: 64 bytes; keyVersion: 9 digits. */
    char *id64 = repeat("k", 64), *id65 = repeat("k", 65), *k1 = pem_json(keys.k1pub);
    snprintf(b, sizeof(b),
             "{\"family\":\"worldfirst\",\"client_id\":\"%s\",\"public_keys\":{\"123456789\":%s},"
             "\"customers\":{\"%s\":\"c1\"}}",
             id64, k1, id64);
    admin_post(c, "/admin/v1/clients", b, 201);
    struct signer longest = {id64, keys.k1, "123456789", NULL};
    rt = realtime_body(id64, "x-long-1", "USD", "100", "EUR", "SPOT", NULL);
    json_decref(call_as(c, &longest, "createExchange", rt, "SUCCESS", NULL));
    free(rt);
    rt = realtime_body(id65, "x-long-2", "USD", "100", "EUR", "SPOT", NULL);
    json_decref(call_as(c, &longest, "createExchange", rt, "PARAM_ILLEGAL", NULL));
    free(rt);
    char h[3][2100];
    signed_headers(c, &(struct signer){id65, keys.k1, "123456789", NULL}, API "createQuote", "{}",
                   2, h);
    const char *hs[] = {h[0], h[1], h[2], NULL};
    raw_call(c, "POST", API "createQuote", hs, "{}", 200, "INVALID_CLIENT", NULL);
    json_decref(call_as(c, &(struct signer){id64, keys.k1, "1234567890", NULL}, "createQuote", "{}",
                        "INVALID_SIGNATURE", NULL));
    /* A body past 64 KiB: the transport's 413, in this family's shape. */
    char *huge = malloc(70000);
    memset(huge, ' ', 69999);
    huge[0] = '{';
    huge[69998] = '}';
    huge[69999] = '\0';
    const char *ids[] = {"client-id: wf1", NULL};
    raw_call(c, "POST", API "createQuote", ids, huge, 413, "PARAM_ILLEGAL", "wf1");
    free(huge);
    free(rid128);
    free(rid129);
    free(memo256);
    free(memo257);
    free(ref64);
    free(ref65);
    free(id64);
    free(id65);
    free(k1);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]); /* one scenario by name, while working on it */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_quote_spot_inquiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forward_settled_and_notified, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unfunded_spot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_realtime, setup, teardown),
        cmocka_unit_test_setup_teardown(test_codes_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_codes_business, setup, teardown),
        cmocka_unit_test_setup_teardown(test_codes_transport_and_operating, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signatures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_headers_given_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signature_encodings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_computed_past_the_largest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retries_to_dead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9_with_rows_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_receiver_does_not_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}
