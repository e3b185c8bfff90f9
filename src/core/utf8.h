/*
 * utf8.h - UTF-8 as partners send it: validity, lengths in characters (code
 * points, as the vendors state their limits), prefixes for logs, and a repair
 * of a JSON text whose strings hold bytes that are not UTF-8.
 *
 * What it is for: the partner routes count lengths in characters, not bytes
 * (issue 10), and must read a TradeBoss cancel whose descriptive fields hold
 * invalid UTF-8 (jansson refuses the whole document). Not for: deciding what
 * a field may hold; callers do that.
 *
 * Valid UTF-8 is RFC 3629: no overlong forms, no surrogates (U+D800..DFFF),
 * nothing above U+10FFFF. Pure functions, no state, thread-safe.
 */
#ifndef FG_UTF8_H
#define FG_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#define UTF8_CHAR_BYTES_MAX 4 /* bytes of one code point */

/* U+FFFD REPLACEMENT CHARACTER, what utf8_json_repair puts in place of a bad byte. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/* Bytes of the well-formed sequence at s (1..4), or 0 when the bytes there
 * (at most n) do not start one. */
size_t utf8_seq_len(const char *s, size_t n);
bool utf8_valid(const char *s, size_t n);
/* Code points in s, which must be valid UTF-8. */
size_t utf8_chars(const char *s, size_t n);
/* Bytes of the longest prefix of s (valid UTF-8) with at most max_chars code
 * points: never splits one. For logs only; data is never cut. */
size_t utf8_prefix_bytes(const char *s, size_t n, size_t max_chars);
/* Whether s holds U+FFFD (what a repair leaves behind). */
bool utf8_has_replacement(const char *s, size_t n);

/*
 * A copy of the JSON text in (n bytes) in which every byte that is not part of
 * well-formed UTF-8 becomes U+FFFD, and inside strings every \u escape that
 * jansson refuses (an unpaired surrogate, \u0000) becomes \uFFFD. Nothing else
 * changes, so a text that was valid JSON apart from those parses to the same
 * document with U+FFFD where the bad input was. *out is malloc'd (at most 3n
 * bytes plus a NUL); *changed tells whether anything was replaced. Returns 0,
 * or -1 when out of memory.
 */
int utf8_json_repair(const char *in, size_t n, char **out, size_t *out_n, bool *changed);

#endif
