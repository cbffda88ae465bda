#!/usr/bin/env bash
# `cohort report` never writes its output over the database it reads: not by the same path, another spelling
# of it, a symbolic or hard link, the database's -wal file, nor into its checkpoint directory. Each is exit
# code 2 with a message naming both files, and nothing is written (the database is byte for byte as before).
COHORT=$1
source "$(dirname "$0")/lib.sh"

printf 'name: guard\nmethod: grid\nparameters:\n  model: {value: objective}\n  function: {value: branin}\n  x1: {values: [1, 2]}\n  x2: {value: 3}\n' \
  > "$WORK/guard.yaml"
"${MPIRUN[@]}" -np 1 "$COHORT" sweep "$WORK/guard.yaml" --db "$WORK/base.db" > "$WORK/sweep.out" 2>&1
expect_eq "the sweep that makes the database" "$?" 0
expect_eq "runs in the database" "$(sql "$WORK/base.db" "SELECT count(*) FROM runs WHERE status = 'finished'")" 2

# expect_refused NAME DB OUT (relative to $WORK): the report is refused and DB (a copy of base.db) is unchanged
expect_refused() {
  local name=$1 db=$2 out=$3
  (cd "$WORK" && "$COHORT" report --db "$db" --out "$out") > "$WORK/$name.out" 2> "$WORK/$name.err"
  expect_eq "$name: exit code" "$?" 2
  CHECKS=$((CHECKS + 1))
  if ! grep -q "refusing to write the report over the database" "$WORK/$name.err"; then
    fail "$name: no refusal message:"; cat "$WORK/$name.err" >&2
  fi
  check "$name: nothing on standard output" test ! -s "$WORK/$name.out"
  check "$name: the database is unchanged" cmp -s "$WORK/base.db" "$WORK/$db"
  expect_eq "$name: still a results database" "$(sql "$WORK/$db" "SELECT count(*) FROM runs")" 2
  expect_eq "$name: no temporary files left" "$(find "$WORK" -name '*.tmp-*' | wc -l)" 0
}

cp "$WORK/base.db" "$WORK/r.csv"
expect_refused same_path_csv r.csv r.csv
cp "$WORK/base.db" "$WORK/r.html"
expect_refused same_path_html r.html r.html
mkdir -p "$WORK/sub"
expect_refused other_spelling r.html "./sub/../r.html"
expect_refused absolute_spelling r.html "$WORK/r.html"

cp "$WORK/base.db" "$WORK/data.db"
ln -s data.db "$WORK/alias.md"
expect_refused symlink_to_db data.db alias.md
ln "$WORK/data.db" "$WORK/hard.json"
expect_refused hard_link_to_db data.db hard.json
cp "$WORK/base.db" "$WORK/target.tex"
ln -s target.tex "$WORK/link.db"
expect_refused db_through_symlink link.db target.tex

# the -wal file of a database being written (an empty one is a valid WAL file), reached through a link
: > "$WORK/data.db-wal"
ln -s data.db-wal "$WORK/wal.csv"
expect_refused symlink_to_wal data.db wal.csv
check "the -wal file is still empty" test ! -s "$WORK/data.db-wal"
rm -f "$WORK/data.db-wal" "$WORK/data.db-shm"

mkdir -p "$WORK/data.db.checkpoints"
expect_refused into_checkpoints data.db data.db.checkpoints/report.html
check "nothing in the checkpoint directory" test -z "$(ls -A "$WORK/data.db.checkpoints")"

# a report next to the database is still fine
(cd "$WORK" && "$COHORT" report --db data.db --out data.csv) > "$WORK/ok.out" 2>&1
expect_eq "report beside the database: exit code" "$?" 0
check "report beside the database: written" grep -q '^run_id,' "$WORK/data.csv"
check "the database is unchanged after a report beside it" cmp -s "$WORK/base.db" "$WORK/data.db"
finish
