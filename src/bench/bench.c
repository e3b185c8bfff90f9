/*
 * bench.c - the engine benchmark (issue 5, part 3); see bench.h.
 *
 * Each engine command is what an API write does: look up the idempotency
 * record of a unique request id, apply one transfer between two customer
 * accounts through the ledger (balance-guarded), store the idempotency record
 * with a small answer. Commands are submitted in waves of `batch` and each
 * wave is awaited, so every database transaction holds at most `batch`
 * commands. The plain loop runs the equivalent SQL (unique-key insert,
 * guarded debit, credit, journal insert) with one COMMIT per `batch`.
 * Durability is the server's: WAL with synchronous=FULL.
 */
#include "bench/bench.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/money.h"
#include "engine/engine.h"
#include "ledger/idem.h"
#include "ledger/ledger.h"
#include "services/directory.h"
#include "store/store.h"

#define BENCH_ACCOUNTS_MAX 1000000
#define BENCH_FUNDING 1000000000000LL

struct bench_cfg {
    const char *dir;
    int64_t transfers;
    int batch;
    int accounts;
    bool random_keys;
    int64_t key_seq; /* global request number, time-ordered */
    int64_t *account_ids;
};

struct bench_cmd {
    struct engine_cmd ec;
    struct bench_cfg *cfg;
    int64_t n;
    int status;
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    int *pending;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static void request_key(const struct bench_cfg *cfg, int64_t n, char *out, size_t cap)
{
    if (cfg->random_keys)
        snprintf(out, cap, "%016llx", (unsigned long long)mix((uint64_t)n + 1));
    else
        snprintf(out, cap, "r%015lld", (long long)n);
}

static void pick_accounts(const struct bench_cfg *cfg, int64_t n, int64_t *dr, int64_t *cr)
{
    uint64_t h = mix((uint64_t)n * 2654435761ULL + 7);
    int a = (int)(h % (uint64_t)cfg->accounts);
    int b = (int)((h >> 32) % (uint64_t)(cfg->accounts - 1));
    if (b >= a)
        b++;
    *dr = cfg->account_ids[a];
    *cr = cfg->account_ids[b];
}

static int bench_run(struct engine_cmd *ec, struct store *s, int64_t now_ms)
{
    struct bench_cmd *c = (struct bench_cmd *)ec;
    char key[32];
    request_key(c->cfg, c->n, key, sizeof(key));
    struct idem_rec rec;
    int rc = idem_get(s, "bench", key, &rec, NULL);
    if (rc < 0)
        return rc;
    FG_ASSERT(!rec.found);
    struct ledger_transfer t = {.amount = 1};
    pick_accounts(c->cfg, c->n, &t.debit_id, &t.credit_id);
    strcpy(t.currency, "USD");
    strcpy(t.kind, "bench");
    if ((rc = ledger_transfer_create(s, now_ms, &t, NULL)) < 0)
        return rc;
    uint8_t hash[FG_SHA256_BYTES] = {0};
    memcpy(hash, &c->n, sizeof(c->n));
    static const char answer[] = "{\"code\":\"0\",\"msg\":\"success\",\"data\":{}}";
    return idem_put(s, "bench", key, hash, 1, 200, answer, sizeof(answer) - 1, t.id, now_ms, NULL);
}

static void bench_done(struct engine_cmd *ec, int status)
{
    struct bench_cmd *c = (struct bench_cmd *)ec;
    c->status = status;
    pthread_mutex_lock(c->mu);
    if (--*c->pending == 0)
        pthread_cond_signal(c->cv);
    pthread_mutex_unlock(c->mu);
}

static int setup_store(struct bench_cfg *cfg, const char *path)
{
    struct fg_err err = {0};
    struct store *s;
    unlink(path);
    char side[1100];
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
    if (store_open(path, true, &s, &err) < 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return -1;
    }
    bool created;
    struct currency usd = {.code = "USD", .digits = 2};
    int rc = store_begin(s, &err);
    if (rc == 0)
        rc = currency_create(s, &usd, 1, &created, &err);
    struct ledger_account cash;
    if (rc == 0)
        rc = ledger_account_find(s, LEDGER_HOUSE, "cash", "USD", &cash, &err);
    for (int i = 0; rc == 0 && i < cfg->accounts; i++) {
        char owner[32];
        struct ledger_account a;
        snprintf(owner, sizeof(owner), "b%d", i);
        rc = ledger_account_open(s, owner, "wallet", "USD", LEDGER_ACCT_CUSTOMER, 1, &a, &err);
        cfg->account_ids[i] = a.id;
        struct ledger_transfer t = {
            .debit_id = cash.id, .credit_id = a.id, .amount = BENCH_FUNDING};
        strcpy(t.currency, "USD");
        strcpy(t.kind, "deposit");
        if (rc == 0)
            rc = ledger_transfer_create(s, 1, &t, &err);
    }
    if (rc == 0)
        rc = store_commit(s, &err);
    store_close(s);
    if (rc < 0)
        fprintf(stderr, "bench: setup: %s\n", err.msg);
    return rc;
}

/* Events per second, in integers like everything else here. */
static int64_t rate_of(int64_t n, int64_t ns)
{
    return ns > 0 ? (int64_t)((money_i128)n * 1000000000 / ns) : 0;
}

static int run_engine(struct bench_cfg *cfg, const char *path, int64_t *elapsed_ns)
{
    struct fg_err err = {0};
    struct store *s;
    struct engine *e;
    if (store_open(path, false, &s, &err) < 0 || engine_create(s, &e, &err) < 0 ||
        engine_job_add(e, &engine_job_hold_expiry) < 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return -1;
    }
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    struct bench_cmd *cmds = calloc((size_t)cfg->batch, sizeof(*cmds));
    int64_t t0 = fg_clock_mono_ns();
    int failures = 0;
    for (int64_t done = 0; done < cfg->transfers;) {
        int wave = (int)(cfg->transfers - done < cfg->batch ? cfg->transfers - done : cfg->batch);
        int pending = wave;
        for (int i = 0; i < wave; i++) {
            /* bench_run refuses nothing it wrote (a refused transfer leaves
             * nothing behind), so it needs no savepoint, like an execute. */
            cmds[i] = (struct bench_cmd){
                .ec = {.run = bench_run, .done = bench_done, .savepoint_free = true},
                .cfg = cfg,
                .n = cfg->key_seq++,
                .mu = &mu,
                .cv = &cv,
                .pending = &pending};
            int rc = engine_submit(e, &cmds[i].ec);
            FG_ASSERT(rc == 0); /* waves of at most a batch: the queue has room */
        }
        pthread_mutex_lock(&mu);
        while (pending > 0)
            pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        for (int i = 0; i < wave; i++)
            failures += cmds[i].status < 0 || cmds[i].ec.result < 0;
        done += wave;
    }
    *elapsed_ns = fg_clock_mono_ns() - t0;
    engine_destroy(e);
    free(cmds);
    if (failures)
        fprintf(stderr, "bench: %d commands failed\n", failures);
    return failures ? -1 : 0;
}

/* The same work as bench_run in plain SQL: no engine, no savepoints, no ledger reads. */
static int run_plain(struct bench_cfg *cfg, const char *path, int64_t *elapsed_ns)
{
    struct fg_err err = {0};
    struct store *s;
    if (store_open(path, false, &s, &err) < 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return -1;
    }
    int64_t t0 = fg_clock_mono_ns();
    int rc = 0;
    for (int64_t done = 0; rc == 0 && done < cfg->transfers;) {
        int wave = (int)(cfg->transfers - done < cfg->batch ? cfg->transfers - done : cfg->batch);
        rc = store_begin(s, &err);
        for (int i = 0; rc == 0 && i < wave; i++) {
            int64_t n = cfg->key_seq++, dr, cr, changes = 0;
            char key[32];
            request_key(cfg, n, key, sizeof(key));
            pick_accounts(cfg, n, &dr, &cr);
            uint8_t hash[FG_SHA256_BYTES] = {0};
            memcpy(hash, &n, sizeof(n));
            rc = store_exec_changes(
                s,
                "INSERT INTO idem (scope, key, req_hash, state, status, response, ref, "
                "created_ms) VALUES ('plain', ?, ?, 1, 200, '{}', 0, 1)",
                STORE_ARGS(SA_TEXT(key), SA_BLOB(hash, sizeof(hash))), NULL, &err);
            if (rc == 0)
                rc = store_exec_changes(
                    s,
                    "UPDATE accounts SET debits_posted = debits_posted + 1 WHERE id = ? AND "
                    "credits_posted - debits_posted - debits_pending >= 1",
                    STORE_ARGS(SA_INT(dr)), &changes, &err);
            if (rc == 0 && changes == 1)
                rc = store_exec_changes(
                    s, "UPDATE accounts SET credits_posted = credits_posted + 1 WHERE id = ?",
                    STORE_ARGS(SA_INT(cr)), NULL, &err);
            if (rc == 0)
                rc = store_exec_changes(
                    s,
                    "INSERT INTO transfers (debit_id, credit_id, amount, currency, flags, ts_ms, "
                    "kind) VALUES (?, ?, 1, 'USD', 0, 1, 'plain')",
                    STORE_ARGS(SA_INT(dr), SA_INT(cr)), NULL, &err);
        }
        if (rc == 0)
            rc = store_commit(s, &err);
        done += wave;
    }
    *elapsed_ns = fg_clock_mono_ns() - t0;
    store_close(s);
    if (rc < 0)
        fprintf(stderr, "bench: plain loop: %s\n", err.msg);
    return rc;
}

/* Grow an existing store by n journal rows and n idempotency records (random
 * keys), between two house accounts so the ledger stays balanced: the growth
 * benchmark runs the HTTP load again on top of them. */
static int preload(const char *path, int64_t n)
{
    struct fg_err err = {0};
    struct store *s;
    struct ledger_account cash, fx;
    if (store_open(path, false, &s, &err) < 0) {
        fprintf(stderr, "bench: preload: %s\n", err.msg);
        return -1;
    }
    int rc = ledger_account_find(s, LEDGER_HOUSE, "cash", "USD", &cash, &err);
    if (rc == 0)
        rc = ledger_account_find(s, LEDGER_HOUSE, "fx", "USD", &fx, &err);
    int64_t t0 = fg_clock_mono_ns();
    for (int64_t done = 0; rc == 0 && done < n;) {
        int64_t wave = n - done < 100000 ? n - done : 100000;
        rc = store_begin(s, &err);
        for (int64_t i = 0; rc == 0 && i < wave; i++) {
            char key[32];
            uint64_t k = mix((uint64_t)(done + i) ^ 0x5eedULL);
            snprintf(key, sizeof(key), "%016llx", (unsigned long long)k);
            uint8_t hash[FG_SHA256_BYTES] = {0};
            bool even = ((done + i) & 1) == 0;
            rc = store_exec_changes(
                s,
                "INSERT INTO idem (scope, key, req_hash, state, status, response, ref, "
                "created_ms) VALUES ('preload', ?, ?, 1, 200, '{}', 0, 1)",
                STORE_ARGS(SA_TEXT(key), SA_BLOB(hash, sizeof(hash))), NULL, &err);
            if (rc == 0)
                rc = store_exec_changes(
                    s,
                    "INSERT INTO transfers (debit_id, credit_id, amount, currency, flags, ts_ms, "
                    "kind) VALUES (?, ?, 1, 'USD', 0, 1, 'preload')",
                    STORE_ARGS(SA_INT(even ? cash.id : fx.id), SA_INT(even ? fx.id : cash.id)),
                    NULL, &err);
        }
        if (rc == 0)
            rc = store_exec_changes(
                s,
                "UPDATE accounts SET debits_posted = debits_posted + ?, credits_posted = "
                "credits_posted + ? WHERE id IN (?, ?)",
                STORE_ARGS(SA_INT((wave + 1) / 2), SA_INT((wave + 1) / 2), SA_INT(cash.id),
                           SA_INT(fx.id)),
                NULL, &err);
        /* An odd wave leaves one side a unit short: even the pair with one more. */
        if (rc == 0 && (wave & 1))
            rc = store_exec_changes(
                s, "UPDATE accounts SET debits_posted = debits_posted - 1 WHERE id = ?",
                STORE_ARGS(SA_INT(fx.id)), NULL, &err);
        if (rc == 0 && (wave & 1))
            rc = store_exec_changes(
                s, "UPDATE accounts SET credits_posted = credits_posted - 1 WHERE id = ?",
                STORE_ARGS(SA_INT(cash.id)), NULL, &err);
        if (rc == 0)
            rc = store_commit(s, &err);
        done += wave;
    }
    int64_t ns = fg_clock_mono_ns() - t0;
    store_close(s);
    if (rc < 0) {
        fprintf(stderr, "bench: preload: %s\n", err.msg);
        return -1;
    }
    printf("preloaded %lld transfers in %lld ms\n", (long long)n, (long long)(ns / 1000000));
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: fundgate bench [--dir DIR] [--transfers N] [--batch B] [--accounts K]\n"
               "                      [--random-keys] [--mode engine|plain|both]\n"
               "       fundgate bench --preload N --db PATH\n\n"
               "Pushes N transfers into the engine in waves of B (no HTTP) and runs the same\n"
               "SQL as a plain loop, each on a fresh SQLite store in DIR (default /tmp),\n"
               "then prints transfers/s for both and their ratio. --preload grows an existing\n"
               "store by N journal rows and N idempotency records (for the growth run).\n");
}

struct bench_args {
    struct bench_cfg cfg;
    const char *mode, *db;
    int64_t preload_n;
};

/* One option: -1 to go on, else the exit code. */
static int bench_option(int c, struct bench_args *a)
{
    switch (c) {
    case 'd':
        a->cfg.dir = optarg;
        return -1;
    case 'n':
        a->cfg.transfers = atoll(optarg);
        return -1;
    case 'b':
        a->cfg.batch = atoi(optarg);
        return -1;
    case 'a':
        a->cfg.accounts = atoi(optarg);
        return -1;
    case 'r':
        a->cfg.random_keys = true;
        return -1;
    case 'm':
        a->mode = optarg;
        return -1;
    case 'p':
        a->preload_n = atoll(optarg);
        return -1;
    case 'D':
        a->db = optarg;
        return -1;
    case 'h':
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}

/* The engine and the plain loop, as the mode asks, and the line that says
 * both rates. */
static int run_modes(struct bench_cfg *cfg, const char *mode)
{
    char path[1024];
    int64_t engine_ns = 0, plain_ns = 0;
    int rc = 0;
    bool both = strcmp(mode, "both") == 0;
    if (both || strcmp(mode, "engine") == 0) {
        snprintf(path, sizeof(path), "%s/fundgate-bench-engine.db", cfg->dir);
        rc = setup_store(cfg, path);
        if (rc == 0)
            rc = run_engine(cfg, path, &engine_ns);
    }
    if (rc == 0 && (both || strcmp(mode, "plain") == 0)) {
        snprintf(path, sizeof(path), "%s/fundgate-bench-plain.db", cfg->dir);
        cfg->key_seq = 0;
        rc = setup_store(cfg, path);
        if (rc == 0)
            rc = run_plain(cfg, path, &plain_ns);
    }
    if (rc == 0) {
        int64_t er = rate_of(cfg->transfers, engine_ns), pr = rate_of(cfg->transfers, plain_ns);
        int64_t ratio_pct = pr > 0 ? er * 100 / pr : 0;
        printf("bench transfers=%lld batch=%d accounts=%d keys=%s engine=%lld/s plain=%lld/s "
               "ratio=%lld.%02lld\n",
               (long long)cfg->transfers, cfg->batch, cfg->accounts,
               cfg->random_keys ? "random" : "time-ordered", (long long)er, (long long)pr,
               (long long)(ratio_pct / 100), (long long)(ratio_pct % 100));
    }
    return rc;
}

int bench_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},     {"transfers", required_argument, NULL, 'n'},
        {"batch", required_argument, NULL, 'b'},   {"accounts", required_argument, NULL, 'a'},
        {"random-keys", no_argument, NULL, 'r'},   {"mode", required_argument, NULL, 'm'},
        {"preload", required_argument, NULL, 'p'}, {"db", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    struct bench_args a = {
        .cfg = {.dir = "/tmp", .transfers = 100000, .batch = 1000, .accounts = 10000},
        .mode = "both"};
    int c, rc;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
        if ((rc = bench_option(c, &a)) >= 0)
            return rc;
    if (a.preload_n > 0 || a.db) {
        if (a.preload_n < 1 || !a.db) {
            usage(stderr);
            return 2;
        }
        return preload(a.db, a.preload_n) < 0 ? 1 : 0;
    }
    struct bench_cfg *cfg = &a.cfg;
    if (cfg->transfers < 1 || cfg->batch < 1 || cfg->batch > 8190 || cfg->accounts < 2 ||
        cfg->accounts > BENCH_ACCOUNTS_MAX) {
        fprintf(stderr, "bench: need transfers >= 1, 1 <= batch <= 8190, 2 <= accounts <= %d\n",
                BENCH_ACCOUNTS_MAX);
        return 2;
    }
    cfg->account_ids = calloc((size_t)cfg->accounts, sizeof(int64_t));
    rc = run_modes(cfg, a.mode);
    free(cfg->account_ids);
    return rc < 0 ? 1 : 0;
}
