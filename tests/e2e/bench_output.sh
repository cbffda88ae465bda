#!/usr/bin/env bash
# `cohort bench` output: the per-step summary is consistent (fastest <= median <= slowest, the median's
# images/s is batch / median step) and the whole-run images/s agrees with the whole-run step time; the FMA peak
# line's share is the GFLOP/s over the peak, the sgemm line's over the sgemm rate; --eval folds every batch norm
# of resnet8 and runs no batch-norm op; a setting's bad value is refused.
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
# FMA peak P GFLOP/s (ISA, T thread)  training at F% of it (median step: G%)
peak=$(grep '^FMA peak ' <<< "$out")
check "an FMA peak line: $out" test -n "$peak"
read -r peak_gflops isa share <<< "$(tr -d '(,%' <<< "$peak" | awk '{print $3, $5, $10}')"
gflops=$(awk '{print $4}' <<< "$summary")
check "the peak is positive and measured in a vector ISA ($peak_gflops, $isa)" \
  awk -v p="$peak_gflops" -v i="$isa" 'BEGIN {exit !(p > 0 && (i == "AVX-512" || i == "AVX2+FMA"))}'
# the printed figures are rounded to 0.1: the share computed from them may be off by that rounding (large when
# the rates are small, as in a sanitizer build)
check "the training share is GFLOP/s over the peak ($share %, $gflops / $peak_gflops)" \
  awk -v s="$share" -v g="$gflops" -v p="$peak_gflops" \
  'BEGIN {d = s - 100 * g / p; t = 0.06 + 100 * 0.05 * (p + g) / (p * p); exit !(d < t && d > -t)}'
# sgemm N^3 R GFLOP/s (KERNEL in the engine's tiles)  training at F% of it (median step: G%)
sgemm=$(grep '^sgemm ' <<< "$out")
check "an sgemm rate line: $out" test -n "$sgemm"
read -r sgemm_gflops sgemm_share <<< "$(sed -E 's/^sgemm [^ ]+ ([0-9.]+) GFLOP\/s \(.*\) +training at ([0-9.]+)% of it.*/\1 \2/' <<< "$sgemm")"
# positive only: comparing it with the FMA peak would compare two timings, which a loaded machine reorders
check "the sgemm rate is positive ($sgemm_gflops)" awk -v r="$sgemm_gflops" 'BEGIN {exit !(r > 0)}'
check "the training share of sgemm is GFLOP/s over the rate ($sgemm_share %, $gflops / $sgemm_gflops)" \
  awk -v s="$sgemm_share" -v g="$gflops" -v r="$sgemm_gflops" \
  'BEGIN {d = s - 100 * g / r; t = 0.06 + 100 * 0.05 * (r + g) / (r * r); exit !(d < t && d > -t)}'
expect_eq "--peak-seconds 0 skips both gauges" \
  "$("$COHORT" bench --model lenet --input 1x32x32 --classes 10 --batch 8 --steps 1 --warmup 0 --threads 1 --peak-seconds 0 | grep -c '^FMA peak\|^sgemm ')" 0
expect_eq "--peak-seconds is bounded" \
  "$("$COHORT" bench --model lenet --peak-seconds 61 > /dev/null 2>&1; echo $?)" 2
# settings are checked as a run's: a value outside a setting's choices is refused, naming the setting
bad_recompute=$("$COHORT" bench --model resnet8 --recompute all --peak-seconds 0 2>&1; echo "exit $?")
check "--recompute all is refused: $bad_recompute" grep -q "^cohort bench: --recompute: expected none, norm or pointwise, got 'all'" <<< "$bad_recompute"
check "--recompute all exits 2: $bad_recompute" grep -q "^exit 2$" <<< "$bad_recompute"
bad_input=$("$COHORT" bench --model resnet8 --input 4x16x16 --peak-seconds 0 2>&1; echo "exit $?")
check "--input with 4 channels is refused as --input: $bad_input" grep -q "^cohort bench: --input: bad value '4x16x16'" <<< "$bad_input"
check "--input 4x16x16 exits 2: $bad_input" grep -q "^exit 2$" <<< "$bad_input"
# --eval: forward passes of the evaluation form; every batch norm of resnet8 follows a convolution, so all fold
eval_out=$("$COHORT" bench --model resnet8 --eval --input 3x16x16 --classes 10 --batch 8 --steps 3 --warmup 1 --threads 1 \
  --peak-seconds 0.2 2>&1)
echo "$eval_out"
batchnorms=$("$COHORT" models --plan resnet8 --input 3x16x16 --classes 10 | grep -c ' batchnorm')
expect_eq "--eval folds every batch norm of resnet8" \
  "$(sed -n 's/^model resnet8 (evaluation: \([0-9]*\) batch norms folded.*/\1/p' <<< "$eval_out")" "$batchnorms"
check "--eval: the plan has batch norms ($batchnorms)" test "$batchnorms" -eq 9
check "--eval: an images/s line" grep -q '^images/s [0-9.]*  GFLOP/s ' <<< "$eval_out"
check "--eval: the share line says evaluation" grep -q '^FMA peak .* evaluation at [0-9.]*% of it' <<< "$eval_out"
check "--eval: no batchnorm op runs" bash -c '! grep -q "^batchnorm " <<< "$1"' _ "$eval_out"
finish
