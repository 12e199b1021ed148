#!/usr/bin/env bash
# Benchmarks: builds in Release (build-bench/) and prints one line per figure:
#   <name> <value> <unit>
# Usage: tests/bench/run.sh [NAME ...]   (NAME = protocol, bill_parse, ...; default all)
# Figures are measured, never asserted (machines here are shared and noisy).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${WXRECON_BENCH_BUILD:-$root/build-bench}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in "$root"/tests/bench/bench_*.cpp; do n=$(basename "$f" .cpp); names+=("${n#bench_}"); done
fi
for n in "${names[@]}"; do
  ninja -C "$build" "bench_$n" >/dev/null
  bin=$build/tests/bench_$n
  if [ -x "$root/tests/bench/$n.sh" ]; then
    # A benchmark with a driver script (baselines, services) runs through it.
    "$root/tests/bench/$n.sh" "$bin"
  else
    "$bin"
  fi
done
