#!/usr/bin/env bash
# Runs test_data_parallel on K = 1, 2, 3 and 4 ranks and requires byte-identical outputs (every metric's bits
# per epoch, and the hash of the final state): a data-parallel trial's results do not depend on K.
set -u
binary=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpirun=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)
export OMPI_MCA_btl="self,vader,tcp" OMPI_MCA_btl_vader_single_copy_mechanism=none
failures=0
for k in 1 2 3 4; do
  mkdir -p "$work/$k"
  if ! timeout 600 "${mpirun[@]}" -np "$k" "$binary" "$work/$k" > "$work/out-$k" 2> "$work/err-$k"; then
    echo "FAIL: K=$k exited non-zero:" >&2; tail -n 20 "$work/err-$k" >&2; failures=$((failures + 1)); continue
  fi
  lines=$(grep -c . "$work/out-$k")
  # 3 cases x 2 epochs (the stopped case: epoch 1 before the stop, epoch 2 after it) and 3 final hashes
  if [ "$lines" -ne 9 ]; then echo "FAIL: K=$k printed $lines lines" >&2; failures=$((failures + 1)); fi
  if [ "$k" != 1 ] && ! diff "$work/out-1" "$work/out-$k" > "$work/diff-$k"; then
    echo "FAIL: K=$k differs from K=1:" >&2; cat "$work/diff-$k" >&2; failures=$((failures + 1))
  fi
done
grep -q ' final 0000000000000000' "$work/out-1" && { echo "FAIL: a final state could not be read" >&2; failures=$((failures + 1)); }
# the stopped-and-resumed run ends exactly as the uninterrupted one
a=$(awk '$1 == "resnet8" && $2 == "final" {print $3}' "$work/out-1")
b=$(awk '$1 == "resnet8_stopped" && $2 == "final" {print $3}' "$work/out-1")
[ -n "$a" ] && [ "$a" = "$b" ] || { echo "FAIL: resumed final state $b differs from uninterrupted $a" >&2; failures=$((failures + 1)); }
# The promise holds under any OpenBLAS kernel (results may differ *between* kernels): K = 1 and 4 again under
# the oldest x86-64 kernel and, on an AVX-512 CPU, SkylakeX, each set for these children only.
kernels=(Prescott)
grep -qw avx512f /proc/cpuinfo && kernels+=(SkylakeX)
for kernel in "${kernels[@]}"; do
  for k in 1 4; do
    mkdir -p "$work/$kernel-$k"
    if ! OPENBLAS_CORETYPE=$kernel timeout 600 "${mpirun[@]}" -x OPENBLAS_CORETYPE -np "$k" "$binary" "$work/$kernel-$k" \
        > "$work/out-$kernel-$k" 2> "$work/err-$kernel-$k"; then
      echo "FAIL: $kernel K=$k exited non-zero:" >&2; tail -n 20 "$work/err-$kernel-$k" >&2; failures=$((failures + 1))
    fi
  done
  if ! diff "$work/out-$kernel-1" "$work/out-$kernel-4" > /dev/null || [ "$(grep -c . "$work/out-$kernel-1")" -ne 9 ]; then
    echo "FAIL: under $kernel kernels K=4 differs from K=1 (or printed too little)" >&2; failures=$((failures + 1))
  fi
done
cat "$work/out-1"
[ "$failures" -eq 0 ] && echo "K = 1, 2, 3, 4: identical (and K = 1, 4 under ${kernels[*]})" || exit 1
