#!/usr/bin/env bash
# A throw-away multi-node Docker swarm on this one machine, for tests/multinode.
#
#   scripts/multinode.sh up            N nodes (3), nodes 1..MANAGERS managers (1), the rest workers
#   scripts/multinode.sh status        node list and services
#   scripts/multinode.sh stop I        stop node I's dockerd (SIGTERM by its pid; its tasks stop too)
#   scripts/multinode.sh start I       start node I's dockerd again (same data: it rejoins the swarm)
#   scripts/multinode.sh add           one more node, joined as a worker, images loaded; prints its number
#   scripts/multinode.sh remove I      node I leaves the swarm and is deleted (its namespace, its state)
#   scripts/multinode.sh down          stop everything by pid, unmount, delete namespaces and links, rm state
#   scripts/multinode.sh check-clean   exit 1, naming each, when a namespace, link, mount or process is left
#
# Each node is a network namespace plus a UTS namespace (its own hostname, PREFIX-nI) with its own
# dockerd (which starts its own containerd under its exec-root). The nodes' veths meet on a bridge in a
# separate "switch" namespace, so nothing is added to the root namespace: no link, no route, no
# firewall rule (a bridge in the root namespace would go through the host's FORWARD chain, whose
# policy the default dockerd set to DROP). dockerd runs under `nsenter --net=`, never `ip netns
# exec`, which remounts /sys and hides the cgroups ("Devices cgroup isn't mounted").
#
# Images: local/busybox:1 and :2 are made on node 1 (scripts/images.sh with its DOCKER_HOST), saved
# there and loaded on every other node. No engine this script did not start is ever called.
# Node labels: zone=a on node 1, zone=b on the others, and cs.node=I on node I.
#
# Settings (environment; `up` writes them to STATE/bed.env, which later commands read):
#   COMPOSESWARM_MN_DIR       state: sockets, data, pid files, logs (default .cache/composeswarm/multinode)
#   COMPOSESWARM_MN_PREFIX    prefix of namespaces, links and hostnames (default csmn)
#   COMPOSESWARM_MN_NET       the nodes' /24: node I is NET.I (default 10.99.0)
#   COMPOSESWARM_MN_NODES     number of nodes (default 3)
#   COMPOSESWARM_MN_MANAGERS  1 or 3 managers (default 1)
#
# Node I's engine: DOCKER_HOST=unix://STATE/nI/docker.sock. Limits of this kernel (no IPVS, no ESP):
# no VIP (use endpoint_mode dnsrr or tasks.NAME), no ingress mesh (publish with mode: host), no
# encrypted overlays. A first deploy can stall 30 s (moby#47396): allow 60 s. Needs root,
# iproute2, util-linux (nsenter, unshare, setsid), dockerd, containerd, runc and busybox-static.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STATE="${COMPOSESWARM_MN_DIR:-$CS_STATE_DIR/multinode}"
if [[ -f $STATE/bed.env ]]; then
    # shellcheck source=/dev/null
    source "$STATE/bed.env"
else
    PFX="${COMPOSESWARM_MN_PREFIX:-csmn}"
    NET="${COMPOSESWARM_MN_NET:-10.99.0}"
    NODES="${COMPOSESWARM_MN_NODES:-3}"
    MANAGERS="${COMPOSESWARM_MN_MANAGERS:-1}"
fi
ADDR_POOL=10.200.0.0/16     # overlay subnets, clear of NET
IMAGES=(local/busybox:1 local/busybox:2)

sock() { printf 'unix://%s/n%s/docker.sock' "$STATE" "$1"; }
d() { local i=$1; shift; timeout 60 docker -H "$(sock "$i")" "$@"; }
ns() { printf '%s-n%s' "$PFX" "$1"; }
# node_numbers: the nodes this bed has (node dirs in STATE), ascending
node_numbers() { local n; for n in "$STATE"/n*/; do n=${n%/}; n=${n##*/n}; [[ $n =~ ^[0-9]+$ ]] && echo "$n"; done | sort -n; }
alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# net_node I: the node's namespace, its veth to the switch, its address
net_node() {
    local i=$1
    ip netns add "$(ns "$i")"
    ip link add "$PFX-n$i" netns "$PFX-sw" type veth peer name eth0 netns "$(ns "$i")"
    ip -n "$PFX-sw" link set "$PFX-n$i" master br0 up
    ip -n "$(ns "$i")" addr add "$NET.$i/24" dev eth0
    ip -n "$(ns "$i")" link set eth0 up
    ip -n "$(ns "$i")" link set lo up
}

# start_node I: node I's dockerd in its namespaces; its pid (the exec chain keeps it) in nI/dockerd.pid
start_node() {
    local i=$1 dir="$STATE/n$1" pid k
    mkdir -p "$dir"
    alive "$(cat "$dir/dockerd.pid" 2>/dev/null)" && die "node $i runs already"
    # setsid without fork (we are no group leader), nsenter, unshare, sh and env all exec: $! is dockerd
    setsid nsenter --net="/run/netns/$(ns "$i")" unshare --uts -- sh -c "hostname $PFX-n$i && exec env \
        DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 dockerd --data-root '$dir/data' --exec-root '$dir/exec' \
        --pidfile '$dir/docker.pid' -H '$(sock "$i")'" >>"$dir/dockerd.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/dockerd.pid"
    for ((k = 0; k < 240; k++)); do
        d "$i" version >/dev/null 2>&1 && return 0
        alive "$pid" || { tail -n 20 "$dir/dockerd.log" >&2; die "dockerd of node $i exited (log: $dir/dockerd.log)"; }
        sleep 0.25
    done
    die "dockerd of node $i did not answer within 60 s (log: $dir/dockerd.log)"
}

# stop_node I: SIGTERM node I's dockerd by its pid and wait (it stops its containerd); SIGKILL after 30 s
stop_node() {
    local i=$1 pid k
    pid="$(cat "$STATE/n$i/dockerd.pid" 2>/dev/null || true)"
    alive "$pid" || return 0
    kill -TERM "$pid"
    for ((k = 0; k < 300; k++)); do alive "$pid" || return 0; sleep 0.1; done
    log "dockerd of node $i ($pid) still runs after 30 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
}

# join_node I ROLE: node I joins the swarm of node 1 as ROLE (worker or manager)
join_node() {
    local token
    token="$(d 1 swarm join-token -q "$2")"
    d "$1" swarm join --token "$token" --advertise-addr "$NET.$1" --listen-addr "$NET.$1:2377" "$NET.1:2377" >/dev/null
}

load_images() {  # load_images I...: the images saved from node 1 onto nodes I...
    local i pids=() failed=0
    for i in "$@"; do d "$i" load -q -i "$STATE/images.tar" >/dev/null & pids+=($!); done
    for i in "${pids[@]}"; do wait "$i" || failed=1; done
    ((failed == 0)) || die "loading the images failed"
}

label_node() {
    local zone=b
    [[ $1 == 1 ]] && zone=a
    d 1 node update --label-add "zone=$zone" --label-add "cs.node=$1" "$PFX-n$1" >/dev/null
}

wait_ready() {  # wait_ready N: until the manager lists N nodes Ready
    local k
    for ((k = 0; k < 240; k++)); do
        [[ "$(d 1 node ls --format '{{.Status}}' 2>/dev/null | grep -c '^Ready$')" == "$1" ]] && return 0
        sleep 0.25
    done
    d 1 node ls >&2 || true
    die "not all $1 nodes are Ready after 60 s"
}

preflight() {
    [[ $EUID -eq 0 ]] || die "the multinode bed needs root (network namespaces, dockerd)"
    local c
    for c in ip nsenter unshare setsid dockerd containerd runc docker findmnt; do
        command -v "$c" >/dev/null 2>&1 || die "the multinode bed needs $c, which is not in PATH"
    done
    [[ $MANAGERS == 1 || $MANAGERS == 3 ]] || die "COMPOSESWARM_MN_MANAGERS must be 1 or 3, not $MANAGERS"
    ((NODES >= MANAGERS && NODES < 250)) || die "COMPOSESWARM_MN_NODES must be $MANAGERS to 249, not $NODES"
    # a unix socket path must stay under 108 bytes (containerd's is the longest)
    local longest="$STATE/n${NODES}9/exec/containerd/containerd.sock.ttrpc"
    ((${#longest} < 100)) || die "$STATE is too long for unix sockets; set COMPOSESWARM_MN_DIR to a shorter path"
    [[ ! -e $STATE ]] || die "$STATE exists: a bed is up (or was left); run: $0 down"
    if ip netns list | grep -q "^$PFX-"; then die "network namespaces $PFX-* exist: is another bed running?"; fi
    if ip -o addr show | grep -q " $NET\."; then die "$NET.0/24 is in use on this machine; set COMPOSESWARM_MN_NET"; fi
}

up() {
    preflight
    local start=$SECONDS i role
    mkdir -p "$STATE"
    printf 'PFX=%q\nNET=%q\nNODES=%q\nMANAGERS=%q\n' "$PFX" "$NET" "$NODES" "$MANAGERS" >"$STATE/bed.env"
    # From here on a failure leaves nothing behind: down cleans what was made so far.
    trap 'if (($?)); then log "bring-up failed: tearing down"; down || true; fi' EXIT
    ip netns add "$PFX-sw"
    ip -n "$PFX-sw" link set lo up
    ip -n "$PFX-sw" link add br0 type bridge
    ip -n "$PFX-sw" link set br0 up
    for ((i = 1; i <= NODES; i++)); do net_node "$i"; done
    local pids=() pid failed=0
    for ((i = 1; i <= NODES; i++)); do start_node "$i" & pids+=($!); done
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    ((failed == 0)) || die "starting the daemons failed"
    d 1 swarm init --advertise-addr "$NET.1" --listen-addr "$NET.1:2377" --default-addr-pool "$ADDR_POOL" \
        --dispatcher-heartbeat 2s >/dev/null
    for ((i = 2; i <= NODES; i++)); do   # one by one: managers join raft in turn
        role=worker; ((i <= MANAGERS)) && role=manager
        join_node "$i" "$role"
    done
    DOCKER_HOST="$(sock 1)" "$REPO_ROOT/scripts/images.sh"
    d 1 save "${IMAGES[@]}" -o "$STATE/images.tar"
    mapfile -t others < <(seq 2 "$NODES")
    load_images "${others[@]}"
    wait_ready "$NODES"
    for ((i = 1; i <= NODES; i++)); do label_node "$i"; done
    trap - EXIT
    log "up: $NODES nodes ($MANAGERS manager(s)) in $((SECONDS - start)) s; manager: DOCKER_HOST=$(sock 1)"
}

add() {
    [[ -f $STATE/bed.env ]] || die "no bed is up ($STATE/bed.env missing)"
    local i
    i=$(( $(node_numbers | tail -n 1) + 1 ))
    net_node "$i"
    start_node "$i"
    join_node "$i" worker
    load_images "$i"
    wait_ready "$(node_numbers | wc -l)"
    label_node "$i"
    echo "$i"
}

remove() {
    local i=$1 pid
    d "$i" swarm leave --force >/dev/null 2>&1 || true
    stop_node "$i"
    for pid in $(ip netns pids "$(ns "$i")" 2>/dev/null || true); do kill -KILL "$pid" 2>/dev/null || true; done
    findmnt -rn -o TARGET | { grep -F "$STATE/n$i/" || true; } | sort -r | while read -r m; do umount -l "$m" || true; done
    ip netns del "$(ns "$i")"
    rm -rf "${STATE:?}/n$i"
    # the manager sees the node down after a few heartbeats; --force removes it at once
    d 1 node rm --force "$PFX-n$i" >/dev/null
}

down() {
    [[ -d $STATE ]] || { log "down: nothing to do ($STATE does not exist)"; return 0; }
    local start=$SECONDS i pid m
    local -a nodes
    mapfile -t nodes < <(node_numbers)
    # leave --force first: it force-removes the task containers at once (else each waits its grace)
    for i in "${nodes[@]}"; do
        alive "$(cat "$STATE/n$i/dockerd.pid" 2>/dev/null)" && { d "$i" swarm leave --force >/dev/null 2>&1 || true; } &
    done
    wait || true
    for i in "${nodes[@]}"; do stop_node "$i" & done
    wait || true
    # processes still in a node's namespace (container processes whose shim died), then the daemons'
    # containerd and shims, found by the state path in their arguments
    for i in "${nodes[@]}"; do
        for pid in $(ip netns pids "$(ns "$i")" 2>/dev/null || true); do
            alive "$pid" && { log "killing pid $pid left in $(ns "$i")"; kill -KILL "$pid" 2>/dev/null || true; }
        done
    done
    for pid in $(pgrep -f -- "$STATE/n[0-9]+/" || true); do
        alive "$pid" && { log "killing leftover pid $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)"; kill -KILL "$pid" 2>/dev/null || true; }
    done
    findmnt -rn -o TARGET | { grep -F "$STATE/" || true; } | sort -r | while read -r m; do umount -l "$m" || true; done
    for i in "${nodes[@]}"; do ip netns del "$(ns "$i")" 2>/dev/null || true; done
    ip netns del "$PFX-sw" 2>/dev/null || true
    rm -rf "$STATE"
    log "down in $((SECONDS - start)) s"
}

# check_clean: what this bed (by its state path and prefix) left on the machine; exit 1 when anything
check_clean() {
    local left=() line
    [[ -e $STATE ]] && left+=("state folder $STATE")
    while read -r line; do [[ -n $line ]] && left+=("network namespace $line"); done < <(ip netns list | awk -v p="$PFX-" 'index($1, p) == 1 {print $1}')
    while read -r line; do [[ -n $line ]] && left+=("link $line"); done < <(ip -o link show | awk -F': ' -v p="$PFX-" 'index($2, p) == 1 {print $2}')
    while read -r line; do [[ -n $line ]] && left+=("mount $line"); done < <(findmnt -rn -o TARGET | grep -F -e "$STATE/" -e "/run/netns/$PFX-" || true)
    while read -r line; do [[ -n $line ]] && left+=("process $line"); done < <(pgrep -a -f -- "$STATE/n[0-9]+/" | cut -c1-160 || true)
    if ((${#left[@]})); then
        printf 'left behind: %s\n' "${left[@]}" >&2
        return 1
    fi
    log "clean: no namespace, link, mount, process or state of $PFX ($STATE) left"
}

status() {
    local i
    for i in $(node_numbers); do
        printf 'n%s  %s  dockerd pid %s\n' "$i" "$(sock "$i")" "$(cat "$STATE/n$i/dockerd.pid" 2>/dev/null || echo -)"
    done
    d 1 node ls
    d 1 service ls
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    check-clean) check_clean ;;
    add) add ;;
    remove) [[ ${2:-} =~ ^[0-9]+$ && $2 != 1 && -d $STATE/n${2:-x} ]] || die "usage: $0 remove I (an existing node but 1)"; remove "$2" ;;
    stop) [[ ${2:-} =~ ^[0-9]+$ ]] || die "usage: $0 stop I"; stop_node "$2" ;;
    start) [[ ${2:-} =~ ^[0-9]+$ && -d $STATE/n${2:-x} ]] || die "usage: $0 start I (an existing node)"; start_node "$2" ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
    *) die "usage: $0 up|status|stop I|start I|add|down|check-clean (see --help)" ;;
esac
