/*
 * test_engine.c - the writer thread: group commit from many threads, a refused
 * command rolled back without spoiling its batch, done() once per command after
 * commit, the queue bound, and stop draining everything.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/limits.h"
#include "engine/engine.h"
#include "store/store.h"

struct tcmd {
    struct engine_cmd ec;
    int index;
    int done_calls;
    int status;
};

static int tcmd_run(struct engine_cmd *ec, struct store *s, int64_t now_ms)
{
    struct tcmd *c = (struct tcmd *)ec;
    char target[32];
    snprintf(target, sizeof(target), "t%d", c->index);
    int rc = store_exec_changes(
        s, "INSERT INTO audit (ts_ms, actor, action, target, trace) VALUES (?, 'test', 'x', ?, '')",
        STORE_ARGS(SA_INT(now_ms), SA_TEXT(target)), NULL, NULL);
    if (rc < 0)
        return rc;
    return c->index % 7 == 0 ? -FG_EINSUFFICIENT_FUNDS : 0; /* refused after writing */
}

static void tcmd_done(struct engine_cmd *ec, int status)
{
    struct tcmd *c = (struct tcmd *)ec;
    c->status = status;
    __atomic_add_fetch(&c->done_calls, 1, __ATOMIC_RELEASE);
}

#define THREADS 4
#define PER_THREAD 2000

struct submit_arg {
    struct engine *e;
    struct tcmd *cmds;
    int from;
};

static void *submitter(void *p)
{
    struct submit_arg *a = p;
    for (int i = 0; i < PER_THREAD; i++) {
        struct tcmd *c = &a->cmds[a->from + i];
        c->index = a->from + i;
        c->ec.run = tcmd_run;
        c->ec.done = tcmd_done;
        while (engine_submit(a->e, &c->ec) == -FG_EOVERLOADED)
            usleep(100);
    }
    return NULL;
}

static char dir[64];

static struct engine *engine_new(void)
{
    snprintf(dir, sizeof(dir), "/tmp/fg-engine-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/db", dir);
    struct store *s;
    struct fg_err err;
    assert_int_equal(store_open(path, true, &s, &err), 0);
    struct engine *e;
    assert_int_equal(engine_create(s, &e, &err), 0);
    return e;
}

static int64_t count_rows(void)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/db", dir);
    struct store *s;
    struct fg_err err;
    int64_t n = -1;
    assert_int_equal(store_open(path, false, &s, &err), 0);
    assert_int_equal(store_query_int(s, "SELECT COUNT(*) FROM audit", STORE_NOARGS, &n, &err), 0);
    store_close(s);
    return n;
}

static void cleanup_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_group_commit(void **state)
{
    (void)state;
    struct engine *e = engine_new();
    struct tcmd *cmds = calloc(THREADS * PER_THREAD, sizeof(*cmds));
    pthread_t th[THREADS];
    struct submit_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (struct submit_arg){.e = e, .cmds = cmds, .from = i * PER_THREAD};
        pthread_create(&th[i], NULL, submitter, &args[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    engine_stop(e); /* drains and commits the rest */
    int refused = 0;
    for (int i = 0; i < THREADS * PER_THREAD; i++) {
        assert_int_equal(__atomic_load_n(&cmds[i].done_calls, __ATOMIC_ACQUIRE), 1);
        assert_int_equal(cmds[i].status, 0);
        if (i % 7 == 0) {
            assert_int_equal(cmds[i].ec.result, -FG_EINSUFFICIENT_FUNDS);
            refused++;
        } else {
            assert_int_equal(cmds[i].ec.result, 0);
        }
    }
    int64_t batches = engine_batches(e);
    fprintf(stderr, "%d commands in %lld batches\n", THREADS * PER_THREAD, (long long)batches);
    assert_true(batches < THREADS * PER_THREAD); /* commands shared commits */
    struct tcmd late = {.ec = {.run = tcmd_run, .done = tcmd_done}};
    assert_int_equal(engine_submit(e, &late.ec), -FG_ESHUTDOWN);
    assert_int_equal(late.done_calls, 0);
    engine_destroy(e);
    /* Refused commands left nothing; the others are durable. */
    assert_int_equal(count_rows(), THREADS * PER_THREAD - refused);
    free(cmds);
    cleanup_dir();
}

static volatile int gate_open;

static int blocking_run(struct engine_cmd *ec, struct store *s, int64_t now_ms)
{
    (void)ec;
    (void)s;
    (void)now_ms;
    while (!__atomic_load_n(&gate_open, __ATOMIC_ACQUIRE))
        usleep(1000);
    return 0;
}

static int noop_run(struct engine_cmd *ec, struct store *s, int64_t now_ms)
{
    (void)ec;
    (void)s;
    (void)now_ms;
    return 0;
}

static void test_queue_bound(void **state)
{
    (void)state;
    struct engine *e = engine_new();
    struct engine_cmd blocker = {.run = blocking_run};
    assert_int_equal(engine_submit(e, &blocker), 0);
    while (engine_queue_depth(e) != 0) /* the writer took it and is stuck in it */
        usleep(1000);
    usleep(20000);
    struct engine_cmd *cmds = calloc(FG_ENGINE_QUEUE_DEPTH_MAX + 1, sizeof(*cmds));
    for (int i = 0; i < FG_ENGINE_QUEUE_DEPTH_MAX; i++) {
        cmds[i].run = noop_run;
        assert_int_equal(engine_submit(e, &cmds[i]), 0);
    }
    assert_int_equal(engine_queue_depth(e), FG_ENGINE_QUEUE_DEPTH_MAX);
    cmds[FG_ENGINE_QUEUE_DEPTH_MAX].run = noop_run;
    assert_int_equal(engine_submit(e, &cmds[FG_ENGINE_QUEUE_DEPTH_MAX]), -FG_EOVERLOADED);
    __atomic_store_n(&gate_open, 1, __ATOMIC_RELEASE);
    engine_destroy(e);
    free(cmds);
    cleanup_dir();
}

static void test_run_sync(void **state)
{
    (void)state;
    struct engine *e = engine_new();
    struct tcmd c = {.ec = {.run = tcmd_run, .done = tcmd_done}, .index = 1};
    assert_int_equal(engine_run_sync(e, &c.ec), 0);
    assert_int_equal(c.done_calls, 1);
    assert_int_equal(c.ec.result, 0);
    engine_destroy(e);
    assert_int_equal(count_rows(), 1);
    cleanup_dir();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_commit),
        cmocka_unit_test(test_queue_bound),
        cmocka_unit_test(test_run_sync),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
