/*
 * outbox.h - outgoing notifications that are never lost (issue 13): one row
 * per notification, written on the writer in the same transaction as the
 * state change it reports, and a dispatcher that delivers the rows over
 * HTTP(S) with libcurl on threads of its own, retrying on a fixed schedule,
 * at least once, under a notification id that never changes.
 *
 * What it is for: telling a partner that something happened when it did
 * not ask (WorldFirst's notifyExchange when a forward settles). Not for:
 * answers to requests (those leave with the request), nor anything whose
 * loss would be acceptable (this costs a row and a delivery per event).
 *
 * Rows (table outbox, migration 7). Status (on disk, never renumber):
 *
 *   enqueue ──> PENDING ──a try acknowledged──────────────────> DELIVERED
 *                │  ^
 *                │  └─a try failed, tries < FG_OUTBOX_TRIES_MAX: due again
 *                │    outbox_delay_ms(tries) after it
 *                └────a try failed, tries = FG_OUTBOX_TRIES_MAX ──> DEAD
 *   outbox_retry (operator): any status ──> PENDING, due now, tries 0
 *
 * The schedule: the first try as soon as the row is committed; after a
 * failed try, the next is due 2 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h
 * after it (the 1st..7th retry); when the 8th try fails the row is DEAD. A
 * try fails when the receiver cannot be reached within
 * FG_OUTBOX_CONNECT_TIMEOUT_MS, does not answer within
 * FG_OUTBOX_TOTAL_TIMEOUT_MS, or answers anything its family's acked()
 * does not take as an acknowledgement.
 *
 * Invariants:
 *  1. A row is written only inside the caller's write transaction
 *     (outbox_enqueue on the writer): it exists iff the state change does.
 *  2. Every change of a row after that goes through the writer (the
 *     dispatcher submits commands); delivery itself never runs on the writer.
 *  3. A try is claimed before it starts: next_ms moves to now +
 *     FG_OUTBOX_LEASE_MS, guarded by the next_ms read (one claimer wins,
 *     also across processes on one PostgreSQL database), and its outcome is
 *     recorded only while that claim still holds (guarded by the same
 *     next_ms and tries). A process that dies mid-try leaves the row
 *     PENDING, due again when the claim ends: at least once, never lost.
 *  4. The notification id and the body are written once and never change:
 *     every try of a row sends the same bytes under the same id, so the
 *     receiver can deduplicate. (The signature headers change per try: they
 *     carry the try's time.)
 *
 * Where: the rows are this module's (below every family); the dispatcher is
 * the outbox's entry in the family list (src/families/outbox/, its
 * outbox_dispatch.c), started once the engine runs and stopped before it
 * stops, since it goes through the engine, a layer services/ does not use.
 *
 * Families: a family registers how its rows are delivered (outbox_family_set,
 * in its init) before the dispatcher starts: prepare() gives the URL and the headers of a
 * try (WorldFirst signs the body and the time with fundgate's key), acked()
 * reads the receiver's answer. A row of a family without one fails its tries.
 *
 * Threading: outbox_enqueue and outbox_retry run on the writer inside its
 * transaction; outbox_list and outbox_get on any read connection. The
 * dispatcher is one poller thread (every FG_OUTBOX_POLL_MS it reads due rows
 * on its own read connection and claims at most FG_OUTBOX_INFLIGHT_MAX
 * through the writer) and FG_OUTBOX_DELIVERIES_MAX delivery threads. Its
 * time is fg_clock_now_ms() (the test clock in tests). A receiver that never
 * answers holds at most the delivery threads, each for at most the total
 * timeout: the API and the writer never wait for it.
 *
 * Failure: a try whose outcome cannot be recorded (the engine stopping)
 * leaves the row claimed; it is tried again when the claim ends. Stopping
 * cuts tries in flight short without recording them.
 */
#ifndef FG_OUTBOX_H
#define FG_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"
#include "core/limits.h"

struct store;

enum outbox_status { OUTBOX_PENDING = 0, OUTBOX_DELIVERED = 1, OUTBOX_DEAD = 2 };
extern const char *const outbox_status_names[]; /* "pending", "delivered", "dead", NULL */

#define OUTBOX_ID_BYTES 80
#define OUTBOX_FAMILY_BYTES 32
#define OUTBOX_URL_BYTES (FG_WF_NOTIFY_URL_BYTES_MAX + 1)
#define OUTBOX_HEADERS_MAX 6
#define OUTBOX_HEADER_BYTES 1024

struct outbox_row {
    int64_t id;
    char notification_id[OUTBOX_ID_BYTES];
    char family[OUTBOX_FAMILY_BYTES];
    char client_key[FG_NAME_BYTES_MAX + 1];
    char kind[OUTBOX_FAMILY_BYTES];
    char ref[OUTBOX_ID_BYTES];
    char url[OUTBOX_URL_BYTES];
    char *body; /* malloc'd, NUL-terminated; outbox_row_release */
    size_t body_len;
    enum outbox_status status;
    int tries;
    int64_t next_ms, last_ms;
    int last_http; /* the last try's HTTP status, 0 when none came */
    char last_error[FG_OUTBOX_ERROR_BYTES_MAX + 1];
    int64_t created_ms, done_ms;
};
void outbox_row_release(struct outbox_row *r);

/* What a family asks to enqueue. */
struct outbox_new {
    const char *notification_id; /* unique forever, 1..OUTBOX_ID_BYTES-1 bytes */
    const char *family, *client_key, *kind, *ref, *url;
    const char *body; /* at most FG_OUTBOX_BODY_BYTES_MAX bytes */
    size_t body_len;
};

/* Write a PENDING row due now (writer, inside the caller's transaction:
 * invariant 1). -FG_ECONSTRAINT when the notification id exists,
 * -FG_EBAD_REQUEST when a field is out of bounds. */
int outbox_enqueue(struct store *s, int64_t now_ms, const struct outbox_new *n, struct fg_err *err);
/* Make a row PENDING, due now, with no tries (writer). -FG_ENOT_FOUND. */
int outbox_retry(struct store *s, int64_t id, int64_t now_ms, struct fg_err *err);
/* One row (any connection). -FG_ENOT_FOUND. */
int outbox_get(struct store *s, int64_t id, struct outbox_row *out, struct fg_err *err);
/* Rows with id > after, oldest first, at most limit (1..FG_PAGE_LIMIT_MAX),
 * of one status (or every status when status < 0). fn gets each row (its
 * body is released after the call); *more says whether more follow. */
typedef int (*outbox_row_fn)(void *ctx, const struct outbox_row *r);
int outbox_list(struct store *s, int status, int64_t after, int limit, outbox_row_fn fn, void *ctx,
                bool *more, struct fg_err *err);
/* Rows PENDING now and the creation time of the oldest (0 when none). */
int outbox_pending_stats(struct store *s, int64_t *count, int64_t *oldest_created_ms,
                         struct fg_err *err);

/* The delay before the try after `tries` failed tries (1..FG_OUTBOX_TRIES_MAX
 * - 1), in ms; -1 when no try follows (the row is DEAD). */
int64_t outbox_delay_ms(int tries);

/* One try: where it goes and its headers ("Name: value"), Content-Type
 * included. */
struct outbox_call {
    char url[OUTBOX_URL_BYTES];
    char headers[OUTBOX_HEADERS_MAX][OUTBOX_HEADER_BYTES];
    int header_count;
};

struct outbox_family {
    const char *family;
    /* Fill call for a try of row at now_ms (a delivery thread; thread-safe);
     * < 0 fails the try (err says why, kept as the row's last_error). */
    int (*prepare)(const struct outbox_row *row, int64_t now_ms, struct outbox_call *call,
                   struct fg_err *err);
    /* Did the receiver acknowledge? why (cap bytes) says what was wrong. */
    bool (*acked)(long http_status, const char *body, size_t len, char *why, size_t cap);
};
/* Register a family's delivery (in its init, before the dispatcher starts;
 * at most FG_FX_FAMILIES_MAX families). */
int outbox_family_set(const struct outbox_family *f);

/* The columns outbox_row_read reads, in its order. */
#define OUTBOX_ROW_COLUMNS                                                                         \
    "id, notification_id, family, client_key, kind, ref, url, body, status, tries, next_ms, "      \
    "last_ms, last_http, last_error, created_ms, done_ms"
struct store_row;
/* One row of a SELECT OUTBOX_ROW_COLUMNS into r (its body malloc'd). */
int outbox_row_read(struct store_row *row, struct outbox_row *r);
/* The delivery a family registered, or NULL. */
const struct outbox_family *outbox_family_of(const char *name);

#endif
