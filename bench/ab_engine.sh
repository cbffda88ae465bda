#!/usr/bin/env bash
# Before/after comparison of two cohort binaries on this machine, side by side: each round runs every model
# once on each binary, the order of the two swapped every round, so that load from elsewhere falls on both.
#   bench/ab_engine.sh BEFORE AFTER ROUNDS MODEL...
# Prints one line per run (round, model, which, images/s) and then, per model, the median images/s of each
# binary and the median and range of the per-round ratio after/before.
# Settings: cohort bench --batch 128 --threads 2 --steps 5 --warmup 2 (3x32x32, 100 classes); override
# with AB_ARGS="...".
set -euo pipefail
before=$1 after=$2 rounds=$3
shift 3
args=${AB_ARGS:---batch 128 --threads 2 --steps 5 --warmup 2}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() { # run LABEL BINARY MODEL ROUND
  local ips
  # shellcheck disable=SC2086
  ips=$("$2" bench --model "$3" $args | awk '/^images\/s/ {print $2; exit}')
  echo "$4 $3 $1 $ips" | tee -a "$log"
}
for ((r = 1; r <= rounds; r++)); do
  for m in "$@"; do
    if ((r % 2)); then run before "$before" "$m" "$r"; run after "$after" "$m" "$r"
    else run after "$after" "$m" "$r"; run before "$before" "$m" "$r"; fi
  done
done
/usr/bin/env python3 - "$log" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r, model, which, ips = line.split()
    runs.setdefault(model, {}).setdefault(int(r), {})[which] = float(ips)
print("| model | before img/s (median) | after img/s (median) | after/before (median) | range |")
print("|---|---:|---:|---:|---|")
for model, rounds in runs.items():
    b = [v["before"] for v in rounds.values()]
    a = [v["after"] for v in rounds.values()]
    ratio = [v["after"] / v["before"] for v in rounds.values()]
    print(f"| {model} | {statistics.median(b):.1f} | {statistics.median(a):.1f} | "
          f"{statistics.median(ratio):.3f} | {min(ratio):.2f}–{max(ratio):.2f} |")
PY
