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
    int fail_commits; /* fault injection: batches still to fail (tests only) */
    /* Periodic jobs: entries are written before job_count (under mu) moves
     * past them and never change after; the writer reads the count under mu. */
    const struct engine_job *jobs[FG_ENGINE_JOBS_MAX];
    int64_t job_last_ms[FG_ENGINE_JOBS_MAX]; /* the writer's only */
    int job_count;
    bool stopping;
    bool stopped;
    bool started;
};

int engine_submit(struct engine *e, struct engine_cmd *cmd)
{
    FG_ASSERT(cmd->run != NULL);
    cmd->next = NULL;
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

void engine_fault_fail_commits(struct engine *e, int n)
{
    __atomic_store_n(&e->fail_commits, n, __ATOMIC_RELEASE);
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

const struct engine_job engine_job_hold_expiry = {
    .name = "hold_expiry",
    .run = ledger_holds_expire,
    .budget = FG_ENGINE_HOLD_EXPIRE_BATCH_MAX,
};

/* Each job whose interval has passed, in its own savepoint. */
static void jobs_run(struct engine *e, int64_t now_ms)
{
    pthread_mutex_lock(&e->mu);
    int n = e->job_count;
    pthread_mutex_unlock(&e->mu);
    for (int i = 0; i < n; i++) {
        const struct engine_job *job = e->jobs[i];
        struct fg_err err;
        int done = 0;
        if (e->job_last_ms[i] != INT64_MIN && now_ms - e->job_last_ms[i] < job->interval_ms)
            continue;
        e->job_last_ms[i] = now_ms;
        if (store_savepoint(e->store, "job", &err) < 0)
            return;
        if (job->run(e->store, now_ms, job->budget, &done, &err) < 0) {
            fg_error(NULL, "periodic job %s failed: %s", job->name, err.msg);
            store_rollback_to(e->store, "job", NULL);
        } else if (done) {
            fg_info(NULL, "periodic job %s: %d done", job->name, done);
        }
        store_release(e->store, "job", NULL);
    }
}

/* COMMIT (or the injected failure of one): 0 or a negative code. */
static int batch_commit(struct engine *e, int n)
{
    struct fg_err err;
    if (__atomic_load_n(&e->fail_commits, __ATOMIC_ACQUIRE) > 0 &&
        __atomic_sub_fetch(&e->fail_commits, 1, __ATOMIC_ACQ_REL) >= 0) {
        fg_warn(NULL, "engine: fault injection fails the commit of %d commands", n);
        store_rollback(e->store);
        return -FG_ESTORE;
    }
    int status = store_commit(e->store, &err);
    if (status < 0)
        fg_error(NULL, "engine commit of %d commands failed: %s", n, err.msg);
    else
        checkpoint_request(e);
    return status;
}

static void run_batch(struct engine *e, struct engine_cmd *first, int n)
{
    struct fg_err err;
    int64_t t0 = fg_clock_mono_ns();
    int64_t now_ms = fg_clock_now_ms();
    int status = store_begin(e->store, &err);
    if (status < 0) {
        fg_error(NULL, "engine begin failed: %s", err.msg);
        goto answer;
    }
    jobs_run(e, now_ms);
    for (struct engine_cmd *c = first; c; c = c->next) {
        if (c->savepoint_free) {
            int64_t changes_before = store_changes_total(e->store);
            c->result = c->run(c, e->store, now_ms);
            if (c->result < 0 && (fg_code_http_status(c->result) >= 500 ||
                                  store_changes_total(e->store) != changes_before)) {
                /* An operating error (SQLite may even have ended the
                 * transaction), or a refusal after writing: without a
                 * savepoint only the whole batch can be undone. */
                status = -FG_ESTORE;
                fg_error(NULL,
                         "engine: a savepoint-free command failed (%s) after writing; "
                         "rolling back its batch of %d",
                         fg_code_name(c->result), n);
                store_rollback(e->store);
                goto answer;
            }
            continue;
        }
        int rc = store_savepoint(e->store, "cmd", &err);
        if (rc < 0) {
            c->result = rc;
            continue;
        }
        c->result = c->run(c, e->store, now_ms);
        if (c->result < 0 && store_rollback_to(e->store, "cmd", &err) < 0) {
            status = -FG_ESTORE;
            fg_error(NULL, "engine rollback to savepoint failed: %s", err.msg);
            store_rollback(e->store);
            goto answer;
        }
        if (store_release(e->store, "cmd", &err) < 0) {
            status = -FG_ESTORE;
            fg_error(NULL, "engine release failed: %s", err.msg);
            store_rollback(e->store);
            goto answer;
        }
    }
    status = batch_commit(e, n);
answer:
    metrics_commit_observe(fg_clock_mono_ns() - t0);
    if (n) {
        metrics_batch_observe(n);
        __atomic_add_fetch(&e->batches, 1, __ATOMIC_RELAXED);
    }
    for (struct engine_cmd *c = first, *next; c; c = next) {
        next = c->next; /* done() may free c */
        if (c->done)
            c->done(c, status);
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
