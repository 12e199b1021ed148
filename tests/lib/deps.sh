#!/usr/bin/env bash
# Installs the Debian 12 packages wxrecon needs when any is missing (STACK_NOTES.md list).
# Sourced or run by tests/run.sh and jobs/local.sh; needs root when something is missing.
set -euo pipefail
wx_packages=(build-essential cmake ninja-build pkgconf libpoco-dev libfmt-dev catch2 libssl-dev
             libmariadb-dev libmariadb-dev-compat zlib1g-dev libexpat1-dev mariadb-server
             mariadb-client openssl procps clang libclang-rt-14-dev time curl)
wx_missing=()
for p in "${wx_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || wx_missing+=("$p")
done
if [ ${#wx_missing[@]} -gt 0 ]; then
  echo "installing: ${wx_missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${wx_missing[@]}" >/dev/null
fi
