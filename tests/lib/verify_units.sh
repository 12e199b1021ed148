#!/usr/bin/env bash
# `systemd-analyze verify` over jobs/systemd/* (every .service and .timer). The units name
# /usr/local/bin/wxrecon, which verify requires to exist: they are checked as copies whose
# ExecStart points at the given binary instead. Any message from verify (an unknown key, a
# key in the wrong section, a bad value) fails the check.
#
#   tests/lib/verify_units.sh BUILD/wxrecon    -> exit 0 valid, 1 not, 77 skipped (no systemd-analyze)
set -euo pipefail

bin=${1:?path to the built wxrecon binary}
here=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "verify_units: systemd-analyze not found (install systemd): skipped"
  exit 77
fi
[ -x "$bin" ] || { echo "verify_units: $bin is not an executable" >&2; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$here"/jobs/systemd/*.service "$here"/jobs/systemd/*.timer "$tmp"/
sed -i "s|/usr/local/bin/wxrecon|$bin|g" "$tmp"/*.service
# A timer names its service by Unit=: both are in the same directory, so verify finds it.
out=$(cd "$tmp" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$tmp"/*.service "$tmp"/*.timer 2>&1) || {
  echo "$out"
  echo "verify_units: systemd-analyze verify failed" >&2
  exit 1
}
if [ -n "$out" ]; then
  echo "$out"
  echo "verify_units: systemd-analyze verify reported the messages above" >&2
  exit 1
fi
echo "verify_units: $(ls "$tmp" | wc -l) units verified ($(systemd-analyze --version | head -1))"
