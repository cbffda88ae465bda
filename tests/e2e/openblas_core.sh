#!/usr/bin/env bash
# OpenBLAS core-type selection (runner/openblas_env.c): a core type the user set is never overridden, and
# on an AVX-512 CPU cohort runs AVX-512 kernels (recognised directly, or after re-executing itself with
# OPENBLAS_CORETYPE=SkylakeX when Debian's OpenBLAS 0.3.21 does not recognise the CPU).
source "$(dirname "$0")/lib.sh"
COHORT=$1
bench() { "$COHORT" bench --model mlp --input 1x28x28 --classes 10 --batch 8 --steps 1 --warmup 0 --verbose 2>&1; }

out=$(OPENBLAS_CORETYPE=Haswell bench)
check "a user's OPENBLAS_CORETYPE is kept: $out" grep -q "OPENBLAS_CORETYPE=Haswell set by the user; running Haswell kernels" <<< "$out"

out=$(env -u OPENBLAS_CORETYPE bash -c "$(declare -f bench); COHORT='$COHORT'; bench")
note=$(grep '^OpenBLAS:' <<< "$out")
if grep -qw avx512f /proc/cpuinfo; then
  check "AVX-512 CPU runs AVX-512 kernels: $note" grep -Eq "running (SkylakeX|CooperLake|SapphireRapids) kernels" <<< "$note"
else
  check "no AVX-512: OpenBLAS's own choice, no re-exec: $note" grep -Eq "^OpenBLAS: running [A-Za-z0-9]+ kernels$" <<< "$note"
fi
check "the bench ran after the selection" grep -q "^images/s " <<< "$out"
finish
