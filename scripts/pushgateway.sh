#!/usr/bin/env bash
# A real Prometheus Pushgateway for the metrics tests: Debian's prometheus-pushgateway, run by us on
# 127.0.0.1, never as the system service (apt_install sets RUNLEVEL=1, so apt starts nothing).
#
#   scripts/pushgateway.sh install                 install the package when missing
#   scripts/pushgateway.sh up [--port P] [--dir D] start one on 127.0.0.1:P (default 9091) with its
#                                                  storage and pid file in D (default
#                                                  .cache/composeswarm/pushgateway-P); wait until it answers
#   scripts/pushgateway.sh down [--port P] [--dir D]   stop the one `up` started there, remove its files
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN=/usr/bin/prometheus-pushgateway
PORT=9091
DIR=""

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
while [[ $# -gt 0 ]]; do
    case "$1" in
        --port) PORT="$2"; shift 2 ;;
        --dir) DIR="$2"; shift 2 ;;
        *) die "unknown option $1" ;;
    esac
done
DIR="${DIR:-$CS_STATE_DIR/pushgateway-$PORT}"

# http_status: the HTTP status of GET 127.0.0.1:PORT/-/ready, or nothing (no curl needed).
http_status() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit 0
        printf 'GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
        IFS=' ' read -r -t 5 _ status _ <&3 || true
        printf '%s' "${status:-}"
    ) 2>/dev/null
}

up() {
    apt_install prometheus-pushgateway
    [[ -x $BIN ]] || die "$BIN not found after installing prometheus-pushgateway"
    [[ -n "$(http_status)" ]] && die "something already answers on 127.0.0.1:$PORT"
    mkdir -p "$DIR"
    # setsid: it outlives this script; the pid file is how `down` finds it (never by name).
    setsid "$BIN" --web.listen-address="127.0.0.1:$PORT" --persistence.file="$DIR/metrics.store" \
        >>"$DIR/pushgateway.log" 2>&1 </dev/null &
    echo $! >"$DIR/pushgateway.pid"
    local i
    for ((i = 0; i < 120; i++)); do
        if [[ "$(http_status)" == 200 ]]; then
            log "pushgateway answers on 127.0.0.1:$PORT (storage in $DIR)"
            return 0
        fi
        kill -0 "$(cat "$DIR/pushgateway.pid")" 2>/dev/null || { tail -n 20 "$DIR/pushgateway.log" >&2; die "pushgateway exited"; }
        sleep 0.25
    done
    die "pushgateway did not answer on 127.0.0.1:$PORT within 30 s; its log is $DIR/pushgateway.log"
}

down() {
    local pid i
    [[ -f $DIR/pushgateway.pid ]] || return 0
    pid="$(cat "$DIR/pushgateway.pid")"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$DIR/pushgateway.pid" "$DIR/metrics.store" "$DIR/pushgateway.log"
    rmdir "$DIR" 2>/dev/null || true
}

case "$cmd" in
    install) apt_install prometheus-pushgateway ;;
    up) up ;;
    down) down ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; [[ $cmd == -h || $cmd == --help ]] || exit 1 ;;
esac
