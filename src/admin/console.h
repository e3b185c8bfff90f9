/*
 * console.h - the web console at /console/: plain HTML, CSS and JavaScript
 * built into the binary (console/ in the source tree, api/assets.h).
 *
 * The pages need no token to load; every call they make goes to the admin
 * plane with the bearer token the operator signed in with, kept in the tab's
 * sessionStorage (never in a URL). Each answer carries a strict
 * Content-Security-Policy: scripts, styles and connections only from this
 * server, no inline script or style, no framing. The routes are the admin
 * plane's (admin.c: GET /console, /console/, /console/{file}); the handlers
 * are in admin_int.h.
 */
#ifndef FG_CONSOLE_H
#define FG_CONSOLE_H

/* The Content-Security-Policy every console answer carries. */
#define CONSOLE_CSP                                                                                \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

#endif
