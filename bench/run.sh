#!/usr/bin/env bash
# make bench: fundgate beside its references, measured in one run on this machine.
#   1. HTTP: wrk against the TradeBoss execute endpoint (unique requestUniqueNo per request,
#      OPEN_POSITION/NORMAL_CLOSE over $BENCH_USERS customers) at 64 and 256 connections,
#      beside nginx `return 200` of a same-sized JSON; ratio.
#   2. Peer: PostgreSQL (a throwaway cluster on loopback) with pgbench running the same
#      transfer (unique insert + guarded debit + credit + journal row), 8 clients; ratio.
#      Then fundgate itself on that cluster (--db postgresql://...): the same HTTP execute
#      at 256 connections with one node, and with two nodes on the one database (128 each,
#      requests summed); each as a ratio to pgbench's transfers on the same cluster.
#   3. Engine: `fundgate bench` (no HTTP) at batch 1, 100, 1000, 8190 beside a plain C loop
#      of the same SQL on the same store; ratio.
#   4. Growth: the 256-connection HTTP run again with $BENCH_GROWTH transfers already stored.
#   5. FX: bench/yb_bench.c, 16 threads of YabandPay quote+execute pairs (signed), per second.
# Every figure is the median of $BENCH_RUNS runs. Results: bench/out/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-10}
USERS=${BENCH_USERS:-10000}
GROWTH=${BENCH_GROWTH:-10000000}
ENGINE_N=${BENCH_ENGINE_TRANSFERS:-200000}
BIN=$ROOT/build/fundgate
OUT=$ROOT/bench/out
PORT=18080
PORT2=18082
NGINX_PORT=18081
PG_PORT=15432
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/fg-bench-XXXXXX)
chmod 755 "$WORK"
FG_PID= FG2_PID= NGINX_PID=

cleanup() {
    [ -n "$FG_PID" ] && kill "$FG_PID" 2>/dev/null && wait "$FG_PID" 2>/dev/null || true
    [ -n "$FG2_PID" ] && kill "$FG2_PID" 2>/dev/null && wait "$FG2_PID" 2>/dev/null || true
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
    if [ -f "$WORK/pg/postmaster.pid" ]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# wrk's latency "1.23ms" / "456.00us" / "1.02s" in milliseconds
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f\n", v }'; }

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

# wrk_run NAME URL CONNS [script args...]: appends "rps p50 p99" to $WORK/NAME
wrk_run() {
    local name=$1 url=$2 conns=$3
    shift 3
    local log="$WORK/$name.wrk.log"
    # The URL before the script arguments: everything after -- goes to the script.
    wrk -t1 -c"$conns" -d"${DURATION}s" --latency "$url" "$@" >"$log" 2>&1
    local rps p50 p99
    rps=$(awk '/^Requests\/sec/ {print $2}' "$log")
    p50=$(awk '$1 == "50%" {print $2}' "$log" | to_ms)
    p99=$(awk '$1 == "99%" {print $2}' "$log" | to_ms)
    if grep -q "Non-2xx" "$log"; then echo "warning: $name had non-2xx answers" >&2; fi
    # Requests that time out (2 s) are left out of wrk's percentiles: say so.
    if grep -q "Socket errors" "$log"; then echo "warning: $name: $(grep 'Socket errors' "$log")" >&2; fi
    echo "$rps $p50 $p99" >>"$WORK/$name"
}
col() { awk -v c="$2" '{print $c}' "$WORK/$1" | median; }

wait_port() {
    for _ in $(seq 1 600); do
        if curl -s -o /dev/null "http://127.0.0.1:$1/healthz"; then return 0; fi
        sleep 0.1
    done
    echo "port $1 did not come up" >&2
    return 1
}

echo "== conditions"
CPU=$(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//')
COND="$(nproc) cores ($CPU), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r), loopback, load generator on the same machine; fundgate RelWithDebInfo, SQLite WAL synchronous=FULL; median of $RUNS runs, ${DURATION}s each"
echo "$COND"

echo "== engine (no HTTP)"
for b in 1 100 1000 8190; do
    n=$ENGINE_N
    [ "$b" = 1 ] && n=3000
    [ "$b" = 100 ] && n=$((ENGINE_N / 4))
    for r in $(seq 1 "$RUNS"); do
        line=$("$BIN" bench --dir "$WORK" --batch "$b" --transfers "$n" --accounts "$USERS")
        echo "$line"
        echo "$line" | sed -E 's/.*engine=([0-9]+).*plain=([0-9]+).*/\1 \2/' >>"$WORK/engine_$b"
    done
done

echo "== fundgate HTTP server"
BOOT="$WORK/bootstrap.json"
{
    echo '{"currencies":[{"code":"USD","digits":2}],'
    echo '"clients":[{"family":"tradeboss","company_id":7,"auth":"allowlist","allow":["127.0.0.0/8"],"account_type":"futures","overtrading":"deduct_available","rate_limit":{"per_s":1000000,"burst":1000000}}],'
    echo '"customers":['
    for i in $(seq 0 $((USERS - 1))); do
        printf '{"uuid":"b%d","user_name":"u%d","name":"Bench %d","company_id":7,"base_currency":"USD"}' "$i" "$i" "$i"
        [ "$i" -lt $((USERS - 1)) ] && echo ','
    done
    echo '],"accounts":['
    for i in $(seq 0 $((USERS - 1))); do
        printf '{"uuid":"b%d","type":"futures","currency":"USD"}' "$i"
        [ "$i" -lt $((USERS - 1)) ] && echo ','
    done
    echo '],"deposits":['
    for i in $(seq 0 $((USERS - 1))); do
        printf '{"request_id":"fund-%d","uuid":"b%d","type":"futures","currency":"USD","amount":"1000000.00"}' "$i" "$i"
        [ "$i" -lt $((USERS - 1)) ] && echo ','
    done
    echo ']}'
} >"$BOOT"

start_fundgate() {
    sync # the engine runs' files are not still being written back under the HTTP load
    "$BIN" serve --listen "127.0.0.1:$PORT" --data "$WORK/http" --admin-token bench \
        --log-level warn "$@" >"$WORK/fundgate.out" 2>"$WORK/fundgate.err" &
    FG_PID=$!
    wait_port "$PORT"
}
stop_fundgate() {
    kill "$FG_PID"
    wait "$FG_PID" || true
    FG_PID=
}

start_fundgate --bootstrap "$BOOT"
SAMPLE=$(curl -s -H 'trace: t1' -H 'companyId: 7' -H "timestamp: $(date +%s%3N)" \
    -H 'Content-Type: application/json' \
    "http://127.0.0.1:$PORT/api/cats-gateway/external-system-credit-limit-adjustment" \
    -d "{\"thirdServerCode\":\"bench\",\"userName\":\"u1\",\"currency\":\"USD\",\"bizType\":1,\"operationType\":\"OPEN_POSITION\",\"amount\":\"1.00\",\"amountDigits\":2,\"orderId\":1,\"requestUniqueNo\":\"sample-1\",\"requestTime\":$(date +%s%3N),\"ip\":\"127.0.0.1\"}")
echo "sample answer: $SAMPLE"
case "$SAMPLE" in *'"code":"0"'*) ;; *) echo "the execute endpoint does not answer code 0" >&2; exit 1 ;; esac
for c in 64 256; do
    for r in $(seq 1 "$RUNS"); do
        wrk_run "http_$c" "http://127.0.0.1:$PORT" "$c" -s "$ROOT/bench/tb_execute.lua" -- "e$c-$r" "$USERS"
        tail -1 "$WORK/http_$c"
    done
done
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^fundgate_engine_batch_size_(bucket|sum|count)' >"$WORK/batch_hist"
RECON=$(curl -s -H 'Authorization: Bearer bench' "http://127.0.0.1:$PORT/admin/v1/reconcile" | grep -o '"ok":[a-z]*')
echo "reconcile after load: $RECON"
stop_fundgate

echo "== nginx return 200"
BODY=$(printf '%s' "$SAMPLE" | sed 's/\\/\\\\/g; s/'"'"'/\\'"'"'/g')
cat >"$WORK/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err warn;
events { worker_connections 4096; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / { default_type application/json; return 200 '$BODY'; }
    }
}
NGINX
nginx -c "$WORK/nginx.conf" &
NGINX_PID=$!
sleep 0.5
for c in 64 256; do
    for r in $(seq 1 "$RUNS"); do
        wrk_run "nginx_$c" "http://127.0.0.1:$NGINX_PORT/" "$c"
        tail -1 "$WORK/nginx_$c"
    done
done
kill "$NGINX_PID"
NGINX_PID=

echo "== PostgreSQL peer (pgbench, 8 clients)"
mkdir -p "$WORK/pg"
chown postgres "$WORK/pg"
runuser -u postgres -- "$PG_BIN/initdb" -D "$WORK/pg" -A trust >/dev/null
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/log" -w \
    -o "-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c shared_buffers=512MB" start >/dev/null
runuser -u postgres -- "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres -c 'CREATE DATABASE bench' >/dev/null
runuser -u postgres -- "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -d bench -f "$ROOT/bench/pg_schema.sql" >/dev/null
cp "$ROOT/bench/pg_transfer.sql" "$WORK/pg_transfer.sql"
chmod 644 "$WORK/pg_transfer.sql"
for r in $(seq 1 "$RUNS"); do
    runuser -u postgres -- "$PG_BIN/pgbench" -n -h 127.0.0.1 -p "$PG_PORT" -c 8 -j 2 -T "$DURATION" \
        -r -f "$WORK/pg_transfer.sql" bench >"$WORK/pgbench.log" 2>&1
    tps=$(awk '/^tps/ {print $3; exit}' "$WORK/pgbench.log")
    lat=$(awk '/^latency average/ {print $4}' "$WORK/pgbench.log")
    echo "$tps $lat" >>"$WORK/pg_runs" # not $WORK/pg: that is the cluster
    echo "pgbench: $tps tps, average latency $lat ms"
done

echo "== fundgate on PostgreSQL (the same cluster): one node, then two"
runuser -u postgres -- "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres \
    -c "CREATE DATABASE fundgate TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" >/dev/null
PG_URI="postgresql://postgres@127.0.0.1:$PG_PORT/fundgate"
start_fundgate --db "$PG_URI" --bootstrap "$BOOT"
"$BIN" serve --listen "127.0.0.1:$PORT2" --data "$WORK/http2" --admin-token bench \
    --log-level warn --db "$PG_URI" >"$WORK/fundgate2.out" 2>"$WORK/fundgate2.err" &
FG2_PID=$!
wait_port "$PORT2"
for r in $(seq 1 "$RUNS"); do
    wrk_run "pg1_256" "http://127.0.0.1:$PORT" 256 -s "$ROOT/bench/tb_execute.lua" -- "p1-$r" "$USERS"
    tail -1 "$WORK/pg1_256"
done
# Two nodes: one wrk per node at once, 128 connections each; requests/s summed,
# latencies the worse node's.
for r in $(seq 1 "$RUNS"); do
    wrk_run "pg2a" "http://127.0.0.1:$PORT" 128 -s "$ROOT/bench/tb_execute.lua" -- "p2a-$r" "$USERS" &
    WA=$!
    wrk_run "pg2b" "http://127.0.0.1:$PORT2" 128 -s "$ROOT/bench/tb_execute.lua" -- "p2b-$r" "$USERS" &
    WB=$!
    wait "$WA" "$WB"
    paste -d' ' <(tail -1 "$WORK/pg2a") <(tail -1 "$WORK/pg2b") |
        awk '{ printf "%.2f %.2f %.2f\n", $1 + $4, ($2 > $5 ? $2 : $5), ($3 > $6 ? $3 : $6) }' >>"$WORK/pg2_256"
    tail -1 "$WORK/pg2_256"
done
RECON_PG=$(curl -s -H 'Authorization: Bearer bench' "http://127.0.0.1:$PORT2/admin/v1/reconcile" | grep -o '"ok":[a-z]*')
echo "reconcile after the PostgreSQL runs: $RECON_PG"
kill "$FG2_PID"
wait "$FG2_PID" || true
FG2_PID=
stop_fundgate
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null

echo "== growth: $GROWTH transfers already stored"
"$BIN" bench --preload "$GROWTH" --db "$WORK/http/fundgate.db"
start_fundgate
for r in $(seq 1 "$RUNS"); do
    wrk_run "growth_256" "http://127.0.0.1:$PORT" 256 -s "$ROOT/bench/tb_execute.lua" -- "g-$r" "$USERS"
    tail -1 "$WORK/growth_256"
done
RECON2=$(curl -s -H 'Authorization: Bearer bench' "http://127.0.0.1:$PORT/admin/v1/reconcile" | grep -o '"ok":[a-z]*')
stop_fundgate

echo "== FX: YabandPay quote+execute pairs (16 threads)"
YB_BOOT="$WORK/yb-bootstrap.json"
cat >"$YB_BOOT" <<'JSON'
{"currencies":[{"code":"USD","digits":2},{"code":"EUR","digits":2}],
 "customers":[{"uuid":"fx1","user_name":"fx1","name":"FX Bench","company_id":7,"base_currency":"USD"}],
 "accounts":[{"uuid":"fx1","type":"wallet","currency":"USD"},{"uuid":"fx1","type":"wallet","currency":"EUR"}],
 "deposits":[{"request_id":"fx-fund","uuid":"fx1","type":"wallet","currency":"USD","amount":"100000000.00"}],
 "rates":[{"pair":"EUR/USD","bid":"1.0850","ask":"1.0860","source":"bench"}],
 "clients":[{"family":"yabandpay","user":"bench","secret":"bench-yabandpay-secret","uuid":"fx1","rate_limit":{"per_s":1000000,"burst":1000000}}]}
JSON
"$BIN" serve --listen "127.0.0.1:$PORT" --data "$WORK/yb-data" --admin-token bench --log-level warn \
    --bootstrap "$YB_BOOT" >"$WORK/yb.out" 2>"$WORK/yb.err" &
FG_PID=$!
wait_port "$PORT"
for r in $(seq 1 "$RUNS"); do
    line=$("$ROOT/build/bench_yb_bench" "http://127.0.0.1:$PORT" 16 "$DURATION" bench bench-yabandpay-secret | tail -1)
    echo "$line"
    echo "$line" | sed -E 's/.*per_s=([0-9.]+) p50_ms=([0-9.]+) p99_ms=([0-9.]+).*/\1 \2 \3/' >>"$WORK/yb"
done
RECON3=$(curl -s -H 'Authorization: Bearer bench' "http://127.0.0.1:$PORT/admin/v1/reconcile" | grep -o '"ok":[a-z]*')
stop_fundgate

H64=$(col http_64 1) H256=$(col http_256 1) N64=$(col nginx_64 1) N256=$(col nginx_256 1)
PG=$(col pg_runs 1) G256=$(col growth_256 1) P1=$(col pg1_256 1) P2=$(col pg2_256 1)
{
    echo "# fundgate benchmark, $(date -u +%Y-%m-%d)"
    echo
    echo "Conditions: $COND."
    echo
    echo "| run | figure | p50 ms | p99 ms | reference | ratio |"
    echo "|---|---|---|---|---|---|"
    echo "| HTTP execute, 64 conns | $H64 req/s | $(col http_64 2) | $(col http_64 3) | nginx return 200: $N64 req/s | $(ratio "$H64" "$N64") |"
    echo "| HTTP execute, 256 conns | $H256 req/s | $(col http_256 2) | $(col http_256 3) | nginx return 200: $N256 req/s | $(ratio "$H256" "$N256") |"
    echo "| HTTP execute vs PostgreSQL peer | $H256 req/s | | | pgbench 8 clients: $PG tps (avg $(col pg_runs 2) ms) | $(ratio "$H256" "$PG") |"
    echo "| HTTP execute on PostgreSQL, 1 node, 256 conns | $P1 req/s | $(col pg1_256 2) | $(col pg1_256 3) | pgbench on the same cluster: $PG tps | $(ratio "$P1" "$PG") |"
    echo "| HTTP execute on PostgreSQL, 2 nodes, 2 x 128 conns | $P2 req/s | $(col pg2_256 2) | $(col pg2_256 3) | pgbench on the same cluster: $PG tps | $(ratio "$P2" "$PG") |"
    for b in 1 100 1000 8190; do
        E=$(col "engine_$b" 1) P=$(col "engine_$b" 2)
        echo "| engine, batch $b | $E transfers/s | | | plain SQL loop: $P/s | $(ratio "$E" "$P") |"
    done
    echo "| growth: HTTP 256 conns with $GROWTH stored | $G256 req/s | $(col growth_256 2) | $(col growth_256 3) | empty database: $H256 req/s | $(ratio "$G256" "$H256") |"
    YB=$(col yb 1)
    echo "| FX: YabandPay quote+execute pairs, 16 threads | $YB pairs/s | $(col yb 2) | $(col yb 3) | HTTP execute, 64 conns: $H64 req/s (a pair is 2 requests, 2 commits) | $(ratio "$(awk -v y="$YB" 'BEGIN{print 2*y}')" "$H64") |"
    echo
    echo "Reconcile after the HTTP load: $RECON; after the growth run: $RECON2; after the PostgreSQL runs: $RECON_PG; after the FX run: $RECON3."
    echo
    echo "PostgreSQL: the same machine, fsync=on, synchronous_commit=on, full_page_writes=on, shared_buffers=512MB; fundgate reaches it over TCP on loopback, as pgbench does."
    echo
    echo "Engine batch sizes during the HTTP runs (fundgate_engine_batch_size):"
    echo
    echo '```'
    cat "$WORK/batch_hist"
    echo '```'
} >"$OUT/results.md"
echo
cat "$OUT/results.md"
