# Shared helpers for the scripts in this folder; source it, don't run it.
# shellcheck shell=bash

# The tests compare against the docker CLI 28.2 in /usr/local/bin; Debian's docker.io puts a 20.10
# client in /usr/bin, so /usr/local/bin must come first whenever it holds a docker.
if [[ -x /usr/local/bin/docker && ":$PATH:" != ":/usr/local/bin:"* ]]; then
    PATH="/usr/local/bin:$PATH"
fi
# dockerd, iptables and friends live in sbin, which a non-login shell may lack.
for _d in /usr/sbin /sbin; do
    [[ ":$PATH:" == *":$_d:"* ]] || PATH="$PATH:$_d"
done
export PATH

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT

# Where our own logs and scratch files go unless told otherwise.
CS_STATE_DIR="${COMPOSESWARM_STATE_DIR:-$REPO_ROOT/.cache/composeswarm}"

log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# engine_answers: true when `docker info` reaches an engine within 20 s (DOCKER_HOST is honoured).
engine_answers() { timeout 20 docker info --format "{{.ServerVersion}}" >/dev/null 2>&1; }

# as_root CMD...: run CMD as root (sudo when we are not root and it exists).
as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root to run: $*"
    fi
}

# apt_install PKG...: install the Debian packages that are not installed yet; update the lists only
# when something is missing.
apt_install() {
    local missing=() p
    # RUNLEVEL=1: invoke-rc.d starts no service (docker-registry would take port 5000, docker.io an engine without our settings).
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    command -v apt-get >/dev/null 2>&1 || die "missing packages ${missing[*]} and no apt-get to install them"
    log "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# make_venv DIR: a Python virtual environment at DIR (python3 and python3-venv installed first when
# missing: Debian's python3 has no venv, nor ensurepip, until python3-venv is installed).
make_venv() {
    local venv="$1"
    command -v python3 >/dev/null 2>&1 || apt_install python3 python3-venv
    [[ -x $venv/bin/python ]] && return 0
    if ! python3 -m venv "$venv" >/dev/null 2>&1; then
        rm -rf "$venv"
        apt_install python3-venv
        python3 -m venv "$venv"
    fi
    log "made $venv with $("$venv/bin/python" --version)"
}

# wait_answering NAME PIDFILE LOGFILE WHAT: until the script's own `answers` succeeds (30 s at most),
# failing at once with the log's tail when the process of PIDFILE has exited.
wait_answering() {
    local name="$1" pidfile="$2" logfile="$3" what="$4" i
    for ((i = 0; i < 120; i++)); do
        if answers; then
            log "$what"
            return 0
        fi
        kill -0 "$(cat "$pidfile")" 2>/dev/null || { tail -n 20 "$logfile" >&2; die "$name exited"; }
        sleep 0.25
    done
    die "$name did not answer within 30 s; its log is $logfile"
}

# stop_pid PID: SIGTERM to PID (to its whole process group when it leads one: a server's forked
# children), up to 10 s for it to go, then SIGKILL.
stop_pid() {
    local pid="$1" i
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
}

# image_exists REF: true when the engine has an image with that reference.
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# tar_rootfs DIR: write a reproducible tar of DIR to stdout (fixed owner and times).
tar_rootfs() {
    tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - .
}

# stop_private_engine DIR: stop a dockerd whose pid file is DIR/docker.pid, unmount what it left
# under DIR and remove DIR (for engines started with --data-root/--exec-root inside DIR).
stop_private_engine() {
    local dir="$1" pid i m
    if [[ -f $dir/docker.pid ]]; then
        pid="$(cat "$dir/docker.pid")"
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 120; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    # Mounts the engine may leave behind (overlay layers, netns files, shm), deepest first.
    awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf "$dir"
}
