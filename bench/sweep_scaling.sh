#!/usr/bin/env bash
# The sweep's scaling benchmark: 12 equal short trials on 1, 2 and 4 worker ranks (mpirun -np 2, 3, 5).
# Reports the makespan against the ideal (sum of the trials' own wall times / workers) at three scopes:
#   span_s:    first trial start to last trial end (from the database): scheduling between trials;
#   sched_s:   the coordinator's loop, which adds each worker's one-time start-up before its first trial
#              (forking the trainer, loading the dataset into the worker's cache);
#   end2end_s: mpirun launch to exit, which adds Open MPI's start-up and shutdown;
# and the coordinator's CPU use while scheduling. Usage: bash bench/sweep_scaling.sh [path/to/cohort]
set -euo pipefail
COHORT=${1:-build/runner/cohort}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
MPIRUN=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && MPIRUN+=(--allow-run-as-root)
cat > "$WORK/sweep.yaml" <<'YAML'
name: scaling
method: grid
parameters:
  model: {value: lenet}
  seed: {values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}
  dataset: {value: synthetic}
  synthetic_train: {value: 4096}
  synthetic_test: {value: 512}
  epochs: {value: 2}
  batch_size: {value: 64}
  threads: {value: 1}
YAML
printf '%-8s %-6s %8s %8s %7s %8s %7s %10s %7s %22s\n' workers cores ideal_s span_s ratio sched_s ratio end2end_s ratio \
  coordinator_cpu
for np in 2 3 5; do
  workers=$((np - 1))
  db=$WORK/np$np.db
  start=$(date +%s.%N)
  "${MPIRUN[@]}" -np "$np" "$COHORT" sweep "$WORK/sweep.yaml" --db "$db" > "$WORK/out$np.txt" 2>&1
  end=$(date +%s.%N)
  makespan=$(echo "$end - $start" | bc -l)
  # A trial's own time: from its start (model built, about to train) to its end, evaluation included.
  sum=$(sqlite3 "$db" "SELECT sum((julianday(finished_at) - julianday(started_at)) * 86400) FROM runs")
  span=$(sqlite3 "$db" "SELECT (julianday(max(finished_at)) - julianday(min(started_at))) * 86400 FROM runs")
  ideal=$(echo "$sum / $workers" | bc -l)
  line=$(tr -d '\r' < "$WORK/out$np.txt" | grep '^coordinator: ')
  cpu=$(sed -n 's/^coordinator: \([0-9.]*\) s CPU over .* wall (\(.*\) of one core).*/\1 s (\2)/p' <<< "$line")
  sched=$(sed -n 's/^coordinator: .* CPU over \([0-9.]*\) s wall.*/\1/p' <<< "$line")
  printf '%-8s %-6s %8.1f %8.1f %7.3f %8.1f %7.3f %10.1f %7.3f %22s\n' "$workers" "$(nproc)" "$ideal" "$span" \
    "$(echo "$span / $ideal" | bc -l)" "$sched" "$(echo "$sched / $ideal" | bc -l)" "$makespan" \
    "$(echo "$makespan / $ideal" | bc -l)" "$cpu"
done
echo "(ideal = sum of the trials' start-to-end times / workers; with more workers than cores each trial is slower, which the ideal includes)"
