#!/usr/bin/env bash
# Survive anything: kill the job at several points and resume — the per-epoch metrics equal those of an
# uninterrupted sweep bit for bit, no committed epoch is trained twice and the database stays intact;
# SIGUSR1 and a time limit stop cleanly and resume; a diverging trial and a killed trainer are recorded as
# such while the others finish; -np 2, 3 and 5 give identical metrics.
# Every interruption happens at a failpoint or after an observed event (a line in the output, a process
# state), never after a fixed delay, so the outcome does not depend on how loaded the machine is: where
# a trial must still be running, its trainer holds itself at COHORT_FAULT=freeze:RUN:EPOCH (it stops
# itself with SIGSTOP after that epoch is committed and acknowledged) until the test releases it.
COHORT=$1
source "$(dirname "$0")/lib.sh"

# Processes are only ever signalled by pid. On exit, whatever this test started and left behind (a frozen
# trainer, a job whose check failed) is ended: every process with an argument under $WORK is ours.
our_processes() { # [PATH]: pids of live processes with PATH (default: anything under $WORK) as an argument
  local pattern=(-F -- "$WORK/") f pid
  [ $# -gt 0 ] && pattern=(-xF -- "$1")
  # -z: each NUL-separated argument is a line. grep's own command line matches too; it is gone by the
  # time is_alive looks.
  for f in $(grep -lz "${pattern[@]}" /proc/[0-9]*/cmdline 2>/dev/null); do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    is_alive "$pid" && echo "$pid"
  done
}
cleanup() {
  local pid
  for pid in $(our_processes); do kill -CONT "$pid" 2>/dev/null; kill -9 "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

is_stopped() { [ "$(state_of "$1")" = T ]; }
seen() { grep -q -- "$2" "$1" 2>/dev/null; }
# SIGUSR1 (signal 10, bit 9 of the masks) is waiting to be delivered to PID, a stopped process.
usr1_pending() {
  local mask
  for mask in $(awk '/^(SigPnd|ShdPnd):/ {print $2}' "/proc/$1/status" 2>/dev/null); do
    (( (16#$mask >> 9) & 1 )) && return 0
  done
  return 1
}
usr1_pending_or_gone() { usr1_pending "$1" || ! is_alive "$1"; }
# trainer_pid OUTPUT RUN: the trainer process of run RUN, from a --verbose sweep's output.
trainer_pid() { sed -n "s/^worker: run $2 in process \([0-9]*\)\$/\1/p" "$1" | tail -n 1; }
# FROZEN becomes the pid of run 1's trainer once it is stopped at its freeze failpoint.
run1_frozen() {
  local pid; pid=$(trainer_pid "$1" 1)
  [ -n "$pid" ] && is_stopped "$pid" && FROZEN=$pid
}
run1_frozen_or_job_ended() { run1_frozen "$1" || ! is_alive "$JOB"; }
job_gone() { [ -z "$(our_processes "$1")" ]; }
# wait_job_gone NAME DB: every process of a killed job (ranks and trainers name the database in their
# command line) has exited, so nothing writes the database or a checkpoint while it is resumed.
wait_job_gone() { wait_until "$1: every process of the killed job exited" 120 job_gone "$2"; }

lenet_sweep "$WORK/sweep.yaml" resilience "0.01, 0.02, 0.03, 0.04, 0.05"
sweep() { # sweep NP DB [extra args...]
  local np=$1 db=$2; shift 2
  "${MPIRUN[@]}" -np "$np" "$COHORT" sweep "$WORK/sweep.yaml" --db "$db" "$@"
}

sweep 3 "$WORK/reference.db" > "$WORK/reference.out" 2>&1
expect_eq "reference sweep exit code" "$?" 0
REFERENCE=$(sql "$WORK/reference.db" "$EPOCH_METRICS")
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
  expect_eq "$name: metrics equal the uninterrupted sweep's" "$(sql "$db" "$EPOCH_METRICS")" "$REFERENCE"
  local retrained=0 entry
  for entry in $committed; do
    grep -q "^\[run ${entry%%:*} .*\] epoch ${entry##*:}/" "$WORK/$name.resume.out" && retrained=$((retrained + 1))
  done
  expect_eq "$name: committed epochs trained again" "$retrained" 0
  expect_eq "$name: integrity after resume" "$(sql "$db" "PRAGMA integrity_check")" ok
}

# start_sweep NAME [extra args...]: `sweep 3` on NAME.db with --verbose, in the background, output in
# NAME.out; JOB is mpirun's pid. A COHORT_FAULT in the caller's environment reaches every rank.
start_sweep() {
  local name=$1; shift
  "${MPIRUN[@]}" -np 3 "$COHORT" sweep "$WORK/sweep.yaml" --db "$WORK/$name.db" --verbose "$@" > "$WORK/$name.out" 2>&1 &
  JOB=$!
}
# Killed by failpoints inside the coordinator: during a commit, and between trials. Each point is reached
# whatever the timing: a worker's trial takes at least 4 transactions (start + epoch 1, epochs 2 and 3,
# its ending), and one of the 2 workers runs at least 3 of the 5 trials.
for point in commit:4 commit:11 ended:1 ended:3; do
  name=fault-${point/:/-}
  COHORT_FAULT=$point sweep 3 "$WORK/$name.db" > "$WORK/$name.out" 2>&1
  CHECKS=$((CHECKS + 1))
  grep -q "COHORT_FAULT $point" "$WORK/$name.out" || fail "$name: the failpoint did not fire"
  wait_job_gone "$name" "$WORK/$name.db"
  resume_and_compare "$name"
done

# kill -9 of mpirun while trials run: run 1's trainer is frozen after its first epoch, so the job cannot
# have finished, and the other worker is wherever it got to. mpirun's ranks outlive it for a moment (they
# notice the lost launcher by themselves, and may still commit); the resume starts once they are gone.
name=kill-mpirun
COHORT_FAULT=freeze:1:1 start_sweep "$name"
FROZEN=""
wait_until "$name: run 1's trainer froze after epoch 1" 300 run1_frozen "$WORK/$name.out"
ranks=$(pgrep -P "$JOB" | wc -l)
expect_eq "$name: ranks running under mpirun" "$ranks" 3
kill -9 "$JOB"
wait "$JOB" 2>/dev/null
wait_job_gone "$name" "$WORK/$name.db"
# The kernel hangs up the frozen trainer's orphaned process group (SIGHUP, SIGCONT) when mpirun dies; ranks
# that outlive mpirun may even resume it from its checkpoint and commit more. Either way the run is not lost.
expect_eq "$name: run 1 kept its committed epoch and was not recorded lost or failed" \
  "$(sql "$WORK/$name.db" "SELECT (SELECT count(*) FROM epochs WHERE run_id = 1) >= 1, status NOT IN ('lost', 'failed'), failures FROM runs WHERE id = 1")" "1|1|0"
resume_and_compare "$name"

# SIGUSR1 (what Slurm sends before a time limit; mpirun forwards it): checkpoint, commit, exit 3, resume.
# Sent while run 1's trainer is frozen after epoch 1; released once the rank's request to stop (SIGUSR1)
# waits in it, it checkpoints in the middle of epoch 2 (after one mini-batch).
name=sigusr1
COHORT_FAULT=freeze:1:1 start_sweep "$name"
FROZEN=""
if wait_until "$name: run 1's trainer froze after epoch 1" 300 run1_frozen "$WORK/$name.out"; then
  kill -USR1 "$JOB"
  wait_until "$name: the stop request reached the frozen trainer" 300 usr1_pending_or_gone "$FROZEN"
  kill -CONT "$FROZEN" 2>/dev/null
fi
wait_job "$name" "$JOB" 300
expect_eq "$name: exit code" "$JOB_RC" 3
check "$name: run 1 was preempted in epoch 2" grep -q "^\[run 1 .*\] preempted during epoch 2;" "$WORK/$name.out"
expect_eq "$name: preempted runs are pending" \
  "$(sql "$WORK/$name.db" "SELECT count(*) = sum(status IN ('finished','pending')) FROM runs")" 1
expect_eq "$name: run 1 is pending" "$(sql "$WORK/$name.db" "SELECT status FROM runs WHERE id = 1")" pending
resume_and_compare "$name"

# A time limit drains the same way. --time-limit 12 leaves a 10 s grace, so the drain starts 2 s in, while
# run 1 is frozen after epoch 1 (or, on a slow machine, before it froze: then it is preempted in epoch 1).
# The frozen trainer is released once the drain has started: the coordinator's stop request reaches its
# worker before the acknowledgement of any later epoch (MPI keeps one sender's messages in order), so
# run 1 stops in epoch 2 or 3 at the latest and cannot finish.
name=time-limit
COHORT_FAULT=freeze:1:1 start_sweep "$name" --time-limit 12
FROZEN=""
wait_until "$name: run 1 froze or the job ended" 300 run1_frozen_or_job_ended "$WORK/$name.out"
wait_until "$name: the drain started" 300 seen "$WORK/$name.out" "time limit near"
[ -n "$FROZEN" ] && kill -CONT "$FROZEN"
wait_job "$name" "$JOB" 300
expect_eq "$name: exit code" "$JOB_RC" 3
expect_eq "$name: run 1 is pending" "$(sql "$WORK/$name.db" "SELECT status FROM runs WHERE id = 1")" pending
resume_and_compare "$name"

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
# Run 1's trainer is killed (kill -9) while frozen after its first epoch.
COHORT_FAULT=freeze:1:1 "${MPIRUN[@]}" -np 3 "$COHORT" sweep "$WORK/faults.yaml" --db "$WORK/faults.db" --verbose > "$WORK/faults.out" 2>&1 &
JOB=$!
FROZEN=""
wait_until "faults: run 1's trainer froze after epoch 1" 300 run1_frozen "$WORK/faults.out" && kill -9 "$FROZEN"
wait_job faults "$JOB" 300
expect_eq "faults: exit code (a trial was lost)" "$JOB_RC" 1
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
  expect_eq "-np $np metrics equal -np 3" "$(sql "$WORK/np$np.db" "$EPOCH_METRICS")" "$REFERENCE"
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
