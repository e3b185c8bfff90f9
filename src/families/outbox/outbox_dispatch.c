/*
 * outbox_dispatch.c - the outbox's dispatcher (services/outbox.h has the
 * contract: states, schedule, invariants, threads): a poller and delivery
 * threads of its own, never the writer; every change of a row goes through
 * the engine as a command.
 *
 * The dispatcher:
 *
 *   poller (every FG_OUTBOX_POLL_MS)           delivery threads (x FG_OUTBOX_DELIVERIES_MAX)
 *     due rows on its read connection            take a claimed row
 *     minus those in flight here                 family prepare() -> URL, headers
 *     claim them through the writer ──queue──>   libcurl POST, bounded in time
 *     refresh the gauges                         family acked()?
 *                                                record the outcome through the writer
 *
 * The queue and the set of rows in flight here are one array of
 * FG_OUTBOX_INFLIGHT_MAX slots under a mutex: a slot is free, claimed
 * (waiting for a delivery thread) or running. The set keeps a row that is
 * running here from being claimed again when the test clock jumps past its
 * claim (invariant 3 keeps other processes out).
 */
#include "families/outbox/outbox_int.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "engine/engine.h"
#include "services/outbox.h"
#include "store/store.h"

#define STATS_EVERY_MS 1000

/* --- the dispatcher --------------------------------------------------------------- */

enum slot_state { SLOT_FREE, SLOT_CLAIMED, SLOT_RUNNING };

struct slot {
    enum slot_state state;
    struct outbox_row row;
    int64_t claim_ms; /* the next_ms the claim wrote (invariant 3) */
};

enum metric { M_PENDING, M_OLDEST, M_DELIVERED, M_FAILED, M_DEAD, M_COUNT };

static struct {
    pthread_mutex_t mu;
    pthread_cond_t work, tick;
    pthread_t poller, workers[FG_OUTBOX_DELIVERIES_MAX];
    int worker_count;
    bool running, poller_started, stop;
    struct engine *engine;
    char *db_uri;
    struct slot slots[FG_OUTBOX_INFLIGHT_MAX];
    int metric[M_COUNT];
} d = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .work = PTHREAD_COND_INITIALIZER,
       .tick = PTHREAD_COND_INITIALIZER};

static bool stopping(void)
{
    return __atomic_load_n(&d.stop, __ATOMIC_ACQUIRE);
}

/* -- claims (invariant 3) -- */

struct claim_cmd {
    struct engine_cmd ec;
    struct outbox_row *rows;
    int n;
    int64_t lease_ms;
    bool won[FG_OUTBOX_INFLIGHT_MAX];
};

static int claim_run(struct engine_cmd *ec, struct store *s, int64_t now_ms)
{
    (void)now_ms; /* the lease was computed from the poller's clock */
    struct claim_cmd *c = (struct claim_cmd *)ec;
    struct fg_err err = {0};
    int rc = 0;
    for (int i = 0; rc == 0 && i < c->n; i++) {
        int64_t changes = 0;
        rc = store_exec_changes(
            s, "UPDATE outbox SET next_ms = ? WHERE id = ? AND status = 0 AND next_ms = ?",
            STORE_ARGS(SA_INT(c->lease_ms), SA_INT(c->rows[i].id), SA_INT(c->rows[i].next_ms)),
            &changes, &err);
        c->won[i] = rc == 0 && changes == 1;
    }
    if (rc < 0)
        fg_error(NULL, "outbox: claiming rows failed: %s", err.msg);
    return rc;
}

struct due_ctx {
    struct outbox_row rows[FG_OUTBOX_INFLIGHT_MAX];
    int n, want;
    int64_t skip[FG_OUTBOX_INFLIGHT_MAX];
    int nskip;
};

static int due_row(void *ctx, struct store_row *row)
{
    struct due_ctx *c = ctx;
    int64_t id = store_row_int(row, 0);
    for (int i = 0; i < c->nskip; i++)
        if (c->skip[i] == id)
            return 0; /* running here already */
    int rc = outbox_row_read(row, &c->rows[c->n]);
    if (rc < 0)
        return rc;
    return ++c->n == c->want ? 1 : 0;
}

/* Free slots now, and the ids held (locked by the caller). */
static int slots_free(struct due_ctx *c)
{
    int n = 0;
    for (int i = 0; i < FG_OUTBOX_INFLIGHT_MAX; i++)
        if (d.slots[i].state == SLOT_FREE)
            n++;
        else
            c->skip[c->nskip++] = d.slots[i].row.id;
    return n;
}

/* Hand the rows the claim won to free slots and wake the delivery threads. */
static void slots_fill(struct claim_cmd *cl)
{
    pthread_mutex_lock(&d.mu);
    int j = 0;
    for (int i = 0; i < cl->n; i++) {
        if (!cl->won[i]) {
            outbox_row_release(&cl->rows[i]);
            continue;
        }
        while (d.slots[j].state != SLOT_FREE)
            j++; /* there are as many free slots as rows read (slots_free) */
        FG_ASSERT(j < FG_OUTBOX_INFLIGHT_MAX);
        d.slots[j].row = cl->rows[i];
        d.slots[j].claim_ms = cl->lease_ms;
        d.slots[j].state = SLOT_CLAIMED;
    }
    pthread_cond_broadcast(&d.work);
    pthread_mutex_unlock(&d.mu);
}

/* Read the due rows that fit, claim them, queue the ones won. */
static void claim_due(struct store *rd, int64_t now_ms)
{
    struct due_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return;
    pthread_mutex_lock(&d.mu);
    c->want = slots_free(c);
    pthread_mutex_unlock(&d.mu);
    struct fg_err err = {0};
    int rc =
        c->want == 0
            ? 0
            : store_exec(rd,
                         "SELECT " OUTBOX_ROW_COLUMNS " FROM outbox WHERE status = 0 AND "
                         "next_ms <= ? ORDER BY next_ms, id LIMIT ?",
                         STORE_ARGS(SA_INT(now_ms), SA_INT(c->want + c->nskip)), due_row, c, &err);
    if (rc < 0)
        fg_error(NULL, "outbox: reading due rows failed: %s", err.msg);
    struct claim_cmd cl = {.ec = {.run = claim_run},
                           .rows = c->rows,
                           .n = c->n,
                           .lease_ms = now_ms + FG_OUTBOX_LEASE_MS};
    if (c->n > 0 && engine_run_sync(d.engine, &cl.ec) < 0)
        memset(cl.won, 0, sizeof(cl.won)); /* not committed: nothing claimed */
    if (c->n > 0)
        slots_fill(&cl);
    free(c);
}

static void stats_refresh(struct store *rd, int64_t now_ms)
{
    struct fg_err err = {0};
    int64_t count = 0, oldest = 0;
    if (outbox_pending_stats(rd, &count, &oldest, &err) < 0)
        return;
    metrics_value_set(d.metric[M_PENDING], count);
    metrics_value_set(d.metric[M_OLDEST], oldest && now_ms > oldest ? (now_ms - oldest) / 1000 : 0);
}

static void *poller_main(void *arg)
{
    (void)arg;
    struct store *rd = NULL;
    int64_t stats_ns = 0;
    pthread_mutex_lock(&d.mu);
    while (!d.stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)FG_OUTBOX_POLL_MS * 1000000;
        until.tv_sec += until.tv_nsec / 1000000000;
        until.tv_nsec %= 1000000000;
        pthread_cond_timedwait(&d.tick, &d.mu, &until);
        if (d.stop)
            break;
        pthread_mutex_unlock(&d.mu);
        struct fg_err err = {0};
        if (!rd && store_open(d.db_uri, false, &rd, &err) < 0)
            fg_error(NULL, "outbox: cannot open a read connection: %s", err.msg);
        if (rd) {
            int64_t now_ms = fg_clock_now_ms();
            claim_due(rd, now_ms);
            if (fg_clock_mono_ns() - stats_ns >= (int64_t)STATS_EVERY_MS * 1000000) {
                stats_refresh(rd, now_ms);
                stats_ns = fg_clock_mono_ns();
            }
        }
        pthread_mutex_lock(&d.mu);
    }
    pthread_mutex_unlock(&d.mu);
    if (rd)
        store_close(rd);
    return NULL;
}

/* -- one try -- */

struct try_result {
    bool acked, aborted;
    long http;
    char error[FG_OUTBOX_ERROR_BYTES_MAX + 1];
    char answer[FG_OUTBOX_RESPONSE_BYTES_MAX + 1];
    size_t answer_len;
    bool answer_over;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    struct try_result *t = ctx;
    size_t len = size * n;
    if (len > FG_OUTBOX_RESPONSE_BYTES_MAX - t->answer_len) {
        t->answer_over = true;
        return 0; /* libcurl stops: CURLE_WRITE_ERROR */
    }
    memcpy(t->answer + t->answer_len, p, len);
    t->answer_len += len;
    t->answer[t->answer_len] = '\0';
    return len;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)ctx, (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return stopping() ? 1 : 0; /* nonzero: libcurl aborts the transfer */
}

static struct curl_slist *headers_of(const struct outbox_call *call)
{
    struct curl_slist *h = curl_slist_append(NULL, "Expect:"), *next;
    for (int i = 0; h && i < call->header_count; i++) {
        if (!(next = curl_slist_append(h, call->headers[i]))) {
            curl_slist_free_all(h);
            return NULL;
        }
        h = next;
    }
    return h;
}

/* POST the row's body; t gets the HTTP status and the answer, or why not. */
static void http_try(const struct outbox_call *call, const struct outbox_row *r,
                     struct try_result *t)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hs = h ? headers_of(call) : NULL;
    if (!hs) {
        snprintf(t->error, sizeof(t->error), "out of memory preparing the try");
        curl_easy_cleanup(h);
        return;
    }
    curl_easy_setopt(h, CURLOPT_URL, call->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)FG_OUTBOX_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)FG_OUTBOX_TOTAL_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &t->http);
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        t->aborted = true;
    else if (t->answer_over)
        snprintf(t->error, sizeof(t->error), "the answer is over %d bytes",
                 FG_OUTBOX_RESPONSE_BYTES_MAX);
    else if (rc != CURLE_OK)
        snprintf(t->error, sizeof(t->error), "%s", curl_easy_strerror(rc));
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
}

/* -- outcomes (invariant 3: only while the claim holds) -- */

struct outcome_cmd {
    struct engine_cmd ec;
    const struct outbox_row *row;
    int64_t claim_ms, now_ms, next_ms;
    enum outbox_status status;
    int tries;
    long http;
    const char *error;
    bool recorded;
};

static int outcome_run(struct engine_cmd *ec, struct store *s, int64_t now_ms)
{
    (void)now_ms; /* the try's own time decides its schedule */
    struct outcome_cmd *c = (struct outcome_cmd *)ec;
    struct fg_err err = {0};
    int64_t changes = 0;
    int rc = store_exec_changes(
        s,
        "UPDATE outbox SET status = ?, tries = ?, next_ms = ?, last_ms = ?, last_http = ?, "
        "last_error = ?, done_ms = ? WHERE id = ? AND status = 0 AND next_ms = ? AND tries = ?",
        STORE_ARGS(SA_INT(c->status), SA_INT(c->tries), SA_INT(c->next_ms), SA_INT(c->now_ms),
                   SA_INT(c->http), SA_TEXT(c->error),
                   SA_INT(c->status == OUTBOX_PENDING ? 0 : c->now_ms), SA_INT(c->row->id),
                   SA_INT(c->claim_ms), SA_INT(c->row->tries)),
        &changes, &err);
    c->recorded = rc == 0 && changes == 1;
    if (rc < 0)
        fg_error(NULL, "outbox: recording a try of %s failed: %s", c->row->notification_id,
                 err.msg);
    return rc;
}

static void record(const struct slot *sl, const struct try_result *t)
{
    const struct outbox_row *r = &sl->row;
    struct outcome_cmd c = {.ec = {.run = outcome_run},
                            .row = r,
                            .claim_ms = sl->claim_ms,
                            .now_ms = fg_clock_now_ms(),
                            .tries = r->tries + 1,
                            .http = t->http,
                            .error = t->acked ? "" : t->error};
    int64_t delay = outbox_delay_ms(c.tries);
    c.status = t->acked ? OUTBOX_DELIVERED : delay < 0 ? OUTBOX_DEAD : OUTBOX_PENDING;
    c.next_ms = c.status == OUTBOX_PENDING ? c.now_ms + delay : c.now_ms;
    if (engine_run_sync(d.engine, &c.ec) < 0 || !c.recorded) {
        fg_warn(NULL, "outbox: the try %d of %s was not recorded; it runs again after its claim",
                c.tries, r->notification_id);
        return;
    }
    metrics_value_add(d.metric[t->acked ? M_DELIVERED : M_FAILED], 1);
    if (c.status == OUTBOX_DEAD)
        metrics_value_add(d.metric[M_DEAD], 1);
    if (t->acked)
        fg_info(NULL, "outbox: %s delivered (try %d)", r->notification_id, c.tries);
    else
        fg_log(c.status == OUTBOX_DEAD ? FG_LOG_WARN : FG_LOG_INFO, NULL,
               "outbox: %s try %d failed (%s)%s", r->notification_id, c.tries, t->error,
               c.status == OUTBOX_DEAD ? "; dead: no try follows" : "");
}

static void deliver(const struct slot *sl, struct try_result *t)
{
    const struct outbox_row *r = &sl->row;
    const struct outbox_family *f = outbox_family_of(r->family);
    struct outbox_call *call = calloc(1, sizeof(*call));
    struct fg_err err = {0};
    memset(t, 0, sizeof(*t));
    if (!call)
        snprintf(t->error, sizeof(t->error), "out of memory preparing the try");
    else if (!f)
        snprintf(t->error, sizeof(t->error), "no delivery for family %s", r->family);
    else if (f->prepare(r, fg_clock_now_ms(), call, &err) < 0)
        snprintf(t->error, sizeof(t->error), "%.180s", err.msg);
    else
        http_try(call, r, t);
    free(call);
    if (t->aborted || !call || !f || t->error[0])
        return;
    char why[FG_OUTBOX_ERROR_BYTES_MAX + 1] = "";
    t->acked = f->acked(t->http, t->answer, t->answer_len, why, sizeof(why));
    if (!t->acked)
        snprintf(t->error, sizeof(t->error), "HTTP %ld: %.160s", t->http, why);
}

static void *worker_main(void *arg)
{
    (void)arg;
    struct try_result *t = malloc(sizeof(*t));
    FG_ASSERT(t != NULL); /* one per thread, at start */
    pthread_mutex_lock(&d.mu);
    for (;;) {
        struct slot *sl = NULL;
        for (int i = 0; !sl && i < FG_OUTBOX_INFLIGHT_MAX; i++)
            if (d.slots[i].state == SLOT_CLAIMED)
                sl = &d.slots[i];
        if (!sl && d.stop)
            break;
        if (!sl) {
            pthread_cond_wait(&d.work, &d.mu);
            continue;
        }
        sl->state = SLOT_RUNNING;
        pthread_mutex_unlock(&d.mu);
        if (!stopping()) {
            deliver(sl, t);
            if (!t->aborted)
                record(sl, t);
        }
        pthread_mutex_lock(&d.mu);
        outbox_row_release(&sl->row);
        sl->state = SLOT_FREE;
    }
    pthread_mutex_unlock(&d.mu);
    free(t);
    return NULL;
}

/* -- start and stop -- */

static void metrics_register(void)
{
    static const struct {
        const char *name, *help;
        bool counter;
    } m[M_COUNT] = {
        [M_PENDING] = {"fundgate_outbox_pending", "Notifications waiting to be delivered.", false},
        [M_OLDEST] = {"fundgate_outbox_oldest_pending_age_seconds",
                      "Age of the oldest notification waiting.", false},
        [M_DELIVERED] = {"fundgate_outbox_deliveries_total", "Notifications acknowledged.", true},
        [M_FAILED] = {"fundgate_outbox_failures_total", "Tries that failed.", true},
        [M_DEAD] = {"fundgate_outbox_dead_total", "Notifications given up (dead).", true},
    };
    for (int i = 0; i < M_COUNT; i++)
        d.metric[i] = metrics_value_register(m[i].name, m[i].help, m[i].counter);
}

int outbox_dispatcher_start(struct engine *e, const char *db_uri, struct fg_err *err)
{
    pthread_mutex_lock(&d.mu);
    if (d.running) {
        pthread_mutex_unlock(&d.mu);
        return 0;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    metrics_register();
    d.engine = e;
    d.stop = false;
    d.db_uri = strdup(db_uri);
    d.running = true;
    int rc = d.db_uri ? 0 : -FG_ENOMEM;
    for (int i = 0; rc == 0 && i < FG_OUTBOX_DELIVERIES_MAX; i++) {
        if (pthread_create(&d.workers[i], NULL, worker_main, NULL) != 0)
            rc = -FG_EINTERNAL;
        else
            d.worker_count++;
    }
    if (rc == 0 && pthread_create(&d.poller, NULL, poller_main, NULL) != 0)
        rc = -FG_EINTERNAL;
    d.poller_started = rc == 0;
    pthread_mutex_unlock(&d.mu);
    if (rc < 0) {
        outbox_dispatcher_stop();
        return fg_fail(err, rc, "cannot start the outbox dispatcher");
    }
    return 0;
}

void outbox_dispatcher_stop(void)
{
    pthread_mutex_lock(&d.mu);
    if (!d.running) {
        pthread_mutex_unlock(&d.mu);
        return;
    }
    __atomic_store_n(&d.stop, true, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&d.work);
    pthread_cond_broadcast(&d.tick);
    pthread_mutex_unlock(&d.mu);
    if (d.poller_started)
        pthread_join(d.poller, NULL);
    for (int i = 0; i < d.worker_count; i++)
        pthread_join(d.workers[i], NULL);
    pthread_mutex_lock(&d.mu);
    for (int i = 0; i < FG_OUTBOX_INFLIGHT_MAX; i++) {
        outbox_row_release(&d.slots[i].row);
        d.slots[i].state = SLOT_FREE;
    }
    free(d.db_uri);
    d.db_uri = NULL;
    d.worker_count = 0;
    d.poller_started = d.running = false;
    d.engine = NULL;
    pthread_mutex_unlock(&d.mu);
}
