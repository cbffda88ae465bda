#!/usr/bin/env bash
# Installs Cohort's Debian dependencies (when missing) and builds it into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh
install_missing build-essential cmake pkg-config libopenmpi-dev openmpi-bin libopenblas-openmp-dev libsqlite3-dev \
  sqlite3 libyaml-dev libcjson-dev zlib1g-dev libarchive-dev libpng-dev libjpeg62-turbo-dev dataset-fashion-mnist
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
