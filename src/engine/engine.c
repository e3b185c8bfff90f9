/*
 * engine.c - the writer thread and group commit; see engine.h.
 *
 * The queue is an intrusive singly linked list under one mutex: submitters
 * append at the tail, the writer takes up to FG_ENGINE_BATCH_MAX from the head.
 * At the start of a batch the writer runs its periodic jobs (engine.h), and
 * it wakes at least every ENGINE_IDLE_WAKE_MS to do so when idle.
 *
 * Checkpoints: SQLite's default has the committing connection copy the log
 * into the database after the commit that passes 1,000 log pages, on the
 * writer's path. With a database file the engine runs a checkpointer thread
 * on its own connection instead, asked after a commit that leaves more than
 * FG_ENGINE_CHECKPOINT_PAGES in the log (and every FG_ENGINE_CHECKPOINT_IDLE_MS
 * when idle); the writer keeps a
 * bound (FG_STORE_WAL_PAGES_MAX) in case it stalls. Checkpoints never decide
 * durability: a command is answered once its COMMIT synced the log.
 */
#include "engine/engine.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/metrics.h"
#include "ledger/ledger.h"
#include "store/store.h"

#define ENGINE_IDLE_WAKE_MS 500

struct engine {
    struct store *store;
    pthread_t writer;
    /* The checkpointer: its own connection copies committed log frames into
     * the database while the writer goes on committing (store.h). */
    struct store *peer;
    pthread_t checkpointer;
    pthread_mutex_t ck_mu;
    pthread_cond_t ck_cv;
    bool ck_wanted, ck_stop;
    int64_t checkpoints;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct engine_cmd *head, *tail;
    int64_t depth;
    int64_t batches;
    /* Fault injection (tests only, engine.h): counters the HTTP threads set
     * and the writer counts down. */
    int fail_commits;      /* batches still to fail at COMMIT */
    int fail_savepoint_at; /* savepoint-taking commands until the one whose SAVEPOINT fails */
    int fail_statement_at; /* savepoint-free commands until the one whose statement fails */
    int64_t full_pages;    /* page limit to apply before the next batch; -1 none */
    int pause_ms;          /* wait before taking the next batch */
    int fail_conflict_at;  /* commands until the one whose statement conflicts */
    bool retry;            /* the batch just rolled back is worth running again */
    /* Periodic jobs: entries are written before job_count (under mu) moves
     * past them and never change after; the writer reads the count under mu. */
    const struct engine_job *jobs[FG_ENGINE_JOBS_MAX];
    int64_t job_last_ms[FG_ENGINE_JOBS_MAX]; /* the writer's only; monotonic ms */
    int job_count;
    bool stopping;
    bool stopped;
    bool started;
};

int engine_submit(struct engine *e, struct engine_cmd *cmd)
{
    FG_ASSERT(cmd->run != NULL);
    cmd->next = NULL;
    cmd->not_run = false;
    cmd->needs_savepoint = false;
    pthread_mutex_lock(&e->mu);
    if (e->stopping) {
        pthread_mutex_unlock(&e->mu);
        return -FG_ESHUTDOWN;
    }
    if (e->depth >= FG_ENGINE_QUEUE_DEPTH_MAX) {
        pthread_mutex_unlock(&e->mu);
        return -FG_EOVERLOADED;
    }
    if (e->tail)
        e->tail->next = cmd;
    else
        e->head = cmd;
    e->tail = cmd;
    e->depth++;
    bool wake = e->depth == 1;
    pthread_mutex_unlock(&e->mu);
    if (wake)
        pthread_cond_signal(&e->cv);
    return 0;
}

int engine_job_add(struct engine *e, const struct engine_job *job)
{
    FG_ASSERT(job->run && job->budget > 0 && job->interval_ms >= 0);
    pthread_mutex_lock(&e->mu);
    int rc = e->job_count < FG_ENGINE_JOBS_MAX ? 0 : -FG_ELIMIT;
    if (rc == 0) {
        e->jobs[e->job_count] = job;
        e->job_last_ms[e->job_count] = INT64_MIN;
        e->job_count++;
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

int64_t engine_queue_depth(struct engine *e)
{
    pthread_mutex_lock(&e->mu);
    int64_t d = e->depth;
    pthread_mutex_unlock(&e->mu);
    return d;
}

const struct engine_fault_spec engine_faults[ENGINE_FAULT_COUNT] = {
    [ENGINE_FAULT_FAIL_COMMITS] = {"fail_commits", 1000},
    [ENGINE_FAULT_FAIL_SAVEPOINT] = {"fail_savepoint", FG_ENGINE_BATCH_MAX},
    [ENGINE_FAULT_FAIL_STATEMENT] = {"fail_statement", FG_ENGINE_BATCH_MAX},
    [ENGINE_FAULT_FULL_AFTER_PAGES] = {"full_after_pages", INT32_MAX},
    [ENGINE_FAULT_PAUSE_MS] = {"pause_ms", 10000},
    [ENGINE_FAULT_FAIL_CONFLICT] = {"fail_conflict", FG_ENGINE_BATCH_MAX},
};

void engine_fault_set(struct engine *e, enum engine_fault fault, int64_t n)
{
    FG_ASSERT(fault >= 0 && fault < ENGINE_FAULT_COUNT && n >= 0 && n <= engine_faults[fault].max);
    switch (fault) {
    case ENGINE_FAULT_FAIL_COMMITS:
        __atomic_store_n(&e->fail_commits, (int)n, __ATOMIC_RELEASE);
        break;
    case ENGINE_FAULT_FAIL_SAVEPOINT:
        __atomic_store_n(&e->fail_savepoint_at, (int)n, __ATOMIC_RELEASE);
        break;
    case ENGINE_FAULT_FAIL_STATEMENT:
        __atomic_store_n(&e->fail_statement_at, (int)n, __ATOMIC_RELEASE);
        break;
    case ENGINE_FAULT_FULL_AFTER_PAGES:
        __atomic_store_n(&e->full_pages, n, __ATOMIC_RELEASE);
        break;
    case ENGINE_FAULT_PAUSE_MS:
        __atomic_store_n(&e->pause_ms, (int)n, __ATOMIC_RELEASE);
        break;
    case ENGINE_FAULT_FAIL_CONFLICT:
        __atomic_store_n(&e->fail_conflict_at, (int)n, __ATOMIC_RELEASE);
        break;
    default:
        break;
    }
}

void engine_fault_fail_commits(struct engine *e, int n)
{
    engine_fault_set(e, ENGINE_FAULT_FAIL_COMMITS, n);
}

/* Counts one more command toward a fault at the nth: true when this is it. */
static bool fault_take(int *counter)
{
    return __atomic_load_n(counter, __ATOMIC_ACQUIRE) > 0 &&
           __atomic_sub_fetch(counter, 1, __ATOMIC_ACQ_REL) == 0;
}

/* The writer's pause (pause_ms), taken once commands wait: mu held. */
static void fault_pause(struct engine *e)
{
    int ms = e->head ? __atomic_exchange_n(&e->pause_ms, 0, __ATOMIC_ACQ_REL) : 0;
    if (ms <= 0)
        return;
    pthread_mutex_unlock(&e->mu);
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&e->mu);
}

static void fault_full_apply(struct engine *e)
{
    int64_t pages = __atomic_exchange_n(&e->full_pages, -1, __ATOMIC_ACQ_REL);
    struct fg_err err;
    if (pages >= 0 && store_fault_limit_pages(e->store, pages, &err) < 0)
        fg_warn(NULL, "engine: fault injection cannot limit the database's pages: %s", err.msg);
}

int64_t engine_batches(struct engine *e)
{
    return __atomic_load_n(&e->batches, __ATOMIC_RELAXED);
}

/* Take up to FG_ENGINE_BATCH_MAX commands; waits while the queue is empty.
 * Returns NULL when stopping and the queue is empty, or after an idle wake. */
static struct engine_cmd *take_batch(struct engine *e, int *count, bool *exit_now)
{
    pthread_mutex_lock(&e->mu);
    if (!e->head && !e->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)ENGINE_IDLE_WAKE_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&e->cv, &e->mu, &ts);
    }
    fault_pause(e);
    struct engine_cmd *first = e->head, *last = NULL;
    int n = 0;
    for (struct engine_cmd *c = e->head; c && n < FG_ENGINE_BATCH_MAX; c = c->next) {
        last = c;
        n++;
    }
    if (last) {
        e->head = last->next;
        if (!e->head)
            e->tail = NULL;
        last->next = NULL;
        e->depth -= n;
    }
    *exit_now = !first && e->stopping;
    metrics_queue_depth_set(e->depth);
    pthread_mutex_unlock(&e->mu);
    *count = n;
    return first;
}

/* After a commit: let the checkpointer run once the log is long enough to be
 * worth it (each checkpoint copies every page the log holds; the same hot
 * pages checkpointed after every small commit would cost more than SQLite's
 * own schedule). */
static void checkpoint_request(struct engine *e)
{
    if (!e->peer || store_log_pages(e->store) < FG_ENGINE_CHECKPOINT_PAGES)
        return;
    pthread_mutex_lock(&e->ck_mu);
    bool wake = !e->ck_wanted;
    e->ck_wanted = true;
    pthread_mutex_unlock(&e->ck_mu);
    if (wake)
        pthread_cond_signal(&e->ck_cv);
}

static void *checkpointer_main(void *arg)
{
    struct engine *e = arg;
    pthread_mutex_lock(&e->ck_mu);
    while (!e->ck_stop) {
        if (!e->ck_wanted) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += (long)FG_ENGINE_CHECKPOINT_IDLE_MS * 1000000L;
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            /* Asked, or a quiet second: either way copy what the log holds,
             * so a log left long by the last burst does not wait for the next. */
            pthread_cond_timedwait(&e->ck_cv, &e->ck_mu, &ts);
            if (e->ck_stop)
                break;
        }
        e->ck_wanted = false;
        pthread_mutex_unlock(&e->ck_mu);
        struct fg_err err;
        if (store_checkpoint(e->peer, &err) < 0)
            fg_warn(NULL, "background checkpoint failed (the writer's bound still holds): %s",
                    err.msg);
        __atomic_add_fetch(&e->checkpoints, 1, __ATOMIC_RELAXED);
        pthread_mutex_lock(&e->ck_mu);
    }
    pthread_mutex_unlock(&e->ck_mu);
    return NULL;
}

int64_t engine_checkpoints(struct engine *e)
{
    return __atomic_load_n(&e->checkpoints, __ATOMIC_RELAXED);
}

/* The batch cannot go on (engine.h, "After a store error"): roll it back;
 * unless it is worth running again (engine.h, "Retries"), every command of it
 * is answered unavailable. */
static int batch_abort(struct engine *e, int n, const char *why, const char *detail)
{
    if (store_txn_conflicted(e->store))
        e->retry = true;
    fg_error(NULL, "engine: %s (%s); rolling back its batch of %d, nothing of it applied%s", why,
             detail, n, e->retry ? "; it runs again" : "");
    store_rollback(e->store);
    return -FG_ESTORE;
}

const struct engine_job engine_job_hold_expiry = {
    .name = "hold_expiry",
    .run = ledger_holds_expire,
    .budget = FG_ENGINE_HOLD_EXPIRE_BATCH_MAX,
};

/* One job in its own savepoint: 0, or the batch's abort when the transaction
 * did not survive (a failed job alone is rolled back to its savepoint). */
static int job_run(struct engine *e, const struct engine_job *job, int64_t now_ms, int n)
{
    struct fg_err err = {0};
    int done = 0;
    if (store_savepoint(e->store, "job", &err) < 0)
        return store_txn_active(e->store) ? 0
                                          : batch_abort(e, n, "a job's SAVEPOINT failed", err.msg);
    if (job->run(e->store, now_ms, job->budget, &done, &err) < 0) {
        fg_error(NULL, "periodic job %s failed: %s", job->name, err.msg);
        if (store_rollback_to(e->store, "job", &err) < 0)
            return batch_abort(e, n, "ROLLBACK TO after a job failed", err.msg);
    } else if (done) {
        fg_info(NULL, "periodic job %s: %d done", job->name, done);
    }
    if (store_release(e->store, "job", &err) < 0 || !store_txn_active(e->store))
        return batch_abort(e, n, "a job left the transaction failed or ended", job->name);
    return 0;
}

/* Each job whose interval has passed (engine.h, "Periodic jobs"). Intervals
 * are measured on the monotonic clock: the wall clock may be set by tests
 * (core/clock.h) and stand still, which must not stop the jobs. */
static int jobs_run(struct engine *e, int64_t now_ms, int n)
{
    pthread_mutex_lock(&e->mu);
    int count = e->job_count;
    pthread_mutex_unlock(&e->mu);
    int64_t mono_ms = fg_clock_mono_ns() / 1000000;
    for (int i = 0; i < count; i++) {
        const struct engine_job *job = e->jobs[i];
        if (e->job_last_ms[i] != INT64_MIN && mono_ms - e->job_last_ms[i] < job->interval_ms)
            continue;
        e->job_last_ms[i] = mono_ms;
        int rc = job_run(e, job, now_ms, n);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Arm the conflict fault for the command about to run, when it is the one. */
static void fault_arm_conflict(struct engine *e)
{
    if (fault_take(&e->fail_conflict_at))
        store_fault_arm(e->store, STORE_FAULT_CONFLICT, 1);
}

/* A savepoint-free command: only the whole batch can undo what it wrote. */
static int run_cmd_free(struct engine *e, struct engine_cmd *c, int64_t now_ms, int n)
{
    int64_t changes_before = store_changes_total(e->store);
    fault_arm_conflict(e);
    if (fault_take(&e->fail_statement_at))
        store_fault_arm(e->store, STORE_FAULT_STATEMENT, 2);
    c->result = c->run(c, e->store, now_ms);
    store_fault_arm(e->store, STORE_FAULT_NONE, 0);
    if (store_txn_state(e->store) == STORE_TXN_FAILED) {
        /* PostgreSQL after a failed statement: only a savepoint could have
         * kept the batch; the next attempt gives this command one. */
        c->needs_savepoint = true;
        e->retry = true;
        return batch_abort(e, n, "a savepoint-free command left the transaction failed",
                           fg_code_name(c->result));
    }
    if (!store_txn_active(e->store))
        return batch_abort(e, n, "a savepoint-free command left the transaction ended",
                           fg_code_name(c->result));
    /* An operating error (the store may be mid-write), or a refusal after
     * writing: without a savepoint only the whole batch can be undone. */
    if (c->result < 0 &&
        (fg_code_http_status(c->result) >= 500 || store_changes_total(e->store) != changes_before))
        return batch_abort(e, n, "a savepoint-free command failed after writing",
                           fg_code_name(c->result));
    return 0;
}

/* A command inside its own savepoint: a refusal undoes only its own work. */
static int run_cmd_savepoint(struct engine *e, struct engine_cmd *c, int64_t now_ms, int n)
{
    struct fg_err err = {0};
    if (fault_take(&e->fail_savepoint_at))
        store_fault_arm(e->store, STORE_FAULT_SAVEPOINT, 1);
    int rc = store_savepoint(e->store, "cmd", &err);
    store_fault_arm(e->store, STORE_FAULT_NONE, 0);
    if (rc < 0) {
        if (!store_txn_active(e->store))
            return batch_abort(e, n, "SAVEPOINT failed and the transaction did not survive",
                               err.msg);
        fg_error(NULL,
                 "engine: SAVEPOINT failed (%s); its command does not run and is answered "
                 "unavailable, the batch goes on",
                 err.msg);
        c->result = rc;
        c->not_run = true;
        return 0;
    }
    fault_arm_conflict(e);
    c->result = c->run(c, e->store, now_ms);
    store_fault_arm(e->store, STORE_FAULT_NONE, 0);
    if (c->result < 0 && store_rollback_to(e->store, "cmd", &err) < 0)
        return batch_abort(e, n, "ROLLBACK TO failed", err.msg);
    if (!store_txn_active(e->store))
        return batch_abort(e, n, "a command left the transaction failed or ended",
                           fg_code_name(c->result));
    if (store_txn_conflicted(e->store)) /* its answer was "busy": run it again instead */
        return batch_abort(e, n, "a command met a conflict with another transaction",
                           fg_code_name(c->result));
    if (store_release(e->store, "cmd", &err) < 0)
        return batch_abort(e, n, "RELEASE failed", err.msg);
    return 0;
}

/* BEGIN, the periodic jobs, every command, COMMIT: 0 when the batch committed. */
static int batch_apply(struct engine *e, struct engine_cmd *first, int n)
{
    struct fg_err err;
    int64_t now_ms = fg_clock_now_ms();
    fault_full_apply(e);
    int status = store_begin(e->store, &err);
    if (status < 0) {
        e->retry = status == -FG_EBUSY; /* waited too long for another writer */
        fg_error(NULL, "engine begin failed: %s", err.msg);
        return status;
    }
    if ((status = jobs_run(e, now_ms, n)) < 0)
        return status;
    for (struct engine_cmd *c = first; c; c = c->next) {
        status = c->savepoint_free && !c->needs_savepoint ? run_cmd_free(e, c, now_ms, n)
                                                          : run_cmd_savepoint(e, c, now_ms, n);
        if (status < 0)
            return status;
    }
    /* An idle turn (no command) is no batch: it must not use the fault up. */
    if (n > 0 && __atomic_load_n(&e->fail_commits, __ATOMIC_ACQUIRE) > 0 &&
        __atomic_sub_fetch(&e->fail_commits, 1, __ATOMIC_ACQ_REL) >= 0) {
        fg_warn(NULL, "engine: fault injection fails the commit of %d commands", n);
        store_rollback(e->store);
        return -FG_ESTORE;
    }
    status = store_commit(e->store, &err);
    if (status < 0) {
        e->retry = status == -FG_EBUSY; /* a serialization failure at COMMIT */
        fg_error(NULL, "engine commit of %d commands failed: %s", n, err.msg);
    } else {
        checkpoint_request(e);
    }
    return status;
}

/* batch_apply, and again while it asks to (engine.h, "Retries"). */
static int batch_apply_retrying(struct engine *e, struct engine_cmd *first, int n)
{
    for (int attempt = 0;; attempt++) {
        e->retry = false;
        int status = batch_apply(e, first, n);
        if (status == 0 || !e->retry || attempt >= FG_ENGINE_BATCH_RETRIES_MAX)
            return status;
        fg_warn(NULL, "engine: running the batch of %d again (attempt %d of %d)", n, attempt + 2,
                FG_ENGINE_BATCH_RETRIES_MAX + 1);
        for (struct engine_cmd *c = first; c; c = c->next) {
            c->not_run = false;
            c->result = 0;
        }
    }
}

static void run_batch(struct engine *e, struct engine_cmd *first, int n)
{
    int64_t t0 = fg_clock_mono_ns();
    int status = batch_apply_retrying(e, first, n);
    metrics_commit_observe(fg_clock_mono_ns() - t0);
    if (n) {
        metrics_batch_observe(n);
        __atomic_add_fetch(&e->batches, 1, __ATOMIC_RELAXED);
    }
    for (struct engine_cmd *c = first, *next; c; c = next) {
        next = c->next; /* done() may free c */
        if (c->done)
            c->done(c, c->not_run && status == 0 ? -FG_ESTORE : status);
    }
}

static void *writer_main(void *arg)
{
    struct engine *e = arg;
    for (;;) {
        int n;
        bool exit_now;
        struct engine_cmd *first = take_batch(e, &n, &exit_now);
        if (exit_now)
            break;
        run_batch(e, first, n);
    }
    return NULL;
}

static void checkpointer_stop(struct engine *e)
{
    pthread_mutex_lock(&e->ck_mu);
    e->ck_stop = true;
    pthread_mutex_unlock(&e->ck_mu);
    pthread_cond_signal(&e->ck_cv);
    pthread_join(e->checkpointer, NULL);
}

int engine_create(struct store *writer, struct engine **out, struct fg_err *err)
{
    struct engine *e = calloc(1, sizeof(*e));
    if (!e)
        return fg_fail(err, -FG_ENOMEM, "out of memory creating the engine");
    e->store = writer;
    e->full_pages = -1;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    pthread_mutex_init(&e->ck_mu, NULL);
    pthread_cond_init(&e->ck_cv, NULL);
    /* A database file gets a checkpointer; without one (in memory, or a peer
     * that cannot open) the writer keeps checkpointing itself. */
    if (store_open_peer(writer, &e->peer, NULL) == 0) {
        if (pthread_create(&e->checkpointer, NULL, checkpointer_main, e) == 0) {
            store_checkpoints_hand_off(writer);
        } else {
            store_close(e->peer);
            e->peer = NULL;
        }
    }
    if (pthread_create(&e->writer, NULL, writer_main, e) != 0) {
        if (e->peer) {
            checkpointer_stop(e);
            store_close(e->peer);
        }
        pthread_cond_destroy(&e->ck_cv);
        pthread_mutex_destroy(&e->ck_mu);
        pthread_cond_destroy(&e->cv);
        pthread_mutex_destroy(&e->mu);
        free(e);
        return fg_fail(err, -FG_EINTERNAL, "cannot start the writer thread");
    }
    e->started = true;
    *out = e;
    return 0;
}

void engine_stop(struct engine *e)
{
    pthread_mutex_lock(&e->mu);
    bool join = !e->stopped;
    e->stopping = true;
    e->stopped = true;
    pthread_mutex_unlock(&e->mu);
    pthread_cond_broadcast(&e->cv);
    if (join && e->started)
        pthread_join(e->writer, NULL);
    if (join && e->peer)
        checkpointer_stop(e); /* after the writer: its last commits are durable already */
}

void engine_destroy(struct engine *e)
{
    if (!e)
        return;
    engine_stop(e);
    store_close(e->peer);
    store_close(e->store);
    pthread_cond_destroy(&e->ck_cv);
    pthread_mutex_destroy(&e->ck_mu);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

struct sync_wait {
    struct engine_cmd cmd;
    struct engine_cmd *inner;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    int status;
};

static int sync_run(struct engine_cmd *cmd, struct store *s, int64_t now_ms)
{
    struct sync_wait *w = (struct sync_wait *)cmd;
    w->inner->result = w->inner->run(w->inner, s, now_ms);
    return w->inner->result;
}

static void sync_done(struct engine_cmd *cmd, int status)
{
    struct sync_wait *w = (struct sync_wait *)cmd;
    if (w->inner->done)
        w->inner->done(w->inner, status);
    pthread_mutex_lock(&w->mu);
    w->done = true;
    w->status = status;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

int engine_run_sync(struct engine *e, struct engine_cmd *cmd)
{
    struct sync_wait w = {
        .cmd = {.run = sync_run, .done = sync_done, .savepoint_free = cmd->savepoint_free},
        .inner = cmd};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    int rc = engine_submit(e, &w.cmd);
    if (rc == 0) {
        pthread_mutex_lock(&w.mu);
        while (!w.done)
            pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
        rc = w.status;
    }
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    return rc;
}
