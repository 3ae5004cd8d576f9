#!/usr/bin/env bash
# A real TLS engine endpoint for the tcp:// + TLS tests: Debian's socat terminates TLS on 127.0.0.1,
# demands a client certificate signed by the test bed's CA (verify=1), and hands the connection to the
# main engine's socket. From the client's side it is what `dockerd --tlsverify` is: a TLS server whose
# certificate must chain to DOCKER_CERT_PATH/ca.pem and that refuses clients without a signed
# certificate. (A second dockerd would need its own data-root, exec-root, containerd, swarm and images;
# the main dockerd must not be restarted to add a listener.)
#
#   scripts/tlsengine.sh install                 install socat and openssl when missing
#   scripts/tlsengine.sh up --port P [--dir D]   make a CA, a server certificate for 127.0.0.1 and a client
#                                                certificate in D (default .cache/composeswarm/tls-P): D/client
#                                                is a DOCKER_CERT_PATH (ca.pem cert.pem key.pem), D/wrong-ca one
#                                                whose ca.pem is another CA; start socat; wait until it answers
#   scripts/tlsengine.sh down [--port P] [--dir D]   stop the socat `up` started (by pid), remove D
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT=""
DIR=""
SOCKET="${COMPOSESWARM_TLS_UPSTREAM:-/var/run/docker.sock}"

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

# make_ca DIR NAME: a self-signed CA in DIR/ca.pem, DIR/ca-key.pem
make_ca() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
        -keyout "$1/ca-key.pem" -out "$1/ca.pem" 2>/dev/null
}

# sign CA_DIR OUT_PREFIX CN EXT: a key and a certificate signed by the CA, with extensions EXT
sign() {
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$3" -keyout "$2-key.pem" -out "$2.csr" 2>/dev/null
    printf '%s\n' "$4" >"$2.ext"
    openssl x509 -req -in "$2.csr" -CA "$1/ca.pem" -CAkey "$1/ca-key.pem" -CAcreateserial -days 2 \
        -extfile "$2.ext" -out "$2.pem" 2>/dev/null
    rm -f "$2.csr" "$2.ext"
}

up() {
    [[ -n $PORT ]] || die "up needs --port"
    DIR="${DIR:-$CS_STATE_DIR/tls-$PORT}"
    apt_install socat openssl
    answers && die "something already answers on 127.0.0.1:$PORT"
    [[ -S $SOCKET ]] || die "no engine socket at $SOCKET"
    mkdir -p "$DIR/ca" "$DIR/other-ca" "$DIR/client" "$DIR/wrong-ca"
    chmod 700 "$DIR"
    make_ca "$DIR/ca" composeswarm-test-ca
    make_ca "$DIR/other-ca" composeswarm-other-ca
    sign "$DIR/ca" "$DIR/server" 127.0.0.1 "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
    sign "$DIR/ca" "$DIR/client/cert" composeswarm-client "extendedKeyUsage=clientAuth"
    mv "$DIR/client/cert-key.pem" "$DIR/client/key.pem"
    cp "$DIR/ca/ca.pem" "$DIR/client/ca.pem"
    cp "$DIR/client/cert.pem" "$DIR/client/key.pem" "$DIR/wrong-ca/"
    cp "$DIR/other-ca/ca.pem" "$DIR/wrong-ca/ca.pem"
    # fork: a process per connection; verify=1 with cafile: a client without a certificate of this CA is refused
    setsid socat \
        "OPENSSL-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork,cert=$DIR/server.pem,key=$DIR/server-key.pem,cafile=$DIR/ca/ca.pem,verify=1" \
        "UNIX-CONNECT:$SOCKET" >>"$DIR/socat.log" 2>&1 </dev/null &
    echo $! >"$DIR/socat.pid"
    wait_answering socat "$DIR/socat.pid" "$DIR/socat.log" "a TLS engine endpoint answers on 127.0.0.1:$PORT (certificates in $DIR)"
}

down() {
    [[ -n $DIR || -n $PORT ]] || die "down needs --port or --dir"
    DIR="${DIR:-$CS_STATE_DIR/tls-$PORT}"
    if [[ -f $DIR/socat.pid ]]; then
        # the listener and the children it forked for open connections (its process group, from setsid)
        stop_pid "$(cat "$DIR/socat.pid")"
    fi
    rm -rf "$DIR"
}

case "$cmd" in
    install) apt_install socat openssl ;;
    up) up ;;
    down) down ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; [[ $cmd == -h || $cmd == --help ]] || exit 1 ;;
esac
