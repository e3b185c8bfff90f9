/*
 * idem.h - idempotency records: (scope, key) -> request hash, answer, state.
 *
 * Every external write carries a request id; its record is written in the same
 * transaction as the write's effect. Same key and same request hash: the caller
 * answers the stored response, byte for byte. Same key, different hash: a
 * conflict, nothing applied. The record's state and ref let a protocol use it
 * as a fence row (TradeBoss TCC: applied, refused, cancelled, tombstone).
 * Records are kept at least FG_IDEMPOTENCY_RETENTION_DAYS_MIN days.
 */
#ifndef FG_IDEM_H
#define FG_IDEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/crypto.h"
#include "core/errors.h"

struct store;

struct idem_rec {
    bool found;
    uint8_t hash[FG_SHA256_BYTES];
    int state;
    int status;
    char *response; /* malloc'd, NUL-terminated; free with idem_rec_release */
    size_t response_len;
    int64_t ref;
    int64_t created_ms;
};

/* Load the record; rec->found tells whether it exists. */
int idem_get(struct store *s, const char *scope, const char *key, struct idem_rec *rec,
             struct fg_err *err);
/* Insert a new record: -FG_ECONSTRAINT if (scope, key) exists. */
int idem_put(struct store *s, const char *scope, const char *key,
             const uint8_t hash[FG_SHA256_BYTES], int state, int status, const char *response,
             size_t response_len, int64_t ref, int64_t now_ms, struct fg_err *err);
/* Change state, status, response and ref of an existing record. */
int idem_update(struct store *s, const char *scope, const char *key, int state, int status,
                const char *response, size_t response_len, int64_t ref, struct fg_err *err);
bool idem_same_hash(const struct idem_rec *rec, const uint8_t hash[FG_SHA256_BYTES]);
void idem_rec_release(struct idem_rec *rec);

#endif
