#!/usr/bin/env bash
# Runs a command "on" one of the test's hosts (hosts_lib.sh): in its network namespace, in a UTS namespace
# whose hostname is the host's name, and in a mount namespace where the host's own directory is mounted over
# the shared node-local path, as a node's local disk (/tmp, /scratch) is the same path on every node of a
# cluster but different storage.
#   netns_host.sh HOST COMMAND [ARGS...]   runs COMMAND with its arguments as they are
#   netns_host.sh --shell HOST WORDS...    joins WORDS with spaces and runs them with sh -c, as ssh does with
#                                          a remote command (netns_rsh.sh, Open MPI's rsh agent, uses this)
# The environment is cleared as an ssh login's would be, but for PATH, HOME, the settings below and the
# sanitizers' options:
# Open MPI passes its MCA settings on the daemon's command line (plm_rsh_pass_environ_mca_params).
# Settings, from the environment of the caller (hosts_lib.sh exports them):
#   COHORT_NETNS_PREFIX  the namespaces' prefix: HOST's namespace is $COHORT_NETNS_PREFIX-HOST
#   COHORT_NETNS_LOCAL   the node-local path (an existing empty directory)
#   COHORT_NETNS_NODES   a directory holding one directory per host; NODES/HOST is mounted on LOCAL
set -eu
shell=0
if [ "${1:-}" = --shell ]; then shell=1; shift; fi
host=${1:?usage: netns_host.sh [--shell] HOST COMMAND...}
shift
: "${COHORT_NETNS_PREFIX:?not set}" "${COHORT_NETNS_LOCAL:?not set}" "${COHORT_NETNS_NODES:?not set}"
case $host in *[!a-z0-9]*) echo "netns_host.sh: bad host name '$host'" >&2; exit 2 ;; esac
ns=$COHORT_NETNS_PREFIX-$host
mkdir -p "$COHORT_NETNS_NODES/$host"
keep=(PATH="$PATH" HOME="${HOME:-/root}" LANG=C)
# the settings above go on, so that a command on the host can reach the others (mpirun runs the rsh agent)
for v in COHORT_NETNS_PREFIX COHORT_NETNS_LOCAL COHORT_NETNS_NODES ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS; do
  [ -n "${!v:-}" ] && keep+=("$v=${!v}")
done
# mpirun, started directly, keeps the MCA settings of the caller's environment (OMPI_MCA_*), as it would on
# the login node; a daemon started through --shell gets them on its command line from mpirun.
if [ "$shell" -eq 0 ]; then
  while IFS='=' read -r name _; do
    case $name in OMPI_MCA_*) keep+=("$name=${!name}") ;; esac
  done < <(env)
fi
# The inner script: name the host, mount its local directory (private to this mount namespace), run.
inner='hostname "$1" && mount --bind "$2" "$3" && shift 3 && exec "$@"'
if [ "$shell" -eq 1 ]; then
  exec ip netns exec "$ns" unshare --uts --mount --propagation private -- \
    env -i "${keep[@]}" sh -c "$inner" netns-host "$host" "$COHORT_NETNS_NODES/$host" "$COHORT_NETNS_LOCAL" \
    sh -c "$*"
fi
exec ip netns exec "$ns" unshare --uts --mount --propagation private -- \
  env -i "${keep[@]}" sh -c "$inner" netns-host "$host" "$COHORT_NETNS_NODES/$host" "$COHORT_NETNS_LOCAL" "$@"
