/* receiver.c - see receiver.h. */
#include "receiver.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RECEIVER_CALLS_MAX 256
#define RECEIVER_BODY_MAX (128 * 1024)

struct upload {
    char *body;
    size_t len;
    bool too_big;
};

struct receiver {
    struct MHD_Daemon *d;
    uint16_t port;
    pthread_mutex_t mu;
    enum receiver_mode mode;
    struct receiver_call calls[RECEIVER_CALLS_MAX];
    int count;
};

static void header_copy(struct MHD_Connection *c, const char *name, char *out, size_t cap)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(out, cap, "%s", v ? v : "");
}

static void record(struct receiver *r, struct MHD_Connection *c, const char *url, struct upload *u)
{
    pthread_mutex_lock(&r->mu);
    if (r->count < RECEIVER_CALLS_MAX) {
        struct receiver_call *k = &r->calls[r->count++];
        snprintf(k->path, sizeof(k->path), "%s", url);
        header_copy(c, "client-id", k->client_id, sizeof(k->client_id));
        header_copy(c, "request-time", k->request_time, sizeof(k->request_time));
        header_copy(c, "signature", k->signature, sizeof(k->signature));
        header_copy(c, "Content-Type", k->content_type, sizeof(k->content_type));
        k->body = u->body ? u->body : strdup("");
        k->len = u->len;
        u->body = NULL;
    }
    pthread_mutex_unlock(&r->mu);
}

static enum MHD_Result answer(struct MHD_Connection *c, enum receiver_mode mode)
{
    static const char ack[] = "{\"result\":{\"resultCode\":\"SUCCESS\",\"resultStatus\":\"S\","
                              "\"resultMessage\":\"success\"}}";
    static const char nak[] = "{\"result\":{\"resultCode\":\"PROCESS_FAIL\",\"resultStatus\":"
                              "\"F\",\"resultMessage\":\"not now\"}}";
    const char *text = mode == RECEIVER_ACK ? ack : mode == RECEIVER_FAIL ? nak : "";
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(c, mode == RECEIVER_HTTP_500 ? 500 : 200, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *data,
                                  size_t *size, void **state)
{
    (void)method, (void)version;
    struct receiver *r = cls;
    struct upload *u = *state;
    if (!u) {
        *state = calloc(1, sizeof(*u));
        return *state ? MHD_YES : MHD_NO;
    }
    if (*size) {
        char *grown =
            u->len + *size <= RECEIVER_BODY_MAX ? realloc(u->body, u->len + *size + 1) : NULL;
        if (!grown) {
            u->too_big = true;
        } else {
            u->body = grown;
            memcpy(u->body + u->len, data, *size);
            u->len += *size;
            u->body[u->len] = '\0';
        }
        *size = 0;
        return MHD_YES;
    }
    record(r, c, url, u);
    pthread_mutex_lock(&r->mu);
    enum receiver_mode mode = r->mode;
    pthread_mutex_unlock(&r->mu);
    return answer(c, mode);
}

static void on_done(void *cls, struct MHD_Connection *c, void **state,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    struct upload *u = *state;
    if (u)
        free(u->body);
    free(u);
    *state = NULL;
}

struct receiver *receiver_start(enum receiver_mode mode, uint16_t port)
{
    struct receiver *r = calloc(1, sizeof(*r));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    pthread_mutex_init(&r->mu, NULL);
    r->mode = mode;
    r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, port, NULL, NULL,
                            on_request, r, MHD_OPTION_SOCK_ADDR, &a, MHD_OPTION_NOTIFY_COMPLETED,
                            on_done, NULL, MHD_OPTION_END);
    if (!r->d) {
        free(r);
        return NULL;
    }
    r->port = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    return r;
}

uint16_t receiver_port(const struct receiver *r)
{
    return r->port;
}

void receiver_mode_set(struct receiver *r, enum receiver_mode mode)
{
    pthread_mutex_lock(&r->mu);
    r->mode = mode;
    pthread_mutex_unlock(&r->mu);
}

int receiver_count(struct receiver *r)
{
    pthread_mutex_lock(&r->mu);
    int n = r->count;
    pthread_mutex_unlock(&r->mu);
    return n;
}

bool receiver_get(struct receiver *r, int i, struct receiver_call *out)
{
    pthread_mutex_lock(&r->mu);
    bool ok = i >= 0 && i < r->count;
    if (ok) {
        *out = r->calls[i];
        out->body = malloc(out->len + 1);
        memcpy(out->body, r->calls[i].body, out->len + 1);
    }
    pthread_mutex_unlock(&r->mu);
    return ok;
}

void receiver_stop(struct receiver *r)
{
    if (!r)
        return;
    MHD_stop_daemon(r->d);
    for (int i = 0; i < r->count; i++)
        free(r->calls[i].body);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

int receiver_hang_start(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}
