#!/usr/bin/env bash
# Long fuzzing (RELIABILITY.md T11, on demand): every libFuzzer target in build-fuzz/ for an hour
# (or --minutes N), JOBS (2) targets at once, each over a copy of its seed corpus
# (tests/fuzz/run_fuzzer.sh). Prints one line per target: executions, result; a crash leaves its
# crash-* file in the target's work directory (printed) — turn each into a regression test.
#
#   tests/chaos/fuzz-long.sh [--minutes N]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
minutes=60
case "${1:-}" in
  --minutes) minutes=${2:?--minutes N} ;;
  "") ;;
  *) echo "usage: tests/chaos/fuzz-long.sh [--minutes N]" >&2; exit 2 ;;
esac
if ! [[ "$minutes" =~ ^[0-9]+$ ]] || [ "$minutes" -lt 1 ]; then
  echo "--minutes wants a positive whole number, got '$minutes'" >&2
  exit 2
fi
jobs=${JOBS:-2}
if [ ! -d build-fuzz ]; then
  cmake -S . -B build-fuzz -G Ninja -DWXRECON_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C build-fuzz -j"$jobs" >/dev/null
targets=$(find build-fuzz/tests -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort)
if [ -z "$targets" ]; then
  echo "no fuzz targets in build-fuzz/tests" >&2
  exit 1
fi
logs=$(mktemp -d "${TMPDIR:-/tmp}/wxfuzz-long.XXXXXX")
echo "fuzzing $(echo "$targets" | wc -w) targets for $minutes min each, $jobs at once; logs in $logs"
for bin in $targets; do
  name=$(basename "$bin")
  WXRECON_FUZZ_SECONDS=$((minutes * 60)) tests/fuzz/run_fuzzer.sh "$bin" \
    "tests/fuzz/corpus/$name" >"$logs/$name.log" 2>&1 &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do sleep 5; done
done
status=0
for job in $(jobs -p); do wait "$job" || status=1; done
for bin in $targets; do
  name=$(basename "$bin")
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$logs/$name.log" | grep -Eo '[0-9]+$' || echo "?")
  if grep -qE '^==[0-9]+==ERROR|SUMMARY: (Address|Undefined)|crash-[0-9a-f]+' "$logs/$name.log"; then
    result="CRASH ($(grep -Eo 'in [^ ]+/crash-[0-9a-f]+' "$logs/$name.log" | head -1))"
    status=1
  else
    result=ok
  fi
  printf '%-28s %14s executions  %s\n' "$name" "$runs" "$result"
done
exit $status
