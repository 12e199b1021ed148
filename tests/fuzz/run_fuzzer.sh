#!/usr/bin/env bash
# Runs one libFuzzer target for WXRECON_FUZZ_SECONDS (default 30) over a copy of its seed
# corpus (the committed corpus stays as it is). A crash leaves crash-* files in the work dir
# and fails the test; turn each into a regression test.
set -euo pipefail
bin=$(readlink -f "$1")
seeds=$(readlink -f "$2")
seconds=${WXRECON_FUZZ_SECONDS:-30}
work=$(mktemp -d "${TMPDIR:-/tmp}/wxfuzz.XXXXXX")
mkdir -p "$work/corpus"
if [ -d "$seeds" ]; then cp -r "$seeds"/. "$work/corpus/" 2>/dev/null || true; fi
cd "$work"
echo "fuzzing $(basename "$bin") for ${seconds}s in $work"
"$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 corpus
rc=$?
rm -rf "$work/corpus"
exit $rc
