#!/usr/bin/env bash
# Where one model's training step spends its time, function by function: `cohort bench` under `perf record`
# (sampling every thread's cycles), then perf's report by shared object and symbol. The share of libgomp is
# threads waiting at the end of a parallel loop (spinning, then sleeping): work that one thread had and the
# other did not.
#   bench/profile_model.sh MODEL [cohort bench options, e.g. --batch 128 --threads 2 --steps 5]
# Needs perf (Debian's linux-perf) and kernel.perf_event_paranoid <= 2 for a process's own samples.
set -euo pipefail
model=${1:?usage: bench/profile_model.sh MODEL [cohort bench options]}
shift
cohort=${COHORT:-$(dirname "$0")/../build/runner/cohort}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
perf record -q -F 999 -o "$out/perf.data" -- "$cohort" bench --model "$model" --peak-seconds 0 "$@" > "$out/bench.txt"
cat "$out/bench.txt"
echo "--- samples by shared object and function (>= 0.5 %)"
perf report -q -i "$out/perf.data" --no-children --sort dso,symbol --percent-limit 0.5 2>/dev/null |
  sed -E 's/ +- +- *$//; s/ +$//'
