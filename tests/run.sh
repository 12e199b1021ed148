#!/usr/bin/env bash
# The test command (README, .ci/run). On a fresh Debian 12 machine as root it installs what is
# missing, builds three ways, starts a private MariaDB, runs every test through ctest, and stops
# what it started. Exits non-zero on any failure.
#
#   build/        -Werror, test switches compiled in (armed by env vars): unit + integration
#   build-asan/   core + its unit tests under ASan+UBSan
#   build-fuzz/   clang libFuzzer targets, each run WXRECON_FUZZ_SECONDS (30) s
#   build-tsan/   only with WXRECON_TSAN=1 (not in CI, too slow to build there; nightly): unit +
#                 integration tests, wxrecon and wxpay-sim under ThreadSanitizer; any report
#                 from any process fails the run
#
# Environment: WXRECON_TEST_DB_PORT (33306), WXRECON_SKIP_FUZZ=1, WXRECON_SKIP_ASAN=1,
# WXRECON_TSAN=1, CTEST_ARGS (extra ctest arguments, e.g. "-L unit").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
t0=$(date +%s)
step() { echo "== $(date -u +%H:%M:%S) [$(( $(date +%s) - t0 ))s] $*"; }

# ---- packages ----
step "packages"
bash tests/lib/deps.sh

# ---- builds ----
jobs=$(nproc)
step "build (Werror, test hooks)"
cmake -S . -B build -G Ninja -DWXRECON_WERROR=ON -DWXRECON_TEST_HOOKS=ON >/dev/null
ninja -C build -j"$jobs"
if [ "${WXRECON_SKIP_ASAN:-0}" != 1 ]; then
  step "build-asan (core + unit tests, ASan+UBSan)"
  cmake -S . -B build-asan -G Ninja -DWXRECON_CORE_ONLY=ON -DWXRECON_SANITIZE=ON \
    -DWXRECON_WERROR=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
  ninja -C build-asan -j"$jobs"
fi
if [ "${WXRECON_SKIP_FUZZ:-0}" != 1 ]; then
  step "build-fuzz (clang, libFuzzer)"
  cmake -S . -B build-fuzz -G Ninja -DWXRECON_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C build-fuzz -j"$jobs"
fi
if [ "${WXRECON_TSAN:-0}" = 1 ]; then
  step "build-tsan (ThreadSanitizer)"
  cmake -S . -B build-tsan -G Ninja -DWXRECON_TSAN=ON -DWXRECON_TEST_HOOKS=ON >/dev/null
  ninja -C build-tsan -j"$jobs"
fi

# ---- a private MariaDB ----
db_dir=$root/build/mariadb
port=${WXRECON_TEST_DB_PORT:-33306}
started_db=0
if ! tests/lib/mariadb.sh status "$db_dir" >/dev/null 2>&1; then started_db=1; fi
step "MariaDB on 127.0.0.1:$port ($db_dir)"
tests/lib/mariadb.sh start "$db_dir" "$port"
cleanup() {
  if [ "$started_db" = 1 ]; then tests/lib/mariadb.sh stop "$db_dir" || true; fi
}
trap cleanup EXIT
export WXRECON_TEST_DB_HOST=127.0.0.1 WXRECON_TEST_DB_PORT=$port WXRECON_TEST_DB_USER=root
WXRECON_TEST_DB_PASSWORD=$(cat "$db_dir/root.password")
export WXRECON_TEST_DB_PASSWORD
# Leftovers of killed runs.
mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -p"$WXRECON_TEST_DB_PASSWORD" -N -e \
  "SELECT CONCAT('DROP DATABASE \`', schema_name, '\`;') FROM information_schema.schemata
   WHERE schema_name LIKE 'wxt\\_%'" | mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot \
  -p"$WXRECON_TEST_DB_PASSWORD" || true

# ---- tests ----
status=0
step "ctest build/ (unit + integration)"
ctest --test-dir build -j"$jobs" --output-on-failure --timeout 600 ${CTEST_ARGS:-} || status=1
if [ "${WXRECON_SKIP_ASAN:-0}" != 1 ]; then
  step "ctest build-asan/ (unit, ASan+UBSan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -j"$jobs" --output-on-failure --timeout 600 || status=1
fi
if [ "${WXRECON_SKIP_FUZZ:-0}" != 1 ]; then
  step "ctest build-fuzz/ (each target ${WXRECON_FUZZ_SECONDS:-30} s)"
  ctest --test-dir build-fuzz -j"$jobs" --output-on-failure || status=1
fi
if [ "${WXRECON_TSAN:-0}" = 1 ]; then
  step "ctest build-tsan/ (unit + integration, ThreadSanitizer)"
  # Every process (the tests and the wxrecon and wxpay-sim they start) writes its reports to a
  # file of its own; a report anywhere fails the run, whatever the test's exit code.
  tsan_dir=$root/build-tsan/tsan-reports
  rm -rf "$tsan_dir" && mkdir -p "$tsan_dir"
  TSAN_OPTIONS="log_path=$tsan_dir/tsan:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp" \
    ctest --test-dir build-tsan -j"$jobs" -L 'unit|integration' --output-on-failure \
    --timeout 900 || status=1
  if [ -n "$(ls -A "$tsan_dir")" ]; then
    echo "ThreadSanitizer reports in $tsan_dir:" >&2
    head -40 "$tsan_dir"/* >&2
    status=1
  fi
fi
step "done: $([ $status = 0 ] && echo PASSED || echo FAILED)"
exit $status
