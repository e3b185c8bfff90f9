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

#include "http/http.h"

struct engine;

#define WF_FAMILY "worldfirst"
#define WF_PATH_PREFIX "/amsin/"

const struct http_route *worldfirst_routes(int *count);
/* Register the "worldfirst" client family, its settlement hook and its
 * outbox delivery (idempotent; before the server serves). */
void worldfirst_init(void);
/* Load fundgate's signing key (creating it when absent), start the answer
 * signers and the outbox dispatcher over e; stop them before the engine
 * stops (answers completed afterwards are signed on the completing thread). */
int worldfirst_start(struct engine *e);
void worldfirst_stop(void);

/* `fundgate keygen`, `fundgate sign worldfirst`, `fundgate verify
 * worldfirst` (argv[0] is "keygen" / "worldfirst"). Exit codes. */
int worldfirst_keygen_main(int argc, char **argv);
int worldfirst_sign_main(int argc, char **argv);
int worldfirst_verify_main(int argc, char **argv);

#endif
