#!/usr/bin/env bash
# Open MPI and a lost node, measured (docs/ARCHITECTURE.md, "A lost node"); not part of the test suite.
# Builds lost_node_probe.c and runs it with 5 ranks on namespace hosts (h0: rank 0, h1: 2 ranks, h2, h3), in
# three settings: the default, with h2 killed (every process in its namespace, SIGKILL) 3 s in; with
# orte_enable_recovery, h2 killed the same way; with orte_enable_recovery, nothing killed and every rank
# returning 3. Each mpirun gets at most LIMIT seconds (default 30) and is killed after that; its exit code and
# output are printed. Needs root.   lost_node_probe.sh [LIMIT]
E2E=$(cd "$(dirname "$0")/.." && pwd)
source "$E2E/lib.sh"
source "$E2E/hosts_lib.sh"
trap 'hosts_down; rm -rf "$WORK"' EXIT
LIMIT=${1:-30}
mpicc -O1 -o "$WORK/probe" "$(dirname "$0")/lost_node_probe.c" || exit 1
hosts_up h0 h1 h2 h3 || exit 1
printf 'h0 slots=1\nh1 slots=2\nh2 slots=1\nh3 slots=1\n' > "$WORK/hostfile"
MPIRUN=(mpirun --allow-run-as-root --hostfile "$WORK/hostfile" --mca plm_rsh_agent "$NETNS_RSH"
  --mca plm_rsh_no_tree_spawn 1 --mca oob_tcp_if_include 198.18.0.0/24 --mca btl_tcp_if_include 198.18.0.0/24)
# probe TITLE KILL_H2(0|1) MPIRUN_ARGS...
probe() {
  local title=$1 kill_h2=$2 i; shift 2
  echo "==== $title"
  on_host h0 "${MPIRUN[@]}" "$@" -np 5 "$WORK/probe" 8 > "$WORK/out" 2>&1 &
  local job=$! start=$SECONDS
  if [ "$kill_h2" = 1 ]; then
    sleep 3
    echo "killing h2: $(for p in $(host_pids h2); do printf '%s ' "$(cat /proc/$p/comm)"; done)"
    host_kill h2
  fi
  for ((i = 0; i < LIMIT * 10; i++)); do kill -0 "$job" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$job" 2>/dev/null; then
    echo "mpirun still running after $LIMIT s; on the hosts: $(for h in h0 h1 h2 h3; do printf '%s:' $h; for p in $(host_pids $h); do printf '%s,' "$(cat /proc/$p/comm 2>/dev/null)"; done; printf ' '; done)"
    kill "$job"
  fi
  wait "$job"
  echo "mpirun exit code $? after $((SECONDS - start)) s"
  grep -v '^ *$' "$WORK/out"
  for h in h0 h1 h2 h3; do kill_ns_processes "$(netns_of $h)"; done
}
probe "default, h2 killed" 1
probe "orte_enable_recovery, h2 killed" 1 --mca orte_enable_recovery 1
probe "orte_enable_recovery, nothing killed, every rank returns 3" 0 --mca orte_enable_recovery 1 -x PROBE_RC=3
