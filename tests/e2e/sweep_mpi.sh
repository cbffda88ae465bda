#!/usr/bin/env bash
# A 4-trial sweep under mpirun -np 3: the database holds 4 finished runs, every epoch's metrics non-null,
# the right parameter counts; running it again trains nothing; -np 1 and more ranks than trials work.
COHORT=$1
source "$(dirname "$0")/lib.sh"

cat > "$WORK/sweep.yaml" <<'YAML'
name: e2e
method: grid
parameters:
  model: {values: [lenet, mlp]}
  lr: {values: [0.05, 0.1]}
  dataset: {value: synthetic}
  input_shape: {value: 1x32x32}
  classes: {value: 10}
  synthetic_train: {value: 1024}
  synthetic_test: {value: 256}
  epochs: {value: 3}
  batch_size: {value: 32}
  hidden: {value: "64"}
  threads: {value: 1}
YAML
DB=$WORK/e2e.db
"${MPIRUN[@]}" -np 3 "$COHORT" sweep "$WORK/sweep.yaml" --db "$DB" > "$WORK/out.txt" 2>&1
rc=$?
expect_eq "exit code of the sweep" "$rc" 0
[ "$rc" -ne 0 ] && cat "$WORK/out.txt" >&2
expect_eq "runs" "$(sql "$DB" "SELECT count(*) FROM runs")" 4
expect_eq "finished runs" "$(sql "$DB" "SELECT count(*) FROM runs WHERE status='finished'")" 4
expect_eq "epochs" "$(sql "$DB" "SELECT count(*) FROM epochs")" 12
expect_eq "epochs with a null metric" "$(sql "$DB" "SELECT count(*) FROM epochs WHERE train_loss IS NULL OR
  train_top1 IS NULL OR test_loss IS NULL OR test_top1 IS NULL OR test_top5 IS NULL OR lr IS NULL OR
  wall_seconds IS NULL OR images_per_sec IS NULL")" 0
expect_eq "lenet parameter count" "$(sql "$DB" "SELECT DISTINCT param_count FROM runs WHERE model='lenet'")" 61706
# mlp 1024 -> 64 -> 10: 1024*64+64 + 64*10+10 = 66250
expect_eq "mlp parameter count" "$(sql "$DB" "SELECT DISTINCT param_count FROM runs WHERE model='mlp'")" 66250
expect_eq "runs trained on worker ranks" "$(sql "$DB" "SELECT count(*) FROM runs WHERE rank IN (1,2)")" 4
expect_eq "runs with a host" "$(sql "$DB" "SELECT count(*) FROM runs WHERE host <> ''")" 4
expect_eq "above chance" "$(sql "$DB" "SELECT count(*) FROM epochs WHERE epoch=3 AND test_top1 > 30")" 4
expect_eq "journal mode" "$(sql "$DB" "PRAGMA journal_mode")" wal

# Again: nothing left to train, nothing changes.
before=$(sql "$DB" "SELECT group_concat(test_loss) FROM (SELECT test_loss FROM epochs ORDER BY run_id, epoch)")
"${MPIRUN[@]}" -np 2 "$COHORT" sweep "$WORK/sweep.yaml" --db "$DB" > "$WORK/again.txt" 2>&1
expect_eq "exit code of the re-run" "$?" 0
check "re-run says all had ended" grep -q "4 already ended, 0 to run" "$WORK/again.txt"
expect_eq "epochs unchanged by the re-run" "$(sql "$DB" "SELECT group_concat(test_loss) FROM (SELECT test_loss FROM epochs ORDER BY run_id, epoch)")" "$before"

METRICS_SQL="SELECT group_concat(v, ' ') FROM (SELECT r.trial_key || ':' || e.epoch || ':' || e.train_loss || ':' || e.test_loss AS v
  FROM epochs e JOIN runs r ON r.id = e.run_id ORDER BY r.trial_key, e.epoch)"
# One rank trains by itself; the results equal those of the distributed run bit for bit.
"${MPIRUN[@]}" -np 1 "$COHORT" sweep "$WORK/sweep.yaml" --db "$WORK/one.db" > "$WORK/one.txt" 2>&1
expect_eq "exit code with -np 1" "$?" 0
expect_eq "runs with -np 1" "$(sql "$WORK/one.db" "SELECT count(*) FROM runs WHERE status='finished' AND rank=0")" 4
expect_eq "-np 1 metrics equal -np 3 metrics" \
  "$(sql "$WORK/one.db" "$METRICS_SQL")" \
  "$(sql "$DB" "$METRICS_SQL")"

# More ranks than trials: idle ranks are shut down cleanly.
"${MPIRUN[@]}" -np 6 "$COHORT" sweep "$WORK/sweep.yaml" --db "$WORK/six.db" > "$WORK/six.txt" 2>&1
expect_eq "exit code with -np 6" "$?" 0
expect_eq "runs with -np 6" "$(sql "$WORK/six.db" "SELECT count(*) FROM runs WHERE status='finished'")" 4

# Reports from the database.
"$COHORT" report --db "$DB" --out "$WORK/r.html" > /dev/null && "$COHORT" report --db "$DB" --out "$WORK/r.md" > /dev/null
expect_eq "report exit code" "$?" 0
check "html report has charts" grep -q "<svg" "$WORK/r.html"
check "markdown report lists lenet" grep -q "lenet" "$WORK/r.md"
finish
