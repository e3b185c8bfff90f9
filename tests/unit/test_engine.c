/*
 * test_engine.c - the writer thread: group commit from many threads, a refused
 * command rolled back without spoiling its batch, done() once per command after
 * commit, the queue bound, and stop draining everything; a store error that
 * ends the transaction ends the batch (nothing of it applied).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/limits.h"
#include "engine/engine.h"
#include "pg/pgtest.h"
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
static char db_uri[512]; /* SQLite: dir/db; PostgreSQL (FUNDGATE_TEST_PG): a fresh database */

static struct engine *engine_new(void)
{
    snprintf(dir, sizeof(dir), "/tmp/fg-engine-XXXXXX");
    assert_non_null(mkdtemp(dir));
    if (pgtest_base())
        assert_true(pgtest_db_create("engine", db_uri, sizeof(db_uri)));
    else
        snprintf(db_uri, sizeof(db_uri), "%s/db", dir);
    struct store *s;
    struct fg_err err;
    assert_int_equal(store_open(db_uri, true, &s, &err), 0);
    struct engine *e;
    assert_int_equal(engine_create(s, &e, &err), 0);
    return e;
}

static int64_t count_rows(void)
{
    struct store *s;
    struct fg_err err;
    int64_t n = -1;
    assert_int_equal(store_open(db_uri, false, &s, &err), 0);
    assert_int_equal(store_query_int(s, "SELECT COUNT(*) FROM audit", STORE_NOARGS, &n, &err), 0);
    store_close(s);
    return n;
}

static void cleanup_dir(void)
{
    if (pgtest_base())
        pgtest_db_drop(db_uri);
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

/* Savepoint-free commands: index % 3 == 1 refuses before writing, index % 3 == 2
 * writes (a plain insert) and, when `liar`, then refuses. */
struct sfcmd {
    struct engine_cmd ec;
    int index;
    bool liar;
    int op_error;
    int done_calls;
    int status;
};

static int sfcmd_run(struct engine_cmd *ec, struct store *s, int64_t now_ms)
{
    struct sfcmd *c = (struct sfcmd *)ec;
    if (c->op_error)
        return c->op_error; /* an operating error before any write */
    if (c->index % 3 == 1)
        return -FG_EINSUFFICIENT_FUNDS; /* refused, nothing written */
    char target[32];
    snprintf(target, sizeof(target), "sf%d", c->index);
    int rc = store_exec_changes(
        s, "INSERT INTO audit (ts_ms, actor, action, target, trace) VALUES (?, 'test', 'x', ?, '')",
        STORE_ARGS(SA_INT(now_ms), SA_TEXT(target)), NULL, NULL);
    if (rc < 0)
        return rc;
    return c->liar && c->index % 3 == 2 ? -FG_EINSUFFICIENT_FUNDS : 0;
}

static void sfcmd_done(struct engine_cmd *ec, int status)
{
    struct sfcmd *c = (struct sfcmd *)ec;
    c->status = status;
    __atomic_add_fetch(&c->done_calls, 1, __ATOMIC_RELEASE);
}

#define SF_CMDS 30

/* Hold the writer, queue cmds, let go: they run as one batch. */
static void run_one_batch(struct engine *e, struct sfcmd *cmds, int n)
{
    __atomic_store_n(&gate_open, 0, __ATOMIC_RELEASE);
    struct engine_cmd blocker = {.run = blocking_run};
    assert_int_equal(engine_submit(e, &blocker), 0);
    while (engine_queue_depth(e) != 0)
        usleep(1000);
    for (int i = 0; i < n; i++)
        assert_int_equal(engine_submit(e, &cmds[i].ec), 0);
    int64_t batches = engine_batches(e);
    __atomic_store_n(&gate_open, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < n; i++)
        while (__atomic_load_n(&cmds[i].done_calls, __ATOMIC_ACQUIRE) == 0)
            usleep(1000);
    assert_int_equal(engine_batches(e), batches + 2); /* the blocker's, then theirs */
    for (int i = 0; i < n; i++)
        assert_int_equal(__atomic_load_n(&cmds[i].done_calls, __ATOMIC_ACQUIRE), 1);
}

static void sf_init(struct sfcmd *cmds, int n, bool liar)
{
    for (int i = 0; i < n; i++)
        cmds[i] =
            (struct sfcmd){.ec = {.run = sfcmd_run, .done = sfcmd_done, .savepoint_free = true},
                           .index = i,
                           .liar = liar};
}

static void test_savepoint_free(void **state)
{
    (void)state;
    struct engine *e = engine_new();
    struct sfcmd cmds[SF_CMDS];

    /* Refusals that wrote nothing: the rest of the batch commits. */
    sf_init(cmds, SF_CMDS, false);
    run_one_batch(e, cmds, SF_CMDS);
    int kept = 0;
    for (int i = 0; i < SF_CMDS; i++) {
        assert_int_equal(cmds[i].status, 0);
        assert_int_equal(cmds[i].ec.result, i % 3 == 1 ? -FG_EINSUFFICIENT_FUNDS : 0);
        kept += i % 3 != 1;
    }

    /* A refusal after writing: the whole batch is rolled back and fails. */
    sf_init(cmds, SF_CMDS, true);
    run_one_batch(e, cmds, SF_CMDS);
    for (int i = 0; i < SF_CMDS; i++)
        assert_true(cmds[i].status < 0);

    /* An operating error, even before writing: the batch fails too. */
    sf_init(cmds, SF_CMDS, false);
    cmds[SF_CMDS - 1].op_error = -FG_ESTORE;
    run_one_batch(e, cmds, SF_CMDS);
    for (int i = 0; i < SF_CMDS; i++)
        assert_true(cmds[i].status < 0);

    /* Mixed with savepoint commands, and after the failures, the engine works. */
    sf_init(cmds, 3, false);
    struct tcmd plain = {.ec = {.run = tcmd_run, .done = tcmd_done}, .index = 1};
    assert_int_equal(engine_run_sync(e, &plain.ec), 0);
    assert_int_equal(engine_run_sync(e, &cmds[0].ec), 0);
    assert_int_equal(engine_run_sync(e, &cmds[2].ec), 0);
    assert_int_equal(engine_run_sync(e, &cmds[1].ec), 0); /* refused, committed nothing */
    assert_int_equal(cmds[1].ec.result, -FG_EINSUFFICIENT_FUNDS);
    engine_destroy(e);
    assert_int_equal(count_rows(), kept + 3);
    cleanup_dir();
}

/* A command that ignores a failed statement and writes on (a careless
 * command, or one whose error path is wrong). */
static int careless_run(struct engine_cmd *ec, struct store *s, int64_t now_ms)
{
    struct sfcmd *c = (struct sfcmd *)ec;
    for (int k = 0; k < 3; k++) {
        char target[32];
        snprintf(target, sizeof(target), "careless%d.%d", c->index, k);
        (void)store_exec_changes(s,
                                 "INSERT INTO audit (ts_ms, actor, action, target, trace) "
                                 "VALUES (?, 'test', 'x', ?, '')",
                                 STORE_ARGS(SA_INT(now_ms), SA_TEXT(target)), NULL, NULL);
    }
    return 0;
}

/* After a statement fails and the database ends the transaction, nothing more
 * of the batch reaches the database (it would run in autocommit and be
 * committed behind the engine's back): every command of the batch fails and
 * no row of it exists. Then a SAVEPOINT that fails the same way. */
static void test_store_error_ends_batch(void **state)
{
    (void)state;
    struct engine *e = engine_new();
    struct sfcmd cmds[6];
    for (int round = 0; round < 2; round++) {
        sf_init(cmds, 6, false);
        for (int i = 0; i < 6; i++) {
            cmds[i].index = 3 * i; /* every one writes and succeeds */
            cmds[i].ec.savepoint_free = i % 2 == 1;
        }
        cmds[1].ec.run = careless_run;
        cmds[3].ec.run = careless_run;
        if (round == 0) /* the second statement of the first savepoint-free command */
            engine_fault_set(e, ENGINE_FAULT_FAIL_STATEMENT, 1);
        else /* the SAVEPOINT of the second savepoint-taking command */
            engine_fault_set(e, ENGINE_FAULT_FAIL_SAVEPOINT, 2);
        run_one_batch(e, cmds, 6);
        for (int i = 0; i < 6; i++)
            assert_int_equal(cmds[i].status, -FG_ESTORE);
    }
    /* The engine goes on: the next batch commits. */
    sf_init(cmds, 1, false);
    assert_int_equal(engine_run_sync(e, &cmds[0].ec), 0);
    engine_destroy(e);
    assert_int_equal(count_rows(), 1);
    cleanup_dir();
}

/* A savepoint-free command whose statement fails for a reason of its own:
 * a duplicate key it turns into a refusal. SQLite keeps the transaction; a
 * failed statement fails a PostgreSQL transaction, so there the engine runs
 * the batch again with a savepoint for it. Either way the refusal is its
 * answer and the rest of the batch commits, each once. */
static int dup_run(struct engine_cmd *ec, struct store *s, int64_t now_ms)
{
    (void)ec;
    int rc = store_exec_changes(
        s, "INSERT INTO currencies (code, digits, digital, created_ms) VALUES ('DUP', 2, 0, ?)",
        STORE_ARGS(SA_INT(now_ms)), NULL, NULL);
    return rc == -FG_ECONSTRAINT ? -FG_EEXISTS : rc;
}

static void test_conflicts_run_again(void **state)
{
    (void)state;
    struct engine *e = engine_new();
    struct sfcmd cmds[8];
    /* A serialization failure (injected) in the 3rd command: all run again. */
    sf_init(cmds, 8, false);
    for (int i = 0; i < 8; i++) {
        cmds[i].index = 3 * i;
        cmds[i].ec.savepoint_free = i % 2 == 0;
    }
    engine_fault_set(e, ENGINE_FAULT_FAIL_CONFLICT, 3);
    run_one_batch(e, cmds, 8);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(cmds[i].status, 0);
        assert_int_equal(cmds[i].ec.result, 0);
    }
    /* A duplicate key in a savepoint-free command. */
    struct sfcmd first = {.ec = {.run = dup_run, .done = sfcmd_done}};
    assert_int_equal(engine_run_sync(e, &first.ec), 0);
    sf_init(cmds, 8, false);
    for (int i = 0; i < 8; i++)
        cmds[i].index = 3 * (i + 40);
    cmds[4].ec.run = dup_run;
    run_one_batch(e, cmds, 8);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(cmds[i].status, 0);
        assert_int_equal(cmds[i].ec.result, i == 4 ? -FG_EEXISTS : 0);
    }
    engine_destroy(e);
    assert_int_equal(count_rows(), 8 + 7); /* each once, none twice */
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
    /* A file database gets a background checkpointer: a short log is copied
     * within FG_ENGINE_CHECKPOINT_IDLE_MS even when no commit asks for it. */
    for (int i = 0; i < 4 * FG_ENGINE_CHECKPOINT_IDLE_MS / 5 && engine_checkpoints(e) == 0; i++)
        usleep(5000);
    /* PostgreSQL checkpoints by itself: no checkpointer there. */
    assert_true(pgtest_base() ? engine_checkpoints(e) == 0 : engine_checkpoints(e) > 0);
    engine_destroy(e);
    assert_int_equal(count_rows(), 1);
    cleanup_dir();
}

/* Periodic jobs (issue 11): each runs at the start of a batch, in its own
 * savepoint, no more often than its interval; a failed one is rolled back
 * and the batch goes on; the list is bounded. */
static int job_runs, job_budget_seen;

static int job_count_run(struct store *s, int64_t now_ms, int budget, int *done, struct fg_err *err)
{
    (void)s, (void)now_ms, (void)err;
    __atomic_add_fetch(&job_runs, 1, __ATOMIC_RELAXED);
    job_budget_seen = budget;
    *done = 0;
    return 0;
}

static int job_fail_run(struct store *s, int64_t now_ms, int budget, int *done, struct fg_err *err)
{
    (void)budget, (void)done;
    int rc = store_exec_changes(
        s,
        "INSERT INTO audit (ts_ms, actor, action, target, trace) VALUES (?, 'job', 'x', 'j', '')",
        STORE_ARGS(SA_INT(now_ms)), NULL, err);
    return rc < 0 ? rc : fg_fail(err, -FG_EINTERNAL, "a job that fails after writing");
}

static const struct engine_job job_every = {"every", job_count_run, 7, 0};
static const struct engine_job job_hourly = {"hourly", job_count_run, 1, 3600 * 1000};
static const struct engine_job job_failing = {"failing", job_fail_run, 1, 0};

static void test_periodic_jobs(void **state)
{
    (void)state;
    struct engine *e = engine_new();
    assert_int_equal(engine_job_add(e, &job_failing), 0);
    assert_int_equal(engine_job_add(e, &job_every), 0);
    assert_int_equal(engine_job_add(e, &job_hourly), 0);
    for (int i = 3; i < FG_ENGINE_JOBS_MAX; i++)
        assert_int_equal(engine_job_add(e, &job_every), 0);
    assert_int_equal(engine_job_add(e, &job_every), -FG_ELIMIT);
    __atomic_store_n(&job_runs, 0, __ATOMIC_RELAXED);
    struct tcmd c[3] = {{.index = 1}, {.index = 2}, {.index = 3}};
    for (int i = 0; i < 3; i++) {
        c[i].ec.run = tcmd_run;
        assert_int_equal(engine_run_sync(e, &c[i].ec), 0);
    }
    engine_stop(e);
    int every = FG_ENGINE_JOBS_MAX - 2; /* job_every's entries */
    int runs = __atomic_load_n(&job_runs, __ATOMIC_RELAXED);
    /* At least three batches ran each "every" entry; "hourly" ran once. */
    assert_true(runs >= 3 * every + 1);
    assert_int_equal((runs - 1) % every, 0);
    assert_int_equal(job_budget_seen, 7);
    engine_destroy(e);
    assert_int_equal(count_rows(), 3); /* the commands' rows; the failed job's is gone */
    cleanup_dir();
}

/* A job's interval is real time: a wall clock that tests set and that stands
 * still (core/clock.h) must not stop the jobs (the FX settlement sweep
 * settles the deals of a test that moved the clock to their value day). */
static const struct engine_job job_fast = {"fast", job_count_run, 1, 200};

static void test_job_interval_frozen_clock(void **state)
{
    (void)state;
    struct engine *e = engine_new();
    fg_clock_set_ms(INT64_C(1767225600000)); /* 2026-01-01, and it stays there */
    assert_int_equal(engine_job_add(e, &job_fast), 0);
    __atomic_store_n(&job_runs, 0, __ATOMIC_RELAXED);
    struct tcmd c[2] = {{.index = 1}, {.index = 2}};
    c[0].ec.run = tcmd_run;
    assert_int_equal(engine_run_sync(e, &c[0].ec), 0);
    usleep(300 * 1000); /* longer than the interval, on the real clock */
    c[1].ec.run = tcmd_run;
    assert_int_equal(engine_run_sync(e, &c[1].ec), 0);
    engine_stop(e);
    fg_clock_set_ms(0);
    assert_true(__atomic_load_n(&job_runs, __ATOMIC_RELAXED) >= 2);
    engine_destroy(e);
    cleanup_dir();
}

/* The fault "fail the next commit" is for the next batch of commands: the
 * writer's idle turns (periodic jobs with no command) must not use it up
 * before the command it was set for arrives (main's engine fix, kept on the
 * seams: an idle turn once took it and the e2e fault test saw a success). */
static void test_fail_commits_skips_idle_turns(void **state)
{
    (void)state;
    struct engine *e = engine_new();
    assert_int_equal(engine_job_add(e, &job_fast), 0);
    __atomic_store_n(&job_runs, 0, __ATOMIC_RELAXED);
    engine_fault_set(e, ENGINE_FAULT_FAIL_COMMITS, 1);
    /* Idle turns run the job meanwhile (the writer wakes when idle). */
    for (int i = 0; i < 300 && __atomic_load_n(&job_runs, __ATOMIC_RELAXED) < 2; i++)
        usleep(10 * 1000);
    assert_true(__atomic_load_n(&job_runs, __ATOMIC_RELAXED) >= 2);
    struct tcmd c[2] = {{.index = 1}, {.index = 2}};
    c[0].ec.run = tcmd_run;
    c[0].ec.done = tcmd_done;
    assert_int_equal(engine_run_sync(e, &c[0].ec), -FG_ESTORE); /* the fault, still there */
    c[1].ec.run = tcmd_run;
    c[1].ec.done = tcmd_done;
    assert_int_equal(engine_run_sync(e, &c[1].ec), 0); /* used up by one batch */
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
        cmocka_unit_test(test_savepoint_free),
        cmocka_unit_test(test_store_error_ends_batch),
        cmocka_unit_test(test_conflicts_run_again),
        cmocka_unit_test(test_periodic_jobs),
        cmocka_unit_test(test_job_interval_frozen_clock),
        cmocka_unit_test(test_fail_commits_skips_idle_turns),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
