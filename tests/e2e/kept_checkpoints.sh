#!/bin/bash
# keep_checkpoints end to end: which checkpoints a sweep leaves when its runs end, what the database records
# of them (checkpoints table), the FLOPs and images/s beside each run, and that a killed and resumed sweep
# keeps the same ones. Usage: kept_checkpoints.sh path/to/cohort
COHORT=${1:?usage: kept_checkpoints.sh path/to/cohort}
source "$(dirname "$0")/lib.sh"

# lenet_sweep's grid of two LeNet trials, 3 epochs; the metric is test_loss with goal maximize, so that the
# best epoch is the first (the loss falls every epoch) and differs from the last.
kept_sweep() { # kept_sweep FILE NAME [keep_checkpoints line]
  lenet_sweep "$1" "$2" "0.01, 0.05"
  printf 'metric: {name: test_loss, goal: maximize}\n%s\n' "${3:-}" >> "$1"
}
file_size() { stat -c %s "$1" 2> /dev/null || echo missing; }

# ---- the default (best and last), on 3 ranks ----
kept_sweep "$WORK/default.yaml" kept-default
DB=$WORK/default.db
"${MPIRUN[@]}" -np 3 "$COHORT" sweep "$WORK/default.yaml" --db "$DB" > "$WORK/default.out" 2>&1
expect_eq "default: exit code" "$?" 0
expect_eq "default: files left" "$(cd "$DB.checkpoints" && ls run-* | tr '\n' ' ')" \
  "run-1.best.ckpt run-1.ckpt run-2.best.ckpt run-2.ckpt "
expect_eq "default: rows" "$(sql "$DB" "SELECT group_concat(run_id || ' ' || kind || ' ' || epoch || ' ' || metric, ', ')
  FROM (SELECT * FROM checkpoints ORDER BY run_id, kind)")" \
  "1 best 1 test_loss, 1 last 3 test_loss, 2 best 1 test_loss, 2 last 3 test_loss"
expect_eq "default: each row's metric value is its epoch's test loss" \
  "$(sql "$DB" "SELECT count(*) FROM checkpoints c JOIN epochs e ON e.run_id = c.run_id AND e.epoch = c.epoch
                WHERE c.metric_value = e.test_loss")" 4
for run in 1 2; do
  for kind in best last; do
    path=$(sql "$DB" "SELECT path FROM checkpoints WHERE run_id = $run AND kind = '$kind'")
    expect_eq "default: run $run's $kind path is absolute" "${path:0:1}" "/"
    expect_eq "default: run $run's $kind size" "$(sql "$DB" "SELECT size_bytes FROM checkpoints WHERE run_id = $run AND kind = '$kind'")" \
      "$(file_size "$path")"
  done
  check "default: run $run's best (epoch 1) differs from its last (epoch 3)" \
    bash -c "! cmp -s '$DB.checkpoints/run-$run.best.ckpt' '$DB.checkpoints/run-$run.ckpt'"
done
# LeNet-5 on 28x28x1 (pad 2): conv1 6x(5x5x1) at 28x28 = 117,600 multiply-adds, conv2 16x(5x5x6) at 10x10 = 240,000,
# linear 400x120 + 120x84 + 84x10 = 58,920; x2 = 833,040 FLOPs per image.
expect_eq "default: FLOPs per image" "$(sql "$DB" "SELECT group_concat(flops_per_image, ' ') FROM runs")" "833040.0 833040.0"
expect_eq "default: images/s is the mean of the epochs'" \
  "$(sql "$DB" "SELECT count(*) FROM runs r WHERE images_per_sec > 0 AND
                abs(images_per_sec - (SELECT avg(images_per_sec) FROM epochs e WHERE e.run_id = r.id)) < 1e-9")" 2
expect_eq "default: run_summary shows them" \
  "$(sql "$DB" "SELECT count(*) FROM run_summary WHERE flops_per_image = 833040 AND images_per_sec > 0")" 2

# ---- all: every epoch's checkpoint as well; the best copy is epoch 1's and the last epoch 3's, byte for byte ----
kept_sweep "$WORK/all.yaml" kept-all "keep_checkpoints: all"
DB=$WORK/all.db
"$COHORT" sweep "$WORK/all.yaml" --db "$DB" > "$WORK/all.out" 2>&1
expect_eq "all: exit code" "$?" 0
expect_eq "all: files left for run 1" "$(cd "$DB.checkpoints" && ls run-1.* | tr '\n' ' ')" \
  "run-1.best.ckpt run-1.ckpt run-1.epoch-1.ckpt run-1.epoch-2.ckpt run-1.epoch-3.ckpt "
check "all: best = epoch 1" cmp -s "$DB.checkpoints/run-1.best.ckpt" "$DB.checkpoints/run-1.epoch-1.ckpt"
check "all: last = epoch 3" cmp -s "$DB.checkpoints/run-1.ckpt" "$DB.checkpoints/run-1.epoch-3.ckpt"
expect_eq "all: rows of run 2" "$(sql "$DB" "SELECT group_concat(kind || epoch, ' ') FROM
  (SELECT * FROM checkpoints WHERE run_id = 2 ORDER BY kind, epoch)")" "best1 epoch1 epoch2 epoch3 last3"

# ---- --keep-checkpoints is "all" whatever the file says ----
kept_sweep "$WORK/flag.yaml" kept-flag "keep_checkpoints: none"
"$COHORT" sweep "$WORK/flag.yaml" --db "$WORK/flag.db" --keep-checkpoints > "$WORK/flag.out" 2>&1
expect_eq "flag: rows" "$(sql "$WORK/flag.db" "SELECT count(*) FROM checkpoints")" 10

# ---- none: nothing left, nothing recorded ----
kept_sweep "$WORK/none.yaml" kept-none "keep_checkpoints: none"
DB=$WORK/none.db
"${MPIRUN[@]}" -np 2 "$COHORT" sweep "$WORK/none.yaml" --db "$DB" > "$WORK/none.out" 2>&1
expect_eq "none: exit code" "$?" 0
expect_eq "none: files left" "$(ls "$DB.checkpoints" | grep -c '^run-')" 0
expect_eq "none: rows" "$(sql "$DB" "SELECT count(*) FROM checkpoints")" 0

# ---- [best]: the last checkpoint goes, the best stays ----
kept_sweep "$WORK/best.yaml" kept-best "keep_checkpoints: [best]"
DB=$WORK/best.db
"$COHORT" sweep "$WORK/best.yaml" --db "$DB" > "$WORK/best.out" 2>&1
expect_eq "[best]: files left" "$(cd "$DB.checkpoints" && ls run-* | tr '\n' ' ')" "run-1.best.ckpt run-2.best.ckpt "
expect_eq "[best]: rows" "$(sql "$DB" "SELECT group_concat(kind || epoch, ' ') FROM checkpoints")" "best1 best1"

# ---- resume: the coordinator killed inside its 5th transaction (run 1 mid-way), then the same command again:
# the same files and rows as the undisturbed sweep, the best copy being epoch 1's (checkpoints hold timings,
# so copies from two sweeps differ in those bytes) ----
DB=$WORK/resumed.db
kept_sweep "$WORK/resumed.yaml" kept-all "keep_checkpoints: all"
COHORT_FAULT=commit:5 "$COHORT" sweep "$WORK/resumed.yaml" --db "$DB" > "$WORK/killed.out" 2>&1
check "resume: the first job was killed" test "$?" -ne 0
"$COHORT" sweep "$WORK/resumed.yaml" --db "$DB" > "$WORK/resumed.out" 2>&1
expect_eq "resume: exit code" "$?" 0
expect_eq "resume: rows" "$(sql "$DB" "SELECT group_concat(run_id || kind || epoch, ' ') FROM
  (SELECT * FROM checkpoints ORDER BY run_id, kind, epoch)")" \
  "1best1 1epoch1 1epoch2 1epoch3 1last3 2best1 2epoch1 2epoch2 2epoch3 2last3"
check "resume: run 1's best is epoch 1's checkpoint" cmp -s "$DB.checkpoints/run-1.best.ckpt" "$DB.checkpoints/run-1.epoch-1.ckpt"
check "resume: run 1's last is epoch 3's checkpoint" cmp -s "$DB.checkpoints/run-1.ckpt" "$DB.checkpoints/run-1.epoch-3.ckpt"
expect_eq "resume: epochs" "$(sql "$DB" "SELECT count(*) FROM epochs")" 6
finish
