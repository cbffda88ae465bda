#!/usr/bin/env bash
# `cohort query` and `cohort report` read a results database (WAL mode) on a read-only medium: through its
# -shm file when it is there (SQLite's read-only WAL access), otherwise opened immutable; a -wal file with
# changes but no -shm to read them by is refused with exit code 2 and a message saying so.
COHORT=$1
source "$(dirname "$0")/lib.sh"

printf 'name: media\nmethod: grid\nparameters:\n  model: {value: objective}\n  function: {value: branin}\n  x1: {values: [1, 2]}\n  x2: {value: 3}\n' \
  > "$WORK/media.yaml"
"${MPIRUN[@]}" -np 1 "$COHORT" sweep "$WORK/media.yaml" --db "$WORK/made.db" > "$WORK/sweep.out" 2>&1
expect_eq "the sweep that makes the database" "$?" 0
expect_eq "journal mode of the database" "$(sql "$WORK/made.db" "PRAGMA journal_mode")" wal
mkdir -p "$WORK/out" && chmod 777 "$WORK/out" # reports go here (writable by nobody too)

# 1. the database alone (no -wal, no -shm): opened immutable
mkdir "$WORK/plain" && cp "$WORK/made.db" "$WORK/plain/r.db"
Q="SELECT group_concat(status) FROM (SELECT status FROM runs ORDER BY id)"
run_readonly "$WORK/plain" "$COHORT" query --db "$WORK/plain/r.db" "$Q" > "$WORK/plain.out" 2> "$WORK/plain.err"
rc=$?; expect_eq "query, database alone: exit code" "$rc" 0; [ "$rc" -eq 0 ] || cat "$WORK/plain.err" >&2
check "query, database alone: the rows" grep -q "^finished,finished$" "$WORK/plain.out"
run_readonly "$WORK/plain" "$COHORT" query --db "$WORK/plain/r.db" --json "SELECT name FROM sweeps" \
  > "$WORK/plain.json" 2> "$WORK/plain_json.err"
expect_eq "query --json, database alone: exit code" "$?" 0
check "query --json, database alone: the sweep" grep -q '"name":"media"' "$WORK/plain.json"
run_readonly "$WORK/plain" "$COHORT" report --db "$WORK/plain/r.db" --out "$WORK/out/plain.csv" \
  > /dev/null 2> "$WORK/plain_report.err"
rc=$?; expect_eq "report, database alone: exit code" "$rc" 0; [ "$rc" -eq 0 ] || cat "$WORK/plain_report.err" >&2
expect_eq "report, database alone: rows" "$(grep -c '^[0-9]' "$WORK/out/plain.csv" 2> /dev/null)" 2
check "nothing written beside the database" test "$(ls "$WORK/plain")" = r.db

# 2. a -wal with a committed change and its -shm, as a writer left them: the change is read
mkdir "$WORK/writer" "$WORK/wal"
cp "$WORK/made.db" "$WORK/writer/r.db"
(cd "$WORK/writer" && sqlite3 r.db "PRAGMA wal_autocheckpoint = 0;" "UPDATE sweeps SET name = 'renamed';" \
  ".system cp r.db r.db-wal r.db-shm ../wal/") > /dev/null
check "the copied -wal holds the change" test -s "$WORK/wal/r.db-wal"
run_readonly "$WORK/wal" "$COHORT" query --db "$WORK/wal/r.db" "SELECT name FROM sweeps" > "$WORK/wal.out" 2> "$WORK/wal.err"
rc=$?; expect_eq "query, -wal and -shm: exit code" "$rc" 0; [ "$rc" -eq 0 ] || cat "$WORK/wal.err" >&2
check "query, -wal and -shm: the change in the -wal is seen" grep -q "^renamed$" "$WORK/wal.out"
run_readonly "$WORK/wal" "$COHORT" report --db "$WORK/wal/r.db" --out "$WORK/out/wal.json" > /dev/null 2> "$WORK/wal_report.err"
rc=$?; expect_eq "report, -wal and -shm: exit code" "$rc" 0; [ "$rc" -eq 0 ] || cat "$WORK/wal_report.err" >&2
check "report, -wal and -shm: the change in the -wal is seen" grep -q '"sweep":"renamed"' "$WORK/out/wal.json"

# 3. the same -wal without its -shm: reading the database alone would miss the change, so it is refused
rm "$WORK/wal/r.db-shm"
run_readonly "$WORK/wal" "$COHORT" query --db "$WORK/wal/r.db" "SELECT name FROM sweeps" > "$WORK/noshm.out" 2> "$WORK/noshm.err"
expect_eq "query, -wal without -shm: exit code" "$?" 2
check "query, -wal without -shm: the message names the -wal file" grep -q "r\.db-wal" "$WORK/noshm.err"
check "query, -wal without -shm: nothing printed" test ! -s "$WORK/noshm.out"
check "query, -wal without -shm: no stale rows" test -z "$(grep media "$WORK/noshm.out")"
finish
