#!/usr/bin/env bash
# Installs Cohort's Debian dependencies (when missing) and builds it into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(build-essential cmake pkg-config libopenmpi-dev openmpi-bin libopenblas-dev libsqlite3-dev sqlite3
          libyaml-dev libcjson-dev zlib1g-dev dataset-fashion-mnist chromium)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
