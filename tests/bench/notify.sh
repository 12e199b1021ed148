#!/usr/bin/env bash
# notify-server benchmark (issue 6 "Benchmark"). Usage: notify.sh BENCH_BINARY
#   A private MariaDB with durable commits (innodb_flush_log_at_trx_commit=1) in a temp dir on a
#   free port, migrated, ORDERS orders bulk-inserted; a notify-server WITHOUT confirmation
#   (`bench_notify serve`: see below); then `bench_notify load`: 64 keep-alive clients posting
#   valid MD5-signed notifications for distinct orders for ~20 s, and again for ~15 s while 500
#   slow connections (partial header, a byte every ~300 ms) are held open.
# Confirmation off: `wxrecon notify-server` always builds its confirmer (no config key or test
#   switch turns it off), so the "off" server is bench_notify's `serve` mode: the same
#   NotifyServer + MySqlNotificationStore wiring as cmd_notify_server.cpp with a null confirmer.
# Prints "<name> <value> <unit>" lines; figures are measured, never asserted. Everything (load
#   generator, server, MariaDB) shares this machine's cores.
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(dirname "$(dirname "$bin")")
orders=${WXRECON_BENCH_NOTIFY_ORDERS:-300000}
seconds=${WXRECON_BENCH_NOTIFY_SECONDS:-20}
slow_seconds=${WXRECON_BENCH_NOTIFY_SLOW_SECONDS:-15}
threads=64
slow=500
mch=1900000109
appid=wx2421b1c4370ec43b
prefix=BN

ninja -C "$build" wxrecon >/dev/null 2>&1
wxrecon=$build/wxrecon

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wxnotify.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
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
cat >"$tmp/wxrecon.ini" <<EOF
[db]
host = 127.0.0.1
port = $port
user = root
database = wxbench
password_env = WXRECON_BENCH_DB_PASSWORD
pool_size = 16

[merchant.bench]
mch_id = $mch
appid = $appid
api_key_env = WXRECON_BENCH_KEY
sign_type = MD5

[notify]
listen = 127.0.0.1:0
admin_listen = 127.0.0.1:0

[log]
file = $tmp/notify.log
EOF
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

"$bin" serve "$tmp/wxrecon.ini" >"$tmp/serve.out" 2>"$tmp/serve.err" &
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

echo "# confirmation OFF (bench_notify serve: NotifyServer without a confirmer); $threads keep-alive clients;"
echo "# load generator, notify-server and MariaDB (durable commits) share this machine's $(nproc) cores"
half=$((orders * 2 / 3))
"$bin" load "$url" "$mch" "$appid" WXRECON_BENCH_KEY "$prefix" 0 "$half" "$seconds" "$threads" 0 notify
echo "notify_target_throughput 5000 notifications/s (Node + tenpay SDK + mysql2 here: 2540)"
echo "notify_target_latency_p99 25 ms (Node: 76)"
"$bin" load "$url" "$mch" "$appid" WXRECON_BENCH_KEY "$prefix" "$half" "$((orders - half))" \
  "$slow_seconds" "$threads" "$slow" notify_under_slowloris
echo "notify_under_slowloris_target_latency_p99 1000 ms"

stored=$(sql -N wxbench -e "SELECT COUNT(*) FROM payment_notification WHERE verdict='ACCEPTED'")
echo "notify_rows_stored_accepted $stored rows"
kill "$server_pid"; wait "$server_pid" || true; server_pid=
