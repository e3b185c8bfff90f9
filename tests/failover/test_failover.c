/*
 * test_failover.c - `make test-failover` (issue 14): no acknowledged write is
 * lost when the PostgreSQL primary dies.
 *
 * tests/pg/cluster.sh start-pair runs a primary and a synchronous streaming
 * standby (synchronous_commit=remote_apply). Two fundgate nodes connect
 * through the multi-host URI (target_session_attrs=read-write) and take the
 * bank workload (tests/e2e/bank.h) from eight client threads. Mid-load the
 * primary is killed with kill -9 (postmaster and every backend); while no
 * primary exists fundgate answers "busy" and the clients retry; then the
 * standby is promoted (pg_ctl promote) and fundgate reconnects by itself.
 * At the end: every request was answered once as applied or refused, each
 * applied one is on the new primary exactly once (its retry, if its first
 * answer was lost, was replayed, not applied again), each refused one is
 * not, balances match the answers, and the ledger reconciles.
 *
 * Environment (CTest sets it): FUNDGATE_BIN, FUNDGATE_TEST_PG_PAIR (the
 * directory of the pair), FUNDGATE_CLUSTER_SH (tests/pg/cluster.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bank.h"
#include "harness.h"

#define THREADS 8
#define BEFORE_KILL_MS 4000
#define NO_PRIMARY_MS 2000
#define AFTER_PROMOTE_MS 6000

static void cluster(const char *what)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s' %s '%s'", getenv("FUNDGATE_CLUSTER_SH"), what,
             getenv("FUNDGATE_TEST_PG_PAIR"));
    assert_int_equal(system(cmd), 0);
}

static void pair_uri(char *buf, size_t cap)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/uri", getenv("FUNDGATE_TEST_PG_PAIR"));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, (int)cap, f));
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

/* Two nodes on the pair, stopped (and killed if need be) by teardown even
 * when the test fails half way. */
static int setup(void **state)
{
    assert_non_null(getenv("FUNDGATE_TEST_PG_PAIR"));
    assert_non_null(getenv("FUNDGATE_CLUSTER_SH"));
    struct fgsrv *n = calloc(2, sizeof(*n));
    for (int k = 0; k < 2; k++) {
        n[k].keep_port = true;
        pair_uri(n[k].db, sizeof(n[k].db));
        fgsrv_start(&n[k]);
    }
    *state = n;
    return 0;
}

static int teardown(void **state)
{
    struct fgsrv *n = *state;
    int rc[2];
    for (int k = 0; k < 2; k++) {
        rc[k] = fgsrv_stop(&n[k]);
        n[k].db[0] = '\0'; /* the pair is removed by the fixture */
        fgsrv_cleanup(&n[k]);
    }
    free(n);
    assert_int_equal(rc[0], 0);
    assert_int_equal(rc[1], 0);
    return 0;
}

static void test_primary_killed_standby_promoted(void **state)
{
    struct fgsrv *n = *state;
    bank_seed(&n[0]);
    struct bank *b = bank_start(n, 2, THREADS);
    usleep(BEFORE_KILL_MS * 1000);
    int before = bank_answered(b);
    cluster("kill-primary");
    usleep(NO_PRIMARY_MS * 1000);
    int during = bank_answered(b);
    cluster("promote");
    usleep(AFTER_PROMOTE_MS * 1000);
    assert_true(bank_stop(b));
    int after = bank_answered(b);
    fprintf(stderr,
            "failover: %d answered before the kill, %d more without a primary, %d after "
            "the promotion\n",
            before, during - before, after - during);
    assert_true(before > 0 && after > during); /* load went on across the failover */
    for (int k = 0; k < 2; k++)
        assert_true(fgh_log_count(&n[k], "connection re-established") > 0);
    bank_verify(b, &n[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_primary_killed_standby_promoted, setup, teardown),
    };
    return cmocka_run_group_tests_name("failover", tests, NULL, NULL);
}
