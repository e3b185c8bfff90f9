/*
 * tb_bench.c - load generator for the TradeBoss execute webhook: N threads,
 * each with one keep-alive connection, send unique executes (alternately
 * OPEN_POSITION and NORMAL_CLOSE of 0.01 USD for alice of company 7, so the
 * balance stays put) for a number of seconds, then print throughput and the
 * median / p99 / max answer time. A measurement, not a test.
 *
 * Usage: bench_tb_bench [base_url] [threads] [seconds]
 *        (defaults http://127.0.0.1:8080 16 5; `make bench` runs it against a
 *        fresh release server with examples/demo.json)
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BENCH_THREADS_MAX 256
#define BENCH_SAMPLES_MAX 400000 /* per thread */

struct worker {
    pthread_t th;
    int id;
    const char *base;
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

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

static void *run(void *p)
{
    struct worker *w = p;
    CURL *c = curl_easy_init();
    char url[512];
    snprintf(url, sizeof(url), "%s/api/cats-gateway/external-system-credit-limit-adjustment",
             w->base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    long pid = (long)getpid();
    for (int i = 0; i < BENCH_SAMPLES_MAX && mono_us() < w->deadline_us; i++) {
        char body[768], ts[64];
        snprintf(body, sizeof(body),
                 "{\"thirdServerCode\":\"bench\",\"userName\":\"alice\",\"currency\":\"USD\","
                 "\"bizType\":1,\"operationType\":\"%s\",\"amount\":\"0.01\",\"amountDigits\":2,"
                 "\"orderId\":%d,\"requestUniqueNo\":\"b%ld-%lld-%d-%d\",\"requestTime\":%lld,"
                 "\"ip\":\"10.0.0.1\"}",
                 i % 2 ? "NORMAL_CLOSE" : "OPEN_POSITION", i, pid, (long long)wall_ms(), w->id, i,
                 (long long)wall_ms());
        snprintf(ts, sizeof(ts), "timestamp: %lld", (long long)wall_ms());
        struct curl_slist *h = NULL;
        h = curl_slist_append(h, "Content-Type: application/json");
        h = curl_slist_append(h, "trace: bench");
        h = curl_slist_append(h, "companyId: 7");
        h = curl_slist_append(h, ts);
        struct buf b = {.n = 0};
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        int64_t t0 = mono_us();
        CURLcode rc = curl_easy_perform(c);
        w->us[w->n++] = mono_us() - t0;
        if (rc != CURLE_OK || !strstr(b.data, "\"code\":\"0\""))
            w->errors++;
        curl_slist_free_all(h);
    }
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
    if (threads < 1 || threads > BENCH_THREADS_MAX || seconds < 1 || seconds > 600) {
        fprintf(stderr, "usage: %s [base_url] [threads 1..%d] [seconds 1..600]\n", argv[0],
                BENCH_THREADS_MAX);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static struct worker w[BENCH_THREADS_MAX];
    int64_t start = mono_us();
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){.id = i, .base = base, .deadline_us = start + seconds * 1000000LL};
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
    int64_t *all = malloc(sizeof(int64_t) * (total ? total : 1));
    size_t k = 0;
    for (int i = 0; i < threads; i++) {
        memcpy(all + k, w[i].us, sizeof(int64_t) * (size_t)w[i].n);
        k += (size_t)w[i].n;
        free(w[i].us);
    }
    if (total == 0) {
        fprintf(stderr, "no request completed\n");
        return 1;
    }
    qsort(all, total, sizeof(all[0]), cmp);
    printf("tradeboss execute: %d threads, %zu requests in %.1f s (%.0f/s), %d errors\n", threads,
           total, elapsed / 1e6, total * 1e6 / (double)elapsed, errors);
    printf("answer time: median %.2f ms, p99 %.2f ms, max %.2f ms\n", all[total / 2] / 1000.0,
           all[total * 99 / 100] / 1000.0, all[total - 1] / 1000.0);
    free(all);
    curl_global_cleanup();
    return errors ? 1 : 0;
}
