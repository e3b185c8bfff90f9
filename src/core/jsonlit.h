/*
 * jsonlit.h - the members of a JSON object as its text spells them.
 *
 * What it is for: jansson reads a JSON number with a fraction into a double,
 * which cannot hold 830.58 or 0.1 exactly, and a signature computed over
 * "each value as it appears in the JSON text" needs the literal anyway. This
 * scanner walks one object's text and gives, for each member, the raw key
 * and the raw value: a number's literal ("830.58", "1e3"), a string's text
 * between its quotes (still escaped), a nested object's or array's whole
 * text, or true/false/null. It never converts a number.
 *
 * Use it on a body that jansson has already accepted (jsonx_parse_object:
 * valid, capped, no duplicate keys): together they give values typed by
 * jansson and literals from the text. On any other input it still never
 * reads past `len` and never recurses (nesting is counted, bounded by
 * FG_JSON_DEPTH_MAX), and returns -FG_EBAD_JSON where the text is not an
 * object it can walk (tests/fuzz/fuzz_jsonlit.c).
 *
 * Pure functions, thread-safe; spans point into the caller's text.
 */
#ifndef FG_JSONLIT_H
#define FG_JSONLIT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/errors.h"

enum jsonlit_kind {
    JSONLIT_STRING, /* value: the text between the quotes, escapes as sent */
    JSONLIT_NUMBER, /* value: the literal */
    JSONLIT_OBJECT, /* value: from '{' to '}' */
    JSONLIT_ARRAY,  /* value: from '[' to ']' */
    JSONLIT_TRUE,
    JSONLIT_FALSE,
    JSONLIT_NULL,
};

struct jsonlit_member {
    const char *key; /* between the quotes, escapes as sent */
    size_t key_len;
    bool key_escaped; /* the key holds a backslash: compare it decoded */
    enum jsonlit_kind kind;
    const char *value;
    size_t value_len;
    const char *start; /* the member's first byte (its key's quote) */
    size_t span;       /* through the value's last byte */
};

/* The members of the object that text (len bytes, leading and trailing
 * whitespace allowed) holds, in order, at most cap (more: -FG_ETOO_LARGE). */
int jsonlit_object(const char *text, size_t len, struct jsonlit_member *out, int cap, int *n,
                   struct fg_err *err);
/* The member whose key (decoded, for escaped keys) is key; NULL if none. */
const struct jsonlit_member *jsonlit_find(const struct jsonlit_member *m, int n, const char *key);

/* text (len bytes) copied into out (len bytes) with every number literal
 * outside strings that the JSON grammar accepts written as `0` (an integer
 * literal) or `0.0` (one with a fraction or an exponent), padded with spaces
 * to its own length; everything else, valid or not, is copied as is. jansson
 * then reads the same structure, kinds and error positions without meeting
 * a number it cannot hold (an integer past int64, a real past a double):
 * valid JSON stays valid, invalid stays invalid. The values are read from
 * the literals (jsonlit_object over the original text). */
void jsonlit_numbers_blank(const char *text, size_t len, char *out);

#endif
