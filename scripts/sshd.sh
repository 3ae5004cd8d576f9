#!/usr/bin/env bash
# A real OpenSSH server for the ssh:// tests: Debian's openssh-server, run by us on 127.0.0.1 with a
# config, host key and client key of its own, never as the system service (apt_install sets RUNLEVEL=1,
# so apt starts nothing) and never touching ~/.ssh or /etc/ssh.
#
#   scripts/sshd.sh install                  install the package when missing
#   scripts/sshd.sh up --port P [--dir D]    start one on 127.0.0.1:P with everything in D (default
#                                            .cache/composeswarm/sshd-P); wait until it answers. D gets:
#                                            client_key (authorised for the current user), known_hosts,
#                                            ssh_config (Host 127.0.0.1, that key, that known_hosts,
#                                            BatchMode) and bin/ssh (the system ssh with -F ssh_config:
#                                            put D/bin first on PATH); sshd.log (LogLevel VERBOSE: one
#                                            "Accepted publickey" line per connection)
#   scripts/sshd.sh down [--port P] [--dir D]    stop the one `up` started there (by pid), remove D
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN=/usr/sbin/sshd
PORT=""
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

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

up() {
    [[ -n $PORT ]] || die "up needs --port"
    DIR="${DIR:-$CS_STATE_DIR/sshd-$PORT}"
    apt_install openssh-server
    [[ -x $BIN ]] || die "$BIN not found after installing openssh-server"
    answers && die "something already answers on 127.0.0.1:$PORT"
    mkdir -p "$DIR/bin"
    chmod 700 "$DIR"
    # Debian's sshd will not start without its privilege-separation directory (the service makes it)
    [[ -d /run/sshd ]] || as_root install -d -m 0755 /run/sshd
    rm -f "$DIR"/host_key* "$DIR"/client_key*
    ssh-keygen -q -t ed25519 -N '' -C composeswarm-test-host -f "$DIR/host_key"
    ssh-keygen -q -t ed25519 -N '' -C composeswarm-test-client -f "$DIR/client_key"
    cp "$DIR/client_key.pub" "$DIR/authorized_keys"
    printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$DIR/host_key.pub")" >"$DIR/known_hosts"
    cat >"$DIR/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $DIR/host_key
PidFile none
AuthorizedKeysFile $DIR/authorized_keys
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $(id -un)
UsePAM no
StrictModes no
# the remote docker CLI talks to the main engine whatever the user's docker config says
SetEnv DOCKER_HOST=unix:///var/run/docker.sock
LogLevel VERBOSE
MaxStartups 100:30:200
MaxSessions 100
EOF
    cat >"$DIR/ssh_config" <<EOF
Host 127.0.0.1
    Port $PORT
    IdentityFile $DIR/client_key
    IdentitiesOnly yes
    IdentityAgent none
    UserKnownHostsFile $DIR/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
    LogLevel ERROR
EOF
    printf '#!/bin/sh\n# the system ssh with the test bed'"'"'s config\nexec /usr/bin/ssh -F %q "$@"\n' "$DIR/ssh_config" >"$DIR/bin/ssh"
    chmod 755 "$DIR/bin/ssh"
    # setsid: it outlives this script; the pid file is how `down` finds it (never by name). -D: no
    # daemon, so $! is sshd itself; -e: its log to stderr, here the log file.
    setsid "$BIN" -D -e -f "$DIR/sshd_config" >>"$DIR/sshd.log" 2>&1 </dev/null &
    echo $! >"$DIR/sshd.pid"
    wait_answering sshd "$DIR/sshd.pid" "$DIR/sshd.log" "sshd answers on 127.0.0.1:$PORT (config and keys in $DIR)"
}

down() {
    [[ -n $DIR || -n $PORT ]] || die "down needs --port or --dir"
    DIR="${DIR:-$CS_STATE_DIR/sshd-$PORT}"
    if [[ -f $DIR/sshd.pid ]]; then
        stop_pid "$(cat "$DIR/sshd.pid")"
    fi
    rm -rf "$DIR"
}

case "$cmd" in
    install) apt_install openssh-server ;;
    up) up ;;
    down) down ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; [[ $cmd == -h || $cmd == --help ]] || exit 1 ;;
esac
