#!/usr/bin/env bash
# Survive anything: kill the job at several points and resume — the per-epoch metrics equal those of an
# uninterrupted sweep bit for bit, no committed epoch is trained twice and the database stays intact;
# SIGUSR1/SIGTERM stop cleanly and resume; a diverging trial and a killed trainer are recorded as such
# while the others finish; -np 2, 3 and 5 give identical metrics.
COHORT=$1
source "$(dirname "$0")/lib.sh"

cat > "$WORK/sweep.yaml" <<'YAML'
name: resilience
method: grid
parameters:
  model: {value: lenet}
  lr: {values: [0.01, 0.02, 0.03, 0.04, 0.05]}
  dataset: {value: synthetic}
  synthetic_train: {value: 1200}
  synthetic_test: {value: 200}
  epochs: {value: 3}
  batch_size: {value: 32}
  augment: {value: true}
  threads: {value: 1}
YAML
# Every result of every epoch (timings excluded), keyed by trial, at full precision.
METRICS="SELECT group_concat(v, char(10)) FROM (SELECT r.trial_key || ' ' || e.epoch || ' ' ||
  printf('%.17g %.17g %.17g %.17g %.17g %.17g', e.train_loss, e.train_top1, e.test_loss, e.test_top1, e.test_top5, e.lr) AS v
  FROM epochs e JOIN runs r ON r.id = e.run_id ORDER BY r.trial_key, e.epoch)"
sweep() { # sweep NP DB [extra args...]
  local np=$1 db=$2; shift 2
  "${MPIRUN[@]}" -np "$np" "$COHORT" sweep "$WORK/sweep.yaml" --db "$db" "$@"
}

sweep 3 "$WORK/reference.db" > "$WORK/reference.out" 2>&1
expect_eq "reference sweep exit code" "$?" 0
REFERENCE=$(sql "$WORK/reference.db" "$METRICS")
expect_eq "reference epochs" "$(sql "$WORK/reference.db" "SELECT count(*) FROM epochs")" 15

# resume_and_compare NAME: the database NAME.db was left by a killed job; resume it and compare.
resume_and_compare() {
  local name=$1 db=$WORK/$1.db
  expect_eq "$name: integrity after the kill" "$(sql "$db" "PRAGMA integrity_check")" ok
  local committed
  committed=$(sql "$db" "SELECT run_id || ':' || epoch FROM epochs")
  sweep 3 "$db" > "$WORK/$name.resume.out" 2>&1
  expect_eq "$name: resume exit code" "$?" 0
  expect_eq "$name: all runs finished after resume" "$(sql "$db" "SELECT count(*) FROM runs WHERE status='finished'")" 5
  expect_eq "$name: metrics equal the uninterrupted sweep's" "$(sql "$db" "$METRICS")" "$REFERENCE"
  local retrained=0 entry
  for entry in $committed; do
    grep -q "^\[run ${entry%%:*} .*\] epoch ${entry##*:}/" "$WORK/$name.resume.out" && retrained=$((retrained + 1))
  done
  expect_eq "$name: committed epochs trained again" "$retrained" 0
  expect_eq "$name: integrity after resume" "$(sql "$db" "PRAGMA integrity_check")" ok
}

# Killed by failpoints inside the coordinator: during a commit, and between trials.
for point in commit:4 commit:11 ended:1 ended:3; do
  name=fault-${point/:/-}
  COHORT_FAULT=$point sweep 3 "$WORK/$name.db" > "$WORK/$name.out" 2>&1
  CHECKS=$((CHECKS + 1))
  grep -q "COHORT_FAULT $point" "$WORK/$name.out" || fail "$name: the failpoint did not fire"
  resume_and_compare "$name"
done

# kill -9 of mpirun in the middle of epochs.
name=kill-mid-epoch
sweep 3 "$WORK/$name.db" > "$WORK/$name.out" 2>&1 &
job=$!
for _ in $(seq 1 300); do grep -q "epoch 1/3" "$WORK/$name.out" && break; sleep 0.05; done
sleep 0.4
pkill -9 -P "$job" mpirun 2>/dev/null || pkill -9 -x mpirun
wait "$job" 2>/dev/null
sleep 1
check "$name: the job was killed before finishing" test "$(sql "$WORK/$name.db" "SELECT count(*) FROM runs WHERE status='finished'")" -lt 5
resume_and_compare "$name"

# SIGUSR1 (what Slurm sends before a time limit; mpirun forwards it): checkpoint, commit, exit 3, resume.
name=sigusr1
sweep 3 "$WORK/$name.db" > "$WORK/$name.out" 2>&1 &
job=$!
for _ in $(seq 1 300); do grep -q "epoch 1/3" "$WORK/$name.out" && break; sleep 0.05; done
pkill -USR1 -P "$job" mpirun 2>/dev/null || pkill -USR1 -x mpirun
wait "$job"
expect_eq "$name: exit code" "$?" 3
check "$name: runs were preempted" grep -q "preempted during epoch" "$WORK/$name.out"
expect_eq "$name: preempted runs are pending" \
  "$(sql "$WORK/$name.db" "SELECT count(*) = sum(status IN ('finished','pending')) FROM runs")" 1
resume_and_compare "$name"

# A time limit drains the same way.
name=time-limit
sweep 3 "$WORK/$name.db" --time-limit 12 > "$WORK/$name.out" 2>&1
rc=$?
if [ "$rc" -eq 3 ]; then resume_and_compare "$name"; else expect_eq "$name: exit code (0 if all fit)" "$rc" 0; fi

# A diverging trial and a killed trainer are recorded while the others finish.
cat > "$WORK/faults.yaml" <<'YAML'
name: faults
method: grid
parameters:
  model: {value: lenet}
  lr: {values: [0.01, 1000000.0, 0.02]}
  epochs: {values: [2]}
  dataset: {value: synthetic}
  synthetic_train: {value: 2400}
  synthetic_test: {value: 300}
  batch_size: {value: 32}
  threads: {value: 1}
YAML
"${MPIRUN[@]}" -np 3 "$COHORT" sweep "$WORK/faults.yaml" --db "$WORK/faults.db" --verbose > "$WORK/faults.out" 2>&1 &
job=$!
pid=""
for _ in $(seq 1 300); do
  pid=$(sed -n 's/^worker: run 1 in process \([0-9]*\)$/\1/p' "$WORK/faults.out")
  [ -n "$pid" ] && break
  sleep 0.05
done
sleep 0.3
[ -n "$pid" ] && kill -9 "$pid"
wait "$job"
expect_eq "faults: exit code (a trial was lost)" "$?" 1
expect_eq "faults: statuses" "$(sql "$WORK/faults.db" "SELECT group_concat(status, ',') FROM (SELECT status FROM runs ORDER BY trial_index)")" "lost,diverged,finished"
check "faults: lost run says how" grep -q "killed by signal 9" <(sql "$WORK/faults.db" "SELECT error FROM runs WHERE status='lost'")
check "faults: diverged run says why" grep -q "diverged: loss is" <(sql "$WORK/faults.db" "SELECT error FROM runs WHERE status='diverged'")
# With a retry the lost trial runs again on the next invocation, from its checkpoint.
"${MPIRUN[@]}" -np 3 "$COHORT" sweep "$WORK/faults.yaml" --db "$WORK/faults.db" --max-retries 1 > "$WORK/faults2.out" 2>&1
expect_eq "faults: retry exit code" "$?" 0
expect_eq "faults: statuses after retry" "$(sql "$WORK/faults.db" "SELECT group_concat(status, ',') FROM (SELECT status FROM runs ORDER BY trial_index)")" "finished,diverged,finished"

# Identical metrics whatever the number of ranks.
for np in 2 5; do
  sweep "$np" "$WORK/np$np.db" > "$WORK/np$np.out" 2>&1
  expect_eq "-np $np exit code" "$?" 0
  expect_eq "-np $np metrics equal -np 3" "$(sql "$WORK/np$np.db" "$METRICS")" "$REFERENCE"
done

# A changed sweep file is refused, with the differences listed; adding grid values is accepted.
sed 's/lr: {values: \[0.01, 0.02, 0.03, 0.04, 0.05\]}/lr: {values: [0.01, 0.02]}/' "$WORK/sweep.yaml" > "$WORK/changed.yaml"
"${MPIRUN[@]}" -np 2 "$COHORT" sweep "$WORK/changed.yaml" --db "$WORK/reference.db" > "$WORK/changed.out" 2>&1
expect_eq "changed file exit code" "$?" 2
check "changed file lists the difference" grep -q "parameters.lr" "$WORK/changed.out"
sed 's/0.05\]}/0.05, 0.06]}/' "$WORK/sweep.yaml" > "$WORK/grown.yaml"
"${MPIRUN[@]}" -np 3 "$COHORT" sweep "$WORK/grown.yaml" --db "$WORK/reference.db" > "$WORK/grown.out" 2>&1
expect_eq "grown grid exit code" "$?" 0
check "grown grid runs only the new cell" grep -q "5 already ended, 1 to run" "$WORK/grown.out"
finish
