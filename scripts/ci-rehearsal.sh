#!/usr/bin/env bash
# Rehearse CI (.ci/run with CI=true) from nothing on a machine whose engine others are using: the run
# gets a dockerd of its own, started by swarm-up.sh in a network namespace of its own (so its ports,
# bridge and iptables rules cannot clash) with its own socket and data root; it is removed afterwards.
#
#   scripts/ci-rehearsal.sh [DIR]       DIR (default /tmp/cs-ci-rehearsal) must not exist
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="${1:-/tmp/cs-ci-rehearsal}"
NETNS="cs-ci-$$"
[[ $EUID -eq 0 ]] || die "run as root (it creates a network namespace and starts dockerd)"
[[ -e $DIR ]] && die "$DIR exists; remove it (after stopping any dockerd using it) first"

# The namespace has no route out: install the Python side first.
"$REPO_ROOT/scripts/venv.sh"
mkdir -p "$DIR"
trap 'stop_private_engine "$DIR"; ip netns del "$NETNS" 2>/dev/null || true' EXIT
ip netns add "$NETNS"
ip -n "$NETNS" link set lo up
rc=0
nsenter --net="/run/netns/$NETNS" env CI=true DOCKER_HOST="unix://$DIR/docker.sock" \
    COMPOSESWARM_DOCKERD_DATA_ROOT="$DIR/data" COMPOSESWARM_DOCKERD_EXEC_ROOT="$DIR/exec" \
    COMPOSESWARM_DOCKERD_PIDFILE="$DIR/docker.pid" COMPOSESWARM_DOCKERD_LOG="$DIR/dockerd.log" \
    bash "$REPO_ROOT/.ci/run" </dev/null || rc=$?
log ".ci/run exited $rc"
exit "$rc"
