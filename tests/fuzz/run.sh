#!/usr/bin/env bash
# Runs the libFuzzer targets built in $FUZZ_BUILD (default build-fuzz; `make fuzz` builds them)
# one at a time under nice, each for $FUZZ_SECONDS (default 60), and prints the executions of
# each. A target reads its seeds in tests/fuzz/<name>/ (never writes there) and keeps what it
# learns in $FUZZ_BUILD/fuzz-corpus/<name>/, so a later run starts from there. A crash or a
# broken property leaves the input in $FUZZ_BUILD/fuzz-crashes/<name>/, prints the end of the
# target's log and makes the script exit 1.
# Usage: tests/fuzz/run.sh [name ...]      (names: amount, jwt, ...; default: every target)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${FUZZ_BUILD:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for src in tests/fuzz/fuzz_*.c; do
        name=$(basename "$src" .c)
        names+=("${name#fuzz_}")
    done
fi
mkdir -p "$build/fuzz-logs"
failed=0
total=0
printf '%-16s %14s %10s  %s\n' target executions "exec/s" result
for name in "${names[@]}"; do
    bin=$build/fuzz_$name
    log=$build/fuzz-logs/$name.log
    mkdir -p "$build/fuzz-corpus/$name" "$build/fuzz-crashes/$name"
    result=ok
    if ! nice -n 10 "$bin" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$build/fuzz-crashes/$name/" "$build/fuzz-corpus/$name" \
        "tests/fuzz/$name" >"$log" 2>&1; then
        result="FAILED: $log"
        failed=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    total=$((total + ${runs:-0}))
    printf '%-16s %14s %10s  %s\n' "$name" "${runs:-?}" "${rate:-?}" "$result"
    if [ "$result" != ok ]; then
        tail -n 40 "$log" >&2
    fi
done
printf '%-16s %14s\n' total "$total"
exit $failed
