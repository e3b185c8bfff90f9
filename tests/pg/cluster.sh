#!/usr/bin/env bash
# cluster.sh - throwaway PostgreSQL clusters for fundgate's tests (CTest labels pg, failover).
#
#   cluster.sh start DIR          initdb in DIR/data as an unprivileged user (root cannot
#                                 run postgres: as root, the user "nobody"), start it on a
#                                 Unix socket in DIR only (no TCP), create the database
#                                 "fundgate"; print its URI (kept in DIR/uri too).
#   cluster.sh start-pair DIR     a primary (DIR/p) and a synchronous streaming standby
#                                 (DIR/s, synchronous_commit=remote_apply: a commit returns
#                                 once the standby has applied it); print the multi-host URI
#                                 with target_session_attrs=read-write.
#   cluster.sh kill-primary DIR   kill -9 the primary's postmaster and its processes.
#   cluster.sh promote DIR        promote the standby (pg_ctl promote) and wait for it.
#   cluster.sh stop DIR           stop every cluster in DIR (immediate) and remove DIR.
#
# Settings are for tests: fsync=off (a kill -9 loses nothing the OS holds; only a power
# loss would), trust authentication on the sockets only. Needs Debian's postgresql
# package (scripts/deps.sh installs it).
set -euo pipefail

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|start-pair|kill-primary|promote|stop DIR" >&2; exit 2; }
case "$dir" in /*) ;; *) echo "cluster.sh: DIR must be absolute" >&2; exit 2 ;; esac

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bindir/initdb" ] || { echo "cluster.sh: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

owned_dir() {
    mkdir -p "$1"
    if [ "$(id -u)" -eq 0 ]; then chown nobody "$1"; fi
}

# start_server DATA SOCKDIR PORT [extra -c settings]
start_server() {
    local data=$1 sock=$2 port=$3; shift 3
    as_owner "$bindir/pg_ctl" -D "$data" -l "$sock/server.log" -w -t 60 \
        -o "-k $sock -c listen_addresses= -p $port -c fsync=off -c full_page_writes=off \
            -c max_connections=300 -c shared_buffers=64MB $*" \
        start >/dev/null || { cat "$sock/server.log" >&2; exit 1; }
}

init_primary() {
    local sock=$1
    owned_dir "$sock"
    as_owner "$bindir/initdb" -D "$sock/data" -U fundgate -A trust -E UTF8 --locale=C \
        --no-sync >"$sock/initdb.log" 2>&1 || { cat "$sock/initdb.log" >&2; exit 1; }
}

stop() {
    for pid_file in "$dir"/data/postmaster.pid "$dir"/*/data/postmaster.pid; do
        [ -f "$pid_file" ] || continue
        as_owner "$bindir/pg_ctl" -D "$(dirname "$pid_file")" -m immediate -w stop \
            >/dev/null 2>&1 || true
    done
    rm -rf "$dir"
}

start() {
    stop
    init_primary "$dir"
    start_server "$dir/data" "$dir" 5432
    "$bindir/psql" -q -h "$dir" -p 5432 -U fundgate -d postgres -c "CREATE DATABASE fundgate" >/dev/null
    uri="postgresql:///fundgate?host=$dir&port=5432&user=fundgate"
    echo "$uri" >"$dir/uri"
    echo "$uri"
}

start_pair() {
    stop
    owned_dir "$dir"
    init_primary "$dir/p"
    start_server "$dir/p/data" "$dir/p" 5432 -c wal_level=replica -c max_wal_senders=4 \
        -c synchronous_commit=remote_apply
    "$bindir/psql" -q -h "$dir/p" -p 5432 -U fundgate -d postgres -c "CREATE DATABASE fundgate" >/dev/null
    owned_dir "$dir/s"
    as_owner "$bindir/pg_basebackup" -h "$dir/p" -p 5432 -U fundgate -D "$dir/s/data" -R \
        -X stream --checkpoint=fast --no-sync >"$dir/s/basebackup.log" 2>&1 || { cat "$dir/s/basebackup.log" >&2; exit 1; }
    start_server "$dir/s/data" "$dir/s" 5433 \
        -c "'primary_conninfo=host=$dir/p port=5432 user=fundgate application_name=standby1'"
    # Synchronous only now that the standby streams (a commit would wait for it forever).
    "$bindir/psql" -q -h "$dir/p" -p 5432 -U fundgate -d postgres \
        -c "ALTER SYSTEM SET synchronous_standby_names = 'standby1'" -c "SELECT pg_reload_conf()" \
        >/dev/null
    for _ in $(seq 100); do
        state=$("$bindir/psql" -Atq -h "$dir/p" -p 5432 -U fundgate -d postgres \
            -c "SELECT sync_state FROM pg_stat_replication" 2>/dev/null || true)
        [ "$state" = sync ] && break
        sleep 0.1
    done
    [ "$state" = sync ] || { echo "cluster.sh: the standby did not become synchronous" >&2; exit 1; }
    uri="postgresql:///fundgate?host=$dir/p,$dir/s&port=5432,5433&user=fundgate&target_session_attrs=read-write&connect_timeout=2"
    echo "$uri" >"$dir/uri"
    echo "$uri"
}

kill_primary() {
    local pid
    pid=$(head -1 "$dir/p/data/postmaster.pid")
    # The postmaster and every process it started, by id: as a machine that dies.
    kill -9 $(ps -o pid= --ppid "$pid") "$pid" 2>/dev/null || true
}

promote() {
    as_owner "$bindir/pg_ctl" -D "$dir/s/data" -w -t 60 promote >/dev/null
}

case "$cmd" in
start) start ;;
start-pair) start_pair ;;
kill-primary) kill_primary ;;
promote) promote ;;
stop) stop ;;
*) echo "usage: $0 start|start-pair|kill-primary|promote|stop DIR" >&2; exit 2 ;;
esac
