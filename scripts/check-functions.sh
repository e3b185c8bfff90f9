#!/bin/sh
# scripts/check-functions.sh - part of `make test` (issue 11): no function in
# src/ is longer than FUNCTION_LINES_MAX lines, counted from the line of its
# opening brace to the line of its closing brace, both included. With the
# repository's clang-format (Linux braces) a function body, and nothing else,
# opens with a "{" alone at the start of a line and closes with a "}" alone
# there; the name is read from the last line before it that starts in
# column 0. Prints every function over the limit and fails.
set -eu
cd "$(dirname "$0")/.."
FUNCTION_LINES_MAX=${FUNCTION_LINES_MAX:-70}
find src -name '*.c' | sort | xargs awk -v max="$FUNCTION_LINES_MAX" '
    FNR == 1 { open = 0; sig = "" }
    /^[A-Za-z_]/ && !open { sig = $0 }
    /^\{$/ && !open { open = FNR; name = sig; next }
    /^\}$/ && open {
        n = FNR - open + 1
        if (n > max) {
            sub(/\(.*/, "", name)
            k = split(name, w, /[ *]+/)
            printf "%s:%d: %s is %d lines (at most %d)\n", FILENAME, open, w[k], n, max
            bad++
        }
        total++
        open = 0
    }
    END {
        if (bad) { fflush(); printf "check-functions: %d of %d functions are too long\n", bad, total > "/dev/stderr"; exit 1 }
        printf "check-functions: %d functions, none over %d lines\n", total, max
    }
'
