#!/usr/bin/env bash
# Runs the chaos and reliability tests (RELIABILITY.md T1-T8, the broken variants, the invariant
# checker's own tests) and prints one line per test: faults injected (runs), violations found,
# the longest time to converge after a fault, ctest's verdict and wall time.
#
#   tests/chaos/run.sh           CI sizes (T1 x 2 seeds, T2 30 kills, T3 3 + 30, T4 1k x 5 ...)
#   tests/chaos/run.sh --soak    RELIABILITY.md's on-demand sizes (below), then every fuzz target
#                                in build-fuzz/ for 10 CPU-minutes; fits in 90 minutes here
#
# Environment: WXRECON_SOAK_SCALE (1) multiplies every soak size and the fuzz time (0.05 tries the
# script end to end in minutes); WXRECON_TEST_DB_* (a running MariaDB; otherwise one is started
# under build/mariadb on WXRECON_TEST_DB_PORT, 33306); JOBS (2: ctest -j and fuzz targets at
# once); WXRECON_SOAK_FUZZ=0 leaves the fuzzing out of --soak. Needs build/ configured with
# -DWXRECON_TEST_HOOKS=ON (tests/run.sh does); --soak builds build-fuzz/ when it is missing.
# Exit 0 when every test passed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
soak=0
case "${1:-}" in
  --soak) soak=1 ;;
  "") ;;
  *) echo "usage: tests/chaos/run.sh [--soak]" >&2; exit 2 ;;
esac
jobs=${JOBS:-2}
scale=${WXRECON_SOAK_SCALE:-1}
t0=$(date +%s)
step() { echo "== $(date -u +%H:%M:%S) [$(( $(date +%s) - t0 ))s] $*"; }
# A soak size scaled by WXRECON_SOAK_SCALE, at least `min`.
size() { awk -v n="$1" -v s="$scale" -v m="${2:-1}" 'BEGIN { v = int(n * s + 0.5); print (v < m ? m : v) }'; }

if ! grep -q '^WXRECON_TEST_HOOKS:BOOL=ON' build/CMakeCache.txt 2>/dev/null; then
  echo "build/ is not a test-hooks build: cmake -S . -B build -G Ninja -DWXRECON_WERROR=ON -DWXRECON_TEST_HOOKS=ON" >&2
  exit 2
fi
step "build (chaos_tests integration_tests wxrecon wxpay-sim)"
ninja -C build -j"$jobs" chaos_tests integration_tests wxrecon wxpay-sim >/dev/null

started_db=0
if [ -z "${WXRECON_TEST_DB_PASSWORD:-}" ]; then
  db_dir=$root/build/mariadb
  port=${WXRECON_TEST_DB_PORT:-33306}
  if ! tests/lib/mariadb.sh status "$db_dir" >/dev/null 2>&1; then started_db=1; fi
  tests/lib/mariadb.sh start "$db_dir" "$port"
  export WXRECON_TEST_DB_HOST=127.0.0.1 WXRECON_TEST_DB_PORT=$port WXRECON_TEST_DB_USER=root
  WXRECON_TEST_DB_PASSWORD=$(cat "$db_dir/root.password")
  export WXRECON_TEST_DB_PASSWORD
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/wxchaos.XXXXXX")
cleanup() {
  if [ "$started_db" = 1 ]; then tests/lib/mariadb.sh stop "$root/build/mariadb" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Sizes: CI defaults live in the tests; --soak exports RELIABILITY.md's on-demand ones.
t6_rates="0.10"
if [ "$soak" = 1 ]; then
  export WXRECON_CHAOS_SEEDS=$(size 20 2)          # T1: every crash point x 20 seeds
  export WXRECON_CHAOS_KILLS=$(size 50 2)          # T2: 50 each for sweep, bill, notify = 150
  export WXRECON_CHAOS_DB_RESTARTS=$(size 20 1)    # T3: 20 MariaDB crashes ...
  export WXRECON_CHAOS_CONN_KILLS=$(size 130 2)    #     ... + 130 connection kills = 150
  export WXRECON_T4_ORDERS=$(size 5000 100) WXRECON_T4_ROUNDS=$(size 20 2) WXRECON_T4_SWEEPS=4
  export WXRECON_T5_ORDERS=$(size 200 4)
  export WXRECON_T6_ORDERS=$(size 2000 40)
  export WXRECON_T7_ORDERS=$(size 2000 10)
  export WXRECON_T8_ORDERS=$(size 1000 10)
  t6_rates="0.30 0.50"
fi
{
  echo "sizes: T1 seeds ${WXRECON_CHAOS_SEEDS:-2}, T2 kills ${WXRECON_CHAOS_KILLS:-10} x 3," \
    "T3 ${WXRECON_CHAOS_DB_RESTARTS:-3} + ${WXRECON_CHAOS_CONN_KILLS:-30}," \
    "T4 ${WXRECON_T4_ORDERS:-1000} x ${WXRECON_T4_ROUNDS:-5} (${WXRECON_T4_SWEEPS:-3} sweeps)," \
    "T5 ${WXRECON_T5_ORDERS:-10}, T6 ${WXRECON_T6_ORDERS:-200} at ${t6_rates}," \
    "T7 ${WXRECON_T7_ORDERS:-200}, T8 ${WXRECON_T8_ORDERS:-100}"
} | tee "$work/sizes"

status=0
# ctest over a selection; each per-test line ("N/M Test #K: NAME ....   Passed   12.34 sec") is
# kept with its label and TAG, and the tests' tallies go to a file of that label, so a test run
# twice (T6 at two fault rates) gets a row and figures per run.
run_ctest() {
  local label=$1 tag=$2
  shift 2
  step "ctest $label"
  : >"$work/tally-$label.tsv"
  WXRECON_CHAOS_REPORT=$work/tally-$label.tsv \
    ctest --test-dir build -j"$jobs" --timeout 5400 --output-on-failure "$@" >"$work/$label.log" 2>&1 ||
    status=1
  grep -E '^ *[0-9]+/[0-9]+ Test +#[0-9]+: ' "$work/$label.log" |
    sed -E 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: //' |
    awk -v l="$label" -v t="${tag:--}" '{ print l "\t" t "\t" $0 }' >>"$work/results.txt" || true
  if grep -q 'The following tests FAILED' "$work/$label.log"; then
    sed -n '/The following tests FAILED/,$p' "$work/$label.log"
    cp "$work/$label.log" "${TMPDIR:-/tmp}/wxchaos-$label.log"
    echo "(full output: ${TMPDIR:-/tmp}/wxchaos-$label.log)"
  fi
}
: >"$work/results.txt"
run_ctest chaos "" -L chaos
run_ctest checker "" -R '^integration\.invariant checker'
run_ctest reliability "" -R '^integration\.(T4|T5|T8|notify-server: T7)'
for rate in $t6_rates; do
  WXRECON_T6_FAULT_RATE=$rate run_ctest "T6-at-$rate" "[faults $rate]" -R '^integration\.T6'
done

fuzz_status=""
if [ "$soak" = 1 ] && [ "${WXRECON_SOAK_FUZZ:-1}" != 0 ]; then
  secs=$(size 600 10)
  if [ ! -d build-fuzz ]; then
    step "build-fuzz (clang, libFuzzer)"
    cmake -S . -B build-fuzz -G Ninja -DWXRECON_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  ninja -C build-fuzz -j"$jobs" >/dev/null
  targets=$(find build-fuzz/tests -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort)
  step "fuzz: $(echo "$targets" | wc -w) targets x ${secs} s, $jobs at once"
  for bin in $targets; do
    name=$(basename "$bin")
    (
      corpus=tests/fuzz/corpus/$name
      if WXRECON_FUZZ_SECONDS=$secs tests/fuzz/run_fuzzer.sh "$bin" "$corpus" \
        >"$work/$name.fuzz.log" 2>&1; then r=PASS; else r=FAIL; fi
      runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/$name.fuzz.log" | grep -Eo '[0-9]+$' || echo "?")
      echo "$name	$runs	$r	$secs" >>"$work/fuzz.txt"
    ) &
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 1; done
  done
  wait
  if grep -q 'FAIL' "$work/fuzz.txt" 2>/dev/null; then status=1; fi
fi

# ---- one line per test ----
echo
printf '%-92s %9s %10s %12s %7s %9s\n' "test" "runs" "violations" "converge≤ s" "result" "wall s"
while IFS=$'\t' read -r label tag line; do
  name=$(echo "$line" | sed -E 's/ *\.{2,}.*$//; s/ *\*\*\*.*$//')
  result=$(echo "$line" | grep -Eo '(Passed|Failed|\*\*\*Failed|\*\*\*Timeout|Not Run|Exception)' | head -1 || true)
  wall=$(echo "$line" | grep -Eo '[0-9.]+ sec' | grep -Eo '[0-9.]+' || echo "-")
  bare=${name#chaos.}
  bare=${bare#integration.}
  tally=$(awk -F'\t' -v n="$bare" '$1 == n { r += $2; v += $3; if ($4 > c) c = $4 } END { if (NR && r != "") printf "%d\t%d\t%.1f", r, v, c }' "$work/tally-$label.tsv")
  if [ -n "$tally" ]; then
    IFS=$'\t' read -r runs viol conv <<<"$tally"
  else
    runs="-"; viol="-"; conv="-"
  fi
  case "$result" in Passed) ;; *) viol=${viol/-/?}; ;; esac
  # The tag (e.g. the fault rate; "-" for none: read would merge empty tab-separated fields)
  # leads, so cutting a long name never loses it.
  [ "$tag" = "-" ] && tag=""
  shown="${tag:+$tag }$name"
  printf '%-92s %9s %10s %12s %7s %9s\n' "${shown:0:92}" "$runs" "$viol" "$conv" "${result:-?}" "$wall"
done <"$work/results.txt"
if [ -s "$work/fuzz.txt" ]; then
  while IFS=$'\t' read -r name runs r secs; do
    printf '%-92s %9s %10s %12s %7s %9s\n' "fuzz $name (${secs} s, 1 CPU)" "$runs" "-" "-" "$r" "$secs"
  done <"$work/fuzz.txt"
fi
step "done: $([ $status = 0 ] && echo PASSED || echo FAILED)"
exit $status
