#!/usr/bin/env bash
# Make sure a Docker Engine in swarm mode answers, then make the local test images. Idempotent.
#
#   scripts/swarm-up.sh [--init-swarm] [--no-images]
#
# - An engine answers (DOCKER_HOST is honoured) and is a swarm manager: nothing to do.
# - An engine answers but is not in swarm mode: it is someone's engine, so it is left alone unless
#   --init-swarm (or COMPOSESWARM_INIT_SWARM=1) says to run `docker swarm init` on it.
# - No engine answers on a unix socket: install what is missing (docker.io busybox-static
#   docker-registry), start dockerd in the background with DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 (no
#   registry can be reached, so tasks must not try to pull), wait for it, and make it a manager.
# Then the images: local/busybox:1, local/busybox:2 (scripts/images.sh) and local/registry:2
# (scripts/registry.sh build), each only when missing.
#
# Settings for a dockerd this script starts (all optional; the self-test uses them to run a second
# engine beside the default one):
#   DOCKER_HOST                      unix:///path/docker.sock (default unix:///var/run/docker.sock)
#   COMPOSESWARM_DOCKERD_DATA_ROOT   --data-root      COMPOSESWARM_DOCKERD_EXEC_ROOT  --exec-root
#   COMPOSESWARM_DOCKERD_PIDFILE     --pidfile        COMPOSESWARM_DOCKERD_ARGS       more flags
#   COMPOSESWARM_DOCKERD_LOG         its log file (default .cache/composeswarm/dockerd.log)
#   COMPOSESWARM_SWARM_INIT_ARGS     more flags for `docker swarm init`
#   COMPOSESWARM_ENGINE_TIMEOUT      seconds to wait for the engine (default 120)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

INIT_SWARM="${COMPOSESWARM_INIT_SWARM:-0}"
IMAGES=1
for arg in "$@"; do
    case "$arg" in
        --init-swarm) INIT_SWARM=1 ;;
        --no-images) IMAGES=0 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $arg (see --help)" ;;
    esac
done

TIMEOUT="${COMPOSESWARM_ENGINE_TIMEOUT:-120}"
INIT_CMD="docker swarm init --advertise-addr 127.0.0.1${COMPOSESWARM_SWARM_INIT_ARGS:+ $COMPOSESWARM_SWARM_INIT_ARGS}"

swarm_state() { docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>/dev/null; }

swarm_init() {
    log "running: $INIT_CMD"
    # shellcheck disable=SC2086 # the extra flags are meant to split
    docker swarm init --advertise-addr 127.0.0.1 ${COMPOSESWARM_SWARM_INIT_ARGS:-} >/dev/null
    widen_ingress
}

# widen_ingress: swarm's ingress network is a /24, one VIP per service with an ingress port; a test
# suite that deploys hundreds of such services in a row ran it out of addresses here ("could not
# find an available IP while allocating VIP"). Right after our own `swarm init` no service uses it,
# so replace it with a /16.
widen_ingress() {
    local subnet
    subnet="$(docker network inspect ingress --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' 2>/dev/null || true)"
    [[ $subnet == */24 ]] || return 0
    log "replacing the ingress network ($subnet) with 10.255.0.0/16"
    docker network rm ingress >/dev/null <<<"y" || { log "could not remove ingress; keeping it"; return 0; }
    local i
    for ((i = 0; i < 20; i++)); do
        docker network inspect ingress >/dev/null 2>&1 || break
        sleep 0.5
    done
    docker network create --driver overlay --ingress --subnet 10.255.0.0/16 --gateway 10.255.0.1 ingress >/dev/null
}

# socket_path: the unix socket a dockerd of ours must listen on, from DOCKER_HOST.
socket_path() {
    local host="${DOCKER_HOST:-unix:///var/run/docker.sock}"
    case "$host" in
        unix://*) printf '%s' "${host#unix://}" ;;
        *) die "no engine answers at DOCKER_HOST=$host, and only an engine on a unix socket can be started here" ;;
    esac
}

start_dockerd() {
    local sock log pid i args
    sock="$(socket_path)"
    # Something listens on the socket but does not answer `docker info` (a hung engine, no
    # permission): starting a second engine there would only fail, so stop and say so.
    if [[ -S $sock && -n "$(ss -xl 2>/dev/null | grep -F " $sock ")" ]]; then
        die "something listens on $sock but no engine answers there (is dockerd hung, or is this a permissions problem?)"
    fi
    apt_install docker.io busybox-static docker-registry
    # Installing docker.io may have started an engine on the default socket.
    if engine_answers; then return 0; fi
    command -v dockerd >/dev/null 2>&1 || die "dockerd not found after installing docker.io"
    log="${COMPOSESWARM_DOCKERD_LOG:-$CS_STATE_DIR/dockerd.log}"
    mkdir -p "$(dirname "$log")" "$(dirname "$sock")"
    args=(-H "unix://$sock")
    [[ -n ${COMPOSESWARM_DOCKERD_DATA_ROOT:-} ]] && args+=(--data-root "$COMPOSESWARM_DOCKERD_DATA_ROOT")
    [[ -n ${COMPOSESWARM_DOCKERD_EXEC_ROOT:-} ]] && args+=(--exec-root "$COMPOSESWARM_DOCKERD_EXEC_ROOT")
    [[ -n ${COMPOSESWARM_DOCKERD_PIDFILE:-} ]] && args+=(--pidfile "$COMPOSESWARM_DOCKERD_PIDFILE")
    # shellcheck disable=SC2206 # the extra flags are meant to split
    args+=(${COMPOSESWARM_DOCKERD_ARGS:-})
    # A dockerd that was killed leaves its pid file; if that pid now belongs to another process,
    # dockerd would refuse to start ("pid file found, ensure docker is not running").
    local pidfile="${COMPOSESWARM_DOCKERD_PIDFILE:-/var/run/docker.pid}" old
    if [[ -f $pidfile ]]; then
        old="$(cat "$pidfile" 2>/dev/null || true)"
        if [[ -z $old || "$(ps -p "$old" -o comm= 2>/dev/null)" != dockerd ]]; then
            as_root rm -f "$pidfile"
        fi
    fi
    log "starting dockerd ${args[*]} (log: $log)"
    # setsid: the engine outlives this script and the terminal or CI step that ran it.
    as_root env DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid dockerd "${args[@]}" >>"$log" 2>&1 </dev/null &
    pid=$!
    for ((i = 0; i < TIMEOUT * 4; i++)); do
        engine_answers && { log "engine answers after $((i / 4)) s"; return 0; }
        if ! kill -0 "$pid" 2>/dev/null && ! pgrep -f "dockerd .*-H unix://$sock" >/dev/null; then
            tail -n 20 "$log" >&2 || true
            die "dockerd exited; its log is $log"
        fi
        sleep 0.25
    done
    tail -n 20 "$log" >&2 || true
    die "dockerd did not answer within $TIMEOUT s; its log is $log"
}

ensure_swarm() {
    local started=0 state
    if ! engine_answers; then
        start_dockerd
        started=1
    fi
    state="$(swarm_state)"
    case "$state" in
        "active true") ;;
        "active false")
            die "the engine at ${DOCKER_HOST:-the default socket} is a swarm worker; point DOCKER_HOST at a manager" ;;
        "inactive "*)
            if [[ $started -eq 1 || $INIT_SWARM == 1 ]]; then
                swarm_init
            else
                cat >&2 <<EOF
$(basename "$0"): the Docker Engine at ${DOCKER_HOST:-the default socket} answers but is not in swarm mode.
It is left alone: making it a swarm manager changes how that engine runs. To do it, run
    $INIT_CMD
or run this script again with --init-swarm (or COMPOSESWARM_INIT_SWARM=1).
EOF
                exit 1
            fi ;;
        *) die "the engine's swarm state is '$state'; expected an active manager (is it locked or joining?)" ;;
    esac
    log "swarm manager ready: $(docker info --format '{{.Name}} engine {{.ServerVersion}}, client' 2>/dev/null) $(docker version --format '{{.Client.Version}}' 2>/dev/null)"
}

ensure_swarm
if [[ $IMAGES -eq 1 ]]; then
    "$REPO_ROOT/scripts/images.sh"
    "$REPO_ROOT/scripts/registry.sh" build
fi
