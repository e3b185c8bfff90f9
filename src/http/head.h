/*
 * head.h - private to src/http: checks of a request head that libmicrohttpd
 * 0.9.75 does not make, and the request target's path.
 *
 * libmicrohttpd hands headers and the request target over as C strings, so a
 * NUL byte inside one silently cuts it: "Authorization: Bearer T\0junk" reads
 * as "Bearer T", "GET /healthz\0junk" as "/healthz", and "%00" decodes into
 * the same cut. head_check() refuses such a head (NUL in the method, the
 * target or a header; a header name that is not a token; a control character
 * in a header value; a folded header), and the framing a server
 * must not guess at (RFC 9112 section 6): two Content-Length headers,
 * Transfer-Encoding with Content-Length, or a transfer coding other than
 * "chunked". A malformed Content-Length value never reaches here:
 * libmicrohttpd answers it itself (see server.c, "Doubled responses").
 *
 * How a raw NUL is found without the raw bytes: libmicrohttpd 0.9.x parses
 * the head in place in one buffer, replacing each line end (CR, LF) and each
 * header's colon by NUL and keeping every name and value where it was read.
 * So between one header value's end and the next name there are exactly one
 * or two NULs (LF or CRLF), and the head ends with two to four; anything else
 * there is what a NUL hid. The target's length before decoding is taken when
 * the request line arrives (the URI callback) and must reach the version.
 * libmicrohttpd 1.0 refuses NUL bytes itself and parses differently; the walk
 * is compiled for 0.9.x only.
 *
 * Threading: runs on the connection's libmicrohttpd thread during the first
 * access-handler call (the head is complete and still in place). Pure reads.
 */
#ifndef FG_HTTP_HEAD_H
#define FG_HTTP_HEAD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

struct head_info {
    const char *method, *url, *version; /* as the access handler got them */
    size_t raw_target_len;              /* strlen of the target before decoding */
    bool target_nul;                    /* "%00" was decoded in the path or query */
};

/* 0, or -FG_EBAD_REQUEST with *why a static message. */
int head_check(struct MHD_Connection *conn, const struct head_info *h, const char **why);

/* The path of a request target: origin form as is; absolute form
 * ("http://host:port/p?q" arrives as "http://host:port/p") without its scheme
 * and authority, "/" when it has no path (RFC 9112 section 3.2.2). */
const char *head_target_path(const char *url);

#endif
