/* idem.c - idempotency records; see idem.h. */
#include "ledger/idem.h"

#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static int idem_row(void *ctx, struct store_row *row)
{
    struct idem_rec *r = ctx;
    size_t n = 0;
    const char *h = store_row_text(row, 0, &n);
    if (h && n == FG_SHA256_BYTES)
        memcpy(r->hash, h, n);
    r->state = (int)store_row_int(row, 1);
    r->status = (int)store_row_int(row, 2);
    const char *resp = store_row_text(row, 3, &n);
    if (resp) {
        r->response = malloc(n + 1);
        if (!r->response)
            return -FG_ENOMEM;
        memcpy(r->response, resp, n);
        r->response[n] = '\0';
        r->response_len = n;
    }
    r->ref = store_row_int(row, 4);
    r->created_ms = store_row_int(row, 5);
    r->found = true;
    return 1;
}

int idem_get(struct store *s, const char *scope, const char *key, struct idem_rec *rec,
             struct fg_err *err)
{
    memset(rec, 0, sizeof(*rec));
    return store_exec(s,
                      "SELECT req_hash, state, status, response, ref, created_ms FROM idem "
                      "WHERE scope = ? AND key = ?",
                      STORE_ARGS(SA_TEXT(scope), SA_TEXT(key)), idem_row, rec, err);
}

int idem_put(struct store *s, const char *scope, const char *key,
             const uint8_t hash[FG_SHA256_BYTES], int state, int status, const char *response,
             size_t response_len, int64_t ref, int64_t now_ms, struct fg_err *err)
{
    return store_exec_changes(
        s,
        "INSERT INTO idem (scope, key, req_hash, state, status, response, ref, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        STORE_ARGS(SA_TEXT(scope), SA_TEXT(key), SA_BLOB(hash, FG_SHA256_BYTES), SA_INT(state),
                   SA_INT(status), response ? SA_BLOB(response, response_len) : SA_NULL,
                   SA_INT(ref), SA_INT(now_ms)),
        NULL, err);
}

int idem_update(struct store *s, const char *scope, const char *key, int state, int status,
                const char *response, size_t response_len, int64_t ref, struct fg_err *err)
{
    int64_t changes = 0;
    int rc = store_exec_changes(
        s,
        "UPDATE idem SET state = ?, status = ?, response = ?, ref = ? WHERE scope = ? AND key = ?",
        STORE_ARGS(SA_INT(state), SA_INT(status),
                   response ? SA_BLOB(response, response_len) : SA_NULL, SA_INT(ref),
                   SA_TEXT(scope), SA_TEXT(key)),
        &changes, err);
    if (rc == 0 && changes != 1)
        return fg_fail(err, -FG_ENOT_FOUND, "no idempotency record %s/%s", scope, key);
    return rc;
}

bool idem_same_hash(const struct idem_rec *rec, const uint8_t hash[FG_SHA256_BYTES])
{
    return memcmp(rec->hash, hash, FG_SHA256_BYTES) == 0;
}

void idem_rec_release(struct idem_rec *rec)
{
    free(rec->response);
    rec->response = NULL;
}
