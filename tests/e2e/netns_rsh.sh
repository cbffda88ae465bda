#!/usr/bin/env bash
# Open MPI's rsh agent for the test's hosts (mpirun --mca plm_rsh_agent PATH): called as ssh would be,
# `netns_rsh.sh HOST WORDS...`, it starts the remote command (Open MPI's daemon, orted) on HOST's network
# namespace through netns_host.sh. Open MPI may put ssh-style options before HOST; there are none to honour.
while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do shift; done
exec bash "$(dirname "$0")/netns_host.sh" --shell "$@"
