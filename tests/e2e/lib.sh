# Shared helpers for the end-to-end shell tests. Usage: source lib.sh; COHORT=path/to/cohort.
set -u
FAILURES=0
CHECKS=0
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

MPIRUN=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)
# Quiet Open MPI's warnings about missing high-speed networks on a laptop/CI machine.
export OMPI_MCA_btl="self,vader,tcp" OMPI_MCA_btl_vader_single_copy_mechanism=none

fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  CHECKS=$((CHECKS + 1))
  if ! "$@"; then fail "$what"; fi
}
expect_eq() { # expect_eq DESCRIPTION ACTUAL EXPECTED
  CHECKS=$((CHECKS + 1))
  if [ "$2" != "$3" ]; then fail "$1: got '$2', expected '$3'"; fi
}
sql() { sqlite3 -batch -noheader "$1" "$2"; }
finish() {
  if [ "$FAILURES" -gt 0 ]; then echo "$FAILURES of $CHECKS checks failed" >&2; exit 1; fi
  echo "all $CHECKS checks passed"
}
