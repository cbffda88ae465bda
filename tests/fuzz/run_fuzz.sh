#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time on a fresh copy of its seed corpus.
#   run_fuzz.sh FUZZER CORPUS_DIR WORK_DIR SECONDS [libFuzzer flags...]
# WORK_DIR is emptied, then holds corpus/ (the seeds plus what the run found), artifacts/ (a crashing,
# leaking or slow input, if any) and fuzz.log. Exits non-zero when libFuzzer reports anything.
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=$4
shift 4
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"
# Harnesses that can write a seed of the current format themselves (fuzz_checkpoint) put it here.
export COHORT_FUZZ_SEED_DIR="$work/corpus"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$@" "$work/corpus" >"$work/fuzz.log" 2>&1 || status=$?
# The closing lines: executions, coverage, corpus size (or the report of what went wrong).
tail -n 40 "$work/fuzz.log"
if [ "$status" -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
  echo "FAILED: $(basename "$fuzzer") (exit $status); input saved in $work/artifacts/, log $work/fuzz.log;" \
       "reproduce with: $fuzzer $work/artifacts/<file>" >&2
  exit 1
fi
