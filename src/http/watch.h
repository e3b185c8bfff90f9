/*
 * watch.h - private to src/http: time limits of a connection that arriving
 * bytes do not extend (slowloris).
 *
 * libmicrohttpd's only clock is an idle timer that every byte resets, so a
 * client sending one byte every few seconds keeps a connection forever. The
 * watch gives each connection a phase and the time the phase began; a
 * sweeper thread cuts (shutdown(2), both directions) every connection that
 * has stayed in a phase longer than the phase allows:
 *
 *   accepted ──> WATCH_WAITING ──request line──> WATCH_RECEIVING
 *                     ^                                │ last body byte, or the
 *                     │                                v transport answers early
 *                     └────────answer done──────── WATCH_ANSWERING
 *
 *   WATCH_WAITING    FG_HTTP_CONNECTION_TIMEOUT_S from the accept or the end of
 *                    the previous answer to a complete request line (keep-alive
 *                    idle, or a request line dripped byte by byte);
 *   WATCH_RECEIVING  FG_HTTP_REQUEST_TIME_MS_MAX from the request line to the
 *                    last byte of the body (head and body together);
 *   WATCH_ANSWERING  none here: a handler may wait for a commit, and a slow
 *                    reader of the answer meets libmicrohttpd's idle timer.
 *
 * A cut connection sees end-of-file on libmicrohttpd's thread, which closes it
 * as it closes any other (the completion callback runs, the request's state is
 * freed); no answer is sent.
 *
 * Threading: watch_conn_open/close/phase run on the connection's
 * libmicrohttpd thread; the sweeper runs on its own thread. One mutex guards
 * the list and every entry's phase.
 * Invariant: a socket is shut down only while its entry is in the list, and
 * the entry leaves the list (watch_conn_close, called from libmicrohttpd's
 * "connection closed" notification) before libmicrohttpd closes the socket,
 * so a cut never reaches a reused descriptor.
 */
#ifndef FG_HTTP_WATCH_H
#define FG_HTTP_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum watch_phase {
    WATCH_WAITING,
    WATCH_RECEIVING,
    WATCH_ANSWERING,
};

struct watch;

/* One connection's entry; the fields are the watch's. */
struct watch_conn {
    struct watch_conn *prev, *next;
    int fd;
    int phase;        /* enum watch_phase */
    int64_t since_ns; /* monotonic start of the phase */
    bool cut;         /* shut down by the sweeper */
};

/* Start the sweeper. -FG_ENOMEM or -FG_EINTERNAL (thread) on failure. */
int watch_create(struct watch **out);
/* Stop the sweeper and free the watch; every connection must be closed. */
void watch_destroy(struct watch *w);

/* Track a new connection (WATCH_WAITING from now). */
void watch_conn_open(struct watch *w, struct watch_conn *c, int fd);
/* Stop tracking; before the socket is closed. */
void watch_conn_close(struct watch *w, struct watch_conn *c);
/* Enter a phase; its clock starts now. */
void watch_conn_phase(struct watch *w, struct watch_conn *c, enum watch_phase phase);

/* Connections cut since the start (tests, metrics). */
uint64_t watch_cut_count(const struct watch *w);

#endif
