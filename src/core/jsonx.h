/*
 * jsonx.h - strict JSON input for every API family (jansson underneath).
 *
 * What it is for: turning a request body into a JSON object under fundgate's
 * caps (FG_HTTP_BODY_BYTES_MAX, FG_JSON_DEPTH_MAX, no duplicate keys), refusing
 * unknown fields, and reading typed fields with a clear message for each
 * refusal ("field 'amount' must be a string"). Every getter returns 0,
 * -FG_EMISSING_FIELD, -FG_EBAD_FIELD or -FG_EBAD_AMOUNT and fills err.
 * Optional fields that are absent (or JSON null) leave *out untouched and
 * return 0 with *present false when a present pointer is given.
 */
#ifndef FG_JSONX_H
#define FG_JSONX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

/* Parse body as one JSON object. -FG_EBAD_JSON, -FG_ETOO_DEEP or -FG_ETOO_LARGE. */
int jsonx_parse_object(const char *body, size_t len, json_t **out, struct fg_err *err);
/* Nesting depth of the JSON text (strings skipped), without parsing it. */
int jsonx_depth(const char *body, size_t len);
/* -FG_EUNKNOWN_FIELD naming the first key of obj not in allowed (NULL-terminated). */
int jsonx_check_keys(json_t *obj, const char *const allowed[], struct fg_err *err);

/* A string of 1..max_bytes bytes without control characters. */
int jsonx_str(json_t *obj, const char *key, bool required, size_t max_bytes, const char **out,
              struct fg_err *err);
/* jsonx_str copied into buf (at most cap-1 bytes); "" when absent and optional. */
int jsonx_str_copy(json_t *obj, const char *key, bool required, char *buf, size_t cap,
                   struct fg_err *err);
/* An identifier from outside (request ids, uuids, app ids): 1..max_bytes of
 * [A-Za-z0-9._:@-]. */
int jsonx_id(json_t *obj, const char *key, bool required, size_t max_bytes, const char **out,
             struct fg_err *err);
/* The character rule of jsonx_id on a value already read. */
int jsonx_id_chars(const char *key, const char *v, struct fg_err *err);
/* An integer number in [min, max]. */
int jsonx_int(json_t *obj, const char *key, bool required, int64_t min, int64_t max, int64_t *out,
              struct fg_err *err);
int jsonx_bool(json_t *obj, const char *key, bool required, bool *out, struct fg_err *err);
/* A decimal string amount with at most `digits` fraction digits, parsed
 * strictly (money_amount_parse). */
int jsonx_amount(json_t *obj, const char *key, bool required, int digits, int64_t *out,
                 struct fg_err *err);
/* One of the NULL-terminated choices; *index gets its position. */
int jsonx_enum(json_t *obj, const char *key, bool required, const char *const choices[], int *index,
               struct fg_err *err);

/* Dump compactly (insertion order) into a malloc'd buffer; NULL on OOM. */
char *jsonx_dump(const json_t *v, size_t *len);
/* json_string of a formatted amount. */
json_t *jsonx_amount_new(int64_t v, int digits);

/*
 * Fixed-shape answers without building a json_t (issue 5: dumping through
 * jansson was a fifth of the writer's time per execute). The text is byte for
 * byte what jsonx_dump gives for the same object built in the same order, so a
 * replay that parses and re-dumps a stored answer sends the same bytes.
 * Strings are ASCII only: jsonx_buf_str marks the buffer failed on any byte
 * >= 0x80 (the caller falls back to jansson, which validates UTF-8). A buffer
 * that would pass cap is marked failed too; never a truncated text.
 */
struct jsonx_buf {
    char *p;
    size_t len, cap;
    bool failed;
};
void jsonx_buf_init(struct jsonx_buf *b, char *mem, size_t cap);
void jsonx_buf_raw(struct jsonx_buf *b, const char *s, size_t n); /* as is */
void jsonx_buf_lit(struct jsonx_buf *b, const char *s);           /* as is, NUL-terminated */
void jsonx_buf_str(struct jsonx_buf *b, const char *s);           /* quoted, escaped */
void jsonx_buf_int(struct jsonx_buf *b, int64_t v);

#endif
