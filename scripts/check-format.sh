#!/bin/sh
# scripts/check-format.sh - part of `make test`: every C source and header
# under src/, tests/ and bench/ is as clang-format 14 writes it with the
# repository's .clang-format. On failure it names the files; `make format`
# (clang-format -i) fixes them.
set -eu
cd "$(dirname "$0")/.."
CF=$(command -v clang-format-14 || command -v clang-format || true)
[ -n "$CF" ] || { echo "check-format: clang-format-14 is not installed (scripts/deps.sh)" >&2; exit 1; }
# Tracked and new (not ignored) files that exist; outside git, every file.
files=$(git ls-files --cached --others --exclude-standard 'src/*.[ch]' 'tests/*.[ch]' \
    'bench/*.[ch]' 2>/dev/null | while read -r f; do [ -f "$f" ] && echo "$f"; done || true)
[ -n "$files" ] || files=$(find src tests bench -name '*.[ch]' | sort)
# One process for every file; each warning line starts with the file's name.
if ! out=$("$CF" --dry-run -Werror $files 2>&1); then
    echo "check-format: not clang-format clean (run 'make format'):" >&2
    echo "$out" | sed -n 's/^\([^:]*\.[ch]\):[0-9]*:[0-9]*: error:.*/  \1/p' | sort -u >&2
    exit 1
fi
echo "check-format: $(echo "$files" | wc -w) files clean"
