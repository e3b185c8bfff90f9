/*
 * engine.h - the ledger engine: one writer thread, a bounded queue, group commit.
 *
 * What it is for: every write of fundgate goes through here. Handlers build a
 * command (struct engine_cmd embedded in their own state), submit it, and
 * return at once; the writer drains the queue and applies up to
 * FG_ENGINE_BATCH_MAX commands in one database transaction, each inside its
 * own savepoint so a refused command does not spoil its batch. Only after the
 * batch is durable (COMMIT with synchronous=FULL) does the writer call each
 * command's done(), which typically resumes a suspended HTTP connection.
 *
 * Ownership and threading: engine_submit() is thread-safe and never blocks on
 * the database. run() and done() are called on the writer thread; run() gets
 * the writer's store, inside the transaction, and must not block on anything
 * else. The engine owns the writer store it is given.
 *
 * Command states: submitted -> running (run) -> applied|refused ->
 * committed (done(cmd, 0)) | failed (done(cmd, <0): the batch did not commit,
 * or the command could not run; nothing of it was applied; the answer must
 * say so, 5xx).
 * run() returns >= 0 to keep its work or < 0 to have its savepoint rolled back;
 * either way it has already written its answer.
 *
 * Savepoint-free commands: a savepoint costs SQLite a copy of every page the
 * command touches, which is most of a small command's cost. A command whose
 * refusals write nothing (it checks, or its writes undo themselves, before it
 * returns < 0) sets savepoint_free and runs without one. The engine proves
 * the promise with the store's change counter: if such a run() returns < 0
 * after changing a row, or returns an operating error (a 5xx code: the store
 * may be mid-write), only the whole transaction can undo it, so the batch is
 * rolled back and every command of it fails (done(cmd, <0), nothing applied).
 *
 * After a store error (sticky, as SQLite's pager): the database may have
 * ended the transaction by itself (SQLite on an I/O error or a full disk) or
 * refuse every further statement (PostgreSQL after any failed statement).
 * After each command, and after any failed SAVEPOINT, RELEASE or ROLLBACK TO,
 * the engine asks store_txn_active(); once it is false nothing more of the
 * batch runs (the store itself refuses: store.h "ended"), the batch is rolled
 * back and every command of it is answered done(cmd, -FG_ESTORE): nothing of
 * it applied. A command whose SAVEPOINT failed while the transaction survived
 * does not run and alone is answered done(cmd, -FG_ESTORE).
 *
 * Retries (PostgreSQL, or any database shared with other processes): when a
 * call failed for a conflict with another transaction (store_txn_conflicted:
 * a serialization failure, a deadlock, a lock timeout, a BEGIN that waited
 * too long), or a savepoint-free command left the transaction "failed"
 * (PostgreSQL refuses everything after any failed statement, so the
 * optimisation cannot hold there), the batch is rolled back and run again,
 * at most FG_ENGINE_BATCH_RETRIES_MAX more times; that command then takes a
 * savepoint. run() may thus be called more than once for one submission, each
 * time in a fresh transaction that holds nothing of the last; done() is
 * called once, with the last attempt's outcome, so no request is answered
 * twice.
 *
 * Stop: engine_stop() refuses new commands (-FG_ESHUTDOWN), finishes and
 * commits every queued command, calls their done(), and joins the writer.
 *
 * Periodic jobs (issue 11): a bounded list (FG_ENGINE_JOBS_MAX) of work the
 * writer does itself, at the start of a batch (and at least every
 * ENGINE_IDLE_WAKE_MS when idle), each in its own savepoint, at most
 * `budget` items a turn and at most once every `interval_ms`: hold expiry
 * (engine_job_hold_expiry, added by the composition root), and what
 * families add through their descriptors (FX settlement, outbox scheduling).
 * A job must not wait on anything but the store: work that waits on the
 * network (sending a notification) is recorded by the job and done by
 * another thread, never on the writer. A failed job is logged and rolled
 * back to its savepoint; the batch goes on (unless the transaction did not
 * survive: then the batch is rolled back as after a store error above). A
 * job's turn counts when it ran, whether or not its batch then committed: a
 * batch run again does not run a job again before its interval.
 */
#ifndef FG_ENGINE_H
#define FG_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"

struct store;
struct engine;
struct engine_cmd;

typedef int (*engine_run_fn)(struct engine_cmd *cmd, struct store *s, int64_t now_ms);
typedef void (*engine_done_fn)(struct engine_cmd *cmd, int status);

struct engine_cmd {
    engine_run_fn run;
    engine_done_fn done;
    int result;           /* what run() returned */
    bool savepoint_free;  /* see "Savepoint-free commands" above */
    bool not_run;         /* the engine's: its savepoint failed, it did not run */
    bool needs_savepoint; /* the engine's: run it in a savepoint after all (retry) */
    struct engine_cmd *next;
};

/* A periodic job: run(s, now_ms, budget, &done, err) inside the batch's
 * transaction; done says how many items it handled (logged when > 0). */
struct engine_job {
    const char *name; /* for logs: "hold_expiry" */
    int (*run)(struct store *s, int64_t now_ms, int budget, int *done, struct fg_err *err);
    int budget;          /* items a turn, > 0 */
    int64_t interval_ms; /* at least this long between two turns; 0: every batch */
};

/* Voids expired holds (ledger_holds_expire), FG_ENGINE_HOLD_EXPIRE_BATCH_MAX a
 * turn, every batch. */
extern const struct engine_job engine_job_hold_expiry;

/* Start the writer thread over store (taken over). */
int engine_create(struct store *writer, struct engine **out, struct fg_err *err);
/* Queue a command: 0, or -FG_EOVERLOADED when FG_ENGINE_QUEUE_DEPTH_MAX are
 * waiting, or -FG_ESHUTDOWN after engine_stop began. On failure done() is not
 * called. */
int engine_submit(struct engine *e, struct engine_cmd *cmd);
/* Add a periodic job (static storage); -FG_ELIMIT past FG_ENGINE_JOBS_MAX.
 * Thread-safe; usually before the first command. */
int engine_job_add(struct engine *e, const struct engine_job *job);
/* Submit and wait for done() (bootstrap, CLI, tests). Returns done's status or
 * the submit error. */
int engine_run_sync(struct engine *e, struct engine_cmd *cmd);
int64_t engine_queue_depth(struct engine *e);
/* Totals since start (for tests and benchmarks). */
int64_t engine_batches(struct engine *e);
/* Background checkpoints run (0 without a checkpointer, e.g. in memory). */
int64_t engine_checkpoints(struct engine *e);
/*
 * Fault injection (tests only: `serve --test-faults`, POST /admin/v1/test/fault,
 * tests/e2e/test_faults.c). Each takes an integer n in 0..max:
 *   fail_commits      the next n batches are rolled back where they would
 *                     commit, exactly as a failed COMMIT: every command of
 *                     each is answered done(cmd, -FG_ESTORE), nothing applied;
 *   fail_savepoint    the SAVEPOINT of the nth savepoint-taking command from
 *                     now fails as an I/O error does: the database ends the
 *                     transaction (store_fault_arm);
 *   fail_statement    the second statement of the nth savepoint-free command
 *                     from now fails the same way;
 *   full_after_pages  from the next batch on, the database may grow by only n
 *                     more pages, as on a full disk (0 lifts the limit);
 *   pause_ms          the writer waits n ms before it takes its next batch, so
 *                     what arrives meanwhile forms one batch;
 *   fail_conflict     the first statement of the nth command from now fails
 *                     as a serialization failure (the batch runs again).
 */
enum engine_fault {
    ENGINE_FAULT_FAIL_COMMITS,
    ENGINE_FAULT_FAIL_SAVEPOINT,
    ENGINE_FAULT_FAIL_STATEMENT,
    ENGINE_FAULT_FULL_AFTER_PAGES,
    ENGINE_FAULT_PAUSE_MS,
    ENGINE_FAULT_FAIL_CONFLICT,
    ENGINE_FAULT_COUNT
};
struct engine_fault_spec {
    const char *name;
    int64_t max;
};
extern const struct engine_fault_spec engine_faults[ENGINE_FAULT_COUNT];
void engine_fault_set(struct engine *e, enum engine_fault fault, int64_t n);
/* The same as engine_fault_set(e, ENGINE_FAULT_FAIL_COMMITS, n). */
void engine_fault_fail_commits(struct engine *e, int n);
/* Drain, commit, join the writer. Idempotent. */
void engine_stop(struct engine *e);
/* Stop if needed, close the store, free. */
void engine_destroy(struct engine *e);

#endif
