#!/usr/bin/env bash
# Bill parse benchmark: a 1,000,000-row ALL bill (~240 MB), plain and gzip, parsed by the real
# parser (bench_bill_parse), against an awk baseline summing 应结订单金额 over the same file.
# Prints "<name> <value> <unit>" lines. Usage: bill_parse.sh BENCH_BINARY [ROWS]
set -euo pipefail
bin=$1
rows=${2:-1000000}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wxbill.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Generation is its own process: its memory is not the parser's.
"$bin" generate "$tmp/bill.csv" "$rows"
gzip -6 -c "$tmp/bill.csv" > "$tmp/bill.csv.gz"
echo "bill_file_size $(( $(stat -c %s "$tmp/bill.csv") / 1048576 )) MB"
echo "bill_gzip_size $(( $(stat -c %s "$tmp/bill.csv.gz") / 1048576 )) MB"
cat "$tmp/bill.csv" "$tmp/bill.csv.gz" > /dev/null  # page cache warm for every contender

measure() {  # NAME CMD...: wall and CPU seconds and peak RSS of CMD via /usr/bin/time
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/time.$name" "$@"
  read -r secs user sys kb < "$tmp/time.$name"
  echo "${name}_wall_seconds $secs s"
  # CPU time too: on a shared machine wall time mostly measures the neighbours.
  echo "${name}_cpu_seconds $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}') s"
  echo "${name}_max_rss $(( kb / 1024 )) MB"
}
measure bill_parse_plain_process "$bin" parse "$tmp/bill.csv" plain
measure bill_parse_gzip_process "$bin" parse "$tmp/bill.csv.gz" gzip
# Baseline: the cheapest thing that reads the same bytes — awk summing one column.
measure awk_sum_settlement awk -F',`' 'substr($0,1,1)=="`" && NF>20 {s+=$13} END{printf "awk_settlement_sum %.2f yuan\n", s}' "$tmp/bill.csv"
