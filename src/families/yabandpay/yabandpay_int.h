/*
 * yabandpay_int.h - private to src/families/yabandpay: the pieces the
 * family's files share (yabandpay.h has the contract).
 *
 *   yabandpay.c         the endpoint, its methods and commands, the descriptor
 *   yabandpay_body.c    the body, its literals and the string to sign
 *   yabandpay_wire.c    the envelope, quotes and trades as the merchant sees them
 *   yabandpay_client.c  the clients' configs (validation, secret)
 *   yabandpay_codes.c   the error space and the code map
 *   yabandpay_cli.c     `fundgate sign yabandpay`
 */
#ifndef FG_YABANDPAY_INT_H
#define FG_YABANDPAY_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "api/api.h"
#include "api/api_cmd.h"
#include "api/family.h"
#include "core/jsonlit.h"
#include "core/limits.h"
#include "services/fx.h"

#define YB_FAMILY "yabandpay"

/* --- clients (yabandpay_client.c) ---------------------------------------- */

struct yb_client {
    char user[FG_YB_USER_BYTES_MAX + 1];
    char uuid[FG_UUID_BYTES_MAX + 1];
    char account_type[16];
    int64_t markup_bp;
    char secret[FG_YB_SECRET_BYTES_MAX + 1];
    size_t secret_len;
};

extern const struct api_client_kind yb_clients;
/* The merchant's parsed config: 0, or -FG_ENOT_FOUND for a user without a
 * (usable) client. */
int yb_client_load(struct api *api, const char *user, struct yb_client *c);
/* Wipe the secret (the writer needs none). */
void yb_client_wipe(struct yb_client *c);

/* --- the body (yabandpay_body.c) ----------------------------------------- */

/* A request body: jansson's values and the text's literals (core/jsonlit.h),
 * at the top and in `data`. */
struct yb_body {
    json_t *root, *data;
    struct jsonlit_member top[FG_YB_FIELDS_MAX], dm[FG_YB_FIELDS_MAX];
    int ntop, ndata;
};

/* Parse text into b (released by yb_body_release, also after a failure). */
int yb_body_parse(const char *text, size_t len, struct yb_body *b, struct fg_err *err);
void yb_body_release(struct yb_body *b);
/* The string b's `sign` covers (yabandpay.h); *out malloc'd. */
int yb_sign_string_of(struct yb_body *b, char **out, size_t *out_len, struct fg_err *err);

/* --- the wire (yabandpay_wire.c) ----------------------------------------- */

#define YB_DATA_TEXT_BYTES (4096 + FX_REFERENCE_BYTES * 6)

/* The envelope of fg (0 or negative) through the code map: msg NULL for the
 * code's text; data_text compact JSON ("{}" when NULL). *len set; malloc'd,
 * NULL when out of memory. */
char *yb_envelope_text(int fg, const char *msg, const char *data_text, size_t *len);
/* Answer req in the envelope (HTTP 200, 429 for the rate limit). */
void yb_respond(struct http_req *req, int fg, const char *msg, const char *data_text);
/* Answer a refusal (err's message when it has one); returns HTTP_DONE. */
int yb_refuse_now(struct http_req *req, int fg, const struct fg_err *err);
/* The descriptor's envelope (api/family.h). */
void yb_answer(struct http_req *req, int code, json_t *data, const struct fg_err *err);
void yb_fail(struct api_cmd *c, int code);
int yb_transport_refusal(struct http_req *req, void *ctx);
/* A trade's and a quote's `data`, in the vendor's order; false when cap is short. */
bool yb_trade_text(const struct fx_exchange *x, char *out, size_t cap);
bool yb_quote_text(const struct fx_quote *q, const char *currency, const char *request_id,
                   char *out, size_t cap);

/* --- the command line (yabandpay_cli.c) ---------------------------------- */

/* `fundgate sign yabandpay --secret S [FILE|-]`: argv[0] is "yabandpay".
 * Prints the body with its `sign` (and a `time` of now when it has none).
 * Returns the exit code. */
int yb_sign_main(int argc, char **argv);

#endif
