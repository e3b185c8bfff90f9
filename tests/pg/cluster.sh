#!/usr/bin/env bash
# cluster.sh - a throwaway PostgreSQL cluster for fundgate's tests (CTest label pg).
#
#   cluster.sh start DIR [PORT]   initdb in DIR/data as an unprivileged user (root cannot
#                                 run postgres: as root, the user "nobody"), start it on a
#                                 Unix socket in DIR only (no TCP), create the database
#                                 "fundgate" and print its URI; DIR/uri keeps it too.
#   cluster.sh stop DIR           stop it (immediate) and remove DIR.
#
# Settings are for tests: fsync=off (a server killed with kill -9 still loses nothing
# the OS has; only a power loss would), trust authentication on the socket only.
# Needs Debian's postgresql package (scripts/deps.sh installs it).
set -euo pipefail

cmd=${1:-}; dir=${2:-}; port=${3:-5432}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2; }
case "$dir" in /*) ;; *) echo "cluster.sh: DIR must be absolute" >&2; exit 2 ;; esac

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bindir/initdb" ] || { echo "cluster.sh: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

stop() {
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

start() {
    stop
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown nobody "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U fundgate -A trust -E UTF8 --locale=C \
        --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -c listen_addresses= -p $port -c fsync=off -c full_page_writes=off \
            -c max_connections=300 -c shared_buffers=64MB -c max_prepared_transactions=0" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    "$bindir/psql" -q -h "$dir" -p "$port" -U fundgate -d postgres \
        -c "CREATE DATABASE fundgate" >/dev/null
    uri="postgresql:///fundgate?host=$dir&port=$port&user=fundgate"
    echo "$uri" >"$dir/uri"
    echo "$uri"
}

case "$cmd" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac
