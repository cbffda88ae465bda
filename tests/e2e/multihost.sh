#!/usr/bin/env bash
# A sweep across hosts, with real processes: four network namespaces on this machine (hosts_lib.sh) are the
# launcher h0 (mpirun and the coordinator, rank 0) and the workers' hosts h1 (2 ranks), h2 and h3 (1 rank
# each); Open MPI starts its daemons in them through an rsh agent (netns_rsh.sh) and a hostfile naming them.
# - Undisturbed: every run's host is the one its rank ran on; each host's checkpoints are in its own
#   node-local directory (the same path on every host, different storage); each trainer's default thread
#   count is its node's cores / the training ranks on that node. Without --keep-checkpoints none is left.
# - A lost node: once run 3's first epoch on h2 is committed (its trainer holds itself there at the
#   COHORT_FAULT=freeze:3:1 failpoint, so it is still in flight however slow the machine), every process in
#   h2's namespace is killed with SIGKILL: Open MPI's daemon there and the rank and trainer it started.
#   mpirun ends the whole job (Open MPI 4.1 cannot go on without a daemon; docs/ARCHITECTURE.md, "A lost
#   node"). The same command on the remaining hosts resumes the sweep: run 3 is recorded lost with h2,
#   retried on h1 or h3 (--max-retries 1), every run finishes with the per-epoch metrics of the undisturbed
#   sweep, and the exit code is 0 (a lost trial that a retry finished), as README says.
# - A data-parallel trial across two hosts: ranks_per_trial 2 on h1 and h3 commits the same metrics as the
#   same trial on one rank, with "h1,h3" as its host; when h3 is lost mid-trial, the resume on h0 and h1
#   records it lost with h3 and its retry on two ranks of h1 ends with the same metrics.
# Everything created (namespaces, their links and every process in them) is removed on exit, also when a
# check fails; if this machine cannot create namespaces the test fails and says why.
#   multihost.sh COHORT
COHORT=$1
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/hosts_lib.sh"
cleanup() {
  hosts_down
  [ -n "${KEEP:-}" ] && cp -r "$WORK" "$KEEP"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT # so that the EXIT trap runs when the test is stopped

hosts_up h0 h1 h2 h3 || finish
CORES=$(getconf _NPROCESSORS_ONLN) # what a trainer's default thread count divides

# Open MPI on the hosts: daemons through the rsh agent, each started by mpirun itself (no tree spawn, so a
# lost daemon is no other daemon's parent), its out-of-band and MPI traffic on the hosts' network only.
# --bind-to none: a trainer's threads may use every core of its node (README, "Threads").
MPIRUN_HOSTS=(mpirun --bind-to none --mca plm_rsh_agent "$NETNS_RSH" --mca plm_rsh_no_tree_spawn 1
  --mca oob_tcp_if_include 198.18.0.0/24 --mca btl_tcp_if_include 198.18.0.0/24)
[ "$(id -u)" -eq 0 ] && MPIRUN_HOSTS+=(--allow-run-as-root)
printf 'h0 slots=1\nh1 slots=2\nh2 slots=1\nh3 slots=1\n' > "$WORK/hosts-all"
printf 'h0 slots=1\nh1 slots=2\nh3 slots=1\n' > "$WORK/hosts-without-h2"
# Ranks fill the hostfile's slots in order: rank 0 on h0, 1 and 2 on h1, 3 on h2, 4 on h3.
RANK_HOSTS="1 h1
2 h1
3 h2
4 h3"
# The node-local checkpoint directory, the same path on every host; one per database (run ids repeat).
CKPT=$COHORT_NETNS_LOCAL/checkpoints

# The reliability tests' LeNet grid, with each trainer's thread count left to its node.
lenet_sweep "$WORK/sweep.yaml" multihost "0.01, 0.02, 0.03, 0.04, 0.05, 0.06"
sed -i '/^  threads:/d' "$WORK/sweep.yaml"
# host_sweep HOSTFILE NP DB OUTPUT [args...]: the sweep on the hosts, from h0; exit code in RC.
host_sweep() {
  local hostfile=$1 np=$2 db=$3 out=$4; shift 4
  timeout 600 bash "$HOSTS_DIR/netns_host.sh" h0 "${MPIRUN_HOSTS[@]}" --hostfile "$hostfile" -np "$np" \
    "$COHORT" sweep "$WORK/sweep.yaml" --db "$db" --checkpoint-dir "$CKPT" "$@" > "$out" 2>&1
  RC=$?
}
no_process_on() { local h; for h in "$@"; do [ -z "$(host_pids "$h")" ] || return 1; done; }

# ---- Undisturbed, across h1, h2 and h3 ----
DB=$WORK/reference.db
host_sweep "$WORK/hosts-all" 5 "$DB" "$WORK/reference.out" --keep-checkpoints --verbose
expect_eq "reference: exit code" "$RC" 0
[ "$RC" -ne 0 ] && tail -n 40 "$WORK/reference.out" >&2
expect_eq "reference: finished runs" "$(sql "$DB" "SELECT count(*) FROM runs WHERE status = 'finished'")" 6
REFERENCE=$(sql "$DB" "$EPOCH_METRICS")
expect_eq "reference: epochs" "$(sql "$DB" "SELECT count(*) FROM epochs")" 18
expect_eq "reference: the hosts runs ran on" "$(sql "$DB" "SELECT group_concat(host, ' ') FROM (SELECT DISTINCT host FROM runs ORDER BY host)")" "h1 h2 h3"
# The host recorded for each run is the one its rank was placed on by the hostfile.
expect_eq "reference: every run's host is its rank's" \
  "$(sql "$DB" "SELECT DISTINCT rank || ' ' || host FROM runs ORDER BY rank" | grep -vxF "$RANK_HOSTS" | head -n 3)" ""
# Each run's checkpoint is on its own host's disk and on no other: the trainer ran there.
for run in $(sql "$DB" "SELECT id FROM runs ORDER BY id"); do
  host=$(sql "$DB" "SELECT host FROM runs WHERE id = $run")
  expect_eq "reference: run $run's checkpoint is on its host $host only" \
    "$(cd "$COHORT_NETNS_NODES" && ls -d */checkpoints/run-$run.ckpt 2>/dev/null | cut -d/ -f1 | tr '\n' ' ')" "$host "
done
check "reference: the coordinator's host h0 holds the directory's claim" test -s "$COHORT_NETNS_NODES/h0/checkpoints/cohort.lock"
expect_eq "reference: the coordinator's host h0 holds no run's checkpoint" \
  "$(ls "$COHORT_NETNS_NODES/h0/checkpoints" | grep -c '^run-')" 0
# Default threads per node: h1's cores are shared by its 2 training ranks, h2's and h3's each by 1.
threads_of() { sed -n "s/^worker: run $1 trains with \([0-9]*\) threads\$/\1/p" "$WORK/reference.out"; }
for run in $(sql "$DB" "SELECT id FROM runs ORDER BY id"); do
  host=$(sql "$DB" "SELECT host FROM runs WHERE id = $run")
  per_node=1; [ "$host" = h1 ] && per_node=2
  expected=$((CORES / per_node)); [ "$expected" -lt 1 ] && expected=1
  expect_eq "reference: run $run on $host trains with the node's default threads" "$(threads_of "$run")" "$expected"
done
check "reference: every process of the job exited" no_process_on h0 h1 h2 h3

# ---- keep_checkpoints: best: each worker deletes its own runs' last checkpoints and keeps their best copies
# (written on its own disk), which the database records with their paths and sizes ----
DB=$WORK/clean.db
CKPT=$COHORT_NETNS_LOCAL/checkpoints-clean
echo "keep_checkpoints: best" >> "$WORK/sweep.yaml"
host_sweep "$WORK/hosts-all" 5 "$DB" "$WORK/clean.out"
sed -i '/^keep_checkpoints:/d' "$WORK/sweep.yaml"
expect_eq "clean: exit code" "$RC" 0
expect_eq "clean: metrics equal the undisturbed sweep's" "$(sql "$DB" "$EPOCH_METRICS")" "$REFERENCE"
expected=""
for run in $(sql "$DB" "SELECT id FROM runs ORDER BY id"); do
  expected="$expected$(sql "$DB" "SELECT host FROM runs WHERE id = $run")/checkpoints-clean/run-$run.best.ckpt "
done
expect_eq "clean: only each run's best checkpoint is left, on its host" \
  "$(cd "$COHORT_NETNS_NODES" && ls -d */checkpoints-clean/run-* 2>/dev/null | sort -t- -k3 -n | tr '\n' ' ')" "$expected"
expect_eq "clean: recorded kept checkpoints" "$(sql "$DB" "SELECT group_concat(kind, ' ') FROM checkpoints")" \
  "best best best best best best"
sizes_ok=1
while IFS='|' read -r run path bytes; do
  host=$(sql "$DB" "SELECT host FROM runs WHERE id = $run")
  [ "$(stat -c %s "$COHORT_NETNS_NODES/$host${path#"$COHORT_NETNS_LOCAL"}" 2>/dev/null)" = "$bytes" ] || sizes_ok=0
done < <(sql "$DB" "SELECT run_id, path, size_bytes FROM checkpoints")
expect_eq "clean: each recorded path and size is the file's on its host" "$sizes_ok" 1

# ---- A lost node: every process in h2's namespace killed while run 3 is in flight there ----
# Run 3 is the third trial and goes to rank 3, on h2, when the four idle workers are first fed.
DB=$WORK/lost.db
CKPT=$COHORT_NETNS_LOCAL/checkpoints-lost
bash "$HOSTS_DIR/netns_host.sh" h0 "${MPIRUN_HOSTS[@]}" --hostfile "$WORK/hosts-all" -np 5 -x COHORT_FAULT=freeze:3:1 \
  "$COHORT" sweep "$WORK/sweep.yaml" --db "$DB" --checkpoint-dir "$CKPT" --max-retries 1 --verbose \
  > "$WORK/lost.out" 2>&1 &
JOB=$!
run3_epoch1_on_h2() {
  [ "$(sql "$DB" "SELECT r.host || ' ' || r.status || ' ' || count(e.epoch) FROM runs r JOIN epochs e ON e.run_id = r.id
                  WHERE r.id = 3" 2>/dev/null)" = "h2 running 1" ]
}
run3_epoch1_or_job_ended() { run3_epoch1_on_h2 || ! kill -0 "$JOB" 2>/dev/null; }
wait_until "lost: run 3's first epoch committed from h2" 300 run3_epoch1_or_job_ended
if run3_epoch1_on_h2; then
  killed=$(host_pids h2 | wc -l)
  host_kill h2
  check "lost: processes were killed on h2 ($killed)" test "$killed" -ge 3 # Open MPI's daemon, the rank, run 3's trainer
else
  fail "lost: the job ended before run 3's first epoch was committed from h2"
fi
# Open MPI ends the job: mpirun exits by itself, not 0.
wait_job "lost: mpirun" "$JOB" 120
RC=$JOB_RC
check "lost: mpirun's exit code is not 0 (got $RC)" test "$RC" -ne 0 -a "$RC" -ne 124
echo "lost: mpirun ended the job with exit code $RC"
check "lost: Open MPI says it lost h2's daemon" grep -q "lost communication with a remote daemon" "$WORK/lost.out"
wait_until "lost: every process of the ended job exited" 60 no_process_on h0 h1 h3
expect_eq "lost: run 3 is left running on h2 with its first epoch" \
  "$(sql "$DB" "SELECT status || ' ' || host || ' ' || (SELECT count(*) FROM epochs WHERE run_id = 3) FROM runs WHERE id = 3")" \
  "running h2 1"
expect_eq "lost: run 3's checkpoint is on h2's disk only" \
  "$(cd "$COHORT_NETNS_NODES" && ls -d */checkpoints-lost/run-3.ckpt 2>/dev/null | tr '\n' ' ')" "h2/checkpoints-lost/run-3.ckpt "

# The same command on the remaining hosts: run 3 is lost with h2 and retried; the others resume.
host_sweep "$WORK/hosts-without-h2" 4 "$DB" "$WORK/resume.out" --max-retries 1
expect_eq "lost: resume's exit code (the lost trial was finished by its retry)" "$RC" 0
[ "$RC" -ne 0 ] && tail -n 40 "$WORK/resume.out" >&2
check "lost: the resume says run 3 was lost with h2 and retries it" \
  grep -q "^\[run 3 .*\] lost: lost with its host h2: .* (retry 1 of 1)" "$WORK/resume.out"
expect_eq "lost: run 3 finished after one loss, on a remaining host" \
  "$(sql "$DB" "SELECT status || ' ' || failures || ' ' || (host IN ('h1', 'h3')) FROM runs WHERE id = 3")" "finished 1 1"
expect_eq "lost: no other run was lost" "$(sql "$DB" "SELECT count(*) FROM runs WHERE id != 3 AND failures != 0")" 0
expect_eq "lost: all runs finished" "$(sql "$DB" "SELECT count(*) FROM runs WHERE status = 'finished'")" 6
expect_eq "lost: no run is recorded on h2" "$(sql "$DB" "SELECT count(*) FROM runs WHERE host = 'h2'")" 0
expect_eq "lost: metrics equal the undisturbed sweep's" "$(sql "$DB" "$EPOCH_METRICS")" "$REFERENCE"
expect_eq "lost: integrity" "$(sql "$DB" "PRAGMA integrity_check")" ok
check "lost: summary line" grep -q "^sweep multihost: 6 finished, 0 pruned, 0 diverged, 0 failed, 0 lost, 0 left for a later run" "$WORK/resume.out"

# ---- A data-parallel trial spanning two hosts ----
# Ranks 1 and 2 on h1 and h3: the trial of ranks_per_trial 2 takes both, its gradients summed over the hosts'
# network; the trial of 1 rank then runs the same training on one. Results depend on micro_batch, never on
# the ranks (README, "Data-parallel trials"), so the two commit the same per-epoch metrics bit for bit.
cat > "$WORK/dp.yaml" <<YAML
name: dp-hosts
method: grid
parameters:
  model: {value: resnet8}
  dataset: {value: synthetic}
  input_shape: {value: 3x16x16}
  synthetic_train: {value: 400}
  synthetic_test: {value: 70}
  epochs: {value: 3}
  batch_size: {value: 64}
  micro_batch: {value: 16}
  threads: {value: 1}
  seed: {value: 5}
  ranks_per_trial: {values: [2, 1]}
YAML
printf 'h0 slots=1\nh1 slots=1\nh3 slots=1\n' > "$WORK/hosts-dp"
printf 'h0 slots=1\nh1 slots=2\n' > "$WORK/hosts-dp-without-h3"
# per_run DB RUN: a run's per-epoch metrics, without its trial key (which holds ranks_per_trial)
per_run() { sql "$1" "SELECT group_concat(v, char(10)) FROM (SELECT e.epoch || ' ' || printf('%.17g %.17g %.17g %.17g %.17g',
  e.train_loss, e.train_top1, e.test_loss, e.test_top1, e.test_top5) AS v FROM epochs e WHERE e.run_id = $2 ORDER BY e.epoch)"; }
dp_sweep() { # dp_sweep HOSTFILE NP DB OUTPUT [args...]
  local hostfile=$1 np=$2 db=$3 out=$4; shift 4
  timeout 600 bash "$HOSTS_DIR/netns_host.sh" h0 "${MPIRUN_HOSTS[@]}" --hostfile "$hostfile" -np "$np" \
    "$COHORT" sweep "$WORK/dp.yaml" --db "$db" --checkpoint-dir "$CKPT" "$@" > "$out" 2>&1
  RC=$?
}
DB=$WORK/dp.db
CKPT=$COHORT_NETNS_LOCAL/checkpoints-dp
dp_sweep "$WORK/hosts-dp" 3 "$DB" "$WORK/dp.out" --verbose
expect_eq "dp: exit code" "$RC" 0
[ "$RC" -ne 0 ] && tail -n 40 "$WORK/dp.out" >&2
check "dp: run 1 went to ranks 1 and 2 together" grep -q "^coordinator: run 1 -> ranks 1,2$" "$WORK/dp.out"
expect_eq "dp: the runs' ranks per trial, status and hosts" \
  "$(sql "$DB" "SELECT group_concat(json_extract(config_json, '\$.ranks_per_trial') || ' ' || status || ' ' || host, '; ')
                FROM (SELECT * FROM runs ORDER BY id)" | sed 's/ h[13];/ h1or3;/; s/ h[13]$/ h1or3/')" \
  "2 finished h1,h3; 1 finished h1or3"
DP_REFERENCE=$(per_run "$DB" 2)
expect_eq "dp: the trial on h1 and h3 trained 3 epochs" "$(per_run "$DB" 1 | grep -c .)" 3
expect_eq "dp: the trial on h1 and h3 equals the same trial on one rank, bit for bit" "$(per_run "$DB" 1)" "$DP_REFERENCE"

# ---- ... and the loss of one of its hosts ----
# Run 1's first trainer (on h1) holds after its first committed epoch (COHORT_FAULT=freeze:1:1) while its
# partner on h3 waits in the gradient sum; then every process of h3 is killed. mpirun ends the job; the same
# command on h0 and h1 alone records run 1 lost with h3 (one of the two hosts in its place) and retries it on
# two ranks of h1, where it ends with the metrics of the undisturbed trial.
DB=$WORK/dp-lost.db
CKPT=$COHORT_NETNS_LOCAL/checkpoints-dp-lost
bash "$HOSTS_DIR/netns_host.sh" h0 "${MPIRUN_HOSTS[@]}" --hostfile "$WORK/hosts-dp" -np 3 -x COHORT_FAULT=freeze:1:1 \
  "$COHORT" sweep "$WORK/dp.yaml" --db "$DB" --checkpoint-dir "$CKPT" --max-retries 1 > "$WORK/dp-lost.out" 2>&1 &
JOB=$!
run1_epoch1_on_h1_h3() {
  [ "$(sql "$DB" "SELECT r.host || ' ' || r.status || ' ' || count(e.epoch) FROM runs r JOIN epochs e ON e.run_id = r.id
                  WHERE r.id = 1" 2>/dev/null)" = "h1,h3 running 1" ]
}
run1_epoch1_or_job_ended() { run1_epoch1_on_h1_h3 || ! kill -0 "$JOB" 2>/dev/null; }
wait_until "dp lost: run 1's first epoch committed from h1 and h3" 300 run1_epoch1_or_job_ended
if run1_epoch1_on_h1_h3; then
  host_kill h3
else
  fail "dp lost: the job ended before run 1's first epoch was committed"
fi
wait_job "dp lost: mpirun" "$JOB" 120
RC=$JOB_RC
check "dp lost: mpirun's exit code is not 0 (got $RC)" test "$RC" -ne 0 -a "$RC" -ne 124
wait_until "dp lost: every process of the ended job exited" 60 no_process_on h0 h1 h3
dp_sweep "$WORK/hosts-dp-without-h3" 3 "$DB" "$WORK/dp-resume.out" --max-retries 1 --verbose
expect_eq "dp lost: resume's exit code (the retry finished the lost trial)" "$RC" 0
[ "$RC" -ne 0 ] && tail -n 40 "$WORK/dp-resume.out" >&2
check "dp lost: the resume says run 1 was lost with h3 and retries it" \
  grep -q "^\[run 1 .*\] lost: lost with its host h3: .* (retry 1 of 1)" "$WORK/dp-resume.out"
expect_eq "dp lost: run 1 finished after one loss, on h1 alone" \
  "$(sql "$DB" "SELECT status || ' ' || failures || ' ' || host FROM runs WHERE id = 1")" "finished 1 h1"
expect_eq "dp lost: run 1's metrics equal the undisturbed trial's" "$(per_run "$DB" 1)" "$DP_REFERENCE"
expect_eq "dp lost: run 2's metrics equal the undisturbed trial's" "$(per_run "$DB" 2)" "$DP_REFERENCE"

check "every process of the test's jobs exited" no_process_on h0 h1 h2 h3
finish
