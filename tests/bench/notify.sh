#!/usr/bin/env bash
# notify-server benchmark (issue 6 "Benchmark"). Usage: notify.sh BENCH_BINARY
#   A private MariaDB with durable commits (innodb_flush_log_at_trx_commit=1) in a temp dir on a
#   free port, migrated, ORDERS orders bulk-inserted; the real `wxrecon notify-server`, then
#   `bench_notify load`: 64 keep-alive clients posting valid MD5-signed notifications for
#   distinct orders for ~20 s, and again for ~15 s while 500 slow connections (partial header, a
#   byte every ~300 ms) are held open — both with `[notify] confirm = false`; then the server is
#   restarted with `confirm = true`, `[wechat] qps = 500` against wxpay-sim (zero latency; the
#   orders are not in the simulator, so each confirming query is answered ORDERNOTEXIST and the
#   order rescheduled: the whole claim -> orderquery -> decide -> write path) and loaded ~20 s.
# CPU per notification: the server's and MariaDB's user+system time (/proc/PID/stat) over each
#   load, divided by the acknowledged notifications (less disturbed by other load than wall time).
#   The server's group commits: bodies per transaction and the transaction's time (from its
#   /metrics histograms, interpolated within buckets), and each body's wait for its commit.
# Before each load the database settles (its dirty pages written out: settle() below).
# Prints "<name> <value> <unit>" lines; figures are measured, never asserted. Everything (load
#   generator, server, MariaDB) shares this machine's cores.
# Environment: WXRECON_BENCH_NOTIFY_SECONDS / _SLOW_SECONDS (load durations); each load gets
#   its own orders, duration x WXRECON_BENCH_NOTIFY_RATE_CAP (9,000/s) of them.
#   WXRECON_BENCH_NOTIFY_AB="BINARY_A BINARY_B": an A/B comparison instead of the full run — the
#   confirmation-off load only, WXRECON_BENCH_NOTIFY_ROUNDS (3) rounds ordered A B, B A, A B...
#   on the same orders (payment_notification emptied before each load, so every load starts
#   from the same tables), each load's figures prefixed ab_a_ / ab_b_, then the medians.
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(dirname "$(dirname "$bin")")
seconds=${WXRECON_BENCH_NOTIFY_SECONDS:-20}
slow_seconds=${WXRECON_BENCH_NOTIFY_SLOW_SECONDS:-15}
rate_cap=${WXRECON_BENCH_NOTIFY_RATE_CAP:-9000}
ab=${WXRECON_BENCH_NOTIFY_AB:-}
rounds=${WXRECON_BENCH_NOTIFY_ROUNDS:-3}
# Orders for each load: more than it can acknowledge (the first run of this ran out at ~120k).
per_load=$((seconds * rate_cap))
per_slow=$((slow_seconds * rate_cap))
if [ -n "$ab" ]; then orders=$per_load; else orders=$((2 * per_load + per_slow)); fi
threads=64
slow=500
mch=1900000109
appid=wx2421b1c4370ec43b
prefix=BN

ninja -C "$build" wxrecon wxpay-sim >/dev/null 2>&1
wxrecon=$build/wxrecon
if [ -n "$ab" ]; then
  read -r ab_a ab_b <<<"$ab"
  for b in "$ab_a" "$ab_b"; do [ -x "$b" ] || { echo "notify.sh: $b is not an executable" >&2; exit 2; }; done
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wxnotify.XXXXXX")
server_pid=
sim_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  "$root/tests/lib/mariadb.sh" stop "$tmp/db" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port=$(free_port)
WXRECON_DB_FLUSH=${WXRECON_BENCH_NOTIFY_FLUSH:-1} "$root/tests/lib/mariadb.sh" start "$tmp/db" "$port"
export WXRECON_BENCH_DB_PASSWORD
WXRECON_BENCH_DB_PASSWORD=$(cat "$tmp/db/root.password")
export WXRECON_BENCH_KEY=bench0key0bench0key0bench0key012
sql() { mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -p"$WXRECON_BENCH_DB_PASSWORD" "$@"; }
sql -e "CREATE DATABASE wxbench"
echo "notify_db_flush_log_at_trx_commit $(sql -N -e 'SELECT @@innodb_flush_log_at_trx_commit') setting"

umask 077
# write_ini CONFIRM WECHAT_URL
write_ini() {
  cat >"$tmp/wxrecon.ini" <<EOF
[db]
host = 127.0.0.1
port = $port
user = root
database = wxbench
password_env = WXRECON_BENCH_DB_PASSWORD
pool_size = 16

[wechat]
base_url = $2
backup_url = $2
qps = 500

[merchant.bench]
mch_id = $mch
appid = $appid
api_key_env = WXRECON_BENCH_KEY
sign_type = MD5

[notify]
listen = 127.0.0.1:0
admin_listen = 127.0.0.1:0
confirm = $1

[log]
file = $tmp/notify.log
EOF
}
write_ini false http://127.0.0.1:9
"$wxrecon" migrate --config "$tmp/wxrecon.ini" >/dev/null 2>&1

# Orders in bulk: multi-row INSERTs of 2,000 rows.
t0=$(date +%s.%N)
awk -v n="$orders" -v mch="$mch" -v appid="$appid" -v p="$prefix" 'BEGIN {
  for (i = 0; i < n; i++) {
    if (i % 2000 == 0) { if (i) print ";"; printf "INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, created_at, expire_at) VALUES " }
    else printf ","
    printf "(\x27%s\x27,\x27%s\x27,\x27%s%d\x27,100,NOW(3) - INTERVAL 1 MINUTE,NOW(3) + INTERVAL 2 HOUR)", mch, appid, p, i
  }
  print ";"
}' | sql wxbench
echo "notify_orders_inserted $(sql -N wxbench -e 'SELECT COUNT(*) FROM merchant_order') orders in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"

# CPU ticks (user + system) of a process.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
db_pid=$(cat "$tmp/db/mysqld.pid")

# start_server [BINARY]
start_server() {
  : >"$tmp/serve.out"
  "${1:-$wxrecon}" notify-server --config "$tmp/wxrecon.ini" >"$tmp/serve.out" 2>"$tmp/serve.err" &
  server_pid=$!
  url=
  for _ in $(seq 1 200); do
    line=$(head -1 "$tmp/serve.out" 2>/dev/null || true)
    if [[ $line == *"listening on http://"* ]]; then
      url=${line#*listening on }; url=${url%% *}; break
    fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/serve.err" >&2; exit 1; }
    sleep 0.05
  done
  [ -n "$url" ] || { echo "notify server did not start" >&2; cat "$tmp/serve.err" >&2; exit 1; }
  admin=$(sed -n 's/.*(admin \(http:[^)]*\)).*/\1/p' "$tmp/serve.out" | head -1)
}
stop_server() { kill "$server_pid"; wait "$server_pid" || true; server_pid=; }
metric() { curl -s "$admin/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
# The cumulative buckets of histogram $1 as "le count" lines.
buckets() {
  curl -s "$admin/metrics" | awk -v m="$1_bucket" 'index($1, m "{le=\"") == 1 {
    le = $1; sub(/.*le="/, "", le); sub(/".*/, "", le); print le, $2 }'
}
# hist_figures LABEL NAME UNIT SCALE BEFORE AFTER: mean, p50, p99 of a histogram's observations
#   between two bucket dumps (linear within a bucket), times SCALE.
hist_figures() {
  awk -v l="$1" -v n="$2" -v u="$3" -v k="$4" -v sum0="$5" -v sum1="$6" '
    FNR == NR { before[$1] = $2; next }
    { le[++m] = $1; c[m] = $2 - before[$1] }
    END {
      total = c[m]; if (total <= 0) exit
      printf "%s_%s_mean %.2f %s\n", l, n, (sum1 - sum0) / total * k, u
      split("0.50 0.99", ps, " ")
      for (j = 1; j <= 2; j++) {
        want = ps[j] * total; lo = 0; prev = 0
        for (i = 1; i <= m; i++) {
          if (c[i] >= want) {
            hi = (le[i] == "+Inf") ? lo : le[i]
            v = (c[i] == prev) ? hi : lo + (hi - lo) * (want - prev) / (c[i] - prev)
            printf "%s_%s_p%d %.2f %s\n", l, n, ps[j] * 100, v * k, u
            break
          }
          lo = le[i]; prev = c[i]
        }
      }
    }' "$7" "$8"
}
# The histograms a load is summarised by: name in /metrics, figure name, unit, scale.
hists=("wxrecon_notify_store_batch_bodies batch_bodies bodies 1"
       "wxrecon_notify_store_batch_seconds batch_write ms 1000"
       "wxrecon_notify_store_wait_seconds store_wait ms 1000")

# settle LABEL: lets InnoDB write out its dirty pages before a load (at most 60 s), so that a
#   load does not pay for what came before it: the bulk insert of the orders (~500,000 rows just
#   before the first load; its page flushing took CPU and I/O from the first load's first
#   seconds), the previous load's rows, the A/B mode's TRUNCATE. The server's own writes during
#   the load are flushed as usual (innodb_max_dirty_pages_pct back to its default, 90).
settle() {
  local t0 dirty
  t0=$(date +%s.%N)
  sql -e "SET GLOBAL innodb_max_dirty_pages_pct = 0"
  for _ in $(seq 1 240); do
    dirty=$(sql -N -e "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'" | awk '{print $2}')
    [ "${dirty:-0}" -le 50 ] && break
    sleep 0.25
  done
  sql -e "SET GLOBAL innodb_max_dirty_pages_pct = 90"
  echo "$1_db_settled $dirty dirty pages left after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
}

# run_load LABEL FIRST COUNT SECONDS SLOW
run_load() {
  local s0 d0 b0 out acked s1 d1 b1 h name fig unit scale
  settle "$1"
  s0=$(ticks "$server_pid"); d0=$(ticks "$db_pid"); b0=$(metric wxrecon_notify_store_batches_total)
  for h in "${hists[@]}"; do
    read -r name fig unit scale <<<"$h"
    buckets "$name" >"$tmp/$fig.0"; metric "${name}_sum" >"$tmp/$fig.sum0"
  done
  out=$("$bin" load "$url" "$mch" "$appid" WXRECON_BENCH_KEY "$prefix" "$2" "$3" "$4" "$threads" "$5" "$1")
  s1=$(ticks "$server_pid"); d1=$(ticks "$db_pid"); b1=$(metric wxrecon_notify_store_batches_total)
  echo "$out"
  for h in "${hists[@]}"; do
    read -r name fig unit scale <<<"$h"
    buckets "$name" >"$tmp/$fig.1"
    [ -s "$tmp/$fig.1" ] || continue  # a server without these histograms (an older binary)
    hist_figures "$1" "$fig" "$unit" "$scale" "$(cat "$tmp/$fig.sum0")" \
      "$(metric "${name}_sum")" "$tmp/$fig.0" "$tmp/$fig.1"
  done
  acked=$(awk -v l="$1_acknowledged" '$1 == l {print $2}' <<<"$out")
  awk -v l="$1" -v a="$acked" -v s="$((s1 - s0))" -v d="$((d1 - d0))" -v hz="$hz" -v b="$((b1 - b0))" 'BEGIN {
    if (a > 0) {
      printf "%s_cpu_server %.0f us/notification\n", l, s * 1e6 / hz / a
      printf "%s_cpu_mariadb %.0f us/notification\n", l, d * 1e6 / hz / a
      printf "%s_commits %d transactions (%.1f notifications each)\n", l, b, (b > 0 ? a / b : 0)
    }
  }'
}

if [ -n "$ab" ]; then
  echo "# A/B, confirmation off, $threads keep-alive clients, $seconds s a load, $rounds rounds:"
  echo "#   A = $ab_a"
  echo "#   B = $ab_b"
  : >"$tmp/ab.txt"
  for r in $(seq 1 "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then order="a b"; else order="b a"; fi
    for side in $order; do
      if [ "$side" = a ]; then b=$ab_a; else b=$ab_b; fi
      sql wxbench -e "TRUNCATE payment_notification; DELETE FROM discrepancy"
      start_server "$b"
      echo "# round $r $side:$(uptime)"
      run_load "ab_$side" 0 "$per_load" "$seconds" 0 | tee -a "$tmp/ab.txt"
      stop_server
    done
  done
  # Medians of each figure per side.
  awk '{ k = $1; v[k] = v[k] " " $2; u[k] = $3 }
       END { for (k in v) { n = split(v[k], a, " "); asort(a)
               printf "%s_median %s %s\n", k, (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2, u[k] } }' \
    "$tmp/ab.txt" | sort
  exit 0
fi

p1=$per_load; p2=$((per_load + per_slow))
start_server
echo "# confirmation OFF (wxrecon notify-server, [notify] confirm = false); $threads keep-alive clients;"
echo "# load generator, notify-server and MariaDB (durable commits) share this machine's $(nproc) cores;$(uptime)"
run_load notify 0 "$p1" "$seconds" 0
echo "notify_target_throughput 5000 notifications/s (Node + tenpay SDK + mysql2 here: 2540)"
echo "notify_target_latency_p99 25 ms (Node: 76)"
run_load notify_under_slowloris "$p1" "$((p2 - p1))" "$slow_seconds" "$slow"
echo "notify_under_slowloris_target_latency_p99 1000 ms"
stop_server

printf '[merchant.bench]\nmch_id = %s\nappid = %s\napi_key_env = WXRECON_BENCH_KEY\nsign_type = MD5\n' \
  "$mch" "$appid" >"$tmp/sim.ini"
"$build/wxpay-sim" --config "$tmp/sim.ini" --listen 127.0.0.1:0 --seed 1 --threads 32 \
  >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$tmp/sim.out" 2>/dev/null && break; sleep 0.1; done
sim_url=$(sed -n 's/.*listening on //p' "$tmp/sim.out" | head -1)
[ -n "$sim_url" ] || { echo "notify.sh: wxpay-sim did not start" >&2; cat "$tmp/sim.err" >&2; exit 1; }
write_ini true "$sim_url"
start_server
echo "# confirmation ON ([notify] confirm = true, [wechat] qps = 500, wxpay-sim at zero latency)"
run_load notify_confirm_on "$p2" "$((orders - p2))" "$seconds" 0
echo "notify_confirm_on_confirmed $(metric wxrecon_notify_confirmed_total) orders queried"
echo "notify_confirm_on_overflow $(metric wxrecon_notify_confirm_overflow_total) left due now for the sweep"
stop_server

stored=$(sql -N wxbench -e "SELECT COUNT(*) FROM payment_notification WHERE verdict='ACCEPTED'")
echo "notify_rows_stored_accepted $stored rows"
