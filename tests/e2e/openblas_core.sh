#!/usr/bin/env bash
# OpenBLAS core-type selection (runner/openblas_env.c), checked on this machine's own CPU through the
# --verbose line, whatever OpenBLAS calls its kernels and whichever CPU family this is:
# - OPENBLAS_CORETYPE unset, CPU with avx512f: cohort ends up running an AVX-512 kernel family (recognised
#   by OpenBLAS, or selected by cohort and re-executed);
# - OPENBLAS_CORETYPE unset, CPU without avx512f: OpenBLAS's own choice, nothing re-executed;
# - OPENBLAS_CORETYPE set by the user (Haswell, Sandybridge): kept, and those kernels run.
# OPENBLAS_CORETYPE is set or cleared for the child processes only (env), never for the test itself.
# The list of AVX-512 kernel names lives in runner/openblas_env.c (unit test: test_openblas_env.c).
source "$(dirname "$0")/lib.sh"
COHORT=$1
BENCH=(bench --model mlp --input 1x28x28 --classes 10 --batch 8 --steps 1 --warmup 0 --verbose)
LINE='^OpenBLAS: ([A-Za-z0-9]+) kernels \(AVX-512: (yes|no)\) on a CPU (with|without) AVX-512; (.*)$'

cpu_flag() { grep -qw "$1" /proc/cpuinfo; }
if cpu_flag avx512f; then CPU_AVX512=with; else CPU_AVX512=without; fi

# run_bench NAME ENV-ARGS...: runs the bench under `env ENV-ARGS`; sets OUT, NOTE, KERNELS, AVX512_KERNELS,
# CPU_SAID, WHO from its output.
run_bench() {
  local name=$1; shift
  OUT=$(env "$@" "$COHORT" "${BENCH[@]}" 2>&1)
  expect_eq "$name: exit code" "$?" 0
  NOTE=$(grep '^OpenBLAS:' <<< "$OUT")
  check "$name: the --verbose line has its fields: '$NOTE'" grep -Eq "$LINE" <<< "$NOTE"
  KERNELS=$(sed -En "s/$LINE/\1/p" <<< "$NOTE")
  AVX512_KERNELS=$(sed -En "s/$LINE/\2/p" <<< "$NOTE")
  CPU_SAID=$(sed -En "s/$LINE/\3/p" <<< "$NOTE")
  WHO=$(sed -En "s/$LINE/\4/p" <<< "$NOTE")
  expect_eq "$name: the CPU's AVX-512 as /proc/cpuinfo has it" "$CPU_SAID" "$CPU_AVX512"
  check "$name: the bench ran after the selection" grep -q "^images/s " <<< "$OUT"
}

# Nothing set: the outcome depends on the CPU only.
run_bench "unset" -u OPENBLAS_CORETYPE
if [ "$CPU_AVX512" = with ]; then
  expect_eq "unset, AVX-512 CPU: an AVX-512 kernel family runs ($KERNELS)" "$AVX512_KERNELS" yes
  check "unset, AVX-512 CPU: chosen by OpenBLAS or by cohort's re-exec: '$WHO'" \
    grep -Eq '^core type (detected by OpenBLAS|selected by cohort \(OPENBLAS_CORETYPE=[A-Za-z0-9]+; OpenBLAS had detected [A-Za-z0-9]+\), re-executed)$' <<< "$WHO"
else
  expect_eq "unset, no AVX-512: OpenBLAS's own choice, nothing re-executed" "$WHO" "core type detected by OpenBLAS"
  expect_eq "unset, no AVX-512: no AVX-512 kernels ($KERNELS)" "$AVX512_KERNELS" no
fi

# A user's value is kept: no re-exec over it, even on an AVX-512 CPU; OpenBLAS runs those kernels where
# the CPU has the instructions they need.
for user in Haswell:avx2 Sandybridge:avx; do
  core=${user%%:*} needs=${user##*:}
  run_bench "user $core" OPENBLAS_CORETYPE="$core"
  expect_eq "user $core: kept" "$WHO" "core type set by the user (OPENBLAS_CORETYPE=$core), kept"
  expect_eq "user $core: no AVX-512 kernels ($KERNELS)" "$AVX512_KERNELS" no
  if cpu_flag "$needs"; then expect_eq "user $core: the kernels running" "$KERNELS" "$core"; fi
done
finish
