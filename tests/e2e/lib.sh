# Shared helpers for the end-to-end shell tests. Usage: source lib.sh; COHORT=path/to/cohort.
set -u
FAILURES=0
CHECKS=0
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

MPIRUN=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)
# Quiet Open MPI's warnings about missing high-speed networks on a laptop/CI machine.
export OMPI_MCA_btl="self,vader,tcp" OMPI_MCA_btl_vader_single_copy_mechanism=none

fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }

# wait_until DESCRIPTION LIMIT_SECONDS COMMAND...: polls COMMAND until it succeeds; a failed check when
# LIMIT_SECONDS pass first (the limit only keeps a broken build from hanging the suite; it times nothing).
wait_until() {
  local what=$1 limit=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "$what: not seen within $limit s"
      return 1
    fi
    sleep 0.1
  done
}
state_of() { awk '{print $3}' "/proc/$1/stat" 2>/dev/null; } # R, S, T (stopped), Z; empty when gone
# A zombie has ended: kill -0 still succeeds on it until its parent reaps it.
is_alive() { local s; s=$(state_of "$1"); [ -n "$s" ] && [ "$s" != Z ]; }
# wait_job DESCRIPTION PID LIMIT_SECONDS: waits for a background job; its exit code is in $JOB_RC (124 when it
# had to be killed at the limit).
wait_job() {
  local what=$1 pid=$2 limit=$3
  if wait_until "$what: the job ended" "$limit" eval '! is_alive '"$pid"; then
    wait "$pid"
    JOB_RC=$?
  else
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    JOB_RC=124
  fi
}
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  CHECKS=$((CHECKS + 1))
  if ! "$@"; then fail "$what"; fi
}
expect_eq() { # expect_eq DESCRIPTION ACTUAL EXPECTED
  CHECKS=$((CHECKS + 1))
  if [ "$2" != "$3" ]; then fail "$1: got '$2', expected '$3'"; fi
}
sql() { sqlite3 -batch -noheader "$1" "$2"; }
finish() {
  if [ "$FAILURES" -gt 0 ]; then echo "$FAILURES of $CHECKS checks failed" >&2; exit 1; fi
  echo "all $CHECKS checks passed"
}

# run_readonly DIR COMMAND...: runs COMMAND while DIR is on a read-only medium as SQLite sees it. As root (who
# ignores permission bits): a read-only bind mount of DIR in a private mount namespace (unshare -m; it
# disappears with the command), or, where namespaces are not permitted, DIR made non-writable and COMMAND run
# as the user nobody. Otherwise DIR made non-writable. Permissions are restored afterwards.
# READONLY_METHOD=mount|nobody|chmod forces one way.
run_readonly() {
  local dir=$1 method=${READONLY_METHOD:-} rc
  shift
  if [ -z "$method" ]; then
    if [ "$(id -u)" -ne 0 ]; then method=chmod
    elif unshare -m true 2> /dev/null; then method=mount
    else method=nobody
    fi
  fi
  case $method in
    mount)
      unshare -m bash -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"' _ "$dir" "$@"
      return $? ;;
    nobody)
      chmod -R a-w "$dir"; chmod a+rx "$WORK"
      setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; rc=$?
      chmod -R u+w "$dir"; return $rc ;;
    *)
      chmod -R a-w "$dir"
      "$@"; rc=$?
      chmod -R u+w "$dir"; return $rc ;;
  esac
}

# lenet_sweep FILE NAME LRS: writes the sweep file of the reliability and resilience tests: a grid of small
# LeNet trials on synthetic data (1200 training and 200 test images, 3 epochs, one thread per trainer), one
# trial per learning rate in LRS ("0.01, 0.02").
lenet_sweep() {
  cat > "$1" <<YAML
name: $2
method: grid
parameters:
  model: {value: lenet}
  lr: {values: [$3]}
  dataset: {value: synthetic}
  synthetic_train: {value: 1200}
  synthetic_test: {value: 200}
  epochs: {value: 3}
  batch_size: {value: 32}
  augment: {value: true}
  threads: {value: 1}
YAML
}
# Every result of every epoch of a database (timings excluded), keyed by trial, at full precision: two
# databases with equal EPOCH_METRICS trained the same.
EPOCH_METRICS="SELECT group_concat(v, char(10)) FROM (SELECT r.trial_key || ' ' || e.epoch || ' ' ||
  printf('%.17g %.17g %.17g %.17g %.17g %.17g', e.train_loss, e.train_top1, e.test_loss, e.test_top1, e.test_top5, e.lr) AS v
  FROM epochs e JOIN runs r ON r.id = e.run_id ORDER BY r.trial_key, e.epoch)"
