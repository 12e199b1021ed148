#!/usr/bin/env bash
# Sweep benchmark (issue 5): `wxrecon sweep` over 20,000 due orders (70% paid at the simulator,
# 20% open unpaid, 10% expired unpaid) against wxpay-sim with 50 ms +- 20 ms latency and a QPS
# cap of 1,100, wechat.qps = 1000, max_in_flight = 64, db.pool_size at its default (4: the sweep
# uses about three: claims, the batched writer, releases); then the claim+load cost (the real
# MySqlOrderStore::claimDue, batches of 128 = the sweep's batch for 64 in flight) and the rows
# the claim's queries examine, without and with 1,000,000 finished (SUCCESS) orders in the table
# (two databases with the same due orders, measured interleaved).
# Its own MariaDB (tests/lib/mariadb.sh, temp dir, free port) and its own simulator, both stopped
# at the end. Prints "<name> <value> <unit>" lines with the targets next to them; figures are
# never asserted. Usage: sweep.sh BENCH_BINARY [ORDERS] [HISTORY_ROWS]
# Environment: WXBENCH_WXRECON (another wxrecon binary to measure), WXBENCH_SWEEP_ONLY=1 (skip
# the claim+load part).
set -euo pipefail
bin=$1
orders=${2:-20000}
history=${3:-1000000}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$(dirname "$bin")/.." && pwd)
ninja -C "$build" wxrecon wxpay-sim >/dev/null
# WXBENCH_WXRECON: another wxrecon binary to measure (e.g. main's, for a before/after pair).
wxrecon=${WXBENCH_WXRECON:-$build/wxrecon}
sim=$build/wxpay-sim
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wxsweepbench.XXXXXX")
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  "$root/tests/lib/mariadb.sh" stop "$tmp/db" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

port=""
for p in $(seq $((37000 + $$ % 1000)) 39000); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "sweep.sh: no free port" >&2; exit 1; }
WXRECON_DB_BUFFER_POOL=512M "$root/tests/lib/mariadb.sh" start "$tmp/db" "$port"
export WXBENCH_DB_PASSWORD
WXBENCH_DB_PASSWORD=$(cat "$tmp/db/root.password")
sql() {
  mariadb --no-defaults --local-infile=1 -h127.0.0.1 -P"$port" -uroot \
    -p"$WXBENCH_DB_PASSWORD" -N -B -D wxbench "$@"  # a later -D DATABASE wins
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
# 96 server threads: 64 in flight plus the seeding connection never wait for a thread.
"$sim" --config "$tmp/sim.ini" --listen 127.0.0.1:0 --seed 1 --threads 96 \
  --faults '{"latency_mean_ms":50,"latency_jitter_ms":20,"qps_cap":1100}' >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$tmp/sim.out" 2>/dev/null && break; sleep 0.1; done
sim_url=$(sed -n 's/.*listening on //p' "$tmp/sim.out" | head -1)
[ -n "$sim_url" ] || { echo "sweep.sh: wxpay-sim did not start" >&2; cat "$tmp/sim.err" >&2; exit 1; }

cat >"$tmp/wxrecon.ini" <<EOF
[db]
host = 127.0.0.1
port = $port
user = root
database = wxbench
password_env = WXBENCH_DB_PASSWORD

[wechat]
base_url = $sim_url
backup_url = $sim_url
connect_timeout_ms = 2000
timeout_ms = 3000
max_in_flight = 64
qps = 1000

$merchant

[schedule]
lease_s = 60
EOF
chmod 600 "$tmp/wxrecon.ini"
"$wxrecon" migrate --config "$tmp/wxrecon.ini" >/dev/null

# --- seed: 70% paid (a generated day at the sim, its orders.csv as NOTPAY), 20% open and 10%
# expired unpaid (created at the sim over one keep-alive connection), all LOAD DATA'd.
n_paid=$((orders * 70 / 100)); n_open=$((orders * 20 / 100)); n_exp=$((orders - n_paid - n_open))
day=$(TZ=Asia/Shanghai date -d '3 days ago' +%F)  # no unpaid order is created that day
t0=$(date +%s.%N)
curl -sf -X POST "$sim_url/sim/generate" \
  -d "{\"mch_id\":\"$mch\",\"appid\":\"$appid\",\"date\":\"$day\",\"rows\":$n_paid,\"seed\":7,\"refund_ratio\":0}" >/dev/null
curl -sf "$sim_url/sim/orders.csv?mch_id=$mch&date=$day&as=NOTPAY" -o "$tmp/paid.csv"
"$bin" seed-unpaid "$sim_url" "$mch" "$appid" "$n_open" "$n_exp" "$tmp/unpaid.csv"
load_cols="(mch_id,appid,out_trade_no,total_fee,fee_type,trade_type,state,transaction_id,paid_at,created_at,expire_at)"
for f in paid unpaid; do
  sql -e "LOAD DATA LOCAL INFILE '$tmp/$f.csv' INTO TABLE merchant_order FIELDS TERMINATED BY ','
          LINES TERMINATED BY '\n' IGNORE 1 LINES $load_cols"
done
t1=$(date +%s.%N)
seeded=$(sql -e "SELECT COUNT(*) FROM merchant_order WHERE state = 'NOTPAY' AND next_check_at IS NULL")
echo "seed_due_orders $seeded orders"
echo "seed_time $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"

# --- the sweep
# The server's statement counters around it (the sweep is the only client meanwhile).
db_counters() {
  sql -e "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions','Com_begin','Com_commit',
          'Com_set_option','Com_stmt_prepare','Com_stmt_execute','Com_stmt_close','Com_select',
          'Com_update','Com_insert')" | sort
}
db_counters >"$tmp/db.before"
rc=0
/usr/bin/time -f "%e %U %S %M" -o "$tmp/time.sweep" \
  "$wxrecon" sweep --config "$tmp/wxrecon.ini" >"$tmp/sweep.out" 2>"$tmp/sweep.err" || rc=$?
read -r wall user sys kb <"$tmp/time.sweep"
calls=$(sed -n 's/^ *wechat calls: *\([0-9]*\).*/\1/p' "$tmp/sweep.out")
examined=$(sed -n 's/^ *orders examined: *\([0-9]*\).*/\1/p' "$tmp/sweep.out")
sed 's/^/# /' "$tmp/sweep.out"
echo "sweep_exit_code $rc code"
echo "sweep_orders_examined ${examined:-0} orders"
echo "sweep_wechat_calls ${calls:-0} calls"
echo "sweep_wall_seconds $wall s"
awk -v c="${calls:-0}" -v w="$wall" 'BEGIN{printf "sweep_wechat_calls_per_s %.0f calls/s (target >= 950)\n", c/w}'
awk -v o="${examined:-0}" -v w="$wall" 'BEGIN{printf "sweep_orders_per_s %.0f orders/s\n", o/w}'
awk -v o="${examined:-0}" -v u="$user" -v s="$sys" \
  'BEGIN{printf "sweep_cpu_per_order %.0f us (target <= 200; user %.2f s + sys %.2f s)\n", (u+s)*1e6/(o>0?o:1), u, s}'
echo "sweep_max_rss $((kb / 1024)) MB (target <= 100)"
parks=$(sed -n 's/.*event=sweep.done.* limiter_parks=\([0-9]*\).*/\1/p' "$tmp/sweep.err")
echo "sweep_limiter_parks ${parks:-?} parks (callers that stepped aside instead of sleeping for a token)"
db_counters >"$tmp/db.after"
join "$tmp/db.before" "$tmp/db.after" | awk -v o="${examined:-0}" '
  {d[$1] = $3 - $2}
  END {printf "sweep_db_statements_per_order %.2f (Questions %d; %s)\n", d["Questions"] / (o > 0 ? o : 1),
       d["Questions"], sprintf("begin %d commit %d set %d prepare %d execute %d close %d select %d update %d insert %d",
       d["Com_begin"], d["Com_commit"], d["Com_set_option"], d["Com_stmt_prepare"], d["Com_stmt_execute"],
       d["Com_stmt_close"], d["Com_select"], d["Com_update"], d["Com_insert"])}'
sql -e "SELECT CONCAT('# states after the sweep: ', GROUP_CONCAT(CONCAT(state, '=', n) SEPARATOR ' '))
        FROM (SELECT state, COUNT(*) n FROM merchant_order GROUP BY state) x"

# WXBENCH_SWEEP_ONLY=1: stop here (before/after pairs of the sweep alone; the claim part below
# loads 1,000,000 rows).
[ -z "${WXBENCH_SWEEP_ONLY:-}" ] || exit 0

# --- claim + load cost and rows examined, without and with 1,000,000 finished orders. Two
# databases get the same orders copied from the swept one, so both tables are built alike
# (wxbench itself, which carries the sweep's 20,000 updates, is measured too, for comparison);
# wxbench_hist then gets the history. Both are measured in the
# same bench_sweep call, rounds interleaved (A B B A ...), medians of many rounds, after InnoDB
# has flushed the history's dirty pages: a comparison taken minutes apart, on tables in different
# states, right after a bulk load, measured all that more than the history (ratios 0.91 to 1.16).
rounds=${WXBENCH_CLAIM_ROUNDS:-31}
due_lease="(lease_until IS NULL OR lease_until < NOW(3))"
cand_sql="SELECT id FROM merchant_order WHERE state IN ('NOTPAY','USERPAYING') AND (next_check_at IS NULL OR next_check_at <= NOW(3)) AND $due_lease AND mch_id IN ('$mch') LIMIT 512"
conf_sql="SELECT id FROM merchant_order WHERE close_confirm_at <= NOW(3) AND state = 'CLOSED' AND $due_lease AND mch_id IN ('$mch') LIMIT 512"
handler_reads() {  # DATABASE SQL -> sum of the session's Handler_read_* after it
  sql -D "$1" -e "UPDATE merchant_order SET next_check_at = NULL, lease_owner = NULL, lease_until = NULL WHERE state = 'NOTPAY';
          FLUSH STATUS; $2; SHOW SESSION STATUS LIKE 'Handler_read%';" |
    awk -F'\t' '$1 ~ /^Handler_read/ {s += $2} END {print s + 0}'
}
rows_examined() {  # DATABASE SQL -> rows that statement alone read (minus what SHOW STATUS itself counts)
  local a b
  a=$(handler_reads "$1" "$2"); b=$(handler_reads "$1" "SELECT 1")
  echo $((a - b))
}
explain() { sql -D "$1" -e "EXPLAIN $2" | awk -F'\t' '{printf "# EXPLAIN: table=%s type=%s key=%s rows=%s extra=%s\n", $3, $4, $6, $9, $10}'; }
rows_and_plan() {  # LABEL DATABASE
  local c f
  c=$(rows_examined "$2" "$cand_sql"); f=$(rows_examined "$2" "$conf_sql")
  echo "claim_rows_examined_$1 $c rows (candidates LIMIT 512; close-confirm query $f)"
  eval "rows_$1=$((c + f))"
  explain "$2" "$cand_sql"
  explain "$2" "$conf_sql"
}

# wxbench_empty and wxbench_hist: the schema by migrate, the same orders, then the history.
for d in wxbench_empty wxbench_hist; do
  sed "s/^database = wxbench\$/database = $d/" "$tmp/wxrecon.ini" >"$tmp/$d.ini"
  chmod 600 "$tmp/$d.ini"
  mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -p"$WXBENCH_DB_PASSWORD" \
    -e "CREATE DATABASE $d CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
  "$wxrecon" migrate --config "$tmp/$d.ini" >/dev/null
  sql -e "INSERT INTO $d.merchant_order SELECT * FROM wxbench.merchant_order"
done
t0=$(date +%s.%N)
chunk=100000
for ((start = 0; start < history; start += chunk)); do
  end=$((start + chunk < history ? start + chunk : history))
  sql -D wxbench_hist -e "INSERT INTO merchant_order (mch_id, appid, out_trade_no, total_fee, state, transaction_id,
            paid_at, created_at, expire_at, version)
          SELECT '$mch', '$appid', CONCAT('HIST', seq), 100 + seq % 9900, 'SUCCESS',
                 CONCAT('4200', LPAD(seq, 24, '0')),
                 NOW(3) - INTERVAL (seq % 2592000) SECOND + INTERVAL 30 SECOND,
                 NOW(3) - INTERVAL (seq % 2592000) SECOND,
                 NOW(3) - INTERVAL (seq % 2592000) SECOND + INTERVAL 2 HOUR, 1
          FROM seq_$((start + 1))_to_$end"
done
sql -D wxbench_empty -e "ANALYZE TABLE merchant_order" >/dev/null
sql -D wxbench_hist -e "ANALYZE TABLE merchant_order" >/dev/null
t1=$(date +%s.%N)
echo "history_rows $(sql -D wxbench_hist -e "SELECT COUNT(*) FROM merchant_order WHERE state = 'SUCCESS'") orders (SUCCESS)"
echo "history_load_time $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
# Let the page cleaner write the history out before measuring (at most 2 minutes).
sql -e "SET GLOBAL innodb_max_dirty_pages_pct = 0"
dirty=0
for _ in $(seq 1 240); do
  dirty=$(sql -e "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'" | awk '{print $2}')
  [ "$dirty" -lt 200 ] && break
  sleep 0.5
done
echo "# dirty pages before measuring: $dirty; $(uptime)"

r=$("$bin" claim 127.0.0.1 "$port" root wxbench_empty,wxbench_hist,wxbench WXBENCH_DB_PASSWORD "$mch" 128 1024 "$rounds")
read -r _ claim_empty_history best_empty <<<"$(sed -n 1p <<<"$r")"
read -r _ claim_with_history best_hist <<<"$(sed -n 2p <<<"$r")"
read -r _ claim_swept best_swept <<<"$(sed -n 3p <<<"$r")"
echo "# the swept table itself (same orders, no history, after the sweep's updates): $claim_swept ms (best $best_swept)"
echo "claim_load_ms_per_1000_empty_history $claim_empty_history ms (best $best_empty; median of $rounds interleaved rounds)"
echo "claim_load_ms_per_1000_with_history $claim_with_history ms (best $best_hist; median of $rounds interleaved rounds)"
rows_and_plan empty_history wxbench_empty
rows_and_plan with_history wxbench_hist
awk -v a="$claim_empty_history" -v b="$claim_with_history" \
  'BEGIN{printf "claim_load_time_ratio %.2f x (target <= 1.10)\n", b/a}'
awk -v a="$rows_empty_history" -v b="$rows_with_history" \
  'BEGIN{printf "claim_rows_examined_ratio %.2f x (target <= 1.10)\n", b/(a>0?a:1)}'
