/*
 * yabandpay.h - the YabandPay FX family (issue 12; docs/protocols/yabandpay.md):
 * a merchant asks for a quote, executes it within its 30 s lock, and asks
 * for the trade later, on the FX core (services/fx.h).
 *
 * One endpoint, POST /Payments, JSON {user, sign, method, time, data}:
 * v3.GetFXQuote, v3.ExecuteFXOrder, v3.QueryFXOrder. Every protocol answer
 * is HTTP 200 with {"status": true|false, "code": "200"|"<negative>",
 * "data": {...}, "message": "..."} (the rate limit alone answers 429);
 * the codes are one code map (yabandpay_codes.c), mirrored in the README.
 *
 * Clients: POST /admin/v1/clients with family "yabandpay", keyed by `user`
 * (the merchant uid), holding the HMAC secret (sealed at rest, never
 * echoed), the fundgate customer that trades (`uuid`), the customer's
 * account type and a markup in basis points.
 *
 * Threading: the handler runs on an HTTP thread (parse, client,
 * signature, time, fields); quotes and executes run as commands on the
 * engine's writer, where the idempotency record, the quote and the money
 * commit together; queries read on the thread's read connection. An answer
 * leaves only after its batch is durable.
 *
 * Failure: a batch that does not commit answers -1000 with nothing
 * applied; the merchant's retry with the same request_id then applies once.
 */
#ifndef FG_YABANDPAY_H
#define FG_YABANDPAY_H

#include <stddef.h>

#include "api/family.h"
#include "core/errors.h"

/* The family's entry in the root's list (api/family.h). */
extern const struct api_family yabandpay_family;

/* The string a request body's `sign` covers: `k=v` pairs joined by '&',
 * keys sorted by byte value, made of user, method, time and every member
 * of data; each value as the JSON text gives it (a number's literal, a
 * string decoded, an object or array as written). *out is malloc'd and
 * NUL-terminated. -FG_EMISSING_FIELD / -FG_EBAD_FIELD / -FG_EBAD_JSON with
 * err saying which field. */
int yabandpay_sign_string(const char *body, size_t len, char **out, size_t *out_len,
                          struct fg_err *err);

#endif
