/* api_idem.c - the idempotent-command helper; see api_idem.h. */
#include "api/api_idem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/assert.h"
#include "core/sig.h"
#include "ledger/idem.h"

#define API_IDEM_RECORDED 1 /* idem.state of a recorded answer */

/* Keys of commands in the engine. A linear scan under the mutex: at most
 * FG_IDEM_INFLIGHT_MAX short strings, and only commands that track. */
struct api_inflight {
    pthread_mutex_t mu;
    int n;
    char keys[FG_IDEM_INFLIGHT_MAX][API_IDEM_KEY_BYTES_MAX + 1];
};

struct api_inflight *api_inflight_create(void)
{
    struct api_inflight *t = calloc(1, sizeof(*t));
    if (t)
        pthread_mutex_init(&t->mu, NULL);
    return t;
}

void api_inflight_destroy(struct api_inflight *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->mu);
    free(t);
}

void api_idem_key(struct api_idem *id, const char *scope, const char *a, const char *b)
{
    int n = b ? snprintf(id->key, sizeof(id->key), "%s:%s", a, b)
              : snprintf(id->key, sizeof(id->key), "%s", a);
    FG_ASSERT(n > 0 && (size_t)n < sizeof(id->key)); /* bounded parts */
    id->scope = scope;
}

void api_idem_ref(char ref[LEDGER_REF_BYTES_MAX], const char *scope, const char *key)
{
    size_t ns = strlen(scope), nk = strlen(key);
    if (ns + 1 + nk < LEDGER_REF_BYTES_MAX) {
        memcpy(ref, scope, ns);
        ref[ns] = ':';
        memcpy(ref + ns + 1, key, nk + 1);
        return;
    }
    uint8_t h[FG_SHA256_BYTES];
    char hex[2 * FG_SHA256_BYTES + 1];
    fg_sha256(key, nk, h);
    sig_hex_encode(h, sizeof(h), hex);
    snprintf(ref, LEDGER_REF_BYTES_MAX, "%s:sha256:%s", scope, hex);
}

int api_idem_track(struct api *api, struct api_idem *id, struct fg_err *err)
{
    struct api_inflight *t = api->inflight;
    bool busy = false;
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < t->n && !busy; i++)
        busy = strcmp(t->keys[i], id->key) == 0;
    if (!busy && t->n < FG_IDEM_INFLIGHT_MAX) {
        memcpy(t->keys[t->n++], id->key, sizeof(id->key));
        id->tracked = api;
    }
    pthread_mutex_unlock(&t->mu);
    return busy ? fg_fail(err, -FG_EIN_PROGRESS, "request_id is being processed") : 0;
}

void api_idem_untrack(struct api_idem *id)
{
    if (!id->tracked)
        return;
    struct api_inflight *t = id->tracked->inflight;
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->keys[i], id->key) == 0) {
            t->n--;
            if (i != t->n)
                memcpy(t->keys[i], t->keys[t->n], sizeof(t->keys[0]));
            break;
        }
    pthread_mutex_unlock(&t->mu);
    id->tracked = NULL;
}

int api_idem_replay(struct api_cmd *c, struct store *s, const struct api_idem *id,
                    struct fg_err *err)
{
    struct idem_rec rec;
    int rc = idem_get(s, id->scope, id->key, &rec, err);
    if (rc < 0 || !rec.found)
        return rc;
    if (!idem_same_hash(&rec, id->hash)) {
        idem_rec_release(&rec);
        return fg_fail(err, -FG_EIDEMPOTENCY_CONFLICT, "request_id was used for another request");
    }
    /* A replay: the original answer, byte for byte. */
    http_req_respond(c->req, rec.status, rec.response, rec.response_len);
    c->req->content_type = "application/json";
    rec.response = NULL;
    idem_rec_release(&rec);
    return 1;
}

int api_idem_record(struct api_cmd *c, struct store *s, const struct api_idem *id, int64_t ref,
                    int64_t now_ms, struct fg_err *err)
{
    struct http_req *req = c->req;
    if (!req->resp_body || req->status < 200 || req->status >= 300) /* out of memory answering */
        return fg_fail(err, -FG_ENOMEM, "the answer to record could not be made");
    return idem_put(s, id->scope, id->key, id->hash, API_IDEM_RECORDED, req->status, req->resp_body,
                    req->resp_len, ref, now_ms, err);
}
