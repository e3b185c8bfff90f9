/*
 * test_nodes.c - several fundgate nodes on one PostgreSQL database (issue 14),
 * end to end: two `fundgate serve` processes share the database and both take
 * writes.
 *
 *  - a client posted to one node works on the other at once, and a change to
 *    it reaches the other within a second;
 *  - the same request id sent to both nodes at the same moment moves money
 *    once, and both answer the same (admin: the same bytes);
 *  - a bank workload (TradeBoss opens and closes among six customers, from
 *    eight client threads that send each request to either node and retry it
 *    on the other until it is answered) while either node is killed with
 *    kill -9 every few seconds and restarted: every request is answered once
 *    as applied or refused, each applied one is in the journal exactly once,
 *    each refused one not at all, every balance is what the answers make it,
 *    and the ledger reconciles.
 *
 * PostgreSQL only (CTest e2e_test_nodes_pg): SQLite has one process per
 * database file, so on SQLite every test here is skipped.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define CUSTOMERS 6
#define THREADS 8
#define LOAD_SECONDS 24
#define KILL_EVERY_MS 3000
#define OPEN_PATH "/api/cats-gateway/external-system-credit-limit-adjustment"

struct nodes {
    struct fgsrv n[2];
};

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void seed(struct fgsrv *s)
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

static int setup(void **state)
{
    if (!fgh_on_pg())
        return 0; /* the tests skip */
    struct nodes *ns = calloc(1, sizeof(*ns));
    ns->n[0].keep_port = ns->n[1].keep_port = true;
    fgsrv_start(&ns->n[0]);
    snprintf(ns->n[1].db, sizeof(ns->n[1].db), "%s", ns->n[0].db); /* one database */
    fgsrv_start(&ns->n[1]);
    seed(&ns->n[0]);
    *state = ns;
    return 0;
}

static int teardown(void **state)
{
    struct nodes *ns = *state;
    if (!ns)
        return 0;
    int rc0 = fgsrv_stop(&ns->n[0]), rc1 = fgsrv_stop(&ns->n[1]);
    ns->n[1].db[0] = '\0'; /* the first node's cleanup drops it */
    fgsrv_cleanup(&ns->n[1]);
    fgsrv_cleanup(&ns->n[0]);
    free(ns);
    assert_int_equal(rc0, 0);
    assert_int_equal(rc1, 0);
    return 0;
}

/* A TradeBoss body. */
static void tb_body(char *buf, size_t cap, const char *user, const char *op, const char *amount,
                    const char *no)
{
    snprintf(buf, cap,
             "{\"thirdServerCode\":\"t\",\"userName\":\"%s\",\"currency\":\"USD\",\"bizType\":1,"
             "\"operationType\":\"%s\",\"amount\":\"%s\",\"amountDigits\":2,\"orderId\":1,"
             "\"requestUniqueNo\":\"%s\",\"requestTime\":%lld,\"ip\":\"127.0.0.1\"}",
             user, op, amount, no, (long long)now_ms());
}

/* POST a TradeBoss call to node base as company; 0 and the parsed answer, or
 * -1 when nothing came back. */
static int tb_call(const struct fgsrv *s, int company, const char *path, const char *body,
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

static char *tb_code(const struct fgsrv *s, int company, const char *path, const char *body)
{
    struct fgresp r;
    if (tb_call(s, company, path, body, &r) < 0)
        return strdup("transport");
    char *code = strdup(fgh_str(r.json, "code"));
    fgresp_free(&r);
    return code;
}

#define QUERY_PATH "/api/cats-gateway/get-user-amount"
#define QUERY_BODY "{\"thirdServerCode\":\"t\",\"userName\":\"v0\",\"currency\":\"USD\"}"

/* A client posted to one node serves on the other at once; a change to it
 * reaches the other node within a second. */
static void test_client_registry_across_nodes(void **state)
{
    struct nodes *ns = *state;
    if (!ns)
        skip();
    json_decref(fgh_admin_ok(&ns->n[0], "POST", "/admin/v1/customers",
                             "{\"uuid\":\"v0\",\"user_name\":\"v0\",\"name\":\"V\",\"app_id\":"
                             "\"app1\",\"company_id\":9,\"base_currency\":\"USD\"}",
                             201));
    json_decref(fgh_admin_ok(&ns->n[0], "POST", "/admin/v1/accounts",
                             "{\"uuid\":\"v0\",\"type\":\"futures\",\"currency\":\"USD\"}", 201));
    char *code = tb_code(&ns->n[1], 9, QUERY_PATH, QUERY_BODY);
    assert_string_equal(code, "US_1000002"); /* no client for company 9 yet */
    free(code);
    json_decref(fgh_admin_ok(&ns->n[0], "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":9,\"auth\":\"allowlist\","
                             "\"allow\":[\"127.0.0.0/8\"],\"account_type\":\"futures\"}",
                             201));
    code = tb_code(&ns->n[1], 9, QUERY_PATH, QUERY_BODY);
    assert_string_equal(code, "0"); /* at once, on the other node */
    free(code);
    /* Replaced on node 0 to allow another network only: node 1 follows. */
    json_decref(fgh_admin_ok(&ns->n[0], "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":9,\"auth\":\"allowlist\","
                             "\"allow\":[\"10.0.0.0/8\"],\"account_type\":\"futures\"}",
                             200));
    int64_t t0 = now_ms();
    for (;;) {
        code = tb_code(&ns->n[1], 9, QUERY_PATH, QUERY_BODY);
        bool refused = strcmp(code, "US_1000003") == 0;
        free(code);
        if (refused)
            break;
        assert_true(now_ms() - t0 < 1000);
        usleep(10000);
    }
}

struct twin {
    const struct fgsrv *s;
    const char *method, *path, *body;
    int company; /* TradeBoss when > 0 */
    pthread_barrier_t *go;
    struct fgresp r;
    int rc;
};

static void *twin_main(void *arg)
{
    struct twin *t = arg;
    pthread_barrier_wait(t->go);
    if (t->company)
        t->rc = tb_call(t->s, t->company, t->path, t->body, &t->r);
    else
        t->rc = fgh_admin(t->s, t->method, t->path, t->body, &t->r);
    return NULL;
}

/* Send one request to both nodes at the same moment. */
static void twins_fire(struct nodes *ns, struct twin tw[2], const char *path, const char *body,
                       int company)
{
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    pthread_t th[2];
    for (int k = 0; k < 2; k++) {
        tw[k] = (struct twin){.s = &ns->n[k],
                              .method = "POST",
                              .path = path,
                              .body = body,
                              .company = company,
                              .go = &go};
        assert_int_equal(pthread_create(&th[k], NULL, twin_main, &tw[k]), 0);
    }
    for (int k = 0; k < 2; k++)
        pthread_join(th[k], NULL);
    pthread_barrier_destroy(&go);
    assert_int_equal(tw[0].rc, 0);
    assert_int_equal(tw[1].rc, 0);
}

static char *available(struct fgsrv *s, const char *uuid)
{
    return fgh_available(s, uuid, "futures", "USD");
}

/* The same request id on both nodes at once: applied once, answered alike. */
static void test_same_request_both_nodes(void **state)
{
    struct nodes *ns = *state;
    if (!ns)
        skip();
    for (int i = 0; i < 20; i++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"request_id\":\"twin-%d\",\"uuid\":\"n0\",\"type\":\"futures\","
                 "\"currency\":\"USD\",\"amount\":\"1.00\"}",
                 i);
        struct twin tw[2];
        twins_fire(ns, tw, "/admin/v1/deposits", body, 0);
        assert_int_equal(tw[0].r.status, 201);
        assert_int_equal(tw[1].r.status, 201);
        assert_int_equal(tw[0].r.len, tw[1].r.len);
        assert_memory_equal(tw[0].r.body, tw[1].r.body, tw[0].r.len); /* the same bytes */
        fgresp_free(&tw[0].r);
        fgresp_free(&tw[1].r);
        char no[32];
        snprintf(no, sizeof(no), "twin-x-%d", i);
        tb_body(body, sizeof(body), "u1", "OPEN_POSITION", "2.00", no);
        twins_fire(ns, tw, OPEN_PATH, body, 7);
        assert_string_equal(fgh_str(tw[0].r.json, "code"), "0");
        char *d0 = json_dumps(json_object_get(tw[0].r.json, "data"), JSON_SORT_KEYS);
        char *d1 = json_dumps(json_object_get(tw[1].r.json, "data"), JSON_SORT_KEYS);
        assert_string_equal(fgh_str(tw[1].r.json, "code"), "0");
        assert_string_equal(fgh_str(tw[0].r.json, "msg"), fgh_str(tw[1].r.json, "msg"));
        assert_string_equal(d0, d1); /* tm and trace are fresh by design; the rest is one */
        free(d0);
        free(d1);
        fgresp_free(&tw[0].r);
        fgresp_free(&tw[1].r);
    }
    char *a0 = available(&ns->n[0], "n0"), *a1 = available(&ns->n[1], "n1");
    assert_string_equal(a0, "1020.00"); /* 20 deposits of 1.00, each once */
    assert_string_equal(a1, "960.00");  /* 20 opens of 2.00, each once */
    free(a0);
    free(a1);
    fgh_assert_reconciled(&ns->n[1]);
}

/* --- the bank workload under kill -9 ------------------------------------ */

#define REQS_MAX 20000

struct req_log {
    char no[24];
    int customer;
    int64_t cents; /* + to the customer (close), - from it (open) */
    bool applied;  /* answered "0"; otherwise answered a refusal */
};

struct bank {
    struct fgsrv node[2]; /* copies with the fixed ports: base URLs only */
    int stop;
    pthread_mutex_t mu;
    int count;
    struct req_log *log;
    int64_t unanswered_ms_max;
};

struct worker {
    struct bank *b;
    int id;
    unsigned seed;
};

/* Send until answered, alternating nodes; false when nothing answered it
 * within a minute. */
static bool bank_send(struct worker *w, const char *body, int start, struct fgresp *r)
{
    int64_t t0 = now_ms();
    for (int k = start;; k++) {
        if (tb_call(&w->b->node[k % 2], 7, OPEN_PATH, body, r) == 0) {
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
        tb_body(body, sizeof(body), user, open ? "OPEN_POSITION" : "NORMAL_CLOSE", amount, e.no);
        struct fgresp r;
        if (!bank_send(w, body, i + w->id, &r)) {
            fprintf(stderr, "request %s never answered\n", e.no);
            __atomic_store_n(&w->b->unanswered_ms_max, 60000, __ATOMIC_RELEASE);
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

static void bank_verify(struct nodes *ns, struct bank *b)
{
    struct fgsrv *s = &ns->n[0];
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
}

static void test_bank_kill9(void **state)
{
    struct nodes *ns = *state;
    if (!ns)
        skip();
    struct bank *b = calloc(1, sizeof(*b));
    b->log = calloc(REQS_MAX, sizeof(*b->log));
    pthread_mutex_init(&b->mu, NULL);
    b->node[0] = ns->n[0];
    b->node[1] = ns->n[1];
    struct worker w[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){.b = b, .id = i, .seed = 1234u + (unsigned)i};
        assert_int_equal(pthread_create(&th[i], NULL, bank_worker, &w[i]), 0);
    }
    int kills = 0;
    for (int64_t t0 = now_ms(); now_ms() - t0 < LOAD_SECONDS * 1000; kills++) {
        usleep(KILL_EVERY_MS * 1000);
        struct fgsrv *victim = &ns->n[kills % 2];
        fgsrv_kill9(victim);
        usleep(200000);
        fgsrv_start(victim); /* same database, same port */
    }
    __atomic_store_n(&b->stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(b->unanswered_ms_max, 0);
    fprintf(stderr, "bank: %d kills\n", kills);
    assert_true(kills >= 4);
    bank_verify(ns, b);
    pthread_mutex_destroy(&b->mu);
    free(b->log);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_client_registry_across_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_request_both_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bank_kill9, setup, teardown),
    };
    return cmocka_run_group_tests_name("e2e_nodes", tests, NULL, NULL);
}
