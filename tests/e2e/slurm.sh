#!/usr/bin/env bash
# examples/slurm/ under a real single-node Slurm that this test starts in its own directory (munged,
# slurmctld and slurmd from Debian's munge and slurm-wlm, on their own socket, ports, state and spool, so
# nothing collides with a system instance): sweep-requeue.sbatch is told to stop (SIGUSR1 to the batch
# shell, as Slurm's --signal=B:USR1@SECONDS sends it before the time limit) and requeues itself, then is
# preempted by a job of a higher-priority partition (SIGTERM; Slurm requeues it), and finishes; its
# database must equal an uninterrupted sweep's, epoch by epoch. sweep.sbatch runs the same sweep once.
# Needs root (slurmd runs jobs as their owner) and the packages slurm-wlm and munge (scripts/test.sh
# installs them). Whatever keeps the daemons from starting fails the test with their logs: it never
# passes without having run. Every wait polls for an event and fails at a limit that only keeps a broken
# setup from hanging the suite.
COHORT=$(realpath "$1") # the jobs run in another directory
EXAMPLES=$2
source "$(dirname "$0")/lib.sh"

CLUSTER=$WORK/slurm
CONF=$CLUSTER/slurm.conf
export SLURM_CONF=$CONF # for sbatch, scontrol, ...; sbatch passes it on to the jobs (srun, scontrol requeue)
export COHORT           # the binary the job scripts run
DAEMON_PIDS=()          # munged, slurmctld, slurmd: started here, ended by the cleanup
JOBS_SUBMITTED=""

log_tails() {
  local f
  for f in "$CLUSTER"/log/*; do
    [ -s "$f" ] && { echo "--- $f (last lines)"; tail -n 25 "$f"; }
  done >&2
}
# fatal WHY: the cluster cannot be used; the test fails with the daemons' logs.
fatal() {
  fail "$*"
  log_tails
  finish
}

cleanup() {
  local pid i
  if [ -n "$JOBS_SUBMITTED" ] && [ -f "$CONF" ]; then
    # Jobs first: their processes belong to slurmstepd, which outlives slurmd.
    scancel --full $JOBS_SUBMITTED 2> /dev/null
    for ((i = 0; i < 400; i++)); do
      [ -z "$(squeue -h -o %i 2> /dev/null)" ] && break
      sleep 0.1
    done
    for pid in $(scontrol listpids 2> /dev/null | awk 'NR > 1 {print $1}'); do kill -9 "$pid" 2> /dev/null; done
  fi
  for ((i = ${#DAEMON_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${DAEMON_PIDS[i]}
    kill "$pid" 2> /dev/null
    for ((j = 0; j < 100; j++)); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
  done
  [ -n "${REF_PID:-}" ] && kill -9 "$REF_PID" 2> /dev/null
  [ -n "${KEEP:-}" ] && cp -r "$WORK" "$KEEP"
  rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || fatal "needs root: slurmd runs the jobs (as root, in CI)"
for cmd in munged mungekey munge unmunge slurmctld slurmd sbatch scontrol scancel squeue sinfo srun; do
  command -v "$cmd" > /dev/null || fatal "$cmd not found: install the packages slurm-wlm and munge (scripts/test.sh does)"
done

# The sweep: 4 LeNet trials of 3 epochs, each epoch about 0.5 s in a release build, so that the
# interruptions below (sent once an epoch is committed) land while trials still run.
lenet_sweep "$WORK/sweep.yaml" slurm "0.01, 0.02, 0.03, 0.04"
sed -i 's/synthetic_train: {value: 1200}/synthetic_train: {value: 6000}/' "$WORK/sweep.yaml"
check "sweep file: 6000 training images" grep -q 'synthetic_train: {value: 6000}' "$WORK/sweep.yaml"
TOTAL_EPOCHS=12

# The uninterrupted reference, without Slurm, while the cluster starts.
"${MPIRUN[@]}" -np 2 "$COHORT" sweep "$WORK/sweep.yaml" --db "$WORK/reference.db" > "$WORK/reference.out" 2>&1 &
REF_PID=$!

# ---- The cluster ----
mkdir -p "$CLUSTER"/{munge,run,log,state,spool}
# munged refuses a socket directory that not everyone can enter, and a key anyone but root can read.
chmod 755 "$WORK" "$CLUSTER" "$CLUSTER/run"
chmod 700 "$CLUSTER/munge"
MUNGE_SOCKET=$CLUSTER/run/munge.socket
mungekey --create --keyfile="$CLUSTER/munge/munge.key" > "$CLUSTER/log/mungekey.log" 2>&1 ||
  fatal "mungekey could not create a key"
munged --foreground --socket="$MUNGE_SOCKET" --key-file="$CLUSTER/munge/munge.key" \
  --pid-file="$CLUSTER/run/munged.pid" --seed-file="$CLUSTER/munge/seed" --log-file="$CLUSTER/log/munged.log" \
  > "$CLUSTER/log/munged.out" 2>&1 &
DAEMON_PIDS+=($!)
munge_works() { munge -n -S "$MUNGE_SOCKET" 2> /dev/null | unmunge -S "$MUNGE_SOCKET" > /dev/null 2>&1; }
wait_until "munged answers on its socket" 20 munge_works || fatal "munged did not start"

# Two TCP ports nothing listens on, away from Slurm's usual 6817/6818.
free_port() {
  local p
  for p in $(shuf -i 20000-59999 -n 100); do
    case " ${PORTS:-} " in *" $p "*) continue ;; esac
    (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null || { echo "$p"; return 0; }
  done
  return 1
}
PORTS=$(free_port) && PORTS="$PORTS $(free_port)" || fatal "no free TCP port found"
read -r CTLD_PORT SLURMD_PORT <<< "$PORTS"

NODE=$(hostname -s)
# One node of 2 CPUs, two partitions: "sweeps" (default) and "urgent", whose jobs preempt and requeue
# sweeps' jobs. Process tracking by /proc and no task plugin, so no cgroups are needed. cred_expire sets
# how long a requeued job waits before it may start again (120 s by default), sched_interval how often
# the scheduler looks at pending jobs (60 s). config_overrides: the node is used as configured whatever
# the hardware reports.
cat > "$CONF" << EOF
ClusterName=cohorttest
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET,cred_expire=5
StateSaveLocation=$CLUSTER/state
SlurmdSpoolDir=$CLUSTER/spool
SlurmctldPidFile=$CLUSTER/run/slurmctld.pid
SlurmdPidFile=$CLUSTER/run/slurmd.pid
SlurmctldLogFile=$CLUSTER/log/slurmctld.log
SlurmdLogFile=$CLUSTER/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
JobRequeue=1
KillWait=30
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=2 RealMemory=1024 State=UNKNOWN
PartitionName=sweeps Nodes=$NODE Default=YES MaxTime=INFINITE PriorityTier=1 State=UP
PartitionName=urgent Nodes=$NODE MaxTime=INFINITE PriorityTier=2 PreemptMode=OFF State=UP
EOF

slurmctld -D -f "$CONF" > "$CLUSTER/log/slurmctld.out" 2>&1 &
DAEMON_PIDS+=($!)
slurmd -D -f "$CONF" -N "$NODE" > "$CLUSTER/log/slurmd.out" 2>&1 &
DAEMON_PIDS+=($!)
node_idle() { [ "$(sinfo -h -n "$NODE" -o %t 2> /dev/null)" = idle ]; }
wait_until "the node is idle" 60 node_idle || fatal "slurmctld or slurmd did not start"

# ---- Jobs ----
# job_field JOB FIELD: a field of `scontrol show job` (JobState, Restarts, ExitCode, ...).
job_field() { scontrol show job "$1" 2> /dev/null | tr ' ' '\n' | sed -n "s/^$2=//p"; }
job_state() { job_field "$1" JobState; }
epochs() { sql "$1" "SELECT count(*) FROM epochs" 2> /dev/null || echo 0; }
job_ended() {
  case $(job_state "$1") in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE) return 0 ;; esac
  return 1
}
# running JOB RESTARTS DB MIN_EPOCHS: the job runs after RESTARTS requeues and DB holds at least MIN_EPOCHS
# epochs.
running() {
  [ "$(job_state "$1")" = RUNNING ] && [ "$(job_field "$1" Restarts)" = "$2" ] && [ "$(epochs "$3")" -ge "$4" ]
}
running_or_ended() { running "$@" || job_ended "$1"; }
# wait_running DESCRIPTION JOB RESTARTS DB MIN_EPOCHS: waits for `running`, failing at once if the job ends.
wait_running() {
  local what=$1
  shift
  wait_until "$what" 120 running_or_ended "$@" || return 1
  running "$@" && return 0
  fail "$what: the job ended first ($(job_state "$1"), exit code $(job_field "$1" ExitCode))"
  return 1
}
submit() { # submit NAME SCRIPT ARGS...: sbatch, prints the job id
  local name=$1 script=$2 id
  shift 2
  id=$(sbatch --parsable --job-name="$name" --output="$WORK/$name.out" --chdir="$WORK" "$script" "$@") || return 1
  JOBS_SUBMITTED="$JOBS_SUBMITTED $id"
  echo "$id"
}

# ---- sweep-requeue.sbatch: stop and requeue itself, then preemption, then to the end ----
DB=$WORK/requeue.db
JOB=$(submit requeue "$EXAMPLES/sweep-requeue.sbatch" "$WORK/sweep.yaml" "$DB") || fatal "sbatch failed"

# 1. Once an epoch is committed: SIGUSR1 to the batch shell. The script stops the sweep (exit 3) and
# requeues the job.
if wait_running "requeue: the first epoch committed" "$JOB" 0 "$DB" 1; then
  scancel --signal=USR1 --batch "$JOB"
  wait_until "requeue: requeued after SIGUSR1" 60 eval '[ "$(job_field "$JOB" Restarts)" = 1 ]'
  stopped_at=$(epochs "$DB")
  check "requeue: stopped mid-sweep ($stopped_at of $TOTAL_EPOCHS epochs)" [ "$stopped_at" -lt "$TOTAL_EPOCHS" ]
fi

# 2. Once the resumed sweep has committed another epoch: a job in the higher-priority partition needs the
# whole node, so Slurm preempts the sweep (SIGTERM to its processes) and requeues it.
if wait_running "requeue: an epoch committed after the requeue" "$JOB" 1 "$DB" $((${stopped_at:-0} + 1)); then
  URGENT=$(sbatch --parsable --partition=urgent --exclusive --output="$WORK/urgent.out" --wrap 'echo urgent ran') &&
    JOBS_SUBMITTED="$JOBS_SUBMITTED $URGENT" || fail "sbatch of the urgent job failed"
  wait_until "requeue: preempted" 60 eval '[ "$(job_field "$JOB" Restarts)" = 2 ]'
  preempted_at=$(epochs "$DB")
  check "requeue: preempted mid-sweep ($preempted_at of $TOTAL_EPOCHS epochs)" [ "$preempted_at" -lt "$TOTAL_EPOCHS" ]
fi

# 3. It runs again and finishes.
wait_until "requeue: the job ended" 180 job_ended "$JOB"
expect_eq "requeue: final state" "$(job_state "$JOB")" COMPLETED
expect_eq "requeue: exit code" "$(job_field "$JOB" ExitCode)" 0:0
expect_eq "requeue: requeues" "$(job_field "$JOB" Restarts)" 2
expect_eq "requeue: the urgent job ran" "$(job_state "${URGENT:-none}")" COMPLETED
OUT=$WORK/requeue.out
# The script's own lines, in order (Slurm's and cohort's lines fall between them wherever they come).
EXPECTED_LOG="start 1
SIGUSR1 received: the sweep checkpoints and stops
the sweep exited with code 3
requeued
start 2
SIGTERM received: the sweep checkpoints and stops
the sweep exited with code 3
start 3
the sweep exited with code 0"
expect_eq "requeue: the script's log (SIGUSR1: exit 3, requeued by the script; SIGTERM: exit 3; then to the end)" \
  "$(sed -n 's/^sweep-requeue: //p' "$OUT" | sed 's/^job [0-9]*, \(start [0-9]*\), on .*/\1/')" "$EXPECTED_LOG"

# The reference, and the comparison.
wait_until "the reference sweep ended" 300 eval '! kill -0 "$REF_PID" 2> /dev/null'
wait "$REF_PID"
expect_eq "reference sweep exit code" "$?" 0
REF_PID=""
REFERENCE=$(sql "$WORK/reference.db" "$EPOCH_METRICS")
expect_eq "reference epochs" "$(epochs "$WORK/reference.db")" "$TOTAL_EPOCHS"
expect_eq "requeue: every run finished" "$(sql "$DB" "SELECT count(*) FROM runs WHERE status = 'finished'")" 4
expect_eq "requeue: metrics equal the uninterrupted sweep's" "$(sql "$DB" "$EPOCH_METRICS")" "$REFERENCE"
expect_eq "requeue: integrity" "$(sql "$DB" "PRAGMA integrity_check")" ok

# ---- sweep.sbatch: the plain job, to the end ----
DB=$WORK/plain.db
JOB=$(submit plain "$EXAMPLES/sweep.sbatch" "$WORK/sweep.yaml" "$DB") || fatal "sbatch failed"
wait_until "plain: the job ended" 180 job_ended "$JOB"
expect_eq "plain: final state" "$(job_state "$JOB")" COMPLETED
expect_eq "plain: exit code" "$(job_field "$JOB" ExitCode)" 0:0
# One sweep of 2 ranks (srun gave the tasks one MPI world), not two sweeps of one rank each.
expect_eq "plain: one sweep on 2 ranks" "$(grep -c '^sweep slurm: 4 trials, 0 already ended, 4 to run on 2 ranks$' "$WORK/plain.out")" 1
expect_eq "plain: every run finished" "$(sql "$DB" "SELECT count(*) FROM runs WHERE status = 'finished'")" 4
expect_eq "plain: metrics equal the uninterrupted sweep's" "$(sql "$DB" "$EPOCH_METRICS")" "$REFERENCE"

finish
