#!/usr/bin/env bash
# The sweep coordinator under adversity, driven by events (output lines, database rows, process ids)
# rather than by timing: a second sweep on a claimed database or checkpoint directory is refused at once
# and writes nothing; the claim is released by kill -9; a corrupt checkpoint is set aside and its run
# restarts; a frozen trainer is killed and retried; a graceful stop ends a frozen trainer after the grace
# period; the exit code and summary follow the database's final state. Every result is compared with an
# undisturbed sweep's per-epoch metrics.
COHORT=$1
source "$(dirname "$0")/lib.sh"

lenet_sweep "$WORK/sweep.yaml" reliability "0.01, 0.02, 0.03, 0.04"

STOPPED_PIDS=()
cleanup() { # never leave a stopped trainer or a job behind
  local pid
  for pid in "${STOPPED_PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null; done
  for pid in $(jobs -p); do kill -9 "$pid" 2>/dev/null; done
  [ -n "$KEEP" ] && cp -r "$WORK" "$KEEP"; rm -rf "$WORK"
}
trap cleanup EXIT
KEEP=${KEEP:-}

# trainer_pid OUTPUT RUN: the trainer process of run RUN, from a --verbose sweep's output (a worker's, or
# rank 0's with -np 1).
trainer_pid() { sed -n "s/^\(worker\|coordinator\): run $2 in process \([0-9]*\)\$/\2/p" "$1" | tail -n 1; }
is_stopped() { [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = T ]; }
# frozen_trainer OUTPUT RUN WHAT: waits for run RUN's trainer to stop itself at a COHORT_FAULT=freeze
# failpoint (a frozen trainer) and prints its pid.
frozen_trainer() {
  local out=$1 run=$2 what=$3 pid=""
  wait_until "$what: run $run's trainer started" 120 seen "$out" ": run $run in process" &&
    pid=$(trainer_pid "$out" "$run") &&
    wait_until "$what: run $run's trainer froze after epoch 1" 120 is_stopped "$pid" &&
    STOPPED_PIDS+=("$pid")
  echo "$pid"
}
seen() { grep -q -- "$2" "$1" 2>/dev/null; }
sweep() { # sweep NP DB [extra args...]
  local np=$1 db=$2; shift 2
  "${MPIRUN[@]}" -np "$np" "$COHORT" sweep "$WORK/sweep.yaml" --db "$db" "$@"
}
# start_sweep NP DB OUTPUT FAULT [extra args...]: the sweep in the background with COHORT_FAULT=FAULT and
# --verbose (trainer pids); JOB is mpirun's pid.
start_sweep() {
  local np=$1 db=$2 out=$3 fault=$4; shift 4
  env COHORT_FAULT="$fault" "${MPIRUN[@]}" -np "$np" "$COHORT" sweep "$WORK/sweep.yaml" --db "$db" --verbose "$@" > "$out" 2>&1 &
  JOB=$!
}

sweep 3 "$WORK/reference.db" > "$WORK/reference.out" 2>&1
expect_eq "reference sweep exit code" "$?" 0
REFERENCE=$(sql "$WORK/reference.db" "$EPOCH_METRICS")
expect_eq "reference epochs" "$(sql "$WORK/reference.db" "SELECT count(*) FROM epochs")" 12

# ---- One coordinator per database and per checkpoint directory ----
# Sweep A is held in flight by a frozen trainer (it stops itself after its first epoch), so it owns the
# database for as long as the checks below take, however slow the machine.
DB=$WORK/claim.db
start_sweep 3 "$DB" "$WORK/claim-a.out" freeze:1:1
job_a=$JOB
frozen_trainer "$WORK/claim-a.out" 1 claim > /dev/null
holder=$(cat "$DB.lock" 2>/dev/null)
coordinator=$(sed -n 's/.*pid \([0-9]*\),.*/\1/p' "$DB.lock" 2>/dev/null)
check "claim: the lock file names this host and a pid: '$holder'" grep -q "^host $(hostname), pid [0-9]*, since 20" "$DB.lock"
check "claim: the named pid is sweep A's coordinator" grep -q "sweep" "/proc/${coordinator:-0}/cmdline"

# The same sweep again: refused at once, naming the holder.
sweep 2 "$DB" > "$WORK/claim-b.out" 2>&1
expect_eq "claim: second coordinator's exit code" "$?" 2
check "claim: refusal names the database, host, pid and start" \
  grep -q "database $DB is in use by another sweep (host $(hostname), pid $coordinator, since 20" "$WORK/claim-b.out"
expect_eq "claim: the second coordinator registered nothing" "$(grep -c "already ended" "$WORK/claim-b.out")" 0
# Another sweep file on the same database: its sweep must not appear in the database.
sed 's/^name: reliability/name: intruder/' "$WORK/sweep.yaml" > "$WORK/intruder.yaml"
"${MPIRUN[@]}" -np 2 "$COHORT" sweep "$WORK/intruder.yaml" --db "$DB" > "$WORK/claim-c.out" 2>&1
expect_eq "claim: another sweep on the database, exit code" "$?" 2
expect_eq "claim: the other sweep wrote nothing" "$(sql "$DB" "SELECT count(*) FROM sweeps WHERE name = 'intruder'")" 0
# Another database sharing A's checkpoint directory (run ids would collide in run-N.ckpt).
sweep 2 "$WORK/other.db" --checkpoint-dir "$DB.checkpoints" > "$WORK/claim-d.out" 2>&1
expect_eq "claim: shared checkpoint directory, exit code" "$?" 2
check "claim: refusal names the checkpoint directory" grep -q "checkpoint directory $DB.checkpoints is in use" "$WORK/claim-d.out"
check "claim: the refused sweep created no database" test ! -e "$WORK/other.db"
check "claim: the refused sweep left no lock file" test ! -e "$WORK/other.db.lock"
# Readers are not affected by the claim.
"$COHORT" query --db "$DB" "SELECT count(*) FROM runs" > "$WORK/claim-query.out" 2>&1
expect_eq "claim: query while the sweep runs, exit code" "$?" 0

# kill -9 of the coordinator releases the claim: the same command resumes and finishes.
kill -9 "$coordinator"
wait_job "claim: sweep A after kill -9 of its coordinator" "$job_a" 120
sweep 3 "$DB" > "$WORK/claim-resume.out" 2>&1
expect_eq "claim: resume after kill -9, exit code" "$?" 0
expect_eq "claim: metrics equal the undisturbed sweep's" "$(sql "$DB" "$EPOCH_METRICS")" "$REFERENCE"
expect_eq "claim: integrity" "$(sql "$DB" "PRAGMA integrity_check")" ok

# ---- A checkpoint that fails its check is set aside and its run restarts ----
# Run 1 freezes after epoch 1; it is told to stop (SIGUSR1, pending until it continues), the sweep is
# stopped, and the trainer continued: it checkpoints in epoch 2 and the sweep exits 3 with run 1 pending.
DB=$WORK/corrupt.db
start_sweep 2 "$DB" "$WORK/corrupt.out" freeze:1:1
job=$JOB
pid=$(frozen_trainer "$WORK/corrupt.out" 1 corrupt)
kill -USR1 "$pid"
kill -USR1 "$job"
kill -CONT "$pid"
wait_job "corrupt: stopped sweep" "$job" 300
expect_eq "corrupt: stopped sweep's exit code" "$JOB_RC" 3
expect_eq "corrupt: run 1 is pending with epoch 1 committed" \
  "$(sql "$DB" "SELECT status || ' ' || (SELECT count(*) FROM epochs WHERE run_id = 1) FROM runs WHERE id = 1")" "pending 1"
ckpt=$DB.checkpoints/run-1.ckpt
check "corrupt: run 1 has a checkpoint" test -s "$ckpt"
size=$(stat -c %s "$ckpt" 2>/dev/null || echo 0)
printf '\xde\xad\xbe\xef' | dd of="$ckpt" bs=1 seek=$((size / 2)) conv=notrunc status=none
sweep 2 "$DB" > "$WORK/corrupt-resume.out" 2> "$WORK/corrupt-resume.err"
expect_eq "corrupt: resume exit code" "$?" 0
check "corrupt: the checkpoint was set aside" test -s "$ckpt.corrupt-1"
check "corrupt: standard error says so" grep -q "run-1.ckpt: checkpoint checksum mismatch (corrupt file); set aside as .*run-1.ckpt.corrupt-1" "$WORK/corrupt-resume.err"
check "corrupt: the run's error text says so" grep -q "set aside as .*run-1.ckpt.corrupt-1" <(sql "$DB" "SELECT error FROM runs WHERE id = 1")
expect_eq "corrupt: all runs finished" "$(sql "$DB" "SELECT count(*) FROM runs WHERE status = 'finished'")" 4
expect_eq "corrupt: metrics equal the undisturbed sweep's" "$(sql "$DB" "$EPOCH_METRICS")" "$REFERENCE"
expect_eq "corrupt: integrity" "$(sql "$DB" "PRAGMA integrity_check")" ok

# ---- A frozen trainer is killed after the stall timeout, recorded lost, and retried ----
DB=$WORK/stall.db
start_sweep 3 "$DB" "$WORK/stall.out" freeze:1:1 --stall-timeout 10 --max-retries 3
job=$JOB
pid=$(frozen_trainer "$WORK/stall.out" 1 stall)
wait_job "stall: sweep with a frozen trainer" "$job" 200
expect_eq "stall: exit code (the lost trial was retried and finished)" "$JOB_RC" 0
check "stall: the trainer was killed for making no progress" \
  grep -q "^\[run 1 .*\] lost: no progress for [0-9]* s (stall timeout 10 s" "$WORK/stall.out"
check "stall: the frozen trainer is gone" test ! -d "/proc/$pid"
check "stall: run 1 finished after being lost" test "$(sql "$DB" "SELECT failures FROM runs WHERE id = 1 AND status = 'finished'")" -ge 1
expect_eq "stall: all runs finished" "$(sql "$DB" "SELECT count(*) FROM runs WHERE status = 'finished'")" 4
expect_eq "stall: metrics equal the undisturbed sweep's" "$(sql "$DB" "$EPOCH_METRICS")" "$REFERENCE"
# The same with one rank, which trains in its own child process.
DB=$WORK/stall-one.db
start_sweep 1 "$DB" "$WORK/stall-one.out" freeze:2:1 --stall-timeout 10 --max-retries 3
job=$JOB
frozen_trainer "$WORK/stall-one.out" 2 stall-one > /dev/null
wait_job "stall-one: sweep with a frozen trainer" "$job" 200
expect_eq "stall-one: exit code" "$JOB_RC" 0
check "stall-one: the trainer was killed for making no progress" \
  grep -q "^\[run 2 .*\] lost: no progress for [0-9]* s (stall timeout 10 s" "$WORK/stall-one.out"
expect_eq "stall-one: metrics equal the undisturbed sweep's" "$(sql "$DB" "$EPOCH_METRICS")" "$REFERENCE"

# ---- A graceful stop ends a frozen trainer after the grace period and still exits 3 ----
DB=$WORK/grace.db
start_sweep 3 "$DB" "$WORK/grace.out" freeze:1:1 --grace-period 5
job=$JOB
pid=$(frozen_trainer "$WORK/grace.out" 1 grace)
kill -USR1 "$job"
wait_job "grace: stopped sweep with a frozen trainer" "$job" 200
expect_eq "grace: exit code" "$JOB_RC" 3
check "grace: the frozen trainer was ended after the grace period" \
  grep -q "^\[run 1 .*\] preempted during epoch 2: did not checkpoint within the 5 s grace period after the stop; killed" "$WORK/grace.out"
check "grace: the frozen trainer is gone" test ! -d "/proc/$pid"
expect_eq "grace: runs are finished or pending" \
  "$(sql "$DB" "SELECT count(*) = sum(status IN ('finished', 'pending')) FROM runs")" 1
expect_eq "grace: integrity after the stop" "$(sql "$DB" "PRAGMA integrity_check")" ok
sweep 3 "$DB" > "$WORK/grace-resume.out" 2>&1
expect_eq "grace: resume exit code" "$?" 0
expect_eq "grace: metrics equal the undisturbed sweep's" "$(sql "$DB" "$EPOCH_METRICS")" "$REFERENCE"

# ---- The exit code and the summary follow the database's final state for the sweep's trials ----
# summary OUTPUT: the counts of the final line ("4 finished, ... 0 left for a later run").
summary() { sed -n 's/^sweep reliability: \([0-9]* finished, .* left for a later run\).*/\1/p' "$1"; }
# A trainer killed (kill -9) after epoch 1, no retries: the run is lost and the sweep exits 1...
DB=$WORK/lost.db
start_sweep 3 "$DB" "$WORK/lost.out" freeze:1:1
job=$JOB
pid=$(frozen_trainer "$WORK/lost.out" 1 lost)
kill -9 "$pid"
wait_job "lost: sweep with a killed trainer" "$job" 200
expect_eq "lost: exit code" "$JOB_RC" 1
expect_eq "lost: summary" "$(summary "$WORK/lost.out")" "3 finished, 0 pruned, 0 diverged, 0 failed, 1 lost, 0 left for a later run"
# ...and so does running it again while the lost trial has no retries left: the database still holds it.
sweep 2 "$DB" > "$WORK/lost-again.out" 2>&1
expect_eq "lost: re-run's exit code" "$?" 1
expect_eq "lost: re-run's summary" "$(summary "$WORK/lost-again.out")" \
  "3 finished, 0 pruned, 0 diverged, 0 failed, 1 lost, 0 left for a later run"
check "lost: re-run trained nothing" grep -q "this invocation: 0 trials ended, 0 failures retried, 4 had ended before" "$WORK/lost-again.out"
# A retry finishes it: 0, with nothing failed or lost left.
sweep 2 "$DB" --max-retries 1 > "$WORK/lost-retry.out" 2>&1
expect_eq "lost: retry's exit code" "$?" 0
expect_eq "lost: retry's summary" "$(summary "$WORK/lost-retry.out")" \
  "4 finished, 0 pruned, 0 diverged, 0 failed, 0 lost, 0 left for a later run"
expect_eq "lost: metrics after the retry equal the undisturbed sweep's" "$(sql "$DB" "$EPOCH_METRICS")" "$REFERENCE"
# A trainer killed and retried within one invocation: the trial finished, so the sweep exits 0.
DB=$WORK/retried.db
start_sweep 3 "$DB" "$WORK/retried.out" freeze:1:1 --max-retries 1
job=$JOB
pid=$(frozen_trainer "$WORK/retried.out" 1 retried)
kill -9 "$pid"
wait_job "retried: sweep with a killed trainer and a retry" "$job" 200
expect_eq "retried: exit code" "$JOB_RC" 0
expect_eq "retried: summary" "$(summary "$WORK/retried.out")" "4 finished, 0 pruned, 0 diverged, 0 failed, 0 lost, 0 left for a later run"
check "retried: the summary counts the retry" grep -q "this invocation: 4 trials ended, 1 failures retried, 0 had ended before" "$WORK/retried.out"
expect_eq "retried: run 1 was lost once" "$(sql "$DB" "SELECT status || ' ' || failures FROM runs WHERE id = 1")" "finished 1"
expect_eq "retried: metrics equal the undisturbed sweep's" "$(sql "$DB" "$EPOCH_METRICS")" "$REFERENCE"

finish
