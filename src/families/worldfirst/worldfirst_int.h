/*
 * worldfirst_int.h - private to the WorldFirst family's files: the client,
 * the command a request becomes, and what each file offers the others.
 *
 *   worldfirst.c           routes, authentication, request fields, signed
 *                          answers (and the threads that sign writer answers)
 *   worldfirst_exchange.c  the writer's work: quotes, exchanges, the final-state
 *                          hook that queues notifyExchange; the inquiry read;
 *                          the JSON texts of quotes and exchanges
 *   worldfirst_keys.c      fundgate's signing key, the client registry's
 *                          validator, notification delivery (outbox family),
 *                          and the `keygen`, `sign worldfirst`, `verify
 *                          worldfirst` commands
 *   worldfirst_wire.c      the pure wire (worldfirst_wire.h)
 *   worldfirst_codes.c     the error space and the code map (worldfirst_codes.h)
 *   worldfirst_cli.c       the commands keygen, sign worldfirst, verify worldfirst
 */
#ifndef FG_WORLDFIRST_INT_H
#define FG_WORLDFIRST_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "api/family.h"
#include "core/crypto.h"
#include "core/sig.h"
#include "engine/engine.h"
#include "families/worldfirst/worldfirst.h"
#include "families/worldfirst/worldfirst_codes.h"
#include "families/worldfirst/worldfirst_wire.h"
#include "services/fx.h"

#define WF_SCOPE "wf.req"
#define WF_CLIENT_ID_BYTES (FG_WF_CLIENT_ID_BYTES_MAX + 1)
#define WF_CUSTOMER_ID_BYTES (FG_WF_CUSTOMER_ID_BYTES_MAX + 1)
#define WF_REQUEST_ID_BYTES (FG_WF_REQUEST_ID_BYTES_MAX + 1)
#define WF_QUOTE_ID_BYTES (FG_WF_QUOTE_ID_BYTES_MAX + 1)
#define WF_TEXT_BYTES 80 /* a quote field as sent: a pair, a price, a time */
#define WF_REFERENCE_BYTES (FG_WF_REFERENCE_CHARS_MAX * 4 + 1)
#define WF_MEMO_BYTES (FG_WF_MEMO_CHARS_MAX * 4 + 1)
#define WF_KEY_VERSION "1"      /* the keyVersion of fundgate's own key */
#define WF_SIG_HEADER_BYTES 512 /* a response header value (http.h) */

/* On disk (wf_exchanges), never renumber. */
enum wf_mode { WF_MODE_REALTIME = 0, WF_MODE_APPOINTED = 1 };
enum wf_trade { WF_TRADE_SPOT = 0, WF_TRADE_FORWARD = 1, WF_TRADE_UNFUNDED_SPOT = 2 };
extern const char *const wf_mode_names[];  /* "REALTIME", "APPOINTED", NULL */
extern const char *const wf_trade_names[]; /* "SPOT", "FORWARD", "UNFUNDED_SPOT", NULL */
/* The FX core's tenor of a trade type: SPOT settles at once (TOD). */
enum fx_tenor wf_tenor_of(enum wf_trade t);

/* --- clients (worldfirst_keys.c) ---------------------------------------------------- */

struct wf_client {
    char client_id[WF_CLIENT_ID_BYTES];
    char account_type[16];
    int64_t markup_bp, quote_ttl_s, time_window_s;
    char notify_url[FG_WF_NOTIFY_URL_BYTES_MAX + 1]; /* "" when none */
    json_t *cfg; /* the stored config (public_keys, customers): a reference */
};
/* The client from api's registry; -FG_ENOT_FOUND. wf_client_release after. */
int wf_client_load(struct api *api, const char *client_id, struct wf_client *c);
void wf_client_release(struct wf_client *c);
/* The public key of keyVersion v (sig_key_free it), or NULL. */
struct sig_key *wf_client_key(const struct wf_client *c, const char *version);
/* The fundgate customer a customerId maps to; false when none. */
bool wf_client_customer(const struct wf_client *c, const char *customer_id, char *uuid, size_t cap);
/* The registry's validator (public keys and notify_url are public: no
 * secret field). */
extern const struct api_client_kind wf_clients;

/* --- fundgate's key (worldfirst_keys.c) ---------------------------------------------- */

/* Read a PEM key file (strict: a regular file closed to group and others);
 * -FG_ENOT_FOUND when absent. Create an RSA-2048 private key file, mode
 * 0600 (O_EXCL, or replacing it through a renamed new file). */
int wf_key_file_read(const char *path, bool strict, bool private_key, struct sig_key **out,
                     struct fg_err *err);
int wf_key_file_create(const char *path, bool replace, struct sig_key **out, struct fg_err *err);
/* Load (or, when absent, create) fundgate's signing key at start: the
 * server's --signing-key-file, $FUNDGATE_SIGNING_KEY_FILE or
 * <data_dir>/signing-key.pem. */
int wf_key_start(const struct api_config *cfg, struct fg_err *err);
/* The key in force; NULL before wf_key_start (no answer is signed then). */
const struct sig_key *wf_key(void);
/* Sign content into a signature header value; false when no key or it fails. */
bool wf_key_sign_header(const char *content, size_t len, char *out, size_t cap);
/* The outbox family that delivers notifyExchange (outbox.h). */
void wf_outbox_register(void);

/* --- the command of createQuote and createExchange ------------------------------------ */

enum wf_api { WF_API_QUOTE, WF_API_EXCHANGE, WF_API_INQUIRY, WF_API_COUNT };

struct wf_quote_given { /* a Quote object as sent (APPOINTED): each field "" when absent */
    char id[WF_QUOTE_ID_BYTES], pair[WF_TEXT_BYTES], price[WF_TEXT_BYTES];
    char start[WF_TEXT_BYTES], expiry[WF_TEXT_BYTES];
    int guaranteed; /* -1 absent, 0 false, 1 true */
};

struct wf_cmd {
    struct engine_cmd ec; /* first: the engine hands it back */
    struct http_req *req;
    enum wf_api api;
    struct wf_client client; /* its cfg released before the command runs */
    /* the request */
    struct wf_amount sell, buy;
    enum wf_trade trade;
    enum wf_mode mode;
    bool has_value_day;
    int32_t value_day;
    char customer_id[WF_CUSTOMER_ID_BYTES], uuid[FG_UUID_BYTES_MAX + 1];
    char request_id[WF_REQUEST_ID_BYTES];
    bool has_quote;
    struct wf_quote_given quote;
    char deal_id[WF_QUOTE_ID_BYTES];
    char reference[WF_REFERENCE_BYTES], memo[WF_MEMO_BYTES];
    uint8_t hash[FG_SHA256_BYTES];
    int hint; /* a code the refusal must carry (enum wf_code), or -1 */
    /* the answer, set by run() or done() */
    char *answer;
    size_t answer_len;
    struct wf_cmd *next; /* the signers' queue */
};

/* The writer's work (worldfirst_exchange.c): fill c->answer; < 0 when
 * refused (the savepoint rolls back). */
int wf_quote_run(struct wf_cmd *c, struct store *s, int64_t now_ms);
int wf_exchange_run(struct wf_cmd *c, struct store *s, int64_t now_ms);
/* inquiryExchange on a read connection: the answer text (malloc'd). */
int wf_inquiry(struct store *s, const char *client_id, const char *request_id,
               const char *customer_id, char **answer, size_t *len, struct fg_err *err);
/* The FX core's final-state hook: queue notifyExchange (fx.h fx_final_fn).
 * Neither it nor the outbox's prepare() gets a context: they read the
 * clients of the server given to wf_api_set (at start; NULL at stop).
 * Without one the hook defers (the settlement tries the exchange again on a
 * later sweep) and prepare fails the try. */
int wf_final_hook(struct store *s, int64_t now_ms, const struct fx_exchange *x, struct fg_err *err);
void wf_api_set(struct api *api);
struct api *wf_api_running(void);

/* --- the commands (worldfirst_cli.c) ------------------------------------------------ */

/* `fundgate keygen`, `fundgate sign worldfirst`, `fundgate verify
 * worldfirst` (argv[0] is "keygen" / "worldfirst"). Exit codes. */
int wf_keygen_main(int argc, char **argv);
int wf_sign_main(int argc, char **argv);
int wf_verify_main(int argc, char **argv);

#endif
