#!/bin/bash
# cohort eval end to end: a sweep's kept best checkpoint evaluated through --db/--run (values equal to what the
# sweep recorded for that epoch, the confusion matrix consistent with them, the row stored and drawn in the
# HTML report), a bare checkpoint with flags, and bad input (corrupt checkpoint, another model's, unknown run,
# no kept best checkpoint, missing database): a message naming the file or run, exit 2, nothing stored.
# cohort predict --db/--run predicts with the same kept best checkpoint as --checkpoint on its file does.
# Usage: eval.sh path/to/cohort
COHORT=${1:?usage: eval.sh path/to/cohort}
source "$(dirname "$0")/lib.sh"

lenet_sweep "$WORK/sweep.yaml" eval-sweep "0.01, 0.05"
DB=$WORK/r.db
"$COHORT" sweep "$WORK/sweep.yaml" --db "$DB" > "$WORK/sweep.out" 2>&1
expect_eq "sweep: exit code" "$?" 0
BEST_EPOCH=$(sql "$DB" "SELECT epoch FROM checkpoints WHERE run_id = 2 AND kind = 'best'")

# ---- --db/--run: the best kept checkpoint, the run's settings ----
"$COHORT" eval --db "$DB" --run 2 --json > "$WORK/eval.json" 2> "$WORK/eval.err"
expect_eq "db: exit code" "$?" 0
j() { python3 -c "import json,sys; d=json.load(open('$WORK/eval.json')); print($1)"; }
expect_eq "db: the checkpoint is the run's best" "$(j "d['checkpoint']")" "$(sql "$DB" "SELECT path FROM checkpoints WHERE run_id = 2 AND kind = 'best'")"
expect_eq "db: its epoch" "$(j "d['epoch']")" "$BEST_EPOCH"
expect_eq "db: images" "$(j "d['images']")" 200
# the sweep evaluated the same weights on the same 200 test images after that epoch (batch sizes differ, so
# the loss may differ in the last float digits; the accuracies are counts)
expect_eq "db: top-1 equals the epoch's recorded test top-1" "$(j "'%.2f' % d['top1']")" \
  "$(sql "$DB" "SELECT printf('%.2f', test_top1) FROM epochs WHERE run_id = 2 AND epoch = $BEST_EPOCH")"
expect_eq "db: top-5 equals the epoch's recorded test top-5" "$(j "'%.2f' % d['top5']")" \
  "$(sql "$DB" "SELECT printf('%.2f', test_top5) FROM epochs WHERE run_id = 2 AND epoch = $BEST_EPOCH")"
expect_eq "db: loss equals the epoch's recorded test loss to 5 digits" "$(j "'%.5f' % d['loss']")" \
  "$(sql "$DB" "SELECT printf('%.5f', test_loss) FROM epochs WHERE run_id = 2 AND epoch = $BEST_EPOCH")"
expect_eq "db: the confusion matrix counts every image once" "$(j "sum(map(sum, d['confusion']))")" 200
expect_eq "db: its diagonal is top-1" "$(j "'%.2f' % (100.0 * sum(d['confusion'][k][k] for k in range(10)) / 200)")" "$(j "'%.2f' % d['top1']")"
expect_eq "db: per-class accuracy is the diagonal over the row" \
  "$(j "all(abs(d['per_class_top1'][k] - 100.0 * d['confusion'][k][k] / sum(d['confusion'][k])) < 1e-9 for k in range(10))")" True
expect_eq "db: stored" "$(sql "$DB" "SELECT run_id || ' ' || split || ' ' || epoch || ' ' || images || ' ' || classes FROM evaluations")" \
  "2 test $BEST_EPOCH 200 10"
expect_eq "db: stored values equal the printed" "$(sql "$DB" "SELECT printf('%.6f', top1) FROM evaluations")" "$(j "'%.6f' % d['top1']")"
expect_eq "db: stored confusion equals the printed" "$(sql "$DB" "SELECT confusion FROM evaluations")" \
  "$(j "json.dumps(d['confusion'], separators=(',', ':'))")"

# ---- the table; the HTML report draws the stored confusion matrix ----
"$COHORT" eval --db "$DB" --run 2 > "$WORK/eval.txt" 2>&1
check "table: top-1 line" grep -q "^top-1 $(j "'%.2f' % d['top1']") %  top-5" "$WORK/eval.txt"
check "table: a line per class" test "$(grep -c '^class[0-9]' "$WORK/eval.txt")" -eq 10
"$COHORT" report --db "$DB" --out "$WORK/r.html" > /dev/null 2>&1
expect_eq "report: one confusion heatmap" "$(grep -c '<svg class="chart heatmap"' "$WORK/r.html")" 1
expect_eq "report: 100 cells" "$(grep -o '<rect class="cell"' "$WORK/r.html" | wc -l)" 100

# ---- a bare checkpoint: the model from its header, the data from flags ----
"$COHORT" eval --checkpoint "$DB.checkpoints/run-2.best.ckpt" --dataset synthetic --synthetic_train 1200 \
  --synthetic_test 200 --json > "$WORK/bare.json" 2>&1
expect_eq "bare: exit code" "$?" 0
expect_eq "bare: same top-1 as through the database" \
  "$(python3 -c "import json; print(json.load(open('$WORK/bare.json'))['top1'])")" "$(j "d['top1']")"

# ---- cohort predict --db/--run: the same kept best checkpoint ----
"$COHORT" predict --db "$DB" --run 2 --split test --limit 8 --json > "$WORK/predict-db.json" 2> "$WORK/predict-db.err"
expect_eq "predict --db/--run: exit code" "$?" 0
"$COHORT" predict --checkpoint "$DB.checkpoints/run-2.best.ckpt" --split test --limit 8 --json > "$WORK/predict-file.json" 2>&1
check "predict --db/--run: 8 predictions" python3 -c "import json, sys; sys.exit(len(json.load(open('$WORK/predict-db.json'))) != 8)"
expect_eq "predict --db/--run equals predict on the best checkpoint file" "$(cat "$WORK/predict-db.json")" "$(cat "$WORK/predict-file.json")"
"$COHORT" predict --db "$WORK/kept-none-missing.db" --run 1 --split test > "$WORK/predict-bad.out" 2> "$WORK/predict-bad.err"
expect_eq "predict --db of a missing database: exit code" "$?" 2
check "predict --db of a missing database: message" grep -qF "$WORK/kept-none-missing.db: no such results database" "$WORK/predict-bad.err"
check "predict --db of a missing database: not created" test ! -e "$WORK/kept-none-missing.db"

# ---- bad input ----
rows_before=$(sql "$DB" "SELECT count(*) FROM evaluations")
bad() { # bad NAME EXPECTED-MESSAGE ARGS...
  local name=$1 message=$2; shift 2
  "$COHORT" eval "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
  expect_eq "$name: exit code" "$?" 2
  check "$name: message" grep -qF -- "$message" "$WORK/$name.err"
  expect_eq "$name: nothing printed" "$(wc -c < "$WORK/$name.out")" 0
}
cp "$DB.checkpoints/run-1.ckpt" "$WORK/corrupt.ckpt"
printf '\xde\xad\xbe\xef' | dd of="$WORK/corrupt.ckpt" bs=1 seek=5000 conv=notrunc status=none
bad corrupt "$WORK/corrupt.ckpt: checkpoint checksum mismatch (corrupt file)" --db "$DB" --run 1 --checkpoint "$WORK/corrupt.ckpt"
head -c 100 "$DB.checkpoints/run-1.ckpt" > "$WORK/short.ckpt"
bad truncated "$WORK/short.ckpt: checkpoint is truncated" --checkpoint "$WORK/short.ckpt"
"$COHORT" train --model mlp --dataset synthetic --synthetic_train 200 --synthetic_test 50 --epochs 1 \
  --checkpoint "$WORK/mlp.ckpt" > /dev/null 2>&1
bad other_model "$WORK/mlp.ckpt: checkpoint is of model mlp with" --db "$DB" --run 1 --checkpoint "$WORK/mlp.ckpt"
bad unknown_run "$DB: run 99: no such run" --db "$DB" --run 99
bad no_database "$WORK/none.db: no such results database" --db "$WORK/none.db" --run 1
check "no_database: not created" test ! -e "$WORK/none.db"
bad missing "$WORK/gone.ckpt: cannot open checkpoint" --checkpoint "$WORK/gone.ckpt"
bad split "--split: expected test, val or train, got 'dev'" --checkpoint "$WORK/mlp.ckpt" --split dev
lenet_sweep "$WORK/none.yaml" eval-none "0.01"
echo "keep_checkpoints: none" >> "$WORK/none.yaml"
"$COHORT" sweep "$WORK/none.yaml" --db "$WORK/kept-none.db" > /dev/null 2>&1
bad no_best "$WORK/kept-none.db: run 1 has no kept best checkpoint" --db "$WORK/kept-none.db" --run 1
"$COHORT" predict --db "$WORK/kept-none.db" --run 1 --split test > /dev/null 2> "$WORK/predict-no-best.err"
expect_eq "predict without a kept best: exit code" "$?" 2
check "predict without a kept best: message" grep -qF "$WORK/kept-none.db: run 1 has no kept best checkpoint" "$WORK/predict-no-best.err"
rm "$DB.checkpoints/run-1.best.ckpt"
bad best_deleted "run-1.best.ckpt: cannot open checkpoint" --db "$DB" --run 1
expect_eq "bad input stored nothing" "$(sql "$DB" "SELECT count(*) FROM evaluations")" "$rows_before"
finish
