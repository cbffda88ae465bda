#!/usr/bin/env bash
# Every command that prints checks its writes: standard output on a full device (/dev/full) is exit code 1
# with "error writing standard output" on standard error, in every output mode; the same commands into
# /dev/null succeed.
COHORT=$1
source "$(dirname "$0")/lib.sh"

printf 'name: out\nmethod: grid\nparameters:\n  model: {value: objective}\n  function: {value: branin}\n  x1: {values: [1, 2]}\n  x2: {value: 3}\n' \
  > "$WORK/out.yaml"
"${MPIRUN[@]}" -np 1 "$COHORT" sweep "$WORK/out.yaml" --db "$WORK/out.db" > "$WORK/sweep.out" 2>&1
expect_eq "the sweep that makes the database" "$?" 0

# expect_write_error NAME ARGS...: cohort ARGS > /dev/full fails with exit code 1 and says why
expect_write_error() {
  local name=$1; shift
  "$COHORT" "$@" > /dev/full 2> "$WORK/$name.err"
  expect_eq "$name > /dev/full: exit code" "$?" 1
  CHECKS=$((CHECKS + 1))
  if ! grep -q "error writing standard output" "$WORK/$name.err"; then
    fail "$name > /dev/full: no message:"; cat "$WORK/$name.err" >&2
  fi
  "$COHORT" "$@" > /dev/null 2> "$WORK/$name.null.err"
  expect_eq "$name > /dev/null: exit code" "$?" 0
}

Q="SELECT id, status FROM runs ORDER BY id"
expect_write_error query_table query --db "$WORK/out.db" "$Q"
expect_write_error query_csv query --db "$WORK/out.db" --csv "$Q"
expect_write_error query_json query --db "$WORK/out.db" --json "$Q"
expect_write_error query_help query --help
expect_write_error report report --db "$WORK/out.db" --out "$WORK/out.html"
expect_write_error models models --input 1x28x28
expect_write_error dry_run sweep "$WORK/out.yaml" --dry-run
expect_write_error version --version
expect_write_error help --help
# a sweep whose progress output cannot be written still records its runs, and says so
"$COHORT" sweep "$WORK/out.yaml" --db "$WORK/again.db" > /dev/full 2> "$WORK/sweep_full.err"
expect_eq "sweep > /dev/full: exit code" "$?" 1
check "sweep > /dev/full: message" grep -q "error writing standard output" "$WORK/sweep_full.err"
expect_eq "sweep > /dev/full: runs recorded" "$(sql "$WORK/again.db" "SELECT count(*) FROM runs WHERE status = 'finished'")" 2
finish
