#!/usr/bin/env bash
# Runs the whole test suite (release build), then the same suite under ASan + UBSan, then the libFuzzer
# harnesses (a clang build in build-fuzz/), each fuzzing its parser for 60 s.
# Test-only packages: Chromium renders the HTML report, pdflatex compiles the LaTeX table, clang with its
# runtime libraries (libFuzzer, sanitizers) and OpenMP builds the fuzz targets, iproute2 and ping make the
# network namespaces that e2e_multihost runs its hosts in, slurm-wlm and munge the
# single-node Slurm cluster that e2e_slurm starts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/packages.sh
install_missing chromium texlive-latex-base texlive-latex-recommended clang libclang-rt-14-dev libomp-dev iproute2 \
  iputils-ping slurm-wlm munge
ctest --test-dir build --output-on-failure -j2
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$(nproc)"
ctest --preset asan -j2
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$(nproc)"
ctest --preset fuzz -j2
