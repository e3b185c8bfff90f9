/*
 * yb_bench.c - load generator for the YabandPay FX family: N threads, each
 * with one keep-alive connection, loop over a quote (v3.GetFXQuote, sell
 * 1.00 USD for EUR, TOD) followed by the execute of that quote
 * (v3.ExecuteFXOrder), both signed with HMAC-SHA256 as a merchant would,
 * for a number of seconds; then print pairs per second and the median /
 * p99 time of a whole pair. A measurement, not a test.
 *
 * Usage: bench_yb_bench [base_url] [threads] [seconds] [user] [secret]
 *        (defaults http://127.0.0.1:8080 16 5 016683
 *        demo-yabandpay-secret-016683: `make run`'s demo merchant; `make
 *        bench` runs it against a fresh release server, bench/run.sh)
 * The last line is machine-read by bench/run.sh:
 *   yb pairs=<n> per_s=<x> p50_ms=<x> p99_ms=<x> errors=<n>
 */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_THREADS_MAX 256
#define BENCH_SAMPLES_MAX 200000 /* pairs per thread */

struct worker {
    pthread_t th;
    int id;
    const char *base, *user, *secret;
    int64_t deadline_us;
    int64_t *us;
    int n;
    int errors;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct buf {
    char data[4096];
    size_t n;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct buf *b = ud;
    size_t len = size * n;
    size_t room = sizeof(b->data) - 1 - b->n;
    memcpy(b->data + b->n, p, len < room ? len : room);
    b->n += len < room ? len : room;
    b->data[b->n] = '\0';
    return len;
}

static void hmac_hex(const char *key, const char *msg, char out[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg, strlen(msg), mac, &n);
    for (unsigned int i = 0; i < n && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

/* POST a signed body; true when the answer's code is "200". */
static bool post(CURL *c, const char *url, const char *body, struct buf *b)
{
    b->n = 0;
    b->data[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    return curl_easy_perform(c) == CURLE_OK && strstr(b->data, "\"code\":\"200\"");
}

/* One quote and its execute; false on any failure. */
static bool pair(struct worker *w, CURL *c, const char *url, long pid, int i)
{
    char str[768], body[1024], sign[65], qid[64], rid[64];
    struct buf b;
    long long t = (long long)time(NULL);
    snprintf(rid, sizeof(rid), "q%ld-%d-%d", pid, w->id, i);
    snprintf(str, sizeof(str),
             "amount=1.00&buy_currency=EUR&currency=USD&method=v3.GetFXQuote&request_id=%s&"
             "sell_currency=USD&tenor=TOD&time=%lld&user=%s",
             rid, t, w->user);
    hmac_hex(w->secret, str, sign);
    snprintf(body, sizeof(body),
             "{\"user\":\"%s\",\"sign\":\"%s\",\"method\":\"v3.GetFXQuote\",\"time\":%lld,"
             "\"data\":{\"sell_currency\":\"USD\",\"buy_currency\":\"EUR\",\"currency\":\"USD\","
             "\"amount\":\"1.00\",\"tenor\":\"TOD\",\"request_id\":\"%s\"}}",
             w->user, sign, t, rid);
    const char *q = post(c, url, body, &b) ? strstr(b.data, "\"quote_id\":\"") : NULL;
    if (!q || sscanf(q + 12, "%63[^\"]", qid) != 1)
        return false;
    snprintf(rid, sizeof(rid), "e%ld-%d-%d", pid, w->id, i);
    snprintf(str, sizeof(str),
             "method=v3.ExecuteFXOrder&order_id=%s&quote_id=%s&request_id=%s&time=%lld&user=%s",
             rid, qid, rid, t, w->user);
    hmac_hex(w->secret, str, sign);
    snprintf(body, sizeof(body),
             "{\"user\":\"%s\",\"sign\":\"%s\",\"method\":\"v3.ExecuteFXOrder\",\"time\":%lld,"
             "\"data\":{\"order_id\":\"%s\",\"quote_id\":\"%s\",\"request_id\":\"%s\"}}",
             w->user, sign, t, rid, qid, rid);
    return post(c, url, body, &b);
}

static void *run(void *p)
{
    struct worker *w = p;
    CURL *c = curl_easy_init();
    char url[512];
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    snprintf(url, sizeof(url), "%s/Payments", w->base);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    long pid = (long)getpid();
    for (int i = 0; i < BENCH_SAMPLES_MAX && mono_us() < w->deadline_us; i++) {
        int64_t t0 = mono_us();
        bool ok = pair(w, c, url, pid, i);
        w->us[w->n++] = mono_us() - t0;
        w->errors += !ok;
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : "http://127.0.0.1:8080";
    int threads = argc > 2 ? atoi(argv[2]) : 16;
    int seconds = argc > 3 ? atoi(argv[3]) : 5;
    const char *user = argc > 4 ? argv[4] : "016683";
    const char *secret = argc > 5 ? argv[5] : "demo-yabandpay-secret-016683";
    if (threads < 1 || threads > BENCH_THREADS_MAX || seconds < 1 || seconds > 600) {
        fprintf(stderr, "usage: %s [base_url] [threads 1..%d] [seconds 1..600] [user] [secret]\n",
                argv[0], BENCH_THREADS_MAX);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static struct worker w[BENCH_THREADS_MAX];
    int64_t start = mono_us();
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){.id = i,
                               .base = base,
                               .user = user,
                               .secret = secret,
                               .deadline_us = start + seconds * 1000000LL};
        w[i].us = malloc(sizeof(int64_t) * BENCH_SAMPLES_MAX);
        if (!w[i].us)
            return 1;
        pthread_create(&w[i].th, NULL, run, &w[i]);
    }
    size_t total = 0;
    int errors = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].th, NULL);
        total += (size_t)w[i].n;
        errors += w[i].errors;
    }
    int64_t elapsed = mono_us() - start;
    if (total == 0) {
        fprintf(stderr, "no pair completed\n");
        return 1;
    }
    int64_t *all = malloc(sizeof(int64_t) * total);
    size_t k = 0;
    for (int i = 0; i < threads; i++) {
        memcpy(all + k, w[i].us, sizeof(int64_t) * (size_t)w[i].n);
        k += (size_t)w[i].n;
        free(w[i].us);
    }
    qsort(all, total, sizeof(all[0]), cmp);
    printf("yabandpay quote+execute: %d threads, %zu pairs in %.1f s, %d errors\n", threads, total,
           elapsed / 1e6, errors);
    printf("yb pairs=%zu per_s=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d\n", total,
           total * 1e6 / (double)elapsed, all[total / 2] / 1000.0, all[total * 99 / 100] / 1000.0,
           errors);
    free(all);
    curl_global_cleanup();
    return errors ? 1 : 0;
}
