#!/usr/bin/env bash
# Renders a sample finance report (Chinese text, hostile values, all severities, a resolved row)
# in a real browser: headless Chromium screenshots the day page and the index to PNG files to
# look at. Also prints the time to render a 10,000-discrepancy day. Not part of ctest.
# Needs the Debian packages chromium and fonts-noto-cjk (without the font, Chinese shows as boxes).
# Usage: tests/bench/render_report.sh [BENCH_BINARY] [OUT_DIR]
#   (tests/bench/run.sh render_report builds the binary and calls this)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-}
if [ -z "$bin" ]; then
  build=${WXRECON_BENCH_BUILD:-$root/build-bench}
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$build" bench_render_report >/dev/null
  bin=$build/tests/bench_render_report
fi
out=${2:-$root/build/report-screenshots}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  # tests/bench/run.sh runs every benchmark: the timing still counts without a browser.
  echo "render_report: chromium is not installed (apt-get install chromium fonts-noto-cjk):" \
    "no screenshots" >&2
  "$bin" time 10000
  exit 0
fi
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' ||
  echo "render_report: fonts-noto-cjk is missing: Chinese text will show as boxes" >&2

rm -rf "$out" && mkdir -p "$out"
"$bin" sample "$out/reports" > "$out/paths.txt"
html=$(sed -n 1p "$out/paths.txt")
index=$(sed -n 3p "$out/paths.txt")
shot() {  # FILE PNG
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --screenshot="$2" --window-size=1280,1600 "file://$1" >/dev/null 2>&1
  echo "report_screenshot $2"
}
shot "$html" "$out/reconciliation.png"
shot "$index" "$out/index.png"
"$browser" --headless --no-sandbox --disable-gpu --print-to-pdf="$out/reconciliation.pdf" \
  "file://$html" >/dev/null 2>&1 && echo "report_print_pdf $out/reconciliation.pdf"
"$bin" time 10000
