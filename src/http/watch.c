/*
 * watch.c - connection time limits that bytes do not extend; see watch.h.
 *
 * The sweeper wakes every SWEEP_MS and walks the list (at most
 * FG_HTTP_CONNECTIONS_MAX entries, a few microseconds each), so a connection
 * is cut between its limit and its limit plus SWEEP_MS (plus scheduling).
 */
#include "http/watch.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "core/assert.h"
#include "core/clock.h"
#include "core/errors.h"
#include "core/limits.h"
#include "core/log.h"

#define SWEEP_MS 100
#define NS_PER_MS 1000000LL

struct watch {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC; signalled to stop */
    struct watch_conn *head;
    int count;
    bool stop;
    uint64_t cut; /* atomic */
    pthread_t thread;
};

static const int64_t phase_limit_ns[] = {
    [WATCH_WAITING] = (int64_t)FG_HTTP_CONNECTION_TIMEOUT_S * 1000 * NS_PER_MS,
    [WATCH_RECEIVING] = (int64_t)FG_HTTP_REQUEST_TIME_MS_MAX * NS_PER_MS,
    [WATCH_ANSWERING] = 0, /* none */
};

/* Cut what overstayed; returns how many it cut. Caller holds w->mu. */
static int sweep_locked(struct watch *w, int64_t now_ns)
{
    int n = 0;
    for (struct watch_conn *c = w->head; c; c = c->next) {
        int64_t limit = phase_limit_ns[c->phase];
        if (c->cut || limit == 0 || now_ns - c->since_ns <= limit)
            continue;
        /* Invariant (watch.h): c is in the list, so c->fd is still its socket. */
        shutdown(c->fd, SHUT_RDWR);
        c->cut = true;
        n++;
    }
    return n;
}

static void *sweeper_main(void *arg)
{
    struct watch *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += SWEEP_MS * NS_PER_MS;
        if (until.tv_nsec >= 1000 * NS_PER_MS) {
            until.tv_sec++;
            until.tv_nsec -= 1000 * NS_PER_MS;
        }
        int rc = 0;
        while (!w->stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&w->cv, &w->mu, &until);
        if (w->stop)
            break;
        int n = sweep_locked(w, fg_clock_mono_ns());
        if (n) {
            __atomic_fetch_add(&w->cut, (uint64_t)n, __ATOMIC_RELAXED);
            fg_info(NULL,
                    "closed %d connection(s) past a time limit (request line %d s, "
                    "request %d ms)",
                    n, FG_HTTP_CONNECTION_TIMEOUT_S, FG_HTTP_REQUEST_TIME_MS_MAX);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int watch_create(struct watch **out)
{
    *out = NULL;
    struct watch *w = calloc(1, sizeof(*w));
    if (!w)
        return -FG_ENOMEM;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&w->mu, NULL);
    if (pthread_create(&w->thread, NULL, sweeper_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return -FG_EINTERNAL;
    }
    *out = w;
    return 0;
}

void watch_destroy(struct watch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    FG_ASSERT(w->head == NULL && w->count == 0);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

void watch_conn_open(struct watch *w, struct watch_conn *c, int fd)
{
    c->fd = fd;
    c->phase = WATCH_WAITING;
    c->since_ns = fg_clock_mono_ns();
    c->cut = false;
    c->prev = NULL;
    pthread_mutex_lock(&w->mu);
    c->next = w->head;
    if (w->head)
        w->head->prev = c;
    w->head = c;
    w->count++;
    pthread_mutex_unlock(&w->mu);
}

void watch_conn_close(struct watch *w, struct watch_conn *c)
{
    pthread_mutex_lock(&w->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    w->count--;
    pthread_mutex_unlock(&w->mu);
    c->prev = c->next = NULL;
}

void watch_conn_phase(struct watch *w, struct watch_conn *c, enum watch_phase phase)
{
    int64_t now = fg_clock_mono_ns();
    pthread_mutex_lock(&w->mu);
    c->phase = phase;
    c->since_ns = now;
    pthread_mutex_unlock(&w->mu);
}

uint64_t watch_cut_count(const struct watch *w)
{
    return __atomic_load_n(&w->cut, __ATOMIC_RELAXED);
}
