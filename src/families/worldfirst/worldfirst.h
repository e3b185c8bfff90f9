/*
 * worldfirst.h - the WorldFirst FX family (issue 13; docs/protocols/worldfirst.md):
 * an integrator asks for a quote, creates an exchange (SPOT at once, FORWARD
 * on a later value date, UNFUNDED_SPOT booked without funds), inquires, and
 * is told by a signed notifyExchange when a deal reaches its final state.
 * On the FX core (services/fx.h); notifications go through the outbox
 * (services/outbox.h).
 *
 * Endpoints: POST /amsin/api/v1/business/fund/{createQuote,createExchange,
 * inquiryExchange}. Requests carry `client-id`, `request-time` and
 * `signature: algorithm=RSA256,keyVersion=<n>,signature=<s>`: SHA256withRSA
 * over `<METHOD> <URI>\n<client-id>.<request-time>.<body>`, verified with the
 * client's public key of that keyVersion. Every answer is signed the same
 * way with fundgate's private key (headers `client-id`, `response-time`,
 * `signature`). Every protocol answer is HTTP 200 with a `result`
 * {resultCode, resultStatus S|F|U, resultMessage}; the rate limit answers
 * 429, the transport's refusals (unknown path, another method, a body too
 * large) keep their HTTP status; all in the same shape.
 *
 * Clients: POST /admin/v1/clients with family "worldfirst", keyed by
 * `client_id`: `public_keys` {keyVersion: PEM}, `customers` {customerId:
 * fundgate uuid}, optional `notify_url`, `account_type`, `markup_bp`,
 * `quote_ttl_s`, `time_window_s`. fundgate's key pair: `fundgate keygen`,
 * or created on the first start (mode 0600); its public half at
 * GET /admin/v1/keys/worldfirst.
 *
 * Descriptor (api/family.h): its routes under /amsin/ (the owner prefix:
 * the transport's refusals there in its shape), GET /admin/v1/keys/worldfirst,
 * its code map and error space (worldfirst_codes.h, base 5), its clients,
 * its envelope, init (client delivery in the outbox, the FX core's
 * final-state hook), start/stop (fundgate's key, the signer threads) and the
 * commands `fundgate keygen`, `fundgate sign worldfirst`, `fundgate verify
 * worldfirst`.
 *
 * Threading: the handler runs on an HTTP thread (headers, signature,
 * fields; the inquiry reads there); quotes and exchanges run as commands on
 * the engine's writer, where the idempotency record, the exchange and the
 * money commit together; their answers are signed off the writer by
 * FG_WF_SIGNERS threads and leave only after the batch is durable.
 *
 * Failure: a batch that does not commit answers UNKNOWN_EXCEPTION (U) with
 * nothing applied; the integrator inquires, or sends the same
 * exchangeRequestId again, which then applies once.
 */
#ifndef FG_WORLDFIRST_H
#define FG_WORLDFIRST_H

#include "api/family.h"

#define WF_FAMILY "worldfirst"
#define WF_PATH_PREFIX "/amsin/"

/* The family's entry in the root's list (api/family.h). */
extern const struct api_family worldfirst_family;

#endif
