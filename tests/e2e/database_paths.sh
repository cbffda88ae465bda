#!/usr/bin/env bash
# Database paths that cannot be a results database stop `cohort sweep`, `query` and `report` with exit code 2
# and a message naming the file, before anything is created or changed: a device (/dev/null), a directory,
# random bytes, another program's SQLite file, a database on a read-only file system, a missing directory.
COHORT=$1
source "$(dirname "$0")/lib.sh"

printf 'name: paths\nmethod: grid\nparameters:\n  model: {value: objective}\n  function: {value: branin}\n  x1: {values: [1, 2]}\n  x2: {value: 3}\n' \
  > "$WORK/paths.yaml"

# expect_refused NAME PATTERN DB COMMAND...: exit code 2 and PATTERN on standard error
expect_refused() {
  local name=$1 pattern=$2
  shift 2
  "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
  expect_eq "$name: exit code" "$?" 2
  CHECKS=$((CHECKS + 1))
  if ! grep -Eq -- "$pattern" "$WORK/$name.err"; then
    fail "$name: message does not match '$pattern':"; cat "$WORK/$name.err" >&2
  fi
}

# /dev/null: never opened as a database (SQLite would create /dev/null-journal next to it)
had_journal=0; [ -e /dev/null-journal ] && had_journal=1
for what in sweep query report; do
  case $what in
    sweep) args=(sweep "$WORK/paths.yaml" --db /dev/null) ;;
    query) args=(query --db /dev/null "SELECT 1") ;;
    report) args=(report --db /dev/null --out "$WORK/null.html") ;;
  esac
  expect_refused "dev_null_$what" "/dev/null: not a regular file" "$COHORT" "${args[@]}"
done
if [ "$had_journal" -eq 0 ]; then check "no /dev/null-journal created" test ! -e /dev/null-journal; fi
check "no /dev/null-wal created" test ! -e /dev/null-wal
check "no /dev/null.checkpoints created" test ! -e /dev/null.checkpoints
check "no /dev/null.lock created" test ! -e /dev/null.lock
check "no report from /dev/null" test ! -e "$WORK/null.html"

mkdir "$WORK/dir.db"
expect_refused directory "dir\.db: not a regular file" "$COHORT" sweep "$WORK/paths.yaml" --db "$WORK/dir.db"
check "nothing created in the directory" test -z "$(ls -A "$WORK/dir.db")"
check "no checkpoint directory for the directory" test ! -e "$WORK/dir.db.checkpoints"
check "no lock file for the directory" test ! -e "$WORK/dir.db.lock"

head -c 8192 /dev/urandom > "$WORK/random.db"
cp "$WORK/random.db" "$WORK/random.before"
expect_refused random_bytes "random\.db: not a Cohort results database" \
  "$COHORT" sweep "$WORK/paths.yaml" --db "$WORK/random.db"
check "random bytes unchanged" cmp -s "$WORK/random.db" "$WORK/random.before"
check "no lock file or checkpoints beside random bytes" test ! -e "$WORK/random.db.lock" -a ! -e "$WORK/random.db.checkpoints"

sqlite3 "$WORK/foreign.db" "CREATE TABLE notes (text); INSERT INTO notes VALUES ('mine')"
cp "$WORK/foreign.db" "$WORK/foreign.before"
expect_refused foreign_sqlite "foreign\.db: not a Cohort results database" \
  "$COHORT" sweep "$WORK/paths.yaml" --db "$WORK/foreign.db"
check "the foreign file is unchanged" cmp -s "$WORK/foreign.db" "$WORK/foreign.before"
check "no lock file or checkpoints beside the foreign file" test ! -e "$WORK/foreign.db.lock" -a ! -e "$WORK/foreign.db.checkpoints"

expect_refused missing_directory "nowhere/results\.db: cannot create the database" \
  "$COHORT" sweep "$WORK/paths.yaml" --db "$WORK/nowhere/results.db"
check "no directory created" test ! -e "$WORK/nowhere"

# a read-only file system: a new database cannot be created, an existing one not written
mkdir "$WORK/ro"
expect_refused readonly_new "ro/new\.db: cannot create the database" \
  run_readonly "$WORK/ro" "$COHORT" sweep "$WORK/paths.yaml" --db "$WORK/ro/new.db"
check "no database created on the read-only file system" test -z "$(ls -A "$WORK/ro")"
"${MPIRUN[@]}" -np 1 "$COHORT" sweep "$WORK/paths.yaml" --db "$WORK/ro/old.db" > "$WORK/old.out" 2>&1
expect_eq "the sweep that makes ro/old.db" "$?" 0
sqlite3 "$WORK/ro/old.db" "UPDATE runs SET status = 'pending' WHERE id = 2"
cp "$WORK/ro/old.db" "$WORK/old.before"
rm -rf "$WORK/ro/old.db.checkpoints"
expect_refused readonly_existing "ro/old\.db: the database cannot be written" \
  run_readonly "$WORK/ro" "$COHORT" sweep "$WORK/paths.yaml" --db "$WORK/ro/old.db"
check "the read-only database is unchanged" cmp -s "$WORK/ro/old.db" "$WORK/old.before"
finish
