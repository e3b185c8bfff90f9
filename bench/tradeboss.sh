#!/bin/sh
# bench/tradeboss.sh - start a release fundgate with the demo data on a free
# port in a fresh data directory, run bench_tb_bench against it, stop it.
# Usage: bench/tradeboss.sh [threads] [seconds]   (from the repository root, after `make build`)
set -eu
BUILD=${BUILD:-build}
threads=${1:-16}
seconds=${2:-5}
dir=$(mktemp -d /tmp/fg-bench-XXXXXX)
out="$dir/out"
"$BUILD/fundgate" serve --listen 127.0.0.1:0 --data "$dir" --admin-token bench \
    --bootstrap examples/demo.json >"$out" 2>"$dir/log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
port=""
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "server did not start; see $dir/log" >&2; exit 1; }
"$BUILD/bench_tb_bench" "http://127.0.0.1:$port" "$threads" "$seconds"
