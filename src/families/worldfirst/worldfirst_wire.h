/*
 * worldfirst_wire.h - the pure parts of the WorldFirst wire (issue 13;
 * docs/protocols/worldfirst.md): the result codes, the signature header, the
 * content a signature covers, the times, the QuoteAmount, and the JSON text
 * writers of the answers. No store, no HTTP, no clock: everything here is a
 * function of its arguments, unit-tested and fuzzed
 * (tests/unit/test_wf_wire.c, tests/fuzz/fuzz_wf_wire.c).
 *
 * The signature header: `algorithm=RSA256,keyVersion=<n>,signature=<s>`,
 * parts in any order, spaces after the commas tolerated, unknown parts
 * ignored, each known part once. <s> is the base64 of the RSA signature,
 * form-URL-encoded (`%2B %2F %3D`); a value without any '%' is also taken
 * as plain base64. keyVersion is 1 to FG_WF_KEY_VERSION_DIGITS_MAX digits.
 *
 * The content signed, both ways: `<METHOD> <URI>\n<client-id>.<time>.<body>`
 * with the request's method and path, the client-id, the request-time (or
 * response-time) header exactly as sent, and the body's exact bytes.
 *
 * Times: ISO 8601 with seconds and a zone (`2026-01-16T10:00:00Z`,
 * `2026-01-16T18:00:00.250+08:00`, `+0800`), or epoch milliseconds (1 to 15
 * digits); fundgate writes `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds).
 *
 * Threading: pure functions, thread-safe.
 */
#ifndef FG_WORLDFIRST_WIRE_H
#define FG_WORLDFIRST_WIRE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"
#include "core/jsonx.h"
#include "core/limits.h"

/* The result codes (README "WorldFirst" and the protocol page mirror them). */
enum wf_code {
    WF_SUCCESS,
    WF_PROCESSING,
    WF_PARAM_ILLEGAL,
    WF_PROCESS_FAIL,
    WF_UNKNOWN_EXCEPTION,
    WF_TRAFFIC_EXCEED_LIMIT,
    WF_INVALID_API,
    WF_INVALID_CLIENT,
    WF_INVALID_SIGNATURE,
    WF_METHOD_NOT_SUPPORTED,
    WF_ACCESS_DENIED,
    WF_BALANCE_INSUFFICIENT,
    WF_AUTHORIZATION_NOT_EXIST,
    WF_UN_SUPPORT_BUSINESS,
    WF_QUOTE_EXPIRED,
    WF_FX_RELATED_ORDER_NOT_EXIST,
    WF_CURRENCY_NOT_SUPPORT,
    WF_CONTRACT_CHECK_FAIL,
    WF_ORDER_NOT_EXIST,
    WF_CODE_COUNT
};

struct wf_code_row {
    const char *code;    /* resultCode */
    const char *status;  /* resultStatus: "S", "F" or "U" */
    const char *message; /* the default resultMessage */
};
extern const struct wf_code_row wf_codes[WF_CODE_COUNT];

/* An fg code (0 or negative) as this family's code: the code map's row
 * (worldfirst_codes.h), the one mapping. */
enum wf_code wf_code_of(int fg);

/* --- signatures ------------------------------------------------------------ */

#define WF_SIG_BYTES_MAX (FG_SIG_RSA_BITS_MAX / 8)
#define WF_KEY_VERSION_BYTES (FG_WF_KEY_VERSION_DIGITS_MAX + 1)

struct wf_sig_header {
    char key_version[WF_KEY_VERSION_BYTES];
    uint8_t sig[WF_SIG_BYTES_MAX];
    size_t sig_len;
};

/* Parse a signature header value (n bytes). -FG_EBAD_FIELD with err saying
 * what is wrong. */
int wf_sig_header_parse(const char *v, size_t n, struct wf_sig_header *out, struct fg_err *err);
/* `algorithm=RSA256,keyVersion=<v>,signature=<form-URL(base64(sig))>` into
 * out; its length, or 0 when cap is too small. */
size_t wf_sig_header_format(const char *key_version, const uint8_t *sig, size_t len, char *out,
                            size_t cap);
/* The content signed (malloc'd, NUL-terminated; *len its length); NULL when
 * out of memory. */
char *wf_sign_content(const char *method, const char *uri, const char *client_id, const char *time,
                      const char *body, size_t body_len, size_t *len);

/* --- times ------------------------------------------------------------------ */

#define WF_TIME_BYTES 24 /* "YYYY-MM-DDTHH:MM:SSZ" and a NUL, with room */

/* ISO 8601 with a zone, or epoch ms, into ms since 1970 (UTC). false when
 * malformed. */
bool wf_time_parse(const char *s, size_t n, int64_t *ms);
void wf_time_format(int64_t ms, char out[WF_TIME_BYTES]);

/* --- QuoteAmount --------------------------------------------------------------- */

#define WF_VALUE_MAX 999999999999999999LL /* 18 digits of minor units */

struct wf_amount {
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    bool has_value;
    int64_t value; /* minor units, > 0, when has_value */
};

/* obj[name] as a QuoteAmount {currency, value?}: currency a code, value an
 * integer of minor units (a JSON integer or a string of digits), > 0.
 * Absent (or null): -FG_EMISSING_FIELD. -FG_EBAD_FIELD / -FG_EBAD_AMOUNT. */
int wf_amount_get(json_t *obj, const char *name, struct wf_amount *out, struct fg_err *err);
/* Both values a quote or an exchange computed fit a QuoteAmount (1 to
 * WF_VALUE_MAX), so an answer never states a value its request could not
 * repeat. -FG_EBAD_AMOUNT naming the side that does not. */
int wf_values_check(const char *sell, int64_t sold, const char *buy, int64_t bought,
                    struct fg_err *err);

/* --- answers -------------------------------------------------------------------- */

/* A JSON string of UTF-8 text (valid, as jansson gave it): quotes,
 * backslashes and control characters escaped, the rest as is. */
void wf_buf_text(struct jsonx_buf *b, const char *s);
/* "<name>":{"currency":"USD","value":1000} (no value when has_value is false). */
void wf_buf_amount(struct jsonx_buf *b, const char *name, const struct wf_amount *a);
/* "<name>":{"resultCode":...,"resultStatus":...,"resultMessage":...}; msg
 * NULL for the code's own text. Messages are made plain ASCII ('?'). */
void wf_buf_result(struct jsonx_buf *b, const char *name, enum wf_code code, const char *msg);
/* {"result":{...}} alone: the answer of a refusal (malloc'd; NULL when out
 * of memory). */
char *wf_refusal_text(enum wf_code code, const char *msg, size_t *len);

#endif
