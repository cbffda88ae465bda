#!/usr/bin/env bash
# Data-parallel trials (ranks_per_trial) through the real cohort sweep under mpirun:
# - K-invariance: the same trial on 1, 2 and 4 ranks commits the same per-epoch metrics, bit for bit;
# - placement: trials needing 3, 1 and 2 ranks share 3 workers and all finish (no deadlock, no idle waits);
# - a lost rank: a group's first trainer freezes after epoch 1 and is killed by the stall timeout; the other
#   ranks of its group are told to stop, the trial is recorded lost, retried from its checkpoint, and ends with
#   the undisturbed run's metrics; the sweep's exit code is 0 (the retry finished it);
# - a stop: SIGUSR1 once a data-parallel trial has committed an epoch exits 3; the same command resumes it, and
#   the database ends as an uninterrupted sweep's;
# - bad input: more ranks per trial than the sweep has is refused before anything runs (exit 2).
#   data_parallel.sh COHORT
source "$(dirname "$0")/lib.sh"
COHORT=$1

# dp_sweep FILE NAME KS [EPOCHS TRAIN_IMAGES]: resnet8 on synthetic 3x16x16 images, micro-batches of 16
dp_sweep() {
  cat > "$1" <<YAML
name: $2
method: grid
parameters:
  model: {value: resnet8}
  dataset: {value: synthetic}
  input_shape: {value: 3x16x16}
  synthetic_train: {value: ${5:-200}}
  synthetic_test: {value: 70}
  epochs: {value: ${4:-2}}
  batch_size: {value: 64}
  micro_batch: {value: 16}
  threads: {value: 1}
  seed: {value: 3}
  ranks_per_trial: {values: [$3]}
YAML
}
# per-epoch metrics of each trial, without the trial key (which includes ranks_per_trial)
per_k() { sql "$1" "SELECT json_extract(r.config_json, '\$.ranks_per_trial') || ' ' || e.epoch || ' ' ||
  printf('%.17g %.17g %.17g %.17g %.17g', e.train_loss, e.train_top1, e.test_loss, e.test_top1, e.test_top5)
  FROM epochs e JOIN runs r ON r.id = e.run_id ORDER BY 1"; }
sweep() { # sweep NP ARGS...: the exit code in $RC, output in $WORK/out
  local np=$1; shift
  timeout 300 "${MPIRUN[@]}" -np "$np" "$COHORT" sweep "$@" --progress lines > "$WORK/out" 2>&1
  RC=$?
}

# --- K = 1, 2, 4: one trial each, the same metrics ---
dp_sweep "$WORK/k.yaml" k "1, 2, 4"
sweep 5 "$WORK/k.yaml" --db "$WORK/k.db"
expect_eq "K sweep exit code" "$RC" 0
expect_eq "K sweep: finished runs" "$(sql "$WORK/k.db" "SELECT count(*) FROM runs WHERE status = 'finished'")" 3
k1=$(per_k "$WORK/k.db" | awk '$1 == 1 {$1 = ""; print}')
for k in 2 4; do
  kk=$(per_k "$WORK/k.db" | awk -v k=$k '$1 == k {$1 = ""; print}')
  expect_eq "epochs of K=$k equal K=1's" "$kk" "$k1"
done
check "K=1 trained two epochs" test "$(echo "$k1" | grep -c .)" -eq 2
expect_eq "every run's host is this host" "$(sql "$WORK/k.db" "SELECT DISTINCT host FROM runs")" "$(hostname)"

# --- placement: 3 workers, trials of 3, 1, 2, 1 ranks ---
dp_sweep "$WORK/mix.yaml" mix "3, 1, 2"
sweep 4 "$WORK/mix.yaml" --db "$WORK/mix.db"
expect_eq "mixed sweep exit code" "$RC" 0
expect_eq "mixed sweep: all finished" "$(sql "$WORK/mix.db" "SELECT group_concat(status) FROM runs")" "finished,finished,finished"
expect_eq "K=3 equals K=1 in the mixed sweep" "$(per_k "$WORK/mix.db" | awk '$1 == 3 {$1 = ""; print}')" \
  "$(per_k "$WORK/mix.db" | awk '$1 == 1 {$1 = ""; print}')"

# --- a lost rank: freeze the first trainer of the K=2 trial after epoch 1 ---
dp_sweep "$WORK/lost.yaml" lost "2" 3
sweep 3 "$WORK/lost.yaml" --db "$WORK/undisturbed.db"
expect_eq "undisturbed exit code" "$RC" 0
COHORT_FAULT=freeze:1:1 sweep 3 "$WORK/lost.yaml" --db "$WORK/lost.db" --stall-timeout 5 --max-retries 1
expect_eq "lost-rank sweep exit code (the retry finished it)" "$RC" 0
expect_eq "lost-rank run finished after one failure" "$(sql "$WORK/lost.db" "SELECT status || ' ' || failures FROM runs")" "finished 1"
check "the loss was reported as lost" grep -q "lost" "$WORK/out"
expect_eq "lost-rank metrics equal the undisturbed run's" "$(sql "$WORK/lost.db" "$EPOCH_METRICS")" \
  "$(sql "$WORK/undisturbed.db" "$EPOCH_METRICS")"

# --- a stop: SIGUSR1 after the K=2 trial's first committed epoch, then resume ---
dp_sweep "$WORK/stop.yaml" stop "2" 4 1000
sweep 3 "$WORK/stop.yaml" --db "$WORK/stop-ref.db"
expect_eq "reference exit code" "$RC" 0
# mpirun itself gets the signal (it forwards SIGUSR1 to the ranks); the wait below is bounded by the polls
"${MPIRUN[@]}" -np 3 "$COHORT" sweep "$WORK/stop.yaml" --db "$WORK/stop.db" > "$WORK/out" 2>&1 &
pid=$!
for _ in $(seq 600); do
  n=$(sql "$WORK/stop.db" "SELECT count(*) FROM epochs" 2> /dev/null || echo 0)
  [ "${n:-0}" -ge 1 ] && break
  sleep 0.1
done
check "an epoch was committed before the stop" test "${n:-0}" -ge 1
kill -USR1 "$pid"
wait "$pid"
expect_eq "stopped sweep exit code" "$?" 3
check "the stopped sweep left epochs to do" test "$(sql "$WORK/stop.db" "SELECT count(*) FROM epochs")" -lt 4
sweep 3 "$WORK/stop.yaml" --db "$WORK/stop.db"
expect_eq "resumed sweep exit code" "$RC" 0
expect_eq "resumed metrics equal the uninterrupted run's" "$(sql "$WORK/stop.db" "$EPOCH_METRICS")" \
  "$(sql "$WORK/stop-ref.db" "$EPOCH_METRICS")"

# --- more ranks per trial than the sweep has ---
dp_sweep "$WORK/big.yaml" big "4"
sweep 3 "$WORK/big.yaml" --db "$WORK/big.db"
expect_eq "too many ranks per trial: exit code" "$RC" 2
check "the refusal names the key and the ranks" grep -q "ranks_per_trial: 4 ranks per trial, but this sweep has 2 training ranks" "$WORK/out"
check "nothing was written" test ! -e "$WORK/big.db"
finish
