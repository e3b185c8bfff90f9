/*
 * fields.h - declarative field specs for request bodies (issue 11): a table
 * of {name, kind, required, limits, destination} read in order, instead of a
 * ladder of `if (rc == 0) rc = jsonx_...` calls per handler.
 *
 * What it is for: reading a JSON object's known fields into the caller's
 * struct (offsetof destinations) with the messages and codes of jsonx.h, the
 * first failure winning. The admin plane reads strictly (its allowed keys
 * are the spec's names, fields_keys); partner routes read tolerantly
 * (unknown fields ignored) with the kinds they need: lengths in characters
 * (core/utf8.h), decimal text kept as sent (core/money.h), identifiers.
 * Cross-field rules and reads that need the store are FIELD_CUSTOM steps in
 * the same list, so their order against the other fields stays visible.
 *
 * Absent or null optional fields leave the destination as it was (zeroed by
 * the caller: "" for strings, 0 for numbers), except FIELD_TEXT and
 * FIELD_DECIMAL, which write "". Strings are never cut: a value longer than
 * its limit is refused. Pure functions, thread-safe.
 */
#ifndef FG_FIELDS_H
#define FG_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

enum field_kind {
    FIELD_STR,     /* 1..max bytes, no control characters (jsonx_str) -> char[cap] */
    FIELD_ID,      /* 1..max bytes of [A-Za-z0-9._:@-] (jsonx_id) -> char[cap] */
    FIELD_TEXT,    /* descriptive text as given: any characters, none included, at most
                    * max characters (UTF-8 code points) -> char[cap], cap > 4 * max */
    FIELD_DECIMAL, /* amount text (money_text_read's grammar; a '-' when min < 0),
                    * kept as sent -> char[cap] */
    FIELD_AMOUNT,  /* decimal string with the currency's digits (jsonx_amount) -> int64_t;
                    * the digits are an int at aux in the destination */
    FIELD_INT,     /* integer in [min, max] (jsonx_int) -> int64_t */
    FIELD_INT32,   /* the same -> int; [min, max] within int's range */
    FIELD_BOOL,    /* true or false (jsonx_bool) -> bool */
    FIELD_ENUM,    /* one of choices (jsonx_enum) -> the choice, copied into char[cap] */
    FIELD_CHOICE,  /* the same -> its index, an int */
    FIELD_CUSTOM,  /* read(obj, spec, dst, ctx, err): anything else, in its place */
};

struct field_spec;
typedef int (*field_read_fn)(json_t *obj, const struct field_spec *f, void *dst, void *ctx,
                             struct fg_err *err);

struct field_spec {
    const char *name; /* NULL ends a list; ".name": a CUSTOM step that reads no field */
    enum field_kind kind;
    bool required;
    int64_t min, max; /* INT: the range; STR, ID: max bytes (0: cap - 1); TEXT: max characters */
    size_t offset;    /* of the destination in the caller's struct */
    size_t cap;       /* of a char[] destination */
    size_t aux;       /* AMOUNT: offset of the int holding the currency's digits */
    const char *const *choices; /* ENUM, NULL-terminated */
    /* STR, ID: a further rule on the value read; a string the kind refuses
     * (too long, bad characters) is refused with refuse_code instead of
     * -FG_EBAD_FIELD when refuse_code is set ("unknown <name>"). */
    int (*check)(const char *name, const char *value, struct fg_err *err);
    int refuse_code;
    field_read_fn read; /* CUSTOM */
};

/* The destination of a spec: member of type (its offset and, for a char[],
 * its size): {.name = "uuid", .kind = FIELD_ID, FIELD_AT(struct x, uuid)}. */
#define FIELD_AT(type, member) .offset = offsetof(type, member), .cap = sizeof(((type *)0)->member)

/* Read every field of specs (NULL-name terminated) from obj into dst, in
 * order; the first failure is returned (0 or a negative code, err set). ctx
 * is handed to CUSTOM readers. */
int fields_read(json_t *obj, const struct field_spec *specs, void *dst, void *ctx,
                struct fg_err *err);
/* FIELD_TEXT's reader on its own: obj's key into buf (cap > 4 * max_chars). */
int fields_text(json_t *obj, const char *key, bool required, size_t max_chars, char *buf,
                size_t cap, struct fg_err *err);

/* The spec's field names (steps left out) as a NULL-terminated list (at most
 * cap - 1), for jsonx_check_keys on the strict admin plane. */
void fields_keys(const struct field_spec *specs, const char **keys, size_t cap);

#endif
