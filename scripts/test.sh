#!/usr/bin/env bash
# Runs the whole test suite (release build), then the same suite under ASan + UBSan.
# Test-only packages: Chromium renders the HTML report, pdflatex compiles the LaTeX table.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh
install_missing chromium texlive-latex-base texlive-latex-recommended
ctest --test-dir build --output-on-failure -j2
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$(nproc)"
ctest --preset asan -j2
