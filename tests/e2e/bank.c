/* bank.c - the bank workload; see bank.h. */
#include "bank.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#define CUSTOMERS BANK_CUSTOMERS
#define OPEN_PATH BANK_EXEC_PATH

int64_t bank_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

#define now_ms bank_now_ms

void bank_seed(struct fgsrv *s)
{
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/currencies",
                             "{\"code\":\"USD\",\"digits\":2,\"digital\":false}", 201));
    for (int i = 0; i < CUSTOMERS; i++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"uuid\":\"n%d\",\"user_name\":\"u%d\",\"name\":\"U %d\",\"app_id\":\"app1\","
                 "\"company_id\":7,\"base_currency\":\"USD\"}",
                 i, i, i);
        json_decref(fgh_admin_ok(s, "POST", "/admin/v1/customers", body, 201));
        snprintf(body, sizeof(body), "{\"uuid\":\"n%d\",\"type\":\"futures\",\"currency\":\"USD\"}",
                 i);
        json_decref(fgh_admin_ok(s, "POST", "/admin/v1/accounts", body, 201));
        snprintf(body, sizeof(body),
                 "{\"request_id\":\"fund-%d\",\"uuid\":\"n%d\",\"type\":\"futures\","
                 "\"currency\":\"USD\",\"amount\":\"1000.00\"}",
                 i, i);
        json_decref(fgh_admin_ok(s, "POST", "/admin/v1/deposits", body, 201));
    }
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":7,\"auth\":\"allowlist\","
                             "\"allow\":[\"127.0.0.0/8\"],\"account_type\":\"futures\"}",
                             201));
}

/* A TradeBoss body. */
void bank_tb_body(char *buf, size_t cap, const char *user, const char *op, const char *amount,
                  const char *no)
{
    snprintf(buf, cap,
             "{\"thirdServerCode\":\"t\",\"userName\":\"%s\",\"currency\":\"USD\",\"bizType\":1,"
             "\"operationType\":\"%s\",\"amount\":\"%s\",\"amountDigits\":2,\"orderId\":1,"
             "\"requestUniqueNo\":\"%s\",\"requestTime\":%lld,\"ip\":\"127.0.0.1\"}",
             user, op, amount, no, (long long)now_ms());
}

int bank_tb_call(const struct fgsrv *s, int company, const char *path, const char *body,
                 struct fgresp *r)
{
    char tsh[64], ch[32];
    snprintf(tsh, sizeof(tsh), "timestamp: %lld", (long long)now_ms());
    snprintf(ch, sizeof(ch), "companyId: %d", company);
    const char *const headers[] = {"trace: nodes", ch, tsh, NULL};
    if (fgh_request(s, "POST", path, headers, body, r) < 0 || r->status != 200 || !r->json) {
        fgresp_free(r);
        return -1;
    }
    return 0;
}

static char *available(struct fgsrv *s, const char *uuid)
{
    return fgh_available(s, uuid, "futures", "USD");
}

#define REQS_MAX 20000

struct req_log {
    char no[24];
    int customer;
    int64_t cents; /* + to the customer (close), - from it (open) */
    bool applied;  /* answered "0"; otherwise answered a refusal */
};

#define THREADS_MAX 16

struct bank {
    struct fgsrv node[2]; /* copies: base URLs only */
    int nodes;
    int stop;
    bool unanswered;
    pthread_mutex_t mu;
    int count;
    struct req_log *log;
    int threads;
    pthread_t th[THREADS_MAX];
    struct worker {
        struct bank *b;
        int id;
        unsigned seed;
    } w[THREADS_MAX];
};

/* Send until answered, alternating nodes; false when nothing answered it
 * within a minute. */
static bool bank_send(struct worker *w, const char *body, int start, struct fgresp *r)
{
    int64_t t0 = now_ms();
    for (int k = start;; k++) {
        if (bank_tb_call(&w->b->node[k % w->b->nodes], 7, OPEN_PATH, body, r) == 0) {
            const char *code = fgh_str(r->json, "code");
            if (code && strcmp(code, "US_9000001") != 0)
                return true;
            fgresp_free(r);
        }
        if (now_ms() - t0 > 60000)
            return false;
        usleep(20000);
    }
}

static void *bank_worker(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; !__atomic_load_n(&w->b->stop, __ATOMIC_ACQUIRE); i++) {
        struct req_log e = {.customer = (int)(rand_r(&w->seed) % CUSTOMERS)};
        bool open = rand_r(&w->seed) % 2 == 0;
        int64_t cents = 1 + rand_r(&w->seed) % 5000;
        snprintf(e.no, sizeof(e.no), "w%d-%d", w->id, i);
        char user[8], amount[32], body[512];
        snprintf(user, sizeof(user), "u%d", e.customer);
        snprintf(amount, sizeof(amount), "%lld.%02lld", (long long)(cents / 100),
                 (long long)(cents % 100));
        bank_tb_body(body, sizeof(body), user, open ? "OPEN_POSITION" : "NORMAL_CLOSE", amount,
                     e.no);
        struct fgresp r;
        if (!bank_send(w, body, i + w->id, &r)) {
            fprintf(stderr, "request %s never answered\n", e.no);
            __atomic_store_n(&w->b->unanswered, true, __ATOMIC_RELEASE);
            break;
        }
        const char *code = fgh_str(r.json, "code");
        e.applied = strcmp(code, "0") == 0;
        e.cents = open ? -cents : cents;
        if (!e.applied && strcmp(code, "US_2000003") != 0)
            fprintf(stderr, "request %s answered %s: %s\n", e.no, code, r.body);
        fgresp_free(&r);
        pthread_mutex_lock(&w->b->mu);
        if (w->b->count < REQS_MAX)
            w->b->log[w->b->count++] = e;
        pthread_mutex_unlock(&w->b->mu);
    }
    return NULL;
}

/* Journal refs of one customer's futures account, counted per request. */
static int journal_refs(struct fgsrv *s, const char *uuid, json_t *counts)
{
    char path[160];
    snprintf(path, sizeof(path), "/admin/v1/accounts?uuid=%s", uuid);
    json_t *j = fgh_admin_ok(s, "GET", path, NULL, 200);
    int64_t id = json_integer_value(fgh_get(j, "accounts.0.account_id"));
    json_decref(j);
    int64_t after = 0;
    int rows = 0;
    for (;;) {
        snprintf(path, sizeof(path), "/admin/v1/transfers?account_id=%lld&after=%lld&limit=1000",
                 (long long)id, (long long)after);
        j = fgh_admin_ok(s, "GET", path, NULL, 200);
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(j, "transfers"), i, t)
        {
            const char *ref = fgh_str(t, "ref");
            if (ref && strncmp(ref, "tb.exec:7:", 10) == 0) {
                json_t *c = json_object_get(counts, ref + 10);
                json_object_set_new(counts, ref + 10,
                                    json_integer(c ? json_integer_value(c) + 1 : 1));
            }
            rows++;
        }
        json_t *next = json_object_get(j, "next_after");
        after = json_is_integer(next) ? json_integer_value(next) : 0;
        json_decref(j);
        if (!after)
            return rows;
    }
}

struct bank *bank_start(const struct fgsrv *nodes, int count, int threads)
{
    assert_true(count >= 1 && count <= 2 && threads >= 1 && threads <= THREADS_MAX);
    struct bank *b = calloc(1, sizeof(*b));
    assert_non_null(b);
    b->log = calloc(REQS_MAX, sizeof(*b->log));
    assert_non_null(b->log);
    pthread_mutex_init(&b->mu, NULL);
    for (int k = 0; k < count; k++)
        b->node[k] = nodes[k];
    b->nodes = count;
    b->threads = threads;
    for (int i = 0; i < threads; i++) {
        b->w[i] = (struct worker){.b = b, .id = i, .seed = 1234u + (unsigned)i};
        assert_int_equal(pthread_create(&b->th[i], NULL, bank_worker, &b->w[i]), 0);
    }
    return b;
}

int bank_answered(struct bank *b)
{
    pthread_mutex_lock(&b->mu);
    int n = b->count;
    pthread_mutex_unlock(&b->mu);
    return n;
}

bool bank_stop(struct bank *b)
{
    __atomic_store_n(&b->stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < b->threads; i++)
        pthread_join(b->th[i], NULL);
    return !b->unanswered;
}

void bank_verify(struct bank *b, struct fgsrv *s)
{
    json_t *counts = json_object();
    int64_t want[CUSTOMERS];
    for (int c = 0; c < CUSTOMERS; c++) {
        char uuid[8];
        snprintf(uuid, sizeof(uuid), "n%d", c);
        journal_refs(s, uuid, counts);
        want[c] = 100000;
    }
    int applied = 0;
    for (int i = 0; i < b->count; i++) {
        const struct req_log *e = &b->log[i];
        json_t *c = json_object_get(counts, e->no);
        int seen = c ? (int)json_integer_value(c) : 0;
        if (seen != (e->applied ? 1 : 0))
            fprintf(stderr, "%s answered %s, in the journal %d times\n", e->no,
                    e->applied ? "applied" : "refused", seen);
        assert_int_equal(seen, e->applied ? 1 : 0);
        if (e->applied) {
            want[e->customer] += e->cents;
            applied++;
        }
    }
    assert_int_equal((int)json_object_size(counts), applied); /* nothing else moved */
    json_decref(counts);
    for (int c = 0; c < CUSTOMERS; c++) {
        char uuid[8], text[32];
        snprintf(uuid, sizeof(uuid), "n%d", c);
        snprintf(text, sizeof(text), "%lld.%02lld", (long long)(want[c] / 100),
                 (long long)(want[c] % 100));
        char *got = available(s, uuid);
        assert_string_equal(got, text);
        free(got);
    }
    fgh_assert_reconciled(s);
    fprintf(stderr, "bank: %d requests answered, %d applied\n", b->count, applied);
    pthread_mutex_destroy(&b->mu);
    free(b->log);
    free(b);
}
