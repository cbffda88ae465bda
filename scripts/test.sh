#!/usr/bin/env bash
# Runs the whole test suite (release build), then the same suite under ASan + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
ctest --test-dir build --output-on-failure -j2
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$(nproc)"
ctest --preset asan -j2
