/*
 * funds.h - the Funds family (seed 000, PROTOCOLS.md section A): withdrawal
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
 */
#ifndef FG_FUNDS_H
#define FG_FUNDS_H

#include <stdbool.h>

#include <jansson.h>
#include <stddef.h>

#include "api/family.h"
#include "core/errors.h"
#include "http/http.h"

struct wd_order;

/* The family's entry in the root's list (api/family.h). */
extern const struct api_family funds_family;

/* A refusal on its admin routes: the admin shape plus "funds_code" when the
 * code has one (funds_admin.c). */
void funds_admin_refuse(struct http_req *req, int code, const struct fg_err *err);

/* Its admin routes (funds_admin.c). */
#define FUNDS_ADMIN_ROUTE_COUNT 7
extern const struct http_route funds_admin_routes[FUNDS_ADMIN_ROUTE_COUNT];
/* The family's code map (funds_codes.c): fg codes to the vendor's. */
extern const struct api_code_map funds_code_map;
/* The vendor's code for a fundgate code (0 for 0); 0 when the code is an
 * operating error with no business meaning (answered 5xx). */
int funds_code_of(int fg_code);
/* The code an answer carries: funds_code_of, or 110017 for an operating error. */
int funds_wire_code(int fg_code);

/* Descriptive text (bank_address_details, bank_mark, reasons; issue 16):
 * stored as given, any characters including none and newlines, at most
 * max_chars characters (UTF-8 code points; longer is -FG_EBAD_FIELD, never
 * cut). Absent or null is "" unless required. cap > 4 * max_chars. */
int funds_text_copy(json_t *obj, const char *key, bool required, size_t max_chars, char *buf,
                    size_t cap, struct fg_err *err);

/* An order as the wire shows it (full: every field, for detail and lists). */
json_t *funds_order_json(const struct wd_order *o, bool full);

#endif
