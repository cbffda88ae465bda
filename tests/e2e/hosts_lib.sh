# Test hosts on this machine: Linux network namespaces joined by a bridge, for multi-host tests with real
# processes. Source after lib.sh (it uses WORK and fail).
#
#   hosts_up HOST...   creates one namespace per host, $COHORT_NETNS_PREFIX-HOST. The first host is the
#                      launcher (mpirun and rank 0 run there): it holds the bridge, 198.18.0.1/24, and each
#                      other host has a veth pair into it, 198.18.0.(10+i)/24. Addresses are from the
#                      benchmarking range 198.18.0.0/15 and exist only inside these namespaces: nothing is
#                      added to this machine's own network namespace, whose traffic cannot reach them.
#                      Each namespace's /etc/hosts (ip netns exec mounts /etc/netns/NS/hosts over it) names
#                      every host. Fails with the reason when namespaces cannot be created.
#   on_host HOST CMD...  runs CMD on HOST (netns_host.sh: its network, hostname and node-local directory)
#   host_pids HOST     the pids of every process in HOST's network namespace
#   host_kill HOST     SIGKILLs every process in HOST's namespace until none is left (a lost node)
#   hosts_down         kills every process in the namespaces and deletes them (their veths go with them)
#                      and their /etc/netns entries; run by the EXIT trap, so also when a check fails
# The node-local directory: $COHORT_NETNS_LOCAL is the same path on every host, backed on HOST by
# $COHORT_NETNS_NODES/HOST (a bind mount in the host's own mount namespace).
HOSTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# A prefix of our own, unique per test process: cohort-e2e-PID.
export COHORT_NETNS_PREFIX=cohort-e2e-$$
export COHORT_NETNS_LOCAL=$WORK/local COHORT_NETNS_NODES=$WORK/nodes
HOSTS=()
NETNS_RSH=$HOSTS_DIR/netns_rsh.sh

netns_of() { echo "$COHORT_NETNS_PREFIX-$1"; }
on_host() { bash "$HOSTS_DIR/netns_host.sh" "$@"; }
host_pids() { ip netns pids "$(netns_of "$1")" 2>/dev/null; }

# kill_ns_processes NS: SIGKILLs every process in NS, again while new ones appear (a fork between the
# listing and the kill); bounded: 100 rounds of 0.1 s. Non-zero when processes remain.
kill_ns_processes() {
  local ns=$1 i pids
  for ((i = 0; i < 100; i++)); do
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -z "$pids" ] && return 0
    # SIGCONT too: a stopped (frozen) process dies of SIGKILL anyway, but this keeps no doubt.
    kill -CONT $pids 2>/dev/null
    kill -9 $pids 2>/dev/null
    sleep 0.1
  done
  return 1
}
host_kill() { kill_ns_processes "$(netns_of "$1")" || fail "host $1: processes survived SIGKILL: $(host_pids "$1")"; }

hosts_down() {
  local host ns
  for host in "${HOSTS[@]}"; do
    ns=$(netns_of "$host")
    kill_ns_processes "$ns" || echo "hosts_down: processes left in $ns: $(ip netns pids "$ns")" >&2
    ip netns del "$ns" 2>/dev/null
    rm -rf "/etc/netns/$ns"
  done
  HOSTS=()
  rmdir /etc/netns 2>/dev/null # only when empty: it may hold other namespaces' settings
  return 0
}

# hosts_check: can this machine run the hosts? Prints the reason and fails when not.
hosts_check() {
  local probe=${COHORT_NETNS_PREFIX}-probe out
  if [ "$(id -u)" -ne 0 ]; then echo "network namespaces need root (uid $(id -u))"; return 1; fi
  for tool in ip unshare mount hostname; do
    command -v "$tool" > /dev/null || { echo "$tool is not installed (Debian: iproute2, util-linux, mount, hostname)"; return 1; }
  done
  if ! out=$(ip netns add "$probe" 2>&1); then echo "ip netns add failed: $out"; return 1; fi
  out=$(ip netns exec "$probe" unshare --uts --mount true 2>&1)
  local rc=$?
  ip netns del "$probe" 2>/dev/null
  if [ $rc -ne 0 ]; then echo "entering a network, UTS and mount namespace failed: $out"; return 1; fi
  return 0
}

# remove_stale_hosts: the namespaces of an earlier test process that is gone (killed with SIGKILL, e.g. at a
# time limit, before its EXIT trap could run), with their processes and /etc/netns entries.
remove_stale_hosts() {
  local ns pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^cohort-e2e-[0-9]*-'); do
    pid=${ns#cohort-e2e-}; pid=${pid%%-*}
    kill -0 "$pid" 2>/dev/null && continue # its test is still running
    kill_ns_processes "$ns"
    ip netns del "$ns" 2>/dev/null
    rm -rf "/etc/netns/$ns"
  done
}

hosts_up() {
  local why i host ns hosts_file
  CHECKS=$((CHECKS + 1))
  if ! why=$(hosts_check); then
    fail "multi-host test cannot run on this machine: $why"
    return 1
  fi
  remove_stale_hosts
  mkdir -p "$COHORT_NETNS_LOCAL" "$COHORT_NETNS_NODES"
  hosts_file=$(printf '127.0.0.1 localhost\n'; i=0; for host in "$@"; do
    if [ $i -eq 0 ]; then echo "198.18.0.1 $host"; else echo "198.18.0.$((10 + i)) $host"; fi
    i=$((i + 1)); done)
  i=0
  for host in "$@"; do
    ns=$(netns_of "$host")
    HOSTS+=("$host") # before it exists: hosts_down removes whatever part was made
    ip netns add "$ns" || { fail "ip netns add $ns"; return 1; }
    mkdir -p "/etc/netns/$ns" && echo "$hosts_file" > "/etc/netns/$ns/hosts"
    ip -n "$ns" link set lo up
    if [ $i -eq 0 ]; then
      ip -n "$ns" link add br0 type bridge &&
        ip -n "$ns" addr add 198.18.0.1/24 dev br0 &&
        ip -n "$ns" link set br0 up || { fail "bridge in $ns"; return 1; }
    else
      # the veth is made inside the launcher's namespace with its peer inside the host's: neither end is
      # ever in this machine's namespace
      ip -n "$(netns_of "$1")" link add "v$host" type veth peer name eth0 netns "$ns" &&
        ip -n "$(netns_of "$1")" link set "v$host" master br0 up &&
        ip -n "$ns" addr add "198.18.0.$((10 + i))/24" dev eth0 &&
        ip -n "$ns" link set eth0 up || { fail "veth for $host"; return 1; }
    fi
    i=$((i + 1))
  done
  # every host reaches every other before anything starts (bounded: a link comes up within a few seconds)
  local target
  for host in "$@"; do
    for target in "$@"; do
      [ "$host" = "$target" ] && continue
      ip netns exec "$(netns_of "$host")" ping -c 1 -W 1 -w 10 -q "$(sed -n "s/^\([0-9.]*\) $target\$/\1/p" <<< "$hosts_file")" > /dev/null ||
        { fail "host $host cannot reach $target"; return 1; }
    done
  done
}
