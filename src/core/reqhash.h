/*
 * reqhash.h - the one canonical form of a request's defining content, for
 * idempotency (issue 11: there were three).
 *
 * A retried request is the same request when what defines it is the same,
 * not its JSON text: key order, spacing and the fields that may change
 * between retries do not matter. The defining content is a list of JSON
 * values (absent is null), led by a tag naming the request and its version
 * ("tb.exec.v1"); its canonical text is the compact JSON array [tag, v1,
 * v2, ...] with the keys of nested objects sorted, as jansson writes it; the
 * hash is the SHA-256 of that text. Records keep the hash, never the text.
 *
 * The text is written directly when every value is a string, an integer,
 * true, false or null and everything is ASCII (the TradeBoss execute's case,
 * on its hot path); otherwise jansson writes it. Both give the same bytes.
 *
 * Pure functions, thread-safe. Returns 0 or -FG_ENOMEM.
 */
#ifndef FG_REQHASH_H
#define FG_REQHASH_H

#include <jansson.h>
#include <stdint.h>

#include "core/crypto.h"

/* [tag, obj[fields[0]], obj[fields[1]], ...]; fields NULL-terminated. A NULL
 * tag leaves the tag out (only the Funds create, whose records predate tags). */
int reqhash_fields(json_t *obj, const char *tag, const char *const fields[],
                   uint8_t out[FG_SHA256_BYTES]);
/* [tag, values...] for a JSON array of values the caller built. */
int reqhash_values(const json_t *values, const char *tag, uint8_t out[FG_SHA256_BYTES]);

#endif
