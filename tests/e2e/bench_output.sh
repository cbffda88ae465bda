#!/usr/bin/env bash
# `cohort bench` output: the per-step summary is consistent (fastest <= median <= slowest, the median's
# images/s is batch / median step) and the whole-run images/s agrees with the whole-run step time.
source "$(dirname "$0")/lib.sh"
COHORT=$1
out=$("$COHORT" bench --model lenet --input 1x32x32 --classes 10 --batch 64 --steps 5 --warmup 1 --threads 1 2>&1)
echo "$out"
summary=$(grep '^images/s ' <<< "$out")
steps=$(grep '^median step ' <<< "$out")
check "a whole-run line: $out" test -n "$summary"
check "a per-step line: $out" test -n "$steps"
# images/s X  GFLOP/s Y  step Z ms ...  and  median step M ms (I images/s)  fastest F ms  slowest S ms
read -r ips step_ms <<< "$(awk '{print $2, $6}' <<< "$summary")"
read -r median median_ips fastest slowest <<< "$(tr -d '(' <<< "$steps" | awk '{print $3, $5, $8, $11}')"
check "images/s = batch / step ($ips, $step_ms ms)" awk -v i="$ips" -v s="$step_ms" 'BEGIN {d = i - 64000 / s; exit !(d < 0.1 * i && d > -0.1 * i)}'
check "fastest <= median <= slowest ($fastest, $median, $slowest)" awk -v f="$fastest" -v m="$median" -v s="$slowest" 'BEGIN {exit !(f > 0 && f <= m && m <= s)}'
check "median images/s = batch / median step ($median_ips, $median ms)" awk -v i="$median_ips" -v m="$median" 'BEGIN {d = i - 64000 / m; exit !(d < 0.02 * i && d > -0.02 * i)}'
finish
