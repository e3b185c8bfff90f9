/*
 * test_nodes.c - several fundgate nodes on one PostgreSQL database (issue 14),
 * end to end: two `fundgate serve` processes share the database and both take
 * writes.
 *
 *  - a client posted to one node works on the other at once, and a change to
 *    it reaches the other within a second;
 *  - the same request id sent to both nodes at the same moment moves money
 *    once, and both answer the same (admin: the same bytes);
 *  - the bank workload (bank.h: TradeBoss opens and closes among six
 *    customers from eight client threads, each request sent to either node
 *    and again to the other until answered) while either node is killed with
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

#include "bank.h"
#include "harness.h"

#define THREADS 8
#define LOAD_SECONDS 24
#define KILL_EVERY_MS 3000
#define OPEN_PATH BANK_EXEC_PATH
#define now_ms bank_now_ms

struct nodes {
    struct fgsrv n[2];
};

static int setup(void **state)
{
    if (!fgh_on_pg())
        return 0; /* the tests skip */
    struct nodes *ns = calloc(1, sizeof(*ns));
    ns->n[0].keep_port = ns->n[1].keep_port = true;
    fgsrv_start(&ns->n[0]);
    snprintf(ns->n[1].db, sizeof(ns->n[1].db), "%s", ns->n[0].db); /* one database */
    fgsrv_start(&ns->n[1]);
    bank_seed(&ns->n[0]);
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

static char *tb_code(const struct fgsrv *s, int company, const char *path, const char *body)
{
    struct fgresp r;
    if (bank_tb_call(s, company, path, body, &r) < 0)
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
        t->rc = bank_tb_call(t->s, t->company, t->path, t->body, &t->r);
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
        bank_tb_body(body, sizeof(body), "u1", "OPEN_POSITION", "2.00", no);
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

static void test_bank_kill9(void **state)
{
    struct nodes *ns = *state;
    if (!ns)
        skip();
    struct bank *b = bank_start(ns->n, 2, THREADS);
    int kills = 0;
    for (int64_t t0 = now_ms(); now_ms() - t0 < LOAD_SECONDS * 1000; kills++) {
        usleep(KILL_EVERY_MS * 1000);
        struct fgsrv *victim = &ns->n[kills % 2];
        fgsrv_kill9(victim);
        usleep(200000);
        fgsrv_start(victim); /* same database, same port */
    }
    assert_true(bank_stop(b));
    fprintf(stderr, "bank: %d kills\n", kills);
    assert_true(kills >= 4);
    bank_verify(b, &ns->n[0]);
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
