#!/bin/sh
# scripts/check-layers.sh - part of `make test` (issue 11): the directories of
# src/ depend on each other one way only. The graph is read from the
# `#include "dir/..."` lines of every .c and .h under src/ (a family's
# directory, src/families/<name>/, is a node of its own; src/main.c is
# "main"). It fails on an edge the table below does not allow, and on a
# cycle (tsort). docs/ARCHITECTURE.md draws the same table.
set -eu
cd "$(dirname "$0")/.."

# node: the directories it may include (besides itself). "families/*" means
# any family directory; a family may never include another one.
allowed() {
    case "$1" in
    core) echo "" ;;
    store) echo "core" ;;
    ledger) echo "store core" ;;
    engine) echo "ledger store core" ;;
    services) echo "ledger store core" ;;
    http) echo "core" ;;
    api) echo "engine services ledger store http core" ;;
    admin | families/*) echo "api engine services ledger store http core" ;;
    bench) echo "engine services ledger store core" ;;
    app) echo "admin families/* api engine services ledger store http core" ;;
    main) echo "app bench api engine services ledger store http core" ;;
    *) echo "?" ;;
    esac
}

# One awk pass: "<from> <to> <file> <include>" for every include of another
# directory. Nodes: "src/families/funds/x.c" -> families/funds,
# "src/core/x.h" -> core, "src/main.c" -> main; "families/funds/funds.h" ->
# families/funds, "core/x.h" -> core.
pairs=$(mktemp)
edges=$(mktemp)
trap 'rm -f "$pairs" "$edges"' EXIT
find src -name '*.[ch]' | sort | xargs awk '
    function node_of_file(f, p, n) {
        n = split(f, p, "/")
        if (n == 2) return "main"
        return p[2] == "families" ? p[2] "/" p[3] : p[2]
    }
    /^[ \t]*#[ \t]*include[ \t]*"[^"]*\/[^"]*"/ {
        inc = $0
        sub(/^[^"]*"/, "", inc)
        sub(/".*$/, "", inc)
        split(inc, q, "/")
        to = q[1] == "families" ? q[1] "/" q[2] : q[1]
        from = node_of_file(FILENAME)
        if (to != from) print from, to, FILENAME, inc
    }
    FNR == 1 { print node_of_file(FILENAME), "-", FILENAME, "-" }
' >"$pairs"
bad=0
while read -r from to file inc; do
    if [ "$(allowed "$from")" = "?" ]; then
        echo "check-layers: $file is in directory '$from', which the layer table does not know" >&2
        bad=1
        continue
    fi
    [ "$to" = "-" ] && continue
    echo "$from $to" >>"$edges"
    ok=0
    for a in $(allowed "$from"); do
        case "$to" in
        $a) ok=1 ;;
        esac
    done
    if [ "$ok" = 0 ]; then
        echo "check-layers: $file includes \"$inc\": $from may not depend on $to" >&2
        bad=1
    fi
done <"$pairs"
touch "$edges"
# A cycle among the edges found (the table forbids them; this says so plainly).
if ! sort -u "$edges" | tsort >/dev/null 2>&1; then
    echo "check-layers: the include graph has a cycle:" >&2
    sort -u "$edges" | tsort 2>&1 >/dev/null | sed 's/^/  /' >&2
    bad=1
fi
[ "$bad" = 0 ] || exit 1
echo "check-layers: $(sort -u "$edges" | wc -l) edges between $(sort -u "$edges" | tr ' ' '\n' | sort -u | wc -l) directories, one way"
