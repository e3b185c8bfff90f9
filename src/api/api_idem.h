/*
 * api_idem.h - the idempotent-command helper (issue 11): how a write that
 * carries a request id is applied exactly once.
 *
 * A command keeps a struct api_idem in its data: the record's scope and key
 * (core of the `idem` table, ledger/idem.h) and the hash of the request's
 * defining content (core/reqhash.h). Then:
 *
 *   HTTP thread   api_idem_track     the key is "in flight": the same key
 *                                    again, before the first is answered, is
 *                                    -FG_EIN_PROGRESS (optional: a family
 *                                    whose protocol has such an answer)
 *   writer        api_idem_replay    first thing in run(): a record with the
 *                                    same hash answers its stored bytes (1);
 *                                    another hash is -FG_EIDEMPOTENCY_CONFLICT;
 *                                    none: go on (0)
 *                 ...the effect, the family's success answer on req...
 *                 api_idem_record    that answer under the key, in the same
 *                                    transaction as the effect
 *   request end   api_idem_untrack   (the command's data_free)
 *
 * Refusals are not recorded: a refused request may be retried once fixed.
 * (TradeBoss records its refusals, and re-renders its stored answers; its
 * fence, families/tradeboss/tradeboss_fence.h, uses ledger/idem.h directly.)
 * Concurrent duplicates without tracking are serialised by the single
 * writer: the first applies, the others replay its record.
 *
 * The in-flight table is the struct api's, at most FG_IDEM_INFLIGHT_MAX keys;
 * a full table tracks nothing more (the writer still serialises; only the
 * in-progress answer is lost).
 */
#ifndef FG_API_IDEM_H
#define FG_API_IDEM_H

#include <stdbool.h>
#include <stdint.h>

#include "api/api_cmd.h"
#include "core/crypto.h"
#include "core/limits.h"
#include "ledger/ledger.h"

#define API_IDEM_KEY_BYTES_MAX (FG_NAME_BYTES_MAX + 1 + FG_REQUEST_ID_BYTES_MAX)

struct api_idem {
    const char *scope; /* static: "funds.create" */
    char key[API_IDEM_KEY_BYTES_MAX + 1];
    uint8_t hash[FG_SHA256_BYTES];
    struct api *tracked; /* set while the key is in the in-flight table */
};

/* Set scope and key ("<a>:<b>" when b is given; a key too long is a
 * programmer error: the parts are bounded fields). */
void api_idem_key(struct api_idem *id, const char *scope, const char *a, const char *b);
int api_idem_track(struct api *api, struct api_idem *id, struct fg_err *err);
void api_idem_untrack(struct api_idem *id);
int api_idem_replay(struct api_cmd *c, struct store *s, const struct api_idem *id,
                    struct fg_err *err);
/* Keep c->req's answer (status and bytes, set by the family) under the key;
 * ref names what the command made (a transfer or order id). */
int api_idem_record(struct api_cmd *c, struct store *s, const struct api_idem *id, int64_t ref,
                    int64_t now_ms, struct fg_err *err);

/* A journal ref for what the command with key made: "<scope>:<key>", or
 * "<scope>:sha256:<hex of the key>" when that would not fit (never cut). */
void api_idem_ref(char ref[LEDGER_REF_BYTES_MAX], const char *scope, const char *key);

/* The in-flight table of a struct api (api_init, api_release). */
struct api_inflight *api_inflight_create(void);
void api_inflight_destroy(struct api_inflight *t);

#endif
