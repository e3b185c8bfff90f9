/*
 * receiver.h - a notification receiver for the end-to-end tests: a real
 * HTTP server (libmicrohttpd, its own thread) on a free loopback port that
 * records every POST it gets (path, headers, exact body) and answers as its
 * mode says. The tests check the signatures of what it recorded with
 * `openssl dgst -verify`, never with fundgate's code.
 *
 * A listener that never answers is another thing: receiver_hang_start opens
 * a listening socket that never accepts, so a caller's connection completes
 * in the kernel and then nothing ever comes back.
 *
 * Thread-safe: the tests read what was recorded while the server posts.
 */
#ifndef FG_TEST_RECEIVER_H
#define FG_TEST_RECEIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum receiver_mode {
    RECEIVER_ACK,      /* 200 {"result":{"resultCode":"SUCCESS","resultStatus":"S",...}} */
    RECEIVER_FAIL,     /* 200 {"result":{"resultCode":"PROCESS_FAIL","resultStatus":"F",...}} */
    RECEIVER_HTTP_500, /* 500 with an empty body */
};

struct receiver_call {
    char path[256];
    char client_id[128], request_time[64], signature[1024], content_type[128];
    char *body; /* malloc'd, NUL-terminated */
    size_t len;
};

struct receiver;

/* Start on 127.0.0.1 and a free port (port 0), or on port. */
struct receiver *receiver_start(enum receiver_mode mode, uint16_t port);
uint16_t receiver_port(const struct receiver *r);
void receiver_mode_set(struct receiver *r, enum receiver_mode mode);
/* Requests recorded so far. */
int receiver_count(struct receiver *r);
/* A copy of the ith recorded request (free out->body); false when none. */
bool receiver_get(struct receiver *r, int i, struct receiver_call *out);
void receiver_stop(struct receiver *r);

/* A socket that listens and never accepts; returns its fd (close it to
 * stop), *port its port. */
int receiver_hang_start(uint16_t *port);

#endif
