#!/usr/bin/env bash
# Bill benchmark (issue 7): `wxrecon bill` for a 1,000,000-row day from wxpay-sim
# (/sim/generate) against the same orders loaded locally (/sim/orders.csv + LOAD DATA), with 100
# planted discrepancies: 40 BILL_AMOUNT_MISMATCH (local total_fee + 1), 30 BILL_ONLY (local
# order deleted), 30 LOCAL_ONLY (local paid orders WeChat never saw; D+1 has no trades, so its
# bill is EMPTY = available). Reports end-to-end seconds (download + parse + match + write),
# peak RSS, the discrepancies found by kind, and a plain `mariadb` SELECT of the same day's
# orders to /dev/null as the baseline. Its own MariaDB and simulator, stopped at the end.
# Prints "<name> <value> <unit>"; never asserts. Usage: bill.sh BENCH_BINARY [ROWS]
set -euo pipefail
bin=$1
rows=${2:-1000000}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$(dirname "$bin")/.." && pwd)
ninja -C "$build" wxrecon wxpay-sim >/dev/null
wxrecon=$build/wxrecon
sim=$build/wxpay-sim
"$bin" "$rows"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wxbillbench.XXXXXX")
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  "$root/tests/lib/mariadb.sh" stop "$tmp/db" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

port=""
for p in $(seq $((39000 + $$ % 1000)) 41000); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "bill.sh: no free port" >&2; exit 1; }
WXRECON_DB_BUFFER_POOL=512M "$root/tests/lib/mariadb.sh" start "$tmp/db" "$port"
export WXBENCH_DB_PASSWORD
WXBENCH_DB_PASSWORD=$(cat "$tmp/db/root.password")
sql() {
  mariadb --no-defaults --local-infile=1 -h127.0.0.1 -P"$port" -uroot \
    -p"$WXBENCH_DB_PASSWORD" -N -B wxbench "$@"
}
mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -p"$WXBENCH_DB_PASSWORD" \
  -e "CREATE DATABASE wxbench CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"

mch=10000100
appid=wx2421b1c4370ec43b
export WXBENCH_KEY=192006250b4c09247ec02edce69f6a2d
merchant="[merchant.bench]
mch_id = $mch
appid = $appid
api_key_env = WXBENCH_KEY
sign_type = MD5"
printf '%s\n' "$merchant" >"$tmp/sim.ini"
"$sim" --config "$tmp/sim.ini" --listen 127.0.0.1:0 --seed 1 >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$tmp/sim.out" 2>/dev/null && break; sleep 0.1; done
sim_url=$(sed -n 's/.*listening on //p' "$tmp/sim.out" | head -1)
[ -n "$sim_url" ] || { echo "bill.sh: wxpay-sim did not start" >&2; cat "$tmp/sim.err" >&2; exit 1; }

cat >"$tmp/wxrecon.ini" <<EOF2
[db]
host = 127.0.0.1
port = $port
user = root
database = wxbench
password_env = WXBENCH_DB_PASSWORD

[wechat]
base_url = $sim_url
backup_url = $sim_url

$merchant

[bill]
archive_dir = $tmp/bills

[reports]
dir = $tmp/reports
EOF2
chmod 600 "$tmp/wxrecon.ini"
"$wxrecon" migrate --config "$tmp/wxrecon.ini" >/dev/null

# --- seed: the generated day at the sim and the same orders locally (as WeChat says: SUCCESS).
day=$(TZ=Asia/Shanghai date -d '3 days ago' +%F)
t0=$(date +%s.%N)
curl -sf -X POST "$sim_url/sim/generate" \
  -d "{\"mch_id\":\"$mch\",\"appid\":\"$appid\",\"date\":\"$day\",\"rows\":$rows,\"seed\":7,\"refund_ratio\":0}" >/dev/null
curl -sf "$sim_url/sim/orders.csv?mch_id=$mch&date=$day" -o "$tmp/paid.csv"
sql -e "LOAD DATA LOCAL INFILE '$tmp/paid.csv' INTO TABLE merchant_order FIELDS TERMINATED BY ','
        LINES TERMINATED BY '\n' IGNORE 1 LINES
        (mch_id,appid,out_trade_no,total_fee,fee_type,trade_type,state,transaction_id,paid_at,created_at,expire_at)"
# The 100 planted discrepancies.
sql -e "UPDATE merchant_order SET total_fee = total_fee + 1 ORDER BY id LIMIT 40;
        DELETE FROM merchant_order WHERE id IN (SELECT id FROM (SELECT id FROM merchant_order ORDER BY id DESC LIMIT 30) x);
        INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, state, transaction_id, paid_at, created_at, expire_at)
        SELECT mch_id, appid, CONCAT('LOCALONLY', id), total_fee, 'SUCCESS', CONCAT('42LOCAL', id), paid_at, created_at, expire_at
        FROM merchant_order ORDER BY id LIMIT 30"
t1=$(date +%s.%N)
echo "seed_local_orders $(sql -e 'SELECT COUNT(*) FROM merchant_order') orders"
echo "seed_time $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
from=$(TZ=UTC date -d "$day 00:00 +0800" '+%F %T')
to=$(TZ=UTC date -d "$day 00:00 +0800 + 1 day" '+%F %T')
# The store's keyset page (storage/mysql_bill_store.cpp) half-way through the day: without its
# FORCE INDEX, MariaDB chose type=ref on mch_id and filtered from the merchant's first order.
mid=$(TZ=UTC date -d "$day 12:00 +0800" '+%F %T')
sql -e "EXPLAIN SELECT id, out_trade_no, total_fee, state, COALESCE(transaction_id, ''), CAST(paid_at AS CHAR)
        FROM merchant_order FORCE INDEX (idx_order_paid) WHERE mch_id = '$mch' AND paid_at >= '$from'
        AND paid_at < '$to' AND (paid_at > '$mid' OR (paid_at = '$mid' AND id > 1))
        ORDER BY paid_at, id LIMIT 20000" |
  awk -F'\t' '{printf "# EXPLAIN paid-on-D keyset page: type=%s key=%s key_len=%s rows=%s extra=%s\n", $4, $6, $7, $9, $10}'

# --- baseline: the same day's orders through the plain client
b0=$(date +%s.%N)
sql -e "SELECT * FROM merchant_order WHERE mch_id = '$mch' AND paid_at >= '$from' AND paid_at < '$to'" >/dev/null
b1=$(date +%s.%N)
echo "baseline_mariadb_select_seconds $(awk -v a="$b0" -v b="$b1" 'BEGIN{printf "%.2f", b-a}') s"

# --- the bill run
echo "# load: $(uptime)"
rc=0
/usr/bin/time -v -o "$tmp/time.bill" \
  "$wxrecon" bill --date "$day" --config "$tmp/wxrecon.ini" >"$tmp/bill.out" 2>"$tmp/bill.err" || rc=$?
sed 's/^/# /' "$tmp/bill.out"
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time.bill" |
  awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time.bill")
echo "bill_exit_code $rc code (3 expected: new HIGH discrepancies)"
echo "bill_wall_seconds $wall s (target <= 20)"
echo "bill_max_rss $((kb / 1024)) MB (target <= 256)"
sql -e "SELECT CONCAT('bill_found_', kind, ' ', COUNT(*), ' discrepancies') FROM discrepancy GROUP BY kind"
echo "bill_found_total $(sql -e 'SELECT COUNT(*) FROM discrepancy') discrepancies (planted 100: BILL_AMOUNT_MISMATCH 40, BILL_ONLY 30, LOCAL_ONLY 30)"
echo "# load after: $(uptime)"
