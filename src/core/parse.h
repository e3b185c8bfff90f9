/*
 * parse.h - the one strict reader of integers that arrive as text from
 * outside: query parameters, path segments, header values, JSON strings that
 * hold a number (a listing cursor).
 *
 * The rule, everywhere: 1 to 19 ASCII digits and nothing else, read without
 * wrapping, then within [min, max]. No sign ("+26", "-0"), no white space
 * (" 26", "26 ", which is also what "%2026" becomes once the query is
 * decoded), no hex, no exponent, no NUL inside the given length. Leading
 * zeros are digits like any other ("007" is 7). A value past INT64_MAX is out
 * of range, never clamped (strtoll would clamp it to INT64_MAX).
 *
 * Not for amounts (money_amount_parse) nor JSON numbers (jsonx_int). Pure:
 * no allocation, no global state, safe on any thread; every byte read is
 * within s[0..len), so it takes bytes that are not NUL-terminated.
 */
#ifndef FG_PARSE_H
#define FG_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define PARSE_INT64_DIGITS_MAX 19

/* s[0..len) as an integer in [min, max] (min >= 0: digits carry no sign).
 * 0 and *out set, or -FG_EBAD_FIELD with *out untouched. */
int parse_int64_digits(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);
/* The same over a NUL-terminated string (NULL is refused). */
int parse_int64_text(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
