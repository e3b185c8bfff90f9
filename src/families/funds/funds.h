/*
 * funds.h - the Funds family (docs/protocols/funds.md): withdrawal
 * orders v2, own-account transfers and rate conversion, behind an HS256
 * X-Auth-Token; plus the admin routes that configure it.
 *
 * What it is for: authenticating (jwt.h), decoding requests into service calls
 * (services/withdraw.h) and encoding answers in the family's envelope
 * {code, msg, data, trace_id} with the vendor's codes and texts. The mapping
 * from fundgate's fg codes to the vendor's codes is ONE table, funds_code_map
 * (funds_codes.c). Not for: business rules.
 *
 * Who may act is decided in services/withdraw.c (operation modes, omnibus
 * accounts); this module reads the token's UserName, Appid and
 * OmnibusAccountId into a struct wd_actor.
 *
 * Threading: handlers run on the HTTP threads; writes go to the engine as
 * commands (create, cancel, appeal, transfer); reads use api_reader().
 *
 * Files: funds.c (descriptor, envelope, token, prelude, clients),
 * funds_codes.c (the code map), funds_orders.c (/order/v2), funds_account.c
 * (/account/v2, /rate/v2), funds_admin.c (its admin routes).
 */
#ifndef FG_FUNDS_H
#define FG_FUNDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/family.h"
#include "core/errors.h"
#include "core/fields.h"
#include "http/http.h"
#include "services/withdraw.h"

struct api;
struct api_cmd;
struct api_idem;
struct store;

/* The family's entry in the root's list (api/family.h). */
extern const struct api_family funds_family;

/* --- inside the family's directory ------------------------------------------ */

/* The code map (funds_codes.c): fg codes to the vendor's. */
extern const struct api_code_map funds_code_map;
/* The vendor's code for a fundgate code (0 for 0); 0 when the code is an
 * operating error with no business meaning (answered 5xx). */
int funds_code_of(int fg_code);
/* The code an answer carries: funds_code_of, or 110017 for an operating error. */
int funds_wire_code(int fg_code);

/* The envelope {code, msg, data, trace_id} in the language asked for (zh:
 * Accept-Language zh...); takes data's reference. */
bool funds_wants_zh(struct http_req *req);
void funds_answer_in(struct http_req *req, bool zh, int fg_code, json_t *data,
                     const struct fg_err *err);
/* The success answer, kept under the command's idempotency key. */
int funds_answer_recorded(struct api_cmd *c, const struct api_idem *id, bool zh, json_t *data,
                          int64_t ref, struct store *s, int64_t now_ms, struct fg_err *err);

/* Who makes the request: the verified X-Auth-Token's actor and its app's
 * config (a reference the caller drops); 990009, 110007, 990429 otherwise. */
struct funds_auth {
    struct wd_actor actor;
    json_t *app;
};
int funds_authenticate(struct api *api, struct http_req *req, struct funds_auth *a,
                       struct fg_err *err);
/* funds_authenticate, answering a refusal itself in the family's envelope:
 * false when it answered (the handler then returns HTTP_DONE). */
bool funds_authenticate_or_answer(struct api *api, struct http_req *req, bool zh,
                                  struct funds_auth *a);
/* An integer of the app's config, or dflt. */
int64_t funds_cfg_int(json_t *app, const char *key, int64_t dflt);
/* The body (empty is 110036, malformed 110001) read through specs into dst;
 * unknown fields are ignored (the vendor adds fields between versions). */
int funds_fields(struct http_req *req, const struct field_spec *specs, void *dst,
                 struct fg_err *err);
/* Canonical decimal text for hashing: "100", "100.0" and "0100.00" are one
 * amount ("" when in is ""). */
void funds_amount_canon(const char *in, char *out, size_t cap);

/* The routes (funds_orders.c, funds_account.c). */
int funds_create_post(struct http_req *req, void *ctx);
int funds_detail_post(struct http_req *req, void *ctx);
int funds_list_post(struct http_req *req, void *ctx);
int funds_cancel_post(struct http_req *req, void *ctx);
int funds_appeal_post(struct http_req *req, void *ctx);
int funds_transfer_post(struct http_req *req, void *ctx);
int funds_convert_post(struct http_req *req, void *ctx);

/* A refusal on its admin routes: the admin shape plus "funds_code" when the
 * code has one (funds_admin.c). */
void funds_admin_refuse(struct http_req *req, int code, const struct fg_err *err);
/* Its admin routes (funds_admin.c). */
#define FUNDS_ADMIN_ROUTE_COUNT 6
extern const struct http_route funds_admin_routes[FUNDS_ADMIN_ROUTE_COUNT];

/* An order as the wire shows it (full: every field, for detail and lists). */
json_t *funds_order_json(const struct wd_order *o, bool full);

#endif
